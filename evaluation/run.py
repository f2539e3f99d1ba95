"""Evaluate the retrievers against the gold: run every query, roll the rankings up, score, and compare.

Two sets of gold, scored the same way (`crosswalk.evaluation.metrics`, after `crosswalk.evaluation.rollup`):

- **queries** (`queries.tsv` + `qrels.txt`): each query is searched with each retriever (`bm25`, `dense`,
  `hybrid`) for `k` hits, under its jurisdiction filter when it has one. As in the app's search, a query that
  is a citation puts the cited provision and its children first (`crosswalk.index.citations.lookup`; turn off with
  `citations=False` to score the bare retrievers).
- **pairs** (`pairs.csv`): each left provision is a query against the right provision's jurisdiction, and the
  right provisions are its answers (relevance 2 for equal, subset-of and superset-of, 1 for intersects-with,
  0 for not-related; `unsure` pairs are left out). A left provision with counterparts in two jurisdictions is
  two queries, `pair:{left_id}@{jurisdiction}`. The retrievers answer with `like(left_id)` (BM25 on its text,
  dense on its stored vectors, hybrid fusing both), and `match` is the matching path that fills the review
  queue (`crosswalk.index.match.counterparts`, at most 100 candidates).

Every system gets its means, a bootstrap confidence interval per metric (same seed for every system, so the
resampled query sets are the same), a breakdown per query kind (`cite`, `q`, `xvocab`, `pair`), and paired
randomisation tests on nDCG@10 between systems (`crosswalk.evaluation.stats`).

Example:
    result = evaluate(store, load_searcher(store, ws.index_dir), load_queries(), load_qrels(), pairs=load_pairs())
    result.to_json()["hybrid"]["nDCG@10"]
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from crosswalk.errors import ConfigError
from crosswalk.evaluation import stats
from crosswalk.evaluation.gold_io import Pair, Qrels, Query, check_split, in_split, query_kind, relevant_queries
from crosswalk.evaluation.metrics import JUDGED_DEPTH, METRICS, PRIMARY, column, judged_share, mean, per_query
from crosswalk.evaluation.rollup import Hierarchy, nested_gold, rollup_run

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.ingest.store import Store

RETRIEVERS = ("bm25", "dense", "hybrid")
RERANKED = "hybrid+rerank"  # the hybrid pool reordered by the trained ranker (`crosswalk.index.rerank`); named, never default
MATCHER = "match"  # the matching path, for pairs only
MATCH_MAX_K = 100  # `counterparts` returns at most 100 candidates
PREFERENCE = (RERANKED, "hybrid", "match", "dense", "bm25")  # comparison order: the first named is `a` in a − b
Progress = Callable[[str, int, int], None]  # (stage, done, total)
Run = dict[str, list[str]]


def check_retrievers(names: Sequence[str]) -> tuple[str, ...]:
    """The retrievers named (each once, in `RETRIEVERS` order, then `hybrid+rerank`; the three first-stage ones
    when none is); unknown names are an error.

    >>> check_retrievers(["hybrid", "bm25", "bm25"]), check_retrievers([])
    (('bm25', 'hybrid'), ('bm25', 'dense', 'hybrid'))
    >>> check_retrievers(["hybrid+rerank", "hybrid"])
    ('hybrid', 'hybrid+rerank')
    """
    known = RETRIEVERS + (RERANKED,)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"unknown retriever(s) {', '.join(unknown)}: use {', '.join(known)}")
    return tuple(r for r in known if r in names) if names else RETRIEVERS


class _Reranked:
    """`hybrid+rerank` as a retriever: the first-stage pool reordered by a trained `crosswalk.index.rerank.Ranker`."""

    name = RERANKED

    def __init__(self, searcher, ranker):
        self.searcher, self.ranker = searcher, ranker

    def search(self, query, k=10, filters=None):
        return self.ranker.search(self.searcher, query, k, filters)

    def like(self, provision_id, k=10, filters=None):
        return self.ranker.like(self.searcher, provision_id, k, filters)


def engine_of(searcher, name: str, ranker=None):
    """The retriever `name` of `searcher`; `hybrid+rerank` needs `ranker` (a ConfigError without one)."""
    if name == RERANKED:
        if ranker is None:
            raise ConfigError(f"{RERANKED} needs a trained ranker: run `crosswalk learn` first")
        return _Reranked(searcher, ranker)
    return searcher.retriever(name)


def check_depth(k: int) -> int:
    """The ranking depth `k`: a whole number from 10 (the @10 metrics need 10 hits) to 1,000."""
    if isinstance(k, bool) or not isinstance(k, int) or not 10 <= k <= 1000:
        raise ConfigError(f"k must be a whole number from 10 to 1,000 (100 for Recall@100), got {k!r}")
    return k


# --- running the queries ---------------------------------------------------------------------------------------


def _filters(jurisdiction: str):
    from crosswalk.index.filters import Filters

    return Filters(jurisdiction=jurisdiction) if jurisdiction else None


def _tick(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


def search_run(
    searcher,
    queries: Sequence[Query],
    retriever: str,
    k: int,
    *,
    store: "Store | None" = None,
    citations: bool = True,
    progress: Progress | None = None,
    ranker=None,
) -> Run:
    """`{qid: [provision id, …]}`: each query searched with `retriever` for `k` hits under its jurisdiction.

    `searcher` is an `crosswalk.index.retrievers.Searcher` (anything with `retriever(name).search(query, k, filters)`).
    With `citations` (and a `store`), a query that is a citation puts the cited provisions first, as the
    app's search does. `ranker` serves `hybrid+rerank`.
    """
    from crosswalk.index.results import Results

    engine = engine_of(searcher, retriever, ranker)
    out: Run = {}
    for i, q in enumerate(queries):
        f = _filters(q.jurisdiction)
        results = engine.search(q.text, k, f)
        if citations and store is not None:
            cited = cited_ids(store, q.text, f)
            if cited:
                results = Results.merge([Results.from_ids(cited[:k], query=q.text), results], k=k)
        out[q.qid] = results.ids()
        _tick(progress, retriever, i + 1, len(queries))
    return out


def cited_ids(store: "Store", text: str, filters=None) -> list[str]:
    """The provisions a citation query names (itself, then its descendants), kept to those `filters` allow."""
    from crosswalk.index.citations import lookup
    from crosswalk.index.filters import allowed_provision_ids

    cited = lookup(store, text)
    if cited and filters:
        allowed = allowed_provision_ids(store, filters)
        cited = [c for c in cited if allowed is None or c in allowed]
    return cited


@dataclass(frozen=True)
class PairQuery:
    """A left provision asked for its counterparts in one jurisdiction (`qid` = `pair:{left_id}@{jurisdiction}`)."""

    qid: str
    left_id: str
    jurisdiction: str


def pair_queries(pairs: Sequence[Pair], jurisdiction_of: Callable[[str], str]) -> tuple[list[PairQuery], Qrels]:
    """The pair queries and their qrels: one query per left provision and jurisdiction of its right ones.

    >>> ps = [Pair("US-A:s.1", "UK-B:r.1", "equal"), Pair("US-A:s.1", "UK-B:r.2", "intersects-with"),
    ...       Pair("US-A:s.2", "EU-C:a.1", "not-related"), Pair("US-A:s.3", "UK-B:r.3", "unsure")]
    >>> qs, qrels = pair_queries(ps, lambda pid: pid[:2])
    >>> [q.qid for q in qs]
    ['pair:US-A:s.1@UK', 'pair:US-A:s.2@EU']
    >>> qrels["pair:US-A:s.1@UK"]
    {'UK-B:r.1': 2, 'UK-B:r.2': 1}
    """
    queries: dict[str, PairQuery] = {}
    qrels: Qrels = {}
    for p in pairs:
        if p.relevance is None:
            continue
        jur = jurisdiction_of(p.right_id)
        qid = f"pair:{p.left_id}@{jur}"
        queries.setdefault(qid, PairQuery(qid, p.left_id, jur))
        qrels.setdefault(qid, {})[p.right_id] = p.relevance
    return list(queries.values()), qrels


def like_run(searcher, queries: Sequence[PairQuery], retriever: str, k: int,
             progress: Progress | None = None, ranker=None) -> Run:
    """`{qid: [provision id, …]}`: each left provision's `k` nearest provisions of the other jurisdiction."""
    engine = engine_of(searcher, retriever, ranker)
    out: Run = {}
    for i, q in enumerate(queries):
        out[q.qid] = engine.like(q.left_id, k, _filters(q.jurisdiction)).ids()
        _tick(progress, f"pairs {retriever}", i + 1, len(queries))
    return out


