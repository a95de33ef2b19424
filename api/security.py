"""Who may call what: an API key (header ``X-API-Key``, or the reviewer page's session cookie),
its role, and a per-key rate limit."""

from __future__ import annotations

import threading
import time

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from api.errors import ProblemError
from api.keys import ApiKey

KEY_HEADER = "X-API-Key"
KEY_COOKIE = "claims_key"
_header = APIKeyHeader(name=KEY_HEADER, auto_error=False, description="A key from `claims keys create`")


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute, bursts up to the same number."""

    def __init__(self, per_minute: int):
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str) -> float:
        """0 when allowed, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key_id] = (tokens - 1, now)
                return 0.0
            self._buckets[key_id] = (tokens, now)
            return (1 - tokens) / self.rate


def require(role: str):
    """A dependency: the caller's key, which must have at least ``role``."""

    def dependency(request: Request, header_key: str | None = Depends(_header)) -> ApiKey:
        state = request.app.state.service
        raw = header_key or request.cookies.get(KEY_COOKIE)
        if not raw:
            raise ProblemError(401, "missing_api_key", "API key required", f"send it in the {KEY_HEADER} header")
        key = state.keys.verify(raw)
        if key is None:
            raise ProblemError(401, "invalid_api_key", "invalid API key", "the key is unknown or revoked")
        request.state.key = key
        if not key.allows(role):
            raise ProblemError(
                403, "forbidden", "not allowed", f"this route needs the {role} role; the key is {key.role}"
            )
        wait = request.app.state.limiter.take(key.id)
        if wait:
            raise ProblemError(
                429,
                "rate_limited",
                "too many requests",
                f"retry in {wait:.1f} s",
                headers={"Retry-After": str(int(wait) + 1)},
            )
        return key

    return dependency
