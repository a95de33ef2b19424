"""Categories suite: the calibrated profile model beside TF-IDF + LR and a paperless-style
baseline (counts + MLP), on held-out synthetic families and on SPb with the temporal split."""

from __future__ import annotations

from functools import partial

import numpy as np

from eval.base import EvalContext, EvalOutput, Evaluator
from eval.report import (
    expected_calibration_error,
    family_bootstrap_ci,
    markdown_table,
    misread_families,
    plot_confusion,
    plot_precision_coverage,
    plot_reliability,
    precision_coverage,
)
from eval.suites.baseline import tfidf_logreg
from models.text import normalise
from synth.appeals import held_out_cores
from synth.generate import load_jsonl

SPB_TEST_SAMPLE = 3000  # December appeals scored (seeded sample), to keep the run under half an hour


def paperless_baseline(seed: int = 0):
    """What paperless-ngx does: a bag of words into a small neural network."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        CountVectorizer(preprocessor=normalise, min_df=2, max_features=50_000),
        MLPClassifier(hidden_layer_sizes=(200,), max_iter=60, early_stopping=True, random_state=seed),
    )


class CategoriesSuite(Evaluator):
    name = "categories"
    primary_metric = "synthetic_model_heldout_macro_f1"

    def __call__(self, ctx: EvalContext) -> EvalOutput:
        from models.encoders import load_encoder

        encoder = load_encoder(ctx.classify_encoder, ctx.models_dir)
        out = EvalOutput(metrics={}, versions={"encoder": f"{encoder.name}@{encoder.version}"})
        curves: dict = {}  # dataset -> precision-vs-coverage curve (filled by _compare)
        calibration: dict = {}  # dataset -> (confidence, correct)
        heldout = []
        if ctx.data_dir is not None:
            appeals = load_jsonl(ctx.data_dir / "appeals.jsonl")
            for taxonomy in sorted({r["taxonomy"] for r in appeals}):
                recs = [r for r in appeals if r["taxonomy"] == taxonomy]
                split = {s: [r for r in recs if r["split"] == s] for s in ("train", "validation", "test")}
                data = {s: ([r["text"] for r in v], [r["category"] for r in v]) for s, v in split.items()}
                ids = [r["id"] for r in split["test"]]
                families = [r["template_family"] for r in split["test"]]
                heldout.append(
                    self._compare(
                        f"synthetic_{taxonomy}",
                        data,
                        ids,
                        encoder,
                        ctx,
                        out,
                        (curves, calibration),
                        families,
                        cores=held_out_cores(ctx.seed, taxonomy),
                    )
                )
            out.metrics["synthetic_model_heldout_macro_f1"] = round(float(np.mean(heldout)), 4)
        if ctx.real_dir is not None:
            from eval.realdata import load_spb_appeals, temporal_split

            split = temporal_split(load_spb_appeals(ctx.real_dir))
            rng = np.random.default_rng(ctx.seed)
            test = split["test"]
            test = [test[i] for i in sorted(rng.choice(len(test), min(SPB_TEST_SAMPLE, len(test)), replace=False))]
            data = {
                "train": ([a.text for a in split["train"]], [a.category for a in split["train"]]),
                "validation": ([a.text for a in split["validation"]], [a.category for a in split["validation"]]),
                "test": ([a.text for a in test], [a.category for a in test]),
            }
            self._compare("spb", data, [a.id for a in test], encoder, ctx, out, (curves, calibration))
        out.plots["precision_coverage.png"] = partial(
            plot_precision_coverage, curves=curves, title="Category model: precision vs coverage"
        )
        out.plots["calibration.png"] = partial(
            plot_reliability, curves=calibration, title="Category model: calibration (test)"
        )
        return out

    def _compare(
        self,
        key: str,
        data: dict,
        ids: list[str],
        encoder,
        ctx,
        out: EvalOutput,
        plots: tuple[dict, dict],
        families: list[str] | None = None,
        cores: tuple[list[str], list[str]] | None = None,
    ) -> float:
        """``plots``: the precision-vs-coverage and calibration curves by dataset, this one's added.
        ``families``: the test items' template families, for an interval of macro-F1 over redrawn families.
        ``cores``: the test families' core sentences alone with their labels, scored as a diagnostic."""
        from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score

        from classify.profiles import train_profile

        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = data["train"], data["validation"], data["test"]
        labels = sorted(set(y_tr))
        profile = train_profile(key, (x_tr, y_tr), (x_va, y_va), encoder, progress=True)
        preds = profile.predict(x_te)
        pred = [p.category for p in preds]
        conf = np.array([p.probability for p in preds])
        correct = np.array([p == y for p, y in zip(pred, y_te, strict=True)])
        review = np.array([p.needs_review for p in preds])
        rows = []
        m = out.metrics
        m[f"{key}_model_accuracy"] = round(float(accuracy_score(y_te, pred)), 4)
        m[f"{key}_model_macro_f1"] = round(
            float(f1_score(y_te, pred, labels=labels, average="macro", zero_division=0)), 4
        )
        diagnostics = ""  # the interval over redrawn families, the cores alone
        if families is not None:
            lo, hi = family_bootstrap_ci(y_te, pred, families, labels, seed=ctx.seed)
            m[f"{key}_model_macro_f1_ci95_low"], m[f"{key}_model_macro_f1_ci95_high"] = round(lo, 4), round(hi, 4)
            diagnostics = (
                f"\n\nModel macro-F1 over redrawn test families (each class's {len(set(families)) // len(labels)} "
                f"families drawn again with replacement, 1,000 times): 95 % interval {lo:.3f}-{hi:.3f}."
            )
        if cores is not None:
            core_pred = [p.category for p in profile.predict(cores[0])]
            m[f"{key}_cores_only_macro_f1"] = round(
                float(f1_score(cores[1], core_pred, labels=labels, average="macro", zero_division=0)), 4
            )
            diagnostics += (
                f"\n\nThe test families' core sentences alone ({len(cores[0])}, no register, demand or detail "
                f"around them): macro-F1 {m[f'{key}_cores_only_macro_f1']:.3f}."
            )
        m[f"{key}_model_ece"] = round(expected_calibration_error(conf, correct), 4)
        m[f"{key}_review_threshold"] = round(profile.threshold.threshold, 4)
        m[f"{key}_embedding_weight"] = profile.classifier.embedding_weight  # chosen on validation
        m[f"{key}_answered_share"] = round(float((~review).mean()), 4)
        m[f"{key}_answered_precision"] = round(float(correct[~review].mean()), 4) if (~review).any() else None
        rows.append(
            ["calibrated model (embeddings + lemma TF-IDF)", m[f"{key}_model_accuracy"], m[f"{key}_model_macro_f1"]]
        )
        for name, make in (("tfidf_lr", tfidf_logreg), ("paperless_mlp", paperless_baseline)):
            base = make(ctx.seed).fit(x_tr + x_va, y_tr + y_va)
            bp = base.predict(x_te)
            m[f"{key}_{name}_accuracy"] = round(float(accuracy_score(y_te, bp)), 4)
            m[f"{key}_{name}_macro_f1"] = round(
                float(f1_score(y_te, bp, labels=labels, average="macro", zero_division=0)), 4
            )
            rows.append([name, m[f"{key}_{name}_accuracy"], m[f"{key}_{name}_macro_f1"]])
        out.sections.append(
            (
                f"{key}: test ({len(x_te)} items)",
                markdown_table(["model", "accuracy", "macro-F1"], rows)
                + f"\n\nneeds-review threshold {profile.threshold.threshold:.3f} (chosen on validation for "
                f"precision {profile.threshold.target_precision}); on test it answers "
                f"{m[f'{key}_answered_share']:.1%} with precision {m[f'{key}_answered_precision']}." + diagnostics,
            )
        )
        out.sections.append(
            (
                f"{key}: per-class report (calibrated model)",
                "```\n" + classification_report(y_te, pred, labels=labels, zero_division=0) + "```",
            )
        )
        if families is not None:
            items = [
                {"gold": y, "family": f.rsplit("/", 1)[-1], "pred": p, "text": t}
                for y, f, p, t in zip(y_te, families, pred, x_te, strict=True)
            ]
            table = misread_families(items, excerpt="text", excerpt_label="start of one misread text")
            out.sections.append((f"{key}: misread template families", table))
        out.plots[f"confusion_{key}.png"] = partial(
            plot_confusion, matrix=confusion_matrix(y_te, pred, labels=labels), labels=labels, title=f"{key}: model"
        )
        plots[0][key] = precision_coverage(correct, conf)
        plots[1][key] = (conf, correct)
        for i, p, y in zip(ids, preds, y_te, strict=True):
            out.predictions.append({"dataset": key, "id": i, "gold": y, **p.to_json()})
        return m[f"{key}_model_macro_f1"]
