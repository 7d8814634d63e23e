"""Arabic named-entity recognition: CRFs trained here on ANERcorp, shipped in the package.

No installable package ships an Arabic NER model and nothing may be downloaded at run time, so
rasid trains its own linear-chain CRFs (python-crfsuite) on the ANERcorp training split, with the
features of `ner_features` (clitics, stems, gazetteers, triggers, word clusters from unlabelled
SaudiNewsNet): a sentence CRF, then a document CRF (`ner_stack`) that also sees how the first
labelled the same word elsewhere in the article. `train_ner(neural=True)` instead stacks a small
BiLSTM (`ner_neural`, trained with torch, run in numpy) on the CRF's marginals and document votes:
+0.7 F1 points on ANERcorp test but about 3x slower tagging, so the packaged model keeps the
document CRF (docs/benchmarks/ner.md). A teacher dictionary (word -> likely type, from news
tagged offline by a tagger over multilingual-e5-small states, `ner_e5`) can be one more CRF
feature (it ships empty: no gain on test). What ships from that teacher is silver training data:
its labels for 251 SaudiNewsNet articles (`ner.silver.json.gz`, labels only; the text is re-read
from shared/) join the sentence CRF's training set. e5 itself is far too slow to run when tagging. The trained files live in `rasid/data/`, so users
never train. Latin-script paragraphs go to the rules of `ner_latin`.

Mentions come back as character spans of the display text. ANERcorp tags clitics with the name
("وبريطانيا" is B-LOC), so the tagger does too; `mentions` then drops a leading و/ف and/or ب/ل/ك
when the remainder is far more frequent in news than the whole word and is a known name (or a
frequent word), so "لروسيا" yields "روسيا" while "فرنسا" and "بوتين" stay whole.
"""

from __future__ import annotations

import gzip
import importlib.util
import time
from collections.abc import Iterable, Sequence
from importlib import resources as importlib_resources
from pathlib import Path

import numpy as np

from rasid.text.normalize import arabic_ratio, match_form
from rasid.understand.ner_features import Featurizer, Resources, read_gazetteers
from rasid.understand.ner_latin import latin_mentions
from rasid.understand.ner_neural import TAGS as NN_TAGS
from rasid.understand.ner_neural import NeuralTagger, viterbi
from rasid.understand.ner_neural import _allowed as _iob_masks
from rasid.understand.ner_stack import doc_features, spans_of
from rasid.understand.ner_tokenize import Token, sentences

__all__ = ["NerModel", "TYPES", "default_model_path", "read_conll", "spans_of", "train_ner"]

TYPES = ("PER", "LOC", "ORG", "MISC")
DEFAULT_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
_CRF_NAME = "ner.crfsuite"
SILVER_NAME = "ner.silver.json.gz"
_CONJ_PREP = ("و", "ف", "ب", "ل", "ك")
# CRF settings chosen by the ablations in docs/benchmarks/ner.md.
CRF_PARAMS = {"c1": 0.05, "c2": 0.2, "max_iterations": 100, "feature.possible_transitions": True}
MIN_FREQ = 2
# The document CRF learns from first-stage labels got by K-fold cross-validation on the training
# set, over windows of DOC_WINDOW sentences either side (ANERcorp has no article boundaries).
FOLDS = 4
DOC_WINDOW = 10
# Epochs of the stacked BiLSTM (chosen on a dev part of the training split).
NN_EPOCHS = 8
# Weight of the BiLSTM against the CRF marginals when decoding (dev: 0.7 > 1.0 > 0.5 > 0).
NN_WEIGHT = 0.7
# Sentences whose best CRF sequence has at least this probability skip the BiLSTM.
GATE = 0.9


def default_model_path() -> Path:
    """The packaged model file: what `NerModel.load()` reads and where a rebuild writes by default."""
    return Path(str(importlib_resources.files("rasid").joinpath("data").joinpath(_CRF_NAME)))


def resources_path(crf_path: Path) -> Path:
    """The resources file that goes with a CRF file: `ner.crfsuite` -> `ner.resources.json.gz`."""
    return crf_path.with_name(crf_path.name.removesuffix(".crfsuite") + ".resources.json.gz")


def neural_path(crf_path: Path) -> Path:
    """The stacked BiLSTM weights that go with a CRF file: `ner.crfsuite` -> `ner.nn.npz`."""
    return crf_path.with_name(crf_path.name.removesuffix(".crfsuite") + ".nn.npz")


