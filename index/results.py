"""What every retriever returns: a typed, ranked list of provisions.

FAISS row numbers and BM25 document numbers never leave `index/`: a `Hit` names a provision by its id. Every
retriever (`bm25`, `dense`, `hybrid`, and citation lookup) answers with `Results`, so callers can print, fuse,
merge or evaluate them without knowing which one produced them.

Example:
    >>> r = Results.from_ids(["US-X:sec.1", "US-X:sec.2"], query="custody", retriever="citation")
    >>> r.ids(), r[0].rank, r[1].score
    (['US-X:sec.1', 'US-X:sec.2'], 1, 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence


@dataclass(frozen=True)
class Hit:
    """One retrieved provision.

    - `provision_id`: the provision's id (`US-PL119-27-GENIUS:sec.4(a)(11)`).
    - `score`: the producing retriever's score; higher is better. Scales differ between retrievers (BM25 is
      unbounded, dense is a cosine in [-1, 1], RRF is a sum of 1/(60 + rank)), so compare scores within one
      `Results` only.
    - `rank`: 1-based position in its `Results`.
    - `scores` / `ranks`: what each underlying retriever gave this provision (`{"bm25": 7.1, "dense": 0.62}`);
      a single retriever fills its own entry; fusion keeps every input's entry.
    """

    provision_id: str
    score: float
    rank: int
    scores: dict[str, float] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "id": self.provision_id,
            "score": self.score,
            "rank": self.rank,
            "scores": dict(self.scores),
            "ranks": dict(self.ranks),
        }


@dataclass(frozen=True)
class Results:
    """Hits for one query, best first (`hits[0].rank == 1`).

    `retriever` names what produced them (`bm25`, `dense`, `hybrid`, `citation`, `nearest`, `merged`).
    A search that read its query as a citation (`crosswalk.index.cited_search`) also fills `cited` (how many of the first
    hits the citation named), `note` (what the reader should know: "MiCA has Articles 1–149; no Article 150")
    and `choices` (for a citation several documents have: `crosswalk.index.resolver.Choice`s, best-ranked first).
    """

    query: str
    retriever: str
    hits: tuple[Hit, ...] = ()
    cited: int = 0
    note: str = ""
    choices: tuple = ()

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __getitem__(self, i: int) -> Hit:
        return self.hits[i]

    def ids(self) -> list[str]:
        """The provision ids, best first."""
        return [h.provision_id for h in self.hits]

    def to_run(self) -> dict[str, float]:
        """`{provision_id: score}`, the shape ir-measures and ranx take for one query."""
        return {h.provision_id: h.score for h in self.hits}

    def top(self, k: int) -> "Results":
        return Results(self.query, self.retriever, self.hits[:k], min(self.cited, k), self.note, self.choices)

    @classmethod
    def ranked(
        cls,
        query: str,
        retriever: str,
        scored: Iterable[tuple[str, float]],
        *,
        scores: dict[str, dict[str, float]] | None = None,
        ranks: dict[str, dict[str, int]] | None = None,
    ) -> "Results":
        """Results from `(provision_id, score)` pairs already in rank order; ranks are numbered from 1.

        Without `scores`, each hit's `scores` is `{retriever: score}` (and `ranks` `{retriever: rank}`).
        """
        hits = []
        for rank, (pid, score) in enumerate(scored, start=1):
            hits.append(
                Hit(
                    pid,
                    float(score),
                    rank,
                    dict(scores[pid]) if scores is not None else {retriever: float(score)},
                    dict(ranks[pid]) if ranks is not None else {retriever: rank},
                )
            )
        return cls(query, retriever, tuple(hits))

    @classmethod
    def from_ids(cls, ids: Sequence[str], query: str = "", retriever: str = "citation") -> "Results":
        """Results that keep the order of `ids` (e.g. a cited provision, then its children).

        Scores fall from 1 by rank (`1/rank`) so they stay ordered if merged with other results.
        """
        return cls.ranked(query, retriever, ((pid, 1.0 / i) for i, pid in enumerate(ids, start=1)))

    @classmethod
    def merge(cls, parts: Sequence["Results"], k: int | None = None, retriever: str = "merged") -> "Results":
        """Concatenate results in the order given, keeping each provision's first appearance, renumbered.

        The citation lookup uses it to put a cited provision and its children before the search hits:
        `Results.merge([Results.from_ids(cited), searcher.search(q)], k=10)`. Each hit keeps the score and
        per-retriever scores of the part it came from; the query is the first part's.

        Example:
            >>> a = Results.from_ids(["d:s.1", "d:s.2"])
            >>> b = Results.from_ids(["d:s.2", "d:s.3"], retriever="bm25")
            >>> Results.merge([a, b]).ids()
            ['d:s.1', 'd:s.2', 'd:s.3']
        """
        seen: set[str] = set()
        hits: list[Hit] = []
        for part in parts:
            for h in part.hits:
                if h.provision_id in seen:
                    continue
                seen.add(h.provision_id)
                hits.append(Hit(h.provision_id, h.score, len(hits) + 1, dict(h.scores), dict(h.ranks)))
                if k is not None and len(hits) >= k:
                    break
            if k is not None and len(hits) >= k:
                break
        query = parts[0].query if parts else ""
        return cls(query, retriever, tuple(hits))

    def to_dict(self) -> dict:
        out = {"query": self.query, "retriever": self.retriever, "hits": [h.to_dict() for h in self.hits]}
        if self.cited or self.note or self.choices:
            choices = [{"doc_id": c.doc_id, "id": c.provision_id, "citation": c.citation} for c in self.choices]
            out.update(cited=self.cited, note=self.note, choices=choices)
        return out
