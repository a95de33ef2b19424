from search.organisations import OrganisationNames, aliases

NAMES = ["АО «ТБанк»", "АО «Альфа-Банк»", "Банк ВТБ (ПАО)", "ПАО «САК «Энергогарант»", "ООО СК «Согласие»"]


def test_aliases_drop_legal_forms_and_fold_hyphens():
    assert aliases("Банк ВТБ (ПАО)") == {"банк втб", "втб"}
    assert aliases("АО «Альфа-Банк»") == {"альфабанк", "альфа банк"}
    assert "энергогарант" in aliases("ПАО «САК «Энергогарант»")


def test_a_name_is_found_whether_written_with_a_hyphen_a_space_or_neither():
    names = OrganisationNames(NAMES)
    assert names.find("Т-Банк: заблокировали карту") == {"АО «ТБанк»"}
    assert names.find("жалоба на тбанк") == {"АО «ТБанк»"}
    assert names.find("альфа банк не вернул комиссию") == {"АО «Альфа-Банк»"}
    assert names.find("Альфа-Банк не вернул комиссию") == {"АО «Альфа-Банк»"}
    assert names.find("ВТБ и Энергогарант") == {"Банк ВТБ (ПАО)", "ПАО «САК «Энергогарант»"}


def test_only_whole_words_match():
    names = OrganisationNames(NAMES)
    assert names.find("пт-банкет в ресторане") == set()
    assert names.find("втбшный офис") == set()
    assert OrganisationNames([]).find("ВТБ") == set()
