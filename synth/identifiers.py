"""Valid (and deliberately invalid) Russian identifiers for generated documents.

Check digits follow section 5 of the domain reference. The validators that ingest uses are a
separate implementation; the generator's tests check one against the other.
"""

from __future__ import annotations

import random

INN10_W = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12_W1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12_W2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _digits(rng: random.Random, n: int, first_nonzero: bool = True) -> list[int]:
    d = [rng.randint(0, 9) for _ in range(n)]
    if first_nonzero and d[0] == 0:
        d[0] = rng.randint(1, 9)
    return d


def _check(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_company(rng: random.Random) -> str:
    d = _digits(rng, 9)
    return "".join(map(str, d + [_check(d, INN10_W)]))


def inn_person(rng: random.Random) -> str:
    d = _digits(rng, 10)
    d.append(_check(d, INN12_W1))
    d.append(_check(d, INN12_W2))
    return "".join(map(str, d))


def ogrn(rng: random.Random) -> str:
    body = "".join(map(str, [rng.choice([1, 5])] + _digits(rng, 11, False)))
    return body + str(int(body) % 11 % 10)


def ogrnip(rng: random.Random) -> str:
    body = "3" + "".join(map(str, _digits(rng, 13, False)))
    return body + str(int(body) % 13 % 10)


def kpp(rng: random.Random, inn: str) -> str:
    return inn[:4] + rng.choice(["01", "01", "43", "45"]) + "001"


def bik(rng: random.Random) -> str:
    return "04" + "".join(map(str, _digits(rng, 7, False)))


def settlement_account(rng: random.Random, bik_code: str) -> str:
    """20 digits such that (last 3 of БИК + account) weighted 7,1,3... sums to 0 mod 10."""
    base = "40702810" + "".join(map(str, _digits(rng, 12, False)))
    for k in range(10):
        acc = base[:8] + str(k) + base[9:]
        digits = [int(c) for c in bik_code[-3:] + acc]
        if sum(d * (7, 1, 3)[i % 3] for i, d in enumerate(digits)) % 10 == 0:
            return acc
    raise AssertionError("a control digit always exists")


def snils(rng: random.Random) -> str:
    d = _digits(rng, 9, False)
    if int("".join(map(str, d))) <= 1001998:
        d[0] = rng.randint(1, 9)
    s = sum(x * w for x, w in zip(d, range(9, 0, -1), strict=True))
    if s < 100:
        check = s
    elif s in (100, 101):
        check = 0
    else:
        check = s % 101
        check = 0 if check == 100 else check
    n = "".join(map(str, d))
    return f"{n[:3]}-{n[3:6]}-{n[6:9]} {check:02d}"


def imei(rng: random.Random) -> str:
    body = [3, 5] + _digits(rng, 12, False)
    total = 0
    for i, d in enumerate(body):  # Luhn: double every second digit from the left (index 1, 3...)
        if i % 2 == 1:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return "".join(map(str, body)) + str((10 - total % 10) % 10)


def passport(rng: random.Random) -> dict[str, str]:
    region = rng.randint(1, 99)
    year = rng.randint(5, 24)
    return {
        "series": f"{region:02d}{year:02d}",
        "number": f"{rng.randint(0, 999999):06d}",
        "unit_code": f"{rng.randint(100, 999)}-{rng.randint(0, 999):03d}",
    }


def break_check_digit(value: str) -> str:
    """The same identifier with its last digit changed: format valid, checksum not."""
    last = int(value[-1])
    return value[:-1] + str((last + 1 + (last % 3)) % 10)
