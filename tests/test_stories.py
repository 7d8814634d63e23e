"""Stories: near-duplicates, embeddings, streaming clustering and their evaluation, on real text."""

from __future__ import annotations

import hashlib
import itertools
import json
import random

import numpy as np
import pytest
from storytools import put_stories

from rasid.cluster import StoryClusterer, StoryModel
from rasid.dedup import BandIndex, Deduper, _parse, char_shingles, clauses, reworded_pairs
from rasid.embed import USEEmbedder, article_vectors
from rasid.eval.stories import (
    bcubed,
    duplicate_pairs,
    evaluate_stories_file,
    load_saudinewsnet,
    pairwise,
    read_gold,
    stream_order,
)
from rasid.model import Article, Paragraph
from rasid.pipeline import Batch
from rasid.stories.places import PlaceLexicon
from rasid.stories.scoring import PAIR_FEATURES
from rasid.text.normalize import match_form, tokens

# Recorded floor for the quality gate below: measured 0.940 on 2026-11-21 (docs/benchmarks/stories.md).
GATE_B3_FLOOR = 0.92


@pytest.fixture(scope="module")
def embedder() -> USEEmbedder:
    return USEEmbedder(threads=1)


@pytest.fixture(scope="module")
def seed_articles(gold, seed_texts) -> list[Article]:
    """The seeds as the spine would hand them over: a short first line is the title, the other
    non-empty lines are paragraphs, dates from gold.json."""
    out = []
    for doc in gold["documents"]:
        text = seed_texts[doc["id"]]
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        title = lines[0] if len(lines[0]) <= 120 else ""
        paras = lines[1:] if title else lines
        out.append(
            Article(
                id=doc["id"],
                origin=doc["file"],
                raw_text=text,
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
                title=title,
                published=doc["published"],
                paragraphs=[Paragraph(p) for p in paras],
            )
        )
    return stream_order(out)


@pytest.fixture(scope="module")
def seed_vectors(seed_articles, embedder) -> np.ndarray:
    return article_vectors(seed_articles, embedder)


@pytest.fixture(scope="module")
def dev_day(shared) -> list[Article]:
    return load_saudinewsnet([shared / "data" / "saudinewsnet" / "2015-08-01.zip"])


def _stream(arts, vecs, clusterer=None, deduper=None):
    cl = StoryClusterer() if clusterer is None else clusterer
    dd = Deduper() if deduper is None else deduper
    out = {}
    for a, v in zip(arts, vecs, strict=True):
        out[a.id] = cl.assign(a, v, dd.add(a))
    return out, cl, dd


def _para_index(article: Article, text: str) -> int:
    return next(i for i, p in enumerate(article.paragraphs) if text in p.text)


def test_verbatim_shared_paragraphs_found(gold, seed_articles):
    """Gold near-duplicate passages that are verbatim are found by the paragraph MinHash index."""
    by_id = {a.id: a for a in seed_articles}
    dd = Deduper()
    found = set()
    for a in seed_articles:
        _, matches = dd.add_with_matches(a)
        found |= {frozenset({(m.article, m.paragraph), (m.other, m.other_paragraph)}) for m in matches}
    verbatim = [nd for nd in gold["near_duplicates"] if nd["a"][1] == nd["b"][1]]
    assert len(verbatim) == 2
    for nd in verbatim:
        (ida, ta), (idb, tb) = nd["a"], nd["b"]
        pair = frozenset({(ida, _para_index(by_id[ida], ta)), (idb, _para_index(by_id[idb], tb))})
        assert pair in found, nd["note"]
    # reworded passages are not MinHash's business: nothing between 002 and 004 at this level
    assert not any(
        {a, b} == {"002", "004"} for pair in found for (a, _), (b, _) in [tuple(pair)] if len(pair) == 2
    )


def test_reworded_pair_found_by_embeddings(gold, seed_articles, embedder):
    by_id = {a.id: a for a in seed_articles}
    paras = [(a.id, i, c) for a in seed_articles for i, p in enumerate(a.paragraphs) for c in clauses(p.text)]
    pairs = reworded_pairs(paras, embedder.embed([p[2] for p in paras]))
    got = {frozenset({(m.article, m.paragraph), (m.other, m.other_paragraph)}) for m in pairs}
    reworded = [nd for nd in gold["near_duplicates"] if nd["a"][1] != nd["b"][1]]
    assert reworded
    for nd in reworded:
        (ida, ta), (idb, tb) = nd["a"], nd["b"]
        assert frozenset({(ida, _para_index(by_id[ida], ta)), (idb, _para_index(by_id[idb], tb))}) in got
    # and it stays selective: a small fraction of all cross-article paragraph pairs
    n = len(paras)
    assert len(pairs) < 0.02 * n * (n - 1) / 2


