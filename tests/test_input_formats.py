"""Other tools' JSON (trafilatura, news-please) and legacy Arabic encodings, on real text.

trafilatura's record is made by trafilatura itself from a page holding a seed article; the
news-please record carries a SaudiNewsNet article under news-please's field names.
"""

from __future__ import annotations

import html
import json
import logging
import zipfile
from pathlib import Path

import pytest
import trafilatura

from rasid.ingest import Ingestor
from rasid.model import IngestError, RawDoc
from rasid.process import default_text_pipeline
from rasid.settings import Settings


def _read(path: Path) -> tuple[list[RawDoc], list[IngestError]]:
    docs: list[RawDoc] = []
    errors: list[IngestError] = []
    with Ingestor(Settings()) as ingestor:
        for item in ingestor.read(str(path)):
            (errors if isinstance(item, IngestError) else docs).append(item)
    return docs, errors


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def snn_article(shared: Path) -> dict:
    with zipfile.ZipFile(shared / "data" / "saudinewsnet" / "2015-08-01.zip") as zf:
        articles = json.loads(zf.read(zf.namelist()[0]))
    return next(a for a in articles if a["title"].strip() and a["content"].count("\n") >= 3)


def _page(title: str, body: list[str]) -> str:
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in body)
    return (
        f'<html lang="ar"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        '<link rel="canonical" href="https://www.example.com/news/kim-russia">'
        '<meta property="og:site_name" content="الرأي الثالث">'
        '<meta property="article:published_time" content="2023-09-17T09:15:00+03:00">'
        f"</head><body><article><h1>{html.escape(title)}</h1>{paras}</article></body></html>"
    )


def test_trafilatura_json_keeps_url_date_and_site(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    lines = _paragraphs(seed_texts["001"])
    out = trafilatura.extract(_page(lines[0], lines[1:]), output_format="json", with_metadata=True)
    rec = json.loads(out)
    assert rec["source"].startswith("https://") and "url" not in rec  # the shape this test is about
    path = tmp_path / "traf.json"
    path.write_text(out, encoding="utf-8")
    (doc,), errors = _read(path)
    assert errors == []
    assert doc.url == doc.id == "https://www.example.com/news/kim-russia"
    assert doc.published == rec["date"] == "2023-09-17"
    assert doc.source == "alraiy-althaleth" and doc.title == lines[0]
    art = default_text_pipeline().process(doc)
    assert not isinstance(art, IngestError)
    prose = [" ".join(p.text.split()) for p in art.paragraphs]
    assert art.title == lines[0] and prose[:3] == [" ".join(line.split()) for line in lines[1:4]]
    assert lines[0] not in prose  # the headline line trafilatura put first is not prose


def test_trafilatura_raw_text_and_hostname(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    lines = _paragraphs(seed_texts["003"])
    rec = {
        "title": lines[0],
        "raw_text": " ".join(lines[1:]),
        "hostname": "example.net",
        "date": "2023-09-16",
        "source": "https://example.net/x",
        "language": "ar",
    }
    path = tmp_path / "traf.jsonl"
    path.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    (doc,), errors = _read(path)
    assert errors == []
    assert (
        doc.text == " ".join(lines[1:]) and doc.source == "example.net" and doc.url == "https://example.net/x"
    )
    assert doc.lang == "ar" and doc.published == "2023-09-16"


def test_news_please_record(tmp_path: Path, snn_article: dict) -> None:
    a = snn_article
    rec = {
        "authors": ["محمد العلي", "واس"],
        "date_download": "2015-08-01 09:00:00",
        "date_modify": None,
        "date_publish": a["date_extracted"],
        "description": _paragraphs(a["content"])[0],
        "filename": "x.json",
        "image_url": None,
        "language": "ar",
        "localpath": None,
        "maintext": a["content"],
        "source_domain": "www.alriyadh.com",
        "title": a["title"],
        "title_page": None,
        "title_rss": None,
        "url": a["url"],
    }
    path = tmp_path / "np.json"
    path.write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")
    (doc,), errors = _read(path)
    assert errors == []
    assert doc.title == a["title"].strip() and doc.text == a["content"]
    assert doc.published == a["date_extracted"].replace(" ", "T")
    assert doc.url == doc.id == a["url"] and doc.source == "alriyadh"
    assert doc.author == "محمد العلي, واس" and doc.lang == "ar"
    # without maintext the description is the body
    del rec["maintext"]
    path.write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")
    (doc,), _ = _read(path)
    assert doc.text == _paragraphs(a["content"])[0]


def test_our_names_win_over_aliases(tmp_path: Path, snn_article: dict) -> None:
    rec = {
        "url": snn_article["url"],
        "source": "alriyadh",
        "source_domain": "www.alriyadh.com",
        "title": "ت",
        "text": snn_article["content"],
        "maintext": "other",
        "published": "2015-08-01",
        "date_publish": "2014-01-01 00:00:00",
    }
    path = tmp_path / "ours.json"
    path.write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")
    (doc,), _ = _read(path)
    assert (doc.source, doc.text, doc.published) == ("alriyadh", snn_article["content"], "2015-08-01")


# -- legacy Arabic encodings ---------------------------------------------------------------------


@pytest.mark.parametrize(("codec", "name"), [("cp1256", "Windows-1256"), ("iso8859-6", "ISO-8859-6")])
def test_legacy_arabic_txt(
    tmp_path: Path, seed_texts: dict[str, str], caplog: pytest.LogCaptureFixture, codec: str, name: str
) -> None:
    original = seed_texts["003"]  # every character of it exists in both code pages
    path = tmp_path / "legacy.txt"
    path.write_bytes(original.encode(codec))
    with caplog.at_level(logging.INFO, logger="rasid.ingest"):
        (doc,), errors = _read(path)
    assert errors == []
    assert doc.title == _paragraphs(original)[0] and original.endswith(doc.text)
    assert _paragraphs(doc.text) == _paragraphs(original)[1:]
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}: not UTF-8; read as {name} (guessed from its bytes)"
    ]


