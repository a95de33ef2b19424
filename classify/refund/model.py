"""The learned layer: a calibrated logistic regression over rule states and timeline features,
trained on generated case history, giving a probability that a demand is invalid."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from classify.refund.facts import RefundFacts
from classify.refund.rules import RULES
from classify.refund.timeline import Timeline
from models.registry import ArtifactError, atomic_folder, now_iso, read_meta

FORMAT_VERSION = 2  # 2: trained on structured and letter-read facts


def features(facts: RefundFacts, t: Timeline, states: dict[str, bool | None]) -> np.ndarray:
    """Fixed-length numeric description of a case (unknowns get their own indicator)."""
    row = []
    for r in RULES:
        v = states.get(r.code)
        row += [v is True, v is None]
    days = t.days_since_transfer
    row += [
        days is None,
        0.0 if days is None else min(days, 1000) / 365,
        bool(t.within_refund_window),
        len(facts.repairs),
        t.repair_deadline_breached,
        t.max_repair_days_in_a_warranty_year / 30,
        t.significant is True,
        t.significant is None,
        facts.claimed_defect() is False,
        facts.channel == "remote",
        facts.quality_check is not None,
        facts.expertise_cause is not None,
        bool(t.found_after_warranty),
    ]
    return np.asarray(row, dtype=np.float32)


class RefundModel:
    def __init__(self, estimator=None, meta: dict | None = None):
        self.estimator, self.meta = estimator, meta or {}

    def fit(self, cases: list[tuple[RefundFacts, int]], seed: int = 0) -> RefundModel:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.linear_model import LogisticRegression

        from classify.refund.verdict import evaluate_rules

        X = np.stack([features(f, *evaluate_rules(f)) for f, _ in cases])
        y = np.array([label for _, label in cases])
        base = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
        self.estimator = CalibratedClassifierCV(base, method="sigmoid", cv=5).fit(X, y)
        self.meta = {"train_size": len(cases), "positives": int(y.sum()), "created_at": now_iso()}
        return self

    def probability(self, facts: RefundFacts, timeline: Timeline, states: dict) -> float:
        x = features(facts, timeline, states)[None, :]
        return float(self.estimator.predict_proba(x)[0, 1])

    def save(self, folder: Path) -> None:
        import joblib
        import sklearn

        with atomic_folder(Path(folder)) as tmp:
            joblib.dump(self.estimator, tmp / "model.joblib")
            meta = {
                **self.meta,
                "format_version": FORMAT_VERSION,
                "sklearn": sklearn.__version__,
                "rules": [r.code for r in RULES],
            }
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2))

    @classmethod
    def load(cls, folder: Path) -> RefundModel:
        import joblib
        import sklearn

        meta = read_meta(folder, format_version=FORMAT_VERSION)
        if meta.get("sklearn") != sklearn.__version__ or meta.get("rules") != [r.code for r in RULES]:
            raise ArtifactError(f"refund model at {folder} is from another version: run `claims models prepare`")
        return cls(joblib.load(Path(folder) / "model.joblib"), meta)


def training_cases(seed: int = 0, per_scenario: int = 40) -> list[tuple[RefundFacts, int]]:
    """Generated history with a decided outcome (cases that went to review carry no label), each
    case twice: as structured facts and as the facts read from its letter, since the model sees
    both kinds of input (a letter leaves unsaid what structured data states)."""
    from classify.refund.extract import extract_facts
    from synth.refund import generate_refund_cases

    out = []
    for c in generate_refund_cases(seed, per_scenario):
        if c.verdict != "needs_review":
            label = int(c.verdict == "likely_invalid")
            out.append((RefundFacts.from_generated(c.to_json()["facts"]), label))
            out.append((extract_facts(c.letter), label))
    return out


def refund_model_folder(models_dir: Path) -> Path:
    return Path(models_dir) / "refund"


def prepare_refund_model(models_dir: Path, force: bool = False) -> tuple[Path, bool]:
    folder = refund_model_folder(models_dir)
    if not force and (folder / "meta.json").exists():
        try:
            RefundModel.load(folder)
            return folder, False
        except ArtifactError:
            pass
    RefundModel().fit(training_cases(seed=1)).save(folder)
    return folder, True
