"""The evaluation framework end to end on small data: suites, artifacts, comparison, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sklearn.metrics import f1_score
from typer.testing import CliRunner

from claims.cli import app
from eval.base import EvalContext, EvalOutput
from eval.realdata import load_spb_appeals, load_stsb, temporal_split
from eval.runner import compare_runs, run_suite
from eval.suites.baseline import BaselineSuite
from eval.suites.data import DataSuite

SPB_MINI = Path(__file__).parents[1] / "data" / "spb_mini.jsonl"


@pytest.fixture(scope="module")
def real_dir(tmp_path_factory) -> Path:
    """A real-data folder laid out like shared/data/real, holding the made-up SPb fixture."""
    root = tmp_path_factory.mktemp("real")
    (root / "spb_appeals").mkdir()
    shutil.copy(SPB_MINI, root / "spb_appeals" / "spb_appeals_2020.jsonl")
    return root


def test_temporal_split_puts_later_months_in_test():
    appeals = load_spb_appeals(SPB_MINI)
    split = temporal_split(appeals)
    assert len(appeals) == 54
    assert max(a.date for a in split["train"]) < min(a.date for a in split["validation"] + split["test"])
    assert all(a.date.startswith("2020-12") for a in split["test"]) and len(split["test"]) == 18


def test_stsb_loader_rejects_malformed_rows(tmp_path):
    good = tmp_path / "ok.csv"
    good.write_text('Кот спит.,Кошка спит.,4.5\n"Да, это так.",Нет.,0.2\n', encoding="utf-8")
    assert [p.score for p in load_stsb(good)] == [4.5, 0.2]
    bad = tmp_path / "bad.csv"
    bad.write_text("одна колонка\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected 3 columns"):
        load_stsb(bad)


def test_data_suite_finds_no_family_leakage(small_dataset, real_dir, tmp_path):
    ctx = EvalContext(data_dir=small_dataset, real_dir=real_dir, models_dir=tmp_path)
    run = run_suite(DataSuite(), ctx, tmp_path / "runs")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["metrics"]["appeals_family_leakage"] == 0
    assert metrics["metrics"]["appeals_total"] == 19 * 15 * 6
    assert metrics["metrics"]["spb_test"] == 18
    assert metrics["meta"]["data_hash"] and metrics["meta"]["seed"] == 0
    assert (run / "appeals_labels.png").stat().st_size > 1000
    assert "labels per split" in (run / "report.md").read_text()


def test_baseline_shows_the_template_effect_and_scores_real_data(small_dataset, real_dir, tmp_path):
    """Held-out families must score below a random in-family split: if they did not, the split
    would not be holding templates out."""
    ctx = EvalContext(data_dir=small_dataset, real_dir=real_dir, models_dir=tmp_path)
    run = run_suite(BaselineSuite(), ctx, tmp_path / "runs")
    m = json.loads((run / "metrics.json").read_text())["metrics"]
    for taxonomy in ("finance", "telecom"):
        assert m[f"synthetic_{taxonomy}_heldout_macro_f1"] < m[f"synthetic_{taxonomy}_in_family_macro_f1"]
        assert m[f"synthetic_{taxonomy}_heldout_macro_f1"] > 1 / 12  # better than chance
    # The made-up SPb texts repeat per category: a bag of words must beat the majority class.
    assert m["spb_macro_f1"] > m["spb_majority_macro_f1"]
    preds = [json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines()]
    assert {p["dataset"] for p in preds} == {"synthetic_finance_heldout", "synthetic_telecom_heldout", "spb"}
    assert (run / "confusion_spb.png").exists()


def test_compare_reports_deltas(tmp_path):
    for name, value in (("a", 0.5), ("b", 0.75)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.json").write_text(json.dumps({"metrics": {"f1": value, "n": "x"}}))
    rows = {r[0]: r for r in compare_runs(tmp_path / "a", tmp_path / "b")}
    assert rows["f1"][3] == pytest.approx(0.25) and rows["n"][3] is None
    result = CliRunner().invoke(app, ["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert result.exit_code == 0 and "+0.2500" in result.output
    missing = CliRunner().invoke(app, ["eval", "compare", str(tmp_path / "a"), str(tmp_path / "zzz")])
    assert missing.exit_code == 1 and "no metrics.json" in missing.output


def test_cli_eval_run_refuses_a_folder_without_data(tmp_path):
    result = CliRunner().invoke(app, ["eval", "run", "--suite", "data", "--data", str(tmp_path), "--no-real"])
    assert result.exit_code == 1 and "holds no generated data" in result.output
    unknown = CliRunner().invoke(app, ["eval", "run", "--suite", "nope", "--data", str(tmp_path)])
    assert unknown.exit_code == 1 and "unknown suite" in unknown.output


def test_cli_eval_run_checks_the_real_folder_before_generating_data(tmp_path, monkeypatch):
    """Without --data the default set is generated first (minutes); a mistyped --real was found only
    after that."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["eval", "run", "--suite", "doctype", "--real", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "real data folder not found" in result.output
    assert not (tmp_path / "datasets").exists()


