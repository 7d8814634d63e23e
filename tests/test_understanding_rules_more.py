"""Issue 15, session 10: ordinal-word days, short dated bullets, a past happening dated a day apart,
a group's other names, the story's own given names, and junk classes (codes, particles, glued
scripts). Texts are written for these tests."""

from __future__ import annotations

from datetime import date

import pytest

from rasid.model import Article, Mention, Paragraph
from rasid.understand.dates import DateExtractor
from rasid.understand.entities import EntityCanonicaliser
from rasid.understand.propagate import propagate_mentions
from rasid.understand.rules import StoryRules
from rasid.understand.timeline import story_timeline


def _article(aid: str, *paras: str, published: str | None = "2015-08-01") -> Article:
    return Article(
        aid,
        aid,
        "\n".join(paras),
        aid,
        published=published,
        paragraphs=[Paragraph(p, "ar", [p]) for p in paras],
    )


def _mention(art: Article, pi: int, text: str, typ: str) -> Mention:
    start = art.paragraphs[pi].text.index(text)
    return Mention(text, typ, art.id, pi, start, start + len(text))


@pytest.fixture(scope="module")
def rules() -> StoryRules:
    return StoryRules.default()


# ----------------------------------------------------------------------------- dates
@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("بدأت العملية منتصف ليلة السادس والعشرين من شهر مارس عام 2015 بضربات جوية", ("2015-03-26", "day")),
        ("وقعت الحادثة في الحادي عشر من سبتمبر 2001 في نيويورك", ("2001-09-11", "day")),
        ("يبدأ التسجيل في الأول من يناير المقبل", ("2016-01-01", "day")),
        # a week of the month is not a day of it: the month only
        ("تبدأ الدراسة في الأسبوع الثاني من شهر مارس عام 2015", ("2015-03-01", "month")),
    ],
)
def test_ordinal_word_days(text: str, want: tuple[str, str]) -> None:
    got = [(m.date, m.granularity) for m in DateExtractor().extract(text, date(2015, 8, 1), "ar")]
    assert got == [want]


def test_an_ordinal_century_is_not_a_date() -> None:
    assert DateExtractor().extract("تحديات القرن الحادي والعشرين من مارس", date(2015, 8, 1), "ar") == []


def test_a_short_bullet_with_a_full_date_is_an_entry_but_a_dateline_is_not() -> None:
    art = _article(
        "a",
        "ولد سالم بن لادن في 4 يناير 1946م.",
        "الرياض - 4 يناير 2015م",
        "وصل الوزير إلى المدينة أمس في زيارة رسمية تستمر يومين.",
    )
    events, _ = story_timeline([art])
    assert {e.date for e in events} == {"1946-01-04", "2015-07-31"}


def test_a_past_happening_dated_a_day_apart_is_one_entry() -> None:
    arts = [
        _article("a", "توفي رجل الأعمال في تحطم طائرته الخفيفة في تكساس في 29 مايو 1988 أثناء عرض جوي."),
        _article("b", "وتوفي رجل الأعمال في تحطم طائرته الخفيفة خلال عرض جوي بتكساس في 30 مايو 1988."),
        _article("c", "وتحطمت طائرة رجل الأعمال في تكساس خلال عرض جوي يوم 30 مايو 1988."),
        # recent consecutive days are a story's steps: two entries
        _article(
            "d",
            "وصل الوفد إلى العاصمة يوم 30 يوليو 2015 لبدء المحادثات الرسمية.",
            "وغادر الوفد العاصمة يوم 31 يوليو 2015 بعد المحادثات الرسمية.",
        ),
    ]
    events, _ = story_timeline(arts)
    old = [e for e in events if e.date.startswith("1988")]
    assert [(e.date, sorted(e.articles)) for e in old] == [("1988-05-30", ["a", "b", "c"])]
    assert {e.date for e in events if e.date.startswith("2015")} == {"2015-07-30", "2015-07-31"}


# ----------------------------------------------------------------------------- groups
def test_a_group_named_after_a_family_takes_its_other_names(rules: StoryRules) -> None:
    art = _article(
        "a",
        "سيطرت جماعة الحوثي على المدينة في الربيع الماضي.",
        "واستعادت القوات المدينة من ميليشيا التمرد الحوثية بعد قتال طويل.",
        "وقال السكان إن الحوثيين انسحبوا من الأحياء الشرقية.",
    )
    found = [_mention(art, 0, "جماعة الحوثي", "ORG")]
    out = rules.apply([art], found, set())
    texts = {m.text: m for m in out}
    assert texts["ميليشيا التمرد الحوثية"].alias == "جماعة الحوثي"
    assert texts["الحوثيين"].type == "ORG" and texts["الحوثيين"].alias == "جماعة الحوثي"
    entities, _ = EntityCanonicaliser().canonicalise(out)
    assert len(entities) == 1
    assert set(entities[0].variants) == {"جماعة الحوثي", "ميليشيا التمرد الحوثية", "الحوثيين"}


def test_an_adjective_group_name_does_not_claim_a_plural_nisba(rules: StoryRules) -> None:
    # «الجماعة الإسلامية» agrees as an adjective: the Islamists are not that group
    art = _article("a", "أعلنت الجماعة الإسلامية مشاركتها في الانتخابات.", "وانتقد الإسلاميين قرار الحكومة.")
    out = rules.apply([art], [_mention(art, 0, "الجماعة الإسلامية", "ORG")], set())
    assert [m.text for m in out] == ["الجماعة الإسلامية"]


def test_a_surname_found_again_takes_the_given_name_the_story_writes_with_it(rules: StoryRules) -> None:
    art = _article(
        "a",
        "قاد الطائرة الكابتن مازن عقيل الدعجة وهو طيار متمرس.",
        "وأكدت الوزيرة أن طيارا يدعى مازن الدعجة توفي في الحادث.",
    )
    out = propagate_mentions([art], [_mention(art, 0, "مازن عقيل الدعجة", "PER")], set(), rules=rules)
    assert "مازن الدعجة" in {m.text for m in out if m.paragraph == 1}


# ----------------------------------------------------------------------------- junk
def test_codes_particles_and_glued_scripts(rules: StoryRules) -> None:
    art = _article(
        "a",
        "الطائرة مسجلة برقم HZIBN في السجل الوطني.",
        "وقدمت الطائرة باسمBCA Europe للرحلة.",
        "وعبر السكان عن تفاؤلهم بعودة الخدمات، وزار علي عبدالله صالح المدينة.",
        "وجاء الرد بلسان عادل الجبير في المؤتمر.",
    )
    found = [
        _mention(art, 0, "HZIBN", "PER"),
        _mention(art, 1, "باسمBCA Europe", "PER"),
        _mention(art, 2, "عن تفاؤلهم بعودة", "LOC"),
        _mention(art, 2, "علي عبدالله صالح", "PER"),
        _mention(art, 3, "بلسان عادل الجبير", "PER"),
    ]
    out = {m.text for m in rules.apply([art], found, set())}
    assert "HZIBN" not in out
    assert "BCA Europe" in out and "باسمBCA Europe" not in out
    assert not any("تفاؤلهم" in t for t in out)
    assert "علي عبدالله صالح" in out  # the name علي is not the particle على
    assert "عادل الجبير" in out and "بلسان عادل الجبير" not in out
