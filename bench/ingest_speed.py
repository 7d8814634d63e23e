"""Ingest reading speed: SaudiNewsNet as JSONL (and a sample as HTML pages) through Ingestor.

    .venv/bin/python bench/ingest_speed.py [--out /tmp/rasid-snn.jsonl] [--html 500]

Step 1 converts the 18 SaudiNewsNet zips to one JSONL file in /tmp (one record per article:
url, source, title, content, published = date_extracted, author). Step 2 reads it with
`Ingestor.read` in a fresh child process, so the peak RSS printed is the reader's own, not the
converter's. With --html N, N articles are also written as HTML pages in a temp directory and
read as a directory (trafilatura main-text extraction), which is the slow path.
"""

from __future__ import annotations

import argparse
import html
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SNN = REPO.parent / "shared" / "data" / "saudinewsnet"


def convert(out: Path) -> int:
    """Write every SaudiNewsNet article as one JSONL record; returns the count."""
    count = 0
    with out.open("w", encoding="utf-8") as fh:
        for archive in sorted(SNN.glob("*.zip")):
            with zipfile.ZipFile(archive) as zf:
                for name in zf.namelist():
                    for art in json.loads(zf.read(name)):
                        rec = {
                            "url": art["url"],
                            "source": art["source"],
                            "title": art["title"],
                            "content": art["content"],
                            "published": art["date_extracted"],
                            "author": art["author"],
                        }
                        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                        count += 1
    return count


def write_pages(jsonl: Path, directory: Path, n: int) -> None:
    with jsonl.open(encoding="utf-8") as fh:
        for i, line in zip(range(n), fh, strict=False):
            rec = json.loads(line)
            body = "".join(
                f"<p>{html.escape(p.strip())}</p>\n" for p in rec["content"].splitlines() if p.strip()
            )
            page = (
                f'<!DOCTYPE html><html lang="ar"><head><meta charset="utf-8"><title>{html.escape(rec["title"])}</title>'
                f'<link rel="canonical" href="{html.escape(rec["url"])}"></head><body><nav><a href="/">الرئيسية</a></nav>'
                f"<article><h1>{html.escape(rec['title'])}</h1>{body}</article><footer>© {rec['source']}</footer></body></html>"
            )
            (directory / f"{i:05d}.html").write_text(page, encoding="utf-8")


def read(source: str) -> None:
    """Child process: read one source, print counts, seconds, docs/s and peak RSS as JSON."""
    from rasid.ingest import Ingestor
    from rasid.model import IngestError
    from rasid.settings import Settings

    docs = errors = chars = 0
    start = time.perf_counter()
    with Ingestor(Settings()) as ingestor:
        for item in ingestor.read(source):
            if isinstance(item, IngestError):
                errors += 1
            else:
                docs += 1
                chars += len(item.text or "")
    seconds = time.perf_counter() - start
    peak_mb = _peak_rss_mb()
    print(
        json.dumps(
            {
                "docs": docs,
                "errors": errors,
                "chars": chars,
                "seconds": round(seconds, 2),
                "docs_per_s": round(docs / seconds),
                "peak_rss_mb": round(peak_mb, 1),
            }
        )
    )


def _peak_rss_mb() -> float:
    """This process's peak resident set. VmHWM belongs to the current address space; ru_maxrss
    would also count the parent's peak that a fork carries over an exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(source: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--read", source], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/rasid-snn.jsonl")
    ap.add_argument("--html", type=int, default=0, help="also read N articles as HTML pages")
    ap.add_argument("--read", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.read:
        read(args.read)
        return
    out = Path(args.out)
    n = convert(out)
    print(f"converted {n} articles to {out} ({out.stat().st_size / 1e6:.1f} MB)")
    result = child(str(out))
    print(
        f"jsonl: {result['docs']} docs, {result['errors']} errors, {result['seconds']} s, "
        f"{result['docs_per_s']} docs/s, peak RSS {result['peak_rss_mb']} MB"
    )
    if args.html:
        with tempfile.TemporaryDirectory(prefix="rasid-html-") as tmp:
            write_pages(out, Path(tmp), args.html)
            result = child(tmp)
        print(
            f"html:  {result['docs']} docs, {result['errors']} errors, {result['seconds']} s, "
            f"{result['docs_per_s']} docs/s, peak RSS {result['peak_rss_mb']} MB"
        )


if __name__ == "__main__":
    main()
