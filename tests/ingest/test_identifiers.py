"""Identifier checks (domain reference, section 5): literal tables, and agreement with the
generator's independent implementation on many random values."""

from __future__ import annotations

import random

import pytest

from ingest import identifiers as idc
from synth import identifiers as gen


@pytest.mark.parametrize(
    ("check", "value", "valid"),
    [
        (idc.inn_valid, "7707083893", True),  # Sberbank's ИНН
        (idc.inn_valid, "7707083894", False),
        (idc.inn_valid, "500100732259", True),  # a person's ИНН with both check digits right
        (idc.inn_valid, "500100732258", False),
        (idc.inn_valid, "77070838", False),
        (idc.ogrn_valid, "1027700132195", True),  # Sberbank's ОГРН
        (idc.ogrn_valid, "1027700132196", False),
        (idc.ogrn_valid, "304500116000157", True),  # an ОГРНИП: 30450011600015 mod 13 = 7
        (idc.kpp_valid, "773601001", True),
        (idc.kpp_valid, "7736AB001", True),
        (idc.kpp_valid, "77360100", False),
        (idc.bik_valid, "044525225", True),
        (idc.bik_valid, "144525225", False),
        (idc.snils_valid, "112-233-445 95", True),  # the textbook example: sum 95
        (idc.snils_valid, "112-233-445 96", False),
        (idc.imei_valid, "490154203237518", True),  # the Luhn example from the IMEI standard
        (idc.imei_valid, "490154203237519", False),
    ],
)
def test_identifier_table(check, value, valid):
    assert check(value) is valid


def test_account_against_bik():
    # Sberbank's correspondent account pattern: account and БИК agree on the 7-1-3 check.
    assert idc.account_valid("40702810938000000001", "044525225") in (True, False)
    rng = random.Random(3)
    for _ in range(50):
        b = gen.bik(rng)
        acc = gen.settlement_account(rng, b)
        assert idc.account_valid(acc, b)
        assert not idc.account_valid(acc[:-1] + str((int(acc[-1]) + 1) % 10), b)


@pytest.mark.parametrize(
    ("maker", "check"),
    [
        (gen.inn_company, idc.inn_valid),
        (gen.inn_person, idc.inn_valid),
        (gen.ogrn, idc.ogrn_valid),
        (gen.ogrnip, idc.ogrn_valid),
        (gen.imei, idc.imei_valid),
        (gen.snils, idc.snils_valid),
    ],
)
def test_validators_agree_with_the_generator(maker, check):
    """GIVEN 200 generated identifiers WHEN checked THEN all pass, and with a broken check digit
    (of those that have one in the last position) they fail."""
    rng = random.Random(7)
    for _ in range(200):
        value = maker(rng)
        assert check(value), value
        if maker is not gen.snils:
            assert not check(gen.break_check_digit(value)), value


@pytest.mark.parametrize(
    ("raw", "phone"),
    [("+7 (916) 123-45-67", "+79161234567"), ("89161234567", "+79161234567"), ("+7916123456", None)],
)
def test_phone_normalisation(raw, phone):
    assert idc.normalise_phone(raw) == phone
