"""The retrievers — `bm25`, `dense`, `hybrid` — and the `Searcher` that holds them over one saved index.

Every retriever has the same two calls and answers with `Results` (provision ids, never row numbers):

    search(query: str, k: int = 10, filters: Filters | None = None) -> Results
    like(provision_id: str, k: int = 10, filters: Filters | None = None) -> Results

`search` takes text; `like` takes a stored provision and finds the ones most like it (itself left out) —
the building block for cross-jurisdiction matching: `searcher.like(pid, filters=Filters(jurisdiction="UK"))`.
Filters are applied inside retrieval (see `crosswalk.index.filters`). `k` larger than what matches returns what
matches; BM25 returns only provisions sharing a term with the query.

Get a `Searcher` from `crosswalk.index.build.load_searcher(store, index_dir)`; it loads the index files once per
process and the embedding model only when a dense or hybrid search first needs it.

Example:
    searcher = load_searcher(store, ws.index_dir)
    results = searcher.search("custody of client cryptoassets", k=5, filters=Filters(jurisdiction="UK"))
    for hit in results: print(hit.rank, hit.provision_id, hit.score, hit.scores)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Protocol, Sequence

import numpy as np

from crosswalk.errors import QueryError
from crosswalk.index.expansion import expand, expansions
from crosswalk.index.filters import FilterResolver, Filters
from crosswalk.index.fusion import FUSIONS, RRF_K
from crosswalk.index.lexical import LexicalIndex, tokenize
from crosswalk.index.results import Results

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.index.dense import DenseIndex
    from crosswalk.index.embedder import Embedder
    from crosswalk.ingest.store import Store

RETRIEVERS = ("bm25", "dense", "hybrid")
MAX_QUERY_CHARS = 10_000
MAX_K = 1_000
LIKE_KEY_TERMS = 30  # BM25 "like" queries: the 30 key terms of the provision and its descendants (tuned on dev)
# RRF's k for the hybrid retriever, tuned on the dev half of the gold (with query expansion on): 10 scored
# nDCG@10 0.718 against 0.687 for Cormack et al.'s 60 (index.fusion.RRF_K) (5: 0.722, 20: 0.702, 100: 0.683)
# and pair nDCG@10 0.322 against 0.307; on the test half 0.666 against 0.646. A smaller k lets a provision
# ranked first by either retriever weigh more, which suits citation-heavy legal queries.
HYBRID_RRF_K = 10
# RRF weights of the hybrid retriever, tuned on the dev half with the Snowball tokenizer and key-term `like`:
# BM25 counting 1.5 times dense scored queries nDCG@10 0.743 / Recall@10 0.757 against 0.726 / 0.749 for equal
# weights, and pairs Recall@10 0.603 against 0.544 (2.0: no better). BM25 is the stronger of the two here:
# legal queries name terms of art that a general-purpose 384-dimension model blurs.
HYBRID_WEIGHTS = {"bm25": 1.5, "dense": 1.0}
LIKE_EXPANSION_WEIGHT = 0.5  # of EXPANSION_WEIGHT, for `like`: a whole provision names many groups (dev: 0.5 > 1.0)
LIKE_EXPANSION_WORDS = 400  # `like` translates the vocabulary of the first 400 words of a provision and its subtree
EXPANSION_WEIGHT = 1.0  # BM25 weight of the terms query expansion adds, relative to the user's own words


def _jurisdictions(filters: Filters | None) -> tuple[str, ...]:
    return filters.jurisdiction if filters is not None else ()


def expansion_tokens(query: str, tokens: Sequence[str], filters: Filters | None = None) -> list[str]:
    """The BM25 tokens `crosswalk.index.expansion` adds to `query` (whose tokens are `tokens`) for the jurisdictions of
    `filters`: each once, none the query already has. Only a search filtered to a jurisdiction is expanded:
    expansion translates into that jurisdiction's words, and with no target every group would add every
    jurisdiction's words (on the dev gold that cost more than it gained).

    Example:
        >>> expansion_tokens("payment stablecoin", tokenize("payment stablecoin"), Filters(jurisdiction="UK"))
        ['qualifi']
        >>> expansion_tokens("payment stablecoin", tokenize("payment stablecoin"))
        []
    """
    jur = _jurisdictions(filters)
    if not jur:
        return []
    seen = set(tokens)
    out: list[str] = []
    for t in tokenize(" ".join(expansions(query, jur))):
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def check_query(query: str) -> str:
    """The query with outer white space removed; empty or over `MAX_QUERY_CHARS` is a QueryError.

    Example:
        >>> check_query("  custody  ")
        'custody'
    """
    if not isinstance(query, str) or not query.strip():
        raise QueryError('empty query: give words to search for, e.g. crosswalk search "custody of client assets"')
    query = query.strip()
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(
            f"query of {len(query):,} characters is over the limit of {MAX_QUERY_CHARS:,}: search with a passage "
            "or a paragraph (the model reads about 200 words), or use `like` with a provision id"
        )
    return query


def check_k(k: int) -> int:
    """`k` if it is a whole number from 1 to `MAX_K`, else a QueryError saying so."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_K:
        raise QueryError(f"k must be a whole number from 1 to {MAX_K:,}, got {k!r}")
    return int(k)


