"""Sequence tagger: bidirectional GRU over feature frames, per-step dense output."""
import torch.nn as nn


class GRUTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(input_size=20, hidden_size=24, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(0.1)
        self.tag = nn.Linear(48, 7)

    def forward(self, frames):
        seq, _ = self.gru(frames)
        return self.tag(self.dropout(seq))
