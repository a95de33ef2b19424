"""Near-duplicate detection between two text collections (TF-IDF on character n-grams)."""

from __future__ import annotations

import numpy as np

from models.text import normalise


def max_similarity_to(reference: list[str], queries: list[str], batch: int = 2000) -> np.ndarray:
    """For each query text, the highest cosine similarity to any reference text."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not reference or not queries:
        return np.zeros(len(queries))
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=1, sublinear_tf=True)
    ref = vec.fit_transform([normalise(t) for t in reference])
    q = vec.transform([normalise(t) for t in queries])
    out = np.empty(q.shape[0])
    for start in range(0, q.shape[0], batch):
        sims = q[start : start + batch] @ ref.T
        out[start : start + batch] = sims.max(axis=1).toarray().ravel()
    return out


def exact_duplicate_rate(texts: list[str]) -> float:
    """Share of texts whose normalised form occurs more than once."""
    from collections import Counter

    norm = [normalise(t) for t in texts]
    counts = Counter(norm)
    return sum(1 for t in norm if counts[t] > 1) / max(1, len(norm))
