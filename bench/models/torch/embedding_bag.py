"""Bag-of-embeddings model: embedding, mean over tokens, MLP head."""
import torch.nn as nn
import torch.nn.functional as F


class EmbeddingBagModel(nn.Module):
    def __init__(self, vocab=500, dim=24, classes=6):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.hidden = nn.Linear(dim, 32)
        self.out = nn.Linear(32, classes)

    def forward(self, ids):
        bag = self.emb(ids).mean(dim=1)
        return self.out(F.elu(self.hidden(bag)))