def match_run(store: "Store", searcher, queries: Sequence[PairQuery], k: int,
              progress: Progress | None = None) -> Run:
    """`{qid: [provision id, …]}` from the matching path (`crosswalk.index.match.counterparts`, up to 100 candidates)."""
    from crosswalk.index.match import counterparts

    out: Run = {}
    for i, q in enumerate(queries):
        found = counterparts(store, searcher, q.left_id, q.jurisdiction, k=min(k, MATCH_MAX_K), explain=False)
        out[q.qid] = [c.right_id for c in found]
        _tick(progress, f"pairs {MATCHER}", i + 1, len(queries))
    return out


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


def _jurisdiction_of(store: "Store") -> Callable[[str], str]:
    """A provision's jurisdiction from the store, else from its document id's prefix (`UK-…` → UK)."""
    from crosswalk.ingest.models import Jurisdiction, split_id

    def of(pid: str) -> str:
        row = store.conn.execute("SELECT jurisdiction FROM provisions WHERE id=?", (pid,)).fetchone()
        if row is not None:
            return row[0]
        prefix = split_id(pid)[0].split("-", 1)[0]
        try:
            return Jurisdiction.parse(prefix).value
        except ConfigError:
            raise ConfigError(f"pair answer {pid!r} is not in the store and its document id does not start with a "
                              "jurisdiction (US-, UK-, EU-, INTL-); fix the id in pairs.csv") from None

    return of


