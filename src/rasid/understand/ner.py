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
import re
import struct
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources as importlib_resources
from itertools import accumulate, chain, repeat
from pathlib import Path

import numpy as np

from rasid.text.normalize import arabic_ratio, match_form
from rasid.understand.ner_features import (
    OFFSET_PREFIXES,
    OFFSETS,
    Featurizer,
    Resources,
    read_gazetteers,
    strip_clitics,
    strip_proclitic,
)
from rasid.understand.ner_latin import latin_mentions
from rasid.understand.ner_neural import TAGS as NN_TAGS
from rasid.understand.ner_neural import NeuralTagger, viterbi
from rasid.understand.ner_neural import _allowed as _iob_masks
from rasid.understand.ner_stack import doc_core, doc_features, doc_votes, label_features, spans_of
from rasid.understand.ner_tokenize import sentence_spans, sentences

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

    __slots__ = (
        "tagger", "doc_tagger", "neural", "res", "feats", "known", "gazetteer_words", "_buffers", "_masks", "crf",
        "_cores",
    )

    def __init__(
        self,
        tagger: object,
        res: Resources,
        doc_tagger: object | None = None,
        neural: NeuralTagger | None = None,
        weights: CrfWeights | None = None,
        doc_weights: CrfWeights | None = None,
    ) -> None:
        self.tagger = tagger
        self.doc_tagger = doc_tagger
        # The same two CRFs read into arrays (`weights`, `doc_weights`: the models' bytes parsed
        # by `CrfWeights.parse`) tag without crfsuite's per-string cost; pycrfsuite's taggers stay
        # for marginals (BiLSTM route) and as the reference the tests compare with.
        self.crf: ChainTagger | None = None
        if weights is not None:
            self.crf = ChainTagger([weights] if doc_weights is None or doc_tagger is None else [weights, doc_weights])
        # The stacked BiLSTM (second stage); when present it replaces the document CRF.
        self.neural = neural
        self._masks = _iob_masks()
        # CRFsuite reads an in-memory model in place: its bytes must live as long as the tagger.
        self._buffers: list[bytes] = []
        self.res = res
        self.feats = Featurizer(res)
        self._cores: dict[str, str] = {}  # matching form -> its document-vote word (`doc_core`)
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
            buffers = [path.read_bytes()]
            tagger.open_inmemory(buffers[0])
            if doc_path(path).is_file():
                buffers.append(doc_path(path).read_bytes())
                doc_tagger.open_inmemory(buffers[1])
            else:
                doc_tagger = None
            res = Resources.load(resources_path(path))
        weights = [CrfWeights.parse(b) for b in buffers]
        model = cls(tagger, res, doc_tagger, _load_neural(path), *weights)
        model._buffers = buffers
        return model

    def tag(self, tokens: list[str]) -> list[str]:
        """IOB2 tags (PER, LOC, ORG, MISC) for one sentence of tokens. One sentence goes through
        pycrfsuite (its C decoder beats numpy's per-call cost when there is no batch to share it);
        articles go through `ChainTagger` (`tag_document`, `mentions`): the same tags either way."""
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
        return self.tag_documents([sents], window, every)[0]

    def tag_documents(
        self, docs: Sequence[Sequence[Sequence[str]]], window: int | None = None, every: bool = False
    ) -> list[list[list[str]]]:
        """`tag_document` of several documents at once: their sentences go through each CRF in one
        batch (the decoder's per-call work is shared; each sentence's tags are the same as alone),
        while the document votes stay within each document."""
        if self.neural is not None:
            return [self._tag_neural(d, [self.feats.sentence(s) for s in d], window) for d in docs]
        if self.crf is None:
            return [self._tag_crfsuite(d, window, every) for d in docs]
        sents = [s for d in docs for s in d]
        bounds = list(accumulate((len(d) for d in docs), initial=0))
        batch = self.crf.score(self.feats, sents)
        first = self.crf.decode(batch)
        out = list(first)
        if len(self.crf.models) >= 2:
            cores = self._doc_cores(self.crf.forms(batch))
            # The second CRF only re-tags sentences where the document disagrees with the first
            # (a word labelled otherwise elsewhere): as accurate as re-tagging all, twice as fast.
            todo: list[int] = []
            extra: list[list[list[str]]] = []
            for a, b in zip(bounds, bounds[1:], strict=False):
                votes = doc_votes(first[a:b], cores[a:b], window)
                for i, found in zip(range(a, b), votes, strict=True):
                    tags = first[i]
                    if sents[i] and (every or any(_disagrees(f, tags[k]) for k, f in found.items())):
                        todo.append(i)
                        extra.append(label_features(tags, found))
            if todo:
                for i, tags in zip(todo, self.crf.decode(batch, 1, todo, extra), strict=True):
                    out[i] = tags
        return [out[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]

    def _doc_cores(self, forms: list[list[str]]) -> list[list[str]]:
        """`doc_core` of each form, from a cache on the model (news repeats its words)."""
        cache, counts = self._cores, self.res.counts
        if len(cache) > 200_000:
            cache.clear()
        out: list[list[str]] = []
        for sent in forms:
            try:
                out.append([cache[f] for f in sent])
            except KeyError:
                for f in sent:
                    if f not in cache:
                        cache[f] = doc_core(f, counts)
                out.append([cache[f] for f in sent])
        return out

    def _tag_crfsuite(self, sents: Sequence[Sequence[str]], window: int | None, every: bool) -> list[list[str]]:
        """`tag_document` through pycrfsuite's string interface (models built without weights)."""
        stage1 = [self.feats.sentence(s) for s in sents]
        first = [list(self.tagger.tag(x)) if x else [] for x in stage1]  # type: ignore[attr-defined]
        if self.doc_tagger is None:
            return first
        forms = [[self.feats.form(t) for t in s] for s in sents]
        extra = doc_features(forms, first, self.res.counts, window)
        out: list[list[str]] = []
        for x, d, tags in zip(stage1, extra, first, strict=True):
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
        return self.mentions_many([text], lang)[0]

    def mentions_many(self, texts: Sequence[str], lang: str = "ar") -> list[list[tuple[int, int, str]]]:
        """`mentions` of several texts (each one document), tagged in one batch."""
        outs: list[list[tuple[int, int, str]]] = []
        docs: list[list[list[tuple[str, int, int]]]] = []
        for text in texts:
            out: list[tuple[int, int, str]] = []
            arabic: list[list[tuple[str, int, int]]] = []
            pos = 0
            for line in text.split("\n"):
                if line.strip():
                    if lang != "ar" or _mostly_latin(line):
                        out.extend(latin_mentions(line, base=pos))
                    else:
                        arabic.extend(sentence_spans(line, base=pos))
                pos += len(line) + 1
            outs.append(out)
            docs.append(arabic)
        tagged = self.tag_documents([[[t[0] for t in s] for s in arabic] for arabic in docs])
        for out, arabic, doc_tags in zip(outs, docs, tagged, strict=True):
            for sent, tags in zip(arabic, doc_tags, strict=True):
                for a, b, typ in spans_of(tags):
                    out.append((sent[a][1] + self._clitic_cut(sent[a][0]), sent[b - 1][2], typ))
            out.sort()
        return outs

    def _clitic_cut(self, display: str) -> int:
        """How many leading characters of a mention's first token are a clitic, not name."""
        full = match_form(display)
        if len(full) < 4 or full[0] not in _CONJ_PREP or full in self.gazetteer_words:
            return 0
        rest = full
        cut = 0
        for allowed in (("و", "ف"), ("ب", "ل", "ك")):
            if len(rest) >= 4 and rest[0] in allowed and not rest.startswith("لل"):
                rest = rest[1:]
                cut += 1
                if self._is_known(rest, full):
                    return self._display_cut(display, cut)
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


# Letters `arabic_ratio` counts as Arabic: its Arabic blocks, only what str.isalpha() calls a letter.
_AR_LETTERS = re.compile(
    "["
    + "".join(
        chr(c) for lo, hi in ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFEFC)) for c in range(lo, hi + 1)
        if chr(c).isalpha()
    )
    + "]+"
)


