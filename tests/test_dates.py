"""Temporal expressions on real text: the seeds, SaudiNewsNet, Timeline17 and the SemEval sample."""

from __future__ import annotations

import csv
import gzip
import json
import re
import zipfile
from datetime import date, timedelta

import pytest

from rasid.understand.dates import (
    DateExtractor,
    anchor_articles,
    hijri_to_gregorian,
    resolve_mention,
    tabular_hijri_to_gregorian,
)


@pytest.fixture(scope="module")
def ex() -> DateExtractor:
    return DateExtractor()


@pytest.fixture(scope="module")
def snn_0810(shared) -> list[dict]:
    """SaudiNewsNet 2015-08-10: crawled after 2015-08-01, so the crawl date is the publication date."""
    with zipfile.ZipFile(shared / "data" / "saudinewsnet" / "2015-08-10.zip") as zf:
        return json.loads(zf.read(zf.namelist()[0]))


def _line(text: str, needle: str) -> str:
    return next(line for line in text.splitlines() if needle in line)


def _one(ms, text):
    hits = [m for m in ms if m.text == text]
    assert len(hits) == 1, [(m.text, m.kind) for m in ms]
    return hits[0]


def test_seed_000_relative_and_combined_months(ex, seed_texts):
    text = seed_texts["000"]
    ms = ex.extract(_line(text, "اليوم الأحد"), date(2023, 9, 17))
    today = _one(ms, "اليوم الأحد")
    assert (today.kind, today.date, today.weekday, today.offset_days, today.consistent) == (
        "weekday+relative", "2023-09-17", 6, 0, True,
    )  # fmt: skip
    assert _one(ms, "الثلاثاء الماضي").date == "2023-09-12"
    ms = ex.extract(_line(text, "آب/أغسطس"), date(2023, 9, 17))
    aug = _one(ms, "31 آب/أغسطس الماضي")
    assert (aug.date, aug.kind, aug.direction) == ("2023-08-31", "monthday", "past")
    # In January the past 31 August is in the previous year.
    assert resolve_mention(aug, date(2024, 1, 10)).date == "2023-08-31"
    years = [m for m in ex.extract(_line(text, "عام 2019"), None) if m.granularity == "year"]
    assert [(m.text, m.date) for m in years] == [("عام 2019", "2019-01-01")]


def test_seed_004_explicit_date_wins_and_fixes_the_anchor(ex, seed_texts):
    text = seed_texts["004"]
    first = ex.extract(text.splitlines()[0], None)
    sat = _one(first, "السبت 16 سبتمبر/أيلول 2023")
    assert (sat.kind, sat.date, sat.weekday, sat.consistent) == ("weekday+absolute", "2023-09-16", 5, True)
    line = _line(text, "أمس الجمعة، 15")
    fri = _one(ex.extract(line, None), "أمس الجمعة، 15 سبتمبر/أيلول 2023")
    assert (fri.date, fri.offset_days, fri.weekday) == ("2023-09-15", -1, 4)
    # Resolving against a wrong anchor flags the mismatch; the explicit date still wins.
    wrong = resolve_mention(fri, date(2023, 9, 18))
    assert wrong.date == "2023-09-15" and wrong.consistent is False
    assert resolve_mention(fri, date(2023, 9, 16)).consistent is True
    # "يوم الأربعاء الماضي" in the same sentence: unresolved without an anchor, kept for later.
    wed = _one(ex.extract(line, None), "يوم الأربعاء الماضي")
    assert (wed.date, wed.kind, wed.weekday, wed.direction) == (None, "weekday", 2, "past")
    assert resolve_mention(wed, date(2023, 9, 16)).date == "2023-09-13"
    tweet = ex.extract(_line(text, "September 16, 2023"), None, lang="en")
    assert [(m.text, m.date) for m in tweet] == [("September 16, 2023", "2023-09-16")]


def test_seed_001_003_yesterday_with_weekday(ex, seed_texts):
    sat = _one(ex.extract(_line(seed_texts["001"], "أمس السبت"), None), "أمس السبت")
    assert (sat.kind, sat.offset_days, sat.weekday, sat.date) == ("weekday+relative", -1, 5, None)
    assert resolve_mention(sat, date(2023, 9, 17)).date == "2023-09-16"
    assert resolve_mention(sat, date(2023, 9, 18)).consistent is False
    line = _line(seed_texts["003"], "أمس الأحد")
    ms = ex.extract(line, date(2023, 9, 18))
    assert _one(ms, "اليوم الإثنين").date == "2023-09-18"
    assert _one(ms, "أمس الأحد").date == "2023-09-17"


def test_seed_002_bare_weekdays_in_past_tense(ex, seed_texts):
    text = seed_texts["002"]
    anchor = date(2023, 9, 15)  # a Friday
    assert _one(ex.extract(text.splitlines()[0], anchor), "صباح الجمعة").date == "2023-09-15"
    assert _one(ex.extract(_line(text, "والتقى زعيم"), anchor), "الأربعاء").date == "2023-09-13"
    assert _one(ex.extract(_line(text, "بيسكوف، الخميس"), anchor), "الخميس").date == "2023-09-14"
    week = _one(ex.extract(_line(text, "الأسبوع الماضي"), anchor), "الأسبوع الماضي")
    assert (week.granularity, week.offset_days, week.date) == ("week", -7, "2023-09-04")


