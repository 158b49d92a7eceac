"""Sequence models in PyTorch: an LSTM encoder-decoder with attention and a Transformer
translation model, with greedy and beam-search decoding."""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

PAD, BOS, EOS = 0, 1, 2


class AdditiveAttention(nn.Module):
    """Bahdanau-style attention: score = v^T tanh(W_q q + W_k k)."""

    def __init__(self, query_dim: int, key_dim: int, hidden: int) -> None:
        super().__init__()
        self.w_q = nn.Linear(query_dim, hidden, bias=False)
        self.w_k = nn.Linear(key_dim, hidden, bias=False)
        self.v = nn.Linear(hidden, 1, bias=False)

    def forward(self, query: Tensor, keys: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        scores = self.v(torch.tanh(self.w_q(query).unsqueeze(1) + self.w_k(keys))).squeeze(-1)
        scores = scores.masked_fill(~mask, float("-inf"))
        weights = F.softmax(scores, dim=-1)
        return torch.bmm(weights.unsqueeze(1), keys).squeeze(1), weights


class Encoder(nn.Module):
    def __init__(self, vocab: int, embed: int, hidden: int, layers: int = 2,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed, padding_idx=PAD)
        self.rnn = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True,
                           bidirectional=True, dropout=dropout)
        self.bridge_h = nn.Linear(2 * hidden, hidden)
        self.bridge_c = nn.Linear(2 * hidden, hidden)

    def forward(self, src: Tensor, lengths: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(src), lengths.cpu(),
                                                   batch_first=True, enforce_sorted=False)
        out, (h, c) = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
        # Merge the two directions of every layer for the unidirectional decoder.
        h = torch.tanh(self.bridge_h(torch.cat([h[0::2], h[1::2]], dim=-1)))
        c = torch.tanh(self.bridge_c(torch.cat([c[0::2], c[1::2]], dim=-1)))
        return out, (h, c)


class Decoder(nn.Module):
    def __init__(self, vocab: int, embed: int, hidden: int, layers: int = 2,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed, padding_idx=PAD)
        self.attention = AdditiveAttention(hidden, 2 * hidden, hidden)
        self.rnn = nn.LSTM(embed + 2 * hidden, hidden, num_layers=layers, batch_first=True,
                           dropout=dropout)
        self.out = nn.Linear(hidden + 2 * hidden + embed, vocab)
        self.dropout = nn.Dropout(dropout)

    def step(self, token: Tensor, state: tuple[Tensor, Tensor], memory: Tensor, mask: Tensor
             ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        emb = self.dropout(self.embedding(token))
        context, _ = self.attention(state[0][-1], memory, mask)
        output, state = self.rnn(torch.cat([emb, context], dim=-1).unsqueeze(1), state)
        logits = self.out(torch.cat([output.squeeze(1), context, emb], dim=-1))
        return logits, state


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab: int, tgt_vocab: int, embed: int = 256, hidden: int = 512) -> None:
        super().__init__()
        self.encoder = Encoder(src_vocab, embed, hidden)
        self.decoder = Decoder(tgt_vocab, embed, hidden)

    def forward(self, src: Tensor, lengths: Tensor, tgt: Tensor,
                teacher_forcing: float = 1.0) -> Tensor:
        memory, state = self.encoder(src, lengths)
        mask = src[:, : memory.size(1)] != PAD
        token = tgt[:, 0]
        outputs = []
        for t in range(1, tgt.size(1)):
            logits, state = self.decoder.step(token, state, memory, mask)
            outputs.append(logits)
            use_truth = torch.rand(()) < teacher_forcing
            token = tgt[:, t] if use_truth else logits.argmax(-1)
        return torch.stack(outputs, dim=1)

    @torch.no_grad()
    def greedy_decode(self, src: Tensor, lengths: Tensor, max_len: int = 100) -> Tensor:
        memory, state = self.encoder(src, lengths)
        mask = src[:, : memory.size(1)] != PAD
        token = torch.full((src.size(0),), BOS, dtype=torch.long, device=src.device)
        result = [token]
        for _ in range(max_len):
            logits, state = self.decoder.step(token, state, memory, mask)
            token = logits.argmax(-1)
            result.append(token)
            if (token == EOS).all():
                break
        return torch.stack(result, dim=1)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.1) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(x + self.pe[:, : x.size(1)])


