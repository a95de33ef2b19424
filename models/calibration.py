"""Probability calibration and abstention shared by every classifier: temperature scaling fitted on
held-out data, and the confidence threshold under which an answer goes to a reviewer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, y_idx: np.ndarray) -> float:
    """The temperature minimising log-loss on held-out data (calibration that keeps the argmax)."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        p = softmax(logits / np.exp(log_t))
        return float(-np.log(np.clip(p[np.arange(len(y_idx)), y_idx], 1e-12, None)).mean())

    res = minimize_scalar(nll, bounds=(-3, 3), method="bounded")
    return float(np.exp(res.x))


@dataclass
class ReviewThreshold:
    threshold: float
    precision: float  # on validation, among answers at or above the threshold
    coverage: float  # share of validation items answered (not sent to review)
    target_precision: float


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, target_precision: float) -> ReviewThreshold:
    """The lowest confidence threshold whose answered items reach ``target_precision``."""
    order = np.argsort(-confidence, kind="stable")
    conf, ok = confidence[order], correct[order].astype(float)
    precision = np.cumsum(ok) / np.arange(1, len(ok) + 1)
    good = np.flatnonzero(precision >= target_precision)
    if not len(good):
        return ReviewThreshold(1.01, float("nan"), 0.0, target_precision)
    i = good[-1]  # the largest answered set that still meets the target
    return ReviewThreshold(float(conf[i]), float(precision[i]), float((i + 1) / len(ok)), target_precision)