def test_family_bootstrap_redraws_whole_families():
    """Two classes of three families (4 items each); one family of class a is read as b. Whole families are
    redrawn, so the interval spans the draws with none, one or more copies of the bad family."""
    from sklearn.metrics import f1_score

    from eval.report import family_bootstrap_ci

    groups = [f"{c}{k}" for c in "ab" for k in range(3) for _ in range(4)]
    y = [g[0] for g in groups]
    pred = ["b" if g == "a0" else g[0] for g in groups]
    point = f1_score(y, pred, average="macro")
    lo, hi = family_bootstrap_ci(y, pred, groups, ["a", "b"], n=400)
    assert lo < point < hi == 1.0  # a draw without the bad family is perfect
    assert (lo, hi) == family_bootstrap_ci(y, pred, groups, ["a", "b"], n=400)  # seeded
    assert family_bootstrap_ci(y, y, groups, ["a", "b"], n=50) == (1.0, 1.0)


def test_categories_suite_on_small_data(small_dataset, models_dir, tmp_path):
    """The whole suite at small scale (navec instead of e5 for speed): the model beside both baselines
    on held-out families, with an interval over redrawn families around its macro-F1."""
    from eval.suites.categories import CategoriesSuite

    ctx = EvalContext(data_dir=small_dataset, real_dir=None, models_dir=models_dir, classify_encoder="navec")
    run = run_suite(CategoriesSuite(), ctx, tmp_path / "runs")
    m = json.loads((run / "metrics.json").read_text())["metrics"]
    for key in ("synthetic_finance", "synthetic_telecom"):
        assert m[f"{key}_model_macro_f1_ci95_low"] <= m[f"{key}_model_macro_f1"] <= m[f"{key}_model_macro_f1_ci95_high"]
        assert m[f"{key}_model_macro_f1_ci95_low"] < m[f"{key}_model_macro_f1_ci95_high"]
        assert {f"{key}_tfidf_lr_macro_f1", f"{key}_paperless_mlp_macro_f1"} <= set(m)
        assert 0 < m[f"{key}_cores_only_macro_f1"] <= 1  # the held-out cores alone, 10 per core
    report = (run / "report.md").read_text()
    assert "over redrawn test families" in report and (run / "calibration.png").stat().st_size > 1000
    assert report.count("core sentences alone (210,") == 1 and report.count("core sentences alone (360,") == 1
    misread = report.split("synthetic_telecom: misread template families", 1)[1].split("\n#", 1)[0]
    preds = [json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines()]
    wrong = {
        (p["gold"], p["id"].split("-")[-2])
        for p in preds
        if p["dataset"] == "synthetic_telecom" and p["gold"] != p["category"]
    }
    rows = [tuple(c.strip() for c in row.split("|")[1:3]) for row in misread.splitlines() if row.startswith("|")]
    listed = set(rows[2:])  # past the header and its rule
    assert listed <= wrong and (listed or "No class's family" in misread)


