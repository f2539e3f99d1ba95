"""Training the ranker: gold dev half + reviewers' decisions -> LightGBM lambdarank model in the workspace.

Each training group is one query's first-stage pool (`crosswalk.index.rerank.pool`): a gold dev query (searched under its
jurisdiction filter), or a provision asked for its counterparts in one jurisdiction (a gold dev pair's left
provision, or a reviewer decision's). A candidate's label is the grade of the judged unit it rolls up to
(itself or its nearest judged ancestor, as evaluation counts it): query qrels keep their grades; pairs and
decisions are graded from the relationship — equal 3, subset-of / superset-of 2, intersects-with 1,
not-related 0 (`LABELS`). Candidates that are counterparts in a gold *test* pair are left out of every group,
so the test half is never trained on, not even as a negative.

Cross-validation is grouped by query (`FOLDS` folds, assigned by a seeded shuffle) with early stopping on each
held-out fold's nDCG@10; the final model is trained on every group for the folds' mean best iteration. The
out-of-fold scores give the dev figures after reranking, so no dev query is scored by a model that saw it.
Deterministic for a seed: LightGBM `deterministic=True`, `force_row_wise`, a fixed thread count.
"""

from __future__ import annotations

import hashlib
import json
import platform
import random
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import numpy as np

from crosswalk.errors import ConfigError
from crosswalk.index.rerank.features import FEATURES, Corpus, pool_features
from crosswalk.index.rerank.model import Ranker, _lightgbm
from crosswalk.index.rerank.pool import POOL_DEPTH, Pool, like_pool, search_pool

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.ingest.store import Store

Progress = Callable[[str, int, int], None]
LABELS = {"equal": 3, "subset-of": 2, "superset-of": 2, "intersects-with": 1, "not-related": 0}
FOLDS = 5
THREADS = 2
MAX_ROUNDS = 400
EARLY_STOPPING = 40
# Small data (about a hundred groups): shallow trees, large leaves, shrinkage. Chosen on dev by cross-validation.
PARAMS = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [10],
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "lambda_l2": 1.0,
    "max_bin": 63,
    "lambdarank_truncation_level": 20,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": THREADS,
    "verbose": -1,
}


@dataclass
class Group:
    """One training query: its id, the pool, its feature matrix and the candidates' labels."""

    qid: str
    kind: str  # query | pair | decision | pair-reverse | decision-reverse
    pool: Pool
    X: np.ndarray
    y: np.ndarray
    qrels: dict[str, int]  # what evaluation scores this query against (relevance as evaluation grades it)
    cited: list[str] = field(default_factory=list)


@dataclass
class LearnReport:
    """What `learn` trained on and how the dev half scored before (first stage) and after (reranked).

    - `queries`, `pairs`, `decisions`: how many gold dev queries, gold dev pair queries and reviewer-decision
      pair queries went into training; `examples` and `positives`: (query, candidate) rows and those labelled
      above 0.
    - `dev_before` / `dev_after`: `{"queries": {"nDCG@10": …, "Recall@10": …, "n": …}, "pairs": {…}}` on the
      gold dev half (after: out of fold, from the cross-validation, so the dev half is never scored by a model
      that saw it; decision groups take part in training but not in these figures).
    - `reversed`: pair queries asked from the right provision's side (a pair read the other way round);
      `decision_rows`: the current reviewer decisions read (several can make one pair query).
    - `model_path`, `meta_path`: where the model and its metadata were saved; `fingerprint`: the training data's
      hash; `seconds`: wall time; `features`: the feature names used; `iterations`: boosting rounds.
    """

    queries: int = 0
    pairs: int = 0
    decisions: int = 0
    examples: int = 0
    positives: int = 0
    dev_before: dict = field(default_factory=dict)
    dev_after: dict = field(default_factory=dict)
    model_path: str = ""
    meta_path: str = ""
    fingerprint: str = ""
    seconds: float = 0.0
    features: list = field(default_factory=list)
    iterations: int = 0
    reversed: int = 0
    decision_rows: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """Lines for the command line: what was trained on, dev before → after, where the model is."""
        lines = [f"trained on {self.queries} dev queries, {self.pairs} dev pair queries, {self.decisions} pair queries "
                 f"from {self.decision_rows} reviewer decisions and {self.reversed} pairs read the other way round "
                 f"({self.examples:,} candidates, {self.positives:,} relevant)",
                 f"{len(self.features)} features, {self.iterations} rounds, {self.seconds:.1f} s; data fingerprint "
                 f"{self.fingerprint}"]
        for gold in ("queries", "pairs"):
            b, a = self.dev_before.get(gold), self.dev_after.get(gold)
            if b and a:
                lines.append(f"dev {gold} ({b['n']}): nDCG@10 {b['nDCG@10']:.3f} -> {a['nDCG@10']:.3f}, "
                             f"Recall@10 {b['Recall@10']:.3f} -> {a['Recall@10']:.3f} (hybrid -> reranked, out of fold)")
        lines.append(f"model saved: {self.model_path}")
        return "\n".join(lines)


