"""Category profiles: a trained, calibrated classifier with its abstention threshold, saved as a
versioned artifact folder (``<models>/categories/<profile>/``) and loaded by profile name."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from classify.categories import (
    FEATURE_SCHEME,
    CategoryClassifier,
    ReviewThreshold,
    choose_embedding_weight,
    choose_threshold,
    embed_long,
    fit_temperature,
)
from models.encoders import Encoder
from models.registry import ArtifactError, atomic_folder, attach_encoder, encoder_detached, now_iso, read_meta

FORMAT_VERSION = 1
DEFAULT_PRECISION = 0.95  # precision that answered (not "needs review") predictions must reach


def data_hash(texts: list[str], labels: list[str]) -> str:
    h = hashlib.sha256()
    for t, y in zip(texts, labels, strict=True):
        h.update(t.encode())
        h.update(b"\x00")
        h.update(y.encode())
        h.update(b"\x01")
    return h.hexdigest()


@dataclass
class CategoryPrediction:
    category: str
    probability: float
    top: list[dict]
    needs_review: bool

    def to_json(self) -> dict:
        return asdict(self)

    def top_probabilities(self) -> dict[str, float]:
        """{category: probability} of the top categories (a search's ``category_prior``)."""
        return {t["category"]: t["probability"] for t in self.top}


class CategoryProfile:
    """A loaded profile: ``predict(texts)`` gives calibrated categories with a review flag."""

    def __init__(self, name: str, classifier: CategoryClassifier, threshold: ReviewThreshold, meta: dict):
        self.name, self.classifier, self.threshold, self.meta = name, classifier, threshold, meta

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.classifier.classes_]

    def predict(self, texts: list[str], top: int = 3, embeddings: np.ndarray | None = None) -> list[CategoryPrediction]:
        proba = self.classifier.predict_proba(texts, embeddings=embeddings)
        out = []
        for row in proba:
            order = np.argsort(-row)[:top]
            best = float(row[order[0]])
            out.append(
                CategoryPrediction(
                    category=self.classes[order[0]],
                    probability=round(best, 4),
                    top=[{"category": self.classes[i], "probability": round(float(row[i]), 4)} for i in order],
                    needs_review=best < self.threshold.threshold,
                )
            )
        return out

    # ---- persistence -----------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        import joblib
        import sklearn

        with encoder_detached(self.classifier), atomic_folder(Path(folder)) as tmp:
            joblib.dump(self.classifier, tmp / "model.joblib")
            meta = {
                **self.meta,
                "format_version": FORMAT_VERSION,
                "sklearn": sklearn.__version__,
                "threshold": asdict(self.threshold),
                "classes": self.classes,
                "profile": self.name,
            }
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path, encoder_loader) -> CategoryProfile:
        """``encoder_loader(name)`` returns the encoder the profile was trained with.

        Raises:
            ArtifactError: missing folder, other format or library version, or another encoder.
        """
        import joblib
        import sklearn

        folder = Path(folder)
        meta = read_meta(folder, format_version=FORMAT_VERSION)
        if meta.get("sklearn") != sklearn.__version__:
            raise ArtifactError(
                f"profile {folder.name} was saved with scikit-learn {meta.get('sklearn')}, this is "
                f"{sklearn.__version__}: retrain it (`claims train categories` or `claims models prepare`)"
            )
        classifier = joblib.load(folder / "model.joblib")  # our own artifact folder, version-checked above
        attach_encoder(classifier, meta, encoder_loader, f"profile {folder.name}", "retrain it")
        return cls(meta["profile"], classifier, ReviewThreshold(**meta["threshold"]), meta)


def encoder_spec(encoder: Encoder | None) -> str | None:
    """How to load the encoder again: its shipped name, or the folder it came from."""
    from models.encoders import SEPARATOR, SHIPPED

    if encoder is None:
        return None
    if all(part in SHIPPED for part in encoder.name.split(SEPARATOR)):
        return encoder.name
    return str(getattr(encoder, "folder", encoder.name))


