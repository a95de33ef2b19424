"""Read refund facts from a consumer's letter: Russian dates (numeric, with month names, without a
year, relative to the purchase), money, the sales channel, the defect, repairs, the warranty,
quality-check and expertise results; every fact keeps the span it was read from."""

from __future__ import annotations

import datetime as dt
import re

from classify.refund.facts import ACCOUNT_MAX_CHARS, RefundFacts, Repair, Span
from ingest.values import Found, find_dates, parse_money

NUMBER_WORDS = {
    "один": 1,
    "одну": 1,
    "два": 2,
    "две": 2,
    "три": 3,
    "четыре": 4,
    "пять": 5,
    "шесть": 6,
    "семь": 7,
    "десять": 10,
    "пару": 2,
}
RELATIVE_RE = re.compile(
    r"(?P<next>на следующий день)|(?:через|спустя)\s+(?:(?P<n>\d+|" + "|".join(NUMBER_WORDS) + r")\s+)?"
    r"(?P<unit>дн[яейь]+|день|недел[юиь]|месяц[аев]*)",
    re.IGNORECASE,
)


def _relative(text: str) -> tuple[int, int, int] | None:
    """Days after the purchase named by a relative phrase, with its span."""
    m = RELATIVE_RE.search(text)
    if not m or not re.search(r"после (покупки|приобретения|передачи|получения)", text[m.end() : m.end() + 40]):
        return None
    if m.group("next"):
        return 1, m.start(), m.end()
    raw = (m.group("n") or "1").lower()
    n = int(raw) if raw.isdigit() else NUMBER_WORDS.get(raw, 1)
    unit = m.group("unit").lower()
    days = n * (7 if unit.startswith("недел") else 30 if unit.startswith("месяц") else 1)
    return days, m.start(), m.end()


_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[А-ЯЁA-Z«])")
_ABBREVIATION = re.compile(r"(?:\b(?:г|гг|руб|тыс|ст|п|пп|им|ул|д|кв|т|тел)\.)$", re.IGNORECASE)


