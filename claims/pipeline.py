"""A package end to end, as the CLI and the API both run it: ingest (documents, fields,
completeness); for a refund package the verdict, whose P-codes join the package's problems; the
appeal's category under a profile; and the most similar past decisions."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from ingest.documents import DocTypeModel
from ingest.package import ingest_package
from ingest.sniff import Limits
from ingest.types import Document, PackageReport, Problem

# The documents that state the case in the applicant's words, best first.
CASE_TYPES = ("appeal", "claim_letter", "term_restoration_request")
SEARCH_QUERY_CHARS = 1500
PRIOR_TOP = 5  # categories a search's category prior takes from a prediction (the rest are near zero)


def query_category_prior(profile, query: str, mode: str = "hybrid") -> dict[str, float] | None:
    """The category prior a search takes from ``profile``'s view of ``query`` (the CLI's and the API's
    ``--profile``/``profile``). None where the search would not use it (not hybrid) or will refuse the
    query (empty, over-long) with its own error: nothing is classified in vain."""
    from search.hybrid import MAX_QUERY_CHARS

    if mode != "hybrid" or not query.strip() or len(query) > MAX_QUERY_CHARS:
        return None
    return profile.predict([query], top=PRIOR_TOP)[0].top_probabilities()


@dataclass
class PackageResult:
    report: PackageReport
    case_text: str = ""  # what was classified and searched with (kept for reviewers' feedback)

    @property
    def refund(self) -> dict | None:
        return self.report.refund


def case_text(documents: list[Document]) -> str:
    """The text that says what the case is about: the appeal (or claim) if the package has one,
    else its longest document."""
    for doc_type in CASE_TYPES:
        texts = [d.text for d in documents if d.doc_type == doc_type and d.text.strip()]
        if texts:
            return "\n\n".join(texts)
    texts = sorted((d.text for d in documents if d.text.strip()), key=len, reverse=True)
    return texts[0] if texts else ""


def process_package(
    files: list[tuple[str, bytes]],
    process: str | None,
    doctype_model: DocTypeModel | None,
    limits: Limits = Limits(),
    include_text: bool = False,
    refund_model=None,
    today: dt.date | None = None,
    profile=None,
    index=None,
    k: int = 5,
) -> PackageResult:
    """``profile`` (a CategoryProfile) adds the category; ``index`` (a DecisionIndex, or any
    object with its ``search``) adds ``k`` similar decisions."""
    report, documents = ingest_package(files, process, doctype_model, limits, include_text, today)
    if process == "device_refund":
        from classify.refund.documents import facts_from_documents
        from classify.refund.verdict import assess

        start = time.perf_counter()
        verdict = assess(facts_from_documents(documents), refund_model)
        report.refund = verdict.to_json()
        if verdict.verdict == "likely_invalid" and report.completeness is not None:
            report.completeness.problems += [
                Problem(code=r.code, message=f"{r.message} ({r.article})") for r in verdict.reasons
            ]
        report.timings_ms["refund_ms"] = round((time.perf_counter() - start) * 1000, 1)
    text = case_text(documents)
    prediction = None
    if profile is not None and text:
        start = time.perf_counter()
        prediction = profile.predict([text], top=PRIOR_TOP)[0]
        report.category = {"profile": profile.name, **prediction.to_json()}
        report.timings_ms["category_ms"] = round((time.perf_counter() - start) * 1000, 1)
    if index is not None and text:
        start = time.perf_counter()
        prior = prediction.top_probabilities() if prediction is not None else None
        hits = index.search(text[:SEARCH_QUERY_CHARS], k=k, category_prior=prior)
        report.similar_decisions = [h.to_json() for h in hits]
        report.timings_ms["search_ms"] = round((time.perf_counter() - start) * 1000, 1)
    return PackageResult(report, text)
