"""A small BiLSTM that re-tags on top of the sentence CRF (stacking), run in numpy.

Why: the CRF sees a window of two words; most of its errors are misses of names whose cue is
further away or absent. A BiLSTM reads the whole sentence, with 100-dim PPMI-SVD word vectors
learned from SaudiNewsNet (frozen), a character CNN over the matching form, the CRF's binary
lexical cues (gazetteers, triggers, clitic flags) and, most of all, the CRF's own per-token label
marginals plus how the CRF labelled the same word elsewhere in the document. On training data
those CRF outputs come from 4-fold cross-validation, so the network learns how far to trust them.

Training needs torch (`pip install rasid[train]`); inference is plain numpy on the exported
weights (`ner.nn.npz`). +0.7 F1 points on ANERcorp test but about 3x slower tagging, so the
packaged model keeps the document CRF (docs/benchmarks/ner.md) and this is research code, outside
the product: `NeuralNerModel` is the product's `NerModel` with this second stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rasid.understand.ner.features import strip_clitics, strip_proclitic
from rasid.understand.ner.model import NerModel, neural_path
from rasid.understand.ner.stack import disagrees, doc_features

TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC")
DOC_TYPES = ("PER", "LOC", "ORG", "MISC")
# Binary CRF cues copied into the network input (feature names of `ner_features.Featurizer`).
CUES = (
    "g=PER",
    "g=LOC",
    "g=ORG",
    "gc=PER",
    "gc=LOC",
    "gc=ORG",
    "gp=PER",
    "gp=LOC",
    "gp=ORG",
    "t=PER",
    "t=LOC",
    "t=ORG",
    "mg=B-PER",
    "mg=I-PER",
    "mg=B-LOC",
    "mg=I-LOC",
    "mg=B-ORG",
    "mg=I-ORG",
    "al",
    "conj",
    "k=none",
    "sh=D",
    "sh=Lu",
    "sh=Ll",
    "sh=P",
)
_CUE_INDEX = {c: i for i, c in enumerate(CUES)}
MAX_CHARS = 16
# Input width besides word vectors and characters: cues, CRF marginals, document votes (d=, d2=).
N_EXTRA = len(CUES) + len(TAGS) + 2 * len(DOC_TYPES)
# Weight of the BiLSTM against the CRF marginals when decoding (dev: 0.7 > 1.0 > 0.5 > 0).
NN_WEIGHT = 0.7
# Sentences whose best CRF sequence has at least this probability skip the BiLSTM.
GATE = 0.9


def _allowed() -> tuple[np.ndarray, np.ndarray]:
    """IOB2 transition mask (an I-X only after B-X or I-X) and the tags a sentence may start with."""
    ok = np.ones((len(TAGS), len(TAGS)), bool)
    for b, tb in enumerate(TAGS):
        if tb.startswith("I-"):
            for a, ta in enumerate(TAGS):
                ok[a, b] = ta != "O" and ta[2:] == tb[2:]
    start = np.array([not t.startswith("I-") for t in TAGS])
    return np.where(ok, 0.0, -1e9), np.where(start, 0.0, -1e9)


def viterbi(logp: np.ndarray, trans: np.ndarray, start: np.ndarray) -> list[str]:
    """Best IOB2-valid tag sequence under per-token log-probabilities."""
    score = logp[0] + start
    back = []
    for i in range(1, len(logp)):
        cand = score[:, None] + trans
        arg = cand.argmax(0)
        back.append(arg)
        score = cand[arg, np.arange(len(TAGS))] + logp[i]
    best = [int(score.argmax())]
    for arg in reversed(back):
        best.append(int(arg[best[-1]]))
    return [TAGS[k] for k in reversed(best)]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


@dataclass(slots=True)
class NeuralTagger:
    """Exported weights of the stacked BiLSTM and the lookups that turn tokens into its inputs."""

    words: dict[str, int]  # matching form -> row of `emb` (0 pad, 1 unknown)
    chars: dict[str, int]  # character -> row of `cemb`
    w: dict[str, np.ndarray]  # emb, cemb, conv_w (out, in, 3), conv_b, lstm {f,b}_{ih,hh,b}, out_w, out_b

    @classmethod
    def load(cls, path: Path | str) -> NeuralTagger:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        words = {w: i + 2 for i, w in enumerate(arrays.pop("vocab").tolist())}
        chars = {c: i + 2 for i, c in enumerate(arrays.pop("charset").tolist())}
        w = {k: v.astype(np.float32) for k, v in arrays.items()}
        return cls(words, chars, w)

    def save(self, path: Path | str) -> None:
        vocab = sorted(self.words, key=self.words.__getitem__)
        charset = sorted(self.chars, key=self.chars.__getitem__)
        # Any: numpy's stub types savez's **kwds so that a dict of arrays clashes with allow_pickle
        arrays: dict[str, Any] = {k: (v.astype(np.float16) if k == "emb" else v) for k, v in self.w.items()}
        np.savez_compressed(path, vocab=np.array(vocab), charset=np.array(charset), **arrays)

    def word_id(self, form: str) -> int:
        """Row for a matching-form word: itself, else without clitics, else unknown."""
        words = self.words
        return words.get(form) or words.get(strip_proclitic(form)) or words.get(strip_clitics(form)) or 1

    def encode(
        self,
        forms: Sequence[str],
        crf_feats: Sequence[Sequence[str]],
        marg: np.ndarray,
        doc: Sequence[Sequence[str]],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Word ids, char ids (tokens x MAX_CHARS) and the extra input (tokens x N_EXTRA) of one sentence."""
        n = len(forms)
        wid = np.array([self.word_id(f) for f in forms], np.int64)
        cid = np.zeros((n, MAX_CHARS), np.int64)
        for i, f in enumerate(forms):
            for j, ch in enumerate(f[:MAX_CHARS]):
                cid[i, j] = self.chars.get(ch, 1)
        x = np.zeros((n, N_EXTRA), np.float32)
        base, dbase = len(CUES), len(CUES) + len(TAGS)
        for i, fs in enumerate(crf_feats):
            for f in fs:
                k = _CUE_INDEX.get(f)
                if k is not None:
                    x[i, k] = 1.0
            for f in doc[i]:
                if f.startswith("d=") or f.startswith("d2="):
                    typ = f.split("=", 1)[1]
                    x[i, dbase + DOC_TYPES.index(typ) + (len(DOC_TYPES) if f[1] == "2" else 0)] = 1.0
        x[:, base:dbase] = marg
        return wid, cid, x

    def log_probs(self, batch: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> list[np.ndarray]:
        """Per-token log-probabilities over TAGS for a batch of encoded sentences (all at once:
        the LSTM steps over the longest sentence, every sentence in one matrix product)."""
        w = self.w
        lens = [len(b[0]) for b in batch]
        n_b, n_t = len(batch), max(lens)
        # Inputs, padded at the end; the backward direction gets each sentence reversed.
        wid = np.concatenate([b[0] for b in batch])
        cid = np.concatenate([b[1] for b in batch])
        extra = np.concatenate([b[2] for b in batch])
        ce = w["cemb"][cid]  # (N, L, C)
        pad = np.zeros((ce.shape[0], 1, ce.shape[2]), np.float32)
        win = np.concatenate(
            [np.concatenate([pad, ce[:, :-1]], 1), ce, np.concatenate([ce[:, 1:], pad], 1)], 2
        )
        conv_w = w["conv_w"]  # (out, in, 3) -> (3*in, out) matching the window layout [left, mid, right]
        kern = np.concatenate([conv_w[:, :, 0].T, conv_w[:, :, 1].T, conv_w[:, :, 2].T], 0)
        ch = np.maximum(win @ kern + w["conv_b"], 0.0).max(1)
        feats = np.concatenate([w["emb"][wid], ch, extra], 1)
        d = feats.shape[1]
        fwd = np.zeros((n_b, n_t, d), np.float32)
        bwd = np.zeros((n_b, n_t, d), np.float32)
        pos = 0
        for i, n in enumerate(lens):
            fwd[i, :n] = feats[pos : pos + n]
            bwd[i, :n] = feats[pos : pos + n][::-1]
            pos += n
        hf, hb = self._bilstm(fwd, bwd)
        out = []
        for i, n in enumerate(lens):
            h = np.concatenate([hf[i, :n], hb[i, :n][::-1]], 1)
            logits = h @ w["out_w"].T + w["out_b"]
            logits -= logits.max(1, keepdims=True)
            out.append(logits - np.log(np.exp(logits).sum(1, keepdims=True)))
        return out

    def _bilstm(self, fwd: np.ndarray, bwd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._lstm(fwd, "f"), self._lstm(bwd, "b")

    def _lstm(self, x: np.ndarray, side: str) -> np.ndarray:
        """One LSTM direction (torch gate order i, f, g, o) over padded-at-end inputs."""
        w_ih, w_hh, b = self.w[side + "_ih"], self.w[side + "_hh"], self.w[side + "_b"]
        n_b, n_t, _ = x.shape
        hid = w_hh.shape[1]
        proj = x @ w_ih.T + b
        h = np.zeros((n_b, hid), np.float32)
        c = np.zeros((n_b, hid), np.float32)
        w_hh_t = w_hh.T.copy()
        out = np.empty((n_b, n_t, hid), np.float32)
        for t in range(n_t):
            g = proj[:, t] + h @ w_hh_t
            i_g = _sigmoid(g[:, :hid])
            f_g = _sigmoid(g[:, hid : 2 * hid])
            c = f_g * c + i_g * np.tanh(g[:, 2 * hid : 3 * hid])
            h = _sigmoid(g[:, 3 * hid :]) * np.tanh(c)
            out[:, t] = h
        return out


def train_neural(
    inputs: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    labels: Sequence[Sequence[str]],
    vocab: Sequence[str],
    vectors: np.ndarray,
    charset: Sequence[str],
    *,
    epochs: int = 10,
    hidden: int = 128,
    seed: int = 0,
    threads: int = 1,
) -> NeuralTagger:
    """Train the BiLSTM with torch (cross-entropy per token, Adam, dropout 0.5, 5% word dropout)
    on encoded sentences (made with a `NeuralTagger` holding the same vocab and charset) and
    export its weights to numpy. Word vectors stay frozen: they are what carries unseen words."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    rng = np.random.default_rng(seed)
    emb = np.vstack([np.zeros((2, vectors.shape[1]), np.float32), vectors.astype(np.float32)])
    n_extra = inputs[0][2].shape[1]
    tag_index = {t: i for i, t in enumerate(TAGS)}
    ys = [np.array([tag_index[t] for t in tags]) for tags in labels]

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.wemb = nn.Embedding.from_pretrained(torch.tensor(emb), freeze=True, padding_idx=0)
            self.cemb = nn.Embedding(len(charset) + 2, 24, padding_idx=0)
            self.conv = nn.Conv1d(24, 48, 3, padding=1)
            self.drop = nn.Dropout(0.5)
            self.lstm = nn.LSTM(emb.shape[1] + 48 + n_extra, hidden, batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * hidden, len(TAGS))

        def forward(self, wid, cid, x, lens):  # type: ignore[no-untyped-def]
            n_b, n_t, n_c = cid.shape
            ce = self.cemb(cid.view(n_b * n_t, n_c)).transpose(1, 2)
            ch = torch.relu(self.conv(ce)).max(dim=2).values.view(n_b, n_t, -1)
            h = self.drop(torch.cat([self.wemb(wid), ch, x], dim=2))
            packed = nn.utils.rnn.pack_padded_sequence(h, lens, batch_first=True, enforce_sorted=False)
            o, _ = self.lstm(packed)
            o, _ = nn.utils.rnn.pad_packed_sequence(o, batch_first=True, total_length=n_t)
            return self.out(self.drop(o))

    def batch(idx: np.ndarray) -> tuple:
        lens = [len(inputs[i][0]) for i in idx]
        n_t = max(lens)
        wid = np.zeros((len(idx), n_t), np.int64)
        cid = np.zeros((len(idx), n_t, MAX_CHARS), np.int64)
        x = np.zeros((len(idx), n_t, n_extra), np.float32)
        y = np.full((len(idx), n_t), -100, np.int64)
        for b, i in enumerate(idx):
            n = lens[b]
            wid[b, :n], cid[b, :n], x[b, :n] = inputs[i]
            y[b, :n] = ys[i]
        return torch.tensor(wid), torch.tensor(cid), torch.tensor(x), torch.tensor(lens), torch.tensor(y)

    net = Net()
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=2e-3)
    lengths = np.array([len(i[0]) for i in inputs], np.float64)
    net.train()
    for _ in range(epochs):
        # Batches of similar length (sorted on jittered lengths, then shuffled): little padding.
        order = np.argsort(lengths + rng.uniform(0, 8, len(lengths)))
        chunks = [order[s : s + 32] for s in range(0, len(order), 32)]
        for k in rng.permutation(len(chunks)):
            wid, cid, x, lens, y = batch(chunks[k])
            wid = torch.where(torch.rand(wid.shape) < 0.05, torch.ones_like(wid), wid)
            logits = net(wid, cid, x, lens)
            loss = nn.functional.cross_entropy(logits.reshape(-1, len(TAGS)), y.view(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
    sd = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    weights = {
        "emb": emb,
        "cemb": sd["cemb.weight"],
        "conv_w": sd["conv.weight"],
        "conv_b": sd["conv.bias"],
        "f_ih": sd["lstm.weight_ih_l0"],
        "f_hh": sd["lstm.weight_hh_l0"],
        "f_b": sd["lstm.bias_ih_l0"] + sd["lstm.bias_hh_l0"],
        "b_ih": sd["lstm.weight_ih_l0_reverse"],
        "b_hh": sd["lstm.weight_hh_l0_reverse"],
        "b_b": sd["lstm.bias_ih_l0_reverse"] + sd["lstm.bias_hh_l0_reverse"],
        "out_w": sd["out.weight"],
        "out_b": sd["out.bias"],
    }
    words = {w: i + 2 for i, w in enumerate(vocab)}
    chars = {c: i + 2 for i, c in enumerate(charset)}
    return NeuralTagger(words, chars, weights)


def crf_marginals(tagger: object, x: list[list[str]]) -> tuple[list[str], np.ndarray]:
    """The CRF's best tags for one sentence and its per-token label marginals (tokens x TAGS)."""
    if not x:
        return [], np.zeros((0, len(TAGS)), np.float32)
    tags = list(tagger.tag(x))  # type: ignore[attr-defined]
    labels = set(tagger.labels())  # type: ignore[attr-defined]
    marg = np.zeros((len(x), len(TAGS)), np.float32)
    for k, t in enumerate(TAGS):
        if t in labels:
            marg[:, k] = [tagger.marginal(t, i) for i in range(len(x))]  # type: ignore[attr-defined]
    return tags, marg


def neural_decode(
    neural: NeuralTagger,
    enc: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    margs: list[np.ndarray],
    masks: tuple[np.ndarray, np.ndarray],
    batch: int = 48,
) -> list[list[str]]:
    """IOB2 tags for encoded sentences (batched by length: less padding): Viterbi over a weighted
    sum of the BiLSTM's log-probabilities and the CRF's log-marginals (NN_WEIGHT on the first)."""
    out: list[list[str]] = [[] for _ in enc]
    order = sorted((i for i in range(len(enc)) if len(enc[i][0])), key=lambda i: len(enc[i][0]))
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        for i, lp in zip(idx, neural.log_probs([enc[i] for i in idx]), strict=True):
            mix = NN_WEIGHT * lp + (1.0 - NN_WEIGHT) * np.log(margs[i] + 1e-6)
            out[i] = viterbi(mix, *masks)
    return out


class NeuralNerModel(NerModel):
    """`NerModel` whose second stage is the stacked BiLSTM (`ner.nn.npz` beside the CRF file)
    instead of the document CRF: the research route of `train_ner(neural=True)`."""

    __slots__ = ("neural", "_masks")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.neural: NeuralTagger | None = None
        self._masks = _allowed()

    @classmethod
    def load(cls, path: str | Path | None = None) -> NeuralNerModel:
        """The model at `path` (or the packaged one) with its BiLSTM, if one is beside it."""
        model = cls.load_crfs(path)
        assert isinstance(model, NeuralNerModel)
        nn_file = neural_path(Path(path)) if path is not None else None
        model.neural = NeuralTagger.load(nn_file) if nn_file is not None and nn_file.is_file() else None
        return model

    def tag(self, tokens: list[str]) -> list[str]:
        if tokens and self.neural is not None:
            return self.tag_document([tokens])[0]
        return super().tag(tokens)

    def tag_documents(
        self, docs: Sequence[Sequence[Sequence[str]]], window: int | None = None, every: bool = False
    ) -> list[list[list[str]]]:
        if self.neural is not None:
            return [self._tag_neural(d, [self.feats.sentence(s) for s in d], window) for d in docs]
        return super().tag_documents(docs, window, every)

    def _tag_neural(
        self, sents: Sequence[Sequence[str]], stage1: list[list[list[str]]], window: int | None
    ) -> list[list[str]]:
        """Second stage by the BiLSTM over the CRF's marginals and document votes."""
        assert self.neural is not None
        tagger = self.tagger
        first: list[list[str]] = []
        sure: list[bool] = []
        for x in stage1:
            tags = list(tagger.tag(x)) if x else []  # type: ignore[attr-defined]
            first.append(tags)
            sure.append(not x or tagger.probability(tags) >= GATE)  # type: ignore[attr-defined]
        forms = [[self.feats.form(t) for t in s] for s in sents]
        extra = doc_features(forms, first, self.res.counts, window)
        # Only sentences the CRF is unsure of, or where the document disagrees with it, go to the
        # BiLSTM: the rest keep the CRF's tags (speed; see docs/benchmarks/ner.md).
        todo = [
            i
            for i, (ok, d, t) in enumerate(zip(sure, extra, first, strict=True))
            if not ok or any(disagrees(f, g) for f, g in zip(d, t, strict=True))
        ]
        margs = [crf_marginals(tagger, stage1[i])[1] for i in todo]
        enc = [self.neural.encode(forms[i], stage1[i], m, extra[i]) for i, m in zip(todo, margs, strict=True)]
        out = list(first)
        for i, tags in zip(todo, neural_decode(self.neural, enc, margs, self._masks), strict=True):
            out[i] = tags
        return out