def test_refund_suite_at_small_scale(models_dir, tmp_path, monkeypatch):
    """The refund suite with no saved model (it trains one, navec for speed) on 4 cases per
    scenario: the day arithmetic holds on every boundary, and the text block is reported beside
    the same learned layer without it, on accounts in the held-out wording family."""
    from eval.suites import refund

    monkeypatch.setattr(refund, "PER_SCENARIO", 4)
    monkeypatch.setattr(refund, "ACCOUNT_PER_SCENARIO", 6)
    ctx = EvalContext(data_dir=None, real_dir=None, models_dir=tmp_path / "no-models", classify_encoder="navec")
    (tmp_path / "no-models").mkdir()
    run = run_suite(refund.RefundSuite(), ctx, tmp_path / "runs")
    m = json.loads((run / "metrics.json").read_text())["metrics"]
    assert m["boundary_cases_accuracy"] == 1.0
    for model in ("text", "rules_only"):
        assert 0.0 <= m[f"account_{model}_auc"] <= 1.0
        assert {f"account_{model}_misuse_review_rate", f"account_{model}_innocent_review_rate"} <= set(m)
    assert "held-out wording family" in (run / "report.md").read_text()
    for register in ("formal", "plain", "legal"):  # letters by register, the last never fitted to
        assert 0.0 < m[f"register_{register}_verdict_accuracy"] <= 1.0
        assert m[f"register_{register}_min_fact_accuracy"] <= m[f"register_{register}_fact_price_accuracy"]


def test_doctype_suite_at_small_scale(models_dir, tmp_path, monkeypatch, capsys):
    """Leave-one-family-out with the shipped int8 encoder on 3 texts per (type, family): every
    held-out document gets a prediction with its family, the model without the title line is
    scored beside it, the shipped model on the families it never trained on, and the report names
    the misread families."""
    from eval.suites.ingest import DocTypeSuite

    monkeypatch.setattr(DocTypeSuite, "per_family", 3)
    # five of the shipped model's ten families, from each batch as written (0-5, 6-7, 8-9): each
    # fold's weights are chosen by leave-one-family-out inside it, so the cost grows with the square
    # of the families; the shipped model is scored on the families it never saw (12-13)
    monkeypatch.setattr(DocTypeSuite, "families", (0, 1, 6, 8, 9))
    ctx = EvalContext(data_dir=None, real_dir=None, models_dir=models_dir)
    run = run_suite(DocTypeSuite(), ctx, tmp_path / "runs")
    assert "doctype: held-out families: 100%" in capsys.readouterr().err  # the folds' progress bar
    m = json.loads((run / "metrics.json").read_text())["metrics"]
    assert 0.0 < m["heldout_family_macro_f1"] <= 1.0 and 0.0 < m["heldout_family_no_title_macro_f1"] <= 1.0
    every = [json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines()]
    preds = [p for p in every if p["part"] == "heldout_family"]
    assert len(preds) == len({p["id"] for p in preds}) == 14 * 5 * 3
    assert all(f"-f{p['family']}-" in p["id"] and 0.0 <= p["confidence"] <= 1.0 for p in preds)
    accuracy = sum(p["pred"] == p["gold"] for p in preds) / len(preds)
    assert accuracy == pytest.approx(m["heldout_family_accuracy"], abs=1e-4)
    assert "Misread template families" in (run / "report.md").read_text()
    # the alternatives each prediction carries are the model's: other types, most likely first
    for p in preds:
        probabilities = [prob for _, prob in p["alternatives"]]
        assert len(p["alternatives"]) <= 2 and p["pred"] not in {t for t, _ in p["alternatives"]}
        assert probabilities == sorted(probabilities, reverse=True) and all(q >= 0.15 for q in probabilities)
    flagged = sum(bool(p["alternatives"]) for p in preds) / len(preds)
    assert m["heldout_family_with_alternatives"] == pytest.approx(flagged, abs=1e-4)
    # each batch of families as written, and those written before each later batch, scored apart from
    # the same predictions; the batch no fold holds out (10-11) gets no figure
    assert "heldout_family_macro_f1_families_10_11" not in m
    assert "heldout_family_macro_f1_families_0_11" not in m  # the same folds as 0-9
    for lo, hi, held_out in ((0, 5, {0, 1}), (6, 7, {6}), (8, 9, {8, 9}), (0, 7, {0, 1, 6}), (0, 9, {0, 1, 6, 8, 9})):
        part = [p for p in preds if lo <= p["family"] <= hi]
        assert {p["family"] for p in part} == held_out
        f1 = f1_score([p["gold"] for p in part], [p["pred"] for p in part], average="macro")
        assert m[f"heldout_family_macro_f1_families_{lo}_{hi}"] == pytest.approx(f1, abs=1e-4)
    # the shipped model scored apart on every family it never trained on, and on each batch of them
    from ingest.documents import SHIPPED_FAMILIES
    from synth.doctypes import BATCHES, N_FAMILIES

    unseen = set(range(N_FAMILIES)) - set(SHIPPED_FAMILIES)
    shipped = [p for p in every if p["part"] == "shipped_unseen"]
    assert {p["family"] for p in shipped} == unseen and len(shipped) == 14 * len(unseen) * 3
    f1 = f1_score([p["gold"] for p in shipped], [p["pred"] for p in shipped], average="macro")
    assert m["shipped_model_unseen_families_macro_f1"] == pytest.approx(f1, abs=1e-4)
    newest = [p for p in shipped if p["family"] in BATCHES[-1]]
    f1 = f1_score([p["gold"] for p in newest], [p["pred"] for p in newest], average="macro")
    key = f"shipped_model_unseen_families_{BATCHES[-1][0]}_{BATCHES[-1][-1]}_macro_f1"
    assert m[key] == pytest.approx(f1, abs=1e-4)
    assert "The shipped model on families it never saw" in (run / "report.md").read_text()


