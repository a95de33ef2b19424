"""Russian dates and money amounts in free text, each with its character span. Shared by field
extraction and the refund-facts reader."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7, "август": 8,
    "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
}  # fmt: skip
_MONTH_RE = (
    r"(?P<month>январ[яь]|феврал[яь]|марта?|апрел[яь]|ма[яй]|июн[яь]|июл[яь]|августа?|сентябр[яь]|октябр[яь]"
    r"|ноябр[яь]|декабр[яь])"
)
DATE_RE = re.compile(
    r"(?P<num>\b(?P<d1>\d{1,2})\.(?P<m1>\d{1,2})\.(?P<y1>\d{4}|\d{2})\b)"
    r"|(?P<word>«?(?P<d2>\d{1,2})»?\s+" + _MONTH_RE + r"(?:\s+(?P<y2>\d{4}))?)",
    re.IGNORECASE,
)
MONEY_RE = re.compile(
    r"(?P<amount>\d{1,3}(?:[ \u00a0]\d{3})+|\d+)(?:,(?P<kop>\d{2}))?\s*(?P<thousand>тыс\.?\s*)?"
    r"(?:руб(?:\.|лей|ля|ль)?|₽)",
    re.IGNORECASE,
)


@dataclass
class Found:
    value: object
    start: int
    end: int


def _parse_date(m: re.Match) -> tuple[int, int, int | None] | None:
    """(day, month, year or None) of a date match."""
    if m.group("num"):
        year = int(m.group("y1"))
        return int(m.group("d1")), int(m.group("m1")), year + (2000 if year < 100 else 0)
    word = m.group("month").lower()
    month = next((v for k, v in MONTHS.items() if word.startswith(k)), None)
    if month is None:
        return None
    return int(m.group("d2")), month, int(m.group("y2")) if m.group("y2") else None


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def find_dates(text: str) -> list[Found]:
    """Every date in the text. A date written without a year ("1 июня") takes the year that puts
    it just before the next dated event in the letter (or just after the previous one)."""
    raw = [(m, _parse_date(m)) for m in DATE_RE.finditer(text)]
    raw = [(m, p) for m, p in raw if p is not None]
    full = [(i, _safe_date(p[2], p[1], p[0])) for i, (_, p) in enumerate(raw) if p[2] is not None]
    out = []
    for i, (m, (day, month, year)) in enumerate(raw):
        if year is None:
            later = [d for j, d in full if j > i and d]
            earlier = [d for j, d in full if j < i and d]
            if later:
                anchor = later[0]
                cand = _safe_date(anchor.year, month, day)
                if cand and cand > anchor:
                    cand = _safe_date(anchor.year - 1, month, day)
            elif earlier:
                anchor = earlier[-1]
                cand = _safe_date(anchor.year, month, day)
                if cand and cand < anchor:
                    cand = _safe_date(anchor.year + 1, month, day)
            else:
                cand = None
            value = cand
        else:
            value = _safe_date(year, month, day)
        if value:
            out.append(Found(value, m.start(), m.end()))
    return out


def parse_money(text: str) -> Found | None:
    m = MONEY_RE.search(text)
    if not m:
        return None
    value = float(m.group("amount").replace(" ", "").replace("\u00a0", ""))
    if m.group("kop"):
        value += int(m.group("kop")) / 100
    if m.group("thousand"):
        value *= 1000
    return Found(value, m.start(), m.end())
