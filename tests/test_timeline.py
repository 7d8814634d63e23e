"""The story timeline on the five seeds, with their dates and without any."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date

import numpy as np
import pytest

from rasid.eval.timeline import date_prf, gold_coverage
from rasid.model import Article, Paragraph
from rasid.text.normalize import stems
from rasid.understand.dates import DateExtractor, anchor_articles
from rasid.understand.timeline import (
    build_timeline,
    extract_article_mentions,
    rank_dates,
    simple_sentences,
    story_timeline,
)

try:  # the project's splitter when it is there, else the simple local one
    from rasid.text.sentences import ArabicSentenceSplitter

    _split = ArabicSentenceSplitter().split
except ImportError:  # pragma: no cover - depends on what else is built
    _split = simple_sentences


def _articles(gold, seed_texts, with_dates: bool) -> list[Article]:
    out = []
    for doc in gold["documents"]:
        text = seed_texts[doc["id"]]
        paras = [
            Paragraph(text=ln.strip(), lang="ar", sentences=_split(ln.strip()))
            for ln in text.splitlines()
            if ln.strip()
        ]
        out.append(
            Article(
                id=doc["id"],
                origin=doc["file"],
                raw_text=text,
                content_hash=hashlib.sha1(text.encode()).hexdigest(),
                published=doc["published"] if with_dates else None,
                paragraphs=paras,
            )
        )
    return out


@pytest.mark.parametrize("with_dates", [True, False])
def test_seed_timeline_has_every_gold_date(gold, seed_texts, with_dates):
    articles = _articles(gold, seed_texts, with_dates)
    events, published = story_timeline(articles)
    assert {k: v.isoformat() if v else None for k, v in published.items()} == {
        d["id"]: d["published"] for d in gold["documents"]
    }
    coverage = gold_coverage(events, gold["timeline"])
    assert all(coverage.values()), coverage
    # Ordered by date; each text is verbatim from the first article that reports the event.
    assert [e.date for e in events] == sorted(e.date for e in events)
    by_id = {a.id: a for a in articles}
    for ev in events:
        assert ev.text in by_id[ev.articles[0]].text
        assert len(set(ev.articles)) == len(ev.articles)
    # The timeline is not every dated sentence: the tweet signature (a bare date) carries no event.
    assert not any(ev.text.startswith("—") for ev in events)
    # Dates come from the story, not from boilerplate far away ("منذ عام 2019" is a year, not a day).
    assert all("2023-08-31" <= e.date <= "2023-09-18" for e in events)
    # Date-F1 of the timeline's dates against the gold dates.
    assert date_prf({e.date for e in events}, [g["date"] for g in gold["timeline"]]).f1 == 1.0


def test_same_event_across_outlets_is_merged(gold, seed_texts):
    events, _ = story_timeline(_articles(gold, seed_texts, True))
    # Wednesday 13 September (the Vostochny meeting) is reported by four outlets: some event of
    # that day must bring at least two of them together.
    assert max(len(e.articles) for e in events if e.date == "2023-09-13") >= 2
    # The departure on Sunday 17 September: 000 ("اليوم الأحد") and 003 ("أمس الأحد") in one event.
    assert any(e.date == "2023-09-17" and {"000", "003"} <= set(e.articles) for e in events)


def test_build_timeline_with_an_embedder(gold, seed_texts):
    """The `embed` hook: here a hashed bag of light stems (cosine), in place of the USE embedder."""

    def embed(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 512), dtype=np.float32)
        for i, t in enumerate(texts):
            for s in stems(t):
                out[i, int(hashlib.md5(s.encode()).hexdigest()[:6], 16) % 512] += 1.0
        return out

    articles = _articles(gold, seed_texts, True)
    ex = DateExtractor()
    published = {a.id: date.fromisoformat(a.published) for a in articles if a.published}
    mentions = {a.id: extract_article_mentions(a, ex, published[a.id]) for a in articles}
    events = build_timeline(articles, mentions, published, embed=embed)
    assert all(gold_coverage(events, gold["timeline"]).values())


def test_undated_article_joins_a_dated_story(gold, seed_texts):
    """Only 002 loses its date: its Friday / Wednesday / Thursday fix it to Friday 15 September."""
    articles = _articles(gold, seed_texts, True)
    articles[2].published = None
    ex = DateExtractor()
    docs = [(a.id, a.published, [m for _, m in extract_article_mentions(a, ex, None)]) for a in articles]
    assert anchor_articles(docs)["002"] == date(2023, 9, 15)


def test_rank_dates_and_date_prf():
    ranked = rank_dates(
        Counter({"2023-09-13": 5, "2023-09-12": 3, "2023-09-16": 3}), 2, Counter({"2023-09-16": 2})
    )
    assert ranked == ["2023-09-13", "2023-09-16"]
    prf = date_prf(ranked, ["2023-09-13", "2023-09-17"])
    assert (prf.precision, prf.recall, prf.f1) == (0.5, 0.5, 0.5)


def test_mentions_convert_to_stored_records(gold, seed_texts):
    from rasid.understand.dates import to_time_expr

    art = _articles(gold, seed_texts, True)[4]
    pairs = extract_article_mentions(art, DateExtractor(), date(2023, 9, 16))
    recs = [to_time_expr(m, art.id, pi) for pi, m in pairs]
    assert recs and all(art.paragraphs[r.paragraph].text[r.start : r.end] == r.text for r in recs)
    assert {"2023-09-13", "2023-09-14", "2023-09-15", "2023-09-16"} <= {r.date for r in recs}


def test_timeline_embeds_only_sentences_that_share_a_day():
    """A dated sentence alone on its day is never compared, so it is never embedded."""
    import numpy as np

    from rasid.model import Article, Paragraph
    from rasid.understand.timeline import story_timeline

    asked: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        asked.extend(texts)
        return np.ones((len(texts), 4), dtype=np.float32)

    texts = [
        "وصل الرئيس إلى العاصمة يوم 3 أغسطس 2015 في زيارة رسمية تستمر يومين كاملين.",
        "وعقد الرئيس اجتماعا مع رئيس الوزراء يوم 3 أغسطس 2015 لبحث العلاقات الثنائية.",
        "ووقع الجانبان اتفاقية تعاون اقتصادي يوم 9 أغسطس 2015 في ختام المحادثات الطويلة.",
    ]
    art = Article(
        "a1",
        "a1",
        "\n".join(texts),
        "h1",
        published="2015-08-10",
        paragraphs=[Paragraph(t, "ar", [t]) for t in texts],
    )
    events, _ = story_timeline([art], embed=embed)
    assert {e.date for e in events} == {"2015-08-03", "2015-08-09"}
    assert sorted(asked) == sorted(texts[:2])


def test_alternative_days_place_the_sentence_once():
    """ "يومي الاثنين أو الثلاثاء" is one happening on one of two days: the sentence is shown once,
    on the first (and, in a future clause, the coming one); two days joined by "و" are both kept."""
    from rasid.model import Article, Paragraph
    from rasid.understand.timeline import story_timeline

    texts = [
        "وقال المسؤول إنه سيتم نقل المصابين إلى المستشفيات الكبرى خلال يومي الاثنين أو الثلاثاء.",
        "وأوضح أن اللجنة اجتمعت يومي الأحد والاثنين لبحث خطة الإجلاء وتوزيع المساعدات.",
    ]
    art = Article(
        "a1",
        "a1",
        "\n".join(texts),
        "h1",
        published="2015-08-02",
        paragraphs=[Paragraph(t, "ar", [t]) for t in texts],
    )
    events, _ = story_timeline([art])
    by_text: dict[str, list[str]] = {}
    for e in events:
        by_text.setdefault(e.text, []).append(e.date)
    assert by_text[texts[0]] == ["2015-08-03"]
    assert sorted(by_text[texts[1]]) == ["2015-07-27", "2015-08-02"]