def _missing(store: "Store", ids: set[str]) -> list[str]:
    known = set()
    listed = sorted(ids)
    for start in range(0, len(listed), 900):
        part = listed[start : start + 900]
        rows = store.conn.execute(f"SELECT id FROM provisions WHERE id IN ({','.join('?' * len(part))})", part)
        known.update(r[0] for r in rows)
    return sorted(ids - known)


def _some(ids: Sequence[str], n: int = 5) -> str:
    return ", ".join(ids[:n]) + (f" and {len(ids) - n} more" if len(ids) > n else "")


def fingerprint(gold: object) -> str:
    """A short hash of exactly what was scored (query texts, jurisdictions and judgements): two runs with the
    same fingerprint, depth and citation setting are comparable, whatever files or split they came from.

    >>> gold = {"q-1": ["UK", "who may issue", {"UK-A:s.1": 2}]}
    >>> fingerprint(gold) == fingerprint(dict(gold)), fingerprint(gold) == fingerprint({"q-1": ["UK", "x", {}]})
    (True, False)
    >>> len(fingerprint({}))
    12
    """
    import hashlib
    import json

    blob = json.dumps(gold, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


def _index_meta(searcher) -> dict:
    params = getattr(searcher, "params", None) or {}
    if not params:
        return {}
    model = params.get("model", {})
    dense = params.get("dense", {})
    return {
        "model": model.get("name"),
        "dim": model.get("dim"),
        "index_type": dense.get("index_type"),
        "passages": dense.get("rows"),
        "provisions": params.get("store", {}).get("provisions"),
        "corpus_hash": params.get("store", {}).get("corpus_hash"),
        "built_at": params.get("built_at"),
        "fusion": getattr(getattr(searcher, "hybrid", None), "fusion", None),
        "rrf_k": getattr(getattr(searcher, "hybrid", None), "rrf_k", None),
        "weights": dict(getattr(getattr(searcher, "hybrid", None), "weights", None) or {}) or None,
    }


def evaluate(
    store: "Store",
    searcher,
    queries: Sequence[Query] = (),
    qrels: Qrels | None = None,
    *,
    pairs: Sequence[Pair] = (),
    retrievers: Sequence[str] = RETRIEVERS,
    k: int = 100,
    split: str = "all",
    splits: Mapping[str, str] | None = None,
    citations: bool = True,
    match: bool = True,
    resamples: int = stats.RESAMPLES,
    seed: int = stats.SEED,
    confidence: float = stats.CONFIDENCE,
    permutations: int = stats.PERMUTATIONS,
    progress: Progress | None = None,
    ranker=None,
) -> EvalResult:
    """Score `retrievers` on the query gold and (when `pairs` are given) on the pair gold, plus `match` on the
    pairs when `match` is set. Only queries and pairs of `split` (dev, test or all; from `splits`) take part.
    `hybrid+rerank` is scored with `ranker` (an `crosswalk.index.rerank.Ranker`; it is trained on the dev half, so score
    it on the test half).

    Problems with the gold that do not stop the run (a judged id the store lacks, a query without judgements)
    are collected in `EvalResult.warnings`.
    """
    started = time.perf_counter()
    retrievers = check_retrievers(list(retrievers))
    k = check_depth(k)
    split = check_split(split)
    if split != "all" and not splits:
        raise ConfigError(f"--split {split} needs a split file (split.tsv: qid<TAB>dev|test); none was given or it "
                          "is empty")
    qrels = dict(qrels or {})
    result = EvalResult()
    warn = result.warnings.append
    hierarchy = Hierarchy.from_store(store)

    chosen = [q for q in queries if in_split(q.qid, split, splits)]
    texts = {q.qid for q in queries}
    extra = sorted(set(qrels) - texts)
    if extra:
        warn(f"{len(extra)} qid(s) in the qrels have no query text, left out: {_some(extra)}")
    scored_qrels = {q.qid: qrels[q.qid] for q in chosen if q.qid in qrels}
    unjudged = sorted(q.qid for q in chosen if q.qid not in qrels)
    if unjudged:
        warn(f"{len(unjudged)} query(ies) have no judgements in the qrels, left out: {_some(unjudged)}")
    zero = sorted(set(scored_qrels) - set(relevant_queries(scored_qrels)))
    if zero:
        warn(f"{len(zero)} query(ies) have no relevant (≥1) judgement, left out: {_some(zero)}")
    chosen = [q for q in chosen if q.qid in scored_qrels and q.qid not in zero]
    judged_ids = {pid for judged in scored_qrels.values() for pid in judged}
    absent = _missing(store, judged_ids)
    if absent:
        warn(f"{len(absent)} judged id(s) are not in the store (they can never be found; a typo, or a document not "
             f"ingested?): {_some(absent)}")
    nested = nested_gold(scored_qrels, hierarchy)
    for qid, pid, parent in nested[:5]:
        warn(f"{qid} judges both {pid} and its ancestor {parent}: a hit inside {pid} counts for {pid} only")
    if len(nested) > 5:
        warn(f"… and {len(nested) - 5} more unit(s) judged inside another judged unit of the same query")
    if k < 100:
        warn(f"k is {k}: Recall@100 and MAP only see the first {k} hits, and the @10 metrics only the units those "
             f"hits roll up to (hits inside one judged unit count once), so every metric can read lower than at "
             "k=100; compare runs at the same k")

    if RERANKED in retrievers:
        engine_of(searcher, RERANKED, ranker)  # no ranker: say so before any work
    for name in retrievers if chosen else ():
        if name != "bm25":
            engine_of(searcher, name, ranker).search(chosen[0].text, 10, None)  # load the model outside the timing
        t0 = time.perf_counter()
        run = search_run(searcher, chosen, name, k, store=store, citations=citations, progress=progress,
                         ranker=ranker)
        result.queries[name] = score_run(name, "queries", run, scored_qrels, hierarchy, resamples=resamples,
                                         seed=seed, confidence=confidence, seconds=time.perf_counter() - t0)
    result.comparisons = compare_systems(result.queries, PRIMARY, permutations, seed, resamples, confidence)
    if result.queries:
        result.qrels = {q.qid: scored_qrels[q.qid] for q in chosen}

    chosen_pairs = [p for p in pairs if in_split(p.key, split, splits)]
    if chosen_pairs:
        lefts = _missing(store, {p.left_id for p in chosen_pairs})
        rights = _missing(store, {p.right_id for p in chosen_pairs})
        if lefts:
            warn(f"{len(lefts)} pair left id(s) are not in the store, their pairs left out: {_some(lefts)}")
        if rights:
            warn(f"{len(rights)} pair right id(s) are not in the store (they can never be found): {_some(rights)}")
        absent_lefts = set(lefts)
        usable = [p for p in chosen_pairs if p.left_id not in absent_lefts]
        pqs, pair_qrels = pair_queries(usable, _jurisdiction_of(store))
        zero_pairs = set(pair_qrels) - set(relevant_queries(pair_qrels))
        pqs = [q for q in pqs if q.qid not in zero_pairs]
        systems = list(retrievers) + ([MATCHER] if match else [])
        for name in systems if pqs else ():
            t0 = time.perf_counter()
            if name == MATCHER:
                run = match_run(store, searcher, pqs, k, progress)
            else:
                run = like_run(searcher, pqs, name, k, progress, ranker=ranker)
            result.pairs[name] = score_run(name, "pairs", run, pair_qrels, hierarchy, resamples=resamples, seed=seed,
                                           confidence=confidence, seconds=time.perf_counter() - t0)
        result.pair_comparisons = compare_systems(result.pairs, PRIMARY, permutations, seed, resamples, confidence)
        if result.pairs:
            result.pair_qrels = {q.qid: pair_qrels[q.qid] for q in pqs}
        if match and k > MATCH_MAX_K:
            warn(f"the matching path returns at most {MATCH_MAX_K} candidates: pairs:match is scored on those")
    if not result.queries and not result.pairs:
        raise ConfigError(
            f"nothing to evaluate in split {split!r}: no query with a relevant judgement"
            + (" and no pair" if pairs else "")
            + " (check the gold files, or use --split all)"
        )
    fingerprints = {}
    if result.queries:
        fingerprints["queries"] = fingerprint({q.qid: [q.jurisdiction, q.text, scored_qrels[q.qid]] for q in chosen})
    if result.pairs:
        fingerprints["pairs"] = fingerprint({q.qid: pair_qrels[q.qid] for q in pqs})
    result.meta = {
        "k": k,
        "split": split,
        "retrievers": list(retrievers),
        "citation_lookup": citations,
        "queries": len(next(iter(result.queries.values())).per_query) if result.queries else 0,
        "pairs": sum(1 for p in chosen_pairs if p.relevance is not None),
        "pair_queries": len(next(iter(result.pairs.values())).per_query) if result.pairs else 0,
        "bootstrap": {"resamples": resamples, "confidence": confidence, "seed": seed, "method": "percentile"},
        "significance": {"metric": PRIMARY, "test": "paired randomisation (sign flips)", "permutations": permutations,
                         "seed": seed, "adjustment": "Holm"},
        "fingerprint": fingerprints,
        "rollup": "to the judged units: a hit counts for its nearest judged ancestor, each unit at its best rank",
        "index": _index_meta(searcher),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return result


def evaluate_workspace(
    workspace,
    *,
    queries_path=None,
    qrels_path=None,
    pairs_path=None,
    split_path=None,
    with_decisions: bool = False,
    judged_paths: Sequence = (),
    pool_path=None,
    pool_depth: int = 10,
    **options,
) -> EvalResult:
    """`evaluate` on a workspace's store and saved index, with the gold read from files (defaults: the
    `evaluation/gold/` files; pairs only when `pairs_path` is given or `with_decisions` is set).

    `with_decisions` adds the reviewers' current decisions as gold pairs (the newest per pair; the pairs file
    wins where both judge a pair). `split_path` defaults to `evaluation/gold/split.tsv`, read only when
    `options["split"]` is dev or test. `judged_paths`: judged pool files (`crosswalk.evaluation.pool`) whose judgements
    are added to the qrels, the gold's own winning where both judge a unit. `pool_path`: write the judging
    pool of this run there (the query systems' unjudged units in their first `pool_depth`, 10 by default). Other `options` go to `evaluate`.

    Example: evaluate_workspace(Workspace.resolve(None), pairs_path=PAIRS_FILE, retrievers=["hybrid"])
    """
    from crosswalk.evaluation import gold_io, pool
    from crosswalk.evaluation.agreement import current_decisions
    from crosswalk.index.build import load_searcher
    from crosswalk.ingest.store import Store

    if pool_path is not None:
        pool.check_pool_target(pool_path, judged_paths)  # before the run, not after it
        if not 1 <= pool_depth <= options.get("k", 100):
            raise ConfigError(f"--pool-depth {pool_depth} must be from 1 to the ranking depth k "
                              f"({options.get('k', 100)}); 10 pools what judged@10 counts")
    queries = gold_io.load_queries(queries_path or gold_io.QUERIES_FILE)
    qrels = gold_io.load_qrels(qrels_path or gold_io.QRELS_FILE)
    notes, judged_meta = [], []
    for path in judged_paths:
        extra = pool.load_judged(path)
        before = sum(len(j) for j in qrels.values())
        relevant_before = sum(rel > 0 for j in qrels.values() for rel in j.values())
        qrels, conflicts = pool.merge_judgements(qrels, extra)
        judged_meta.append({"path": str(path), "added": sum(len(j) for j in qrels.values()) - before,
                            "relevant": sum(rel > 0 for j in qrels.values() for rel in j.values()) - relevant_before,
                            "queries": len(extra)})
        if conflicts:
            notes.append(f"{path}: {len(conflicts)} judgement(s) differ from the gold's or an earlier --judged "
                         "file's, which are kept: " + _some([f"{q} {pid}" for q, pid in conflicts]))
    pairs = gold_io.load_pairs(pairs_path) if pairs_path else []
    if with_decisions:
        pairs = pairs + gold_io.pairs_from_decisions(current_decisions(workspace.database), skip=pairs)
    splits = None
    if options.get("split", "all") != "all":
        splits = gold_io.load_split(split_path or gold_io.SPLIT_FILE)
    ranker = None
    if RERANKED in options.get("retrievers", ()):
        from crosswalk.index.rerank import load_ranker

        ranker = load_ranker(workspace)
        if ranker is None:
            raise ConfigError(f"{RERANKED}: no trained ranker in {workspace.root}/models; run `crosswalk learn` first")
    with Store(workspace.database, readonly=True) as store:
        searcher = load_searcher(store, workspace.index_dir)
        result = evaluate(store, searcher, queries, qrels, pairs=pairs, splits=splits, ranker=ranker, **options)
        if ranker is not None:
            result.meta["ranker"] = {k: ranker.meta.get(k) for k in ("fingerprint", "trained_at", "seed", "features")}
        if pool_path is not None:
            pooled = pool.judging_pool(result, qrels, Hierarchy.from_store(store), pool_depth)
            units = pool.write_pool(pool_path, pooled, queries, store)
            result.meta["pool"] = {"path": str(pool_path), "units": units, "queries": len(pooled),
                                   "depth": pool_depth}
    result.warnings[:0] = notes
    result.meta["gold"] = {
        "queries": str(queries_path or gold_io.QUERIES_FILE),
        "qrels": str(qrels_path or gold_io.QRELS_FILE),
        "pairs": str(pairs_path) if pairs_path else None,
        "split": str(split_path or gold_io.SPLIT_FILE) if splits is not None else None,
        "with_decisions": with_decisions,
        "judged": judged_meta,
    }
    return result