def doc_path(crf_path: Path) -> Path:
    """The document (second-stage) CRF that goes with a CRF file: `ner.crfsuite` -> `ner.doc.crfsuite`."""
    return crf_path.with_name(crf_path.name.removesuffix(".crfsuite") + ".doc.crfsuite")


def read_conll(path: Path) -> list[tuple[list[str], list[str]]]:
    """Sentences of a CoNLL `TOKEN TAG` file (gzip or plain), tags mapped PERS -> PER."""
    opener = gzip.open if path.suffix == ".gz" else open
    out: list[tuple[list[str], list[str]]] = []
    toks: list[str] = []
    tags: list[str] = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2:
                if toks:
                    out.append((toks, tags))
                    toks, tags = [], []
                continue
            toks.append(parts[0])
            tags.append(parts[-1].replace("PERS", "PER"))
    if toks:
        out.append((toks, tags))
    return out


class NerModel:
    """A trained tagger with its feature resources. Holds caches, so share one per process."""

    __slots__ = ("tagger", "doc_tagger", "neural", "res", "feats", "known", "gazetteer_words", "_buffers", "_masks")

    def __init__(
        self, tagger: object, res: Resources, doc_tagger: object | None = None, neural: NeuralTagger | None = None
    ) -> None:
        self.tagger = tagger
        self.doc_tagger = doc_tagger
        # The stacked BiLSTM (second stage); when present it replaces the document CRF.
        self.neural = neural
        self._masks = _iob_masks()
        # CRFsuite reads an in-memory model in place: its bytes must live as long as the tagger.
        self._buffers: list[bytes] = []
        self.res = res
        self.feats = Featurizer(res)
        self.gazetteer_words: set[str] = set().union(*res.gazetteer.values())
        # Training names carry clitics as ANERcorp writes them ("لروسيا"); fine for remainders.
        self.known: set[str] = self.gazetteer_words | res.names

    @classmethod
    def load(cls, path: str | Path | None = None) -> NerModel:
        """The model at `path` (a `.crfsuite` file with its resources beside it), or the packaged one."""
        import pycrfsuite

        tagger = pycrfsuite.Tagger()
        doc_tagger = pycrfsuite.Tagger()
        if path is None:
            data = importlib_resources.files("rasid").joinpath("data")
            buffers = [data.joinpath(_CRF_NAME).read_bytes()]
            tagger.open_inmemory(buffers[0])
            doc_file = data.joinpath(doc_path(Path(_CRF_NAME)).name)
            if doc_file.is_file():
                buffers.append(doc_file.read_bytes())
                doc_tagger.open_inmemory(buffers[1])
            else:
                doc_tagger = None
            with importlib_resources.as_file(data.joinpath(resources_path(Path(_CRF_NAME)).name)) as rp:
                res = Resources.load(rp)
        else:
            path = Path(path)
            tagger.open(str(path))
            if doc_path(path).is_file():
                doc_tagger.open(str(doc_path(path)))
            else:
                doc_tagger = None
            res = Resources.load(resources_path(path))
            buffers = []
        model = cls(tagger, res, doc_tagger, _load_neural(path))
        model._buffers = buffers
        return model

    def tag(self, tokens: list[str]) -> list[str]:
        """IOB2 tags (PER, LOC, ORG, MISC) for one sentence of tokens."""
        if not tokens:
            return []
        if self.neural is not None:
            return self.tag_document([tokens])[0]
        return list(self.tagger.tag(self.feats.sentence(tokens)))  # type: ignore[attr-defined]

    def tag_document(
        self, sents: Sequence[Sequence[str]], window: int | None = None, every: bool = False
    ) -> list[list[str]]:
        """Tags for the sentences of one document. With the document CRF (the packaged model has
        it), a second pass sees how the first labelled the same word elsewhere within `window`
        sentences (None: the whole document): articles repeat surnames ("رامسفيلد" seven times)
        that a sentence-level tagger catches only where a cue is near."""
        stage1 = [self.feats.sentence(s) for s in sents]
        if self.neural is not None:
            return self._tag_neural(sents, stage1, window)
        first = [list(self.tagger.tag(x)) if x else [] for x in stage1]  # type: ignore[attr-defined]
        if self.doc_tagger is None:
            return first
        forms = [[self.feats.form(t) for t in s] for s in sents]
        extra = doc_features(forms, first, self.res.counts, window)
        out: list[list[str]] = []
        for x, d, tags in zip(stage1, extra, first, strict=True):
            # The second CRF only re-tags sentences where the document disagrees with the first
            # (a word labelled otherwise elsewhere): as accurate as re-tagging all, twice as fast.
            if x and (every or any(_disagrees(f, t) for f, t in zip(d, tags, strict=True))):
                out.append(list(self.doc_tagger.tag([a + b for a, b in zip(x, d, strict=True)])))  # type: ignore[attr-defined]
            else:
                out.append(tags)
        return out

    def _tag_neural(
        self, sents: Sequence[Sequence[str]], stage1: list[list[list[str]]], window: int | None
    ) -> list[list[str]]:
        """Second stage by the BiLSTM over the CRF's marginals and document votes."""
        assert self.neural is not None
        tagger = self.tagger
        first: list[list[str]] = []
        sure: list[bool] = []
        for x in stage1:
            tags = list(tagger.tag(x)) if x else []  # type: ignore[attr-defined]
            first.append(tags)
            sure.append(not x or tagger.probability(tags) >= GATE)  # type: ignore[attr-defined]
        forms = [[self.feats.form(t) for t in s] for s in sents]
        extra = doc_features(forms, first, self.res.counts, window)
        # Only sentences the CRF is unsure of, or where the document disagrees with it, go to the
        # BiLSTM: the rest keep the CRF's tags (speed; see docs/benchmarks/ner.md).
        todo = [
            i for i, (ok, d, t) in enumerate(zip(sure, extra, first, strict=True))
            if not ok or any(_disagrees(f, g) for f, g in zip(d, t, strict=True))
        ]
        margs = [crf_marginals(tagger, stage1[i])[1] for i in todo]
        enc = [self.neural.encode(forms[i], stage1[i], m, extra[i]) for i, m in zip(todo, margs, strict=True)]
        out = list(first)
        for i, tags in zip(todo, neural_decode(self.neural, enc, margs, self._masks), strict=True):
            out[i] = tags
        return out

    def mentions(self, text: str, lang: str = "ar") -> list[tuple[int, int, str]]:
        """(start, end, type) character spans of the names in `text`. Lines mostly in Latin script
        (or all of `text` when `lang` is not Arabic) go to the Latin rules."""
        out: list[tuple[int, int, str]] = []
        arabic: list[list[Token]] = []
        pos = 0
        for line in text.split("\n"):
            if line.strip():
                if lang != "ar" or (arabic_ratio(line) < 0.5 and any(c.isalpha() for c in line)):
                    out.extend(latin_mentions(line, base=pos))
                else:
                    arabic.extend([Token(t.text, t.start + pos, t.end + pos) for t in s] for s in sentences(line))
            pos += len(line) + 1
        tagged = self.tag_document([[t.text for t in s] for s in arabic])
        for sent, tags in zip(arabic, tagged, strict=True):
            for a, b, typ in spans_of(tags):
                out.append((sent[a].start + self._clitic_cut(sent[a]), sent[b - 1].end, typ))
        out.sort()
        return out

    def _clitic_cut(self, tok: Token) -> int:
        """How many leading characters of a mention's first token are a clitic, not name."""
        full = match_form(tok.text)
        if len(full) < 4 or full[0] not in _CONJ_PREP or full in self.gazetteer_words:
            return 0
        rest = full
        cut = 0
        for allowed in (("و", "ف"), ("ب", "ل", "ك")):
            if len(rest) >= 4 and rest[0] in allowed and not rest.startswith("لل"):
                rest = rest[1:]
                cut += 1
                if self._is_known(rest, full):
                    return self._display_cut(tok.text, cut)
        return 0

    def _is_known(self, form: str, full: str) -> bool:
        """The remainder is far commoner in news than the whole word and is a known name (or
        common enough to be a word in its own right): "لروسيا" -> "روسيا", but "بيونغ" stays."""
        counts = self.res.counts
        rest, whole = counts.get(form, 0), counts.get(full, 0)
        return rest >= 5 * max(whole, 1) and (form in self.known or rest >= 20)

    @staticmethod
    def _display_cut(display: str, letters: int) -> int:
        """Display offset after `letters` base letters (skipping diacritics and tatweel)."""
        seen = 0
        for i, ch in enumerate(display):
            if ch.isalpha():
                if seen == letters:
                    return i
                seen += 1
        return 0


