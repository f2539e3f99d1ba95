"""Scoring a run against the gold (`Scores`, `score_run`), the paired comparisons between systems
(`compare_systems`), and what a whole evaluation found (`EvalResult`, with the JSON `crosswalk eval --json` prints).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from crosswalk.evaluation import stats
from crosswalk.evaluation.gold_io import Qrels, query_kind
from crosswalk.evaluation.metrics import JUDGED_DEPTH, METRICS, PRIMARY, column, judged_share, mean, per_query
from crosswalk.evaluation.rollup import rollup_run
from crosswalk.evaluation.runs import RERANKED

PREFERENCE = (RERANKED, "hybrid", "match", "dense", "bm25")  # comparison order: the first named is `a` in a − b


# --- scoring ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    """One system scored on one set of gold (`queries` or `pairs`).

    - `per_query`: `{qid: {metric: value}}` for the queries scored (those with a relevant judgement).
    - `means`, `ci`: each metric's mean and bootstrap confidence interval `(low, high)`.
    - `by_kind`: `{kind: {metric: mean, …, "{metric}_ci": (low, high), …, "queries": n}}` (kinds from the query
      ids: cite, q, xvocab, pair).
    - `first_relevant`: `{qid: rank}` of the first relevant unit after roll-up (None if none was retrieved).
    - `seconds`: time spent retrieving (the model's first load included).
    - `judged`: the mean share of each ranking's first 10 units that the gold judges (`metrics.judged_share`);
      NaN when no query was retrieved for.
    - `unjudged`: `{qid: units}`, the units among each ranking's first 10 that the gold does not judge (what
      `crosswalk.evaluation.pool` asks a judge about).
    - `rolled`: `{qid: units}`, each scored query's ranking after roll-up: exactly what the metrics saw
      (`crosswalk.evaluation.report.write_runs` saves them as TREC run files).
    """

    name: str
    gold: str
    per_query: dict[str, dict[str, float]]
    means: dict[str, float]
    ci: dict[str, tuple[float, float]]
    by_kind: dict[str, dict]
    first_relevant: dict[str, int | None] = field(default_factory=dict)
    seconds: float = 0.0
    judged: float = float("nan")
    unjudged: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rolled: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def qids(self) -> list[str]:
        return sorted(self.per_query)

    def row(self, per_query: bool = False) -> dict:
        """The system's JSON row: metrics as numbers, everything else in lists or dicts (see `EvalResult`)."""
        out: dict = {m: self.means[m] for m in METRICS}
        for m in METRICS:
            out[f"{m}_ci"] = list(self.ci[m])
        out["by_kind"] = self.by_kind
        out["evaluated"] = {"gold": self.gold, "queries": len(self.per_query), "seconds": round(self.seconds, 2),
                            f"judged@{JUDGED_DEPTH}": round(self.judged, 4)}  # NaN → null in to_json
        if per_query:
            out["per_query"] = {q: {**self.per_query[q], "first_relevant": self.first_relevant.get(q)}
                                for q in self.qids}
        return out


def score_run(
    name: str,
    gold: str,
    run: Mapping[str, Sequence[str]],
    qrels: Qrels,
    ancestors: Callable[[str], Sequence[str]],
    *,
    resamples: int = stats.RESAMPLES,
    seed: int = stats.SEED,
    confidence: float = stats.CONFIDENCE,
    seconds: float = 0.0,
) -> Scores:
    """Roll `run` up to the judged units, score it with ir-measures, and add intervals and the per-kind means.

    Example: score_run("bm25", "queries", {"q-1": ["US-X:sec.4(a)"]}, {"q-1": {"US-X:sec.4": 2}}, Hierarchy())
    """
    rolled = rollup_run(run, qrels, ancestors)
    values = per_query(qrels, rolled)
    qids = sorted(values)
    means = mean(values)
    ci = {m: stats.bootstrap_ci(column(values, m, qids), resamples, confidence, seed) for m in METRICS}
    kinds: dict[str, list[str]] = {}
    for q in qids:
        kinds.setdefault(query_kind(q), []).append(q)
    by_kind = {}
    for kind, qs in sorted(kinds.items()):
        by_kind[kind] = {**mean({q: values[q] for q in qs}), "queries": len(qs)}
        for m in METRICS:
            by_kind[kind][f"{m}_ci"] = stats.bootstrap_ci(column(values, m, qs), resamples, confidence, seed)
    first = {}
    for q in qids:
        relevant = {pid for pid, rel in qrels[q].items() if rel > 0}
        first[q] = next((r for r, unit in enumerate(rolled.get(q, []), start=1) if unit in relevant), None)
    shares = judged_share(qrels, rolled)
    judged = sum(shares.values()) / len(shares) if shares else float("nan")
    unjudged = {q: tuple(u for u in rolled.get(q, [])[:JUDGED_DEPTH] if u not in qrels[q]) for q in qids}
    return Scores(name, gold, values, means, ci, by_kind, first, seconds, judged, unjudged,
                  {q: tuple(rolled.get(q, ())) for q in qids})


