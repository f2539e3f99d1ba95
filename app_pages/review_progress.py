"""How far the review has got: where the queue stands, the crosswalk page's decision table, coverage by topic
and jurisdiction, and the gaps.

A pair stands where its latest decision, by anyone, puts it (`DecisionStore.latest()`): *reviewed* when that
decision is not `unsure`, a *counterpart* when it is equal, subset-of, superset-of or intersects-with. A
provision is a *candidate* when the review queue holds it on either side of a pair (`crosswalk.index.queue`).
The decision table lists the current decisions instead, the latest per pair and reviewer
(`DecisionStore.current()`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

from crosswalk.review.decisions import Decision, DecisionStore, Relationship
from crosswalk.app_pages.views import QueueSlot

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.ingest.models import Provision
    from crosswalk.ingest.store import Store

COUNTERPART_RELATIONSHIPS = tuple(r.value for r in Relationship if r.is_counterpart)
NO_TOPIC = "(no topic)"  # the coverage row of the provisions that carry no topic


@dataclass(frozen=True)
class Standing:
    """The provisions the queue holds (`candidates`), and those in a reviewed pair (`reviewed`) or in a pair
    marked as counterparts (`counterparts`), from the latest decision on each pair."""

    candidates: frozenset[str]
    reviewed: frozenset[str]
    counterparts: frozenset[str]

    @classmethod
    def of(cls, store: "Store", decisions: DecisionStore) -> "Standing":
        from crosswalk.index.queue import queued_ids

        latest = decisions.latest()
        return cls(frozenset(queued_ids(store)),
                   frozenset(_ids(d for d in latest if d.relationship != "unsure")),
                   frozenset(_ids(d for d in latest if d.relationship in COUNTERPART_RELATIONSHIPS)))


def _ids(decisions) -> set[str]:
    return {pid for d in decisions for pid in (d.left_id, d.right_id)}


def decided_pairs(decisions: DecisionStore) -> set[tuple[str, str]]:
    """The reviewed pairs: those whose latest decision, by anyone, is not `unsure`."""
    return {(d.left_id, d.right_id) for d in decisions.latest() if d.relationship != "unsure"}


# --- the queue ------------------------------------------------------------------------------------------------


def queue_slot(pairs: Sequence[tuple[str, str]], reviewed: set[tuple[str, str]], position: int, *,
               unreviewed_only: bool = False, step: int = 0) -> QueueSlot | None:
    """The queued pair at `position` of `pairs` (0-based, in queue order), or None for an empty queue.

    With `step` (+1 or -1) and `unreviewed_only`, the nearest pair after (or before) `position` that is not in
    `reviewed`; positions past either end stop at the end.

    >>> q = [("a", "x"), ("b", "x"), ("c", "x")]
    >>> queue_slot(q, {("b", "x")}, 0, unreviewed_only=True, step=1).position
    2
    >>> queue_slot(q, set(), 7).position, queue_slot([], set(), 0)
    (2, None)
    """
    if not pairs:
        return None
    done = [pair in reviewed for pair in pairs]
    n = len(pairs)
    pos = min(max(position, 0), n - 1)
    if step:
        cand = pos + step
        while 0 <= cand < n and unreviewed_only and done[cand]:
            cand += step
        pos = cand if 0 <= cand < n else pos
    elif unreviewed_only and done[pos]:
        nxt = next((i for i in range(pos, n) if not done[i]), None)
        pos = nxt if nxt is not None else pos
    left_id, right_id = pairs[pos]
    return QueueSlot(pos, n, left_id, right_id, done[pos])


# --- the crosswalk page ---------------------------------------------------------------------------------------


def decision_rows(current: Sequence[Decision], provisions: Mapping[str, "Provision"],
                  relationships: Sequence[str] = (), reviewers: Sequence[str] = (),
                  jurisdictions: Sequence[str] = (), stale_only: bool = False, text: str = "") -> list[dict]:
    """The `current` decisions, newest first, filtered, one dict per row; `provisions` holds the provisions
    they name (a provision the store no longer has shows by its id)."""
    from crosswalk.index.citation_display import display_citation

    rows = []
    needle = text.strip().casefold()
    for d in reversed(current):
        left, right = provisions.get(d.left_id), provisions.get(d.right_id)
        if relationships and d.relationship not in relationships:
            continue
        if reviewers and d.reviewer not in reviewers:
            continue
        if jurisdictions and not ({left.jurisdiction if left else "", right.jurisdiction if right else ""}
                                  & set(jurisdictions)):
            continue
        if stale_only and not d.stale:
            continue
        row = {
            "focal": display_citation(left) if left else d.left_id,
            "relationship": d.relationship,
            "reference": display_citation(right) if right else d.right_id,
            "rationale": d.rationale,
            "strength": d.strength,
            "note": d.note,
            "reviewer": d.reviewer,
            "date": d.created_at[:19].replace("T", " "),
            "stale": d.stale,
            "focal_id": d.left_id,
            "reference_id": d.right_id,
        }
        if needle and not any(needle in str(v).casefold() for v in row.values()):
            continue
        rows.append(row)
    return rows


def coverage(store: "Store", standing: Standing) -> list[dict]:
    """One row per topic and jurisdiction, by topic then jurisdiction: `provisions`, and how many of them are
    `candidates`, `reviewed` and `counterparts` (see `Standing`). A provision counts under each of its topics;
    one with none under `NO_TOPIC`."""
    counts: dict[tuple[str, str], list[int]] = {}
    for pid, jurisdiction, topics in store.provision_topics():
        marks = (1, pid in standing.candidates, pid in standing.reviewed, pid in standing.counterparts)
        for topic in topics or (NO_TOPIC,):
            row = counts.setdefault((topic, jurisdiction), [0, 0, 0, 0])
            for i, mark in enumerate(marks):
                row[i] += int(mark)
    return [{"topic": topic, "jurisdiction": jurisdiction, "provisions": n, "candidates": cand, "reviewed": rev,
             "counterparts": cp} for (topic, jurisdiction), (n, cand, rev, cp) in sorted(counts.items())]


def gaps(store: "Store", standing: Standing, documents: Mapping[str, dict], jurisdiction: str,
         topic: str | None = None, limit: int = 500) -> tuple[int, list[dict]]:
    """(how many, first `limit`): provisions of `jurisdiction` (and of `topic`, or with no topic for `NO_TOPIC`)
    that a reviewer could map (no headings or fragments, see `crosswalk.index.match_terms.skip_reason`) and that
    no pair marks as having a counterpart, in document order. `status` says how far each got: `no candidates`,
    `not reviewed`, `reviewed: no counterpart`."""
    from crosswalk.index.citation_display import display_citation
    from crosswalk.index.match_terms import skip_reason

    wanted = "" if topic == NO_TOPIC else (topic or None)  # "": the provisions with no topic
    out = []
    total = 0
    for p in store.iter_provisions(jurisdiction=jurisdiction, topic=wanted):
        if p.id in standing.counterparts or skip_reason(p):
            continue
        total += 1
        if len(out) < limit:
            status = ("reviewed: no counterpart" if p.id in standing.reviewed
                      else "not reviewed" if p.id in standing.candidates else "no candidates")
            out.append({"citation": display_citation(p),
                        "document": documents.get(p.doc_id, {}).get("title", p.doc_id),
                        "heading": " › ".join(p.heading_path), "topics": ", ".join(p.topics), "status": status,
                        "id": p.id})
    return total, out
