"""Grouping by meaning (the learned pair score), story-level coverage and `rasid eval brief`.

The pair features and the scoring are checked on small hand-made inputs (no embedder needed); the
end-to-end figures on the annotated stories are in docs/benchmarks/brief.md.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from rasid.brief import (
    DEFAULT_PAIR_MODEL,
    PAIR_FEATURES,
    BriefBuilder,
    PairModel,
    _second_groups,
    coverage_matrix,
    numbers_in,
    pair_features,
    sentence_units,
    unit_days,
    unit_entities,
)
from rasid.eval.brief import Span, locate, score_brief
from rasid.model import Article, Paragraph, Statement

GOLD_DIR = Path(__file__).resolve().parent.parent / "bench" / "gold" / "brief"


def _article(aid: str, source: str, *paragraphs: str) -> Article:
    text = "\n".join(paragraphs)
    paras = [Paragraph(p, "ar", [p]) for p in paragraphs]
    return Article(aid, aid, text, hashlib.sha1(text.encode()).hexdigest(), source=source, paragraphs=paras)


def test_numbers_read_arabic_indic_digits_as_western():
    assert numbers_in("وصلت الساعة ١٢:٤١ ونقل 27 مصابا و٩ جثامين") == frozenset({"12:41", "27", "9"})
    assert numbers_in("لا أرقام هنا") == frozenset()


def test_every_weight_has_a_feature():
    assert len(DEFAULT_PAIR_MODEL.weights) == len(PAIR_FEATURES)


def _units():
    a = _article(
        "a",
        "one",
        "أعلنت الوزارة ضبط شبكة من خمسة أشخاص في المدينة يوم الخميس الماضي.",
        "وقال المتحدث إن التحقيق مستمر مع المتهمين في القضية رقم 47.",
    )
    b = _article(
        "b",
        "two",
        "ضبطت الأجهزة الأمنية شبكة تضم خمسة متهمين في المدينة يوم الخميس.",
        "وأحيل المتهمون إلى النيابة في القضية رقم 47.",
    )
    return [a, b], sentence_units([a, b], min_tokens=3)


def test_pair_features_read_entities_numbers_and_days():
    arts, units = _units()
    assert [u.start for u in units] == [0, 0, 0, 0]
    mentions = {("a", 0): [(0, 5, 7)], ("b", 0): [(6, 14, 7)], ("a", 1): [(0, 4, 8)], ("b", 1): [(0, 4, 9)]}
    ents = unit_entities(units, mentions)
    days = unit_days(units, {("a", 0): [(40, 50, "2015-07-30")], ("b", 0): [(40, 50, "2015-07-30")]})
    assert days[0] == days[2] == "2015-07-30" and days[1] is None
    n = len(units)
    f = pair_features(
        units,
        np.zeros((n, 0), dtype=np.float32),
        np.zeros(n, dtype=bool),
        np.zeros((n, n), dtype=np.float32),
        ents,
        days,
    )
    k = {name: i for i, name in enumerate(PAIR_FEATURES)}
    a0, a1, b0, b1 = 0, 1, 2, 3
    assert f[a0, b0, k["entity_jaccard"]] == 1.0 and f[a0, b0, k["entity_rare"]] > 0
    assert f[a1, b1, k["entity_jaccard"]] == 0.0
    assert f[a1, b1, k["number_shared"]] == 1.0 and f[a1, b1, k["number_conflict"]] == 0.0
    assert f[a0, b1, k["number_conflict"]] == 0.0  # one side states no number
    assert f[a0, b0, k["date_same"]] == 1.0 and f[a0, b1, k["date_same"]] == 0.0
    assert f[a0, b0, k["embedded"]] == 0.0 and f[a0, b0, k["cosine"]] == 0.0


def test_context_feature_sees_neighbouring_sentences():
    arts, units = _units()
    n = len(units)
    lex = np.zeros((n, n), dtype=np.float32)
    lex[1, 3] = lex[3, 1] = 0.8  # the second sentences overlap
    f = pair_features(units, np.zeros((n, 0), dtype=np.float32), np.zeros(n, dtype=bool), lex)
    assert f[0, 2, PAIR_FEATURES.index("context")] == pytest.approx(0.8)


def test_a_sentence_joins_a_second_group_as_a_citation():
    arts, units = _units()
    # Units 0 (a) and 2 (b) are one group; unit 3 (b) is in its own; unit 1 (a) links to 3.
    score = np.zeros((4, 4), dtype=np.float32)
    score[0, 2] = score[2, 0] = 2.0
    score[1, 3] = score[3, 1] = 1.5
    extras = _second_groups([[0, 2], [1], [3]], units, score, 0.85)
    assert extras == [[], [], []]  # [1] and [3] are single-article groups; nothing joins [0, 2]
    extras = _second_groups([[0, 2], [1, 3]], units, score, 0.85)
    assert extras == [[], []]
    score[1, 0] = score[0, 1] = 0.0
    score[3, 0] = score[0, 3] = 0.0
    score[1, 2] = score[2, 1] = 2.0  # unit 1 (article a) now states group [0, 2]'s fact too...
    extras = _second_groups([[0, 2], [1, 3]], units, score, 0.85)
    assert extras == [[], []]  # ...but article a is already in that group


def test_builder_with_a_model_groups_by_the_learned_score():
    arts, units = _units()

    def embed(texts):
        vecs = np.ones((len(texts), 4), dtype=np.float32)
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)

    weights = [0.0] * len(PAIR_FEATURES)
    weights[PAIR_FEATURES.index("number_shared")] = 10.0  # only the two sentences citing case 47 link
    model = PairModel(weights=tuple(weights), intercept=-5.0, cut=0.5)
    groups = BriefBuilder(embed=embed, model=model, min_tokens=3).group(arts)
    multi = [g for g in groups if len(g.articles) == 2]
    assert len(multi) == 1 and "47" in multi[0].text
    assert sorted(len(g.articles) for g in groups) == [1, 1, 2]
    never = PairModel(weights=(0.0,) * len(PAIR_FEATURES), intercept=-5.0, cut=0.5)
    groups = BriefBuilder(embed=embed, model=never, min_tokens=3).group(arts)
    assert all(len(g.articles) == 1 for g in groups)


def test_coverage_matrix_by_outlet_not_by_article():
    a1 = _article("a1", "wire", "نص أول طويل بما يكفي ليكون عبارة.")
    a2 = _article("a2", "wire", "نص ثان طويل بما يكفي ليكون عبارة.")
    b = _article("b", "paper", "نص ثالث طويل بما يكفي ليكون عبارة.")
    c = _article("c", "daily", "نص رابع طويل بما يكفي ليكون عبارة.")
    brief = [
        Statement("x", ["a1", "a2", "b"], "ar"),
        Statement("y", ["a2"], "ar"),
        Statement("z", ["b", "c"], "ar"),
    ]
    cov = coverage_matrix(brief, [a1, a2, b, c])
    assert cov["sources"] == ["wire", "paper", "daily"]
    assert cov["rows"][0] == [True, True, False]
    assert cov["carried"] == {"wire": 2, "paper": 2, "daily": 1}
    assert cov["single_source"] == {"wire": [1]}
    assert cov["omitted"] == {"wire": [2], "daily": [0]}


def test_locate_folds_white_space_and_invisible_marks():
    raw = "مقدمة \u200fالمتوفون في\xa0الحادث  هم: ثلاثة."
    span = locate(raw, "المتوفون في الحادث هم: ثلاثة.", "x")
    assert span is not None and raw[span.start : span.end].startswith("المتوفون")
    assert raw[span.start : span.end].endswith("ثلاثة.")
    assert locate(raw, "جملة ليست في النص أصلا وهي طويلة", "x") is None


def _gold() -> dict:
    raw = {
        "u1": "حدث الأمر الأول. ثم جاء الثاني.",
        "u2": "وقع الأمر الأول هنا. والثالث هناك.",
        "u3": "الأمر الأول مرة أخرى.",
    }

    def ref(url, text):
        s = raw[url].index(text)
        return {"article": url, "sentence": 0, "start": s, "end": s + len(text)}

    return raw, {
        "statements": [
            {
                "id": "first",
                "text": "the first",
                "reports": [
                    ref("u1", "حدث الأمر الأول."),
                    ref("u2", "وقع الأمر الأول هنا."),
                    ref("u3", "الأمر الأول مرة أخرى."),
                ],
            },
            {"id": "second", "text": "the second", "reports": [ref("u1", "ثم جاء الثاني.")]},
        ],
        "disputes": [{"claim": ref("u1", "ثم جاء الثاني."), "denial": ref("u2", "والثالث هناك.")}],
    }


def test_score_brief_attribution_coverage_and_disputes():
    raw, gold = _gold()
    sources = {"u1": "s1", "u2": "s2", "u3": "s3"}
    brief = [
        {"text": "حدث الأمر الأول.", "articles": ["u1", "u2"]},
        {"text": "ثم جاء الثاني.", "articles": ["u1", "u3"]},
        {"text": "والثالث هناك.", "articles": ["u2"]},
    ]
    disputes = [
        {"claim": "ثم جاء الثاني.", "articles": ["u1"], "text": "والثالث هناك.", "disputed_by": ["u2"]},
        {"claim": "حدث الأمر الأول.", "articles": ["u1"], "text": "والثالث هناك.", "disputed_by": ["u2"]},
    ]
    res = score_brief(gold, raw, sources, brief, disputes)
    rows = res["per_statement"]
    assert rows[0]["precision"] == 1.0 and rows[0]["recall"] == pytest.approx(2 / 3, abs=1e-3)
    assert rows[1]["precision"] == 0.5 and rows[1]["recall"] == 1.0
    assert "precision" not in rows[2]  # states no gold fact: not scored
    assert res["statements_stating_a_gold_fact"] == 2
    assert res["facts_3plus_outlets"] == 1 and res["coverage_3plus"] == 1.0
    assert res["dispute_recall"] == 1.0 and res["dispute_precision"] == 0.5


def test_span_overlap_is_per_article():
    assert Span("a", 0, 10).overlaps(Span("a", 9, 12))
    assert not Span("a", 0, 10).overlaps(Span("a", 10, 12))
    assert not Span("a", 0, 10).overlaps(Span("b", 0, 10))


def test_gold_files_are_well_formed():
    files = sorted(GOLD_DIR.glob("*.json"))
    assert len(files) >= 3
    for f in files:
        gold = json.loads(f.read_text(encoding="utf-8"))
        urls = {a["url"] for a in gold["articles"]}
        assert len(gold["statements"]) >= 20, f.name
        assert len({a["source"] for a in gold["articles"]}) >= 3, f.name
        for st in gold["statements"]:
            assert st["reports"], st["id"]
            for r in st["reports"]:
                assert r["article"] in urls and 0 <= r["start"] < r["end"]


def test_eval_brief_reports_a_missing_gold_file(tmp_path):
    import io

    from rasid.cli import main

    err = io.StringIO()
    code = main(
        ["eval", "brief", "--gold", str(tmp_path / "none"), "--data", str(tmp_path)], io.StringIO(), err
    )
    assert code != 0
    assert "eval brief:" in err.getvalue() and "none" in err.getvalue() and "Traceback" not in err.getvalue()


def test_story_record_adds_coverage_only_with_articles():
    from rasid.export import story_record
    from rasid.model import Story

    a = _article("a", "wire", "نص أول طويل بما يكفي ليكون عبارة.")
    b = _article("b", "paper", "نص ثان طويل بما يكفي ليكون عبارة.")
    story = Story("s1", "t", ["a", "b"], ["wire", "paper"], brief=[Statement("x", ["a", "b"], "ar")])
    plain = story_record(story)
    assert "coverage" not in plain and plain["brief"] == [{"text": "x", "articles": ["a", "b"], "lang": "ar"}]
    cov = story_record(story, {"a": a, "b": b})["coverage"]
    assert cov["sources"] == ["wire", "paper"] and cov["rows"] == [[True, True]]


def test_markdown_coverage_lists_what_an_outlet_leaves_out():
    from rasid.model import Story
    from rasid.render import story_markdown

    arts = {
        x.id: x
        for x in (_article("a", "wire", "س"), _article("b", "paper", "س"), _article("c", "daily", "س"))
    }
    story = Story(
        "s1",
        "t",
        ["a", "b", "c"],
        ["wire", "paper", "daily"],
        brief=[Statement("x", ["a", "b"], "ar"), Statement("y", ["c"], "ar")],
    )
    md = story_markdown(story, arts)
    assert "لا يذكر daily: 1" in md
    assert "ينفرد daily بـ: 2" in md
