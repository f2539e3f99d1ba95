"""Hierarchical roll-up: score a ranking of provisions at the level the gold is written at.

Gold answers are whole units (`23 NYCRR 200.9`, `GENIUS Act sec.4(a)`), while a retriever often returns one
of their sub-divisions (`200.9(a)`, `sec.4(a)(11)`). A retrieved provision *counts for* a judged (gold) id when
that id is the provision itself or one of its ancestors. Before scoring, each query's ranking is rolled up:

1. each retrieved provision is replaced by the nearest judged id among itself and its ancestors (nearest,
   so that when both `200.9` and `200.9(a)` are judged, `200.9(a)(1)` counts for `200.9(a)`), or kept as
   it is when none is judged;
2. a unit keeps its best (first) rank; its later appearances are dropped, and the units that follow move up,
   as when passages are rolled up into documents ("MaxP").

Ancestors come from the store's `parent_id` chain (`Hierarchy.from_store`); for an id the store does not hold,
from the citation's form (`crosswalk.index.citation_units.citation_ancestors`: `sec.4(a)(11)` → `sec.4(a)` → `sec.4`).

Example:
    >>> run = ["US-X:sec.4(a)(11)", "US-X:sec.5", "US-X:sec.4(a)(1)", "US-X:sec.4(b)"]
    >>> rollup_ranking(run, {"US-X:sec.4(a)"})
    [('US-X:sec.4(a)', 1), ('US-X:sec.5', 2), ('US-X:sec.4(b)', 4)]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Collection, Iterable, Mapping, Sequence

from crosswalk.ingest.models import make_id, split_id

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.ingest.store import Store

Ancestors = Callable[[str], Sequence[str]]


def ancestors_from_id(provision_id: str) -> list[str]:
    """The ids enclosing `provision_id`, nearest first, read from the citation in the id (no store needed).

    >>> ancestors_from_id("US-PL119-27-GENIUS:sec.4(a)(11)")
    ['US-PL119-27-GENIUS:sec.4(a)', 'US-PL119-27-GENIUS:sec.4']
    >>> ancestors_from_id("UK-FCA-CP25-14:CASS_16.2.13R")
    ['UK-FCA-CP25-14:CASS_16.2', 'UK-FCA-CP25-14:CASS_16']
    >>> ancestors_from_id("US-NYCRR-23-200:200.9(a)")
    ['US-NYCRR-23-200:200.9']
    >>> ancestors_from_id("EU-MICA-2023-1114:recital.66"), ancestors_from_id("no-citation")
    ([], [])
    """
    from crosswalk.index.citation_units import citation_ancestors

    doc_id, citation = split_id(provision_id)
    if not citation:
        return []
    return [make_id(doc_id, c) for c in citation_ancestors(citation)]


class Hierarchy:
    """Ancestors of provisions: the `parent_id` chain of the provisions in `parents`, the id form for others.

    Example:
        >>> h = Hierarchy({"d:s.1(a)(i)": "d:s.1(a)", "d:s.1(a)": "d:s.1", "d:s.1": None})
        >>> h.ancestors("d:s.1(a)(i)"), h.ancestors("d:s.1"), h.ancestors("d:s.2(b)")
        (['d:s.1(a)', 'd:s.1'], [], ['d:s.2'])
    """

    def __init__(self, parents: Mapping[str, str | None] | None = None):
        self.parents = dict(parents or {})

    @classmethod
    def from_store(cls, store: "Store") -> "Hierarchy":
        """Every stored provision's parent, in one query."""
        return cls(store.parents())

    def __contains__(self, provision_id: str) -> bool:
        return provision_id in self.parents

    def ancestors(self, provision_id: str) -> list[str]:
        """Nearest first; a cycle in the parent chain (a corrupt store) stops at the repeat."""
        if provision_id not in self.parents:
            return ancestors_from_id(provision_id)
        out: list[str] = []
        seen = {provision_id}
        parent = self.parents.get(provision_id)
        while parent and parent not in seen:
            out.append(parent)
            seen.add(parent)
            parent = self.parents.get(parent)
        return out

    __call__ = ancestors


def unit_of(provision_id: str, gold: Collection[str], ancestors: Ancestors = ancestors_from_id) -> str:
    """The judged unit a retrieved provision counts for: itself or its nearest judged ancestor; else itself.

    >>> unit_of("d:200.9(a)(1)", {"d:200.9"}), unit_of("d:200.9(a)(1)", {"d:200.9", "d:200.9(a)"})
    ('d:200.9', 'd:200.9(a)')
    >>> unit_of("d:200.9", {"d:200.9(a)"}), unit_of("d:200.10", {"d:200.1"})
    ('d:200.9', 'd:200.10')
    """
    if provision_id in gold:
        return provision_id
    for a in ancestors(provision_id):
        if a in gold:
            return a
    return provision_id


