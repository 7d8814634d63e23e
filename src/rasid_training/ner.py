"""Training rasid's Arabic NER (what `rasid train ner` runs), outside the product.

The sentence CRF learns from the ANERcorp training split plus silver data: the labels a teacher
(a tagger over multilingual-e5-small states, `ner_e5`, bench/ner_e5.py) gave 251 SaudiNewsNet
articles, shipped as `data/ner.silver.json.gz` (labels only; the text is re-read from the data
folder). The document CRF learns from first-stage labels got by K-fold cross-validation;
`train_ner(neural=True)` trains the stacked BiLSTM of `ner_neural` instead. A teacher dictionary
(word -> likely type) can be one more CRF feature (it ships empty: no gain on test). e5 itself is
far too slow to run when tagging. Nothing here knows where the data lives: the caller passes
`data_dir` (the folder holding anercorp/ and saudinewsnet/).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import time
from collections.abc import Iterable, Sequence
from importlib import resources as importlib_resources
from pathlib import Path

import numpy as np

from rasid.text.normalize import arabic_ratio, match_form
from rasid.understand.ner.conll import read_conll
from rasid.understand.ner.features import Featurizer, Resources
from rasid.understand.ner.model import doc_path, neural_path, resources_path
from rasid.understand.ner.stack import doc_features, spans_of
from rasid.understand.ner_tokenize import sentences
from rasid_training.ner_clusters import build_clusters, saudinewsnet_texts
from rasid_training.ner_neural import TAGS as NN_TAGS
from rasid_training.ner_neural import NeuralTagger, crf_marginals

__all__ = [
    "CRF_PARAMS",
    "MIN_FREQ",
    "build_resources",
    "load_silver",
    "packaged_silver",
    "read_gazetteers",
    "save_silver",
    "silver_source_sentences",
    "train_crf",
    "train_ner",
]

SILVER_NAME = "ner.silver.json.gz"
TRAIN_FILE = "ANERCorp_approxCamelSplit_train.txt.gz"
# CRF settings chosen by the ablations in docs/benchmarks/ner.md.
CRF_PARAMS = {"c1": 0.05, "c2": 0.2, "max_iterations": 100, "feature.possible_transitions": True}
MIN_FREQ = 2
# The document CRF learns from first-stage labels got by K-fold cross-validation on the training
# set, over windows of DOC_WINDOW sentences either side (ANERcorp has no article boundaries).
FOLDS = 4
DOC_WINDOW = 10
# Epochs of the stacked BiLSTM (chosen on a dev part of the training split).
NN_EPOCHS = 8


def read_gazetteers(folder: Path) -> dict[str, set[str]]:
    """ANERgazet lists in matching form (section markers dropped)."""
    names = {
        "PER": "AlignedPersGazetteer.txt",
        "LOC": "AlignedLocGazetteer.txt",
        "ORG": "AlignedOrgGazetteer.txt",
    }
    out: dict[str, set[str]] = {}
    for typ, name in names.items():
        entries: set[str] = set()
        for line in (folder / name).read_text(encoding="utf-8", errors="replace").splitlines():
            form = match_form(line)
            if not form or form.strip("=*") == "" or "\ufffd" in form or len(form) < 2:
                continue
            entries.add(form)
        out[typ] = entries
    return out


def silver_source_sentences(n_articles: int, data_dir: Path) -> list[list[str]]:
    """Token lists of the Arabic lines of the first `n_articles` SaudiNewsNet articles (all zips but
    the last three, which bench/ner_speed.py times), cut as `mentions()` cuts them: the sentences
    the e5 teacher labelled (bench/ner_e5.py). Only labels are shipped; the text is re-read."""
    zips = sorted((data_dir / "saudinewsnet").glob("*.zip"))[:-3]
    out: list[list[str]] = []
    for text in saudinewsnet_texts(zips, limit=n_articles):
        for line in text.split("\n"):
            if line.strip() and arabic_ratio(line) >= 0.5:
                out.extend([t.text for t in s] for s in sentences(line))
    return out


def save_silver(
    path: Path, n_articles: int, sents: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]
) -> None:
    """Teacher labels of `silver_source_sentences(n_articles)`, one digit per token (NN_TAGS index)."""
    code = {t: str(k) for k, t in enumerate(NN_TAGS)}
    rows = ["".join(code[t] for t in tt) for tt in tags]
    assert [len(r) for r in rows] == [len(s) for s in sents]
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        json.dump({"version": 1, "articles": n_articles, "tags": rows}, fh, separators=(",", ":"))


def load_silver(path: Path, data_dir: Path) -> list[tuple[list[str], list[str]]]:
    """The silver sentences with their teacher labels; empty if the text no longer matches (the
    data or the tokeniser changed): never train on misaligned labels."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    sents = silver_source_sentences(int(data["articles"]), data_dir)
    rows = data["tags"]
    if [len(s) for s in sents] != [len(r) for r in rows]:
        return []
    return [(s, [NN_TAGS[int(c)] for c in r]) for s, r in zip(sents, rows, strict=True)]


