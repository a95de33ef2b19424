"""The decision library: hybrid search with filters, and adding, changing, deleting decisions
(the indexes follow at once)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from api.audit import audit
from api.deps import ready_state
from api.errors import ProblemError
from api.keys import ApiKey
from api.routes.analysis import get_profile
from api.security import require
from api.state import ServiceState

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])


class Filters(BaseModel):
    category: str | None = None
    outcome: str | None = None
    organisation: str | None = None
    date_from: str | None = Field(None, description="YYYY-MM-DD")
    date_to: str | None = Field(None, description="YYYY-MM-DD")


class SearchRequest(BaseModel):
    query: str = Field(..., description="The new case's text or a few words")
    k: int = Field(10, description="How many decisions (1-100)")
    filters: Filters = Field(default_factory=Filters)
    mode: str = Field("hybrid", description="hybrid | dense | lexical")
    profile: str | None = Field(
        None,
        description="A category profile to classify the query with; decisions of its likely categories "
        "rank higher (hybrid mode; costs one classification)",
    )


class DecisionBody(BaseModel):
    text: str = Field(..., description="The decision's full text")
    title: str = ""
    category: str | None = None
    outcome: str | None = None
    organisation: str | None = None
    date: str | None = Field(None, description="YYYY-MM-DD")
    meta: dict[str, Any] = Field(default_factory=dict)


class NewDecision(DecisionBody):
    id: str = Field(..., min_length=1, max_length=200)


def _record(decision_id: str, body: DecisionBody):
    from search.types import DecisionRecord, SearchError

    try:
        return DecisionRecord.from_json({**body.model_dump(), "id": decision_id})
    except SearchError as exc:
        raise ProblemError(422, exc.code, "invalid decision", str(exc)) from exc


@contextlib.contextmanager
def _writing(state: ServiceState) -> Iterator[None]:
    """The service's hold on the library for one write; 503 while another process (`claims index
    add` loading a corpus) writes it for longer than ``CLAIMS_LIBRARY_WAIT_S``: nothing is written."""
    from search.types import SearchError

    with state.index_lock:
        try:
            yield
        except SearchError as exc:
            if exc.code != "index_busy":
                raise
            raise ProblemError(503, exc.code, "decision library busy", str(exc), headers={"Retry-After": "30"}) from exc


def _exists(state: ServiceState, decision_id: str) -> bool:
    return bool(state.index.store.get([decision_id]))


@router.post("/search", summary="Similar past decisions, with the passage that matched")
def search(
    body: SearchRequest, request: Request, _: ApiKey = Depends(require("intake")), state=Depends(ready_state)
) -> dict:
    from claims.pipeline import query_category_prior
    from search.types import SearchError, SearchFilters

    # an unknown profile is an error even when the query itself will be refused
    prior = (
        None if body.profile is None else query_category_prior(get_profile(state, body.profile), body.query, body.mode)
    )
    try:
        hits = state.search(
            body.query,
            k=body.k,
            filters=SearchFilters(**body.filters.model_dump()),
            mode=body.mode,
            category_prior=prior,
        )
    except SearchError as exc:
        raise ProblemError(422, exc.code, "invalid search", str(exc)) from exc
    audit(request, "decisions.search")
    return {"hits": [h.to_json() for h in hits], "count": len(hits)}


@router.get("/{decision_id:path}", summary="One decision with its text")
def get_decision(
    decision_id: str, request: Request, _: ApiKey = Depends(require("intake")), state=Depends(ready_state)
) -> dict:
    found = state.index.store.get([decision_id], with_text=True)
    if not found:
        raise ProblemError(404, "decision_not_found", "no such decision", decision_id)
    audit(request, "decision.read", decision_id)
    return {"id": decision_id, **found[decision_id]}


@router.post("", status_code=201, summary="Add a decision to the library")
def add_decision(
    body: NewDecision, request: Request, _: ApiKey = Depends(require("reviewer")), state=Depends(ready_state)
) -> dict:
    record = _record(body.id, body)
    with _writing(state):
        if _exists(state, body.id):
            raise ProblemError(409, "decision_exists", "decision exists", f"{body.id!r}: use PUT to change it")
        stats = state.index.add([record], progress=False)
        state.library_changed()
    audit(request, "decision.create", body.id)
    return {"id": body.id, "passages": stats.passages}


@router.put("/{decision_id:path}", summary="Change a decision (re-indexed at once)")
def update_decision(
    decision_id: str,
    body: DecisionBody,
    request: Request,
    _: ApiKey = Depends(require("reviewer")),
    state=Depends(ready_state),
) -> dict:
    record = _record(decision_id, body)
    with _writing(state):
        if not _exists(state, decision_id):
            raise ProblemError(404, "decision_not_found", "no such decision", decision_id)
        stats = state.index.add([record], progress=False)
        state.library_changed()
    audit(request, "decision.update", decision_id)
    return {"id": decision_id, "passages": stats.passages, "changed": bool(stats.changed)}


@router.delete("/{decision_id:path}", status_code=204, summary="Remove a decision from the library")
def delete_decision(
    decision_id: str, request: Request, _: ApiKey = Depends(require("admin")), state=Depends(ready_state)
) -> Response:
    with _writing(state):
        found = state.index.delete([decision_id])
        if found:
            state.library_changed()
    if not found:
        raise ProblemError(404, "decision_not_found", "no such decision", decision_id)
    audit(request, "decision.delete", decision_id)
    return Response(status_code=204)
