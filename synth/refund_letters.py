"""Claim letters in registers other than the formal template of ``synth.refund.render_letter``:
the same facts said the way a consumer writes an e-mail (``plain``, a development register: the
facts extractor may be fitted to it) and the way a lawyer writes for a client (``legal``, held out:
never used to fit the extractor, only to measure it).

Both registers were written in full before the extractor was changed for either; the ``legal``
register was not edited after the extractor's scores on it were seen.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from synth import lexicon as lx
from synth.refund_accounts import feminine

if TYPE_CHECKING:
    from synth.refund import RefundFacts

DEV_REGISTERS = ("formal", "plain")
HELD_OUT_REGISTERS = ("legal",)


def fmt_date(d: dt.date, rng: random.Random) -> str:
    return lx.format_date(d, rng) if rng.random() < 0.8 else d.strftime("%d.%m.%Y")


def days_word(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "день"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return "дня"
    return "дней"


def months_word(n: int) -> str:
    return {"день": "месяц", "дня": "месяца"}.get(days_word(n), "месяцев")


def _g(female: bool, masc: str, fem: str) -> str:
    return fem if female else masc


def _findings(f: RefundFacts, **say: str) -> list[str]:
    """The sentences on the quality check, its dispute, the expertise, the warranty and the proof
    that the defect predates the transfer, in a register's words (``say``)."""
    out = []
    if f.quality_check in ("no_defect", "consumer_fault"):
        out.append(say[f.quality_check])
        if f.quality_check_disputed:
            out.append(say[f"{f.quality_check}_disputed"])
    if f.expertise_cause:
        out.append(say[f"expertise_{f.expertise_cause}"])
    if f.warranty_months:
        out.append(say["warranty"])
    if f.proof_defect_predates_transfer:
        out.append(say["proof"])
    return out


def render_plain(f: RefundFacts, rng: random.Random) -> str:
    """An e-mail from the consumer: short, first person, no heading."""
    p = lx.person(rng)
    w = p.female
    out = [rng.choice(["Здравствуйте!", "Добрый день.", "Добрый день!"]), ""]
    when = f"{fmt_date(f.transfer_date, rng)} " if f.transfer_date else ""
    where = (
        rng.choice(["через ваш интернет-магазин с доставкой", "на вашем сайте"])
        if f.channel == "remote"
        else rng.choice(["в вашем салоне", "у вас в магазине"])
    )
    price = f" за {lx.money(f.price, rng)}" if f.price else ""
    bought = f"{when}я {_g(w, 'купил', 'купила')} {where} смартфон {f.model}{price}."
    out.append(bought[0].upper() + bought[1:])
    if f.business_purpose:
        bought_for = _g(w, "Покупал", "Покупала")
        out.append(
            rng.choice(["Телефон брали для работы моей фирмы.", f"{bought_for} его для сотрудников своей компании."])
        )
    if f.defect_disclosed_at_sale:
        out.append("Продавец сразу сказал, что телефон продаётся со скидкой из-за дефекта.")
    if f.defect is None:
        if f.channel == "remote" and f.return_terms_in_writing is False:
            out.append("Письменно о правилах возврата меня никто не информировал.")
        elif f.channel == "remote" and f.return_terms_in_writing:
            out.append("Правила возврата мне выдали в письменном виде вместе с заказом.")
        out.append("С телефоном всё в порядке, просто он мне не подошёл.")
    else:
        found = fmt_date(f.defect_found_date, rng) if f.defect_found_date else ""
        if f.defect_found_date and f.transfer_date and rng.random() < 0.3:
            n = (f.defect_found_date - f.transfer_date).days
            found = f"через {n} {days_word(n)} после покупки"
        noticed = f"{found} я {_g(w, 'заметил', 'заметила')} неисправность: {f.defect}.".strip()
        out.append(noticed[0].upper() + noticed[1:])
        if f.significant_defect:
            out.append("Это существенный недостаток: после ремонта он появился снова.")
        elif f.significant_defect is False and f.transfer_date and (f.claim_date - f.transfer_date).days > 15:
            out.append("В сервисе сказали, что поломка несложная и устранимая.")
        if f.account:
            out.append(feminine(f.account) if w else f.account)
    for r in f.repairs:
        term = f", по договорённости не дольше {r.agreed_term_days} дней" if r.agreed_term_days else ""
        back = (
            f", {_g(w, 'забрал', 'забрала')} его только {fmt_date(r.returned, rng)}"
            if r.returned
            else ", телефон до сих пор в ремонте"
        )
        took = _g(w, "отнёс", "отнесла")
        out.append(f"{fmt_date(r.handed_over, rng)} {took} телефон в ремонт ({r.defect}){term}{back}.")
    agree = _g(w, "не согласен", "не согласна")
    out += _findings(
        f,
        no_defect="Магазин провёл проверку и написал, что неисправностей нет.",
        no_defect_disputed=f"Я с этим {agree}, телефон глючит постоянно.",
        consumer_fault=f"После проверки сервис заявил, что я {_g(w, 'нарушил', 'нарушила')} правила эксплуатации.",
        consumer_fault_disputed=f"Я с этим {agree} и {_g(w, 'заказал', 'заказала')} экспертизу.",
        expertise_consumer_fault="Экспертиза показала, что причина в попавшей внутрь влаге.",
        expertise_manufacturing="Экспертиза подтвердила заводской брак.",
        warranty=f"Гарантия на телефон {f.warranty_months} мес.",
        proof=f"Эксперт написал, что дефект был ещё до того, как я {_g(w, 'получил', 'получила')} телефон.",
    )
    out.append(rng.choice(["Прошу вернуть мне деньги за телефон.", "Верните, пожалуйста, деньги за телефон."]))
    out += ["", f"{p.first} {p.surname}, {lx.phone_number(rng)}", fmt_date(f.claim_date, rng)]
    return lx.tidy("\n".join(out))


