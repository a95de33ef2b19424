from __future__ import annotations

import json

import pytest

from eval.base import EvalContext
from eval.ir_metrics import capped_recall_at, mrr_at, ndcg_at, precision_at, recall_at
from eval.runner import run_suite
from eval.suites import search as search_suite


def test_ir_metrics_by_hand():
    ranked = ["a", "x", "b", "y"]
    assert recall_at(ranked, {"a", "b", "c"}, 1) == pytest.approx(1 / 3)
    assert recall_at(ranked, {"a", "b", "c"}, 3) == pytest.approx(2 / 3)
    # 12 relevant, all 10 shown relevant: plain recall 10/12, capped recall 10/min(12, 10) = 1.
    many = {f"r{i}" for i in range(12)}
    assert recall_at(sorted(many)[:10], many, 10) == pytest.approx(10 / 12)
    assert capped_recall_at(sorted(many)[:10], many, 10) == 1.0
    assert capped_recall_at(ranked, {"a", "b", "c"}, 3) == pytest.approx(2 / 3)  # fewer than k: plain recall
    assert mrr_at(["x", "a"], {"a"}, 10) == 0.5 and mrr_at(["x"], {"a"}, 10) == 0.0
    assert precision_at(ranked, {"a", "b"}, 4) == 0.5
    # gains 2 at rank 1 and 1 at rank 3: DCG = 2 + 1/log2(4) = 2.5; ideal = 2 + 1/log2(3)
    assert ndcg_at(ranked, {"a": 2, "b": 1}, 10) == pytest.approx(2.5 / (2 + 1 / 1.5849625), rel=1e-6)


def test_search_suite_on_small_data(small_dataset, tmp_path, monkeypatch, navec_encoder):
    from search.adapter import SHIPPED_MIN_SHARE, QueryAdapter, adapter_folder, train_default_adapter

    monkeypatch.setattr(search_suite, "APPROX_N", 5000)
    # A small shipped-style adapter for the suite's encoder, so its rows are scored too.
    train_default_adapter(navec_encoder, n_decisions=40, n_train=60, n_val=20, progress=False).save(
        adapter_folder(tmp_path)
    )
    ctx = EvalContext(
        data_dir=small_dataset, real_dir=None, models_dir=tmp_path, encoder="navec", cache_dir=tmp_path / "cache"
    )
    run = run_suite(search_suite.SearchSuite(), ctx, tmp_path / "runs")
    m = json.loads((run / "metrics.json").read_text())["metrics"]
    for mode in ("dense", "lexical", "hybrid"):
        assert 0 <= m[f"synthetic_{mode}_recall_at_1"] <= m[f"synthetic_{mode}_recall_at_10"] <= 1
        assert m[f"synthetic_{mode}_recall_at_10"] <= m[f"synthetic_{mode}_capped_recall_at_10"] <= 1
    assert m["synthetic_hybrid_recall_at_10"] <= m["synthetic_recall_at_10_ceiling"] <= 1
    # Org names and case wording are in the queries: lexical retrieval must find most of them.
    assert m["synthetic_lexical_recall_at_10"] > 0.8
    assert m["approx_ivf_nprobe256_recall_at_10_vs_flat"] >= m["approx_ivf_nprobe16_recall_at_10_vs_flat"]
    assert (run / "recall_at_k.png").exists()
    for mode in ("dense_query_adapter", "hybrid_query_adapter"):
        assert 0 <= m[f"synthetic_{mode}_recall_at_10"] <= m[f"synthetic_{mode}_capped_recall_at_10"] <= 1
    # Which row the default setting serves: the adapter learned only the categories of its 40 decisions.
    trained = set(QueryAdapter.load(adapter_folder(tmp_path), navec_encoder).meta["training"]["categories"])
    lines = (small_dataset / "decisions.jsonl").read_text(encoding="utf-8").splitlines()
    categories = [json.loads(line).get("category") for line in lines]
    share = sum(c in trained for c in categories) / len(categories)
    assert m["synthetic_shipped_adapter_category_share"] == pytest.approx(share, abs=1e-4)
    assert m["synthetic_default_uses_shipped_adapter"] == int(share >= SHIPPED_MIN_SHARE)
    expected = "hybrid_query_adapter" if share >= SHIPPED_MIN_SHARE else "hybrid"
    assert f"The default setting serves the `{expected}` row" in (run / "report.md").read_text()
    # A second run reuses the cached index: nothing is embedded again.
    run2 = run_suite(search_suite.SearchSuite(), ctx, tmp_path / "runs")
    assert json.loads((run2 / "metrics.json").read_text())["metrics"]["synthetic_hybrid_ndcg_at_10"] == pytest.approx(
        m["synthetic_hybrid_ndcg_at_10"]
    )


def test_the_report_names_the_row_the_default_serves():
    """The small run above fits the adapter's categories; here the other branches: a library of
    other disputes is served the plain hybrid row, and without a shipped adapter nothing is recorded."""
    from types import SimpleNamespace

    from eval.base import EvalOutput
    from search.adapter import QueryAdapter

    adapter = QueryAdapter()
    adapter.meta = {"training": {"categories": ["osago", "kasko"]}}
    index = SimpleNamespace(store=SimpleNamespace(category_counts=lambda: {"city": 7, "osago": 3}))
    out = EvalOutput(metrics={})
    assert search_suite.SearchSuite._default_row(adapter, index, "spb", out) == "hybrid"
    assert out.metrics == {"spb_default_uses_shipped_adapter": 0, "spb_shipped_adapter_category_share": 0.3}
    index.store.category_counts = lambda: {"osago": 6, "kasko": 1, None: 3}
    assert search_suite.SearchSuite._default_row(adapter, index, "synthetic", out) == "hybrid_query_adapter"
    assert out.metrics["synthetic_shipped_adapter_category_share"] == 0.7
    empty = EvalOutput(metrics={})
    assert search_suite.SearchSuite._default_row(None, index, "spb", empty) == "hybrid" and not empty.metrics


def test_spb_tuning_draws_labelled_queries_from_the_indexed_appeals(tmp_path, navec_encoder):
    """Each labelled query is an indexed appeal; its relevant set is the other appeals of its
    reason (never itself); an appeal alone in its reason is not used."""
    from types import SimpleNamespace

    import numpy as np

    from search.hybrid import DecisionIndex
    from search.types import DecisionRecord

    reasons = ["Уборка снега", "Освещение", "Ямы на дороге"]
    texts = {"Уборка снега": "не убран снег во дворе", "Освещение": "не горит фонарь у дома"}
    corpus = [
        SimpleNamespace(id=f"a{i}", reason=reasons[i % 2], text=f"{texts[reasons[i % 2]]} номер {i}") for i in range(40)
    ]
    corpus.append(SimpleNamespace(id="lonely", reason=reasons[2], text="яма на дороге у остановки"))
    index = DecisionIndex(tmp_path / "i", navec_encoder)
    index.add([DecisionRecord(a.id, a.text) for a in corpus])
    tuned = search_suite.SearchSuite._tuned_spb_adapter(index, corpus, np.random.default_rng(0))
    assert tuned.meta["training"]["queries"] == 40  # the lonely appeal has no partner
    assert tuned.meta["validation"]["queries"] == 8
    index.close()
