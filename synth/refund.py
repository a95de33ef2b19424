"""Smartphone refund cases (Law 2300-1): structured facts, the consumer's claim letter, and the
verdict each scenario was built to have.

Every scenario states its expected verdict and P-codes by construction; the generator's tests
re-derive them with an independent implementation of the rules (``tests/synth/refund_oracle.py``),
so a wrong label fails a test instead of silently teaching the models a wrong rule.

Day arithmetic (documented in the dataset card): "days since transfer" is ``claim - transfer``
in calendar days, so a claim on day 15 is within the 15-day window and day 16 is not; a repair
lasts ``returned - handed_over`` days.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import asdict, dataclass, field

from synth import lexicon as lx
from synth.refund_accounts import ALL_FAMILIES, account, feminine
from synth.refund_letters import RENDERERS, days_word, fmt_date

Date = dt.date


def add_months(d: Date, months: int) -> Date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return d.replace(year=year, month=month, day=min(d.day, calendar.monthrange(year, month)[1]))


def add_years(d: Date, years: int) -> Date:
    return add_months(d, 12 * years)


@dataclass
class Repair:
    handed_over: Date
    returned: Date | None
    defect: str
    agreed_term_days: int | None = None


@dataclass
class RefundFacts:
    """The facts of section 3 of the domain reference; ``None`` means "not stated"."""

    transfer_date: Date | None
    claim_date: Date
    channel: str | None  # "store" | "remote"
    price: int | None
    model: str
    defect: str | None  # None: the consumer claims no defect (proper quality)
    defect_found_date: Date | None
    defect_disclosed_at_sale: bool | None
    significant_defect: bool | None
    repairs: list[Repair] = field(default_factory=list)
    warranty_months: int | None = 12
    quality_check: str | None = None  # "defect_confirmed" | "no_defect" | "consumer_fault"
    quality_check_disputed: bool | None = None
    expertise_cause: str | None = None  # "manufacturing" | "consumer_fault"
    business_purpose: bool | None = False
    proof_defect_predates_transfer: bool | None = None
    return_terms_in_writing: bool | None = None
    account: str | None = None  # the consumer's own words on how the defect arose (rules do not read it)

    def to_json(self) -> dict:
        def conv(v):
            if isinstance(v, Date):
                return v.isoformat()
            if isinstance(v, list):
                return [conv(x) for x in v]
            if isinstance(v, dict):
                return {k: conv(x) for k, x in v.items()}
            return v

        return conv(asdict(self))


@dataclass
class RefundCase:
    id: str
    scenario: str
    facts: RefundFacts
    letter: str
    verdict: str  # likely_valid | likely_invalid | needs_review
    codes: list[str]
    missing_facts: list[str]
    misuse_told: bool = False  # the account tells of damage the consumer caused
    outcome: str | None = None  # how the generated history decided it: "invalid" | "valid" | None (open)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "scenario": self.scenario,
            "facts": self.facts.to_json(),
            "letter": self.letter,
            "verdict": self.verdict,
            "codes": self.codes,
            "missing_facts": self.missing_facts,
            "misuse_told": self.misuse_told,
            "outcome": self.outcome,
        }


# ---- scenarios: each returns facts and the verdict it was built to have -----------------------


def _base(rng: random.Random) -> RefundFacts:
    transfer = lx.date_between(rng, dt.date(2022, 1, 10), dt.date(2025, 6, 30))
    model, price = lx.phone_model_price(rng)
    return RefundFacts(
        transfer_date=transfer,
        claim_date=transfer + dt.timedelta(days=5),
        channel="store",
        price=price,
        model=model,
        defect=rng.choice(lx.DEFECTS),
        defect_found_date=transfer + dt.timedelta(days=3),
        defect_disclosed_at_sale=False,
        significant_defect=False,
        warranty_months=rng.choice([12, 12, 12, 24, 6]),
    )


def _within_days(days: int):
    def build(rng):
        f = _base(rng)
        f.defect_found_date = f.transfer_date + dt.timedelta(days=max(0, days - 2))
        f.claim_date = f.transfer_date + dt.timedelta(days=days)
        if days <= 15:
            return f, "likely_valid", []
        return f, "likely_invalid", ["P3"]

    return build


def _significant_after_15(rng):
    f = _base(rng)
    days = rng.randint(20, f.warranty_months * 28)  # found and claimed inside the warranty
    f.defect_found_date = f.transfer_date + dt.timedelta(days=days - 3)
    f.claim_date = f.transfer_date + dt.timedelta(days=days)
    f.significant_defect = True
    f.repairs = (
        [
            Repair(
                f.transfer_date + dt.timedelta(days=days - 60),
                f.transfer_date + dt.timedelta(days=days - 40),
                f.defect,
            )
        ]
        if days > 70
        else []
    )
    return f, "likely_valid", []


def _repair_days(duration: int):
    """One repair of ``duration`` days straddling the first anniversary, so that neither warranty
    year holds more than 30 of its days: 45 keeps the deadline (art. 20 p.1) and only free repair
    is owed; 46 breaches it and gives the right to a refund."""

    def build(rng):
        f = _base(rng)
        f.warranty_months = 24
        start = add_years(f.transfer_date, 1) - dt.timedelta(days=duration // 2)
        f.repairs = [Repair(start, start + dt.timedelta(days=duration), f.defect, agreed_term_days=45)]
        f.defect_found_date = start - dt.timedelta(days=2)
        f.claim_date = start + dt.timedelta(days=duration + rng.randint(1, 5))
        if duration > 45:
            return f, "likely_valid", []
        return f, "likely_invalid", ["P3", "P9"]

    return build


def _repairs_split_across_years(total_first: int, total_second: int):
    """Two repairs of different defects either side of the first anniversary; only a sum above
    30 days inside one warranty year gives right (c)."""

    def build(rng):
        f = _base(rng)
        f.warranty_months = 24
        anniversary = add_years(f.transfer_date, 1)
        r1_end = anniversary - dt.timedelta(days=rng.randint(3, 20))
        r2_start = anniversary + dt.timedelta(days=rng.randint(3, 20))
        other = rng.choice([d for d in lx.DEFECTS if d != f.defect])
        f.repairs = [
            Repair(r1_end - dt.timedelta(days=total_first), r1_end, f.defect, agreed_term_days=45),
            Repair(r2_start, r2_start + dt.timedelta(days=total_second), other, agreed_term_days=45),
        ]
        f.defect_found_date = f.repairs[0].handed_over - dt.timedelta(days=1)
        f.claim_date = f.repairs[1].returned + dt.timedelta(days=3)
        if total_first > 30 or total_second > 30:
            return f, "likely_valid", []
        return f, "likely_invalid", ["P3", "P9"]

    return build


def _after_warranty(over_two_years: bool, proof: bool | None):
    def build(rng):
        f = _base(rng)
        f.warranty_months = 12
        days = rng.randint(760, 1000) if over_two_years else rng.randint(400, 700)
        f.defect_found_date = f.transfer_date + dt.timedelta(days=days)
        f.claim_date = f.defect_found_date + dt.timedelta(days=rng.randint(1, 10))
        f.significant_defect = True
        f.proof_defect_predates_transfer = proof
        if over_two_years or not proof:
            return f, "likely_invalid", ["P4"]
        return f, "likely_valid", []

    return build


def _business(rng):
    f = _base(rng)
    f.business_purpose = True
    return f, "likely_invalid", ["P1"]


def _disclosed(rng):
    f = _base(rng)
    f.defect_disclosed_at_sale = True
    return f, "likely_invalid", ["P2"]


def _expertise_consumer_fault(rng):
    f = _base(rng)
    f.quality_check = "consumer_fault"
    f.quality_check_disputed = True
    f.expertise_cause = "consumer_fault"
    return f, "likely_invalid", ["P5"]


def _expertise_manufacturing(rng):
    f = _base(rng)
    f.quality_check = "consumer_fault"
    f.quality_check_disputed = True
    f.expertise_cause = "manufacturing"
    return f, "likely_valid", []


def _no_defect_found(disputed: bool):
    def build(rng):
        f = _base(rng)
        f.quality_check = "no_defect"
        f.quality_check_disputed = disputed
        if disputed:  # the consumer disputes it and no expertise yet: a reviewer must look
            return f, "needs_review", ["expertise_cause"]
        return f, "likely_invalid", ["P6"]

    return build


def _proper_quality(channel: str, days: int, written_terms: bool):
    def build(rng):
        f = _base(rng)
        f.defect = None
        f.defect_found_date = None
        f.significant_defect = None
        f.channel = channel
        f.return_terms_in_writing = written_terms if channel == "remote" else None
        f.claim_date = f.transfer_date + dt.timedelta(days=days)
        if channel == "store":
            return f, "likely_invalid", ["P7"]
        window_end = f.transfer_date + dt.timedelta(days=7) if written_terms else add_months(f.transfer_date, 3)
        if f.claim_date > window_end:
            return f, "likely_invalid", ["P8"]
        return f, "likely_valid", []

    return build


def _missing_transfer_date(rng):
    f = _base(rng)
    f.transfer_date = None
    return f, "needs_review", ["transfer_date"]


def _significance_unknown(rng):
    f = _base(rng)
    days = rng.randint(40, 200)
    f.defect_found_date = f.transfer_date + dt.timedelta(days=days - 5)
    f.claim_date = f.transfer_date + dt.timedelta(days=days)
    f.significant_defect = None
    return f, "needs_review", ["significant_defect"]


def _defect_rules_allow(rng):
    """A defect the rules give a refund for: claimed within 15 days, or a significant one later."""
    if rng.random() < 0.5:
        return _within_days(rng.randint(2, 15))(rng)
    return _significant_after_15(rng)


#: Facts that give a right to a refund, and an account that tells of damage the consumer caused:
#: only the account (the learned layer) can send these to review, where a quality check settles it.
MISUSE_SCENARIOS = ("misuse_told",)

SCENARIOS = {
    "within_15_days": _within_days(8),
    "day_15_boundary": _within_days(15),
    "day_16_boundary": _within_days(16),
    "significant_defect_after_15": _significant_after_15,
    "repair_45_days": _repair_days(45),
    "repair_46_days": _repair_days(46),
    "repairs_31_in_one_year": _repairs_split_across_years(31, 10),
    "repairs_20_plus_15_across_years": _repairs_split_across_years(20, 15),
    "after_warranty_over_2_years": _after_warranty(True, True),
    "after_warranty_within_2_years_no_proof": _after_warranty(False, False),
    "after_warranty_within_2_years_with_proof": _after_warranty(False, True),
    "business_purpose": _business,
    "defect_disclosed": _disclosed,
    "expertise_consumer_fault": _expertise_consumer_fault,
    "expertise_manufacturing": _expertise_manufacturing,
    "no_defect_undisputed": _no_defect_found(False),
    "no_defect_disputed": _no_defect_found(True),
    "proper_quality_store": _proper_quality("store", 3, True),
    "proper_quality_remote_day_7": _proper_quality("remote", 7, True),
    "proper_quality_remote_day_8": _proper_quality("remote", 8, True),
    "proper_quality_remote_no_terms_2_months": _proper_quality("remote", 60, False),
    "missing_transfer_date": _missing_transfer_date,
    "significance_unknown": _significance_unknown,
    "misuse_told": _defect_rules_allow,
    "innocent_account_told": _defect_rules_allow,
}
MISUSE_REFUSED = 0.85  # share of misuse accounts the history refused (the quality check found fault)
INNOCENT_REFUSED = 0.05  # and of demands with an innocent account
ACCOUNT_SHARE = 0.3  # other defect scenarios that carry an innocent account


# ---- the consumer's letter --------------------------------------------------------------------


def render_letter(f: RefundFacts, rng: random.Random, register: str = "formal") -> str:
    """The consumer's claim letter: the formal template here, other registers in ``synth.refund_letters``."""
    if register != "formal":
        return RENDERERS[register](f, rng)
    p = lx.person(rng)
    shop = lx.organisation(rng, "shop")
    out = [
        f"Руководителю {shop}",
        f"от {lx.inflect_name(p, 'gent')}, тел. {lx.phone_number(rng)}",
        "",
        "ПРЕТЕНЗИЯ",
        "",
    ]
    bought = "приобрёл" if not p.female else "приобрела"
    where = "в интернет-магазине" if f.channel == "remote" else "в вашем магазине"
    when = f" {fmt_date(f.transfer_date, rng)}" if f.transfer_date else ""
    price = f" стоимостью {lx.money(f.price, rng)}" if f.price else ""
    purpose = " для нужд своей организации" if f.business_purpose else ""
    out.append(f"Я{when} {bought} {where} смартфон {f.model}{price}{purpose}.")
    if f.defect_disclosed_at_sale:
        out.append("При продаже меня предупредили, что товар уценён из-за недостатка.")
    if f.defect is None:
        if f.channel == "remote" and f.return_terms_in_writing is False:
            out.append("Информацию о порядке и сроках возврата товара продавец в письменной форме не предоставил.")
        elif f.channel == "remote" and f.return_terms_in_writing:
            out.append("Условия возврата продавец сообщил в письменной форме при доставке.")
        out.append("Товар исправен, но мне не подошёл, хочу его вернуть.")
    else:
        found = f" {fmt_date(f.defect_found_date, rng)}" if f.defect_found_date else ""
        if f.defect_found_date and f.transfer_date and rng.random() < 0.3:
            n = (f.defect_found_date - f.transfer_date).days
            found = " " + (  # a relative date, as people write it
                "на следующий день после покупки"
                if n == 1
                else "через неделю после покупки"
                if n == 7
                else f"через {n} {days_word(n)} после покупки"
            )
        out.append(f"В процессе эксплуатации{found} выявился недостаток: телефон {f.defect}.")
        if f.significant_defect:
            out.append("Недостаток является существенным: он проявляется вновь после устранения.")
        elif f.significant_defect is False and f.transfer_date and (f.claim_date - f.transfer_date).days > 15:
            out.append("В сервисном центре пояснили, что недостаток устранимый и несущественный.")
        if f.account:
            out.append(feminine(f.account) if p.female else f.account)
    for r in f.repairs:
        term = f" (срок ремонта по соглашению {r.agreed_term_days} дней)" if r.agreed_term_days else ""
        back = f", возвращён {fmt_date(r.returned, rng)}" if r.returned else ", до сих пор не возвращён"
        out.append(f"Телефон сдан в ремонт ({r.defect}) {fmt_date(r.handed_over, rng)}{term}{back}.")
    if f.quality_check == "no_defect":
        out.append("По результатам проверки качества недостаток не выявлен.")
        if f.quality_check_disputed:
            out.append("С результатами проверки качества я не согласен, недостаток проявляется постоянно.")
    elif f.quality_check == "consumer_fault":
        out.append("По результатам проверки качества сервисный центр указал на нарушение правил эксплуатации.")
        if f.quality_check_disputed:
            out.append("С выводами сервисного центра я не согласен, по моему требованию проведена экспертиза.")
    if f.expertise_cause == "consumer_fault":
        out.append("Проведённая экспертиза установила, что недостаток возник из-за попадания влаги.")
    elif f.expertise_cause == "manufacturing":
        out.append("Независимая экспертиза установила производственный характер недостатка.")
    if f.warranty_months:
        months = f.warranty_months
        out.append(
            rng.choice(
                [f"Гарантийный срок на товар составляет {months} мес.", f"Гарантия на телефон — {months} месяцев."]
            )
            if months % 12
            else rng.choice(
                [
                    f"Гарантийный срок на товар составляет {months} мес.",
                    f"Гарантия {months // 12} год." if months == 12 else f"Гарантия {months // 12} года.",
                ]
            )
        )
    if f.proof_defect_predates_transfer:
        out.append("Заключение эксперта подтверждает, что недостаток возник до передачи товара.")
    out.append(
        "На основании ст. 18 Закона РФ «О защите прав потребителей» требую расторгнуть договор "
        "купли-продажи и вернуть уплаченную за товар сумму."
    )
    out += ["", f"{fmt_date(f.claim_date, rng)}    ____________ /{p.short}/"]
    return lx.tidy("\n".join(out))


