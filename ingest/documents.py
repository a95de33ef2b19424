"""From pages to documents: split a file (or a run of scanned page files) at document boundaries,
and type each document with the trained document-type model (a versioned artifact folder)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.doctypes import DocTypeClassifier, choose_fusion_weights, embed_heads, in_capitals, title_zone
from ingest.types import Document, Page, TypeAlternative
from models.registry import ArtifactError, atomic_folder, attach_encoder, encoder_detached, now_iso, read_meta

FORMAT_VERSION = 6  # 4: the n-gram answer stands where it is sure (ngram_sure); 5: title-line embedding;
# 6: fusion weights chosen by leave-one-family-out
FOLDER = "doctype"
EMBEDDINGS_FILE = "generated_heads.npy"  # embeddings of the generated training texts, reused on retraining
# A page whose own type the model names with at least this confidence, and differs from the running
# document's, starts a new document even without a title line.
SWITCH_CONFIDENCE = 0.6
# Other types a document is reported with (``doc_type_alternatives``): at most two, each with a
# calibrated probability of 0.15 or more. Set before measuring; what they catch is in the doctype suite.
ALTERNATIVE_PROBABILITY = 0.15
MAX_ALTERNATIVES = 2
_TITLE_WORDS = re.compile(r"[А-ЯЁA-Z]{3,}")


@dataclass
class DocTypeModel:
    classifier: DocTypeClassifier
    meta: dict

    def predict(
        self,
        texts: list[str],
        embeddings: np.ndarray | None = None,
        ngrams_only: bool = False,
        ngram_logits: np.ndarray | None = None,
    ) -> list[tuple[str, float]]:
        """(type, confidence) per text; ``ngrams_only`` skips the embedding (the per-page cue);
        ``ngram_logits``: the texts' :meth:`ngram_logits`, when already computed."""
        return [ranked[0] for ranked in self.rank(texts, embeddings, ngrams_only, ngram_logits, most=1)]

    def rank(
        self,
        texts: list[str],
        embeddings: np.ndarray | None = None,
        ngrams_only: bool = False,
        ngram_logits: np.ndarray | None = None,
        min_probability: float = ALTERNATIVE_PROBABILITY,
        most: int = 1 + MAX_ALTERNATIVES,
    ) -> list[list[tuple[str, float]]]:
        """Per text, the best (type, confidence) first, then up to ``most - 1`` other types whose
        calibrated probability reaches ``min_probability``, most likely first (as :meth:`predict`)."""
        if not texts:
            return []
        if ngrams_only:
            proba = self.classifier.predict_proba_ngrams(texts, ngram_logits)
        else:
            proba = self.classifier.predict_proba(texts, embeddings, ngram_logits)
        classes = self.classifier.classes_
        out = []
        for row in proba:
            order = np.argsort(-row, kind="stable")[:most]
            kept = [i for n, i in enumerate(order) if n == 0 or row[i] >= min_probability]
            out.append([(str(classes[i]), float(round(row[i], 4))) for i in kept])
        return out

    def ngram_logits(self, texts: list[str]) -> np.ndarray:
        return self.classifier.ngram_logits(texts)

    def save(self, folder: Path, generated_embeddings: np.ndarray | None = None) -> None:
        import joblib
        import sklearn

        with encoder_detached(self.classifier) as encoder, atomic_folder(Path(folder)) as tmp:
            joblib.dump(self.classifier, tmp / "model.joblib")
            if generated_embeddings is not None:
                np.save(tmp / EMBEDDINGS_FILE, generated_embeddings)
            meta = {
                **self.meta,
                "format_version": FORMAT_VERSION,
                "sklearn": sklearn.__version__,
                "encoder": encoder.name if encoder is not None else None,
                "encoder_version": encoder.version if encoder is not None else None,
            }
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path, models_dir: Path | None = None) -> DocTypeModel:
        """Raises ArtifactError for a missing folder, another format or library version, or an
        encoder other than the one the model was trained with."""
        import joblib
        import sklearn

        from models.encoders import shared_encoder

        folder = Path(folder)
        meta = read_meta(folder, format_version=FORMAT_VERSION)
        if meta.get("sklearn") != sklearn.__version__:
            raise ArtifactError(
                f"the document-type model was saved with scikit-learn {meta.get('sklearn')}, this is "
                f"{sklearn.__version__}: run `claims models prepare`"
            )
        classifier = joblib.load(folder / "model.joblib")  # our own folder, version-checked
        attach_encoder(
            classifier,
            meta,
            lambda name: shared_encoder(name, str(models_dir or folder.parent)),
            "the document-type model",
            "run `claims models prepare`",
        )
        return cls(classifier, meta)


