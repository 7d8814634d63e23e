"""End to end through the command line: run, export, search, exit statuses, settings layering."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from storytools import put_stories

from rasid.cli import main
from rasid.settings import load_settings


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def export_articles(db: Path) -> list[dict]:
    code, out, _ = run_cli("export", "--db", str(db), "--what", "articles")
    assert code == 0
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture()
def seeded_db(tmp_path: Path, seeds_jsonl: Path) -> Path:
    db = tmp_path / "seeds.db"
    code, out, err = run_cli("run", "--db", str(db), "--no-progress", str(seeds_jsonl))
    assert code == 0, err
    return db


def test_seeds_clean_and_languages(seeded_db: Path, gold: dict) -> None:
    arts = {a["id"]: a for a in export_articles(seeded_db)}
    assert sorted(arts) == ["000", "001", "002", "003", "004"]
    for noise in gold["noise"]:
        paragraphs = [p["text"] for p in arts[noise["doc"]]["paragraphs"]]
        hits = sum(noise["text"] in p for p in paragraphs)
        limit = 1 if noise["kind"] == "duplicate_caption" else 0
        assert hits <= limit, (noise["kind"], noise["text"])
        assert any(
            noise["text"].strip() in r["text"] or r["text"].strip() in noise["text"]
            for r in arts[noise["doc"]]["removed"]
        ), noise["text"]
    for foreign in gold["foreign_paragraphs"]:
        paras = [p for p in arts[foreign["doc"]]["paragraphs"] if p["text"].startswith(foreign["starts"])]
        assert len(paras) == 1, foreign
        assert paras[0]["lang"] == foreign["lang"]
    for art in arts.values():
        assert art["published"] == next(d["published"] for d in gold["documents"] if d["id"] == art["id"])
        arabic = [p for p in art["paragraphs"] if p["lang"] == "ar"]
        assert len(arabic) >= len(art["paragraphs"]) - 1


def test_rerun_adds_nothing(seeded_db: Path, seeds_jsonl: Path) -> None:
    code, out, _ = run_cli("run", "--db", str(seeded_db), "--no-progress", str(seeds_jsonl))
    assert code == 0
    assert "0 new articles, 5 already stored" in out
    assert len(export_articles(seeded_db)) == 5


def test_search_jsonl_folds_spelling(seeded_db: Path) -> None:
    # The seeds write "الأسبوع" with a hamza; the query writes it without.
    code, out, _ = run_cli("search", "--db", str(seeded_db), "الاسبوع", "--format", "jsonl")
    assert code == 0
    hits = [json.loads(line) for line in out.splitlines()]
    assert hits, "no hit for الاسبوع"
    assert all(set(h) == {"id", "title", "snippet", "score"} for h in hits)
    assert any("الأسبوع" in h["snippet"] for h in hits)


def test_bad_inputs_reported_rest_processed(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.txt").write_text(seed_texts["003"], encoding="utf-8")
    (inbox / "broken.txt").write_bytes(seed_texts["002"].encode("utf-8")[:50] + b"\xff\xfe\xfa" + b"abc")
    (inbox / "empty.txt").write_bytes(b"")
    (inbox / "ghost.txt").symlink_to(tmp_path / "missing.txt")
    db = tmp_path / "x.db"
    code, out, err = run_cli("run", "--db", str(db), "--no-progress", str(inbox))
    assert code == 0
    for name in ("broken.txt", "empty.txt", "ghost.txt"):
        assert name in err
    assert "1 new articles" in out
    code, _, _ = run_cli("run", "--db", str(tmp_path / "y.db"), "--no-progress", "--strict", str(inbox))
    assert code == 1


def test_nothing_usable_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "source": "no title, no text"}\n{broken\n', encoding="utf-8")
    code, _, err = run_cli("run", "--db", str(tmp_path / "z.db"), "--no-progress", str(bad))
    assert code == 1
    assert "line 1" in err and "line 2" in err


def test_json_log(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    (tmp_path / "a.txt").write_text(seed_texts["000"], encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"")
    code, out, err = run_cli(
        "run", "--db", str(tmp_path / "j.db"), "--log-json", "--no-progress", str(tmp_path)
    )
    assert code == 0
    records = [json.loads(line) for line in err.splitlines()]
    assert any(r["level"] == "error" and r["input"].endswith("b.txt") for r in records)
    assert any(r["level"] == "info" and r.get("added") == 1 for r in records)


def test_usage_error_exit_2() -> None:
    assert run_cli("export", "--what", "nonsense")[0] == 2


def test_settings_layering(tmp_path: Path) -> None:
    cfg = tmp_path / "rasid.toml"
    cfg.write_text('max_bytes = 1000\ndb = "from-file.db"\n', encoding="utf-8")
    s = load_settings(cfg, env={"RASID_MAX_BYTES": "2000"}, db="from-flag.db")
    assert s.max_bytes == 2000 and s.db == "from-flag.db"
    assert load_settings(cfg, env={}).db == "from-file.db"
    cfg.write_text("nonsense = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="nonsense"):
        load_settings(cfg, env={})


def test_merged_story_id_still_resolves(tmp_path: Path) -> None:
    """A story id retired by a merge resolves to the story that absorbed it; stdout stays pure JSON."""
    from rasid.model import Story
    from rasid.stages import record_merges
    from rasid.store import open_store

    db = tmp_path / "m.db"
    with open_store(db) as store:
        put_stories(store, [Story(id="s000001", title="kept"), Story(id="s000002", title="absorbed")])
        record_merges(store, {"s000002": "s000001"})
    code, out, err = run_cli("story", "s000002", "--db", str(db), "--format", "json")
    assert code == 0
    assert json.loads(out)["id"] == "s000001"
    assert "merged into s000001" in err
    code, _, err = run_cli("story", "s000003", "--db", str(db))
    assert code == 3 and "s000003" in err