def render_legal(f: RefundFacts, rng: random.Random) -> str:
    """A claim written by the consumer's representative: third person, legal phrasing."""
    p = lx.person(rng)
    rep = lx.person(rng)
    shop = lx.organisation(rng, "shop")
    buyer = "Покупатель"
    out = [
        f"В {shop}",
        f"от {lx.inflect_name(rep, 'gent')}, {_g(rep.female, 'действующего', 'действующей')} по доверенности "
        f"в интересах {lx.inflect_name(p, 'gent')}",
        "",
        "ПРЕТЕНЗИЯ",
        "(досудебная)",
        "",
    ]
    how = "дистанционным способом через сайт продавца" if f.channel == "remote" else "в розничном магазине продавца"
    when = f"{fmt_date(f.transfer_date, rng)} " if f.transfer_date else ""
    price = f" стоимостью {lx.money(f.price, rng)}" if f.price else ""
    verb = _g(p.female, "приобрёл", "приобрела")
    bought = f"{when}{p.full} (далее — {buyer}) {how} {verb} смартфон {f.model}{price}."
    out.append(bought[0].upper() + bought[1:])
    if f.business_purpose:
        out.append("Товар приобретался для использования в предпринимательской деятельности Покупателя.")
    if f.defect_disclosed_at_sale:
        out.append("Продавец уведомил Покупателя о недостатке товара, в связи с чем цена была снижена.")
    if f.defect is None:
        if f.channel == "remote" and f.return_terms_in_writing is False:
            out.append(
                "Информация о порядке и сроках возврата товара надлежащего качества в письменной форме не вручалась."
            )
        elif f.channel == "remote" and f.return_terms_in_writing:
            out.append("Сведения об условиях возврата вручены в письменной форме в момент доставки.")
        out.append("Товар надлежащего качества, однако не подошёл Покупателю по форме и габаритам.")
    else:
        found = f" {fmt_date(f.defect_found_date, rng)}" if f.defect_found_date else ""
        if f.defect_found_date and f.transfer_date and rng.random() < 0.3:
            n = (f.defect_found_date - f.transfer_date).days
            found = f" спустя {n} {days_word(n)} после передачи товара"
        out.append(f"В товаре{found} выявлен недостаток: {f.defect}.")
        if f.significant_defect:
            out.append("Указанный недостаток является существенным, поскольку выявлен повторно после его устранения.")
        elif f.significant_defect is False and f.transfer_date and (f.claim_date - f.transfer_date).days > 15:
            out.append("Согласно пояснениям сервисного центра, недостаток является устранимым и несущественным.")
        if f.account:
            told = feminine(f.account) if p.female else f.account
            out.append(f"Со слов Покупателя: {told}")
    for r in f.repairs:
        term = (
            f"; срок устранения недостатка согласован сторонами в {r.agreed_term_days} дней"
            if r.agreed_term_days
            else ""
        )
        back = (
            f"; товар возвращён из ремонта {fmt_date(r.returned, rng)}"
            if r.returned
            else "; до настоящего времени товар из ремонта не возвращён"
        )
        out.append(f"{fmt_date(r.handed_over, rng)} товар передан на гарантийный ремонт ({r.defect}){term}{back}.")
    out += _findings(
        f,
        no_defect="По итогам проверки качества, проведённой продавцом, недостаток не обнаружен.",
        no_defect_disputed=f"{buyer} с результатами проверки не согласен.",
        consumer_fault=(
            "В акте проверки качества сервисный центр сослался на нарушение Покупателем правил эксплуатации."
        ),
        consumer_fault_disputed=f"{buyer} оспорил данный вывод, проведена экспертиза товара.",
        expertise_consumer_fault=(
            "Заключением эксперта установлено, что недостаток возник вследствие попадания жидкости."
        ),
        expertise_manufacturing="Заключением эксперта установлен производственный характер недостатка.",
        warranty=f"Гарантийный срок на товар составляет {f.warranty_months} {months_word(f.warranty_months or 0)}.",
        proof="Экспертом установлено, что недостаток возник до передачи товара Покупателю.",
    )
    out.append(
        "На основании ст. 18 Закона РФ от 07.02.1992 № 2300-1 «О защите прав потребителей» требуем "
        "расторгнуть договор купли-продажи и возвратить уплаченную за товар сумму в течение 10 дней."
    )
    out += ["", f"Представитель по доверенности ____________ /{rep.short}/", fmt_date(f.claim_date, rng)]
    return lx.tidy("\n".join(out))


RENDERERS = {"plain": render_plain, "legal": render_legal}
