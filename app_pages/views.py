"""What the workbench hands the pages: plain, frozen records (views), ready to lay out.

Every `*_html` field is already safe to render: document text in it went through `crosswalk.review.highlight`,
which escapes it before adding our own `<mark>`/`<span>` tags (`crosswalk.app_pages.cards` builds them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from crosswalk.review import highlight as hl
from crosswalk.review.decisions import Decision, Rationale, Relationship

RELATIONSHIPS = tuple(r.value for r in Relationship)
RATIONALES = tuple(r.value for r in Rationale)


def other_jurisdiction(jurisdiction: str, available: Sequence[str]) -> str | None:
    """The jurisdiction to look for counterparts in: US ↔ UK first, else the first other one available.

    >>> other_jurisdiction("US", ["EU", "UK", "US"]), other_jurisdiction("EU", ["EU", "UK", "US"])
    ('UK', 'US')
    """
    preferred = {"US": "UK", "UK": "US"}.get(jurisdiction)
    if preferred in available:
        return preferred
    for j in ("US", "UK", "EU", "INTL", *sorted(available)):
        if j != jurisdiction and j in available:
            return j
    return None


# --- search ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    """What the search page's filter widgets hold; each field is a tuple of chosen values (empty = any)."""

    jurisdiction: tuple[str, ...] = ()
    issuer: tuple[str, ...] = ()
    doc_type: tuple[str, ...] = ()
    topic: tuple[str, ...] = ()

    def to_filters(self):
        from crosswalk.index.filters import Filters

        return Filters(jurisdiction=self.jurisdiction, issuer=self.issuer, doc_type=self.doc_type, topic=self.topic)


@dataclass(frozen=True)
class Facets:
    """The values the search filters offer, from the store."""

    jurisdictions: tuple[str, ...]
    issuers: tuple[str, ...]
    doc_types: tuple[str, ...]
    topics: tuple[str, ...]


@dataclass(frozen=True)
class SearchHit:
    """One search result, ready to show. `card_html` is safe to render as HTML."""

    rank: int
    provision_id: str
    citation: str
    jurisdiction: str
    document: str
    heading: str
    pages: str
    url: str
    score: float
    snippet_html: str
    card_html: str
    cited: bool = False  # found by citation lookup rather than by search


@dataclass(frozen=True)
class SearchAnswer:
    query: str
    hits: tuple[SearchHit, ...]
    cited: int  # how many hits the citation lookup put first
    note: str = ""  # why there are no hits
    retriever: str = "hybrid"  # the retriever that answered
    notice: str = ""  # something the reader should know about these hits (e.g. BM25 while the model loads)
    legend_html: str = hl.legend(("query", "entity"))
    citation_note: str = ""  # what the citation in the query found: a range, a subtree, nearest units, documents
    choices: tuple[tuple[str, str], ...] = ()  # (full citation, provision id) per document of an ambiguous citation


# --- review ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProvisionView:
    """A provision with its context, as the review page shows it; every `*_html` field is escaped."""

    id: str
    citation: str
    jurisdiction: str
    doc_id: str
    document: str
    heading: str
    pages: str
    url: str
    header_html: str
    context_html: str
    text_html: str
    children_html: tuple[str, ...]
    topics: tuple[str, ...]
    content_hash: str


@dataclass(frozen=True)
class CandidateView:
    """A candidate counterpart of a focal provision, with what the matcher knew and the latest decision."""

    left_id: str
    right_id: str
    citation: str
    document: str
    score: float
    rank: int
    mutual: bool
    shared_terms: tuple[dict, ...]
    explanation: dict
    queued: bool
    decision: str = ""  # the latest relationship recorded on the pair, by anyone

    @property
    def label(self) -> str:
        """One line for a picker: `1. CASS 16.2.13R · 0.71 · mutual · equal`."""
        parts = [f"{self.rank}. {self.citation}", f"{self.score:.2f}"]
        if self.mutual:
            parts.append("mutual")
        if self.decision:
            parts.append(f"decided: {self.decision}")
        return " · ".join(parts)


@dataclass(frozen=True)
class PairView:
    """Two provisions side by side with their shared terms and best-aligned sentences marked."""

    left: ProvisionView
    right: ProvisionView
    candidate: CandidateView | None
    shared_terms: tuple[dict, ...]
    explanation: dict
    history: tuple[Decision, ...]
    latest: Decision | None
    summary_html: str

    @property
    def stale(self) -> bool:
        """The latest decision was made on a text that has changed since."""
        return bool(self.latest and self.latest.stale)


@dataclass(frozen=True)
class QueueSlot:
    """The queue item at a position, with the queue's size and the position of the next unreviewed pair."""

    position: int
    total: int
    left_id: str
    right_id: str
    reviewed: bool


# --- the workspace --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    workspace: str
    documents: int
    provisions: int
    decisions: int
    queued: int
    index: str  # "ready", "not loaded yet", or the problem
