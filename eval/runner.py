"""``claims eval run`` and ``claims eval compare``: run a suite, write its artifacts, diff two runs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import time
from pathlib import Path

from eval.base import EvalContext, Evaluator
from models.registry import atomic_folder


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        ).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def hash_paths(paths: list[Path]) -> str:
    """sha256 over the bytes of every file under the given paths (sorted, names included)."""
    h = hashlib.sha256()
    for root in sorted(p for p in paths if p is not None):
        files = sorted(f for f in Path(root).rglob("*") if f.is_file()) if Path(root).is_dir() else [root]
        for f in files:
            h.update(str(f.relative_to(root) if Path(root).is_dir() else f.name).encode())
            with open(f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def run_suite(suite: Evaluator, ctx: EvalContext, out_root: Path) -> Path:
    """Run ``suite`` and write ``metrics.json``, ``predictions.jsonl``, ``report.md`` and plots."""
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    result = suite(ctx)
    seconds = time.perf_counter() - t0
    run_id = f"{suite.name}-{started.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    target = Path(out_root) / run_id
    meta = {
        "suite": suite.name,
        "primary_metric": suite.primary_metric,
        "greater_is_better": suite.greater_is_better,
        "git_commit": git_commit(),
        "data_hash": hash_paths([p for p in (ctx.data_dir,) if p]) if ctx.data_dir else None,
        "real_data": str(ctx.real_dir) if ctx.real_dir else None,
        "model_versions": result.versions,
        "seed": ctx.seed,
        "started_at": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    with atomic_folder(target) as tmp:
        (tmp / "metrics.json").write_text(
            json.dumps({"metrics": result.metrics, "meta": meta}, indent=2, ensure_ascii=False)
        )
        with open(tmp / "predictions.jsonl", "w", encoding="utf-8") as fh:
            for p in result.predictions:
                fh.write(json.dumps(p, ensure_ascii=False) + "\n")
        for name, writer in result.plots.items():
            writer(tmp / name)
        (tmp / "report.md").write_text(render_report(suite, result.metrics, meta, result.sections, result.plots))
    return target


def render_report(suite, metrics, meta, sections, plots) -> str:
    lines = [f"# Evaluation: {suite.name}", ""]
    primary = metrics.get(suite.primary_metric)
    lines.append(f"Primary metric `{suite.primary_metric}` = **{primary}** ")
    lines.append(f"({'higher' if suite.greater_is_better else 'lower'} is better)")
    lines += ["", "## Run", ""]
    lines += [f"- {k}: `{v}`" for k, v in meta.items() if k not in ("suite",)]
    for heading, body in sections:
        lines += ["", f"## {heading}", "", body]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in plots]
    lines += ["", "## All metrics", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(metrics.items())]
    return "\n".join(lines) + "\n"


def load_metrics(run_dir: Path) -> dict:
    path = Path(run_dir) / "metrics.json"
    if not path.exists():
        raise FileNotFoundError(f"{run_dir} is not an evaluation run (no metrics.json)")
    return json.loads(path.read_text(encoding="utf-8"))


def compare_runs(run_a: Path, run_b: Path) -> list[tuple[str, object, object, float | None]]:
    """Metric name, value in A, value in B, and B - A where both are numbers."""
    a, b = load_metrics(run_a)["metrics"], load_metrics(run_b)["metrics"]
    rows = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        delta = None
        if isinstance(va, int | float) and isinstance(vb, int | float):
            delta = vb - va
        rows.append((key, va, vb, delta))
    return rows