def test_arabic_indic_digits(ex, seed_texts):
    line = seed_texts["004"].splitlines()[0]
    indic = line.translate({ord(str(i)): chr(0x0660 + i) for i in range(10)})
    sat = next(m for m in ex.extract(indic, None) if m.kind == "weekday+absolute")
    assert sat.date == "2023-09-16" and "١٦" in sat.text and indic[sat.start : sat.end] == sat.text


def test_offsets_survive_diacritics(ex, seed_texts):
    line = _line(seed_texts["000"], "آب/أغسطس")  # has shadda and kasra before the date
    assert "ّ" in line
    for m in ex.extract(line, date(2023, 9, 17)):
        assert line[m.start : m.end] == m.text


def test_weekday_directions():
    ex = DateExtractor()
    tue = date(2023, 9, 12)
    m = ex.extract("ووصل كيم إلى روسيا، الثلاثاء الماضي", None)[0]
    assert resolve_mention(m, tue).date == "2023-09-05"  # "الماضي" on a Tuesday: the week before
    bare = DateExtractor().extract("واجتمع الرئيسان، الأربعاء", None)[0]
    assert resolve_mention(bare, date(2023, 9, 13)).date == "2023-09-13"
    assert resolve_mention(bare, date(2023, 9, 17)).date == "2023-09-13"


def test_hijri_named_and_numeric_against_gregorian(ex, snn_0810):
    """SaudiNewsNet writes "X هـ الموافق Y م": the converted Hijri date must equal the Gregorian one."""
    pairs = agree = 0
    for art in snn_0810:
        text = art["content"] or ""
        if "الموافق" not in text:
            continue
        ms = ex.extract(text, None)
        for a, b in zip(ms, ms[1:], strict=False):
            gap = text[a.end : b.start]
            hijri_then_gregorian = a.calendar == "hijri" and b.calendar == "gregorian"
            both_days = a.granularity == "day" and b.granularity == "day"
            if hijri_then_gregorian and both_days and "الموافق" in gap and len(gap) < 15:
                pairs += 1
                agree += a.date == b.date
    assert pairs >= 30
    assert agree / pairs >= 0.95


def test_hijri_named_month(ex, snn_0810):
    found = []
    for art in snn_0810:
        text = art["content"] or ""
        for mt in re.finditer(r"\d{1,2} شوال 1436 ?هـ", text):
            found.append(mt.group(0))
            m = _one(ex.extract(mt.group(0), None), mt.group(0))
            assert m.kind == "hijri" and m.calendar == "hijri" and m.granularity == "day"
            day = int(mt.group(0).split()[0])
            # 1 Shawwal 1436 was Friday 17 July 2015 (Eid al-Fitr) in Umm al-Qura.
            assert m.date == (date(2015, 7, 17) + timedelta(days=day - 1)).isoformat()
        if len(found) >= 5:
            break
    assert len(found) >= 3


def test_tabular_calendar_close_to_umm_al_qura():
    assert hijri_to_gregorian(1436, 10, 1) == date(2015, 7, 17)
    for y in (1400, 1420, 1436, 1445):
        for m in (1, 5, 9, 12):
            delta = (tabular_hijri_to_gregorian(y, m, 10) - hijri_to_gregorian(y, m, 10)).days
            assert abs(delta) <= 2


def test_yesterday_weekday_agrees_with_crawl_date(ex, snn_0810):
    """In articles crawled on Monday 10 August 2015 "أمس الأحد" means Sunday the 9th."""
    total = agree = 0
    for art in snn_0810[:700]:
        anchor = date.fromisoformat(art["date_extracted"][:10])
        for m in ex.extract(art["content"] or "", anchor):
            if m.kind == "weekday+relative":
                total += 1
                agree += bool(m.consistent)
                if m.consistent and m.offset_days == -1:
                    assert m.date == "2015-08-09"
    assert total >= 40
    assert agree / total >= 0.85


def test_relative_days_from_saudinewsnet(ex, snn_0810):
    checked = Counter_ = {"قبل يومين": 0, "أول من أمس": 0}
    for art in snn_0810:
        text = art["content"] or ""
        for needle, off in (("قبل يومين", -2), ("أول من أمس", -2)):
            i = text.find(needle)
            if i < 0 or Counter_[needle] >= 3:
                continue
            ms = [m for m in ex.extract(text[max(0, i - 40) : i + 60], date(2015, 8, 10)) if needle in m.text]
            assert ms and ms[0].offset_days == off and ms[0].date == "2015-08-08"
            checked[needle] += 1
    assert all(v >= 1 for v in checked.values()), checked


