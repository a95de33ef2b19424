"""The FastAPI application; models are loaded once, in the lifespan, off the request path."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

import claims
from api.errors import install_error_handlers
from api.routes import health
from api.state import ServiceState
from claims.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service.start_loading()
        yield

    app = FastAPI(
        title="claims",
        version=claims.__version__,
        description="Offline document intelligence for Russian claims and appeals.",
        lifespan=lifespan,
    )
    app.state.service = ServiceState(settings)
    install_error_handlers(app)
    app.include_router(health.router)
    return app
