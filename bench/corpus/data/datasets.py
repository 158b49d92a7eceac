"""Datasets, transforms and samplers shared by the training scripts."""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, Sampler
from torchvision import transforms as T

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def build_transforms(train: bool, image_size: int = 224, crop_pct: float = 0.875) -> Callable:
    """Standard ImageNet-style augmentation for training, resize + center crop for eval."""
    normalize = T.Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
    if train:
        return T.Compose([
            T.RandomResizedCrop(image_size, scale=(0.08, 1.0)),
            T.RandomHorizontalFlip(),
            T.ColorJitter(0.4, 0.4, 0.4),
            T.ToTensor(),
            normalize,
        ])
    resize = int(math.floor(image_size / crop_pct))
    return T.Compose([T.Resize(resize), T.CenterCrop(image_size), T.ToTensor(), normalize])


class ImageFolderDataset(Dataset):
    """Images in ``root/<class>/*.jpg``; classes sorted by folder name."""

    def __init__(self, root: Path, transform: Callable | None = None) -> None:
        self.root = Path(root)
        self.classes = sorted(p.name for p in self.root.iterdir() if p.is_dir())
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.samples: list[tuple[Path, int]] = []
        for cls in self.classes:
            for path in sorted((self.root / cls).rglob("*")):
                if path.suffix.lower() in IMG_EXTENSIONS:
                    self.samples.append((path, self.class_to_idx[cls]))
        if not self.samples:
            raise FileNotFoundError(f"no images under {self.root}")
        self.transform = transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, target = self.samples[index]
        with Image.open(path) as img:
            img = img.convert("RGB")
        if self.transform is not None:
            img = self.transform(img)
        return img, target

    def class_counts(self) -> Counter:
        return Counter(t for _, t in self.samples)


class CsvTabularDataset(Dataset):
    """Rows of a CSV file as float feature vectors and an integer or float target column."""

    def __init__(self, path: Path, target: str, features: Sequence[str] | None = None,
                 classification: bool = True) -> None:
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
        if not rows:
            raise ValueError(f"{path} has no rows")
        self.features = list(features or [k for k in rows[0] if k != target])
        x = np.array([[float(r[f] or "nan") for f in self.features] for r in rows],
                     dtype=np.float32)
        self.mean = np.nanmean(x, axis=0)
        self.std = np.nanstd(x, axis=0) + 1e-6
        x = np.where(np.isnan(x), self.mean, x)
        self.x = torch.from_numpy((x - self.mean) / self.std)
        y = [r[target] for r in rows]
        if classification:
            self.labels = sorted(set(y))
            self.y = torch.tensor([self.labels.index(v) for v in y], dtype=torch.long)
        else:
            self.y = torch.tensor([float(v) for v in y], dtype=torch.float32)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[index], self.y[index]


class BalancedBatchSampler(Sampler[list[int]]):
    """Batches with the same number of samples from each of ``classes_per_batch`` classes."""

    def __init__(self, labels: Sequence[int], classes_per_batch: int, samples_per_class: int,
                 seed: int = 0) -> None:
        self.by_class: dict[int, list[int]] = {}
        for idx, label in enumerate(labels):
            self.by_class.setdefault(int(label), []).append(idx)
        self.classes_per_batch = classes_per_batch
        self.samples_per_class = samples_per_class
        self.generator = torch.Generator().manual_seed(seed)
        self.num_batches = len(labels) // (classes_per_batch * samples_per_class)

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[list[int]]:
        classes = list(self.by_class)
        for _ in range(self.num_batches):
            chosen = torch.randperm(len(classes), generator=self.generator)[: self.classes_per_batch]
            batch = []
            for c in chosen.tolist():
                pool = self.by_class[classes[c]]
                picks = torch.randint(len(pool), (self.samples_per_class,), generator=self.generator)
                batch.extend(pool[i] for i in picks.tolist())
            yield batch


def pad_collate(batch: list[tuple[torch.Tensor, int]], pad_value: float = 0.0
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pad variable-length sequences to the longest in the batch; also return the lengths."""
    seqs, targets = zip(*batch, strict=True)
    lengths = torch.tensor([s.shape[0] for s in seqs])
    out = torch.full((len(seqs), int(lengths.max()), *seqs[0].shape[1:]), pad_value)
    for i, s in enumerate(seqs):
        out[i, : s.shape[0]] = s
    return out, lengths, torch.tensor(targets)


def mixup(images: torch.Tensor, targets: torch.Tensor, num_classes: int, alpha: float = 0.2
          ) -> tuple[torch.Tensor, torch.Tensor]:
    """Blend pairs of samples and their one-hot targets with a Beta(alpha, alpha) weight."""
    lam = float(np.random.beta(alpha, alpha))
    perm = torch.randperm(images.size(0), device=images.device)
    one_hot = torch.nn.functional.one_hot(targets, num_classes).float()
    mixed = lam * images + (1 - lam) * images[perm]
    return mixed, lam * one_hot + (1 - lam) * one_hot[perm]
