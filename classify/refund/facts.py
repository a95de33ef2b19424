"""The facts a refund verdict rests on (domain reference, section 3), each optionally with the
span of text it was read from."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ACCOUNT_MAX_CHARS = 20_000  # a letter's account beyond this is cut at a sentence end


class Span(BaseModel):
    start: int
    end: int
    text: str


class Repair(BaseModel):
    handed_over: dt.date
    returned: dt.date | None = None  # None: still in repair
    defect: str | None = None
    agreed_term_days: int | None = Field(None, ge=1, le=365)


class RefundFacts(BaseModel):
    """``None`` means the fact is not known; rules that need it do not fire and the verdict says
    which facts are missing."""

    transfer_date: dt.date | None = None
    claim_date: dt.date | None = None
    channel: Literal["store", "remote"] | None = None
    price: float | None = Field(None, ge=0)
    model: str | None = None
    defect: str | None = None  # None with defect_claimed False: proper quality
    defect_claimed: bool | None = None
    defect_found_date: dt.date | None = None
    defect_disclosed_at_sale: bool | None = None
    significant_defect: bool | None = None
    repairs: list[Repair] = Field(default_factory=list)
    warranty_months: int | None = Field(None, ge=0, le=120)
    quality_check: Literal["defect_confirmed", "no_defect", "consumer_fault"] | None = None
    quality_check_disputed: bool | None = None
    expertise_cause: Literal["manufacturing", "consumer_fault"] | None = None
    business_purpose: bool | None = None
    proof_defect_predates_transfer: bool | None = None
    return_terms_in_writing: bool | None = None
    # The consumer's own words on how the defect arose (an intake form's free text; from a letter,
    # what it says beyond the facts read from it). The rules do not read it; the learned layer does.
    account: str | None = Field(None, max_length=ACCOUNT_MAX_CHARS)
    spans: dict[str, Span] = Field(default_factory=dict)

    def claimed_defect(self) -> bool | None:
        """Whether the consumer claims a defect (explicitly, or by naming one)."""
        if self.defect_claimed is not None:
            return self.defect_claimed
        if self.defect:
            return True
        return None

    @classmethod
    def from_generated(cls, facts: dict) -> RefundFacts:
        """The generator's JSON (``refund_cases.jsonl``): a null defect there means none claimed."""
        data = dict(facts)
        data["defect_claimed"] = data.get("defect") is not None
        return cls.model_validate(data)


class SubmittedRepair(Repair):
    model_config = ConfigDict(extra="forbid")


class SubmittedFacts(RefundFacts):
    """Facts as a caller gives them (the API, `claims refund assess --facts`): a name that is not a
    fact, or not a repair's, is an error rather than dropped, so a misspelt one ("purchase_date") is
    not silently left unknown."""

    model_config = ConfigDict(extra="forbid")

    repairs: list[SubmittedRepair] = Field(default_factory=list)
