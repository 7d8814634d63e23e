"""The text layer on real text: matching form, language per paragraph, sentence splitting."""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from rasid.text.clean import NewsCleaner
from rasid.text.language import FastTextLanguage
from rasid.text.normalize import clean_invisible, match_form, tokens
from rasid.text.sentences import ArabicSentenceSplitter

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture(scope="module")
def seed_paragraphs(seed_texts) -> dict[str, list[str]]:
    cleaner = NewsCleaner()
    return {doc_id: cleaner.clean(text)[0] for doc_id, text in seed_texts.items()}


@pytest.fixture(scope="module")
def snn_paragraphs(shared) -> list[str]:
    """Paragraphs of every 15th article of one SaudiNewsNet day (all sources)."""
    with zipfile.ZipFile(shared / "data" / "saudinewsnet" / "2015-08-01.zip") as zf:
        articles = json.loads(zf.read(zf.namelist()[0]))[::15]
    cleaner = NewsCleaner()
    return [p for art in articles for p in cleaner.clean(art["content"], art["title"] or None)[0]]


def find(texts, needle: str) -> str:
    """The one paragraph that contains `needle`."""
    hits = [t for t in texts if needle in t]
    assert len(hits) == 1, needle
    return hits[0]


# --- matching form -----------------------------------------------------------------------------


def test_match_form_folds_what_writers_vary(seed_texts):
    text = "\n".join(seed_texts.values())
    # Hamza on alef, shadda, tatweel, Arabic-Indic digits, ya/alef maqsura, ta marbuta.
    assert "الأسبوع" in text and match_form("الاسبوع") == match_form("الأسبوع")
    assert match_form("محمد") == match_form("مُحَمَّد")
    assert "تفقّد" in text and match_form("تفقّد") == match_form("تفقد")
    assert match_form("كيـــم جونـغ أون") == match_form("كيم جونغ اون")
    year = re.search(r"\d{4}", seed_texts["004"]).group(0)
    assert match_form(year.translate(ARABIC_INDIC)) == year
    assert match_form("٣٫٥") == "3.5"
    assert match_form("على") == match_form("علي") and match_form("زيارة") == match_form("زياره")


def test_nbsp_and_bidi_marks_are_invisible(seed_texts):
    line = next(ln for ln in seed_texts["001"].split("\n") if "\u00a0" in ln and len(ln) > 40)
    assert "\u00a0" not in clean_invisible(line)
    marked = "\u200f" + line + "\u200e\u202b"
    assert clean_invisible(marked) == clean_invisible(line)
    assert match_form(marked) == match_form(line.replace("\u00a0", " "))
    assert tokens(marked) == tokens(line)


# --- language ----------------------------------------------------------------------------------


def test_language_of_every_seed_paragraph(gold, seed_paragraphs):
    lang = FastTextLanguage()
    foreign = {(f["doc"], f["starts"]): f["lang"] for f in gold["foreign_paragraphs"]}
    found = 0
    for doc_id, paragraphs in seed_paragraphs.items():
        for p in paragraphs:
            expected = next((v for (d, s), v in foreign.items() if d == doc_id and p.startswith(s)), "ar")
            found += expected != "ar"
            assert lang.detect(p) == expected, p[:60]
    assert found == len(foreign)


def test_plain_arabic_never_loads_the_model(seed_paragraphs):
    lang = FastTextLanguage()
    for p in seed_paragraphs["003"]:
        assert lang.detect(p) == "ar"
    assert lang._detector is None


def test_language_edge_cases(seed_paragraphs):
    lang = FastTextLanguage()
    assert lang.detect("") == "und"
    assert lang.detect("2023 - 16 / ...") == "und"
    assert lang.detect("روسيا") == "ar"
    # Arabic with Latin model names is still Arabic (seed 002: "Su-35 وSu-57").
    assert lang.detect(find(seed_paragraphs["002"], "Su-35")) == "ar"
    assert lang.detect("Kim\nJong Un has arrived at Knevichi airfield near Vladivostok") == "en"


def test_dialect_and_script_codes_map_to_arabic(monkeypatch, seed_paragraphs):
    lang = FastTextLanguage()
    paragraph = find(seed_paragraphs["002"], "Su-35")
    for code in ("arz", "ary", "fa", "ur"):
        monkeypatch.setattr(FastTextLanguage, "_ask", lambda self, text, code=code: code)
        assert lang.detect(paragraph) == "ar", code


