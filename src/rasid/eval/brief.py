"""Scoring the brief against hand-made statements (`rasid eval brief --gold FILE`).

A gold file (bench/gold/brief/README.md) names one story's articles (SaudiNewsNet urls) and lists
its facts: each statement with every article that reports it and where (sentence number and
character offsets in the article's raw `content`). The brief is scored by where its quoted text
lies: a statement of the brief *states* a gold fact when its text, found in the raw content of its
first cited article, overlaps one of that fact's spans in that article.

- attribution precision of a statement: the share of its cited articles that report a fact it
  states; recall: the share of the articles reporting that fact which it cites (the fact it states
  that it covers best). Both are averaged over the brief's statements that state a gold fact.
- coverage: the share of the facts three or more outlets report that some statement states.
- disputes: a gold dispute is found when a produced dispute's claim overlaps the claim's span and
  its text the denial's; recall over gold disputes, precision over produced disputes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model import Article, RawDoc


def event_articles(labels: Path, day_zip: Path, event: str) -> tuple[list[Article], list[str]]:
    """The articles an event label names, cleaned by the shipped text pipeline, with their raw
    content (same order as the labels file)."""
    urls = [
        r["url"]
        for r in (json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines())
        if r.get("event") == event
    ]
    if not urls:
        raise ValueError(f"{labels}: no article carries the event {event!r}")
    return articles_by_url(day_zip, urls)


def articles_by_url(
    day_zip: Path, urls: Sequence[str], strict: bool = True
) -> tuple[list[Article], list[str]]:
    """The SaudiNewsNet articles of `urls`, cleaned by the shipped text pipeline, and their raw
    content. `strict`: an article the pipeline rejects (no text) is an error, else left out."""
    from ..process import default_text_pipeline
    from .stories import saudinewsnet_records

    recs = {r["url"]: r for r in saudinewsnet_records(day_zip)}
    missing = [u for u in urls if u not in recs]
    if missing:
        raise ValueError(f"{day_zip}: {len(missing)} article(s) of the gold are not in it, e.g. {missing[0]}")
    pipeline = default_text_pipeline()
    arts: list[Article] = []
    raws: list[str] = []
    for u in urls:
        r = recs[u]
        date = (r.get("date_extracted") or "").strip().replace(" ", "T") or None
        doc = RawDoc(
            origin=u,
            id=u,
            url=u,
            source=r.get("source"),
            title=r.get("title"),
            text=r.get("content") or "",
            published=date,
        )
        art = pipeline.process(doc)
        if not isinstance(art, Article):
            if strict:
                raise ValueError(f"{u}: {art.reason}")
            continue
        arts.append(art)
        raws.append(r.get("content") or "")
    return arts, raws


@dataclass(slots=True, frozen=True)
class Span:
    article: str
    start: int
    end: int

    def overlaps(self, other: Span) -> bool:
        return self.article == other.article and self.start < other.end and other.start < self.end


_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` without invisible marks and with white-space runs folded to one space, and for each
    kept character its offset in `text` (cleaning does the same to an article's raw content)."""
    out: list[str] = []
    where: list[int] = []
    for i, c in enumerate(text):
        if c in _INVISIBLE:
            continue
        if c.isspace():
            if out and out[-1] == " ":
                continue
            c = " "
        out.append(c)
        where.append(i)
    return "".join(out), where


def locate(raw: str, text: str, article: str) -> Span | None:
    """Where `text` (a sentence of the cleaned article, verbatim) lies in the raw content `raw`."""
    at = raw.find(text)
    if at >= 0:
        return Span(article, at, at + len(text))
    folded, where = _folded(raw)
    needle = _folded(text)[0].strip()
    at = folded.find(needle) if needle else -1
    if at < 0 and len(needle) >= 24:
        at = folded.find(needle[:24])
    if at < 0:
        return None
    end = min(at + len(needle), len(where)) - 1
    return Span(article, where[at], where[end] + 1)


