"""``claims data generate``: every synthetic data set, deterministic for a seed, written atomically."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from models.registry import atomic_folder, now_iso
from synth.appeals import generate_appeals
from synth.decisions import generate_decisions
from synth.packages import build_packages, write_packages
from synth.refund import generate_refund_cases

GENERATOR_VERSION = 1
SIZES = {
    # appeals per template family
    "small": {
        "appeals_per_family": 6,
        "decisions": 300,
        "queries": 60,
        "refund_per_scenario": 8,
        "packages_per_process": 4,
    },
    "full": {
        "appeals_per_family": 40,
        "decisions": 5000,
        "queries": 500,
        "refund_per_scenario": 40,
        "packages_per_process": 24,
    },
}


def _write_jsonl(path: Path, records: Iterable[dict]) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n


def generate(out: Path, seed: int = 0, size: str = "full", progress: Callable[[str], None] = lambda _: None) -> dict:
    """Generate every data set into ``out`` (replaced atomically) and return the manifest."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}: use one of {sorted(SIZES)}")
    params = SIZES[size]
    counts: dict[str, int] = {}
    labels: dict[str, dict] = {}
    with atomic_folder(Path(out)) as tmp:
        progress("appeals")
        appeals = [r.to_json() for r in generate_appeals(seed, params["appeals_per_family"])]
        counts["appeals"] = _write_jsonl(tmp / "appeals.jsonl", appeals)
        labels["appeals"] = dict(Counter(f"{r['taxonomy']}/{r['category']}" for r in appeals))
        progress("decisions and search queries")
        decisions, queries = generate_decisions(seed, params["decisions"], params["queries"])
        counts["decisions"] = _write_jsonl(tmp / "decisions.jsonl", (d.to_json() for d in decisions))
        counts["search_queries"] = _write_jsonl(tmp / "search_queries.jsonl", (q.to_json() for q in queries))
        labels["decisions"] = dict(Counter(f"{d.category}/{d.outcome}" for d in decisions))
        progress("refund cases")
        refunds = generate_refund_cases(seed, params["refund_per_scenario"])
        counts["refund_cases"] = _write_jsonl(tmp / "refund_cases.jsonl", (c.to_json() for c in refunds))
        labels["refund_cases"] = dict(Counter(c.verdict for c in refunds))
        progress("document packages (PDF and scans)")
        packages = build_packages(seed, params["packages_per_process"])
        (tmp / "packages").mkdir()
        records = write_packages(packages, tmp / "packages", seed)
        counts["packages"] = _write_jsonl(tmp / "packages.jsonl", records)
        counts["package_documents"] = sum(len(r["documents"]) for r in records)
        labels["packages"] = dict(Counter(f"{r['process']}/{r['defect'] or 'complete'}" for r in records))
        manifest = {
            "generator_version": GENERATOR_VERSION,
            "seed": seed,
            "size": size,
            "params": params,
            "counts": counts,
            "labels": labels,
            "created_at": now_iso(),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def load_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_manifest(data_dir: Path) -> dict:
    path = Path(data_dir) / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(f"{data_dir} holds no generated data (run `claims data generate`)")
    return json.loads(path.read_text(encoding="utf-8"))
