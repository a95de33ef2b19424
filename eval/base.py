"""The evaluator contract every suite follows."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class EvalContext:
    """What a suite may read: the generated data folder, the real data folder, the models folder."""

    data_dir: Path | None
    real_dir: Path | None
    models_dir: Path
    seed: int = 0
    encoder: str = "e5-small"
    classify_encoder: str = "e5-small-int8"  # what the category suite trains its models with
    doctype_encoder: str = "e5-small-int8"  # what the doctype suite fuses with n-grams ("none": n-grams only)
    cache_dir: Path | None = None  # reusable work (e.g. embedded indexes) between runs


@dataclass
class EvalOutput:
    """A suite's result: flat metrics, optional per-item predictions, report sections and plots."""

    metrics: dict[str, float | int | str]
    predictions: list[dict] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)  # (heading, markdown)
    plots: dict[str, Callable[[Path], None]] = field(default_factory=dict)  # file name -> writer
    versions: dict[str, str] = field(default_factory=dict)  # model name -> version


class Evaluator(abc.ABC):
    """One evaluation suite: ``name``, its primary metric and direction, and ``__call__``."""

    name: str
    primary_metric: str
    greater_is_better: bool = True

    @abc.abstractmethod
    def __call__(self, ctx: EvalContext) -> EvalOutput: ...


def cached_array(ctx: EvalContext, name: str, texts: list[str], compute) -> np.ndarray:
    """``compute(texts)``, kept in the run cache under ``name`` and the texts' digest."""
    import hashlib

    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = Path(ctx.cache_dir) / f"{name}-{digest}.npy" if ctx.cache_dir else None
    if path is not None and path.is_file():
        return np.load(path)
    arr = compute(texts)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path.with_suffix(".tmp.npy"), arr)
        path.with_suffix(".tmp.npy").replace(path)
    return arr
