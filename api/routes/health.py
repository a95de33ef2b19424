"""Liveness, readiness and version."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

import claims
from api.errors import problem

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict:
    """The process is up and answering."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(request: Request) -> dict | JSONResponse:
    """True once the models are loaded; 503 until then (or if loading failed)."""
    state = request.app.state.service
    if state.ready:
        return {"ready": True, "encoder": state.encoder.name, "load_seconds": state.load_seconds}
    if state.error:
        return problem(503, "models_failed", "models failed to load", state.error, ready=False)
    return problem(503, "not_ready", "models are loading", "try again shortly", ready=False)


@router.get("/version")
def version(request: Request) -> dict:
    state = request.app.state.service
    enc = state.encoder
    return {
        "service": "claims",
        "version": claims.__version__,
        "encoder": {"name": enc.name, "version": enc.version, "dim": enc.dim} if enc else None,
    }