def _mostly_latin(line: str) -> bool:
    """`arabic_ratio(line) < 0.5 and any(c.isalpha() for c in line)` without a Python loop over
    the characters of ordinary Arabic lines: the ratio is below 0.5 only if the non-Arabic letters
    outnumber the Arabic ones, which cannot happen when Arabic letters are half the line or more."""
    arabic = sum(map(len, _AR_LETTERS.findall(line)))
    if 2 * arabic >= len(line):
        return False
    letters = sum(1 for c in line if c.isalpha())
    return letters > 0 and 2 * arabic < letters


# --- Decoding the CRFs without crfsuite's string interface -------------------------------------
# pycrfsuite takes every feature of every token as a string, encodes it and looks it up in the
# model's attribute database: ~30 strings a token, more than half of the NER time. The features
# of a word are mostly context-free and news repeats its words, so `ChainTagger` maps each word
# once to attribute ids and to the sum of its own features' weights, then scores and decodes whole
# articles with numpy. It adds the weights in crfsuite's order (the model's float64 weights, one
# attribute after another, zero rows where crfsuite skips an unknown attribute) and decodes with
# crfsuite's Viterbi (first maximum wins), so its tags are crfsuite's, bit for bit.


def _cqdb_strings(data: bytes, offset: int, count: int) -> list[str]:
    """The strings of a CRFsuite constant quark database (CQDB) chunk, by id."""
    if data[offset : offset + 4] != b"CQDB":
        raise ValueError("not a CRFsuite model: no CQDB chunk")
    out: list[str] = [""] * count
    pos = offset + 24 + 256 * 8  # header, then 256 hash-table references, then the records
    for _ in range(count):
        ident, size = struct.unpack_from("<iI", data, pos)
        out[ident] = data[pos + 8 : pos + 8 + size - 1].decode("utf-8")
        pos += 8 + size
    return out


