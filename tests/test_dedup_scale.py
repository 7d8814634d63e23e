"""Near-duplicate detection must not get slower per article as the archive grows.

Real SaudiNewsNet text: a boilerplate paragraph (the most repeated real paragraph of a day, added
to many articles as a paper adds its footer) must stop costing lookups once it is common; expired
entries must leave the LSH index and its bookkeeping; the state must round-trip (and a version 1
state, from before stop bands, must still load).
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from rasid.dedup import BandIndex, Deduper, char_shingles
from rasid.eval.stories import load_saudinewsnet
from rasid.model import Article, Paragraph
from rasid.text.normalize import match_form


@pytest.fixture(scope="module")
def day(shared) -> list[Article]:
    return load_saudinewsnet([shared / "data" / "saudinewsnet" / "2015-08-01.zip"])


@pytest.fixture(scope="module")
def three_days(shared) -> list[Article]:
    """Every third article of the first three days, in stream order: enough to expire a 1-day window twice."""
    days = sorted((shared / "data" / "saudinewsnet").glob("*.zip"))[:3]
    return load_saudinewsnet(days)[::3]


def _footer(arts: list[Article]) -> str:
    """The most repeated real paragraph (40+ characters) of these articles."""
    count = Counter(match_form(p.text) for a in arts for p in a.paragraphs if len(p.text.strip()) >= 40)
    text, n = count.most_common(1)[0]
    assert n >= 3
    return next(p.text for a in arts for p in a.paragraphs if match_form(p.text) == text)


def _with_footer(arts: list[Article], footer: str) -> list[Article]:
    return [replace(a, paragraphs=[*a.paragraphs, Paragraph(footer)]) for a in arts]


def _footer_lookup(dd: Deduper, footer: str) -> tuple[int, int]:
    """(candidates a lookup of the footer returns, the largest live bucket among its bands)."""
    digest = dd._digest(set(char_shingles(footer)))
    hashes = dd._paragraphs.band_hashes(digest[None, :])
    found, sizes = dd._paragraphs.lookup(hashes, dd.max_bucket)
    return len(found[0]), int(sizes.max())


def test_boilerplate_paragraph_stops_costing_lookups(day):
    footer = _footer(day)
    arts = _with_footer(day[:240], footer)
    runs = {}
    for n in (0, 8):  # 0: stop bands off, every copy matches all earlier ones
        dd = Deduper(max_bucket=n)
        dup, footer_matches, other, cands = [], [], set(), []
        for a in arts:
            got, ms = dd.add_with_matches(a)
            dup.append(got)
            last = len(a.paragraphs) - 1
            footer_matches.append(sum(1 for m in ms if m.paragraph == last))
            other |= {m for m in ms if m.paragraph != last}
            cands.append(_footer_lookup(dd, footer))
        runs[n] = dup, footer_matches, other, cands
    dup0, fm0, other0, cands0 = runs[0]
    dup8, fm8, other8, cands8 = runs[8]
    # without stop bands the footer's matches and candidates grow with the number of copies
    assert fm0[-1] >= 200 and cands0[-1][0] >= 239
    # with them, once more than 8 copies share its buckets the footer is boilerplate: no candidate,
    # no match, whatever the number of copies (the bucket sizes are still counted)
    assert max(fm8[20:]) == 0 and max(c for c, _ in cands8[20:]) == 0
    assert all(size >= 200 for _, size in cands8[-10:])
    assert sum(fm8) <= 8 * 9  # only the first copies, before the bucket filled
    # article-level decisions never depend on it; real shared paragraphs are still found
    assert dup8 == dup0
    assert other8 <= other0 and len(other8) >= 0.5 * len(other0) and len(other8) >= 5


def test_expired_entries_leave_index_and_bookkeeping(three_days):
    dd = Deduper(window_days=1.0)
    idx = dd._paragraphs
    stored_max = 0
    for i, a in enumerate(three_days):
        dd.add(a)
        if i % 50 == 0:
            live = sum(len(e.paragraph_keys) for e in dd._entries.values())
            assert len(idx) == live == len(dd._ptable.keys())
            # expired entries are masked by a watermark, not kept in a set, and do not pile up
            assert not idx._dead
            assert idx.stored() <= 2 * len(idx) + idx.buffer
            stored_max = max(stored_max, idx.stored())
    n_days = {a.published[:10] for a in three_days}
    assert len(n_days) == 3 and len(dd) < 0.6 * len(three_days)  # two days expired
    assert stored_max < 0.6 * sum(len(a.paragraphs) for a in three_days)


def test_band_index_single_removals_stay_bounded(day):
    """`remove` (any key) and `remove_older` (a watermark) together: lookups equal brute force,
    and the set of one-by-one removals forgets keys once no run holds them."""
    dd = Deduper()
    digests = [
        dd._digest(char_shingles(p.text)) for a in day[:300] for p in a.paragraphs if len(p.text) >= 40
    ][:600]
    assert len(digests) == 600
    idx = BandIndex(40, 3, buffer=32)
    rng = random.Random(7)
    removed: set[int] = set()
    for i in range(0, 600, 6):
        idx.insert_hashes(list(range(i, i + 6)), idx.band_hashes(np.stack(digests[i : i + 6])))
        for k in rng.sample(range(i + 6), 2):
            if k >= idx._low and k not in removed:
                idx.remove(k)
                removed.add(k)
        if i and i % 120 == 0:
            idx.remove_older(i - 100)
        stored = {int(k) for _, keys in idx._runs for k in keys.tolist()} | set(idx._buf_keys)
        assert idx._dead <= stored  # bounded by what is still stored, not by all removals ever
    low = idx._low
    assert low > 0 and len(removed) > 80 and len(idx._dead) < len(removed) / 2
    live = [k for k in range(600) if k >= low and k not in removed]
    assert len(idx) == len(live)
    stored = idx.band_hashes(np.stack(digests))
    q = idx.band_hashes(np.stack(digests[400:600]))
    want = [{k for k in live if (stored[k] == row).any()} for row in q]
    assert idx.query_hashes(q) == want
    with pytest.raises(ValueError):
        idx.insert_hashes([5], q[:1])  # keys must increase


def _state_v1(blob: bytes, version: int = 1) -> bytes:
    """The same state as a version 1 deduper wrote it: no max_bucket parameter."""
    src = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in src.namelist():
            data = src.read(name)
            if name == "state.json":
                meta = json.loads(data)
                meta["version"] = version
                del meta["params"]["max_bucket"]
                data = json.dumps(meta, ensure_ascii=False).encode()
            zf.writestr(name, data)
    return out.getvalue()


def test_state_round_trips_after_evictions(three_days):
    half = len(three_days) // 2
    dd = Deduper(window_days=1.0, max_bucket=8)
    for a in three_days[:half]:
        dd.add(a)
    assert dd._ptable.start > 0  # some paragraphs expired: the table starts past its first row
    blob = dd.to_bytes()
    again = Deduper.from_bytes(blob)
    assert again.to_bytes() == blob and again.max_bucket == 8
    old = Deduper.from_bytes(_state_v1(blob))
    assert old.max_bucket == Deduper().max_bucket  # version 1: the default, the stored index unchanged
    old.max_bucket = 8
    for a in three_days[half : half + 300]:
        want = dd.add_with_matches(a)
        assert again.add_with_matches(a) == want
        assert old.add_with_matches(a) == want
    assert dd.to_bytes() == again.to_bytes()
    with pytest.raises(ValueError, match="version 9"):
        Deduper.from_bytes(_state_v1(blob, version=9))
