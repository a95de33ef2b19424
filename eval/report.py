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
