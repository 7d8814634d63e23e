"""Story-level consistency of NER output (`propagate_mentions`) on the seed texts.

The mentions fed in are hand-placed tagger outputs (including typical tagger slips); what is
tested is how the story-level pass repairs and extends them.
"""

from __future__ import annotations

import pytest

from rasid.model import Article, Mention, Paragraph
from rasid.pipeline import Batch
from rasid.text.normalize import match_form
from rasid.understand.propagate import propagate_mentions


@pytest.fixture(scope="module")
def seeds(seed_texts: dict[str, str]) -> list[Article]:
    return [
        Article(
            id=i,
            origin=i,
            raw_text=t,
            content_hash=i,
            paragraphs=[Paragraph(line.strip()) for line in t.splitlines() if line.strip()],
        )
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
        assert para[m.start : m.end] == m.text


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


# -- the rule layer (rasid.understand.rules) ------------------------------------------------------


@pytest.fixture(scope="module")
def rules():
    from rasid.understand.rules import StoryRules

    return StoryRules.default()


def texts_of(mentions: list[Mention]) -> dict[str, str]:
    return {m.text: m.type for m in mentions}


def test_trigger_nouns_find_the_names_ner_missed(seeds, rules) -> None:
    """With no NER mention at all, the trigger nouns alone give agencies, places, a station."""
    got = texts_of(rules.apply(seeds, [], set()))
    assert got.get("وكالة الأنباء الفرنسية") == "ORG"
    assert got.get("الوكالة الكورية المركزية الرسمية للأنباء") == "ORG"
    assert got.get("تاس") == "ORG"  # quoted short name after the agency's descriptive name
    assert got.get("خاباروفسك") == "LOC"  # منطقة خاباروفسك
    assert "أرتيوم-بريمورسكي-1" in got  # محطة قطارات "..."
    assert got.get("قسطنطين أسمولوف") == "PER"  # surname ending
    # a trigger noun followed by common words makes nothing: no span starts with a common word
    assert not any(t.split()[0] in ("الأنباء", "للطائرات", "سكة") for t in got)


def test_facility_named_after_a_person_is_the_facility(seeds, rules) -> None:
    m = mention_of(seeds, "002", "يوري غاغارين", "PER")
    got = texts_of(rules.apply(seeds, [m], set()))
    assert got.get("مصنع طائرات يوري غاغارين") == "ORG"
    assert "يوري غاغارين" not in got or got["يوري غاغارين"] == "ORG"


def test_joined_place_name_is_extended_but_a_person_is_not(seeds, rules) -> None:
    place = mention_of(seeds, "002", "كومسومولسك أون", "LOC")
    short = mention_of(seeds, "000", "كومسومولسك", "LOC")
    kim = mention_of(seeds, "002", "كيم جونغ أون", "PER", 1)
    got = texts_of(rules.apply(seeds, [place, short, kim], set()))
    assert "كومسومولسك أون أمور" in got
    assert "كومسومولسك نا أمور" in got
    assert "كيم جونغ أون" in got  # أون ends the name; the next word is not taken


def test_junk_is_dropped_and_names_are_kept(seeds, rules) -> None:
    junk = [
        mention_of(seeds, "002", "للطيران", "LOC"),
        mention_of(seeds, "003", "وعاين", "PER"),
        mention_of(seeds, "001", "الأقصى", "LOC"),
    ]
    names = [
        mention_of(seeds, "002", "روسيا", "LOC"),
        mention_of(seeds, "001", "سكاي نيوز", "ORG"),
        mention_of(seeds, "002", "البيت الأبيض", "MISC"),
    ]
    got = texts_of(rules.apply(seeds, junk + names, set()))
    for m in junk:
        assert m.text not in got
    for m in names:
        assert m.text in got


def test_rules_off_is_a_no_op_and_on_does_not_mutate(seeds, rules) -> None:
    from rasid.understand.rules import StoryRules

    ms = [mention_of(seeds, "002", "للطيران", "LOC")]
    assert StoryRules.none().apply(seeds, ms, set()) == ms
    before = [(m.text, m.start) for m in ms]
    rules.apply(seeds, ms, set())
    assert [(m.text, m.start) for m in ms] == before


def test_rules_on_a_saudinewsnet_story(shared, rules) -> None:
    """A real story of another kind: the Emirati agency's four spellings become mentions, and no
    span the rules add starts or ends on a particle."""
    import json
    import zipfile

    with zipfile.ZipFile(shared / "data" / "saudinewsnet" / "2015-08-02.zip") as zf:
        arts = [a for n in zf.namelist() for a in json.loads(zf.read(n).decode("utf-8"))]
    labels = [
        json.loads(x)
        for x in (shared / "data" / "saudinewsnet-events" / "dev-2015-08-02.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    urls = {r["url"] for r in labels if r["event"] == "uae-refers-41-terror-suspects-to-court"}
    story = [
        Article(
            id=str(i),
            origin=a["url"],
            raw_text=a["content"],
            content_hash=str(i),
            paragraphs=[Paragraph(p.strip(), "ar") for p in a["content"].split("\n") if p.strip()],
        )
        for i, a in enumerate(x for x in arts if x["url"] in urls)
    ]
    assert len(story) >= 3
    got = rules.apply(story, [], set())
    agency = {match_form(m.text) for m in got if m.text.startswith("وكالة")}
    assert len(agency) >= 2
    for m in got:
        assert match_form(m.text.split()[-1]) not in ("في", "من", "على", "الى", "ان")


def test_place_typed_as_a_person_is_a_place_by_its_contexts(seeds) -> None:
    """The tagger calls بيونغ يانغ a person; the story writes في بيونغ يانغ and موسكو وبيونغ يانغ."""
    found = [mention_of(seeds, "002", "بيونغ يانغ", "PER", k) for k in range(3)]
    found += [mention_of(seeds, "003", "موسكو", "LOC"), mention_of(seeds, "004", "فلاديمير بوتين", "PER")]
    out = propagate_mentions(seeds, found, set(), rules=None)
    assert {m.type for m in out if m.text == "بيونغ يانغ"} == {"LOC"}
    assert {m.type for m in out if m.text in ("بوتين", "فلاديمير بوتين")} == {"PER"}  # الرئيس بوتين


def test_a_name_the_tagger_cut_in_two_is_joined(seeds) -> None:
    """كوريا + الشمالية, one space apart, where the story tags كوريا الشمالية as one name elsewhere."""
    whole = mention_of(seeds, "002", "كوريا الشمالية", "LOC")
    cut = mention_of(seeds, "004", "كوريا الشمالية", "LOC")
    halves = [
        Mention("كوريا", "LOC", "004", cut.paragraph, cut.start, cut.start + 5),
        Mention("الشمالية", "LOC", "004", cut.paragraph, cut.start + 6, cut.end),
    ]
    out = propagate_mentions(seeds, [whole, *halves], set())
    in_004 = [m for m in out if m.article == "004" and m.paragraph == cut.paragraph and m.start == cut.start]
    assert [m.text for m in in_004] == ["كوريا الشمالية"]
    assert not any(m.text == "الشمالية" for m in out)


# -- per-article facts: computed once, kept in the store, reused ----------------------------------


def _run_seeds(tmp_path, gold, workers: int, min_pool: int = 64):  # noqa: ANN001, ANN202
    from conftest import SEEDS

    from rasid.evaluate import write_seed_feed
    from rasid.ingest import Ingestor
    from rasid.runner import build_runner
    from rasid.settings import load_settings
    from rasid.stages import StoriesStage, UnderstandStage
    from rasid.store import open_store

    jsonl = write_seed_feed(SEEDS, gold, tmp_path / "seeds.jsonl")
    settings = load_settings(env={}, db=str(tmp_path / f"w{workers}.db"))
    store = open_store(settings.db)
    with Ingestor(settings) as reader:
        stage = UnderstandStage(workers=workers, min_pool=min_pool)
        runner = build_runner(store, settings, reader, stages=[StoriesStage(settings), stage])
        summary = runner.run([str(jsonl)])
    return store, summary


def _picture(story) -> tuple:  # noqa: ANN001
    return (story.entities, story.timeline, story.quotes, story.brief, story.disputed)


@pytest.mark.slow
def test_facts_are_stored_reused_and_the_pool_gives_the_serial_picture(tmp_path, gold) -> None:
    from rasid.stages import UnderstandStage
    from rasid.understand.story import ArticleFacts, StoryAnalyzer

    serial, summary = _run_seeds(tmp_path, gold, workers=1)
    kind = StoryAnalyzer().facts_kind
    ids = [a.id for a in serial.iter_articles()]
    stored = serial.get_annotations(kind, ids)
    assert set(stored) == set(ids) and len(ids) == 5
    # the stored form reads back to what the tagger and the date extractor give
    analyzer = StoryAnalyzer()
    art = serial.get_article(ids[0])
    fresh = analyzer.facts(art)
    back = ArticleFacts.from_json(art.id, stored[art.id])
    assert back.mentions == fresh.mentions and back.dates == fresh.dates
    assert fresh.mentions and fresh.dates

    class NoTagging(StoryAnalyzer):
        def facts_of(self, articles):  # noqa: ANN001, ANN201
            if articles:
                raise AssertionError(f"{articles[0].id}: facts recomputed although stored")
            return {}

    before = {s.id: _picture(s) for s in serial.iter_stories()}
    UnderstandStage(analyzer=NoTagging()).update(serial, Batch(tuple(ids), stories=tuple(summary.stories)))
    assert {s.id: _picture(s) for s in serial.iter_stories()} == before

    # workers: facts computed ahead on the pool while the stories stage runs, same picture
    pooled, _ = _run_seeds(tmp_path, gold, workers=2, min_pool=1)
    assert set(pooled.get_annotations(kind, ids)) == set(ids)
    assert {s.id: _picture(s) for s in pooled.iter_stories()} == before
    serial.close()
    pooled.close()


class _StuckFacts:
    """A pool worker whose facts never come (module level: spawned workers import it by name)."""

    def warm(self) -> None:
        pass

    @property
    def facts_kind(self) -> None:
        return None

    @property
    def vectors_kind(self) -> None:
        return None

    def facts_of(self, articles):  # noqa: ANN001, ANN201
        import time

        time.sleep(120)


@pytest.mark.slow
def test_a_failed_run_stops_the_facts_thread(tmp_path, gold) -> None:
    """The facts of new articles are computed on the pool from a thread started by `begin`; when a
    stage fails, `end` terminates the pool and the thread must not stay blocked on it."""
    import threading

    from conftest import SEEDS

    from rasid.evaluate import write_seed_feed
    from rasid.ingest import Ingestor
    from rasid.pipeline import BaseStage
    from rasid.runner import build_runner
    from rasid.settings import load_settings
    from rasid.stages import UnderstandStage
    from rasid.store import open_store

    class Broken(BaseStage):
        def update(self, store, batch):  # noqa: ANN001, ANN201
            raise RuntimeError("stage failed")

    jsonl = write_seed_feed(SEEDS, gold, tmp_path / "seeds.jsonl")
    settings = load_settings(env={}, db=str(tmp_path / "broken.db"))
    with open_store(settings.db) as store, Ingestor(settings) as reader:
        runner = build_runner(
            store,
            settings,
            reader,
            stages=[Broken(), UnderstandStage(analyzer=_StuckFacts(), workers=2, min_pool=1)],
        )
        with pytest.raises(RuntimeError, match="stage failed"):
            runner.run([str(jsonl)])
    assert not [t for t in threading.enumerate() if t.name == "rasid-facts"]


# -- sentence vectors: kept by the store, reused when a story is analysed again ------------------


class _CountingUSE:
    """The USE encoder behind a record of the texts it is asked to embed."""

    def __init__(self) -> None:
        from rasid.embed import USEEmbedder

        self.use = USEEmbedder(threads=1)
        self.texts: list[str] = []

    def __call__(self, texts: list[str]):  # noqa: ANN204
        self.texts.extend(texts)
        return self.use.embed(texts)


@pytest.mark.slow
def test_kept_sentence_vectors_are_reused_and_a_changed_sentence_is_embedded_anew(seeds) -> None:
    from rasid.embed import text_digest
    from rasid.understand.story import StoryAnalyzer

    first = _CountingUSE()
    analyzer = StoryAnalyzer(embed=first)
    r1 = analyzer.analyze(seeds, None, {})
    assert first.texts and r1.brief and len(seeds) > 1
    kept = {d: v for rows in r1.new_vectors.values() for d, v in rows.items()}
    assert set(kept) == {text_digest(t) for t in first.texts}
    # each vector is kept under an article of the story whose text holds the sentence
    by_id = {a.id: a for a in seeds}
    text_of = {text_digest(t): t for t in first.texts}
    assert all(text_of[d] in by_id[aid].text for aid, rows in r1.new_vectors.items() for d in rows)

    # a second analysis (a new process, say: nothing cached in memory) reads them: no encoder run,
    # the same picture
    second = _CountingUSE()
    r2 = StoryAnalyzer(embed=second, ner=analyzer.ner).analyze(seeds, r1.new_facts, kept)
    assert second.texts == [] and r2.new_vectors == {}
    assert _picture(r2) == _picture(r1)

    # one sentence of the first article changes: its old vector is not used for the new text, the
    # new text is embedded, and the picture is the one computed without any kept vector
    old = next(t for t in first.texts if t in seeds[0].text)
    new = old.replace(old.split()[-1], "اليوم " + old.split()[-1])
    changed = [
        Article(
            id=a.id,
            origin=a.origin,
            raw_text=a.raw_text,
            content_hash=a.content_hash,
            paragraphs=[Paragraph(p.text.replace(old, new)) for p in a.paragraphs],
        )
        for a in seeds
    ]
    assert changed[0].text != seeds[0].text and changed[1:] == seeds[1:]
    facts = {aid: f for aid, f in r1.new_facts.items() if aid != seeds[0].id}
    third = _CountingUSE()
    r3 = StoryAnalyzer(embed=third, ner=analyzer.ner).analyze(changed, facts, kept)
    assert new in third.texts and old not in third.texts
    assert all(text_digest(t) not in kept for t in third.texts)
    assert text_digest(new) in r3.new_vectors[seeds[0].id]
    scratch = StoryAnalyzer(embed=_CountingUSE(), ner=analyzer.ner).analyze(changed, facts)
    assert _picture(r3) == _picture(scratch)


class _NoEncoding:
    """Stands in for USE with the same identity, but fails if asked to embed anything."""

    def __init__(self) -> None:
        from rasid.embed import USEEmbedder

        self.identity = USEEmbedder().identity

    def embed(self, texts: list[str]):  # noqa: ANN201
        raise AssertionError(f"sentence re-embedded although kept: {texts[:1]}")


@pytest.mark.slow
def test_the_stage_keeps_sentence_vectors_and_a_second_run_reuses_them(tmp_path, gold) -> None:
    from rasid.stages import UnderstandStage
    from rasid.understand.story import StoryAnalyzer

    store, summary = _run_seeds(tmp_path, gold, workers=1)
    kind = StoryAnalyzer().vectors_kind
    assert kind is not None and kind.startswith("sentvec:")
    ids = [a.id for a in store.iter_articles()]
    kept = store.get_sentence_vectors(kind, ids)
    assert kept and all(v.shape == (512,) for v in kept.values())
    before = {s.id: _picture(s) for s in store.iter_stories()}
    assert any(s[3] for s in before.values())  # a brief was built

    class Kept(StoryAnalyzer):
        def _use_embedder(self):  # noqa: ANN202
            return _NoEncoding()

    UnderstandStage(analyzer=Kept()).update(store, Batch(tuple(ids), stories=tuple(summary.stories)))
    assert {s.id: _picture(s) for s in store.iter_stories()} == before
    # without the store's vectors the same analyzer would have to embed
    with pytest.raises(AssertionError, match="re-embedded"):
        UnderstandStage(analyzer=Kept(), keep_vectors=False).update(
            store, Batch(tuple(ids), stories=tuple(summary.stories))
        )
    store.close()
