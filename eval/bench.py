"""Benchmarks (``claims bench``): speed and memory, measured in a fresh process per model."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import platform
import resource
import statistics
import time
from pathlib import Path

import numpy as np

from eval.realdata import load_stsb


def make_documents(sentences: list[str], n: int, words: int = 100, seed: int = 0) -> list[str]:
    """``n`` pseudo-documents of about ``words`` words, each a random run of real sentences."""
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(n):
        parts, count = [], 0
        while count < words:
            s = sentences[int(rng.integers(len(sentences)))]
            parts.append(s)
            count += len(s.split())
        docs.append(" ".join(parts))
    return docs


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def bench_one(name: str, stsb_path: str, models_dir: str, n_docs: int, n_queries: int) -> dict:
    """Run in a child process so that ``ru_maxrss`` is this encoder's own peak. ``name`` may carry
    an e5 backend after a colon (``e5-small:torch``)."""
    from models.encoders import load_encoder

    pairs = load_stsb(Path(stsb_path))
    sentences = [p.sentence1 for p in pairs] + [p.sentence2 for p in pairs]
    t0 = time.perf_counter()
    spec, _, backend = name.partition(":")
    enc = load_encoder(spec, Path(models_dir), backend=backend or None)
    load_s = time.perf_counter() - t0

    docs = make_documents(sentences, n_docs)
    enc.encode_documents(docs[:8], progress=False)  # warm-up
    t0 = time.perf_counter()
    enc.encode_documents(docs, batch_size=32, progress=False)
    docs_per_s = len(docs) / (time.perf_counter() - t0)

    latencies = []
    for q in sentences[:n_queries]:
        t0 = time.perf_counter()
        enc.encode_queries([q], progress=False)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]

    # Symmetric similarity: both sides as queries (e5's advice for STS); cosine vs human score.
    a = enc.encode_queries([p.sentence1 for p in pairs], progress=False)
    b = enc.encode_queries([p.sentence2 for p in pairs], progress=False)
    rho = spearman((a * b).sum(1), np.array([p.score for p in pairs]))

    return {
        "encoder": enc.name,
        "runtime": type(enc).__name__,
        "dim": enc.dim,
        "version": enc.version,
        "load_s": round(load_s, 2),
        "docs_per_s": round(docs_per_s, 1),
        "doc_words_mean": round(float(np.mean([len(d.split()) for d in docs])), 1),
        "query_ms_median": round(statistics.median(latencies), 2),
        "query_ms_p95": round(p95, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        "stsb_spearman": round(rho, 4),
        "stsb_pairs": len(pairs),
    }


def machine_description() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def run_encoder_bench(
    names: list[str], stsb_path: Path, models_dir: Path, n_docs: int = 1000, n_queries: int = 100
) -> list[dict]:
    results = []
    ctx = multiprocessing.get_context("spawn")
    for name in names:
        with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            fut = pool.submit(bench_one, name, str(stsb_path), str(models_dir), n_docs, n_queries)
            try:
                res = fut.result()
            except Exception as exc:  # one broken encoder must not hide the others' figures
                res = {"encoder": name, "error": f"{type(exc).__name__}: {exc}"}
        res["machine"] = machine_description()
        results.append(res)
    return results


def format_encoder_table(results: list[dict]) -> str:
    head = (
        "| encoder | runtime | dim | docs/s (~100 words) | query median ms | query p95 ms | peak RSS MB "
        "| STS-ru test Spearman |\n|---|---|---|---|---|---|---|---|"
    )
    rows = []
    for r in results:
        if "error" in r:
            rows.append(f"| {r['encoder']} | error: {r['error']} |||||||")
            continue
        rows.append(
            f"| {r['encoder']} | {r.get('runtime', '')} | {r['dim']} | {r['docs_per_s']} | {r['query_ms_median']} "
            f"| {r['query_ms_p95']} | {r['peak_rss_mb']:.0f} | {r['stsb_spearman']} |"
        )
    machine = results[0].get("machine", "") if results else ""
    return "\n".join([head, *rows, "", f"machine: {machine}"])


def run_refund_bench(models_dir: Path, n: int = 200) -> dict:
    """Latency of one refund verdict from a claim letter (facts read, rules, the learned layer with
    its account reading), after warm-up, model load excluded; letters with and without an account."""
    from classify.refund.extract import extract_facts
    from classify.refund.model import load_refund_model
    from classify.refund.verdict import assess
    from synth.refund import generate_refund_cases
    from synth.refund_accounts import HELD_OUT_FAMILIES

    t0 = time.perf_counter()
    model = load_refund_model(models_dir)
    load_s = time.perf_counter() - t0
    letters = [c.letter for c in generate_refund_cases(777, max(1, n // 25 + 1), HELD_OUT_FAMILIES)][:n]
    for letter in letters[:8]:  # warm-up
        assess(extract_facts(letter), model)
    lat: dict[bool, list[float]] = {True: [], False: []}
    for letter in letters:
        t0 = time.perf_counter()
        facts = extract_facts(letter)
        assess(facts, model)
        lat[facts.account is not None].append((time.perf_counter() - t0) * 1000)
    out = {"load_s": round(load_s, 2), "letters": len(letters), "text_block": bool(model.meta.get("text_block"))}
    for told, name in ((True, "with_account"), (False, "without_account")):
        if lat[told]:
            out[f"{name}_n"] = len(lat[told])
            out[f"{name}_ms_p50"] = round(float(np.percentile(lat[told], 50)), 1)
            out[f"{name}_ms_p95"] = round(float(np.percentile(lat[told], 95)), 1)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["machine"] = machine_description()
    return out


def run_classify_bench(models_dir: Path, profile: str, n_single: int = 200, n_batch: int = 1000) -> dict:
    """Latency of one appeal (after warm-up, model load excluded) and batch throughput."""
    from classify.profiles import load_profile
    from synth.appeals import generate_appeals

    t0 = time.perf_counter()
    model = load_profile(models_dir, profile)
    load_s = time.perf_counter() - t0
    texts = (
        [r.text for r in generate_appeals(777, 4, taxonomies=(profile,))] if profile in ("finance", "telecom") else []
    )
    if not texts:
        raise ValueError(f"no benchmark texts for profile {profile!r}")
    model.predict(texts[:8])  # warm-up
    lat = []
    for t in texts[:n_single]:
        t0 = time.perf_counter()
        model.predict([t])
        lat.append((time.perf_counter() - t0) * 1000)
    batch = (texts * (n_batch // len(texts) + 1))[:n_batch]
    t0 = time.perf_counter()
    model.predict(batch)
    per_s = len(batch) / (time.perf_counter() - t0)
    return {
        "profile": profile,
        "encoder": model.meta.get("encoder"),
        "load_s": round(load_s, 2),
        "single_ms_p50": round(float(np.percentile(lat, 50)), 1),
        "single_ms_p95": round(float(np.percentile(lat, 95)), 1),
        "batch_texts_per_s": round(per_s, 1),
        "mean_words": round(float(np.mean([len(t.split()) for t in texts[:n_single]])), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "machine": machine_description(),
    }