def test_seed_departure_reports_share_a_story(seed_articles, seed_vectors, dev_day):
    """The three reports of Kim's departure (000, 001, 003) join one story; ids are sequential."""
    cl = StoryClusterer()
    cl.prime(dev_day)
    pred, cl, _ = _stream(seed_articles, seed_vectors, clusterer=cl)
    assert pred["000"] == pred["001"] == pred["003"]
    assert sorted(set(pred.values())) == [f"s{i:06d}" for i in range(1, len(set(pred.values())) + 1)]


def test_seeds_form_one_story(seeds_jsonl, embedder, dev_day):
    """The five seeds, read and cleaned as `rasid run` reads them (titles, debris removed,
    paragraph languages), form one story, and so does any four of them: in a fresh clusterer and
    after a real day of news has set its word frequencies. Without 004 (the 16th) the reports of
    the 15th and the 17th are two days apart with no report between. (Built from raw lines instead,
    with the web debris left in and no titles, the factory visit 002 and the display 004 stayed
    apart: the reason the older version of this test was an expected failure.)"""
    from rasid.ingest import read_inputs
    from rasid.process import default_text_pipeline
    from rasid.settings import load_settings

    text = default_text_pipeline()
    arts = stream_order(
        [
            a
            for a in (text.process(d) for d in read_inputs([str(seeds_jsonl)], load_settings()))
            if isinstance(a, Article)
        ]
    )
    assert len(arts) == 5 and all(a.title for a in arts)
    vecs = article_vectors(arts, embedder)
    primed_state = StoryClusterer()
    primed_state.prime(dev_day)
    saved = primed_state.to_bytes()
    for keep in [range(5), *itertools.combinations(range(5), 4)]:
        for primed in (False, True):
            cl = StoryClusterer.from_bytes(saved) if primed else StoryClusterer()
            pred, _, _ = _stream([arts[i] for i in keep], vecs[list(keep)], clusterer=cl)
            assert len(set(pred.values())) == 1, (primed, pred)


@pytest.fixture(scope="module")
def gate_data(shared, embedder):
    """A seeded subset of 2015-08-02 events (all their articles), with vectors and gold."""
    rows = read_gold(shared / "data" / "saudinewsnet-events" / "dev-2015-08-02.jsonl")
    events = sorted({r["event"] for r in rows})
    keep = set(random.Random(20261121).sample(events, 220))
    gold = {r["url"]: r["event"] for r in rows if r["event"] in keep}
    gdup = {r["url"]: r["dup_of"] for r in rows if r["event"] in keep}
    arts = [
        a for a in load_saudinewsnet([shared / "data" / "saudinewsnet" / "2015-08-02.zip"]) if a.id in gold
    ]
    return arts, article_vectors(arts, embedder), gold, gdup


def test_quality_gate_dev_subset(gate_data):
    arts, vecs, gold, gdup = gate_data
    pred, _, dd = _stream(arts, vecs)
    p, r, f = bcubed(pred, gold)
    singletons = bcubed({u: u for u in gold}, gold)[2]
    assert f >= GATE_B3_FLOOR, (p, r, f)
    assert f > singletons + 0.05
    dp, dr = duplicate_pairs({a.id: dd.duplicate_of(a.id) for a in arts}, gdup)
    assert dp >= 0.95 and dr >= 0.85, (dp, dr)


def test_deterministic_and_stable_ids(gate_data):
    arts, vecs, _, _ = gate_data
    half = len(arts) // 2
    first, _, _ = _stream(arts, vecs)
    again, _, _ = _stream(arts, vecs)
    assert first == again
    early, _, _ = _stream(arts[:half], vecs[:half])
    # later articles never renumber earlier stories
    assert all(first[a.id] == early[a.id] for a in arts[:half])


