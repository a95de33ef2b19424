"""Checks of Russian identifiers (domain reference, section 5). Each returns whether the value is
valid; ``normalise_*`` helpers return the canonical form. An independent implementation from the
generator's (synth/identifiers.py): the tests check one against the other."""

from __future__ import annotations

import re

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def digits_only(value: str) -> str:
    return re.sub(r"\D", "", value)


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_valid(value: str) -> bool:
    """ИНН: 10 digits (company) or 12 (person) with their check digits."""
    v = digits_only(value)
    if len(v) == 10:
        return _weighted(v[:9], _INN10) == int(v[9])
    if len(v) == 12:
        return _weighted(v[:10], _INN12_11) == int(v[10]) and _weighted(v[:11], _INN12_12) == int(v[11])
    return False


def ogrn_valid(value: str) -> bool:
    """ОГРН (13 digits, mod 11) or ОГРНИП (15 digits, mod 13)."""
    v = digits_only(value)
    if len(v) == 13:
        return int(v[:12]) % 11 % 10 == int(v[12])
    if len(v) == 15:
        return int(v[:14]) % 13 % 10 == int(v[14])
    return False


def kpp_valid(value: str) -> bool:
    return re.fullmatch(r"\d{4}[0-9A-Z]{2}\d{3}", value.strip()) is not None


def bik_valid(value: str) -> bool:
    return re.fullmatch(r"0\d{8}", digits_only(value)) is not None


def account_valid(account: str, bik: str) -> bool:
    """A settlement account against its bank's БИК: weights 7,1,3 over БИК[-3:] + account."""
    a, b = digits_only(account), digits_only(bik)
    if len(a) != 20 or len(b) != 9:
        return False
    return sum(int(d) * (7, 1, 3)[i % 3] for i, d in enumerate(b[-3:] + a)) % 10 == 0


def snils_valid(value: str) -> bool:
    v = digits_only(value)
    if len(v) != 11:
        return False
    if int(v[:9]) <= 1001998:  # numbers up to 001-001-998 carry no check
        return True
    s = sum(int(d) * w for d, w in zip(v[:9], range(9, 0, -1), strict=True))
    check = s if s < 100 else 0 if s in (100, 101) else s % 101 % 100
    return check == int(v[9:])


def imei_valid(value: str) -> bool:
    """15 digits, Luhn."""
    v = digits_only(value)
    if len(v) != 15:
        return False
    total = 0
    for i, ch in enumerate(v):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def passport_valid(series: str, number: str) -> bool:
    return re.fullmatch(r"\d{4}", digits_only(series)) is not None and re.fullmatch(r"\d{6}", number) is not None


def unit_code_valid(value: str) -> bool:
    return re.fullmatch(r"\d{3}-\d{3}", value.strip()) is not None


def normalise_phone(value: str) -> str | None:
    """``+7XXXXXXXXXX`` for ``+7`` or ``8`` followed by 10 digits, else None."""
    v = digits_only(value)
    if len(v) == 11 and v[0] in "78":
        return "+7" + v[1:]
    return None
