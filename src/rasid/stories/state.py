"""A StoryClusterer's whole state as bytes: a zip of JSON and .npy arrays (no pickle)."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..dedup import _unzip_state, _zip_state
from .base import _Story
from .features import _BagArrays
from .scoring import FEATURES, MERGE_FEATURES, PAIR_FEATURES, StoryModel

if TYPE_CHECKING:
    from .clusterer import StoryClusterer


def to_bytes(cl: StoryClusterer) -> bytes:
    """The whole state as a zip of JSON and .npy arrays (no pickle); see `from_bytes`."""
    act = set(cl._crow)
    stories = []
    for p, s in enumerate(cl._stories):
        d = {
            "id": s.id,
            "first": s.first,
            "last": s.last,
            "count": s.count,
            "members": s.members,
            "title": s.title,
            "active": s.active,
            "sources": dict(s.sources),
            "langs": dict(s.langs),
        }
        if s.merged_into is not None:
            d["merged_into"] = s.merged_into
        if s.near:
            d["near"] = [[q, p] for q, p in s.near.items()]
        if p in act:
            d["bag"] = [[k, v] for k, v in s.bag.items()]
            d["title_bag"] = [[k, v] for k, v in s.title_bag.items()]
            d["numbers"] = dict(s.numbers)
            d["norms"] = s.norms
        stories.append(d)
    meta = {
        "version": 1,
        "params": {
            "dormant_days": cl.dormant_days,
            "candidates": cl.k,
            "dim": cl.dim,
            "late_after_days": cl.late_after_days,
            "late_threshold": cl.late_threshold,
            "late_min_size": cl.late_min_size,
            "late_merges": cl.late_merges,
            "id_prefix": cl.id_prefix,
            "related_min": cl.related_min,
            "merge_core": cl.merge_core,
            "anchor_core": cl.anchor_core,
            "place_merges": cl.places is not None,
        },
        "model": json.loads(cl.model.to_json()),
        "merge_model": json.loads(cl.merge_model.to_json()) if cl.merge_model is not None else None,
        "cross_model": json.loads(cl.cross_model.to_json()) if cl.cross_model is not None else None,
        "cross_merge_model": (
            json.loads(cl.cross_merge_model.to_json()) if cl.cross_merge_model is not None else None
        ),
        "pair_model": json.loads(cl.pair_model.to_json()) if cl.pair_model is not None else None,
        "member_meta": [[d, src] for d, src in cl._member_meta],
        "ndocs": cl._ndocs,
        "now": cl._now if math.isfinite(cl._now) else None,
        "last_sweep": cl._last_sweep if math.isfinite(cl._last_sweep) else None,
        "stories": stories,
        "member_ids": cl._member_ids,
        "member_titles": cl._member_titles,
        "member_bags": [
            [[[k, v] for k, v in b.items()], [[k, v] for k, v in t.items()], nb, nt]
            for b, t, nb, nt in cl._member_bags
        ],
        "centroid_order": cl._centroids.label[: cl._centroids.n].tolist(),
        "term_days": cl._term_days.meta(),
    }
    arrays = {
        "sums": cl._sums[: len(cl._stories)],
        "df": cl._df,
        "members": cl._members.data[: cl._members.n],
        "member_story": cl._members.label[: cl._members.n],
        "gdf": cl._gdf,
        "gram_keys": np.concatenate([g.keys for g, _ in cl._member_grams] or [np.zeros(0, np.int32)]),
        "gram_vals": np.concatenate([g.vals for g, _ in cl._member_grams] or [np.zeros(0, np.float32)]),
        "gram_lens": np.array([len(g.keys) for g, _ in cl._member_grams], np.int64),
        "gram_norms": np.array([n for _, n in cl._member_grams], np.float64),
        **cl._term_days.arrays(),
    }
    return _zip_state(meta, arrays)


def _saved_model(
    d: dict | None, expect: tuple[str, ...], shipped: Callable[[], StoryModel | None]
) -> StoryModel | None:
    """A scorer saved in a state, or the shipped one of its role when the state was saved by a
    version of rasid whose scorers read other signals (they cannot score this code's rows)."""
    if not d:
        return None
    if list(d["features"]) != list(expect):
        return shipped()
    return StoryModel.from_json(json.dumps(d), expect)


def from_bytes(cls: type[StoryClusterer], data: bytes, model: StoryModel | None = None) -> StoryClusterer:
    """Continue from a saved state; `model` overrides the saved model (default: the saved one)."""
    meta, arrays = _unzip_state(data)
    saved = _saved_model(meta["model"], FEATURES, StoryModel.load)
    merge = _saved_model(meta.get("merge_model"), MERGE_FEATURES, StoryModel.load_merge)
    cl = cls(model=model or saved, merge_model=merge, merges=merge is not None, **meta["params"])
    # the cross-language scorers the state was saved with (a state from before them: the shipped ones)
    if "cross_model" in meta:
        cl.cross_model = _saved_model(meta["cross_model"], FEATURES, StoryModel.load_cross)
    if "cross_merge_model" in meta:
        cl.cross_merge_model = _saved_model(
            meta["cross_merge_model"], MERGE_FEATURES, StoryModel.load_cross_merge
        )
    if "pair_model" in meta:  # a state from before the core check: the shipped pair scorer
        cl.pair_model = _saved_model(meta["pair_model"], PAIR_FEATURES, StoryModel.load_pair)
    cl._ndocs = meta["ndocs"]
    cl._now = meta["now"] if meta["now"] is not None else -math.inf
    cl._last_sweep = meta["last_sweep"] if meta["last_sweep"] is not None else -math.inf
    cl._df = arrays["df"].astype(np.uint32)
    n = len(meta["stories"])
    cl._sums = np.zeros((max(64, n + n // 4), cl.dim), np.float32)  # room to grow without a copy
    cl._sums[:n] = arrays["sums"]
    for p, d in enumerate(meta["stories"]):
        s = _Story(d["id"], d["first"], d["last"], d["count"], list(d["members"]), d["title"], d["active"])
        s.sources = Counter(d["sources"])
        s.langs = Counter(d.get("langs", {}))
        s.bag = {int(k): float(v) for k, v in d.get("bag", [])}
        s.title_bag = {int(k): float(v) for k, v in d.get("title_bag", [])}
        s.numbers = Counter(d.get("numbers", {}))
        s.norms = {k: list(v) for k, v in d.get("norms", {}).items()}
        s.merged_into = d.get("merged_into")
        s.near = {int(q): float(p) for q, p in d.get("near", [])}
        cl._stories.append(s)
        cl._index[s.id] = p
        for m in s.members:
            cl._story_of[m] = p
    for row, p in zip(arrays["members"], arrays["member_story"].tolist(), strict=True):
        cl._members.append(row, int(p))
    cl._retired = int((cl._members.label[: cl._members.n] < 0).sum())
    for p in meta["centroid_order"]:
        cl._crow[p] = cl._centroids.append(cl._centroid(p), p)
    cl._member_ids = list(meta["member_ids"])
    cl._member_titles = list(meta["member_titles"])
    # a state from before member days were kept: each member at its story's last day
    stories_of = arrays["member_story"].tolist()
    cl._member_meta = (
        [(float(d), str(src)) for d, src in meta["member_meta"]]
        if "member_meta" in meta
        else [(cl._stories[p].last if p >= 0 else 0.0, "") for p in stories_of]
    )
    cl._member_bags = [
        ({int(k): float(v) for k, v in b}, {int(k): float(v) for k, v in t}, float(nb), float(nt))
        for b, t, nb, nt in meta["member_bags"]
    ]
    if "gram_lens" in arrays:
        cl._gdf = arrays["gdf"].astype(np.uint32)
        ends = np.cumsum(arrays["gram_lens"])
        keys = np.split(arrays["gram_keys"].astype(np.int32), ends[:-1]) if len(ends) else []
        vals = np.split(arrays["gram_vals"].astype(np.float32), ends[:-1]) if len(ends) else []
        cl._member_grams = [
            (_BagArrays(k, v), float(n))
            for k, v, n in zip(keys, vals, arrays["gram_norms"].tolist(), strict=True)
        ]
    else:  # a state from before the lead n-grams: members compare as sharing none
        empty = _BagArrays(np.zeros(0, np.int32), np.zeros(0, np.float32))
        cl._member_grams = [(empty, 0.0)] * len(cl._member_bags)
    cl._member_arrays = [None] * len(cl._member_bags)
    cl._member_terms = [None] * len(cl._member_bags)
    if "term_days" in meta:  # a state from before the daily term counts: they start afresh
        cl._term_days.restore(meta["term_days"], arrays)
    return cl
