"""Typed values passed between the search modules and returned to callers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

#: Fields of a decision record with a column of their own; any other field is kept as metadata.
CORE_FIELDS = ("id", "title", "text", "category", "outcome", "organisation", "date")
#: The longest decision text accepted: about 120 pages, several times the longest ombudsman decision;
#: a longer one is refused rather than left to hold the library while its passages are embedded.
MAX_DECISION_CHARS = 300_000
MAX_ID_CHARS = 200


def _scalar(rid, name: str, value) -> str | None:
    """A column's value as text (a number is written as text); a list or an object is refused."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise SearchError("bad_record", f"record {rid!r}: {name} must be text, not {type(value).__name__}")


class SearchError(ValueError):
    """Bad search input (empty query, k out of range, unknown filter value, bad record)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class DecisionRecord:
    id: str
    text: str
    title: str = ""
    category: str | None = None
    outcome: str | None = None
    organisation: str | None = None
    date: str | None = None  # ISO date
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, obj: dict) -> DecisionRecord:
        """Validate one corpus record. Raises SearchError with a code on a bad record."""
        if not isinstance(obj, dict):
            raise SearchError("bad_record", "a record must be a JSON object")
        rid, text = obj.get("id"), obj.get("text")
        if rid is None or (isinstance(rid, str) and not rid.strip()):
            raise SearchError("bad_record", "record has no id")
        if isinstance(rid, bool) or not isinstance(rid, str | int):
            raise SearchError("bad_record", f"a record's id must be text or a number, not {type(rid).__name__}")
        if len(str(rid)) > MAX_ID_CHARS:
            raise SearchError("bad_record", f"record id {str(rid)[:40]!r}... is over {MAX_ID_CHARS} characters")
        if not isinstance(text, str) or not text.strip():
            raise SearchError("bad_record", f"record {rid!r} has no text")
        if len(text) > MAX_DECISION_CHARS:
            raise SearchError(
                "decision_too_long",
                f"record {rid!r} has {len(text)} characters of text; the limit is {MAX_DECISION_CHARS}",
            )
        date = obj.get("date")
        if date is not None:
            try:
                date = dt.date.fromisoformat(str(date)[:10]).isoformat()
            except ValueError as exc:
                raise SearchError("bad_record", f"record {rid!r}: date {date!r} is not ISO (YYYY-MM-DD)") from exc
        meta = {k: v for k, v in obj.items() if k not in CORE_FIELDS}
        return cls(
            id=str(rid),
            text=text,
            title=_scalar(rid, "title", obj.get("title")) or "",
            category=_scalar(rid, "category", obj.get("category")),
            outcome=_scalar(rid, "outcome", obj.get("outcome")),
            organisation=_scalar(rid, "organisation", obj.get("organisation")),
            date=date,
            meta=meta,
        )


@dataclass(frozen=True)
class Passage:
    """A piece of a decision small enough for the encoder, with its character span in the text."""

    decision_id: str
    index: int
    text: str
    start: int
    end: int


@dataclass
class SearchFilters:
    category: str | None = None
    outcome: str | None = None
    organisation: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in vars(self).values())


@dataclass
class Hit:
    decision_id: str
    score: float
    title: str
    category: str | None
    outcome: str | None
    organisation: str | None
    date: str | None
    snippet: str
    passage_index: int
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "decision_id": self.decision_id,
            "score": round(self.score, 6),
            "title": self.title,
            "category": self.category,
            "outcome": self.outcome,
            "organisation": self.organisation,
            "date": self.date,
            "snippet": self.snippet,
            "meta": self.meta,
        }