def crf_marginals(tagger: object, x: list[list[str]]) -> tuple[list[str], np.ndarray]:
    """The CRF's best tags for one sentence and its per-token label marginals (tokens x TAGS)."""
    if not x:
        return [], np.zeros((0, len(NN_TAGS)), np.float32)
    tags = list(tagger.tag(x))  # type: ignore[attr-defined]
    labels = set(tagger.labels())  # type: ignore[attr-defined]
    marg = np.zeros((len(x), len(NN_TAGS)), np.float32)
    for k, t in enumerate(NN_TAGS):
        if t in labels:
            marg[:, k] = [tagger.marginal(t, i) for i in range(len(x))]  # type: ignore[attr-defined]
    return tags, marg


def neural_decode(
    neural: NeuralTagger,
    enc: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    margs: list[np.ndarray],
    masks: tuple[np.ndarray, np.ndarray],
    batch: int = 48,
) -> list[list[str]]:
    """IOB2 tags for encoded sentences (batched by length: less padding): Viterbi over a weighted
    sum of the BiLSTM's log-probabilities and the CRF's log-marginals (NN_WEIGHT on the first)."""
    out: list[list[str]] = [[] for _ in enc]
    order = sorted((i for i in range(len(enc)) if len(enc[i][0])), key=lambda i: len(enc[i][0]))
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        for i, lp in zip(idx, neural.log_probs([enc[i] for i in idx]), strict=True):
            mix = NN_WEIGHT * lp + (1.0 - NN_WEIGHT) * np.log(margs[i] + 1e-6)
            out[i] = viterbi(mix, *masks)
    return out


