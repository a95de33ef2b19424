"""The package pipeline end to end on generated packages: text PDFs give exactly the problems each
package was built to have; a scanned package goes through real OCR; the CLI prints the report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from claims.cli import app
from claims.pipeline import process_package
from ingest import ocr

TODAY = dt.date(2025, 11, 1)


def _records(small_dataset):
    with open(small_dataset / "packages.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_text_pdf_packages_match_their_expected_problems(small_dataset, doctype_model):
    """GIVEN the small generated set (complete packages and one defect each) as text PDFs WHEN
    processed THEN types, completeness, missing documents and problem codes all match."""
    root = small_dataset / "packages"
    for rec in _records(small_dataset):
        files = [(d["pdf"], (root / d["pdf"]).read_bytes()) for d in rec["documents"]]
        result = process_package(files, rec["process"], doctype_model, today=TODAY)
        report = result.report
        assert [d.doc_type for d in report.documents] == [d["doc_type"] for d in rec["documents"]], rec["id"]
        assert report.completeness.complete == rec["expected"]["complete"], rec["id"]
        assert report.completeness.missing_documents == rec["expected"]["missing_documents"], rec["id"]
        assert sorted({p.code for p in report.completeness.problems}) == rec["expected"]["problems"], rec["id"]
        assert all(d.text_source == "pdf_text" for d in report.documents)
        if rec["process"] == "device_refund":
            assert result.refund["verdict"] in ("likely_valid", "likely_invalid", "needs_review")


@pytest.mark.skipif(not ocr.available(), reason="tesseract is not installed")
def test_one_file_package_scan_is_split_and_checked(small_dataset, doctype_model):
    """GIVEN a whole package scanned into one file WHEN processed THEN it is split into the
    generator's documents (page map) and the verdict matches."""
    rec = next(r for r in _records(small_dataset) if r["process"] == "number_reregistration" and r["defect"] is None)
    scan = rec["package_scan"]
    data = (small_dataset / "packages" / scan["file"]).read_bytes()
    report = process_package([(scan["file"], data)], rec["process"], doctype_model, today=TODAY).report
    assert [d.doc_type for d in report.documents] == [d["doc_type"] for d in rec["documents"]]
    assert all(d.text_source == "ocr" and d.ocr_confidence > 60 for d in report.documents)
    assert report.completeness.complete is True
    assert report.completeness.problems == []
    assert report.timings_ms["ocr_pages"] == len(scan["pages"])


