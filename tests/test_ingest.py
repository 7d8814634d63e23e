"""Ingest: real seed and SaudiNewsNet text through every reader, and every bad input as data.

Each bad input has its own test and must come back as an IngestError naming the input, with the
rest of the batch still read. URL tests run against a local http.server on 127.0.0.1 only.
"""

from __future__ import annotations

import html
import json
import os
import threading
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from rasid.ingest import Ingestor, read_inputs
from rasid.ingest.common import Refused
from rasid.ingest.dates import normalize_date
from rasid.ingest.plaintext import is_headline, split_title
from rasid.ingest.web import Fetcher
from rasid.model import IngestError, RawDoc
from rasid.settings import Settings

SEED_WITH_HEADLINE = {"000", "001", "003"}
SEED_WITHOUT_HEADLINE = {"002", "004"}
RIYADH = timezone(timedelta(hours=3))


def run(source: str | Path, **settings: object) -> tuple[list[RawDoc], list[IngestError]]:
    docs: list[RawDoc] = []
    errors: list[IngestError] = []
    with Ingestor(Settings(**settings)) as ingestor:  # type: ignore[arg-type]
        for item in ingestor.read(str(source)):
            (errors if isinstance(item, IngestError) else docs).append(item)
    return docs, errors


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def seed_files(shared: Path, gold: dict) -> dict[str, Path]:
    return {d["id"]: shared / "seeds" / d["file"] for d in gold["documents"]}


@pytest.fixture(scope="session")
def snn(shared: Path) -> list[dict]:
    """Thirty SaudiNewsNet articles with a title and multi-paragraph content."""
    with zipfile.ZipFile(shared / "data" / "saudinewsnet" / "2015-08-01.zip") as zf:
        articles = json.loads(zf.read(zf.namelist()[0]))
    picked = [a for a in articles if a["title"].strip() and a["content"].count("\n") >= 2]
    return picked[:30]


# -- plain text ------------------------------------------------------------------------------------


def test_seed_directory_walk(shared, seed_files, gold):
    docs, errors = run(shared / "seeds")
    assert [Path(d.origin).name for d in docs] == sorted(p.name for p in seed_files.values())
    by_id = {d.id.split("_")[0]: d for d in docs}
    assert set(by_id) == SEED_WITH_HEADLINE | SEED_WITHOUT_HEADLINE
    for sid, doc in by_id.items():
        original = seed_files[sid].read_text(encoding="utf-8")
        assert doc.id == seed_files[sid].stem
        first_line = original.splitlines()[0].strip()
        if sid in SEED_WITH_HEADLINE:
            assert doc.title == first_line
            # The body is the rest of the file, untouched, starting at the next non-blank line.
            assert original.endswith(doc.text)
            assert doc.title not in doc.text.splitlines()[0]
            assert original[: len(original) - len(doc.text)].strip() == first_line
        else:
            assert doc.title is None
            assert doc.text == original
    # gold.json is a JSON object without text: one error naming it, nothing else lost.
    assert len(errors) == 1
    assert errors[0].origin.endswith("gold.json")
    assert errors[0].reason == "record has no title, text, content or html"
    assert str(errors[0]).endswith("gold.json: record has no title, text, content or html")


def test_walk_is_deterministic(shared):
    first = [(type(x).__name__, x.origin) for x in read_inputs([str(shared / "seeds")], Settings())]
    second = [(type(x).__name__, x.origin) for x in read_inputs([str(shared / "seeds")], Settings())]
    assert first == second


def test_headline_rule_on_snn_titles_and_leads(snn):
    # Real headlines are headlines; real lead paragraphs (long, or ending in a full stop) are not.
    titles = [a["title"].strip() for a in snn]
    assert sum(is_headline(t) for t in titles) >= 0.9 * len(titles)
    leads = [p for a in snn for p in paragraphs(a["content"]) if len(p) > 160 or p.endswith(".")]
    assert leads and not any(is_headline(p) for p in leads)
    # Bodies alone (many open with a byline such as "عين اليوم – جدة") rarely yield a false title.
    false_titles = [split_title(a["content"])[0] for a in snn]
    assert sum(t is not None for t in false_titles) <= 0.1 * len(snn), false_titles


