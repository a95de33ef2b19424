"""Reading labelled data for category profiles, and the generated data the shipped profiles use."""

from __future__ import annotations

import json
import random
from pathlib import Path

DEFAULT_PROFILES = ("finance", "telecom")
SHIPPED_PER_FAMILY = 12  # appeals per template family for the shipped profiles: ~2 minutes with e5


def read_labelled(
    path: Path,
    text_field: str,
    label_field: str,
    split_field: str | None = "split",
    validation_share: float = 0.2,
    seed: int = 0,
) -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]], int]:
    """(train, validation, skipped lines). Uses the records' own split when they carry one
    ("train"/"validation"; other values are ignored), otherwise a seeded stratified split."""
    records, skipped = [], 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                text, label = r[text_field], r[label_field]
            except (json.JSONDecodeError, KeyError, TypeError):
                skipped += 1
                continue
            if not isinstance(text, str) or not text.strip() or label in (None, ""):
                skipped += 1
                continue
            records.append((text, str(label), r.get(split_field) if split_field else None))
    has_split = any(s in ("train", "validation") for _, _, s in records)
    if has_split:
        train = [(t, y) for t, y, s in records if s == "train"]
        val = [(t, y) for t, y, s in records if s == "validation"]
    else:
        rng = random.Random(seed)
        by_label: dict[str, list[tuple[str, str]]] = {}
        for t, y, _ in records:
            by_label.setdefault(y, []).append((t, y))
        train, val = [], []
        for items in by_label.values():
            rng.shuffle(items)
            n_val = int(round(len(items) * validation_share)) if len(items) >= 5 else 0
            val += items[:n_val]
            train += items[n_val:]
    return ([t for t, _ in train], [y for _, y in train]), ([t for t, _ in val], [y for _, y in val]), skipped


def shipped_training_data(profile: str, seed: int = 0):
    """Train and validation appeals of a default profile, generated deterministically."""
    from synth.appeals import generate_appeals

    recs = list(generate_appeals(seed, SHIPPED_PER_FAMILY, taxonomies=(profile,)))
    train = [r for r in recs if r.split == "train"]
    val = [r for r in recs if r.split == "validation"]
    return ([r.text for r in train], [r.category for r in train]), ([r.text for r in val], [r.category for r in val])