@pytest.mark.parametrize(("codec", "name"), [("cp1256", "Windows-1256"), ("iso8859-6", "ISO-8859-6")])
def test_legacy_arabic_html_without_charset(
    tmp_path: Path, seed_texts: dict[str, str], caplog: pytest.LogCaptureFixture, codec: str, name: str
) -> None:
    lines = _paragraphs(seed_texts["000"])
    page = _page(lines[0], lines[1:]).replace('<meta charset="utf-8">', "")
    path = tmp_path / "legacy.html"
    path.write_bytes(page.encode(codec))
    with caplog.at_level(logging.INFO, logger="rasid.ingest"):
        (doc,), errors = _read(path)
    assert errors == []
    assert doc.title == lines[0] and doc.source == "alraiy-althaleth"
    assert " ".join(doc.text.split()) == " ".join(" ".join(lines[1:]).split())
    assert name in caplog.text


def test_legacy_guess_reaches_the_cli_log_and_the_store(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    import io

    from rasid.cli import main
    from rasid.store import open_store

    path = tmp_path / "003.txt"
    path.write_bytes(seed_texts["003"].encode("cp1256"))
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", "--db", str(tmp_path / "l.db"), "--no-progress", str(path)], out=out, err=err) == 0
    assert (
        err.getvalue() == f"rasid: note: {path}: not UTF-8; read as Windows-1256 (guessed from its bytes)\n"
    )
    with open_store(str(tmp_path / "l.db")) as store:
        (art,) = list(store.iter_articles())
    assert art.title == _paragraphs(seed_texts["003"])[0]
    assert seed_texts["003"].endswith(art.raw_text) and len(art.paragraphs) > 5
    assert all(p.text in seed_texts["003"] and p.lang == "ar" for p in art.paragraphs)


@pytest.mark.parametrize(("codec", "name"), [("cp1256", "Windows-1256"), ("iso8859-6", "ISO-8859-6")])
def test_legacy_arabic_jsonl(
    tmp_path: Path, seed_texts: dict[str, str], caplog: pytest.LogCaptureFixture, codec: str, name: str
) -> None:
    """A JSONL feed dump in a legacy code page is read whole, one guess for the file, not refused
    line by line; an ASCII line before the first Arabic one reads the same in any of them."""
    original = seed_texts["003"]
    lines = _paragraphs(original)
    records = [
        {
            "id": "ascii",
            "title": "Kim meets Putin",
            "text": "Kim Jong Un met Vladimir Putin in Russia.",
            "published": "2023-09-13",
        },
        {"id": "003", "title": lines[0], "text": "\n".join(lines[1:]), "published": "2023-09-18"},
        {"id": "003b", "title": lines[1], "text": "\n".join(lines[2:]), "published": "2023-09-18"},
    ]
    path = tmp_path / "legacy.jsonl"
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode(codec))
    with caplog.at_level(logging.INFO, logger="rasid.ingest"):
        docs, errors = _read(path)
    assert errors == []
    assert [d.id for d in docs] == ["ascii", "003", "003b"]
    assert docs[1].title == lines[0] and _paragraphs(docs[1].text) == lines[1:]
    assert docs[2].title == lines[1]
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}: not UTF-8 from line 2; read as {name} (guessed from its bytes)"
    ]


def test_jsonl_latin_line_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes(
        json.dumps(
            {"id": "x", "title": "Le président", "text": "Le président a visité la région."},
            ensure_ascii=False,
        ).encode("latin-1")
        + b"\n"
    )
    ((), (error,)) = _read(path)
    assert error.origin == f"{path}:line 1" and error.reason.startswith("invalid UTF-8 at byte offset")
    assert "not Arabic" in error.reason


def test_latin_and_broken_bytes_still_refused(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Le président a visité la région, très touchée.".encode("latin-1"))
    ((), (error,)) = _read(path)
    assert error.reason.startswith("invalid UTF-8 at byte offset 5, and not Arabic")
    mixed = tmp_path / "mixed.txt"  # UTF-8 Arabic with one stray byte: not a legacy page either
    head = seed_texts["000"][:200].encode("utf-8")
    mixed.write_bytes(head + b"\xff" + seed_texts["000"][200:].encode("utf-8"))
    ((), (error,)) = _read(mixed)
    assert error.reason.startswith(f"invalid UTF-8 at byte offset {len(head)}, and not Arabic")


def test_arabic_page_mislabelled_western(
    tmp_path: Path, seed_texts: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    lines = _paragraphs(seed_texts["000"])
    page = _page(lines[0], lines[1:]).replace('<meta charset="utf-8">', '<meta charset="iso-8859-1">')
    path = tmp_path / "mislabelled.html"
    path.write_bytes(page.encode("cp1256"))
    with caplog.at_level(logging.INFO, logger="rasid.ingest"):
        (doc,), errors = _read(path)
    assert errors == [] and doc.title == lines[0]
    assert "read as Windows-1256" in caplog.text and "(declared iso-8859-1)" in caplog.text
    # a real Latin-1 page declared so stays Latin-1
    latin = tmp_path / "latin.html"
    latin.write_bytes(
        _page("Le président", ["Le président a visité la région touchée."] * 20)
        .replace('<meta charset="utf-8">', '<meta charset="iso-8859-1">')
        .replace("الرأي الثالث", "Le Monde")
        .encode("latin-1")
    )
    (doc,), errors = _read(latin)
    assert errors == [] and doc.title == "Le président"
