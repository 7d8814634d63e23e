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


def test_train_stories_on_labelled_news(tmp_path, shared):
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
    assert (
        cli(["run", "--db", db, "--quiet", "--no-progress", str(feed)], out=io.StringIO(), err=io.StringIO())
        == 0
    )
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

    # labels naming no stored article: a clear error, no model written
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"url": "https://example.invalid/x", "event": "e"}) + "\n", encoding="utf-8")
    err = io.StringIO()
    assert (
        cli(
            ["train", "stories", "--db", db, "--gold", str(other), "--out", str(tmp_path / "none")],
            out=io.StringIO(),
            err=err,
        )
        == 1
    )
    assert "other.jsonl" in err.getvalue() and not (tmp_path / "none").exists()


def test_train_stories_on_two_labelled_days_tunes_out_of_fold(tmp_path, shared, monkeypatch):
    """Given two label files, `rasid train stories` tunes the join, merge and core thresholds out of
    fold: the articles of each file are streamed with scorers fitted on the other file's alone."""
    import io

    import rasid_training.stories as training
    from rasid.cli import main as cli
    from rasid.eval.stories import read_gold, write_saudinewsnet_jsonl

    feeds, files = [], []
    for day in ("2015-08-01", "2015-08-02"):
        feed = tmp_path / f"{day}.jsonl"
        write_saudinewsnet_jsonl([shared / "data" / "saudinewsnet" / f"{day}.zip"], feed, limit=120)
        urls = {json.loads(line)["url"] for line in feed.read_text(encoding="utf-8").splitlines()}
        rows = [
            r
            for r in read_gold(shared / "data" / "saudinewsnet-events" / f"dev-{day}.jsonl")
            if r["url"] in urls
        ]
        labels = tmp_path / f"labels-{day}.jsonl"
        labels.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        feeds.append(str(feed))
        files += ["--gold", str(labels)]
    db = str(tmp_path / "two.db")
    for feed in feeds:
        assert (
            cli(["run", "--db", db, "--quiet", "--no-progress", feed], out=io.StringIO(), err=io.StringIO())
            == 0
        )
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
    assert th["tuned"] == "out of fold over 2 label files, on the worst"
    # the fit on both days, then one on each day alone (the out-of-fold scorers)
    assert len(sub_fits) == 3 and sub_fits[0] == got["articles"] == sum(sub_fits[1:]), sub_fits
    assert min(sub_fits) > 0
    assert th["join"] in training.JOIN_GRID and th["merge"] in training.MERGE_GRID
    assert th["core"] in training.CORE_GRID
    own = StoryModel.load_folder(tmp_path / "mine")
    assert own["pair_model"] is not None and own["pair_model"].threshold == th["core"]
    assert "labels-2015-08-01.jsonl" in own["model"].trained_on
