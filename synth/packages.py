"""Document packages for the three processes, rendered as PDFs and scans, with the completeness
result and problem codes each package was built to have (domain reference, section 6)."""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

from synth import identifiers as ids
from synth import lexicon as lx
from synth.documents import (
    Company,
    DocSpec,
    Signature,
    acceptance_act_doc,
    appointment_order_doc,
    company,
    company_details_doc,
    d,
    generic_doc,
    passport_doc,
    power_of_attorney_doc,
    quality_check_act_doc,
    receipt_doc,
    repair_document_doc,
)
from synth.refund import SCENARIOS as REFUND_SCENARIOS
from synth.refund import render_letter

PROCESSES = ("ombudsman_appeal", "device_refund", "number_reregistration")
DEFECTS = {
    "ombudsman_appeal": {
        "missing_contract": ["M1"],
        "no_prior_claim": ["M1", "R1"],
        "amount_over_cap": ["R3"],
        "expired_power_of_attorney": ["M3"],
        "invalid_inn": ["M5"],
    },
    "device_refund": {
        "missing_receipt": ["M1"],
        "unsigned_quality_act": ["M2"],
        "invalid_inn": ["M5"],
        "refund_after_15_days": ["P3"],
    },
    "number_reregistration": {
        "missing_passport": ["M1"],
        "unsigned_act": ["M2"],
        "expired_power_of_attorney": ["M3"],
        "unsigned_power_of_attorney": ["M3"],
        "power_of_attorney_without_authority": ["M3"],
        "name_mismatch": ["M4"],
        "invalid_inn": ["M5"],
    },
}
# Codes that make a package incomplete (section 6: M1, M2 and M3).
INCOMPLETE_CODES = {"M1", "M2", "M3"}


@dataclass
class Expected:
    complete: bool
    missing_documents: list[str]
    problems: list[str]


@dataclass
class Package:
    id: str
    process: str
    defect: str | None
    expected: Expected
    docs: list[DocSpec] = field(default_factory=list)
    facts: dict = field(default_factory=dict)


def _poa_dates(used_on: dt.date, expired: bool, rng: random.Random) -> tuple[dt.date, dt.date]:
    """Issue and expiry dates of a power of attorney used on ``used_on`` (expired or still valid)."""
    valid_until = used_on + dt.timedelta(days=-rng.randint(5, 300) if expired else rng.randint(30, 900))
    return min(valid_until, used_on) - dt.timedelta(days=rng.randint(30, 600)), valid_until


def _named_company(rng: random.Random, kind: str) -> Company:
    c = company(rng, "corporate")
    c.name = lx.organisation(rng, kind)
    return c


# ---- ombudsman appeal ------------------------------------------------------------------------


