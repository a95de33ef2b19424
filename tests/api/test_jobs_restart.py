"""Durable jobs: a package accepted with async=true by one server process is completed by the next
one, both when it was still queued and when the first process died while running it; the key CLI
prints the key alone on its last line."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from claims.cli import app as cli
from tests.api.conftest import make_settings


def _files(small_dataset):
    with open(small_dataset / "packages.jsonl", encoding="utf-8") as fh:
        rec = next(r for r in map(json.loads, fh) if r["process"] == "number_reregistration")
    root = small_dataset / "packages"
    return rec, [("files", (d["pdf"], (root / d["pdf"]).read_bytes(), "application/pdf")) for d in rec["documents"]]


def test_async_jobs_survive_a_restart(tmp_path, models_dir, small_dataset, doctype_model):
    rec, files = _files(small_dataset)
    first = create_app(make_settings(tmp_path, models_dir))
    # No lifespan: this process accepts work but never loads models or starts its worker, like a
    # server that is stopped right after answering.
    c1 = TestClient(first)
    _, raw = first.state.service.keys.create("intake")
    h = {"X-API-Key": raw}
    # Without models only async work is accepted; the rest says so (503 + Retry-After).
    sync = c1.post("/v1/packages", files=files, data={"process": rec["process"]}, headers=h)
    assert sync.status_code == 503 and sync.json()["code"] == "not_ready"
    busy = c1.post("/v1/appeals/classify", json={"text": "текст"}, headers=h)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
    queued = c1.post("/v1/packages?async=true", files=files, data={"process": rec["process"]}, headers=h)
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "queued"
    other = c1.post("/v1/packages", files=files[:1], data={"async": "true"}, headers=h)
    assert other.status_code == 202
    # The second job was being run when the process died.
    assert first.state.service.jobs.claim(other.json()["job_id"])["status"] == "running"
    first.state.service.db.close()

    second = create_app(make_settings(tmp_path, models_dir))
    with TestClient(second) as c2:
        state = second.state.service
        assert state.wait(timeout=300) and state.ready
        for job_id in (queued.json()["job_id"], other.json()["job_id"]):
            for _ in range(600):
                body = c2.get(f"/v1/jobs/{job_id}", headers=h).json()
                if body["status"] in ("done", "failed"):
                    break
                state.jobs._wake.wait(0.2)
            assert body["status"] == "done", body
        report = body["report"]
        assert report["package_id"] == other.json()["package_id"] and len(report["documents"]) == 1
        full = c2.get(f"/v1/jobs/{queued.json()['job_id']}", headers=h).json()["report"]
        assert [d["doc_type"] for d in full["documents"]] == [d["doc_type"] for d in rec["documents"]]
        assert "claims_job_queue_depth 0.0" in c2.get("/metrics").text


def test_keys_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMS_DATA_DIR", str(tmp_path))
    r = CliRunner().invoke(cli, ["keys", "create", "--role", "reviewer", "--name", "Анна"])
    assert r.exit_code == 0, r.output
    raw = r.stdout.strip().splitlines()[-1]
    from api.db import Database
    from api.keys import KeyStore

    store = KeyStore(Database(tmp_path / "service.sqlite"))
    key = store.verify(raw)
    assert key is not None and key.role == "reviewer"
    listed = CliRunner().invoke(cli, ["keys", "list"]).stdout
    assert key.id in listed and raw not in listed
    assert CliRunner().invoke(cli, ["keys", "revoke", key.id]).exit_code == 0
    assert store.verify(raw) is None
    assert CliRunner().invoke(cli, ["keys", "create", "--role", "root"]).exit_code != 0
