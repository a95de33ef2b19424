"""Every shipped encoder, loaded from its real weights, behaves as the interface promises."""

from __future__ import annotations

import numpy as np
import pytest

from models.encoders import ConcatEncoder, SentenceTransformerEncoder, load_encoder
from models.registry import ArtifactError

# An appeal, a paraphrase with few shared words, and an unrelated text of similar length.
CASES = [
    (
        "Банк не возвращает деньги за страховку после того, как я досрочно погасил кредит.",
        "После досрочного погашения займа кредитная организация отказалась вернуть плату "
        "за подключение к программе страхования.",
        "Во дворе нашего дома уже вторую неделю не вывозят мусор, контейнеры переполнены.",
    ),
    (
        "Телефон сломался через неделю после покупки, магазин отказывается вернуть деньги.",
        "Смартфон перестал работать спустя семь дней с момента приобретения, продавец не возвращает оплату.",
        "Прошу разъяснить порядок начисления процентов по вкладу при досрочном расторжении.",
    ),
]


@pytest.fixture(params=["e5", "use_encoder", "navec_encoder", "concat_encoder"])
def encoder(request):
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("query, paraphrase, unrelated", CASES)
def test_paraphrase_ranks_above_unrelated(encoder, query, paraphrase, unrelated):
    q = encoder.encode_queries([query])
    d = encoder.encode_documents([paraphrase, unrelated])
    sims = d @ q[0]
    assert sims[0] > sims[1], (encoder.name, sims)


def test_interface_contract(encoder):
    texts = ["Первый текст обращения.", "Второй, подлиннее: банк списал комиссию без согласия."]
    both = encoder.encode_documents(texts)
    assert both.dtype == np.float32 and both.shape == (2, encoder.dim)
    np.testing.assert_allclose(np.linalg.norm(both, axis=1), 1.0, rtol=1e-5)
    # Batching and length-sorting must not reorder the results.
    one = encoder.encode_documents([texts[1]])
    np.testing.assert_allclose(both[1], one[0], atol=1e-5)
    assert encoder.encode_queries([]).shape == (0, encoder.dim)
    with pytest.raises(TypeError):
        encoder.encode_queries("одна строка вместо списка")


def test_e5_queries_and_documents_use_different_prompts(e5):
    text = ["Прошу вернуть деньги за некачественный товар."]
    assert float(e5.encode_queries(text)[0] @ e5.encode_documents(text)[0]) < 0.999


def test_local_sentence_transformers_folder_by_path(models_dir, e5):
    """Any sentence-transformers folder loads by path (here: the converted e5 itself)."""
    enc = load_encoder(str(models_dir / "e5-small"), models_dir)
    assert isinstance(enc, SentenceTransformerEncoder) and enc.dim == 384
    text = ["Оператор списал деньги за подписку."]
    np.testing.assert_allclose(enc.encode_queries(text), e5.encode_queries(text), atol=1e-5)


def test_unknown_encoder_and_unprepared_model_are_clear_errors(tmp_path):
    with pytest.raises(ArtifactError, match="unknown encoder"):
        load_encoder("no-such-encoder", tmp_path)
    with pytest.raises(ArtifactError, match="claims models prepare"):
        load_encoder("e5-small", tmp_path)
    (tmp_path / "not-a-model").mkdir()
    with pytest.raises(ArtifactError, match="modules.json"):
        load_encoder(str(tmp_path / "not-a-model"), tmp_path)


def test_navec_text_without_known_words_gives_a_zero_vector(navec_encoder):
    out = navec_encoder.encode_documents(["", "§§§ ###"])
    assert np.all(out == 0.0)


def test_joined_names_give_each_encoder_an_equal_share(concat_encoder, e5, navec_encoder, models_dir):
    """ "a+b" is the parts' unit vectors side by side, each scaled by 1/sqrt(2); a bad list is a clear error."""
    assert isinstance(concat_encoder, ConcatEncoder) and concat_encoder.name == "e5-small+navec"
    assert concat_encoder.dim == e5.dim + navec_encoder.dim and e5.version in concat_encoder.version
    texts = ["Оператор списал деньги за подписку.", "Страховая не доплатила по ОСАГО после аварии."]
    both = concat_encoder.encode_queries(texts)
    np.testing.assert_allclose(both[:, : e5.dim], e5.encode_queries(texts) / np.sqrt(2), atol=1e-5)
    np.testing.assert_allclose(both[:, e5.dim :], navec_encoder.encode_queries(texts) / np.sqrt(2), atol=1e-5)
    for bad in ("e5-small+no-such-encoder", "navec+", "+navec"):
        with pytest.raises(ArtifactError, match="join two or more"):
            load_encoder(bad, models_dir)