def test_alternative_metrics_count_what_the_alternatives_catch():
    from eval.suites.ingest import alternative_metrics

    preds = [
        {"gold": "receipt", "pred": "claim_letter", "alternatives": [["receipt", 0.3]]},  # misread, caught
        {"gold": "receipt", "pred": "other", "alternatives": [["contract", 0.2]]},  # misread, wrong hint
        {"gold": "passport", "pred": "other", "alternatives": []},  # misread, no hint
        {"gold": "contract", "pred": "contract", "alternatives": [["receipt", 0.16]]},  # right, hinted
    ] + [{"gold": "appeal", "pred": "appeal", "alternatives": []}] * 6
    assert alternative_metrics(preds) == {
        "heldout_family_misread_with_right_alternative": round(1 / 3, 4),
        "heldout_family_with_alternatives": 0.3,
        "heldout_family_alternatives_misread": round(2 / 3, 4),
    }
    assert alternative_metrics(preds[3:])["heldout_family_misread_with_right_alternative"] == 0.0


def test_misread_families_lists_the_families_mostly_misread():
    from eval.report import misread_families

    preds = [{"gold": "contract", "family": 1, "pred": "receipt", "title": "ДОГОВОР КУПЛИ-ПРОДАЖИ"}] * 3
    preds += [{"gold": "contract", "family": 1, "pred": "contract", "title": "ДОГОВОР КУПЛИ-ПРОДАЖИ"}]
    preds += [{"gold": "passport", "family": 0, "pred": "passport", "title": "ПАСПОРТ"}] * 4
    preds += [{"gold": "receipt", "family": 2, "pred": "other", "title": "ЧЕК"}] + [
        {"gold": "receipt", "family": 2, "pred": "receipt", "title": "ЧЕК"}
    ] * 9
    table = misread_families(preds)
    assert "| contract | 1 | 3/4 | receipt | ДОГОВОР КУПЛИ-ПРОДАЖИ |" in table
    assert "passport" not in table and "| receipt | 2 |" not in table  # 0/4 and 1/10 are under 25 %
    assert "No class" in misread_families(preds[4:8])


