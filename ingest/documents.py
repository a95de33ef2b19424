"""From pages to documents: split a file (or a run of scanned page files) at document boundaries,
and type each document with the trained document-type model (a versioned artifact folder)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.doctypes import DocTypeClassifier, title_zone
from ingest.types import Document, Page
from models.registry import ArtifactError, atomic_folder, now_iso, read_meta

FORMAT_VERSION = 1
FOLDER = "doctype"
# A page whose own type the model names with at least this confidence, and differs from the running
# document's, starts a new document even without a title line.
SWITCH_CONFIDENCE = 0.6
_TITLE_WORDS = re.compile(r"[А-ЯЁA-Z]{3,}")


@dataclass
class DocTypeModel:
    classifier: DocTypeClassifier
    meta: dict

    def predict(self, texts: list[str]) -> list[tuple[str, float]]:
        if not texts:
            return []
        proba = self.classifier.predict_proba(texts)
        best = proba.argmax(1)
        return [(str(self.classifier.classes_[i]), float(round(proba[k, i], 4))) for k, i in enumerate(best)]

    def save(self, folder: Path) -> None:
        import joblib
        import sklearn

        with atomic_folder(Path(folder)) as tmp:
            joblib.dump(self.classifier, tmp / "model.joblib")
            meta = {**self.meta, "format_version": FORMAT_VERSION, "sklearn": sklearn.__version__}
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> DocTypeModel:
        """Raises ArtifactError for a missing folder or another format or library version."""
        import joblib
        import sklearn

        meta = read_meta(Path(folder), format_version=FORMAT_VERSION)
        if meta.get("sklearn") != sklearn.__version__:
            raise ArtifactError(
                f"the document-type model was saved with scikit-learn {meta.get('sklearn')}, this is "
                f"{sklearn.__version__}: run `claims models prepare`"
            )
        return cls(joblib.load(Path(folder) / "model.joblib"), meta)  # our own folder, version-checked


def training_records(seed: int = 0, per_family: int = 40) -> list[dict]:
    from synth.doctypes import generate_doctype_texts

    return generate_doctype_texts(seed, per_family)


def train_doctype_model(records: list[dict], holdout_family: int | None = None, **params) -> DocTypeModel:
    """Fit on every family except ``holdout_family`` (None: all); the temperature is fitted on one
    more held-out family when there is one, so that confidences are calibrated on unseen wording."""
    fams = sorted({r["family"] for r in records} - {holdout_family})
    calib = fams[-1] if len(fams) > 2 else None
    train = [r for r in records if r["family"] in fams and r["family"] != calib]
    val = [r for r in records if r["family"] == calib]
    clf = DocTypeClassifier(**params).fit(
        [r["text"] for r in train],
        [r["doc_type"] for r in train],
        [r["text"] for r in val] or None,
        [r["doc_type"] for r in val] or None,
    )
    if calib is not None:  # refit on every training family, keep the temperature found above
        temperature = clf.temperature_
        clf = DocTypeClassifier(**params).fit(
            [r["text"] for r in records if r["family"] in fams], [r["doc_type"] for r in records if r["family"] in fams]
        )
        clf.temperature_ = temperature
    return DocTypeModel(
        clf,
        {
            "data_sha256": _digest(records),
            "records": len(records),
            "holdout_family": holdout_family,
            "created_at": now_iso(),
        },
    )


def _digest(records: list[dict]) -> str:
    return hashlib.sha256("\x00".join(r["text"] + "\x01" + r["doc_type"] for r in records).encode()).hexdigest()


def prepare_doctype(models_dir: Path, force: bool = False, extra: list[dict] | None = None) -> tuple[Path, bool]:
    """Train the shipped model from generated texts unless the same data already made it.

    ``extra`` (texts with a ``doc_type``, e.g. reviewers' corrections) joins every training run; a
    model trained with extras is kept by a later plain prepare as long as the generated texts are
    the same (``generated_sha256``), so ``claims models prepare`` never drops corrections."""
    folder = Path(models_dir) / FOLDER
    records = training_records()
    generated = _digest(records)
    extra = [{"text": r["text"], "doc_type": r["doc_type"], "family": -1} for r in extra or []]
    if not force and not extra:
        try:
            meta = read_meta(folder, format_version=FORMAT_VERSION)
            if meta.get("generated_sha256", meta.get("data_sha256")) == generated:
                return folder, False
        except ArtifactError:
            pass
    model = train_doctype_model(records + extra)  # family -1: always in training, never the calibration family
    model.meta.update({"generated_sha256": generated, "extra_records": len(extra)})
    model.save(folder)
    return folder, True


def load_doctype_model(models_dir: Path) -> DocTypeModel:
    return DocTypeModel.load(Path(models_dir) / FOLDER)


# ---- splitting ---------------------------------------------------------------------------------


def has_title(text: str) -> bool:
    """Whether a page opens like a document: a line in capitals near the top ("ДОВЕРЕННОСТЬ",
    "АКТ ПРИЁМА-ПЕРЕДАЧИ") or an addressee block ("Руководителю ...", "В ... от ...")."""
    for line in [ln.strip() for ln in text.splitlines() if ln.strip()][:4]:
        letters = [c for c in line if c.isalpha()]
        if len(letters) >= 5 and sum(c.isupper() for c in letters) >= 0.8 * len(letters) and _TITLE_WORDS.search(line):
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
    page_types = model.predict([p.text for p in pages]) if model else [("other", 0.0)] * len(pages)
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
        for doc, (t, conf) in zip(docs, model.predict([d.text for d in docs]), strict=True):
            doc.doc_type, doc.doc_type_confidence = t, conf
    return docs


__all__ = ["split_documents", "has_title", "title_zone", "DocTypeModel", "prepare_doctype", "load_doctype_model"]
