"""Appeals for the ``finance`` and ``telecom`` taxonomies, 15 template families per category.

A template family is (category, k): register skeleton k (formal letter, angry complaint, two-line
message, lawyer's appeal...) with the category's core k. Skeleton k is used by family k of every
category, so holding out family indices holds out both unseen structures and unseen wording.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

from synth import lexicon as lx
from synth.appeal_content import TAXONOMIES
from synth.noise import roughen

N_FAMILIES = 15
#: Family indices held out for validation and test: their skeletons and cores are never trained on.
VALIDATION_FAMILIES = frozenset({10, 11})
TEST_FAMILIES = frozenset({12, 13, 14})


def family_split(family_index: int) -> str:
    if family_index in TEST_FAMILIES:
        return "test"
    if family_index in VALIDATION_FAMILIES:
        return "validation"
    return "train"


@dataclass
class Case:
    """The filled-in facts one appeal states."""

    person: lx.Person
    org: str
    org_short: str
    city: str
    core: str
    demands: list[str]
    details: list[str]
    date: str
    phone_number: str


@dataclass
class AppealRecord:
    id: str
    taxonomy: str
    category: str
    template_family: str
    family_index: int
    register: str
    split: str
    confuser: bool
    text: str

    def to_json(self) -> dict:
        return asdict(self)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _fill(template: str, rng: random.Random, org: str, city: str, number: str) -> str:
    start, end = dt.date(2022, 1, 1), dt.date(2025, 10, 31)
    d1 = lx.date_between(rng, start, end)
    d2 = d1 + dt.timedelta(days=rng.randint(3, 120))
    phone, price = lx.phone_model_price(rng)
    amount = rng.choice([price, rng.randrange(3_000, 500_000, 10), rng.randrange(500, 20_000, 10)])
    return template.format(
        org=org,
        amount=lx.money(amount, rng),
        date=lx.format_date(d1, rng),
        date2=lx.format_date(d2, rng),
        car=rng.choice(lx.CAR_MODELS),
        phone=phone,
        num=number,
        months=rng.choice([6, 12, 18, 24, 36, 60]),
        days=rng.randint(12, 90),
        city=city,
    )


# ---- register skeletons: one function per family index -------------------------------------


def _formal_letter(c: Case, rng: random.Random) -> str:
    p = c.person
    lines = [
        "Финансовому уполномоченному" if rng.random() < 0.6 else f"В {c.org}",
        f"от {lx.inflect_name(p, 'gent')}, проживающ{'ей' if p.female else 'его'} по адресу: {lx.address(rng, c.city)}",
        "",
        "ОБРАЩЕНИЕ",
        "",
        f"Настоящим сообщаю, что {c.core}",
        *c.details[:2],
        "На основании изложенного " + c.demands[0][0].lower() + c.demands[0][1:],
        "",
        f"{c.date}    ____________ /{p.short}/",
    ]
    return "\n".join(lines)


def _angry(c: Case, rng: random.Random) -> str:
    start = rng.choice(["Это просто безобразие!", "Сколько можно издеваться над людьми?!", "Я в бешенстве!"])
    end = rng.choice(["Разберитесь наконец!!!", "Буду жаловаться везде, вплоть до суда!", "Верните мои деньги!!"])
    return f"{start} {_cap(c.core)} {c.org_short} просто игнорирует мои обращения. {c.demands[0]} {end}"


def _two_lines(c: Case, rng: random.Random) -> str:
    hello = rng.choice(["Здравствуйте.", "Добрый день!", "Здравствуйте!"])
    return f"{hello} {_cap(c.core)}\n{c.demands[0]}"


def _lawyer(c: Case, rng: random.Random) -> str:
    p = c.person
    return (
        f"Действуя в интересах {p.short} на основании доверенности, сообщаю следующее. "
        f"Между доверителем и {c.org} возникли правоотношения, в рамках которых {c.core} "
        f"{' '.join(c.details[:2])} Указанные действия нарушают права потребителя, гарантированные "
        f"Законом РФ «О защите прав потребителей» и ГК РФ.\nНа основании изложенного ПРОШУ:\n"
        + "\n".join(f"{i}. {d}" for i, d in enumerate(c.demands[:2], start=1))
        + "\nПредставитель по доверенности"
    )


def _chat(c: Case, rng: random.Random) -> str:
    text = f"добрый день, такая ситуация: {c.core} что делать? {c.demands[0].lower()}"
    return text.replace(".", "").replace("ё", "е")


def _elderly(c: Case, rng: random.Random) -> str:
    who = "пенсионерка" if c.person.female else "пенсионер"
    return (
        f"Уважаемые господа! Пишет вам {who} из города {c.city}. Я человек пожилой, в законах не "
        f"разбираюсь. {_cap(c.core)} Звонила и ходила много раз, никто не помогает. "
        f"{c.demands[0]} Очень прошу помочь, больше мне обратиться не к кому.\n{c.person.full}"
    )


def _chronology(c: Case, rng: random.Random) -> str:
    steps = [f"1) {c.date} обратил{'ась' if c.person.female else 'ся'} в {c.org}.", f"2) {_cap(c.core)}"]
    steps += [f"{i}) {d}" for i, d in enumerate(c.details[:2], start=3)]
    return "Хронология событий:\n" + "\n".join(steps) + f"\nТребование: {c.demands[0]}"


def _question(c: Case, rng: random.Random) -> str:
    return (
        f"Подскажите, пожалуйста, законно ли это? {_cap(c.core)} "
        f"Имеет ли {c.org_short} право так поступать и что мне теперь делать? "
        f"Хочу, чтобы {rng.choice(['мне помогли', 'разобрались', 'вмешались'])}. {c.demands[0]}"
    )


def _claim_list(c: Case, rng: random.Random) -> str:
    p = c.person
    demands = "\n".join(f"- {d}" for d in c.demands[:3])
    return (
        f"ПРЕТЕНЗИЯ\nЯ, {p.full}, сообщаю: {c.core}\nТРЕБУЮ:\n{demands}\n"
        f"Ответ прошу направить по адресу: {lx.address(rng, c.city)}"
    )


def _email(c: Case, rng: random.Random) -> str:
    p = c.person
    return (
        f"Тема: жалоба на {c.org_short}\n\nДобрый день!\n\n{_cap(c.core)}\n{' '.join(c.details[:1])}\n\n"
        f"{c.demands[0]}\n\nС уважением,\n{p.first} {p.surname}\nтел. {c.phone_number}"
    )


def _on_behalf(c: Case, rng: random.Random) -> str:
    relative = rng.choice(["своей матери", "своего отца", "бабушки", "своего супруга"])
    return (
        f"Обращаюсь от имени {relative}, которая сама не может написать. Ситуация следующая: {c.core} "
        f"{' '.join(c.details[:1])} Мы просим: {c.demands[0][0].lower()}{c.demands[0][1:]}"
    )


def _repeat(c: Case, rng: random.Random) -> str:
    n = rng.choice(["второе", "третье", "уже четвёртое"])
    return (
        f"Это {n} обращение по одному и тому же вопросу, предыдущие остались без ответа. "
        f"Напоминаю: {c.core} Срок ответа давно истёк. {c.demands[0]} "
        f"В случае очередного отказа буду вынужден{'а' if c.person.female else ''} обратиться в суд."
    )


def _structured(c: Case, rng: random.Random) -> str:
    return (
        f"Суть обращения: {c.core}\nОбстоятельства: {' '.join(c.details[:2])}\n"
        f"Организация: {c.org}\nТребования: {' '.join(c.demands[:2])}\n"
        f"Контакты: {c.phone_number}, {c.person.short}"
    )


def _narrative(c: Case, rng: random.Random) -> str:
    return (
        f"Ситуация такая, сам{'а' if c.person.female else ''} до сих пор в шоке. {_cap(c.core)} "
        f"Я им и звонил{'а' if c.person.female else ''}, и писал{'а' if c.person.female else ''}, а "
        f"в ответ одни отписки, мол ждите. {' '.join(c.details[:2])} Ну сколько можно ждать? "
        f"{c.demands[0]} Надеюсь хоть вы поможете."
    )


def _legal_formal(c: Case, rng: random.Random) -> str:
    return (
        f"Руководствуясь положениями Федерального закона от 04.06.2018 № 123-ФЗ, заявляю "
        f"следующее. {_cap(c.core)} Полагаю действия {c.org} неправомерными. "
        f"{' '.join(c.details[:2])} С учётом изложенного {c.demands[0][0].lower()}{c.demands[0][1:]} "
        f"Досудебный порядок соблюдён."
    )


SKELETONS: list[tuple[str, Callable[[Case, random.Random], str]]] = [
    ("formal_letter", _formal_letter),
    ("angry_complaint", _angry),
    ("two_line_message", _two_lines),
    ("lawyer_appeal", _lawyer),
    ("chat_message", _chat),
    ("elderly_letter", _elderly),
    ("chronology", _chronology),
    ("question", _question),
    ("claim_list", _claim_list),
    ("email", _email),
    ("on_behalf", _on_behalf),
    ("repeat_complaint", _repeat),
    ("structured_form", _structured),
    ("colloquial_narrative", _narrative),
    ("legal_formal", _legal_formal),
]
assert len(SKELETONS) == N_FAMILIES


# Demands and details are partitioned like the families: a held-out family never reuses the
# wording that training families use (pool item i belongs to the split POOL_SPLIT[i % 4]). Each
# category has 12 of each, so a split sees several (train 6, validation 3, test 3): with 4, every
# test appeal of a category carried the same single demand and detail, and the held-out figure
# turned on those two sentences.
POOL_SPLIT = ("train", "train", "validation", "test")
# In confuser families the organisation is often of the neighbouring kind (a bank selling
# credit-life insurance, a bank financing a car under KASKO, an operator's salon selling phones).
CONFUSER_KIND = {"life_insurance": "bank", "kasko": "bank", "device_refund": "operator"}


def _pool(items: list[str], split: str) -> list[str]:
    mine = [t for i, t in enumerate(items) if POOL_SPLIT[i % len(POOL_SPLIT)] == split]
    return mine or items


def make_case(spec: dict, family_index: int, rng: random.Random, category: str = "") -> Case:
    kind = spec["kind"]
    if family_index in spec["confusers"] and category in CONFUSER_KIND and rng.random() < 0.5:
        kind = CONFUSER_KIND[category]
    org = lx.organisation(rng, kind)
    city = rng.choice(lx.CITIES)
    number = lx.phone_number(rng)

    def fill(t: str) -> str:
        return _fill(t, rng, org, city, number)

    split = family_split(family_index)
    demand_pool, detail_pool = _pool(spec["demands"], split), _pool(spec["details"], split)
    demands = rng.sample(demand_pool, k=min(3, len(demand_pool)))
    details = rng.sample(detail_pool, k=min(2, len(detail_pool)))
    return Case(
        person=lx.person(rng),
        org=org,
        org_short=lx.short_org(org),
        city=city,
        core=fill(spec["cores"][family_index]),
        demands=[fill(d) for d in demands],
        details=[fill(d) for d in details],
        date=lx.format_date(lx.date_between(rng, dt.date(2023, 1, 1), dt.date(2025, 10, 31)), rng),
        phone_number=number,
    )


def generate_appeals(
    seed: int,
    per_family: int,
    typo_rate: float = 0.015,
    colloquial_rate: float = 0.1,
    taxonomies: tuple[str, ...] = ("finance", "telecom"),
) -> Iterator[AppealRecord]:
    """Yield ``per_family`` appeals for every (taxonomy, category, family), deterministically."""
    for taxonomy in taxonomies:
        for category, spec in TAXONOMIES[taxonomy].items():
            assert len(spec["cores"]) == N_FAMILIES, category
            for k, (register, skeleton) in enumerate(SKELETONS):
                rng = random.Random(f"{seed}/{taxonomy}/{category}/{k}")
                seen: set[str] = set()
                for i in range(per_family):
                    for _attempt in range(10):  # short registers collide; redraw a duplicate
                        text = skeleton(make_case(spec, k, rng, category), rng)
                        text = lx.tidy(roughen(text, typo_rate, colloquial_rate, rng))
                        if text not in seen:
                            break
                    seen.add(text)
                    yield AppealRecord(
                        id=f"{taxonomy}-{category}-f{k:02d}-{i:04d}",
                        taxonomy=taxonomy,
                        category=category,
                        template_family=f"{taxonomy}/{category}/f{k:02d}",
                        family_index=k,
                        register=register,
                        split=family_split(k),
                        confuser=k in spec["confusers"],
                        text=text,
                    )


def held_out_cores(seed: int, taxonomy: str, per_core: int = 10) -> tuple[list[str], list[str]]:
    """The test families' core sentences alone, slots filled ``per_core`` times each: no register,
    demand or detail around them. What a model makes of an unseen complaint situation by itself, a
    diagnostic beside the whole appeals (a one-line message to the service reads like this)."""
    texts, labels = [], []
    for category, spec in TAXONOMIES[taxonomy].items():
        rng = random.Random(f"{seed}/cores/{taxonomy}/{category}")
        for k in sorted(TEST_FAMILIES):
            for _ in range(per_core):
                org = lx.organisation(rng, spec["kind"])
                text = _fill(spec["cores"][k], rng, org, rng.choice(lx.CITIES), lx.phone_number(rng))
                texts.append(text[:1].upper() + text[1:])
                labels.append(category)
    return texts, labels
