"""`rasid eval understanding`: one story's entities, quotes and timeline against a hand annotation.

A gold file is in the format of the seeds' `gold.json`: `documents` (each with an `id`, a
`published` day and either a `file` next to the gold file or a `url` in an `archive` of a data
folder), `entities` (canonical name, type, `variants`), `timeline` (happenings with a `date`,
optional `also_dated` days, the `docs` reporting them) and `quotes` (`doc`, `speaker` as an
entity's canonical name, `text`). The articles run through the whole pipeline in a temporary
store; the story's exported record is then scored:

- entities: a gold entity is grouped when every variant the cleaned prose contains is held by
  one exported entity (a short variant the prose only writes inside a longer variant of the same
  entity is held with it). A wrong merge is an exported entity holding variants of two gold
  entities. The issue's figure is the share grouped among entities with two or more variants.
- quotes: a gold quote is found when a quote of the same article overlaps its text and its
  speaker's entity holds one of the gold speaker's variants.
- timeline: entries against gold happenings, and each gold happening's date (or an also-dated
  day) present with one of its articles.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rasid.text.normalize import match_form

# Targets of issue 15.
GROUPED_TARGET = 0.90
QUOTES_TARGET = 0.80
ENTRY_RATIO_TARGET = 1.5


def _archive_texts(data: Path, archive: str, cache: dict[str, dict[str, dict]]) -> dict[str, dict]:
    if archive not in cache:
        path = data / archive
        if not path.is_file():
            raise ValueError(
                f"{path}: archive named by the gold file not found (give the data folder with --data DIR)"
            )
        by_url: dict[str, dict] = {}
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                for art in json.loads(zf.read(name).decode("utf-8")):
                    by_url[art["url"]] = art
        cache[archive] = by_url
    return cache[archive]


def feed_records(gold: dict, gold_path: Path, data: Path | None) -> list[dict[str, Any]]:
    """The gold story's articles as input records (CONTRACT.md), one per document."""
    cache: dict[str, dict[str, dict]] = {}
    out = []
    for doc in gold["documents"]:
        rec: dict[str, Any] = {"id": doc["id"], "published": doc["published"]}
        if "file" in doc:
            rec["text"] = (gold_path.parent / doc["file"]).read_text(encoding="utf-8")
        else:
            if data is None:
                raise ValueError(
                    f"{gold_path}: documents live in data archives; give the data folder with --data DIR"
                )
            art = _archive_texts(data, doc["archive"], cache).get(doc["url"])
            if art is None:
                raise ValueError(f"{gold_path}: {doc['url']} not in {doc['archive']}")
            rec.update(
                url=doc["url"],
                source=doc.get("source") or art.get("source"),
                title=art.get("title") or None,
                text=art.get("content") or "",
            )
        out.append(rec)
    return out


def run_pipeline(records: Sequence[dict[str, Any]], workdir: Path) -> tuple[list[Any], list[dict]]:
    """Run the whole pipeline on the records in a temporary store: the stored articles (cleaned,
    as `rasid run` keeps them) and the exported stories."""
    from rasid.export import story_record
    from rasid.ingest import Ingestor
    from rasid.runner import build_runner
    from rasid.settings import load_settings
    from rasid.store import open_store

    feed = workdir / "story.jsonl"
    with feed.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    settings = load_settings(env={}, db=str(workdir / "story.db"), progress=False)
    with open_store(settings.db) as store, Ingestor(settings) as reader:
        build_runner(store, settings, reader, workers=1).run([str(feed)])
        arts = list(store.iter_articles())
        stories = [story_record(s) for s in store.iter_stories()]
    return arts, stories


def analysis_record(arts: Sequence[Any], analyzer: Any = None) -> dict[str, Any]:
    """The articles analysed together as one story (by `analyzer`, default StoryAnalyzer())."""
    from rasid.understand.story import StoryAnalyzer

    analysis = (analyzer or StoryAnalyzer()).analyze(list(arts))
    return {
        "articles": [a.id for a in arts],
        "entities": [asdict(e) for e in analysis.entities],
        "timeline": [asdict(t) for t in analysis.timeline],
        "quotes": [asdict(q) for q in analysis.quotes],
    }