def test_split_title_needs_a_body(seed_texts):
    headline = seed_texts["003"].splitlines()[0]
    assert split_title(headline + "\n") == (None, headline + "\n")
    title, body = split_title("\n\n" + headline + "\r\n\r\n" + "نص المقال.\r\n")
    assert title == headline.strip() and body == "نص المقال.\r\n"


def test_invalid_utf8(tmp_path, seed_texts):
    # an old Arabic Windows code page is recognised (tests/test_input_formats.py); Hebrew in
    # Windows-1255 is neither UTF-8 nor Arabic, and is refused with the offset of the first bad byte
    data = "הנשיא ביקר היום בעיר".encode("cp1255")
    path = tmp_path / "windows1255.txt"
    path.write_bytes(data)
    docs, errors = run(path)
    with pytest.raises(UnicodeDecodeError) as bad:
        data.decode("utf-8")
    assert docs == []
    assert errors == [
        IngestError(
            str(path),
            f"invalid UTF-8 at byte offset {bad.value.start}, and not Arabic in ISO-8859-6 or Windows-1256",
        )
    ]
    data = seed_texts["001"].encode("cp1256", errors="replace")
    path.write_bytes(data)
    (doc,), errors = run(path)
    assert errors == [] and doc.title == seed_texts["001"].splitlines()[0].strip()


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_bom_encodings_read_correctly(tmp_path, seed_texts, codec):
    original = seed_texts["003"]
    data = b"\xfe\xff" + original.encode("utf-16-be") if codec == "utf-16-be" else original.encode(codec)
    path = tmp_path / f"seed-{codec}.txt"
    path.write_bytes(data)
    docs, errors = run(path)
    assert errors == []
    (doc,) = docs
    assert doc.title == original.splitlines()[0].strip()
    assert doc.title + "\n" + doc.text == original
    assert "\ufeff" not in doc.text


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n  "])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    assert run(path) == ([], [IngestError(str(path), "empty file")])


def test_binary_named_txt(tmp_path, shared):
    blob = (shared / "data" / "saudinewsnet" / "2015-08-01.zip").read_bytes()[:4096]
    path = tmp_path / "archive.txt"
    path.write_bytes(blob)
    assert run(path) == ([], [IngestError(str(path), "binary data, not text")])


def test_over_size_cap(tmp_path, seed_files):
    src = seed_files["001"]
    size = src.stat().st_size
    docs, errors = run(src, max_bytes=1000)
    assert docs == []
    assert len(errors) == 1
    assert str(size) in errors[0].reason and "1000" in errors[0].reason and "max_bytes" in errors[0].reason


def test_missing_path_and_unsupported_inputs(tmp_path, seed_texts):
    odd = tmp_path / "notes.md"
    odd.write_text(seed_texts["000"], encoding="utf-8")
    docs, errors = [], []
    for item in read_inputs([str(tmp_path / "nope.txt"), str(odd), "ftp://example.org/a.txt"], Settings()):
        (errors if isinstance(item, IngestError) else docs).append(item)
    assert docs == []
    assert [e.origin for e in errors] == [str(tmp_path / "nope.txt"), str(odd), "ftp://example.org/a.txt"]
    assert "no such file" in errors[0].reason
    assert "unsupported file type '.md'" in errors[1].reason
    assert "unsupported URL scheme 'ftp'" in errors[2].reason


def test_dangling_symlink_reported_rest_read(tmp_path, seed_texts):
    (tmp_path / "a.txt").write_text(seed_texts["000"], encoding="utf-8")
    os.symlink(tmp_path / "gone.txt", tmp_path / "b.txt")
    os.symlink(tmp_path / "gone.png", tmp_path / "picture.png")  # not an input: ignored
    docs, errors = run(tmp_path)
    assert [d.id for d in docs] == ["a"]
    assert len(errors) == 1
    assert errors[0].origin == str(tmp_path / "b.txt")
    assert "dangling symlink" in errors[0].reason and "gone.txt" in errors[0].reason
    # Named directly, too.
    assert run(tmp_path / "b.txt")[1][0].reason.startswith("dangling symlink")


