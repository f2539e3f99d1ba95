"""The batched first stage of matching: every provision's `like` ranking at once, both directions.

`match` (with `method="like"`, the default) asks, for each focal provision, for its `like` ranking in the
other jurisdiction, and then, for each candidate, for the candidate's own ranking back (the mutual check).
Done one `like` at a time that is a FAISS search per passage and a BM25 scoring per provision, in one
process. `like_topk` gives the same rankings in one pass, with each retriever's ranks for the queue's order
(`crosswalk.index.active.gather_signals`):

- **dense**: one matrix product of the two jurisdictions' passage vectors, reduced to the best passage pair
  per provision pair (what `DenseRetriever.like` scores). The forward rankings read its rows, the mutual check
  reads its columns: the cosine of a pair is the same both ways, so no search is run twice.
- **BM25**: each provision's `like` query (the key terms of the provision and its subtree, plus their
  expansion into the other jurisdiction's words, exactly as `BM25Retriever.like` builds it) as one row of a
  sparse query matrix, multiplied by bm25s' term × document score matrix in blocks.
- **fusion**: the searcher's own reciprocal rank fusion (weights, `rrf_k`, depth and tie-breaks of
  `HybridRetriever`), on the two rankings.

Blocks run on a thread pool of one thread per core (NumPy's and SciPy's products release the GIL).

The answer is the legacy path's up to floating-point ties: BLAS and FAISS sum in different orders, so two
scores equal to the last bit may swap. `bench/match_speed.py` measures agreement and speed against the
legacy path (`crosswalk match --legacy`); `tests/test_batch_match.py` checks it on a synthetic store.

Example:
    found = like_topk(store, searcher, focal_ids, ["UK"], "US", 5, set(uk_ids), set(focal_ids))
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.ingest.store import Store

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
BLOCK_BYTES = 64 * 1024 * 1024  # one block of the passage similarity matrix, or of BM25 scores
BM25_BLOCK = 256  # queries per sparse product


def supports(searcher, retriever: str) -> bool:
    """Whether `searcher` is built the way `like_topk` reproduces (`crosswalk.index.retrievers.Searcher` with its BM25 and
    dense retrievers and reciprocal rank fusion); any other searcher goes through the one-at-a-time path."""
    bm25 = getattr(searcher, "bm25", None)
    dense = getattr(searcher, "dense", None)
    hybrid = getattr(searcher, "hybrid", None)
    if retriever not in ("bm25", "dense", "hybrid"):
        return False
    if retriever == "hybrid" and getattr(searcher, "ranker", None) is not None:
        return False  # a trained ranker reorders each provision's pool: one like at a time, through it
    if getattr(searcher, "resolver", None) is None or getattr(searcher, "ids", None) is None:
        return False
    if retriever in ("bm25", "hybrid") and getattr(getattr(bm25, "lexical", None), "bm25", None) is None:
        return False
    index = getattr(dense, "dense", None)
    if retriever in ("dense", "hybrid") and (getattr(index, "vectors", None) is None
                                             or getattr(index, "row_prov", None) is None):
        return False
    if retriever == "hybrid":
        if hybrid is None or getattr(hybrid, "fusion", None) != "rrf":
            return False
        if set(getattr(hybrid, "retrievers", {})) != {"bm25", "dense"}:
            return False
    return True


def _threads() -> int:
    from crosswalk.index.embedder import _threads as embed_threads

    return max(1, embed_threads())


# --- dense: provision × provision best-passage cosines -----------------------------------------------------------


class _DenseSides:
    """Best passage-pair cosine of every provision of side A against every provision of side B (positions in the
    searcher's `ids`); provisions without a vector are absent, as they are from `DenseRetriever.like`."""

    def __init__(self, index, a_pos: np.ndarray, b_pos: np.ndarray, pool: ThreadPoolExecutor):
        row_prov = np.asarray(index.row_prov, dtype=np.int64)
        vectors = index.vectors
        self.a_prov, a_rows, a_starts = self._grouped(row_prov, a_pos)
        self.b_prov, b_rows, b_starts = self._grouped(row_prov, b_pos)
        self.sims = np.full((len(self.a_prov), len(self.b_prov)), -np.inf, dtype=np.float32)
        self.a_index = {int(p): i for i, p in enumerate(self.a_prov)}
        self.b_index = {int(p): i for i, p in enumerate(self.b_prov)}
        if not len(self.a_prov) or not len(self.b_prov):
            return
        right = np.ascontiguousarray(vectors[b_rows], dtype=np.float32)
        bounds = np.append(a_starts, len(a_rows))
        per_row = max(1, len(b_rows)) * 4
        blocks: list[tuple[int, int]] = []
        g = 0
        while g < len(self.a_prov):
            h = g + 1
            while h < len(self.a_prov) and (bounds[h + 1] - bounds[g]) * per_row <= BLOCK_BYTES // 2:
                h += 1
            blocks.append((g, h))
            g = h

        def run(block):
            g, h = block
            rows = a_rows[bounds[g]: bounds[h]]
            s = np.asarray(vectors[rows], dtype=np.float32) @ right.T
            s = np.maximum.reduceat(s, bounds[g:h] - bounds[g], axis=0)
            self.sims[g:h] = np.maximum.reduceat(s, b_starts, axis=1)

        list(pool.map(run, blocks))

    @staticmethod
    def _grouped(row_prov: np.ndarray, positions: np.ndarray):
        """(provisions with vectors, their passage rows grouped by provision, group starts), provisions ascending."""
        wanted = np.zeros(int(max(row_prov.max(initial=-1), positions.max(initial=-1))) + 1, dtype=bool)
        wanted[positions] = True
        rows = np.flatnonzero(wanted[row_prov])
        rows = rows[np.argsort(row_prov[rows], kind="stable")]
        provs = row_prov[rows]
        starts = np.flatnonzero(np.r_[True, provs[1:] != provs[:-1]]) if len(provs) else np.zeros(0, np.int64)
        return provs[starts], rows, starts


def _top(scores: np.ndarray, cols: np.ndarray, n: int, drop: int | None, positive: bool = False) -> list[tuple[int, float]]:
    """The `n` best `(provision position, score)` of one row, ties by position; `drop` (a position) left out
    after ranking `n + 1`, as the retrievers' `like` leaves out the query itself."""
    valid = np.isfinite(scores) & (scores > 0) if positive else np.isfinite(scores)
    idx = np.flatnonzero(valid)
    want = n + 1
    if len(idx) > want:
        part = np.argpartition(-scores[idx], want - 1)[:want]
        kth = scores[idx[part]].min()
        idx = idx[scores[idx] >= kth]
    order = idx[np.lexsort((cols[idx], -scores[idx]))][:want]
    out = [(int(cols[i]), float(scores[i])) for i in order]
    return [x for x in out if x[0] != drop][:n]


# --- BM25: like queries as a sparse matrix -----------------------------------------------------------------------


class _Bm25Queries:
    """`BM25Retriever.like`'s query for each provision (key terms, and expansion tokens under a jurisdiction
    filter), built from the store once, scored in blocks against bm25s' score matrix."""

    def __init__(self, searcher, store: "Store"):
        import scipy.sparse as sp

        self.retriever = searcher.bm25
        lexical = self.retriever.lexical
        self.lexical = lexical
        bm = lexical.bm25
        vocab = bm.vocab_dict
        self.vocab = vocab
        self.n_docs = lexical.n_docs
        s = bm.scores
        self.matrix = sp.csr_matrix((s["data"], s["indices"], s["indptr"]), shape=(len(s["indptr"]) - 1, self.n_docs))
        self.store = store
        self._by_id = None
        self._children: dict[str, list] = {}
        self._tokens: dict[str, list[str]] = {}

    def _load(self) -> None:
        if self._by_id is not None:
            return
        provisions = self.store.iter_provisions()
        self._by_id = {p.id: p for p in provisions}
        for p in provisions:
            if p.parent_id:
                self._children.setdefault(p.parent_id, []).append(p)

    def _own_tokens(self, text: str) -> list[str]:
        from crosswalk.index.lexical import tokenize

        found = self._tokens.get(text)
        if found is None:
            found = self._tokens[text] = tokenize(text)
        return found

    def query(self, pid: str, filters) -> tuple[list[str], list[str]]:
        """(key-term tokens, expansion tokens) of `BM25Retriever.like(pid, filters=filters)`."""
        from crosswalk.index.retrievers import LIKE_EXPANSION_WORDS, LIKE_KEY_TERMS, expansion_tokens

        self._load()
        p = self._by_id[pid]
        below = []
        frontier = [pid]
        while frontier:
            kids = [c for f in frontier for c in self._children.get(f, ())]
            below.extend(kids)
            frontier = [c.id for c in kids]
        below.sort(key=lambda x: x.ordinal)
        # tokens never span a line break, so the subtree's tokens are its parts' tokens in order
        tokens = [t for part in (p.embedding_text(), *(d.text for d in below)) for t in self._own_tokens(part)]
        key = self.lexical.key_terms(tokens, LIKE_KEY_TERMS)
        extra: list[str] = []
        if self.retriever.expand:
            text = "\n".join([p.embedding_text(), *(d.text for d in below)])
            extra = expansion_tokens(" ".join(text.split()[:LIKE_EXPANSION_WORDS]), key, filters)
        return key, extra

    def scores(self, queries: Sequence[tuple[list[str], list[str]]], mask: np.ndarray | None) -> np.ndarray:
        """BM25 scores (queries × documents, float32) of the `(key, extra)` queries, masked documents at 0."""
        import scipy.sparse as sp

        from crosswalk.index.retrievers import LIKE_EXPANSION_WEIGHT

        weight = np.float32(LIKE_EXPANSION_WEIGHT * self.retriever.expansion_weight)
        out = []
        for part in (0, 1):
            rows, cols = [], []
            for i, q in enumerate(queries):
                ids = [self.vocab[t] for t in q[part] if t in self.vocab]
                rows.extend([i] * len(ids))
                cols.extend(ids)
            qm = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                               shape=(len(queries), self.matrix.shape[0]))
            out.append(np.asarray((qm @ self.matrix).toarray(), dtype=np.float32))
        s = out[0] + weight * out[1] if weight > 0 else out[0]
        if mask is not None:
            s *= np.asarray(mask, dtype=np.float32)[None, :]
        return s


