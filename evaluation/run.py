"""Evaluate the retrievers against the gold: run every query, roll the rankings up, score, and compare.

Two sets of gold, scored the same way (`crosswalk.evaluation.metrics`, after `crosswalk.evaluation.rollup`):

- **queries** (`queries.tsv` + `qrels.txt`): each query is searched with each retriever (`bm25`, `dense`,
  `hybrid`) for `k` hits, under its jurisdiction filter when it has one. As in the app's search, a query that
  is a citation puts the cited provision and its children first (`crosswalk.index.cited_search`; turn off with
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

The runs (each system's rankings) are built in `crosswalk.evaluation.runs`; the `Scores` of a run, the
`EvalResult` and the paired comparisons are in `crosswalk.evaluation.scores`.

Example:
    result = evaluate(store, load_searcher(store, ws.index_dir), load_queries(), load_qrels(), pairs=load_pairs())
    result.to_json()["hybrid"]["nDCG@10"]
"""


from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from crosswalk.errors import ConfigError
from crosswalk.evaluation import stats
from crosswalk.evaluation.gold_io import Pair, Qrels, Query, check_split, in_split, relevant_queries
from crosswalk.evaluation.metrics import PRIMARY
from crosswalk.evaluation.rollup import Hierarchy, nested_gold
from crosswalk.evaluation.runs import (
    MATCH_MAX_K,
    MATCHER,
    RERANKED,
    RETRIEVERS,
    Progress,
    check_depth,
    check_retrievers,
    engine_of,
    like_run,
    match_run,
    pair_queries,
    search_run,
)
from crosswalk.evaluation.scores import EvalResult, compare_systems, score_run

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.ingest.store import Store


def _jurisdiction_of(store: "Store") -> Callable[[str], str]:
    """A provision's jurisdiction from the store, else from its document id's prefix (`UK-…` → UK)."""
    from crosswalk.ingest.models import Jurisdiction, split_id

    def of(pid: str) -> str:
        stored = store.jurisdictions([pid]).get(pid)
        if stored is not None:
            return stored
        prefix = split_id(pid)[0].split("-", 1)[0]
        try:
            return Jurisdiction.parse(prefix).value
        except ConfigError:
            raise ConfigError(f"pair answer {pid!r} is not in the store and its document id does not start with a "
                              "jurisdiction (US-, UK-, EU-, INTL-); fix the id in pairs.csv") from None

    return of


def _missing(store: "Store", ids: set[str]) -> list[str]:
    return sorted(ids - set(store.jurisdictions(sorted(ids))))


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
