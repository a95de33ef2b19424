from __future__ import annotations

import numpy as np
import pytest

from models.registry import ArtifactError
from search.dense import DenseIndex
from search.lexical import LexicalIndex


def unit(rng, n, d=16):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_dense_add_remove_filter_save_load(tmp_path):
    rng = np.random.default_rng(0)
    vecs = unit(rng, 50)
    idx = DenseIndex(16, "enc", "v1", kind="flat")
    idx.add(np.arange(100, 150), vecs)
    scores, ids = idx.search(vecs[3:4], 1)
    assert ids[0, 0] == 103 and scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    _, ids = idx.search(vecs[3:4], 1, allowed=np.array([120, 121]))
    assert ids[0, 0] in (120, 121)
    assert idx.remove([103, 999]) == 1
    _, ids = idx.search(vecs[3:4], 5)
    assert 103 not in ids[0]
    idx.save(tmp_path / "dense")
    loaded = DenseIndex.load(tmp_path / "dense", "enc", "v1")
    assert loaded.count == 49
    with pytest.raises(ArtifactError, match="built with encoder enc"):
        DenseIndex.load(tmp_path / "dense", "other", "v1")


def test_ivf_keeps_ids_and_finds_exact_matches():
    rng = np.random.default_rng(1)
    vecs = unit(rng, 3000, 32)
    idx = DenseIndex(32, "enc", "v1", kind="ivf", nprobe=64)
    idx.add(np.arange(3000) * 7, vecs)
    idx.to_ivf(nlist=32)
    assert idx.layout == "ivf" and idx.count == 3000
    _, ids = idx.search(vecs[:20], 1)
    assert (ids[:, 0] == np.arange(20) * 7).mean() >= 0.95
    idx.remove([0])
    _, ids = idx.search(vecs[:1], 3)
    assert 0 not in ids[0]


def test_auto_kind_switches_to_ivf_at_the_threshold(tmp_path):
    rng = np.random.default_rng(2)
    idx = DenseIndex(16, "enc", "v1", kind="auto", ivf_threshold=500)
    idx.add(np.arange(400), unit(rng, 400))
    idx.save(tmp_path / "a")
    assert idx.layout == "flat"
    idx.add(np.arange(400, 600), unit(rng, 200))
    idx.save(tmp_path / "b")
    assert idx.layout == "ivf" and DenseIndex.load(tmp_path / "b", "enc", "v1").layout == "ivf"


def test_a_broken_dense_folder_is_refused(tmp_path):
    idx = DenseIndex(16, "enc", "v1", kind="flat")
    idx.add(np.arange(3), unit(np.random.default_rng(3), 3))
    idx.save(tmp_path / "d")
    meta = (tmp_path / "d" / "meta.json").read_text().replace('"count": 3', '"count": 4')
    (tmp_path / "d" / "meta.json").write_text(meta)
    with pytest.raises(ArtifactError, match="disagrees"):
        DenseIndex.load(tmp_path / "d", "enc", "v1")


@pytest.mark.parametrize("query", ["выплаты", "выплату", "выплатил", "ВЫПЛАТОЙ"])
def test_bm25_matches_across_russian_word_forms(query):
    lex = LexicalIndex()
    lex.add([1, 2, 3], ["Страховщик отказал в выплате возмещения.", "Банк закрыл вклад.", "Погода хорошая."])
    _, pids = lex.search(query, 3)
    assert list(pids) == [1]


def test_bm25_prefers_rarer_terms_and_saves(tmp_path):
    """Both passages contain "банк"; only one contains the rare "ломбард", so it ranks first."""
    lex = LexicalIndex()
    texts = ["банк и ломбард", "банк банк банк"] + [f"банк номер {i}" for i in range(20)]
    lex.add(list(range(len(texts))), texts)
    _, pids = lex.search("банк ломбард", 2)
    assert pids[0] == 0
    lex.remove([0])
    lex.save(tmp_path / "lex")
    again = LexicalIndex.load(tmp_path / "lex")
    assert again.count == len(texts) - 1
    _, pids = again.search("ломбард", 5)
    assert len(pids) == 0