def test_state_round_trip_continues_identically(gate_data):
    arts, vecs, _, _ = gate_data
    half = len(arts) // 2
    whole, _, _ = _stream(arts, vecs)
    cl, dd = StoryClusterer(), Deduper()
    part, cl, dd = _stream(arts[:half], vecs[:half], cl, dd)
    blob_c, blob_d = cl.to_bytes(), dd.to_bytes()
    assert blob_c[:2] == b"PK" and b"pickle" not in blob_c[:200]
    cl2, dd2 = StoryClusterer.from_bytes(blob_c), Deduper.from_bytes(blob_d)
    rest, cl2, dd2 = _stream(arts[half:], vecs[half:], cl2, dd2)
    assert {**part, **rest} == whole
    _, _, dd_whole = _stream(arts, vecs)
    assert [dd2.duplicate_of(a.id) for a in arts] == [dd_whole.duplicate_of(a.id) for a in arts]
    assert cl2.story_of(arts[0].id) == whole[arts[0].id]
    assert cl2.to_bytes() == StoryClusterer.from_bytes(cl2.to_bytes()).to_bytes()


def test_dormant_stories_leave_the_index(gate_data):
    arts, vecs, _, _ = gate_data
    cl = StoryClusterer(dormant_days=0.01)
    _stream(arts[:50], vecs[:50], clusterer=cl)
    late = Article(
        id="late",
        origin="t",
        raw_text=arts[0].raw_text,
        content_hash="x",
        title=arts[0].title,
        published="2015-08-20",
        paragraphs=arts[0].paragraphs,
    )
    sid = cl.assign(late, vecs[0])
    assert sid not in {cl.story_of(a.id) for a in arts[:50]}
    assert not cl.is_active(cl.story_of(arts[0].id))


def test_shipped_model_loads_without_pickle():
    m = StoryModel.load()
    assert len(m.coef) == len(m.features) and 0 < m.threshold < 1


def test_scores_on_small_partitions(shared):
    gold = {"a": "x", "b": "x", "c": "y", "d": "z"}
    assert bcubed(gold, gold) == (1.0, 1.0, 1.0)
    p, r, f = pairwise({"a": "1", "b": "2", "c": "3", "d": "4"}, gold)
    assert (p, r) == (1.0, 0.0)
    p, r, _ = bcubed({k: "all" for k in gold}, gold)
    assert r == 1.0 and p == pytest.approx((2 * 2 / 4 + 2 * 1 / 4) / 4)
    assert duplicate_pairs({"a": None, "b": "a", "c": "a"}, {"a": None, "b": "a", "c": None}) == (1 / 3, 1.0)
    day = shared / "data" / "saudinewsnet-events" / "dev-2015-08-02.jsonl"
    rows = read_gold(day)
    res = evaluate_stories_file(day, {r["url"]: r["event"] for r in rows})
    assert res["bcubed"]["f1"] == 1.0 and res["articles"] == len(rows)


def test_merges_keep_the_older_id_and_move_members(gate_data):
    """A story merged into another retires the younger id; its articles move, the older id stays."""
    arts, vecs, gold, _ = gate_data
    cl = StoryClusterer()
    assert cl.merge_model is not None  # the shipped merge model is on by default
    at_assign, cl, _ = _stream(arts, vecs, clusterer=cl)
    final = {a.id: cl.story_of(a.id) for a in arts}
    moved = {aid: (old, final[aid]) for aid, old in at_assign.items() if final[aid] != old}
    assert moved, "expected the shipped merge model to merge some fragments of the 220 events"
    for old, new in moved.values():
        assert new < old  # ids are sequential: the surviving story is the older one
        assert cl.merged_into(old) == new and cl.members(old) == []
    # merging helps: B-cubed of the final partition beats the assignment-time one
    assert bcubed(final, gold)[2] >= bcubed(at_assign, gold)[2]
    again = StoryClusterer.from_bytes(cl.to_bytes())
    assert all(again.merged_into(old) == new for old, new in moved.values())


def test_merge_bookkeeping_in_the_store(tmp_path):
    from rasid.model import Story
    from rasid.stages import record_merges, story_alias
    from rasid.store import open_store

    with open_store(tmp_path / "m.db") as store:
        put_stories(
            store, [Story(id="s000001", title="a"), Story(id="s000002", title="b"), Story(id="s000003")]
        )
        record_merges(store, {"s000003": "s000002"})
        record_merges(store, {"s000002": "s000001"})
        assert store.get_story("s000002") is None and store.get_story("s000003") is None
        assert story_alias(store, "s000003") == "s000001"  # chains resolve to the live story
        assert story_alias(store, "s000001") is None


