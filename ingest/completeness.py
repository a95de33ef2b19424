"""The completeness and consistency check of a package: a small engine over the process's rule file
(``ingest/rules/<process>.yaml``). Required documents give M1; named checks give the other codes.
``complete`` is false when M1, M2 or M3 fired (domain reference, section 6)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path

import yaml

from ingest.fields import parse_iso
from ingest.types import CompletenessReport, Document, Problem, TypeAlternative

RULES_DIR = Path(__file__).parent / "rules"
INCOMPLETE_CODES = {"M1", "M2", "M3"}
DOC_TYPE_NAMES = {
    "appeal": "обращение",
    "claim_letter": "претензия (заявление в организацию)",
    "fo_response": "ответ финансовой организации",
    "contract": "договор",
    "receipt": "документ об оплате (чек, выписка)",
    "quality_check_act": "акт проверки качества или заключение",
    "repair_document": "документ о ремонте",
    "passport": "паспорт",
    "power_of_attorney": "доверенность",
    "acceptance_act": "акт приёма-передачи",
    "company_details": "карточка организации (реквизиты)",
    "appointment_order": "приказ о назначении руководителя",
    "term_restoration_request": "ходатайство о восстановлении срока",
    "other": "прочий документ",
}


class UnknownProcess(ValueError):
    pass


def processes() -> list[str]:
    return sorted(p.stem for p in RULES_DIR.glob("*.yaml"))


@functools.cache
def load_rules(process: str) -> dict:
    path = RULES_DIR / f"{process}.yaml"
    if not path.is_file():
        raise UnknownProcess(f"unknown process {process!r}; known: {', '.join(processes())}")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


class Package:
    """The typed documents of one package, with lookups the checks share."""

    def __init__(self, documents: list[Document], rules: dict, today: dt.date) -> None:
        self.documents = documents
        self.rules = rules
        self.today = today

    def of_type(self, doc_type: str) -> list[Document]:
        return [d for d in self.documents if d.doc_type == doc_type]

    def flag(self, name: str) -> bool:
        """A boolean field set in any document (``representative_files``, ``no_prior_claim``...)."""
        return any(d.value(name) for d in self.documents)

    @property
    def reference_date(self) -> dt.date:
        """The date the package speaks for (the act's, the appeal's): validity is judged on it."""
        ref = self.rules.get("reference_date") or {}
        for d in self.of_type(ref.get("doc_type", "")):
            value = parse_iso(d.value(ref.get("field", "document_date")))
            if value:
                return value
        return self.today


# ---- conditions for conditionally required documents --------------------------------------------

CONDITIONS: dict[str, Callable[[Package], bool]] = {
    "representative_files": lambda p: p.flag("representative_files"),
    "answer_received": lambda p: any(
        "ответ получен" in d.text.lower() or "получен ответ" in d.text.lower() for d in p.of_type("appeal")
    ),
    "repairs_claimed": lambda p: any(
        "ремонт" in d.text.lower() and "ремонт не" not in d.text.lower() for d in p.of_type("claim_letter")
    ),
    "quality_check_claimed": lambda p: any(
        any(w in d.text.lower() for w in ("проверк", "экспертиз")) for d in p.of_type("claim_letter")
    ),
}


# ---- checks: each yields (document id, field, detail) for every violation ------------------------


def _signatures(p: Package, rule: dict):
    for d in p.of_type(rule["doc_type"]):
        for role in rule["roles"]:
            if d.value(f"signed_by_{role}") is False:
                yield d.id, f"signed_by_{role}", f"нет подписи: {role}"


def _power_of_attorney(p: Package, rule: dict):
    ref = p.reference_date
    for d in p.of_type("power_of_attorney"):
        until = parse_iso(d.value("valid_until"))
        if until and until < ref:
            yield d.id, "valid_until", f"срок действия истёк {until.isoformat()}"
        if rule.get("require_head_signature") and d.value("signed_by_head") is False:
            yield d.id, "signed_by_head", "не подписана руководителем"
        if rule.get("require_number_authority") and d.value("authorises_number_transfer") is False:
            yield d.id, "authorises_number_transfer", "нет полномочий на переоформление номера"


def _norm_name(name: str | None) -> str:
    return " ".join((name or "").lower().replace("ё", "е").split())


def _same_person(p: Package, rule: dict):
    passports = p.of_type("passport")
    if not passports:
        return
    pas = passports[0]
    for d in p.of_type(rule["doc_type"]):
        name, official = d.value(rule["name_field"]), pas.value("full_name")
        if name and official and _norm_name(name) != _norm_name(official):
            yield d.id, rule["name_field"], f"«{name}» / в паспорте «{official}»"
        number, official_number = d.value(rule["passport_field"]), pas.value("passport")
        if number and official_number and number.replace(" ", "") != official_number.replace(" ", ""):
            yield d.id, rule["passport_field"], "серия и номер паспорта различаются"


def _company_identifiers(p: Package, rule: dict):
    for d in p.documents:
        if d.doc_type == "passport":
            continue
        for name in ("inn", "ogrn", "kpp"):
            for f in d.fields.get(name, []):
                if f.valid is False:
                    yield d.id, name, f"{f.value} не проходит проверку"


def _years_between(a: dt.date, b: dt.date) -> int:
    return b.year - a.year - ((b.month, b.day) < (a.month, a.day))


def _passport(p: Package, rule: dict):
    ref = p.reference_date
    for d in p.of_type("passport"):
        f = d.first("passport")
        if f is not None and f.valid is False:
            yield d.id, "passport", "серия или номер в неверном формате"
        birth, issued = parse_iso(d.value("birth_date")), parse_iso(d.value("issue_date"))
        if birth and issued:
            age = _years_between(birth, ref)
            for limit in (20, 45):  # the passport is replaced at 20 and at 45
                if age >= limit and _years_between(birth, issued) < limit:
                    yield d.id, "issue_date", f"паспорт подлежал замене в {limit} лет"
                    break


def _add_working_days(start: dt.date, days: int) -> dt.date:
    d = start
    while days > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            days -= 1
    return d


def _prior_claim(p: Package, rule: dict):
    appeals = p.of_type("appeal")
    if not appeals:
        return
    appeal = appeals[0]
    if appeal.value("no_prior_claim"):
        yield appeal.id, "no_prior_claim", "заявитель не обращался в финансовую организацию"
        return
    claim_date = parse_iso(appeal.value("prior_claim_date"))
    if claim_date is None:
        claims = p.of_type("claim_letter")
        claim_date = parse_iso(claims[0].value("document_date")) if claims else None
    appeal_date = p.reference_date
    if claim_date and not p.of_type("fo_response"):
        e_form = "стандартной форме" in appeal.text.lower()
        deadline = (
            _add_working_days(claim_date, rule["answer_term_working_days_e_form"])
            if e_form
            else claim_date + dt.timedelta(days=rule["answer_term_days"])
        )
        if appeal_date <= deadline:
            yield appeal.id, "prior_claim_date", f"срок ответа организации истекает {deadline.isoformat()}"


def _amount_cap(p: Package, rule: dict):
    for d in p.of_type("appeal"):
        amount = d.value("amount_claimed")
        if amount is not None and amount > rule["cap_rub"] and "осаго" not in d.text.lower():
            yield d.id, "amount_claimed", f"{amount:,.0f} руб.".replace(",", " ")


def _three_years(p: Package, rule: dict):
    for d in p.of_type("appeal"):
        learned = parse_iso(d.value("violation_learned_date"))
        if (
            learned
            and _years_between(learned, p.reference_date) >= rule["years"]
            and not p.of_type("term_restoration_request")
        ):
            yield d.id, "violation_learned_date", learned.isoformat()


def _debt(p: Package, rule: dict):
    for d in p.documents:
        if d.value("has_debt"):
            yield d.id, "has_debt", ""


CHECKS: dict[str, Callable[[Package, dict], object]] = {
    "signatures": _signatures,
    "power_of_attorney": _power_of_attorney,
    "same_person": _same_person,
    "company_identifiers": _company_identifiers,
    "passport": _passport,
    "prior_claim": _prior_claim,
    "amount_cap": _amount_cap,
    "three_years": _three_years,
    "debt": _debt,
}


def _suspect(documents: list[Document], options: list[str]) -> tuple[Document, TypeAlternative] | None:
    """The document most likely to be a missing type after all: the one that gives it the highest
    probability among its ``doc_type_alternatives`` (None when none does). The verdict stands (the
    type read is the model's best answer); the reviewer is told where to look."""
    found = [(alt.probability, k, doc, alt) for k, doc in enumerate(documents) for alt in doc.doc_type_alternatives
             if alt.doc_type in options]  # fmt: skip
    if not found:
        return None
    _, _, doc, alt = max(found, key=lambda f: (f[0], -f[1]))
    return doc, alt


def check_package(documents: list[Document], process: str, today: dt.date | None = None) -> CompletenessReport:
    """Required documents and every check of the process's rule file.

    Raises:
        UnknownProcess: no rule file for ``process``.
    """
    rules = load_rules(process)
    pkg = Package(documents, rules, today or dt.date.today())
    present = {d.doc_type for d in documents}
    missing, problems = [], []
    for req in rules["required"]:
        if "when" in req and not CONDITIONS[req["when"]](pkg):
            continue
        options = req.get("any_of") or [req["doc_type"]]
        if not present & set(options):
            name = " или ".join(DOC_TYPE_NAMES[o] for o in options)
            missing.append(options[0])
            message, suspect = f"Отсутствует обязательный документ: {name}", _suspect(documents, options)
            if suspect is not None:
                doc, alt = suspect
                read_as = DOC_TYPE_NAMES.get(doc.doc_type, doc.doc_type)
                message += (
                    f". Возможно, это документ {doc.id}: он распознан как «{read_as}» (уверенность "
                    f"{doc.doc_type_confidence:.2f}), «{DOC_TYPE_NAMES[alt.doc_type]}» — {alt.probability:.2f}"
                )
            problems.append(Problem(code="M1", message=message, document=suspect[0].id if suspect else None))
    for rule in rules.get("checks", []):
        for doc_id, field, detail in CHECKS[rule["check"]](pkg, rule):
            message = rule["message"] + (f" ({detail})" if detail else "")
            problems.append(Problem(code=rule["code"], message=message, document=doc_id, field=field))
    codes = {pr.code for pr in problems}
    return CompletenessReport(
        complete=not (codes & INCOMPLETE_CODES),
        missing_documents=sorted(set(missing)),
        problems=problems,
    )