# --- the training data ------------------------------------------------------------------------------------------


def _label(pid: str, judged: Mapping[str, int], ancestors) -> int | None:
    """The grade of the judged unit `pid` rolls up to (itself, else its nearest judged ancestor), else None."""
    if pid in judged:
        return judged[pid]
    for a in ancestors(pid):
        if a in judged:
            return judged[a]
    return None


def _jurisdiction_of(store: "Store"):
    cache: dict[str, str] = {}

    def of(pid: str) -> str:
        if pid not in cache:
            stored = store.jurisdictions([pid]).get(pid)
            cache[pid] = stored if stored is not None else pid.split("-", 1)[0]
        return cache[pid]

    return of


def _cited_ids(store: "Store", text: str, filters=None) -> list[str]:
    """The provisions a citation query names (itself, then its descendants), kept to those `filters` allow."""
    from crosswalk.index.filters import allowed_provision_ids
    from crosswalk.index.resolver import lookup

    cited = lookup(store, text)
    if cited and filters:
        allowed = allowed_provision_ids(store, filters)
        cited = [c for c in cited if allowed is None or c in allowed]
    return cited


def gather(store: "Store", searcher, corpus: Corpus, *, decisions: Sequence = (), split: str = "dev",
           progress: Progress | None = None, gold=None, reverse: bool = True) -> list[Group]:
    """The training groups: the gold's `split` queries and pair queries, plus `decisions` (gold_io `Pair`s) as
    pair queries; with `reverse`, each pair is also asked from its right provision's side. `gold` is
    `(queries, qrels, pairs, splits)` (default: the files in `evaluation/gold/`)."""
    from crosswalk.evaluation import gold_io
    from crosswalk.evaluation.rollup import Hierarchy
    from crosswalk.index.filters import Filters

    if gold is None:
        gold = (gold_io.load_queries(), gold_io.load_qrels(), gold_io.load_pairs(), gold_io.load_split())
    queries, qrels, pairs, splits = gold
    ancestors = Hierarchy.from_store(store).ancestors
    jur_of = _jurisdiction_of(store)
    known = set(corpus.positions)
    held_out: dict[str, set[str]] = {}  # provision -> its counterparts in other-split gold pairs, never labelled
    for p in pairs:
        if not gold_io.in_split(p.key, split, splits):
            held_out.setdefault(p.left_id, set()).add(p.right_id)
            held_out.setdefault(p.right_id, set()).add(p.left_id)
    todo: list[tuple[str, str, str, str, dict[str, int], dict[str, int]]] = []  # qid, kind, text/left, jur, labels, eval
    for q in queries:
        if not gold_io.in_split(q.qid, split, splits) or not any(r > 0 for r in qrels.get(q.qid, {}).values()):
            continue
        todo.append((q.qid, "query", q.text, q.jurisdiction, dict(qrels[q.qid]), dict(qrels[q.qid])))
    pair_groups: dict[tuple[str, str], list] = {}  # (left, jurisdiction) -> [kind, labels, evaluation grades]
    sources = [("pair", p) for p in pairs if gold_io.in_split(p.key, split, splits)]
    sources += [("decision", p) for p in decisions]
    for kind, p in sources:
        if p.relationship not in LABELS or p.left_id not in known or p.right_id not in known:
            continue
        if p.right_id in held_out.get(p.left_id, ()):
            continue  # a decision on a pair of the other split is that split's data
        label = LABELS[p.relationship]
        ways = [(p.left_id, p.right_id, kind)]
        if reverse:  # the relationship read from the right provision's side (subset-of <-> superset-of: same grade)
            ways.append((p.right_id, p.left_id, f"{kind}-reverse"))
        for left, right, how in ways:
            g = pair_groups.setdefault((left, jur_of(right)), [how, {}, {}])
            if how == "pair":
                g[0] = "pair"
            g[1][right] = max(g[1].get(right, 0), label)
            if how == "pair" and p.relevance is not None:
                g[2][right] = p.relevance
    for (left, jur), (kind, labels, evals) in sorted(pair_groups.items()):
        if any(v > 0 for v in labels.values()):
            todo.append((f"pair:{left}@{jur}", kind, left, jur, labels, evals))
    groups = []
    for n, (qid, kind, what, jur, labels, evals) in enumerate(todo, start=1):
        f = Filters(jurisdiction=jur) if jur else None
        pool = like_pool(searcher, what, f) if kind != "query" else search_pool(searcher, what, f)
        ids = pool.ids()
        skip = held_out.get(what, set()) if kind != "query" else set()
        X = pool_features(corpus, pool)
        y, keep = [], []
        for i, pid in enumerate(ids):
            if skip and (pid in skip or any(a in skip for a in ancestors(pid))):
                continue
            lab = _label(pid, labels, ancestors)
            keep.append(i)
            y.append(0 if lab is None else lab)
        if keep:
            kept = Pool(pool.kind, pool.query, type(pool.results)(pool.results.query, pool.results.retriever,
                        tuple(pool.results.hits[i] for i in keep)), pool.vectors, pool.jurisdictions)
            cited = _cited_ids(store, what, f) if kind == "query" else []
            groups.append(Group(qid, kind, kept, X[keep], np.asarray(y, dtype=np.int32), evals, cited))
        if progress:
            progress("pools", n, len(todo))
    return groups