# --- the rankings ------------------------------------------------------------------------------------------------


class BatchLike:
    """Every `like` ranking matching needs, from one dense matrix product and blocked BM25 products.

    `rankings(query_ids, jurisdictions, n)` is `searcher.like(pid, k=n, filters=Filters(jurisdiction=...),
    retriever=retriever).ids()` for each of `query_ids`, computed together.
    """

    def __init__(self, store: "Store", searcher, retriever: str = "hybrid", threads: int | None = None):
        if not supports(searcher, retriever):
            raise ValueError(f"searcher {type(searcher).__name__} cannot be batched for retriever {retriever!r}")
        self.store = store
        self.searcher = searcher
        self.retriever = retriever
        self.ids = list(searcher.ids)
        self.pos = {pid: i for i, pid in enumerate(self.ids)}
        self.threads = threads or _threads()
        self.pool = ThreadPoolExecutor(max_workers=self.threads)
        self._dense: dict[tuple, _DenseSides] = {}
        self._bm25 = _Bm25Queries(searcher, store) if retriever in ("bm25", "hybrid") else None
        order = sorted(range(len(self.ids)), key=lambda i: self.ids[i])
        self._id_rank = np.empty(len(self.ids), dtype=np.int64)
        self._id_rank[order] = np.arange(len(self.ids))

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    def __enter__(self) -> "BatchLike":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _mask(self, jurisdictions: Sequence[str]) -> np.ndarray:
        from crosswalk.index.filters import Filters

        m = self.searcher.resolver.mask(Filters(jurisdiction=tuple(jurisdictions)))
        return np.ones(len(self.ids), dtype=bool) if m is None else np.asarray(m, dtype=bool)

    def _dense_sides(self, a: tuple[str, ...], b: tuple[str, ...]) -> tuple[_DenseSides, bool]:
        """The dense matrix between the provisions of jurisdictions `a` and `b`, and whether it is transposed
        (asked for as (b, a)): one product serves both directions."""
        key = (a, b)
        if key in self._dense:
            return self._dense[key], False
        if (b, a) in self._dense:
            return self._dense[(b, a)], True
        index = self.searcher.dense.dense
        sides = _DenseSides(index, np.flatnonzero(self._mask(a)), np.flatnonzero(self._mask(b)), self.pool)
        self._dense[key] = sides
        return sides, False

    def _dense_runs(self, query_pos: list[int], from_jurs, to_jurs, n: int) -> list[list[tuple[int, float]]]:
        sides, flipped = self._dense_sides(tuple(from_jurs), tuple(to_jurs))
        q_index, t_prov = (sides.b_index, sides.a_prov) if flipped else (sides.a_index, sides.b_prov)
        out = []
        for p in query_pos:
            i = q_index.get(p)
            if i is None:  # no vector, or outside from_jurs: `like` of a provision with no passage is empty
                out.append(self._dense_single(p, to_jurs, n))
                continue
            row = sides.sims[:, i] if flipped else sides.sims[i]
            out.append(_top(np.ascontiguousarray(row), t_prov, n, drop=p))
        return out

    def _dense_single(self, p: int, to_jurs, n: int) -> list[tuple[int, float]]:
        from crosswalk.index.filters import Filters

        res = self.searcher.dense.like(self.ids[p], k=n, filters=Filters(jurisdiction=tuple(to_jurs)))
        return [(self.pos[h.provision_id], h.score) for h in res.hits]

    def _bm25_runs(self, query_ids: list[str], to_jurs, n: int, progress: Progress | None,
                   stage: str) -> list[list[tuple[int, float]]]:
        from crosswalk.index.filters import Filters

        filters = Filters(jurisdiction=tuple(to_jurs))
        mask = self._mask(to_jurs)
        queries = [self._bm25.query(pid, filters) for pid in query_ids]
        cols = np.arange(self._bm25.n_docs)
        blocks = [list(range(s, min(s + BM25_BLOCK, len(queries)))) for s in range(0, len(queries), BM25_BLOCK)]
        out: list[list[tuple[int, float]]] = [[] for _ in query_ids]
        done = [0]

        def run(block):
            s = self._bm25.scores([queries[i] for i in block], mask)
            for j, i in enumerate(block):
                out[i] = _top(s[j], cols, n, drop=self.pos.get(query_ids[i]), positive=True)
            return len(block)

        for m in self.pool.map(run, blocks):
            done[0] += m
            if progress:
                progress(stage, done[0], len(query_ids))
        return out

    def _fuse(self, runs: dict[str, list[tuple[int, float]]], n: int) -> list[int]:
        """`crosswalk.index.fusion.rrf` with the hybrid retriever's weights and `rrf_k`, ties by best rank then id."""
        hybrid = self.searcher.hybrid
        weights = {name: 1.0 for name in runs}
        weights.update({name: float(w) for name, w in (hybrid.weights or {}).items() if name in runs})
        fused: dict[int, float] = {}
        best: dict[int, int] = {}
        for name, run in runs.items():  # bm25 first, then dense: the order HybridRetriever sums in
            w, rrf_k = weights[name], hybrid.rrf_k
            for rank, (p, _) in enumerate(run, start=1):
                fused[p] = fused.get(p, 0.0) + w / (rrf_k + rank)
                if rank < best.get(p, 1 << 30):
                    best[p] = rank
        return sorted(fused, key=lambda p: (-fused[p], best[p], self._id_rank[p]))[:n]

    def rankings(self, query_ids: Sequence[str], from_jurs: Sequence[str], to_jurs: Sequence[str], n: int, *,
                 progress: Progress | None = None, stage: str = "ranking") -> dict[str, list[str]]:
        """Each of `query_ids` (provisions of `from_jurs`) → its first `n` `like` hits among `to_jurs`."""
        query_ids = list(query_ids)
        _, orders = self._runs(query_ids, from_jurs, to_jurs, n, progress, stage)
        return {pid: [self.ids[p] for p in order] for pid, order in zip(query_ids, orders)}

    def ranked(self, query_ids: Sequence[str], from_jurs: Sequence[str], to_jurs: Sequence[str], n: int, *,
               progress: Progress | None = None, stage: str = "ranking") -> dict[str, list[tuple[str, dict[str, int]]]]:
        """As `rankings`, each hit with its rank in each retriever's own run (`{"bm25": 3, "dense": 1}`, a
        retriever that did not return it left out), as `Hit.ranks` of the hybrid `like` gives them."""
        query_ids = list(query_ids)
        runs, orders = self._runs(query_ids, from_jurs, to_jurs, n, progress, stage)
        out: dict[str, list[tuple[str, dict[str, int]]]] = {}
        for j, (pid, order) in enumerate(zip(query_ids, orders)):
            where = {name: {p: r for r, (p, _) in enumerate(run[j], start=1)} for name, run in runs.items()}
            out[pid] = [(self.ids[p], {name: at[p] for name, at in where.items() if p in at}) for p in order]
        return out

    def _runs(self, query_ids: Sequence[str], from_jurs, to_jurs, n: int, progress: Progress | None,
              stage: str) -> tuple[dict[str, list], list[list[int]]]:
        """Each retriever's run per query (`(position, score)` lists) and each query's first `n` positions."""
        if not query_ids:
            return {}, []
        positions = [self.pos[pid] for pid in query_ids]
        depth = max(n, self.searcher.hybrid.depth) if self.retriever == "hybrid" else n
        runs: dict[str, list] = {}
        if self.retriever in ("bm25", "hybrid"):
            runs["bm25"] = self._bm25_runs(query_ids, to_jurs, depth, progress, stage)
        if self.retriever in ("dense", "hybrid"):
            runs["dense"] = self._dense_runs(positions, from_jurs, to_jurs, depth)
        orders = []
        for j in range(len(query_ids)):
            if self.retriever == "hybrid":
                orders.append(self._fuse({name: runs[name][j] for name in ("bm25", "dense")}, n))
            else:
                orders.append([p for p, _ in runs[self.retriever][j][:n]])
        if progress:
            progress(stage, len(query_ids), len(query_ids))
        return runs, orders


