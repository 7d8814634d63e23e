"""The saved-state container of the deduper and the story clusterer: a zip of one JSON document
and .npy arrays (no pickle), with fixed timestamps so one state gives the same bytes."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np


def _zip_state(meta: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """The state as one zip. Deflate level 1: the stories stage saves both states at the end of
    every run, on its serial path, and level 6 spent ~0.9 s compressing a day's states for 5 %
    smaller blobs (docs/benchmarks/pipeline.md)."""
    buf = io.BytesIO()

    def entry(name: str) -> zipfile.ZipInfo:  # fixed timestamps: same state, same bytes
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(entry("state.json"), json.dumps(meta, ensure_ascii=False), compresslevel=1)
        for name, arr in arrays.items():
            b = io.BytesIO()
            np.save(b, arr, allow_pickle=False)
            zf.writestr(entry(f"{name}.npy"), b.getvalue(), compresslevel=1)
    return buf.getvalue()


def _unzip_state(data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        meta = json.loads(zf.read("state.json").decode("utf-8"))
        arrays = {
            n[:-4]: np.load(io.BytesIO(zf.read(n)), allow_pickle=False)
            for n in zf.namelist()
            if n.endswith(".npy")
        }
    return meta, arrays
