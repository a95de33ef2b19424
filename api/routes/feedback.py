"""Reviewers' corrections, kept for retraining (``claims train categories --with-feedback``)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from api.audit import audit
from api.db import now
from api.deps import ready_state
from api.errors import ProblemError
from api.keys import ApiKey
from api.security import require
from api.state import PROCESS_PROFILES

router = APIRouter(prefix="/v1", tags=["feedback"])
VERDICTS = ("likely_valid", "likely_invalid", "needs_review")


class Feedback(BaseModel):
    kind: Literal["category", "doc_type", "refund_verdict"]
    label: str = Field(..., min_length=1, max_length=100, description="The correct value")
    package_id: str | None = None
    document_id: str | None = Field(None, description="For doc_type: the document in the package")
    profile: str | None = Field(None, description="For category: the taxonomy (default: the package's)")
    predicted: str | None = Field(None, description="What the service said")
    text: str | None = Field(None, max_length=100_000, description="The text judged (default: the package's)")
    comment: str | None = Field(None, max_length=2000)


def save_feedback(db, kind: str, target: str, label: str, key_id: str, **optional) -> int:
    """One correction; ``optional``: predicted, profile, text, comment."""
    cols = ("predicted", "profile", "text", "comment")
    with db.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO feedback (kind, target, label, predicted, profile, text, comment, key_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, target, label, *(optional.get(c) for c in cols), key_id, now()),
        )
        return int(cur.lastrowid)


def stored_feedback(db, kind: str, profile: str | None = None) -> list[dict]:
    sql, params = "SELECT * FROM feedback WHERE kind = ?", [kind]
    if profile is not None:
        sql, params = sql + " AND profile = ?", [*params, profile]
    return [dict(r) for r in db.query(sql + " ORDER BY id", tuple(params))]


@router.post("/feedback", status_code=201, summary="A reviewer's correction of a category, type or verdict")
def post_feedback(
    body: Feedback, request: Request, key: ApiKey = Depends(require("reviewer")), state=Depends(ready_state)
) -> dict:
    from ingest.types import DOC_TYPES

    package = state.jobs.package(body.package_id) if body.package_id else None
    if body.package_id and package is None:
        raise ProblemError(404, "package_not_found", "no such package", body.package_id)
    text, profile, target = body.text, body.profile, body.package_id or ""
    if body.kind == "category":
        if profile is None and package is not None:
            profile = package["profile"] or PROCESS_PROFILES.get(package["process"] or "")
        if profile not in state.profiles:
            raise ProblemError(422, "unknown_profile", "unknown profile", f"{profile!r}")
        if body.label not in state.profiles[profile].classes:
            raise ProblemError(422, "unknown_label", "unknown category", f"{body.label!r} is not in profile {profile}")
        if text is None and package is not None:
            text = package["case_text"]
        if not text or not text.strip():
            raise ProblemError(422, "no_text", "no text", "category feedback needs `text` or a processed package")
    elif body.kind == "doc_type":
        if body.label not in DOC_TYPES:
            raise ProblemError(422, "unknown_label", "unknown document type", body.label)
        if body.document_id:
            target = f"{target}/{body.document_id}"
            if text is None and package is not None:
                if body.document_id not in package["texts"]:
                    raise ProblemError(404, "document_not_found", "no such document", target)
                text = package["texts"][body.document_id]
    elif body.label not in VERDICTS:
        raise ProblemError(422, "unknown_label", "unknown verdict", f"{body.label!r}; one of {', '.join(VERDICTS)}")
    fid = save_feedback(
        state.db,
        body.kind,
        target,
        body.label,
        key.id,
        predicted=body.predicted,
        profile=profile,
        text=text,
        comment=body.comment,
    )
    audit(request, f"feedback.{body.kind}", target)
    return {"id": fid, "kind": body.kind, "label": body.label, "target": target}