def train_profile(
    name: str,
    train: tuple[list[str], list[str]],
    validation: tuple[list[str], list[str]],
    encoder: Encoder | None,
    target_precision: float = DEFAULT_PRECISION,
    progress: bool | None = None,
    **params,
) -> CategoryProfile:
    """Fit on ``train``; on ``validation``, choose the embedding block's weight (unless ``params`` fixes
    it), calibrate the temperature and choose the review threshold."""
    (x_tr, y_tr), (x_va, y_va) = train, validation
    if len(set(y_tr)) < 2:
        raise ValueError("training data needs at least two categories")
    emb_tr = embed_long(encoder, x_tr, progress=progress) if encoder is not None else None
    emb_va = embed_long(encoder, x_va, progress=progress) if encoder is not None else None
    clf = CategoryClassifier(encoder=encoder, **params)
    selection = None
    if encoder is not None and "embedding_weight" not in params and len(set(y_va) & set(y_tr)) >= 2:
        selection = choose_embedding_weight(clf, (x_tr, y_tr), (x_va, y_va), emb_tr, emb_va)
    else:
        clf.fit(x_tr, y_tr, embeddings=emb_tr)
    logits = clf.decision_function(x_va, embeddings=emb_va)
    index = {c: i for i, c in enumerate(clf.classes_)}
    known = np.array([y in index for y in y_va])
    y_idx = np.array([index.get(y, -1) for y in y_va])
    if known.sum() >= 10:
        clf.temperature_ = fit_temperature(logits[known], y_idx[known])
    proba = clf.predict_proba(x_va, embeddings=emb_va)
    correct = proba.argmax(1) == y_idx
    threshold = choose_threshold(proba.max(1), correct, target_precision)
    meta = {
        "created_at": now_iso(),
        "encoder": encoder_spec(encoder),
        "encoder_version": encoder.version if encoder is not None else None,
        "training_data_sha256": data_hash(x_tr + x_va, list(y_tr) + list(y_va)),
        "feature_scheme": FEATURE_SCHEME,
        "train_size": len(x_tr),
        "validation_size": len(x_va),
        "temperature": clf.temperature_,
        "validation_accuracy": float(correct.mean()) if len(correct) else None,
        "params": {k: v for k, v in clf.get_params().items() if k != "encoder"},
        "embedding_weight_validation_macro_f1": {str(w): round(f, 4) for w, f in selection.items()}
        if selection
        else None,
    }
    return CategoryProfile(name, clf, threshold, meta)


def profile_folder(models_dir: Path, name: str) -> Path:
    if not name or any(c in name for c in "/\\.") or name.startswith("-"):
        raise ValueError(f"bad profile name {name!r}: use letters, digits, '_' and '-'")
    return Path(models_dir) / "categories" / name


def train_and_save(
    name: str,
    train,
    validation,
    encoder: Encoder | None,
    models_dir: Path,
    out: Path | None = None,
    force: bool = False,
    **kwargs,
) -> tuple[Path, bool]:
    """Train unless the saved profile was trained on the same data with the same encoder.

    Returns:
        The folder and whether it was (re)trained.
    """
    folder = Path(out) if out else profile_folder(models_dir, name)
    digest = data_hash(list(train[0]) + list(validation[0]), list(train[1]) + list(validation[1]))
    if not force and (folder / "meta.json").exists():
        try:
            meta = read_meta(folder, format_version=FORMAT_VERSION)
            same_encoder = meta.get("encoder_version") == (encoder.version if encoder else None)
            if (
                meta.get("training_data_sha256") == digest
                and same_encoder
                and meta.get("feature_scheme") == FEATURE_SCHEME
            ):
                return folder, False
        except ArtifactError:
            pass
    profile = train_profile(name, train, validation, encoder, **kwargs)
    profile.save(folder)
    return folder, True


def load_profile(models_dir: Path, name: str) -> CategoryProfile:
    """The saved profile ``name``, with its encoder loaded (once per process)."""
    from models.encoders import shared_encoder

    folder = profile_folder(models_dir, name)
    if not (folder / "meta.json").exists():
        raise ArtifactError(
            f"no category profile {name!r} in {folder.parent}; train it with `claims train categories` "
            "(the default profiles come from `claims models prepare`)"
        )
    return CategoryProfile.load(folder, lambda enc: shared_encoder(enc, str(models_dir)))
