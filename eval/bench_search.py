"""``claims bench search``: query latency at 100,000 passages, indexing throughput, bytes per
passage, and approximate-vs-exact search at 1,000,000 vectors."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from eval.suites.search import approx_recall, clustered_vectors
from models.encoders import Encoder, load_encoder


class SyntheticDocumentEncoder(Encoder):
    """Real query encoding, synthetic passage vectors: embedding 100,000 passages with e5 would
    take hours on 2 cores, and a vector's values do not change how long a search takes."""

    def __init__(self, real: Encoder, seed: int = 0):
        self.real, self.name, self.dim = real, real.name, real.dim
        self.version = real.version
        self._rng = np.random.default_rng(seed)

    def _encode_batch(self, texts, kind):
        if kind == "query":
            return self.real.encode_queries(texts, progress=False)
        return clustered_vectors(len(texts), self.dim, 64, self._rng)


def _folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def run_search_bench(models_dir: Path, encoder_name: str, passages: int, vectors: int, seed: int = 0) -> dict:
    from search.adapter import load_query_adapter
    from search.chunking import chunk_sentences
    from search.hybrid import DecisionIndex, indexed_text
    from search.types import DecisionRecord
    from synth.decisions import generate_decisions

    real = load_encoder(encoder_name, models_dir)
    result: dict = {"encoder": f"{real.name}@{real.version}"}

    # Enough generated decisions to make ``passages`` passages (sentences, about 14 each).
    decisions, queries = generate_decisions(seed, max(50, passages // 10), 100)
    records, total = [], 0
    for d in decisions:
        rec = DecisionRecord.from_json(d.to_json())
        total += len(chunk_sentences(rec.id, indexed_text(rec)))
        records.append(rec)
        if total >= passages:
            break

    # Indexing throughput with the real encoder, on real passages (a sample).
    sample = [p.text for r in records[:300] for p in chunk_sentences(r.id, indexed_text(r))][:1000]
    t0 = time.perf_counter()
    real.encode_documents(sample, progress=False)
    result["embed_passages_per_s"] = round(len(sample) / (time.perf_counter() - t0), 1)

    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        # The shipped query adapter, when there is one for this encoder, as the service uses it.
        adapter = load_query_adapter(models_dir, real)
        result["query_adapter"] = adapter is not None
        index = DecisionIndex(Path(tmp), SyntheticDocumentEncoder(real, seed), dense_kind="flat", adapter=adapter)
        t0 = time.perf_counter()
        index.add(records, progress=True)
        build_s = time.perf_counter() - t0
        n = index.dense.count
        result["passages"] = n
        result["decisions"] = len(records)
        result["index_passages_per_s_without_embedding"] = round(n / build_s, 1)
        lat = []
        for q in queries:
            t0 = time.perf_counter()
            index.search(q.query, 10)
            lat.append((time.perf_counter() - t0) * 1000)
        result["query_ms_p50"] = round(float(np.percentile(lat, 50)), 1)
        result["query_ms_p95"] = round(float(np.percentile(lat, 95)), 1)
        dense_b = _folder_bytes(Path(tmp) / "dense")
        lexical_b = _folder_bytes(Path(tmp) / "lexical")
        store_b = index.store.size_bytes()
        result["bytes_per_passage_dense"] = round(dense_b / n)
        result["bytes_per_passage_lexical"] = round(lexical_b / n)
        result["bytes_per_passage_store_with_cache"] = round(store_b / n)
        index.close()

    sweep = approx_recall(vectors, real.dim, nprobes=(64, 128, 256, 512), seed=seed)
    result["approx"] = sweep
    ok = [r for r in sweep if r["recall_at_10_vs_flat"] >= 0.95]
    result["approx_choice"] = ok[0] if ok else None
    return result


def format_search_bench(r: dict, machine: str) -> str:
    lines = [
        f"encoder: {r['encoder']}; machine: {machine}",
        f"{r['passages']:,} passages ({r['decisions']:,} generated decisions): hybrid query p50 "
        f"{r['query_ms_p50']} ms, p95 {r['query_ms_p95']} ms (query encoding"
        + (", the query adapter" if r.get("query_adapter") else "")
        + ", dense flat search, BM25, fusion, grouping, snippet)",
        f"indexing: {r['embed_passages_per_s']} passages/s through the encoder; "
        f"{r['index_passages_per_s_without_embedding']} passages/s for chunking, storing and indexing",
        f"bytes per passage: dense {r['bytes_per_passage_dense']}, lexical {r['bytes_per_passage_lexical']}, "
        f"SQLite store incl. embedding cache {r['bytes_per_passage_store_with_cache']}",
        "",
        "| vectors | nprobe | recall@10 vs flat | search p50 ms | search p95 ms |",
        "|---|---|---|---|---|",
    ]
    for a in r["approx"]:
        lines.append(
            f"| {a['n']:,} | {a['nprobe']} | {a['recall_at_10_vs_flat']:.3f} | {a['search_ms_p50']:.2f} "
            f"| {a['search_ms_p95']:.2f} |"
        )
    return "\n".join(lines)
