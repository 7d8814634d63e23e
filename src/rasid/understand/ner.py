"""Arabic named-entity recognition: a CRF trained here on ANERcorp, shipped in the package.

No installable package ships an Arabic NER model and nothing may be downloaded at run time, so
rasid trains its own linear-chain CRF (python-crfsuite) on the ANERcorp training split, with the
features of `ner_features` (clitics, stems, gazetteers, triggers, word clusters from unlabelled
SaudiNewsNet). `train_ner()` rebuilds it in a few minutes; the trained file lives in
`rasid/data/`, so users never train. Latin-script paragraphs go to the rules of `ner_latin`.

Mentions come back as character spans of the display text. ANERcorp tags clitics with the name
("وبريطانيا" is B-LOC), so the tagger does too; `mentions` then drops a leading و/ف/ب/ل/ك when
what remains is a known name (gazetteer, training names, or far more frequent in news than the
whole word), so "وبوتين" yields "بوتين" while "فرنسا" and "بوتين" stay whole.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterable, Sequence
from importlib import resources as importlib_resources
from pathlib import Path

from rasid.text.normalize import arabic_ratio, match_form
from rasid.understand.ner_features import Featurizer, Resources, read_gazetteers
from rasid.understand.ner_latin import latin_mentions
from rasid.understand.ner_tokenize import Token, sentences

TYPES = ("PER", "LOC", "ORG", "MISC")
DEFAULT_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
_CRF_NAME = "ner.crfsuite"
_CONJ_PREP = ("و", "ف", "ب", "ل", "ك")
# CRF settings chosen by the ablations in docs/benchmarks/ner.md.
CRF_PARAMS = {"c1": 0.05, "c2": 0.05, "max_iterations": 100, "feature.possible_transitions": True}
MIN_FREQ = 2


def resources_path(crf_path: Path) -> Path:
    """The resources file that goes with a CRF file: `ner.crfsuite` -> `ner.resources.json.gz`."""
    return crf_path.with_name(crf_path.name.removesuffix(".crfsuite") + ".resources.json.gz")


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


def spans_of(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Entity spans (first token, last token + 1, type) from IOB2 tags; a stray I- opens a span."""
    out: list[tuple[int, int, str]] = []
    start, typ = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        if tag == "O" or tag.startswith("B-") or (tag.startswith("I-") and tag[2:] != typ):
            if start >= 0:
                out.append((start, i, typ))
                start, typ = -1, ""
            if tag != "O":
                start, typ = i, tag[2:]
    return out


class NerModel:
    """A trained tagger with its feature resources. Holds caches, so share one per process."""

    __slots__ = ("tagger", "res", "feats", "known")

    def __init__(self, tagger: object, res: Resources) -> None:
        self.tagger = tagger
        self.res = res
        self.feats = Featurizer(res)
        self.known: set[str] = set(res.names).union(*res.gazetteer.values())

    @classmethod
    def load(cls, path: str | Path | None = None) -> NerModel:
        """The model at `path` (a `.crfsuite` file with its resources beside it), or the packaged one."""
        import pycrfsuite

        tagger = pycrfsuite.Tagger()
        if path is None:
            data = importlib_resources.files("rasid").joinpath("data")
            tagger.open_inmemory(data.joinpath(_CRF_NAME).read_bytes())
            with importlib_resources.as_file(data.joinpath(resources_path(Path(_CRF_NAME)).name)) as rp:
                res = Resources.load(rp)
        else:
            path = Path(path)
            tagger.open(str(path))
            res = Resources.load(resources_path(path))
        return cls(tagger, res)

    def tag(self, tokens: list[str]) -> list[str]:
        """IOB2 tags (PER, LOC, ORG, MISC) for one sentence of tokens."""
        if not tokens:
            return []
        return list(self.tagger.tag(self.feats.sentence(tokens)))  # type: ignore[attr-defined]

    def mentions(self, text: str, lang: str = "ar") -> list[tuple[int, int, str]]:
        """(start, end, type) character spans of the names in `text`. Lines mostly in Latin script
        (or all of `text` when `lang` is not Arabic) go to the Latin rules."""
        out: list[tuple[int, int, str]] = []
        pos = 0
        for line in text.split("\n"):
            if line.strip():
                if lang != "ar" or (arabic_ratio(line) < 0.5 and any(c.isalpha() for c in line)):
                    out.extend(latin_mentions(line, base=pos))
                else:
                    out.extend(self._arabic_mentions(line, pos))
            pos += len(line) + 1
        return out

    def _arabic_mentions(self, line: str, base: int) -> list[tuple[int, int, str]]:
        out: list[tuple[int, int, str]] = []
        for sent in sentences(line):
            words = [t.text for t in sent]
            for a, b, typ in spans_of(self.tag(words)):
                start = sent[a].start + self._clitic_cut(sent[a])
                out.append((base + start, base + sent[b - 1].end, typ))
        return out

    def _clitic_cut(self, tok: Token) -> int:
        """How many leading characters of a mention's first token are a clitic, not name."""
        full = match_form(tok.text)
        if len(full) < 4 or full[0] not in _CONJ_PREP or self._is_known(full, full):
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
        """A name we know, or a word much more common in news than the clitic-bearing whole."""
        if form in self.known:
            return True
        if form == full:
            return False
        counts = self.res.counts
        return counts.get(form, 0) >= 20 and counts.get(form, 0) >= 5 * max(counts.get(full, 0), 1)

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