def test_model_inputs_are_clipped_to_the_training_range():
    """A story far larger than any seen in training must not get an ever larger size bonus."""
    m = StoryModel.load()
    assert m.lo is not None and m.hi is not None
    size = m.features.index("log_size")
    at_edge = np.asarray([m.hi], dtype=np.float64)
    beyond = at_edge.copy()
    beyond[0, size] = m.hi[size] + 5.0  # a story e^5 times larger than the largest training story
    assert m.proba(beyond)[0] == pytest.approx(m.proba(at_edge)[0])


def test_pair_scorer_extrapolates_only_the_gap():
    """Past the training range the pair scorer's inputs are clipped, except the publication gap:
    reports two weeks apart must score lower than reports at the longest gap seen in training."""
    m = StoryModel.load_pair()
    assert m is not None and m.lo is not None and m.hi is not None
    assert m.unbounded_above == ("gap",)
    gap, lead = m.features.index("gap"), m.features.index("lead")
    at_edge = np.asarray([m.mean], dtype=np.float64)  # a typical pair at the longest gap in training
    at_edge[0, gap] = m.hi[gap]
    far = at_edge.copy()
    far[0, gap] = 14.0
    assert m.proba(far)[0] < m.proba(at_edge)[0] / 100
    lead_edge, lead_beyond = at_edge.copy(), at_edge.copy()
    lead_edge[0, lead], lead_beyond[0, lead] = m.hi[lead], m.hi[lead] + 5.0
    assert m.proba(lead_beyond)[0] == pytest.approx(m.proba(lead_edge)[0])
    again = StoryModel.from_json(m.to_json(), PAIR_FEATURES)
    assert again.unbounded_above == ("gap",)
    old = json.loads(m.to_json())
    del old["unbounded_above"]  # a model saved before the field: everything clipped, as then
    clipped = StoryModel.from_json(json.dumps(old), PAIR_FEATURES)
    assert clipped.proba(far)[0] == pytest.approx(m.proba(at_edge)[0])


def test_a_running_story_stops_taking_reports_far_from_its_first_ones(gate_data):
    """Six reports a day of one text: a story that has grown past its window and turned late keeps
    comparing new reports with its first ones, so after some days the next report starts a new
    story; without that check (`anchor_core=False`), or while the story is not late (here: never,
    `late_after_days=99`), the recent members alone carry it on for the whole stream. (A late
    story's higher join threshold is left out: `late_threshold=0`.)"""
    arts, vecs, _, _ = gate_data
    base = arts[0]
    opened: dict[tuple[bool, float], list[int]] = {}
    for anchor, late_after in ((True, 3.0), (False, 3.0), (True, 99.0)):
        cl = StoryClusterer(merges=False, late_after_days=late_after, late_threshold=0.0, anchor_core=anchor)
        first: dict[str, int] = {}
        for day in range(1, 20):
            for a in _copies(base, 6, f"2015-07-{day + 10:02d}T10:00:00", f"d{day}"):
                first.setdefault(cl.assign(a, vecs[0]), day)
        opened[anchor, late_after] = sorted(first.values())
        again = StoryClusterer.from_bytes(cl.to_bytes())
        assert again.anchor_core is anchor
    assert opened[False, 3.0] == [1]
    assert opened[True, 99.0] == [1]
    assert len(opened[True, 3.0]) >= 2 and opened[True, 3.0][1] > 3, opened


def test_long_story_keeps_a_bounded_window_in_the_index(gate_data):
    from rasid.cluster import MEMBER_WINDOW
    from rasid.stories.index import ANCHORS

    arts, vecs, _, _ = gate_data
    base = arts[0]
    copies = [
        Article(
            id=f"copy-{i}",
            origin="t",
            raw_text=base.raw_text,
            content_hash=f"h{i}",
            title=base.title,
            published=base.published,
            paragraphs=base.paragraphs,
            source=f"paper{i % 7}",
        )
        for i in range(3 * MEMBER_WINDOW)
    ]
    cl = StoryClusterer()
    sids = {cl.assign(a, vecs[0]) for a in copies}
    assert len(sids) == 1
    sid = sids.pop()
    assert len(cl.members(sid)) == 3 * MEMBER_WINDOW  # every article stays in the story
    pos = cl._index[sid]
    rows = np.nonzero(cl._members.label[: cl._members.n] == pos)[0]
    assert len(rows) == ANCHORS + MEMBER_WINDOW  # its first reports and its latest ones
    kept = [cl._member_ids[r] for r in rows]
    assert kept == [a.id for a in copies[:ANCHORS]] + [a.id for a in copies[-MEMBER_WINDOW:]]
    again = StoryClusterer.from_bytes(cl.to_bytes())
    assert again.assign(base, vecs[0]) == sid  # the (known) article keeps its story after a reload