# The shipped model trains on template families 0-11 (stop 33, 2026-12-06). Families 12-13 were
# written after it was designed and before any model read them: the doctype suite scores the
# shipped model on them apart (`shipped_model_unseen_families_macro_f1`). It trained on 0-5 until
# then, because models trained on more families read a few more real `other` scans wrongly; with
# `OTHER_FACTOR` and twelve families it reads the 66 real scans as well as that model did (README,
# Quality: Ingest).
SHIPPED_FAMILIES = range(12)  # every batch but the newest (synth.doctypes.BATCHES[-1])


# `other` is a catch-all of four kinds of document a family, so at ``per_family`` texts each kind
# would be the rarest thing in training; it gets this many times as many (stop 31's variant, adopted
# at stop 33). The extra texts are ``train_only``: every score is on the first ``per_family``.
OTHER_FACTOR = 2


def training_records(
    seed: int = 0, per_family: int = 40, families: Sequence[int] | None = None, other_factor: int = OTHER_FACTOR
) -> list[dict]:
    """The generated document-type texts (every template family unless ``families`` says which),
    ``other`` drawn ``other_factor`` times as often (the extra texts marked ``train_only``)."""
    from synth.doctypes import generate_doctype_texts

    return generate_doctype_texts(seed, per_family, families, per_type={"other": per_family * other_factor})


def train_doctype_model(
    records: list[dict],
    holdout_family: int | None = None,
    encoder=None,
    embeddings: np.ndarray | None = None,
    choose_weights: bool = True,
    fusion_weights: tuple[float, float] | None = None,
    **params,
) -> DocTypeModel:
    """Fit on every family except ``holdout_family`` (None: all); the temperature is fitted on one
    more held-out family when there is one, so that confidences are calibrated on unseen wording.

    With an ``encoder`` the n-gram model is fused with one over head embeddings; ``embeddings``
    (one row per record, from :func:`embed_heads`) saves computing them again. With
    ``choose_weights`` and three training families or more, the fusion weights are chosen by
    leave-one-family-out over the training families (:func:`choose_fusion_weights`), unless
    ``fusion_weights`` gives them (chosen before on the same families)."""
    if encoder is not None and embeddings is None:
        embeddings = embed_heads(encoder, [r["text"] for r in records], progress=len(records) > 256)
    fams = sorted({r["family"] for r in records} - {holdout_family})
    calib = fams[-1] if len(fams) > 2 else None

    def part(keep):
        idx = [i for i, r in enumerate(records) if keep(r["family"])]
        texts, labels = [records[i]["text"] for i in idx], [records[i]["doc_type"] for i in idx]
        return texts, labels, (embeddings[idx] if embeddings is not None else None), [records[i]["family"] for i in idx]

    every = part(lambda f: f in fams)
    weights, scores = fusion_weights, None
    if weights is None and embeddings is not None and choose_weights and len([f for f in fams if f >= 0]) >= 3:
        base = _params(DocTypeClassifier(**params))
        weights, scores = choose_fusion_weights(base, every[0], every[1], every[2], every[3])
    train = part(lambda f: f in fams and f != calib)
    val = part(lambda f: f == calib)
    clf = DocTypeClassifier(encoder=encoder, **params).fit(
        train[0], train[1], val[0] or None, val[1] or None, embeddings=train[2], val_embeddings=val[2],
        fusion_weights=weights,
    )  # fmt: skip
    if calib is not None:  # refit on every training family, keep the temperatures found above
        temperatures = clf.temperature_, clf.ngram_temperature_
        clf = DocTypeClassifier(encoder=encoder, **params).fit(
            every[0], every[1], embeddings=every[2], fusion_weights=weights
        )
        clf.temperature_, clf.ngram_temperature_ = temperatures
    return DocTypeModel(
        clf,
        {
            "data_sha256": _digest(records),
            "records": len(records),
            "holdout_family": holdout_family,
            "params": _params(clf),
            "fusion_weights": None if clf.embedding_model_ is None else list(clf.fusion_weights_),
            "fusion_weights_macro_f1": None
            if scores is None
            else {f"{w}/{t}": round(f, 4) for (w, t), f in scores.items()},
            "created_at": now_iso(),
        },
    )


