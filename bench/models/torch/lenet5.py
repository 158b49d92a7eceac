"""LeNet-5 with avg pooling, tanh and a view() flatten (the NCHW flatten-order trap)."""
import torch.nn as nn


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.s2 = nn.AvgPool2d(2)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.s4 = nn.AvgPool2d(2)
        self.f5 = nn.Linear(16 * 5 * 5, 120)
        self.f6 = nn.Linear(120, 84)
        self.out = nn.Linear(84, 10)

    def forward(self, x):
        x = self.s2(self.c1(x).tanh())
        x = self.s4(self.c3(x).tanh())
        x = x.view(-1, 16 * 5 * 5)
        x = self.f6(self.f5(x).tanh()).tanh()
        return self.out(x)
