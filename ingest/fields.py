"""Fields of a document: identifiers with their checks, dates, amounts, names, organisations,
addresses, and the fields particular to a document type (a power of attorney's term and
authority, an act's signatures, a repair's dates). Each field keeps its raw text, normalised
value, confidence, page and character span.

Extractors are small named patterns collected in tables, the engine that runs them is separate."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from collections.abc import Callable

from ingest import identifiers as idc
from ingest.types import Document, ExtractedField
from ingest.values import DATE_RE, MONEY_RE, find_dates, parse_money

# Digits as OCR sometimes reads them inside a number: letters that look like digits.
_DIGIT_LOOKALIKES = str.maketrans({"О": "0", "O": "0", "о": "0", "o": "0", "З": "3", "б": "6", "l": "1", "I": "1"})
_D = r"[\dОOоoЗбlI]"  # a digit or a look-alike, inside a labelled number only


def _num(n: int, sep: str = r"[ \u00a0]?") -> str:
    return "(" + sep.join([_D] * n) + ")"


# name -> (pattern with one group for the value, checker or None, normaliser)
IDENTIFIERS: dict[str, tuple[re.Pattern, Callable[[str], bool] | None]] = {
    "inn": (re.compile(r"ИНН(?:/КПП)?\s*[:№]?\s*(" + _D + r"{12}|" + _D + r"{10})(?!\d)"), idc.inn_valid),
    "ogrn": (re.compile(r"ОГРН(?:ИП)?\s*[:№]?\s*(" + _D + r"{15}|" + _D + r"{13})(?!\d)"), idc.ogrn_valid),
    "kpp": (re.compile(r"(?:КПП\s*[:№]?\s*|ИНН/КПП\s*\d{10}\s*/\s*)([0-9A-ZА-Я]{9})(?![0-9A-Z])"), idc.kpp_valid),
    "bik": (re.compile(r"БИК\s*[:№]?\s*(" + _D + r"{9})(?!\d)"), idc.bik_valid),
    "account": (
        re.compile(r"(?:[Рр]асч[её]тный\s+сч[её]т|[Рр]/с(?:ч)?|[Сс]ч[её]т)\s*[:№]?\s*(" + _D + r"{20})(?!\d)"),
        None,  # checked against the БИК of the same document, below
    ),
    "snils": (re.compile(r"СНИЛС\s*[:№]?\s*(\d{3}-\d{3}-\d{3}[ -]\d{2}|\d{11})"), idc.snils_valid),
    "imei": (re.compile(r"IMEI\s*[:№]?\s*(" + _D + r"{15})(?!\d)", re.IGNORECASE), idc.imei_valid),
    "unit_code": (re.compile(r"[Кк]од\s+подразделения\s*[:№]?\s*(\d{3}-\d{3})"), idc.unit_code_valid),
}
PASSPORT_RE = re.compile(
    r"(?:[Пп]аспорт[а-я]*|ПАСПОРТ)[^\n\d]{0,40}?(?:[Сс]ерии|[Сс]ерия|СЕРИЯ)?\s*(\d{2}\s?\d{2})\s*(?:№|N|номер)?\s*(\d{6})"
    r"|[Сс]ерия\s+(\d{2}\s?\d{2})\s*(?:№|N|номер)\s*(\d{6})"
)
PHONE_RE = re.compile(r"(?<!\d)(?:\+7|8)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}(?!\d)")
ORG_RE = re.compile(
    r"\b(?:ООО|АО|ПАО|ЗАО|ОАО|НАО|АНО|ИП|СПАО|САО|ООО МФК|ООО МКК)\s+«[^»\n]{2,60}»(?:\s*\([^)\n]{1,30}\))?"
)
ADDRESS_RE = re.compile(r"(?:[Аа]дрес[а-я ]*|Зарегистрирован)\s*:\s*([^\n]{10,160})")
NAME_WORD = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
FULL_NAME = rf"({NAME_WORD}\s+{NAME_WORD}\s+{NAME_WORD})"

# Signature lines: "<role label>: ______ /Фамилия И.О./"; signed when a name stands in the slot.
SIGNATURE_ROLES = {
    "Генеральный директор": "head",
    "Представитель сервисного центра": "service",
    "Представитель": "representative",
    "Потребитель": "consumer",
    "От Общества": "company",
    "Новый абонент": "new_user",
    "Заявитель": "applicant",
    "Уполномоченное лицо": "organisation",
}
_SIGNATURE_RE = re.compile(
    r"^\s*(" + "|".join(sorted(map(re.escape, SIGNATURE_ROLES), key=len, reverse=True)) + r")\s*:(.*)$", re.MULTILINE
)
# A name or initials in the slot ("Фролов И.В.", or "И.В./" when a signature stroke hid the surname).
# OCR may cut the surname ("врилова") or read З as 3 in the initials.
_NAME_IN_SLOT = re.compile(r"[А-ЯЁа-яёA-Za-z]{3,}|[А-ЯЁ3]\.\s?[А-ЯЁ3]\.")


class _Fields:
    """Collects fields of one document, with the page of each span."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.out: dict[str, list[ExtractedField]] = {}

    def page_of(self, pos: int) -> int | None:
        if not self.doc.page_offsets:
            return self.doc.pages[0] if self.doc.pages else None
        i = bisect.bisect_right(self.doc.page_offsets, pos) - 1
        return self.doc.pages[max(i, 0)] if i < len(self.doc.pages) else None

    def add(self, name: str, raw: str, value, start: int, end: int, valid=None, confidence: float = 1.0) -> None:
        values = self.out.setdefault(name, [])
        if any(f.start == start and f.value == value for f in values):
            return
        values.append(
            ExtractedField(
                raw=raw,
                value=value,
                start=start,
                end=end,
                page=self.page_of(start),
                valid=valid,
                confidence=confidence,
            )
        )