def _params(clf: DocTypeClassifier) -> dict:
    """The estimator's settings (not its encoder): a model made with other settings is retrained."""
    return {k: v for k, v in clf.get_params().items() if k != "encoder"}


def _digest(records: list[dict]) -> str:
    return hashlib.sha256("\x00".join(r["text"] + "\x01" + r["doc_type"] for r in records).encode()).hexdigest()


def prepare_doctype(
    models_dir: Path, force: bool = False, extra: list[dict] | None = None, encoder: str | None = None
) -> tuple[Path, bool]:
    """Train the shipped model from generated texts unless the same data and encoder already made it.

    ``encoder``: a shipped name (default: the ``CLAIMS_DOCTYPE_ENCODER`` setting, e5-small-int8)
    or ``"none"`` for the n-gram model alone. ``extra`` (texts with a ``doc_type``, e.g. reviewers'
    corrections) joins every training run; a model trained with extras is kept by a later plain
    prepare as long as the generated texts and the encoder are the same, so ``claims models
    prepare`` never drops corrections. The generated texts' embeddings are kept beside the model,
    so retraining with corrections embeds only the corrections."""
    from models.encoders import shared_encoder

    if encoder is None:
        from claims.settings import get_settings

        encoder = get_settings().doctype_encoder
    enc = None if encoder == "none" else shared_encoder(encoder, str(models_dir))
    enc_version = enc.version if enc is not None else None
    folder = Path(models_dir) / FOLDER
    records = training_records(families=SHIPPED_FAMILIES)
    generated = _digest(records)
    extra = [{"text": r["text"], "doc_type": r["doc_type"], "family": -1} for r in extra or []]
    meta = {}
    with contextlib.suppress(ArtifactError):
        meta = read_meta(folder, format_version=FORMAT_VERSION)
    current = (
        meta.get("generated_sha256") == generated
        and meta.get("encoder_version", "?") == enc_version
        and meta.get("params") == _params(DocTypeClassifier())
    )
    if current and not force and not extra:
        return folder, False
    embeddings = None
    if enc is not None:
        cached = folder / EMBEDDINGS_FILE
        base = np.load(cached) if current and cached.is_file() else None
        if base is None or base.shape != (len(records), 2 * enc.dim):
            base = embed_heads(enc, [r["text"] for r in records], progress=True)
        more = embed_heads(enc, [r["text"] for r in extra]) if extra else np.zeros((0, 2 * enc.dim), np.float32)
        embeddings = np.vstack([base, more])
    # family -1: always in training, never the calibration family. Retrained on the same generated
    # texts (reviewers' corrections added), the model keeps the fusion weights chosen on them before.
    weights = meta.get("fusion_weights") if current and enc is not None else None
    model = train_doctype_model(
        records + extra, encoder=enc, embeddings=embeddings, fusion_weights=tuple(weights) if weights else None
    )
    if weights:
        model.meta["fusion_weights_macro_f1"] = meta.get("fusion_weights_macro_f1")
    model.meta.update({"generated_sha256": generated, "extra_records": len(extra)})
    model.save(folder, generated_embeddings=None if embeddings is None else embeddings[: len(records)])
    return folder, True


