"""The ONNX Runtime e5 is the same model as the torch one: same vectors, name and version, so
indexes and caches built with either stay valid; the backend setting picks it or refuses clearly."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from models.encoders import SentenceTransformerEncoder, load_encoder
from models.onnx_e5 import INT8_FILE, OnnxE5Encoder, onnx_folder
from models.registry import ArtifactError

TEXTS = [
    "Страховая отказала в выплате по ОСАГО, сославшись на износ деталей.",
    "Оператор списал 300 рублей за подписку, которую я не подключал.",
    "да",
    # About 1,400 tokens: both backends must cut at 512 the same way.
    "Заявитель просит взыскать неустойку за нарушение срока выплаты страхового возмещения. " * 60,
]


def test_onnx_backend_is_the_default_and_matches_torch(e5, e5_torch):
    assert isinstance(e5, OnnxE5Encoder) and isinstance(e5_torch, SentenceTransformerEncoder)
    assert (e5.name, e5.version, e5.dim) == (e5_torch.name, e5_torch.version, e5_torch.dim)
    for kind in ("queries", "documents"):
        a = getattr(e5, f"encode_{kind}")(TEXTS)
        b = getattr(e5_torch, f"encode_{kind}")(TEXTS)
        # Same graph, fused kernels: float rounding only (the export refuses anything under 0.9999).
        assert float((a * b).sum(axis=1).min()) >= 0.9999, kind


def test_batch_padding_does_not_change_a_vector(e5):
    alone = e5.encode_documents([TEXTS[2]])
    padded = e5.encode_documents(TEXTS)[2]  # "да" padded to 512 tokens beside the long text
    np.testing.assert_allclose(alone[0], padded, atol=1e-5)


def test_backend_setting(models_dir, tmp_path, monkeypatch):
    # A models folder with e5 converted but not exported: auto falls back, onnx refuses.
    bare = tmp_path / "models"
    bare.mkdir()
    (bare / "e5-small").symlink_to(models_dir / "e5-small", target_is_directory=True)
    assert isinstance(load_encoder("e5-small", bare), SentenceTransformerEncoder)
    with pytest.raises(ArtifactError, match="claims models prepare"):
        load_encoder("e5-small", bare, backend="onnx")
    with pytest.raises(ArtifactError, match="unknown e5 backend"):
        load_encoder("e5-small", bare, backend="gpu")
    # An export made from another e5 conversion is not used.
    stale = onnx_folder(bare)
    shutil.copytree(onnx_folder(models_dir), stale, ignore=shutil.ignore_patterns("*.onnx"))
    meta = json.loads((stale / "meta.json").read_text())
    meta["source_version"] = "1:000000000000"
    (stale / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match="another e5"):
        load_encoder("e5-small", bare, backend="onnx")
    # The setting is read from the environment when no backend is passed.
    monkeypatch.setenv("CLAIMS_E5_BACKEND", "torch")
    assert isinstance(load_encoder("e5-small", models_dir), SentenceTransformerEncoder)


def test_int8_copy_is_its_own_encoder_close_to_e5(models_dir, e5, monkeypatch):
    int8 = load_encoder("e5-small-int8", models_dir)
    assert isinstance(int8, OnnxE5Encoder) and (int8.folder / INT8_FILE).is_file()
    # Other vectors, so another name and version: never mixed into e5-small's indexes or caches.
    assert (int8.name, int8.version) == ("e5-small-int8", f"{e5.version}+int8.1") and int8.dim == e5.dim
    for kind in ("queries", "documents"):
        a = getattr(e5, f"encode_{kind}")(TEXTS[:3])
        b = getattr(int8, f"encode_{kind}")(TEXTS[:3])
        cos = (a * b).sum(axis=1)
        assert cos.min() >= 0.97 and cos.max() < 0.9999, (kind, cos)  # close, and really quantised
        # A text's vector does not depend on the texts encoded with it (training = service).
        alone = np.vstack([getattr(int8, f"encode_{kind}")([t]) for t in TEXTS[:3]])
        np.testing.assert_array_equal(alone, b)
    # ONNX Runtime only: the torch setting does not apply to it.
    monkeypatch.setenv("CLAIMS_E5_BACKEND", "torch")
    assert load_encoder("e5-small-int8", models_dir).name == "e5-small-int8"


def test_int8_refused_clearly_without_the_export(models_dir, tmp_path):
    bare = tmp_path / "models"
    bare.mkdir()
    (bare / "e5-small").symlink_to(models_dir / "e5-small", target_is_directory=True)
    with pytest.raises(ArtifactError, match="e5 int8.*claims models prepare"):
        load_encoder("e5-small-int8", bare)