def _confidence(doc: Document) -> float:
    """A field read by OCR is as sure as the page's OCR; a text layer is exact."""
    if doc.ocr_confidence is None:
        return 1.0
    return round(min(1.0, doc.ocr_confidence / 100), 3)


def _identifiers(f: _Fields, text: str, conf: float) -> None:
    for name, (pattern, check) in IDENTIFIERS.items():
        for m in pattern.finditer(text):
            raw = m.group(1)
            value = raw.translate(_DIGIT_LOOKALIKES).replace(" ", "").replace("\u00a0", "")
            if name == "snils":
                value = idc.digits_only(value)
            f.add(name, raw, value, m.start(1), m.end(1), check(value) if check else None, conf)
    bik = f.out.get("bik", [None])[0]
    for acc in f.out.get("account", []):
        acc.valid = idc.account_valid(acc.value, bik.value) if bik else None
    for m in PASSPORT_RE.finditer(text):
        series = idc.digits_only(m.group(1) or m.group(3))
        number = m.group(2) or m.group(4)
        f.add(
            "passport",
            m.group(0),
            f"{series} {number}",
            m.start(),
            m.end(),
            idc.passport_valid(series, number),
            conf,
        )
    for m in PHONE_RE.finditer(text):
        phone = idc.normalise_phone(m.group(0))
        if phone:
            f.add("phone", m.group(0), phone, m.start(), m.end(), True, conf)


def _dates_and_money(f: _Fields, text: str, conf: float) -> None:
    for d in find_dates(text):
        f.add("date", text[d.start : d.end], d.value.isoformat(), d.start, d.end, None, conf)
    for m in MONEY_RE.finditer(text):
        found = parse_money(m.group(0))
        if found:
            f.add("amount", m.group(0), found.value, m.start(), m.end(), None, conf)


@functools.cache
def natasha_models():
    """natasha's segmenter, NER tagger and morphology, loaded once per process (about 1.5 s: the
    service loads them at start so that its first package does not pay for it)."""
    from natasha import MorphVocab, NewsEmbedding, NewsNERTagger, Segmenter

    return Segmenter(), NewsNERTagger(NewsEmbedding()), MorphVocab()


def _names(f: _Fields, text: str, conf: float) -> None:
    """Persons (natasha NER, normalised to the nominative), organisations and addresses."""
    from natasha import Doc

    segmenter, tagger, vocab = natasha_models()
    doc = Doc(text[:20000])
    doc.segment(segmenter)
    doc.tag_ner(tagger)
    for span in doc.spans:
        if span.type == "PER" and len(span.text.split()) >= 2:
            span.normalize(vocab)
            f.add("person", span.text, span.normal, span.start, span.stop, None, round(conf * 0.9, 3))
    for m in ORG_RE.finditer(text):
        f.add("organisation", m.group(0), m.group(0), m.start(), m.end(), None, conf)
    for m in ADDRESS_RE.finditer(text):
        f.add("address", m.group(1), m.group(1).strip(" .,"), m.start(1), m.end(1), None, conf)


def _labelled_date(f: _Fields, text: str, name: str, label: str, conf: float) -> None:
    """The first date after ``label`` (a regular expression) within 60 characters."""
    for m in re.finditer(label, text, re.IGNORECASE | re.MULTILINE):
        window = text[m.end() : m.end() + 60]
        d = find_dates(window)
        if d and d[0].start < 25:
            start = m.end() + d[0].start
            f.add(name, text[start : m.end() + d[0].end], d[0].value.isoformat(), start, m.end() + d[0].end, None, conf)
            return


def _signatures(f: _Fields, text: str, conf: float) -> None:
    for m in _SIGNATURE_RE.finditer(text):
        role = SIGNATURE_ROLES[m.group(1)]
        signed = bool(_NAME_IN_SLOT.search(m.group(2)))
        f.add(f"signed_by_{role}", m.group(0).strip(), signed, m.start(), m.end(), None, conf)


