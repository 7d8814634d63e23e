"""Story-level consistency of NER output (`propagate_mentions`) on the seed texts.

The mentions fed in are hand-placed tagger outputs (including typical tagger slips); what is
tested is how the story-level pass repairs and extends them.
"""

from __future__ import annotations

import pytest

from rasid.model import Article, Mention, Paragraph
from rasid.text.normalize import match_form
from rasid.understand.propagate import propagate_mentions


@pytest.fixture(scope="module")
def seeds(seed_texts: dict[str, str]) -> list[Article]:
    return [
        Article(id=i, origin=i, raw_text=t, content_hash=i,
                paragraphs=[Paragraph(line.strip()) for line in t.splitlines() if line.strip()])
        for i, t in sorted(seed_texts.items())
    ]


def mention_of(arts: list[Article], aid: str, surface: str, typ: str, occurrence: int = 0) -> Mention:
    art = next(a for a in arts if a.id == aid)
    seen = 0
    for pi, p in enumerate(art.paragraphs):
        start = p.text.find(surface)
        while start >= 0:
            if seen == occurrence:
                return Mention(surface, typ, aid, pi, start, start + len(surface))
            seen += 1
            start = p.text.find(surface, start + 1)
    raise AssertionError(f"{surface!r} not in {aid}")


def test_found_names_spread_to_every_occurrence(seeds) -> None:
    found = [mention_of(seeds, "002", "بيونغ يانغ", "LOC")]
    out = propagate_mentions(seeds, found)
    hits = [m for m in out if m.text == "بيونغ يانغ"]
    total = sum(p.text.count("بيونغ يانغ") for a in seeds for p in a.paragraphs)
    assert len(hits) == total >= 10
    assert {m.type for m in hits} == {"LOC"}
    assert len({m.article for m in hits}) == 5
    for m in hits:
        para = next(a for a in seeds if a.id == m.article).paragraphs[m.paragraph].text
        assert para[m.start:m.end] == m.text


def test_surname_of_a_full_name_marks_bare_uses(seeds) -> None:
    found = [mention_of(seeds, "004", "سيرغي شويغو", "PER")]
    out = propagate_mentions(seeds, found)
    bare = [m for m in out if m.text == "شويغو"]
    assert bare and all(m.type == "PER" for m in bare)
    # "وقال شويغو" in 001: the clitic is not part of the mention
    assert any(m.article == "001" for m in bare)


def test_run_on_span_is_trimmed_but_first_names_are_kept(seeds) -> None:
    found = [mention_of(seeds, "003", "ستساعد بيونغ يانغ", "PER")]
    found += [mention_of(seeds, "002", "بيونغ يانغ", "LOC", k) for k in range(3)]
    found += [mention_of(seeds, "004", "فلاديمير بوتين", "PER")]
    found += [mention_of(seeds, "003", "بوتين", "PER", k) for k in range(3)]
    out = propagate_mentions(seeds, found, name_words={match_form("فلاديمير")})
    texts = {m.text for m in out}
    assert "ستساعد بيونغ يانغ" not in texts
    assert "فلاديمير بوتين" in texts


def test_spellings_of_one_name_vote_their_type_together(seeds) -> None:
    found = [mention_of(seeds, "001", "كينجال", "MISC"), mention_of(seeds, "000", "كينغال", "LOC")]
    found += [mention_of(seeds, "001", "كينجال", "MISC")]
    out = propagate_mentions(seeds, found)
    assert {m.type for m in out if m.text in {"كينجال", "كينغال"}} == {"MISC"}
