"""Fusion of ranked lists: reciprocal rank fusion (`rrf`) and weighted score fusion (`weighted`).

Both take the same arguments — the runs to fuse, keyed by retriever name, the number of hits wanted, and
optional per-retriever weights — and return `Results` whose hits keep every input's score and rank in
`Hit.scores` / `Hit.ranks`. Ties in the fused score are broken by the best rank any input gave the provision,
then by provision id, so fused output is deterministic.

Example:
    >>> from crosswalk.index.results import Results
    >>> bm25 = Results.ranked("q", "bm25", [("a", 9.0), ("b", 4.0)])
    >>> dense = Results.ranked("q", "dense", [("b", 0.8), ("c", 0.7)])
    >>> rrf({"bm25": bm25, "dense": dense}, k=3).ids()
    ['b', 'a', 'c']
"""

from __future__ import annotations

from typing import Callable, Mapping

from crosswalk.errors import QueryError
from crosswalk.index.results import Results

RRF_K = 60


def _weights(runs: Mapping[str, Results], weights: Mapping[str, float] | None) -> dict[str, float]:
    out = {name: 1.0 for name in runs}
    for name, w in (weights or {}).items():
        if name not in runs:
            raise QueryError(f"fusion weight for {name!r}, but the runs are {', '.join(sorted(runs)) or 'none'}")
        if not w >= 0:  # also rejects NaN
            raise QueryError(f"fusion weight for {name!r} is {w}; weights must be 0 or more")
        out[name] = float(w)
    return out


def _finish(
    runs: Mapping[str, Results], fused: dict[str, float], k: int, name: str
) -> Results:
    scores: dict[str, dict[str, float]] = {}
    ranks: dict[str, dict[str, int]] = {}
    for rname, run in runs.items():
        for h in run.hits:
            scores.setdefault(h.provision_id, {})[rname] = h.score
            ranks.setdefault(h.provision_id, {})[rname] = h.rank
    order = sorted(fused, key=lambda pid: (-fused[pid], min(ranks[pid].values()), pid))[:k]
    query = next((r.query for r in runs.values()), "")
    return Results.ranked(query, name, ((pid, fused[pid]) for pid in order), scores=scores, ranks=ranks)


def rrf(
    runs: Mapping[str, Results],
    k: int = 10,
    weights: Mapping[str, float] | None = None,
    *,
    rrf_k: int = RRF_K,
    name: str = "hybrid",
) -> Results:
    """Reciprocal rank fusion: `score(d) = Σ_r w_r / (rrf_k + rank_r(d))`, over the runs `r` that hold `d`.

    `rank_r(d)` is 1-based; a run that does not hold `d` adds nothing. `rrf_k = 60` and equal weights are the
    values of Cormack, Clarke & Büttcher, "Reciprocal rank fusion outperforms Condorcet and individual rank
    learning methods", SIGIR 2009. Only ranks matter, so BM25's unbounded scores and cosine similarities
    combine without normalisation.

    Example (hand-computed): "b" is 2nd in bm25 and 1st in dense: 1/62 + 1/61 = 0.03252;
    "a" is 1st in bm25 only: 1/61 = 0.01639.
        >>> from crosswalk.index.results import Results
        >>> bm25 = Results.ranked("q", "bm25", [("a", 9.0), ("b", 4.0)])
        >>> dense = Results.ranked("q", "dense", [("b", 0.8)])
        >>> [(h.provision_id, round(h.score, 5)) for h in rrf({"bm25": bm25, "dense": dense})]
        [('b', 0.03252), ('a', 0.01639)]
    """
    if rrf_k < 0:
        raise QueryError(f"rrf_k is {rrf_k}; it must be 0 or more (60 is the usual value)")
    w = _weights(runs, weights)
    fused: dict[str, float] = {}
    for rname, run in runs.items():
        for h in run.hits:
            fused[h.provision_id] = fused.get(h.provision_id, 0.0) + w[rname] / (rrf_k + h.rank)
    return _finish(runs, fused, k, name)


def weighted(
    runs: Mapping[str, Results],
    k: int = 10,
    weights: Mapping[str, float] | None = None,
    *,
    name: str = "hybrid",
) -> Results:
    """Weighted sum of min-max normalised scores: `score(d) = Σ_r w_r · (s_r(d) − min_r) / (max_r − min_r)`.

    A run that does not hold `d` adds 0; a run whose scores are all equal (one hit, say) gives each of its
    hits 1. This is CombSUM (Fox & Shaw, "Combination of multiple searches", TREC-2, 1994) with the min-max
    normalisation of Lee, "Analyses of multiple evidence combination", SIGIR 1997 (ranx's `wsum` fusion).

    Example (hand-computed): bm25 scores 9, 4 normalise to 1, 0; dense 0.8, 0.6 to 1, 0.
        >>> from crosswalk.index.results import Results
        >>> bm25 = Results.ranked("q", "bm25", [("a", 9.0), ("b", 4.0)])
        >>> dense = Results.ranked("q", "dense", [("b", 0.8), ("c", 0.6)])
        >>> [(h.provision_id, h.score) for h in weighted({"bm25": bm25, "dense": dense}, weights={"dense": 2})]
        [('b', 2.0), ('a', 1.0), ('c', 0.0)]
    """
    w = _weights(runs, weights)
    fused: dict[str, float] = {}
    for rname, run in runs.items():
        if not run.hits:
            continue
        values = [h.score for h in run.hits]
        lo, hi = min(values), max(values)
        for h in run.hits:
            norm = (h.score - lo) / (hi - lo) if hi > lo else 1.0
            fused[h.provision_id] = fused.get(h.provision_id, 0.0) + w[rname] * norm
    return _finish(runs, fused, k, name)


Fusion = Callable[..., Results]
FUSIONS: dict[str, Fusion] = {"rrf": rrf, "weighted": weighted}
