"""The ocr, fields and completeness suites at small scale on a small generated set, with real
tesseract and the shipped document-type model: each runs end to end and writes figures that agree
with what it read."""

from __future__ import annotations

import json

import pytest

from eval.base import EvalContext
from eval.runner import run_suite
from eval.suites.ingest import CompletenessSuite, FieldsSuite, OcrSuite
from ingest import ocr

pytestmark = pytest.mark.skipif(not ocr.available(), reason="tesseract is not installed")


def _metrics(run) -> dict:
    return json.loads((run / "metrics.json").read_text())["metrics"]


def test_ocr_suite_at_small_scale(small_dataset, models_dir, tmp_path, monkeypatch):
    """Our OCR and raw tesseract on 8 pages; the pages whose kept reading is the second one are
    counted for our OCR only (here every result's first page is marked so, raw tesseract's too)."""
    real = ocr.ocr_many

    def marked(images, options=ocr.OcrOptions(), n_workers=0):
        results = real(images, options, n_workers)
        results[0].second_reading = True
        return results

    monkeypatch.setattr(ocr, "ocr_many", marked)
    monkeypatch.setattr(OcrSuite, "pages", 6)
    run = run_suite(OcrSuite(), EvalContext(small_dataset, None, models_dir), tmp_path / "runs")
    m = _metrics(run)
    assert m["pages"] == 6 + 2  # the degraded scans and a third of them rendered clean
    assert m["clean_cer"] < 0.03 and m["degraded_cer"] < 0.06  # the targets, on these pages
    assert m["pages_second_reading"] == 1
    assert "| clean 300 dpi | 2 |" in (run / "report.md").read_text()


def test_fields_and_completeness_suites_at_small_scale(small_dataset, models_dir, doctype_model, tmp_path, monkeypatch):
    monkeypatch.setattr(FieldsSuite, "per_process", 1)
    monkeypatch.setattr(CompletenessSuite, "per_process", 2)  # each process: a complete package, a defective one
    ctx = EvalContext(small_dataset, None, models_dir)
    fields = _metrics(run_suite(FieldsSuite(), ctx, tmp_path / "runs"))
    assert 0.8 < fields["pdf_micro_f1"] <= 1.0 and 0.7 < fields["scan_micro_f1"] <= 1.0
    run = run_suite(CompletenessSuite(), ctx, tmp_path / "runs")
    m = _metrics(run)
    assert m["packages"] == 6
    # the issue's target for text PDFs, with the defects' codes found
    assert m["pdf_verdict_accuracy"] == m["pdf_code_precision"] == m["pdf_code_recall"] == 1.0
    assert m["scan_verdict_accuracy"] >= 5 / 6 and m["package_scan_verdict_accuracy"] >= 5 / 6
