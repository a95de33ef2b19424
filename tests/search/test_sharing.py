"""One library folder open in two processes: the service's index and `claims index add` beside it
(real SQLite, FAISS and navec in a temp dir; the CLI in a real second process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from search.hybrid import DecisionIndex
from search.sharing import FolderLock
from search.types import DecisionRecord, SearchError
from tests.search.test_hybrid import CORPUS

RECORDS = [DecisionRecord.from_json(r) for r in CORPUS]  # d1 osago, d2 deposit, d3 card fraud, d4 osago


def _ids(index: DecisionIndex, query: str) -> list[str]:
    return [h.decision_id for h in index.search(query, 10)]


def test_a_corpus_added_by_the_cli_beside_an_open_index_is_searched_and_survives_its_writes(
    tmp_path, navec_encoder, models_dir
):
    folder = tmp_path / "data" / "search"
    service = DecisionIndex(folder, navec_encoder)
    service.add(RECORDS[:2], progress=False)
    corpus = tmp_path / "more.jsonl"
    corpus.write_text(json.dumps(CORPUS[2], ensure_ascii=False) + "\n", encoding="utf-8")
    cli = subprocess.run(
        [sys.executable, "-c", "from claims.cli import run; run()", "--data-dir", str(tmp_path / "data"),
         "--models-dir", str(models_dir), "index", "add", "--corpus", str(corpus)],
        env={**os.environ, "CLAIMS_ENCODER": "navec"}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert "1 new or changed" in cli.stdout
    # the open index answers with what the other process wrote, without being reopened
    assert _ids(service, "списали деньги с карты мошенники")[0] == "d3"
    # and its own next write keeps it: before, it saved its own indexes over the other's
    service.add(RECORDS[3:], progress=False)
    service.close()
    fresh = DecisionIndex(folder, navec_encoder)
    passages = sum(1 for batch in fresh.store.iter_passages() for _ in batch)
    assert fresh.dense.count == fresh.lexical.count == passages
    assert _ids(fresh, "списали деньги с карты мошенники")[0] == "d3"
    assert set(_ids(fresh, "страховая отказала в выплате по ОСАГО")) >= {"d1", "d4"}
    fresh.close()


def test_while_another_process_writes_search_answers_at_once_and_a_write_gives_up_cleanly(tmp_path, navec_encoder):
    folder = tmp_path / "search"
    reader = DecisionIndex(folder, navec_encoder, lock_timeout=0.2)
    reader.add(RECORDS[:2], progress=False)
    writer = DecisionIndex(folder, navec_encoder)  # stands for the other process
    writer.add(RECORDS[2:3], progress=False)
    with FolderLock(folder / "write.lock").exclusive():  # the other process writes on
        # the saved change is not read while a write is under way: the search does not wait
        assert "d3" not in _ids(reader, "списали деньги с карты мошенники")
        with pytest.raises(SearchError) as busy:
            reader.add(RECORDS[3:], progress=False)
        assert busy.value.code == "index_busy"
        assert reader.store.get(["d4"]) == {}  # nothing of the refused write was kept
    assert _ids(reader, "списали деньги с карты мошенники")[0] == "d3"  # read once the writer is done
    reader.add(RECORDS[3:], progress=False)
    assert "d4" in _ids(writer, "страховая отказала в выплате по ОСАГО")  # and the other way round
    reader.close()
    writer.close()
