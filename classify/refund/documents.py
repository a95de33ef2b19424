"""Refund facts from a whole package: the claim letter says most, and the package's documents
confirm or fill in the rest (the receipt's date and total, repair dates, the quality-check result)."""

from __future__ import annotations

from classify.refund.extract import extract_facts
from classify.refund.facts import RefundFacts, Repair
from ingest.fields import parse_iso
from ingest.types import Document


def facts_from_documents(documents: list[Document]) -> RefundFacts:
    letters = [d for d in documents if d.doc_type == "claim_letter"]
    facts = extract_facts(letters[0].text) if letters else RefundFacts()
    for receipt in (d for d in documents if d.doc_type == "receipt"):
        if facts.transfer_date is None:
            facts.transfer_date = parse_iso(receipt.value("document_date") or receipt.value("date"))
        if facts.price is None and receipt.value("total") is not None:
            facts.price = receipt.value("total")
    known = {r.handed_over for r in facts.repairs}
    for doc in (d for d in documents if d.doc_type == "repair_document"):
        handed = parse_iso(doc.value("handed_over"))
        if handed and handed not in known:
            facts.repairs.append(Repair(handed_over=handed, returned=parse_iso(doc.value("returned"))))
            known.add(handed)
    for act in (d for d in documents if d.doc_type == "quality_check_act"):
        if facts.quality_check is None and act.value("result"):
            facts.quality_check = act.value("result")
    return facts