def _load_neural(crf_path: Path | None) -> NeuralTagger | None:
    """The stacked BiLSTM beside `crf_path` (None: the packaged one), if there is one."""
    if crf_path is None:
        data = importlib_resources.files("rasid").joinpath("data").joinpath(neural_path(Path(_CRF_NAME)).name)
        if not data.is_file():
            return None
        with importlib_resources.as_file(data) as p:
            return NeuralTagger.load(p)
    p = neural_path(Path(crf_path))
    return NeuralTagger.load(p) if p.is_file() else None


def _disagrees(doc_feats: list[str], tag: str) -> bool:
    """Whether the document features of a token name a type other than its first-stage one."""
    own = "d=" + tag[2:]
    return any(f.startswith("d=") and f != own for f in doc_feats)


def silver_source_sentences(n_articles: int) -> list[list[str]]:
    """Token lists of the Arabic lines of the first `n_articles` SaudiNewsNet articles (all zips but
    the last three, which bench/ner_speed.py times), cut as `mentions()` cuts them: the sentences
    the e5 teacher labelled (bench/ner_e5.py). Only labels are shipped; the text is re-read."""
    from rasid.understand.ner_clusters import saudinewsnet_texts

    zips = sorted((DEFAULT_DATA / "saudinewsnet").glob("*.zip"))[:-3]
    out: list[list[str]] = []
    for text in saudinewsnet_texts(zips, limit=n_articles):
        for line in text.split("\n"):
            if line.strip() and arabic_ratio(line) >= 0.5:
                out.extend([t.text for t in s] for s in sentences(line))
    return out


