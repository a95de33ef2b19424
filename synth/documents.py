"""The documents of a package, as text with ground-truth fields and signature slots."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from synth import identifiers as ids
from synth import lexicon as lx


@dataclass
class Signature:
    role: str  # who must sign: "head", "representative", "consumer", "company", "new_user"...
    name: str
    signed: bool

    def line(self) -> str:
        slot = f"/{self.name}/" if self.signed else "/________________/"
        return f"{self.role_label}: ________________ {slot}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


ROLE_LABELS = {
    "head": "Генеральный директор",
    "representative": "Представитель",
    "consumer": "Потребитель",
    "company": "От Общества",
    "new_user": "Новый абонент",
    "applicant": "Заявитель",
    "service": "Представитель сервисного центра",
    "cashier": "Кассир",
    "organisation": "Уполномоченное лицо",
}


@dataclass
class DocSpec:
    doc_type: str
    title: str
    lines: list[str]
    fields: dict
    signatures: list[Signature] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Exactly the text the PDF's text layer carries (ground truth for extraction and OCR)."""
        return "\n".join([self.title, *self.lines, *(s.line() for s in self.signatures)])


@dataclass
class Company:
    name: str
    inn: str
    kpp: str
    ogrn: str
    address: str
    bik: str
    account: str
    head: lx.Person


def company(rng: random.Random, kind: str = "shop") -> Company:
    inn = ids.inn_company(rng)
    b = ids.bik(rng)
    names = {
        "shop": lx.ORGANISATIONS["shop"],
        "corporate": [
            "ООО «Вектор»",
            "ООО «СтройТехМонтаж»",
            "АО «Северная логистика»",
            "ООО «Альтаир»",
            "ООО «ТрансСервис»",
            "ООО «Медиа Групп»",
            "ООО «Агрокомплекс Юг»",
            "ООО «ИнфоСофт»",
        ],
    }
    return Company(
        name=rng.choice(names.get(kind, names["corporate"])),
        inn=inn,
        kpp=ids.kpp(rng, inn),
        ogrn=ids.ogrn(rng),
        address=lx.address(rng).replace(", кв.", ", оф."),
        bik=b,
        account=ids.settlement_account(rng, b),
        head=lx.person(rng),
    )


def d(x: dt.date) -> str:
    return x.strftime("%d.%m.%Y")


def passport_doc(p: lx.Person, pas: dict, birth: dt.date, issued: dt.date, rng: random.Random) -> DocSpec:
    city = rng.choice(lx.CITIES)
    lines = [
        f"Паспорт выдан: ГУ МВД России по г. {city}",
        f"Дата выдачи: {d(issued)}    Код подразделения: {pas['unit_code']}",
        f"Серия {pas['series'][:2]} {pas['series'][2:]}  № {pas['number']}",
        f"Фамилия: {p.surname.upper()}",
        f"Имя: {p.first.upper()}",
        f"Отчество: {p.patronymic.upper()}",
        f"Пол: {'ЖЕН.' if p.female else 'МУЖ.'}    Дата рождения: {d(birth)}",
        f"Место рождения: г. {rng.choice(lx.CITIES)}",
    ]
    fields = {
        "full_name": p.full,
        "passport_series": pas["series"],
        "passport_number": pas["number"],
        "unit_code": pas["unit_code"],
        "issue_date": issued.isoformat(),
        "birth_date": birth.isoformat(),
    }
    return DocSpec("passport", "ПАСПОРТ ГРАЖДАНИНА РОССИЙСКОЙ ФЕДЕРАЦИИ", lines, fields)


