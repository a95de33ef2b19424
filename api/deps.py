"""Small dependencies shared by the routes."""

from __future__ import annotations

from fastapi import Request

from api.errors import ProblemError
from api.state import ServiceState


def ready_state(request: Request) -> ServiceState:
    """The loaded service; 503 ``not_ready`` while models are loading (or failed to)."""
    state: ServiceState = request.app.state.service
    if not state.ready:
        if state.error:
            raise ProblemError(503, "models_failed", "models failed to load", state.error)
        raise ProblemError(503, "not_ready", "models are loading", "try again shortly", headers={"Retry-After": "5"})
    return state
