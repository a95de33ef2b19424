"""The reviewers' page, server-rendered (Jinja2, no front-end build): search with filters, a
package upload with its report, and buttons to confirm or correct the category and the verdict.
The key is entered once and kept in a session cookie (HttpOnly, SameSite=Strict)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.audit import audit
from api.errors import ProblemError
from api.keys import ApiKey
from api.routes.feedback import VERDICTS, save_feedback
from api.routes.packages import _check_process, read_upload
from api.security import KEY_COOKIE
from api.state import PROCESS_PROFILES, ServiceState
from ingest.types import DOC_TYPES

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")

PROCESSES = {
    "ombudsman_appeal": "Обращение к финансовому уполномоченному",
    "device_refund": "Возврат денег за смартфон",
    "number_reregistration": "Переоформление номера",
}
VERDICT_NAMES = {
    "likely_valid": "требование, вероятно, обоснованно",
    "likely_invalid": "требование, вероятно, необоснованно",
    "needs_review": "нужна проверка",
}


def _key(request: Request) -> ApiKey | None:
    key = request.app.state.service.keys.verify(request.cookies.get(KEY_COOKIE))
    if key is not None:
        request.state.key = key
    return key


def _page(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
    state: ServiceState = request.app.state.service
    base = {
        "key": getattr(request.state, "key", None),
        "ready": state.ready,
        "processes": PROCESSES,
        "profiles": sorted(state.profiles),
        "verdict_names": VERDICT_NAMES,
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


def _login(request: Request, message: str = "") -> HTMLResponse:
    return _page(request, "login.html", status=401 if message else 200, message=message)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    q: str = "",
    category: str = "",
    outcome: str = "",
    organisation: str = "",
    date_from: str = "",
    date_to: str = "",
    k: int = 10,
    profile: str | None = None,
) -> Response:
    if _key(request) is None:
        return _login(request)
    state: ServiceState = request.app.state.service
    filters = {
        "category": category,
        "outcome": outcome,
        "organisation": organisation,
        "date_from": date_from,
        "date_to": date_to,
    }
    hits, error, query_category = None, "", None
    options = {}
    if state.ready:
        options = {c: sorted(state.index.store.distinct(c)) for c in ("category", "outcome")}
        if profile is None:  # first visit: the profile that knows the library's categories
            profile = library_profile(state.profiles, options["category"])
    if q.strip() and state.ready:
        from claims.pipeline import query_category_prior
        from search.types import SearchError, SearchFilters

        if profile and profile not in state.profiles:
            error = f"нет профиля категорий «{profile}»"
        else:
            prior = query_category_prior(state.profiles[profile], q) if profile else None
            if prior:
                query_category = max(prior.items(), key=lambda kv: kv[1])
            try:
                hits = state.search(
                    q,
                    k=max(1, min(k, 50)),
                    filters=SearchFilters(**{n: v or None for n, v in filters.items()}),
                    category_prior=prior,
                )
                audit(request, "decisions.search")
            except SearchError as exc:
                error = str(exc)
    return _page(
        request,
        "home.html",
        q=q,
        filters=filters,
        hits=hits,
        error=error,
        options=options,
        profile=profile or "",
        query_category=query_category,
    )


def library_profile(profiles: dict, categories: list[str]) -> str:
    """The profile sharing the most categories with the decision library ("" when none shares any):
    the reviewers' search weighs decisions by its view of the query, as the API does on request."""
    shared = {name: len(set(p.classes) & set(categories)) for name, p in profiles.items()}
    best = max(sorted(shared), key=lambda name: shared[name], default="")
    return best if shared.get(best) else ""


@router.post("/ui/login")
def login(request: Request, api_key: str = Form(...)) -> Response:
    key = request.app.state.service.keys.verify(api_key.strip())
    if key is None:
        return _login(request, "Ключ не подошёл: проверьте его или создайте новый (claims keys create).")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(KEY_COOKIE, api_key.strip(), httponly=True, samesite="strict")
    return response