def packaged_silver() -> Path | None:
    """The silver-label file shipped with this package, if any."""
    data = importlib_resources.files("rasid_training").joinpath("data").joinpath(SILVER_NAME)
    return Path(str(data)) if data.is_file() else None


def build_resources(
    unlabelled: Sequence[Path],
    gazetteer_dir: Path,
    train_sents: Sequence[tuple[list[str], list[str]]] = (),
    seed: int = 0,
    article_limit: int | None = None,
    teacher_types: dict[str, str] | None = None,
) -> Resources:
    """Gazetteers (plus the training names, used only to decide clitic cuts), clusters and counts."""
    gaz = read_gazetteers(gazetteer_dir)
    # As dense CRF features the word vectors lost 0.7 F1 points; they feed the stacked BiLSTM instead
    # (kept on the object for training, not in the resources file).
    clusters, counts, vecs = build_clusters(saudinewsnet_texts(unlabelled, limit=article_limit), seed=seed)
    res = Resources(gazetteer=gaz, clusters=clusters, counts=counts)
    res.vectors = (list(clusters), vecs)
    names: set[str] = set()
    for toks, tags in train_sents:
        for a, b, _typ in spans_of(tags):
            names.update(match_form(t) for t in toks[a:b])
    res.names = {n for n in names if len(n) >= 3}
    res.e5types = dict(teacher_types) if teacher_types is not None else packaged_teacher_types()
    return res


def packaged_teacher_types() -> dict[str, str]:
    """The teacher dictionary of the packaged resources. Building it takes a multilingual-e5-small
    pass over SaudiNewsNet (~25 min, bench/ner_e5.py), more than a rebuild may take, so a rebuild
    keeps the packaged one unless it is given another."""
    data = (
        importlib_resources.files("rasid")
        .joinpath("data")
        .joinpath(resources_path(Path("ner.crfsuite")).name)
    )
    if not data.is_file():
        return {}
    with importlib_resources.as_file(data) as p:
        return Resources.load(p).e5types


def train_crf(xs: Sequence[list], ys: Sequence[list[str]], path: Path, params: dict) -> None:
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for x, y in zip(xs, ys, strict=True):
        trainer.append(x, y)
    trainer.set_params(params)
    trainer.train(str(path))


