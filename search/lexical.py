"""BM25 over pymorphy3 lemmas, stemmed: "выплаты", "выплату" and "выплатил" are one term."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse

from models.registry import ArtifactError, atomic_folder, now_iso
from models.text import terms as index_terms

FORMAT_VERSION = 1
#: How text becomes terms; an index made by another analyzer is rebuilt from the stored passages.
ANALYZER = "pymorphy3-lemma+snowball-stem/v1"


class LexicalIndex:
    """Passages as lemma counts; the BM25 matrix is rebuilt lazily after additions and removals."""

    def __init__(self, k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        self._docs: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # pid -> (term ids, counts)
        self._dirty = True
        self._matrix: sparse.csc_matrix | None = None
        self._pids = np.zeros(0, dtype=np.int64)
        self._idf = np.zeros(0, dtype=np.float32)

    @property
    def count(self) -> int:
        return len(self._docs)

    def _term_ids(self, terms: list[str], grow: bool) -> list[int]:
        out = []
        for t in terms:
            i = self.vocab.get(t)
            if i is None and grow:
                i = self.vocab[t] = len(self.vocab)
            if i is not None:
                out.append(i)
        return out

    def add(self, pids, texts: list[str]) -> None:
        for pid, text in zip(pids, texts, strict=True):
            counts = Counter(self._term_ids(index_terms(text), grow=True))
            ids = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
            tfs = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            self._docs[int(pid)] = (ids, tfs)
        self._dirty = True

    def remove(self, pids) -> int:
        n = 0
        for pid in pids:
            n += self._docs.pop(int(pid), None) is not None
        self._dirty = self._dirty or n > 0
        return n

    def _rebuild(self) -> None:
        pids = np.fromiter(self._docs.keys(), dtype=np.int64, count=len(self._docs))
        lengths = np.array([tfs.sum() for _, tfs in self._docs.values()], dtype=np.float32)
        indptr = np.zeros(len(pids) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(ids) for ids, _ in self._docs.values()])
        cols = np.concatenate([ids for ids, _ in self._docs.values()]) if self._docs else np.zeros(0, np.int32)
        tfs = np.concatenate([t for _, t in self._docs.values()]) if self._docs else np.zeros(0, np.float32)
        avgdl = float(lengths.mean()) if len(lengths) else 1.0
        row_len = np.repeat(lengths, np.diff(indptr))
        weights = tfs * (self.k1 + 1) / (tfs + self.k1 * (1 - self.b + self.b * row_len / avgdl))
        m = sparse.csr_matrix((weights, cols, indptr), shape=(len(pids), max(len(self.vocab), 1)))
        df = np.bincount(cols, minlength=max(len(self.vocab), 1)).astype(np.float32)
        n = max(len(pids), 1)
        self._idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        self._matrix, self._pids, self._dirty = m.tocsc(), pids, False

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, pids) for the query; passages sharing no lemma are not returned."""
        if self._dirty:
            self._rebuild()
        terms = Counter(self._term_ids(index_terms(query), grow=False))
        if not terms or not len(self._pids):
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        cols = np.fromiter(terms.keys(), dtype=np.int64)
        qw = np.fromiter(terms.values(), dtype=np.float32) * self._idf[cols]
        scores = np.asarray(self._matrix[:, cols] @ qw).ravel()
        if allowed is not None:
            scores = np.where(np.isin(self._pids, allowed), scores, 0.0)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        hits = hits[np.argsort(-scores[hits], kind="stable")]
        return scores[hits].astype(np.float32), self._pids[hits]

    # ---- persistence -----------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        pids = np.fromiter(self._docs.keys(), dtype=np.int64, count=len(self._docs))
        lens = np.array([len(ids) for ids, _ in self._docs.values()], dtype=np.int64)
        with atomic_folder(Path(folder)) as tmp:
            np.savez_compressed(
                tmp / "lexical.npz",
                pids=pids,
                lens=lens,
                ids=np.concatenate([i for i, _ in self._docs.values()]) if self._docs else np.zeros(0, np.int32),
                tfs=np.concatenate([t for _, t in self._docs.values()]) if self._docs else np.zeros(0, np.float32),
            )
            (tmp / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False))
            meta = {
                "format_version": FORMAT_VERSION,
                "analyzer": ANALYZER,
                "count": self.count,
                "vocab": len(self.vocab),
                "k1": self.k1,
                "b": self.b,
                "saved_at": now_iso(),
            }
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        folder = Path(folder)
        try:
            meta = json.loads((folder / "meta.json").read_text())
            if meta.get("format_version") != FORMAT_VERSION or meta.get("analyzer") != ANALYZER:
                raise ArtifactError(
                    f"lexical index at {folder} was made by format {meta.get('format_version')} / analyzer "
                    f"{meta.get('analyzer')}, not {FORMAT_VERSION} / {ANALYZER}"
                )
            self = cls(meta["k1"], meta["b"])
            self.vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
            data = np.load(folder / "lexical.npz")
        except (OSError, ValueError, KeyError) as exc:
            raise ArtifactError(f"lexical index at {folder} is missing or unreadable: {exc}") from exc
        offsets = np.concatenate([[0], np.cumsum(data["lens"])])
        ids, tfs = data["ids"], data["tfs"]
        for j, pid in enumerate(data["pids"]):
            self._docs[int(pid)] = (ids[offsets[j] : offsets[j + 1]], tfs[offsets[j] : offsets[j + 1]])
        if self.count != meta["count"]:
            raise ArtifactError(f"lexical index at {folder} disagrees with its meta.json: rebuild it")
        return self
