"""The runs of an evaluation: each system's rankings for the gold's queries, `{qid: [provision id, …]}`.

- `search_run`: each query of `queries.tsv` searched with one retriever (`bm25`, `dense`, `hybrid`, or
  `hybrid+rerank` with a trained ranker), under its jurisdiction filter when it has one.
- `pair_queries` turns the pairs gold into queries and judgements; `like_run` answers them with a retriever's
  `like(left_id)`, and `match_run` with the matching path (`crosswalk.index.match.counterparts`).

`crosswalk.evaluation.run.evaluate` builds the runs here and scores them (`crosswalk.evaluation.scores`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

from crosswalk.errors import ConfigError
from crosswalk.evaluation.gold_io import Pair, Qrels, Query

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.ingest.store import Store

RETRIEVERS = ("bm25", "dense", "hybrid")
RERANKED = "hybrid+rerank"  # the hybrid pool reordered by the trained ranker (`crosswalk.index.rerank`); named, never default
MATCHER = "match"  # the matching path, for pairs only
MATCH_MAX_K = 100  # `counterparts` returns at most 100 candidates
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
    from crosswalk.index.cited_search import cited_search

    engine = engine_of(searcher, retriever, ranker)
    out: Run = {}
    for i, q in enumerate(queries):
        f = _filters(q.jurisdiction)
        if citations and store is not None:
            results = cited_search(store, engine, q.text, k, f)
        else:
            results = engine.search(q.text, k, f)
        out[q.qid] = results.ids()
        _tick(progress, retriever, i + 1, len(queries))
    return out


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