def company_details_doc(c: Company) -> DocSpec:
    lines = [
        f"Полное наименование: {c.name}",
        f"ИНН: {c.inn}",
        f"КПП: {c.kpp}",
        f"ОГРН: {c.ogrn}",
        f"Юридический адрес: {c.address}",
        f"Расчётный счёт: {c.account}",
        f"БИК: {c.bik}",
        f"Генеральный директор: {c.head.full}",
    ]
    fields = {"name": c.name, "inn": c.inn, "kpp": c.kpp, "ogrn": c.ogrn, "bik": c.bik, "account": c.account}
    return DocSpec("company_details", "КАРТОЧКА ПРЕДПРИЯТИЯ", lines, fields)


def power_of_attorney_doc(
    c: Company,
    rep: lx.Person,
    rep_pas: dict,
    issued: dt.date,
    valid_until: dt.date,
    authority: bool,
    signed: bool,
) -> DocSpec:
    powers = (
        "представлять интересы Общества в ПАО «МТС» по вопросам переоформления (передачи) прав и обязанностей "
        "по договору об оказании услуг связи в отношении абонентских номеров на физических лиц"
        if authority
        else "получать корреспонденцию Общества и представлять Общество в отделениях почтовой связи"
    )
    lines = [
        f"г. Москва, {d(issued)}",
        f"{c.name} (ИНН {c.inn}, ОГРН {c.ogrn}), в лице генерального директора "
        f"{lx.inflect_name(c.head, 'gent')}, действующ{'ей' if c.head.female else 'его'} на основании Устава, "
        f"настоящей доверенностью уполномочивает {lx.inflect_name(rep, 'accs')}, паспорт серии {rep_pas['series']} № {rep_pas['number']}, {powers}.",
        f"Доверенность выдана без права передоверия сроком до {d(valid_until)}.",
    ]
    fields = {
        "principal": c.name,
        "principal_inn": c.inn,
        "representative": rep.full,
        "representative_passport": f"{rep_pas['series']} {rep_pas['number']}",
        "issue_date": issued.isoformat(),
        "valid_until": valid_until.isoformat(),
        "authorises_number_transfer": authority,
        "signed_by_head": signed,
    }
    return DocSpec(
        "power_of_attorney",
        "ДОВЕРЕННОСТЬ № " + str(rep_pas["number"][-3:]),
        lines,
        fields,
        [Signature("head", c.head.short, signed)],
    )


def acceptance_act_doc(
    c: Company,
    user: lx.Person,
    user_pas: dict,
    number: str,
    date: dt.date,
    company_signed: bool,
    user_signed: bool,
    signer: str,
) -> DocSpec:
    lines = [
        f"г. Москва, {d(date)}",
        f"{c.name} (ИНН {c.inn}), далее «Общество», и гражданин(ка) {user.full}, паспорт серии "
        f"{user_pas['series']} № {user_pas['number']}, далее «Новый абонент», составили настоящий акт о том, что "
        f"Общество передаёт, а Новый абонент принимает права и обязанности по договору об оказании услуг "
        f"связи в отношении абонентского номера {number}.",
        "Задолженность по лицевому счёту на дату передачи отсутствует.",
    ]
    fields = {
        "company": c.name,
        "company_inn": c.inn,
        "new_user": user.full,
        "new_user_passport": f"{user_pas['series']} {user_pas['number']}",
        "phone_number": number,
        "date": date.isoformat(),
        "signed_by_company": company_signed,
        "signed_by_new_user": user_signed,
    }
    return DocSpec(
        "acceptance_act",
        "АКТ ПРИЁМА-ПЕРЕДАЧИ ПРАВ И ОБЯЗАННОСТЕЙ ПО ДОГОВОРУ",
        lines,
        fields,
        [Signature("company", signer, company_signed), Signature("new_user", user.short, user_signed)],
    )


def appointment_order_doc(c: Company, date: dt.date) -> DocSpec:
    lines = [
        f"г. Москва, {d(date)}",
        f"На основании решения единственного участника {c.name} ПРИКАЗЫВАЮ:",
        f"1. Назначить на должность генерального директора {lx.inflect_name(c.head, 'accs')} с {d(date)}.",
        "2. Контроль за исполнением приказа оставляю за собой.",
    ]
    fields = {"company": c.name, "head": c.head.full, "date": date.isoformat()}
    return DocSpec(
        "appointment_order",
        "ПРИКАЗ № 1-к О ВСТУПЛЕНИИ В ДОЛЖНОСТЬ",
        lines,
        fields,
        [Signature("head", c.head.short, True)],
    )


