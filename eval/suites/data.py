"""Data suite: template-family leakage, label distribution and duplicate rates."""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import partial

import numpy as np

from eval.base import EvalContext, EvalOutput, Evaluator
from eval.report import markdown_table, plot_bars
from eval.textsim import exact_duplicate_rate, max_similarity_to
from synth.generate import load_jsonl

NEAR_DUPLICATE = 0.9  # char-n-gram TF-IDF cosine above which two texts are near copies


class DataSuite(Evaluator):
    name = "data"
    primary_metric = "appeals_family_leakage"
    greater_is_better = False

    def __call__(self, ctx: EvalContext) -> EvalOutput:
        metrics: dict = {}
        sections: list[tuple[str, str]] = []
        plots: dict = {}
        if ctx.data_dir is not None:
            self._synthetic(ctx, metrics, sections, plots)
        if ctx.real_dir is not None:
            self._spb(ctx, metrics, sections)
        return EvalOutput(metrics=metrics, sections=sections, plots=plots)

    def _synthetic(self, ctx, metrics, sections, plots) -> None:
        appeals = load_jsonl(ctx.data_dir / "appeals.jsonl")
        metrics["appeals_total"] = len(appeals)
        splits_of = defaultdict(set)
        for r in appeals:
            splits_of[r["template_family"]].add(r["split"])
        metrics["appeals_families"] = len(splits_of)
        # A family in more than one split would let a model score on templates it trained on.
        metrics["appeals_family_leakage"] = sum(1 for s in splits_of.values() if len(s) > 1)
        metrics["appeals_exact_duplicate_rate"] = round(exact_duplicate_rate([r["text"] for r in appeals]), 4)
        metrics["appeals_confuser_share"] = round(np.mean([r["confuser"] for r in appeals]), 4)

        rows = []
        for taxonomy in sorted({r["taxonomy"] for r in appeals}):
            recs = [r for r in appeals if r["taxonomy"] == taxonomy]
            train = [r["text"] for r in recs if r["split"] == "train"]
            test = [r["text"] for r in recs if r["split"] == "test"]
            sims = max_similarity_to(train, test)
            metrics[f"appeals_{taxonomy}_test_near_duplicate_rate"] = round(float((sims >= NEAR_DUPLICATE).mean()), 4)
            metrics[f"appeals_{taxonomy}_test_max_train_similarity_mean"] = round(float(sims.mean()), 4)
            norm_train = set(train)
            metrics[f"appeals_{taxonomy}_test_exact_in_train"] = sum(1 for t in test if t in norm_train)
            by_label = Counter((r["category"], r["split"]) for r in recs)
            for cat in sorted({r["category"] for r in recs}):
                rows.append([taxonomy, cat] + [by_label[(cat, s)] for s in ("train", "validation", "test")])
        sections.append(
            (
                "Synthetic appeals: labels per split",
                markdown_table(["taxonomy", "category", "train", "validation", "test"], rows),
            )
        )
        counts = Counter(f"{r['taxonomy']}/{r['category']}" for r in appeals)
        plots["appeals_labels.png"] = partial(
            plot_bars,
            values=dict(sorted(counts.items())),
            title="Synthetic appeals per category",
            xlabel="records",
        )

    def _spb(self, ctx, metrics, sections) -> None:
        from eval.realdata import load_spb_appeals, temporal_split

        appeals = load_spb_appeals(ctx.real_dir)
        split = temporal_split(appeals)
        metrics["spb_total"] = len(appeals)
        for k, v in split.items():
            metrics[f"spb_{k}"] = len(v)
        metrics["spb_exact_duplicate_rate"] = round(exact_duplicate_rate([a.text for a in appeals]), 4)
        train_texts = [a.text for a in split["train"]]
        test_texts = [a.text for a in split["test"]]
        sims = max_similarity_to(train_texts, test_texts)
        metrics["spb_test_near_duplicate_rate"] = round(float((sims >= NEAR_DUPLICATE).mean()), 4)
        metrics["spb_test_exact_in_train"] = len(set(test_texts) & set(train_texts))
        counts = {k: Counter(a.category for a in v) for k, v in split.items()}
        cats = sorted({a.category for a in appeals}, key=lambda c: -counts["train"][c])
        rows = [[c] + [counts[s][c] for s in ("train", "validation", "test")] for c in cats]
        sections.append(
            (
                "SPb appeals (temporal split): labels",
                markdown_table(["category", "train", "validation", "test"], rows),
            )
        )
