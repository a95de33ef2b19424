"""Reviewers' document-type corrections retrain the model (`claims train doctype --with-feedback`),
and a later `claims models prepare` keeps that model instead of retraining it away."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from api.db import Database
from api.routes.feedback import save_feedback
from claims.cli import app
from ingest.documents import load_doctype_model, prepare_doctype


def test_doctype_retrained_with_feedback_and_kept_by_prepare(tmp_path, monkeypatch, models_dir, doctype_model):
    monkeypatch.setenv("CLAIMS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CLAIMS_MODELS_DIR", str(tmp_path / "models"))
    # An installed models folder: e5 prepared, the shipped document-type model with its embeddings.
    (tmp_path / "models").mkdir()
    for name in ("e5-small", "e5-small-onnx"):
        (tmp_path / "models" / name).symlink_to(models_dir / name, target_is_directory=True)
    shutil.copytree(models_dir / "doctype", tmp_path / "models" / "doctype")
    db = Database(tmp_path / "var" / "service.sqlite")
    text = "СПРАВКА О ДОХОДАХ\nНастоящая справка выдана для предъявления по месту требования."
    save_feedback(db, "doc_type", "pkg_1/d1", "other", "k1", text=text)
    save_feedback(db, "category", "pkg_1", "x", "k1", profile="finance", text=text)  # another kind: ignored
    db.close()
    r = CliRunner().invoke(app, ["train", "doctype", "--with-feedback"])
    assert r.exit_code == 0, r.output
    assert "with 1 reviewer corrections" in r.output and "trained:" in r.output
    meta = json.loads((tmp_path / "models" / "doctype" / "meta.json").read_text())
    assert meta["extra_records"] == 1 and meta["encoder"] == "e5-small-int8"
    # the same generated texts: the fusion weights chosen on them are kept, not chosen again
    shipped = json.loads((models_dir / "doctype" / "meta.json").read_text())
    assert meta["fusion_weights"] == shipped["fusion_weights"]
    assert meta["fusion_weights_macro_f1"] == shipped["fusion_weights_macro_f1"] is not None
    # the shipped model learnt template families 0-11 only: 12-13 are held-out wording for the suite
    from ingest.documents import SHIPPED_FAMILIES, _digest, training_records

    assert shipped["generated_sha256"] == _digest(training_records(families=SHIPPED_FAMILIES))
    assert shipped["generated_sha256"] != _digest(training_records())
    assert load_doctype_model(tmp_path / "models").predict([text])[0][0] == "other"
    assert prepare_doctype(tmp_path / "models") == (tmp_path / "models" / "doctype", False)
