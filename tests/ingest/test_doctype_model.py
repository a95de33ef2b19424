"""The document-type model: n-grams fused with the shipped int8 e5 over the document's head and
its title line; the encoder is loaded by name with the model and a model trained with another
encoder is refused."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from ingest.doctypes import embed_heads, title_line
from ingest.documents import DocTypeModel, train_doctype_model, training_records
from models.encoders import load_encoder
from models.registry import ArtifactError


@pytest.fixture(scope="module")
def small_records():
    return [r for r in training_records(seed=7, per_family=4) if r["family"] in (0, 1, 2, 3)]


def test_fused_model_round_trips_with_its_encoder(models_dir, small_records, tmp_path):
    int8 = load_encoder("e5-small-int8", models_dir)
    model = train_doctype_model(small_records, holdout_family=3, encoder=int8)
    assert model.classifier.embedding_model_ is not None
    test = [r for r in small_records if r["family"] == 3]
    texts = [r["text"] for r in test]
    heads = embed_heads(int8, texts)
    assert heads.shape == (len(texts), 2 * int8.dim)
    # the second half is the title line's own embedding
    np.testing.assert_allclose(heads[:, int8.dim :], int8.encode_documents([title_line(t) for t in texts]))
    proba = model.classifier.predict_proba(texts, heads)
    # Precomputed embeddings and the attached encoder give the same answer.
    np.testing.assert_allclose(proba, model.classifier.predict_proba(texts), atol=1e-5)
    assert np.allclose(proba.sum(1), 1.0)
    # Every part counts: the fused answer is neither the n-gram model's nor the head model's, and
    # it moves when the title model's weight is taken away.
    ngram = model.classifier.predict_proba_ngrams(texts)
    dense = model.classifier.embedding_model_.predict_proba(heads[:, : int8.dim])
    assert np.allclose(ngram.sum(1), 1.0)
    assert np.abs(proba - ngram).max() > 0.05 and np.abs(proba - dense).max() > 0.05
    clf = model.classifier
    sure, weights = clf.ngram_sure, clf.fusion_weights_
    clf.ngram_sure = 1.01  # fuse every text, so the title model's share shows
    clf.fusion_weights_ = (weights[0], 0.5)
    fused = clf.predict_proba(texts, heads)
    clf.fusion_weights_ = (weights[0], 0.0)
    assert np.abs(fused - clf.predict_proba(texts, heads)).max() > 0.02
    clf.ngram_sure, clf.fusion_weights_ = sure, weights

    folder = tmp_path / "models" / "doctype"
    folder.parent.mkdir()
    (folder.parent / "e5-small").symlink_to(models_dir / "e5-small", target_is_directory=True)
    (folder.parent / "e5-small-onnx").symlink_to(models_dir / "e5-small-onnx", target_is_directory=True)
    model.save(folder)
    meta = json.loads((folder / "meta.json").read_text())
    assert (meta["encoder"], meta["encoder_version"]) == ("e5-small-int8", int8.version)
    assert model.classifier.encoder is int8  # saving does not detach it
    loaded = DocTypeModel.load(folder)
    assert loaded.classifier.encoder.name == "e5-small-int8"
    np.testing.assert_allclose(loaded.classifier.predict_proba(texts), proba, atol=1e-5)

    # A model trained with another conversion of the encoder is refused, not silently misread.
    stale = tmp_path / "stale" / "doctype"
    shutil.copytree(folder, stale)
    meta["encoder_version"] = "1:000000000000+int8.1"
    (stale / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match="claims models prepare"):
        DocTypeModel.load(stale, models_dir)


def test_ngram_only_model_still_works(small_records):
    model = train_doctype_model(small_records, holdout_family=3)
    assert model.classifier.embedding_model_ is None and model.meta["fusion_weights"] is None
    got = model.predict([r["text"] for r in small_records[:3]])
    assert all(0.0 <= conf <= 1.0 for _, conf in got)


def test_split_reuses_page_logits_without_changing_the_answer(models_dir, small_records):
    """Splitting types one-page documents from their page's n-gram logits and multi-page ones
    afresh: either way a document gets exactly what the model says of its whole text."""
    from ingest.documents import split_documents
    from ingest.types import Page

    model = train_doctype_model(small_records, holdout_family=3, encoder=load_encoder("e5-small-int8", models_dir))
    text = small_records[1]["text"]
    pages = [
        Page(file="a.pdf", number=1, text=small_records[0]["text"], source="pdf_text"),
        Page(file="b.pdf", number=1, text=text, source="pdf_text"),
        # the same wording in lower case: no title, the same type, so it continues the document
        Page(file="b.pdf", number=2, text=text.lower(), source="pdf_text"),
    ]
    scored = []  # texts whose n-gram logits were computed
    ngram_logits = model.classifier.ngram_logits
    model.classifier.ngram_logits = lambda X: scored.extend(X) or ngram_logits(X)
    docs = split_documents(pages, model)
    assert [len(d.pages) for d in docs] == [1, 2]
    # the three pages, then only the two-page document: the one-page document reuses its page's
    assert scored == [p.text for p in pages] + [docs[1].text]
    del model.classifier.ngram_logits
    for doc in docs:
        assert (doc.doc_type, doc.doc_type_confidence) == model.predict([doc.text])[0]
        ranked = model.rank([doc.text])[0]
        assert [(a.doc_type, a.probability) for a in doc.doc_type_alternatives] == ranked[1:]


def test_rank_gives_the_likely_other_types_most_likely_first(small_records):
    """The alternatives are the next types by calibrated probability, those of at least
    ``min_probability``, at most ``most - 1`` of them; the first entry is :meth:`predict`'s."""
    from ingest.documents import ALTERNATIVE_PROBABILITY

    model = train_doctype_model(small_records, holdout_family=3)
    texts = [r["text"] for r in small_records if r["family"] == 3]
    # a document cut in half and joined to another type's: the model should hesitate between them
    texts += [a[: len(a) // 2] + "\n" + b[len(b) // 2 :] for a, b in zip(texts[::2], texts[1::2], strict=False)]
    proba = model.classifier.predict_proba(texts)
    classes = model.classifier.classes_
    everything = model.rank(texts, min_probability=0.0, most=len(classes))
    for row, ranked in zip(proba, everything, strict=True):
        assert [t for t, _ in ranked] == [str(classes[i]) for i in np.argsort(-row, kind="stable")]
        assert [p for _, p in ranked] == sorted((p for _, p in ranked), reverse=True)
    shipped = model.rank(texts)
    assert [r[0] for r in shipped] == model.predict(texts)
    for row, ranked in zip(proba, shipped, strict=True):
        expected = [t for t, p in zip(classes, row, strict=True) if p >= ALTERNATIVE_PROBABILITY]
        expected = sorted(expected, key=lambda t: -row[list(classes).index(t)])[:3]
        assert [t for t, _ in ranked][1:] == [t for t in expected if t != ranked[0][0]][:2]
    assert any(len(r) > 1 for r in shipped), "no text got an alternative: the test shows nothing"


def test_only_documents_the_ngrams_are_unsure_of_are_embedded(models_dir, small_records):
    """The cascade: where the calibrated n-gram confidence reaches ``ngram_sure`` their answer
    stands and the encoder is not called; elsewhere the fused answer; 1.0 fuses everything."""
    int8 = load_encoder("e5-small-int8", models_dir)
    model = train_doctype_model(small_records, holdout_family=3, encoder=int8)
    clf = model.classifier
    texts = [r["text"] for r in small_records if r["family"] == 3]
    heads = embed_heads(int8, texts)
    ngram = clf.predict_proba_ngrams(texts)
    clf.ngram_sure = 0.9
    sure = ngram.max(1) >= clf.ngram_sure
    assert 0 < sure.sum() < len(texts)  # both paths are exercised
    seen = []

    class Counting:
        name, version, dim = int8.name, int8.version, int8.dim

        def encode_documents(self, batch, progress=None):
            seen.extend(batch)
            return int8.encode_documents(batch)

    clf.encoder = Counting()
    proba = clf.predict_proba(texts)
    assert len(seen) == 2 * (~sure).sum()  # each unsure text's head and its title line
    np.testing.assert_array_equal(clf.embeds(texts), ~sure)
    np.testing.assert_allclose(proba[sure], ngram[sure])
    clf.ngram_sure = 1.01
    fused = clf.predict_proba(texts, heads)
    np.testing.assert_allclose(proba[~sure], fused[~sure], atol=1e-5)
    assert np.abs(fused[sure] - ngram[sure]).max() > 1e-3


def test_title_line_passes_over_debris_and_prefers_capitals():
    # OCR debris and an annex reference above the title: the title set in capitals is chosen
    scan = "a\u201d i,\n|\nПриложение к Договору купли-продажи от 21 января\nАКТ\nприёма-передачи автомобиля"
    assert title_line(scan) == "АКТ"
    assert title_line("ДОГОВОР № 2/31\nаренды квартиры") == "ДОГОВОР № 2/31"
    # no line in capitals: the first line with a word
    assert title_line("=:\nДоверенность на получение товара\nг. Томск") == "Доверенность на получение товара"
    # a line in capitals past the first five lines with words does not count
    late = "\n".join(["Строка текста"] * 5 + ["ЗАГОЛОВОК"])
    assert title_line(late) == "Строка текста"
    assert title_line("") == title_line("| 4 =") == ""


def test_fusion_weights_are_chosen_on_the_training_families_alone(models_dir, small_records, monkeypatch):
    """Leave-one-family-out over the training families picks the weights; the held-out family,
    and reviewers' corrections (family -1), are never the one left out."""
    import ingest.documents as documents
    from ingest.doctypes import FUSION_GRID, DocTypeClassifier, choose_fusion_weights

    int8 = load_encoder("e5-small-int8", models_dir)
    heads = embed_heads(int8, [r["text"] for r in small_records])
    left_out, fits = [], []
    fit = DocTypeClassifier.fit
    monkeypatch.setattr(
        DocTypeClassifier, "fit", lambda self, X, y, *a, **kw: fits.append(len(X)) or fit(self, X, y, *a, **kw)
    )

    def spy(params, texts, labels, embeddings, groups):
        left_out.append(sorted(set(groups)))
        before = len(fits)
        chosen = choose_fusion_weights(params, texts, labels, embeddings, groups)
        # one fit per family left out: 0, 1 and 2, each on the other two and the correction
        assert fits[before:] == [len(texts) - groups.count(g) for g in (0, 1, 2)]
        return chosen

    monkeypatch.setattr(documents, "choose_fusion_weights", spy)
    extra = [dict(small_records[0], family=-1)]
    model = train_doctype_model(
        small_records + extra, holdout_family=3, encoder=int8, embeddings=np.vstack([heads, heads[:1]])
    )
    assert left_out == [[-1, 0, 1, 2]]  # family 3 is not among them
    scores = model.meta["fusion_weights_macro_f1"]
    assert len(scores) == len(FUSION_GRID)
    chosen = model.meta["fusion_weights"]
    assert tuple(chosen) == model.classifier.fusion_weights_ and tuple(chosen) in FUSION_GRID
    assert scores["{}/{}".format(*chosen)] == max(scores.values())
    # without the choice, the constructor's weights
    plain = train_doctype_model(small_records, holdout_family=3, encoder=int8, embeddings=heads, choose_weights=False)
    assert plain.classifier.fusion_weights_ == (0.7, 0.5) and plain.meta["fusion_weights_macro_f1"] is None
