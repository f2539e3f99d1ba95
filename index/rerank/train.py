"""Training the ranker: gold dev half + reviewers' decisions -> LightGBM lambdarank model in the workspace.

Labels are graded from the relationship: equal 3, subset-of / superset-of 2, intersects-with 1, not-related 0
(query qrels keep their grades). Cross-validation is grouped by query with early stopping; the final model is
trained on every group for the mean best iteration. Deterministic for a seed (LightGBM `deterministic=True`,
a fixed thread count).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

Progress = Callable[[str, int, int], None]


@dataclass
class LearnReport:
    """What `learn` trained on and how the dev half scored before (first stage) and after (reranked).

    - `queries`, `pairs`, `decisions`: how many gold dev queries, gold dev pair queries and reviewer decisions
      went into training; `examples` and `positives`: (query, candidate) rows and those with a label above 0.
    - `dev_before` / `dev_after`: `{"queries": {"nDCG@10": …, "Recall@10": …}, "pairs": {…}}` (after: out of
      fold, from the cross-validation, so the dev half is never scored by a model that saw it).
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

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)

    def summary(self) -> str:
        """Lines for the command line: what was trained on, dev before → after, where the model is."""
        raise NotImplementedError


def learn(store, workspace, *, seed: int = 0, use_decisions: bool = True, progress: Progress | None = None) -> LearnReport:
    """Train the ranker on the gold dev half (queries and pairs) plus, with `use_decisions`, every current
    reviewer decision (`review.decisions.DecisionStore.current`; the newest per pair; `unsure` left out; pairs of
    the gold test half never used), save it in `workspace/models/`, and report what it trained on and the dev
    figures before and after. `progress(stage, done, total)` is called as work advances."""
    raise NotImplementedError