def _sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence): lines cut at sentence ends, but not after "г.", "руб.", "ст." and the like."""
    out = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        pieces, cur_start = [], start
        for m in _BOUNDARY.finditer(line.group(0)):
            end = start + m.start()
            if _ABBREVIATION.search(text[cur_start:end]):
                continue
            pieces.append((cur_start, text[cur_start:end]))
            cur_start = start + m.end()
        pieces.append((cur_start, text[cur_start : line.end()]))
        out += [(o, s) for o, s in pieces if s.strip()]
    return out


def _has(pattern: str, s: str) -> bool:
    return re.search(pattern, s, re.IGNORECASE) is not None


_TITLE = re.compile(r"^\s*(ПРЕТЕНЗИЯ|ЗАЯВЛЕНИЕ|ТРЕБОВАНИЕ|ЖАЛОБА)\b")
_DEMAND = re.compile(r"\bтребу(ю|ем)\b|\bпрошу вернуть|\bверните\b", re.IGNORECASE)
_CONTACT = re.compile(r"(?:\+7|\b8)[\s(]*\d{3}[\s)]*\d{3}[\s-]*\d{2}[\s-]*\d{2}\b")  # a signature's phone


def account_sentences(text: str) -> list[str]:
    """The sentences of a free-text account (the ``account`` fact)."""
    return [s.strip() for _, s in _sentences(text or "") if s.strip()]


def _account(text: str, sentences: list[tuple[int, str]], read: set[int]) -> str | None:
    """What the letter says beyond the facts read from it: the sentences of its body that no fact
    was read from, less the heading (up to the title), the demand itself and the signature (its
    line, or a line with a phone number)."""
    title = next((off for off, s in sentences if _TITLE.match(s)), None)

    def told(off: int, s: str) -> bool:
        body = off not in read and (title is None or off > title)
        plain = not _DEMAND.search(s) and not _CONTACT.search(s) and "___" not in s
        return body and plain and len(s.split()) >= 3

    rest, size = [], 0
    for off, s in sentences:
        if told(off, s):
            size += len(s.strip()) + 1
            if size > ACCOUNT_MAX_CHARS:
                break
            rest.append(s.strip())
    return " ".join(rest) or None


def extract_facts(text: str) -> RefundFacts:
    """Facts stated in the letter; what it does not state stays ``None``."""
    f: dict = {"repairs": []}
    spans: dict[str, Span] = {}
    read: set[int] = set()  # offsets of the sentences a fact was read from
    current = -1  # the sentence being read

    def keep(name: str, value, start: int, end: int) -> None:
        read.add(current)
        if f.get(name) is None:
            f[name] = value
            spans[name] = Span(start=start, end=end, text=text[start:end])

    dated = find_dates(text)
    sentences = _sentences(text)
    # The claim is dated where the letter is signed: the last date in it.
    if dated:
        current = max((o for o, _ in sentences if o <= dated[-1].start), default=-1)
        keep("claim_date", dated[-1].value, dated[-1].start, dated[-1].end)
    relative_found = None
    for off, s in sentences:
        current = off
        dates = [Found(d.value, d.start - off, d.end - off) for d in dated if off <= d.start and d.end <= off + len(s)]
        if _has(r"приобр[её]л|купил|покупк[аеиу]|оформил[аи]? заказ|доставлен", s) and not _has(r"после покупки", s):
            if dates:
                keep("transfer_date", dates[0].value, off + dates[0].start, off + dates[0].end)
            if _has(r"интернет|дистанцион|онлайн|на (вашем )?сайте|через сайт|маркетплейс|с доставкой", s):
                keep("channel", "remote", off, off + len(s))
            elif _has(r"в (вашем |ваш |вашей |розничном |фирменном )?(магазин|салон|торгов)", s):
                keep("channel", "store", off, off + len(s))
            money = parse_money(s)
            if money:
                keep("price", money.value, off + money.start, off + money.end)
            m = re.search(r"смартфон\s+(.+?)(?:\s+стоимост|\s+за\s|\s+для\s|[.,]|$)", s, re.IGNORECASE)
            if m:
                keep("model", m.group(1).strip(), off + m.start(1), off + m.end(1))
        if _has(
            r"для (нужд|работы|сотрудников) (своей |моей |нашей )?(организац|фирм|компани|предприяти)"
            r"|предпринимательск|для бизнеса|для работы (в|моего)",
            s,
        ):
            keep("business_purpose", True, off, off + len(s))
        if (
            _has(r"предупредил|уведомил|сообщил|сказал|уцен|оговор[её]н", s)
            and _has(r"недостат|дефект|уцен", s)
            and _has(r"продав|продаж|цен|скидк", s)
        ):
            keep("defect_disclosed_at_sale", True, off, off + len(s))
        if _has(r"исправен|не подош[её]л|передумал", s):
            keep("defect_claimed", False, off, off + len(s))
        m = re.search(r"(?:недостаток|неисправность|дефект|поломка):\s*(?:телефон\s+)?(.+?)[.\n]", s, re.IGNORECASE)
        if m or _has(r"перестал|сломал|не включается|не работает", s) and not _has(r"ремонт", s):
            keep("defect_claimed", True, off, off + len(s))
            if m:
                keep("defect", m.group(1).strip(), off + m.start(1), off + m.end(1))
            rel = _relative(s)
            if dates:
                keep("defect_found_date", dates[0].value, off + dates[0].start, off + dates[0].end)
            elif rel:
                relative_found = (rel[0], off + rel[1], off + rel[2])
        if _has(r"несущественн|(?<!не)устраним|несложн", s):
            keep("significant_defect", False, off, off + len(s))
        elif _has(r"существенн", s) and not _has(r"не является существенн", s):
            keep("significant_defect", True, off, off + len(s))
        if _has(
            r"(сдан|сдал[а]?|передан|передал[а]?|отн[её]с|отнесла|отдал[а]?|отправил[а]?)\s+(телефон\s+)?(в|на)\s+"
            r"(ремонт|гарантийный ремонт|сервис)",
            s,
        ):
            handed = dates[0].value if dates else None
            back = None
            m_back = re.search(r"(возвращ[её]н|выдан|забрал[а]?)\s*", s, re.IGNORECASE)
            if m_back and not _has(r"не возвращ|до сих пор", s):
                after = [d for d in dates if d.start >= m_back.start()]
                back = after[0].value if after else None
            term = re.search(r"(?:срок|не дольше|не более)[^\d]{0,40}?(\d{1,3})\s*(?:дн|календарн)", s, re.IGNORECASE)
            defect = re.search(r"ремонт\s*\(([^)]+)\)", s)
            if handed:
                read.add(off)
                f["repairs"].append(
                    Repair(
                        handed_over=handed,
                        returned=back,
                        defect=defect.group(1) if defect else None,
                        agreed_term_days=int(term.group(1)) if term else None,
                    )
                )
                spans.setdefault("repairs", Span(start=off, end=off + len(s), text=s))
        m = re.search(r"гаранти\w*(?:[^.\d]{0,30})?(\d{1,2})\s*(мес|год|года|лет)", s, re.IGNORECASE)
        if m:
            n = int(m.group(1))
            keep(
                "warranty_months", n if m.group(2).lower().startswith("мес") else 12 * n, off + m.start(), off + m.end()
            )
        if _has(r"проверк|сервисный центр указал", s) and not _has(r"экспертиз", s):
            if _has(r"не выявлен|не обнаружен|исправен|(неисправност|недостатк|дефект)\w* нет", s):
                keep("quality_check", "no_defect", off, off + len(s))
            elif _has(r"наруш\w* правил|влаг|механическ", s):
                keep("quality_check", "consumer_fault", off, off + len(s))
            elif _has(r"подтвержд", s):
                keep("quality_check", "defect_confirmed", off, off + len(s))
        if _has(r"не согласен|не согласна|оспарива", s):
            keep("quality_check_disputed", True, off, off + len(s))
        if _has(r"экспертиз", s):
            if _has(r"производственн|заводск|брак", s):
                keep("expertise_cause", "manufacturing", off, off + len(s))
            elif _has(r"влаг|нарушени|механическ|по вине потребител", s):
                keep("expertise_cause", "consumer_fault", off, off + len(s))
        if _has(r"возник\w* до передачи", s) or (
            _has(r"эксперт|заключени", s) and _has(r"\bдо (передачи|получения|того,? как я получил)", s)
        ):
            keep("proof_defect_predates_transfer", True, off, off + len(s))
        terms = _has(r"(порядк|правил|услови|сведени|информаци)\w*\s+(и сроках\s+)?возврата", s)
        if terms and _has(r"\bне\s+(предостав|сообщ|информир|вруч|выда|получ)", s):
            keep("return_terms_in_writing", False, off, off + len(s))
        elif terms and _has(r"письменн", s):
            keep("return_terms_in_writing", True, off, off + len(s))
    if relative_found and f.get("transfer_date") and f.get("defect_found_date") is None:
        days, a, b = relative_found
        keep("defect_found_date", f["transfer_date"] + dt.timedelta(days=days), a, b)
    if f.get("quality_check") and f.get("quality_check_disputed") is None:
        # An expertise is ordered only when the check is disputed (art. 18 p. 5).
        f["quality_check_disputed"] = f.get("expertise_cause") is not None
    f["account"] = _account(text, sentences, read)
    f["spans"] = spans
    return RefundFacts.model_validate(f)