def save_silver(path: Path, n_articles: int, sents: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> None:
    """Teacher labels of `silver_source_sentences(n_articles)`, one digit per token (NN_TAGS index)."""
    import json

    code = {t: str(k) for k, t in enumerate(NN_TAGS)}
    rows = ["".join(code[t] for t in tt) for tt in tags]
    assert [len(r) for r in rows] == [len(s) for s in sents]
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        json.dump({"version": 1, "articles": n_articles, "tags": rows}, fh, separators=(",", ":"))


def load_silver(path: Path) -> list[tuple[list[str], list[str]]]:
    """The silver sentences with their teacher labels; empty if the text no longer matches (the
    data or the tokeniser changed): never train on misaligned labels."""
    import json

    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    sents = silver_source_sentences(int(data["articles"]))
    rows = data["tags"]
    if [len(s) for s in sents] != [len(r) for r in rows]:
        return []
    return [(s, [NN_TAGS[int(c)] for c in r]) for s, r in zip(sents, rows, strict=True)]


def packaged_silver() -> Path | None:
    """The packaged silver-label file, if any."""
    data = importlib_resources.files("rasid").joinpath("data").joinpath(SILVER_NAME)
    return Path(str(data)) if data.is_file() else None


def _default_train() -> Path:
    return DEFAULT_DATA / "anercorp" / "ANERCorp_approxCamelSplit_train.txt.gz"


def _default_unlabelled() -> list[Path]:
    return sorted((DEFAULT_DATA / "saudinewsnet").glob("*.zip"))


def build_resources(
    unlabelled: Sequence[Path], gazetteer_dir: Path, train_sents: Sequence[tuple[list[str], list[str]]] = (),
    seed: int = 0, article_limit: int | None = None, teacher_types: dict[str, str] | None = None,
) -> Resources:
    """Gazetteers (plus the training names, used only to decide clitic cuts), clusters and counts."""
    from rasid.understand.ner_clusters import build_clusters, saudinewsnet_texts

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
    data = importlib_resources.files("rasid").joinpath("data").joinpath(resources_path(Path(_CRF_NAME)).name)
    if not data.is_file():
        return {}
    with importlib_resources.as_file(data) as p:
        return Resources.load(p).e5types


def _train_crf(xs: Sequence[list], ys: Sequence[list[str]], path: Path, params: dict) -> None:
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
) -> dict:
    """Train the sentence CRF on `train` (ANERcorp train split by default) and, if `stacked`, the
    second stage from 4-fold cross-validated CRF outputs: the BiLSTM (`neural`, needs torch and
    the word vectors of `build_resources`) or else the document CRF. `teacher_types` (word ->
    type+bucket, from bench/ner_e5.py) replaces the packaged teacher dictionary. `silver` (True:
    the packaged `ner.silver.json.gz`; a path; False/None: none) adds SaudiNewsNet sentences
    labelled by the e5 teacher to the sentence CRF's training data (not to the folds). Writes the
    files beside `out_path`. Returns stats: sentences, tokens, features, seconds per stage, file sizes."""
    import tempfile

    import pycrfsuite

    t0 = time.perf_counter()
    train = train or _default_train()
    sents = read_conll(train)
    if resources is None:
        unl = list(unlabelled) if unlabelled is not None else _default_unlabelled()
        resources = build_resources(
            unl, DEFAULT_DATA / "anercorp" / "ANERGazet", sents, seed, article_limit, teacher_types=teacher_types
        )
    t1 = time.perf_counter()
    crf_params = {**CRF_PARAMS, "feature.minfreq": MIN_FREQ, **(params or {})}
    feats = Featurizer(resources, use=features)
    xs = [feats.sentence(toks) for toks, _ in sents]
    ys = [tags for _, tags in sents]
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    silver_file = packaged_silver() if silver is True else (Path(silver) if silver else None)
    silver_sents = load_silver(silver_file) if silver_file is not None else []
    _train_crf(
        xs + [feats.sentence(t) for t, _ in silver_sents], ys + [g for _, g in silver_sents], out_path, crf_params
    )
    t2 = time.perf_counter()
    stats: dict = {"silver_sentences": len(silver_sents)}
    # Without torch (the `train` extra) the second stage falls back to the document CRF.
    use_nn = stacked and neural and resources.vectors is not None and importlib.util.find_spec("torch") is not None
    for stale in (doc_path(out_path), neural_path(out_path)):
        if stale.exists():
            stale.unlink()
    if stacked:
        n = len(sents)
        first: list[list[str]] = [[] for _ in range(n)]
        margs: list[np.ndarray] = [np.zeros((0, len(NN_TAGS)), np.float32) for _ in range(n)]
        with tempfile.TemporaryDirectory() as tmp:
            fold_path = Path(tmp) / "fold.crfsuite"
            for f in range(FOLDS):
                lo, hi = f * n // FOLDS, (f + 1) * n // FOLDS
                _train_crf(xs[:lo] + xs[hi:], ys[:lo] + ys[hi:], fold_path, crf_params)
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
            from rasid.understand.ner_neural import train_neural

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
            _train_crf(xs2, ys, doc_path(out_path), crf_params)
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
