"""Reading files into pages with real tesseract at small scale: a rendered scan, a multi-page TIFF,
an image-only PDF page that falls back to OCR, and bad files that get their own error while the
rest of the package is read."""

from __future__ import annotations

import io
import random

import pytest

from eval.suites.ingest import cer
from ingest import ocr
from ingest.read import read_files, unwrap_lines
from ingest.sniff import Limits
from synth.documents import generic_doc
from synth.render import degrade, rasterise, render_pdf

pytestmark = pytest.mark.skipif(not ocr.available(), reason="tesseract is not installed")

TEXT = "Прошу вернуть денежные средства в размере 45 000 рублей по договору № 123-45678 от 12.03.2024."


@pytest.fixture(scope="module")
def letter(tmp_path_factory):
    doc = generic_doc("claim_letter", "ПРЕТЕНЗИЯ", TEXT, {})
    path = tmp_path_factory.mktemp("letter") / "letter.pdf"
    render_pdf(doc, path, random.Random(1))
    return doc, path


def _bytes(img, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_scan_is_read_by_tesseract(letter):
    """GIVEN a page rendered at 200 dpi and degraded like a scan WHEN read THEN the OCR text is
    within 3 % CER of the truth and the page carries word boxes and a confidence."""
    doc, path = letter
    img = degrade(rasterise(path, 200)[0], random.Random(2))
    pages, errors = read_files([("scan.jpg", _bytes(img, "JPEG", quality=80, dpi=(200, 200)))])
    assert errors == []
    (page,) = pages
    assert page.source == "ocr"
    assert cer(page.text, doc.text) < 0.03
    assert page.ocr_confidence > 70
    assert any(w.text.startswith("ПРЕТЕНЗИЯ") for w in page.words)


def test_image_only_pdf_and_multipage_tiff(letter, tmp_path):
    doc, path = letter
    img = rasterise(path, 200)[0].convert("L")
    pdf = _bytes(img, "PDF", resolution=200)
    tiff = _bytes(img, "TIFF", save_all=True, append_images=[img], dpi=(200, 200))
    pages, errors = read_files([("scan.pdf", pdf), ("two.tiff", tiff), ("text.pdf", path.read_bytes())])
    assert errors == []
    by_file = {(p.file, p.number): p for p in pages}
    assert by_file["scan.pdf", 1].source == "ocr" and by_file["scan.pdf", 1].text_layer_rejected == "no_text"
    assert by_file["two.tiff", 2].source == "ocr"
    assert by_file["text.pdf", 1].source == "pdf_text"
    assert "45 000 рублей" in by_file["text.pdf", 1].text
    assert cer(by_file["two.tiff", 2].text, doc.text) < 0.03


def test_bad_files_are_reported_and_the_rest_is_read(letter):
    """GIVEN a package with an empty file, a truncated JPEG, an oversized image and a lying
    extension WHEN read THEN each bad file has its code and the good PDF is still read."""
    _, path = letter
    from PIL import Image

    big = _bytes(Image.new("L", (400, 400), 255), "PNG")
    jpeg = _bytes(Image.new("L", (300, 300), 200), "JPEG")
    files = [
        ("empty.pdf", b""),
        ("cut.jpg", jpeg[: len(jpeg) // 2]),
        ("big.png", big),
        ("really_a_pdf.jpg", path.read_bytes()),
        ("binary.pdf", bytes(range(256)) * 8),
    ]
    pages, errors = read_files(files, Limits(max_pixels=100_000))
    codes = {e.file: e.code for e in errors}
    assert codes == {
        "empty.pdf": "empty_file",
        "cut.jpg": "corrupt_file",
        "big.png": "image_too_large",
        "binary.pdf": "unsupported_type",
    }
    assert [(p.file, p.source) for p in pages] == [("really_a_pdf.jpg", "pdf_text")]


def test_ocr_timeout_is_an_error_not_a_hang(letter):
    _, path = letter
    img = rasterise(path, 300)[0]
    with pytest.raises(Exception) as err:
        ocr.ocr_image(img, ocr.OcrOptions(timeout_s=0.01))
    assert getattr(err.value, "code", None) == "ocr_timeout"


@pytest.fixture(scope="module")
def grainy(letter):
    """The letter scanned at 150 dpi with a degradation whose paper grain tesseract's global
    threshold reads as lines of garbage (one of 13 such in 40 random degradations)."""
    from PIL import Image

    _, path = letter
    img = degrade(rasterise(path, 150)[0], random.Random(5))
    return Image.open(io.BytesIO(_bytes(img, "JPEG", quality=60, dpi=(150, 150))))


def test_grainy_page_read_as_garbage_is_read_again_with_local_thresholding(letter, grainy, monkeypatch):
    """GIVEN a nearly empty page scanned at 150 dpi whose paper grain tesseract's global threshold
    reads as lines of garbage WHEN read THEN the second reading (Sauvola's local threshold) is kept:
    the text is right and confident; a page read well the first time is read only once."""
    doc, path = letter
    img = grainy
    first = ocr.ocr_image(img, ocr.OcrOptions(retry_below=0))
    assert first.confidence < 60 and cer(first.text, doc.text) > 1  # the garbage this guards against
    assert not first.second_reading
    kept = ocr.ocr_image(img)
    assert kept.confidence > 90 and cer(kept.text, doc.text) < 0.03 and kept.second_reading

    calls = []
    real = ocr._run_tesseract
    monkeypatch.setattr(ocr, "_run_tesseract", lambda *a, **kw: calls.append(kw) or real(*a, **kw))
    clean = rasterise(path, 200)[0]
    assert ocr.ocr_image(clean).confidence > 90 and len(calls) == 1


def test_second_readings_share_the_page_time_limit_and_a_late_one_keeps_the_first(grainy, monkeypatch):
    """GIVEN a page read badly the first time WHEN its second reading runs out of time THEN the
    first reading is returned (not an error), and every reading was given only what was left of the
    page's limit."""
    limits = []
    real = ocr._run_tesseract

    def slow_second(image, options, local_threshold=False, timeout_s=None):
        limits.append(timeout_s)
        if local_threshold:
            raise ocr.IngestError("ocr_timeout", "too slow")
        return real(image, options, local_threshold, timeout_s)

    monkeypatch.setattr(ocr, "_run_tesseract", slow_second)
    options = ocr.OcrOptions(timeout_s=30, orientation=False)
    result = ocr.ocr_image(grainy, options)
    assert result.confidence < 60  # the first, garbage reading, kept
    assert len(limits) == 2 and 30 >= limits[0] > limits[1] > 0


def test_skew_is_measured():
    from PIL import Image, ImageDraw

    img = Image.new("L", (800, 1000), 255)
    draw = ImageDraw.Draw(img)
    for y in range(100, 900, 40):
        draw.rectangle([80, y, 720, y + 12], fill=0)
    assert abs(ocr.skew_angle(img.rotate(6, expand=True, fillcolor=255)) + 6) <= 0.5
    assert abs(ocr.skew_angle(img)) <= 0.5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Я купил телефон\nстоимостью 5 руб.", "Я купил телефон стоимостью 5 руб."),
        ("ДОГОВОР\nг. Москва", "ДОГОВОР\nг. Москва"),  # a heading stays on its own line
        ("Дата приёма: 01.02.2024\nДата выдачи: 05.02.2024", "Дата приёма: 01.02.2024\nДата выдачи: 05.02.2024"),
        ("конец предложения.\nновое", "конец предложения.\nновое"),
    ],
)
def test_unwrap_lines(text, expected):
    assert unwrap_lines(text) == expected
