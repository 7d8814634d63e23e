"""Sentences of CoNLL files (ANERcorp), as `rasid eval ner` and the training read them."""

from __future__ import annotations

import gzip
from pathlib import Path

__all__ = ["read_conll"]


def read_conll(path: Path) -> list[tuple[list[str], list[str]]]:
    """Sentences of a CoNLL `TOKEN TAG` file (gzip or plain), tags mapped PERS -> PER."""
    opener = gzip.open if path.suffix == ".gz" else open
    out: list[tuple[list[str], list[str]]] = []
    toks: list[str] = []
    tags: list[str] = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2:
                if toks:
                    out.append((toks, tags))
                    toks, tags = [], []
                continue
            toks.append(parts[0])
            tags.append(parts[-1].replace("PERS", "PER"))
    if toks:
        out.append((toks, tags))
    return out