@dataclass(slots=True)
class CrfWeights:
    """A CRFsuite (crf1d) model file as arrays: the label names and attribute ids in the model's
    order, one row of label weights per attribute (plus a last row of zeros, for attributes the
    model does not know), and the label-to-label transition weights."""

    labels: tuple[str, ...]
    attrs: dict[str, int]
    state: np.ndarray  # (attributes + 1, labels) float64
    trans: np.ndarray  # (labels, labels): trans[i, j] scores label i followed by label j

    @property
    def zero(self) -> int:
        """The id of the all-zero row: what an unknown attribute adds."""
        return len(self.state) - 1

    @classmethod
    def parse(cls, data: bytes) -> CrfWeights:
        """Read the bytes of a `.crfsuite` file (the layout of crfsuite's crf1d_model.c)."""
        if data[:4] != b"lCRF" or data[8:12] != b"FOMC":
            raise ValueError("not a CRFsuite crf1d model")
        n_lab, n_attr, off_feat, off_lab, off_attr = struct.unpack_from("<5I", data, 20)
        labels = tuple(_cqdb_strings(data, off_lab, n_lab))
        names = _cqdb_strings(data, off_attr, n_attr)
        if data[off_feat : off_feat + 4] != b"FEAT":
            raise ValueError("not a CRFsuite model: no feature chunk")
        (n_feat,) = struct.unpack_from("<I", data, off_feat + 8)  # the header's count is left at 0
        dt = np.dtype([("type", "<u4"), ("src", "<u4"), ("dst", "<u4"), ("w", "<f8")])
        feats = np.frombuffer(data, dt, count=n_feat, offset=off_feat + 12)
        st = feats[feats["type"] == 0]
        tr = feats[feats["type"] == 1]
        state = np.zeros((n_attr + 1, n_lab), np.float64)
        trans = np.zeros((n_lab, n_lab), np.float64)
        # crfsuite adds one weight per (attribute, label) feature; a duplicate would be added twice.
        if len(np.unique(st["src"].astype(np.int64) * n_lab + st["dst"])) != len(st):
            raise ValueError("duplicate state features")
        state[st["src"], st["dst"]] = st["w"]
        trans[tr["src"], tr["dst"]] = tr["w"]
        return cls(labels, {a: i for i, a in enumerate(names)}, state, trans)


