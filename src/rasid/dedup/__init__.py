"""Near-duplicate detection at article and paragraph level, one article at a time.

Wire copies are the commonest near-duplicates in a news stream: the same agency text printed by
several papers with a changed lead or a trimmed tail. Two levels are kept:

- Article level: MinHash/LSH over character 5-gram shingles of the matching form finds candidates;
  each candidate is verified with a TF-IDF cosine (sublinear TF, word 1-3-grams, IDF from the
  document frequencies seen so far in the stream). A pure Jaccard cut was measured too and cannot
  reach the precision needed for group-pair scoring (docs/benchmarks/stories.md). `duplicate_of`
  points to the earliest article of the group, so a chain of copies never re-heads.
- Paragraph level: the same MinHash over each paragraph; a pair is reported when the estimated
  containment of the shorter paragraph's shingles in the other's passes a threshold. A paragraph
  two outlets share is a fact confirmed by both. Reworded paragraphs are not seen here (their
  shingles differ); `reworded_pairs` finds them from sentence vectors inside one story.

MinHash sketches come from `rensa` (a Rust MinHash, ~8x faster than datasketch's Python update
here). The LSH band index is our own, on numpy arrays: rensa's index cannot be rebuilt from stored
digests, and a dict-per-band index (datasketch) costs ~100 bytes per band entry; ours costs 8 and
serialises as plain arrays. Entries older than `window_days` leave the index so memory and the
saved state stay bounded; exact re-ingests are caught by the store's content hash anyway.
"""

from .codec import _unzip_state, _zip_state
from .deduper import Deduper
from .index import BandIndex
from .paragraphs import ParagraphMatch, clauses, reworded_pairs
from .parse import TextMemo, _parse, char_shingles, day_number, memo_map

__all__ = [
    "BandIndex",
    "Deduper",
    "ParagraphMatch",
    "TextMemo",
    "_parse",
    "_unzip_state",
    "_zip_state",
    "char_shingles",
    "clauses",
    "day_number",
    "memo_map",
    "reworded_pairs",
]
