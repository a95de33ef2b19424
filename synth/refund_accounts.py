"""The consumer's own account of how the defect arose: the part of a claim letter that the rules do
not read. Some accounts tell of damage the consumer caused (a drop, water, a third-party repair,
heat or pressure, a wrong charger); others are innocent. A seller's quality check usually finds
consumer fault after the first kind, so the generated history refuses most of those demands even
though the stated facts give a right to a refund: this is what the refund model's text block
learns to see.

Every concept is worded in three families. Families 0 and 1 train the model; family 2 is never
used for training and measures whether the model learned the meaning or the wording. The families
were written before the model was; none was edited after its scores were seen.
"""

from __future__ import annotations

import random
import re

TRAIN_FAMILIES = (0, 1)
HELD_OUT_FAMILIES = (2,)
ALL_FAMILIES = (0, 1, 2)

# concept -> one sentence per family
# fmt: off
MISUSE = {
    "drop": (
        "Накануне поломки телефон выпал у меня из рук на асфальт.",
        "Перед тем как появилась неисправность, я уронил смартфон на кафельный пол.",
        "За день до этого аппарат соскользнул со стола и ударился о плитку.",
    ),
    "water": (
        "Незадолго до этого в телефон попала вода: я попал под сильный дождь.",
        "Смартфон намок, когда я случайно опустил его в раковину с водой.",
        "Перед этим устройство побывало в луже, после чего я сушил его феном.",
    ),
    "third_party_repair": (
        "До обращения к вам я отдавал телефон в частную мастерскую, где его вскрывали.",
        "Сначала я пытался сам заменить аккумулятор и разбирал корпус.",
        "Знакомый мастер уже разбирал аппарат и менял в нём шлейф.",
    ),
    "heat_or_pressure": (
        "Телефон несколько часов лежал на солнце на приборной панели автомобиля.",
        "Я случайно сел на смартфон, и корпус немного погнулся.",
        "Аппарат всю ночь пролежал на раскалённой батарее отопления.",
    ),
    "wrong_charger": (
        "Заряжал телефон неоригинальным зарядным устройством, купленным на рынке.",
        "Пользовался дешёвым китайским зарядником без маркировки.",
        "Питание я подавал самодельным кабелем от прикуривателя машины.",
    ),
}
INNOCENT = {
    "careful_use": (
        "Телефоном я пользовался аккуратно, в чехле и с защитным стеклом.",
        "Смартфон всегда носил в чехле и бережно с ним обращался.",
        "Правила эксплуатации я соблюдал, аппарат содержал в полной сохранности.",
    ),
    "after_update": (
        "Неисправность появилась после установки официального обновления системы.",
        "Проблема возникла сразу после обновления прошивки от производителя.",
        "Сбой начался, когда устройство само загрузило и поставило новую версию ОС.",
    ),
    "from_the_start": (
        "Недостаток проявился при первом же включении.",
        "Уже в первые дни использования я заметил эту проблему.",
        "Дефект был виден почти сразу, как только я достал аппарат из коробки.",
    ),
    "original_charger": (
        "Заряжал телефон только комплектным зарядным устройством.",
        "Пользовался исключительно оригинальной зарядкой из коробки.",
        "Питание подавал лишь через штатный адаптер, шедший в комплекте.",
    ),
    "nothing_happened": (
        "Никаких внешних воздействий на телефон не было.",
        "Телефон не падал, в воду не попадал.",
        "Ударов, влаги и перегрева аппарат не испытывал.",
    ),
}
# said by either kind of account, so that its length tells nothing
NEUTRAL = (
    (
        "О неисправности я сразу сообщил в магазин по телефону.",
        "Чек и коробку от телефона я сохранил.",
    ),
    (
        "Про поломку я сразу написал продавцу в чат.",
        "Упаковка и документы на смартфон у меня остались.",
    ),
    (
        "Продавца о дефекте я известил в тот же день.",
        "Кассовый чек и упаковка сохранились полностью.",
    ),
)
# fmt: on


# the consumer's own verbs (not the friend's "разбирал аппарат"), for a woman's letter
_FEMININE = {
    "уронил": "уронила", "попал под": "попала под", "отдавал": "отдавала", "пытался сам": "пыталась сама",
    "разбирал корпус": "разбирала корпус", "сушил": "сушила", "опустил": "опустила", "сел": "села",
    "Заряжал": "Заряжала", "Пользовался": "Пользовалась", "пользовался": "пользовалась",
    "подавал": "подавала", "носил": "носила", "обращался": "обращалась", "соблюдал": "соблюдала",
    "содержал": "содержала", "заметил": "заметила", "достал": "достала", "сообщил": "сообщила",
    "написал": "написала", "известил": "известила", "сохранил": "сохранила",
}  # fmt: skip
_FEMININE_RE = re.compile(r"\b(" + "|".join(sorted(_FEMININE, key=len, reverse=True)) + r")\b")


def feminine(text: str) -> str:
    return _FEMININE_RE.sub(lambda m: _FEMININE[m.group(1)], text)


def account(rng: random.Random, misuse: bool, families: tuple[int, ...]) -> str:
    """One or two sentences of the consumer's account: with ``misuse`` one tells of damage the
    consumer caused, otherwise one is innocent; the other, if any, is neutral."""
    family = rng.choice(families)
    concepts = MISUSE if misuse else INNOCENT
    told = concepts[rng.choice(sorted(concepts))][family]
    if rng.random() < 0.4:
        neutral = rng.choice(NEUTRAL[rng.choice(families)])
        return f"{told} {neutral}" if rng.random() < 0.5 else f"{neutral} {told}"
    return told