@dataclass(slots=True)
class TokenBatch:
    """The tokens of some sentences as a `ChainTagger` scores them: each token's word row and the
    attribute ids of its context features in crfsuite's order (zero-row ids where none)."""

    rows: np.ndarray  # (tokens,) word rows
    ids: np.ndarray  # (columns, tokens) attribute ids after the word's own features
    lens: list[int]  # tokens per sentence
    starts: list[int]  # first token of each sentence


class ChainTagger:
    """Tags sentences with CRFs over the features of a `Featurizer`: what pycrfsuite's
    `Tagger.tag(featurizer.sentence(tokens) [+ extra])` returns for each model, from per-word
    caches (bounded: cleared past MAX_WORDS word types). The document CRF sees the same features
    as the sentence CRF plus its own, so both models share one attribute space and one pass over
    the words: their label weights sit side by side in one matrix. Keep one per model pair."""

    __slots__ = (
        "models", "attrs", "weights", "zero", "_trans_t", "_feats", "_rows", "_forms", "_multi", "_own",
        "_shared", "_nshared", "_bg_minus", "_bg_plus", "_marks", "_pads", "_pair_sides", "_pair_ok",
        "_slot_ids", "_layouts",
    )

    MAX_WORDS = 100_000

    def __init__(self, models: Sequence[CrfWeights]) -> None:
        self.models = tuple(models)
        names: dict[str, int] = {}
        for m in self.models:
            for a in m.attrs:
                names.setdefault(a, len(names))
        self.attrs = names
        self.zero = zero = len(names)  # the row of zeros: what an attribute unknown to a model adds
        # Per model, its label weights re-indexed by the shared attribute ids.
        self.weights: list[np.ndarray] = []
        for m in self.models:
            w = np.zeros((len(names) + 1, len(m.labels)), np.float64)
            ids = np.fromiter((names[a] for a in m.attrs), np.intp, len(m.attrs))
            w[ids] = m.state[np.fromiter(m.attrs.values(), np.intp, len(m.attrs))]
            self.weights.append(w)
        self._trans_t = [np.ascontiguousarray(m.trans.T) for m in self.models]  # [j, i]: i then j
        # Word-pair features by "a|b" (the attribute without its "bg-=" / "bg+=" prefix).
        self._bg_minus = {a[4:]: i for a, i in names.items() if a.startswith("bg-=")}
        self._bg_plus = {a[4:]: i for a, i in names.items() if a.startswith("bg+=")}
        # Forms that can stand left / right in some known pair (every split at a "|", as a form
        # may hold one): pairs of other words need no lookup.
        self._pair_sides: tuple[set[str], set[str]] = (set(), set())
        for key in (*self._bg_minus, *self._bg_plus):
            for k, ch in enumerate(key):
                if ch == "|":
                    self._pair_sides[0].add(key[:k])
                    self._pair_sides[1].add(key[k + 1 :])
        self._marks: dict[str, tuple[int, int, int]] = {}
        # What a neighbour slot holds past the sentence's edge: the "-2:pad"... attribute alone.
        self._pads = [names.get(f"{d}:pad", zero) for d in OFFSETS]
        self._layouts: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}  # (model, sentences)
        self._feats: Featurizer | None = None
        self._reset(None)

    def _reset(self, feats: Featurizer | None) -> None:
        self._feats = feats
        self._rows: dict[str, int] = {}  # token -> row of the tables below
        self._forms: list[str] = []  # matching form
        self._multi = np.zeros(1024, bool)  # may start a multi-token gazetteer entry
        self._pair_ok = np.zeros((1024, 2), bool)  # may stand left / right in a known word pair
        self._slot_ids: dict[str, tuple[int, ...]] = {}  # shared feature -> its ids at each offset
        # Per model, the weights of the word's own features, summed in order.
        self._own = [np.zeros((1024, len(m.labels)), np.float64) for m in self.models]
        self._shared = np.full((1024, len(OFFSETS), 4), self.zero, np.int32)  # ids a neighbour sees, per slot
        self._nshared = np.zeros(1024, np.intp)  # longest of those id lists

    def _add(self, toks: list[str]) -> None:
        """Rows for new words: attribute ids of what neighbours see, and the sum of the word's own
        features' weights, left to right as crfsuite adds them (np.add.accumulate is sequential;
        an attribute a model does not know adds its zero row, which changes no sum)."""
        assert self._feats is not None
        feats, get, zero = self._feats, self.attrs.get, self.zero
        words = [feats.word_parts(t) for t in toks]
        row0, m = len(self._forms), len(toks)
        while row0 + m > len(self._nshared):
            self._own = [np.concatenate([o, np.zeros_like(o)]) for o in self._own]
            self._shared = np.concatenate([self._shared, np.full_like(self._shared, zero)])
            self._nshared = np.concatenate([self._nshared, np.zeros_like(self._nshared)])
            self._pair_ok = np.concatenate([self._pair_ok, np.zeros_like(self._pair_ok)])
            self._multi = np.concatenate([self._multi, np.zeros_like(self._multi)])
        left, right = self._pair_sides
        self._pair_ok[row0 : row0 + m, 0] = np.fromiter((w[0] in left for w in words), bool, m)
        self._pair_ok[row0 : row0 + m, 1] = np.fromiter((w[0] in right for w in words), bool, m)
        own = _padded(get, zero, [w[1] for w in words])  # (words, longest)
        for table, w in zip(self._own, self.weights, strict=True):
            table[row0 : row0 + m] = np.add.accumulate(w.take(own, axis=0), axis=1)[:, -1]
        # What each neighbour slot sees, known attributes first (the order among them kept).
        slot_ids, get_slots = self._slot_ids, self._slot_ids.get
        found = []
        for wp in words:
            for x in wp[2]:
                hit = get_slots(x)
                if hit is None:
                    hit = tuple([get(p + x, zero) for p in OFFSET_PREFIXES])
                    if not x.startswith("w="):  # the word itself: no other word shares it
                        slot_ids[x] = hit
                found.append(hit)
        lens = np.fromiter((len(w[2]) for w in words), np.intp, m)
        longest = int(lens.max())
        shared: np.ndarray = np.full((m, longest, len(OFFSETS)), zero, np.intp)
        shared[np.arange(longest) < lens[:, None]] = found
        shared = shared.transpose(0, 2, 1).reshape(m * len(OFFSETS), longest)
        shared = np.take_along_axis(shared, np.argsort(shared == zero, axis=1, kind="stable"), axis=1)
        counts = (shared != zero).sum(axis=1).reshape(m, len(OFFSETS)).max(axis=1)
        width = int(counts.max())
        if width > self._shared.shape[2]:
            pad = np.full((len(self._shared), len(OFFSETS), width - self._shared.shape[2]), zero, np.int32)
            self._shared = np.concatenate([self._shared, pad], axis=2)
        self._shared[row0 : row0 + m, :, :width] = shared[:, :width].reshape(m, len(OFFSETS), width)
        self._nshared[row0 : row0 + m] = counts
        self._rows.update(zip(toks, range(row0, row0 + m), strict=True))
        self._forms.extend(w[0] for w in words)
        if "gaz" in feats.use:  # as `Featurizer.multi_starts`, without building the entries
            multi = feats.res.multi
            self._multi[row0 : row0 + m] = np.fromiter(
                (f in multi or strip_proclitic(f) in multi or strip_clitics(f) in multi for f in (w[0] for w in words)),
                bool,
                m,
            )

    def _mark_ids(self, mark: str) -> tuple[int, int, int]:
        """Attribute ids of a gazetteer mark on the token itself, as "-1:" and as "1:"."""
        hit = self._marks.get(mark)
        if hit is None:
            get, zero = self.attrs.get, self.zero
            hit = (get(mark, zero), get("-1:" + mark, zero), get("1:" + mark, zero))
            self._marks[mark] = hit
        return hit

    def tag(self, feats: Featurizer, sents: Sequence[Sequence[str]]) -> list[list[str]]:
        """The first model's best label sequence for each sentence."""
        return self.decode(self.score(feats, sents))

    def forms(self, batch: TokenBatch) -> list[list[str]]:
        """The matching forms of the batch's tokens, per sentence."""
        forms = self._forms
        flat = [forms[r] for r in batch.rows.tolist()]
        return [flat[s : s + n] for s, n in zip(batch.starts, batch.lens, strict=True)]

    def score(self, feats: Featurizer, sents: Sequence[Sequence[str]]) -> TokenBatch:
        """Word rows and context attribute ids per token, in `Featurizer.sentence`'s order after
        the word's own features: its gazetteer mark, per neighbour slot (-2, -1, +1, +2) what
        that neighbour shows (or the pad) and the mark of a +-1 neighbour, then the word pairs."""
        if feats is not self._feats or len(self._rows) > self.MAX_WORDS:
            self._reset(feats)
        lens = [len(s) for s in sents]
        n = sum(lens)
        starts = np.cumsum([0, *lens[:-1]]).tolist() if lens else []
        if n == 0:
            return TokenBatch(np.zeros(0, np.intp), np.zeros((0, 0), np.intp), lens, starts)
        flat = [t for s in sents for t in s]
        get = self._rows.get
        rows = [get(t, -1) for t in flat]
        if -1 in rows:
            self._add(list(dict.fromkeys(t for t, r in zip(flat, rows, strict=True) if r < 0)))
            rows = [r if r >= 0 else get(t, -1) for t, r in zip(flat, rows, strict=True)]
        zero = self.zero
        lens_a = np.asarray(lens, np.intp)
        starts_a = np.asarray(starts, np.intp)
        ends_a = starts_a + lens_a
        forms = self._forms
        fs = [forms[r] for r in rows]
        r = np.asarray(rows, np.intp)
        bg_minus = np.full(n, zero, np.intp)
        bg_plus = np.full(n, zero, np.intp)
        if "ctx" in feats.use and n > 1:
            # Pair i: token i, then token i + 1 (looked up only where both words may pair).
            pairs = np.flatnonzero(self._pair_ok[r[:-1], 0] & self._pair_ok[r[1:], 1]).tolist()
            keys = [fs[i] + "|" + fs[i + 1] for i in pairs]
            get_m, get_p = self._bg_minus.get, self._bg_plus.get
            bg_minus[[i + 1 for i in pairs]] = [get_m(k, zero) for k in keys]
            bg_plus[pairs] = [get_p(k, zero) for k in keys]
            some = lens_a > 0
            bg_minus[starts_a[some]] = zero  # no pair across a sentence boundary
            bg_plus[ends_a[some] - 1] = zero
        gm = np.full((3, n), zero, np.intp)  # own mark, mark seen as "-1:", mark seen as "1:"
        flagged = np.flatnonzero(self._multi[r])
        for i in np.unique(np.searchsorted(ends_a, flagged, side="right")).tolist():
            s, e = starts[i], int(ends_a[i])
            for k, marks in enumerate(feats.gazetteer_marks(fs[s:e])):
                for mark in marks:  # at most one per token
                    own_id, as_prev, as_next = self._mark_ids(mark)
                    gm[0, s + k] = own_id
                    if s + k + 1 < e:
                        gm[1, s + k + 1] = as_prev
                    if k > 0:
                        gm[2, s + k - 1] = as_next
        # At least one column: the pad of a neighbour slot outside the sentence goes in column 0
        # even when no token of the batch shows its neighbours anything (a lone unknown word).
        width = max(1, int(self._nshared[r].max()))
        pos = np.arange(n) - np.repeat(starts_a, lens_a)
        sent_len = np.repeat(lens_a, lens_a)
        cols: list[np.ndarray] = [gm[:1]]
        around = np.concatenate([r[:1], r[:1], r, r[-1:], r[-1:]])  # rows of the tokens at i + d
        for slot, d in enumerate(OFFSETS):
            block = self._shared[around[2 + d : 2 + d + n], slot, :width]
            outside = (pos + d < 0) | (pos + d >= sent_len)
            if outside.any():
                block[outside] = zero
                block[outside, 0] = self._pads[slot]
            cols.append(block.T)
            if d in (-1, 1):
                cols.append(gm[1:2] if d == -1 else gm[2:3])
        cols += [bg_minus[None], bg_plus[None]]
        return TokenBatch(r, np.concatenate(cols, axis=0), lens, starts)

    def decode(
        self,
        batch: TokenBatch,
        model: int = 0,
        which: Sequence[int] | None = None,
        extra: Sequence[Sequence[Sequence[str]]] | None = None,
    ) -> list[list[str]]:
        """Best label sequences under `model` of the sentences `which` (default: all) of `batch`;
        `extra` (one list per sentence of `which`) are more features per token, added after the
        featurizer's (the document CRF's)."""
        full = which is None
        which = range(len(batch.lens)) if which is None else which
        lens = [batch.lens[i] for i in which]
        if not sum(lens):
            return [[] for _ in lens]
        if full:
            rows, ids = batch.rows, batch.ids
        else:
            idx = np.concatenate([np.arange(batch.starts[i], batch.starts[i] + batch.lens[i]) for i in which])
            rows, ids = batch.rows[idx], batch.ids[:, idx]
        if extra is not None:
            get, zero = self.attrs.get, self.zero
            ext = [[get(f, zero) for f in tok] for s in extra for tok in s]
            width = max(map(len, ext))
            if width:
                more = np.array([e + [zero] * (width - len(e)) for e in ext], np.intp).T
                ids = np.concatenate([ids, more], axis=0)
        # Left to right, as crfsuite adds them: one column of attributes after another.
        gathered = self.weights[model].take(ids, axis=0)  # (columns, tokens, labels)
        state = self._own[model][rows]
        for column in gathered:
            state += column
        layout = self._layouts.get((model, len(lens)))
        if layout is None:
            if len(self._layouts) > 512:
                self._layouts.clear()
            layout = self._layouts[model, len(lens)] = _viterbi_layout(self._trans_t[model], len(lens))
        best = _viterbi(state, lens, self._trans_t[model], layout)
        labels = self.models[model].labels
        out: list[list[str]] = []
        start = 0
        for length in lens:
            out.append([labels[k] for k in best[start : start + length]])
            start += length
        return out


