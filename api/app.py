"""The FastAPI application; models are loaded once, in the lifespan, off the request path."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

import claims
from api.errors import install_error_handlers, problem
from api.middleware import BodyTooLarge, RequestContext
from api.routes import analysis, decisions, feedback, health, packages, ui
from api.security import RateLimiter
from api.state import ServiceState
from claims.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service.start_loading()
        yield
        app.state.service.stop()

    app = FastAPI(
        title="claims",
        version=claims.__version__,
        description=(
            "Offline document intelligence for Russian claims and appeals. Every `/v1` route needs an "
            "API key in `X-API-Key` (`claims keys create --role intake|reviewer|admin`). Errors are "
            "`application/problem+json` with a stable `code`."
        ),
        lifespan=lifespan,
    )
    state = ServiceState(settings)
    app.state.service = state
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute)
    install_error_handlers(app)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return problem(413, "payload_too_large", "request too large", str(exc))

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics")
    def metrics() -> Response:
        from api.metrics import CONTENT_TYPE

        return Response(state.metrics.render(), media_type=CONTENT_TYPE)

    for module in (health, packages, analysis, decisions, feedback, ui):
        app.include_router(module.router)
    app.add_middleware(RequestContext, max_body=settings.max_request_bytes, metrics=state.metrics)
    return app
