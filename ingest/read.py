"""From the files of a package to pages of text: PDF text layers where they can be trusted, OCR
for scans, photos and untrusted PDF pages (all OCR pages of a package in one parallel pool), DOCX
and plain text. A file that cannot be read yields a FileError; the other files are still read."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from ingest import ocr
from ingest.pdf import read_pdf, render_page
from ingest.sniff import IMAGE_KINDS, Limits, sniff
from ingest.types import FileError, IngestError, Page

_CONTINUATION = re.compile(r"(?<=[^.!?:;\n])\n(?=[a-zа-яё\d«(])")


def _is_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def unwrap_lines(text: str) -> str:
    """Join lines that a page layout broke inside a sentence (the next line starts in lower case
    and the previous one neither ends a sentence nor is a heading): extraction reads sentences,
    not print lines."""
    lines = text.split("\n")
    out = [lines[0]] if lines else []
    for line in lines[1:]:
        if out and _CONTINUATION.search(out[-1][-1:] + "\n" + line[:1]) and not _is_heading(out[-1]):
            out[-1] = out[-1] + " " + line
        else:
            out.append(line)
    return "\n".join(out)


@dataclass
class _Pending:
    """A page still to be OCR'd: how to load its image, and why it needs OCR."""

    file: str
    number: int
    load: Callable[[], object]
    rejected: str | None = None


def _open_image(data: bytes, limits: Limits):
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise IngestError("image_too_large", "изображение слишком велико (защита от «бомбы» распаковки)") from exc
    except Exception as exc:
        raise IngestError("corrupt_file", f"изображение повреждено или не читается: {type(exc).__name__}") from exc
    return img


def _image_pages(name: str, data: bytes, limits: Limits) -> list[_Pending]:
    img = _open_image(data, limits)
    n = getattr(img, "n_frames", 1)
    if n > limits.max_pages:
        raise IngestError("too_many_pages", f"в файле {n} страниц, допускается не больше {limits.max_pages}")
    for k in range(n):
        img.seek(k)
        w, h = img.size
        if w * h > limits.max_pixels:
            raise IngestError(
                "image_too_large",
                f"изображение {w}x{h} больше допустимых {limits.max_pixels} пикселей",
            )
        if w < 16 or h < 16:
            raise IngestError("image_too_small", f"изображение {w}x{h} слишком мало для распознавания")
    try:  # a truncated file fails here, before any page is queued
        img.seek(n - 1)
        img.load()
    except Exception as exc:
        raise IngestError("corrupt_file", f"изображение повреждено: {exc}") from exc

    def loader(k: int) -> Callable[[], object]:
        def load():
            from PIL import ImageOps

            page = _open_image(data, limits)
            page.seek(k)
            dpi = page.info.get("dpi")
            out = ImageOps.exif_transpose(page.convert("L")) if k == 0 else page.convert("L")
            if dpi:
                out.info["dpi"] = dpi
            return out

        return load

    return [_Pending(name, k + 1, loader(k)) for k in range(n)]


def _docx_text(data: bytes) -> str:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise IngestError("corrupt_file", f"DOCX повреждён или не читается: {type(exc).__name__}") from exc
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text.strip() for cell in row.cells))
    return "\n".join(p for p in parts if p.strip())


def _plain_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def _file_pages(name: str, data: bytes, limits: Limits) -> tuple[list[Page], list[_Pending]]:
    kind = sniff(data, limits)
    if kind == "pdf":
        pages, pending = [], []
        for p in read_pdf(data, limits.max_pages):
            if p.problem is None:
                pages.append(
                    Page(file=name, number=p.number, text=unwrap_lines(p.text), source="pdf_text", words=p.words)
                )
            else:
                pending.append(
                    _Pending(
                        name,
                        p.number,
                        lambda n=p.number, dpi=p.dpi: render_page(data, n, dpi, limits.max_pixels),
                        p.problem,
                    )
                )
        return pages, pending
    if kind in IMAGE_KINDS:
        return [], _image_pages(name, data, limits)
    text = _docx_text(data) if kind == "docx" else _plain_text(data)
    if not text.strip():
        raise IngestError("empty_file", "в файле нет текста")
    return [Page(file=name, number=1, text=text, source=kind)], []


def _ocr_pending(pending: list[_Pending], limits: Limits, options: ocr.OcrOptions) -> list[Page | FileError]:
    def one(job: _Pending) -> Page | FileError:
        start = time.perf_counter()
        try:
            img = job.load()
            result = ocr.ocr_image(img, options)
        except IngestError as exc:
            return FileError(file=job.file, code=exc.code, message=f"стр. {job.number}: {exc.message}")
        return Page(
            file=job.file,
            number=job.number,
            text=unwrap_lines(result.text),
            source="ocr",
            words=result.words,
            ocr_confidence=round(result.confidence, 1),
            text_layer_rejected=job.rejected,
            ms=round((time.perf_counter() - start) * 1000, 1),
        )

    if len(pending) <= 1:
        return [one(job) for job in pending]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(ocr.workers(limits.ocr_workers), len(pending))) as pool:
        return list(pool.map(one, pending))


def unique_names(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Two uploads with the same name stay apart in the report: the second becomes ``name#2``."""
    seen: dict[str, int] = {}
    out = []
    for name, data in files:
        seen[name] = seen.get(name, 0) + 1
        out.append((name if seen[name] == 1 else f"{name}#{seen[name]}", data))
    return out


def read_files(
    files: list[tuple[str, bytes]],
    limits: Limits = Limits(),
    options: ocr.OcrOptions | None = None,
) -> tuple[list[Page], list[FileError]]:
    """Pages of every readable file, in file order then page order, and an error per bad file.

    Args:
        files: (name, content) pairs; the name is only a label, the type comes from the bytes.
    """
    options = options or ocr.OcrOptions(timeout_s=limits.ocr_timeout_s)
    files = unique_names(files)
    pages: list[Page] = []
    errors: list[FileError] = []
    pending: list[_Pending] = []
    for name, data in files:
        try:
            text_pages, image_pages = _file_pages(name, data, limits)
        except IngestError as exc:
            errors.append(FileError(file=name, code=exc.code, message=exc.message))
            continue
        pages.extend(text_pages)
        pending.extend(image_pages)
    for result in _ocr_pending(pending, limits, options):
        if isinstance(result, FileError):
            errors.append(result)
        else:
            pages.append(result)
    order = {name: i for i, (name, _) in enumerate(files)}
    pages.sort(key=lambda p: (order[p.file], p.number))
    return pages, errors
