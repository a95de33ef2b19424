"""Ingest speed: a text-PDF page through the whole ingest stage, and the OCR path against plain
tesseract on the same scanned pages in the same run, with how busy the cores were."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import time
from pathlib import Path

import numpy as np


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_ingest_bench(data_dir: Path, models_dir: Path, pdf_docs: int = 100, scan_pages: int = 24) -> dict:
    from ingest.documents import load_doctype_model
    from ingest.package import ingest_documents
    from ingest.read import read_files

    model = load_doctype_model(models_dir)
    root = Path(data_dir) / "packages"
    with open(Path(data_dir) / "packages.jsonl", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    docs = [d for r in records for d in r["documents"]]
    # Text PDFs: one document at a time through read, split, type and fields (after one warm-up).
    ingest_documents([(docs[0]["pdf"], (root / docs[0]["pdf"]).read_bytes())], model)
    per_page, typed = [], []
    for d in docs[:pdf_docs]:
        data = (root / d["pdf"]).read_bytes()
        start = time.perf_counter()
        found = ingest_documents([(d["pdf"], data)], model)[0]
        per_page.append((time.perf_counter() - start) * 1000 / d["pages"])
        typed += [doc.text for doc in found]
    embedded = model.classifier.embeds(typed)  # documents whose head was embedded
    # Scans: the same JPEG pages through plain tesseract (its CLI, default settings, one page after
    # another) and through our OCR path (preprocessing, pages in parallel).
    jpegs = [f for d in docs if d["scan"]["format"] == "jpeg" for f in d["scan"]["files"]][:scan_pages]
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    c0, t0 = _children_cpu(), time.perf_counter()
    for f in jpegs:
        subprocess.run(
            ["tesseract", str(root / f), "stdout", "-l", "rus+eng"], capture_output=True, check=True, env=env
        )
    plain_wall, plain_cpu = time.perf_counter() - t0, _children_cpu() - c0
    files = [(f, (root / f).read_bytes()) for f in jpegs]
    c0, s0, t0 = _children_cpu(), _self_cpu(), time.perf_counter()
    pages, errors = read_files(files)
    ours_wall = time.perf_counter() - t0
    ours_cpu = _children_cpu() - c0 + _self_cpu() - s0
    cores = os.cpu_count() or 1
    return {
        "machine_cores": cores,
        "text_pdf_pages": len(per_page),
        "text_pdf_page_ms_median": round(float(np.median(per_page)), 1),
        "text_pdf_page_ms_p95": round(float(np.percentile(per_page, 95)), 1),
        "text_pdf_documents_embedded_share": round(float(np.mean(embedded)), 3),
        "scan_pages": len(jpegs),
        "plain_tesseract_s": round(plain_wall, 1),
        "plain_tesseract_core_utilisation": round(plain_cpu / plain_wall / cores, 2),
        "ocr_path_s": round(ours_wall, 1),
        "ocr_path_core_utilisation": round(ours_cpu / ours_wall / cores, 2),
        "ocr_path_over_plain": round(ours_wall / plain_wall, 2),
        "ocr_path_cpu_over_plain_cpu": round(ours_cpu / max(plain_cpu, 1e-9), 2),
        "ocr_errors": len(errors),
        "ocr_pages_read": len(pages),
    }


__all__ = ["run_ingest_bench"]
