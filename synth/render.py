"""Render documents as real PDFs with a text layer, and as degraded scans of those PDFs."""

from __future__ import annotations

import functools
import io
import random
from pathlib import Path

import numpy as np

from synth.documents import DocSpec

PAGE_W, PAGE_H = 595.27, 841.89  # A4 in points
MARGIN = 56


@functools.cache
def _fonts() -> tuple[str, str]:
    """DejaVu (with Cyrillic) ships inside matplotlib's wheel: no system font is needed."""
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    ttf = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont("DejaVu", str(ttf / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(ttf / "DejaVuSans-Bold.ttf")))
    return "DejaVu", "DejaVu-Bold"


def _scribble(c, x: float, y: float, rng: random.Random) -> None:
    """A handwritten-looking signature stroke."""
    c.setStrokeColorRGB(0.05, 0.1, 0.45)
    c.setLineWidth(1.1)
    path = c.beginPath()
    path.moveTo(x, y)
    for _ in range(rng.randint(3, 5)):
        x2 = x + rng.uniform(12, 26)
        path.curveTo(
            x + rng.uniform(0, 10),
            y + rng.uniform(6, 16),
            x2 - rng.uniform(0, 8),
            y - rng.uniform(4, 12),
            x2,
            y + rng.uniform(-3, 3),
        )
        x = x2
    c.drawPath(path, stroke=1, fill=0)
    c.setStrokeColorRGB(0, 0, 0)


def render_pdf(doc: DocSpec, path: Path, rng: random.Random) -> int:
    """Write ``doc`` as a PDF; returns the page count."""
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas

    regular, bold = _fonts()
    size = rng.choice([10, 10.5, 11, 12])
    lead = size * 1.35
    c = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H))
    c.setTitle(doc.title)
    pages = 1
    y = PAGE_H - MARGIN

    def need(h: float) -> None:
        nonlocal y, pages
        if y - h < MARGIN:
            c.showPage()
            pages += 1
            y = PAGE_H - MARGIN

    c.setFont(bold, size + 2)
    for line in simpleSplit(doc.title, bold, size + 2, PAGE_W - 2 * MARGIN):
        need(lead)
        c.drawCentredString(PAGE_W / 2, y, line)
        y -= lead * 1.2
    y -= lead * 0.5
    for para in doc.lines:
        c.setFont(regular, size)
        for line in simpleSplit(para, regular, size, PAGE_W - 2 * MARGIN) or [""]:
            need(lead)
            c.setFont(regular, size)
            c.drawString(MARGIN, y, line)
            y -= lead
        y -= lead * 0.3
    y -= lead
    for sig in doc.signatures:
        need(lead * 2.5)
        c.setFont(regular, size)
        c.drawString(MARGIN, y, sig.line())
        if sig.signed:
            offset = c.stringWidth(sig.role_label + ": ", regular, size)
            _scribble(c, MARGIN + offset + 10, y + 3, rng)
        y -= lead * 2
    c.showPage()
    c.save()
    return pages


def degrade(img, rng: random.Random):
    """Make a clean page image look scanned or photographed: tilt, uneven light, blur, noise."""
    from PIL import Image, ImageFilter

    img = img.convert("L")
    img = img.rotate(rng.uniform(-2.5, 2.5), resample=Image.BICUBIC, expand=True, fillcolor=255)
    arr = np.asarray(img, dtype=np.float32)
    h, w = arr.shape
    # Uneven light: a linear gradient from one corner, as under a desk lamp.
    gy, gx = np.mgrid[0:h, 0:w]
    direction = rng.uniform(0, 2 * np.pi)
    grad = np.cos(direction) * gx / w + np.sin(direction) * gy / h
    light = 1.0 - rng.uniform(0.05, 0.25) * (grad - grad.min()) / max(np.ptp(grad), 1e-6)
    arr = arr * light
    nrng = np.random.default_rng(rng.randint(0, 2**31))
    arr = arr + nrng.normal(0, rng.uniform(3, 12), arr.shape)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return img.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.9)))


def rasterise(pdf_path: Path, dpi: int) -> list:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return [page.render(scale=dpi / 72).to_pil() for page in pdf]
    finally:
        pdf.close()


def _jpeg_roundtrip(page, quality: int):
    from PIL import Image

    buf = io.BytesIO()
    page.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue()))


def save_pages(pages: list, target: Path, fmt: str, dpi: int, quality: int) -> None:
    """Several page images as one image-only PDF or one multi-page TIFF."""
    if fmt == "pdf":
        pages[0].save(target, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    else:
        pages[0].save(
            target,
            "TIFF",
            compression="jpeg",
            quality=quality,
            dpi=(dpi, dpi),
            save_all=True,
            append_images=pages[1:],
        )


def render_scan(pdf_path: Path, stem: Path, rng: random.Random) -> tuple[dict, list]:
    """Scan the PDF at 150-300 dpi and save as JPEG pages, an image-only PDF or a multi-page TIFF.

    Returns:
        ``{"format", "files", "dpi"}`` (file names relative to ``stem``'s folder) and the scanned
        page images, so a caller can also bind several documents into one scanned file.
    """
    dpi = rng.choice([150, 200, 240, 300])
    quality = rng.randint(35, 85)
    pages = [_jpeg_roundtrip(degrade(p, rng), quality) for p in rasterise(pdf_path, dpi)]
    fmt = rng.choices(["jpeg", "pdf", "tiff"], weights=[0.5, 0.3, 0.2])[0]
    files = []
    if fmt == "jpeg":
        for i, page in enumerate(pages, start=1):
            name = f"{stem.name}_scan_p{i}.jpg"
            page.save(stem.parent / name, "JPEG", quality=95, dpi=(dpi, dpi))
            files.append(name)
    else:
        name = f"{stem.name}_scan.{fmt if fmt == 'pdf' else 'tiff'}"
        save_pages(pages, stem.parent / name, fmt, dpi, quality)
        files.append(name)
    return {"format": fmt, "files": files, "dpi": dpi}, [(p, dpi) for p in pages]
