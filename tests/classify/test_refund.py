"""Refund verdicts: exact day arithmetic on literal cases, agreement with every generated
scenario, the learned layer never overriding a fired rule, and facts read from letters."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from claims.cli import app
from classify.refund.extract import extract_facts
from classify.refund.facts import RefundFacts, Repair
from classify.refund.verdict import assess
from ingest.values import find_dates, parse_money
from synth.refund import MISUSE_SCENARIOS, SCENARIOS, generate_refund_cases

D = dt.date


def facts(**kw) -> RefundFacts:
    base = dict(
        transfer_date=D(2024, 1, 1),
        claim_date=D(2024, 1, 6),
        channel="store",
        defect="не включается",
        defect_found_date=D(2024, 1, 3),
        significant_defect=False,
        warranty_months=12,
        business_purpose=False,
        defect_disclosed_at_sale=False,
    )
    return RefundFacts(**{**base, **kw})


@pytest.mark.parametrize(
    "claim, verdict, codes",
    [
        (D(2024, 1, 16), "likely_valid", []),  # day 15 after 1 January: inside art. 18 p.1
        (D(2024, 1, 17), "likely_invalid", ["P3"]),
    ],  # day 16
)
def test_fifteen_day_window(claim, verdict, codes):
    v = assess(facts(claim_date=claim))
    assert (v.verdict, [r.code for r in v.reasons]) == (verdict, codes)
    assert all(r.article for r in v.reasons)


@pytest.mark.parametrize("days, verdict", [(45, "likely_invalid"), (46, "likely_valid")])
def test_repair_deadline_of_45_days(days, verdict):
    """A repair straddling the first anniversary (22 + 23 or 23 + 23 days: never more than 30 in
    one warranty year), so only the 45-day limit decides."""
    start = D(2024, 12, 31) - dt.timedelta(days=days // 2 - 1)
    f = facts(
        claim_date=start + dt.timedelta(days=days + 2),
        warranty_months=24,
        repairs=[Repair(handed_over=start, returned=start + dt.timedelta(days=days), agreed_term_days=45)],
    )
    assert assess(f).verdict == verdict


def test_thirty_day_sum_is_per_warranty_year():
    """20 days before the first anniversary + 15 after: 35 in total but at most 20 in one year."""
    split = facts(
        claim_date=D(2025, 2, 1),
        warranty_months=24,
        repairs=[
            Repair(handed_over=D(2024, 12, 1), returned=D(2024, 12, 21), defect="a"),
            Repair(handed_over=D(2025, 1, 5), returned=D(2025, 1, 20), defect="b"),
        ],
    )
    assert [r.code for r in assess(split).reasons] == ["P3", "P9"]
    same_year = facts(
        claim_date=D(2024, 8, 1),
        repairs=[
            Repair(handed_over=D(2024, 5, 1), returned=D(2024, 5, 21), defect="a"),
            Repair(handed_over=D(2024, 6, 1), returned=D(2024, 6, 12), defect="b"),
        ],
    )
    assert assess(same_year).verdict == "likely_valid"  # 20 + 11 = 31 > 30 in the first year


def test_repairs_extend_the_warranty():
    """A 12-month warranty plus 20 repair days: a defect found 10 days after the anniversary is
    still within the warranty (art. 20 p.3), so P4 does not fire."""
    f = facts(
        significant_defect=True,
        warranty_months=12,
        claim_date=D(2025, 1, 15),
        defect_found_date=D(2025, 1, 11),
        repairs=[Repair(handed_over=D(2024, 6, 1), returned=D(2024, 6, 21), defect="a")],
    )
    assert assess(f).verdict == "likely_valid"
    f2 = f.model_copy(update={"repairs": []})
    assert [r.code for r in assess(f2).reasons] == ["P4"]


@pytest.mark.parametrize("scenario", sorted(set(SCENARIOS) - set(MISUSE_SCENARIOS)))
def test_every_generated_scenario_gets_its_verdict(scenario):
    """The rules alone (no learned layer); a misuse told in the account needs the learned layer."""
    for c in [c for c in generate_refund_cases(7, 6) if c.scenario == scenario]:
        v = assess(RefundFacts.from_generated(c.to_json()["facts"]))
        assert v.verdict == c.verdict
        assert sorted(r.code for r in v.reasons if r.code.startswith("P")) == c.codes
        if c.verdict == "needs_review":
            assert v.missing_facts == c.missing_facts


class FixedModel:
    def __init__(self, p, evidence=None):
        self.p, self.evidence = p, evidence

    def explain(self, *_):
        return self.p, self.evidence


def test_learned_layer_never_contradicts_a_fired_rule():
    v = assess(facts(business_purpose=True), FixedModel(0.01))
    assert v.verdict == "likely_invalid" and v.probability_invalid == 1.0 and v.reasons[0].code == "P1"


def test_learned_layer_sends_doubtful_valid_cases_to_review():
    v = assess(facts(), FixedModel(0.9))
    assert v.verdict == "needs_review" and v.reasons[0].code == "MODEL" and v.reasons[0].article
    assert v.missing_facts == ["quality_check"]  # the check that settles a doubt about the cause
    checked = assess(facts(quality_check="defect_confirmed"), FixedModel(0.9))
    assert checked.verdict == "needs_review" and checked.missing_facts == []
    told = assess(facts(), FixedModel(0.9, "Телефон упал в воду."))
    assert told.reasons[0].message.endswith("Со слов потребителя: «Телефон упал в воду».")
    assert assess(facts(), FixedModel(0.1)).verdict == "likely_valid"


def test_missing_facts_are_named():
    v = assess(facts(transfer_date=None))
    assert v.verdict == "needs_review" and v.missing_facts == ["transfer_date"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("куплен 18.04.2022", D(2022, 4, 18)),
        ("18 апреля 2022 г.", D(2022, 4, 18)),
        ("«18» апреля 2022 года", D(2022, 4, 18)),
        ("18.04.22", D(2022, 4, 18)),
        ("3 марта 2021", D(2021, 3, 3)),
        ("31.02.2022 и 01.03.2022", D(2022, 3, 1)),
    ],
)
def test_russian_date_forms(text, expected):
    assert find_dates(text)[0].value == expected


def test_dates_without_a_year_take_the_year_of_the_next_event():
    dates = [d.value for d in find_dates("купил 25 декабря, сломался 5 января 2025 г.")]
    assert dates == [D(2024, 12, 25), D(2025, 1, 5)]


@pytest.mark.parametrize(
    "text, value",
    [
        ("73 980 рублей", 73980),
        ("73980 руб.", 73980),
        ("73 980,50 руб.", 73980.5),
        ("74 тыс. руб.", 74000),
        ("73\u00a0980 ₽", 73980),
    ],
)
def test_money_forms(text, value):
    assert parse_money(text).value == pytest.approx(value)


def test_letter_facts_with_relative_date_and_spans():
    letter = (
        "Я 10 марта 2024 г. купил в интернет-магазине смартфон Xiaomi 13T стоимостью 45 990 руб.\n"
        "Через неделю после покупки выявился недостаток: телефон не включается.\n"
        "Условия возврата продавец сообщил в письменной форме при доставке.\n"
        "Гарантия 1 год.\n\n20.03.2024 ____ /Иванов/"
    )
    f = extract_facts(letter)
    assert (f.transfer_date, f.defect_found_date, f.claim_date) == (D(2024, 3, 10), D(2024, 3, 17), D(2024, 3, 20))
    assert (f.channel, f.price, f.warranty_months, f.defect) == ("remote", 45990, 12, "не включается")
    assert (
        f.spans["price"].text == "45 990 руб."
        and letter[f.spans["price"].start : f.spans["price"].end] == "45 990 руб."
    )
    assert assess(f).verdict == "likely_valid"  # day 10 with a defect


def test_cli_assess(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMS_MODELS_DIR", str(tmp_path))
    path = tmp_path / "f.json"
    path.write_text(
        json.dumps(
            {"transfer_date": "2024-01-01", "claim_date": "2024-01-20", "defect": "x", "significant_defect": False}
        )
    )
    out = CliRunner().invoke(app, ["refund", "assess", "--facts", str(path)])
    body = json.loads(out.output[out.output.index("{") :])
    assert body["verdict"] == "likely_invalid" and body["reasons"][0]["code"] == "P3"
    path.write_text('{"transfer_date": "вчера"}')
    bad = CliRunner().invoke(app, ["refund", "assess", "--facts", str(path)])
    assert bad.exit_code == 1 and "not valid" in bad.output
    path.write_text('{"transfer_date": "2024-01-01", "purchase_price": 45990}')  # not a fact's name
    misspelt = CliRunner().invoke(app, ["refund", "assess", "--facts", str(path)])
    assert misspelt.exit_code == 1 and "purchase_price" in misspelt.output


def test_the_account_is_what_a_letter_says_beyond_its_facts():
    letter = (
        "Руководителю ООО «Связной»\nот Иванова Ивана Ивановича, тел. +79161234567\n\nПРЕТЕНЗИЯ\n\n"
        "Я 10 марта 2024 г. купил в вашем магазине смартфон Xiaomi 13T стоимостью 45 990 руб.\n"
        "Через неделю после покупки выявился недостаток: телефон не включается.\n"
        "Накануне я уронил его в бассейн. Чек я сохранил.\n"
        "Гарантия 1 год.\nНа основании ст. 18 Закона требую вернуть уплаченную сумму.\n\n"
        "20.03.2024 ____ /Иванов/"
    )
    f = extract_facts(letter)
    assert f.account == "Накануне я уронил его в бассейн. Чек я сохранил."  # no heading, demand, signature
    assert extract_facts(letter.replace("Накануне я уронил его в бассейн. Чек я сохранил.\n", "")).account is None


def test_a_long_account_is_cut_at_a_sentence_end_not_refused():
    letter = "ПРЕТЕНЗИЯ\n" + "Телефон я берёг и носил в чехле каждый день. " * 2000 + "\n01.02.2024"
    account = extract_facts(letter).account
    assert 19_000 < len(account) <= 20_000 and account.endswith("день.")


def test_generated_letters_carry_their_accounts_in_the_requested_wording():
    from synth.refund_accounts import HELD_OUT_FAMILIES, INNOCENT, MISUSE, NEUTRAL, TRAIN_FAMILIES, feminine

    def family_of(sentence):
        for concepts in (MISUSE, INNOCENT):
            for variants in concepts.values():
                for k, v in enumerate(variants):
                    if sentence in (v, feminine(v)):
                        return k
        return next(k for k, pair in enumerate(NEUTRAL) for v in pair if sentence in (v, feminine(v)))

    for families in (TRAIN_FAMILIES, HELD_OUT_FAMILIES):
        cases = generate_refund_cases(5, 10, families)
        told = [c for c in cases if c.facts.account]
        assert {c.scenario for c in told} >= {"misuse_told", "innocent_account_told", "within_15_days"}
        for c in told:
            read = extract_facts(c.letter).account
            assert read in (c.facts.account, feminine(c.facts.account))
            assert {family_of(s.strip() + ".") for s in read.split(".") if s.strip()} <= set(families)
    misuse = [c for c in generate_refund_cases(5, 60) if c.scenario == "misuse_told"]
    assert all(c.misuse_told and c.verdict == "needs_review" for c in misuse)
    assert 0.7 < sum(c.outcome == "invalid" for c in misuse) / len(misuse) < 0.97  # refused, mostly


@pytest.fixture(scope="module")
def e5_int8(models_dir):
    from models.encoders import load_encoder

    return load_encoder("e5-small-int8", models_dir)


def test_learned_layer_reads_the_account(e5_int8, tmp_path):
    """Trained at small scale with the shipped encoder: the same facts are more suspect with a misuse
    told than with an innocent account; without the text block the two are alike. Saved and loaded,
    it gives the same probabilities; loaded without its encoder, it says so."""
    from classify.refund.model import RefundModel, training_cases
    from models.registry import ArtifactError
    from synth.refund_accounts import TRAIN_FAMILIES

    history = training_cases(seed=1)
    with_text = RefundModel().fit(history, encoder=e5_int8)
    rules_only = RefundModel().fit(history, use_text=False)
    told = generate_refund_cases(9, 10, TRAIN_FAMILIES)
    told = [c for c in told if c.scenario in ("misuse_told", "innocent_account_told")]

    def gap(model):
        p = {c.id: assess(extract_facts(c.letter), model).probability_invalid for c in told}
        misuse = [p[c.id] for c in told if c.misuse_told]
        innocent = [p[c.id] for c in told if not c.misuse_told]
        return sum(misuse) / len(misuse) - sum(innocent) / len(innocent)

    assert gap(with_text) > 0.3
    assert abs(gap(rules_only)) < 0.15
    doubt = next(v for c in told if c.misuse_told and (v := assess(extract_facts(c.letter), with_text)).reasons)
    assert doubt.reasons[0].code == "MODEL" and "Со слов потребителя: «" in doubt.reasons[0].message
    quoted = doubt.reasons[0].message.split("«")[-1].rstrip("».")
    assert quoted and quoted in doubt.facts.account  # the account's suspect sentence, for the reviewer
    with_text.save(tmp_path / "refund")
    loaded = RefundModel.load(tmp_path / "refund", lambda name: e5_int8)
    f = extract_facts(told[0].letter)
    assert assess(f, loaded).probability_invalid == pytest.approx(assess(f, with_text).probability_invalid, abs=1e-6)
    with pytest.raises(ArtifactError):
        RefundModel.load(tmp_path / "refund")


def test_refund_bench_times_letters_with_and_without_accounts(models_dir):
    """`claims bench refund` on the shipped model (prepared by `make test`'s set-up), at small scale."""
    from eval.bench import run_refund_bench

    result = run_refund_bench(models_dir, n=30)
    assert result["text_block"] and result["letters"] == 30
    assert result["with_account_n"] + result["without_account_n"] == 30
    assert 0 < result["with_account_ms_p50"] <= result["with_account_ms_p95"]


def test_a_consumers_email_is_read_like_the_formal_letter():
    """The extractor was generalised on the `plain` register (an e-mail): its facts are read as well
    as the formal template's. (The `legal` register is held out: only the refund suite scores it.)"""
    from eval.suites.refund import FACTS, fact_matches

    cases = generate_refund_cases(11, 4, registers=("plain",))
    pairs = [(RefundFacts.from_generated(c.to_json()["facts"]), extract_facts(c.letter)) for c in cases]
    for name in FACTS:
        ok = sum(fact_matches(name, getattr(truth, name), getattr(read, name)) for truth, read in pairs)
        assert ok / len(pairs) >= 0.9, name


def test_everyday_wording_of_facts():
    f = extract_facts(
        "Добрый день!\n12.03.2024 я купила в вашем салоне смартфон Tecno Spark 20 Pro за 15 980 руб.\n"
        "Телефон брали для работы моей фирмы.\n"
        "20.03.2024 я заметила неисправность: не заряжается.\n"
        "22.03.2024 отнесла телефон в ремонт (не заряжается), по договорённости не дольше 30 дней, "
        "забрала его только 10.05.2024.\n"
        "Экспертиза подтвердила заводской брак.\nПрошу вернуть мне деньги за телефон.\n\n"
        "Юлия Морозова, +7 (936) 902-22-86\n15.05.2024"
    )
    assert (f.channel, f.business_purpose, f.defect, f.expertise_cause) == (
        "store", True, "не заряжается", "manufacturing"
    )  # fmt: skip
    repairs = [(r.handed_over, r.returned, r.agreed_term_days) for r in f.repairs]
    assert repairs == [(D(2024, 3, 22), D(2024, 5, 10), 30)]
    assert f.claim_date == D(2024, 5, 15) and f.account is None  # the signature's phone is not an account
    for said, significant in (("поломка устранимая", False), ("недостаток устранимый", False), ("неустранимый", None)):
        assert extract_facts(f"В сервисе сказали: {said}.").significant_defect is significant, said
