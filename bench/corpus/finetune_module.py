"""Fine-tuning with a Lightning-style module: a frozen backbone, a new head, and a loop that
runs the same module on CPU, one GPU or with mixed precision."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, models, transforms


@dataclass
class FinetuneConfig:
    num_classes: int = 10
    lr_head: float = 1e-3
    lr_backbone: float = 1e-4
    unfreeze_at_epoch: int = 3
    epochs: int = 10
    batch_size: int = 64
    precision: str = "32"


class FinetuneModule(nn.Module):
    """Backbone + classification head, with the hooks a training loop calls."""

    def __init__(self, cfg: FinetuneConfig) -> None:
        super().__init__()
        self.cfg = cfg
        backbone = models.resnet18(weights=models.ResNet18_Weights.DEFAULT)
        in_features = backbone.fc.in_features
        backbone.fc = nn.Identity()
        self.backbone = backbone
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(in_features, cfg.num_classes))
        self.freeze_backbone()

    def freeze_backbone(self) -> None:
        for p in self.backbone.parameters():
            p.requires_grad = False
        self.backbone.eval()

    def unfreeze_backbone(self) -> None:
        for p in self.backbone.parameters():
            p.requires_grad = True
        self.backbone.train()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return F.cross_entropy(self(x), y)

    @torch.no_grad()
    def validation_step(self, batch, batch_idx: int) -> dict[str, torch.Tensor]:
        x, y = batch
        logits = self(x)
        return {"loss": F.cross_entropy(logits, y), "correct": (logits.argmax(1) == y).sum(),
                "count": torch.tensor(y.numel())}

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW([
            {"params": self.head.parameters(), "lr": self.cfg.lr_head},
            {"params": self.backbone.parameters(), "lr": self.cfg.lr_backbone},
        ])


def dataloaders(root: str, batch_size: int) -> tuple[DataLoader, DataLoader]:
    tf = transforms.Compose([transforms.Resize(224), transforms.ToTensor(),
                             transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    full = datasets.CIFAR10(root, train=True, download=True, transform=tf)
    train, val = random_split(full, [45000, 5000], generator=torch.Generator().manual_seed(0))
    return (DataLoader(train, batch_size=batch_size, shuffle=True, num_workers=4),
            DataLoader(val, batch_size=batch_size, num_workers=4))


def fit(module: FinetuneModule, train: DataLoader, val: DataLoader) -> list[dict[str, float]]:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    module.to(device)
    optimizer = module.configure_optimizers()
    use_amp = module.cfg.precision == "16-mixed" and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    history = []
    for epoch in range(module.cfg.epochs):
        if epoch == module.cfg.unfreeze_at_epoch:
            module.unfreeze_backbone()
        module.head.train()
        for i, (x, y) in enumerate(train):
            x, y = x.to(device), y.to(device)
            with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                loss = module.training_step((x, y), i)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        module.eval()
        totals = {"loss": 0.0, "correct": 0, "count": 0}
        for i, (x, y) in enumerate(val):
            out = module.validation_step((x.to(device), y.to(device)), i)
            totals["loss"] += float(out["loss"]) * int(out["count"])
            totals["correct"] += int(out["correct"])
            totals["count"] += int(out["count"])
        history.append({"epoch": epoch, "val_loss": totals["loss"] / totals["count"],
                        "val_acc": totals["correct"] / totals["count"]})
        print(history[-1])
    return history


if __name__ == "__main__":
    config = FinetuneConfig()
    train_loader, val_loader = dataloaders("./data", config.batch_size)
    model = FinetuneModule(config)
    fit(model, train_loader, val_loader)
    torch.save(model.state_dict(), "finetuned.pt")
