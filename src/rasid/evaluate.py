"""`rasid eval ...` and `rasid train ...`: measurements against labels, and model rebuilding.

Each function returns a JSON-ready dict; the CLI prints it. `ok` is False when a check that the
issue names as a target fails, so scripts can gate on the exit status.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .export import story_record
from .settings import Settings
from .text.normalize import match_form


def _pred_from_store(db: str) -> tuple[dict[str, str], dict[str, str | None]]:
    """url (or id) -> story, and url -> duplicate_of url, for every stored article."""
    from .store import open_store

    with open_store(db, create=False) as store:
        arts = list(store.iter_articles())
    url_of = {a.id: (a.url or a.id) for a in arts}
    story = {url_of[a.id]: a.story or a.id for a in arts}
    dup = {
        url_of[a.id]: (url_of.get(a.duplicate_of, a.duplicate_of) if a.duplicate_of else None) for a in arts
    }
    return story, dup


def eval_stories(gold: str | list[str], db: str, focus: str | None = None) -> dict[str, Any]:
    from .eval.stories import evaluate_stories_file

    story, dup = _pred_from_store(db)
    return evaluate_stories_file(list(gold) if isinstance(gold, list) else gold, story, dup, focus)


def eval_duplicates(gold: str, db: str) -> dict[str, Any]:
    from .eval.stories import evaluate_duplicates_file

    _, dup = _pred_from_store(db)
    return evaluate_duplicates_file(gold, dup)


def eval_ner(test: str, model: str | None) -> dict[str, Any]:
    from .eval.ner import evaluate_ner
    from .understand.ner import NerModel

    ner = NerModel.load(model)
    path = Path(test)
    # Sentence by sentence is the standard setting; the document pass (±10 sentences, about one
    # article) is what `NerModel.mentions` runs on real articles.
    return {"sentence": evaluate_ner(ner, path), "document_window_10": evaluate_ner(ner, path, window=10)}


# -- the seed story -----------------------------------------------------------------------------


def write_seed_feed(
    seeds: Path, gold: dict, out: Path, with_dates: bool = True, source: Callable[[str], str] | None = None
) -> Path:
    """The seed files as a feed would give them (seeds/README.md): one JSON line each with the id,
    the text, the gold publication date (unless `with_dates` is off) and `source(id)` if given."""
    with out.open("w", encoding="utf-8") as fh:
        for doc in gold["documents"]:
            rec: dict[str, Any] = {"id": doc["id"], "text": (seeds / doc["file"]).read_text(encoding="utf-8")}
            if with_dates:
                rec["published"] = doc["published"]
            if source is not None:
                rec["source"] = source(doc["id"])
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return out


def _run_seeds(seeds: Path, gold: dict, with_dates: bool, workdir: Path) -> tuple[list[dict], list[dict]]:
    from .ingest import Ingestor
    from .runner import build_runner
    from .settings import load_settings
    from .store import open_store

    tag = "dated" if with_dates else "undated"
    jsonl = workdir / f"seeds-{tag}.jsonl"
    write_seed_feed(seeds, gold, jsonl, with_dates)
    settings = load_settings(env={}, db=str(workdir / f"seeds-{tag}.db"), progress=False)
    with open_store(settings.db) as store, Ingestor(settings) as reader:
        build_runner(store, settings, reader).run([str(jsonl)])
        from .export import article_record

        articles = [article_record(a) for a in store.iter_articles()]
        stories = [story_record(s) for s in store.iter_stories()]
    return articles, stories


def seed_checks(gold: dict, articles: list[dict], stories: list[dict]) -> dict[str, Any]:
    """The seed-story checks of the issues, against gold.json."""
    out: dict[str, Any] = {}
    story_ids = {a["story"] for a in articles}
    out["one_story"] = len(story_ids) == 1
    story = stories[0] if len(stories) == 1 else max(stories, key=lambda s: len(s["articles"]))

    # Entities: each gold entity's Arabic variants in one exported entity; no entity holds two.
    def variants_of(ent: dict) -> set[str]:
        return {match_form(v) for v in ent["variants"]} | {match_form(ent["name"])}

    exported = [variants_of(e) for e in story["entities"]]
    grouped, missing, mixed = [], [], []
    owner: dict[int, list[str]] = {}
    # A variant written only in debris that cleaning removed (a photo caption) cannot be found.
    prose = match_form(" ".join(p["text"] for a in articles for p in a["paragraphs"]))
    only_in_debris: list[str] = []
    for g in gold["entities"]:
        arabic = [v for v in g["variants"] if any("\u0600" <= c <= "\u06ff" for c in v)]
        only_in_debris += [v for v in arabic if match_form(v) not in prose]
        arabic = [v for v in arabic if match_form(v) in prose]
        if not arabic:
            continue
        # A short variant that the prose only ever writes inside a longer variant of the same
        # entity ("بيسكوف" in "دميتري بيسكوف") is held by whichever entity holds the longer one.
        longer = {v: [w for w in arabic if w != v and match_form(v) in match_form(w)] for v in arabic}
        standalone = {
            v: prose.count(match_form(v)) - sum(prose.count(match_form(w)) for w in longer[v]) for v in arabic
        }

        def held(
            v: str,
            ex: set[str],
            standalone: dict[str, int] = standalone,
            longer: dict[str, list[str]] = longer,
        ) -> bool:
            return match_form(v) in ex or (standalone[v] <= 0 and any(match_form(w) in ex for w in longer[v]))

        homes = {i for v in arabic for i, ex in enumerate(exported) if held(v, ex)}
        found_all = all(any(held(v, ex) for ex in exported) for v in arabic)
        if not found_all:
            missing.append(g["canonical"])
        elif len(homes) == 1:
            grouped.append(g["canonical"])
            owner.setdefault(next(iter(homes)), []).append(g["canonical"])
        else:
            missing.append(g["canonical"] + " (split)")
    mixed = [names for names in owner.values() if len(names) > 1]
    out["entities"] = {
        "gold": len(gold["entities"]),
        "in_one_entity": len(grouped),
        "not_grouped": missing,
        "mixed": mixed,
        "variants_only_in_removed_debris": only_in_debris,
    }

    # Timeline: every gold date present with at least one gold article.
    by_date: dict[str, set[str]] = {}
    for ev in story["timeline"]:
        by_date.setdefault(ev["date"], set()).update(ev["articles"])
    tl_ok = [t["date"] for t in gold["timeline"] if by_date.get(t["date"], set()) & set(t["docs"])]
    out["timeline"] = {
        "gold_dates": len(gold["timeline"]),
        "found": len(tl_ok),
        "missed": [t["date"] for t in gold["timeline"] if t["date"] not in tl_ok],
    }

    # Quotes: right speaker (through the gold variants) and article, text overlapping.
    speaker_forms = {g["canonical"]: {match_form(v) for v in g["variants"]} for g in gold["entities"]}
    ent_variants = {match_form(e["name"]): variants_of(e) for e in story["entities"]}
    found_q = 0
    for q in gold["quotes"]:
        forms = speaker_forms.get(q["speaker"], set())
        gq = match_form(q["text"])
        for got in story["quotes"]:
            if got["article"] != q["doc"]:
                continue
            gt = match_form(got["text"])
            if not (gq in gt or gt in gq):
                continue
            if ent_variants.get(match_form(got["speaker"]), {match_form(got["speaker"])}) & forms:
                found_q += 1
                break
    out["quotes"] = {"gold": len(gold["quotes"]), "found": found_q}

    # Brief: statements carried by 2+ outlets; each verbatim in its first article.
    text_of = {a["id"]: "\n".join(p["text"] for p in a["paragraphs"]) for a in articles}
    multi = [s for s in story["brief"] if len(s["articles"]) >= 2]
    verbatim = all(s["text"] in text_of.get(s["articles"][0], "") for s in story["brief"])
    out["brief"] = {"statements": len(story["brief"]), "multi_outlet": len(multi), "verbatim": verbatim}

    # Disputed: the gold claim's evidence in a dispute's claim, the denial's in its text.
    ev_claim, ev_denial = (match_form(e) for e in gold["disputed"][0]["evidence"])
    out["disputed_found"] = any(
        ev_claim in match_form(d["claim"]) and ev_denial in match_form(d["text"]) for d in story["disputed"]
    )
    out["ok"] = bool(
        out["one_story"]
        and not missing
        and not mixed
        and len(tl_ok) == len(gold["timeline"])
        and found_q >= 5
        and len(multi) >= 3
        and verbatim
        and out["disputed_found"]
    )
    return out


def eval_seeds(seeds: str) -> dict[str, Any]:
    folder = Path(seeds)
    gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for with_dates in (True, False):
            articles, stories = _run_seeds(folder, gold, with_dates, Path(tmp))
            result["with_dates" if with_dates else "without_dates"] = seed_checks(gold, articles, stories)
    result["ok"] = all(r["ok"] for r in result.values() if isinstance(r, dict))
    return result


class DataMissing(FileNotFoundError):
    """A data file or folder an evaluation or a training needs is not there."""


def _need(path: Path, what: str, hint: bool = True) -> Path:
    """`path` if it exists, else DataMissing naming it (and the --data option, where it comes from it)."""
    if not path.exists():
        more = " (give the data folder with --data DIR; default ../shared)" if hint else ""
        raise DataMissing(f"{path}: no such {what}{more}")
    return path


def data_folder(args: argparse.Namespace) -> Path:
    """The --data folder (relative to the working directory), which must exist."""
    return _need(Path(getattr(args, "data", None) or "../shared"), "data folder")


def run(what: str, args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    if what == "stories":
        golds = [str(_need(Path(g), "labels file", hint=False)) for g in args.gold]
        focus = str(_need(Path(args.focus), "labels file", hint=False)) if args.focus else None
        return eval_stories(golds if len(golds) > 1 else golds[0], settings.db, focus)
    if what == "duplicates":
        return eval_duplicates(str(_need(Path(args.gold[0]), "labels file", hint=False)), settings.db)
    if what == "ner":
        test = Path(args.test) if args.test else data_folder(args) / "data" / "anercorp" / _NER_TEST
        return eval_ner(str(_need(test, "test file")), args.model)
    if what == "seeds":
        seeds = Path(args.seeds) if args.seeds else data_folder(args) / "seeds"
        _need(seeds / "gold.json", "seeds folder")
        return eval_seeds(str(seeds))
    if what == "brief":
        from .eval.brief import evaluate_brief_files

        for gold in args.gold:
            _need(Path(gold), "gold file or folder", hint=False)
        return evaluate_brief_files(args.gold, data_folder(args))
    if what == "understanding":
        from .eval.understanding import evaluate_understanding

        for gold in args.gold:
            _need(Path(gold), "gold file or folder", hint=False)
        return evaluate_understanding(args.gold, str(data_folder(args) / "data"))
    raise ValueError(f"unknown evaluation {what!r}")


_NER_TEST = "ANERCorp_approxCamelSplit_test.txt.gz"
_NER_TRAIN = "ANERCorp_approxCamelSplit_train.txt.gz"


def train_stories(
    golds: list[str], out: str, settings: Settings, train_only: Sequence[str] = ()
) -> dict[str, Any]:
    """Fit the four story scorers on the stored articles that the `golds` label files label (see
    rasid_training.stories). With two or more files, the join, merge and core thresholds are tuned
    out of fold: each file's articles streamed with scorers fitted on the other files' articles, each
    threshold the one whose worst file scores best. The `train_only` files' articles train every fit
    and, with two or more `golds`, no threshold is scored on them (labels that miss links, e.g. made
    quickly: scored, they would count every missed link a join finds as an error and pull the
    thresholds towards splitting).

    The articles are read from the store as `rasid run` cleaned them, in stream order; they are
    embedded and de-duplicated afresh, as the stories stage would see them in one run."""
    # the fitting procedure is not part of the product: this command is its one way in
    from rasid_training.stories import fit_story_models, stream

    from .dedup import Deduper
    from .embed import article_vectors, make_embedder
    from .eval.stories import bcubed, iter_gold_events, pairwise, read_gold, stream_order
    from .store import open_store

    labels: dict[str, str] = {}
    file_of: dict[str, int] = {}
    for k, gold in enumerate([*golds, *train_only]):
        for url, event in iter_gold_events(read_gold(gold)):
            if url not in labels:  # a url labelled twice: the first file's label
                labels[url] = event
                file_of[url] = k
    names = ", ".join(Path(g).name for g in [*golds, *train_only])
    with open_store(settings.db, create=False) as store:
        arts = stream_order(a for a in store.iter_articles() if (a.url or a.id) in labels)
    if not arts:
        raise ValueError(
            f"{names}: none of its articles is in the store {settings.db} "
            "(run `rasid run` on them first; labels name articles by url)"
        )
    events = {a.id: labels[a.url or a.id] for a in arts}
    vecs = article_vectors(arts, make_embedder(settings.embedder))
    dedup = Deduper()
    dedup.max_bucket = settings.dedup_stop_bucket
    for a in arts:
        dedup.add(a)
    dup = {a.id: dedup.duplicate_of(a.id) for a in arts}
    parts = [[i for i, a in enumerate(arts) if file_of[a.url or a.id] == k] for k in range(len(golds))]
    parts = [p for p in parts if p]
    extra = [i for i, a in enumerate(arts) if file_of[a.url or a.id] >= len(golds)]
    out_of_fold = len(parts) > 1
    fitted = fit_story_models(
        arts,
        vecs,
        dup,
        events,
        trained_on=f"{names} ({len(arts)} articles)",
        parts=parts if out_of_fold else None,
        out_of_fold=out_of_fold,
        train_only=extra,
    )
    files = fitted.write(out)
    pred = stream(arts, vecs, dup, fitted.model, fitted.merge_model)
    b, p = bcubed(pred, events), pairwise(pred, events)
    return {
        "models": str(Path(out)),
        "files": [f.name for f in files],
        "articles": len(arts),
        "events": len(set(events.values())),
        "labels_not_in_store": len(labels) - len(arts),
        "candidate_rows": fitted.rows,
        "same_event_rows": fitted.positives,
        "thresholds": {
            "join": fitted.model.threshold,
            "merge": fitted.merge_model.threshold if fitted.merge_model is not None else None,
            "cross_language_join": fitted.cross_model.threshold,
            "cross_language_merge": (
                fitted.cross_merge_model.threshold if fitted.cross_merge_model is not None else None
            ),
            "core": fitted.pair_model.threshold if fitted.pair_model is not None else None,
            "tuned": f"out of fold over {len(parts)} label files, on the worst"
            + (f" (and {len(train_only)} training only)" if train_only else "")
            if out_of_fold
            else "in sample",
        },
        "in_sample": {
            "bcubed": dict(zip("prf", b, strict=True)),
            "pairwise": dict(zip("prf", p, strict=True)),
            "note": "scored on the articles the models were fitted and tuned on: "
            "hold a labelled day out to measure",
        },
        "use": f"story_models = {str(Path(out))!r} in rasid.toml (or RASID_STORY_MODELS) for a new store",
    }


def train(what: str, args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    if what == "stories":
        golds = [str(_need(Path(g), "labels file", hint=False)) for g in args.gold]
        extra = [str(_need(Path(g), "labels file", hint=False)) for g in args.train_only or []]
        return train_stories(golds, args.out, settings, extra)
    if what != "ner":
        raise ValueError(f"unknown model {what!r}")
    from rasid_training.ner import train_ner

    from .understand.ner import default_model_path

    if args.out:
        out = Path(args.out)
    elif getattr(args, "overwrite_shipped", False):
        out = default_model_path()
    else:
        raise ValueError("give --out FILE, or --overwrite-shipped to replace the packaged model")
    data = data_folder(args) / "data"
    train_file = _need(Path(args.train) if args.train else data / "anercorp" / _NER_TRAIN, "training file")
    _need(data / "anercorp" / "ANERGazet", "gazetteer folder")
    _need(data / "saudinewsnet", "SaudiNewsNet folder")
    stats = train_ner(out, train_file, data_dir=data)
    return {"model": str(out), **stats}


__all__: Sequence[str] = ("run", "train", "seed_checks", "eval_seeds")
