"""The learned layer: a calibrated logistic regression over rule states, timeline features and the
consumer's own account, trained on generated case history, giving a probability that a demand is
invalid.

The account (``RefundFacts.account``: an intake form's free text, or what a letter says beyond
the facts read from it) is read by a text block: a sentence classifier (the default encoder's
embeddings with lemmatised TF-IDF, ``CategoryClassifier``) trained on the accounts of cases that
no rule decided; the lowest and highest of its sentence scores are two features of the final model.
Those scores come, for the final model's training, from folds the classifier was not trained on,
so the final model learns how far to trust it on unseen cases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classify.refund.facts import RefundFacts
from classify.refund.rules import RULES
from classify.refund.timeline import Timeline
from models.registry import ArtifactError, atomic_folder, attach_encoder, encoder_detached, now_iso, read_meta

FORMAT_VERSION = 3  # 2: trained on structured and letter-read facts; 3: reads the consumer's account
#: Changes whenever the features change; a saved model of another scheme is retrained.
FEATURE_SCHEME = "rule-states+timeline+account-sentences-min-max/v2-formal-and-plain-letters"
TEXT_FOLDS = 5
#: Weight of the embedding block against TF-IDF in the sentence classifier, chosen by training on one
#: training wording family and validating on the other (accounts scenarios, e5-small-int8, seed 2):
#: verdict accuracy 0.55 / 0.68 / 0.71 / 0.76 / 0.75 at 2 / 4 / 8 / 16 / 32 (family 0 -> 1) and
#: 0.40 / 0.59 / 0.70 / 0.70 at 2 / 4 / 8 / 16 (1 -> 0). TF-IDF learns the wording; the embedding
#: generalises. The held-out family was not used.
TEXT_EMBEDDING_WEIGHT = 16.0
_EPS = 1e-4


@dataclass
class TrainingCase:
    facts: RefundFacts
    invalid: int  # how the history decided it
    group: str  # one generated case read two ways (structured, letter) is one group


def features(
    facts: RefundFacts, t: Timeline, states: dict[str, bool | None], text_score: tuple[float, float] | None = None
):
    """Fixed-length numeric description of a case (unknowns get their own indicator); ``text_score``:
    the text block's (lowest, highest) probability over the account's sentences, None without one.
    The lowest tells an innocent account from one whose other sentences say little."""
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
    lo, hi = text_score if text_score is not None else (None, None)
    row += [text_score is None, 0.0 if hi is None else _logit(hi), 0.0 if lo is None else _logit(lo)]
    return np.asarray(row, dtype=np.float32)


def _logit(p: float) -> float:
    p = min(max(p, _EPS), 1 - _EPS)
    return float(np.log(p / (1 - p)))


def _sentences(facts: RefundFacts) -> list[str]:
    from classify.refund.extract import account_sentences

    return account_sentences(facts.account) if facts.account else []


class RefundModel:
    """``text_model``: the sentence classifier over accounts (None: rules and timeline only)."""

    def __init__(self, estimator=None, text_model=None, meta: dict | None = None):
        self.estimator, self.text_model, self.meta = estimator, text_model, meta or {}

    def fit(self, cases: list[TrainingCase], encoder=None, use_text: bool = True, seed: int = 0) -> RefundModel:
        """``encoder``: the text block's sentence encoder (None: its TF-IDF part only)."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.linear_model import LogisticRegression

        from classify.profiles import encoder_spec
        from classify.refund.verdict import evaluate_rules

        evaluated = [evaluate_rules(c.facts) for c in cases]
        scores: list[tuple[float, float] | None] = [None] * len(cases)
        self.text_model = None
        if use_text:
            scores, self.text_model = _text_block(cases, evaluated, encoder, seed)
        X = np.stack([features(c.facts, *ev, s) for c, ev, s in zip(cases, evaluated, scores, strict=True)])
        y = np.array([c.invalid for c in cases])
        base = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
        self.estimator = CalibratedClassifierCV(base, method="sigmoid", cv=5).fit(X, y)
        self.meta = {
            "train_size": len(cases),
            "positives": int(y.sum()),
            "text_block": self.text_model is not None,
            "encoder": encoder_spec(encoder) if self.text_model is not None else None,
            "encoder_version": encoder.version if encoder is not None and self.text_model is not None else None,
            "created_at": now_iso(),
        }
        return self

    def explain(self, facts: RefundFacts, timeline: Timeline, states: dict) -> tuple[float, str | None]:
        """(probability of invalidity, the account's most suspect sentence when the text block finds
        one more likely invalid than not: what a reviewer should read first). The account is
        encoded once."""
        sentences = _sentences(facts)
        scores = self.text_model.predict_proba(sentences)[:, 1] if self.text_model and sentences else None
        text_score = None if scores is None else (float(scores.min()), float(scores.max()))
        x = features(facts, timeline, states, text_score)[None, :]
        evidence = sentences[int(scores.argmax())] if scores is not None and scores.max() >= 0.5 else None
        return float(self.estimator.predict_proba(x)[0, 1]), evidence

    def save(self, folder: Path) -> None:
        import joblib
        import sklearn

        with atomic_folder(Path(folder)) as tmp:
            joblib.dump(self.estimator, tmp / "model.joblib")
            if self.text_model is not None:
                with encoder_detached(self.text_model):
                    joblib.dump(self.text_model, tmp / "text_model.joblib")
            meta = {
                **self.meta,
                "format_version": FORMAT_VERSION,
                "sklearn": sklearn.__version__,
                "rules": [r.code for r in RULES],
                "features": FEATURE_SCHEME,
            }
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2))

    @classmethod
    def load(cls, folder: Path, encoder_loader=None) -> RefundModel:
        """``encoder_loader(name)`` loads the text block's encoder (its name is in ``meta.json``)."""
        import joblib
        import sklearn

        meta = read_meta(folder, format_version=FORMAT_VERSION)
        current = (sklearn.__version__, [r.code for r in RULES], FEATURE_SCHEME)
        if (meta.get("sklearn"), meta.get("rules"), meta.get("features")) != current:
            raise ArtifactError(f"refund model at {folder} is from another version: run `claims models prepare`")
        text_model = None
        if meta.get("text_block"):
            text_model = joblib.load(Path(folder) / "text_model.joblib")
            if meta.get("encoder"):
                if encoder_loader is None:
                    raise ArtifactError(f"refund model at {folder} reads accounts with {meta['encoder']}: no loader")
                what = f"refund model at {folder}"
                attach_encoder(text_model, meta, encoder_loader, what, "run `claims models prepare`")
        return cls(joblib.load(Path(folder) / "model.joblib"), text_model, meta)


