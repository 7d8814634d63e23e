"""The understanding stage's fast paths give what the plain ways give, and stay fast in kind.

No timing here (a shared machine makes timings flaky): each fast path is checked against the
plain computation it replaces, and one structural check guards the kind of cost that regressed
before (a regex compiled per story).
"""

from __future__ import annotations

import re

import pytest

from rasid.model import Article, Paragraph
from rasid.text.normalize import Forms, light_stem, match_form
from rasid.understand.ner_tokenize import _TOKEN, tokenize
from rasid.understand.propagate import _CLITICS, _CONJ, SurfaceFinder


@pytest.fixture(scope="module")
def seeds(seed_texts: dict[str, str]) -> list[Article]:
    return [
        Article(
            id=i,
            origin=i,
            raw_text=t,
            content_hash=i,
            paragraphs=[Paragraph(line.strip(), lang="ar") for line in t.splitlines() if line.strip()],
        )
        for i, t in sorted(seed_texts.items())
    ]


def _regex_hits(surfaces: set[str], clitics: tuple[str, ...], text: str) -> list[tuple[int, int, int]]:
    alternatives = "|".join(re.escape(s) for s in sorted(surfaces, key=len, reverse=True))
    options = "|".join(re.escape(c) for c in clitics if c)
    pattern = re.compile(r"(?<!\w)(?:" + options + ")?(" + alternatives + r")(?!\w)")
    return [(m.start(), m.start(1), m.end(1)) for m in pattern.finditer(text)]


def test_surface_finder_finds_what_the_per_story_regex_finds(seeds) -> None:
    texts = [p.text for a in seeds for p in a.paragraphs]
    texts += ["وبموسكو ولموسكو موسكوفي موسكو_ (موسكو) وبيونغ يانغ، بيونغ يانغية ف موسكو", "موسكو", ""]
    # names as a story's mentions write them, one- and multi-word, some that are words' beginnings
    surfaces = {"موسكو", "بيونغ يانغ", "بيونغ", "كيم جونغ أون", "بوتين", "روسيا", "ليد", "وليد"}
    for clitics in (_CLITICS, _CONJ):
        finder = SurfaceFinder(surfaces, clitics)
        assert finder.regex is None  # every surface begins with a word character: no regex
        for text in texts:
            assert finder.find(text) == _regex_hits(surfaces, clitics, text), text
    # a surface that does not begin with a word character is found by the regex, the same way
    odd = surfaces | {"«كينجال»"}
    finder = SurfaceFinder(odd, _CLITICS)
    assert finder.regex is not None
    text = "صواريخ «كينجال» وبموسكو"
    assert finder.find(text) == _regex_hits(odd, _CLITICS, text) != []


def test_tokenize_gives_the_token_regex_spans(seeds) -> None:
    texts = [p.text for a in seeds for p in a.paragraphs] + ["", "  ", "MiG-31I 2,5% «كينجال»\n\nج، د "]
    for text in texts:
        assert [tuple(t) for t in tokenize(text)] == [
            (m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)
        ]


def test_forms_remember_match_form_and_light_stem_within_a_bound() -> None:
    forms = Forms(max_items=3)
    words = ["الخارجية", "أكد", "وزارة الخارجية", "مُحمد", "إيران", "الخارجية"]
    assert [forms.form(w) for w in words] == [match_form(w) for w in words]
    assert len(forms.form_of) <= 3
    toks = ["الخارجيه", "والمسؤولين", "بالمملكه", "ان"]
    assert [forms.stem(t) for t in toks] == [light_stem(t) for t in toks]


@pytest.mark.slow
def test_batched_tagging_gives_each_document_its_own_tags(seeds) -> None:
    from rasid.understand.story import StoryAnalyzer

    analyzer = StoryAnalyzer(threads=1)
    together = analyzer.mentions_of(seeds)
    assert [analyzer.mentions(a) for a in seeds] == together
    assert all(together)


@pytest.mark.slow
def test_a_story_analysed_again_compiles_no_regex(seeds, monkeypatch) -> None:
    """Compiling a pattern per story (the story's name forms as one alternation) once cost ~5 % of
    the stage: analysing a story must compile nothing once the analyzer is warm."""
    from rasid.understand.story import StoryAnalyzer

    analyzer = StoryAnalyzer(
        threads=1, embed=lambda texts: __import__("numpy").ones((len(texts), 4), "float32")
    )
    first = analyzer.analyze(seeds)
    compiled: list[str] = []
    real = re._compiler.compile  # type: ignore[attr-defined]

    def counting(p, flags=0):  # noqa: ANN001, ANN202
        compiled.append(str(p))
        return real(p, flags)

    monkeypatch.setattr(re._compiler, "compile", counting)  # type: ignore[attr-defined]
    again = analyzer.analyze(seeds)
    assert compiled == []
    assert again.entities == first.entities and again.quotes == first.quotes
