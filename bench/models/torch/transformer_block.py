"""Transformer encoder block: multi-head self-attention, LayerNorm, GELU feed-forward."""
import torch.nn as nn


class TransformerBlock(nn.Module):
    def __init__(self, dim=32, heads=4, ff=64):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln1 = nn.LayerNorm(dim)
        self.ln2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, ff), nn.GELU(), nn.Dropout(0.1), nn.Linear(ff, dim))

    def forward(self, x):
        h = self.ln1(x)
        a, _ = self.attn(h, h, h)
        x = x + a
        return x + self.ff(self.ln2(x))


class TinyTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(200, 32)
        self.block = TransformerBlock()
        self.head = nn.Linear(32, 2)

    def forward(self, ids):
        x = self.block(self.embed(ids))
        return self.head(x.mean(dim=1))
