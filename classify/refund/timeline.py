"""Exact day arithmetic over the facts: the 15-day window, the 45-day repair limit, the 30-day sum
per warranty year, the warranty and the two-year limit. ``None`` means "cannot tell"."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from classify.refund.facts import RefundFacts

REFUND_WINDOW_DAYS = 15  # art. 18 p.1
REPAIR_LIMIT_DAYS = 45  # art. 20 p.1
REPAIR_SUM_LIMIT_DAYS = 30  # art. 18 p.1, per warranty year
REMOTE_RETURN_DAYS = 7  # art. 26.1 p.4 [unconfirmed: configurable]
REMOTE_RETURN_MONTHS_NO_TERMS = 3  # art. 26.1 p.4 when the return terms were not given in writing
CLAIM_LIMIT_MONTHS = 24  # art. 19 p.1: two years when there is no warranty


def add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return d.replace(year=year, month=month, day=min(d.day, calendar.monthrange(year, month)[1]))


@dataclass
class Timeline:
    days_since_transfer: int | None
    within_refund_window: bool | None
    repair_days: list[int]
    repair_deadline_breached: bool
    max_repair_days_in_a_warranty_year: int
    significant: bool | None
    warranty_end: dt.date | None
    found_after_warranty: bool | None
    found_after_two_years: bool | None
    remote_window_passed: bool | None


def build_timeline(f: RefundFacts) -> Timeline:
    t, claim = f.transfer_date, f.claim_date
    days = (claim - t).days if t and claim else None
    end_of = lambda r: r.returned or claim  # noqa: E731 - a repair still running counts until the claim
    durations = [(end_of(r) - r.handed_over).days for r in f.repairs if end_of(r)]
    breached = any(
        (end_of(r) - r.handed_over).days > min(r.agreed_term_days or REPAIR_LIMIT_DAYS, REPAIR_LIMIT_DAYS)
        for r in f.repairs
        if end_of(r)
    )
    per_year = 0
    if t:
        for k in range(0, 10):
            lo, hi = add_months(t, 12 * k), add_months(t, 12 * (k + 1))
            total = sum(max(0, (min(end_of(r), hi) - max(r.handed_over, lo)).days) for r in f.repairs if end_of(r))
            per_year = max(per_year, total)
    significant = f.significant_defect
    defects = [r.defect for r in f.repairs if r.defect]
    if len(defects) != len(set(defects)):
        significant = True  # the same defect came back after repair
    found = f.defect_found_date or claim
    warranty_end = None
    after_warranty = after_two = None
    if t and found:
        after_two = found >= add_months(t, CLAIM_LIMIT_MONTHS)
        if f.warranty_months is not None:
            if f.warranty_months > 0:
                warranty_end = add_months(t, f.warranty_months) + dt.timedelta(days=sum(durations))  # art. 20 p.3
                after_warranty = found >= warranty_end
            else:
                after_warranty = False  # no warranty: only the two-year limit applies
    remote_passed = None
    if t and claim and f.channel == "remote" and f.return_terms_in_writing is not None:
        last = (
            t + dt.timedelta(days=REMOTE_RETURN_DAYS)
            if f.return_terms_in_writing
            else add_months(t, REMOTE_RETURN_MONTHS_NO_TERMS)
        )
        remote_passed = claim > last
    return Timeline(
        days_since_transfer=days,
        within_refund_window=None if days is None else days <= REFUND_WINDOW_DAYS,
        repair_days=durations,
        repair_deadline_breached=breached,
        max_repair_days_in_a_warranty_year=per_year,
        significant=significant,
        warranty_end=warranty_end,
        found_after_warranty=after_warranty,
        found_after_two_years=after_two,
        remote_window_passed=remote_passed,
    )
