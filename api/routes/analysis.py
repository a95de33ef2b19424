"""Single texts: an appeal's category, a refund demand's verdict."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, ValidationError

from api.audit import audit
from api.deps import ready_state
from api.errors import ProblemError
from api.keys import ApiKey
from api.security import require
from api.state import ServiceState

router = APIRouter(prefix="/v1", tags=["analysis"])
MAX_TEXT = 100_000


class ClassifyRequest(BaseModel):
    text: str = Field(..., min_length=1, max_length=MAX_TEXT, description="The appeal's text")
    profile: str = Field("finance", description="Category profile (taxonomy)")
    top: int = Field(3, ge=1, le=20)


class AssessRequest(BaseModel):
    facts: dict[str, Any] | None = Field(None, description="Structured facts (RefundFacts)")
    text: str | None = Field(None, max_length=MAX_TEXT, description="The consumer's claim letter")


def get_profile(state: ServiceState, name: str):
    profile = state.profiles.get(name)
    if profile is None:
        raise ProblemError(
            422, "unknown_profile", "unknown profile", f"{name!r}; known: {', '.join(sorted(state.profiles))}"
        )
    return profile


@router.post("/appeals/classify", summary="An appeal's category with a calibrated probability")
def classify_appeal(
    body: ClassifyRequest, request: Request, _: ApiKey = Depends(require("intake")), state=Depends(ready_state)
) -> dict:
    if not body.text.strip():
        raise ProblemError(422, "empty_text", "empty text", "the appeal's text is blank")
    profile = get_profile(state, body.profile)
    prediction = profile.predict([body.text], top=body.top)[0]
    audit(request, "appeal.classify", body.profile)
    return {"profile": profile.name, **prediction.to_json()}


@router.post("/refunds/assess", summary="Verdict on a smartphone refund demand, with legal reasons")
def assess_refund(
    body: AssessRequest, request: Request, _: ApiKey = Depends(require("intake")), state=Depends(ready_state)
) -> dict:
    from classify.refund.extract import extract_facts
    from classify.refund.facts import SubmittedFacts
    from classify.refund.verdict import assess

    if (body.facts is None) == (body.text is None or not body.text.strip()):
        raise ProblemError(422, "facts_or_text", "give facts or text", "exactly one of `facts` and `text`")
    if body.facts is not None:
        try:
            facts = SubmittedFacts.model_validate(body.facts)
        except ValidationError as exc:
            errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
            raise ProblemError(422, "bad_facts", "facts are not valid", "see errors", errors=errors) from exc
    else:
        facts = extract_facts(body.text)
    audit(request, "refund.assess")
    return assess(facts, state.refund_model).to_json()