def test_symlink_loop_terminates(tmp_path, seed_texts):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "x.TXT").write_text(seed_texts["002"], encoding="utf-8")  # extension case ignored
    os.symlink(tmp_path, sub / "up")  # sub/up -> tmp_path: a loop
    os.symlink(sub, tmp_path / "again")  # a second way into sub
    docs, errors = run(tmp_path)
    assert errors == []
    assert len(docs) == 1 and docs[0].text == seed_texts["002"]


# -- JSON and JSONL --------------------------------------------------------------------------------


def test_seeds_jsonl(seeds_jsonl, gold, seed_texts):
    docs, errors = run(seeds_jsonl)
    assert errors == []
    assert [d.id for d in docs] == [d["id"] for d in gold["documents"]]
    for n, (doc, ann) in enumerate(zip(docs, gold["documents"], strict=True), 1):
        assert doc.origin == f"{seeds_jsonl}:line {n}"
        assert doc.text == seed_texts[ann["id"]]
        assert doc.published == ann["published"]
        assert doc.title is None  # records carry their own title; text is not split


def test_jsonl_broken_line_kept_others(tmp_path, seeds_jsonl):
    lines = seeds_jsonl.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2][: len(lines[2]) // 2]  # a truncated write
    lines.insert(4, '["not", "an", "object"]')
    path = tmp_path / "broken.jsonl"
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    docs, errors = run(path)
    assert [d.id for d in docs] == ["000", "001", "003", "004"]
    assert [e.origin for e in errors] == [f"{path}:line 3", f"{path}:line 5"]
    assert "invalid JSON" in errors[0].reason
    assert errors[1].reason == "expected a JSON object, got an array"


def test_jsonl_overlong_line_skipped_without_reading_it(tmp_path, seed_texts):
    path = tmp_path / "long.jsonl"
    huge = {"id": "huge", "text": seed_texts["001"] * 2000}  # ~20 MB on one line
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "a", "text": seed_texts["000"]}, ensure_ascii=False) + "\n")
        fh.write(json.dumps(huge, ensure_ascii=False) + "\n")
        fh.write(json.dumps({"id": "c", "text": seed_texts["003"]}, ensure_ascii=False) + "\n")
    cap = 256 * 1024
    tracemalloc.start()
    docs, errors = run(path, max_line_bytes=cap, max_bytes=1000)  # the file cap does not apply to JSONL
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [d.id for d in docs] == ["a", "c"]
    assert len(errors) == 1 and errors[0].origin == f"{path}:line 2"
    assert "max_line_bytes" in errors[0].reason
    assert peak < 4 * cap + 2_000_000, peak  # never near the 20 MB of the line


