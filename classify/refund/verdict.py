"""The refund verdict: rules decide where facts are certain, a learned layer gives the probability
of invalidity where they are not, and the verdict never contradicts a rule that fired."""

from __future__ import annotations

from dataclasses import dataclass, field

from classify.refund.facts import RefundFacts
from classify.refund.rules import REVIEW_CONDITIONS, RULES
from classify.refund.timeline import Timeline, build_timeline

ROOT_FACTS = ("transfer_date", "claim_date")
MODEL_DOUBT = 0.5  # a learned probability of invalidity at or above this sends a "valid" case to review


@dataclass
class Reason:
    code: str
    message: str
    article: str

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message, "article": self.article}


@dataclass
class RefundVerdict:
    verdict: str  # likely_valid | likely_invalid | needs_review
    probability_invalid: float | None
    reasons: list[Reason]
    facts: RefundFacts
    missing_facts: list[str]
    rule_states: dict[str, bool | None] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "verdict": self.verdict,
            "probability_invalid": None if self.probability_invalid is None else round(self.probability_invalid, 4),
            "reasons": [r.to_json() for r in self.reasons],
            "facts": self.facts.model_dump(mode="json", exclude={"spans"}),
            "missing_facts": self.missing_facts,
            "spans": {k: v.model_dump() for k, v in self.facts.spans.items()},
        }


def evaluate_rules(facts: RefundFacts) -> tuple[Timeline, dict[str, bool | None]]:
    timeline = build_timeline(facts)
    return timeline, {r.code: r.predicate(facts, timeline) for r in RULES}


def assess(facts: RefundFacts, model=None) -> RefundVerdict:
    """Apply P1..P9 and the review conditions; ``model`` (a RefundModel, or anything with its
    ``explain``) adds the probability and the account's most suspect sentence."""
    timeline, states = evaluate_rules(facts)
    by_code = {r.code: r for r in RULES}
    fired = [by_code[c] for c, v in states.items() if v is True]
    p, evidence = model.explain(facts, timeline, states) if model is not None else (None, None)
    if fired:
        reasons = [Reason(r.code, r.message, r.article) for r in fired]
        return RefundVerdict("likely_invalid", 1.0, reasons, facts, [], states)
    missing = [f for f in ROOT_FACTS if getattr(facts, f) is None]
    if not missing:
        for code, v in states.items():
            if v is None:
                missing += [n for n in by_code[code].needs if _is_missing(facts, n) and n not in missing]
    reasons = []
    for cond in REVIEW_CONDITIONS:
        if cond.applies(facts):
            reasons.append(Reason("REVIEW", cond.message, "ст. 18 п. 5 Закона № 2300-1"))
            if cond.missing_fact not in missing:
                missing.append(cond.missing_fact)
    if missing or reasons:
        return RefundVerdict("needs_review", p, reasons, facts, missing, states)
    if p is not None and p >= MODEL_DOUBT:
        message = f"Правила не сработали, но модель оценивает вероятность отказа в {p:.0%}"
        if facts.quality_check is None:  # the seller's check settles whether the consumer caused it
            message += ": нужна проверка качества товара"
            missing.append("quality_check")
        if evidence:
            message += f". Со слов потребителя: «{evidence.rstrip('.')}»"
        reasons = [Reason("MODEL", message + ".", "ст. 18 п. 5 Закона № 2300-1")]
        return RefundVerdict("needs_review", p, reasons, facts, missing, states)
    return RefundVerdict("likely_valid", p, [], facts, [], states)


def _is_missing(facts: RefundFacts, name: str) -> bool:
    if name == "defect_claimed":
        return facts.claimed_defect() is None
    return getattr(facts, name, None) is None
