"""The ingest stage as one call: files in, a PackageReport out (documents with types and fields,
per-file errors, and the completeness check when the process is known)."""

from __future__ import annotations

import datetime as dt
import time

from ingest.completeness import check_package, load_rules
from ingest.documents import DocTypeModel, split_documents
from ingest.fields import extract_fields
from ingest.read import read_files
from ingest.sniff import Limits
from ingest.types import Document, DocumentView, PackageReport


def _view(doc: Document, include_text: bool) -> DocumentView:
    return DocumentView(
        id=doc.id,
        file=doc.file,
        pages=doc.pages,
        doc_type=doc.doc_type,
        doc_type_confidence=doc.doc_type_confidence,
        doc_type_alternatives=doc.doc_type_alternatives,
        text_source=doc.text_source,
        ocr_confidence=doc.ocr_confidence,
        fields=doc.fields,
        text=doc.text if include_text else None,
    )


def ingest_documents(
    files: list[tuple[str, bytes]],
    model: DocTypeModel | None,
    limits: Limits = Limits(),
) -> tuple[list[Document], list, dict[str, float]]:
    """Read, split, type and extract: the documents, the per-file errors and the stage timings."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    pages, errors = read_files(files, limits)
    t1 = time.perf_counter()
    timings["read_ms"] = (t1 - t0) * 1000
    timings["ocr_pages"] = sum(p.source == "ocr" for p in pages)
    documents = split_documents(pages, model)
    t2 = time.perf_counter()
    timings["split_and_type_ms"] = (t2 - t1) * 1000
    for doc in documents:
        doc.fields = extract_fields(doc)
    timings["fields_ms"] = (time.perf_counter() - t2) * 1000
    return documents, errors, timings


def ingest_package(
    files: list[tuple[str, bytes]],
    process: str | None,
    model: DocTypeModel | None,
    limits: Limits = Limits(),
    include_text: bool = False,
    today: dt.date | None = None,
) -> tuple[PackageReport, list[Document]]:
    """The report for a package (and the documents, for later stages that need their text).

    Raises:
        UnknownProcess: ``process`` has no rule file (checked before any file is read).
    """
    if process:
        load_rules(process)
    start = time.perf_counter()
    documents, errors, timings = ingest_documents(files, model, limits)
    completeness = None
    if process:
        t = time.perf_counter()
        completeness = check_package(documents, process, today)
        timings["completeness_ms"] = (time.perf_counter() - t) * 1000
    timings["total_ms"] = (time.perf_counter() - start) * 1000
    report = PackageReport(
        process=process,
        documents=[_view(d, include_text) for d in documents],
        errors=errors,
        completeness=completeness,
        timings_ms={k: round(v, 1) for k, v in timings.items()},
    )
    return report, documents
