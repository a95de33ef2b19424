from __future__ import annotations

import re
from collections import Counter, defaultdict

from synth.appeal_content import FINANCE, TAXONOMIES, TELECOM
from synth.appeals import N_FAMILIES, TEST_FAMILIES, VALIDATION_FAMILIES, generate_appeals
from synth.noise import add_typos

FINANCE_IDS = {
    "osago",
    "kasko",
    "life_insurance",
    "other_insurance",
    "consumer_credit",
    "mortgage",
    "microfinance",
    "bank_accounts_cards",
    "deposits",
    "pawnshop",
    "credit_cooperative",
    "pension_fund",
}
TELECOM_IDS = {
    "device_refund",
    "number_reregistration",
    "connection_quality",
    "billing_charges",
    "paid_subscriptions",
    "number_porting",
    "sim_and_account",
}


def test_category_ids_are_the_domain_references():
    assert set(FINANCE) == FINANCE_IDS and set(TELECOM) == TELECOM_IDS


def test_fifteen_distinct_families_per_category():
    for taxonomy in TAXONOMIES.values():
        for category, spec in taxonomy.items():
            assert len(spec["cores"]) == N_FAMILIES == 15, category
            assert len(set(spec["cores"])) == 15, f"{category}: two families share a core"


def test_deterministic_for_a_seed_and_different_across_seeds():
    a = [r.text for r in generate_appeals(5, 2)]
    b = [r.text for r in generate_appeals(5, 2)]
    c = [r.text for r in generate_appeals(6, 2)]
    assert a == b and a != c


def test_whole_families_are_held_out():
    recs = list(generate_appeals(1, 3))
    splits = defaultdict(set)
    for r in recs:
        splits[r.template_family].add(r.split)
    assert all(len(s) == 1 for s in splits.values())
    test_families = {r.family_index for r in recs if r.split == "test"}
    assert test_families == set(TEST_FAMILIES)
    assert {r.family_index for r in recs if r.split == "validation"} == set(VALIDATION_FAMILIES)
    # 19 categories x 15 families, 3 records each
    assert len(recs) == 19 * 15 * 3 and len(splits) == 19 * 15


def test_confusers_cover_the_named_close_pairs():
    recs = list(generate_appeals(2, 2))
    conf = Counter(r.category for r in recs if r.confuser)
    for category in ("life_insurance", "consumer_credit", "kasko", "bank_accounts_cards", "deposits"):
        assert conf[category] > 0, category
    credit_life = [r.text for r in recs if r.category == "life_insurance" and r.confuser]
    assert any(re.search("кредит", t, re.I) for t in credit_life)


def test_typo_rate_is_controlled():
    import random

    text = "Прошу вернуть страховую премию по договору страхования жизни заемщика " * 20
    words = len(re.findall(r"[А-Яа-яЁё]{4,}", text))
    assert add_typos(text, 0.0, random.Random(0)) == text
    changed = sum(a != b for a, b in zip(text.split(), add_typos(text, 0.1, random.Random(0)).split(), strict=True))
    # about 10 % of the long words, allowing for chance
    assert 0.04 * words < changed < 0.2 * words


def test_no_exact_duplicates_within_a_family():
    recs = list(generate_appeals(3, 10))
    per_family = defaultdict(list)
    for r in recs:
        per_family[r.template_family].append(r.text)
    assert all(len(set(v)) == len(v) for v in per_family.values())


def test_every_split_draws_from_several_demands_and_details_of_its_own():
    """With one demand per split every test appeal of a category said the same demand, and the held-out
    figure turned on that sentence."""
    from synth.appeals import _pool

    for taxonomy in TAXONOMIES.values():
        for category, spec in taxonomy.items():
            for kind in ("demands", "details"):
                pools = {s: _pool(spec[kind], s) for s in ("train", "validation", "test")}
                assert all(len(p) >= 3 for p in pools.values()), (category, kind)
                assert len(set(spec[kind])) == len(spec[kind]), (category, kind)
                assert not set(pools["test"]) & (set(pools["train"]) | set(pools["validation"]))
    test_texts = [r.text for r in generate_appeals(4, 12, taxonomies=("telecom",)) if r.split == "test"]
    spec = TELECOM["connection_quality"]
    used = {d for d in _pool(spec["demands"], "test") for t in test_texts if d[:40] in t}
    assert len(used) >= 2
    assert not any(d[:40] in t for d in _pool(spec["demands"], "train") for t in test_texts)


def test_held_out_cores_are_the_test_families_cores_alone():
    from synth.appeals import held_out_cores

    texts, labels = held_out_cores(0, "telecom", per_core=2)
    assert len(texts) == len(labels) == 7 * len(TEST_FAMILIES) * 2
    assert held_out_cores(0, "telecom", per_core=2) == (texts, labels)  # deterministic
    spec = TELECOM["connection_quality"]
    mine = [t for t, y in zip(texts, labels, strict=True) if y == "connection_quality"]
    assert all("{" not in t for t in texts)
    assert {t.lower() for t in mine} == {spec["cores"][k].lower() for k in sorted(TEST_FAMILIES) for _ in (0, 1)}