def receipt_doc(shop: Company, model: str, imei_code: str, price: int, date: dt.date, rng: random.Random) -> DocSpec:
    lines = [
        shop.name,
        f"ИНН {shop.inn}",
        f"Кассовый чек № {rng.randint(1, 9999)}   {d(date)} {rng.randint(9, 21):02d}:{rng.randint(0, 59):02d}",
        "ПРИХОД",
        f"1. Смартфон {model}  1 x {price:.2f} = {price:.2f}",
        f"IMEI {imei_code}",
        f"ИТОГ ={price:.2f}",
        f"Безналичными ={price:.2f}",
        f"ФН {rng.randint(10**15, 10**16 - 1)}  ФД {rng.randint(1000, 99999)}  ФП {rng.randint(10**9, 10**10 - 1)}",
    ]
    fields = {
        "seller": shop.name,
        "seller_inn": shop.inn,
        "date": date.isoformat(),
        "amount": price,
        "item": model,
        "imei": imei_code,
    }
    return DocSpec("receipt", "КАССОВЫЙ ЧЕК", lines, fields)


def quality_check_act_doc(
    model: str,
    imei_code: str,
    date: dt.date,
    result: str,
    consumer: lx.Person,
    service_signed: bool,
    consumer_signed: bool,
    rng: random.Random,
) -> DocSpec:
    text = {
        "defect_confirmed": "заявленный недостаток подтверждён, недостаток носит производственный характер",
        "no_defect": "заявленный недостаток не выявлен, аппарат исправен",
        "consumer_fault": "выявлены следы попадания жидкости, нарушение правил эксплуатации",
    }[result]
    lines = [
        f"Дата проверки: {d(date)}",
        f"Изделие: смартфон {model}, IMEI {imei_code}",
        f"Владелец: {consumer.full}",
        f"Результат проверки: {text}.",
    ]
    fields = {
        "date": date.isoformat(),
        "result": result,
        "imei": imei_code,
        "signed_by_service": service_signed,
        "signed_by_consumer": consumer_signed,
    }
    return DocSpec(
        "quality_check_act",
        "АКТ ПРОВЕРКИ КАЧЕСТВА ТОВАРА № " + str(rng.randint(100, 999)),
        lines,
        fields,
        [
            Signature("service", lx.person(rng).short, service_signed),
            Signature("consumer", consumer.short, consumer_signed),
        ],
    )


def repair_document_doc(
    model: str, imei_code: str, handed: dt.date, returned: dt.date | None, defect: str, rng: random.Random
) -> DocSpec:
    lines = [
        f"Квитанция о приёме изделия в ремонт № {rng.randint(1000, 99999)}",
        f"Изделие: смартфон {model}, IMEI {imei_code}",
        f"Заявленная неисправность: {defect}",
        f"Дата приёма: {d(handed)}",
        f"Дата выдачи: {d(returned) if returned else 'не выдано'}",
        "Вид ремонта: гарантийный",
    ]
    fields = {
        "handed_over": handed.isoformat(),
        "returned": returned.isoformat() if returned else None,
        "defect": defect,
        "imei": imei_code,
    }
    return DocSpec("repair_document", "ЗАКАЗ-НАРЯД / АКТ ВЫПОЛНЕННЫХ РАБОТ", lines, fields)


def generic_doc(doc_type: str, title: str, body: str, fields: dict, signer: Signature | None = None) -> DocSpec:
    lines = [p for p in lx.tidy(body).split("\n") if p.strip()]
    return DocSpec(doc_type, title, lines, fields, [signer] if signer else [])
