"""Versioned artifact folders: a folder with ``meta.json``, written to a temporary name and renamed
into place, so a crash mid-write never leaves a half-written artifact where a loader looks."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class ArtifactError(RuntimeError):
    """An artifact is missing, broken, or of another format version."""


def _sweep_stale(parent: Path, name: str) -> None:
    for stale in parent.glob(f".{name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; on success it replaces ``target`` at once.

    On any exception the staging folder is removed and ``target`` is left as it was.
    """
    target = Path(target)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(parent, target.name)
    staging = parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = parent / f".{target.name}.tmp-old-{uuid.uuid4().hex[:8]}"
        os.replace(target, old)
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def read_meta(folder: Path, *, format_version: int | None = None) -> dict[str, Any]:
    """Read ``meta.json``; refuse a folder of another format version with a clear error."""
    path = Path(folder) / "meta.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactError(f"{folder} has no meta.json: not a prepared artifact") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path} is unreadable: {exc}") from exc
    if format_version is not None and meta.get("format_version") != format_version:
        raise ArtifactError(
            f"{folder} has format version {meta.get('format_version')}, this code reads "
            f"{format_version}; run `claims models prepare` to rebuild it"
        )
    return meta


@contextlib.contextmanager
def encoder_detached(estimator) -> Iterator[Any]:
    """The estimator without its ``encoder`` while it is pickled (encoders are loaded by name)."""
    encoder = estimator.encoder
    estimator.encoder = None
    try:
        yield encoder
    finally:
        estimator.encoder = encoder


def attach_encoder(estimator, meta: dict, loader, what: str, remedy: str) -> None:
    """Give a loaded estimator the encoder named in its ``meta`` (``loader(name)`` loads it);
    ArtifactError when the installed encoder is another version than the one it was trained with."""
    if not meta.get("encoder"):
        return
    encoder = loader(meta["encoder"])
    if encoder.version != meta.get("encoder_version"):
        raise ArtifactError(
            f"{what} was trained with {meta['encoder']} {meta.get('encoder_version')}, "
            f"the installed one is {encoder.version}: {remedy}"
        )
    estimator.encoder = encoder
