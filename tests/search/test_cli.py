from __future__ import annotations

import json

from typer.testing import CliRunner

from claims.cli import app
from tests.search.test_hybrid import CORPUS


def test_index_build_search_delete(tmp_path, monkeypatch, models_dir):
    monkeypatch.setenv("CLAIMS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CLAIMS_ENCODER", "navec")
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in CORPUS) + "\nnot json\n", encoding="utf-8")
    run = CliRunner().invoke
    built = run(app, ["index", "build", "--corpus", str(corpus)])
    assert built.exit_code == 0 and "read 5 records (1 bad lines skipped), 4 new or changed" in built.output
    again = run(app, ["index", "build", "--corpus", str(corpus)])
    assert "0 new or changed" in again.output  # resumable / idempotent: nothing re-embedded
    found = run(app, ["search", "списали деньги с карты", "-k", "2", "--json"])
    assert found.exit_code == 0
    hits = json.loads(found.output)["hits"]
    assert hits[0]["decision_id"] == "d3" and set(hits[0]) >= {"score", "title", "snippet", "meta", "outcome"}
    filtered = json.loads(run(app, ["search", "выплата", "--outcome", "denied", "--json"]).output)["hits"]
    assert {h["outcome"] for h in filtered} == {"denied"}
    monkeypatch.setenv("CLAIMS_MODELS_DIR", str(models_dir))
    with_prior = run(app, ["search", "списали деньги с карты", "-k", "2", "--profile", "finance", "--json"])
    assert with_prior.exit_code == 0, with_prior.output
    lifted = json.loads(with_prior.output)["hits"]
    assert lifted[0]["decision_id"] == "d3" and lifted[0]["score"] > hits[0]["score"]
    unknown = run(app, ["search", "вклад", "--profile", "nope"])
    assert unknown.exit_code != 0 and "no category profile 'nope'" in unknown.output
    bad = run(app, ["search", "вклад", "-k", "0"])
    assert bad.exit_code == 2 and "bad_k" in bad.output
    assert run(app, ["index", "delete", "d3"]).exit_code == 0
    hits = json.loads(run(app, ["search", "списали деньги с карты", "--json"]).output)["hits"]
    assert "d3" not in {h["decision_id"] for h in hits}
    assert run(app, ["index", "delete", "nope"]).exit_code == 1


def test_index_tune_trains_the_index_its_own_adapter(tmp_path, monkeypatch, models_dir, navec_encoder):
    from search.adapter import index_adapter_folder, load_query_adapter, training_queries
    from synth.decisions import generate_decisions

    monkeypatch.setenv("CLAIMS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CLAIMS_ENCODER", "navec")
    decisions, _ = generate_decisions(3, 60, 0)
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(json.dumps(d.to_json(), ensure_ascii=False) for d in decisions), encoding="utf-8")
    run = CliRunner().invoke
    assert run(app, ["index", "build", "--corpus", str(corpus)]).exit_code == 0
    labelled = training_queries(decisions, 40, 1, seed=3)
    lines = [
        json.dumps({"query": q, "relevant": r}, ensure_ascii=False)
        for q, r in zip(labelled.texts, labelled.relevant, strict=True)
    ]
    lines += ["{bad", json.dumps({"query": "ничей запрос", "relevant": ["no-such-id"]})]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(lines[:5]), encoding="utf-8")
    few = run(app, ["index", "tune", "--queries", str(path)])
    assert few.exit_code != 0 and "at least 20 are needed" in few.output
    path.write_text("\n".join(lines), encoding="utf-8")
    tuned = run(app, ["index", "tune", "--queries", str(path)])
    assert tuned.exit_code == 0, tuned.output
    assert "40 labelled queries (1 bad lines skipped, 1 naming no decision of the index)" in tuned.output
    assert "on the 8 held out" in tuned.output
    folder = tmp_path / "data" / "search"
    adapter = load_query_adapter(models_dir, navec_encoder, folder)
    assert adapter is not None and adapter.meta["training"] == {
        "source": "labelled queries",
        "queries": 40,
        "held_out": 8,
    }
    assert (index_adapter_folder(folder) / "matrix.npy").exists()
    found = run(app, ["search", labelled.texts[0], "-k", "3", "--json"])
    assert found.exit_code == 0 and json.loads(found.output)["hits"]