def _ombudsman(pid: str, defect: str | None, rng: random.Random) -> Package:
    consumer, pas = lx.person(rng), ids.passport(rng)
    birth = lx.date_between(rng, dt.date(1950, 1, 1), dt.date(2000, 12, 31))
    kind = rng.choice(["bank", "insurer", "life_insurer", "mfo"])
    org = _named_company(rng, kind)
    appeal_date = lx.date_between(rng, dt.date(2023, 3, 1), dt.date(2025, 10, 1))
    claim_date = appeal_date - dt.timedelta(days=rng.randint(45, 120))
    answer_date = claim_date + dt.timedelta(days=rng.randint(5, 25))
    contract_date = claim_date - dt.timedelta(days=rng.randint(100, 700))
    amount = rng.randrange(10_000, 480_000, 10)
    if defect == "amount_over_cap":
        amount = rng.randrange(520_000, 2_000_000, 10)
    representative = defect == "expired_power_of_attorney" or rng.random() < 0.3
    rep = lx.person(rng)
    no_claim = defect == "no_prior_claim"
    contract_no = f"{rng.randint(100, 999)}-{rng.randint(10000, 99999)}"

    claim_text = (
        f"Прошу вернуть денежные средства в размере {lx.money(amount, rng)} по договору № {contract_no} "
        f"от {d(contract_date)}."
        if not no_claim
        else ""
    )
    appeal_lines = [
        "Финансовому уполномоченному",
        f"Заявитель: {consumer.full}, дата рождения {d(birth)}, место рождения г. {rng.choice(lx.CITIES)}",
        f"Адрес: {lx.address(rng)}. Телефон: {lx.phone_number(rng)}",
        f"Финансовая организация: {org.name}, адрес: {org.address}",
        f"Между мной и {org.name} {d(contract_date)} заключён договор № {contract_no}. "
        f"Требую взыскать с финансовой организации {lx.money(amount, rng)}.",
        (
            f"Претензия направлена в финансовую организацию {d(claim_date)}, ответ получен {d(answer_date)}: "
            "в удовлетворении требований отказано."
            if not no_claim
            else "В финансовую организацию с заявлением (претензией) я не обращался."
        ),
    ]
    if representative:
        appeal_lines.append(f"Обращение подаётся представителем ({rep.full}) по доверенности.")
    appeal_lines.append(f"Дата: {d(appeal_date)}")
    signer = rep.short if representative else consumer.short
    docs = [
        generic_doc(
            "appeal",
            "ОБРАЩЕНИЕ К ФИНАНСОВОМУ УПОЛНОМОЧЕННОМУ",
            "\n".join(appeal_lines),
            {
                "applicant": consumer.full,
                "organisation": org.name,
                "amount": amount,
                "appeal_date": appeal_date.isoformat(),
                "prior_claim_date": None if no_claim else claim_date.isoformat(),
                "representative": rep.full if representative else None,
            },
            Signature("applicant", signer, True),
        ),
    ]
    if not no_claim:
        docs.append(
            generic_doc(
                "claim_letter",
                "ЗАЯВЛЕНИЕ (ПРЕТЕНЗИЯ)",
                f"В {org.name}\nот {lx.inflect_name(consumer, 'gent')}\n{claim_text}\nДата: {d(claim_date)}",
                {"date": claim_date.isoformat(), "amount": amount, "organisation": org.name},
                Signature("applicant", consumer.short, True),
            )
        )
        docs.append(
            generic_doc(
                "fo_response",
                f"{org.name}\nОТВЕТ НА ОБРАЩЕНИЕ",
                f"Исх. № {rng.randint(1000, 99999)} от {d(answer_date)}\nУважаемый(ая) {consumer.first} "
                f"{consumer.patronymic}!\nРассмотрев Ваше обращение от {d(claim_date)}, сообщаем, что оснований "
                "для удовлетворения требований не имеется.",
                {"date": answer_date.isoformat(), "result": "denied"},
                Signature("organisation", lx.person(rng).short, True),
            )
        )
    inn = ids.break_check_digit(org.inn) if defect == "invalid_inn" else org.inn
    if defect != "missing_contract":
        docs.append(
            generic_doc(
                "contract",
                f"ДОГОВОР № {contract_no}",
                f"г. {rng.choice(lx.CITIES)}, {d(contract_date)}\n{org.name} (ИНН {inn}, ОГРН {org.ogrn}), "
                f"именуемое в дальнейшем «Организация», и {consumer.full}, паспорт {pas['series']} {pas['number']}, "
                f"заключили настоящий договор о нижеследующем.\n1. Предмет договора: предоставление финансовой "
                f"услуги.\n2. Сумма договора: {lx.money(amount * rng.uniform(1, 3), rng)}.",
                {
                    "number": contract_no,
                    "date": contract_date.isoformat(),
                    "organisation_inn": inn,
                    "organisation_ogrn": org.ogrn,
                },
                Signature("organisation", org.head.short, True),
            )
        )
    if representative:
        issued, valid_until = _poa_dates(appeal_date, defect == "expired_power_of_attorney", rng)
        docs.append(
            generic_doc(
                "power_of_attorney",
                "ДОВЕРЕННОСТЬ",
                f"г. {rng.choice(lx.CITIES)}, {d(issued)}\nЯ, {consumer.full}, паспорт {pas['series']} {pas['number']}, "
                f"уполномочиваю {lx.inflect_name(rep, 'accs')} представлять мои интересы у финансового уполномоченного и в финансовых "
                f"организациях.\nДоверенность действительна до {d(valid_until)}.",
                {
                    "principal": consumer.full,
                    "representative": rep.full,
                    "issue_date": issued.isoformat(),
                    "valid_until": valid_until.isoformat(),
                    "authorises_representation": True,
                },
                Signature("applicant", consumer.short, True),
            )
        )
    codes = DEFECTS["ombudsman_appeal"].get(defect, [])
    missing = {"missing_contract": ["contract"], "no_prior_claim": ["claim_letter"]}.get(defect or "", [])
    return Package(
        pid,
        "ombudsman_appeal",
        defect,
        _expected(codes, missing),
        docs,
        {"amount": amount, "appeal_date": appeal_date.isoformat()},
    )


