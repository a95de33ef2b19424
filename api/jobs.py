"""Packages and their jobs, durable in SQLite, run by a worker thread.

A package is accepted by writing its originals under ``<data_dir>/uploads`` (named by their
sha256, written atomically) and a ``queued`` job in the same transaction as the package row; only
then does the client get its id. The worker takes the oldest queued job; after a restart jobs left
``running`` go back to the queue (up to ``MAX_ATTEMPTS``), so nothing accepted is lost. The
package id is a hash of the process, the profile and the files' contents: the same package posted
twice is recognised and answered from what is stored."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from api.db import Database, now

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class StoredFile:
    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Submission:
    package_id: str
    job_id: str
    status: str
    duplicate: bool


def package_id_for(process: str | None, profile: str | None, files: list[StoredFile]) -> str:
    h = hashlib.sha256(f"{process or ''}\n{profile or ''}\n".encode())
    for sha in sorted(f.sha256 for f in files):
        h.update(sha.encode())
    return "pkg_" + h.hexdigest()[:24]


class UploadStore:
    """Originals under ``<root>/<sha[:2]>/<sha>``; the same content is kept once."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def put(self, name: str, data: bytes) -> StoredFile:
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{sha}.{secrets.token_hex(4)}.tmp")
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        return StoredFile(name, sha, len(data))

    def read(self, files: list[dict]) -> list[tuple[str, bytes]]:
        return [(f["name"], self.path(f["sha256"]).read_bytes()) for f in files]


class JobQueue:
    """``processor(package_row, files)`` returns the report as a JSON-able dict."""

    def __init__(self, db: Database, uploads: UploadStore, processor: Callable[[dict, list], dict] | None = None):
        self.db, self.uploads, self.processor = db, uploads, processor
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- accepting ---------------------------------------------------------------------------

    def submit(
        self,
        files: list[tuple[str, bytes]],
        process: str | None,
        profile: str | None,
        key_id: str | None,
        claim: bool = False,
    ) -> Submission:
        """Store the package and its job. ``claim`` makes the job ``running`` at once, for the
        caller to run it now (a synchronous request); should the process stop first, ``recover``
        puts it back in the queue."""
        stored = [self.uploads.put(name, data) for name, data in files]
        pid = package_id_for(process, profile, stored)
        with self.db.transaction() as db:
            existing = db.execute(
                "SELECT id, status FROM jobs WHERE package_id = ? AND status != 'failed' "
                "ORDER BY created_at DESC LIMIT 1",
                (pid,),
            ).fetchone()
            if existing:
                return Submission(pid, existing["id"], existing["status"], True)
            db.execute(
                "INSERT OR IGNORE INTO packages (id, process, profile, files, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (pid, process, profile, json.dumps([vars(f) for f in stored], ensure_ascii=False), key_id, now()),
            )
            job_id = "job_" + secrets.token_hex(8)
            status = "running" if claim else "queued"
            db.execute(
                "INSERT INTO jobs (id, package_id, status, attempts, created_at, started_at) VALUES (?, ?, ?, ?, ?, ?)",
                (job_id, pid, status, int(claim), now(), now() if claim else None),
            )
        if not claim:
            self._wake.set()
        return Submission(pid, job_id, status, False)

    def process_now(
        self, files: list[tuple[str, bytes]], process: str | None, profile: str | None, key_id: str | None
    ) -> Submission:
        """Store and run a package in the caller's thread (a package seen before is not re-run)."""
        sub = self.submit(files, process, profile, key_id, claim=True)
        if not sub.duplicate:
            self.run(self.job(sub.job_id))
        return sub

    # ---- reading ----------------------------------------------------------------------------

    def job(self, job_id: str) -> dict | None:
        rows = self.db.query("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return dict(rows[0]) if rows else None

    def package(self, package_id: str) -> dict | None:
        rows = self.db.query("SELECT * FROM packages WHERE id = ?", (package_id,))
        if not rows:
            return None
        row = dict(rows[0])
        row["files"] = json.loads(row["files"])
        row["report"] = json.loads(row["report"]) if row["report"] else None
        row["texts"] = json.loads(row["texts"]) if row["texts"] else {}
        return row

    def depth(self) -> int:
        return int(self.db.query("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")[0][0])

    # ---- running -----------------------------------------------------------------------------

    def recover(self) -> int:
        """Jobs a stopped process left ``running`` go back to the queue (or fail after
        ``MAX_ATTEMPTS`` tries: a package that kills the process every time must not loop)."""
        with self.db.transaction() as db:
            db.execute(
                "UPDATE jobs SET status = 'failed', error = 'gave up after repeated interruptions', finished_at = ? "
                "WHERE status = 'running' AND attempts >= ?",
                (now(), MAX_ATTEMPTS),
            )
            return db.execute("UPDATE jobs SET status = 'queued' WHERE status = 'running'").rowcount

    def claim(self, job_id: str | None = None) -> dict | None:
        """Mark the given (or the oldest) queued job running and return it."""
        with self.db.transaction() as db:
            if job_id is None:
                row = db.execute("SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at LIMIT 1").fetchone()
                if row is None:
                    return None
                job_id = row["id"]
            n = db.execute(
                "UPDATE jobs SET status = 'running', started_at = ?, attempts = attempts + 1 "
                "WHERE id = ? AND status = 'queued'",
                (now(), job_id),
            ).rowcount
            if not n:
                return None
            return dict(db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())

    def run(self, job: dict) -> dict:
        """Process one claimed job; the report (or the error) is stored before returning."""
        package = self.package(job["package_id"])
        try:
            if self.processor is None:
                raise RuntimeError("no processor configured")
            report = self.processor(package, self.uploads.read(package["files"]))
        except Exception as exc:
            log.exception("job %s failed", job["id"])
            with self.db.transaction() as db:
                db.execute(
                    "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE id = ?",
                    (f"{type(exc).__name__}: {exc}"[:500], now(), job["id"]),
                )
            return {**job, "status": "failed", "error": f"{type(exc).__name__}: {exc}"}
        with self.db.transaction() as db:
            db.execute(
                "UPDATE packages SET report = ? WHERE id = ?",
                (json.dumps(report, ensure_ascii=False), job["package_id"]),
            )
            db.execute("UPDATE jobs SET status = 'done', finished_at = ? WHERE id = ?", (now(), job["id"]))
        return {**job, "status": "done"}

    def start(self, ready: Callable[[], bool] = lambda: True) -> None:
        """The worker thread; it waits for ``ready()`` (models loaded) before taking jobs."""
        self.recover()
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                if ready():
                    job = self.claim()
                    if job is not None:
                        self.run(job)
                        continue
                self._wake.wait(0.5)
                self._wake.clear()

        self._thread = threading.Thread(target=loop, name="package-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
