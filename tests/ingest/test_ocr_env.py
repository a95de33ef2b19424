"""The one-thread OpenMP limit is for tesseract's processes only. In our own environment it reached
FAISS's OpenMP runtime, whose IVF training then never returned (the test run hung in the search
suite after the ingest modules were imported)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys


def test_ocr_limits_threads_of_tesseract_only(monkeypatch):
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    from ingest import ocr

    importlib.reload(ocr)
    ocr._pytesseract()
    assert "OMP_THREAD_LIMIT" not in os.environ
    import pytesseract

    child = pytesseract.pytesseract.environ
    assert child["OMP_THREAD_LIMIT"] == "1"
    monkeypatch.setenv("CLAIMS_PROBE", "live")
    assert child["CLAIMS_PROBE"] == "live"  # the child sees our environment as it is now


def test_faiss_trains_after_the_ocr_module_is_loaded():
    code = (
        "import numpy as np, faiss\n"
        "from ingest import ocr\n"
        "ocr._pytesseract()\n"
        "x = np.random.default_rng(0).random((2000, 16), dtype=np.float32)\n"
        "ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(16), 16, 32, faiss.METRIC_INNER_PRODUCT)\n"
        "ivf.train(x)\n"
        "print(ivf.is_trained)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