def _padded(get: Callable[[str, int], int], zero: int, lists: Sequence[Sequence[str]]) -> np.ndarray:
    """Attribute ids of string lists as one array, one row per list, `zero` where unknown or past
    the end of a shorter list."""
    lens = np.fromiter(map(len, lists), np.intp, len(lists))
    width = max(int(lens.max()), 1) if len(lists) else 1
    flat = list(map(get, chain.from_iterable(lists), repeat(zero)))
    out = np.full((len(lists), width), zero, np.intp)
    out[np.arange(width) < lens[:, None]] = flat
    return out


def _viterbi_layout(trans_t: np.ndarray, n_sent: int) -> tuple[np.ndarray, np.ndarray]:
    """For `_viterbi` over `n_sent` sentences: where each candidate's previous score sits, and
    the transition weight added to it."""
    n_lab = len(trans_t)
    spread = np.arange(n_lab)[:, None] + (np.repeat(np.arange(n_sent), n_lab) * n_lab)[None, :]
    return spread, np.tile(trans_t.T, (1, n_sent))


def _viterbi(
    state: np.ndarray,
    lens: Sequence[int],
    trans_t: np.ndarray,
    layout: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[int]:
    """crfsuite's Viterbi (crf1dc_viterbi) over many sentences at once: `state` holds their tokens
    one after another, `trans_t[j, i]` the weight of label i followed by j. Sentences are aligned
    on their last token, so each step is a few numpy operations over all of them. The forward
    pass keeps only the best scores; the way back recomputes, along the chosen path only, the
    predecessor crfsuite would have stored (the first best), from the same sums."""
    n_sent, n_lab = len(lens), state.shape[1]
    steps = max(lens)
    lens_a = np.asarray(lens, np.intp)
    first_step = steps - lens_a
    sent = np.repeat(np.arange(n_sent), lens_a)
    step = np.repeat(first_step - (np.cumsum(lens_a) - lens_a), lens_a) + np.arange(len(state))
    grid = np.zeros((steps, n_sent * n_lab), np.float64)
    grid.reshape(steps, n_sent, n_lab)[step, sent] = state
    starting: dict[int, list[int]] = {}
    for s, f in enumerate(first_step.tolist()):
        starting.setdefault(f, []).append(s)
    # cand[i, (s, j)]: sentence s with label i at t - 1, then j at t (max over the first axis is
    # a plain element-wise maximum of rows: cheap).
    spread, trans_cols = layout if layout is not None else _viterbi_layout(trans_t, n_sent)
    cand = np.empty((n_lab, n_sent * n_lab), np.float64)
    best = np.empty((steps, n_sent * n_lab), np.float64)
    best[0] = grid[0]
    best_at, grid_at = list(best), list(grid)  # row views, made once
    maximum, add = np.maximum.reduce, np.add
    for t in range(1, steps):
        now = best_at[t]
        best_at[t - 1].take(spread, out=cand)
        add(cand, trans_cols, out=cand)
        maximum(cand, axis=0, out=now)
        add(now, grid_at[t], out=now)
        new = starting.get(t)
        if new is not None:
            now.reshape(n_sent, n_lab)[new] = grid_at[t].reshape(n_sent, n_lab)[new]
    best3 = list(best.reshape(steps, n_sent, n_lab))
    lab = best3[-1].argmax(axis=1)
    labs = [lab]
    for t in range(steps - 1, 0, -1):
        lab = (best3[t - 1] + trans_t[lab]).argmax(axis=1)
        labs.append(lab)
    path = np.array(labs[::-1])
    return path[step, sent].tolist()


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


def silver_source_sentences(n_articles: int, data_dir: Path | None = None) -> list[list[str]]:
    """Token lists of the Arabic lines of the first `n_articles` SaudiNewsNet articles (all zips but
    the last three, which bench/ner_speed.py times), cut as `mentions()` cuts them: the sentences
    the e5 teacher labelled (bench/ner_e5.py). Only labels are shipped; the text is re-read."""
    from rasid.understand.ner_clusters import saudinewsnet_texts

    zips = sorted(((data_dir or DEFAULT_DATA) / "saudinewsnet").glob("*.zip"))[:-3]
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


def load_silver(path: Path, data_dir: Path | None = None) -> list[tuple[list[str], list[str]]]:
    """The silver sentences with their teacher labels; empty if the text no longer matches (the
    data or the tokeniser changed): never train on misaligned labels."""
    import json

    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    sents = silver_source_sentences(int(data["articles"]), data_dir)
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
    is the folder with anercorp/ and saudinewsnet/ (default: ../shared/data beside the checkout).
    Writes the files beside `out_path`. Returns stats: sentences, tokens, features, seconds per stage, file sizes."""
    import tempfile

    import pycrfsuite

    t0 = time.perf_counter()
    data = data_dir or DEFAULT_DATA
    train = train or data / "anercorp" / "ANERCorp_approxCamelSplit_train.txt.gz"
    sents = read_conll(train)
    if resources is None:
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
    silver_sents = load_silver(silver_file, data) if silver_file is not None else []
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
            extra_x = [feats.sentence(t) for t, _ in silver_sents[:fold_silver]]
            extra_y = [g for _, g in silver_sents[:fold_silver]]
            for f in range(FOLDS):
                lo, hi = f * n // FOLDS, (f + 1) * n // FOLDS
                _train_crf(xs[:lo] + xs[hi:] + extra_x, ys[:lo] + ys[hi:] + extra_y, fold_path, crf_params)
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
