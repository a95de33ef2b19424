"""Typos and colloquialisms at a controlled rate, the way people type on a phone."""

from __future__ import annotations

import random
import re

# Neighbouring keys of the Russian ЙЦУКЕН layout (a typo usually hits one of them).
_ROWS = ["йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю"]
NEIGHBOURS: dict[str, str] = {}
for _row in _ROWS:
    for _i, _ch in enumerate(_row):
        NEIGHBOURS[_ch] = _row[max(0, _i - 1) : _i] + _row[_i + 1 : _i + 2]

COLLOQUIAL_OPENERS = ["Короче, ", "Вообще, ", "Ну вот, ", "Блин, ", "Так вот, ", "Честно говоря, "]
COLLOQUIAL_SWAPS = {
    "деньги": "деньжата",
    "телефон": "телефончик",
    "сейчас": "щас",
    "что": "че",
    "вообще": "ваще",
    "пожалуйста": "пжлст",
    "спасибо": "спс",
}
_WORD = re.compile(r"[А-Яа-яЁё]{4,}")


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:  # swap two letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # drop a letter
        return word[:i] + word[i + 1 :]
    if kind == 2:  # double a letter
        return word[:i] + word[i] + word[i:]
    near = NEIGHBOURS.get(word[i].lower())
    return word[:i] + (rng.choice(near) if near else word[i]) + word[i + 1 :]


def add_typos(text: str, rate: float, rng: random.Random) -> str:
    """Misspell about ``rate`` of the words of four letters or more."""
    if rate <= 0:
        return text
    return _WORD.sub(lambda m: _typo(m.group(0), rng) if rng.random() < rate else m.group(0), text)


def colloquialise(text: str, rate: float, rng: random.Random) -> str:
    """Spoken-register words and a dropped "ё" or comma here and there, at about ``rate``."""
    if rate <= 0:
        return text
    if rng.random() < rate * 2:
        text = rng.choice(COLLOQUIAL_OPENERS) + text[:1].lower() + text[1:]
    for word, slang in COLLOQUIAL_SWAPS.items():
        if word in text and rng.random() < rate:
            text = text.replace(word, slang, 1)
    if rng.random() < rate * 3:
        text = text.replace("ё", "е")
    if rng.random() < rate * 2:
        text = re.sub(r",(?= )", "", text, count=rng.randint(1, 3))
    return text


def roughen(text: str, typo_rate: float, colloquial_rate: float, rng: random.Random) -> str:
    return add_typos(colloquialise(text, colloquial_rate, rng), typo_rate, rng)
