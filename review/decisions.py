"""Reviewers' decisions on provision pairs: append-only rows in the workspace database (SQLite or PostgreSQL).

A decision is never updated or deleted: a new row supersedes the previous one for the same pair and reviewer,
and the history stays. Each row keeps the two provisions' content hashes at the time of the decision, so a
later change to either text marks the decision *stale* (shown, never lost). The write is committed before
`record()` returns: once the UI confirms a decision, a crash cannot take it back. `record_many()` appends a
batch in one transaction: all of it or none of it, also when the writing process is killed half-way.
Both databases refuse UPDATE and DELETE on the table (a trigger; see `crosswalk.schema`).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from crosswalk.errors import ConfigError, NotFoundError

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


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class DecisionStore:
    """Decisions in the workspace database, beside the provisions they are about.

    `target` is the SQLite file (`ws.db_path`) or a PostgreSQL URL (`ws.database` picks the right one).

    Example: DecisionStore(ws.database).record("US-…:sec.4(a)(11)", "UK-…:CRYPTO_2.4.33R", "equal", "ana")
    """

    def __init__(self, target: Path | str):
        from crosswalk.db import is_url, open_database
        from crosswalk.schema import ensure_current

        self.path = target if is_url(target) else Path(target)
        self._lock = threading.Lock()
        self.conn = open_database(self.path)
        try:
            ensure_current(self.conn, create=True)
        except BaseException:
            self.conn.close()
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "DecisionStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _hashes(self, ids: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(ids))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 900):
            part = wanted[start : start + 900]
            rows = self.conn.execute(
                f"SELECT id, content_hash FROM provisions WHERE id IN ({','.join('?' * len(part))})", part)
            found.update({r[0]: r[1] for r in rows})
        return found

    @staticmethod
    def _checked(left_id: str, right_id: str, relationship: str, reviewer: str, rationale: str = "",
                 strength: int | None = None, note: str = "") -> tuple:
        rel = Relationship.parse(relationship).value
        rat = Rationale.parse(rationale).value if rationale else ""
        reviewer = (reviewer or "").strip()
        if not reviewer:
            raise ConfigError("a decision needs a reviewer name: set it in the sidebar (or --reviewer)")
        if strength is not None and str(strength).strip() != "":
            try:
                strength = int(strength)
            except (TypeError, ValueError):
                raise ConfigError(f"strength {strength!r} is not a whole number: use 0 (weak) to 10 (strong)") from None
            if not 0 <= strength <= 10:
                raise ConfigError(f"strength {strength} is out of range: use 0 (weak) to 10 (strong)")
        else:
            strength = None
        if left_id == right_id:
            raise ConfigError(f"a provision cannot be mapped to itself ({left_id})")
        return (left_id, right_id, rel, rat, strength, note or "", reviewer)

    _INSERT = ("INSERT INTO decisions(left_id, right_id, relationship, rationale, strength, note, reviewer, "
               "left_hash, right_hash, created_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING seq")

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
        return self.record_many([dict(left_id=left_id, right_id=right_id, relationship=relationship,
                                      reviewer=reviewer, rationale=rationale, strength=strength, note=note)])[0]

    def record_many(self, decisions: Iterable[Mapping | Decision]) -> list[Decision]:
        """Append a batch of decisions in ONE transaction and commit it before returning: every row or none.

        Each item is a mapping (or a `Decision`) with `left_id`, `right_id`, `relationship`, `reviewer` and
        optionally `rationale`, `strength`, `note`. Every item is checked before anything is written; a bad
        one raises ConfigError naming its position, and an unknown provision NotFoundError; then nothing is
        written. Concurrent batches from other processes interleave whole; none is lost.

        Example: DecisionStore(ws.database).record_many([{"left_id": a, "right_id": b, "relationship": "equal",
                 "reviewer": "ana"}, ...])
        """
        rows = []
        for i, item in enumerate(decisions, start=1):
            d = item.to_dict() if isinstance(item, Decision) else dict(item)
            try:
                rows.append(self._checked(d.get("left_id", ""), d.get("right_id", ""), d.get("relationship", ""),
                                          d.get("reviewer", ""), d.get("rationale") or "", d.get("strength"),
                                          d.get("note") or ""))
            except ConfigError as e:
                raise ConfigError(f"decision {i} of the batch: {e}") from None
        if not rows:
            return []
        out = []
        with self._lock, self.conn.transaction() as c:
            hashes = self._hashes(r[0] for r in rows) | self._hashes(r[1] for r in rows)
            for r in rows:
                for pid in r[:2]:
                    if pid not in hashes:
                        raise NotFoundError(
                            f"no provision {pid!r} in the store: a decision needs two stored provisions")
            for left_id, right_id, rel, rat, strength, note, reviewer in rows:
                created = now()
                lh, rh = hashes[left_id], hashes[right_id]
                seq = c.execute(self._INSERT, (left_id, right_id, rel, rat, strength, note, reviewer, lh, rh,
                                               created)).fetchone()[0]
                out.append(Decision(left_id, right_id, rel, reviewer, lh, rh, rat, strength, note, created, seq))
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
