"""The review queue: candidate pairs from `crosswalk.index.match`, most promising and most uncertain first.

One table, `review_queue`, in the workspace database (SQLite or PostgreSQL; created by `crosswalk.schema`). A row is a candidate
pair (left = the focal provision, right = a candidate in the other jurisdiction) with what the matcher knew:

- `score` (cosine of the two provisions' embeddings), `rank` (1 = the left provision's best candidate),
  `mutual` (the left provision is also in the right one's own top-k),
- `shared_terms` (JSON list of `{"label", "term", "left", "right"}`: defined terms and entities both texts use),
- `explanation` (JSON `{"left", "right", "cosine"}`: the best-aligned sentence pair),
- `priority` (see `priority`), `created_at` (when the pair first entered the queue), `run_id` (see below).

The primary key is `(left_id, right_id)`. Writing a run for `from_jur → to_jur` replaces that direction's rows
in one transaction: pairs found again are updated in place (keeping `created_at`), new pairs are added, pairs
the run no longer proposes are removed. `run_id` is a hash of the run's inputs (jurisdictions, k, method,
priority parameters, the corpus hash and the index's identity), so an identical re-run writes identical rows.
Reviewers' decisions live in their own append-only table and are never touched here.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Iterator, Sequence

from crosswalk.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from crosswalk.ingest.store import Store

# Priority tiers: a mutual best match sits above every other pair.
CONFIDENT_TIER = 2.0
DEFAULT_WIDTH = 0.25


def priority(score: float, rank: int, mutual: bool, boundary: float, width: float = DEFAULT_WIDTH) -> float:
    """Where a pair goes in the queue: higher first. Two tiers, so each reviewer hour is spent well.

    1. **Most promising** — a *mutual best match* (rank 1, and the left provision is in the right one's own
       top-k): `priority = 2 + score`, in [1, 3]; the highest scores first. These are quick confirmations.
    2. **Most uncertain** — every other pair: `priority = 1 − min(1, |score − boundary| / width)`, in [0, 1];
       1 for a score on the decision boundary, falling to 0 at `width` (0.25) or more away from it. A
       reviewer's answer on these teaches the most (uncertainty sampling, Lewis & Gale, SIGIR 1994).

    `boundary` is the score at which a pair is as likely a counterpart as not; `crosswalk.index.match` sets it to the
    median best-candidate score of the run unless given one. The result is rounded to 6 places so equal
    inputs give equal priorities; the queue breaks ties by left id, then right id.

    >>> priority(0.8, 1, True, boundary=0.5)
    2.8
    >>> priority(0.5, 3, False, boundary=0.5)
    1.0
    >>> priority(0.6, 1, False, boundary=0.5)
    0.6
    >>> priority(0.1, 2, True, boundary=0.5)
    0.0
    """
    if width <= 0:
        raise ConfigError(f"priority width is {width}; it must be above 0 (0.25 suits cosine scores)")
    if mutual and rank == 1:
        value = CONFIDENT_TIER + score
    else:
        value = 1.0 - min(1.0, abs(score - boundary) / width)
    return round(value, 6)


@dataclass(frozen=True)
class QueueItem:
    """One row of the review queue (see the module docstring for the fields)."""

    left_id: str
    right_id: str
    from_jur: str
    to_jur: str
    score: float
    rank: int
    mutual: bool
    priority: float
    shared_terms: tuple[dict, ...] = ()
    explanation: dict = field(default_factory=dict)
    created_at: str = ""
    run_id: str = ""

    def to_dict(self) -> dict:
        return asdict(self) | {"shared_terms": [dict(t) for t in self.shared_terms]}


@dataclass(frozen=True)
class QueueWrite:
    """What writing a run did to the queue."""

    added: int
    updated: int
    unchanged: int
    removed: int

    def summary(self) -> str:
        return (
            f"queue: {self.added:,} added, {self.updated:,} updated, {self.unchanged:,} unchanged, "
            f"{self.removed:,} removed"
        )


# the columns of `review_queue`, each a QueueItem field of the same name; the queue's order
QUEUE_COLUMNS = ("left_id, right_id, from_jur, to_jur, score, rank, mutual, shared_terms, explanation, priority, "
                 "created_at, run_id")
QUEUE_ORDER = "ORDER BY priority DESC, left_id, right_id"


def ensure_queue(store: "Store") -> None:
    """Check that the store has `review_queue` (every store at the current schema version does)."""
    if not _has_queue(store):
        raise StoreError(f"{store.path}: no review queue table: run `crosswalk db upgrade`")


@contextmanager
def _writing(store: "Store") -> Iterator:
    """`store.transaction()`, with a read-only store reported as such instead of a bare database error."""
    from crosswalk.db import integrity_errors

    try:
        with store.transaction() as c:
            yield c
    except integrity_errors() as e:
        text = str(e).lower()
        if "readonly" in text or "read-only" in text:
            raise StoreError(
                f"{store.path}: the store is open read-only, so the review queue cannot be written; "
                "open it with Store(path) (not readonly=True)"
            ) from None
        raise


def _has_queue(store: "Store") -> bool:
    return store.conn.table_exists("review_queue")


def _row_values(item: QueueItem) -> tuple:
    return (
        item.score,
        item.rank,
        int(item.mutual),
        json.dumps([dict(t) for t in item.shared_terms], ensure_ascii=False, sort_keys=True),
        json.dumps(dict(item.explanation), ensure_ascii=False, sort_keys=True),
        item.priority,
        item.run_id,
    )


def write_queue(
    store: "Store", items: Sequence[QueueItem], from_jur: str, to_jur: str, *, now: str | None = None
) -> QueueWrite:
    """Replace the queue's `from_jur → to_jur` rows with `items`, in one transaction.

    A pair already queued keeps its `created_at`; a pair no longer proposed is removed; rows of other
    directions are left alone. `now` (ISO 8601) is the creation time of new rows, for tests.
    """
    for it in items:
        if (it.from_jur, it.to_jur) != (from_jur, to_jur):
            raise ConfigError(
                f"queue item {it.left_id} → {it.right_id} is {it.from_jur}→{it.to_jur}, "
                f"not {from_jur}→{to_jur}: write each direction separately"
            )
    ensure_queue(store)
    now = now or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    added = updated = unchanged = 0
    with _writing(store) as c:
        existing = {
            (r[0], r[1]): tuple(r[2:])
            for r in c.execute(
                "SELECT left_id, right_id, score, rank, mutual, shared_terms, explanation, priority, run_id "
                "FROM review_queue WHERE from_jur=? AND to_jur=?",
                (from_jur, to_jur),
            )
        }
        keep = set()
        for it in items:
            key = (it.left_id, it.right_id)
            keep.add(key)
            values = _row_values(it)
            if key not in existing:
                # The pair may be queued under another direction label only if ids were reused across
                # jurisdictions: replacing that row keeps the primary key unique either way.
                c.execute("DELETE FROM review_queue WHERE left_id=? AND right_id=?", key)
                c.execute(
                    "INSERT INTO review_queue(left_id, right_id, from_jur, to_jur, score, rank, mutual, "
                    "shared_terms, explanation, priority, run_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (it.left_id, it.right_id, from_jur, to_jur, *values, now),
                )
                added += 1
            elif existing[key] != values:
                c.execute(
                    "UPDATE review_queue SET score=?, rank=?, mutual=?, shared_terms=?, explanation=?, priority=?, "
                    "run_id=? WHERE left_id=? AND right_id=?",
                    (*values, *key),
                )
                updated += 1
            else:
                unchanged += 1
        stale = [k for k in existing if k not in keep]
        c.executemany("DELETE FROM review_queue WHERE left_id=? AND right_id=?", stale)
    return QueueWrite(added, updated, unchanged, len(stale))


def read_queue(
    store: "Store",
    from_jur: str | None = None,
    to_jur: str | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[QueueItem]:
    """Queued pairs, highest priority first (ties: left id, then right id); [] before any `crosswalk match`."""
    if limit is not None and limit < 0:
        raise ConfigError(f"limit is {limit}; use 0 or more, or None for every row")
    if offset < 0:
        raise ConfigError(f"offset is {offset}; use 0 or more")
    if not _has_queue(store):
        return []
    where, args = _direction(from_jur, to_jur)
    sql = f"SELECT {QUEUE_COLUMNS} FROM review_queue{where} {QUEUE_ORDER}"
    if limit is not None or offset:
        sql += " LIMIT ? OFFSET ?"
        args.extend([2**62 if limit is None else limit, offset])
    return [_item(r) for r in store.conn.execute(sql, args)]


def _direction(from_jur: str | None, to_jur: str | None) -> tuple[str, list]:
    """(` WHERE …` or "", arguments): the rows of one direction, or of one side of it, or all rows."""
    where, args = [], []
    if from_jur:
        where.append("from_jur=?")
        args.append(from_jur.upper())
    if to_jur:
        where.append("to_jur=?")
        args.append(to_jur.upper())
    return (" WHERE " + " AND ".join(where) if where else ""), args


def _item(r) -> QueueItem:
    fields = dict(r)  # a row of QUEUE_COLUMNS
    fields["mutual"] = bool(fields["mutual"])
    fields["shared_terms"] = tuple(json.loads(fields["shared_terms"]))
    fields["explanation"] = json.loads(fields["explanation"])
    return QueueItem(**fields)


def queue_pairs(store: "Store", from_jur: str | None = None, to_jur: str | None = None) -> list[tuple[str, str]]:
    """`(left_id, right_id)` of the queued pairs, in `read_queue`'s order, without the rest of each row."""
    if not _has_queue(store):
        return []
    where, args = _direction(from_jur, to_jur)
    sql = f"SELECT left_id, right_id FROM review_queue{where} {QUEUE_ORDER}"
    return [(r[0], r[1]) for r in store.conn.execute(sql, args)]


def queued_for(store: "Store", left_id: str, to_jur: str) -> list[QueueItem]:
    """The queued candidates of `left_id` in `to_jur`, best rank first (ties: right id)."""
    if not _has_queue(store):
        return []
    rows = store.conn.execute(f"SELECT {QUEUE_COLUMNS} FROM review_queue WHERE left_id=? AND to_jur=? "
                              "ORDER BY rank, right_id", (left_id, to_jur))
    return [_item(r) for r in rows]


def queued_ids(store: "Store") -> set[str]:
    """Every provision id in the queue, on either side of a pair."""
    if not _has_queue(store):
        return set()
    rows = store.conn.execute("SELECT left_id FROM review_queue UNION SELECT right_id FROM review_queue")
    return {r[0] for r in rows}


def queue_counts(store: "Store") -> dict[tuple[str, str], int]:
    """Rows per direction: `{("US", "UK"): 1520, …}`."""
    if not _has_queue(store):
        return {}
    rows = store.conn.execute("SELECT from_jur, to_jur, COUNT(*) FROM review_queue GROUP BY from_jur, to_jur")
    return {(r[0], r[1]): r[2] for r in rows}
