"""The `story_models` setting: story scorers fitted on one's own labels, read from a folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rasid.cluster import StoryModel
from rasid.settings import load_settings
from rasid.stages import StoriesStage
from rasid.stages.story_state import CLUSTER_BLOB
from rasid.store import open_store


def _own_model(folder: Path, threshold: float) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    d = json.loads(StoryModel.load().to_json())
    d["threshold"] = threshold
    (folder / "story_model.json").write_text(json.dumps(d), encoding="utf-8")


def test_folder_model_and_shipped_fallbacks(tmp_path):
    _own_model(tmp_path, 0.77)
    got = StoryModel.load_folder(tmp_path)
    assert got["model"] is not None and got["model"].threshold == 0.77
    # the folder has no merge or cross-language file: those are the shipped ones
    shipped = StoryModel.load_merge()
    assert shipped is not None and got["merge_model"] is not None
    assert got["merge_model"].coef == shipped.coef
    assert got["cross_model"] is not None and got["cross_merge_model"] is not None


def test_folder_without_a_model_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="story_model.json"):
        StoryModel.load_folder(tmp_path / "nowhere")


def test_a_new_store_starts_with_the_setting_and_keeps_its_scorers(tmp_path):
    _own_model(tmp_path / "mine", 0.66)
    db = str(tmp_path / "s.db")
    with open_store(db) as store:
        stage = StoriesStage(load_settings(env={}, db=db, story_models=str(tmp_path / "mine")))
        clusterer = stage.load_state(store).clusterer
        assert clusterer.model.threshold == 0.66
        store.put_blob(CLUSTER_BLOB, clusterer.to_bytes())
        # a store that has a story state keeps the scorers it started with, whatever the setting says
        again = StoriesStage(load_settings(env={}, db=db)).load_state(store).clusterer
        assert again.model.threshold == 0.66
    with open_store(str(tmp_path / "t.db")) as store:
        fresh = StoriesStage(load_settings(env={}, db=str(tmp_path / "t.db"))).load_state(store).clusterer
        assert fresh.model.threshold == StoryModel.load().threshold


def _store_with_stories(db: str, feed: Path) -> None:
    """Store `feed` and place its articles in stories, as `rasid run` does, without the
    understanding stage (training reads the stored articles only)."""
    from rasid.ingest import Ingestor
    from rasid.runner import build_runner
    from rasid.stages import default_stages

    settings = load_settings(env={}, db=db)
    with open_store(db) as store, Ingestor(settings) as reader:
        summary = build_runner(
            store, settings, reader, stages=default_stages(settings, understand=False), workers=1
        ).run([str(feed)])
    assert summary.added and not summary.errors


@pytest.fixture
def coarse_grids(monkeypatch):
    """Coarser threshold grids for the training procedure (each grid value is one more stream of
    the labelled articles; the full grids made the two CLI tests below half the suite's time).
    What the tests check, the wiring and where each threshold comes from, is the same."""
    import rasid_training.stories as training

    monkeypatch.setattr(training, "JOIN_GRID", (0.2, 0.35, 0.5, 0.65, 0.8))
    monkeypatch.setattr(training, "MERGE_GRID", (0.5, 0.7, 0.9, 0.97))
    monkeypatch.setattr(training, "CORE_GRID", (0.0, 0.15, 0.3))


def test_train_stories_on_labelled_news(tmp_path, shared, coarse_grids):
    """`rasid train stories` fits the four scorers on stored, labelled articles (the first 300 of a
    real labelled day), and a new store can start from them."""
    import io

    from rasid.cli import main as cli
    from rasid.eval.stories import bcubed, read_gold, write_saudinewsnet_jsonl

    day = shared / "data" / "saudinewsnet" / "2015-08-01.zip"
    feed = tmp_path / "day.jsonl"
    write_saudinewsnet_jsonl([day], feed, limit=300)
    urls = {json.loads(line)["url"] for line in feed.read_text(encoding="utf-8").splitlines()}
    labels = tmp_path / "labels.jsonl"
    rows = [
        r
        for r in read_gold(shared / "data" / "saudinewsnet-events" / "dev-2015-08-01.jsonl")
        if r["url"] in urls
    ]
    labels.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    db = str(tmp_path / "lab.db")
    _store_with_stories(db, feed)
    with open_store(db) as store:
        stored = sum(a.url in urls for a in store.iter_articles())

    out = io.StringIO()
    assert (
        cli(["train", "stories", "--db", db, "--gold", str(labels), "--out", str(tmp_path / "mine")], out=out)
        == 0
    )
    got = json.loads(out.getvalue())
    assert got["articles"] == stored and got["labels_not_in_store"] == len(rows) - stored
    assert got["candidate_rows"] > got["same_event_rows"] > 0
    assert 0.2 <= got["thresholds"]["join"] <= 0.8 and 0.5 <= got["thresholds"]["merge"] <= 0.97
    singles = bcubed({r["url"]: r["url"] for r in rows}, {r["url"]: r["event"] for r in rows})[2]
    assert got["in_sample"]["bcubed"]["f"] > singles + 0.02  # it groups, and groups mostly right
    own = StoryModel.load_folder(tmp_path / "mine")
    assert own["model"] is not None and own["model"].threshold == got["thresholds"]["join"]
    assert "labels.jsonl" in own["model"].trained_on

    def refused(gold: Path, out_dir: str) -> str:
        """What `rasid train stories` printed on standard error when it refused `gold` (exit 1)."""
        err = io.StringIO()
        args = ["train", "stories", "--db", db, "--gold", str(gold), "--out", str(tmp_path / out_dir)]
        assert cli(args, out=io.StringIO(), err=err) == 1
        return err.getvalue()

    # labels naming no stored article: a clear error, no model written
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"url": "https://example.invalid/x", "event": "e"}) + "\n", encoding="utf-8")
    assert "other.jsonl" in refused(other, "none") and not (tmp_path / "none").exists()

    # too few labelled articles to fit on: one line that says how many there were
    few = tmp_path / "few.jsonl"
    few.write_text("".join(json.dumps(r) + "\n" for r in rows[:8]), encoding="utf-8")
    line = refused(few, "few").strip()
    assert "\n" not in line and "8 " in line and "articles" in line and not (tmp_path / "few").exists()


def test_train_stories_on_two_labelled_days_tunes_out_of_fold(tmp_path, shared, monkeypatch, coarse_grids):
    """Given two label files, `rasid train stories` tunes the join, merge and core thresholds out of
    fold: the articles of each file are streamed with scorers fitted on the other file's (and on a
    `--train-only` file's, whose articles no threshold is scored on)."""
    import io

    import rasid_training.stories as training
    from rasid.cli import main as cli
    from rasid.eval.stories import read_gold, write_saudinewsnet_jsonl

    feeds, files = [], []
    for day in ("2015-08-01", "2015-08-02", "2015-08-03"):
        feed = tmp_path / f"{day}.jsonl"
        write_saudinewsnet_jsonl(
            [shared / "data" / "saudinewsnet" / f"{day}.zip"], feed, limit=60 if day == "2015-08-03" else 120
        )
        urls = {json.loads(line)["url"] for line in feed.read_text(encoding="utf-8").splitlines()}
        rows = [
            r
            for r in read_gold(shared / "data" / "saudinewsnet-events" / f"dev-{day}.jsonl")
            if r["url"] in urls
        ]
        labels = tmp_path / f"labels-{day}.jsonl"
        labels.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        feeds.append(feed)
        # the third day's labels train the scorers only
        files += ["--train-only" if day == "2015-08-03" else "--gold", str(labels)]
    db = str(tmp_path / "two.db")
    for feed in feeds:
        _store_with_stories(db, feed)
    sub_fits: list[int] = []
    real = training.fit_story_models

    def counting(arts, *a, **kw):  # type: ignore[no-untyped-def]
        sub_fits.append(len(arts))
        return real(arts, *a, **kw)

    monkeypatch.setattr(training, "fit_story_models", counting)
    out = io.StringIO()
    assert cli(["train", "stories", "--db", db, *files, "--out", str(tmp_path / "mine")], out=out) == 0
    got = json.loads(out.getvalue())
    th = got["thresholds"]
    assert th["tuned"] == "out of fold over 2 label files, on the worst (and 1 training only)"
    # the fit on the three days, then one on each scored day left out (the out-of-fold scorers),
    # each holding the training-only day's articles
    assert len(sub_fits) == 3 and sub_fits[0] == got["articles"], sub_fits
    # each out-of-fold fit: the other scored day and the third day (so the third is counted twice)
    third = sub_fits[1] + sub_fits[2] - got["articles"]
    assert 0 < third <= 60 and min(sub_fits[1:]) > third, sub_fits
    assert th["join"] in training.JOIN_GRID and th["merge"] in training.MERGE_GRID
    assert th["core"] in training.CORE_GRID
    own = StoryModel.load_folder(tmp_path / "mine")
    assert own["pair_model"] is not None and own["pair_model"].threshold == th["core"]
    assert "labels-2015-08-01.jsonl" in own["model"].trained_on


def test_train_only_articles_join_every_out_of_fold_fit(shared, monkeypatch):
    """`train_only` articles (a day whose labels miss links) train each out-of-fold fit but are not
    a part the thresholds are scored on: with two parts, both out-of-fold fits hold them."""
    import rasid_training.stories as training
    from rasid.embed import USEEmbedder, article_vectors
    from rasid.eval.stories import load_saudinewsnet, read_gold

    arts, gold, sizes = [], {}, []
    for day, n in (("2015-08-01", 120), ("2015-08-02", 120), ("2015-08-03", 60)):
        got = load_saudinewsnet([shared / "data" / "saudinewsnet" / f"{day}.zip"])[:n]
        labels = {
            r["url"]: r["event"]
            for r in read_gold(shared / "data" / "saudinewsnet-events" / f"dev-{day}.jsonl")
        }
        arts += got
        gold.update({a.id: labels[a.id] for a in got})
        sizes.append(len(got))
    vecs = article_vectors(arts, USEEmbedder(threads=1))
    a, b, _ = sizes
    parts = [list(range(a)), list(range(a, a + b))]
    extra = list(range(a + b, len(arts)))
    seen: list[set[str]] = []
    real = training.fit_story_models

    def recording(fit_arts, *args, **kw):  # type: ignore[no-untyped-def]
        seen.append({x.id for x in fit_arts})
        return real(fit_arts, *args, **kw)

    monkeypatch.setattr(training, "fit_story_models", recording)
    grids = ((0.3, 0.5), (0.5, 0.85), (0.0, 0.2))
    th = training._out_of_fold_thresholds(arts, vecs, {}, gold, parts, grids, 1.0, True, extra)
    assert len(seen) == 2
    extra_ids = {arts[i].id for i in extra}
    for k, fit_ids in enumerate(seen):
        own = {arts[i].id for i in parts[k]}
        other = {arts[i].id for i in parts[1 - k]}
        # each fit: the other part and the train-only articles, never the part it is scored on
        assert fit_ids == other | extra_ids and not fit_ids & own
    assert th[0] in grids[0] and th[1] in grids[1] and th[2] in grids[2]


def test_streams_sharing_text_caches_decide_as_fresh_ones(shared):
    """A fit's streams share word and text caches (`TextCaches`): a stream over caches another
    stream has filled places every article and logs every row as a stream with fresh ones."""
    from collections import Counter

    import numpy as np

    import rasid_training.stories as training
    from rasid.embed import USEEmbedder, article_vectors
    from rasid.eval.stories import load_saudinewsnet, read_gold, stream_order

    labels = {
        r["url"]: r["event"]
        for r in read_gold(shared / "data" / "saudinewsnet-events" / "dev-2015-08-02.jsonl")
    }
    day = load_saudinewsnet([shared / "data" / "saudinewsnet" / "2015-08-02.zip"])
    # reports of events told three times or more, so that some join
    sizes = Counter(labels[a.id] for a in day)
    arts = stream_order([a for a in day if sizes[labels[a.id]] >= 3][:80])
    gold = {a.id: labels[a.id] for a in arts}
    vecs = article_vectors(arts, USEEmbedder(threads=1))
    model, merge = StoryModel.load(), StoryModel.load_merge()
    caches = training.TextCaches()
    first = training.stream(arts, vecs, {}, model, merge, caches=caches)
    assert caches.terms and caches.grams  # filled by the first stream
    again = training.stream(arts, vecs, {}, model, merge, caches=caches)
    fresh = training.stream(arts, vecs, {}, model, merge)
    assert first == again == fresh
    assert len(set(fresh.values())) < len(arts)  # some articles joined: the check compares decisions
    shared_rows = training.candidate_blocks(arts, vecs, {}, gold, caches=caches)
    fresh_rows = training.candidate_blocks(arts, vecs, {}, gold)
    assert len(shared_rows) == len(fresh_rows) > 0
    for (xs, ys), (xf, yf) in zip(shared_rows, fresh_rows, strict=True):
        assert np.array_equal(xs, xf) and np.array_equal(ys, yf)
