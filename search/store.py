"""The decision store: decisions, their passages and an embedding cache, in one SQLite file."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from search.types import DecisionRecord, Passage, SearchFilters

SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    category TEXT, outcome TEXT, organisation TEXT, date TEXT,
    meta TEXT NOT NULL DEFAULT '{}',
    text_hash TEXT NOT NULL,
    indexed INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX IF NOT EXISTS decisions_category ON decisions(category);
CREATE INDEX IF NOT EXISTS decisions_outcome ON decisions(outcome);
CREATE INDEX IF NOT EXISTS decisions_indexed ON decisions(indexed);
CREATE TABLE IF NOT EXISTS passages (
    pid INTEGER PRIMARY KEY AUTOINCREMENT,
    decision_id TEXT NOT NULL REFERENCES decisions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_decision ON passages(decision_id);
-- bumped by every save of the indexes: another process holding the library open sees it change
CREATE TABLE IF NOT EXISTS library_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS embeddings (
    text_hash TEXT NOT NULL,
    encoder TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (text_hash, encoder)
);
"""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class DecisionStore:
    """SQLite-backed; safe to share between threads (one connection behind a lock)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def generation(self) -> int:
        """How many times the indexes of this library have been saved (by any process)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM library_state WHERE key='generation'").fetchone()
        return row[0] if row else 0

    def bump_generation(self) -> int:
        """Count one more save of the indexes; returns the new generation."""
        with self._lock:
            self._db.execute(
                "INSERT INTO library_state (key, value) VALUES ('generation', 1) "
                "ON CONFLICT(key) DO UPDATE SET value = value + 1"
            )
        return self.generation()

    # ---- decisions -------------------------------------------------------------------------

    def upsert(self, records: Iterable[DecisionRecord]) -> tuple[list[DecisionRecord], list[int]]:
        """Insert or update decisions.

        Returns:
            The records whose text is new or changed (they need passages and embeddings) and the
            passage ids that were dropped because their decision's text changed.
        """
        changed, dropped = [], []
        with self._lock:
            self._db.execute("BEGIN")
            try:
                for r in records:
                    h = text_hash(r.text)
                    row = self._db.execute("SELECT text_hash FROM decisions WHERE id=?", (r.id,)).fetchone()
                    same_text = row is not None and row[0] == h
                    if row is not None and not same_text:
                        dropped += [
                            p for (p,) in self._db.execute("SELECT pid FROM passages WHERE decision_id=?", (r.id,))
                        ]
                        self._db.execute("DELETE FROM passages WHERE decision_id=?", (r.id,))
                    self._db.execute(
                        """INSERT INTO decisions (id, title, text, category, outcome, organisation, date, meta,
                                                  text_hash, indexed)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
                           ON CONFLICT(id) DO UPDATE SET title=excluded.title, text=excluded.text,
                               category=excluded.category, outcome=excluded.outcome,
                               organisation=excluded.organisation, date=excluded.date, meta=excluded.meta,
                               text_hash=excluded.text_hash,
                               indexed=CASE WHEN decisions.text_hash = excluded.text_hash
                                            THEN decisions.indexed ELSE 0 END,
                               updated_at=datetime('now')""",
                        (
                            r.id,
                            r.title,
                            r.text,
                            r.category,
                            r.outcome,
                            r.organisation,
                            r.date,
                            json.dumps(r.meta, ensure_ascii=False),
                            h,
                        ),
                    )
                    if not same_text:
                        changed.append(r)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return changed, dropped

    def delete(self, ids: Iterable[str]) -> tuple[list[str], list[int]]:
        """Remove decisions; returns the ids that existed and their passage ids."""
        found, pids = [], []
        with self._lock:
            self._db.execute("BEGIN")
            for i in ids:
                if self._db.execute("SELECT 1 FROM decisions WHERE id=?", (i,)).fetchone():
                    found.append(i)
                    pids += [p for (p,) in self._db.execute("SELECT pid FROM passages WHERE decision_id=?", (i,))]
                    self._db.execute("DELETE FROM passages WHERE decision_id=?", (i,))
                    self._db.execute("DELETE FROM decisions WHERE id=?", (i,))
            self._db.execute("COMMIT")
        return found, pids

    def count(self, indexed_only: bool = False) -> int:
        sql = "SELECT COUNT(*) FROM decisions" + (" WHERE indexed=1" if indexed_only else "")
        with self._lock:
            return self._db.execute(sql).fetchone()[0]

    def pending(self) -> list[DecisionRecord]:
        """Decisions stored but not yet in the indexes (new, changed, or an interrupted build)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, text, title, category, outcome, organisation, date, meta FROM decisions "
                "WHERE indexed=0 ORDER BY rowid"
            ).fetchall()
        return [DecisionRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7])) for r in rows]

    def mark_indexed(self, ids: Iterable[str]) -> None:
        with self._lock:
            self._db.executemany("UPDATE decisions SET indexed=1 WHERE id=?", [(i,) for i in ids])

    def mark_all_unindexed(self) -> None:
        with self._lock:
            self._db.execute("UPDATE decisions SET indexed=0")

    def get(self, ids: Iterable[str], with_text: bool = False) -> dict[str, dict]:
        """Decision metadata by id (the full text only when asked: search needs none of it)."""
        cols = "id, title, category, outcome, organisation, date, meta" + (", text" if with_text else "")
        out: dict[str, dict] = {}
        for row in self._select_in(f"SELECT {cols} FROM decisions WHERE id IN ({{}})", list(ids)):
            out[row[0]] = {
                "title": row[1],
                "category": row[2],
                "outcome": row[3],
                "organisation": row[4],
                "date": row[5],
                "meta": json.loads(row[6]),
            }
            if with_text:
                out[row[0]]["text"] = row[7]
        return out

    def _select_in(self, sql: str, values: list, prefix: tuple = ()) -> list[tuple]:
        """Rows of ``sql`` whose ``IN ({})`` takes ``values``, in chunks under SQLite's variable limit."""
        rows: list[tuple] = []
        with self._lock:
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                rows += self._db.execute(sql.format(",".join("?" * len(chunk))), [*prefix, *chunk]).fetchall()
        return rows

    def ids(self) -> Iterator[str]:
        with self._lock:
            rows = self._db.execute("SELECT id FROM decisions ORDER BY rowid").fetchall()
        yield from (r[0] for r in rows)

    def distinct(self, column: str) -> set[str]:
        if column not in ("category", "outcome", "organisation"):
            raise ValueError(column)
        with self._lock:
            return {
                r[0] for r in self._db.execute(f"SELECT DISTINCT {column} FROM decisions WHERE {column} IS NOT NULL")
            }

    def category_counts(self) -> dict[str | None, int]:
        """Decisions per category (None: without one)."""
        with self._lock:
            return dict(self._db.execute("SELECT category, COUNT(*) FROM decisions GROUP BY category").fetchall())

    def filter_ids(self, f: SearchFilters) -> set[str]:
        clauses, args = [], []
        for col in ("category", "outcome", "organisation"):
            if getattr(f, col) is not None:
                clauses.append(f"{col} = ?")
                args.append(getattr(f, col))
        if f.date_from:
            clauses.append("date >= ?")
            args.append(f.date_from)
        if f.date_to:
            clauses.append("date <= ?")
            args.append(f.date_to)
        where = " AND ".join(clauses) or "1"
        with self._lock:
            return {r[0] for r in self._db.execute(f"SELECT id FROM decisions WHERE {where}", args)}

    # ---- passages --------------------------------------------------------------------------

    def add_passages(self, passages: list[Passage]) -> list[int]:
        pids = []
        with self._lock:
            self._db.execute("BEGIN")
            for p in passages:
                cur = self._db.execute(
                    "INSERT INTO passages (decision_id, idx, text, start, end) VALUES (?, ?, ?, ?, ?)",
                    (p.decision_id, p.index, p.text, p.start, p.end),
                )
                pids.append(cur.lastrowid)
            self._db.execute("COMMIT")
        return pids

    def drop_passages(self, decision_ids: Iterable[str]) -> list[int]:
        """Forget the passages of decisions about to be re-indexed; returns their ids."""
        pids = []
        with self._lock:
            self._db.execute("BEGIN")
            for i in decision_ids:
                pids += [p for (p,) in self._db.execute("SELECT pid FROM passages WHERE decision_id=?", (i,))]
                self._db.execute("DELETE FROM passages WHERE decision_id=?", (i,))
            self._db.execute("COMMIT")
        return pids

    def passages(self, pids: Iterable[int], with_text: bool = True) -> dict[int, tuple]:
        """pid -> (decision id, passage index[, text])."""
        cols = "pid, decision_id, idx" + (", text" if with_text else "")
        rows = self._select_in(f"SELECT {cols} FROM passages WHERE pid IN ({{}})", [int(p) for p in pids])
        return {r[0]: tuple(r[1:]) for r in rows}

    def iter_passages(self, batch: int = 5000) -> Iterator[list[tuple[int, str]]]:
        """Every stored passage of an indexed decision, as (pid, text), in batches."""
        last = -1
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT p.pid, p.text FROM passages p JOIN decisions d ON d.id = p.decision_id "
                    "WHERE d.indexed = 1 AND p.pid > ? ORDER BY p.pid LIMIT ?",
                    (last, batch),
                ).fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def passage_ids(self, decision_ids: Iterable[str] | None = None) -> np.ndarray:
        if decision_ids is None:
            with self._lock:
                rows = self._db.execute("SELECT pid FROM passages").fetchall()
        else:
            rows = self._select_in("SELECT pid FROM passages WHERE decision_id IN ({})", list(decision_ids))
        return np.array([r[0] for r in rows], dtype=np.int64)

    # ---- embedding cache -------------------------------------------------------------------

    def cached_vectors(self, hashes: list[str], encoder: str) -> dict[str, np.ndarray]:
        sql = "SELECT text_hash, vector FROM embeddings WHERE encoder=? AND text_hash IN ({})"
        return {h: np.frombuffer(blob, dtype=np.float32) for h, blob in self._select_in(sql, hashes, (encoder,))}

    def cache_vectors(self, items: dict[str, np.ndarray], encoder: str) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings (text_hash, encoder, vector) VALUES (?, ?, ?)",
                [(h, encoder, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()],
            )

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
