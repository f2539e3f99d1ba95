"""A trained ranker: the LightGBM model, its feature list and metadata, saved and loaded as plain files.

Files in `workspace/models/`: `ranker.txt` (LightGBM's own model text) and `ranker.json` (feature names,
training-data fingerprint, library versions, seed, parameters, dev scores, when trained). Never a pickle.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from crosswalk.errors import ConfigError
from crosswalk.files import atomic_path, atomic_write
from crosswalk.index.results import Hit, Results
from crosswalk.index.rerank.features import FEATURES, Corpus, pool_features
from crosswalk.index.rerank.pool import POOL_DEPTH, Pool, like_pool, search_pool

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.index.filters import Filters
    from crosswalk.index.retrievers import Searcher

MODEL_DIR = "models"
MODEL_NAME = "ranker"
NAME = "hybrid+rerank"  # the retriever name evaluation and the app show
PREDICT_THREADS = 1  # 100 rows: threads only cost


def model_paths(workspace) -> tuple[Path, Path]:
    """`(model text, metadata json)` paths of the ranker in `workspace` (a `crosswalk.workspace.Workspace`)."""
    root = Path(workspace.root) / MODEL_DIR
    return root / f"{MODEL_NAME}.txt", root / f"{MODEL_NAME}.json"


def _lightgbm():
    try:
        import lightgbm
    except ImportError as e:  # pragma: no cover - a dependency of the package
        raise ConfigError("the ranker needs LightGBM: pip install 'lightgbm>=4.5'") from e
    return lightgbm


class Ranker:
    """A loaded ranker: a LightGBM booster over `features` (a subset of `crosswalk.index.rerank.features.FEATURES`).

    `rerank` orders first-stage candidates for a text query or a provision (`like`); `search` and `like` build
    the first-stage pool (`crosswalk.index.rerank.pool`) and rerank it. Feature state that is costly to build (centroids,
    structure of each provision) is cached per searcher.
    """

    def __init__(self, booster, meta: dict):
        unknown = [f for f in meta.get("features", []) if f not in FEATURES]
        if unknown or not meta.get("features"):
            raise ConfigError(f"the saved ranker uses features this version does not compute ({', '.join(unknown) or 'none listed'}): "
                              "run `crosswalk learn` again")
        self.booster = booster
        self.meta = meta
        self.features = list(meta["features"])
        self._cols = [FEATURES.index(f) for f in self.features]
        self._corpus: tuple[int, Corpus] | None = None

    def corpus(self, searcher: "Searcher") -> Corpus:
        if self._corpus is None or self._corpus[0] != id(searcher):
            self._corpus = (id(searcher), Corpus(searcher))
        return self._corpus[1]

    def scores(self, searcher: "Searcher", pool: Pool) -> np.ndarray:
        """The model's score of each candidate of `pool`, in the pool's order."""
        if not len(pool.results):
            return np.zeros(0)
        X = pool_features(self.corpus(searcher), pool)[:, self._cols]
        return np.asarray(self.booster.predict(X, num_threads=PREDICT_THREADS), dtype=np.float64)

    def rerank(self, searcher: "Searcher", candidates: "Pool | Results", *, query: str | None = None,
               like: str | None = None, k: int | None = None) -> Results:
        """`candidates` reordered by the model's score, best first, cut to `k`.

        `candidates` is a `Pool` (from `search_pool`/`like_pool`), or first-stage `Results` with exactly one of
        `query` (text) or `like` (a provision id) saying what they answer. Each hit's `score` is the model's;
        `scores`/`ranks` keep the first stage's and add `rerank` (and `hybrid`, the first-stage rank).
        Equal scores keep the first stage's order.
        """
        pool = candidates if isinstance(candidates, Pool) else _pool_of(searcher, candidates, query, like)
        s = self.scores(searcher, pool)
        order = sorted(range(len(s)), key=lambda i: (-s[i], i))[: (k or len(s))]
        hits = []
        for rank, i in enumerate(order, start=1):
            h = pool.results.hits[i]
            hits.append(Hit(h.provision_id, float(s[i]), rank, {**h.scores, "hybrid": h.score, "rerank": float(s[i])},
                            {**h.ranks, "hybrid": h.rank, "rerank": rank}))
        return Results(pool.query, NAME, tuple(hits))

    def search(self, searcher: "Searcher", query: str, k: int = 10, filters: "Filters | None" = None) -> Results:
        """Pool for `query` under `filters` (`POOL_DEPTH` from each first-stage retriever), reranked, first `k`."""
        return self.rerank(searcher, search_pool(searcher, query, filters, max(k, POOL_DEPTH)), k=k)

    def like(self, searcher: "Searcher", provision_id: str, k: int = 10, filters: "Filters | None" = None) -> Results:
        """Pool of provisions like `provision_id` under `filters`, reranked, first `k`."""
        return self.rerank(searcher, like_pool(searcher, provision_id, filters, max(k, POOL_DEPTH)), k=k)

    def save(self, workspace) -> tuple[Path, Path]:
        """Write the model text and metadata to `workspace/models/`, each whole or not at all (`crosswalk.files`)."""
        model_path, meta_path = model_paths(workspace)
        with atomic_path(model_path) as tmp:
            self.booster.save_model(str(tmp))
        atomic_write(meta_path, json.dumps(self.meta, indent=2, sort_keys=True, default=str))
        return model_path, meta_path


def _pool_of(searcher: "Searcher", results: Results, query: str | None, like: str | None) -> Pool:
    if (query is None) == (like is None):
        raise ConfigError("rerank needs exactly one of query (text) or like (a provision id)")
    if like is not None:
        pid = searcher.store.resolve_id(like)
        return Pool("like", pid, results, searcher.dense.provision_vectors(pid))
    vec = np.asarray(searcher.dense.embedder.encode_query(query), dtype=np.float32)
    return Pool("query", query, results, vec[None, :])


def load_ranker(workspace) -> "Ranker | None":
    """The ranker saved in `workspace/models/`, or None when there is none (callers fall back to the first
    stage and say so once). A model file without its metadata, or metadata naming unknown features, is a
    ConfigError that says to run `crosswalk learn` again."""
    model_path, meta_path = model_paths(workspace)
    if not model_path.exists():
        return None
    if not meta_path.exists():
        raise ConfigError(f"{model_path} has no metadata file {meta_path.name}: run `crosswalk learn` again")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read {meta_path}: {e}; run `crosswalk learn` again") from None
    booster = _lightgbm().Booster(model_file=str(model_path))
    return Ranker(booster, meta)


_NOTED: set[str] = set()


def no_model_note(workspace) -> str | None:
    """The one-line note that no ranker is saved — returned once per workspace and process, then None."""
    key = str(Path(workspace.root))
    if key in _NOTED:
        return None
    _NOTED.add(key)
    return ("note: no trained ranker in this workspace, showing the first stage's (hybrid) order; "
            "`crosswalk learn` trains one")


def feature_subset(names: Sequence[str]) -> list[str]:
    """`names` checked against `FEATURES` (an unknown one is a ConfigError), in `FEATURES` order."""
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise ConfigError(f"unknown feature(s) {', '.join(unknown)}: use {', '.join(FEATURES)}")
    return [f for f in FEATURES if f in set(names)]
