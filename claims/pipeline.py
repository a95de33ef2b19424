"""A package end to end, as the CLI and the API both run it: ingest (documents, fields,
completeness), then for a refund package the verdict, whose P-codes join the package's problems."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from ingest.documents import DocTypeModel
from ingest.package import ingest_package
from ingest.sniff import Limits
from ingest.types import PackageReport, Problem


@dataclass
class PackageResult:
    report: PackageReport
    refund: dict | None = None


def process_package(
    files: list[tuple[str, bytes]],
    process: str | None,
    doctype_model: DocTypeModel | None,
    limits: Limits = Limits(),
    include_text: bool = False,
    refund_model=None,
    today: dt.date | None = None,
) -> PackageResult:
    report, documents = ingest_package(files, process, doctype_model, limits, include_text, today)
    refund = None
    if process == "device_refund":
        from classify.refund.documents import facts_from_documents
        from classify.refund.verdict import assess

        start = time.perf_counter()
        verdict = assess(facts_from_documents(documents), refund_model)
        refund = verdict.to_json()
        if verdict.verdict == "likely_invalid" and report.completeness is not None:
            report.completeness.problems += [
                Problem(code=r.code, message=f"{r.message} ({r.article})") for r in verdict.reasons
            ]
        report.timings_ms["refund_ms"] = round((time.perf_counter() - start) * 1000, 1)
    return PackageResult(report, refund)
