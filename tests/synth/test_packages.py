"""Generated packages: real PDFs with a text layer, scans a real OCR engine can read, and the
expected completeness verdicts the domain reference prescribes."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter

import pytest

from synth.packages import DEFECTS, PROCESSES
from tests.synth.test_identifiers import inn_ok


@pytest.fixture(scope="module")
def records(small_dataset):
    with open(small_dataset / "packages.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_half_complete_half_defective_per_process(records):
    for process in PROCESSES:
        recs = [r for r in records if r["process"] == process]
        defects = Counter(r["defect"] is None for r in recs)
        assert defects[True] == defects[False] == len(recs) // 2


def test_expected_codes_follow_the_defect(records):
    for r in records:
        exp = r["expected"]
        if r["defect"] is None:
            assert exp["missing_documents"] == []
            assert exp["complete"]
            assert not any(c.startswith("M") for c in exp["problems"])
        else:
            assert set(DEFECTS[r["process"]][r["defect"]]) <= set(exp["problems"])
            assert exp["complete"] == (not set(exp["problems"]) & {"M1", "M2", "M3"})
        types = {d["doc_type"] for d in r["documents"]}
        assert not set(exp["missing_documents"]) & types


def test_pdf_text_layer_carries_the_ground_truth(records, small_dataset):
    import pypdfium2 as pdfium

    doc = records[0]["documents"][0]
    pdf = pdfium.PdfDocument(str(small_dataset / "packages" / doc["pdf"]))
    text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
    pdf.close()
    norm = lambda s: " ".join(s.split())  # noqa: E731 - reportlab wraps lines; compare words
    for line in doc["text"].split("\n")[:6]:
        assert norm(line) in norm(text), line


def test_scans_come_in_every_format_at_scanner_resolutions(records, small_dataset):
    formats = Counter(d["scan"]["format"] for r in records for d in r["documents"])
    assert set(formats) == {"jpeg", "pdf", "tiff"}
    for r in records:
        for d in r["documents"]:
            assert 150 <= d["scan"]["dpi"] <= 300
            for f in d["scan"]["files"]:
                assert (small_dataset / "packages" / f).stat().st_size > 10_000


def test_identifiers_in_complete_packages_pass_checksums(records):
    for r in records:
        for d in r["documents"]:
            for key in ("inn", "seller_inn", "organisation_inn", "company_inn", "principal_inn"):
                if key in d["fields"]:
                    assert inn_ok(d["fields"][key]) == (
                        r["defect"] != "invalid_inn" or d["doc_type"] not in ("company_details", "receipt", "contract")
                    ), (r["id"], key)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is installed by `make test`")
def test_real_tesseract_reads_a_generated_scan(records, small_dataset):
    """GIVEN a degraded JPEG scan WHEN tesseract (rus) reads it THEN the document's title is there."""
    doc = next(d for r in records for d in r["documents"] if d["scan"]["format"] == "jpeg")
    image = small_dataset / "packages" / doc["scan"]["files"][0]
    out = subprocess.run(["tesseract", str(image), "-", "-l", "rus"], capture_output=True, text=True, check=True)
    first_word = doc["text"].split()[0].strip("«»:,.")
    assert first_word.lower() in out.stdout.lower(), (first_word, out.stdout[:300])


@pytest.mark.parametrize("fmt", ["tiff", "pdf"])
def test_whole_package_is_also_one_scanned_file(records, small_dataset, fmt):
    """The one-file scan holds every document's pages in order, with the page map as ground truth."""
    candidates = [r for r in records if r["package_scan"]["format"] == fmt]
    if not candidates:
        pytest.skip(f"seed 0 small set has no {fmt} package scan")
    r = candidates[0]
    scan = r["package_scan"]
    assert len(scan["pages"]) == sum(d["pages"] for d in r["documents"])
    assert [p["document"] for p in scan["pages"]] == sorted(p["document"] for p in scan["pages"])
    path = small_dataset / "packages" / scan["file"]
    if fmt == "tiff":
        from PIL import Image

        with Image.open(path) as im:
            assert im.n_frames == len(scan["pages"])
    else:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path))
        assert len(pdf) == len(scan["pages"])
        assert pdf[0].get_textpage().get_text_range().strip() == ""  # image-only: no text layer
        pdf.close()
