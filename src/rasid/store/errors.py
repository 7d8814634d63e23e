"""Errors every store backend raises, so callers never need to catch a driver's own exceptions."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The store cannot do what was asked; the message names the database and the reason."""


class SchemaVersionError(StoreError):
    """The database was written by a newer rasid: opening it could corrupt what that version wrote."""


class StoreMissingError(StoreError):
    """The database does not exist, and the caller asked not to create it."""
