"""Reviewers' decisions on provision pairs: append-only rows in the workspace's SQLite store.

A decision is never updated or deleted: a new row supersedes the previous one for the same pair and reviewer,
and the history stays. Each row keeps the two provisions' content hashes at the time of the decision, so a
later change to either text marks the decision *stale* (shown, never lost). The write is committed before
`record()` returns: once the UI confirms a decision, a crash cannot take it back.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Iterable, Sequence

from crosswalk.errors import ConfigError, NotFoundError

SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    left_id TEXT NOT NULL,
    right_id TEXT NOT NULL,
    relationship TEXT NOT NULL,
    rationale TEXT NOT NULL DEFAULT '',
    strength INTEGER,
    note TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL,
    left_hash TEXT NOT NULL,
    right_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_pair ON decisions(left_id, right_id, reviewer, seq);
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
"""


class Relationship(str, Enum):
    """How the left (focal) provision relates to the right (reference) one — NIST IR 8278A (OLIR) set theory
    relationships, as in OSCAL mapping, plus `unsure` for the reviewer's own queue.

    - ``equal``: the two provisions require the same thing.
    - ``subset-of``: the left provision is narrower: everything it requires, the right one requires too.
    - ``superset-of``: the left provision is broader.
    - ``intersects-with``: they overlap, each requiring something the other does not.
    - ``not-related``: no meaningful overlap.
    - ``unsure``: not decided yet; kept so the pair comes back.
    """

    EQUAL = "equal"
    SUBSET_OF = "subset-of"
    SUPERSET_OF = "superset-of"
    INTERSECTS_WITH = "intersects-with"
    NOT_RELATED = "not-related"
    UNSURE = "unsure"

    @property
    def is_counterpart(self) -> bool:
        """True for the relationships that make the right provision a counterpart of the left one."""
        return self in (Relationship.EQUAL, Relationship.SUBSET_OF, Relationship.SUPERSET_OF,
                        Relationship.INTERSECTS_WITH)

    @classmethod
    def parse(cls, value: str) -> "Relationship":
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            allowed = ", ".join(r.value for r in cls)
            raise ConfigError(f"unknown relationship {value!r}: use one of {allowed}") from None


class Rationale(str, Enum):
    """Why the reviewer sees the relationship (OLIR): the same words, the same meaning, or the same effect."""

    SYNTACTIC = "syntactic"
    SEMANTIC = "semantic"
    FUNCTIONAL = "functional"

    @classmethod
    def parse(cls, value: str) -> "Rationale":
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            allowed = ", ".join(r.value for r in cls)
            raise ConfigError(f"unknown rationale {value!r}: use one of {allowed}") from None