def test_cli_ingest_json_with_a_bad_file(small_dataset, tmp_path, models_dir):
    """GIVEN a refund package with an extra corrupt file WHEN `claims ingest --json` THEN the
    corrupt file is an error in the report and the rest is read and checked."""
    rec = next(r for r in _records(small_dataset) if r["process"] == "device_refund")
    paths = [str(small_dataset / "packages" / d["pdf"]) for d in rec["documents"]]
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4\n garbage without any objects")
    result = CliRunner().invoke(app, ["ingest", *paths, str(bad), "--process", "device_refund", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [e["code"] for e in report["errors"]] == ["corrupt_file"]
    assert len(report["documents"]) == len(rec["documents"])
    assert report["completeness"]["complete"] == rec["expected"]["complete"]
    assert report["refund"]["verdict"] in ("likely_valid", "likely_invalid", "needs_review")
    assert "text" not in report["documents"][0] or report["documents"][0]["text"] is None


def test_cli_ingest_reads_no_more_of_a_file_than_the_limit(small_dataset, tmp_path, models_dir, monkeypatch):
    """A file over CLAIMS_MAX_FILE_BYTES is a per-file error and the rest is read (the command read
    every file whole first, so a huge one could exhaust memory before the limit was checked); an
    empty folder is an error of the command."""
    import os

    rec = next(r for r in _records(small_dataset) if r["process"] == "device_refund")
    paths = [str(small_dataset / "packages" / d["pdf"]) for d in rec["documents"]]
    limit = max(os.path.getsize(p) for p in paths)
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (3 * limit))
    monkeypatch.setenv("CLAIMS_MAX_FILE_BYTES", str(limit))
    result = CliRunner().invoke(app, ["ingest", *paths, str(big), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [(e["file"], e["code"]) for e in report["errors"]] == [(str(big), "file_too_large")]
    assert len(report["documents"]) == len(rec["documents"])
    (tmp_path / "empty").mkdir()
    empty = CliRunner().invoke(app, ["ingest", str(tmp_path / "empty")])
    assert empty.exit_code == 1 and "no files in" in empty.output


def test_cli_ingest_reads_a_folder_with_its_subfolders_and_refuses_too_many_files(
    small_dataset, tmp_path, models_dir, monkeypatch
):
    """A package folder's subfolders are read (they were skipped) and hidden files are not documents;
    more files than CLAIMS_MAX_FILES is refused before any is read, as the service refuses them."""
    import shutil

    rec = next(r for r in _records(small_dataset) if r["process"] == "device_refund")
    pdfs = [small_dataset / "packages" / d["pdf"] for d in rec["documents"]]
    package = tmp_path / "package"
    (package / "scans").mkdir(parents=True)
    (package / ".git").mkdir()
    shutil.copy(pdfs[0], package / pdfs[0].name)
    for p in pdfs[1:]:
        shutil.copy(p, package / "scans" / p.name)
    (package / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (package / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    result = CliRunner().invoke(app, ["ingest", str(package), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["errors"] == []
    assert sorted(Path(d["file"]).name for d in report["documents"]) == sorted(p.name for p in pdfs)
    monkeypatch.setenv("CLAIMS_MAX_FILES", str(len(pdfs) - 1))
    refused = CliRunner().invoke(app, ["ingest", str(package)])
    assert refused.exit_code == 1 and f"more than {len(pdfs) - 1} files" in refused.output
    assert "CLAIMS_MAX_FILES" in refused.output


def test_a_package_folder_is_walked_no_further_than_the_file_limit(tmp_path):
    from claims.cli import package_folder_files

    for i in range(30):
        (tmp_path / f"d{i % 3}").mkdir(exist_ok=True)
        (tmp_path / f"d{i % 3}" / f"{i:02d}.txt").write_text("x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "secret.txt").write_text("x")
    assert len(package_folder_files(tmp_path, 100)) == 30  # hidden folder left out
    assert len(package_folder_files(tmp_path, 4)) == 5  # one past the limit, then the walk stops
    everything = package_folder_files(tmp_path, 100)
    assert everything == sorted(everything)


def test_cli_unknown_process(small_dataset):
    result = CliRunner().invoke(app, ["ingest", str(small_dataset / "packages.jsonl"), "--process", "nope"])
    assert result.exit_code != 0
    assert "unknown process" in result.output


class _RecordingIndex:
    """Any object with the index's ``search``: records what the pipeline asks."""

    def __init__(self):
        self.calls = []

    def search(self, query, k=10, **kwargs):
        self.calls.append(kwargs)
        return []


def test_similar_decisions_use_the_reports_own_category(small_dataset, doctype_model, models_dir):
    """The package's predicted categories are the search's prior (no second classification); without
    a profile the search gets none."""
    from classify.profiles import load_profile

    rec = next(r for r in _records(small_dataset) if r["process"] == "ombudsman_appeal")
    root = small_dataset / "packages"
    files = [(d["pdf"], (root / d["pdf"]).read_bytes()) for d in rec["documents"]]
    index = _RecordingIndex()
    report = process_package(
        files, rec["process"], doctype_model, today=TODAY, profile=load_profile(models_dir, "finance"), index=index
    ).report
    prior = index.calls[0]["category_prior"]
    assert prior == {t["category"]: t["probability"] for t in report.category["top"]} and len(prior) == 5
    process_package(files, rec["process"], doctype_model, today=TODAY, index=index)
    assert index.calls[1]["category_prior"] is None


def test_a_query_the_search_would_not_use_is_not_classified():
    from claims.pipeline import query_category_prior
    from search.hybrid import MAX_QUERY_CHARS

    class Profile:
        def predict(self, texts, top=3):
            raise AssertionError("classified in vain")

    for query, mode in (("  ", "hybrid"), ("x" * (MAX_QUERY_CHARS + 1), "hybrid"), ("вклад", "lexical")):
        assert query_category_prior(Profile(), query, mode) is None
