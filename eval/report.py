"""Markdown reports and the plots a reader would rather look at."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def fmt(v: object) -> str:
        return f"{v:.4f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(path: Path, matrix: np.ndarray, labels: Sequence[str], title: str) -> None:
    plt = _pyplot()
    n = len(labels)
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * n + 3), max(5, 0.5 * n + 2.5)))
    norm = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(n), labels, fontsize=8)
    for i in range(n):
        for j in range(n):
            if matrix[i, j]:
                color = "white" if norm[i, j] > 0.5 else "black"
                ax.text(j, i, int(matrix[i, j]), ha="center", va="center", fontsize=7, color=color)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_bars(path: Path, values: dict[str, float], title: str, xlabel: str) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, max(3, 0.3 * len(values) + 1)))
    names = list(values)
    ax.barh(names, [values[n] for n in names], color="#4a7fb5")
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_precision_coverage(path: Path, curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str) -> None:
    """Precision of the answers kept when only the most confident share (coverage) is answered."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for name, (coverage, precision) in curves.items():
        ax.plot(coverage, precision, label=name)
    ax.set_xlabel("coverage (share of items answered, most confident first)")
    ax.set_ylabel("precision")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def precision_coverage(correct: np.ndarray, confidence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-confidence, kind="stable")
    hits = np.cumsum(np.asarray(correct, dtype=float)[order])
    n = np.arange(1, len(order) + 1)
    return n / max(len(order), 1), hits / n


def plot_reliability(path: Path, curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str, bins: int = 10) -> None:
    """Calibration: mean confidence vs accuracy per confidence bin (the diagonal is perfect)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    for name, (confidence, correct) in curves.items():
        edges = np.linspace(0, 1, bins + 1)
        idx = np.clip(np.digitize(confidence, edges) - 1, 0, bins - 1)
        xs, ys = [], []
        for b in range(bins):
            m = idx == b
            if m.sum() >= 5:
                xs.append(confidence[m].mean())
                ys.append(np.asarray(correct, dtype=float)[m].mean())
        ax.plot(xs, ys, marker="o", label=name)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(confidence, edges) - 1, 0, bins - 1)
    correct = np.asarray(correct, dtype=float)
    return float(
        sum(
            abs(confidence[idx == b].mean() - correct[idx == b].mean()) * (idx == b).mean()
            for b in range(bins)
            if (idx == b).any()
        )
    )


def family_bootstrap_ci(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    groups: Sequence[str],
    labels: Sequence[str],
    n: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Interval of macro-F1 over redraws of the test's template families: each class's families are
    drawn again with replacement (all of a family's items go together), as if other families of the
    same generator had been held out. Items of one family are near-copies, so resampling items would
    give a far too narrow interval."""
    from sklearn.metrics import f1_score

    y_true, y_pred, groups = np.asarray(y_true), np.asarray(y_pred), np.asarray(groups)
    members = {g: np.flatnonzero(groups == g) for g in np.unique(groups)}
    by_class: dict[str, list[str]] = {}
    for g, idx in members.items():
        by_class.setdefault(str(y_true[idx[0]]), []).append(g)
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(n):
        idx = np.concatenate(
            [members[g] for fams in by_class.values() for g in rng.choice(fams, size=len(fams), replace=True)]
        )
        scores.append(f1_score(y_true[idx], y_pred[idx], labels=list(labels), average="macro", zero_division=0))
    lo, hi = np.quantile(scores, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def misread_families(
    predictions: list[dict], share: float = 0.25, excerpt: str = "title", excerpt_label: str = "title line of one"
) -> str:
    """The (gold, family) groups with at least ``share`` of their items misread, worst first: what each
    was mostly read as, and the ``excerpt`` field of one misread item, so a reader sees which wording the
    model missed. Predictions carry ``gold``, ``family``, ``pred`` and the field that ``excerpt`` names;
    where a class's families hold several kinds (a ``kind`` field), each kind is its own group,
    shown as "family.kind"."""
    from collections import Counter, defaultdict

    groups = defaultdict(list)
    kinds = defaultdict(set)
    for p in predictions:
        groups[(p["gold"], p["family"], p.get("kind", 0))].append(p)
        kinds[p["gold"]].add(p.get("kind", 0))
    misread = []
    for (gold, family, kind), items in groups.items():
        wrong = [p for p in items if p["pred"] != gold]
        if wrong and len(wrong) >= share * len(items):
            misread.append((gold, f"{family}.{kind}" if len(kinds[gold]) > 1 else family, wrong, len(items)))
    misread.sort(key=lambda m: -len(m[2]) / m[3])
    rows = []
    for gold, family, wrong, n in misread:
        read_as = Counter(p["pred"] for p in wrong).most_common(1)[0][0]
        text = " ".join(str(wrong[0][excerpt]).split())
        rows.append([gold, family, f"{len(wrong)}/{n}", read_as, text[:60].replace("|", "/")])
    if not rows:
        return f"No class's family had {share:.0%} of its items misread."
    return markdown_table(["gold", "family", "misread", "mostly read as", excerpt_label], rows)