def run_story(records: Sequence[dict[str, Any]], workdir: Path) -> tuple[list[dict], dict, int]:
    """Run the pipeline on the records; return the stored articles, the record of the story that
    holds them all and how many stories the clusterer made of them. When the clusterer split
    them, the articles are analysed together as one story (this measures understanding, not
    clustering)."""
    from rasid.export import article_record

    arts, stories = run_pipeline(records, workdir)
    articles = [article_record(a) for a in arts]
    if len(stories) == 1:
        return articles, stories[0], 1
    return articles, analysis_record(arts), len(stories)


def _forms(variants: Iterable[str]) -> set[str]:
    return {match_form(v) for v in variants if v}


def score_story(gold: dict, articles: Sequence[dict], story: dict) -> dict[str, Any]:
    """Entities, quotes and timeline of one exported story against its gold annotation."""
    prose = match_form(" ".join(p["text"] for a in articles for p in a["paragraphs"]))
    exported = [_forms([*e["variants"], e["name"]]) for e in story["entities"]]

    # -- entities
    holders: dict[int, set[str]] = {}
    grouped, split, missing, absent = [], [], [], []
    multi_total = multi_grouped = 0
    for g in gold["entities"]:
        present = [v for v in dict.fromkeys(g["variants"]) if match_form(v) in prose]
        if not present:
            absent.append(g["canonical"])
            continue
        forms = {v: match_form(v) for v in present}
        longer = {v: [w for w in present if w != v and forms[v] in forms[w]] for v in present}
        standalone = {
            v: prose.count(forms[v]) - sum(prose.count(forms[w]) for w in longer[v]) for v in present
        }

        def held(
            v: str,
            ex: set[str],
            forms: dict[str, str] = forms,
            longer: dict[str, list[str]] = longer,
            standalone: dict[str, int] = standalone,
        ) -> bool:
            return forms[v] in ex or (standalone[v] <= 0 and any(forms[w] in ex for w in longer[v]))

        homes = {i for v in present for i, ex in enumerate(exported) if held(v, ex)}
        for i in homes:
            holders.setdefault(i, set()).add(g["canonical"])
        several = len({forms[v] for v in present}) >= 2
        multi_total += several
        unheld = [v for v in present if not any(held(v, ex) for ex in exported)]
        if unheld:
            missing.append(f"{g['canonical']}: {' | '.join(unheld)}")
        elif len(homes) == 1:
            grouped.append(g["canonical"])
            multi_grouped += several
        else:
            split.append(f"{g['canonical']}: {len(homes)} entities")
    merges = [sorted(names) for names in holders.values() if len(names) > 1]
    scored = len(gold["entities"]) - len(absent)

    # -- quotes
    speaker_forms = {g["canonical"]: _forms(g["variants"]) for g in gold["entities"]}
    ent_forms = {match_form(e["name"]): _forms([*e["variants"], e["name"]]) for e in story["entities"]}
    found_q, wrong_speaker, not_found = 0, [], []
    for q in gold["quotes"]:
        said_by = speaker_forms.get(q["speaker"], set())
        gq = match_form(q["text"])
        overlapping = [
            got
            for got in story["quotes"]
            if got["article"] == q["doc"] and (gq in match_form(got["text"]) or match_form(got["text"]) in gq)
        ]
        if any(
            ent_forms.get(match_form(got["speaker"]), {match_form(got["speaker"])}) & said_by
            for got in overlapping
        ):
            found_q += 1
        elif overlapping:
            wrong_speaker.append({"doc": q["doc"], "gold": q["speaker"], "got": overlapping[0]["speaker"]})
        else:
            not_found.append({"doc": q["doc"], "text": q["text"][:40]})

    # -- timeline
    by_date: dict[str, set[str]] = {}
    for ev in story["timeline"]:
        by_date.setdefault(ev["date"], set()).update(ev["articles"])
    tl_found, tl_missed = 0, []
    for t in gold["timeline"]:
        days = [t["date"], *t.get("also_dated", [])]
        if any(by_date.get(d, set()) & set(t["docs"]) for d in days):
            tl_found += 1
        else:
            tl_missed.append(t["date"])
    entries, happenings = len(story["timeline"]), len(gold["timeline"])

    grouped_share = multi_grouped / multi_total if multi_total else 1.0
    quote_share = found_q / len(gold["quotes"]) if gold["quotes"] else 1.0
    ratio = entries / happenings if happenings else 0.0
    return {
        "articles": len(articles),
        "entities": {
            "gold": len(gold["entities"]),
            "in_prose": scored,
            "in_one_entity": len(grouped),
            "several_spellings": multi_total,
            "several_spellings_grouped": multi_grouped,
            "several_spellings_grouped_share": round(grouped_share, 3),
            "wrong_merges": merges,
            "split": split,
            "missing": missing,
            "not_in_prose": absent,
            "exported": len(story["entities"]),
        },
        "quotes": {
            "gold": len(gold["quotes"]),
            "right_speaker": found_q,
            "share": round(quote_share, 3),
            "exported": len(story["quotes"]),
            "wrong_speaker": wrong_speaker,
            "not_found": not_found,
        },
        "timeline": {
            "gold_happenings": happenings,
            "entries": entries,
            "entries_per_happening": round(ratio, 2),
            "gold_dates_found": tl_found,
            "missed": tl_missed,
        },
        "ok": bool(
            grouped_share >= GROUPED_TARGET
            and not merges
            and quote_share >= QUOTES_TARGET
            and ratio <= ENTRY_RATIO_TARGET
            and not tl_missed
        ),
    }