@dataclass(frozen=True)
class Decision:
    left_id: str
    right_id: str
    relationship: str
    reviewer: str
    left_hash: str
    right_hash: str
    rationale: str = ""
    strength: int | None = None
    note: str = ""
    created_at: str = ""
    seq: int = 0
    stale: bool = False  # filled when read: a provision's text changed since the decision

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class NewDecision:
    """A decision to append with `DecisionStore.record_many` (the arguments of `record`, as one record)."""

    left_id: str
    right_id: str
    relationship: str
    reviewer: str
    rationale: str = ""
    strength: int | None = None
    note: str = ""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class DecisionStore:
    """Decisions in the workspace database (`crosswalk.db`), beside the provisions they are about.

    Example: DecisionStore(ws.db_path).record("US-…:sec.4(a)(11)", "UK-…:CRYPTO_2.4.33R", "equal", "ana")
    """

    def __init__(self, path: Path | str):
        from crosswalk.ingest.store import connect

        self.path = Path(path)
        self._lock = threading.Lock()
        self.conn = connect(self.path)
        self.conn.executescript(SCHEMA)
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "DecisionStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _hash(self, provision_id: str) -> str:
        row = self.conn.execute("SELECT content_hash FROM provisions WHERE id=?", (provision_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no provision {provision_id!r} in the store: a decision needs two stored provisions")
        return row[0]

    def _checked(self, item: NewDecision) -> tuple:
        """The row values of `item` (relationship and rationale normalised, hashes looked up); the first bad
        field is a ConfigError (NotFoundError for an unknown provision) naming it."""
        rel = Relationship.parse(item.relationship).value
        rat = Rationale.parse(item.rationale).value if item.rationale else ""
        reviewer = (item.reviewer or "").strip()
        if not reviewer:
            raise ConfigError("a decision needs a reviewer name: set it in the sidebar (or --reviewer)")
        strength = item.strength
        if strength is not None and not (0 <= int(strength) <= 10):
            raise ConfigError(f"strength {strength} is out of range: use 0 (weak) to 10 (strong)")
        if item.left_id == item.right_id:
            raise ConfigError(f"a provision cannot be mapped to itself ({item.left_id})")
        left_hash, right_hash = self._hash(item.left_id), self._hash(item.right_id)
        return (item.left_id, item.right_id, rel, rat, None if strength is None else int(strength), item.note or "",
                reviewer, left_hash, right_hash)

    _INSERT = (
        "INSERT INTO decisions(left_id, right_id, relationship, rationale, strength, note, reviewer, "
        "left_hash, right_hash, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)"
    )

    def record(
        self,
        left_id: str,
        right_id: str,
        relationship: str,
        reviewer: str,
        *,
        rationale: str = "",
        strength: int | None = None,
        note: str = "",
    ) -> Decision:
        """Append a decision and commit it before returning. Checks every field; names the bad one."""
        return self.record_many([NewDecision(left_id, right_id, relationship, reviewer, rationale, strength, note)])[0]

    def record_many(self, items: Sequence[NewDecision]) -> list[Decision]:
        """Append `items` in ONE transaction, committed before returning: all of them or, on any error, none.

        Every item is checked first, as `record` checks one; a bad item is a ConfigError (NotFoundError for an
        unknown provision) that names its position, and nothing is written. Returns the stored decisions with
        their sequence numbers, in the order given.

        Example: ds.record_many([NewDecision("US-…:sec.4(a)", "UK-…:CASS_16.2.1R", "subset-of", "ana")])
        """
        items = list(items)
        with self._lock:
            values = []
            for n, item in enumerate(items, start=1):
                try:
                    values.append(self._checked(item))
                except (ConfigError, NotFoundError) as e:
                    if len(items) == 1:
                        raise
                    raise type(e)(f"decision {n} of {len(items)} ({item.left_id} → {item.right_id}): {e}") from None
            created = now()
            out = []
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                for row in values:
                    cur = self.conn.execute(self._INSERT, (*row, created))
                    out.append(Decision(row[0], row[1], row[2], row[6], row[7], row[8], row[3], row[4], row[5],
                                        created, cur.lastrowid))
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        return out

    def _rows(self, sql: str, args: Sequence = ()) -> list[Decision]:
        out = []
        for r in self.conn.execute(sql, args):
            out.append(
                Decision(
                    left_id=r["left_id"], right_id=r["right_id"], relationship=r["relationship"],
                    reviewer=r["reviewer"], left_hash=r["left_hash"], right_hash=r["right_hash"],
                    rationale=r["rationale"], strength=r["strength"], note=r["note"], created_at=r["created_at"],
                    seq=r["seq"],
                    stale=(r["cur_left"] != r["left_hash"]) or (r["cur_right"] != r["right_hash"]),
                )
            )
        return out

    _SELECT = (
        "SELECT d.*, pl.content_hash AS cur_left, pr.content_hash AS cur_right FROM decisions d "
        "LEFT JOIN provisions pl ON pl.id = d.left_id LEFT JOIN provisions pr ON pr.id = d.right_id "
    )

    def current(self, reviewer: str | None = None) -> list[Decision]:
        """The latest decision per pair and reviewer (optionally one reviewer's), oldest pair first."""
        where = "WHERE d.seq IN (SELECT MAX(seq) FROM decisions GROUP BY left_id, right_id, reviewer)"
        args: list = []
        if reviewer:
            where += " AND d.reviewer = ?"
            args.append(reviewer)
        return self._rows(self._SELECT + where + " ORDER BY d.seq", args)

    def history(self, left_id: str, right_id: str) -> list[Decision]:
        """Every decision ever made on this pair, by anyone, oldest first."""
        return self._rows(self._SELECT + "WHERE d.left_id=? AND d.right_id=? ORDER BY d.seq", (left_id, right_id))

    def all(self) -> list[Decision]:
        return self._rows(self._SELECT + "ORDER BY d.seq")

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]

    def reviewed_pairs(self) -> set[tuple[str, str]]:
        return {(r[0], r[1]) for r in self.conn.execute("SELECT DISTINCT left_id, right_id FROM decisions")}


def latest_by_pair(decisions: Iterable[Decision]) -> dict[tuple[str, str], Decision]:
    """The newest decision for each pair, whoever made it."""
    out: dict[tuple[str, str], Decision] = {}
    for d in sorted(decisions, key=lambda d: d.seq):
        out[(d.left_id, d.right_id)] = d
    return out
