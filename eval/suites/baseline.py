"""Baseline suite: TF-IDF + logistic regression, on held-out synthetic families and on SPb."""

from __future__ import annotations

from functools import partial

import numpy as np

from eval.base import EvalContext, EvalOutput, Evaluator
from eval.report import markdown_table, plot_confusion, plot_precision_coverage, precision_coverage
from models.text import normalise
from synth.generate import load_jsonl


def tfidf_logreg(seed: int = 0):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(preprocessor=normalise, ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        TfidfVectorizer(preprocessor=normalise, analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True),
    )
    return make_pipeline(features, LogisticRegression(C=5.0, max_iter=2000, random_state=seed))


def score(y_true: list[str], y_pred: list[str], labels: list[str]) -> dict:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "confusion": confusion_matrix(y_true, y_pred, labels=labels),
    }


class BaselineSuite(Evaluator):
    name = "baseline"
    primary_metric = "synthetic_heldout_macro_f1"

    def __call__(self, ctx: EvalContext) -> EvalOutput:
        out = EvalOutput(metrics={}, versions={"baseline": "tfidf-word1-2+char3-5/logreg-C5"})
        curves: dict = {}  # dataset -> precision-vs-coverage curve, filled by _fit_score
        if ctx.data_dir is not None:
            self._synthetic(ctx, out, curves)
        if ctx.real_dir is not None:
            self._spb(ctx, out, curves)
        out.plots["precision_coverage.png"] = partial(
            plot_precision_coverage, curves=curves, title="Precision vs coverage (TF-IDF + LR)"
        )
        return out

    def _fit_score(self, key, train_x, train_y, test, ctx, out, ids, curves: dict) -> dict:
        model = tfidf_logreg(ctx.seed).fit(train_x, train_y)
        labels = sorted(set(train_y))
        test_x, test_y = test
        proba = model.predict_proba(test_x)
        pred = [model.classes_[i] for i in proba.argmax(1)]
        res = score(test_y, pred, labels)
        out.metrics[f"{key}_accuracy"] = round(res["accuracy"], 4)
        out.metrics[f"{key}_macro_f1"] = round(res["macro_f1"], 4)
        for i, p, y, pr in zip(ids, pred, test_y, proba.max(1), strict=True):
            out.predictions.append({"dataset": key, "id": i, "gold": y, "pred": p, "probability": round(float(pr), 4)})
        out.plots[f"confusion_{key}.png"] = partial(
            plot_confusion, matrix=res["confusion"], labels=labels, title=f"{key}: TF-IDF + LR"
        )
        correct = np.array([p == y for p, y in zip(pred, test_y, strict=True)])
        curves[key] = precision_coverage(correct, proba.max(1))
        return res

    def _synthetic(self, ctx, out, curves: dict) -> None:
        appeals = load_jsonl(ctx.data_dir / "appeals.jsonl")
        rows, heldout = [], []
        rng = np.random.default_rng(ctx.seed)
        for taxonomy in sorted({r["taxonomy"] for r in appeals}):
            recs = [r for r in appeals if r["taxonomy"] == taxonomy]
            train = [r for r in recs if r["split"] == "train"]
            test = [r for r in recs if r["split"] == "test"]
            key = f"synthetic_{taxonomy}_heldout"
            res = self._fit_score(
                key,
                [r["text"] for r in train],
                [r["category"] for r in train],
                ([r["text"] for r in test], [r["category"] for r in test]),
                ctx,
                out,
                [r["id"] for r in test],
                curves,
            )
            heldout.append(res["macro_f1"])
            # Contrast: a random split inside the training families (what a template-leaking
            # evaluation would report). The gap to the held-out figure is the template effect.
            mask = rng.random(len(train)) < 0.8
            tr = [r for r, m in zip(train, mask, strict=True) if m]
            te = [r for r, m in zip(train, mask, strict=True) if not m]
            from sklearn.metrics import f1_score

            model = tfidf_logreg(ctx.seed).fit([r["text"] for r in tr], [r["category"] for r in tr])
            in_family = f1_score([r["category"] for r in te], model.predict([r["text"] for r in te]), average="macro")
            out.metrics[f"synthetic_{taxonomy}_in_family_macro_f1"] = round(float(in_family), 4)
            rows.append([taxonomy, len(train), len(test), res["accuracy"], res["macro_f1"], float(in_family)])
        out.metrics["synthetic_heldout_macro_f1"] = round(float(np.mean(heldout)), 4)
        out.sections.append(
            (
                "Synthetic appeals: held-out template families",
                markdown_table(
                    [
                        "taxonomy",
                        "train",
                        "test (held-out families)",
                        "accuracy",
                        "macro-F1",
                        "in-family macro-F1 (leaky contrast)",
                    ],
                    rows,
                ),
            )
        )

    def _spb(self, ctx, out, curves: dict) -> None:
        from collections import Counter

        from eval.realdata import load_spb_appeals, temporal_split

        split = temporal_split(load_spb_appeals(ctx.real_dir))
        train = split["train"] + split["validation"]
        test = split["test"]
        res = self._fit_score(
            "spb",
            [a.text for a in train],
            [a.category for a in train],
            ([a.text for a in test], [a.category for a in test]),
            ctx,
            out,
            [a.id for a in test],
            curves,
        )
        majority = Counter(a.category for a in train).most_common(1)[0][0]
        maj = score([a.category for a in test], [majority] * len(test), sorted({a.category for a in train}))
        out.metrics["spb_majority_accuracy"] = round(maj["accuracy"], 4)
        out.metrics["spb_majority_macro_f1"] = round(maj["macro_f1"], 4)
        out.metrics["spb_categories"] = len({a.category for a in train})
        out.sections.append(
            (
                "SPb appeals: temporal split (train Oct-Nov 2020, test Dec 2020)",
                markdown_table(
                    ["model", "train", "test", "accuracy", "macro-F1"],
                    [
                        ["TF-IDF + LR", len(train), len(test), res["accuracy"], res["macro_f1"]],
                        [f"majority ({majority})", len(train), len(test), maj["accuracy"], maj["macro_f1"]],
                    ],
                ),
            )
        )
