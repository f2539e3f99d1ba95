"""The review queue in the order that teaches the ranker most (active learning), with a share of random pairs.

`crosswalk match` fills the queue (`crosswalk.index.queue`); `reorder_queue` then sets each pair's `priority` so the queue
reads, best first, the pairs whose decision would teach the second-stage ranker most:

- **uncertainty** — how unsure the current ranking is about the pair, the mean of two terms in [0, 1]:
  the pair's *margin*, `1 − min(1, |score − boundary| / width)` (1 on the decision boundary; uncertainty
  sampling, Lewis & Gale, SIGIR 1994), and the *entropy* of the focal provision's candidates,
  `H(softmax(scores / width)) / log(n)` (1 when the ranker cannot tell its n candidates apart; Settles,
  "Active Learning Literature Survey", 2009, §3.1). `score` is the learned ranker's score when a model is
  saved (`crosswalk learn`), else the first stage's cosine. `boundary` is the midpoint between the median
  scores of the queued pairs reviewers called counterparts and not-related, when there are at least
  `MIN_DECIDED` of each; else the median of each focal provision's best score. `width` is the interquartile
  range of the scores (at least `MIN_WIDTH`).
- **disagreement** — how differently the retrievers rank the candidate (query by committee, Seung et al.,
  COLT 1992): `(max − min) of log(1 + rank)`, divided by `log(2 + depth) − log 2`, over BM25, dense and the learned ranker (a
  retriever that did not return the candidate within `depth` counts as rank `depth + 1`). 1 when one puts it
  first and another leaves it out; 0 when they agree.
- **teach** = `UNCERTAINTY_WEIGHT · uncertainty + DISAGREEMENT_WEIGHT · disagreement`, highest first (ties by
  left id, then right id).

A fixed share (`RANDOM_SHARE`, 10%) of the positions — every tenth, from the tenth — holds a pair drawn
uniformly at random (seeded) from the whole direction instead, so the decisions reviewers make are not only
the ones the ranker already finds hard, and figures estimated from them (precision of the queue, the ranker's
error rate) stay unbiased. Each pair's reason (`uncertain`, `disagreement` or `random`) and its two signals are
kept in the `review_queue_reason` table for the review page.

Priorities are written as `1 − position / n` (rounded to 9 places), so the queue's own `ORDER BY priority DESC`
gives this order; a re-run with the same inputs and seed writes the same priorities.

Example:
    report = reorder_queue(store, searcher, "US", "UK", ranker=load_ranker(ws), seed=0)
    report.summary()  # 'queue US→UK ordered to teach: 1,520 pairs (152 random, 901 uncertain, 467 disagreement) …'
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from crosswalk.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.ingest.store import Store

ORDERS = ("teach", "confident")  # how `order_queue` orders the queue after matching
RANDOM_SHARE = 0.10
UNCERTAINTY_WEIGHT = 0.6
DISAGREEMENT_WEIGHT = 0.4
COMMITTEE = ("bm25", "dense", "rerank")  # the rankings compared; hybrid is a fusion of the first two
DEPTH = 100
MIN_DECIDED = 3
MIN_WIDTH = 1e-6



@dataclass(frozen=True)
class PairSignals:
    """What the ordering knows about one queued pair: its score (ranker or cosine) and each retriever's rank."""

    left_id: str
    right_id: str
    score: float
    ranks: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Ordered:
    """One pair in teaching order: `position` 0 is reviewed first."""

    left_id: str
    right_id: str
    position: int
    priority: float
    reason: str  # uncertain | disagreement | random
    uncertainty: float
    disagreement: float
    score: float
    ranks: Mapping[str, int] = field(default_factory=dict)


def margin_uncertainty(score: float, boundary: float, width: float) -> float:
    """`1 − min(1, |score − boundary| / width)`: 1 on the boundary, 0 at `width` or further.

    >>> [round(margin_uncertainty(s, 0.5, 0.2), 6) for s in (0.5, 0.6, 0.9)]
    [1.0, 0.5, 0.0]
    """
    if width <= 0:
        raise ConfigError(f"width is {width}; it must be above 0")
    return 1.0 - min(1.0, abs(score - boundary) / width)


def normalised_entropy(scores: Sequence[float], width: float) -> float:
    """Entropy of `softmax(scores / width)` divided by `log(n)`: 1 for equal scores, near 0 for one clear
    winner; 0 for fewer than two scores.

    >>> [round(normalised_entropy(s, 0.5), 4) for s in ([1.0, 1.0, 1.0], [5.0, 0.0], [2.0])]
    [1.0, 0.0007, 0.0]
    """
    if len(scores) < 2:
        return 0.0
    top = max(scores)
    weights = [math.exp((s - top) / width) for s in scores]
    total = sum(weights)
    probs = [w / total for w in weights]
    h = -sum(p * math.log(p) for p in probs if p > 0)
    return min(1.0, h / math.log(len(scores)))


