"""Retrieval metrics, computed by ir-measures (trec_eval's definitions), never by hand.

| name | ir-measures | what it says |
| --- | --- | --- |
| `nDCG@10` | `nDCG@10` | graded gain (relevance 2 counts twice 1) of the first 10 hits, over the best possible |
| `Recall@10` | `R@10` | share of the relevant units found in the first 10 |
| `Recall@100` | `R@100` | share found in the first 100 |
| `MRR@10` | `RR@10` | 1 / rank of the first relevant unit if it is in the first 10, else 0 (averaged: MRR) |
| `MAP` | `AP` | average precision over the whole ranking (averaged: MAP) |

Beside them, `judged_share` tells how far the gold can vouch for a ranking: the share of its first 10 units
that carry a judgement at all (ir-measures' `Judged@10`, relevance 0 included). A low share means most of
what a system shows is unjudged, and counted as not relevant whatever it says, so absolute figures and
comparisons with a system that did not help build the gold should be read with that in mind.

Relevance ≥ 1 is relevant for Recall, RR and AP; nDCG uses the relevance itself as the gain (trec_eval's
linear gain: `rel / log2(rank + 1)`).

The queries averaged over are those with at least one relevant judgement (`relevant_queries`): a query
without a ranking scores 0 on every metric, and a query whose judgements are all 0 is left out (no metric is
defined for it). Rankings are lists, best first; ir-measures gets them as strictly decreasing scores, so its
tie-breaking never changes an order.

Example:
    >>> scores = per_query({"q1": {"a": 2, "b": 1}}, {"q1": ["c", "a", "b"]})
    >>> round(scores["q1"]["MRR@10"], 3), round(scores["q1"]["Recall@10"], 3)
    (0.5, 1.0)
"""

from __future__ import annotations

from typing import Mapping, Sequence

from crosswalk.errors import ConfigError
from crosswalk.evaluation.gold_io import relevant_queries

# Our names → ir-measures' names. The order is the order of every table and chart.
MEASURES: dict[str, str] = {
    "nDCG@10": "nDCG@10",
    "Recall@10": "R@10",
    "Recall@100": "R@100",
    "MRR@10": "RR@10",
    "MAP": "AP",
}
METRICS: tuple[str, ...] = tuple(MEASURES)
PRIMARY = "nDCG@10"  # the metric the significance tests compare
JUDGED_DEPTH = 10  # judged_share looks at this many units of each ranking


def check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    """`metrics` if each is one of `METRICS`; else a ConfigError naming them."""
    unknown = [m for m in metrics if m not in MEASURES]
    if unknown:
        raise ConfigError(f"unknown metric(s) {', '.join(unknown)}: use {', '.join(METRICS)}")
    return tuple(metrics)


def as_scores(ranking: Sequence[str]) -> dict[str, float]:
    """A ranking (best first) as `{id: score}` with strictly decreasing scores; a repeated id keeps its first rank.

    >>> as_scores(["a", "b", "a", "c"])
    {'a': 3.0, 'b': 2.0, 'c': 1.0}
    """
    unique = list(dict.fromkeys(ranking))
    n = len(unique)
    return {pid: float(n - i) for i, pid in enumerate(unique)}


def per_query(
    qrels: Mapping[str, Mapping[str, int]],
    run: Mapping[str, Sequence[str]],
    metrics: Sequence[str] = METRICS,
) -> dict[str, dict[str, float]]:
    """`{qid: {metric: value}}` for every query with a relevant judgement (sorted by qid); 0 where the run has
    no ranking for it. Empty qrels give `{}`.

    >>> per_query({"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 0}}, {"q1": ["a"]}, ["MRR@10"])
    {'q1': {'MRR@10': 1.0}, 'q2': {'MRR@10': 0.0}}
    """
    import ir_measures

    metrics = check_metrics(metrics)
    qids = relevant_queries(qrels)
    out: dict[str, dict[str, float]] = {q: {m: 0.0 for m in metrics} for q in qids}
    if not qids:
        return out
    measures = {ir_measures.parse_measure(MEASURES[m]): m for m in metrics}
    judged = {q: {pid: int(rel) for pid, rel in qrels[q].items()} for q in qids}
    scored = {q: as_scores(run[q]) for q in qids if run.get(q)}
    if not scored:
        return out
    for metric in ir_measures.iter_calc(list(measures), judged, scored):
        name = measures.get(metric.measure)
        if name is not None and metric.query_id in out:
            out[metric.query_id][name] = float(metric.value)
    return out


def judged_share(
    qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Sequence[str]], k: int = JUDGED_DEPTH
) -> dict[str, float]:
    """`{qid: share}`: the share of each ranking's first `k` units (all of them, if it has fewer) that the gold
    judges, relevance 0 included (ir-measures' `Judged@k`). Only queries with a relevant judgement and a
    non-empty ranking get a share: an empty ranking shows nothing to vouch for.

    >>> judged_share({"q1": {"a": 1, "b": 0, "x": 2}, "q2": {"d": 1}}, {"q1": ["a", "c", "b", "a"], "q2": []})
    {'q1': 0.6666666666666666}
    """
    import ir_measures

    qids = relevant_queries(qrels)
    scored = {q: as_scores(run[q]) for q in qids if run.get(q)}
    if not scored:
        return {}
    judged = {q: {pid: int(rel) for pid, rel in qrels[q].items()} for q in scored}
    measure = ir_measures.parse_measure(f"Judged@{k}")
    return {m.query_id: float(m.value) for m in sorted(ir_measures.iter_calc([measure], judged, scored),
                                                         key=lambda m: m.query_id)}


def mean(values: Mapping[str, Mapping[str, float]], metrics: Sequence[str] = METRICS) -> dict[str, float]:
    """The average of each metric over the queries of `per_query`'s answer; NaN when there are none.

    >>> mean({"q1": {"MAP": 1.0}, "q2": {"MAP": 0.5}}, ["MAP"])
    {'MAP': 0.75}
    """
    out = {}
    for m in metrics:
        xs = [v[m] for v in values.values()]
        out[m] = sum(xs) / len(xs) if xs else float("nan")
    return out


def column(values: Mapping[str, Mapping[str, float]], metric: str, qids: Sequence[str]) -> list[float]:
    """One metric's per-query values in the order of `qids` (0 for a query `values` lacks)."""
    return [float(values.get(q, {}).get(metric, 0.0)) for q in qids]
