"""Dense passage index in FAISS: exact inner product for small collections, IVF above a size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from models.registry import ArtifactError, atomic_folder, now_iso

FORMAT_VERSION = 1


def _faiss():
    import faiss

    return faiss


class DenseIndex:
    """Passage vectors keyed by passage id (int64), searchable with an optional id allow-list.

    ``kind`` is ``"flat"`` (exact), ``"ivf"`` (approximate, trained on the vectors it holds) or
    ``"auto"``: flat until ``ivf_threshold`` vectors, then converted to IVF on the next save.
    """

    def __init__(
        self,
        dim: int,
        encoder: str,
        encoder_version: str,
        kind: str = "auto",
        ivf_threshold: int = 200_000,
        nprobe: int = 128,
    ):
        if kind not in ("flat", "ivf", "auto"):
            raise ValueError(f"unknown dense index kind {kind!r}")
        self.dim, self.encoder, self.encoder_version = dim, encoder, encoder_version
        self.kind, self.ivf_threshold, self.nprobe = kind, ivf_threshold, nprobe
        faiss = _faiss()
        self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self.layout = "flat"

    # ---- contents --------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return int(self.index.ntotal)

    def add(self, pids: np.ndarray, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"vectors must be (n, {self.dim}), got {vectors.shape}")
        if len(pids):
            self.index.add_with_ids(vectors, np.ascontiguousarray(pids, dtype=np.int64))

    def remove(self, pids) -> int:
        pids = np.asarray(list(pids), dtype=np.int64)
        if not len(pids):
            return 0
        return int(self.index.remove_ids(_faiss().IDSelectorBatch(pids)))

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, pids) per query; pid -1 pads when fewer exist."""
        faiss = _faiss()
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = max(1, min(k, max(self.count, 1)))
        sel = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64)) if allowed is not None else None
        if self.layout == "ivf":
            params = (
                faiss.SearchParametersIVF(sel=sel, nprobe=self.nprobe)
                if sel
                else faiss.SearchParametersIVF(nprobe=self.nprobe)
            )
        else:
            params = faiss.SearchParameters(sel=sel) if sel else None
        scores, ids = self.index.search(queries, k, params=params)
        return scores, ids

    # ---- IVF -------------------------------------------------------------------------------

    def to_ivf(self, nlist: int | None = None, seed: int = 0) -> None:
        """Rebuild as IVF-Flat, trained on the vectors the index holds now."""
        faiss = _faiss()
        n = self.count
        if n == 0:
            return
        if self.layout == "flat":
            ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
            vecs = self.index.index.reconstruct_n(0, n)
        else:
            ids = np.array([self.index.id_map.at(i) for i in range(n)], dtype=np.int64)
            vecs = np.vstack([self.index.reconstruct(int(i)) for i in ids])
        nlist = nlist or max(16, min(4096, int(4 * np.sqrt(n))))
        quantizer = faiss.IndexFlatIP(self.dim)
        ivf = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(seed)
        sample = vecs[rng.choice(n, size=min(n, nlist * 64), replace=False)]
        ivf.train(sample)
        wrapped = faiss.IndexIDMap2(ivf)
        wrapped.add_with_ids(vecs, ids)
        self.index, self.layout = wrapped, "ivf"

    def _maybe_convert(self) -> None:
        if self.layout == "flat" and (self.kind == "ivf" or (self.kind == "auto" and self.count >= self.ivf_threshold)):
            self.to_ivf()

    # ---- persistence -----------------------------------------------------------------------

    def meta(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "encoder": self.encoder,
            "encoder_version": self.encoder_version,
            "dim": self.dim,
            "count": self.count,
            "layout": self.layout,
            "kind": self.kind,
            "ivf_threshold": self.ivf_threshold,
            "nprobe": self.nprobe,
            "saved_at": now_iso(),
        }

    def save(self, folder: Path) -> None:
        """Write ``index.faiss`` and ``meta.json`` into a staging folder and swap it in whole."""
        self._maybe_convert()
        with atomic_folder(Path(folder)) as tmp:
            _faiss().write_index(self.index, str(tmp / "index.faiss"))
            (tmp / "meta.json").write_text(json.dumps(self.meta(), indent=2))

    @classmethod
    def load(cls, folder: Path, encoder: str, encoder_version: str) -> DenseIndex:
        """Raises ArtifactError if the folder is broken or was built with another encoder."""
        folder = Path(folder)
        try:
            meta = json.loads((folder / "meta.json").read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ArtifactError(f"dense index at {folder} is missing or unreadable: {exc}") from exc
        if meta.get("format_version") != FORMAT_VERSION:
            raise ArtifactError(f"dense index format {meta.get('format_version')} is not {FORMAT_VERSION}: rebuild it")
        if meta["encoder"] != encoder or meta["encoder_version"] != encoder_version:
            raise ArtifactError(
                f"the index was built with encoder {meta['encoder']} ({meta['encoder_version']}), not "
                f"{encoder} ({encoder_version}); rebuild it with `claims index build --rebuild` or use that encoder"
            )
        self = cls(meta["dim"], encoder, encoder_version, meta["kind"], meta["ivf_threshold"], meta["nprobe"])
        self.index = _faiss().read_index(str(folder / "index.faiss"))
        self.layout = meta["layout"]
        if self.count != meta["count"] or self.index.d != meta["dim"]:
            raise ArtifactError(f"dense index at {folder} disagrees with its meta.json: rebuild it")
        return self
