"""Quote extraction on the seed story, speakers resolved through the entity canonicaliser.

Mentions come from the same located-surface fixture as test_entities (gold variants plus realistic
NER noise); what is asserted is which quotes the extractor finds and whom it credits.
"""

from __future__ import annotations

import pytest
from test_entities import locate_mentions, seed_article, surface_list

from rasid.model import Article, Mention, Paragraph
from rasid.understand.entities import EntityCanonicaliser
from rasid.understand.quotes import QuoteExtractor


@pytest.fixture(scope="module")
def story(seed_texts, gold):
    articles = [seed_article(i, t) for i, t in sorted(seed_texts.items())]
    mentions, _ = locate_mentions(articles, surface_list(gold))
    entities, entity_of = EntityCanonicaliser().canonicalise(mentions)
    extractor = QuoteExtractor()
    quotes = {a.id: extractor.extract(a, mentions, entity_of, entities) for a in articles}
    return articles, mentions, entities, entity_of, quotes


def gold_speaker_name(gold: dict, entities, latin: str) -> str:
    """The canonical name the pipeline gave the gold entity `latin` (via its gold variants)."""
    variants = next(e["variants"] for e in gold["entities"] if e["canonical"] == latin)
    names = {ent.name for ent in entities for v in variants if v in ent.variants}
    assert len(names) == 1, (latin, names)
    return names.pop()


def gold_hits(gold, entities, quotes) -> list[bool]:
    hits = []
    for g in gold["quotes"]:
        speaker = gold_speaker_name(gold, entities, g["speaker"])
        hits.append(
            any(
                q.speaker == speaker and (g["text"] in q.text or q.text in g["text"])
                for q in quotes[g["doc"]]
            )
        )
    return hits


def test_gold_quotes_found_with_their_speakers(story, gold) -> None:
    _, _, entities, _, quotes = story
    hits = gold_hits(gold, entities, quotes)
    assert sum(hits) >= 5, [g["text"] for g, h in zip(gold["quotes"], hits, strict=True) if not h]


def test_quote_texts_are_verbatim_and_speakers_are_entities(story) -> None:
    articles, _, entities, _, quotes = story
    names = {e.name for e in entities}
    for art in articles:
        for q in quotes[art.id]:
            assert q.article == art.id
            assert q.text in art.text
            assert q.speaker in names
            assert len(q.text.split()) >= 2


def test_precision_on_the_seeds(story) -> None:
    """Every quote's speaker must be named within its sentence or continue the previous one.

    A loose but failing-able check: the speaker's canonical entity must have a mention in the
    same article, and scare-quoted terms ("ذروة جديدة", "كينغال") must not come out as quotes.
    """
    _, mentions, entities, entity_of, quotes = story
    in_article = {(m.article, entities[e].name) for m, e in zip(mentions, entity_of, strict=True)}
    all_quotes = [q for qs in quotes.values() for q in qs]
    assert 15 <= len(all_quotes) <= 60
    assert all((q.article, q.speaker) in in_article for q in all_quotes)
    texts = {q.text for q in all_quotes}
    assert "ذروة جديدة" not in texts and "كينغال" not in texts and "بندقية" not in texts


def test_reported_speech_frames(story, gold) -> None:
    _, _, entities, _, quotes = story
    name = {g["canonical"]: gold_speaker_name(gold, entities, g["canonical"]) for g in gold["entities"]}
    by_doc = {d: [(q.speaker, q.text) for q in qs] for d, qs in quotes.items()}

    def said(doc: str, speaker: str, fragment: str) -> bool:
        return any(s == speaker and fragment in t for s, t in by_doc[doc])

    # ذكرت وكالة ... أنّ: an agency speaks
    assert said("000", name["KCNA"], "مسائل عملية لتعزيز التعاون العسكري")
    # وأضاف إن ...: continues the previous speaker (Peskov, named with his title)
    assert said("001", name["Dmitry Peskov"], "بوتين أهدى كيم أيضا")
    # subject before the verb, addressee after it: شويغو قال لكيم ...
    assert not any(s == name["Kim Jong Un"] and "يمكنها الطيران" in t for s, t in by_doc["004"])
    # بحسب ما أوردت X: the source after what it reported
    assert said("004", name["KCNA"], "خطة للأعوام المئة المقبلة")
    # "قال X إن": the clause after إن, stopping at the next speech verb of the sentence
    assert said("004", name["Dmitry Peskov"], "لا توجد خطة لتوقيع أي اتفاقيات رسمية")
    putin = [t for s, t in by_doc["004"] if s == name["Vladimir Putin"] and "لن ترتكب" in t]
    assert putin and all("بيسكوف" not in t for t in putin)


