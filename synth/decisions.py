"""A library of ombudsman-style decisions and paraphrased search queries with known answers."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import asdict, dataclass

from synth import lexicon as lx
from synth.appeal_content import FINANCE
from synth.decision_content import DECISION_CATEGORIES, OPERATIVE, POSITIONS, REASONING
from synth.decision_queries import PARAPHRASE_FAMILIES

OUTCOMES = ("satisfied", "partially_satisfied", "denied", "terminated")
OUTCOME_WEIGHTS = (0.35, 0.25, 0.33, 0.07)
OMBUDSMEN = ["С.В. Максимова", "Д.В. Новак", "В.В. Климов", "Т.М. Савицкая", "К.В. Корнеев", "А.А. Воронин"]


@dataclass
class Decision:
    id: str
    title: str
    text: str
    category: str
    outcome: str
    organisation: str
    date: str
    amount_claimed: int
    amount_awarded: int
    issue: str  # category/issue index: the case type the decision is about
    source: str = "synthetic"

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class SearchQuery:
    id: str
    query: str
    category: str
    target: str  # the decision the query was written from (grade 2)
    relevant: list[str]  # same case type and organisation (grade 1), target included

    def to_json(self) -> dict:
        return asdict(self)


def _decision(i: int, rng: random.Random) -> Decision:
    category = rng.choice(list(DECISION_CATEGORIES))
    spec = DECISION_CATEGORIES[category]
    issue_idx = rng.randrange(len(spec["issues"]))
    formal, _ = spec["issues"][issue_idx]
    outcome = rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
    org = lx.organisation(rng, FINANCE[category]["kind"])
    consumer = lx.person(rng)
    date = lx.date_between(rng, dt.date(2019, 6, 1), dt.date(2025, 10, 31))
    contract_date = date - dt.timedelta(days=rng.randint(90, 1500))
    claim_date = date - dt.timedelta(days=rng.randint(40, 80))
    claimed = rng.randrange(5_000, 500_000, 10)
    awarded = {"satisfied": claimed, "partially_satisfied": int(claimed * rng.uniform(0.2, 0.8))}.get(outcome, 0)
    number = f"У-{date.year % 100}-{rng.randint(10000, 199999)}/5010-{rng.randint(1, 12):03d}"
    norms = rng.sample(spec["norms"], k=min(2, len(spec["norms"])))
    money = lx.money
    paragraphs = [
        f"РЕШЕНИЕ\nпо результатам рассмотрения обращения № {number}\nг. Москва, {lx.format_date(date, rng)}",
        "Финансовый уполномоченный по правам потребителей финансовых услуг "
        f"{rng.choice(OMBUDSMEN)}, рассмотрев "
        f"обращение Заявителя — {consumer.full} — в отношении {org} (далее — Финансовая организация) "
        f"{spec['subject']},",
        "УСТАНОВИЛ:",
        f"Заявитель просит взыскать с Финансовой организации денежные средства в размере {money(claimed, rng)}.",
        f"{lx.format_date(contract_date, rng)} между Заявителем и Финансовой организацией заключён договор "
        f"№ {rng.randint(100000, 9999999)}. {formal} {lx.format_date(claim_date, rng)} Заявитель обратился в "
        f"Финансовую организацию с претензией, которая оставлена без удовлетворения.",
        POSITIONS[outcome],
        f"В соответствии с положениями {norms[0]} финансовая организация обязана исполнить "
        "принятые на себя обязательства. "
        + (f"Согласно {norms[1]} подлежат учёту установленные законом сроки и условия. " if len(norms) > 1 else "")
        + REASONING[outcome],
        "РЕШИЛ:",
        OPERATIVE[outcome].format(
            consumer=consumer.full,
            org=org,
            amount=money(claimed, rng),
            amount_part=money(awarded, rng),
        ),
        "Решение вступает в силу по истечении десяти рабочих дней после даты его подписания и может быть "
        "обжаловано в суде в течение тридцати дней после вступления в силу.",
    ]
    title = f"Решение № {number}: {spec['subject']} ({lx.short_org(org)})"
    return Decision(
        id=f"dec-{i:06d}",
        title=title,
        text=lx.tidy("\n\n".join(paragraphs)),
        category=category,
        outcome=outcome,
        organisation=org,
        date=date.isoformat(),
        amount_claimed=claimed,
        amount_awarded=awarded,
        issue=f"{category}/{issue_idx}",
    )


def paraphrase(issue: str, family: int = 0) -> str:
    """How a consumer names case type ``issue`` ("category/index") in wording family 0 to 4."""
    category, idx = issue.split("/")
    if family == 0:
        return DECISION_CATEGORIES[category]["issues"][int(idx)][1]
    return PARAPHRASE_FAMILIES[category][int(idx)][family - 1]


def _query(i: int, target: Decision, relevant: list[str], rng: random.Random, family: int = 0) -> SearchQuery:
    wording = paraphrase(target.issue, family)
    org = lx.short_org(target.organisation)
    amount = f"около {round(target.amount_claimed, -3):,}".replace(",", " ") + " руб."
    style = rng.randrange(3)
    if style == 0:
        text = f"{wording}, {org}"
    elif style == 1:
        text = f"{org}: {wording}, сумма {amount}"
    else:
        text = f"похожие дела: {wording} ({org})"
    return SearchQuery(id=f"q-{i:05d}", query=text, category=target.category, target=target.id, relevant=relevant)


def queries_for(decisions: list[Decision], n: int, rng: random.Random, family: int = 0) -> list[SearchQuery]:
    """``n`` queries written from decisions drawn from ``decisions``, in wording family ``family``;
    each query's relevant decisions are those of the same case type and organisation."""
    by_case: dict[tuple[str, str], list[str]] = defaultdict(list)
    for d in decisions:
        by_case[(d.issue, d.organisation)].append(d.id)
    targets = rng.sample(decisions, k=min(n, len(decisions)))
    return [_query(i, d, by_case[(d.issue, d.organisation)], rng, family) for i, d in enumerate(targets)]


def generate_decisions(seed: int, n_decisions: int, n_queries: int) -> tuple[list[Decision], list[SearchQuery]]:
    """The library and its test queries, written in wording family 0."""
    rng = random.Random(f"{seed}/decisions")
    decisions = [_decision(i, rng) for i in range(n_decisions)]
    return decisions, queries_for(decisions, n_queries, random.Random(f"{seed}/queries"))
