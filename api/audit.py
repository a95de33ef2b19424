"""The audit log: who read or changed what, with the request id (a row per action in SQLite)."""

from __future__ import annotations

from fastapi import Request

from api.db import now
from api.logs import request_id


def audit(request: Request, action: str, target: str | None = None) -> None:
    key = getattr(request.state, "key", None)
    request.app.state.service.db.execute(
        "INSERT INTO audit (at, key_id, role, action, target, request_id) VALUES (?, ?, ?, ?, ?, ?)",
        (now(), key.id if key else None, key.role if key else None, action, target, request_id.get()),
    )


def entries(request: Request, limit: int = 100) -> list[dict]:
    rows = request.app.state.service.db.query("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
    return [dict(r) for r in rows]
