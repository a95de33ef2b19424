"""Similar-decision search: the store, the dense and lexical indexes, fusion, filters, snippets."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from models.encoders import Encoder
from models.registry import ArtifactError
from search.adapter import QueryAdapter
from search.chunking import CHUNKING, chunk_sentences
from search.dense import DenseIndex
from search.lexical import LexicalIndex
from search.organisations import OrganisationNames
from search.sharing import FolderLock
from search.snippets import highlight
from search.store import DecisionStore, text_hash
from search.types import DecisionRecord, Hit, SearchError, SearchFilters

log = logging.getLogger(__name__)

MAX_K = 100
MAX_QUERY_CHARS = 20_000
RRF_K = 60  # the usual constant of reciprocal-rank fusion
# Hybrid mode keeps the dense passages within this of the best one's score, per encoder: a score
# scale is the encoder's own, and only e5's was measured (2026-12-05, by a rule registered
# beforehand; README, Quality: search). Another encoder keeps the whole list.
DENSE_MARGINS = {"e5-small": 0.05, "e5-small-int8": 0.05}
MODES = ("hybrid", "dense", "lexical")


@dataclass
class FusionWeights:
    dense: float = 1.0
    lexical: float = 1.0
    organisation: float = 1.0  # an organisation named in the query, matched to the decisions' own
    category: float = 1.0  # the query's category probabilities (``category_prior``), when given
    # Hybrid mode: a dense passage counts only within this of the best one's score (None: the
    # encoder's ``DENSE_MARGINS``; math.inf: all of them). The dense list is filled whatever the
    # query, and summed passages would let a long decision's many weak matches outrank a short
    # decision that says what the query asks (README, Quality).
    dense_margin: float | None = None


@dataclass
class IngestStats:
    read: int = 0
    skipped: int = 0  # bad lines, counted and reported
    changed: int = 0
    indexed: int = 0
    passages: int = 0
    embedded: int = 0  # passages that needed the encoder (the rest came from the cache)


def read_corpus(path: Path, stats: IngestStats) -> Iterator[DecisionRecord]:
    """Records of a JSONL corpus; a malformed line is skipped, counted and logged, never fatal."""
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            stats.read += 1
            try:
                yield DecisionRecord.from_json(json.loads(line))
            except (json.JSONDecodeError, SearchError) as exc:
                stats.skipped += 1
                log.warning("%s:%d skipped: %s", path, lineno, exc)


def indexed_text(r: DecisionRecord) -> str:
    """What the indexes see: the title (subject, organisation) leads the first passage."""
    return f"{r.title}\n\n{r.text}" if r.title else r.text


class DecisionIndex:
    """All of search behind one object: open it once, share it (the API keeps one)."""

    def __init__(
        self,
        folder: Path,
        encoder: Encoder,
        dense_kind: str = "auto",
        ivf_threshold: int = 200_000,
        adapter: QueryAdapter | None = None,
        lock_timeout: float | None = None,
    ):
        """``lock_timeout``: how long a write waits for another process writing the same folder
        before it raises ``SearchError("index_busy")`` (None: as long as it takes)."""
        self.folder = Path(folder)
        self.encoder = encoder
        self.adapter = adapter  # maps query vectors (search.adapter); None searches with them as they are
        if adapter is not None and adapter.meta.get("encoder_version") != encoder.version:
            raise ArtifactError("the query adapter was trained with another encoder than the index's")
        self._orgs: OrganisationNames | None = None
        self._orgs_stamp = -1
        self.store = DecisionStore(self.folder / "decisions.sqlite")
        self.encoder_key = f"{encoder.name}@{encoder.version}"
        self.lock_timeout = lock_timeout
        self._lock = FolderLock(self.folder / "write.lock")
        # Opening may rebuild or re-index, and must not read indexes half-saved by another process.
        with self._lock.exclusive():
            self._generation = self.store.generation()
            self._open_indexes(dense_kind, ivf_threshold)

    def _open_indexes(self, dense_kind: str, ivf_threshold: int) -> None:
        encoder = self.encoder
        dense_dir, lexical_dir = self.folder / "dense", self.folder / "lexical"
        if (dense_dir / "meta.json").exists():
            self.dense = DenseIndex.load(dense_dir, encoder.name, encoder.version)
        else:
            self.dense = DenseIndex(encoder.dim, encoder.name, encoder.version, dense_kind, ivf_threshold)
        try:
            self.lexical = LexicalIndex.load(lexical_dir)
        except ArtifactError as exc:
            # Missing, broken or made by another analyzer: BM25 needs no encoder, so rebuild it
            # from the stored passages rather than refuse.
            if self.dense.count:
                log.warning("rebuilding the lexical index: %s", exc)
            self.lexical = LexicalIndex()
            for batch in self.store.iter_passages():
                self.lexical.add([p for p, _ in batch], [t for _, t in batch])
            self.lexical.save(lexical_dir)
        if self.dense.count != self.lexical.count:
            # Only a crash between the two saves leaves them apart; the embedding cache makes a
            # re-index cheap, so start both afresh rather than guess which one is right.
            log.warning(
                "dense and lexical indexes disagree (%d vs %d passages): re-indexing",
                self.dense.count,
                self.lexical.count,
            )
            self.reset_indexes()
        made_with = self._chunking_file().read_text().strip() if self._chunking_file().exists() else "paragraphs"
        if made_with != CHUNKING:
            if self.dense.count:
                # Another passage scheme: embed the stored decisions again (`claims index build`
                # and `make serve` index what is pending).
                log.warning("the index was chunked as %r, this code chunks as %r: re-indexing", made_with, CHUNKING)
                self.reset_indexes()
            self.save()

    # ---- several processes on one library (search.sharing) ---------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the library's write lock (unless already held) with the indexes as last saved."""
        if self._lock.held:
            yield
            return
        with self._lock.exclusive(self.lock_timeout):
            self._reload_if_behind()
            yield

    def refresh(self) -> bool:
        """Load the indexes again if another process has saved them since this one did; not while
        a write is under way elsewhere (False then, and when nothing changed). Search calls it."""
        if self.store.generation() == self._generation:
            return False
        if self._lock.held:
            return self._reload_if_behind()
        with self._lock.shared_if_free() as free:
            return free and self._reload_if_behind()

    def _reload_if_behind(self) -> bool:
        generation = self.store.generation()
        if generation == self._generation:
            return False
        old = self.dense
        try:
            if (self.folder / "dense" / "meta.json").exists():
                dense = DenseIndex.load(self.folder / "dense", self.encoder.name, self.encoder.version)
            else:
                dense = DenseIndex(old.dim, old.encoder, old.encoder_version, old.kind, old.ivf_threshold, old.nprobe)
            lexical = LexicalIndex.load(self.folder / "lexical")
        except ArtifactError as exc:
            log.warning("the decision library changed in another process but could not be loaded again: %s", exc)
            return False
        self.dense, self.lexical, self._generation = dense, lexical, generation
        log.info("the decision library changed in another process: %d passages now", dense.count)
        return True

    def _chunking_file(self) -> Path:
        return self.folder / "chunking.txt"

    def reset_indexes(self) -> None:
        """Empty both indexes and mark every decision for re-indexing (vectors stay cached); saved
        at once, so another process reads the library as it now is: its decisions pending."""
        with self._writing():
            self._reset_indexes()
            self.save()

    def _reset_indexes(self) -> None:
        self.dense = DenseIndex(
            self.encoder.dim,
            self.encoder.name,
            self.encoder.version,
            self.dense.kind,
            self.dense.ivf_threshold,
            self.dense.nprobe,
        )
        self.lexical = LexicalIndex()
        self.store.drop_passages(list(self.store.ids()))
        self.store.mark_all_unindexed()

    # ---- writing ---------------------------------------------------------------------------

    def add(
        self,
        records: Iterable[DecisionRecord],
        progress: bool | None = None,
        stats: IngestStats | None = None,
    ) -> IngestStats:
        """Insert or update decisions and index them; unchanged texts are not re-embedded."""
        stats = stats or IngestStats()
        with self._writing():
            changed, dropped = self.store.upsert(records)
            self._remove_pids(dropped)
            stats.changed += len(changed)
            self.index_pending(progress=progress, stats=stats)
        return stats

    def delete(self, ids: Iterable[str]) -> list[str]:
        with self._writing():
            found, pids = self.store.delete(ids)
            self._remove_pids(pids)
            self.save()
        return found

    def _remove_pids(self, pids: list[int]) -> None:
        if pids:
            self.dense.remove(pids)
            self.lexical.remove(pids)

    def index_pending(
        self,
        batch: int = 64,
        checkpoint: int = 1024,
        progress: bool | None = None,
        stats: IngestStats | None = None,
    ) -> IngestStats:
        """Embed and index every stored decision not yet indexed, saving every ``checkpoint``
        decisions, so an interrupted build resumes where it stopped."""
        with self._writing():
            return self._index_pending(batch, checkpoint, progress, stats or IngestStats())

    def _index_pending(self, batch: int, checkpoint: int, progress: bool | None, stats: IngestStats) -> IngestStats:
        pending = self.store.pending()
        if not pending:
            return stats
        show = progress if progress is not None else len(pending) > 50
        done: list[str] = []
        with tqdm(total=len(pending), desc="indexing decisions", unit="decision", disable=not show) as bar:
            for start in range(0, len(pending), batch):
                group = pending[start : start + batch]
                # Passages left by an interrupted run are dropped and made again.
                self._remove_pids(self.store.drop_passages([r.id for r in group]))
                passages = [p for r in group for p in chunk_sentences(r.id, indexed_text(r))]
                pids = self.store.add_passages(passages)
                texts = [p.text for p in passages]
                vectors = self._embed(texts, stats)
                self.dense.add(np.asarray(pids, dtype=np.int64), vectors)
                self.lexical.add(pids, texts)
                stats.passages += len(passages)
                done += [r.id for r in group]
                bar.update(len(group))
                if len(done) >= checkpoint:
                    self.save()
                    self.store.mark_indexed(done)
                    stats.indexed += len(done)
                    done = []
        self.save()
        self.store.mark_indexed(done)
        stats.indexed += len(done)
        return stats

    def _embed(self, texts: list[str], stats: IngestStats) -> np.ndarray:
        hashes = [text_hash(t) for t in texts]
        cached = self.store.cached_vectors(list(set(hashes)), self.encoder_key)
        missing = sorted({h: t for h, t in zip(hashes, texts, strict=True) if h not in cached}.items())
        if missing:
            vecs = self.encoder.encode_documents([t for _, t in missing], progress=False)
            fresh = {h: v for (h, _), v in zip(missing, vecs, strict=True)}
            self.store.cache_vectors(fresh, self.encoder_key)
            cached.update(fresh)
            stats.embedded += len(missing)
        if not texts:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return np.stack([cached[h] for h in hashes]).astype(np.float32)

    def save(self) -> None:
        with self._writing():
            self.dense.save(self.folder / "dense")
            self.lexical.save(self.folder / "lexical")
            tmp = self._chunking_file().with_suffix(".tmp")
            tmp.write_text(CHUNKING)
            tmp.replace(self._chunking_file())
            self._generation = self.store.bump_generation()

    def passage_vectors(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Every indexed passage's vector (from the embedding cache), the row of its decision in
        the returned id list, and that list: what a query adapter trains against."""
        pids, hashes = [], []
        for batch in self.store.iter_passages():
            pids += [p for p, _ in batch]
            hashes += [text_hash(t) for _, t in batch]
        owner_ids = self.store.passages(pids, with_text=False)
        cached = self.store.cached_vectors(list(set(hashes)), self.encoder_key)
        ids = sorted({owner_ids[p][0] for p in pids})
        row = {d: i for i, d in enumerate(ids)}
        vectors = np.stack([cached[h] for h in hashes]) if hashes else np.zeros((0, self.encoder.dim), np.float32)
        owners = np.array([row[owner_ids[p][0]] for p in pids], dtype=np.int64)
        return vectors.astype(np.float32), owners, ids

    # ---- reading ---------------------------------------------------------------------------

    def validate(self, query: str, k: int, filters: SearchFilters, mode: str) -> None:
        if not isinstance(query, str) or not query.strip():
            raise SearchError("empty_query", "the query is empty")
        if len(query) > MAX_QUERY_CHARS:
            raise SearchError(
                "query_too_long", f"the query has {len(query)} characters; the limit is {MAX_QUERY_CHARS}"
            )
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
            raise SearchError("bad_k", f"k must be an integer from 1 to {MAX_K}, got {k!r}")
        if mode not in MODES:
            raise SearchError("bad_mode", f"mode must be one of {MODES}, got {mode!r}")
        for col in ("category", "outcome", "organisation"):
            value = getattr(filters, col)
            if value is not None and value not in self.store.distinct(col):
                raise SearchError("unknown_filter_value", f"no decision has {col} = {value!r}")
        for name in ("date_from", "date_to"):
            value = getattr(filters, name)
            if value is not None:
                import datetime as dt

                try:
                    dt.date.fromisoformat(value)
                except (TypeError, ValueError) as exc:
                    raise SearchError("bad_filter", f"{name} must be YYYY-MM-DD, got {value!r}") from exc

    def search(
        self,
        query: str,
        k: int = 10,
        filters: SearchFilters | None = None,
        mode: str = "hybrid",
        weights: FusionWeights | None = None,
        candidates: int | None = None,
        aggregate: str | None = None,
        category_prior: Mapping[str, float] | None = None,
    ) -> list[Hit]:
        """Decisions most similar to ``query``, best first, one hit per decision.

        Each retriever ranks passages; a passage at rank r contributes weight / (60 + r) to its
        decision (reciprocal-rank fusion). In hybrid mode the dense list keeps only passages within
        ``weights.dense_margin`` (default: the encoder's in ``DENSE_MARGINS``) of its best score.
        ``aggregate="sum"`` adds up a decision's passages, so a decision that matches the query in
        several places (the organisation in one paragraph, the dispute in another) outranks one that
        matches in one place; ``"max"`` keeps only its best passage. In hybrid mode an
        organisation named in the query (recognised from the names in the store) counts as one
        more ranked list, and so does ``category_prior`` (the query's
        category probabilities from a category profile): a decision of category c gains
        p(c) / 61. The hit shows the decision's best passage. With a query adapter the query
        vector is mapped by it first, and ``weights`` and ``aggregate`` default to the settings
        chosen with it.

        Raises:
            SearchError: bad query, k, mode, aggregate or filter (with a stable ``code``).
        """
        filters = filters or SearchFilters()
        if weights is None:
            weights = FusionWeights(lexical=self.adapter.lexical_weight) if self.adapter else FusionWeights()
        if aggregate is None:
            aggregate = self.adapter.aggregate if self.adapter else "sum"
        self.validate(query, k, filters, mode)
        self.refresh()  # what another process has written since
        if aggregate not in ("sum", "max"):
            raise SearchError("bad_aggregate", f"aggregate must be 'sum' or 'max', got {aggregate!r}")
        allowed = None
        if filters.active:
            ids = self.store.filter_ids(filters)
            if not ids:
                return []
            allowed = self.store.passage_ids(ids)
        n = candidates or max(200, 20 * k)
        contributions: dict[int, float] = {}  # passage id -> fused score
        if mode in ("dense", "hybrid") and self.dense.count:
            qv = self.encoder.encode_queries([query], progress=False)
            if self.adapter is not None:
                qv = self.adapter.transform(qv)
            d_scores, d_ids = self.dense.search(qv, n, allowed)
            margin = weights.dense_margin
            if margin is None:
                margin = DENSE_MARGINS.get(self.encoder.name, np.inf)
            floor = -np.inf
            if mode == "hybrid" and d_ids[0][0] >= 0:
                floor = d_scores[0][0] - margin  # best first: the kept ones keep their ranks
            kept = (p for p, sc in zip(d_ids[0], d_scores[0], strict=True) if p >= 0 and sc >= floor)
            for rank, pid in enumerate(kept):
                contributions[int(pid)] = contributions.get(int(pid), 0.0) + weights.dense / (RRF_K + rank + 1)
        if mode in ("lexical", "hybrid"):
            _, l_ids = self.lexical.search(query, n, allowed)
            for rank, pid in enumerate(l_ids):
                contributions[int(pid)] = contributions.get(int(pid), 0.0) + weights.lexical / (RRF_K + rank + 1)
        named = self.organisations.find(query) if mode == "hybrid" and weights.organisation else set()
        prior = {}
        if mode == "hybrid" and category_prior:
            prior = {c: weights.category * p / (RRF_K + 1) for c, p in category_prior.items()}
        return self._group(query, contributions, k, aggregate, named, weights.organisation / (RRF_K + 1), prior)

    def _group(
        self,
        query: str,
        contributions: dict[int, float],
        k: int,
        aggregate: str,
        named: set[str],
        org_bonus: float,
        category_bonus: dict[str, float],
    ) -> list[Hit]:
        """One hit per decision with its best passage, best first, cut to ``k``."""
        if not contributions:
            return []
        info = self.store.passages(contributions, with_text=False)  # text only for the k shown
        score: dict[str, float] = {}
        best: dict[str, tuple[float, int]] = {}
        for pid, s in contributions.items():
            if pid not in info:
                continue  # a passage deleted since the index was saved
            did = info[pid][0]
            score[did] = score.get(did, 0.0) + s if aggregate == "sum" else max(score.get(did, 0.0), s)
            if did not in best or s > best[did][0]:
                best[did] = (s, pid)
        meta = self.store.get(score)
        for did, m in meta.items():
            if m["organisation"] in named:
                score[did] += org_bonus
            score[did] += category_bonus.get(m["category"], 0.0)
        top = [d for d in sorted(score, key=lambda d: (-score[d], d)) if d in meta][:k]
        texts = self.store.passages([best[d][1] for d in top])
        hits = []
        for did in top:
            m, pid = meta[did], best[did][1]
            hits.append(
                Hit(
                    did,
                    float(score[did]),
                    m["title"],
                    m["category"],
                    m["outcome"],
                    m["organisation"],
                    m["date"],
                    highlight(texts[pid][2], query),
                    info[pid][1],
                    m["meta"],
                )
            )
        return hits

    @property
    def organisations(self) -> OrganisationNames:
        """Names of the organisations in the store, rebuilt when the store's contents change."""
        stamp = self.store.count()
        if self._orgs is None or self._orgs_stamp != stamp:
            self._orgs = OrganisationNames(self.store.distinct("organisation"))
            self._orgs_stamp = stamp
        return self._orgs

    def stats(self) -> dict:
        return {
            "decisions": self.store.count(),
            "indexed_decisions": self.store.count(indexed_only=True),
            "passages": self.dense.count,
            "encoder": self.encoder_key,
            "dense_layout": self.dense.layout,
        }

    def close(self) -> None:
        self.store.close()