def _first_eligible(ranked: dict[str, list[str]], eligible: set[str], k: int) -> dict[str, list[str]]:
    """As `crosswalk.index.match._searcher_topk` cuts a `like` ranking: the first `k` eligible ids, the query left out."""
    out = {}
    for pid, hits in ranked.items():
        found: list[str] = []
        for h in hits:
            if h != pid and h in eligible and h not in found:
                found.append(h)
            if len(found) == k:
                break
        out[pid] = found
    return out


@dataclass(frozen=True)
class LikeTopK:
    """What `like_topk` finds: `forward` (each focal provision's `k` best eligible counterparts),
    `reverse` (each candidate's `k` best eligible focal-side provisions, for the mutual check) and `ranks`
    (focal id → candidate id → each retriever's rank, for the first `ranks_depth` of the focal provision's
    ranking: what `crosswalk.index.active.gather_signals` reads from a `like` of that depth)."""

    forward: dict[str, list[str]]
    reverse: dict[str, list[str]]
    ranks: dict[str, dict[str, dict[str, int]]]


def like_topk(
    store: "Store",
    searcher,
    focal_ids: Sequence[str],
    to_jurs: Sequence[str],
    from_jur: str,
    k: int,
    eligible_to: set[str],
    eligible_from: set[str],
    *,
    retriever: str = "hybrid",
    ranks_depth: int = 0,
    progress: Progress | None = None,
) -> LikeTopK:
    """Each focal provision's `k` best eligible counterparts in `to_jurs` (forward), each of those candidates'
    `k` best eligible provisions of `from_jur` (reverse, for the mutual check), as `match`'s one-at-a-time `like`
    path finds them (`crosswalk.index.match._searcher_topk`, depth `max(4k, k + 40)`), and the retrievers' ranks
    of each focal provision's first `ranks_depth` hits (none when 0), all from the same runs."""
    depth = max(4 * k, k + 40)  # as `crosswalk.index.match._searcher_topk` asks `like` for
    with BatchLike(store, searcher, retriever) as batch:
        fwd = batch.ranked(focal_ids, [from_jur], to_jurs, max(depth, ranks_depth), progress=progress,
                           stage="ranking")
        forward = _first_eligible({pid: [h for h, _ in hits[:depth]] for pid, hits in fwd.items()}, eligible_to, k)
        ranks = {pid: dict(hits[:ranks_depth]) for pid, hits in fwd.items()} if ranks_depth else {}
        cands = sorted({c for hits in forward.values() for c in hits})
        rev_ranked = batch.rankings(cands, to_jurs, [from_jur], depth, progress=progress, stage="mutual check")
        reverse = _first_eligible(rev_ranked, eligible_from, k)
    return LikeTopK(forward, reverse, ranks)
