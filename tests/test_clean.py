"""NewsCleaner on the seed story (against gold.json's noise) and on a SaudiNewsNet sample."""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from rasid.model import Removed
from rasid.text.clean import NewsCleaner
from rasid.text.normalize import clean_invisible, match_form

KINDS = {
    "shortcode",
    "caption",
    "embed",
    "bullet",
    "separator",
    "boilerplate",
    "byline",
    "title",
    "duplicate",
}
ARABIC_WORD = re.compile(r"[\u0621-\u064a]{2,}")
BULLET = re.compile(r"^[•●▪■◾◼◆◇►▶➢➤✓✔·○◦*\-\u2010-\u2015]+\s+")


def key(text: str) -> str:
    """Dash- and punctuation-blind comparison form (captions differ only in dash type)."""
    return re.sub(r"[\W_]+", " ", match_form(text)).strip()


@pytest.fixture(scope="module")
def cleaned(seed_texts) -> dict[str, tuple[list[str], list[Removed]]]:
    cleaner = NewsCleaner()
    return {doc_id: cleaner.clean(text) for doc_id, text in seed_texts.items()}


@pytest.fixture(scope="module")
def snn_sample(shared) -> list[dict]:
    """Every 10th article of two SaudiNewsNet days: all sources, deterministic."""
    articles: list[dict] = []
    for day in ("2015-07-26", "2015-08-06"):
        with zipfile.ZipFile(shared / "data" / "saudinewsnet" / f"{day}.zip") as zf:
            for name in zf.namelist():
                articles.extend(json.loads(zf.read(name))[::10])
    return articles


def test_every_gold_noise_text_is_gone(gold, cleaned):
    for noise in gold["noise"]:
        paragraphs, _ = cleaned[noise["doc"]]
        text = noise["text"].strip()
        for p in paragraphs:
            assert text not in p, (noise["kind"], p)
            # No copy of a caption survives, whatever its dash.
            assert key(text) not in key(p) or noise["kind"] != "duplicate_caption", p


def test_no_prose_line_of_the_seeds_is_lost(gold, seed_texts, cleaned):
    """Every line with >= 8 Arabic words that gold does not call noise comes out verbatim
    (only invisible marks, surrounding spaces and a bullet marker taken off)."""
    checked = 0
    for doc_id, text in seed_texts.items():
        paragraphs, _ = cleaned[doc_id]
        noise = [n for n in gold["noise"] if n["doc"] == doc_id]
        shortcode_names = {n["text"].split()[0] for n in noise if n["kind"] == "shortcode"}
        for line in text.split("\n"):
            if len(ARABIC_WORD.findall(line)) < 8:
                continue
            if any(key(n["text"]) in key(line) for n in noise if n["kind"] != "bullet"):
                continue
            if line.strip().split()[0] in shortcode_names:
                continue
            expected = BULLET.sub("", clean_invisible(line).strip())
            assert expected in paragraphs, line
            checked += 1
    assert checked >= 60


def test_removals_are_the_debris_gold_names(gold, cleaned):
    bylines = {d["id"]: d.get("byline") for d in gold["documents"]}
    for doc_id, (_, removed) in cleaned.items():
        noise = [n for n in gold["noise"] if n["doc"] == doc_id]
        for r in removed:
            assert r.kind in KINDS
            if r.kind == "caption":
                assert any(
                    key(n["text"]) in key(r.text) for n in noise if n["kind"] == "duplicate_caption"
                ), r
            elif r.kind == "shortcode":
                assert any(r.text.startswith(n["text"].split()[0]) for n in noise if n["kind"] == "shortcode")
            elif r.kind == "byline":
                assert r.text == bylines[doc_id]
            elif r.kind == "bullet":
                assert any(n["kind"] == "bullet" and n["text"].strip().startswith(r.text) for n in noise)
            elif r.kind == "embed":
                assert any(n["kind"] == "embedded_tweet" for n in noise)
            else:
                pytest.fail(f"unexpected removal in seed {doc_id}: {r}")
    # All copies of each caption go: 3 pairs in 001.
    captions = [r for r in cleaned["001"][1] if r.kind == "caption"]
    assert len(captions) == 2 * sum(1 for n in gold["noise"] if n["kind"] == "duplicate_caption")


def test_tweet_text_kept_without_link_or_signature(gold, cleaned):
    for foreign in gold["foreign_paragraphs"]:
        paragraphs, removed = cleaned[foreign["doc"]]
        hits = [p for p in paragraphs if p.startswith(foreign["starts"])]
        assert len(hits) == 1
        assert "pic.twitter.com" not in hits[0] and "(@" not in hits[0]
    _, removed = cleaned["004"]
    embeds = [r.text for r in removed if r.kind == "embed"]
    assert any(t.startswith("pic.twitter.com/") for t in embeds)
    assert any(re.search(r"\(@\w+\) \w+ \d+, \d{4}$", t) for t in embeds)
    assert not any("(@" in p for p in cleaned["004"][0])