def test_shared_text_memo_changes_no_decision(gate_data):
    """The clusterer reading the deduper's tokens (as the stories stage can wire them) decides
    exactly as one that tokenises each body itself."""
    arts, vecs, _, _ = gate_data
    alone, _, _ = _stream(arts, vecs)
    dd, cl = Deduper(), StoryClusterer()
    cl.text_memo = dd.text_memo
    shared, _, _ = _stream(arts, vecs, cl, dd)
    assert shared == alone
    last = arts[-1].text
    assert dd.text_memo.tokens(last) is dd.text_memo.tokens(last)  # served from the memo
    assert dd.text_memo.tokens(last) == tokens(last)
    assert dd.text_memo.tokens(arts[0].text) == tokens(arts[0].text)  # long gone: tokenised afresh


def test_deduper_paragraph_parse_equals_whole_body(dev_day):
    """The deduper tokenises paragraph by paragraph and builds a body's MinHash from its paragraphs'
    digests: both must equal the direct computation on the whole body."""
    dd = Deduper()
    checked = 0
    for a in dev_day[:300]:
        dd.add(a)
        parsed = _parse(a)
        assert parsed.tokens == tokens(a.text)
        assert parsed.mf_len == len(match_form(a.text))
        key = dd._key_of[a.id]
        if key in dd._digests:
            assert (dd._digests[key] == dd._digest(char_shingles(a.text))).all(), a.id
            checked += 1
    assert checked > 200


def test_band_index_batch_query_equals_brute_force(dev_day):
    """A batched query finds exactly the live entries sharing a band, through runs and buffer."""
    dd = Deduper()
    digests = [
        dd._digest(char_shingles(p.text)) for a in dev_day[:200] for p in a.paragraphs if len(p.text) >= 40
    ][:400]
    assert len(digests) == 400
    idx = BandIndex(40, 3, buffer=64)  # small buffer: several runs and merges
    for i in range(0, 300, 5):  # batches, as the deduper inserts an article's paragraphs
        idx.insert_hashes(list(range(i, i + 5)), idx.band_hashes(np.stack(digests[i : i + 5])))
    dead = set(range(0, 300, 7))
    for i in dead:
        idx.remove(i)
    stored = idx.band_hashes(np.stack(digests[:300]))
    q = idx.band_hashes(np.stack(digests[250:400]))
    want = [{i for i in range(300) if i not in dead and (stored[i] == row).any()} for row in q]
    assert idx.query_hashes(q) == want
    assert [idx.query(d) for d in digests[250:260]] == want[:10]
    assert sum(1 for w in want if w) >= 40 and len(idx) == 300 - len(dead)


@pytest.mark.slow
def test_article_vectors_from_a_worker_process_equal_the_thread_ones(seed_articles, tmp_path):
    """A large batch is embedded in a worker process (beside the clusterer, out of the interpreter
    lock); a small one on a thread. Both give the same vectors, in article order, and cache them."""
    from rasid.engine.prefetch import VectorsAhead
    from rasid.store import open_store

    ids = [a.id for a in seed_articles]
    got = {}
    for name, process_min in (("thread", 10**6), ("process", 1)):
        with open_store(str(tmp_path / f"{name}.db")) as store:
            store.add_articles(seed_articles)
            with VectorsAhead(store, "k", USEEmbedder(threads=1), seed_articles, 2, process_min) as vecs:
                got[name] = np.vstack([vecs.get(i) for i in ids])
            assert set(store.get_vectors("k", ids)) == set(ids)
    assert got["thread"].shape == (len(ids), 512)
    assert np.allclose(got["thread"], got["process"], atol=1e-6)