def generate_refund_cases(
    seed: int,
    per_scenario: int,
    families: tuple[int, ...] = ALL_FAMILIES,
    registers: tuple[str, ...] = ("formal",),
    scenarios: tuple[str, ...] | None = None,
) -> list[RefundCase]:
    """``families``: the wording families of the consumers' accounts (``synth.refund_accounts``);
    ``registers``: the letters' registers (``formal``, ``plain``, ``legal``), one drawn per case;
    ``scenarios``: only these (each scenario has its own random stream, so its cases do not change)."""
    cases = []
    for name, build in SCENARIOS.items():
        if scenarios is not None and name not in scenarios:
            continue
        rng = random.Random(f"{seed}/refund/{name}")
        told = random.Random(f"{seed}/refund/{name}/account")  # the facts stay as without accounts
        style = random.Random(f"{seed}/refund/{name}/register")
        for i in range(per_scenario):
            facts, verdict, extra = build(rng)
            misuse = name in MISUSE_SCENARIOS
            if misuse or name == "innocent_account_told" or (facts.defect and told.random() < ACCOUNT_SHARE):
                facts.account = account(told, misuse, families)
            if misuse:
                verdict, extra = "needs_review", ["quality_check"]
            codes = extra if verdict == "likely_invalid" else []
            missing = extra if verdict == "needs_review" else []
            if verdict == "likely_invalid":
                outcome = "invalid"
            elif misuse:
                outcome = "invalid" if told.random() < MISUSE_REFUSED else "valid"
            elif verdict == "likely_valid":
                refused = facts.account is not None and told.random() < INNOCENT_REFUSED
                outcome = "invalid" if refused else "valid"
            else:
                outcome = None
            cases.append(
                RefundCase(
                    id=f"refund-{name}-{i:03d}",
                    scenario=name,
                    facts=facts,
                    letter=render_letter(facts, rng, style.choice(registers)),
                    verdict=verdict,
                    codes=sorted(codes),
                    missing_facts=missing,
                    misuse_told=misuse,
                    outcome=outcome,
                )
            )
    return cases
