"""Around every request: a request id (taken from ``X-Request-ID`` when sane, else new) in the
response and every log line, one JSON access-log line, Prometheus metrics per route, and the
request-size limit (checked against Content-Length and again while the body streams in)."""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import time

from api.logs import request_id

log = logging.getLogger("api.access")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"the request body is larger than {limit} bytes")
        self.limit = limit


class RequestContext:
    def __init__(self, app, max_body: int, metrics):
        self.app, self.max_body, self.metrics = app, max_body, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        given = headers.get("x-request-id", "")
        rid = given if _SANE_ID.match(given) else secrets.token_hex(8)
        token = request_id.set(rid)
        start = time.perf_counter()
        status = {"code": 500}
        exceeded = {"flag": False, "started": False}

        async def send_with_id(message):
            if exceeded["flag"] and not exceeded["started"]:
                return  # the app's answer to a cut-off body is replaced by our 413 below
            if message["type"] == "http.response.start":
                exceeded["started"] = True
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            length = headers.get("content-length")
            if length and length.isdigit() and int(length) > self.max_body:
                await self._too_large(send_with_id)
                return
            seen = 0

            async def limited_receive():
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > self.max_body:
                        exceeded["flag"] = True
                        raise BodyTooLarge(self.max_body)
                return message

            with contextlib.suppress(BodyTooLarge):
                await self.app(scope, limited_receive, send_with_id)
            if exceeded["flag"] and not exceeded["started"]:
                # The body parser may have turned our exception into a 400: answer 413 instead.
                exceeded["flag"] = False
                await self._too_large(send_with_id)
        finally:
            seconds = time.perf_counter() - start
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(path, scope["method"], status["code"], seconds)
            log.info(
                "%s %s %d",
                scope["method"],
                path,
                status["code"],
                extra={
                    "method": scope["method"],
                    "path": path,
                    "status": status["code"],
                    "duration_ms": round(seconds * 1000, 1),
                    "request_id": rid,
                },
            )
            request_id.reset(token)

    async def _too_large(self, send) -> None:
        from api.errors import problem

        response = problem(
            413, "payload_too_large", "request too large", f"the request body is larger than {self.max_body} bytes"
        )
        await response({"type": "http"}, None, send)
