"""The first-stage pool the ranker reorders: the union of BM25 and dense, fused as the hybrid retriever fuses.

`search_pool(searcher, query, filters)` (a text query) and `like_pool(searcher, provision_id, filters)` (a
provision's counterparts: BM25 `like` on its key terms, dense `like` on its stored vectors) ask BM25 and dense for
`depth` candidates each (`POOL_DEPTH`, 100) and fuse every candidate with the hybrid retriever's reciprocal rank
fusion, so the pool's own order is exactly today's hybrid ranking, and a model-less search falls back to it.
Each hit carries `scores`/`ranks` from `bm25`, `dense` (absent when that retriever did not return it) and its
hybrid `score`/`rank`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from crosswalk.index.expansion import expand
from crosswalk.index.results import Results
from crosswalk.index.retrievers import _jurisdictions, check_query

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.index.filters import Filters
    from crosswalk.index.retrievers import Searcher

POOL_DEPTH = 100  # candidates each first-stage retriever contributes (the union is 100 to 200 deep)


@dataclass(frozen=True)
class Pool:
    """First-stage candidates for one query, in hybrid order, with what the features need about the query.

    - `kind`: `"query"` (text) or `"like"` (a provision's counterparts); `query`: the text or the provision id.
    - `results`: the fused candidates (every one of the union), hybrid order.
    - `vectors`: the query's unit vectors, `(n, dim)`: the query embedding (one row) or the provision's stored
      passage vectors.
    - `jurisdictions`: the filter's jurisdictions (the target of a `like`).
    """

    kind: str
    query: str
    results: Results
    vectors: np.ndarray
    jurisdictions: tuple[str, ...] = ()

    def ids(self) -> list[str]:
        return self.results.ids()


def _fuse(searcher: "Searcher", runs: dict[str, Results]) -> Results:
    everything = len({pid for r in runs.values() for pid in r.ids()})
    return searcher.hybrid._fuse(runs, max(1, everything))


def search_pool(searcher: "Searcher", query: str, filters: "Filters | None" = None, depth: int = POOL_DEPTH) -> Pool:
    """The pool for a text query: BM25 (expanded under a jurisdiction filter, as `bm25` does) and dense (the
    query embedded once, expanded the same way `dense` does), `depth` each, fused."""
    query = check_query(query)
    jur = _jurisdictions(filters)
    bm = searcher.bm25.search(query, depth, filters)
    text = expand(query, jur) if searcher.dense.expand and jur else query
    vec = np.asarray(searcher.dense.embedder.encode_query(text), dtype=np.float32)
    dn = searcher.dense.search_vectors(vec[None, :], depth, filters, queries=[query])[0]
    return Pool("query", query, _fuse(searcher, {"bm25": bm, "dense": dn}), vec[None, :], tuple(jur))


def like_pool(searcher: "Searcher", provision_id: str, filters: "Filters | None" = None,
              depth: int = POOL_DEPTH) -> Pool:
    """The pool of provisions like `provision_id` (itself left out): BM25 `like` and dense `like`, fused."""
    pid = searcher.store.resolve_id(provision_id)
    bm = searcher.bm25.like(pid, depth, filters)
    dn = searcher.dense.like(pid, depth, filters)
    vecs = searcher.dense.provision_vectors(pid)
    return Pool("like", pid, _fuse(searcher, {"bm25": bm, "dense": dn}), vecs, tuple(_jurisdictions(filters)))