# ---- device refund ---------------------------------------------------------------------------


def _device_refund(pid: str, defect: str | None, rng: random.Random) -> Package:
    scenario = {
        "refund_after_15_days": "day_16_boundary",
        "unsigned_quality_act": "expertise_manufacturing",
    }.get(
        defect or "",
        rng.choice(["within_15_days", "repair_46_days", "significant_defect_after_15", "expertise_manufacturing"]),
    )
    facts, verdict, codes = REFUND_SCENARIOS[scenario](rng)
    consumer = lx.person(rng)
    shop = company(rng, "shop")
    imei = ids.imei(rng)
    letter = render_letter(facts, rng)
    docs = [
        generic_doc(
            "claim_letter",
            "ПРЕТЕНЗИЯ",
            letter.replace("ПРЕТЕНЗИЯ\n", "", 1),
            {"claim_date": facts.claim_date.isoformat(), "amount": facts.price, "demand": "refund"},
        )
    ]
    docs[0].title = "ПРЕТЕНЗИЯ"
    if defect != "missing_receipt":
        receipt = receipt_doc(shop, facts.model, imei, facts.price, facts.transfer_date, rng)
        if defect == "invalid_inn":
            bad = ids.break_check_digit(shop.inn)
            receipt.lines = [ln.replace(shop.inn, bad) for ln in receipt.lines]
            receipt.fields["seller_inn"] = bad
        docs.append(receipt)
    for r in facts.repairs:
        docs.append(repair_document_doc(facts.model, imei, r.handed_over, r.returned, r.defect, rng))
    if facts.quality_check:
        when = facts.defect_found_date + dt.timedelta(days=3)
        docs.append(
            quality_check_act_doc(
                facts.model,
                imei,
                when,
                facts.quality_check,
                consumer,
                True,
                defect != "unsigned_quality_act",
                rng,
            )
        )
    codes = sorted(set(DEFECTS["device_refund"].get(defect, [])) | set(codes if verdict == "likely_invalid" else []))
    missing = ["receipt"] if defect == "missing_receipt" else []
    return Package(
        pid,
        "device_refund",
        defect,
        _expected(codes, missing),
        docs,
        {"refund_scenario": scenario, "refund_verdict": verdict, "refund_facts": facts.to_json()},
    )


# ---- number re-registration ------------------------------------------------------------------


def _reregistration(pid: str, defect: str | None, rng: random.Random) -> Package:
    c = company(rng, "corporate")
    user, user_pas = lx.person(rng), ids.passport(rng)
    birth = lx.date_between(rng, dt.date(1960, 1, 1), dt.date(2003, 12, 31))
    act_date = lx.date_between(rng, dt.date(2024, 1, 10), dt.date(2025, 10, 31))
    # A valid passport was issued after the last replacement age (20 or 45) reached by the act date.
    replaced_at = 45 if birth + dt.timedelta(days=int(365.25 * 45) + 1) <= act_date else 20
    first_day = birth + dt.timedelta(days=int(365.25 * replaced_at) + 1)
    issued = lx.date_between(rng, first_day, max(first_day, min(act_date, dt.date(2024, 12, 31))))
    number = "+7" + f"9{rng.randint(0, 99):02d}{rng.randint(0, 9999999):07d}"
    poa_defects = {
        "expired_power_of_attorney",
        "unsigned_power_of_attorney",
        "power_of_attorney_without_authority",
    }
    by_head = defect not in poa_defects and rng.random() < 0.35
    rep, rep_pas = lx.person(rng), ids.passport(rng)
    act_user = user
    if defect == "name_mismatch":  # the act spells the new user differently from the passport
        other = lx.person(rng)
        act_user = lx.Person(
            user.surname,
            user.first,
            other.patronymic if other.female == user.female else user.patronymic[:-1] + "у",
            user.female,
        )
        if act_user == user:
            act_user = lx.Person(user.surname[:-1] + "е", user.first, user.patronymic, user.female)
    signer = c.head.short if by_head else rep.short
    docs = [acceptance_act_doc(c, act_user, user_pas, number, act_date, True, defect != "unsigned_act", signer)]
    details = company_details_doc(c)
    if defect == "invalid_inn":
        bad = ids.break_check_digit(c.inn)
        details.lines = [ln.replace(c.inn, bad) for ln in details.lines]
        details.fields["inn"] = bad
    docs.append(details)
    if defect != "missing_passport":
        docs.append(passport_doc(user, user_pas, birth, issued, rng))
    if by_head:
        docs.append(appointment_order_doc(c, act_date - dt.timedelta(days=rng.randint(100, 2000))))
    else:
        poa_issued, valid_until = _poa_dates(act_date, defect == "expired_power_of_attorney", rng)
        docs.append(
            power_of_attorney_doc(
                c,
                rep,
                rep_pas,
                poa_issued,
                valid_until,
                defect != "power_of_attorney_without_authority",
                defect != "unsigned_power_of_attorney",
            )
        )
    codes = DEFECTS["number_reregistration"].get(defect, [])
    missing = ["passport"] if defect == "missing_passport" else []
    return Package(
        pid,
        "number_reregistration",
        defect,
        _expected(codes, missing),
        docs,
        {"phone_number": number, "act_date": act_date.isoformat(), "signed_by_head": by_head},
    )