def test_no_mentions_no_quotes(seed_texts) -> None:
    art = seed_article("003", seed_texts["003"])
    assert QuoteExtractor().extract(art, [], [], []) == []


def test_speaker_must_be_a_mention() -> None:
    """A speech verb with no resolvable speaker is dropped, not guessed."""
    line = "وجاء في بيان صحفي مفصل: “أكدوا أن أي تصدير للأسلحة سيكون انتهاكًا مباشرًا”."
    art = Article(id="x", origin="x", raw_text=line, content_hash="x", paragraphs=[Paragraph(line, "ar")])
    assert QuoteExtractor().extract(art, [], [], []) == []
    # with a mention before the verb in the same sentence, the subject speaks
    line2 = 'شويغو قال لكيم عن إحدى الطائرات: "يمكنها الطيران من موسكو إلى اليابان".'
    art2 = Article(id="y", origin="y", raw_text=line2, content_hash="y", paragraphs=[Paragraph(line2, "ar")])
    k = line2.index("كيم")
    mentions = [Mention("شويغو", "PER", "y", 0, 0, 5), Mention("كيم", "PER", "y", 0, k, k + 3)]
    entities, entity_of = EntityCanonicaliser().canonicalise(mentions)
    quotes = QuoteExtractor().extract(art2, mentions, entity_of, entities)
    assert [(q.speaker, q.text) for q in quotes] == [("شويغو", "يمكنها الطيران من موسكو إلى اليابان")]


def test_real_ner_quotes(seed_texts, gold) -> None:
    ner = pytest.importorskip("rasid.understand.ner")
    try:
        model = ner.NerModel.load()
    except Exception as exc:
        pytest.skip(f"NER model unavailable: {exc}")
    articles = [seed_article(i, t) for i, t in sorted(seed_texts.items())]
    mentions: list[Mention] = []
    for art in articles:
        for pi, para in enumerate(art.paragraphs):
            for s, e, t in model.mentions(para.text, para.lang):
                mentions.append(Mention(para.text[s:e], t, art.id, pi, s, e))
    entities, entity_of = EntityCanonicaliser().canonicalise(mentions)
    extractor = QuoteExtractor()
    quotes = {a.id: extractor.extract(a, mentions, entity_of, entities) for a in articles}
    hits = 0
    for g in gold["quotes"]:
        variants = next(e["variants"] for e in gold["entities"] if e["canonical"] == g["speaker"])
        names = {ent.name for ent in entities for v in variants if v in ent.variants}
        hits += any(
            q.speaker in names and (g["text"] in q.text or q.text in g["text"]) for q in quotes[g["doc"]]
        )
    assert hits >= 4


def test_a_wire_credited_for_a_narrated_sentence_is_not_a_speaker(story) -> None:
    """ "..., وفقاً لما ذكرته وكالة الأنباء الفرنسية" sources narration to a news outlet: no quote;
    the outlet's own reported statements (ذكرت الوكالة أن ...) still are."""
    _, _, entities, _, quotes = story
    afp = {e.name for e in entities if "فرانس برس" in e.variants or "وكالة الأنباء الفرنسية" in e.variants}
    assert afp
    narrated = ("كان شويغو قد استقبل", "وكانت الرسالة الأولى")
    for qs in quotes.values():
        for q in qs:
            assert not (q.speaker in afp and q.text.startswith(narrated)), q
    assert any(q.speaker != q.text and "وكالة" in q.speaker for qs in quotes.values() for q in qs)