def rollup_ranking(
    ranked: Sequence[str], gold: Collection[str], ancestors: Ancestors = ancestors_from_id
) -> list[tuple[str, int]]:
    """`(unit, best rank)` for a ranking rolled up to the judged units, in rank order; ranks count from 1 in
    the original ranking (a unit's position in the returned list is its rank after the roll-up).

    A provision listed twice counts once. An empty ranking gives `[]`; with no judged ids (empty `gold`) the
    ranking is returned unchanged (duplicates dropped).

    >>> rollup_ranking(["d:sec.4(a)(11)", "d:sec.4(a)(1)", "d:sec.9"], {"d:sec.4(a)"})
    [('d:sec.4(a)', 1), ('d:sec.9', 3)]
    >>> rollup_ranking(["d:sec.9", "d:sec.4(a)(1)", "d:sec.4(a)(11)"], {"d:sec.4(a)"})
    [('d:sec.9', 1), ('d:sec.4(a)', 2)]
    >>> rollup_ranking([], {"d:sec.4"}), rollup_ranking(["d:sec.1", "d:sec.1"], set())
    ([], [('d:sec.1', 1)])
    """
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    for rank, pid in enumerate(ranked, start=1):
        unit = unit_of(pid, gold, ancestors) if gold else pid
        if unit not in seen:
            seen.add(unit)
            out.append((unit, rank))
    return out


def ranked_ids(scores: Mapping[str, float]) -> list[str]:
    """Ids by descending score; equal scores in id order, so a tie always breaks the same way.

    >>> ranked_ids({"b": 1.0, "a": 1.0, "c": 2.0})
    ['c', 'a', 'b']
    """
    return [pid for pid, _ in sorted(scores.items(), key=lambda x: (-x[1], x[0]))]


def rollup_run(
    run: Mapping[str, Sequence[str] | Mapping[str, float]],
    qrels: Mapping[str, Mapping[str, int]],
    ancestors: Ancestors = ancestors_from_id,
) -> dict[str, list[str]]:
    """Every query's ranking rolled up to that query's judged ids: `{qid: [unit, …]}` in rank order.

    A ranking may be a list (best first) or `{id: score}` (ties broken by id, see `ranked_ids`). A query with
    no judgements is rolled up against nothing (duplicates dropped only).

    >>> run = {"q1": ["d:s.1(a)", "d:s.2", "d:s.1(b)"], "q2": {"d:s.3(a)": 0.5, "d:s.3": 0.9}}
    >>> rollup_run(run, {"q1": {"d:s.1": 2}, "q2": {"d:s.3": 1}})
    {'q1': ['d:s.1', 'd:s.2'], 'q2': ['d:s.3']}
    >>> rollup_run({}, {"q1": {"d:s.1": 2}}), rollup_run({"q1": ["d:s.1"]}, {})
    ({}, {'q1': ['d:s.1']})
    """
    out: dict[str, list[str]] = {}
    for qid, ranking in run.items():
        ids = ranked_ids(ranking) if isinstance(ranking, Mapping) else list(ranking)
        gold = set(qrels.get(qid, {}))
        out[qid] = [unit for unit, _ in rollup_ranking(ids, gold, ancestors)]
    return out


def nested_gold(qrels: Mapping[str, Mapping[str, int]], ancestors: Ancestors = ancestors_from_id) -> list[tuple[str, str, str]]:
    """`(qid, id, judged ancestor)` for each judged id that sits inside another id judged for the same query.

    Such gold is legal but worth a look: a hit inside the inner unit counts for the inner unit only.

    >>> nested_gold({"q1": {"d:s.1": 1, "d:s.1(a)": 2, "d:s.2": 1}})
    [('q1', 'd:s.1(a)', 'd:s.1')]
    """
    out = []
    for qid in sorted(qrels):
        judged = set(qrels[qid])
        for pid in sorted(judged):
            for a in ancestors(pid):
                if a in judged:
                    out.append((qid, pid, a))
                    break
    return out


def descendants_hit(ranked: Iterable[str], gold_id: str, ancestors: Ancestors = ancestors_from_id) -> list[int]:
    """The ranks (from 1) at which `gold_id` or a provision inside it was retrieved: for per-query reports.

    >>> descendants_hit(["d:s.2", "d:s.1(b)", "d:s.1"], "d:s.1")
    [2, 3]
    """
    return [r for r, pid in enumerate(ranked, start=1) if pid == gold_id or gold_id in ancestors(pid)]
