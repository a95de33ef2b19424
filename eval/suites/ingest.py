"""Ingest suites: ``ocr`` (CER/WER by degradation level beside raw tesseract), ``doctype``
(held-out template families, package splitting, real phone scans), ``fields`` (precision, recall,
F1 per field against the generator's ground truth) and ``completeness`` (verdict accuracy and
problem-code precision/recall on generated packages, text PDFs and scans)."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np

from eval.base import EvalContext, EvalOutput, Evaluator, cached_array
from eval.report import family_bootstrap_ci, markdown_table, misread_families, plot_confusion
from eval.suites.doctype_folds import run_folds

MAX_PACKAGES = 60  # per process: scanned packages are OCR'd, about 1 s a page on one core


def _records(ctx: EvalContext) -> list[dict]:
    if ctx.data_dir is None:
        raise ValueError("this suite needs --data (a folder made by `claims data generate`)")
    with open(ctx.data_dir / "packages.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _sample(records: list[dict], per_process: int) -> list[dict]:
    out = []
    for process in sorted({r["process"] for r in records}):
        mine = [r for r in records if r["process"] == process]
        step = max(1, len(mine) // per_process)
        out += mine[::step][:per_process]
    return out


# ---- OCR -------------------------------------------------------------------------------------------

_FORM_LINE = re.compile(r"_+")


def normalise_for_cer(text: str) -> str:
    """Whitespace collapsed and blank form lines ("______") removed: a reader's text, not a layout."""
    return " ".join(_FORM_LINE.sub(" ", text).split())


def cer(hyp: str, ref: str) -> float:
    from rapidfuzz.distance import Levenshtein

    h, r = normalise_for_cer(hyp), normalise_for_cer(ref)
    return Levenshtein.distance(h, r) / max(len(r), 1)


def wer(hyp: str, ref: str) -> float:
    from rapidfuzz.distance import Levenshtein

    h, r = normalise_for_cer(hyp).split(), normalise_for_cer(ref).split()
    return Levenshtein.distance(h, r) / max(len(r), 1)