def test_english_timeline17_sentences(ex, shared):
    path = shared / "data" / "timeline17" / "EgyptianProtest_cnn" / "articles.tokenized.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        arts = [json.loads(line) for _, line in zip(range(60), fh, strict=False)]
    seen = 0
    for art in arts:
        anchor = date.fromisoformat(art["time"])
        for line in art["text"].splitlines():
            for m in ex.extract(line, anchor, lang="en"):
                assert line[m.start : m.end] == m.text
                if m.kind == "weekday" and m.direction is None and m.date:
                    d = date.fromisoformat(m.date)
                    assert 0 <= (anchor - d).days < 7 or 0 < (d - anchor).days <= 7
                    seen += 1
    assert seen >= 20


def test_french_sentences_from_semeval(ex, shared):
    path = shared / "data" / "semeval2022-task8-sample" / "hfl_training_set.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    texts = [r[f"text{k}"] for r in rows for k in (1, 2) if r[f"lang{k}"] == "fr"]
    hit = next(t for t in texts if "le 20 mars dernier" in t)
    m = _one(ex.extract(hit, date(2020, 6, 1), lang="fr"), "20 mars")
    assert m.date == "2020-03-20"
    hit = next(t for t in texts if "ce jeudi 9 avril" in t)
    m = next(m for m in ex.extract(hit, date(2020, 4, 10), lang="fr") if "9 avril" in m.text)
    assert m.kind == "weekday+monthday" and m.date == "2020-04-09" and m.consistent is True
    hit = next(t for t in texts if "décédé lundi" in t)
    m = _one(ex.extract(hit, date(2020, 5, 28), lang="fr"), "lundi")
    assert m.date == "2020-05-25"


def test_anchor_articles_from_seeds_without_dates(ex, gold, seed_texts):
    docs = [(d["id"], None, ex.extract(seed_texts[d["id"]], None)) for d in gold["documents"]]
    inferred = anchor_articles(docs)
    assert {k: v.isoformat() if v else None for k, v in inferred.items()} == {
        d["id"]: d["published"] for d in gold["documents"]
    }


def test_anchor_articles_keeps_given_dates_and_needs_evidence(ex, gold, seed_texts):
    docs = [(d["id"], None, ex.extract(seed_texts[d["id"]], None)) for d in gold["documents"]]
    # One article dated, the others inferred from it; the dated one keeps its date.
    docs[4] = ("004", "2023-09-16", docs[4][2])
    inferred = anchor_articles(docs)
    assert inferred["004"] == date(2023, 9, 16) and inferred["001"] == date(2023, 9, 17)
    # Without any explicit date or dated sibling there is nothing to anchor to.
    alone = anchor_articles([("001", None, ex.extract(seed_texts["001"], None))])
    assert alone == {"001": None}


def test_bare_weekday_in_a_future_clause_is_the_coming_one(ex):
    """News writes "سيتم ... يوم الاثنين" for the coming Monday; without a future marker, or after a
    past expectation ("لم يكن من المتوقع ..."), a bare weekday stays the last one."""
    sunday = date(2015, 8, 2)

    def days(text: str) -> list[str | None]:
        return [m.date for m in ex.extract(text, sunday) if "weekday" in m.kind]

    assert days("وقال المسؤول إنه سيتم نقل المصابين للعلاج خلال يومي الاثنين أو الثلاثاء.") == [
        "2015-08-03",
        "2015-08-04",
    ]
    assert days("ومن المقرر أن تنطلق البطولة مساء الجمعة في جدة.") == ["2015-08-07"]
    assert days("ومن المقرر أن يلتقي الوزير نظيره الأحد.") == ["2015-08-02"]  # that day or the next
    assert days("التقى الوزير نظيره يوم الاثنين.") == ["2015-07-27"]
    assert days("ولم يكن من المتوقع أن تهبط الأسهم كما حدث في جلسة الثلاثاء.") == ["2015-07-28"]
    assert days("وكان من المقرر أن يصل الوفد يوم الاثنين لكنه تأخر.") == ["2015-07-27"]
    assert days("والمقرر إقامتها السبت في جدة.") == ["2015-08-08"]
    # a sentence end separates the marker from the weekday
    assert days("وسيتم الإعلان عن النتائج لاحقا. وكان الاجتماع قد عقد يوم الخميس.") == ["2015-07-30"]


def test_tomorrow_without_alif_before_a_weekday_or_after_a_time_of_day(ex):
    """ "مساء غد الاثنين", "صباح غد": tomorrow (with its weekday), not last Monday; "غد" as the noun
    ("غد أفضل") is no date."""
    sunday = date(2015, 8, 2)
    got = ex.extract("ومن المتوقع أن تغادر السفينة مساء غد الاثنين.", sunday)
    assert [(m.kind, m.date, m.consistent) for m in got] == [("weekday+relative", "2015-08-03", True)]
    assert [m.date for m in ex.extract("يعقد المجلس اجتماعه صباح غد في الرياض.", sunday)] == ["2015-08-03"]
    assert ex.extract("من أجل غد أفضل لأبنائنا.", sunday) == []
