"""Reading labelled data for category profiles, and the generated data the shipped profiles use."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

DEFAULT_PROFILES = ("finance", "telecom")
SHIPPED_PER_FAMILY = 12  # appeals per template family for the shipped profiles: ~2 minutes with e5


def _is_label(value) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_labelled(
    path: Path,
    text_field: str,
    label_field: str,
    split_field: str | None = "split",
    validation_share: float = 0.2,
    seed: int = 0,
    group_field: str | None = None,
) -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]], int]:
    """(train, validation, skipped lines). Uses the records' own split when they carry one
    ("train"/"validation"; other values are ignored), otherwise a seeded split per label: of whole
    groups when ``group_field`` names one (a template, a source, an author: near-copies then never
    sit on both sides, so the validation figures, the review threshold among them, are not
    flattered), else of records. A record without the group field is a group of its own."""
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
            # a label is text or a number; a list or an object there is a malformed line, not a class
            if not isinstance(text, str) or not text.strip() or not _is_label(label):
                skipped += 1
                continue
            group = r.get(group_field) if group_field else None
            records.append((text, str(label), r.get(split_field) if split_field else None, group))
    has_split = any(s in ("train", "validation") for _, _, s, _ in records)
    if has_split:
        train = [(t, y) for t, y, s, _ in records if s == "train"]
        val = [(t, y) for t, y, s, _ in records if s == "validation"]
    else:
        rng = random.Random(seed)
        groups: dict[object, list[tuple[str, str]]] = {}
        for i, (t, y, _, g) in enumerate(records):
            groups.setdefault(("group", str(g)) if g is not None else ("record", i), []).append((t, y))
        by_label: dict[str, list[list[tuple[str, str]]]] = {}  # a group goes with its most common label
        for unit in groups.values():
            by_label.setdefault(Counter(y for _, y in unit).most_common(1)[0][0], []).append(unit)
        train, val = [], []
        for units in by_label.values():
            rng.shuffle(units)
            n_items = sum(len(u) for u in units)
            target = round(n_items * validation_share) if n_items >= 5 and len(units) >= 2 else 0
            taken = 0
            for unit in units[:-1]:  # the last group stays in train: every label is learned
                if taken < target:
                    val += unit
                    taken += len(unit)
                else:
                    train += unit
            train += units[-1]
    return ([t for t, _ in train], [y for _, y in train]), ([t for t, _ in val], [y for _, y in val]), skipped


def shipped_training_data(profile: str, seed: int = 0):
    """Train and validation appeals of a default profile, generated deterministically."""
    from synth.appeals import generate_appeals

    recs = list(generate_appeals(seed, SHIPPED_PER_FAMILY, taxonomies=(profile,)))
    train = [r for r in recs if r.split == "train"]
    val = [r for r in recs if r.split == "validation"]
    return ([r.text for r in train], [r.category for r in train]), ([r.text for r in val], [r.category for r in val])