def test_language_on_saudinewsnet_is_arabic(snn_paragraphs):
    lang = FastTextLanguage()
    langs = [lang.detect(p) for p in snn_paragraphs]
    assert len(langs) > 100
    assert sum(x == "ar" for x in langs) >= 0.98 * len(langs)


# --- sentences ---------------------------------------------------------------------------------


def assert_exact(paragraph: str, sentences: list[str]) -> None:
    pos = 0
    for s in sentences:
        assert s and s == s.strip()
        at = paragraph.find(s, pos)
        assert at >= 0, s
        assert not re.search(r"[^\W_]", paragraph[pos:at]), "text lost between sentences"
        pos = at + len(s)
    assert not re.search(r"[^\W_]", paragraph[pos:])


def test_sentences_are_exact_substrings_in_order(seed_paragraphs, snn_paragraphs):
    splitter = ArabicSentenceSplitter()
    for p in [*(p for ps in seed_paragraphs.values() for p in ps), *snn_paragraphs]:
        assert_exact(p, splitter.split(p))


def test_initials_and_model_names_stay_in_one_sentence(seed_paragraphs):
    splitter = ArabicSentenceSplitter()
    p = find(seed_paragraphs["004"], "تي.يو160")
    assert "تي.يو-95" in p and "تي.يو-22 إم3" in p
    assert splitter.split(p) == [p]


def test_real_sentence_ends_split(seed_paragraphs):
    splitter = ArabicSentenceSplitter()
    p = find(seed_paragraphs["000"], "منذ عام 2019.")
    first, second = splitter.split(p)
    assert first.endswith("2019.") and second.startswith("وأجرى")
    # A missing space after the period between two words is still an end.
    p = find(seed_paragraphs["001"], "روسيا.البندقية")
    first, second = splitter.split(p)
    assert first.endswith("روسيا.") and second.startswith("البندقية")


def test_no_split_on_comma_semicolon_ellipsis_or_inside_short_quotes(seed_paragraphs, snn_paragraphs):
    splitter = ArabicSentenceSplitter()
    title = seed_paragraphs["000"][0]
    assert ".." in title and splitter.split(title) == [title]
    for p in [*(p for ps in seed_paragraphs.values() for p in ps), *snn_paragraphs]:
        sentences = splitter.split(p)
        for s in sentences[:-1]:
            assert not s.endswith(("،", "؛", ",", "..", "…")), s[-40:]
        if p.count("«") == p.count("»") and all(len(q) < 300 for q in re.findall("«[^»]*»", p)):
            for s in sentences:
                assert s.count("«") == s.count("»"), s


def test_abbreviations_and_decimals_do_not_end_sentences(snn_paragraphs):
    splitter = ArabicSentenceSplitter()
    decimals = abbreviations = 0
    for p in snn_paragraphs:
        sentences = splitter.split(p)
        for a, b in zip(sentences, sentences[1:], strict=False):
            assert not (a[-2:-1].isdigit() and b[:1].isdigit()), (a[-30:], b[:30])
            # A one-letter token before the period (د. م. أ.) is an abbreviation, unless an era
            # mark after a year ("1436 هـ." "2015 م.").
            last = a.split()[-1]
            if len(last) == 2 and last.endswith("."):
                assert re.search(r"\d\s+\S\.$", a), a[-30:]
        decimals += len(re.findall(r"\d\.\d", p))
        abbreviations += len(re.findall(r"(?:^|\s)[دمأ]\.\s", p))
    assert decimals >= 5 and abbreviations >= 1


def test_latin_abbreviations_and_arabic_decimal_separator():
    splitter = ArabicSentenceSplitter()
    english = "Mr. Putin met Dr. Kim in the U.S. embassy at 3.5 p.m. on Monday. They talked."
    assert splitter.split(english) == [
        "Mr. Putin met Dr. Kim in the U.S. embassy at 3.5 p.m. on Monday.",
        "They talked.",
    ]
    assert len(splitter.split("بلغ النمو ٣٫٥ في المئة. وقال د. أحمد إن ذلك جيد؟ نعم!")) == 3
    assert splitter.split("زوروا www.spa.gov.sa/index.php?id=1 للمزيد.") == [
        "زوروا www.spa.gov.sa/index.php?id=1 للمزيد."
    ]
