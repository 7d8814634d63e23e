"""The saved-state container of the deduper and the story clusterer: a zip of one JSON document
and .npy arrays (no pickle), with fixed timestamps so one state gives the same bytes."""

from __future__ import annotations

import io
import json
import zipfile
import zlib

import numpy as np

SAMPLE = 1 << 16  # bytes of an array compressed to judge whether deflating it is worth its time
STORE_ABOVE = 0.8  # an array whose sample deflates to more than this share of its size is stored


def _deflates(data: bytes) -> bool:
    """Whether deflating `data` is worth it, judged on its opening bytes: hashes, digests and
    vectors barely shrink (~0.85-0.95 of their size) and took most of a checkpoint's compressing."""
    sample = data[:SAMPLE]
    return len(zlib.compress(sample, 1)) <= STORE_ABOVE * len(sample)


def _zip_state(meta: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """The state as one zip. Deflate level 1: the stories stage saves both states on its serial
    path, and level 6 spent ~0.9 s compressing a day's states for 5 % smaller blobs; arrays that
    barely shrink are stored as they are (`_deflates`: on the state after 08-01..08-03, saving
    2.3-2.95 s -> 1.52 s for blobs 35.9 -> 37.9 MB; docs/benchmarks/pipeline.md)."""
    buf = io.BytesIO()

    def entry(name: str, deflate: bool) -> zipfile.ZipInfo:  # fixed timestamps: same state, same bytes
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
        return info

    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(entry("state.json", True), json.dumps(meta, ensure_ascii=False), compresslevel=1)
        for name, arr in arrays.items():
            b = io.BytesIO()
            np.save(b, arr, allow_pickle=False)
            data = b.getvalue()
            zf.writestr(entry(f"{name}.npy", _deflates(data)), data, compresslevel=1)
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