def test_misread_families_splits_a_family_into_its_kinds():
    from eval.report import misread_families

    preds = [{"gold": "other", "family": 3, "kind": 0, "pred": "other", "title": "СПРАВКА"}] * 4
    preds += [{"gold": "other", "family": 3, "kind": 2, "pred": "appeal", "title": "РЕЗЮМЕ"}] * 2
    table = misread_families(preds)
    assert "| other | 3.2 | 2/2 | appeal | РЕЗЮМЕ |" in table  # 2 of 6 in the family, all of its kind
    assert "3.0" not in table


def test_doctype_suite_says_when_no_shipped_model_can_be_scored(tmp_path):
    """Without a shipped model the suite's part on unseen families reports why it scored nothing,
    and with only families the shipped model trained on it has nothing to score."""
    from eval.suites.ingest import DocTypeSuite
    from ingest.documents import training_records

    ctx = EvalContext(data_dir=None, real_dir=None, models_dir=tmp_path / "no-models")
    out = EvalOutput(metrics={})
    DocTypeSuite()._shipped_unseen(ctx, out, training_records(per_family=1, families=(0, 12)))
    assert "shipped_model_unseen_families_macro_f1" not in out.metrics
    ((title, text),) = out.sections
    assert title == "The shipped model on families it never saw" and text.startswith("Not scored: ")
    out = EvalOutput(metrics={})
    DocTypeSuite()._shipped_unseen(ctx, out, training_records(per_family=1, families=(0, 5)))
    assert out.sections == [] and out.metrics == {}


def test_doctype_folds_give_the_same_answers_in_parallel_as_one_by_one():
    """The suite's folds in two spawned processes type every held-out document as in one process:
    the folds share nothing but their inputs (the noised copies and embeddings are made first)."""
    import random

    import numpy as np

    from eval.suites.doctype_folds import run_folds
    from ingest.doctypes import ocr_noise
    from ingest.documents import training_records

    records = training_records(per_family=3, families=(0, 2, 7))
    rng = np.random.default_rng(0)  # stand-in embeddings: the folds fit and fuse them all the same
    heads = rng.normal(size=(len(records), 16)).astype(np.float32)
    noisy = [ocr_noise(r["text"], random.Random(r["id"]), 0.05) for r in records]
    noisy_heads = heads + rng.normal(scale=0.1, size=heads.shape).astype(np.float32)
    alone = run_folds([0, 2, 7], records, heads, noisy, noisy_heads, workers=1)
    together = run_folds([0, 2, 7], records, heads, noisy, noisy_heads, workers=2)
    assert len(alone) == len(together) == 3
    for a, b in zip(alone, together, strict=True):
        assert len(a["ranked"]) == 14 * 3 and a["weights"] == b["weights"]
        assert [r[0][0] for r in a["ranked"]] == [r[0][0] for r in b["ranked"]]
        assert [r[0][1] for r in a["ranked"]] == pytest.approx([r[0][1] for r in b["ranked"]], abs=1e-3)
        for part in ("noisy", "ngram", "embedded", "fused", "untitled"):
            assert a[part] == b[part] and len(a[part]) == 14 * 3
    # fixed fusion weights: every fold, in its own process, fuses at them (not at its own defaults or choice)
    fixed = run_folds([0, 2, 7], records, heads, noisy, noisy_heads, workers=2, fusion_weights=(1.5, 1.0))
    assert [f["weights"] for f in fixed] == [[1.5, 1.0]] * 3 != [a["weights"] for a in alone]
    # without an encoder (CLAIMS_DOCTYPE_ENCODER=none) the folds are the n-gram model's alone
    (ngrams,) = run_folds([7], records, None, noisy, None, workers=1)
    assert [r[0][0] for r in ngrams["ranked"]] == ngrams["ngram"] and ngrams["weights"] is None
    assert ngrams["embedded"] == ngrams["fused"] == ngrams["untitled"] == [] and len(ngrams["noisy"]) == 14 * 3
