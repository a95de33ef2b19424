"""An independent reading of the refund rules (domain reference, section 3), used only to check
the generator's labels. Works on the JSON form of the facts, with its own date arithmetic."""

from __future__ import annotations

from datetime import date, timedelta


def _d(s):
    return date.fromisoformat(s) if s else None


def _plus_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(y, m, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def judge(f: dict, misuse_told: bool = False) -> tuple[str, list[str], list[str]]:
    """Return (verdict, fired P-codes, missing facts). ``misuse_told``: the consumer's account tells
    of damage they caused; a demand the rules would grant then waits for a quality check."""
    verdict, fired, missing = _rules(f)
    if misuse_told and verdict == "likely_valid" and f["quality_check"] is None:
        return "needs_review", [], ["quality_check"]
    return verdict, fired, missing


def _rules(f: dict) -> tuple[str, list[str], list[str]]:
    transfer = _d(f["transfer_date"])
    if transfer is None:
        return "needs_review", [], ["transfer_date"]
    claim = _d(f["claim_date"])
    fired = set()
    if f["business_purpose"]:
        fired.add("P1")
    if f["defect_disclosed_at_sale"]:
        fired.add("P2")

    if f["defect"] is None:  # proper quality
        if f["channel"] == "store":
            fired.add("P7")
        else:
            last = transfer + timedelta(days=7) if f["return_terms_in_writing"] else _plus_months(transfer, 3)
            if claim > last:
                fired.add("P8")
        return ("likely_invalid" if fired else "likely_valid"), sorted(fired), []

    if f["expertise_cause"] == "consumer_fault":
        fired.add("P5")
    if f["quality_check"] == "no_defect":
        if f["quality_check_disputed"] and f["expertise_cause"] is None:
            return "needs_review", sorted(fired), ["expertise_cause"]
        if not f["quality_check_disputed"]:
            fired.add("P6")

    repairs = [(_d(r["handed_over"]), _d(r["returned"]), r["defect"], r["agreed_term_days"]) for r in f["repairs"]]
    repair_days = sum(((b or claim) - a).days for a, b, _, _ in repairs)
    found = _d(f["defect_found_date"]) or claim
    months = f["warranty_months"] or 0
    warranty_end = _plus_months(transfer, months) + timedelta(days=repair_days) if months else None
    two_years = _plus_months(transfer, 24)
    expired = warranty_end is not None and found >= warranty_end
    late = found >= two_years
    if (warranty_end is None and late) or (expired and (late or not f["proof_defect_predates_transfer"])):
        fired.add("P4")

    if (claim - transfer).days > 15:
        defects = [d for _, _, d, _ in repairs]
        significant = f["significant_defect"]
        if len(defects) != len(set(defects)):
            significant = True  # the same defect came back after repair
        breached = any(((b or claim) - a).days > min(t or 45, 45) for a, b, _, t in repairs)
        long_year = False
        for k in range(0, 10):
            lo, hi = _plus_months(transfer, 12 * k), _plus_months(transfer, 12 * (k + 1))
            total = sum(max(0, (min(b or claim, hi) - max(a, lo)).days) for a, b, _, _ in repairs)
            long_year |= total > 30
        if significant is None and not breached and not long_year:
            return "needs_review", sorted(fired), ["significant_defect"]
        if not (significant or breached or long_year):
            fired.add("P3")
            if repairs and not breached and significant is False:
                fired.add("P9")
    return ("likely_invalid" if fired else "likely_valid"), sorted(fired), []
