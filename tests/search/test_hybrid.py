"""The search facade on a small corpus with a real shipped encoder (navec: fast), and once with e5."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from search.hybrid import DecisionIndex, FusionWeights, IngestStats, read_corpus
from search.types import DecisionRecord, SearchError, SearchFilters

CORPUS = [
    {
        "id": "d1",
        "title": "Решение по ОСАГО",
        "category": "osago",
        "outcome": "satisfied",
        "date": "2023-02-01",
        "organisation": "СПАО «Ингосстрах»",
        "text": "Страховщик не выплатил страховое возмещение по договору ОСАГО после аварии.\n\n"
        "Финансовый уполномоченный взыскал со страховщика неустойку за просрочку выплаты.",
    },
    {
        "id": "d2",
        "title": "Решение по вкладу",
        "category": "deposits",
        "outcome": "denied",
        "date": "2024-05-10",
        "organisation": "ПАО Сбербанк",
        "text": "Банк начислил проценты по вкладу по ставке до востребования.\n\nТребования отклонены.",
    },
    {
        "id": "d3",
        "title": "Решение по карте",
        "category": "bank_accounts_cards",
        "outcome": "satisfied",
        "date": "2025-01-20",
        "organisation": "ПАО Сбербанк",
        "court": "нет",
        "text": "С банковской карты без согласия клиента списаны деньги мошенниками.\n\nБанк обязан вернуть деньги.",
    },
    {
        "id": "d4",
        "title": "Ещё решение по ОСАГО",
        "category": "osago",
        "outcome": "denied",
        "date": "2022-07-07",
        "organisation": "САО «ВСК»",
        "text": "Страховая компания отказала в выплате по ОСАГО: повреждения не соответствуют аварии.",
    },
]


@pytest.fixture
def corpus_file(tmp_path):
    path = tmp_path / "corpus.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in CORPUS] + ["{broken", json.dumps({"id": "x"})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def index(tmp_path, navec_encoder, corpus_file):
    idx = DecisionIndex(tmp_path / "idx", navec_encoder)
    stats = IngestStats()
    idx.add(read_corpus(corpus_file, stats), stats=stats)
    assert (stats.read, stats.skipped, stats.changed) == (6, 2, 4)
    yield idx
    idx.close()


def test_finds_by_meaning_and_by_word_form(index):
    hits = index.search("страховая не заплатила после ДТП", 2)
    assert hits[0].category == "osago"
    assert len({h.decision_id for h in hits}) == len(hits)  # one hit per decision
    lexical = index.search("выплату", 4, mode="lexical")
    assert {h.decision_id for h in lexical} == {"d1", "d4"}
    assert "<mark>" in lexical[0].snippet


def test_filters_apply_before_truncation(index):
    """The best match overall is an OSAGO decision; with outcome=denied and k=1 the denied OSAGO
    decision must come back, not an empty list."""
    hits = index.search("страховщик не выплатил возмещение по ОСАГО", 1, SearchFilters(outcome="denied"))
    assert [h.decision_id for h in hits] == ["d4"]
    hits = index.search("деньги", 5, SearchFilters(date_from="2024-01-01", organisation="ПАО Сбербанк"))
    assert {h.decision_id for h in hits} <= {"d2", "d3"}
    assert index.search("деньги", 5, SearchFilters(date_to="2000-01-01")) == []


def test_extra_fields_come_back_as_meta(index):
    hit = next(h for h in index.search("карта мошенники", 3) if h.decision_id == "d3")
    assert hit.meta == {"court": "нет"} and hit.to_json()["date"] == "2025-01-20"


@pytest.mark.parametrize(
    "query, k, filters, mode, code",
    [
        ("   ", 5, None, "hybrid", "empty_query"),
        ("ж" * 2_000_000, 5, None, "hybrid", "query_too_long"),
        ("вклад", 0, None, "hybrid", "bad_k"),
        ("вклад", 10**9, None, "hybrid", "bad_k"),
        ("вклад", 5, SearchFilters(category="nope"), "hybrid", "unknown_filter_value"),
        ("вклад", 5, SearchFilters(date_from="01.01.2024"), "hybrid", "bad_filter"),
        ("вклад", 5, None, "magic", "bad_mode"),
    ],
)
def test_bad_input_is_a_clear_error(index, query, k, filters, mode, code):
    with pytest.raises(SearchError) as err:
        index.search(query, k, filters, mode=mode)
    assert err.value.code == code


@pytest.mark.parametrize(
    "record, code",
    [
        ({"id": "a", "text": "Банк списал деньги.", "category": ["x"]}, "bad_record"),
        ({"id": "a", "text": "Банк списал деньги.", "organisation": {"name": "ПАО Сбербанк"}}, "bad_record"),
        ({"id": {"k": 1}, "text": "Банк списал деньги."}, "bad_record"),
        ({"id": "a" * 201, "text": "Банк списал деньги."}, "bad_record"),
        ({"id": "a", "text": "Банк списал деньги. " * 20_000}, "decision_too_long"),
    ],
)
def test_a_record_of_the_wrong_shape_or_size_is_refused_with_its_code(record, code):
    with pytest.raises(SearchError) as err:
        DecisionRecord.from_json(record)
    assert err.value.code == code


def test_a_corpus_with_malformed_records_is_indexed_without_them(tmp_path, navec_encoder):
    """A list where a column's text belongs crashed the whole load in SQLite; now the line is
    skipped and counted like any bad line, and the rest is indexed."""
    good = {"id": "n", "text": "Банк начислил проценты по вкладу.", "category": 7}
    lines = [{"id": "a", "text": "Банк списал деньги.", "category": ["x"]}, good, {"id": "b", "text": "x" * 300_001}]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines), encoding="utf-8")
    index = DecisionIndex(tmp_path / "i", navec_encoder)
    stats = IngestStats()
    index.add(read_corpus(path, stats), stats=stats)
    assert (stats.read, stats.skipped, stats.changed) == (3, 2, 1)
    assert index.store.get(["n"])["n"]["category"] == "7"  # a number is kept as text
    index.close()


def test_update_and_delete_are_incremental(index, navec_encoder, tmp_path):
    before = index.dense.count
    stats = index.add([DecisionRecord("d2", "Ломбард продал заложенное кольцо раньше срока.", category="pawnshop")])
    assert stats.changed == 1 and index.dense.count == before  # one passage out, one in
    assert index.search("ломбард кольцо", 1)[0].decision_id == "d2"
    assert index.delete(["d2", "nope"]) == ["d2"]
    assert all(h.decision_id != "d2" for h in index.search("ломбард кольцо", 5))
    # Reopening reads the saved indexes: same contents, nothing pending.
    again = DecisionIndex(index.folder, navec_encoder)
    assert again.dense.count == again.lexical.count == index.dense.count
    assert again.store.pending() == []
    again.close()


def test_interrupted_build_resumes_without_duplicates(tmp_path, navec_encoder):
    """GIVEN an encoder that fails after a few batches WHEN the build is retried THEN every
    decision is indexed once and the dense and lexical indexes agree with the store."""
    records = [DecisionRecord(f"r{i}", f"Решение номер {i} о выплате по договору {i % 7}.") for i in range(40)]

    class Flaky:
        def __init__(self, real):
            self.real, self.calls = real, 0
            self.name, self.dim, self.version = real.name, real.dim, real.version

        def encode_documents(self, texts, **kw):
            self.calls += 1
            if self.calls == 3:
                raise RuntimeError("power cut")
            return self.real.encode_documents(texts, **kw)

        def encode_queries(self, texts, **kw):
            return self.real.encode_queries(texts, **kw)

    idx = DecisionIndex(tmp_path / "i", Flaky(navec_encoder))
    idx.store.upsert(records)
    with pytest.raises(RuntimeError, match="power cut"):
        idx.index_pending(batch=5, checkpoint=10)
    idx.close()
    resumed = DecisionIndex(tmp_path / "i", navec_encoder)
    assert 0 < resumed.store.count(indexed_only=True) < 40
    resumed.index_pending(batch=5, checkpoint=10)
    n_passages = len(resumed.store.passage_ids())
    assert resumed.store.count(indexed_only=True) == 40
    assert resumed.dense.count == resumed.lexical.count == n_passages == 40
    resumed.close()


def test_index_refuses_another_encoder(index, use_encoder):
    from models.registry import ArtifactError

    with pytest.raises(ArtifactError, match="built with encoder navec"):
        DecisionIndex(index.folder, use_encoder)


def test_fusion_weights_move_the_ranking(index):
    only_lexical = index.search("выплата", 4, weights=FusionWeights(dense=0.0, lexical=1.0))
    assert {h.decision_id for h in only_lexical[:2]} == {"d1", "d4"}


def test_real_e5_ranks_the_paraphrased_case_first(tmp_path, e5):
    """The shipped e5 model: a paraphrase with few shared words finds its decision by meaning."""
    idx = DecisionIndex(tmp_path / "e5", e5)
    idx.add([DecisionRecord.from_json(r) for r in CORPUS])
    hits = idx.search("мошенники увели сбережения с моей пластиковой карточки", 2, mode="dense")
    assert hits[0].decision_id == "d3"
    vec = idx.dense.index.reconstruct(int(idx.store.passage_ids(["d3"])[0]))
    assert np.linalg.norm(vec) == pytest.approx(1.0, abs=1e-4)
    idx.close()


def test_long_decisions_weak_matches_do_not_outrank_short_ones_that_say_it(tmp_path, e5):
    """With passages summed, every passage of a long decision in the dense list adds to it, however
    weakly it matches; cut at the margin below the best score, the list keeps the one-sentence
    decisions that say what the query asks, and they rank above long decisions of other disputes."""
    from synth.decisions import generate_decisions

    decisions, _ = generate_decisions(0, 12, 1)
    idx = DecisionIndex(tmp_path / "e5", e5)
    short = [DecisionRecord(f"city-{i}", f"Жалоба на неубранный снег во дворе дома № {i}.") for i in range(10)]
    idx.add([DecisionRecord.from_json(d.to_json()) for d in decisions] + short)
    cut = [h.decision_id for h in idx.search("снег во дворе", 10)]
    whole = [h.decision_id for h in idx.search("снег во дворе", 10, weights=FusionWeights(dense_margin=math.inf))]
    assert all(d.startswith("city-") for d in cut)
    assert not whole[0].startswith("city-")  # the whole list: a long decision first
    idx.close()


def test_an_organisation_named_in_the_query_lifts_its_decisions(index):
    """Both OSAGO decisions match the dispute; naming "ВСК" puts the ВСК one first."""
    plain = index.search("отказ в выплате по ОСАГО", 2)
    named = index.search("ВСК: отказ в выплате по ОСАГО", 2)
    assert {h.decision_id for h in plain} == {"d1", "d4"}
    assert named[0].decision_id == "d4" and named[0].organisation == "САО «ВСК»"


def test_a_category_prior_lifts_decisions_of_the_likely_category(index):
    """An OSAGO query ranks the OSAGO decisions first; a prior for bank cards (as a category profile
    might give) lifts d3 (the card decision) by exactly weight * p / 61, and only in hybrid mode; a
    strong one puts it first."""
    query = "отказ в выплате по ОСАГО"
    ranked = index.search(query, 4)
    assert {h.decision_id for h in ranked[:2]} == {"d1", "d4"}
    plain = {h.decision_id: h.score for h in ranked}
    lifted = index.search(query, 4, category_prior={"bank_accounts_cards": 0.9, "deposits": 0.1})
    scores = {h.decision_id: h.score for h in lifted}
    assert scores["d3"] == pytest.approx(plain["d3"] + 0.9 / 61)
    assert scores["d1"] == pytest.approx(plain["d1"])
    half = index.search(query, 4, category_prior={"bank_accounts_cards": 0.9}, weights=FusionWeights(category=0.5))
    assert {h.decision_id: h.score for h in half}["d3"] == pytest.approx(plain["d3"] + 0.45 / 61)
    strong = index.search(query, 4, category_prior={"bank_accounts_cards": 1.0}, weights=FusionWeights(category=5))
    assert strong[0].decision_id == "d3" and ranked[0].decision_id != "d3"
    lexical = index.search(query, 4, mode="lexical")
    with_prior = index.search(query, 4, mode="lexical", category_prior={"bank_accounts_cards": 0.9})
    assert [h.score for h in with_prior] == [h.score for h in lexical]


def test_evidence_from_several_passages_adds_up(index):
    """Two decisions mention a pawnshop once each; "p2" also mentions the ring in a second
    paragraph (each paragraph long enough to be its own passage), so with "sum" it ranks first and
    its score is the sum of two passage contributions."""
    filler = " ".join(["обстоятельства дела изложены заявителем подробно"] * 6)
    index.add(
        [
            DecisionRecord("p1", f"Ломбард продал вещь. {filler}\n\nДругое. {filler}"),
            DecisionRecord("p2", f"Ломбард продал вещь. {filler}\n\nЗолотое кольцо ломбард не вернул. {filler}"),
        ]
    )
    assert len(index.store.passage_ids(["p2"])) == 2
    by_sum = index.search("ломбард кольцо", 2, mode="lexical")
    by_max = index.search("ломбард кольцо", 2, mode="lexical", aggregate="max")
    assert by_sum[0].decision_id == "p2"
    assert by_sum[0].score > by_max[0].score
    with pytest.raises(SearchError) as err:
        index.search("вклад", 3, aggregate="mean")
    assert err.value.code == "bad_aggregate"


def test_a_lexical_index_of_another_analyzer_is_rebuilt_from_the_store(index, navec_encoder):
    """GIVEN an index whose BM25 part was saved by an older analyzer WHEN it is opened THEN BM25 is
    rebuilt from the stored passages (no re-embedding), saved with the current analyzer, and finds
    the same decisions."""
    from search.lexical import ANALYZER

    meta_path = index.folder / "lexical" / "meta.json"
    before = [h.decision_id for h in index.search("выплату", 4, mode="lexical")]
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "analyzer": "old-analyzer/v0"}))
    reopened = DecisionIndex(index.folder, navec_encoder)
    assert json.loads(meta_path.read_text())["analyzer"] == ANALYZER
    assert reopened.lexical.count == reopened.dense.count
    assert [h.decision_id for h in reopened.search("выплату", 4, mode="lexical")] == before
    reopened.close()
