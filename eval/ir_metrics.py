"""Retrieval metrics over ranked id lists."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def recall_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def capped_recall_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Recall with the denominator min(|relevant|, k): 1.0 means the top k is as full of relevant
    items as it can be (plain recall@k cannot reach 1 when more than k items are relevant)."""
    return len(set(ranked[:k]) & relevant) / min(len(relevant), k) if relevant else 0.0


def mrr_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    for i, r in enumerate(ranked[:k], start=1):
        if r in relevant:
            return 1.0 / i
    return 0.0


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain of gains listed by rank (log2 discount)."""
    return sum(g / math.log2(i + 1) for i, g in enumerate(gains, start=1))


def ndcg_at(ranked: Sequence[str], grades: Mapping[str, float], k: int) -> float:
    """nDCG with graded relevance (gain = grade)."""
    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    return dcg([grades.get(r, 0.0) for r in ranked[:k]]) / ideal if ideal else 0.0


def precision_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return len([r for r in ranked[:k] if r in relevant]) / k
