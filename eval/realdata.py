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


@dataclass(frozen=True)
class SpbAppeal:
    id: str
    date: str  # ISO timestamp
    category: str
    reason: str
    text: str
    answer: str | None
    district: str


def load_spb_appeals(path: Path) -> list[SpbAppeal]:
    """Real St Petersburg city-portal appeals (jsonl or jsonl.gz), sorted by date."""
    import gzip
    import json

    path = Path(path)
    if path.is_dir():
        folder = path / "spb_appeals" if (path / "spb_appeals").is_dir() else path
        found = sorted(folder.glob("*.jsonl.gz")) + sorted(folder.glob("*.jsonl"))
        if not found:
            raise FileNotFoundError(f"no SPb appeals (*.jsonl[.gz]) under {path}")
        path = found[0]
    opener = gzip.open if path.suffix == ".gz" else open
    out = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if not (r.get("text") or "").strip():
                continue
            out.append(
                SpbAppeal(
                    id=str(r["id"]),
                    date=r["date"],
                    category=r["category"],
                    reason=r.get("reason") or "",
                    text=r["text"],
                    answer=r.get("answer"),
                    district=r.get("district") or "",
                )
            )
    out.sort(key=lambda a: (a.date, a.id))
    return out


def temporal_split(
    appeals: list[SpbAppeal], test_from: str = "2020-12-01", validation_from: str = "2020-11-20"
) -> dict[str, list[SpbAppeal]]:
    """Train on earlier appeals, validate on the next ones, test on the latest month.

    Defaults for the 2020 dump (Oct-Dec): train 1 Oct-19 Nov, validation 20-30 Nov, test December.
    """
    split: dict[str, list[SpbAppeal]] = {"train": [], "validation": [], "test": []}
    for a in appeals:
        day = a.date[:10]
        key = "test" if day >= test_from else "validation" if day >= validation_from else "train"
        split[key].append(a)
    return split


@dataclass(frozen=True)
class PhoneScan:
    file: str
    image: Path
    doc_type_id: int
    doc_type: str
    ocr_text: str  # a commercial engine's output: a second opinion, not ground truth


def load_phone_scans(path: Path) -> list[PhoneScan]:
    import json

    path = Path(path)
    if (path / "phone_scan").is_dir():
        path = path / "phone_scan"
    out = []
    with open(path / "ocr_text_scans.jsonl", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            out.append(
                PhoneScan(
                    file=r["file"],
                    image=path / "images" / f"{r['file']}.jpg",
                    doc_type_id=int(r["doc_type_id"]),
                    doc_type=r["doc_type"],
                    ocr_text=r.get("ocr_text") or "",
                )
            )
    return out


def load_court_excerpts(path: Path) -> list[dict]:
    import json

    path = Path(path)
    if path.is_dir():
        path = path / "court_decisions_excerpts.jsonl"
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def default_real_data_dir() -> Path | None:
    """``../shared/data/real`` beside the checkout, when it is there."""
    here = Path(__file__).resolve().parents[1]
    cand = here.parent / "shared" / "data" / "real"
    return cand if cand.is_dir() else None