@pytest.mark.slow
def test_the_embedding_worker_started_while_articles_are_stored_serves_the_stage(
    seed_articles, tmp_path, monkeypatch
):
    """`prepare` starts the embedding worker while the text half still runs; `update` then embeds
    through it (no second worker, whatever the batch size), and `end` stops it."""
    import rasid.engine.pool as pool_mod
    import rasid.engine.prefetch as prefetch_mod
    from rasid.settings import load_settings
    from rasid.stages import StoriesStage
    from rasid.store import open_store

    started: list[str] = []

    class Counting(pool_mod.WorkerPool):
        def __init__(self, worker, workers, method, *a, **kw) -> None:  # noqa: ANN001
            started.append(method)
            super().__init__(worker, workers, method, *a, **kw)

    monkeypatch.setattr(prefetch_mod, "WorkerPool", Counting)
    settings = load_settings(env={}, db=str(tmp_path / "s.db"))
    stage = StoriesStage(settings, embedder=USEEmbedder(threads=1), embed_process_min=3)
    with open_store(settings.db) as store:
        store.add_articles(seed_articles)
        stage.prepare(2)
        assert started == []
        stage.prepare(len(seed_articles))
        assert started == ["vectors"]
        touched = stage.update(store, Batch(tuple(a.id for a in seed_articles))).ids
        stage.end(False)
        kind = stage._kind()
        kept = store.get_vectors(kind, [a.id for a in seed_articles])
    assert started == ["vectors"] and stage._pool is None
    assert touched and set(kept) == {a.id for a in seed_articles}
    assert np.allclose(
        np.vstack([kept[a.id] for a in seed_articles]),
        article_vectors(seed_articles, USEEmbedder(threads=1)),
        atol=1e-6,
    )


def _copies(base: Article, n: int, day: str, tag: str) -> list[Article]:
    return [
        Article(
            id=f"{tag}-{i}",
            origin="t",
            raw_text=base.raw_text,
            content_hash=f"{tag}{i}",
            title=base.title,
            published=day,
            paragraphs=base.paragraphs,
            source=f"paper{i % 5}",
        )
        for i in range(n)
    ]


def test_old_large_story_needs_strong_evidence(gate_data):
    """A story open for more than `late_after_days` with `late_min_size` articles is joined only at
    `late_threshold`; a small story of the same age still takes the same report."""
    arts, vecs, _, _ = gate_data
    base = arts[0]
    later = _copies(base, 1, "2015-08-04T12:00:00", "later")[0]
    for size, joins in ((10, False), (3, True)):
        cl = StoryClusterer(merges=False, late_after_days=2.0, late_threshold=1.01, late_min_size=8)
        sids = {cl.assign(a, vecs[0]) for a in _copies(base, size, "2015-08-02T00:00:00", f"early{size}")}
        assert len(sids) == 1
        sid = sids.pop()
        assert (
            cl._join_threshold(cl._index[sid]) == cl.model.threshold
        )  # not late yet: nothing seen after day 0
        got = cl.assign(later, vecs[0])
        assert (got == sid) is joins, (size, got, sid)
    # the same 10-article story, reported again within the window, is joined
    cl = StoryClusterer(merges=False, late_after_days=2.0, late_threshold=1.01, late_min_size=8)
    sids = {cl.assign(a, vecs[0]) for a in _copies(base, 10, "2015-08-02T00:00:00", "e")}
    assert cl.assign(_copies(base, 1, "2015-08-03T12:00:00", "soon")[0], vecs[0]) in sids
    again = StoryClusterer.from_bytes(cl.to_bytes())
    assert (again.late_after_days, again.late_threshold, again.late_min_size) == (2.0, 1.01, 8)


def test_old_large_story_takes_no_merge(gate_data):
    """A late story (open for more than `late_after_days`, `late_min_size` articles) is kept out of
    merges unless `late_merges`: a later report it declined stays apart even when the merge model
    would take any pair, and merges with a fresh story instead."""
    arts, vecs, _, _ = gate_data
    base, other = arts[0], arts[1]
    later = _copies(base, 1, "2015-08-04T12:00:00", "later")[0]
    for late_merges in (False, True):
        cl = StoryClusterer(
            late_after_days=2.0, late_threshold=1.01, late_min_size=8, late_merges=late_merges
        )
        cl.merge_model.threshold = 0.0  # every pair the merge step scores would merge
        cl.pair_model.threshold = 0.0  # and pass the core check (tested in test_merge_needs_core_linkage)
        old = {cl.assign(a, vecs[0]) for a in _copies(base, 10, "2015-08-02T00:00:00", "early")}
        assert len(old) == 1
        small = cl.assign(_copies(other, 1, "2015-08-04T11:00:00", "small")[0], vecs[1])
        assert small not in old
        got = cl.assign(later, vecs[0])
        if late_merges:
            assert got in old  # its fresh story merged into the late one
        else:
            assert got not in old and got == cl.story_of("small-0")
            assert all(cl.story_of(f"early-{i}") in old for i in range(10))
        assert StoryClusterer.from_bytes(cl.to_bytes()).late_merges is late_merges


