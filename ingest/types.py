"""Typed results passed between the ingest stages and out to the PackageReport."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

TextSource = Literal["pdf_text", "ocr", "docx", "txt"]

DOC_TYPES = (
    "appeal",
    "claim_letter",
    "fo_response",
    "contract",
    "receipt",
    "quality_check_act",
    "repair_document",
    "passport",
    "power_of_attorney",
    "acceptance_act",
    "company_details",
    "appointment_order",
    "term_restoration_request",
    "other",
)


class IngestError(Exception):
    """A file that cannot be read: ``code`` is stable, ``message`` says what to do about it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Word(BaseModel):
    """A word with its box in page pixels (OCR) or points (PDF) and its confidence (0-100)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    conf: float = 100.0


class Page(BaseModel):
    file: str
    number: int  # 1-based within its file
    text: str
    source: TextSource
    words: list[Word] = Field(default_factory=list)
    ocr_confidence: float | None = None  # mean word confidence, 0-100, OCR pages only
    text_layer_rejected: str | None = None  # why a PDF text layer was not trusted, when it was not
    ms: float = 0.0


class FileError(BaseModel):
    file: str
    code: str
    message: str


class ExtractedField(BaseModel):
    """One value found in a document: raw text, normalised value, where it was, and whether it
    passed its checksum or format check (``valid`` is None where there is no check)."""

    raw: str
    value: Any
    confidence: float = 1.0
    page: int | None = None
    start: int
    end: int
    valid: bool | None = None


class TypeAlternative(BaseModel):
    """A type the model also gives a real chance to: what a reviewer should check first when the
    document's type looks wrong (a required document reported missing may be among them)."""

    doc_type: str
    probability: float


class Document(BaseModel):
    id: str
    file: str
    files: list[str]
    pages: list[int]  # page numbers within ``file`` (the first file when a document spans files)
    doc_type: str = "other"
    doc_type_confidence: float = 0.0
    doc_type_alternatives: list[TypeAlternative] = Field(default_factory=list)
    text_source: Literal["pdf_text", "ocr", "mixed", "docx", "txt"]
    ocr_confidence: float | None = None
    text: str
    page_offsets: list[int] = Field(default_factory=list)  # where each page starts in ``text``
    fields: dict[str, list[ExtractedField]] = Field(default_factory=dict)

    def first(self, name: str) -> ExtractedField | None:
        values = self.fields.get(name)
        return values[0] if values else None

    def value(self, name: str) -> Any:
        f = self.first(name)
        return f.value if f else None


class Problem(BaseModel):
    code: str
    message: str
    document: str | None = None
    field: str | None = None


class CompletenessReport(BaseModel):
    complete: bool
    missing_documents: list[str]
    problems: list[Problem]


class DocumentView(BaseModel):
    """A document as the report shows it (``text`` only on request)."""

    id: str
    file: str
    pages: list[int]
    doc_type: str
    doc_type_confidence: float
    doc_type_alternatives: list[TypeAlternative] = Field(default_factory=list)
    text_source: str
    ocr_confidence: float | None
    fields: dict[str, list[ExtractedField]]
    errors: list[FileError] = Field(default_factory=list)
    text: str | None = None


class PackageReport(BaseModel):
    process: str | None
    documents: list[DocumentView]
    errors: list[FileError] = Field(default_factory=list)
    completeness: CompletenessReport | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict)
    # Filled by the later stages (claims.pipeline) and the service.
    package_id: str | None = None
    category: dict[str, Any] | None = None
    refund: dict[str, Any] | None = None
    similar_decisions: list[dict[str, Any]] = Field(default_factory=list)
