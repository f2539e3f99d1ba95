"""The learned second stage: rerank a deep first-stage pool with a learning-to-rank model.

The first stage (BM25, dense and `like`, fused; `crosswalk.index.retrievers`) gathers a pool of at least `POOL_DEPTH`
candidates; `Ranker` scores each (query, candidate) from features (`crosswalk.index.rerank.features`) with a LightGBM
lambdarank model and orders the pool by that score. The model is trained by `learn` from the gold dev half and
the reviewers' current decisions, and saved in `workspace/models/` as LightGBM's own model text plus a JSON
metadata file (features, training-data fingerprint, library versions, dev scores) — never a pickle.

The interface:

    learn(store, workspace, *, seed=0, use_decisions=True, progress=None) -> LearnReport
    load_ranker(workspace) -> Ranker | None          # None when no model is saved
    Ranker.rerank(searcher, candidates, *, query=None, like=None, k=None) -> Results
    Ranker.search(searcher, query, k=10, filters=None) -> Results      # pool + rerank
    Ranker.like(searcher, provision_id, k=10, filters=None) -> Results # pool + rerank

Example:
    ranker = load_ranker(ws)
    if ranker is not None:
        results = ranker.search(searcher, "daily reconciliation of client cryptoassets", k=10,
                                filters=Filters(jurisdiction="UK"))

Nothing heavy happens on import: LightGBM loads when a model is first loaded or trained.
"""

from crosswalk.index.rerank.model import MODEL_DIR, Ranker, load_ranker, model_paths
from crosswalk.index.rerank.pool import POOL_DEPTH
from crosswalk.evaluation.learn import LearnReport, learn

__all__ = ["MODEL_DIR", "POOL_DEPTH", "LearnReport", "Ranker", "learn", "load_ranker", "model_paths"]