def test_merge_needs_core_linkage(gate_data):
    """Two stories merge only when their recent members are, on average, close by the pair scorer
    (the join's core check applied to a merge): with the merge model taking any pair, the nearest
    report of another event is absorbed when the check lets every pair through and stays apart
    when it lets none through."""
    arts, vecs, gold, _ = gate_data
    base = arts[0]
    j = max(
        (i for i, a in enumerate(arts) if gold[a.id] != gold[base.id]), key=lambda i: float(vecs[i] @ vecs[0])
    )
    for threshold, merged in ((0.0, True), (1.01, False)):
        cl = StoryClusterer(late_min_size=100)
        cl.merge_model.threshold = 0.0  # every pair the merge step scores would merge
        old = {cl.assign(a, vecs[0]) for a in _copies(base, 4, "2015-08-02T00:00:00", "early")}
        assert len(old) == 1
        k = next(i for i, a in enumerate(arts) if gold[a.id] not in (gold[base.id], gold[arts[j].id]))
        cl.assign(arts[k], vecs[k])  # a second story: the merge step weighs two candidates or more
        cl.pair_model.threshold = threshold
        sid = cl.assign(_copies(arts[j], 1, "2015-08-02T01:00:00", "other")[0], vecs[j])
        assert (sid in old) is merged, (threshold, sid, old)
    pos = cl._index[next(iter(old))]
    r = cl._rows_by_story([pos])[pos]
    cl.pair_model.threshold = 0.5
    assert cl._merge_core_ok(r, r)  # a story's copies are one core


def _titled(base: Article, aid: str, title: str) -> Article:
    return Article(
        id=aid,
        origin="t",
        raw_text=base.raw_text,
        content_hash=aid,
        title=title,
        published="2015-08-02T00:00:00",
        paragraphs=base.paragraphs,
        source=f"paper-{aid}",
    )


def test_stories_whose_headlines_name_other_places_do_not_merge(gate_data):
    """Two reports of one kind from two regions (here the same body under two headlines) stay two
    stories when their headlines name places and none in common; with the same place, or a headline
    naming none, they merge. The merge model and the core check take any pair here, and no article
    joins a story directly, so only the places decide."""
    arts, vecs, gold, _ = gate_data
    base = arts[0]
    k = next(i for i, a in enumerate(arts) if gold[a.id] != gold[base.id])
    lexicon = PlaceLexicon({"جازان", "نجران", "مدينه المنوره"})
    first = "لجنة الانتخابات البلدية في جازان تبدأ تدريب أعضائها"
    for title, merged in (
        ("بدء تدريب أعضاء لجنة الانتخابات البلدية بجازان", True),
        ("لجنة الانتخابات البلدية في نجران تبدأ تدريب أعضائها", False),
        ("لجنة الانتخابات البلدية في المدينة المنورة تبدأ تدريب أعضائها", False),
        ("لجان الانتخابات البلدية تبدأ تدريب أعضائها", True),
    ):
        cl = StoryClusterer(late_min_size=100, places=lexicon)
        cl.model.threshold = 1.01  # no join: each report starts its own story
        cl.merge_model.threshold = 0.0  # every pair the merge step scores would merge
        cl.pair_model.threshold = 0.0  # and pass the core check
        a = cl.assign(_titled(base, "a", first), vecs[0])
        cl.assign(arts[k], vecs[k])  # a second story: the merge step weighs two candidates or more
        b = cl.assign(_titled(base, "b", title), vecs[0])
        assert (b == a) is merged, title
    assert lexicon.of_title(first) == {"جازان"}
    assert lexicon.of_title("وصول وفد من المدينة المنورة إلى نجران") == {"مدينه المنوره", "نجران"}
    # a dateline names where the report was filed, not the happening's place
    assert lexicon.of_title("(نجران) – بدأت لجنة الانتخابات البلدية تدريب أعضائها") == frozenset()
    assert lexicon.of_title("نجران: بدء تدريب أعضاء لجنة الانتخابات") == {"نجران"}
    assert StoryClusterer.from_bytes(cl.to_bytes()).places is not None
    assert StoryClusterer.from_bytes(StoryClusterer(place_merges=False).to_bytes()).places is None


