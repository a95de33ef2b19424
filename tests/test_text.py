from __future__ import annotations

import pytest

from models.text import lemmas, normalise, tokens


@pytest.mark.parametrize(
    "text, expected",
    [
        ("  ЁЛКА\tи   Ёж ", "елка и еж"),
        ("ＦＵＬＬ ２０２４", "full 2024"),
        ("Сумма: 1 000,50 руб.", "сумма: 1 000,50 руб."),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


def test_tokens_keep_numbers_and_hyphenated_words():
    assert tokens("Кредит-ное дело № 12,5%: ок!") == ["кредит-ное", "дело", "12,5", "ок"]


@pytest.mark.parametrize("form", ["выплаты", "выплату", "выплатой", "Выплатами"])
def test_inflected_forms_share_a_lemma(form):
    assert lemmas(form) == ["выплата"]


def test_lemmas_drop_function_words_but_keep_negation():
    assert lemmas("Я не согласен с отказом в выплате") == ["не", "согласный", "отказ", "выплата"]
    assert "в" in lemmas("в выплате", drop_stopwords=False)