@router.post("/ui/logout")
def logout() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(KEY_COOKIE)
    return response


@router.post("/ui/packages")
async def upload(
    request: Request,
    files: list[UploadFile] = File(...),
    process: str = Form(""),
    profile: str = Form(""),
) -> Response:
    key = _key(request)
    if key is None:
        return _login(request, "Войдите с ключом.")
    state: ServiceState = request.app.state.service
    try:
        if not state.ready:
            raise ProblemError(503, "not_ready", "Модели ещё загружаются", "Повторите через минуту.")
        _check_process(process or None)
        data = await read_upload(request, [f for f in files if f.filename])
        sub = await run_in_threadpool(state.jobs.process_now, data, process or None, profile or None, key.id)
        audit(request, "package.submit", sub.package_id)
    except ProblemError as exc:
        return _page(
            request,
            "home.html",
            status=exc.status,
            upload_error=f"{exc.title}: {exc.detail}",
            q="",
            filters={},
            hits=None,
            error="",
            options={},
        )
    return RedirectResponse(f"/ui/packages/{quote(sub.package_id)}", status_code=303)


@router.get("/ui/packages/{package_id}", response_class=HTMLResponse)
def package_page(request: Request, package_id: str, saved: str = "") -> Response:
    if _key(request) is None:
        return _login(request)
    state: ServiceState = request.app.state.service
    package = state.jobs.package(package_id)
    if package is None:
        return _page(request, "message.html", status=404, message="Пакет не найден.")
    job = state.db.query("SELECT * FROM jobs WHERE package_id = ? ORDER BY created_at DESC LIMIT 1", (package_id,))
    audit(request, "package.read", package_id)
    report = package["report"]
    profile = package["profile"] or PROCESS_PROFILES.get(package["process"] or "")
    if report and report.get("category"):
        profile = report["category"].get("profile", profile)
    classes = state.profiles[profile].classes if profile in state.profiles else []
    return _page(
        request,
        "package.html",
        package=package,
        report=report,
        job=dict(job[0]) if job else None,
        classes=classes,
        profile=profile,
        verdicts=VERDICTS,
        doc_types=DOC_TYPES,
        process_name=PROCESSES.get(package["process"] or "", "без проверки комплектности"),
        saved=saved,
    )


@router.post("/ui/feedback")
def feedback(
    request: Request,
    package_id: str = Form(...),
    kind: str = Form(...),
    label: str = Form(...),
    predicted: str = Form(""),
    profile: str = Form(""),
    document_id: str = Form(""),
) -> Response:
    key = _key(request)
    if key is None:
        return _login(request, "Войдите с ключом.")
    if not key.allows("reviewer"):
        return _page(request, "message.html", status=403, message="Исправления доступны ключам reviewer и admin.")
    state: ServiceState = request.app.state.service
    package = state.jobs.package(package_id)
    allowed = {
        "refund_verdict": VERDICTS,
        "category": state.profiles[profile].classes if profile in state.profiles else [],
        "doc_type": DOC_TYPES,
    }.get(kind, [])
    texts = (package or {}).get("texts") or {}
    if package is None or label not in allowed or (kind == "doc_type" and document_id not in texts):
        return _page(request, "message.html", status=422, message="Исправление не принято: неизвестное значение.")
    text = {"category": package["case_text"], "doc_type": texts.get(document_id)}.get(kind)
    target = f"{package_id}/{document_id}" if kind == "doc_type" else package_id
    save_feedback(
        state.db,
        kind,
        target,
        label,
        key.id,
        predicted=predicted or None,
        profile=profile or None,
        text=text,
        comment="reviewer page",
    )
    audit(request, f"feedback.{kind}", target)
    return RedirectResponse(f"/ui/packages/{quote(package_id)}?saved={kind}", status_code=303)
