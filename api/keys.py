"""API keys: random tokens shown once, stored only as their SHA-256, each with a role.

A key is 32 random bytes, so a fast hash is enough (there is nothing to brute-force, unlike a
password). Roles nest: ``admin`` can do everything ``reviewer`` can, ``reviewer`` everything
``intake`` can."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from api.db import Database, now

ROLES = ("intake", "reviewer", "admin")
PREFIX = "clm_"


@dataclass(frozen=True)
class ApiKey:
    id: str
    role: str
    name: str

    def allows(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class KeyStore:
    def __init__(self, db: Database):
        self.db = db

    def create(self, role: str, name: str = "") -> tuple[ApiKey, str]:
        """A new key; the raw token is returned here and never again."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        key_id = secrets.token_hex(4)
        raw = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        self.db.execute(
            "INSERT INTO api_keys (id, key_hash, role, name, created_at) VALUES (?, ?, ?, ?, ?)",
            (key_id, hash_key(raw), role, name, now()),
        )
        return ApiKey(key_id, role, name), raw

    def verify(self, raw: str | None) -> ApiKey | None:
        if not raw or not raw.startswith(PREFIX) or len(raw) > 200:
            return None
        rows = self.db.query(
            "SELECT id, key_hash, role, name FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
            (hash_key(raw),),
        )
        if not rows or not hmac.compare_digest(rows[0]["key_hash"], hash_key(raw)):
            return None
        return ApiKey(rows[0]["id"], rows[0]["role"], rows[0]["name"])

    def revoke(self, key_id: str) -> bool:
        return (
            self.db.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now(), key_id))
            > 0
        )

    def list(self) -> list[dict]:
        rows = self.db.query("SELECT id, role, name, created_at, revoked_at FROM api_keys ORDER BY created_at")
        return [dict(r) for r in rows]
