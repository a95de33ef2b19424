"""The service skeleton: health, readiness after the background load, version, problem+json."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from claims.settings import Settings


def _client(tmp_path, models_dir, encoder: str) -> tuple[TestClient, object]:
    settings = Settings(data_dir=tmp_path / "var", models_dir=models_dir, encoder=encoder)
    app = create_app(settings)
    return TestClient(app), app


@pytest.mark.parametrize("encoder", ["e5-small", "navec"])
def test_ready_once_models_loaded(tmp_path, models_dir, encoder):
    """GIVEN the app WHEN its lifespan has loaded the encoder THEN /readyz says ready and /version
    names the loaded encoder; the data folder was created."""
    client, app = _client(tmp_path, models_dir, encoder)
    with client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert app.state.service.wait(timeout=120)
        r = client.get("/readyz")
        assert r.status_code == 200 and r.json()["ready"] is True
        v = client.get("/version").json()
        assert v["encoder"]["name"] == encoder and v["encoder"]["dim"] == app.state.service.encoder.dim
    assert (tmp_path / "var").is_dir()


def test_readyz_reports_a_failed_load(tmp_path, models_dir):
    client, app = _client(tmp_path, models_dir, "no-such-encoder")
    with client:
        assert app.state.service.wait(timeout=30)
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "models_failed" and "unknown encoder" in r.json()["detail"]
        assert client.get("/healthz").status_code == 200  # still alive


def test_unknown_route_is_problem_json(tmp_path, models_dir):
    client, _ = _client(tmp_path, models_dir, "navec")
    with client:
        r = client.get("/no/such/route")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "not_found" and body["status"] == 404 and body["title"]