def check_retriever(name: str) -> str:
    """`name` if it is one of `RETRIEVERS`, else a QueryError naming them."""
    if name not in RETRIEVERS:
        raise QueryError(f"unknown retriever {name!r}: use one of {', '.join(RETRIEVERS)}")
    return name


class Retriever(Protocol):
    """What `bm25`, `dense` and `hybrid` have in common (and what a remote engine would implement)."""

    name: str

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> Results: ...

    def like(self, provision_id: str, k: int = 10, filters: Filters | None = None) -> Results: ...


class _IndexRetriever:
    """What `bm25` and `dense` share: the store, the index's provision ids, and the filter masks over them."""

    def __init__(self, store: "Store", ids: Sequence[str], resolver: FilterResolver):
        self.store = store
        self.ids = ids
        self.resolver = resolver
        self._pos = resolver.positions

    def _position(self, provision_id: str) -> tuple[str, int]:
        pid = self.store.resolve_id(provision_id)
        if pid not in self._pos:
            raise QueryError(f"provision {pid!r} is in the store but not in the index: run `crosswalk index`")
        return pid, self._pos[pid]

    name = "index"

    def _results(self, query: str, pairs: Sequence[tuple[int, float]], drop: int | None = None, k: int = 10):
        """Provision numbers become provision ids here: nothing past this point sees a row number."""
        kept = [(self.ids[i], s) for i, s in pairs if i != drop][:k]
        return Results.ranked(query, self.name, kept)