# --- the whole evaluation ---------------------------------------------------------------------------------------


@dataclass
class EvalResult:
    """What `evaluate` found.

    - `queries` / `pairs`: `{system: Scores}` for the query gold and the pair gold (empty when not run).
    - `comparisons` / `pair_comparisons`: paired randomisation tests on nDCG@10 between systems.
    - `meta`: the settings and gold sizes (k, split, citation lookup, bootstrap and test settings, index), and
      `fingerprint`: `{"queries": hash, "pairs": hash}` of exactly what each gold scored (`fingerprint`).
    - `warnings`: gold problems found on the way (ids the store lacks, queries without judgements, …).
    - `qrels` / `pair_qrels`: the judgements scored, for the queries (pooled ones included) and the pairs.

    `to_json()` is what `crosswalk eval --json` prints: one object `{system: {metric: value, …}}`, with the
    pair gold's systems as `pairs:{system}`. Within a system's object, the five metrics are numbers and every
    other entry is a list or an object, so a reader that keeps the numbers gets exactly the metric table:

        {"hybrid": {"nDCG@10": 0.71, "Recall@10": 0.8, "Recall@100": 0.95, "MRR@10": 0.66, "MAP": 0.6,
                    "nDCG@10_ci": [0.62, 0.79], …, "by_kind": {"cite": {"nDCG@10": …, "queries": 12}, …},
                    "significance": {"bm25": {"metric": "nDCG@10", "diff": 0.08, "diff_ci": [0.02, 0.14],
                                              "p": 0.004, "p_holm": 0.008, "n": 40, "wins": 14, "losses": 5,
                                              "ties": 21, "test": "paired randomisation (…)"}, …},
                    "evaluated": {"gold": "queries", "queries": 40, "seconds": 3.1, "judged@10": 0.31}},
         "bm25": {…}, "dense": {…}, "pairs:hybrid": {…}, "pairs:match": {…}}

    `significance` sits under the first system of each comparison (in the order hybrid, match, dense, bm25):
    `hybrid` holds its tests against `dense` and `bm25`, `dense` its test against `bm25`.
    """

    queries: dict[str, Scores] = field(default_factory=dict)
    pairs: dict[str, Scores] = field(default_factory=dict)
    comparisons: list[stats.Comparison] = field(default_factory=list)
    pair_comparisons: list[stats.Comparison] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    qrels: Qrels = field(default_factory=dict)
    pair_qrels: Qrels = field(default_factory=dict)

    def systems(self) -> dict[str, Scores]:
        """Every scored system under its JSON name (`bm25`, …, `pairs:bm25`, …)."""
        return {**self.queries, **{f"pairs:{n}": s for n, s in self.pairs.items()}}

    def to_json(self, per_query: bool = False) -> dict:
        out: dict[str, dict] = {}
        for prefix, scores, comparisons in (("", self.queries, self.comparisons),
                                            ("pairs:", self.pairs, self.pair_comparisons)):
            for name, s in scores.items():
                row = s.row(per_query)
                row["significance"] = {
                    c.b: {"metric": c.metric, "diff": c.diff, "diff_ci": list(c.diff_ci), "p": c.p,
                          "p_holm": c.p_holm, "n": c.n, "wins": c.wins, "losses": c.losses, "ties": c.ties,
                          "test": c.test}
                    for c in comparisons if c.a == name
                }
                out[prefix + name] = row
        return out


def _ordered_pairs(names: Sequence[str]) -> list[tuple[str, str]]:
    order = sorted(names, key=lambda n: PREFERENCE.index(n) if n in PREFERENCE else len(PREFERENCE))
    return [(order[i], order[j]) for i in range(len(order)) for j in range(i + 1, len(order))]


def compare_systems(scores: Mapping[str, Scores], metric: str = PRIMARY, permutations: int = stats.PERMUTATIONS,
                    seed: int = stats.SEED, resamples: int = stats.RESAMPLES,
                    confidence: float = stats.CONFIDENCE) -> list[stats.Comparison]:
    """Paired tests between every two systems on the queries all of them scored (hybrid first, bm25 last),
    with the bootstrap interval of each difference and its wins, losses and ties."""
    if len(scores) < 2:
        return []
    common = sorted(set.intersection(*(set(s.per_query) for s in scores.values())))
    systems = {n: column(s.per_query, metric, common) for n, s in scores.items()}
    return stats.compare(systems, metric, _ordered_pairs(list(scores)), permutations, seed, resamples, confidence)