def disagreement(ranks: Mapping[str, int], depth: int = DEPTH, committee: Sequence[str] = COMMITTEE) -> float:
    """Spread of the committee's ranks on a log scale, in [0, 1] (see the module docstring). Members that are
    absent from `ranks` count as `depth + 1` only if at least one member ranked the pair; with fewer than two
    members known (no ranker: BM25 and dense), the ones present are compared.

    >>> disagreement({"bm25": 1, "dense": 1, "rerank": 1})
    0.0
    >>> round(disagreement({"bm25": 1, "dense": 101}, depth=100), 3)
    1.0
    >>> round(disagreement({"bm25": 3, "dense": 40}), 3)
    0.592
    """
    members = [m for m in committee if m != "rerank" or "rerank" in ranks]
    values = [min(int(ranks.get(m, depth + 1)), depth + 1) for m in members]
    if len(values) < 2:
        return 0.0
    logs = [math.log(1 + r) for r in values]
    return min(1.0, (max(logs) - min(logs)) / (math.log(2 + depth) - math.log(2)))


def _boundary_and_width(signals: Sequence[PairSignals], decided: Mapping[tuple[str, str], bool]) -> tuple[float, float]:
    scores = [s.score for s in signals]
    yes = [s.score for s in signals if decided.get((s.left_id, s.right_id)) is True]
    no = [s.score for s in signals if decided.get((s.left_id, s.right_id)) is False]
    if len(yes) >= MIN_DECIDED and len(no) >= MIN_DECIDED:
        boundary = (statistics.median(yes) + statistics.median(no)) / 2
    else:
        best: dict[str, float] = {}
        for s in signals:
            best[s.left_id] = max(best.get(s.left_id, -math.inf), s.score)
        boundary = statistics.median(best.values()) if best else 0.0
    if len(scores) >= 4:
        q = statistics.quantiles(scores, n=4)
        width = q[2] - q[0]
    else:
        width = (max(scores) - min(scores)) if scores else 0.0
    return boundary, max(width, MIN_WIDTH)


def learning_order(
    signals: Sequence[PairSignals],
    *,
    decided: Mapping[tuple[str, str], bool] | None = None,
    random_share: float = RANDOM_SHARE,
    seed: int = 0,
    depth: int = DEPTH,
) -> list[Ordered]:
    """`signals` in teaching order with every `round(1 / random_share)`-th position a seeded random pair (see the
    module docstring). `decided` maps reviewed pairs to True (a counterpart) or False (not related); it only
    places the boundary."""
    if not 0 <= random_share < 1:
        raise ConfigError(f"random share is {random_share}; use 0 (none) up to below 1 (0.1 is usual)")
    signals = list(signals)
    if not signals:
        return []
    boundary, width = _boundary_and_width(signals, decided or {})
    by_focal: dict[str, list[float]] = {}
    for s in signals:
        by_focal.setdefault(s.left_id, []).append(s.score)
    entropy = {f: normalised_entropy(scores, width) for f, scores in by_focal.items()}
    rows = []
    for s in signals:
        u = 0.5 * margin_uncertainty(s.score, boundary, width) + 0.5 * entropy[s.left_id]
        d = disagreement(s.ranks, depth)
        teach = UNCERTAINTY_WEIGHT * u + DISAGREEMENT_WEIGHT * d
        reason = "uncertain" if UNCERTAINTY_WEIGHT * u >= DISAGREEMENT_WEIGHT * d else "disagreement"
        rows.append((round(teach, 9), s, u, d, reason))
    rows.sort(key=lambda r: (-r[0], r[1].left_id, r[1].right_id))
    n = len(rows)
    every = round(1 / random_share) if random_share > 0 else 0
    slots = [p for p in range(every - 1, n, every)] if every else []
    rng = random.Random(seed)
    picks = rng.sample(range(n), len(slots)) if slots else []  # in random order
    sampled = iter([rows[i] for i in picks])
    taken = set(picks)
    rest = iter([r for i, r in enumerate(rows) if i not in taken])
    slot_set = set(slots)
    out: list[Ordered] = []
    for position in range(n):
        if position in slot_set:
            _, s, u, d, _ = next(sampled)
            reason = "random"
        else:
            _, s, u, d, reason = next(rest)
        out.append(Ordered(s.left_id, s.right_id, position, round(1 - position / n, 9), reason, round(u, 6),
                           round(d, 6), s.score, dict(s.ranks)))
    return out


