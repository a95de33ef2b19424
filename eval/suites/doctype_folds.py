"""The doctype suite's leave-one-family-out folds, several at once: each fold trains a model on
every family but one (choosing its fusion weights by leave-one-family-out inside, minutes each) and
types the family left out, clean and OCR-noised. The folds read precomputed embeddings and need no
encoder, so they run in separate processes (spawned). Each fold uses one BLAS thread, in a process of
its own or not: the answers depend slightly on the threads' summation order (fold 9 of the ten-family
suite, trained with BLAS on two cores, read 5 of its 560 documents otherwise, macro-F1 0.903 against
0.913 on one), so the suite's figures do not depend on the number of cores or of processes."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np
from tqdm.auto import tqdm

# Folds at once when the suite says "one per core": each holds its n-gram matrices (about 1 GiB at
# 40 texts per type and family), so a many-core machine is not filled with them.
MAX_FOLD_WORKERS = 4

_DATA: dict = {}


def _init(records, heads, noisy, noisy_heads, fusion_weights=None) -> None:
    _DATA.update(records=records, heads=heads, noisy=noisy, noisy_heads=noisy_heads, fusion_weights=fusion_weights)


def fold(family: int) -> dict:
    """Train on every family but ``family`` and type it: ranked predictions (best first, with
    alternatives), the OCR-noised copies' types, the n-grams' alone, and, with embeddings, which
    documents the cascade embeds and the types with every document fused and without the title.
    With fixed fusion weights (:func:`run_folds`) the fold uses them instead of choosing its own."""
    from ingest.documents import train_doctype_model

    records, heads = _DATA["records"], _DATA["heads"]
    noisy, noisy_heads = _DATA["noisy"], _DATA["noisy_heads"]
    weights = _DATA.get("fusion_weights")  # None: the fold chooses its own
    model = train_doctype_model(records, holdout_family=family, encoder=None, embeddings=heads, fusion_weights=weights)
    idx = [i for i, r in enumerate(records) if r["family"] == family and not r.get("train_only")]  # scored
    texts = [records[i]["text"] for i in idx]
    emb = heads[idx] if heads is not None else None
    noisy_emb = noisy_heads[idx] if noisy_heads is not None else None
    out = {
        "ranked": model.rank(texts, emb),
        "noisy": [t for t, _ in model.predict([noisy[i] for i in idx], noisy_emb)],
        "ngram": [t for t, _ in model.predict(texts, ngrams_only=True)],
        "weights": model.meta.get("fusion_weights"),
        "embedded": [],
        "fused": [],
        "untitled": [],
    }
    clf = model.classifier
    if clf.embedding_model_ is not None:  # how often the cascade embeds, and every text fused
        out["embedded"] = [bool(e) for e in clf.embeds(texts)]
        clf.ngram_sure = 1.01
        out["fused"] = [t for t, _ in model.predict(texts, emb)]
        clf.fusion_weights_ = (clf.fusion_weights_[0], 0.0)  # without the title line
        out["untitled"] = [t for t, _ in model.predict(texts, emb)]
    return out


def _fold_alone(family: int) -> dict:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return fold(family)


def run_folds(
    families: list[int],
    records: list[dict],
    heads: np.ndarray | None,
    noisy: list[str],
    noisy_heads: np.ndarray | None,
    workers: int = 0,
    fusion_weights: tuple[float, float] | None = None,
) -> list[dict]:
    """:func:`fold` for every family, in the order given; ``workers`` processes at once (0: one per
    core, at most :data:`MAX_FOLD_WORKERS`; 1: in this process), with a progress bar over folds.
    ``fusion_weights`` (head, title): the same fixed weights in every fold (None: each fold chooses
    its own by leave-one-family-out over its training families)."""
    n = min(len(families), workers or min(os.cpu_count() or 1, MAX_FOLD_WORKERS))
    bar = tqdm(total=len(families), desc="doctype: held-out families", unit="family")
    try:
        if n <= 1:
            _init(records, heads, noisy, noisy_heads, fusion_weights)
            results = {}
            for family in families:
                results[family] = _fold_alone(family)
                bar.update()
            return [results[f] for f in families]
        ctx = multiprocessing.get_context("spawn")  # the parent's encoder threads are not forked
        data = (records, heads, noisy, noisy_heads, fusion_weights)
        with ProcessPoolExecutor(n, mp_context=ctx, initializer=_init, initargs=data) as pool:
            futures = {pool.submit(_fold_alone, family): family for family in families}
            results = {}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update()
        return [results[f] for f in families]
    finally:
        bar.close()
        _DATA.clear()