def _expected(codes: list[str], missing: list[str]) -> Expected:
    return Expected(
        complete=not (set(codes) & INCOMPLETE_CODES),
        missing_documents=sorted(missing),
        problems=sorted(set(codes)),
    )


BUILDERS = {
    "ombudsman_appeal": _ombudsman,
    "device_refund": _device_refund,
    "number_reregistration": _reregistration,
}


def build_packages(seed: int, per_process: int) -> list[Package]:
    """``per_process`` packages per process: the first half complete, the rest one defect each."""
    out = []
    for process in PROCESSES:
        rng = random.Random(f"{seed}/packages/{process}")
        defects = list(DEFECTS[process])
        for i in range(per_process):
            n_complete = per_process - per_process // 2
            defect = None if i < n_complete else defects[(i - n_complete) % len(defects)]
            out.append(BUILDERS[process](f"{process}-{i:04d}", defect, rng))
    return out


def write_packages(packages: list[Package], root: Path, seed: int, progress=None) -> list[dict]:
    """Render every document as PDF and as a scan; return the package records (also as package.json)."""
    from synth.render import render_pdf, render_scan, save_pages

    records = []
    for n, pkg in enumerate(packages):
        rng = random.Random(f"{seed}/render/{pkg.id}")
        folder = root / pkg.id
        folder.mkdir(parents=True, exist_ok=True)
        docs = []
        bound: list = []  # every scanned page of the package, for the one-file scan
        page_map = []
        for j, doc in enumerate(pkg.docs):
            stem = folder / f"{j:02d}_{doc.doc_type}"
            pages = render_pdf(doc, stem.with_suffix(".pdf"), rng)
            scan, images = render_scan(stem.with_suffix(".pdf"), stem, rng)
            for k, (img, _dpi) in enumerate(images, start=1):
                bound.append(img)
                page_map.append({"document": j, "doc_type": doc.doc_type, "page": k})
            docs.append(
                {
                    "doc_type": doc.doc_type,
                    "pdf": f"{pkg.id}/{stem.name}.pdf",
                    "scan": {**scan, "files": [f"{pkg.id}/{f}" for f in scan["files"]]},
                    "pages": pages,
                    "text": doc.text,
                    "fields": doc.fields,
                    "signatures": [asdict(s) for s in doc.signatures],
                }
            )
        # The whole package as one scanned file, as a clerk's scanner produces it: the ingest stage
        # must split it at document boundaries (page_map is the ground truth).
        fmt = rng.choice(["pdf", "tiff"])
        package_scan = None
        if bound:
            save_pages([im.convert("L") for im in bound], folder / f"package_scan.{fmt}", fmt, 200, 75)
            package_scan = {"file": f"{pkg.id}/package_scan.{fmt}", "format": fmt, "pages": page_map}
        record = {
            "id": pkg.id,
            "process": pkg.process,
            "defect": pkg.defect,
            "package_scan": package_scan,
            "expected": asdict(pkg.expected),
            "documents": docs,
            "facts": pkg.facts,
        }
        (folder / "package.json").write_text(json.dumps(record, ensure_ascii=False, indent=2))
        records.append(record)
        if progress:
            progress(n + 1, len(packages))
    return records