def test_jsonl_record_without_text_and_bad_date(tmp_path, seed_texts):
    path = tmp_path / "recs.jsonl"
    recs = [
        {"id": "x1", "source": "okaz", "content": "  "},
        {"url": "https://example.org/a", "content": seed_texts["002"], "published": "الأحد الماضي"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n", encoding="utf-8")
    docs, errors = run(path)
    assert str(errors[0]) == f"{path}:line 1: record has no title, text, content or html"
    assert errors[1].origin == f"{path}:line 2" and "الأحد الماضي" in errors[1].reason
    (doc,) = docs
    assert doc.id == doc.url == "https://example.org/a"  # no id: the url
    assert doc.published is None and doc.text == seed_texts["002"]


def test_json_array_of_snn_articles(tmp_path, snn):
    recs = [
        {
            "url": a["url"],
            "source": a["source"],
            "title": a["title"],
            "content": a["content"],
            "published": a["date_extracted"],
            "author": a["author"],
        }
        for a in snn[:10]
    ]
    recs.insert(3, "a string, not a record")
    path = tmp_path / "snn.json"
    path.write_text(json.dumps(recs, ensure_ascii=False), encoding="utf-8")
    docs, errors = run(path)
    assert [e.origin for e in errors] == [f"{path}#4"]
    assert len(docs) == 10
    for doc, art in zip(docs, snn[:10], strict=True):
        assert doc.id == art["url"] and doc.source == art["source"] and doc.text == art["content"]
        assert doc.published == art["date_extracted"].replace(" ", "T")
        assert doc.author == (art["author"].strip() or None)
    assert docs[3].origin == f"{path}#5"


def test_json_single_record_html_only(tmp_path, seed_texts):
    page = article_page(seed_texts["000"], canonical=None)
    path = tmp_path / "one-page.json"
    path.write_text(
        json.dumps({"html": page, "source": "الرأي الثالث"}, ensure_ascii=False), encoding="utf-8"
    )
    docs, errors = run(path)
    assert errors == []
    (doc,) = docs
    assert doc.id == "one-page"  # single-article file: the file name
    assert doc.source == "alraiy-althaleth"  # the record wins over page metadata (as its outlet id)
    assert doc.title == seed_texts["000"].splitlines()[0].strip()
    assert paragraphs(doc.text) == paragraphs(seed_texts["000"])[1:]


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2023-09-17", "2023-09-17"),
        ("2015-08-01 08:00:57", "2015-08-01T08:00:57"),
        ("2023-09-17T10:30:00Z", "2023-09-17T10:30:00+00:00"),
        ("2023-09-17T10:30:00.123+03:00", "2023-09-17T10:30:00+03:00"),
        ("Sun, 17 Sep 2023 10:30:00 +0300", "2023-09-17T10:30:00+03:00"),
        ("Sun, 17 Sep 2023 10:30:00 GMT", "2023-09-17T10:30:00+00:00"),
        ("2023/9/7", "2023-09-07"),
        ("17 سبتمبر 2023", None),
        ("2023-02-30", None),
        ("", None),
    ],
)
def test_normalize_date(raw, iso):
    assert normalize_date(raw) == iso


# -- HTML ------------------------------------------------------------------------------------------


def article_page(
    text: str,
    canonical: str | None = "https://example.org/news/kim-train",
    published: str = "2023-09-17T10:30:00+03:00",
) -> str:
    """A news page as a CMS writes it: navigation, headline, paragraphs, footer."""
    lines = paragraphs(text)
    head_title = html.escape(lines[0])
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in lines[1:])
    canon = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"""<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{head_title} | الرأي الثالث</title>{canon}
<meta name="author" content="قسم الأخبار"><meta property="og:site_name" content="الرأي الثالث">
<meta property="article:published_time" content="{published}"></head>
<body><nav><ul><li><a href="/">الرئيسية</a></li><li><a href="/world">عربي ودولي</a></li></ul></nav>
<article><h1>{head_title}</h1>{body}</article>
<footer><p>جميع الحقوق محفوظة © 2023</p></footer><script>var x = "لا تقرأني";</script></body></html>"""


def test_html_page(tmp_path, seed_texts):
    path = tmp_path / "kim.html"
    path.write_text(article_page(seed_texts["000"]), encoding="utf-8")
    docs, errors = run(path)
    assert errors == []
    (doc,) = docs
    expected = paragraphs(seed_texts["000"])
    assert doc.title == expected[0]
    assert doc.url == doc.id == "https://example.org/news/kim-train"
    assert doc.published == "2023-09-17T10:30:00+03:00"
    assert doc.author == "قسم الأخبار" and doc.source == "alraiy-althaleth" and doc.lang == "ar"
    assert paragraphs(doc.text) == expected[1:]  # one paragraph per line, headline not repeated
    assert "الرئيسية" not in doc.text and "محفوظة" not in doc.text and "لا تقرأني" not in doc.text


def test_html_windows1256_page_by_meta_charset(tmp_path, seed_texts):
    page = article_page(seed_texts["003"], canonical=None).replace(
        'charset="utf-8"', 'charset="windows-1256"'
    )
    path = tmp_path / "old-site.htm"
    path.write_bytes(page.encode("cp1256", errors="replace"))
    docs, errors = run(path)
    assert errors == []
    assert docs[0].id == "old-site"
    assert docs[0].title == paragraphs(seed_texts["003"])[0]


