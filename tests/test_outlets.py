"""The outlet registry: one outlet id whichever way an input names it, display names for people."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from storytools import put_story

from rasid.cli import main
from rasid.model import Article
from rasid.outlets import (
    UNKNOWN_AR,
    OutletRegistry,
    count_outlets,
    display_name,
    fallback_name,
    shipped_registry,
    story_outlet_count,
)
from rasid.render import outlet_names

SNN = "saudinewsnet"


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def snn_day(shared: Path, day: str = "2015-07-21") -> list[dict]:
    with zipfile.ZipFile(shared / "data" / SNN / f"{day}.zip") as z:
        return json.loads(z.read(z.namelist()[0]))


def test_every_saudinewsnet_source_and_url_is_one_shipped_outlet(shared: Path) -> None:
    reg = shipped_registry()
    sources: dict[str, set[str]] = {}
    for rec in snn_day(shared):
        sources.setdefault(rec["source"], set()).add(reg.by_url(rec["url"]) or "?")
    assert len(sources) >= 11  # this day has 11 of the 14 outlets
    for source, by_url in sources.items():
        assert reg.resolve(source) == source, source  # the corpus's ids are the registry's ids
        assert by_url == {source}, (source, by_url)  # and its URLs resolve to the same outlet
    for source in (
        "alriyadh",
        "aljazirah",
        "alyaum",
        "aleqtisadiya",
        "aawsat",
        "okaz",
        "alwatan",
        "almadina",
        "alweeam",
        "3alyoum",
        "sabq",
        "was",
        "arreyadi",
        "arriyadiyah",
    ):
        outlet = reg.get(source)
        assert outlet is not None and outlet.country and outlet.name_ar != source


@pytest.mark.parametrize(
    "names",
    [
        (
            "https://www.skynewsarabia.com/middle-east/1-x",
            "سكاي نيوز عربية | الخليج",
            "سكاي نيوز عربية",
            "Sky News Arabia",
            "skynewsarabia.com",
            "skynewsarabia",
        ),
        ("http://www.okaz.com.sa/new/Issues/20150720/x.htm", "عكاظ", "صحيفة عكاظ", "Okaz", "okaz"),
        ("https://www.bbc.com/arabic/articles/x", "BBC News عربي", "بي بي سي عربي", "bbcarabic"),
        ("http://sabq.org/PHGKif", "سبق", "Sabq"),
        ("https://www.aljazeera.net/news/x", "الجزيرة نت", "الجزيره", "Al Jazeera"),
    ],
)
def test_every_way_of_naming_an_outlet_resolves_to_one_id(names: tuple[str, ...]) -> None:
    reg = shipped_registry()
    ids = {reg.resolve(n) for n in names}
    assert len(ids) == 1 and None not in ids, ids


def test_sections_paths_and_strangers() -> None:
    reg = shipped_registry()
    assert reg.resolve("https://www.bbc.com/news/world") is None  # BBC Arabic is only bbc.com/arabic
    assert reg.resolve("الخليج | سكاي نيوز عربية") == "skynewsarabia"  # the section first
    assert reg.canonical("Foo Daily | Politics") == "Foo Daily"
    assert reg.canonical("World News - Al Jazeera") == "aljazeera"
    # A one-word section that is also an outlet's name («اليوم», Al Yaum) is not taken for the outlet ...
    assert reg.canonical("مدونة التقنية | اليوم") == "مدونة التقنية"
    assert reg.canonical("اليوم | محليات") == "alyaum"  # ... though a first part is
    # ... unless the item's URL is on that outlet's site.
    assert reg.source_for("أخبار محلية | عكاظ", None, "https://www.okaz.com.sa/news/1") == "okaz"
    assert reg.source_for("أخبار محلية | عكاظ", None, "https://blog.example.org/1") == "أخبار محلية"
    assert reg.canonical("https://news.example.org/a/b?c=1") == "news.example.org"
    assert reg.canonical("/data/in/000_636358e0659064c0.txt") is None
    assert fallback_name("000_636358e0659064c0.txt") is None


def test_display_name_never_shows_a_url_or_a_file_name() -> None:
    assert display_name("okaz") == "عكاظ"
    assert display_name("okaz", lang="en") == "Okaz"
    assert display_name("https://www.okaz.com.sa/x") == "عكاظ"
    assert display_name("https://unknown.example.org/a/b") == "unknown.example.org"
    assert display_name("build/seeds/000_636358e0659064c0.txt") == UNKNOWN_AR
    assert display_name(None) == UNKNOWN_AR
    assert display_name("Foo Daily") == "Foo Daily"


def test_shipped_names_do_not_collide() -> None:
    from rasid.outlets import _name_key

    owner: dict[str, str] = {}
    for outlet in shipped_registry():
        for name in outlet.names():
            key = _name_key(name)
            assert owner.setdefault(key, outlet.id) == outlet.id, (name, owner[key], outlet.id)


def test_byline_names_the_outlet(seed_texts: dict[str, str]) -> None:
    reg = shipped_registry()
    assert reg.from_byline(seed_texts["000"]) == "alraiy-althaleth"
    # A reporter's name or a city before the dash is no outlet; the outlet's name is.
    assert reg.from_byline("حامد القرشي- مكة المكرمة\nنص الخبر") is None
    assert reg.from_byline("الرياض - واس\nنص الخبر") is None
    assert reg.from_byline("عين اليوم – جدة\nنص الخبر") == "3alyoum"
    # Only the top of the text: a dash line deep in the body is not a byline.
    assert reg.from_byline("سطر\nسطر\nسطر\nالرأي الثالث - وكالات") is None


def test_source_for_order() -> None:
    reg = shipped_registry()
    # The record's own source first, even when the URL is another outlet's (a wire copy), and
    # even when the registry does not know it.
    assert reg.source_for("سبق", None, "https://www.okaz.com.sa/x") == "sabq"
    assert reg.source_for("صحيفة الاختبار", None, "https://www.okaz.com.sa/x") == "صحيفة الاختبار"
    assert reg.source_for("/in/000.txt", None, "https://www.okaz.com.sa/x") == "okaz"
    # Then a byline, then the domain.
    assert reg.source_for(None, "عين اليوم – جدة\nنص", "https://www.okaz.com.sa/x") == "3alyoum"
    assert reg.source_for(None, "نص الخبر", "https://www.okaz.com.sa/x") == "okaz"
    # A source the registry does not know keeps its name (section stripped), else the domain.
    assert reg.source_for("مدونة صغيرة | سياسة", "نص", "https://blog.example.org/x") == "مدونة صغيرة"
    assert reg.source_for(None, "نص", "https://blog.example.org/x") == "blog.example.org"
    assert reg.source_for(None, "نص", None) is None


def test_user_file_extends_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "outlets.json"
    path.write_text(
        json.dumps(
            {
                "outlets": [
                    {
                        "id": "mysite",
                        "name_ar": "موقعي",
                        "name_en": "My Site",
                        "domains": ["news.example.org"],
                        "country": "JO",
                    },
                    {"id": "okaz", "name_ar": "عكاظ السعودية", "name_en": "Okaz", "domains": ["okaz.com.sa"]},
                ]
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    reg = OutletRegistry.load(path)
    assert reg.resolve("https://news.example.org/x") == "mysite" == reg.resolve("موقعي")
    assert reg.display_name("okaz") == "عكاظ السعودية"
    assert len(reg) == len(shipped_registry()) + 1
    bad = tmp_path / "bad.json"
    bad.write_text('{"outlets": [{"name_ar": "بلا معرف"}]}', encoding="utf-8")
    with pytest.raises(ValueError, match='bad.json: outlet 1: needs an "id"'):
        OutletRegistry.load(bad)
    code, _, err = run_cli(
        "export",
        "--db",
        str(tmp_path / "x.db"),
        "--what",
        "articles",
        "--config",
        str(_config(tmp_path, bad)),
    )
    assert code == 2 and err.count("\n") == 1 and "bad.json" in err


def _config(tmp_path: Path, outlets: Path) -> Path:
    cfg = tmp_path / "rasid.toml"
    cfg.write_text(f'outlets_file = "{outlets}"\n', encoding="utf-8")
    return cfg


def test_matches_name_id_domain() -> None:
    reg = shipped_registry()
    for query in ("sabq", "سبق", "sabq.org", "صحيفة سبق", "https://sabq.org/x"):
        assert reg.matches(query, "sabq"), query
    assert not reg.matches("عكاظ", "sabq")
    assert reg.matches("Foo Daily", "Foo Daily")


def test_unknown_outlets_count_one_each_and_are_numbered() -> None:
    def art(aid: str, source: str | None) -> Article:
        return Article(id=aid, origin=f"/x/{aid}.txt", raw_text="", content_hash=aid, source=source)

    arts = {a.id: a for a in (art("a", "okaz"), art("b", None), art("c", None), art("d", "okaz"))}
    names = outlet_names(["a", "b", "c", "d"], arts)
    assert names == {"a": "عكاظ", "b": f"{UNKNOWN_AR} 1", "c": f"{UNKNOWN_AR} 2", "d": "عكاظ"}
    assert outlet_names(["b"], {"b": arts["b"]}) == {"b": UNKNOWN_AR}
    # The count every view shows: one outlet however it is named, one per article naming none.
    assert story_outlet_count(["okaz"], [a.source for a in arts.values()]) == 3
    assert count_outlets(["okaz", "عكاظ", "okaz.com.sa", "Foo Daily", "foo daily"]) == 2
    assert count_outlets(["okaz", None, ""], unnamed=1) == 4


def _okaz_articles(shared: Path, n: int) -> list[dict]:
    out = [r for r in snn_day(shared) if r["source"] == "okaz" and r["title"] and len(r["content"]) > 400]
    return out[:n]


def test_one_outlet_in_the_export_as_domain_channel_and_arabic_name(tmp_path: Path, shared: Path) -> None:
    """The same outlet given as a domain (URL only), a feed channel title with a section and an
    Arabic name is one outlet in the export, with its display name."""
    a, b, c = _okaz_articles(shared, 3)
    lines = [
        {"url": a["url"], "title": a["title"], "text": a["content"]},  # the domain only
        {
            "id": "okaz-by-name",
            "source": "عكاظ",
            "title": b["title"],
            "text": b["content"],
        },  # the Arabic name
    ]
    (tmp_path / "in.jsonl").write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8"
    )
    feed = (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>عكاظ | محليات</title>'
        f"<link>https://example.invalid/</link><description>x</description>"
        f"<item><title>{escape(c['title'])}</title><guid>okaz-feed-1</guid>"
        f"<description>{escape(c['content'])}</description></item></channel></rss>"
    )
    (tmp_path / "feed.xml").write_text(feed, encoding="utf-8")
    db = tmp_path / "o.db"
    code, _, err = run_cli(
        "run", "-q", "--no-progress", "--db", str(db), str(tmp_path / "in.jsonl"), str(tmp_path / "feed.xml")
    )
    assert code == 0, err
    code, out, _ = run_cli("export", "--db", str(db), "--what", "articles")
    recs = [json.loads(x) for x in out.splitlines()]
    assert len(recs) == 3
    assert {(r["source"], r["source_name"]) for r in recs} == {("okaz", "عكاظ")}
    # The filter takes the Arabic name, the id or the domain.
    for query in ("عكاظ", "okaz", "okaz.com.sa"):
        code, out, _ = run_cli("export", "--db", str(db), "--what", "articles", "--source", query)
        assert len(out.splitlines()) == 3, query
    code, out, _ = run_cli("export", "--db", str(db), "--what", "articles", "--source", "سبق")
    assert out == ""


def test_seed_demo_counts_its_outlets(tmp_path: Path, shared: Path) -> None:
    """The seeds carry no metadata; seed 000's byline names its outlet, the other four name none
    (each counts as an outlet of its own, shown as unknown, never by its file name)."""
    db = tmp_path / "s.db"
    seeds = sorted(str(p) for p in (shared / "seeds").glob("*.txt"))
    code, out, err = run_cli("run", "--no-progress", "--db", str(db), *seeds)
    assert code == 0, err
    assert "5 articles, 5 sources (4 unnamed)" in out
    assert "الرأي الثالث" in out
    code, out, _ = run_cli("export", "--db", str(db), "--what", "stories")
    story = max((json.loads(x) for x in out.splitlines()), key=lambda s: len(s["articles"]))
    assert story["sources"] == ["alraiy-althaleth"]
    assert story["outlet_count"] == 5
    assert story["coverage"]["names"][story["coverage"]["sources"][0]] in ("الرأي الثالث", "مصدر غير معروف 1")
    code, md, _ = run_cli("story", "--db", str(db), story["id"], "--format", "md")
    assert md.splitlines()[2].startswith("5 مصادر")
    assert "000_636358e0659064c0" not in md and ".txt" not in md
    code, js, _ = run_cli("story", "--db", str(db), story["id"], "--format", "json")
    assert json.loads(js)["outlet_count"] == 5

    # Every view counts the same: the list (page and API), the story page and its API record.
    from fastapi.testclient import TestClient

    from rasid.web.app import create_app

    with TestClient(create_app(str(db), write_key="", read_key="")) as client:
        line = next(s for s in client.get("/api/stories").json()["stories"] if s["id"] == story["id"])
        assert line["outlet_count"] == 5
        record = client.get(f"/api/stories/{story['id']}").json()
        assert record["outlet_count"] == 5 and record["coverage"]["rows"]
        assert len(record["coverage"]["statements"]) == len(record["brief"])
        assert record["coverage"] == story["coverage"]
        card = client.get("/").text
        assert "5 مصادر" in card and "1 مصدر" not in card and "مصدر واحد" not in card
        assert "5 مصادر" in client.get(f"/stories/{story['id']}").text
        assert "5 مصادر" in client.get("/feeds/stories.atom").text


def test_web_shows_display_names_and_filters_by_name_id_or_domain(tmp_path: Path, shared: Path) -> None:
    from fastapi.testclient import TestClient

    from rasid.model import Paragraph, Story
    from rasid.store import open_store
    from rasid.web.app import create_app

    recs = [r for r in snn_day(shared) if r["source"] in ("sabq", "alweeam") and r["title"]]
    picked = [next(r for r in recs if r["source"] == s) for s in ("sabq", "alweeam")]
    db = tmp_path / "w.db"
    store = open_store(str(db))
    for n, rec in enumerate(picked):
        art = Article(
            id=rec["url"],
            origin="t",
            raw_text=rec["content"],
            content_hash=str(n),
            title=rec["title"],
            url=rec["url"],
            source=rec["source"],
            published="2015-07-21",
            paragraphs=[Paragraph(p, "ar") for p in rec["content"].split("\n") if p.strip()],
            story=f"s{n}",
        )
        store.add_articles([art])
        put_story(
            store,
            Story(
                id=f"s{n}",
                title=rec["title"],
                articles=[art.id],
                sources=[rec["source"]],
                first_seen="2015-07-21",
                last_seen="2015-07-21",
            ),
        )
    store.close()
    with TestClient(create_app(str(db), write_key="", read_key="")) as client:
        for query in ("سبق", "sabq", "sabq.org", "صحيفة سبق"):
            body = client.get("/api/stories", params={"source": query}).json()
            assert [s["id"] for s in body["stories"]] == ["s0"], query
        assert client.get("/api/stories", params={"source": "عكاظ"}).json()["total"] == 0
        page = client.get("/").text
        assert "الوئام" in page and ">alweeam<" not in page and ">sabq<" not in page
        story = client.get("/stories/s1").text
        assert "الوئام" in story and ">alweeam<" not in story
