"""The stories stage's streaming state (the deduper and the clusterer), kept in the store and, by a
long-lived stage, in memory between batches.

The state is saved as a checkpoint (both objects whole, `state:dedup` and `state:clusterer`) plus a
journal (`state:stories-journal`): the ids of the articles placed since the checkpoint, batch by
batch, in the order they were placed. A batch writes only its journal entry, unless the journal has
grown past `checkpoint_every` articles; then the checkpoint is written whole and the journal emptied.
A run that knows how many of its articles are still to place (`rasid run`) writes the checkpoint at
its last batch instead, once the journal holds `checkpoint_at_end` articles, so the next process
loads it without replaying the run (a day of news: ~5 s of replay for one checkpoint of ~3 s); and
it leaves a checkpoint falling due near its end to that last one (the journal stays under twice
`checkpoint_every`, the bound on what a killed run leaves to replay).
Every save also writes a new generation token (`state:stories-generation`), in the same transaction
as the batch's assignments.

A `StateKeeper` remembers the state it last saved or loaded with that token. Under the stages lock
it reads the stored token: when it is still its own, no other process has placed an article since,
and the state in memory is the stored one (no load). When another writer has only added journal
entries since (same checkpoint, the stored journal extends the one in memory), the caller replays
just those over the state in memory. Otherwise it loads the checkpoint, and the caller replays the
whole journal over it (`StoriesStage`): placing an article again is deterministic and a no-op for
an article the state already holds, so the replayed state is the one the other writer saved. A
run killed before its commit leaves the old token, checkpoint and journal.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..settings import Settings
from ..store.protocols import StateBlobs

if TYPE_CHECKING:
    from ..dedup import Deduper
    from ..stories import StoryClusterer

DEDUP_BLOB = "state:dedup"
CLUSTER_BLOB = "state:clusterer"
JOURNAL_BLOB = "state:stories-journal"  # [[article id, ...], ...]: batches placed since the checkpoint
GENERATION_BLOB = "state:stories-generation"  # a new token with every save
CHECKPOINT_BLOB = "state:stories-checkpoint"  # a new token with every checkpoint


@dataclass(slots=True)
class StoryState:
    """The deduper and the clusterer as of the journal's last batch."""

    dedup: Deduper
    clusterer: StoryClusterer
    journal: list[list[str]] = field(default_factory=list)  # batches since the stored checkpoint
    token: bytes | None = None  # the stored generation this state is
    checkpoint: bytes | None = None  # the stored checkpoint it started from (None: the empty state)

    @property
    def journal_size(self) -> int:
        return sum(len(b) for b in self.journal)


@dataclass(slots=True)
class StateKeeper:
    """Loads and saves `StoryState`, and keeps the last one in memory while it is current."""

    settings: Settings
    checkpoint_every: int = 1000  # journal articles past which a batch saves the checkpoint whole
    checkpoint_at_end: int = 100  # journal articles from which a run's last batch saves it whole
    _kept: StoryState | None = field(default=None, init=False)

    def open(self, store: StateBlobs) -> tuple[StoryState, list[list[str]]]:
        """The state to place the next batch on, and the journal batches still to replay over it
        (in order): none when the state in memory is current, the other writers' entries when they
        only journalled since, else the whole journal over the stored checkpoint. Call under the
        stages lock; if replaying or placing fails, `forget`."""
        kept = self._kept
        if kept is not None and kept.token is not None:
            token = store.get_blob(GENERATION_BLOB)
            if token == kept.token:
                return kept, []
            if store.get_blob(CHECKPOINT_BLOB) == kept.checkpoint:
                journal = self._journal(store)
                if journal[: len(kept.journal)] == kept.journal:
                    rest = journal[len(kept.journal) :]
                    kept.journal, kept.token = journal, token
                    return kept, rest
        state = self.load(store)
        return state, state.journal

    @staticmethod
    def _journal(store: StateBlobs) -> list[list[str]]:
        blob = store.get_blob(JOURNAL_BLOB)
        return [list(b) for b in json.loads(blob)] if blob else []

    def load(self, store: StateBlobs) -> StoryState:
        """The stored checkpoint (or a new state) with the stored journal, still to be replayed."""
        from ..dedup import Deduper
        from ..stories import StoryClusterer, StoryModel

        st = self.settings
        blob = store.get_blob(DEDUP_BLOB)
        dedup = Deduper.from_bytes(blob) if blob else Deduper()
        dedup.max_bucket = st.dedup_stop_bucket
        blob = store.get_blob(CLUSTER_BLOB)
        if blob:
            clusterer = StoryClusterer.from_bytes(blob)
        else:
            own = StoryModel.load_folder(st.story_models) if st.story_models else {}
            clusterer = StoryClusterer(
                model=own.get("model"),
                merge_model=own.get("merge_model"),
                cross_model=own.get("cross_model"),
                cross_merge_model=own.get("cross_merge_model"),
                pair_model=own.get("pair_model"),
            )
        # the settings of this run, not those the state was saved with
        clusterer.dormant_days = st.story_dormant_days
        clusterer.late_after_days = st.story_late_after_days
        clusterer.late_threshold = st.story_late_threshold
        clusterer.late_min_size = st.story_late_min_size
        clusterer.late_merges = st.story_late_merges
        clusterer.related_min = st.story_related_min
        # The clusterer reads each article just after the deduper: it reuses the deduper's tokens.
        clusterer.text_memo = dedup.text_memo
        return StoryState(
            dedup,
            clusterer,
            self._journal(store),
            store.get_blob(GENERATION_BLOB),
            store.get_blob(CHECKPOINT_BLOB),
        )

    def due(self, journal: int, left: int | None) -> bool:
        """Whether a batch that leaves `journal` articles in the journal saves the checkpoint
        whole, `left` articles of its run still to place (None: not known)."""
        if left == 0:
            return journal >= min(self.checkpoint_at_end, self.checkpoint_every)
        if left is None:
            return journal >= self.checkpoint_every
        return journal >= self.checkpoint_every and journal + left >= 2 * self.checkpoint_every

    def save(self, store: StateBlobs, state: StoryState, batch: list[str], left: int | None = None) -> None:
        """Record `batch` (the ids just placed, in order): its journal entry, or the whole
        checkpoint when one is due (`due`; `left`: the articles of the run still to place after
        `batch`, if known); then a new generation token. Call inside the batch's transaction. The
        state is kept in memory as the current one."""
        journal = [*state.journal, batch] if batch else list(state.journal)
        if self.due(sum(len(b) for b in journal), left):
            store.put_blob(DEDUP_BLOB, state.dedup.to_bytes())
            store.put_blob(CLUSTER_BLOB, state.clusterer.to_bytes())
            state.checkpoint = uuid.uuid4().hex.encode("ascii")
            store.put_blob(CHECKPOINT_BLOB, state.checkpoint)
            journal = []
        store.put_blob(JOURNAL_BLOB, json.dumps(journal, ensure_ascii=False).encode("utf-8"))
        token = uuid.uuid4().hex.encode("ascii")
        store.put_blob(GENERATION_BLOB, token)
        state.journal, state.token = journal, token
        self._kept = state

    def forget(self) -> None:
        """Drop the state in memory (a batch failed half-way through changing it)."""
        self._kept = None