def test_shipped_place_lexicon_reads_headlines():
    places = PlaceLexicon.load()
    assert len(places.keys) > 1000
    assert places.of_title("أمير منطقة عسير يستقبل مدير الدفاع المدني بأبها") == {"عسير", "ابها"}
    assert places.of_title("الهيئة تعلن نتائج الاجتماع السنوي") == frozenset()


def _foreign(aid: str, title: str, text: str, lang: str, when: str) -> Article:
    return Article(
        id=aid,
        origin="test",
        raw_text=text,
        content_hash=aid,
        title=title,
        published=when,
        source=f"wire-{lang}",
        paragraphs=[Paragraph(text, lang=lang)],
    )


def _seed_story_reports() -> tuple[Article, Article]:
    """An English and a French report of the seed story's happening, written for these tests."""
    en = _foreign(
        "en",
        "Kim Jong Un leaves Russia after his visit to Vladivostok",
        "North Korean leader Kim Jong Un ended his visit to Russia on Sunday and left Vladivostok on "
        "his armoured train, after talks with President Vladimir Putin at the Vostochny space centre "
        "and tours of military and aircraft plants.",
        "en",
        "2023-09-17T12:00:00",
    )
    fr = _foreign(
        "fr",
        "Kim Jong Un quitte la Russie après sa visite à Vladivostok",
        "Le dirigeant nord-coréen Kim Jong Un a quitté la Russie dimanche à bord de son train blindé, "
        "après des entretiens avec Vladimir Poutine au cosmodrome de Vostotchny et la visite d'usines "
        "militaires et aéronautiques.",
        "fr",
        "2023-09-17T13:00:00",
    )
    return en, fr


def test_english_and_french_reports_join_the_arabic_story(seed_articles, seed_vectors, embedder, dev_day):
    """An English and a French report of the seed story's happening join its Arabic story through
    the cross-language scorer; an unrelated English report does not."""
    en, fr = _seed_story_reports()
    oil = _foreign(
        "oil",
        "Oil prices rise on supply worries",
        "Oil prices rose on Sunday as traders weighed tighter supplies after production cuts by "
        "large exporters; Brent crude gained more than one percent to settle above 90 dollars a "
        "barrel.",
        "en",
        "2023-09-17T14:00:00",
    )
    extra = [en, fr, oil]
    vecs = np.vstack([seed_vectors, article_vectors(extra, embedder)])
    for cross in (True, False):
        cl = StoryClusterer() if cross else StoryClusterer(cross_model=None)
        if not cross:  # the shipped cross-language scorers switched off
            cl.cross_model = cl.cross_merge_model = None
        cl.prime(dev_day)
        got, _, _ = _stream([*seed_articles, *extra], vecs, clusterer=cl)
        seed_stories = {got[a.id] for a in seed_articles}
        if cross:
            assert got["en"] in seed_stories and got["fr"] == got["en"], got
            assert got["oil"] not in seed_stories and got["oil"] != got["en"], got
            assert cl._stories[cl._index[got["en"]]].langs.keys() >= {"ar", "en", "fr"}
        else:  # without it, the lexical signals (zero across languages) keep every report apart
            assert got["en"] not in seed_stories and got["fr"] not in seed_stories, got


def test_stories_in_different_languages_merge(seed_articles, seed_vectors, embedder, dev_day):
    """An English report that arrived first has a story of its own; the Arabic reports that follow
    are kept apart at assignment here (cross-language scorer off), and the cross-language merge
    scorer brings the two stories together. Without it they stay apart. A saved state keeps both
    scorers as they were."""
    en, fr = _seed_story_reports()
    # 004 quotes an English tweet: it shares English words with the English report and may join it
    # on those alone, and the other Arabic reports would follow it in; the four others share none
    keep = [i for i, a in enumerate(seed_articles) if a.id != "004"]
    arabic = [seed_articles[i] for i in keep]
    arts = [en, fr, *arabic]
    vecs = np.vstack([article_vectors([en, fr], embedder), seed_vectors[keep]])
    for merge_across in (True, False):
        cl = StoryClusterer()
        cl.cross_model = None
        if not merge_across:
            cl.cross_merge_model = None
        cl.prime(dev_day)
        _stream(arts, vecs, clusterer=cl)
        final = {a.id: cl.story_of(a.id) for a in arts}
        arabic_with_en = [a.id for a in arabic if final[a.id] == final["en"]]
        assert bool(arabic_with_en) is merge_across, final
    again = StoryClusterer.from_bytes(cl.to_bytes())
    assert again.cross_model is None and again.cross_merge_model is None