class OcrSuite(Evaluator):
    """CER and WER of the OCR path against the text each page was rendered from, on clean renders
    (300 dpi, no degradation) and on the generator's degraded scans grouped by resolution, with raw
    tesseract (no preprocessing, no noise filter) on the same images beside it."""

    name = "ocr"
    primary_metric = "degraded_cer"
    greater_is_better = False
    pages = 60

    def __call__(self, ctx: EvalContext) -> EvalOutput:
        from PIL import Image

        from ingest import ocr
        from synth.render import rasterise

        root = ctx.data_dir / "packages"
        singles = []
        for rec in _sample(_records(ctx), 40):
            for d in rec["documents"]:
                if d["pages"] == 1 and d["scan"]["format"] == "jpeg":
                    singles.append(d)
        singles = singles[: self.pages]
        items = []
        for d in singles[: self.pages // 3]:
            img = rasterise(root / d["pdf"], 300)[0].convert("L")
            img.info["dpi"] = (300, 300)
            items.append(("clean 300 dpi", img, d["text"]))
        for d in singles:
            img = Image.open(root / d["scan"]["files"][0])
            items.append((f"degraded {d['scan']['dpi']} dpi", img, d["text"]))
        rows, metrics = [], {}
        per_level: dict[str, dict[str, list]] = {}
        times = {"ours": 0.0, "raw": 0.0}
        second = 0  # pages whose kept reading is the second one (local threshold)
        for variant, options in (("ours", ocr.OcrOptions()), ("raw", ocr.RAW)):
            start = time.perf_counter()
            results = ocr.ocr_many([img for _, img, _ in items], options, n_workers=1)
            times[variant] = time.perf_counter() - start
            for (level, _, truth), res in zip(items, results, strict=True):
                if isinstance(res, Exception):
                    text = ""
                elif variant == "raw":  # raw tesseract keeps every word, garbage included
                    text = " ".join(w.text for w in res.words)
                else:
                    text = res.text
                    second += res.second_reading
                bucket = per_level.setdefault(level, {"ours_cer": [], "ours_wer": [], "raw_cer": [], "raw_wer": []})
                bucket[f"{variant}_cer"].append(cer(text, truth))
                bucket[f"{variant}_wer"].append(wer(text, truth))
        for level in sorted(per_level):
            b = per_level[level]
            rows.append([level, len(b["ours_cer"]), *(float(np.mean(b[k])) for k in b)])
        clean = per_level.get("clean 300 dpi", {})
        degraded = {k: [x for lv, b in per_level.items() if lv.startswith("degraded") for x in b[k]] for k in
                    ("ours_cer", "ours_wer", "raw_cer", "raw_wer")}  # fmt: skip
        metrics.update(
            {
                "clean_cer": round(float(np.mean(clean["ours_cer"])), 4) if clean else float("nan"),
                "clean_wer": round(float(np.mean(clean["ours_wer"])), 4) if clean else float("nan"),
                "degraded_cer": round(float(np.mean(degraded["ours_cer"])), 4),
                "degraded_wer": round(float(np.mean(degraded["ours_wer"])), 4),
                "raw_clean_cer": round(float(np.mean(clean["raw_cer"])), 4) if clean else float("nan"),
                "raw_degraded_cer": round(float(np.mean(degraded["raw_cer"])), 4),
                "pages": len(items),
                "pages_second_reading": second,
                "seconds_ours_one_core": round(times["ours"], 1),
                "seconds_raw_one_core": round(times["raw"], 1),
            }
        )
        out = EvalOutput(metrics=metrics)
        out.sections.append(
            (
                "CER / WER by degradation level (normalised: whitespace collapsed, form lines removed)",
                markdown_table(["level", "pages", "CER", "WER", "raw CER", "raw WER"], rows),
            )
        )
        return out


# ---- document types --------------------------------------------------------------------------------

REAL_TYPES = {2: "acceptance_act", 9: "power_of_attorney", 4: "contract", 10: "other"}
REAL_TYPES_EXTENDED = {**REAL_TYPES, 1: "contract", 3: "other", 5: "other", 6: "other", 7: "other", 8: "other",
                       11: "other"}  # fmt: skip


def _by_batch(predictions: list[dict]) -> dict[str, float]:
    """Macro-F1 on each batch of families as they were written (0-5 first, 6-7 and 8-9 on
    2026-12-05, 10-11 and 12-13 on 2026-12-06), and on the families written before each later
    batch (0-7, 0-9, ...), each family held out in turn as all are: a figure is comparable with the
    ones measured before the next batch existed. Spans with no prediction, or with the same families
    as one reported before, are left out."""
    from sklearn.metrics import f1_score

    from synth.doctypes import BATCHES

    out, reported = {}, []
    for span in (*BATCHES, *(range(batch.start) for batch in BATCHES[2:])):
        part = [p for p in predictions if p["family"] in span]
        families = {p["family"] for p in part}
        if part and families not in reported:
            reported.append(families)
            f1 = f1_score([p["gold"] for p in part], [p["pred"] for p in part], average="macro")
            out[f"heldout_family_macro_f1_families_{span[0]}_{span[-1]}"] = round(float(f1), 4)
    return out


def alternative_metrics(predictions: list[dict]) -> dict[str, float]:
    """What the reported alternative types are worth to a reviewer, over ``predictions`` (each with
    ``gold``, ``pred`` and ``alternatives`` [(type, probability)]): the share of misread documents
    whose alternatives hold the right type, the share of all documents that carry alternatives, and
    the share of those that were misread."""
    misread = [p for p in predictions if p["pred"] != p["gold"]]
    flagged = [p for p in predictions if p["alternatives"]]
    return {
        "heldout_family_misread_with_right_alternative": round(
            sum(p["gold"] in {t for t, _ in p["alternatives"]} for p in misread) / max(len(misread), 1), 4
        ),
        "heldout_family_with_alternatives": round(len(flagged) / max(len(predictions), 1), 4),
        "heldout_family_alternatives_misread": round(
            sum(p["pred"] != p["gold"] for p in flagged) / max(len(flagged), 1), 4
        ),
    }


class DocTypeSuite(Evaluator):
    """Leave-one-family-out on the generated document texts of families 0-9 (train on nine, test
    on the tenth, every family in turn), the same on OCR-noised texts, the shipped model on every
    family it never trained on, package splitting on the one-file package scans, and the real phone
    scans read by our OCR."""

    name = "doctype"
    primary_metric = "heldout_family_macro_f1"
    per_family = 40
    split_packages = 30
    workers = 0  # folds trained at once (separate processes); 0: one per core, at most MAX_FOLD_WORKERS
    fusion_weights: tuple[float, float] | None = None  # fixed (head, title) weights in every fold; None: chosen in each
    # the leave-one-family-out families: 0-9; the batches written after them (10-11, 12-13) are the
    # shipped model's tests on wording nobody had tried a model on (``_shipped_unseen``)
    families: tuple[int, ...] = tuple(range(10))

    def __call__(self, ctx: EvalContext) -> EvalOutput:
        import random

        from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

        from ingest.doctypes import HEAD_CHARS, embed_heads, ocr_noise, title_line
        from ingest.documents import SHIPPED_FAMILIES, training_records
        from models.encoders import load_encoder
        from synth.doctypes import N_FAMILIES

        if ctx.data_dir is not None:  # the splitting part reads the shipped model: refuse a stale one now,
            from ingest.documents import load_doctype_model  # not after the held-out families' minutes

            load_doctype_model(ctx.models_dir)
        families = self.families
        records = training_records(seed=100 + ctx.seed, per_family=self.per_family, families=families)
        encoder = None if ctx.doctype_encoder == "none" else load_encoder(ctx.doctype_encoder, ctx.models_dir)

        def embed_cached(kind: str, texts: list[str]) -> np.ndarray | None:
            if encoder is None:
                return None
            name = f"doctype-{kind}{HEAD_CHARS}-title-{encoder.name}-{encoder.version}"
            return cached_array(ctx, name, texts, lambda t: embed_heads(encoder, t, progress=True))

        heads = embed_cached("heads", [r["text"] for r in records])
        # the OCR-noised copies are drawn here, one random stream per document, and embedded here too, so
        # that the folds need no encoder and may run in parallel with the same results in any order
        noisy = [ocr_noise(r["text"], random.Random(f"{ctx.seed}/noise/{r['id']}"), 0.05) for r in records]
        noisy_heads = embed_cached("noisy-heads", noisy)
        folds = run_folds(families, records, heads, noisy, noisy_heads, self.workers, self.fusion_weights)
        y_true, y_pred, y_noisy, y_ngram, y_fused, y_untitled, embedded, groups = [], [], [], [], [], [], [], []
        rows, predictions = [], []
        for family, fold in zip(families, folds, strict=True):
            test = [r for r in records if r["family"] == family and not r.get("train_only")]
            gold = [r["doc_type"] for r in test]
            pred = [rk[0][0] for rk in fold["ranked"]]
            y_true += gold
            y_pred += pred
            groups += [f"{r['doc_type']}/{family}" for r in test]
            y_noisy += fold["noisy"]
            y_ngram += fold["ngram"]
            embedded += fold["embedded"]
            y_fused += fold["fused"]
            y_untitled += fold["untitled"]
            weights = fold["weights"] or ["", ""]
            rows.append(
                [family, len(test), accuracy_score(gold, pred), f1_score(gold, pred, average="macro"), *weights]
            )
            predictions += [
                {"part": "heldout_family", "id": r["id"], "family": family, "kind": r["kind"], "gold": r["doc_type"],
                 "pred": rk[0][0], "confidence": round(float(rk[0][1]), 4), "alternatives": rk[1:],
                 "title": title_line(r["text"])}
                for r, rk in zip(test, fold["ranked"], strict=True)
            ]  # fmt: skip
        labels = sorted(set(y_true))
        metrics = {
            "heldout_family_accuracy": round(accuracy_score(y_true, y_pred), 4),
            "heldout_family_macro_f1": round(f1_score(y_true, y_pred, average="macro"), 4),
            "heldout_family_noisy_macro_f1": round(f1_score(y_true, y_noisy, average="macro"), 4),
            "heldout_family_ngram_only_macro_f1": round(f1_score(y_true, y_ngram, average="macro"), 4),
        }
        # "other" is open-ended: how much of it is recognised, and of its first kind in each family (the
        # only kind before 2026-11-23: invoice, leave application, 2-NDFL, medical certificate, TORG-12,
        # charter; some types' families have had a second kind since, see synth/doctypes.py)
        other = [p for p in predictions if p["gold"] == "other"]
        if other:
            metrics["heldout_family_other_recall"] = round(float(np.mean([p["pred"] == "other" for p in other])), 4)
            first = [p["pred"] == "other" for p in other if p["kind"] == 0]
            metrics["heldout_family_other_first_kind_recall"] = round(float(np.mean(first)), 4)
        # the first kind of every family: the documents the suite held out before families had kinds
        first = [p for p in predictions if p["kind"] == 0]
        metrics["heldout_family_first_kind_macro_f1"] = round(
            f1_score([p["gold"] for p in first], [p["pred"] for p in first], average="macro"), 4
        )
        metrics.update(alternative_metrics(predictions))
        metrics.update(_by_batch(predictions))
        lo, hi = family_bootstrap_ci(y_true, y_pred, groups, labels, seed=ctx.seed)
        metrics["heldout_family_macro_f1_ci95_low"] = round(lo, 4)
        metrics["heldout_family_macro_f1_ci95_high"] = round(hi, 4)
        if embedded:
            metrics["heldout_family_embedded_share"] = round(float(np.mean(embedded)), 4)
            metrics["heldout_family_all_fused_macro_f1"] = round(f1_score(y_true, y_fused, average="macro"), 4)
            metrics["heldout_family_no_title_macro_f1"] = round(f1_score(y_true, y_untitled, average="macro"), 4)
        out = EvalOutput(
            metrics=metrics,
            predictions=predictions,
            versions={"encoder": f"{encoder.name}@{encoder.version}"} if encoder else {},
        )
        out.sections.append(
            (
                f"Held-out template families (train on the other {len(rows) - 1})",
                markdown_table(
                    ["held-out family", "documents", "accuracy", "macro-F1", "head weight", "title weight"], rows
                )
                + (
                    f"\n\nEvery fold's model fused at the fixed weights {self.fusion_weights[0]} / "
                    f"{self.fusion_weights[1]} (head / title line)."
                    if self.fusion_weights
                    else "\n\nThe fusion weights of each fold's model were chosen by leave-one-family-out over its "
                    f"{len(rows) - 1} training families (`choose_fusion_weights`), never on the family held out."
                )
                + f"\n\nMacro-F1 over redrawn families (each type's families drawn again with replacement, "
                f"1,000 times): 95 % interval {lo:.3f}-{hi:.3f}.",
            )
        )
        per_class = f1_score(y_true, y_pred, average=None, labels=labels)
        out.sections.append(
            ("Per type F1 (pooled)", markdown_table(["type", "F1"], list(zip(labels, per_class, strict=True))))
        )
        out.sections.append(("Misread template families", misread_families(predictions)))
        matrix = confusion_matrix(y_true, y_pred, labels=labels)
        out.plots["doctype_confusion.png"] = lambda p: plot_confusion(p, matrix, labels, "document types, held-out")
        unseen = [f for f in range(N_FAMILIES) if f not in SHIPPED_FAMILIES]
        if unseen:
            unseen_records = training_records(seed=100 + ctx.seed, per_family=self.per_family, families=unseen)
            self._shipped_unseen(ctx, out, unseen_records)
        if ctx.data_dir is not None:
            self._splitting(ctx, out)
        if ctx.real_dir is not None and (Path(ctx.real_dir) / "phone_scan").is_dir():
            self._real(ctx, out)
        return out

    def _shipped_unseen(self, ctx: EvalContext, out: EvalOutput, records: list[dict]) -> None:
        """The shipped model on the families it did not train on (``SHIPPED_FAMILIES``): the
        held-out figure above is the recipe's trained on all families but one; this is the model
        users get, on wording it never saw (it embeds what it needs with its own encoder)."""
        from sklearn.metrics import f1_score

        from ingest.documents import SHIPPED_FAMILIES, load_doctype_model
        from models.registry import ArtifactError
        from synth.doctypes import BATCHES

        idx = [i for i, r in enumerate(records) if r["family"] not in SHIPPED_FAMILIES and not r.get("train_only")]
        if not idx:
            return
        try:
            model = load_doctype_model(ctx.models_dir)
        except ArtifactError as exc:
            out.sections.append(("The shipped model on families it never saw", f"Not scored: {exc}"))
            return
        test = [records[i] for i in idx]
        pred = [t for t, _ in model.predict([r["text"] for r in test])]
        gold = [r["doc_type"] for r in test]
        f1 = f1_score(gold, pred, average="macro")
        out.metrics["shipped_model_unseen_families_macro_f1"] = round(float(f1), 4)
        out.predictions += [
            {"part": "shipped_unseen", "id": r["id"], "family": r["family"], "gold": g, "pred": p}
            for r, g, p in zip(test, gold, pred, strict=True)
        ]
        families = sorted({r["family"] for r in test})
        rows = [["all of them", len(test), f1]]
        for batch in BATCHES:  # each batch as written (synth/doctypes.py)
            part = [(g, p) for r, g, p in zip(test, gold, pred, strict=True) if r["family"] in batch]
            if part:
                f1_batch = f1_score(*zip(*part, strict=True), average="macro")
                key = f"shipped_model_unseen_families_{batch[0]}_{batch[-1]}_macro_f1"
                out.metrics[key] = round(float(f1_batch), 4)
                rows.append([f"{batch[0]}-{batch[-1]}", len(part), f1_batch])
        out.sections.append(
            (
                "The shipped model on families it never saw",
                f"The shipped model trains on families {min(SHIPPED_FAMILIES)}-{max(SHIPPED_FAMILIES)}; "
                f"on families {', '.join(map(str, families))} ({len(test)} documents) its macro-F1 is {f1:.3f}.\n\n"
                + markdown_table(["families", "documents", "macro-F1"], rows),
            )
        )

    def _splitting(self, ctx: EvalContext, out: EvalOutput) -> None:
        """Split the one-file package scans and compare with the generator's page map."""
        from ingest.documents import load_doctype_model, split_documents
        from ingest.read import read_files

        model = load_doctype_model(ctx.models_dir)
        exact = boundary_tp = boundary_pred = boundary_gold = typed = docs = 0
        sample = [r for r in _sample(_records(ctx), self.split_packages // 3) if r.get("package_scan")]
        for rec in sample:
            scan = rec["package_scan"]
            path = ctx.data_dir / "packages" / scan["file"]
            pages, _ = read_files([(path.name, path.read_bytes())])
            found = split_documents(pages, model)
            gold_starts = {
                i for i, p in enumerate(scan["pages"]) if i == 0 or p["document"] != scan["pages"][i - 1]["document"]
            }
            starts, i = set(), 0
            for d in found:
                starts.add(i)
                i += len(d.pages)
            exact += starts == gold_starts
            boundary_tp += len(starts & gold_starts)
            boundary_pred += len(starts)
            boundary_gold += len(gold_starts)
            gold_types = [p["doc_type"] for i, p in enumerate(scan["pages"]) if i in gold_starts]
            if starts == gold_starts:
                typed += sum(a == b.doc_type for a, b in zip(gold_types, found, strict=True))
                docs += len(gold_types)
        p, r = boundary_tp / max(boundary_pred, 1), boundary_tp / max(boundary_gold, 1)
        out.metrics.update(
            {
                "split_packages": len(sample),
                "split_exact": round(exact / max(len(sample), 1), 4),
                "split_boundary_f1": round(2 * p * r / max(p + r, 1e-9), 4),
                "split_type_accuracy": round(typed / max(docs, 1), 4),
            }
        )

    def _real(self, ctx: EvalContext, out: EvalOutput) -> None:
        """Real flatbed scans: our OCR, then the shipped model (trained on families `SHIPPED_FAMILIES`)."""
        from sklearn.metrics import accuracy_score, f1_score

        from eval.realdata import load_phone_scans
        from ingest.documents import load_doctype_model
        from ingest.read import read_files

        model = load_doctype_model(ctx.models_dir)
        scans = [s for s in load_phone_scans(Path(ctx.real_dir)) if s.doc_type_id in REAL_TYPES_EXTENDED]
        pages, _ = read_files([(s.file, s.image.read_bytes()) for s in scans])
        text = {p.file: p.text for p in pages}
        ours = [t for t, _ in model.predict([text.get(s.file, "") for s in scans])]
        theirs = [t for t, _ in model.predict([s.ocr_text for s in scans])]
        out.predictions += [
            {"part": "real_phone_scan", "id": Path(s.file).name, "gold": REAL_TYPES_EXTENDED[s.doc_type_id],
             "pred": a, "pred_provided_ocr": b}
            for s, a, b in zip(scans, ours, theirs, strict=True)
        ]  # fmt: skip
        rows = []
        for name, mapping in (("shared types", REAL_TYPES), ("all 11 types", REAL_TYPES_EXTENDED)):
            idx = [i for i, s in enumerate(scans) if s.doc_type_id in mapping]
            gold = [mapping[scans[i].doc_type_id] for i in idx]
            for source, pred in (("our OCR", ours), ("provided OCR text", theirs)):
                p = [pred[i] for i in idx]
                acc, f1 = accuracy_score(gold, p), f1_score(gold, p, average="macro")
                rows.append([name, source, len(idx), acc, f1])
                subset = "shared" if name == "shared types" else "all"
                key = f"real_{subset}_{'ours' if source == 'our OCR' else 'provided'}"
                out.metrics[f"{key}_accuracy"] = round(acc, 4)
                out.metrics[f"{key}_macro_f1"] = round(f1, 4)
        out.sections.append(
            (
                "Real phone scans (../shared/data/real/phone_scan)",
                markdown_table(["types", "text", "scans", "accuracy", "macro-F1"], rows),
            )
        )


# ---- fields ----------------------------------------------------------------------------------------

# ground-truth field of a document type -> (our field, how to compare)
FIELD_MAP = {
    "company_details": {"inn": "inn", "kpp": "kpp", "ogrn": "ogrn", "bik": "bik", "account": "account"},
    "passport": {"full_name": "full_name", "issue_date": "issue_date", "birth_date": "birth_date",
                 "unit_code": "unit_code"},
    "power_of_attorney": {"valid_until": "valid_until", "principal_inn": "inn",
                          "authorises_number_transfer": "authorises_number_transfer",
                          "signed_by_head": "signed_by_head", "representative": "representative"},
    "acceptance_act": {"company_inn": "inn", "new_user": "new_user", "phone_number": "phone",
                       "date": "document_date", "signed_by_company": "signed_by_company",
                       "signed_by_new_user": "signed_by_new_user"},
    "receipt": {"seller_inn": "inn", "imei": "imei", "amount": "total"},
    "repair_document": {"handed_over": "handed_over", "returned": "returned", "imei": "imei"},
    "quality_check_act": {"result": "result", "imei": "imei", "signed_by_service": "signed_by_service",
                          "signed_by_consumer": "signed_by_consumer"},
    "contract": {"organisation_inn": "inn", "organisation_ogrn": "ogrn"},
    "appeal": {"amount": "amount_claimed", "prior_claim_date": "prior_claim_date"},
}  # fmt: skip


def _same(truth, got) -> bool:
    if isinstance(truth, bool) or isinstance(got, bool):
        return truth is got or truth == got
    if isinstance(truth, int | float) and isinstance(got, int | float):
        return abs(truth - got) < 0.01
    if isinstance(truth, str) and isinstance(got, str):
        norm = lambda s: " ".join(s.lower().replace("ё", "е").replace(" ", "").split())  # noqa: E731
        return norm(truth) == norm(got.replace(" ", "")) or norm(truth) == norm(got)
    return truth == got


class FieldsSuite(Evaluator):
    """Per field: precision (of what we extracted, how much is right), recall (of what the document
    holds, how much we got right) and F1, from text PDFs and from scans; typed by the true type, so
    that these figures measure extraction alone."""

    name = "fields"
    primary_metric = "scan_micro_f1"
    per_process = 30

    def __call__(self, ctx: EvalContext) -> EvalOutput:
        from ingest.fields import extract_fields
        from ingest.read import read_files
        from ingest.types import Document

        root = ctx.data_dir / "packages"
        counts = {src: Counter() for src in ("pdf", "scan")}
        for rec in _sample(_records(ctx), self.per_process):
            for d in rec["documents"]:
                mapping = FIELD_MAP.get(d["doc_type"])
                if not mapping:
                    continue
                for src in ("pdf", "scan"):
                    names = [d["pdf"]] if src == "pdf" else d["scan"]["files"]
                    pages, _ = read_files([(n, (root / n).read_bytes()) for n in names])
                    doc = Document(
                        id="d1",
                        file=names[0],
                        files=names,
                        pages=[p.number for p in pages],
                        doc_type=d["doc_type"],
                        text_source="ocr" if src == "scan" else "pdf_text",
                        text="\n\n".join(p.text for p in pages),
                    )
                    fields = extract_fields(doc)
                    for gt_name, ours in mapping.items():
                        truth = d["fields"].get(gt_name)
                        got = fields.get(ours)
                        value = got[0].value if got else None
                        key = f"{d['doc_type']}.{gt_name}"
                        if truth is not None:
                            counts[src][key, "gold"] += 1
                        if value is not None:
                            counts[src][key, "pred"] += 1
                        if truth is not None and value is not None and _same(truth, value):
                            counts[src][key, "tp"] += 1
        out = EvalOutput(metrics={})
        rows = []
        keys = sorted({k for c in counts.values() for k, _ in c})
        for src, c in counts.items():
            tp = sum(v for (k, kind), v in c.items() if kind == "tp")
            pred = sum(v for (k, kind), v in c.items() if kind == "pred")
            gold = sum(v for (k, kind), v in c.items() if kind == "gold")
            p, r = tp / max(pred, 1), tp / max(gold, 1)
            out.metrics[f"{src}_micro_precision"] = round(p, 4)
            out.metrics[f"{src}_micro_recall"] = round(r, 4)
            out.metrics[f"{src}_micro_f1"] = round(2 * p * r / max(p + r, 1e-9), 4)
        for key in keys:
            row = [key]
            for src in ("pdf", "scan"):
                c = counts[src]
                p = c[key, "tp"] / max(c[key, "pred"], 1)
                r = c[key, "tp"] / max(c[key, "gold"], 1)
                row += [c[key, "gold"], p, r, 2 * p * r / max(p + r, 1e-9)]
            rows.append(row)
        out.sections.append(
            (
                "Per field (typed by the true document type)",
                markdown_table(
                    ["field", "n (pdf)", "P pdf", "R pdf", "F1 pdf", "n (scan)", "P scan", "R scan", "F1 scan"], rows
                ),  # fmt: skip
            )
        )
        return out


# ---- completeness -----------------------------------------------------------------------------------


class CompletenessSuite(Evaluator):
    """The whole pipeline on generated packages (text PDFs, the per-document scans and the one-file
    package scans): the complete/incomplete verdict, missing documents and problem codes."""

    name = "completeness"
    primary_metric = "scan_verdict_accuracy"
    per_process = 40

    def __call__(self, ctx: EvalContext) -> EvalOutput:
        from claims.pipeline import process_package
        from ingest.documents import load_doctype_model

        model = load_doctype_model(ctx.models_dir)
        root = ctx.data_dir / "packages"
        sample = _sample(_records(ctx), self.per_process)
        out = EvalOutput(metrics={"packages": len(sample)})
        rows = []
        for kind in ("pdf", "scan", "package_scan"):
            verdict_ok = exact = code_tp = code_pred = code_gold = missing_ok = 0
            for rec in sample:
                if kind == "pdf":
                    files = [(d["pdf"], (root / d["pdf"]).read_bytes()) for d in rec["documents"]]
                elif kind == "scan":
                    files = [(f, (root / f).read_bytes()) for d in rec["documents"] for f in d["scan"]["files"]]
                else:
                    f = rec["package_scan"]["file"]
                    files = [(f, (root / f).read_bytes())]
                report = process_package(files, rec["process"], model, today=dt.date(2025, 11, 1)).report
                c, gold = report.completeness, rec["expected"]
                got = {p.code for p in c.problems}
                verdict_ok += c.complete == gold["complete"]
                missing_ok += c.missing_documents == gold["missing_documents"]
                exact += got == set(gold["problems"]) and c.complete == gold["complete"]
                code_tp += len(got & set(gold["problems"]))
                code_pred += len(got)
                code_gold += len(gold["problems"])
                out.predictions.append(
                    {
                        "id": rec["id"],
                        "input": kind,
                        "expected": gold,
                        "complete": c.complete,
                        "missing": c.missing_documents,
                        "problems": sorted(got),
                        "types": [d.doc_type for d in report.documents],
                    }
                )
            n = len(sample)
            # no codes expected and none found is perfect, not 0
            p = code_tp / code_pred if code_pred else float(code_gold == 0)
            r = code_tp / code_gold if code_gold else float(code_pred == 0)
            out.metrics.update(
                {
                    f"{kind}_verdict_accuracy": round(verdict_ok / n, 4),
                    f"{kind}_missing_accuracy": round(missing_ok / n, 4),
                    f"{kind}_exact_accuracy": round(exact / n, 4),
                    f"{kind}_code_precision": round(p, 4),
                    f"{kind}_code_recall": round(r, 4),
                }
            )
            rows.append([kind, n, verdict_ok / n, missing_ok / n, exact / n, p, r])
        out.sections.append(
            (
                "Generated packages (as of 2025-11-01)",
                markdown_table(
                    ["input", "packages", "verdict acc.", "missing docs acc.", "all codes exact", "code P", "code R"],
                    rows,
                ),
            )
        )
        return out
