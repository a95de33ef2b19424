"""What a file is, from its first bytes (never from its name), and the limits a file must respect."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from ingest.types import IngestError

KINDS = ("pdf", "png", "jpeg", "tiff", "bmp", "webp", "docx", "txt")
IMAGE_KINDS = {"png", "jpeg", "tiff", "bmp", "webp"}


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 50 * 2**20
    max_pages: int = 300
    max_pixels: int = 60_000_000
    ocr_timeout_s: float = 60.0
    ocr_workers: int = 0

    @classmethod
    def from_settings(cls, settings) -> Limits:
        return cls(
            settings.max_file_bytes,
            settings.max_pages,
            settings.max_pixels,
            settings.ocr_timeout_s,
            settings.ocr_workers,
        )


def _looks_like_text(data: bytes) -> bool:
    sample = data[:65536]
    if b"\x00" in sample:
        return False
    for encoding in ("utf-8", "cp1251"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError as exc:
            if encoding == "utf-8" and exc.start >= len(sample) - 4:  # a character cut by the sample end
                text = sample[: exc.start].decode(encoding)
            else:
                continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        return printable >= 0.95 * max(len(text), 1)
    return False


def sniff(data: bytes, limits: Limits = Limits()) -> str:
    """The file's kind, one of ``KINDS``.

    Raises:
        IngestError: ``empty_file``, ``file_too_large`` or ``unsupported_type``.
    """
    if not data:
        raise IngestError("empty_file", "файл пуст (0 байт)")
    if len(data) > limits.max_file_bytes:
        raise IngestError(
            "file_too_large",
            # the caller may have read only the limit and one byte more: the length is not the file's
            f"файл больше допустимого размера ({limits.max_file_bytes} байт)",
        )
    head = data[:16]
    if data[:1024].lstrip().startswith(b"%PDF-") or b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"BM"):
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "word/document.xml" in z.namelist():
                    return "docx"
        except zipfile.BadZipFile as exc:
            raise IngestError("corrupt_file", "повреждённый ZIP/DOCX-файл") from exc
        raise IngestError("unsupported_type", "ZIP-архив не является документом DOCX")
    if _looks_like_text(data):
        return "txt"
    raise IngestError(
        "unsupported_type",
        "неподдерживаемый тип файла (принимаются PDF, PNG, JPEG, TIFF, BMP, WEBP, DOCX, TXT)",
    )
