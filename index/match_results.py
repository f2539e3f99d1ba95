"""What matching gives back: a `Candidate` per pair (score, rank, mutual, shared terms, explanation) and a
`MatchReport` per `crosswalk.index.match.match` run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crosswalk.index.match_terms import SharedTerm
from crosswalk.index.queue import QueueWrite
from crosswalk.index.sentences import Explanation


@dataclass(frozen=True)
class Candidate:
    """A candidate counterpart of `left_id` in the other jurisdiction (see `crosswalk.index.match`)."""

    left_id: str
    right_id: str
    score: float
    rank: int
    mutual: bool
    shared_terms: tuple[SharedTerm, ...] = ()
    explanation: Explanation | None = None

    def to_dict(self) -> dict:
        return {
            "left_id": self.left_id,
            "right_id": self.right_id,
            "score": self.score,
            "rank": self.rank,
            "mutual": self.mutual,
            "shared_terms": [t.to_dict() for t in self.shared_terms],
            "explanation": self.explanation.to_dict() if self.explanation else None,
        }


@dataclass(frozen=True)
class MatchReport:
    """What a `match` run did. `summary()` is the one line the command prints."""

    from_jur: str
    to_jur: str
    k: int
    method: str
    run_id: str
    n_focal: int  # provisions of from_jur matched
    n_targets: int  # provisions of to_jur they were matched against
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> provisions of either side left out
    not_indexed: int = 0  # provisions with no vector in the index (left out, and said so)
    n_candidates: int = 0
    n_mutual: int = 0
    boundary: float = 0.0
    seconds: float = 0.0
    queue: QueueWrite | None = None
    candidates: tuple[Candidate, ...] = ()
    # focal id -> candidate id -> each retriever's rank, over the focal provision's first
    # `crosswalk.index.active.DEPTH` hybrid like hits (batched hybrid matching only; empty otherwise):
    # what the queue's ordering reads instead of asking `like` again
    ranks: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict, repr=False)

    def summary(self) -> str:
        skipped = sum(self.skipped.values())
        why = ", ".join(f"{n:,} {r}" for r, n in sorted(self.skipped.items()))
        parts = [
            f"{self.from_jur}→{self.to_jur}: {self.n_focal:,} provisions matched against {self.n_targets:,} "
            f"(k={self.k}, {self.method})",
            f"{self.n_candidates:,} candidate pairs, {self.n_mutual:,} mutual",
            f"skipped {skipped:,}" + (f" ({why})" if why else ""),
        ]
        if self.not_indexed:
            parts.append(f"{self.not_indexed:,} not in the index (run `crosswalk index`)")
        if self.queue is not None:
            parts.append(self.queue.summary())
        parts.append(f"{self.seconds:.1f} s")
        return "; ".join(parts)
