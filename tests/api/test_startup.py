"""What the service loads before it says it is ready."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from ingest.fields import natasha_models
from tests.api.conftest import make_settings


def test_ready_service_has_loaded_the_ner_models(tmp_path, models_dir, doctype_model):
    """The first package must not pay for loading natasha (1.5 s measured in `claims bench service`)."""
    natasha_models.cache_clear()
    app = create_app(make_settings(tmp_path, models_dir))
    with TestClient(app):
        state = app.state.service
        assert state.wait(timeout=300) and state.ready, state.error
        assert natasha_models.cache_info().currsize == 1