class TransformerTranslator(nn.Module):
    def __init__(self, src_vocab: int, tgt_vocab: int, d_model: int = 512, nhead: int = 8,
                 layers: int = 6, ff: int = 2048, dropout: float = 0.1) -> None:
        super().__init__()
        self.d_model = d_model
        self.src_embed = nn.Embedding(src_vocab, d_model, padding_idx=PAD)
        self.tgt_embed = nn.Embedding(tgt_vocab, d_model, padding_idx=PAD)
        self.pos = PositionalEncoding(d_model, dropout=dropout)
        self.transformer = nn.Transformer(d_model, nhead, layers, layers, ff, dropout,
                                          batch_first=True, norm_first=True)
        self.generator = nn.Linear(d_model, tgt_vocab)
        self.generator.weight = self.tgt_embed.weight  # tie input and output embeddings

    def encode(self, src: Tensor) -> tuple[Tensor, Tensor]:
        pad_mask = src == PAD
        x = self.pos(self.src_embed(src) * math.sqrt(self.d_model))
        return self.transformer.encoder(x, src_key_padding_mask=pad_mask), pad_mask

    def decode(self, tgt: Tensor, memory: Tensor, memory_pad: Tensor) -> Tensor:
        causal = self.transformer.generate_square_subsequent_mask(tgt.size(1)).to(tgt.device)
        y = self.pos(self.tgt_embed(tgt) * math.sqrt(self.d_model))
        out = self.transformer.decoder(y, memory, tgt_mask=causal,
                                       tgt_key_padding_mask=tgt == PAD,
                                       memory_key_padding_mask=memory_pad)
        return self.generator(out)

    def forward(self, src: Tensor, tgt: Tensor) -> Tensor:
        memory, pad = self.encode(src)
        return self.decode(tgt, memory, pad)

    @torch.no_grad()
    def beam_search(self, src: Tensor, beam: int = 4, max_len: int = 128,
                    length_penalty: float = 0.6) -> list[int]:
        """Beam search for one source sentence (batch of 1)."""
        memory, pad = self.encode(src)
        beams: list[tuple[list[int], float]] = [([BOS], 0.0)]
        finished: list[tuple[list[int], float]] = []
        for _ in range(max_len):
            candidates = []
            for tokens, score in beams:
                tgt = torch.tensor([tokens], device=src.device)
                logp = F.log_softmax(self.decode(tgt, memory, pad)[0, -1], dim=-1)
                top = logp.topk(beam)
                for lp, idx in zip(top.values.tolist(), top.indices.tolist(), strict=True):
                    candidates.append((tokens + [idx], score + lp))
            candidates.sort(key=lambda c: c[1] / (len(c[0]) ** length_penalty), reverse=True)
            beams = []
            for tokens, score in candidates[:beam]:
                (finished if tokens[-1] == EOS else beams).append((tokens, score))
            if not beams:
                break
        best = max(finished or beams, key=lambda c: c[1] / (len(c[0]) ** length_penalty))
        return best[0]


def label_smoothed_nll(logits: Tensor, target: Tensor, eps: float = 0.1) -> Tensor:
    logp = F.log_softmax(logits, dim=-1)
    nll = -logp.gather(-1, target.unsqueeze(-1)).squeeze(-1)
    smooth = -logp.mean(dim=-1)
    loss = (1 - eps) * nll + eps * smooth
    mask = target != PAD
    return (loss * mask).sum() / mask.sum()