def _default_train() -> Path:
    return DEFAULT_DATA / "anercorp" / "ANERCorp_approxCamelSplit_train.txt.gz"


def _default_unlabelled() -> list[Path]:
    return sorted((DEFAULT_DATA / "saudinewsnet").glob("*.zip"))


def build_resources(
    unlabelled: Sequence[Path], gazetteer_dir: Path, train_sents: Iterable[tuple[list[str], list[str]]] = (),
    seed: int = 0, article_limit: int | None = None,
) -> Resources:
    """Gazetteers (plus the training names, used only to decide clitic cuts), clusters and counts."""
    from rasid.understand.ner_clusters import build_clusters, saudinewsnet_texts

    gaz = read_gazetteers(gazetteer_dir)
    clusters, counts = build_clusters(saudinewsnet_texts(unlabelled, limit=article_limit), seed=seed)
    res = Resources(gazetteer=gaz, clusters=clusters, counts=counts)
    names: set[str] = set()
    for toks, tags in train_sents:
        for a, b, _typ in spans_of(tags):
            names.update(match_form(t) for t in toks[a:b])
    res.names = {n for n in names if len(n) >= 3}
    return res


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
) -> dict:
    """Train the CRF on `train` (ANERcorp train split by default) and write it with its resources
    to `out_path`. Returns stats: sentences, tokens, features, seconds per stage, file sizes."""
    import pycrfsuite

    t0 = time.perf_counter()
    train = train or _default_train()
    sents = read_conll(train)
    if resources is None:
        unl = list(unlabelled) if unlabelled is not None else _default_unlabelled()
        resources = build_resources(unl, DEFAULT_DATA / "anercorp" / "ANERGazet", sents, seed, article_limit)
    t1 = time.perf_counter()
    feats = Featurizer(resources, use=features)
    trainer = pycrfsuite.Trainer(verbose=False)
    for toks, tags in sents:
        trainer.append(feats.sentence(toks), tags)
    trainer.set_params({**CRF_PARAMS, "feature.minfreq": MIN_FREQ, **(params or {})})
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(out_path))
    t2 = time.perf_counter()
    resources.save(resources_path(out_path))
    info = pycrfsuite.Tagger()
    info.open(str(out_path))
    n_feats = len(info.info().state_features)
    return {
        "sentences": len(sents),
        "tokens": sum(len(t) for t, _ in sents),
        "state_features": n_feats,
        "resources_seconds": round(t1 - t0, 1),
        "crf_seconds": round(t2 - t1, 1),
        "seconds": round(time.perf_counter() - t0, 1),
        "crf_bytes": out_path.stat().st_size,
        "resources_bytes": resources_path(out_path).stat().st_size,
        "iterations": trainer.logparser.iterations[-1]["num"] if trainer.logparser.iterations else None,
    }