def load_doctype_model(models_dir: Path) -> DocTypeModel:
    return DocTypeModel.load(Path(models_dir) / FOLDER, models_dir)


# ---- splitting ---------------------------------------------------------------------------------


def has_title(text: str) -> bool:
    """Whether a page opens like a document: a line in capitals near the top ("ДОВЕРЕННОСТЬ",
    "АКТ ПРИЁМА-ПЕРЕДАЧИ") or an addressee block ("Руководителю ...", "В ... от ...")."""
    for line in [ln.strip() for ln in text.splitlines() if ln.strip()][:4]:
        if in_capitals(line, min_letters=5) and _TITLE_WORDS.search(line):
            return True
        if re.match(r"(?:Руководителю|Генеральному директору|Директору|Финансовому уполномоченному|В\s)", line):
            return True
    return False


def split_documents(pages: list[Page], model: DocTypeModel | None) -> list[Document]:
    """Group consecutive pages into documents and type each.

    A new document starts at each file (unless the file is a single scanned page that continues the
    previous one: no title, same type), at a page with a title, or where the page's own type
    changes with confidence.
    """
    if not pages:
        return []
    # Pages are typed by the n-grams alone (cheap); each document once with the full model.
    page_types = [("other", 0.0)] * len(pages)
    if model:
        texts = [p.text for p in pages]
        page_logits = model.ngram_logits(texts)
        page_types = model.predict(texts, ngrams_only=True, ngram_logits=page_logits)
    groups: list[list[int]] = []
    for i, page in enumerate(pages):
        if not groups:
            groups.append([i])
            continue
        prev = groups[-1]
        head_type = page_types[prev[0]][0]
        t, conf = page_types[i]
        new_file = page.file != pages[prev[-1]].file
        titled = has_title(page.text)
        switch = t != head_type and conf >= SWITCH_CONFIDENCE and page_types[prev[-1]][1] >= SWITCH_CONFIDENCE
        # A separate scanned page file continues the document only when it reads as the same type.
        continues_file = page.number == 1 and page.source == "ocr" and not titled and t == head_type
        if (new_file and not continues_file) or titled or switch:
            groups.append([i])
        else:
            prev.append(i)
    docs = []
    for k, group in enumerate(groups, start=1):
        members = [pages[i] for i in group]
        offsets, parts, pos = [], [], 0
        for p in members:
            offsets.append(pos)
            parts.append(p.text)
            pos += len(p.text) + 2
        sources = {p.source for p in members}
        confs = [p.ocr_confidence for p in members if p.ocr_confidence is not None]
        docs.append(
            Document(
                id=f"d{k}",
                file=members[0].file,
                files=list(dict.fromkeys(p.file for p in members)),
                pages=[p.number for p in members],
                text_source=sources.pop() if len(sources) == 1 else "mixed",
                ocr_confidence=round(float(np.mean(confs)), 1) if confs else None,
                text="\n\n".join(parts),
                page_offsets=offsets,
            )
        )
    if model:
        # a one-page document's text is its page's: its n-gram logits are already there
        logits = page_logits[[g[0] for g in groups]]
        multi = [k for k, g in enumerate(groups) if len(g) > 1]
        if multi:
            logits[multi] = model.ngram_logits([docs[k].text for k in multi])
        for doc, ranked in zip(docs, model.rank([d.text for d in docs], ngram_logits=logits), strict=True):
            (doc.doc_type, doc.doc_type_confidence), others = ranked[0], ranked[1:]
            doc.doc_type_alternatives = [TypeAlternative(doc_type=t, probability=p) for t, p in others]
    return docs


__all__ = ["split_documents", "has_title", "title_zone", "DocTypeModel", "prepare_doctype", "load_doctype_model"]
