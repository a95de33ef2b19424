"""Heavy resources of the service, loaded once in the background at start-up, and the durable
parts (database, uploads, job worker) opened at once."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from api.db import Database
from api.jobs import JobQueue, UploadStore
from api.keys import KeyStore
from api.metrics import Metrics
from claims.settings import Settings
from models.encoders import Encoder, shared_encoder
from models.registry import ArtifactError

log = logging.getLogger(__name__)

# The category profile a package is classified under when the request names none.
PROCESS_PROFILES = {"ombudsman_appeal": "finance", "number_reregistration": "telecom", "device_refund": None}


@dataclass
class ServiceState:
    """What the service has loaded; ``ready`` flips once every model is in memory."""

    settings: Settings
    encoder: Encoder | None = None
    doctype_model: object | None = None
    refund_model: object | None = None
    profiles: dict = field(default_factory=dict)
    index: object | None = None
    error: str | None = None
    load_seconds: float | None = None
    _done: threading.Event = field(default_factory=threading.Event)
    # Decision writes change the FAISS and BM25 indexes in place: searches wait for them.
    index_lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.settings.ensure_dirs()
        self.db = Database(self.settings.data_dir / "service.sqlite")
        self.keys = KeyStore(self.db)
        self.uploads = UploadStore(self.settings.data_dir / "uploads")
        self.jobs = JobQueue(self.db, self.uploads, self.process)
        self.metrics = Metrics(self.jobs.depth)

    @property
    def ready(self) -> bool:
        return self._done.is_set() and self.error is None

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def load(self) -> None:
        start = time.perf_counter()
        try:
            from classify.profiles import load_profile
            from classify.refund.model import load_refund_model
            from ingest.documents import load_doctype_model
            from ingest.fields import natasha_models
            from search.adapter import attach_query_adapter
            from search.hybrid import DecisionIndex

            models_dir = self.settings.models_dir
            self.encoder = shared_encoder(self.settings.encoder, str(models_dir))
            self.doctype_model = load_doctype_model(models_dir)
            natasha_models()
            with contextlib.suppress(ArtifactError):
                self.refund_model = load_refund_model(models_dir)
            categories = Path(models_dir) / "categories"
            for folder in sorted(categories.iterdir()) if categories.is_dir() else []:
                try:
                    self.profiles[folder.name] = load_profile(models_dir, folder.name)
                except ArtifactError as exc:
                    log.warning("category profile %s not loaded: %s", folder.name, exc)
            search_dir = self.settings.data_dir / "search"
            self.index = DecisionIndex(search_dir, self.encoder, lock_timeout=self.settings.library_wait_s)
            attach_query_adapter(self.index, models_dir, self.settings.search_adapter)
            self.load_seconds = time.perf_counter() - start
            log.info(
                "models loaded in %.1f s (encoder %s, profiles %s, %d decisions)",
                self.load_seconds,
                self.encoder.name,
                ",".join(self.profiles) or "-",
                self.index.store.count(),
            )
        except Exception as exc:  # reported by /readyz; the process keeps answering /healthz
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("model loading failed")
        finally:
            self._done.set()

    def start_loading(self) -> threading.Thread:
        thread = threading.Thread(target=self.load, name="model-loader", daemon=True)
        thread.start()
        self.jobs.start(ready=lambda: self.ready)
        return thread

    def stop(self) -> None:
        self.jobs.stop()
        if self.index is not None:
            with self.index_lock:
                self.index.close()
        self.db.close()

    # ---- the package pipeline, as jobs run it -------------------------------------------------

    def profile_for(self, process: str | None, profile: str | None):
        name = profile if profile is not None else PROCESS_PROFILES.get(process or "")
        return self.profiles.get(name) if name else None

    def search(self, *args, **kwargs):
        with self.index_lock:
            if self.index.refresh():  # another process (`claims index add`) changed the library
                self.library_changed()
            return self.index.search(*args, **kwargs)

    def library_changed(self) -> None:
        """Choose the query adapter again for the decisions the library holds now (call under
        ``index_lock`` after a write): a service started on an empty library has the shipped adapter,
        and must drop it once the library turns out to hold disputes it never learned (and take it
        back if they are deleted; and when a search finds the library changed by another process)."""
        from search.adapter import attach_query_adapter

        had = self.index.adapter is not None
        attach_query_adapter(self.index, self.settings.models_dir, self.settings.search_adapter, quiet=True)
        if had != (self.index.adapter is not None):
            log.info(
                "query adapter %s for a library of %d decisions",
                "dropped" if had else "applied",
                self.index.store.count(),
            )

    def process(self, package: dict, files: list[tuple[str, bytes]]) -> dict:
        from claims.pipeline import process_package
        from ingest.sniff import Limits

        result = process_package(
            files,
            package["process"],
            self.doctype_model,
            Limits.from_settings(self.settings),
            include_text=True,
            refund_model=self.refund_model,
            profile=self.profile_for(package["process"], package["profile"]),
            index=_LockedIndex(self) if self.index is not None and self.settings.similar_k else None,
            k=self.settings.similar_k or 1,
        )
        report = result.report
        report.package_id = package["id"]
        # Texts stay in the database (for reviewers' corrections and retraining), not in the report.
        texts = {d.id: d.text for d in report.documents}
        for d in report.documents:
            d.text = None
        self.db.execute(
            "UPDATE packages SET case_text = ?, texts = ? WHERE id = ?",
            (result.case_text, json.dumps(texts, ensure_ascii=False), package["id"]),
        )
        self.metrics.pages_ocr.inc(report.timings_ms.get("ocr_pages", 0))
        return report.model_dump(mode="json")


class _LockedIndex:
    def __init__(self, state: ServiceState):
        self.state = state

    def search(self, *args, **kwargs):
        return self.state.search(*args, **kwargs)
