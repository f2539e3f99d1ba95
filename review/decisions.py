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
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from crosswalk.db import is_url, select_in
from crosswalk.errors import ConfigError, NotFoundError
from crosswalk.schema import Connected
from crosswalk.vocab import Rationale, Relationship  # noqa: F401  (re-exported: review's public names)



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
    """A decision to append with `DecisionStore.record_many` (the arguments of `record`, as one record): what the
    caller gives. The stored `Decision` has these fields and what the store adds (the provisions' content hashes,
    the time, the sequence number, and on reading, whether it is stale)."""

    left_id: str
    right_id: str
    relationship: str
    reviewer: str
    rationale: str = ""
    strength: int | None = None
    note: str = ""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class DecisionStore(Connected):
    """Decisions in the workspace database, beside the provisions they are about.

    `target` is the SQLite file (`ws.db_path`) or a PostgreSQL URL (`ws.database` picks the right one).

    Example: DecisionStore(ws.database).record("US-…:sec.4(a)(11)", "UK-…:CRYPTO_2.4.33R", "equal", "ana")
    """

    def __init__(self, target: Path | str):
        self.path = target if is_url(target) else Path(target)
        self._lock = threading.Lock()
        super().__init__(self.path)

    def _hashes(self, ids: Iterable[str]) -> dict[str, str]:
        rows = select_in(self.conn, "SELECT id, content_hash FROM provisions WHERE id IN ({})", sorted(set(ids)))
        return {r[0]: r[1] for r in rows}

    @staticmethod
    def _checked(item: NewDecision, hashes: dict[str, str]) -> tuple:
        """The row values of `item` (relationship and rationale normalised, hashes from `hashes`); the first bad
        field is a ConfigError (NotFoundError for an unknown provision) naming it."""
        rel = Relationship.parse(item.relationship).value
        rat = Rationale.parse(item.rationale).value if item.rationale else ""
        reviewer = (item.reviewer or "").strip()
        if not reviewer:
            raise ConfigError("a decision needs a reviewer name: set it in the sidebar (or --reviewer)")
        strength = item.strength
        if strength is not None and str(strength).strip() == "":
            strength = None
        if strength is not None:
            try:
                strength = int(strength)
            except (TypeError, ValueError):
                raise ConfigError(f"strength {strength!r} is not a whole number: use 0 (weak) to 10 (strong)") from None
            if not 0 <= strength <= 10:
                raise ConfigError(f"strength {strength} is out of range: use 0 (weak) to 10 (strong)")
        if item.left_id == item.right_id:
            raise ConfigError(f"a provision cannot be mapped to itself ({item.left_id})")
        for pid in (item.left_id, item.right_id):
            if pid not in hashes:
                raise NotFoundError(f"no provision {pid!r} in the store: a decision needs two stored provisions")
        return (item.left_id, item.right_id, rel, rat, strength, item.note or "", reviewer,
                hashes[item.left_id], hashes[item.right_id])

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
        return self.record_many([NewDecision(left_id, right_id, relationship, reviewer, rationale, strength, note)])[0]

    def record_many(self, items: Iterable[NewDecision | Mapping]) -> list[Decision]:
        """Append `items` in ONE transaction, committed before returning: all of them or, on any error, none.

        Each item is a `NewDecision` (or a mapping with its fields). Every item is checked first, as `record`
        checks one; a bad item is a ConfigError (NotFoundError for an unknown provision) that names its
        position, and nothing is written. The provisions' hashes are read and the rows written inside the same
        transaction, on SQLite and PostgreSQL alike, so concurrent batches from other processes interleave whole
        and a process killed mid-batch leaves none of it. Returns the stored decisions with their sequence
        numbers, in the order given.

        Example: ds.record_many([NewDecision("US-…:sec.4(a)", "UK-…:CASS_16.2.1R", "subset-of", "ana")])
        """
        items = [it if isinstance(it, NewDecision) else NewDecision(**{k: v for k, v in dict(it).items()
                                                                       if k in NewDecision.__dataclass_fields__})
                 for it in items]
        if not items:
            return []
        out = []
        with self._lock, self.conn.transaction() as c:
            hashes = self._hashes([i.left_id for i in items] + [i.right_id for i in items])
            values = []
            for n, item in enumerate(items, start=1):
                try:
                    values.append(self._checked(item, hashes))
                except (ConfigError, NotFoundError) as e:
                    if len(items) == 1:
                        raise
                    raise type(e)(f"decision {n} of {len(items)} ({item.left_id} → {item.right_id}): {e}") from None
            created = now()
            for row in values:
                seq = c.execute(self._INSERT, (*row, created)).fetchone()[0]
                out.append(Decision(row[0], row[1], row[2], row[6], row[7], row[8], row[3], row[4], row[5],
                                    created, seq))
        return out

    def _rows(self, sql: str, args: Sequence = ()) -> list[Decision]:
        out = []
        for r in self.conn.execute(sql, args):
            fields = dict(r)  # the columns of `decisions`, each a Decision field of the same name
            cur_left, cur_right = fields.pop("cur_left"), fields.pop("cur_right")
            stale = (cur_left != fields["left_hash"]) or (cur_right != fields["right_hash"])
            out.append(Decision(**fields, stale=stale))
        return out

    _SELECT = (
        "SELECT d.seq, d.left_id, d.right_id, d.relationship, d.rationale, d.strength, d.note, d.reviewer, "
        "d.left_hash, d.right_hash, d.created_at, pl.content_hash AS cur_left, pr.content_hash AS cur_right "
        "FROM decisions d "
        "LEFT JOIN provisions pl ON pl.id = d.left_id LEFT JOIN provisions pr ON pr.id = d.right_id "
    )

    def _newest(self, per: str, column: str, value: str | None) -> list[Decision]:
        """The newest decision among those sharing the `per` columns, oldest first; only those whose `column`
        is `value` when one is given."""
        where = f"WHERE d.seq IN (SELECT MAX(seq) FROM decisions GROUP BY {per})"
        args: list = []
        if value:
            where += f" AND d.{column} = ?"
            args.append(value)
        return self._rows(self._SELECT + where + " ORDER BY d.seq", args)

    def current(self, reviewer: str | None = None) -> list[Decision]:
        """The latest decision per pair and reviewer (optionally one reviewer's), oldest pair first."""
        return self._newest("left_id, right_id, reviewer", "reviewer", reviewer)

    def latest(self, left_id: str | None = None) -> list[Decision]:
        """The latest decision on each pair, whoever made it (optionally only the pairs from `left_id`), oldest
        first: where the pair stands. The newest of the reviewers' current decisions (`current()`) on it."""
        return self._newest("left_id, right_id", "left_id", left_id)

    def history(self, left_id: str, right_id: str) -> list[Decision]:
        """Every decision ever made on this pair, by anyone, oldest first."""
        return self._rows(self._SELECT + "WHERE d.left_id=? AND d.right_id=? ORDER BY d.seq", (left_id, right_id))

    def all(self) -> list[Decision]:
        return self._rows(self._SELECT + "ORDER BY d.seq")

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]

    def reviewers(self) -> list[str]:
        """Everyone who has recorded a decision, sorted."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT reviewer FROM decisions ORDER BY 1")]

    def reviewed_pairs(self) -> set[tuple[str, str]]:
        return {(r[0], r[1]) for r in self.conn.execute("SELECT DISTINCT left_id, right_id FROM decisions")}


def latest_by_pair(decisions: Iterable[Decision]) -> dict[tuple[str, str], Decision]:
    """The newest decision for each pair, whoever made it."""
    out: dict[tuple[str, str], Decision] = {}
    for d in sorted(decisions, key=lambda d: d.seq):
        out[(d.left_id, d.right_id)] = d
    return out