def test_malformed_html_gives_what_it_can(tmp_path, snn):
    art = snn[0]
    paras = paragraphs(art["content"])
    # No </head>, unclosed <p>s, stray and crossed end tags, a bare "<", no </body></html>.
    broken = (
        f'<html><head><title>{art["title"]}</title><body><div class=x"y><p>{paras[0]} < <b><i>'
        + "</b></i></span><p>".join(paras[1:])
        + "</table><div><b>"
    )
    path = tmp_path / "broken.html"
    path.write_text(broken, encoding="utf-8")
    docs, errors = run(path)
    assert errors == []
    got = docs[0].text
    assert sum(p in got for p in paras[1:]) >= len(paras[1:]) - 1


def test_html_without_text_is_an_error(tmp_path):
    path = tmp_path / "shell.html"
    path.write_text(
        "<html><head><script>window.app = {};</script></head><body><div id='app'></div></body></html>"
    )
    assert run(path) == ([], [IngestError(str(path), "no text found in the HTML")])


# -- feeds -----------------------------------------------------------------------------------------


def rss_feed(snn: list[dict], seed_text: str) -> str:
    items = []
    when = datetime(2015, 8, 1, 8, 0, 57, tzinfo=RIYADH)
    for n, art in enumerate(snn[:3]):
        items.append(f"""<item><title>{html.escape(art["title"])}</title><link>{html.escape(art["url"])}</link>
<description>{html.escape(art["content"])}</description>
<pubDate>{format_datetime(when + timedelta(hours=n))}</pubDate></item>""")
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs(seed_text)[1:])
    items.append(f"""<item><title>{html.escape(paragraphs(seed_text)[0])}</title>
<link>https://example.org/kim</link><guid isPermaLink="false">kim-2023-0917</guid>
<description>ملخص قصير</description><content:encoded><![CDATA[{body}]]></content:encoded>
<pubDate>Sun, 17 Sep 2023 10:30:00 +0300</pubDate><source url="https://wire.example">وكالة الأنباء</source></item>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>صحيفة الاختبار</title><link>https://example.org/</link><language>ar</language>
{"".join(items)}</channel></rss>"""


def test_rss_feed(tmp_path, snn, seed_texts):
    path = tmp_path / "news.rss"
    path.write_text(rss_feed(snn, seed_texts["001"]), encoding="utf-8")
    docs, errors = run(path)
    assert errors == []
    assert [d.origin for d in docs] == [f"{path}#{n}" for n in range(1, 5)]
    for doc, art in zip(docs[:3], snn[:3], strict=True):
        assert doc.title == art["title"].strip() and doc.url == doc.id == art["url"]
        assert doc.source == "صحيفة الاختبار" and doc.lang == "ar"
        assert paragraphs(doc.text) == paragraphs(art["content"])
    assert docs[0].published == "2015-08-01T08:00:57+03:00"
    kim = docs[3]
    assert kim.id == "kim-2023-0917" and kim.url == "https://example.org/kim"
    assert kim.source == "وكالة الأنباء"  # the entry's own source wins over the feed title
    assert kim.published == "2023-09-17T10:30:00+03:00"
    assert paragraphs(kim.text) == paragraphs(seed_texts["001"])[1:]  # full content, not the summary


def test_atom_feed(tmp_path, seed_texts):
    entries = []
    for n, sid in enumerate(["000", "003", "004"]):
        paras = paragraphs(seed_texts[sid])
        content = html.escape("".join(f"<p>{html.escape(p)}</p>" for p in paras[1:]))
        entries.append(f"""<entry><title>{html.escape(paras[0])}</title><id>urn:rasid:{sid}</id>
<link rel="alternate" href="https://example.org/{sid}"/><updated>2023-09-1{7 + n % 2}T0{n}:15:00Z</updated>
<author><name>مراسل {n}</name></author><content type="html">{content}</content></entry>""")
    path = tmp_path / "feed.atom"
    path.write_text(
        f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>أخبار كوريا</title><id>urn:rasid:feed</id><updated>2023-09-18T00:00:00Z</updated>
{"".join(entries)}</feed>""",
        encoding="utf-8",
    )
    docs, errors = run(path)
    assert errors == []
    assert [d.id for d in docs] == ["urn:rasid:000", "urn:rasid:003", "urn:rasid:004"]
    assert [d.published for d in docs] == [
        "2023-09-17T00:15:00+00:00",
        "2023-09-18T01:15:00+00:00",
        "2023-09-17T02:15:00+00:00",
    ]
    assert docs[1].author == "مراسل 1" and docs[1].source == "أخبار كوريا"
    for doc, sid in zip(docs, ["000", "003", "004"], strict=True):
        assert paragraphs(doc.text) == paragraphs(seed_texts[sid])[1:]


def billion_laughs(levels: int = 10) -> bytes:
    decl = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(decl)}]>'
        f'<rss version="2.0"><channel><title>&lol{levels - 1};</title><item><title>x</title>'
        f"<description>&lol{levels - 1};</description></item></channel></rss>"
    ).encode()


def test_rss_billion_laughs_refused_fast(tmp_path):
    path = tmp_path / "bomb.xml"
    path.write_bytes(billion_laughs())
    tracemalloc.start()
    start = time.perf_counter()
    docs, errors = run(path)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert docs == [] and len(errors) == 1
    assert "entity" in errors[0].reason and "refused" in errors[0].reason
    assert elapsed < 2.0 and peak < 5_000_000


def test_malformed_bomb_still_refused(tmp_path):
    path = tmp_path / "bomb2.rss"
    path.write_bytes(billion_laughs().replace(b"<item>", b"<item><broken", 1))
    docs, errors = run(path)
    assert docs == [] and "declares an entity" in errors[0].reason


def test_rss_external_entity_refused(tmp_path, snn):
    secret = tmp_path / "secret.txt"
    marker = "سر-لا-يجوز-أن-يظهر-7f3a9"
    secret.write_text(marker, encoding="utf-8")
    feed = (
        rss_feed(snn, snn[5]["content"])
        .replace(
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>',
        )
        .replace("<title>صحيفة الاختبار</title>", "<title>&xxe;</title>")
    )
    path = tmp_path / "xxe.rss"
    path.write_text(feed, encoding="utf-8")
    items = list(read_inputs([str(path)], Settings()))
    assert len(items) == 1 and isinstance(items[0], IngestError)
    assert "external entity" in items[0].reason
    assert marker not in repr(items)


def test_xml_that_is_not_a_feed(tmp_path):
    path = tmp_path / "sitemap.xml"
    path.write_text('<?xml version="1.0"?><urlset><url><loc>https://example.org/</loc></url></urlset>')
    docs, errors = run(path)
    assert docs == [] and errors[0].reason.startswith("not an RSS or Atom feed")


# -- URLs ------------------------------------------------------------------------------------------


class _Site:
    """Routes for the local server: path -> (status, headers, body)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[str] = []


@pytest.fixture()
def site() -> Iterator[tuple[_Site, str]]:
    state = _Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            state.hits.append(self.path)
            status, headers, body = state.routes.get(
                self.path, (404, {"Content-Type": "text/plain"}, b"not found")
            )
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_url_page_and_feed(site, seed_texts, snn):
    state, base = site
    state.routes["/news/kim"] = (
        200,
        {"Content-Type": "text/html; charset=utf-8"},
        article_page(seed_texts["000"], canonical=None).encode(),
    )
    state.routes["/feed"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        rss_feed(snn, seed_texts["001"]).encode(),
    )
    state.routes["/plain"] = (200, {"Content-Type": "text/plain; charset=utf-8"}, seed_texts["003"].encode())
    state.routes["/old"] = (301, {"Location": "/news/kim"}, b"")
    urls = [f"{base}/old", f"{base}/feed", f"{base}/plain"]
    items = list(read_inputs(urls, Settings(allow_private=True)))
    assert not [i for i in items if isinstance(i, IngestError)]
    page, *entries, plain = items
    assert page.origin == f"{base}/old" and page.url == page.id == f"{base}/news/kim"  # after the redirect
    assert paragraphs(page.text) == paragraphs(seed_texts["000"])[1:]
    assert page.published == "2023-09-17T10:30:00+03:00"
    assert len(entries) == 4 and entries[0].origin == f"{base}/feed#1"
    assert entries[0].url == snn[0]["url"]
    assert plain.id == f"{base}/plain" and plain.title == paragraphs(seed_texts["003"])[0]
    assert state.hits == ["/old", "/news/kim", "/feed", "/plain"]


def test_url_feed_sniffed_without_content_type(site, snn, seed_texts):
    state, base = site
    state.routes["/rss"] = (
        200,
        {"Content-Type": "application/octet-stream"},
        rss_feed(snn, seed_texts["004"]).encode(),
    )
    docs, errors = run(f"{base}/rss", allow_private=True)
    assert errors == [] and len(docs) == 4


def test_url_private_address_refused(site, seed_texts):
    state, base = site
    state.routes["/news/kim"] = (200, {"Content-Type": "text/html"}, article_page(seed_texts["000"]).encode())
    docs, errors = run(f"{base}/news/kim")  # allow_private is off by default
    assert docs == []
    assert errors[0].origin == f"{base}/news/kim" and "loopback" in errors[0].reason
    assert state.hits == []  # refused before connecting
    for url in [
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://[fe80::1]/",
        "http://[::ffff:192.168.0.1]/",
    ]:
        docs, errors = run(url, http_timeout=1.0)
        assert docs == [] and "refused" in errors[0].reason, (url, errors)


def test_url_redirect_limit_and_scheme(site):
    state, base = site
    state.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    docs, errors = run(f"{base}/loop", allow_private=True, http_max_redirects=3)
    assert docs == [] and "too many redirects (more than 3)" in errors[0].reason
    assert len(state.hits) == 4
    # Every hop is checked again: a redirect to another scheme is refused.
    state.routes["/file"] = (302, {"Location": "file:///etc/passwd"}, b"")
    docs, errors = run(f"{base}/file", allow_private=True)
    assert docs == [] and "unsupported URL scheme 'file'" in errors[0].reason


def test_redirect_from_public_to_private_refused(seed_texts):
    """A public host that redirects to the metadata service: the second hop is refused.

    No network: a fake resolver says which addresses the names have, and a mock transport
    answers for the public address (the pinned IP is what the request goes to).
    """
    sent: list[tuple[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append((request.url.host, request.headers["host"]))
        return httpx.Response(302, headers={"Location": "http://metadata.internal/latest/"})

    names = {"news.example": ["93.184.216.34"], "metadata.internal": ["169.254.169.254"]}
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        fetcher = Fetcher(Settings(), client, resolver=lambda host, port: names[host])
        with pytest.raises(Refused) as refused:
            fetcher.fetch("http://news.example/story")
    assert sent == [("93.184.216.34", "news.example")]  # pinned to the checked address, named by Host
    assert "link-local address 169.254.169.254" in refused.value.reason


def test_url_errors_are_data(site, seed_texts):
    state, base = site
    state.routes["/big"] = (200, {"Content-Type": "text/plain"}, seed_texts["001"].encode())
    items = list(
        read_inputs(
            [f"{base}/missing", f"{base}/big", "http://host.invalid/"],
            Settings(allow_private=True, max_bytes=2000, http_timeout=2.0),
        )
    )
    assert all(isinstance(i, IngestError) for i in items) and len(items) == 3
    assert "HTTP 404" in items[0].reason
    assert "2000-byte cap" in items[1].reason
    assert "cannot resolve host" in items[2].reason


def test_html_date_only_and_xml_declaration(tmp_path, seed_texts):
    page = article_page(seed_texts["004"], canonical=None).replace(
        '<meta property="article:published_time" content="2023-09-17T10:30:00+03:00">',
        '<meta name="date" content="2023-09-16">',
    )
    path = tmp_path / "xhtml.html"
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + page, encoding="utf-8")
    docs, errors = run(path)
    assert errors == []
    assert docs[0].published == "2023-09-16"  # a bare date stays a date, not midnight
    assert paragraphs(docs[0].text) == paragraphs(seed_texts["004"])[1:]


def test_jsonl_deeply_nested_line_costs_only_that_line(tmp_path, seeds_jsonl):
    lines = seeds_jsonl.read_text(encoding="utf-8").splitlines()
    lines.insert(1, "[" * 200_000 + "]" * 200_000)
    path = tmp_path / "deep.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, errors = run(path)
    assert len(docs) == 5
    assert [(e.origin, e.reason) for e in errors] == [(f"{path}:line 2", "JSON nested too deeply")]
