"""rasid (راصد, "the observer"): an open news story engine for Arabic."""

__version__ = "0.1.0"
