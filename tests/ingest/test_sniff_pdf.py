"""Type detection from content, limits, and the per-page trust check of PDF text layers."""

from __future__ import annotations

import io

import pytest

from ingest.pdf import read_pdf, text_layer_problem
from ingest.sniff import Limits, sniff
from ingest.types import IngestError


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (40, 40), 255).save(buf, "PNG")
    return buf.getvalue()


def _pdf(text: str = "Договор купли-продажи смартфона", password: str | None = None) -> bytes:
    from reportlab.pdfgen import canvas

    from synth.render import _fonts

    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=password)
    c.setFont(_fonts()[0], 12)
    c.drawString(50, 750, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def _docx(text: str) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda: _pdf(), "pdf"),
        (_png, "png"),
        (lambda: b"\xff\xd8\xff\xe0" + b"\x00" * 20, "jpeg"),
        (lambda: b"II*\x00" + b"\x00" * 20, "tiff"),
        (lambda: _docx("Претензия"), "docx"),
        (lambda: "Претензия о возврате денег".encode(), "txt"),
        (lambda: "Претензия о возврате денег".encode("cp1251"), "txt"),
    ],
)
def test_sniff_reads_the_content_not_the_name(make, kind):
    assert sniff(make()) == kind


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (bytes(range(256)) * 3, "unsupported_type"),
        (b"PK\x03\x04" + b"\x00" * 50, "corrupt_file"),
        (b"x" * 2000, "file_too_large"),
    ],
)
def test_sniff_refuses_with_a_code(data, code):
    with pytest.raises(IngestError) as err:
        sniff(data, Limits(max_file_bytes=1000))
    assert err.value.code == code


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Настоящим доверенность выдана на представление интересов общества в суде", None),
        ("", "no_text"),
        ("   12  ", "no_text"),
        ("ÐŸÑ€ÐµÑ‚ÐµÐ½Ð·Ð¸Ñ Ð¾ Ð²Ð¾Ð·Ð²Ñ€Ð°Ñ‚Ðµ Ð´ÐµÐ½ÐµÐ³", "mojibake"),
        ("(cid:34)(cid:12)(cid:77)(cid:90) (cid:11)(cid:5) текст", "mojibake"),
        # Latin a, o, p, e, c in Cyrillic words: reads right, searches wrong
        ("Дoгoвop купли-пpoдaжи cмapтфoнa зaключeн мeжду cтopoнaми", "lookalike_latin"),
        ("12.03.2024 45 000,00 / 17 % — 3 * 4 = 12 ; 15:30 №№ 12-34-56", "not_text"),
    ],
)
def test_text_layer_trust(text, problem):
    assert text_layer_problem(text) == problem


def test_encrypted_and_truncated_pdfs_get_codes():
    with pytest.raises(IngestError) as err:
        read_pdf(_pdf(password="secret"), 10)
    assert err.value.code == "encrypted_pdf"
    data = _pdf()
    with pytest.raises(IngestError) as err:
        read_pdf(data[: len(data) // 3], 10)
    assert err.value.code in ("corrupt_file", "empty_file")


def test_page_limit():
    with pytest.raises(IngestError) as err:
        read_pdf(_pdf(), 0)
    assert err.value.code == "too_many_pages"


def test_text_layer_words_have_top_left_boxes():
    """GIVEN a PDF with one line drawn 750 pt above the bottom of an A4 page WHEN read THEN the text
    is the line and each word's box is measured from the top (about 842 - 750 = 92 pt)."""
    text = "Претензия о возврате денег"
    (page,) = read_pdf(_pdf(text=text), 10)
    assert page.text.strip() == text and page.problem is None
    assert [w.text for w in page.words] == text.split()
    for w in page.words:
        assert 70 < w.y0 < w.y1 < 100 and 45 < w.x0 < w.x1 < 400
    assert [w.x0 for w in page.words] == sorted(w.x0 for w in page.words)