def gold_files(paths: Sequence[str]) -> list[Path]:
    """Gold files named, a folder standing for its *.json files (its gold.json for a seeds folder)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(p.glob("*.json"))
        elif p.is_file():
            out.append(p)
        else:
            raise ValueError(f"{p}: no such gold file or folder")
    return out


def evaluate_understanding(paths: Sequence[str], data: str | None) -> dict[str, Any]:
    """Per-story scores of each gold file and the overall figures (sums over the stories)."""
    stories: dict[str, Any] = {}
    for path in gold_files(paths):
        try:
            gold = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: unreadable gold file ({exc})") from exc
        if not isinstance(gold, dict) or "documents" not in gold:
            raise ValueError(f"{path}: not a story annotation (no `documents`)")
        records = feed_records(gold, path, Path(data) if data else None)
        with tempfile.TemporaryDirectory() as tmp:
            articles, story, n_stories = run_story(records, Path(tmp))
        res = score_story(gold, articles, story)
        res["clusterer_stories"] = n_stories
        name = gold.get("story")
        stories[name if isinstance(name, str) else f"{path.parent.name}/{path.stem}"] = res
    tot = {
        k: sum(s["entities"][k] for s in stories.values())
        for k in ("several_spellings", "several_spellings_grouped")
    }
    merges = sum(len(s["entities"]["wrong_merges"]) for s in stories.values())
    q_gold = sum(s["quotes"]["gold"] for s in stories.values())
    q_ok = sum(s["quotes"]["right_speaker"] for s in stories.values())
    happ = sum(s["timeline"]["gold_happenings"] for s in stories.values())
    entries = sum(s["timeline"]["entries"] for s in stories.values())
    dates = sum(s["timeline"]["gold_dates_found"] for s in stories.values())
    overall = {
        "stories": len(stories),
        "several_spellings_grouped": f"{tot['several_spellings_grouped']}/{tot['several_spellings']}",
        "wrong_merges": merges,
        "quotes_right_speaker": f"{q_ok}/{q_gold}",
        "timeline_entries_per_happening": round(entries / happ, 2) if happ else 0.0,
        "gold_dates_found": f"{dates}/{happ}",
    }
    return {"stories": stories, "overall": overall, "ok": all(s["ok"] for s in stories.values())}
