"""Generated identifiers pass the checks of domain reference section 5 (re-implemented here)."""

from __future__ import annotations

import random

import pytest

from synth import identifiers as ids


def inn_ok(s: str) -> bool:
    d = [int(c) for c in s]

    def chk(ws, n):
        return sum(a * b for a, b in zip(d[:n], ws, strict=True)) % 11 % 10

    if len(d) == 10:
        return chk((2, 4, 10, 3, 5, 9, 4, 6, 8), 9) == d[9]
    if len(d) == 12:
        return (
            chk((7, 2, 4, 10, 3, 5, 9, 4, 6, 8), 10) == d[10] and chk((3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8), 11) == d[11]
        )
    return False


def ogrn_ok(s: str) -> bool:
    if len(s) == 13:
        return int(s[:12]) % 11 % 10 == int(s[12])
    if len(s) == 15:
        return int(s[:14]) % 13 % 10 == int(s[14])
    return False


def luhn_ok(s: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(s)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return total % 10 == 0


def snils_ok(s: str) -> bool:
    digits = s.replace("-", "").replace(" ", "")
    body, check = digits[:9], int(digits[9:])
    total = sum(int(c) * w for c, w in zip(body, range(9, 0, -1), strict=True))
    expect = total if total < 100 else 0 if total in (100, 101) else total % 101 % 100
    return expect == check


def account_ok(account: str, bik: str) -> bool:
    digits = [int(c) for c in bik[-3:] + account]
    return sum(d * (7, 1, 3)[i % 3] for i, d in enumerate(digits)) % 10 == 0


@pytest.mark.parametrize(
    "value, check",
    [
        ("7707083893", inn_ok),
        ("500100732259", inn_ok),
        ("1027700132195", ogrn_ok),
        ("490154203237518", luhn_ok),
    ],
    ids=["inn-sberbank", "inn-person", "ogrn-sberbank", "imei-example"],
)
def test_reference_validators_accept_known_real_values(value, check):
    assert check(value)


def test_generated_identifiers_pass_and_broken_ones_fail():
    rng = random.Random(0)
    for _ in range(300):
        for make, check in (
            (ids.inn_company, inn_ok),
            (ids.inn_person, inn_ok),
            (ids.ogrn, ogrn_ok),
            (ids.ogrnip, ogrn_ok),
            (ids.imei, luhn_ok),
        ):
            value = make(rng)
            assert check(value), (make.__name__, value)
            assert not check(ids.break_check_digit(value)), (make.__name__, value)
        assert snils_ok(ids.snils(rng))
        b = ids.bik(rng)
        assert b.startswith("0") and len(b) == 9
        assert account_ok(ids.settlement_account(rng, b), b)
        inn = ids.inn_company(rng)
        assert ids.kpp(rng, inn)[:4] == inn[:4] and len(ids.kpp(rng, inn)) == 9
