"""Typed values passed between the search modules and returned to callers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

#: Fields of a decision record with a column of their own; any other field is kept as metadata.
CORE_FIELDS = ("id", "title", "text", "category", "outcome", "organisation", "date")


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
        if not isinstance(text, str) or not text.strip():
            raise SearchError("bad_record", f"record {rid!r} has no text")
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
            title=str(obj.get("title") or ""),
            category=obj.get("category"),
            outcome=obj.get("outcome"),
            organisation=obj.get("organisation"),
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
