"""A trained ranker: the LightGBM model, its feature list and metadata, saved and loaded as plain files.

Files in `workspace/models/`: `ranker.txt` (LightGBM's model text) and `ranker.json` (feature names, training
data fingerprint, library versions, seed, dev scores, when trained). Never a pickle.
"""

from __future__ import annotations

from pathlib import Path

MODEL_DIR = "models"
MODEL_NAME = "ranker"


def model_paths(workspace) -> tuple[Path, Path]:
    """`(model text, metadata json)` paths of the ranker in `workspace` (a `crosswalk.workspace.Workspace`)."""
    root = Path(workspace.root) / MODEL_DIR
    return root / f"{MODEL_NAME}.txt", root / f"{MODEL_NAME}.json"


class Ranker:
    """A loaded ranker. `rerank` orders first-stage candidates for a text query or a provision (`like`)."""

    def rerank(self, searcher, candidates, *, query: str | None = None, like: str | None = None, k: int | None = None):
        """`candidates` (first-stage `Results`) reordered by the model's score, best first, cut to `k`.

        Exactly one of `query` (text) or `like` (a provision id) says what the candidates answer. Each hit's
        `score` is the model's score; `scores`/`ranks` keep the first stage's and add `"rerank"`.
        """
        raise NotImplementedError

    def search(self, searcher, query: str, k: int = 10, filters=None):
        """Pool for `query` under `filters`, reranked, first `k`."""
        raise NotImplementedError

    def like(self, searcher, provision_id: str, k: int = 10, filters=None):
        """Pool of provisions like `provision_id` under `filters`, reranked, first `k`."""
        raise NotImplementedError


def load_ranker(workspace) -> "Ranker | None":
    """The ranker saved in `workspace/models/`, or None when there is none (callers fall back to the first
    stage and say so once). A model whose metadata does not match its features is a ConfigError."""
    raise NotImplementedError
