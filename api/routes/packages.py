"""Packages: upload and process (now, or as a durable job), job status, stored reports."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.audit import audit
from api.errors import ProblemError
from api.keys import ApiKey
from api.security import require
from api.state import ServiceState

router = APIRouter(prefix="/v1", tags=["packages"])


def _check_process(process: str | None) -> None:
    from ingest.completeness import UnknownProcess, load_rules

    if process:
        try:
            load_rules(process)
        except UnknownProcess as exc:
            raise ProblemError(422, "unknown_process", "unknown process", str(exc)) from exc


async def read_upload(request: Request, files: list[UploadFile]) -> list[tuple[str, bytes]]:
    """The uploaded files as (name, bytes), checked against the package limits."""
    settings = request.app.state.service.settings
    if not files:
        raise ProblemError(422, "no_files", "no files", "send the package's files as repeated `files` parts")
    if len(files) > settings.max_files:
        raise ProblemError(
            413, "too_many_files", "too many files", f"{len(files)} files; the limit is {settings.max_files}"
        )
    out = []
    for i, f in enumerate(files):
        data = await f.read(settings.max_file_bytes + 1)
        if len(data) > settings.max_file_bytes:
            raise ProblemError(
                413, "file_too_large", "file too large", f"{f.filename!r} is over {settings.max_file_bytes} bytes"
            )
        name = (f.filename or f"file{i + 1}").replace("/", "_").replace("\\", "_")[:200]
        out.append((name, data))
    return out


def job_view(state: ServiceState, job: dict) -> dict:
    out = {
        "job_id": job["id"],
        "package_id": job["package_id"],
        "status": job["status"],
        "error": job["error"],
        "created_at": job["created_at"],
        "started_at": job["started_at"],
        "finished_at": job["finished_at"],
    }
    if job["status"] == "done":
        out["report"] = state.jobs.package(job["package_id"])["report"]
    return out


@router.post(
    "/packages",
    summary="Process a package",
    responses={202: {"description": "Accepted as a job (async=true)"}},
)
async def post_package(
    request: Request,
    files: list[UploadFile] = File(..., description="The package's files (PDF, images, DOCX, TXT)"),
    process: str | None = Form(None, description="ombudsman_appeal | device_refund | number_reregistration"),
    profile: str | None = Form(None, description="Category profile (default: the process's own)"),
    async_form: bool | None = Form(None, alias="async"),
    async_query: bool = Query(False, alias="async", description="Return 202 and a job id at once"),
    key: ApiKey = Depends(require("intake")),
) -> JSONResponse:
    """Ingest, completeness, category, refund verdict and similar decisions, as one report.

    Originals are stored under the data folder by sha256; the same package posted twice is
    recognised (``duplicate: true``) and answered from what is stored."""
    state: ServiceState = request.app.state.service
    _check_process(process)
    if profile is not None and state.ready and profile not in state.profiles:
        raise ProblemError(422, "unknown_profile", "unknown profile", f"known: {', '.join(state.profiles)}")
    as_job = bool(async_form) or async_query
    if not as_job and not state.ready:
        raise ProblemError(503, "not_ready", "models are loading", "retry, or post with async=true")
    data = await read_upload(request, files)
    submit = state.jobs.submit if as_job else state.jobs.process_now
    sub = await run_in_threadpool(submit, data, process, profile, key.id)
    audit(request, "package.submit", sub.package_id)
    job = state.jobs.job(sub.job_id)
    if as_job:
        body = {**job_view(state, job), "duplicate": sub.duplicate}
        return JSONResponse(body, status_code=200 if job["status"] == "done" else 202)
    if job["status"] == "failed":
        raise ProblemError(500, "processing_failed", "the package could not be processed", job["error"] or "")
    if job["status"] != "done":
        return JSONResponse({**job_view(state, job), "duplicate": sub.duplicate}, status_code=202)
    report = state.jobs.package(sub.package_id)["report"]
    return JSONResponse({**report, "job_id": sub.job_id, "duplicate": sub.duplicate})


@router.get("/jobs/{job_id}", summary="A job's status, and its report when done")
def get_job(job_id: str, request: Request, _: ApiKey = Depends(require("intake"))) -> dict:
    state: ServiceState = request.app.state.service
    job = state.jobs.job(job_id)
    if job is None:
        raise ProblemError(404, "job_not_found", "no such job", job_id)
    audit(request, "job.read", job_id)
    return job_view(state, job)


@router.get("/packages/{package_id}", summary="A stored package report")
def get_package(package_id: str, request: Request, _: ApiKey = Depends(require("intake"))) -> dict:
    state: ServiceState = request.app.state.service
    package = state.jobs.package(package_id)
    if package is None:
        raise ProblemError(404, "package_not_found", "no such package", package_id)
    if package["report"] is None:
        raise ProblemError(409, "not_processed", "the package is not processed yet", "poll its job")
    audit(request, "package.read", package_id)
    return package["report"]
