"""Bidirectional LSTM encoder: final forward/backward states concatenated, softmax head."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BiLSTMEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(10, 16, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(32, 3)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        h = torch.cat((h[-2], h[-1]), dim=1)
        return F.softmax(self.fc(h), dim=1)
