"""One running service for the API tests: the real shipped models (e5, the finance and telecom
profiles, the document-type and refund models), a fresh data folder, a few generated decisions in
its index, and a key per role."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from claims.settings import Settings

N_DECISIONS = 24


@dataclass
class Service:
    client: TestClient
    app: object
    keys: dict[str, str]
    data_dir: Path
    decisions: list[dict]

    def h(self, role: str) -> dict:
        return {"X-API-Key": self.keys[role]}

    @property
    def state(self):
        return self.app.state.service


def make_settings(data_dir: Path, models_dir: Path, **kw) -> Settings:
    return Settings(data_dir=data_dir, models_dir=models_dir, encoder="e5-small", log_json=False, **kw)


@pytest.fixture(scope="module")
def service(tmp_path_factory, models_dir, small_dataset, doctype_model) -> Service:
    from classify.profiles import load_profile
    from search.types import DecisionRecord

    for name in ("finance", "telecom"):
        load_profile(models_dir, name)  # prepared by `make test`; fails loudly if not
    data_dir = tmp_path_factory.mktemp("service")
    app = create_app(make_settings(data_dir, models_dir))
    with TestClient(app) as client:
        state = app.state.service
        assert state.wait(timeout=300) and state.ready, state.error
        keys = {role: state.keys.create(role, f"test {role}")[1] for role in ("intake", "reviewer", "admin")}
        with open(small_dataset / "decisions.jsonl", encoding="utf-8") as fh:
            decisions = [json.loads(line) for line in fh][:N_DECISIONS]
        state.index.add([DecisionRecord.from_json(d) for d in decisions], progress=False)
        yield Service(client, app, keys, data_dir, decisions)
