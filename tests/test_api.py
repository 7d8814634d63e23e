"""The Python API (`import rasid`) and `python -m rasid`, on the seeds."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import rasid
from rasid.cli import main

SRC = Path(__file__).resolve().parent.parent / "src"


def test_open_add_run_read(tmp_path: Path, seeds_jsonl: Path, seed_texts: dict[str, str]) -> None:
    headline = seed_texts["000"].strip().splitlines()[0]
    with rasid.open(tmp_path / "api.db", workers=1) as news:
        summary = news.add(seeds_jsonl).run(
            {
                "url": "https://example.org/kim",
                "source": "مثال",
                "title": headline,
                "published": "2023-09-17",
            },
            [{"id": "empty"}, "not a record"],
        )
        assert summary.read == 6 and len(summary.added) == 6
        assert sorted(str(e) for e in summary.errors) == [
            "<records 2>#1: record has no title, text, content or html",
            "<records 2>#2: expected a record (a mapping), got str",
        ]
        stories = list(news.stories())
        assert all(isinstance(s, rasid.Story) for s in stories)
        seed = news.story(news.article("000").story)
        assert isinstance(seed, rasid.Story)
        assert set(seed.articles) == {"000", "001", "002", "003", "004", "https://example.org/kim"}
        members = list(news.articles(story=seed.id))
        assert all(isinstance(a, rasid.Article) for a in members) and len(members) == 6
        assert len(list(news.articles())) == 6
        assert news.story("no-such-story") is None and list(news.articles(story="no-such-story")) == []
        assert news.search("كيم")[0]["id"] in seed.articles
        records = list(news.export("stories"))
        assert any(r["id"] == seed.id and r["brief"] for r in records)
        # re-running the same input adds nothing twice; the loaded models are reused
        again = news.run(seeds_jsonl)
        assert again.added == [] and again.already_stored == 5
    # the API's store is the CLI's store
    out = io.StringIO()
    assert main(["export", "--db", str(tmp_path / "api.db"), "--what", "articles"], out=out) == 0
    assert len(out.getvalue().splitlines()) == 6


def test_open_refuses_unknown_settings_and_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown settings \\['wrokers'\\]"):
        rasid.open(tmp_path / "x.db", wrokers=2)
    with rasid.open(tmp_path / "x.db") as news, pytest.raises(TypeError, match="cannot add a int"):
        news.add(3)  # type: ignore[arg-type]


def test_python_dash_m_is_the_command(tmp_path: Path, seeds_jsonl: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    db = tmp_path / "m.db"

    def module(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rasid", *argv],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=600,
            check=False,
        )

    assert module("--version").stdout.strip() == f"rasid {rasid.__version__}"
    ran = module("run", "--db", str(db), "--no-progress", "--log-json", str(seeds_jsonl))
    assert ran.returncode == 0, ran.stderr
    info = [json.loads(line) for line in ran.stderr.splitlines()]
    assert any(r.get("added") == 5 for r in info)
    exported = module("export", "--db", str(db), "--what", "stories")
    out = io.StringIO()
    assert main(["export", "--db", str(db), "--what", "stories"], out=out) == 0
    assert exported.returncode == 0 and exported.stdout == out.getvalue()
    assert module("export", "--what", "nonsense").returncode == 2
