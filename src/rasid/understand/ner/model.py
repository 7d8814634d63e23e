"""The NER model the product runs: two CRFs (a sentence CRF, then a document CRF) over the
features of `features`, read from the files shipped in `rasid/data/` and decoded by `crf.ChainTagger`;
Latin-script lines go to the rules of `latin`. How the files are trained (`rasid train ner`) lives
in `rasid_training.ner`, which the product never imports.

Mentions come back as character spans of the display text. ANERcorp tags clitics with the name
("وبريطانيا" is B-LOC), so the tagger does too; `mentions` then drops a leading و/ف and/or ب/ل/ك
when the remainder is far more frequent in news than the whole word and is a known name (or a
frequent word), so "لروسيا" yields "روسيا" while "فرنسا" and "بوتين" stay whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources as importlib_resources
from itertools import accumulate
from pathlib import Path

from rasid.text.normalize import match_form
from rasid.understand.ner.crf import ChainTagger, CrfWeights
from rasid.understand.ner.features import Featurizer, Resources
from rasid.understand.ner.latin import latin_mentions
from rasid.understand.ner.stack import disagrees, doc_core, doc_features, doc_votes, label_features, spans_of
from rasid.understand.ner_tokenize import sentence_spans

__all__ = ["NerModel", "TYPES", "default_model_path", "doc_path", "neural_path", "resources_path"]

TYPES = ("PER", "LOC", "ORG", "MISC")
_CRF_NAME = "ner.crfsuite"
_CONJ_PREP = ("و", "ف", "ب", "ل", "ك")


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


class NerModel:
    """A trained tagger with its feature resources. Holds caches, so share one per process."""

    __slots__ = (
        "tagger",
        "doc_tagger",
        "res",
        "feats",
        "known",
        "gazetteer_words",
        "_buffers",
        "crf",
        "_cores",
    )

    def __init__(
        self,
        tagger: object,
        res: Resources,
        doc_tagger: object | None = None,
        weights: CrfWeights | None = None,
        doc_weights: CrfWeights | None = None,
    ) -> None:
        self.tagger = tagger
        self.doc_tagger = doc_tagger
        # The same two CRFs read into arrays (`weights`, `doc_weights`: the models' bytes parsed
        # by `CrfWeights.parse`) tag without crfsuite's per-string cost; pycrfsuite's taggers stay
        # for models built without weights and as the reference the tests compare with.
        self.crf: ChainTagger | None = None
        if weights is not None:
            self.crf = ChainTagger(
                [weights] if doc_weights is None or doc_tagger is None else [weights, doc_weights]
            )
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
        if path is not None and neural_path(Path(path)).is_file():
            raise ValueError(
                f"{path}: its second stage is a BiLSTM ({neural_path(Path(path)).name}), research code the product "
                "does not run: load it with rasid_training.ner_neural.NeuralNerModel"
            )
        return cls.load_crfs(path)

    @classmethod
    def load_crfs(cls, path: str | Path | None) -> NerModel:
        """The CRFs and resources at `path` (None: the packaged ones), whatever else lies beside them."""
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
        model = cls(tagger, res, doc_tagger, *weights)
        model._buffers = buffers
        return model

    def tag(self, tokens: list[str]) -> list[str]:
        """IOB2 tags (PER, LOC, ORG, MISC) for one sentence of tokens. One sentence goes through
        pycrfsuite (its C decoder beats numpy's per-call cost when there is no batch to share it);
        articles go through `ChainTagger` (`tag_document`, `mentions`): the same tags either way."""
        if not tokens:
            return []
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
                    if sents[i] and (every or any(disagrees(f, tags[k]) for k, f in found.items())):
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

    def _tag_crfsuite(
        self, sents: Sequence[Sequence[str]], window: int | None, every: bool
    ) -> list[list[str]]:
        """`tag_document` through pycrfsuite's string interface (models built without weights)."""
        stage1 = [self.feats.sentence(s) for s in sents]
        first = [list(self.tagger.tag(x)) if x else [] for x in stage1]  # type: ignore[attr-defined]
        if self.doc_tagger is None:
            return first
        forms = [[self.feats.form(t) for t in s] for s in sents]
        extra = doc_features(forms, first, self.res.counts, window)
        out: list[list[str]] = []
        for x, d, tags in zip(stage1, extra, first, strict=True):
            if x and (every or any(disagrees(f, t) for f, t in zip(d, tags, strict=True))):
                out.append(list(self.doc_tagger.tag([a + b for a, b in zip(x, d, strict=True)])))  # type: ignore[attr-defined]
            else:
                out.append(tags)
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
        chr(c)
        for lo, hi in ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFEFC))
        for c in range(lo, hi + 1)
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
