"""A searcher whose hybrid ranking goes through the workspace's trained ranker when there is one.

`RerankingSearcher(searcher, workspace)` answers everything a `Searcher` does; its `search` and `like` with the
`hybrid` retriever (the default of search, `search --like`, `match` and the app) rerank the first-stage pool with
the ranker saved in `workspace/models/`. It looks for the model file on each call (one `stat`), so a model
trained while the app runs is picked up; without one, the first stage's order stands and `note()` returns a
one-line note the first time it is asked (then None), so callers say so once.

Example:
    searcher = RerankingSearcher(load_searcher(store, ws.index_dir), ws)
    hits = searcher.search("daily reconciliation of client cryptoassets", k=10)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crosswalk.index.rerank.model import Ranker, load_ranker, model_paths, no_model_note

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.index.filters import Filters
    from crosswalk.index.results import Results
    from crosswalk.index.retrievers import Searcher

RERANKED_RETRIEVER = "hybrid"  # the retriever name the ranker takes over


class RerankingSearcher:
    """A `Searcher` (every attribute delegated) with hybrid `search`/`like` reranked when a model is saved."""

    def __init__(self, searcher: "Searcher", workspace):
        self._searcher = searcher
        self.workspace = workspace
        self._ranker: Ranker | None = None
        self._stamp: float | None = None

    def __getattr__(self, name):
        return getattr(self._searcher, name)

    @property
    def base(self) -> "Searcher":
        """The first-stage searcher underneath."""
        return self._searcher

    @property
    def ranker(self) -> Ranker | None:
        """The saved ranker, reloaded when its file changes; None when there is none."""
        path, _ = model_paths(self.workspace)
        stamp = path.stat().st_mtime_ns if path.exists() else None
        if stamp != self._stamp:
            self._ranker = load_ranker(self.workspace) if stamp is not None else None
            self._stamp = stamp
        return self._ranker

    def note(self) -> str | None:
        """The one-line "no trained ranker" note, the first time for this workspace in this process; else None."""
        return no_model_note(self.workspace) if self.ranker is None else None

    def search(self, query: str, k: int = 10, filters: "Filters | None" = None,
               retriever: str = "hybrid") -> "Results":
        ranker = self.ranker if retriever == RERANKED_RETRIEVER else None
        if ranker is None:
            return self._searcher.search(query, k=k, filters=filters, retriever=retriever)
        return ranker.search(self._searcher, query, k, filters)

    def like(self, provision_id: str, k: int = 10, filters: "Filters | None" = None,
             retriever: str = "hybrid") -> "Results":
        ranker = self.ranker if retriever == RERANKED_RETRIEVER else None
        if ranker is None:
            return self._searcher.like(provision_id, k=k, filters=filters, retriever=retriever)
        return ranker.like(self._searcher, provision_id, k, filters)