def fingerprint(groups: Sequence[Group]) -> str:
    """A hash of the training data: each group's id and its labelled candidates."""
    h = hashlib.sha256()
    for g in sorted(groups, key=lambda g: g.qid):
        h.update(json.dumps([g.qid, g.pool.ids(), g.y.tolist()]).encode())
    return h.hexdigest()[:16]


# --- scoring a ranking like evaluation does ---------------------------------------------------------------------


def dev_figures(groups: Sequence[Group], orders: Mapping[str, Sequence[str]], ancestors) -> dict:
    """nDCG@10 and Recall@10 (rolled up as `crosswalk eval` does; cited provisions first for citation queries)
    of `orders` (`{qid: ranked ids}`), per gold: `{"queries": {...}, "pairs": {...}}`."""
    from crosswalk.evaluation.metrics import mean, per_query
    from crosswalk.evaluation.rollup import rollup_run
    from crosswalk.index.results import Results

    out = {}
    for gold, kinds in (("queries", ("query",)), ("pairs", ("pair",))):
        chosen = [g for g in groups if g.kind in kinds and any(v > 0 for v in g.qrels.values())]
        if not chosen:
            continue
        run = {}
        for g in chosen:
            ids = list(orders[g.qid])
            if g.cited:
                ids = Results.merge([Results.from_ids(g.cited), Results.from_ids(ids)]).ids()
            run[g.qid] = ids[:100]
        qrels = {g.qid: g.qrels for g in chosen}
        values = per_query(qrels, rollup_run(run, qrels, ancestors))
        m = mean(values)
        out[gold] = {"nDCG@10": round(m["nDCG@10"], 4), "Recall@10": round(m["Recall@10"], 4), "n": len(chosen)}
    return out


