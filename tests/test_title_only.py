"""Title-only items (a headline and a link, or a record with empty content) are kept and clustered.

Real inputs: SaudiNewsNet records whose `content` is empty (8 on 2015-08-02), a feed whose items
carry only seed headlines, and the seeds with a title-only item naming the same story.
"""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

from rasid.cli import main
from rasid.dedup import Deduper
from rasid.eval.stories import saudinewsnet_records, write_saudinewsnet_jsonl
from rasid.ingest import Ingestor
from rasid.model import Article, IngestError, RawDoc
from rasid.process import default_text_pipeline
from rasid.settings import Settings
from rasid.store import open_store

DAY = "2015-08-02"


def _read(path: Path) -> tuple[list[RawDoc], list[IngestError]]:
    docs: list[RawDoc] = []
    errors: list[IngestError] = []
    with Ingestor(Settings()) as ingestor:
        for item in ingestor.read(str(path)):
            (errors if isinstance(item, IngestError) else docs).append(item)
    return docs, errors


def _headline(text: str) -> str:
    return text.strip().splitlines()[0].strip()


def test_snn_records_with_empty_content_are_kept(shared: Path, tmp_path: Path) -> None:
    recs = saudinewsnet_records(shared / "data" / "saudinewsnet" / f"{DAY}.zip")
    empty = [r for r in recs if not (r.get("content") or "").strip()]
    assert len(empty) == 8 and all(r["title"].strip() for r in empty)
    feed = tmp_path / "day.jsonl"
    # the title-only records and a few with bodies, through the real reader and text pipeline
    keep = {r["url"] for r in empty} | {r["url"] for r in recs[:20]}
    n = write_saudinewsnet_jsonl([shared / "data" / "saudinewsnet" / f"{DAY}.zip"], feed)
    lines = [
        line for line in feed.read_text(encoding="utf-8").splitlines() if json.loads(line)["url"] in keep
    ]
    assert n == len(recs)
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, errors = _read(feed)
    assert errors == [] and len(docs) == len(keep)
    text = default_text_pipeline()
    arts = [text.process(d) for d in docs]
    assert not [a for a in arts if isinstance(a, IngestError)]
    title_only = {a.url: a for a in arts if isinstance(a, Article) and not a.paragraphs}
    assert set(title_only) == {r["url"] for r in empty}
    for r in empty:
        a = title_only[r["url"]]
        assert a.title == r["title"].strip() and a.text == "" and a.source == r["source"]
        assert a.published and a.published.startswith(DAY)


def test_feed_items_with_only_a_title_and_a_link(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    items = "".join(
        f"<item><title>{html.escape(_headline(seed_texts[sid]))}</title><link>https://example.org/{sid}</link>"
        f"<pubDate>Sun, 17 Sep 2023 10:3{n}:00 +0300</pubDate></item>"
        for n, sid in enumerate(["000", "001", "003"])
    )
    items += "<item><link>https://example.org/nothing</link></item>"
    path = tmp_path / "titles.rss"
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>صحيفة</title>'
        f"{items}</channel></rss>",
        encoding="utf-8",
    )
    docs, errors = _read(path)
    assert [str(e) for e in errors] == [f"{path}#4: feed entry has no title, content or summary"]
    assert [d.title for d in docs] == [_headline(seed_texts[s]) for s in ("000", "001", "003")]
    assert [d.url for d in docs] == [f"https://example.org/{s}" for s in ("000", "001", "003")]
    assert all(not d.text for d in docs)
    arts = [default_text_pipeline().process(d) for d in docs]
    assert all(isinstance(a, Article) and a.paragraphs == [] and a.id == a.url for a in arts)


def test_deduper_never_pairs_empty_bodies() -> None:
    dedup = Deduper()
    for n, source in enumerate(["alyaum", "aleqtisadiya", "alyaum"]):
        art = Article(
            id=f"c{n}",
            origin="t",
            raw_text="",
            content_hash=f"h{n}",
            title="كاريكاتير",
            source=source,
            published=f"2015-08-0{n + 1}",
        )
        assert dedup.add(art) is None


def test_title_only_items_join_their_story_and_downstream_holds(
    tmp_path: Path, seeds_jsonl: Path, seed_texts: dict[str, str]
) -> None:
    extra = tmp_path / "titles.jsonl"
    recs = [
        # the headline of seed 001 from another outlet, no body: it belongs to the seed story
        {
            "url": "https://example.org/kim-title",
            "source": "other",
            "title": _headline(seed_texts["001"]),
            "content": "",
            "published": "2023-09-17T12:00:00",
        },
        # two generic title-only items with one title: not duplicates of each other
        {"url": "https://a.example/cartoon", "source": "a", "title": "كاريكاتير", "published": "2023-09-17"},
        {
            "url": "https://b.example/cartoon",
            "source": "b",
            "title": "كاريكاتير",
            "text": " \n ",
            "published": "2023-09-17",
        },
    ]
    extra.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    db = tmp_path / "t.db"
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", "--db", str(db), "--no-progress", str(seeds_jsonl), str(extra)], out=out, err=err)
    assert code == 0 and err.getvalue() == "", err.getvalue()
    with open_store(str(db)) as store:
        arts = {a.id: a for a in store.iter_articles()}
        assert len(arts) == 8
        seed_stories = {arts[s].story for s in ("000", "001", "002", "003", "004")}
        assert seed_stories == {arts["https://example.org/kim-title"].story}
        for aid in (
            "https://example.org/kim-title",
            "https://a.example/cartoon",
            "https://b.example/cartoon",
        ):
            assert arts[aid].paragraphs == [] and arts[aid].duplicate_of is None
        story = store.get_story(arts["000"].story)
        assert story is not None and "https://example.org/kim-title" in story.articles
        assert story.brief  # the brief is still built from the seeds' sentences
        assert all("https://example.org/kim-title" not in s.articles for s in story.brief)
    out = io.StringIO()
    assert main(["export", "--db", str(db), "--what", "articles"], out=out) == 0
    exported = {r["id"]: r for r in map(json.loads, out.getvalue().splitlines())}
    assert exported["https://a.example/cartoon"]["paragraphs"] == []
    assert exported["https://a.example/cartoon"]["title"] == "كاريكاتير"
