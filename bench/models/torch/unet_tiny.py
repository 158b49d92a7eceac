"""U-Net-like encoder with a skip concatenation along channels (no upsampling)."""
import torch
import torch.nn as nn


class SkipNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Conv2d(3, 8, 3, padding=1)
        self.enc2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fuse = nn.Conv2d(16, 4, 1)

    def forward(self, x):
        a = torch.relu(self.enc1(x))
        b = torch.relu(self.enc2(a))
        return self.fuse(torch.cat([a, b], dim=1))  # a feature map (N, 4, H, W)
