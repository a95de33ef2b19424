"""Slot fillers from realistic lists: people, organisations, products, places, dates and money.

Every helper takes a ``random.Random`` so generation is deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

# fmt: off
MALE_FIRST = ["Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Максим", "Евгений", "Иван",
              "Михаил", "Николай", "Владимир", "Павел", "Олег", "Виктор", "Юрий", "Артём", "Игорь",
              "Роман", "Константин", "Василий", "Геннадий", "Тимур", "Руслан", "Фёдор"]
FEMALE_FIRST = ["Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Анна", "Мария",
                "Екатерина", "Юлия", "Людмила", "Галина", "Марина", "Валентина", "Надежда", "Оксана",
                "Дарья", "Виктория", "Алёна", "Зинаида", "Любовь", "Вера", "Ксения", "Полина"]
# Surname in the masculine form; the feminine form is derived (Иванов -> Иванова).
SURNAMES = ["Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов",
            "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
            "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
            "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов",
            "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв",
            "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв",
            "Белов", "Медведев", "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров",
            "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов",
            "Марков", "Миронов", "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов",
            "Гаврилов", "Тихонов", "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев"]
# Unchanging surnames, same for both genders.
SURNAMES_FIXED = ["Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Черных",
                  "Седых", "Долгих", "Гурьянц", "Ким"]
MALE_PATRONYMIC = ["Александрович", "Сергеевич", "Дмитриевич", "Андреевич", "Алексеевич",
                   "Викторович", "Иванович", "Михайлович", "Николаевич", "Владимирович", "Павлович",
                   "Олегович", "Юрьевич", "Игоревич", "Геннадьевич", "Петрович", "Васильевич"]
FEMALE_PATRONYMIC = [p[:-2] + "на" for p in MALE_PATRONYMIC]

CITIES = ["Москва", "Санкт-Петербург", "Новосибирск", "Екатеринбург", "Казань", "Нижний Новгород",
          "Челябинск", "Самара", "Омск", "Ростов-на-Дону", "Уфа", "Красноярск", "Воронеж", "Пермь",
          "Волгоград", "Краснодар", "Саратов", "Тюмень", "Тольятти", "Ижевск", "Барнаул",
          "Ульяновск", "Иркутск", "Хабаровск", "Ярославль", "Владивосток", "Томск", "Оренбург",
          "Кемерово", "Рязань", "Набережные Челны", "Пенза", "Липецк", "Тула", "Киров",
          "Чебоксары", "Калининград", "Брянск", "Курск", "Иваново", "Магнитогорск", "Тверь",
          "Ставрополь", "Белгород", "Архангельск", "Владимир", "Сочи", "Курган", "Смоленск"]
STREETS = ["ул. Ленина", "ул. Советская", "пр-т Мира", "ул. Гагарина", "ул. Пушкина",
           "ул. Кирова", "ул. Садовая", "ул. Молодёжная", "ул. Центральная", "ул. Школьная",
           "ул. Лесная", "пр-т Победы", "ул. Набережная", "ул. Заводская", "ул. Чехова",
           "ул. Комсомольская", "ул. Строителей", "бул. Энтузиастов", "ул. Полевая"]

ORGANISATIONS = {
    "bank": ["ПАО Сбербанк", "Банк ВТБ (ПАО)", "АО «Альфа-Банк»", "АО «ТБанк»", "Банк ГПБ (АО)",
             "АО «Россельхозбанк»", "ПАО «Совкомбанк»", "АО «Почта Банк»", "ООО «ХКФ Банк»",
             "АО «ОТП Банк»", "ПАО «МТС-Банк»", "КБ «Ренессанс Кредит» (ООО)",
             "ПАО Банк «ФК Открытие»", "ПАО «Промсвязьбанк»", "АО «Райффайзенбанк»",
             "ПАО «Банк Уралсиб»", "АО «Банк Русский Стандарт»", "ПАО «Московский кредитный банк»"],
    "insurer": ["ПАО СК «Росгосстрах»", "СПАО «Ингосстрах»", "САО «РЕСО-Гарантия»",
                "АО «АльфаСтрахование»", "АО «СОГАЗ»", "САО «ВСК»", "ООО СК «Согласие»",
                "ПАО «Группа Ренессанс Страхование»", "ООО СК «Сбербанк страхование»",
                "АО «Тинькофф Страхование»", "АО «Совкомбанк страхование»", "ООО «Зетта Страхование»",
                "АО «Макс»", "ПАО «САК «Энергогарант»"],
    "life_insurer": ["ООО СК «Сбербанк страхование жизни»", "ООО «АльфаСтрахование-Жизнь»",
                     "ООО СК «Ренессанс Жизнь»", "ООО «СК «Росгосстрах Жизнь»»",
                     "ООО «Страховая компания «СОГАЗ-ЖИЗНЬ»»", "ООО СК «ВТБ Страхование»",
                     "ООО «Ингосстрах-Жизнь»", "ООО «СК «Согласие-Вита»»"],
    "mfo": ["ООО МФК «Займер»", "ООО МФК «Мани Мен»", "ООО МКК «Турбозайм»", "ООО МФК «Екапуста»",
            "ООО МФК «Вэббанкир»", "ООО МКК «Кредиска»", "ООО МФК «Лайм-Займ»",
            "ООО МКК «Русинтерфинанс»", "ООО МФК «Мигкредит»", "ООО МКК «Срочноденьги»"],
    "pawnshop": ["ООО «Ломбард Мастер»", "ООО «Ломбард Золотой Стандарт»", "ООО «Ломбард Ваш»",
                 "ООО «Ломбард Надёжный»", "ООО «Ломбард 585»", "ООО «Ломбард Кристалл»"],
    "cooperative": ["КПК «Народный кредит»", "КПК «Содействие»", "КПК «Честь»",
                    "КПК «Семейный капитал»", "КПК «Доверие»", "СКПК «Сельский кредит»"],
    "pension_fund": ["АО «НПФ Сбербанка»", "АО «НПФ «Будущее»»", "АО «НПФ ГАЗФОНД»",
                     "АО «НПФ «Открытие»»", "АО «НПФ «Эволюция»»", "АО «НПФ ВТБ Пенсионный фонд»"],
    "operator": ["ПАО «МТС»", "ПАО «ВымпелКом» (Билайн)", "ПАО «МегаФон»", "ООО «Т2 Мобайл»",
                 "ПАО «Ростелеком»", "ООО «Скартел» (Yota)", "АО «Тинькофф Мобайл»",
                 "ООО «Сбербанк-Телеком» (СберМобайл)"],
    "shop": ["ООО «МВМ» (М.Видео)", "ООО «ДНС Ритейл»", "ООО «Эльдорадо»", "ООО «Сеть Связной»",
             "ООО «Ре Трэйдинг» (re:Store)", "ООО «Интернет Решения» (Ozon)",
             "ООО «Вайлдберриз»", "ООО «Яндекс Маркет»", "ООО «Ситилинк»", "ИП Хачатрян А.С.",
             "ООО «Билайн Ритейл»", "ООО «Цифровой мир»"],
}
ORG_SHORT = {
    "ПАО Сбербанк": "Сбербанк", "Банк ВТБ (ПАО)": "ВТБ", "АО «Альфа-Банк»": "Альфа-Банк",
    "АО «ТБанк»": "Т-Банк", "ПАО «МТС»": "МТС", "ПАО «ВымпелКом» (Билайн)": "Билайн",
    "ПАО «МегаФон»": "Мегафон", "ООО «Т2 Мобайл»": "Теле2", "ООО «МВМ» (М.Видео)": "М.Видео",
    "ООО «ДНС Ритейл»": "ДНС",
}

PHONES = ["Apple iPhone 13 128 ГБ", "Apple iPhone 14 Pro 256 ГБ", "Apple iPhone 15 128 ГБ",
          "Samsung Galaxy A54 8/256 ГБ", "Samsung Galaxy S23 8/256 ГБ", "Samsung Galaxy A34",
          "Xiaomi Redmi Note 12 Pro", "Xiaomi 13T 12/256 ГБ", "POCO X5 Pro", "realme 11 Pro+",
          "HONOR 90 12/512 ГБ", "HUAWEI nova 11i", "Tecno Spark 20 Pro", "Infinix Note 30",
          "Google Pixel 7", "Samsung Galaxy Z Flip5", "Xiaomi Redmi 12C", "HONOR X8b"]
PHONE_PRICES = {"Apple": (69_990, 139_990), "Samsung": (24_990, 119_990), "default": (9_990, 59_990)}
DEFECTS = ["не включается", "самопроизвольно перезагружается", "не работает микрофон",
           "не заряжается", "пропадает сеть", "не работает сенсор в нижней части экрана",
           "сильно нагревается и выключается", "не работает камера", "появились полосы на экране",
           "не видит SIM-карту", "быстро разряжается аккумулятор", "не работает динамик",
           "не распознаётся отпечаток пальца", "не работает Wi-Fi"]
CAR_MODELS = ["Kia Rio", "Hyundai Solaris", "Lada Vesta", "Toyota Camry", "Volkswagen Polo",
              "Skoda Octavia", "Renault Logan", "Haval Jolion", "Chery Tiggo 7 Pro",
              "Geely Coolray", "Lada Granta", "Nissan Qashqai", "Mazda CX-5"]

MONTHS_GEN = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
              "сентября", "октября", "ноября", "декабря"]
# fmt: on


@dataclass(frozen=True)
class Person:
    surname: str
    first: str
    patronymic: str
    female: bool

    @property
    def full(self) -> str:
        return f"{self.surname} {self.first} {self.patronymic}"

    @property
    def short(self) -> str:
        return f"{self.surname} {self.first[0]}.{self.patronymic[0]}."


def person(rng: random.Random) -> Person:
    female = rng.random() < 0.5
    if rng.random() < 0.1:
        surname = rng.choice(SURNAMES_FIXED)
    else:
        surname = rng.choice(SURNAMES)
        if female:
            surname += "а"
    if female:
        return Person(surname, rng.choice(FEMALE_FIRST), rng.choice(FEMALE_PATRONYMIC), True)
    return Person(surname, rng.choice(MALE_FIRST), rng.choice(MALE_PATRONYMIC), False)


def organisation(rng: random.Random, kind: str) -> str:
    return rng.choice(ORGANISATIONS[kind])


def short_org(name: str) -> str:
    """How people name an organisation in speech: "ВТБ" for "Банк ВТБ (ПАО)"."""
    if name in ORG_SHORT:
        return ORG_SHORT[name]
    if "«" in name:
        inner = name[name.index("«") + 1 : name.rindex("»")]
        return inner.split("«")[-1].strip("» ")
    return name


def address(rng: random.Random, city: str | None = None) -> str:
    city = city or rng.choice(CITIES)
    return f"г. {city}, {rng.choice(STREETS)}, д. {rng.randint(1, 120)}, кв. {rng.randint(1, 300)}"


def date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def format_date(d: dt.date, rng: random.Random) -> str:
    """One of the ways Russians write a date."""
    style = rng.randint(0, 5)
    if style == 0:
        return d.strftime("%d.%m.%Y")
    if style == 1:
        return f"{d.day} {MONTHS_GEN[d.month - 1]} {d.year} г."
    if style == 2:
        return f"«{d.day:02d}» {MONTHS_GEN[d.month - 1]} {d.year} года"
    if style == 3:
        return d.strftime("%d.%m.%y")
    if style == 4:
        return f"{d.day} {MONTHS_GEN[d.month - 1]}"
    return d.strftime("%d.%m.%Y г.")


def money(amount: float, rng: random.Random) -> str:
    """An amount as people write it: "54 990 руб.", "54990 рублей", "54 990,00 ₽", "55 тыс."."""
    whole = int(round(amount))
    grouped = f"{whole:,}".replace(",", " ")
    style = rng.randint(0, 5)
    if style == 0:
        return f"{grouped} руб."
    if style == 1:
        return f"{whole} рублей"
    if style == 2:
        return f"{grouped},{int(round((amount - int(amount)) * 100)):02d} руб."
    if style == 3:
        return f"{grouped} ₽"
    if style == 4 and whole >= 10_000:
        return f"{round(whole / 1000)} тыс. руб."
    return f"{grouped} рублей"


def phone_number(rng: random.Random) -> str:
    digits = f"9{rng.randint(0, 99):02d}{rng.randint(0, 9999999):07d}"
    style = rng.randint(0, 2)
    if style == 0:
        return f"+7 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
    if style == 1:
        return f"8{digits}"
    return f"+7{digits}"


def phone_model_price(rng: random.Random) -> tuple[str, int]:
    model = rng.choice(PHONES)
    lo, hi = PHONE_PRICES.get(model.split()[0], PHONE_PRICES["default"])
    return model, rng.randrange(lo, hi, 1000) - 10


_DOUBLE_DOT = re.compile(r"(?<!\.)\.\.(?!\.)")


def tidy(text: str) -> str:
    """Mend what slot filling leaves behind: "руб." + "." -> "руб."."""
    return _DOUBLE_DOT.sub(".", text)


_NAME_TAGS = ("Surn", "Name", "Patr")


def inflect_name(p: Person, case: str) -> str:
    """The full name in a grammatical case ("gent", "accs", "datv"...), as documents write it:
    "в лице директора Ильиной Валентины Васильевны". Unknown words stay as they are."""
    from models.text import morph_analyzer

    gender = "femn" if p.female else "masc"
    out = []
    for word, tag in zip((p.surname, p.first, p.patronymic), _NAME_TAGS, strict=True):
        form = word
        for parse in morph_analyzer().parse(word):
            if tag in parse.tag and (parse.tag.gender in (gender, None) or tag == "Surn"):
                inflected = parse.inflect({case, gender} if tag == "Surn" else {case})
                if inflected:
                    form = inflected.word
                    form = form[:1].upper() + form[1:]
                break
        out.append(form)
    return " ".join(out)
