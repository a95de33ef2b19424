"""Heavy resources of the service, loaded once in the background at start-up."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from claims.settings import Settings
from models.encoders import Encoder, load_encoder

log = logging.getLogger(__name__)


@dataclass
class ServiceState:
    """What the service has loaded; ``ready`` flips once every model is in memory."""

    settings: Settings
    encoder: Encoder | None = None
    error: str | None = None
    load_seconds: float | None = None
    _done: threading.Event = field(default_factory=threading.Event)

    @property
    def ready(self) -> bool:
        return self._done.is_set() and self.error is None

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def load(self) -> None:
        start = time.perf_counter()
        try:
            self.settings.ensure_dirs()
            self.encoder = load_encoder(self.settings.encoder, self.settings.models_dir)
            self.load_seconds = time.perf_counter() - start
            log.info("models loaded in %.1f s (encoder %s)", self.load_seconds, self.encoder.name)
        except Exception as exc:  # reported by /readyz; the process keeps answering /healthz
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("model loading failed")
        finally:
            self._done.set()

    def start_loading(self) -> threading.Thread:
        thread = threading.Thread(target=self.load, name="model-loader", daemon=True)
        thread.start()
        return thread
