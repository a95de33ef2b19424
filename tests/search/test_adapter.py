"""The query adapter: it learns a query map from labelled queries, is saved and refused like any
artifact, is applied by the index, and helps with the real e5 on generated decisions."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import numpy as np
import pytest

from models.registry import ArtifactError
from search.adapter import (
    CHOOSE_QUERIES,
    RECIPE,
    LabelledQueries,
    QueryAdapter,
    capped_recall,
    fit_on_index,
    train_default_adapter,
    training_queries,
)
from search.chunking import CHUNKING
from search.hybrid import DecisionIndex, FusionWeights
from search.types import DecisionRecord
from synth.decisions import generate_decisions
from synth.lexicon import short_org


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _library(rng, n_types=8, per_type=6, dim=32):
    """Decisions with two passages of shared boilerplate and one naming their case type; a query
    about type t points at the key of type t+1 (its words mean something else to the encoder)."""
    keys = _unit(rng.normal(size=(n_types, dim)))
    boiler = _unit(rng.normal(size=dim))
    passages, owners, types = [], [], []
    for d in range(n_types * per_type):
        t = d % n_types
        passages += [_unit(boiler + 0.05 * rng.normal(size=dim)) for _ in range(2)]
        passages.append(_unit(keys[t] + 0.05 * rng.normal(size=dim)))
        owners += [d] * 3
        types.append(t)

    def queries(n):
        ts = rng.integers(0, n_types, size=n)
        q = _unit(keys[(ts + 1) % n_types] + 0.3 * boiler + 0.05 * rng.normal(size=(n, dim)))
        return q.astype(np.float32), [[d for d, u in enumerate(types) if u == t] for t in ts]

    return np.asarray(passages, dtype=np.float32), np.asarray(owners), queries


def _top_share(adapter, q, relevant, passages, owners, k=6):
    z = adapter.transform(q) if adapter else q
    scores = z @ passages.T
    best = np.full((len(q), owners.max() + 1), -np.inf)
    for j, o in enumerate(owners):
        best[:, o] = np.maximum(best[:, o], scores[:, j])
    top = np.argsort(-best, axis=1)[:, :k]
    return float(np.mean([len(set(t) & set(r)) / min(len(r), k) for t, r in zip(top, relevant, strict=True)]))


def test_the_adapter_learns_what_a_query_means_and_generalises_to_new_queries():
    rng = np.random.default_rng(0)
    passages, owners, queries = _library(rng)
    q_train, rel_train = queries(200)
    q_test, rel_test = queries(100)
    adapter = QueryAdapter(epochs=60, learning_rate=3e-2, weight_decay=1e-4).fit(q_train, rel_train, passages, owners)
    assert _top_share(None, q_test, rel_test, passages, owners) < 0.2
    assert _top_share(adapter, q_test, rel_test, passages, owners) > 0.9
    z = adapter.transform(q_test)
    assert z.shape == q_test.shape and np.allclose(np.linalg.norm(z, axis=1), 1.0, atol=1e-5)


def test_fit_and_transform_refuse_bad_input():
    with pytest.raises(RuntimeError, match="not fitted"):
        QueryAdapter().transform(np.zeros((1, 4)))
    with pytest.raises(ValueError, match="one list"):
        QueryAdapter().fit(np.zeros((2, 4)), [[0]], np.zeros((1, 4)), np.array([0]))
    with pytest.raises(ValueError, match="no query"):
        QueryAdapter().fit(np.ones((1, 4)), [[]], np.ones((1, 4)), np.array([0]))


def test_saved_adapter_loads_only_for_its_encoder(tmp_path):
    adapter = QueryAdapter()
    adapter.matrix_ = np.eye(4, dtype=np.float32)[::-1].copy()
    adapter.meta = {"encoder": "enc", "encoder_version": "1", "lexical_weight": 0.25}
    adapter.save(tmp_path / "a")
    same = SimpleNamespace(name="enc", version="1", dim=4)
    loaded = QueryAdapter.load(tmp_path / "a", same)
    assert np.array_equal(loaded.matrix_, adapter.matrix_) and loaded.lexical_weight == 0.25
    with pytest.raises(ArtifactError, match="trained with enc 1"):
        QueryAdapter.load(tmp_path / "a", SimpleNamespace(name="enc", version="2", dim=4))
    with pytest.raises(ArtifactError, match="shape"):
        QueryAdapter.load(tmp_path / "a", SimpleNamespace(name="enc", version="1", dim=8))
    (tmp_path / "a" / "matrix.npy").write_bytes(b"broken")
    with pytest.raises(ArtifactError, match="unreadable"):
        QueryAdapter.load(tmp_path / "a", same)


def test_the_index_applies_its_adapter_and_its_fusion_weight(tmp_path, navec_encoder):
    records = [
        DecisionRecord("a", "Страховщик отказал в выплате по ОСАГО после аварии."),
        DecisionRecord("b", "Банк списал деньги с карты без согласия клиента."),
        DecisionRecord("c", "Проценты по вкладу начислены по ставке до востребования."),
    ]
    index = DecisionIndex(tmp_path / "i", navec_encoder)
    index.add(records)
    vectors, owners, ids = index.passage_vectors()
    assert vectors.shape == (index.dense.count, navec_encoder.dim) and ids == ["a", "b", "c"]
    assert sorted(set(owners.tolist())) == [0, 1, 2]
    plain = [h.decision_id for h in index.search("выплата страховки по ОСАГО", 3, mode="dense")]
    flip = QueryAdapter()
    flip.matrix_ = -np.eye(navec_encoder.dim, dtype=np.float32)  # the most similar becomes the least
    flip.meta = {"encoder_version": navec_encoder.version, "lexical_weight": 0.5}
    index.adapter = flip
    flipped = [h.decision_id for h in index.search("выплата страховки по ОСАГО", 3, mode="dense")]
    assert plain[0] == "a" and flipped == plain[::-1]
    # Without explicit weights the lexical list counts with the adapter's weight.
    default = index.search("выплата по ОСАГО", 3, mode="lexical")
    explicit = index.search("выплата по ОСАГО", 3, mode="lexical", weights=FusionWeights(lexical=0.5))
    assert [h.score for h in default] == pytest.approx([h.score for h in explicit])
    index.close()
    with pytest.raises(ArtifactError, match="another encoder"):
        DecisionIndex(tmp_path / "i", navec_encoder, adapter=QueryAdapter())


def test_an_index_chunked_another_way_is_indexed_again(tmp_path, navec_encoder, caplog):
    index = DecisionIndex(tmp_path / "i", navec_encoder)
    index.add([DecisionRecord("a", "Первое предложение решения здесь. Второе предложение решения тоже здесь.")])
    assert index.dense.count == 2  # one passage a sentence
    index.close()
    (tmp_path / "i" / "chunking.txt").write_text("paragraphs")
    again = DecisionIndex(tmp_path / "i", navec_encoder)
    assert "re-indexing" in caplog.text and again.dense.count == 0
    assert [r.id for r in again.store.pending()] == ["a"]
    again.index_pending()
    assert again.dense.count == 2 and (tmp_path / "i" / "chunking.txt").read_text() == CHUNKING
    again.close()


def test_with_the_real_e5_the_adapter_finds_the_dispute_among_one_organisations_decisions(e5, tmp_path):
    """Generated decisions, all of one organisation, so only the dispute tells them apart: trained
    on wording family 1, the adapter lifts capped recall@3 on family 0's queries (about two relevant
    each; a decision scores by its best sentence, as in training)."""
    decisions, _ = generate_decisions(1, 120, 0)
    org = decisions[0].organisation
    for d in decisions:
        d.text = d.text.replace(d.organisation, org)
        d.title = d.title.replace(f"({short_org(d.organisation)})", f"({short_org(org)})")
        d.organisation = org
    index = DecisionIndex(tmp_path / "i", e5)
    index.add([DecisionRecord.from_json(d.to_json()) for d in decisions], progress=False)
    adapter = fit_on_index(index, training_queries(decisions, 300, 1, seed=1))
    assert adapter.meta["encoder"] == "e5-small" and adapter.meta["trained_decisions"] == 120
    held_out = training_queries(decisions, 60, 0, seed=1)
    before = capped_recall(index, held_out, k=3, mode="dense", aggregate="max")
    index.adapter = adapter
    after = capped_recall(index, held_out, k=3, mode="dense", aggregate="max")
    assert after > before + 0.15, (before, after)
    index.close()


def test_the_default_training_records_how_it_was_chosen(navec_encoder):
    adapter = train_default_adapter(navec_encoder, n_decisions=40, n_train=60, n_val=20, progress=False)
    meta = adapter.meta
    # 40 queries in each training family (one per decision of the library) and 20 choosing ones
    categories = meta["training"].pop("categories")  # what it learned, for shipped_adapter_fits
    assert meta["training"] == {
        "library_seed": 1,
        "decisions": 40,
        "queries": 100,
        "wording_families": [1, 2, 3],
        "recipe": RECIPE,
    }
    assert categories == sorted(categories) and "osago" in categories and len(categories) > 3
    assert meta["weight_decay"] == 0.003  # the setting the final fit used, not only the one intended
    assert len(meta["validation"]["capped_recall_at_10_by_aggregate_and_lexical_weight"]) == 6
    assert meta["lexical_weight"] in (0.25, 0.5, 1.0) and meta["aggregate"] in ("sum", "max")
    assert meta["encoder"] == "navec" and meta["validation"]["queries"] == 20
    # the shipped recipe chooses on every query of the choosing family (300 of 1,000 chose by noise)
    defaults = {k: p.default for k, p in inspect.signature(train_default_adapter).parameters.items()}
    assert defaults["n_choose"] == defaults["n_val"] == CHOOSE_QUERIES == 1000 and "x1000" in RECIPE


def test_capped_recall_counts_relevant_hits(tmp_path, navec_encoder):
    index = DecisionIndex(tmp_path / "i", navec_encoder)
    index.add([DecisionRecord("a", "Отказ в выплате по ОСАГО."), DecisionRecord("b", "Вклад и проценты банка.")])
    labelled = LabelledQueries(["выплата по ОСАГО"], [["a", "zz"]])
    assert capped_recall(index, labelled, k=1) == 1.0
    assert capped_recall(index, LabelledQueries(["выплата по ОСАГО"], [["b"]]), k=1) == 0.0
    index.close()


def test_loading_prefers_the_index_own_adapter_and_can_be_turned_off(tmp_path):
    from search.adapter import adapter_folder, index_adapter_folder, load_query_adapter

    enc = SimpleNamespace(name="enc", version="1", dim=4)
    for folder, source in (
        (adapter_folder(tmp_path / "models"), "shipped"),
        (index_adapter_folder(tmp_path / "i"), "own"),
    ):
        a = QueryAdapter()
        a.matrix_, a.meta = np.eye(4, dtype=np.float32), {"encoder": "enc", "encoder_version": "1", "source": source}
        a.save(folder)
    assert load_query_adapter(tmp_path / "models", enc, tmp_path / "i").meta["source"] == "own"
    assert load_query_adapter(tmp_path / "models", enc, tmp_path / "other").meta["source"] == "shipped"
    assert load_query_adapter(tmp_path / "models", enc, tmp_path / "i", setting="none") is None
    other = SimpleNamespace(name="enc", version="2", dim=4)
    assert load_query_adapter(tmp_path / "models", other, tmp_path / "i") is None
    with pytest.raises(ArtifactError, match="one of auto, shipped, none"):
        load_query_adapter(tmp_path / "models", enc, setting="yes")


def test_the_shipped_adapter_serves_only_a_library_of_its_categories(tmp_path, caplog):
    from search.adapter import adapter_folder, index_adapter_folder, load_query_adapter

    enc = SimpleNamespace(name="enc", version="1", dim=4)
    models = tmp_path / "models"

    def save(folder, training):
        a = QueryAdapter()
        a.matrix_ = np.eye(4, dtype=np.float32)
        a.meta = {"encoder": "enc", "encoder_version": "1", "training": training}
        a.save(folder)

    save(adapter_folder(models), {"categories": ["kasko", "osago"]})
    city = {"Благоустройство": 60, "osago": 40}  # 40 %: below half
    with caplog.at_level("INFO", logger="search.adapter"):
        assert load_query_adapter(models, enc, tmp_path / "i", category_counts=city) is None
    assert "40 %" in caplog.text and "claims index tune" in caplog.text
    assert load_query_adapter(models, enc, tmp_path / "i", "shipped", category_counts=city) is not None
    assert load_query_adapter(models, enc, tmp_path / "i", category_counts={"osago": 30, "kasko": 20, None: 50})
    assert load_query_adapter(models, enc, tmp_path / "i", category_counts={}) is not None  # nothing to judge yet
    assert load_query_adapter(models, enc, tmp_path / "i") is not None  # no counts given: as before
    save(index_adapter_folder(tmp_path / "i"), {"source": "labelled queries"})  # the index's own always serves
    assert load_query_adapter(models, enc, tmp_path / "i", category_counts=city).meta["training"] == {
        "source": "labelled queries"
    }
    save(adapter_folder(models), {"library_seed": 1})  # saved before categories were recorded: as before
    assert load_query_adapter(models, enc, category_counts={"Благоустройство": 10}) is not None


def test_an_index_is_given_the_adapter_that_fits_the_decisions_it_holds(tmp_path, navec_encoder):
    """The CLI and the service attach the adapter this way: the counts come from the index's own store."""
    from search.adapter import adapter_folder, attach_query_adapter

    models = tmp_path / "models"
    a = QueryAdapter()
    a.matrix_ = np.eye(navec_encoder.dim, dtype=np.float32)
    a.meta = {"encoder": navec_encoder.name, "encoder_version": navec_encoder.version,
              "training": {"categories": ["osago"]}}  # fmt: skip
    a.save(adapter_folder(models))
    index = DecisionIndex(tmp_path / "i", navec_encoder)
    attach_query_adapter(index, models)
    assert index.adapter is not None  # an empty library: nothing to judge yet
    index.add([DecisionRecord(f"d{i}", "Жалоба на уборку двора.", category="Благоустройство") for i in range(3)])
    attach_query_adapter(index, models)
    assert index.adapter is None
    attach_query_adapter(index, models, "shipped")
    assert index.adapter is not None
    index.close()


def test_prepare_retrains_an_adapter_of_another_recipe(tmp_path, monkeypatch):
    import search.adapter as sa

    enc = SimpleNamespace(name="enc", version="1", dim=4)
    calls = []

    def fake_training(encoder):
        calls.append(encoder.name)
        adapter = QueryAdapter()
        adapter.matrix_ = np.eye(4, dtype=np.float32)
        training = {"recipe": RECIPE, "categories": ["osago"]}
        adapter.meta = {"encoder": "enc", "encoder_version": "1", "chunking": CHUNKING, "training": training}
        return adapter

    monkeypatch.setattr(sa, "train_default_adapter", fake_training)
    # saved before the recipe was recorded; then with the recipe but not the categories it learned
    for training in ({"wording_families": [1, 2]}, {"recipe": RECIPE}):
        old = fake_training(enc)
        old.meta["training"] = training
        old.save(sa.adapter_folder(tmp_path))
        calls.clear()
        assert sa.prepare_query_adapter(tmp_path, enc) == (sa.adapter_folder(tmp_path), True) and calls == ["enc"]
        assert sa.prepare_query_adapter(tmp_path, enc) == (sa.adapter_folder(tmp_path), False) and calls == ["enc"]
