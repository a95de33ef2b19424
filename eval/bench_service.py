"""Load on the running service over loopback: a real ``claims serve`` process, a bounded Python
client (threads, keep-alive), requests/s and p50/p99 for classify and search at several
concurrencies, end-to-end time of a 5-page text-PDF and a 5-page scanned package, and the
server's memory (RSS)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _five_pages(records: list[dict], root: Path, scanned: bool, skip: int = 0) -> list[tuple[str, bytes]]:
    """The documents of the first package with at least 5 pages (after ``skip`` such packages), cut to
    exactly 5 pages' files."""
    for rec in records:
        files, pages = [], 0
        for d in rec["documents"]:
            if scanned:
                for f in d["scan"]["files"]:
                    if pages < 5:
                        files.append((Path(f).name, (root / f).read_bytes()))
                        pages += 1
            elif pages + d["pages"] <= 5:
                files.append((Path(d["pdf"]).name, (root / d["pdf"]).read_bytes()))
                pages += d["pages"]
        if pages == 5:
            if skip == 0:
                return files
            skip -= 1
    raise ValueError("no package with 5 pages")


def _load(call, n: int, concurrency: int) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    todo = iter(range(n))

    def worker() -> None:
        nonlocal errors
        while True:
            with lock:
                if next(todo, None) is None:
                    return
            start = time.perf_counter()
            ok = call()
            took = time.perf_counter() - start
            with lock:
                latencies.append(took)
                errors += not ok

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    ms = np.array(latencies) * 1000
    return {
        "requests": n,
        "errors": errors,
        "rps": round(n / wall, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
    }


def run_service_bench(data: Path, decisions: int = 300, requests_per_level: int = 64) -> dict:
    import httpx
    import psutil

    from search.hybrid import DecisionIndex
    from search.types import DecisionRecord

    with open(data / "packages.jsonl", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    with open(data / "decisions.jsonl", encoding="utf-8") as fh:
        corpus = [DecisionRecord.from_json(json.loads(line)) for _, line in zip(range(decisions), fh, strict=False)]
    with open(data / "appeals.jsonl", encoding="utf-8") as fh:
        appeals = [json.loads(line)["text"] for _, line in zip(range(50), fh, strict=False)]
    tmp = Path(tempfile.mkdtemp(prefix="claims-bench-"))
    env = {
        **os.environ,
        "CLAIMS_DATA_DIR": str(tmp),
        "CLAIMS_LOG_LEVEL": "WARNING",
        "CLAIMS_RATE_LIMIT_PER_MINUTE": "1000000",
    }
    from claims.settings import Settings
    from models.encoders import load_encoder

    settings = Settings(data_dir=tmp)
    index = DecisionIndex(tmp / "search", load_encoder(settings.encoder, settings.models_dir))
    index.add(corpus, progress=True)
    index.close()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "claims.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        key = None
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        else:
            raise RuntimeError("the service did not become ready in 5 minutes")
        from api.db import Database
        from api.keys import KeyStore

        key = KeyStore(Database(tmp / "service.sqlite")).create("admin", "bench")[1]
        headers = {"X-API-Key": key}
        client = httpx.Client(base_url=base, headers=headers, timeout=300, limits=httpx.Limits(max_connections=64))
        counter = iter(range(10**9))

        def classify() -> bool:
            text = appeals[next(counter) % len(appeals)]
            return client.post("/v1/appeals/classify", json={"text": text, "profile": "finance"}).status_code == 200

        def search() -> bool:
            text = appeals[next(counter) % len(appeals)][:300]
            return client.post("/v1/decisions/search", json={"query": text, "k": 10}).status_code == 200

        out: dict = {"decisions": len(corpus), "machine_cores": os.cpu_count()}
        classify(), search()  # warm-up
        for name, call in (("classify", classify), ("search", search)):
            for c in (1, 8, 32):
                out[f"{name}_c{c}"] = _load(call, max(requests_per_level, c * 2), c)
        # The first package a service reads loads the ingest models: warm up with another package so
        # the timed ones measure a warm service (a re-sent package would be answered from the store).
        warm_files = _five_pages(records, data / "packages", False, skip=1)
        warm = client.post("/v1/packages", files=[("files", f) for f in warm_files], data={"process": ""})
        out["package_warmup_status"] = warm.status_code
        for label, scanned in (("text_pdf", False), ("scanned", True)):
            files = _five_pages(records, data / "packages", scanned)
            start = time.perf_counter()
            r = client.post("/v1/packages", files=[("files", f) for f in files], data={"process": ""})
            out[f"package_5_pages_{label}_s"] = round(time.perf_counter() - start, 2)
            out[f"package_5_pages_{label}_status"] = r.status_code
            if r.status_code == 200:
                out[f"package_5_pages_{label}_timings_ms"] = r.json().get("timings_ms", {})
        out["server_rss_mb"] = round(psutil.Process(proc.pid).memory_info().rss / 2**20)
        client.close()
        return out
    finally:
        proc.terminate()
        proc.wait(30)
