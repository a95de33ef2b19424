"""The generator's refund labels agree with an independent implementation of the rules."""

from __future__ import annotations

from collections import Counter

import pytest

from synth.refund import SCENARIOS, generate_refund_cases
from tests.synth.refund_oracle import judge


@pytest.fixture(scope="module")
def cases():
    return generate_refund_cases(seed=7, per_scenario=12)


def test_every_label_matches_the_oracle(cases):
    wrong = []
    for c in cases:
        verdict, codes, missing = judge(c.to_json()["facts"], c.misuse_told)
        if (verdict, codes, missing) != (c.verdict, c.codes, c.missing_facts):
            wrong.append((c.scenario, (c.verdict, c.codes, c.missing_facts), (verdict, codes, missing)))
    assert not wrong, wrong[:5]


@pytest.mark.parametrize(
    "scenario, verdict, codes",
    [
        ("day_15_boundary", "likely_valid", []),  # claim on day 15 is inside art. 18 p.1 window
        ("day_16_boundary", "likely_invalid", ["P3"]),
        ("repair_45_days", "likely_invalid", ["P3", "P9"]),  # deadline kept, 22 + 23 days per year
        ("repair_46_days", "likely_valid", []),  # 46 > 45: repair deadline breached
        ("repairs_31_in_one_year", "likely_valid", []),
        ("repairs_20_plus_15_across_years", "likely_invalid", ["P3", "P9"]),
        ("after_warranty_over_2_years", "likely_invalid", ["P4"]),
        ("after_warranty_within_2_years_with_proof", "likely_valid", []),
        ("proper_quality_remote_day_7", "likely_valid", []),
        ("proper_quality_remote_day_8", "likely_invalid", ["P8"]),
    ],
)
def test_boundaries_have_the_legal_outcome(cases, scenario, verdict, codes):
    got = {(c.verdict, tuple(c.codes)) for c in cases if c.scenario == scenario}
    assert got == {(verdict, tuple(codes))}


def test_all_outcomes_and_codes_are_represented(cases):
    verdicts = Counter(c.verdict for c in cases)
    assert set(verdicts) == {"likely_valid", "likely_invalid", "needs_review"}
    fired = {code for c in cases for code in c.codes}
    assert fired == {"P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9"}
    assert len({c.scenario for c in cases}) == len(SCENARIOS)


def test_letters_state_the_facts(cases):
    c = next(c for c in cases if c.scenario == "business_purpose")
    assert "ПРЕТЕНЗИЯ" in c.letter and c.facts.model in c.letter and "организации" in c.letter
    missing = next(c for c in cases if c.scenario == "missing_transfer_date")
    assert missing.missing_facts == ["transfer_date"]


def test_generation_is_deterministic():
    a = [c.to_json() for c in generate_refund_cases(seed=3, per_scenario=2)]
    b = [c.to_json() for c in generate_refund_cases(seed=3, per_scenario=2)]
    assert a == b
