"""Refund-invalidity rules P1..P9 (domain reference, section 3) as data: a code, the legal source
and a Russian message per rule, and a predicate over the facts and their timeline that answers
True (fires), False (does not) or None (cannot tell: a fact it needs is missing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from classify.refund.facts import RefundFacts
from classify.refund.timeline import Timeline

Predicate = Callable[[RefundFacts, Timeline], bool | None]


@dataclass(frozen=True)
class RefundRule:
    code: str
    article: str
    message: str
    needs: tuple[str, ...]  # facts whose absence makes the predicate unanswerable
    predicate: Predicate


def _all(*values: bool | None) -> bool | None:
    """Three-valued AND: False wins, then None."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _p3(f: RefundFacts, t: Timeline) -> bool | None:
    if f.claimed_defect() is False:
        return False
    if t.within_refund_window is None:
        return None
    if t.within_refund_window:
        return False
    grounds = [t.significant, t.repair_deadline_breached, t.max_repair_days_in_a_warranty_year > 30]
    if any(g is True for g in grounds):
        return False
    return None if t.significant is None else True


def _p4(f: RefundFacts, t: Timeline) -> bool | None:
    if f.claimed_defect() is False:
        return False
    if t.found_after_two_years is None or t.found_after_warranty is None:
        return None
    if f.warranty_months == 0:
        return t.found_after_two_years
    if not t.found_after_warranty:
        return False
    # After the warranty the consumer must prove the defect predates transfer; no proof offered = none.
    return t.found_after_two_years or f.proof_defect_predates_transfer is not True


def _p9(f: RefundFacts, t: Timeline) -> bool | None:
    if f.claimed_defect() is False or not f.repairs:
        return False
    return _all(
        t.significant is False,
        None if t.within_refund_window is None else not t.within_refund_window,
        not t.repair_deadline_breached,
        t.max_repair_days_in_a_warranty_year <= 30,
    )


def _proper_quality(f: RefundFacts) -> bool | None:
    claimed = f.claimed_defect()
    return None if claimed is None else not claimed


RULES: tuple[RefundRule, ...] = (
    RefundRule(
        "P1",
        "преамбула Закона РФ от 07.02.1992 № 2300-1 (понятие «потребитель»)",
        "Товар приобретён для предпринимательских целей: Закон о защите прав потребителей не применяется.",
        ("business_purpose",),
        lambda f, t: f.business_purpose is True,  # unstated: a consumer is presumed
    ),
    RefundRule(
        "P2",
        "ст. 18 п. 1 Закона № 2300-1 (недостаток, не оговорённый продавцом)",
        "Недостаток был оговорён продавцом при продаже.",
        ("defect_disclosed_at_sale",),
        lambda f, t: f.defect_disclosed_at_sale is True,
    ),
    RefundRule(
        "P3",
        "ст. 18 п. 1 Закона № 2300-1; Постановление Правительства РФ от 10.11.2011 № 924",
        "Прошло более 15 дней с передачи технически сложного товара, а оснований для возврата нет: недостаток "
        "не существенный, срок ремонта не нарушен, ремонты не превысили 30 дней в году гарантии.",
        ("transfer_date", "claim_date", "significant_defect"),
        _p3,
    ),
    RefundRule(
        "P4",
        "ст. 19 п. 1 и п. 5 Закона № 2300-1",
        "Недостаток обнаружен после окончания гарантийного срока (и двух лет с передачи, либо без доказательств "
        "того, что он возник до передачи товара).",
        ("transfer_date", "warranty_months", "proof_defect_predates_transfer"),
        _p4,
    ),
    RefundRule(
        "P5",
        "ст. 18 п. 5 и п. 6 Закона № 2300-1",
        "Экспертиза (или не оспоренная проверка качества) установила, что недостаток возник по вине потребителя: "
        "нарушение правил эксплуатации, влага, механические повреждения.",
        ("expertise_cause",),
        lambda f, t: (
            f.expertise_cause == "consumer_fault"
            or (f.quality_check == "consumer_fault" and f.quality_check_disputed is False)
        ),
    ),
    RefundRule(
        "P6",
        "ст. 18 п. 5 Закона № 2300-1",
        "Проверка качества не выявила недостатка, и потребитель её результат не оспаривает.",
        ("quality_check_disputed",),
        lambda f, t: f.quality_check == "no_defect" and f.quality_check_disputed is False,
    ),
    RefundRule(
        "P7",
        "ст. 25 Закона № 2300-1; Постановление Правительства РФ от 31.12.2020 № 2463",
        "Технически сложный товар надлежащего качества, купленный в магазине, обмену и возврату не подлежит.",
        ("defect_claimed", "channel"),
        lambda f, t: _all(_proper_quality(f), None if f.channel is None else f.channel == "store"),
    ),
    RefundRule(
        "P8",
        "ст. 26.1 п. 4 Закона № 2300-1",
        "Товар надлежащего качества, купленный дистанционно: срок возврата истёк.",
        ("defect_claimed", "channel", "return_terms_in_writing"),
        lambda f, t: _all(
            _proper_quality(f), None if f.channel is None else f.channel == "remote", t.remote_window_passed
        ),
    ),
    RefundRule(
        "P9",
        "ст. 18 п. 1 и ст. 20 Закона № 2300-1",
        "Недостаток несущественный, прошло более 15 дней и срок ремонта соблюдён: положен только бесплатный ремонт.",
        ("significant_defect",),
        _p9,
    ),
)


@dataclass(frozen=True)
class ReviewCondition:
    """Facts that conflict or leave the outcome open: the verdict goes to a person."""

    missing_fact: str
    message: str
    applies: Callable[[RefundFacts], bool]


REVIEW_CONDITIONS: tuple[ReviewCondition, ...] = (
    ReviewCondition(
        "expertise_cause",
        "Потребитель оспаривает результат проверки качества, экспертизы нет (ст. 18 п. 5): нужна экспертиза.",
        lambda f: f.quality_check == "no_defect" and f.quality_check_disputed is True and f.expertise_cause is None,
    ),
)
