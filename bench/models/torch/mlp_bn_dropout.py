"""Tabular MLP with BatchNorm1d, dropout and SiLU."""
import torch.nn as nn

model = nn.Sequential(
    nn.Linear(20, 64),
    nn.BatchNorm1d(64),
    nn.SiLU(),
    nn.Dropout(0.2),
    nn.Linear(64, 32),
    nn.BatchNorm1d(32, momentum=0.01),
    nn.LeakyReLU(0.1),
    nn.Linear(32, 1),
    nn.Sigmoid(),
)