# --- over the store's queue --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderReport:
    """What `reorder_queue` did; `summary()` is one line."""

    from_jur: str
    to_jur: str
    pairs: int
    reasons: dict[str, int]
    ranker: bool
    seed: int
    random_share: float

    def summary(self) -> str:
        why = ", ".join(f"{self.reasons.get(r, 0):,} {r}" for r in ("random", "uncertain", "disagreement"))
        by = "the learned ranker's scores" if self.ranker else "first-stage cosines (no ranker: `crosswalk learn`)"
        return (f"queue {self.from_jur}→{self.to_jur} ordered to teach: {self.pairs:,} pairs ({why}); uncertainty "
                f"from {by}; {self.random_share:.0%} random, seed {self.seed}")


def gather_signals(store: "Store", searcher, from_jur: str, to_jur: str, *, ranker=None, depth: int = DEPTH,
                   ranks: Mapping[str, Mapping[str, Mapping[str, int]]] | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> list[PairSignals]:
    """The queued `from_jur → to_jur` pairs with their score and each retriever's rank, from one `like` per
    focal provision (reranked by `ranker` when given, whose hits keep the first stage's ranks).

    `ranks` (focal id → hit id → each retriever's rank over the first `depth` hybrid `like` hits, as
    `MatchReport.ranks` holds them from the batched matching) answers for the focal provisions it holds
    without a `like`; it is not used with a `ranker`, whose scores need its own ranking."""
    from crosswalk.index.filters import Filters
    from crosswalk.index.queue import read_queue

    queued = read_queue(store, from_jur, to_jur)
    by_left: dict[str, list] = {}
    for item in queued:
        by_left.setdefault(item.left_id, []).append(item)
    filters = Filters(jurisdiction=(to_jur,))
    out: list[PairSignals] = []
    for n, (left, items) in enumerate(sorted(by_left.items()), start=1):
        if ranker is None and ranks is not None and left in ranks:
            known = ranks[left]
            for item in items:
                found = {k: int(v) for k, v in known.get(item.right_id, {}).items() if k in COMMITTEE}
                out.append(PairSignals(item.left_id, item.right_id, float(item.score), found))
            if progress and (n % 25 == 0 or n == len(by_left)):
                progress("ordering the queue", n, len(by_left))
            continue
        if ranker is not None:
            results = ranker.like(searcher, left, k=depth, filters=filters)
        else:
            results = searcher.like(left, k=depth, filters=filters, retriever="hybrid")
        hits = {h.provision_id: h for h in results}
        floor = min((h.score for h in results), default=0.0)
        for item in items:
            hit = hits.get(item.right_id)
            ranks = {k: int(v) for k, v in (hit.ranks if hit else {}).items() if k in COMMITTEE}
            if ranker is not None:
                score = hit.score if hit else floor
            else:
                score = item.score
            out.append(PairSignals(item.left_id, item.right_id, float(score), ranks))
        if progress and (n % 25 == 0 or n == len(by_left)):
            progress("ordering the queue", n, len(by_left))
    return out


def _decided(store: "Store") -> dict[tuple[str, str], bool]:
    """The latest decision on each pair (by anyone) as counterpart (True) or not related (False)."""
    from crosswalk.vocab import Relationship

    if not store.conn.table_exists("decisions"):
        return {}
    rows = store.conn.execute("SELECT left_id, right_id, relationship FROM decisions ORDER BY seq")
    out: dict[tuple[str, str], bool] = {}
    for left, right, rel in rows:
        if rel == Relationship.UNSURE.value:
            continue
        out[(left, right)] = Relationship(rel).is_counterpart
    return out


def write_order(store: "Store", ordered: Sequence[Ordered], seed: int) -> None:
    """Set the queue's priorities to `ordered` and keep each pair's reason, in one transaction."""
    import json

    from crosswalk.index.queue import _writing, ensure_queue

    ensure_queue(store)
    with _writing(store) as c:
        if not store.conn.table_exists("review_queue_reason"):  # schema version 4 (crosswalk.schema) makes it
            from crosswalk.schema import QUEUE_REASONS, _postgres_ddl

            (create,) = QUEUE_REASONS
            c.execute(_postgres_ddl(create) if store.conn.dialect == "postgresql" else create)
        for o in ordered:
            c.execute("UPDATE review_queue SET priority=? WHERE left_id=? AND right_id=?",
                      (o.priority, o.left_id, o.right_id))
        c.executemany("DELETE FROM review_queue_reason WHERE left_id=? AND right_id=?",
                      [(o.left_id, o.right_id) for o in ordered])
        c.executemany(
            "INSERT INTO review_queue_reason(left_id, right_id, position, reason, uncertainty, disagreement, score, "
            "ranks, seed) VALUES (?,?,?,?,?,?,?,?,?)",
            [(o.left_id, o.right_id, o.position, o.reason, o.uncertainty, o.disagreement, o.score,
              json.dumps(dict(o.ranks), sort_keys=True), seed) for o in ordered])
        # pairs no longer queued lose their reason
        c.execute("DELETE FROM review_queue_reason WHERE NOT EXISTS (SELECT 1 FROM review_queue q WHERE "
                  "q.left_id = review_queue_reason.left_id AND q.right_id = review_queue_reason.right_id)")


def reorder_queue(store: "Store", searcher, from_jur: str, to_jur: str, *, ranker=None,
                  random_share: float = RANDOM_SHARE, seed: int = 0, depth: int = DEPTH,
                  ranks: Mapping[str, Mapping[str, Mapping[str, int]]] | None = None,
                  progress: Callable[[str, int, int], None] | None = None) -> OrderReport:
    """Order the queue's `from_jur → to_jur` pairs to teach the ranker most, with `random_share` random pairs
    (see the module docstring). Needs a writable store; `ranker` is `crosswalk.index.rerank.load_ranker(ws)` or None;
    `ranks` is the matching run's `MatchReport.ranks` (see `gather_signals`)."""
    signals = gather_signals(store, searcher, from_jur.upper(), to_jur.upper(), ranker=ranker, depth=depth,
                             ranks=ranks if depth == DEPTH else None, progress=progress)
    ordered = learning_order(signals, decided=_decided(store), random_share=random_share, seed=seed, depth=depth)
    write_order(store, ordered, seed)
    reasons: dict[str, int] = {}
    for o in ordered:
        reasons[o.reason] = reasons.get(o.reason, 0) + 1
    return OrderReport(from_jur.upper(), to_jur.upper(), len(ordered), reasons, ranker is not None, seed,
                       random_share)


def clear_order(store: "Store", from_jur: str, to_jur: str) -> int:
    """Forget the teaching reasons of the queue's `from_jur → to_jur` pairs (after `match --order confident`
    rewrote their priorities), so the review page does not show stale ones. Returns how many were removed."""
    from crosswalk.index.queue import _writing

    if not store.conn.table_exists("review_queue_reason"):
        return 0
    with _writing(store) as c:
        cur = c.execute("DELETE FROM review_queue_reason WHERE EXISTS (SELECT 1 FROM review_queue q WHERE "
                        "q.left_id = review_queue_reason.left_id AND q.right_id = review_queue_reason.right_id "
                        "AND q.from_jur = ? AND q.to_jur = ?)", (from_jur.upper(), to_jur.upper()))
        return cur.rowcount


def order_queue(store: "Store", searcher, workspace, from_jur: str, to_jur: str, order: str = "teach", *,
                random_share: float = RANDOM_SHARE, seed: int = 0,
                ranks: Mapping[str, Mapping[str, Mapping[str, int]]] | None = None,
                progress: Callable[[str, int, int], None] | None = None) -> OrderReport | None:
    """Order the queue's `from_jur → to_jur` pairs after `crosswalk.index.match.match` filled it, as `order` says:
    `teach` reorders them to teach the ranker most (`reorder_queue`, scoring with `workspace`'s trained ranker
    when it has one) and returns the report; `confident` keeps match's order (mutual best matches first) and
    forgets the pairs' stale teaching reasons (`clear_order`), returning None. `ranks` is the matching run's
    `MatchReport.ranks` (see `gather_signals`).

    Example: order_queue(store, searcher, ws, "US", "UK", "teach").summary()
    """
    if order == "teach":
        from crosswalk.index.rerank import load_ranker

        return reorder_queue(store, searcher, from_jur, to_jur, ranker=load_ranker(workspace),
                             random_share=random_share, seed=seed, ranks=ranks, progress=progress)
    if order == "confident":
        clear_order(store, from_jur, to_jur)
        return None
    raise ConfigError(f"unknown queue order {order!r}: use one of {', '.join(ORDERS)}")


def order_reason(store: "Store", left_id: str, right_id: str) -> dict | None:
    """`{"reason", "uncertainty", "disagreement", "score", "position", "ranks"}` for a queued pair, or None when
    the queue was not ordered to teach (or the pair is not in it)."""
    if not store.conn.table_exists("review_queue_reason"):
        return None
    row = store.conn.execute(
        "SELECT reason, uncertainty, disagreement, score, position, ranks FROM review_queue_reason WHERE left_id=? "
        "AND right_id=?", (left_id, right_id)).fetchone()
    if row is None:
        return None
    import json

    out = dict(zip(("reason", "uncertainty", "disagreement", "score", "position"), tuple(row)[:5]))
    out["ranks"] = json.loads(row[5])
    return out
