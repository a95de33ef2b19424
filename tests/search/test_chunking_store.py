from __future__ import annotations

import numpy as np
import pytest

from search.chunking import MAX_WORDS, SENTENCE_MAX_WORDS, chunk_sentences, chunk_text
from search.store import DecisionStore
from search.types import DecisionRecord, SearchError, SearchFilters


def test_passages_cover_the_text_in_order_and_map_back():
    paras = ["Короткий абзац.", " ".join(["слово"] * 60), " ".join(f"длинный{i}" for i in range(500)), "Конец."]
    text = "\n\n".join(paras)
    passages = chunk_text("d1", text)
    assert [p.index for p in passages] == list(range(len(passages)))
    for p in passages:
        assert text[p.start : p.end].strip() == p.text
        assert len(p.text.split()) <= MAX_WORDS + 30  # a merged short paragraph may add a few words
    # The short first paragraph is merged into the next one, not left alone.
    assert passages[0].text.startswith("Короткий абзац.") and "слово" in passages[0].text
    # The 500-word paragraph is cut into windows of 200 words every 160: [0,200) [160,360) [320,500).
    assert len([p for p in passages if "длинный" in p.text]) == 3
    assert len([p for p in passages if "длинный170 " in p.text]) == 2  # inside the 40-word overlap
    assert len([p for p in passages if "длинный250 " in p.text]) == 1
    assert passages[-1].text.endswith("Конец.")


def test_sentence_passages_keep_abbreviations_and_initials_and_join_short_lines():
    text = (
        "РЕШЕНИЕ\n\nУСТАНОВИЛ:\n\nФинансовый уполномоченный К.В. Корнеев рассмотрел обращение Заявителя. "
        "Согласно ст. 12 Закона № 40-ФЗ и п. 21 ст. 12 выплата просрочена на 30 дн. в г. Москве! "
        "01.02.2023 Заявитель обратился с претензией?\n\n" + " ".join(f"слово{i}" for i in range(150))
    )
    passages = chunk_sentences("d", text)
    texts = [p.text for p in passages]
    assert texts[0].startswith("РЕШЕНИЕ") and texts[0].endswith("рассмотрел обращение Заявителя.")
    assert texts[1] == "Согласно ст. 12 Закона № 40-ФЗ и п. 21 ст. 12 выплата просрочена на 30 дн. в г. Москве!"
    assert texts[2] == "01.02.2023 Заявитель обратился с претензией?"
    long = [p for p in passages if "слово" in p.text]
    assert len(long) == 3 and all(len(p.text.split()) <= SENTENCE_MAX_WORDS for p in long)
    for p in passages:
        assert text[p.start : p.end].strip() == p.text
    assert [p.index for p in passages] == list(range(len(passages)))
    # A short last sentence joins the one before it; a text of one short line is one passage.
    assert chunk_sentences("d", "Первое предложение тут длинное. Всё.")[-1].text.endswith("Всё.")
    assert [p.text for p in chunk_sentences("d", "Отказ.")] == ["Отказ."]


def test_record_validation():
    rec = DecisionRecord.from_json({"id": 7, "text": "т", "date": "2024-03-05T10:00:00", "court": "X"})
    assert rec.id == "7" and rec.date == "2024-03-05" and rec.meta == {"court": "X"}
    for bad, msg in [
        ({"text": "т"}, "no id"),
        ({"id": "a", "text": "  "}, "no text"),
        ({"id": "a", "text": "т", "date": "вчера"}, "not ISO"),
        ([1], "JSON object"),
    ]:
        with pytest.raises(SearchError, match=msg):
            DecisionRecord.from_json(bad)


def test_store_upsert_reports_only_changed_texts(tmp_path):
    store = DecisionStore(tmp_path / "s.sqlite")
    a = DecisionRecord("a", "текст один", category="osago", outcome="denied", date="2024-01-01")
    b = DecisionRecord("b", "текст два", category="kasko", outcome="satisfied", date="2025-01-01")
    changed, dropped = store.upsert([a, b])
    assert [r.id for r in changed] == ["a", "b"] and dropped == []
    assert store.category_counts() == {"osago": 1, "kasko": 1}
    pids = store.add_passages(chunk_text("a", a.text))
    store.mark_indexed(["a", "b"])
    # Same text, new metadata: nothing to re-embed, still indexed.
    changed, _ = store.upsert([DecisionRecord("a", "текст один", category="kasko")])
    assert changed == [] and store.count(indexed_only=True) == 2
    # New text: its passages are dropped and it waits for indexing.
    changed, dropped = store.upsert([DecisionRecord("a", "совсем другой текст")])
    assert [r.id for r in changed] == ["a"] and dropped == pids
    assert [r.id for r in store.pending()] == ["a"]
    assert store.filter_ids(SearchFilters(category="kasko")) == {"b"}
    assert store.filter_ids(SearchFilters(date_from="2024-06-01")) == {"b"}
    found, _ = store.delete(["b", "zzz"])
    assert found == ["b"] and store.count() == 1
    assert store.category_counts() == {None: 1}  # "a" came back without a category


def test_embedding_cache_roundtrip(tmp_path):
    store = DecisionStore(tmp_path / "s.sqlite")
    v = np.arange(4, dtype=np.float32)
    store.cache_vectors({"h1": v}, "enc@1")
    assert np.array_equal(store.cached_vectors(["h1", "h2"], "enc@1")["h1"], v)
    assert store.cached_vectors(["h1"], "enc@2") == {}