class BM25Retriever(_IndexRetriever):
    """Lexical retrieval with BM25 over each provision's text (see `crosswalk.index.lexical`).

    With `expand` (the default), a search filtered to a jurisdiction also searches for that jurisdiction's
    words for its terms (`crosswalk.index.expansion`: "payment stablecoin" adds "qualifying stablecoin" under a UK
    filter; see `expansion_tokens`), their BM25 score counting `expansion_weight` times. Query time only: the
    index is the same either way, and nothing of it goes into params.json. `like` adds the translations of its key
    terms at `LIKE_EXPANSION_WEIGHT` of that weight.
    """

    name = "bm25"

    def __init__(
        self, lexical: LexicalIndex, store: "Store", ids: Sequence[str], resolver: FilterResolver,
        expand: bool = True, expansion_weight: float = EXPANSION_WEIGHT,
    ):
        super().__init__(store, ids, resolver)
        self.lexical = lexical
        self.expand = expand
        self.expansion_weight = expansion_weight

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> Results:
        query, k = check_query(query), check_k(k)
        tokens = tokenize(query)
        extra: list[str] = []
        if self.expand:
            extra = expansion_tokens(query, tokens, filters)
        return self.search_tokens(tokens, k, filters, query=query, extra_tokens=extra)

    def search_tokens(
        self, tokens: Sequence[str], k: int = 10, filters: Filters | None = None, query: str = "",
        extra_tokens: Sequence[str] = (),
    ) -> Results:
        """BM25 for already tokenized text (tokens from `crosswalk.index.lexical.tokenize`); `extra_tokens` count
        `expansion_weight` times."""
        pairs = self.lexical.search(tokens, check_k(k), self.resolver.mask(filters), extra_tokens=extra_tokens,
                                    extra_weight=self.expansion_weight)
        return self._results(query, pairs, k=k)

    def like(self, provision_id: str, k: int = 10, filters: Filters | None = None) -> Results:
        """Provisions that share the key terms (`LexicalIndex.key_terms`) of `provision_id` and its
        descendants: a lead-in such as "(A) maintain identifiable reserves … comprising—" is about the list
        under it. Under a jurisdiction filter, the translations (`crosswalk.index.expansion`) of the vocabulary terms in
        the first `LIKE_EXPANSION_WORDS` words of that text are added, at `LIKE_EXPANSION_WEIGHT` times
        `expansion_weight`."""
        k = check_k(k)
        pid, pos = self._position(provision_id)
        p = self.store.get(pid, with_entities=False)
        text = "\n".join([p.embedding_text(), *(d.text for d in self.store.descendants(pid))])
        tokens = self.lexical.key_terms(tokenize(text), LIKE_KEY_TERMS)
        extra: list[str] = []
        if self.expand:
            extra = expansion_tokens(" ".join(text.split()[:LIKE_EXPANSION_WORDS]), tokens, filters)
        pairs = self.lexical.search(tokens, k + 1, self.resolver.mask(filters), extra_tokens=extra,
                                    extra_weight=LIKE_EXPANSION_WEIGHT * self.expansion_weight)
        return self._results(pid, pairs, drop=pos, k=k)


class DenseRetriever(_IndexRetriever):
    """Semantic retrieval: the query's embedding against passage embeddings (see `crosswalk.index.dense`).

    With `expand` (the default), a search filtered to a jurisdiction embeds the query with that jurisdiction's
    words for its terms appended (`crosswalk.index.expansion.expand`; see `expansion_tokens` for why unfiltered searches
    are not expanded). `like` is never expanded: it uses the stored vectors.
    """

    name = "dense"

    def __init__(
        self, dense: "DenseIndex", embedder: "Embedder", store: "Store", ids: Sequence[str], resolver: FilterResolver,
        expand: bool = True,
    ):
        super().__init__(store, ids, resolver)
        self.dense = dense
        self.embedder = embedder
        self.expand = expand

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> Results:
        query, k = check_query(query), check_k(k)
        jur = _jurisdictions(filters)
        text = expand(query, jur) if self.expand and jur else query
        vec = self.embedder.encode_query(text)
        return self.search_vectors(vec[None, :], k, filters, queries=[query])[0]

    def search_vectors(
        self, vectors: np.ndarray, k: int = 10, filters: Filters | None = None, queries: Sequence[str] | None = None
    ) -> list[Results]:
        """One `Results` per row of `vectors` (unit-length, the model's dimension), searched in one batch."""
        k = check_k(k)
        answers = self.dense.search(vectors, k, self.resolver.mask(filters))
        names = list(queries) if queries is not None else [""] * len(answers)
        return [self._results(q, pairs, k=k) for q, pairs in zip(names, answers)]

    def provision_vectors(self, provision_id: str) -> np.ndarray:
        """The stored embeddings of a provision's passages, `(passages, dim)`; no re-embedding."""
        _, pos = self._position(provision_id)
        return np.asarray(self.dense.vectors[self.dense.rows_of(pos)], dtype=np.float32)

    def like(self, provision_id: str, k: int = 10, filters: Filters | None = None) -> Results:
        """Provisions whose passages are closest to any passage of `provision_id` (max over both sides)."""
        k = check_k(k)
        pid, pos = self._position(provision_id)
        vecs = self.provision_vectors(pid)
        if not len(vecs):
            return Results(pid, self.name, ())
        best: dict[int, float] = {}
        for pairs in self.dense.search(vecs, k + 1, self.resolver.mask(filters)):
            for i, s in pairs:
                if s > best.get(i, -np.inf):
                    best[i] = s
        ranked = sorted(best.items(), key=lambda x: (-x[1], x[0]))
        return self._results(pid, ranked, drop=pos, k=k)


