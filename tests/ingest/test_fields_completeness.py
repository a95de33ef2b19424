"""Field extraction on literal texts, and the completeness engine on hand-built documents: each
rule fires exactly where its predicate holds."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest.completeness import check_package
from ingest.fields import extract_fields
from ingest.types import Document


def doc(text: str, doc_type: str = "other", id: str = "d1", source: str = "pdf_text") -> Document:
    d = Document(id=id, file=f"{id}.pdf", files=[f"{id}.pdf"], pages=[1], doc_type=doc_type, text_source=source,
                 text=text)  # fmt: skip
    d.fields = extract_fields(d)
    return d


@pytest.mark.parametrize(
    ("text", "field", "value", "valid"),
    [
        ("ИНН 7707083893", "inn", "7707083893", True),
        ("ИНН: 7707083894", "inn", "7707083894", False),
        ("ОГРН 1027700132195", "ogrn", "1027700132195", True),
        ("ИНН/КПП 7707083893/773601001", "kpp", "773601001", True),
        ("БИК 044525225", "bik", "044525225", True),
        ("IMEI 490154203237518", "imei", "490154203237518", True),
        ("СНИЛС 112-233-445 95", "snils", "11223344595", True),
        ("паспорт серии 4512 № 123456", "passport", "4512 123456", True),
        ("Серия 45 12  № 123456", "passport", "4512 123456", True),
        ("тел. +7 (916) 123-45-67", "phone", "+79161234567", True),
        ("ИНН 77О7О83893", "inn", "7707083893", True),  # OCR read two zeros as the letter О
        ("Дата: «02» марта 2024 года", "date", "2024-03-02", None),
        ("стоимостью 54 990 руб.", "amount", 54990.0, None),
    ],
)
def test_field_table(text, field, value, valid):
    found = extract_fields(doc(text))[field][0]
    assert found.value == value
    assert found.valid is valid
    assert text[found.start : found.end] == found.raw or field == "passport"


def test_power_of_attorney_fields():
    d = doc(
        "ДОВЕРЕННОСТЬ № 123\nг. Москва, 01.02.2024\nООО «Вектор» уполномочивает Петрова Ивана Сергеевича "
        "представлять интересы Общества по вопросам переоформления прав на абонентские номера.\n"
        "Доверенность выдана сроком до 01.02.2025.\nГенеральный директор: ________________ /________________/",
        "power_of_attorney",
    )
    assert d.value("valid_until") == "2025-02-01"
    assert d.value("document_date") == "2024-02-01"
    assert d.value("authorises_number_transfer") is True
    assert d.value("signed_by_head") is False
    assert d.value("representative") == "Петрова Ивана Сергеевича"
    assert any(f.value == "ООО «Вектор»" for f in d.fields["organisation"])


def test_signatures_and_names_in_an_act():
    d = doc(
        "АКТ ПРИЁМА-ПЕРЕДАЧИ\nг. Москва, 10.05.2024\nООО «Альтаир» (ИНН 7707083893) и гражданин(ка) Тихонов "
        "Михаил Михайлович, паспорт серии 5716 № 370754, составили акт.\n"
        "От Общества: ________________ /Фролов И.В./\nНовый абонент: ________________ /________________/",
        "acceptance_act",
    )
    assert d.value("signed_by_company") is True
    assert d.value("signed_by_new_user") is False
    assert d.value("new_user") == "Тихонов Михаил Михайлович"
    assert d.value("passport") == "5716 370754"
    assert any(f.value == "Тихонов Михаил Михайлович" for f in d.fields["person"])


def _reregistration(**changes) -> list[Document]:
    texts = {
        "act": "АКТ\nг. Москва, 10.05.2024\nООО «Альтаир» (ИНН 7707083893) и гражданин(ка) Тихонов Михаил "
        "Михайлович, паспорт серии 5716 № 370754, составили акт.\nОт Общества: ____ /Фролов И.В./\n"
        "Новый абонент: ____ /Тихонов М.М./",
        "details": "КАРТОЧКА ПРЕДПРИЯТИЯ\nИНН: 7707083893\nКПП: 773601001\nОГРН: 1027700132195",
        "passport": "ПАСПОРТ\nДата выдачи: 01.06.2015 Код подразделения: 770-001\nСерия 57 16 № 370754\n"
        "Фамилия: ТИХОНОВ\nИмя: МИХАИЛ\nОтчество: МИХАЙЛОВИЧ\nДата рождения: 12.03.1990",
        "poa": "ДОВЕРЕННОСТЬ\nг. Москва, 01.02.2024\nООО «Альтаир» уполномочивает Фролова Игоря Викторовича по "
        "вопросам переоформления абонентских номеров.\nДоверенность выдана сроком до 01.02.2025.\n"
        "Генеральный директор: ____ /Сидоров А.А./",
    }
    texts.update(changes)
    types = {"act": "acceptance_act", "details": "company_details", "passport": "passport", "poa": "power_of_attorney"}
    return [doc(t, types[k], f"d{i}") for i, (k, t) in enumerate(texts.items()) if t]


@pytest.mark.parametrize(
    ("changes", "complete", "codes", "missing"),
    [
        ({}, True, set(), []),
        ({"passport": ""}, False, {"M1"}, ["passport"]),
        ({"poa": ""}, False, {"M1"}, ["power_of_attorney"]),
        ({"act": _reregistration()[0].text.replace("/Тихонов М.М./", "/______/")}, False, {"M2"}, []),
        # the act is dated 10.05.2024: a power of attorney valid until 01.04.2024 had expired
        ({"poa": _reregistration()[3].text.replace("01.02.2025", "01.04.2024")}, False, {"M3"}, []),
        (
            {"poa": _reregistration()[3].text.replace("переоформления абонентских номеров", "получения почты")},
            False,
            {"M3"},
            [],
        ),  # fmt: skip
        ({"act": _reregistration()[0].text.replace("Михайлович", "Михайловна")}, True, {"M4"}, []),
        ({"details": "КАРТОЧКА\nИНН: 7707083894\nКПП: 773601001\nОГРН: 1027700132195"}, True, {"M5"}, []),
        # born 1975, passport issued in 2015 at 40: at 49 it should have been replaced at 45
        ({"passport": _reregistration()[2].text.replace("12.03.1990", "12.03.1975")}, True, {"M6"}, []),
    ],
)
def test_reregistration_rules(changes, complete, codes, missing):
    report = check_package(_reregistration(**changes), "number_reregistration", today=dt.date(2024, 6, 1))
    assert report.complete is complete
    assert {p.code for p in report.problems} == codes
    assert report.missing_documents == missing
    assert all(p.message for p in report.problems)


@pytest.mark.parametrize(
    ("appeal", "with_response", "codes"),
    [
        (
            "Требую взыскать с финансовой организации 45 000 руб. Претензия направлена в финансовую организацию "
            "01.02.2024, ответ получен 20.02.2024.\nДата: 01.04.2024",
            True,
            set(),
        ),
        (
            "Требую взыскать с финансовой организации 745 000 руб. Претензия направлена в финансовую организацию "
            "01.02.2024, ответ получен 20.02.2024.\nДата: 01.04.2024",
            True,
            {"R3"},
        ),
        # claim sent 20 days before the appeal, no answer: the 30-day answer term has not run out
        (
            "Требую взыскать с финансовой организации 45 000 руб. Претензия направлена в финансовую организацию "
            "12.03.2024.\nДата: 01.04.2024",
            False,
            {"R1"},
        ),
        (
            "Требую взыскать 45 000 руб. В финансовую организацию с заявлением (претензией) я не обращался.\n"
            "Дата: 01.04.2024",
            False,
            {"R1", "M1"},
        ),
    ],
)
def test_ombudsman_rules(appeal, with_response, codes):
    docs = [doc("ОБРАЩЕНИЕ К ФИНАНСОВОМУ УПОЛНОМОЧЕННОМУ\n" + appeal, "appeal", "d1")]
    if "не обращался" not in appeal:
        docs.append(doc("ЗАЯВЛЕНИЕ (ПРЕТЕНЗИЯ)\nПрошу вернуть 45 000 руб.\nДата: 01.02.2024", "claim_letter", "d2"))
    docs.append(doc("ДОГОВОР № 1\nООО «Вектор» (ИНН 7707083893, ОГРН 1027700132195)", "contract", "d3"))
    if with_response:
        docs.append(doc("ОТВЕТ НА ОБРАЩЕНИЕ\nОтказано.", "fo_response", "d4"))
    report = check_package(docs, "ombudsman_appeal")
    assert {p.code for p in report.problems} == codes


def test_unknown_process():
    from ingest.completeness import UnknownProcess

    with pytest.raises(UnknownProcess):
        check_package([], "no_such_process")


def test_a_missing_document_points_at_the_document_that_may_be_it():
    """M1 stands (the verdict follows the types read) but names the document whose alternative
    types give the missing one the highest probability, so the reviewer knows where to look."""
    from ingest.types import TypeAlternative

    docs = _reregistration(poa="")
    report = check_package(docs, "number_reregistration", today=dt.date(2024, 6, 1))
    (m1,) = report.problems
    assert m1.document is None and "Возможно" not in m1.message
    # the power of attorney read as an acceptance act; two documents give it some chance
    poa = doc(_reregistration()[3].text, "acceptance_act", "d9")
    poa.doc_type_confidence = 0.52
    poa.doc_type_alternatives = [TypeAlternative(doc_type="power_of_attorney", probability=0.31)]
    docs[1].doc_type_alternatives = [TypeAlternative(doc_type="power_of_attorney", probability=0.18)]
    report = check_package([*docs, poa], "number_reregistration", today=dt.date(2024, 6, 1))
    (m1,) = [p for p in report.problems if p.code == "M1"]
    assert report.complete is False and report.missing_documents == ["power_of_attorney"]
    assert m1.document == "d9"
    assert "d9" in m1.message and "0.31" in m1.message and "акт приёма-передачи" in m1.message
    # an alternative of a type that is not missing points at nothing
    poa.doc_type_alternatives = [TypeAlternative(doc_type="passport", probability=0.4)]
    docs[1].doc_type_alternatives = []
    report = check_package([*docs, poa], "number_reregistration", today=dt.date(2024, 6, 1))
    (m1,) = [p for p in report.problems if p.code == "M1"]
    assert m1.document is None