# --- training ---------------------------------------------------------------------------------------------------


def _dataset(lgb, groups: Sequence[Group], cols: Sequence[int], reference=None):
    X = np.vstack([g.X[:, cols] for g in groups])
    y = np.concatenate([g.y for g in groups])
    return lgb.Dataset(X, y, group=[len(g.y) for g in groups], reference=reference, free_raw_data=False,
                       params={"max_bin": PARAMS["max_bin"], "verbose": -1})


def folds_of(qids: Sequence[str], seed: int, folds: int = FOLDS) -> dict[str, int]:
    """Each query's fold: a seeded shuffle of the sorted query ids, dealt round-robin.

    >>> sorted(folds_of(["a", "b", "c", "d"], seed=0, folds=2).values())
    [0, 0, 1, 1]
    """
    order = sorted(qids)
    random.Random(seed).shuffle(order)
    return {q: i % folds for i, q in enumerate(order)}


def cross_validate(groups: Sequence[Group], features: Sequence[str], seed: int = 0, params: Mapping | None = None,
                   progress: Progress | None = None) -> tuple[dict[str, np.ndarray], list[int]]:
    """Out-of-fold scores `{qid: scores in pool order}` and each fold's best iteration (early stopping on the
    held-out fold's nDCG@10). A fold with no relevant candidate stops at `MAX_ROUNDS // 4`."""
    lgb = _lightgbm()
    cols = [FEATURES.index(f) for f in features]
    p = {**PARAMS, **(params or {}), "seed": seed}
    fold = folds_of([g.qid for g in groups], seed)
    oof: dict[str, np.ndarray] = {}
    best: list[int] = []
    for k in range(FOLDS):
        train = [g for g in groups if fold[g.qid] != k]
        valid = [g for g in groups if fold[g.qid] == k]
        if not valid or not train:
            continue
        dtrain = _dataset(lgb, train, cols)
        dvalid = _dataset(lgb, valid, cols, reference=dtrain)
        booster = lgb.train(p, dtrain, num_boost_round=MAX_ROUNDS, valid_sets=[dvalid],
                            callbacks=[lgb.early_stopping(EARLY_STOPPING, verbose=False)])
        it = booster.best_iteration or MAX_ROUNDS // 4
        best.append(it)
        for g in valid:
            oof[g.qid] = booster.predict(g.X[:, cols], num_iteration=it, num_threads=THREADS)
        if progress:
            progress("cross-validation", k + 1, FOLDS)
    return oof, best


def fit(groups: Sequence[Group], features: Sequence[str], rounds: int, seed: int = 0, params: Mapping | None = None):
    """A booster trained on every group for `rounds` rounds."""
    lgb = _lightgbm()
    cols = [FEATURES.index(f) for f in features]
    p = {**PARAMS, **(params or {}), "seed": seed}
    return lgb.train(p, _dataset(lgb, groups, cols), num_boost_round=max(1, rounds))


def reranked_orders(groups: Sequence[Group], scores: Mapping[str, np.ndarray]) -> dict[str, list[str]]:
    """`{qid: ids}` ordered by `scores` (ties keep the pool's order)."""
    out = {}
    for g in groups:
        s = scores[g.qid]
        ids = g.pool.ids()
        out[g.qid] = [ids[i] for i in sorted(range(len(ids)), key=lambda i: (-s[i], i))]
    return out


def _versions() -> dict:
    import lightgbm

    import numpy

    return {"lightgbm": lightgbm.__version__, "numpy": numpy.__version__, "python": platform.python_version()}