def test_paragraphs_are_display_clean(cleaned):
    for paragraphs, _ in cleaned.values():
        for p in paragraphs:
            assert p and p == p.strip()
            assert "\u00a0" not in p and not re.search("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", p)
            assert "\n" not in p


def test_first_line_repeating_the_title_is_removed(seed_texts):
    cleaner = NewsCleaner()
    for doc_id, text in seed_texts.items():
        first = text.split("\n", 1)[0]
        without, _ = cleaner.clean(text)
        with_title, removed = cleaner.clean(text, title=first.strip())
        assert without[0] == clean_invisible(first).strip(), doc_id
        assert with_title == without[1:]
        assert removed[0] == Removed("title", without[0])


def test_cleaning_is_deterministic_and_does_not_touch_prose_twice(seed_texts):
    cleaner = NewsCleaner()
    for text in seed_texts.values():
        paragraphs, _ = cleaner.clean(text)
        assert cleaner.clean(text)[0] == paragraphs
        again, removed = cleaner.clean("\n".join(paragraphs))
        assert again == paragraphs and removed == []


def test_saudinewsnet_sample_keeps_prose(snn_sample):
    """On real articles of every source: >= 99% of Arabic words survive, and no long sentence-like
    line is dropped unless it repeats the title or the line before it."""
    cleaner = NewsCleaner()
    kinds: set[str] = set()
    words_in = words_out = 0
    for art in snn_sample:
        paragraphs, removed = cleaner.clean(art["content"], art["title"] or None)
        kinds.update(r.kind for r in removed)
        words_in += len(ARABIC_WORD.findall(art["content"]))
        words_out += len(ARABIC_WORD.findall(" ".join(paragraphs)))
        joined = "\n".join(paragraphs)
        for r in removed:
            assert r.kind in KINDS
            if len(ARABIC_WORD.findall(r.text)) >= 15 and r.text.rstrip().endswith("."):
                assert r.kind in {"title", "duplicate"}, r
        for raw in art["content"].split("\n"):
            if "\u00a0" in raw:
                continue  # may hold flattened paragraph breaks: split back, checked below
            line = BULLET.sub("", clean_invisible(raw).strip())
            for r in removed:  # a tag list glued to the last sentence is cut off, the sentence stays
                if r.kind == "boilerplate" and line.endswith(" " + r.text):
                    line = line[: -len(r.text)].rstrip()
            if len(ARABIC_WORD.findall(line)) >= 15 and "Previous" not in line:
                assert line in joined or any(r.kind in {"title", "duplicate"} for r in removed), line[:80]
    assert len(snn_sample) > 300
    assert words_out >= 0.99 * words_in
    assert {"byline", "boilerplate"} <= kinds


def test_saudinewsnet_debris_lines_are_removed(snn_sample):
    """Lines that are debris by construction in this corpus (end marks, SMS codes, 'X – عين اليوم'
    bylines at the top, 'Next Previous' navigation) never reach the paragraphs."""
    cleaner = NewsCleaner()
    seen = 0
    for art in snn_sample:
        paragraphs, _ = cleaner.clean(art["content"], art["title"] or None)
        lines = [ln.strip() for ln in art["content"].split("\n") if ln.strip()]
        for i, line in enumerate(lines):
            debris = (
                re.fullmatch(r"//\s*(انتهى|يتبع)\s*//", line)
                or re.fullmatch(r"\d{5,6} - (Stc|Mobily|Zain)", line)
                or (i == 0 and re.fullmatch(r"(Next Previous )?[^\s–]+ [^\s–]+ – [^\s–]+( [^\s–]+)?", line))
            )
            if debris:
                seen += 1
                assert all(line not in p for p in paragraphs), line
        assert not any(p.startswith("Next Previous") for p in paragraphs)
    assert seen >= 20


def test_flattened_paragraphs_are_split_back(snn_sample):
    """Sabq gives a whole article on one line, its lost paragraph breaks left as ' \\xa0 ' after a
    sentence end: those become paragraph breaks, and no other break is invented."""
    cleaner = NewsCleaner()
    checked = 0
    for art in snn_sample:
        text = art["content"]
        if art["source"] != "sabq" or "\n" in text.strip():
            continue
        breaks = len(re.findall(r"(?<=[.!؟?:])[ \t]+\u00a0[ \t\u00a0]*(?=\S)", text))
        paragraphs, _ = cleaner.clean(text, art["title"] or None)
        assert len(paragraphs) <= breaks + 1
        assert len(paragraphs) >= min(breaks + 1, 2) if breaks else len(paragraphs) == 1
        checked += 1
    assert checked >= 10
