"""Train an image classifier from the ConvNet zoo on a folder of images.

    python train_classifier.py --data ./images --model convnet50d --epochs 30 --amp
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
from torch.utils.data import DataLoader

from data.datasets import ImageFolderDataset, build_transforms
from models.convnets import create_model

log = logging.getLogger("train")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--model", default="convnet50")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=5e-5)
    p.add_argument("--warmup-epochs", type=int, default=3)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--amp", action="store_true")
    p.add_argument("--resume", type=Path)
    p.add_argument("--output", type=Path, default=Path("runs"))
    p.add_argument("--seed", type=int, default=42)
    return p.parse_args()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


class AverageMeter:
    """Running average of a scalar (loss, accuracy) over an epoch."""

    def __init__(self) -> None:
        self.sum = 0.0
        self.count = 0

    def update(self, value: float, n: int = 1) -> None:
        self.sum += value * n
        self.count += n

    @property
    def avg(self) -> float:
        return self.sum / max(self.count, 1)


def accuracy(logits: torch.Tensor, target: torch.Tensor, topk: tuple[int, ...] = (1, 5)
             ) -> list[float]:
    maxk = min(max(topk), logits.size(1))
    _, pred = logits.topk(maxk, 1, True, True)
    correct = pred.t().eq(target.reshape(1, -1).expand_as(pred.t()))
    return [correct[: min(k, maxk)].reshape(-1).float().sum(0).item() * 100.0 / target.size(0)
            for k in topk]


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """No weight decay on biases and normalization parameters."""
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if param.ndim <= 1 or name.endswith(".bias"):
            no_decay.append(param)
        else:
            decay.append(param)
    return [{"params": no_decay, "weight_decay": 0.0},
            {"params": decay, "weight_decay": weight_decay}]


def train_one_epoch(model, loader, optimizer, scaler, device, epoch, args) -> float:
    model.train()
    losses = AverageMeter()
    start = time.time()
    for step, (images, targets) in enumerate(loader):
        images = images.to(device, non_blocking=True)
        targets = targets.to(device, non_blocking=True)
        with torch.autocast(device_type=device.type, enabled=args.amp):
            logits = model(images)
            loss = F.cross_entropy(logits, targets, label_smoothing=args.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        scaler.step(optimizer)
        scaler.update()
        losses.update(loss.item(), images.size(0))
        if step % 50 == 0:
            rate = (step + 1) * args.batch_size / (time.time() - start)
            log.info("epoch %d step %d loss %.4f (%.0f img/s)", epoch, step, losses.avg, rate)
    return losses.avg


def evaluate(model, loader, device) -> dict[str, float]:
    top1, top5, losses = AverageMeter(), AverageMeter(), AverageMeter()
    with torch.no_grad():
        for images, targets in loader:
            images, targets = images.to(device), targets.to(device)
            logits = model(images)
            losses.update(F.cross_entropy(logits, targets).item(), images.size(0))
            acc1, acc5 = accuracy(logits, targets)
            top1.update(acc1, images.size(0))
            top5.update(acc5, images.size(0))
    return {"loss": losses.avg, "top1": top1.avg, "top5": top5.avg}


def save_checkpoint(path: Path, model, optimizer, scheduler, epoch: int, best: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "epoch": epoch,
        "best_top1": best,
    }, path)


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    seed_everything(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True

    train_set = ImageFolderDataset(args.data / "train", build_transforms(train=True))
    val_set = ImageFolderDataset(args.data / "val", build_transforms(train=False))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=args.batch_size * 2, shuffle=False,
                            num_workers=args.workers)

    model = create_model(args.model, num_classes=len(train_set.classes)).to(device)
    optimizer = torch.optim.SGD(param_groups(model, args.weight_decay), lr=args.lr,
                                momentum=0.9, nesterov=True)
    warmup = LinearLR(optimizer, start_factor=0.01, total_iters=args.warmup_epochs)
    cosine = CosineAnnealingLR(optimizer, T_max=args.epochs - args.warmup_epochs)
    scheduler = SequentialLR(optimizer, [warmup, cosine], milestones=[args.warmup_epochs])
    scaler = torch.cuda.amp.GradScaler(enabled=args.amp)

    start_epoch, best = 0, 0.0
    if args.resume:
        state = torch.load(args.resume)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best = state["epoch"] + 1, state["best_top1"]

    history = []
    for epoch in range(start_epoch, args.epochs):
        train_loss = train_one_epoch(model, train_loader, optimizer, scaler, device, epoch, args)
        scheduler.step()
        metrics = evaluate(model, val_loader, device)
        metrics.update(epoch=epoch, train_loss=train_loss, lr=scheduler.get_last_lr()[0])
        history.append(metrics)
        log.info("epoch %d: %s", epoch, json.dumps(metrics))
        if metrics["top1"] > best:
            best = metrics["top1"]
            save_checkpoint(args.output / "best.pth", model, optimizer, scheduler, epoch, best)
        save_checkpoint(args.output / "last.pth", model, optimizer, scheduler, epoch, best)
    (args.output / "history.json").write_text(json.dumps(history, indent=2))
    log.info("best top-1 %.2f", best)


if __name__ == "__main__":
    main()