def _text_block(cases: list[TrainingCase], evaluated, encoder, seed: int):
    """(out-of-fold text score per case, the sentence classifier fitted on every fold). The
    classifier learns from the accounts of cases no rule decided: each sentence carries its case's
    outcome, so sentences said in every kind of case learn the base rate and the telling ones
    learn their own."""
    from sklearn.model_selection import GroupKFold

    from classify.categories import CategoryClassifier, embed_long

    per_case = [_sentences(c.facts) for c in cases]
    undecided = [not any(v is True for v in states.values()) for _, states in evaluated]
    unique = sorted({s for sents in per_case for s in sents})
    if not unique:
        return [None] * len(cases), None
    emb = embed_long(encoder, unique, progress=False) if encoder is not None else None
    row = {s: i for i, s in enumerate(unique)}

    def fit(indices) -> CategoryClassifier | None:
        texts = [s for i in indices if undecided[i] for s in per_case[i]]
        labels = [cases[i].invalid for i in indices if undecided[i] for _ in per_case[i]]
        if len(set(labels)) < 2:
            return None
        clf = CategoryClassifier(encoder=encoder, embedding_weight=TEXT_EMBEDDING_WEIGHT, random_state=seed)
        e = emb[[row[s] for s in texts]] if emb is not None else None
        return clf.fit(texts, labels, embeddings=e)

    def score(clf, indices, scores) -> None:
        for i in indices:
            if clf is not None and per_case[i]:
                e = emb[[row[s] for s in per_case[i]]] if emb is not None else None
                p = clf.predict_proba(per_case[i], embeddings=e)[:, 1]
                scores[i] = float(p.min()), float(p.max())

    scores: list[tuple[float, float] | None] = [None] * len(cases)
    groups = [c.group for c in cases]
    folds = min(TEXT_FOLDS, len(set(groups)))
    for train_idx, test_idx in GroupKFold(n_splits=folds).split(cases, groups=groups):
        score(fit(train_idx), test_idx, scores)
    return scores, fit(range(len(cases)))


def training_cases(seed: int = 0, per_scenario: int = 40, families=None) -> list[TrainingCase]:
    """Generated history with a decided outcome (cases the history left open carry no label), each
    case twice: as structured facts and as the facts read from its letter, since the model sees
    both kinds of input (a letter leaves unsaid what structured data states); the letters are in the
    development registers (``synth.refund_letters``). ``families``: the accounts' wording families
    (default: the training ones; the held-out family is never used)."""
    from classify.refund.extract import extract_facts
    from synth.refund import generate_refund_cases
    from synth.refund_accounts import TRAIN_FAMILIES
    from synth.refund_letters import DEV_REGISTERS

    out = []
    for c in generate_refund_cases(seed, per_scenario, families or TRAIN_FAMILIES, DEV_REGISTERS):
        if c.outcome is not None:
            label = int(c.outcome == "invalid")
            out.append(TrainingCase(RefundFacts.from_generated(c.to_json()["facts"]), label, c.id))
            out.append(TrainingCase(extract_facts(c.letter), label, c.id))
    return out


def refund_model_folder(models_dir: Path) -> Path:
    return Path(models_dir) / "refund"


def load_refund_model(models_dir: Path) -> RefundModel:
    """The shipped refund model with its text block's encoder (loaded once per process)."""
    from models.encoders import shared_encoder

    return RefundModel.load(refund_model_folder(models_dir), lambda enc: shared_encoder(enc, str(models_dir)))


def prepare_refund_model(models_dir: Path, encoder=None, force: bool = False) -> tuple[Path, bool]:
    """Train the shipped model (history seed 1) unless a current one is saved with the same encoder
    (checked against ``encoder`` itself: no second copy of it is loaded)."""
    folder = refund_model_folder(models_dir)

    def given(_name: str):
        if encoder is None:
            raise ArtifactError("the saved refund model reads accounts with an encoder; none was given")
        return encoder

    if not force and (folder / "meta.json").exists():
        try:
            model = RefundModel.load(folder, given)
            if model.meta.get("encoder_version") == (encoder.version if encoder is not None else None):
                return folder, False
        except ArtifactError:
            pass
    RefundModel().fit(training_cases(seed=1), encoder=encoder).save(folder)
    return folder, True