def _first_name_after(f: _Fields, text: str, name: str, label: str, conf: float) -> None:
    m = re.search(label + r"\s*[:,]?\s*" + FULL_NAME, text)
    if m:
        f.add(name, m.group(1), " ".join(m.group(1).split()), m.start(1), m.end(1), None, conf)


def _passport_name(f: _Fields, text: str, conf: float) -> None:
    parts = {}
    for label in ("Фамилия", "Имя", "Отчество"):
        m = re.search(label + r"\s*:?\s*([А-ЯЁA-Z][А-ЯЁA-Zа-яё-]+)", text)
        if m:
            parts[label] = m
    if len(parts) == 3:
        full = " ".join(parts[k].group(1).capitalize() for k in ("Фамилия", "Имя", "Отчество"))
        start, end = min(m.start(1) for m in parts.values()), max(m.end(1) for m in parts.values())
        f.add("full_name", full, full, start, end, None, conf)


_AUTHORITY_TRANSFER = re.compile(
    r"переоформлени|передач[аиеу][^.]{0,80}(?:прав|номер)|переуступк|при подписании актов", re.IGNORECASE
)
_QUALITY_RESULTS = (
    ("consumer_fault", re.compile(r"жидкост|влаг|нарушени[ея] правил эксплуатации|механическ", re.IGNORECASE)),
    ("no_defect", re.compile(r"не выявлен|исправен|не подтвержд", re.IGNORECASE)),
    ("defect_confirmed", re.compile(r"подтвержд[её]н|производственн", re.IGNORECASE)),
)


def _type_specific(f: _Fields, doc: Document, text: str, conf: float) -> None:
    t = doc.doc_type
    _labelled_date(f, text, "document_date", r"^(?:г\.\s*[А-ЯЁ][^,\n]*,\s*|Дата\s*:?\s*)", conf)
    if t == "power_of_attorney":
        _labelled_date(f, text, "valid_until", r"(?:действительна|сроком|срок действия|действует)\s+(?:до|по)", conf)
        f.add(
            "authorises_number_transfer",
            "",
            bool(_AUTHORITY_TRANSFER.search(text)),
            0,
            0,
            None,
            conf,
        )
        _first_name_after(f, text, "representative", r"уполномочива\w+", conf)
    elif t == "acceptance_act":
        _first_name_after(f, text, "new_user", r"(?:гражданин(?:\(ка\))?|гражданка|Новый абонент)", conf)
    elif t == "passport":
        _passport_name(f, text, conf)
        _labelled_date(f, text, "issue_date", r"Дата выдачи\s*:?", conf)
        _labelled_date(f, text, "birth_date", r"Дата рождения\s*:?", conf)
    elif t == "repair_document":
        _labelled_date(f, text, "handed_over", r"Дата при[её]ма\s*:?", conf)
        _labelled_date(f, text, "returned", r"Дата выдачи\s*:?", conf)
    elif t == "quality_check_act":
        for result, pattern in _QUALITY_RESULTS:
            m = pattern.search(text)
            if m:
                f.add("result", m.group(0), result, m.start(), m.end(), None, conf)
                break
    elif t == "receipt":
        m = re.search(r"ИТОГ\s*=?\s*([\d ]+[.,]\d{2})", text)
        if m:
            f.add("total", m.group(1), float(m.group(1).replace(" ", "").replace(",", ".")), m.start(1), m.end(1))
    elif t in ("appeal", "claim_letter"):
        m = re.search(r"(?:взыскать|вернуть|возвратить)[^.\n]{0,80}?(" + MONEY_RE.pattern + ")", text, re.IGNORECASE)
        if m:
            money = parse_money(m.group(1))
            if money:
                f.add("amount_claimed", m.group(1), money.value, m.start(1), m.end(1), None, conf)
        _labelled_date(f, text, "prior_claim_date", r"[Пп]ретензия направлена[^.\n\d]{0,40}", conf)
        if re.search(r"не обращал(?:ся|ась)|претензи[юя] не направлял", text):
            f.add("no_prior_claim", "", True, 0, 0, None, conf)
        if re.search(r"по доверенности|представител", text):
            f.add("representative_files", "", True, 0, 0, None, conf)


def extract_fields(doc: Document) -> dict[str, list[ExtractedField]]:
    """Every field of ``doc`` (its ``doc_type`` must be set for the type-specific ones)."""
    text = doc.text
    conf = _confidence(doc)
    f = _Fields(doc)
    _identifiers(f, text, conf)
    _dates_and_money(f, text, conf)
    _names(f, text, conf)
    _signatures(f, text, conf)
    _type_specific(f, doc, text, conf)
    return f.out


def parse_iso(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


__all__ = ["extract_fields", "parse_iso", "DATE_RE"]
