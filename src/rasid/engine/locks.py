"""The locks between the processes that write one store (`Locks.exclusive`: PostgreSQL's advisory
locks, a `flock` file beside a SQLite file).

Two locks, taken in this order and never the other way round (a third, `TURN_LOCK`, only orders
the writers waiting for the first: `stories_turn`):

- `STAGES_LOCK`, the stories stage's: it reads the clusterer's state (or checks that the one it
  holds is current), advances it and saves it, so two processes (several `rasid run`, the server's
  ingest worker, `rasid watch`) place articles one at a time;
- `ANALYSIS_LOCK`, the later stages': one process at a time analyses the stories left pending.

So a process places its articles while another is still analysing: a posted article reaches its
story while a `rasid run` understands the day it ingested. Text halves and readers take neither.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import AbstractContextManager

from ..store.protocols import Locks

__all__ = ["ANALYSIS_LOCK", "STAGES_LOCK", "TURN_LOCK", "stories_turn", "store_lock"]

STAGES_LOCK = "rasid:story-stages"  # the stories stage runs under it
ANALYSIS_LOCK = "rasid:analysis-stages"  # the stages after it (understanding) run under it
TURN_LOCK = "rasid:story-stages-turn"  # held while waiting for STAGES_LOCK (`stories_turn`)


def store_lock(store: Locks, name: str, wait: bool = True) -> AbstractContextManager[bool]:
    """The exclusive lock `name` on `store` (the block gets False only when `wait` is False and
    another process holds it)."""
    return store.exclusive(name, wait)


@contextlib.contextmanager
def stories_turn(store: Locks) -> Iterator[None]:
    """Hold `STAGES_LOCK`, taken in turn: a writer waits for it holding `TURN_LOCK`, so one that
    lets it go between chunks and asks again queues behind a writer already waiting (a bare lock
    would most often go straight back to the writer that just let it go)."""
    with contextlib.ExitStack() as held:
        with store.exclusive(TURN_LOCK):
            held.enter_context(store.exclusive(STAGES_LOCK))
        yield