def train_ner(
    out_path: Path,
    train: Path | None = None,
    unlabelled: Sequence[Path] | None = None,
    seed: int = 0,
    *,
    resources: Resources | None = None,
    params: dict | None = None,
    features: Iterable[str] | None = None,
    article_limit: int | None = None,
    stacked: bool = True,
    neural: bool = False,
    epochs: int = NN_EPOCHS,
    teacher_types: dict[str, str] | None = None,
    silver: Path | None | bool = True,
    fold_silver: int = 0,
    data_dir: Path | None = None,
) -> dict:
    """Train the sentence CRF on `train` (ANERcorp train split by default) and, if `stacked`, the
    second stage from 4-fold cross-validated CRF outputs: the BiLSTM (`neural`, needs torch and
    the word vectors of `build_resources`) or else the document CRF. `teacher_types` (word ->
    type+bucket, from bench/ner_e5.py) replaces the packaged teacher dictionary. `silver` (True:
    the packaged `ner.silver.json.gz`; a path; False/None: none) adds SaudiNewsNet sentences
    labelled by the e5 teacher to the sentence CRF's training data; `fold_silver` > 0 also adds the
    first that many silver sentences to every jackknife fold, so the document CRF learns from
    first-pass labels like those of the silver-trained sentence CRF (costs fold time). `data_dir`
    is the folder with anercorp/ and saudinewsnet/: needed unless `train`, `resources` and `silver`
    (a path or False) are all given.
    Writes the files beside `out_path`. Returns stats: sentences, tokens, features, seconds per stage, file sizes."""
    import tempfile

    import pycrfsuite

    t0 = time.perf_counter()
    sents = read_conll(train or _data(data_dir, "the training file") / "anercorp" / TRAIN_FILE)
    if resources is None:
        data = _data(data_dir, "the gazetteers")
        unl = list(unlabelled) if unlabelled is not None else sorted((data / "saudinewsnet").glob("*.zip"))
        resources = build_resources(
            unl, data / "anercorp" / "ANERGazet", sents, seed, article_limit, teacher_types=teacher_types
        )
    t1 = time.perf_counter()
    crf_params = {**CRF_PARAMS, "feature.minfreq": MIN_FREQ, **(params or {})}
    feats = Featurizer(resources, use=features)
    xs = [feats.sentence(toks) for toks, _ in sents]
    ys = [tags for _, tags in sents]
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    silver_file = packaged_silver() if silver is True else (Path(silver) if silver else None)
    silver_sents = (
        load_silver(silver_file, _data(data_dir, "the silver text")) if silver_file is not None else []
    )
    train_crf(
        xs + [feats.sentence(t) for t, _ in silver_sents],
        ys + [g for _, g in silver_sents],
        out_path,
        crf_params,
    )
    t2 = time.perf_counter()
    stats: dict = {"silver_sentences": len(silver_sents)}
    # Without torch (the `train` extra) the second stage falls back to the document CRF.
    use_nn = (
        stacked and neural and resources.vectors is not None and importlib.util.find_spec("torch") is not None
    )
    for stale in (doc_path(out_path), neural_path(out_path)):
        if stale.exists():
            stale.unlink()
    if stacked:
        n = len(sents)
        first: list[list[str]] = [[] for _ in range(n)]
        margs: list[np.ndarray] = [np.zeros((0, len(NN_TAGS)), np.float32) for _ in range(n)]
        with tempfile.TemporaryDirectory() as tmp:
            fold_path = Path(tmp) / "fold.crfsuite"
            extra_x = [feats.sentence(t) for t, _ in silver_sents[:fold_silver]]
            extra_y = [g for _, g in silver_sents[:fold_silver]]
            for f in range(FOLDS):
                lo, hi = f * n // FOLDS, (f + 1) * n // FOLDS
                train_crf(xs[:lo] + xs[hi:] + extra_x, ys[:lo] + ys[hi:] + extra_y, fold_path, crf_params)
                tagger = pycrfsuite.Tagger()
                tagger.open(str(fold_path))
                for i in range(lo, hi):
                    if use_nn:
                        first[i], margs[i] = crf_marginals(tagger, xs[i])
                    else:
                        first[i] = list(tagger.tag(xs[i]))
                tagger.close()
        forms = [[feats.form(t) for t in toks] for toks, _ in sents]
        extra = doc_features(forms, first, resources.counts, DOC_WINDOW)
        t_folds = time.perf_counter()
        if use_nn:
            from rasid_training.ner_neural import train_neural

            vocab, vectors = resources.vectors  # type: ignore[misc]
            char_counts: dict[str, int] = {}
            for fs in forms:
                for form in fs:
                    for ch in form:
                        char_counts[ch] = char_counts.get(ch, 0) + 1
            charset = sorted(c for c, k in char_counts.items() if k >= 2)
            proto = NeuralTagger(
                {w: i + 2 for i, w in enumerate(vocab)}, {c: i + 2 for i, c in enumerate(charset)}, {}
            )
            enc = [proto.encode(f, x, m, d) for f, x, m, d in zip(forms, xs, margs, extra, strict=True)]
            net = train_neural(enc, ys, vocab, vectors, charset, epochs=epochs, seed=seed)
            net.save(neural_path(out_path))
            stats["nn_bytes"] = neural_path(out_path).stat().st_size
            stats["folds_seconds"] = round(t_folds - t2, 1)
        else:
            xs2 = [[a + b for a, b in zip(x, d, strict=True)] for x, d in zip(xs, extra, strict=True)]
            train_crf(xs2, ys, doc_path(out_path), crf_params)
            stats["doc_crf_bytes"] = doc_path(out_path).stat().st_size
    t3 = time.perf_counter()
    resources.save(resources_path(out_path))
    info = pycrfsuite.Tagger()
    info.open(str(out_path))
    return {
        "sentences": len(sents),
        "tokens": sum(len(t) for t, _ in sents),
        "state_features": len(info.info().state_features),
        "resources_seconds": round(t1 - t0, 1),
        "crf_seconds": round(t2 - t1, 1),
        "stage2_seconds": round(t3 - t2, 1),
        "seconds": round(time.perf_counter() - t0, 1),
        "crf_bytes": out_path.stat().st_size,
        "resources_bytes": resources_path(out_path).stat().st_size,
        **stats,
    }


def _data(data_dir: Path | None, what: str) -> Path:
    """The data folder, which must be given to find `what`."""
    if data_dir is None:
        raise ValueError(f"train_ner: no data folder given to find {what} (pass data_dir)")
    return Path(data_dir)