def score_brief(
    gold: dict,
    raws: dict[str, str],
    sources: dict[str, str],
    brief: Sequence[dict],
    disputes: Sequence[dict] = (),
) -> dict[str, Any]:
    """The measures of the module docstring for one story. `brief` holds {"text", "articles"};
    `disputes` {"claim", "text", "articles", "disputed_by"}; `sources` maps url -> outlet."""
    facts = gold["statements"]
    spans = [[Span(r["article"], r["start"], r["end"]) for r in f["reports"]] for f in facts]
    reporters = [sorted({s.article for s in ss}) for ss in spans]
    rows = []
    stated_facts: set[int] = set()
    for st in brief:
        cited = list(dict.fromkeys(st["articles"]))
        first = cited[0]
        where = locate(raws.get(first, ""), st["text"], first)
        stated = [k for k, ss in enumerate(spans) if where and any(where.overlaps(s) for s in ss)]
        stated_facts.update(stated)
        row: dict[str, Any] = {
            "text": st["text"][:80],
            "cited": len(cited),
            "facts": [facts[k]["id"] for k in stated],
        }
        if stated:
            ok = {a for k in stated for a in reporters[k]}
            row["precision"] = round(sum(a in ok for a in cited) / len(cited), 3)
            best = max(stated, key=lambda k: (len(set(cited) & set(reporters[k])) / len(reporters[k]), -k))
            row["recall"] = round(len(set(cited) & set(reporters[best])) / len(reporters[best]), 3)
            row["fact"] = facts[best]["id"]
            row["gold_articles"] = len(reporters[best])
        rows.append(row)
    scored = [r for r in rows if "precision" in r]
    wide = [k for k, rs in enumerate(reporters) if len({sources.get(a, a) for a in rs}) >= 3]
    out: dict[str, Any] = {
        "story": gold.get("story"),
        "statements": len(brief),
        "statements_stating_a_gold_fact": len(scored),
        "attribution_precision": _mean([r["precision"] for r in scored]),
        "attribution_recall": _mean([r["recall"] for r in scored]),
        "facts": len(facts),
        "facts_3plus_outlets": len(wide),
        "coverage_3plus": round(sum(k in stated_facts for k in wide) / len(wide), 3) if wide else None,
        "missed_3plus": [facts[k]["id"] for k in wide if k not in stated_facts],
        "per_statement": rows,
    }
    out.update(score_disputes(gold.get("disputes", []), raws, disputes))
    return out


def score_disputes(gold: Sequence[dict], raws: dict[str, str], found: Sequence[dict]) -> dict[str, Any]:
    def spans_of(d: dict, text_key: str, arts_key: str) -> list[Span]:
        got = [locate(raws.get(a, ""), d[text_key], a) for a in d.get(arts_key, [])]
        return [s for s in got if s]

    def hit(g: dict, d: dict) -> bool:
        claim = Span(g["claim"]["article"], g["claim"]["start"], g["claim"]["end"])
        denial = Span(g["denial"]["article"], g["denial"]["start"], g["denial"]["end"])
        return any(claim.overlaps(s) for s in spans_of(d, "claim", "articles")) and any(
            denial.overlaps(s) for s in spans_of(d, "text", "disputed_by")
        )

    found_gold = sum(any(hit(g, d) for d in found) for g in gold)
    right = sum(any(hit(g, d) for g in gold) for d in found)
    return {
        "disputes_gold": len(gold),
        "disputes_found": len(found),
        "dispute_recall": round(found_gold / len(gold), 3) if gold else None,
        "dispute_precision": round(right / len(found), 3) if found else None,
    }


def _mean(xs: Sequence[float]) -> float | None:
    return round(sum(xs) / len(xs), 3) if xs else None


def evaluate_brief_files(
    paths: Sequence[str | Path], shared: str | Path, analyzer: Any = None
) -> dict[str, Any]:
    """Run story understanding on each gold file's articles and score the brief; pooled means
    (over statements, over 3+-outlet facts) next to each story's figures."""
    from ..understand.story import StoryAnalyzer

    analyzer = analyzer or StoryAnalyzer()
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        files.extend(sorted(p.glob("*.json")) if p.is_dir() else [p])
    if not files:
        raise ValueError(f"{', '.join(map(str, paths))}: no gold file (*.json) found")
    stories = []
    for f in files:
        try:
            gold = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{f}: not a readable gold file ({exc})") from None
        urls = [a["url"] for a in gold["articles"]]
        arts, raws = articles_by_url(Path(shared) / gold["data"], urls)
        analysis = analyzer.analyze(arts)
        brief = [{"text": s.text, "articles": list(s.articles)} for s in analysis.brief]
        disputes = [
            {
                "claim": d.claim,
                "text": d.text,
                "articles": list(d.articles),
                "disputed_by": list(d.disputed_by),
            }
            for d in analysis.disputed
        ]
        res = score_brief(
            gold, dict(zip(urls, raws, strict=True)), {a.id: a.source or a.id for a in arts}, brief, disputes
        )
        res["file"] = str(f)
        stories.append(res)
    rows = [r for s in stories for r in s["per_statement"] if "precision" in r]
    wide = sum(s["facts_3plus_outlets"] for s in stories)
    covered = sum(s["facts_3plus_outlets"] - len(s["missed_3plus"]) for s in stories)
    gold_d = sum(s["disputes_gold"] for s in stories)
    pooled = {
        "attribution_precision": _mean([r["precision"] for r in rows]),
        "attribution_recall": _mean([r["recall"] for r in rows]),
        "coverage_3plus": round(covered / wide, 3) if wide else None,
        "disputes_gold": gold_d,
        "dispute_recall": None,
    }
    if gold_d:
        pooled["dispute_recall"] = round(
            sum((s["dispute_recall"] or 0) * s["disputes_gold"] for s in stories) / gold_d, 3
        )
    ok = (
        (pooled["attribution_precision"] or 0) >= 0.90
        and (pooled["attribution_recall"] or 0) >= 0.75
        and (pooled["coverage_3plus"] or 0) >= 0.70
    )
    return {"pooled": pooled, "stories": stories, "ok": ok}
