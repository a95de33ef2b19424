"""One library folder open in several processes (the service, and `claims index add` loading a
corpus beside it): writers take turns, and each process picks up what another one wrote.

A write (adding, changing or deleting decisions, indexing what is pending) holds an exclusive
``flock`` on the folder's ``write.lock`` from start to end, and every save of the indexes bumps the
library's generation in its SQLite store. An index whose generation is behind loads the indexes
from disk again: before a write always (it holds the lock), before a search only when no other
process is writing (a search never waits; until the writer is done it answers from what it had)."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

from search.types import SearchError

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05


class FolderLock:
    """The write lock of one library folder. Not for threads of one process to share: the service
    lets one thread at a time use its index."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def _open(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)

    @contextlib.contextmanager
    def exclusive(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the lock for a write; wait for another process's write to end, at most ``timeout``
        seconds (None: as long as it takes), else raise ``SearchError("index_busy")``."""
        if self.held:
            raise RuntimeError("the write lock is already held")
        fd = self._open()
        try:
            deadline = None if timeout is None else time.monotonic() + timeout
            waiting = False
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise SearchError(
                            "index_busy", "another process is writing the decision library; try again later"
                        ) from None
                    if not waiting:
                        log.info("waiting for another process to finish writing %s", self.path.parent)
                        waiting = True
                    time.sleep(POLL_SECONDS)
            self._fd = fd
            yield
        finally:
            self._fd = None
            os.close(fd)  # releases the lock

    @contextlib.contextmanager
    def shared_if_free(self) -> Iterator[bool]:
        """A shared hold for reading the saved indexes, without waiting: yields False while another
        process (or this one) writes."""
        fd = self._open()
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)