class HybridRetriever:
    """Fusion of several retrievers' rankings (reciprocal rank fusion by default; see `crosswalk.index.fusion`).

    Each retriever is asked for `max(k, depth)` hits under the same filters, then the lists are fused.
    `weights` (`HYBRID_WEIGHTS` by default; `{}` for equal weights) and `rrf_k` (`HYBRID_RRF_K`) tune the fusion.
    """

    name = "hybrid"

    def __init__(
        self,
        retrievers: Mapping[str, Retriever],
        fusion: str = "rrf",
        weights: Mapping[str, float] | None = None,
        depth: int = 100,
        rrf_k: int = HYBRID_RRF_K,
    ):
        if fusion not in FUSIONS:
            raise QueryError(f"unknown fusion {fusion!r}: use one of {', '.join(FUSIONS)}")
        self.retrievers = dict(retrievers)
        self.fusion = fusion
        default = HYBRID_WEIGHTS if fusion == "rrf" else {}  # tuned for RRF; weighted fusion: equal
        self.weights = dict(default if weights is None else weights)
        self.depth = depth
        self.rrf_k = rrf_k

    def _fuse(self, runs: Mapping[str, Results], k: int) -> Results:
        extra = {"rrf_k": self.rrf_k} if self.fusion == "rrf" else {}
        return FUSIONS[self.fusion](runs, k, self.weights or None, name=self.name, **extra)

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> Results:
        query, k = check_query(query), check_k(k)
        depth = max(k, self.depth)
        runs = {name: r.search(query, depth, filters) for name, r in self.retrievers.items()}
        return self._fuse(runs, k)

    def like(self, provision_id: str, k: int = 10, filters: Filters | None = None) -> Results:
        k = check_k(k)
        depth = max(k, self.depth)
        runs = {name: r.like(provision_id, depth, filters) for name, r in self.retrievers.items()}
        return self._fuse(runs, k)


class Searcher:
    """The three retrievers over one loaded index and its store. Build it with `crosswalk.index.build.load_searcher`.

    - `search(query, k=10, filters=None, retriever="hybrid") -> Results`
    - `like(provision_id, k=10, filters=None, retriever="hybrid") -> Results`
    - `retriever(name) -> Retriever` for `bm25`, `dense` or `hybrid`; `warm(name)` loads the model early
    - `ids`: every indexed provision id, in store order; `params`: the index's params.json
    """

    def __init__(
        self,
        store: "Store",
        ids: Sequence[str],
        lexical: LexicalIndex,
        dense: "DenseIndex",
        embedder: "Embedder",
        params: dict,
        fusion: str = "rrf",
        weights: Mapping[str, float] | None = None,
    ):
        self.store = store
        self.ids = list(ids)
        self.params = params
        self.resolver = FilterResolver(store, self.ids)
        self.bm25 = BM25Retriever(lexical, store, self.ids, self.resolver)
        self.dense = DenseRetriever(dense, embedder, store, self.ids, self.resolver)
        self.hybrid = HybridRetriever({"bm25": self.bm25, "dense": self.dense}, fusion=fusion, weights=weights)

    def retriever(self, name: str) -> Retriever:
        return getattr(self, check_retriever(name))

    def warm(self, retriever: str = "hybrid") -> None:
        """Load what `retriever` needs before the first query: the embedding model for dense and hybrid."""
        if check_retriever(retriever) != "bm25":
            self.dense.embedder.encode_query("warm up")

    def search(self, query: str, k: int = 10, filters: Filters | None = None, retriever: str = "hybrid") -> Results:
        return self.retriever(retriever).search(query, k, filters)

    def like(
        self, provision_id: str, k: int = 10, filters: Filters | None = None, retriever: str = "hybrid"
    ) -> Results:
        return self.retriever(retriever).like(provision_id, k, filters)
