"""Loaders for the real data sets beside a checkout (``shared/data/real``); each takes a path."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StsPair:
    sentence1: str
    sentence2: str
    score: float  # human similarity, 0..5


def load_stsb(path: Path) -> list[StsPair]:
    """STS-B machine-translated into Russian: headerless CSV of (sentence 1, sentence 2, score)."""
    pairs = []
    with open(path, encoding="utf-8", newline="") as fh:
        for lineno, row in enumerate(csv.reader(fh), start=1):
            if len(row) != 3:
                raise ValueError(f"{path}:{lineno}: expected 3 columns, got {len(row)}")
            pairs.append(StsPair(row[0], row[1], float(row[2])))
    if not pairs:
        raise ValueError(f"{path}: no sentence pairs")
    return pairs