def learn(store, workspace, *, seed: int = 0, use_decisions: bool = True, progress: Progress | None = None,
          features: Sequence[str] | None = None, gold=None, reverse: bool = True) -> LearnReport:
    """Train the ranker on the gold dev half (queries and pairs) plus, with `use_decisions`, every current
    reviewer decision (`review.decisions.DecisionStore.current`: the newest per pair, `unsure` left out, gold
    pairs and gold test-half pairs left out), save it in `workspace/models/`, and report what it trained on and
    the dev figures before (hybrid) and after (reranked, out of fold). `progress(stage, done, total)` is called
    as work advances. `features` (default `DEFAULT_FEATURES`) and `gold` (see `gather`) are for experiments."""
    from crosswalk.evaluation import gold_io
    from crosswalk.evaluation.rollup import Hierarchy
    from crosswalk.index.build import load_searcher
    from crosswalk.index.rerank.features import DEFAULT_FEATURES

    started = time.perf_counter()
    features = list(features or DEFAULT_FEATURES)
    searcher = load_searcher(store, workspace.index_dir)
    corpus = Corpus(searcher)
    decisions = []
    newest_seq = 0  # the newest decision trained on: the review page counts the decisions after it as new
    if use_decisions and workspace.has_store():
        from crosswalk.review.decisions import DecisionStore

        with DecisionStore(workspace.database) as ds:
            current = ds.current()
            newest_seq = max((d.seq for d in ds.all()), default=0)
        known_pairs = gold_io.load_pairs() if gold is None else gold[2]
        decisions = gold_io.pairs_from_decisions(current, skip=known_pairs)
    groups = gather(store, searcher, corpus, decisions=decisions, progress=progress, gold=gold, reverse=reverse)
    if not groups or not any((g.y > 0).any() for g in groups):
        raise ConfigError("nothing to train on: no dev query or pair with a relevant candidate in its first-stage pool "
                          "(check the gold files and that the index is built)")
    ancestors = Hierarchy.from_store(store).ancestors
    before = dev_figures(groups, {g.qid: g.pool.ids() for g in groups}, ancestors)
    oof, best = cross_validate(groups, features, seed, progress=progress)
    after = dev_figures(groups, reranked_orders([g for g in groups if g.qid in oof], oof), ancestors) if oof else {}
    rounds = int(round(float(np.mean(best)))) if best else MAX_ROUNDS // 4
    booster = fit(groups, features, rounds, seed)
    fp = fingerprint(groups)
    meta = {
        "features": features,
        "fingerprint": fp,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seed": seed,
        "rounds": rounds,
        "fold_rounds": best,
        "params": {k: v for k, v in PARAMS.items()},
        "pool_depth": POOL_DEPTH,
        "versions": _versions(),
        "index": {k: searcher.params.get(k) for k in ("model", "provisions_hash", "corpus_hash") if k in searcher.params},
        "training": {"queries": sum(g.kind == "query" for g in groups), "pairs": sum(g.kind == "pair" for g in groups),
                     "decisions": sum(g.kind == "decision" for g in groups), "decision_rows": len(decisions),
                     "reversed": sum(g.kind.endswith("-reverse") for g in groups),
                     "examples": int(sum(len(g.y) for g in groups)),
                     "positives": int(sum(int((g.y > 0).sum()) for g in groups))},
        "dev": {"before": before, "after": after, "note": "after = out-of-fold scores of the cross-validation"},
    }
    meta["decisions_max_seq"] = newest_seq
    ranker = Ranker(booster, meta)
    model_path, meta_path = ranker.save(workspace)
    t = meta["training"]
    return LearnReport(t["queries"], t["pairs"], t["decisions"], t["examples"], t["positives"], before, after,
                       str(model_path), str(meta_path), fp, round(time.perf_counter() - started, 1), features, rounds,
                       t["reversed"], t["decision_rows"])
