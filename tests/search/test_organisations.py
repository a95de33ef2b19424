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


def test_a_name_that_is_also_an_ordinary_word_counts_only_as_a_name():
    names = OrganisationNames(["ООО СК «Согласие»", "КПК «Доверие»", "ПАО Сбербанк", "АО «Макс»"])
    assert names.find("без моего согласия банк списал, я не давал согласие") == set()
    assert names.find("потерял доверие к банку") == set()
    assert names.find("Согласие отказало в выплате") == {"ООО СК «Согласие»"}
    assert names.find("страховая «согласие» тянет с выплатой") == {"ООО СК «Согласие»"}
    assert names.find("кооператив Доверие не отдаёт деньги") == {"КПК «Доверие»"}
    # Brand names the dictionary also knows as nouns keep matching in lower case.
    assert names.find("сбербанк заблокировал карту") == {"ПАО Сбербанк"}
    assert names.find("макс затянул выплату") == {"АО «Макс»"}


def test_any_hyphen_character_in_a_stored_name_folds_alike():
    assert aliases("ПАО «МТС\u2011Банк»") == aliases("ПАО «МТС-Банк»") == {"мтсбанк", "мтс банк"}
