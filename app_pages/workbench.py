"""The service layer behind the app: everything the pages show, computed here; the pages only lay it out.

One `Workbench` per workspace, opened once per server process (`st.cache_resource` in the app). It holds a
read-only `Store`, a `DecisionStore` (the only writer: reviewers' decisions), and the saved search index,
loaded on first use and never rebuilt here (no embedding at start-up). Methods return plain records (views)
whose `*_html` fields are already safe: document text goes through `crosswalk.review.highlight`, which escapes it
before adding our own `<mark>`/`<span>` tags.

- Search: `facets()`, `search(query, filters)` → `SearchHit`s with a highlighted snippet and a publisher link.
- Review: `queue_directions()`, `queue_at(direction, position)`, `progress(direction)`,
  `candidates(left_id, to_jur)`, `pair(left_id, right_id)`, `record(...)`, `history(left_id, right_id)`.
- Crosswalk: `decision_rows(...)`, `coverage()`, `gaps(jurisdiction)`, `export(fmt)`.
- Reviewer loop: `training_state()` (decisions since the ranker's last training), `retrain()`,
  `queue_reason(left_id, right_id)`.
- Evaluation: `evaluation()` reads `workspace/eval/latest.json` when `crosswalk eval` has written one;
  `learning_curve()` reads `workspace/eval/learning_curve.json`.

Example:
    wb = Workbench.open("workspace")
    hits = wb.search("custody of client cryptoassets", SearchFilters(jurisdiction=("UK",)))
    pair = wb.pair(hits[0].provision_id, wb.candidates(hits[0].provision_id)[0].right_id)
    wb.record(pair.left.id, pair.right.id, "equal", "ana", rationale="semantic", strength=8)
"""

from __future__ import annotations

import html
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Sequence
from urllib.parse import urlparse

from crosswalk.errors import ConfigError, CrosswalkError, IndexStateError, NotFoundError, StoreError
from crosswalk.workspace import Workspace
from crosswalk.evaluation import history as eval_history
from crosswalk.evaluation.metrics import JUDGED_DEPTH
from crosswalk.ingest.models import Provision
from crosswalk.review import highlight as hl
from crosswalk.review.accounts import SignInError
from crosswalk.review.decisions import Decision, DecisionStore, Rationale, Relationship

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.index.match_results import Candidate
    from crosswalk.index.retrievers import Searcher
    from crosswalk.ingest.store import Store
    from crosswalk.review.accounts import Account, Accounts
    from crosswalk.app_pages.training import RetrainResult, TrainingState

log = logging.getLogger(__name__)

# Entity labels worth marking in a search snippet (statistical labels such as DATE or CARDINAL add noise).
SNIPPET_ENTITY_LABELS = ("REGULATOR", "LEGISLATION", "DEFINED_TERM", "CRYPTO_ASSET", "CITATION")
COUNTERPART_RELATIONSHIPS = tuple(r.value for r in Relationship if r.is_counterpart)
RELATIONSHIPS = tuple(r.value for r in Relationship)
RATIONALES = tuple(r.value for r in Rationale)
EVAL_FILE = Path("eval") / "latest.json"
NO_TOPIC = "(no topic)"
MAX_CHILDREN = 40  # descendants shown under a focal provision


def _locked(method):
    @wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


# --- views ----------------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class EvalView:
    """Evaluation results read from `latest.json`.

    `rows`: one dict per system (`retriever` plus one number per metric); systems scored on the pair gold are
    named `pairs:…`. `ci`: `{(system, metric): (low, high)}` 95% intervals when the file has them. The rest
    comes from `crosswalk.evaluation.report.write_report` when it wrote the file: when and at which commit, the gold
    problems it found, reviewer agreement, and the report and chart beside it. `judged`: `{system: share}`, the
    share of each system's top 10 that the gold judges (`evaluated.judged@10`), for the systems that have it.
    `pooled`: `((file, judgements added), …)` when the run added judged pool files to the gold (`--judged`).
    `settings`: what the run scored (split, k, citation lookup, queries and pair queries), so a partial or
    unusual run is recognisable. `since`: each system's change since its previous comparable run
    (`evaluation.history.Change.to_dict()`). `history`: the saved runs comparable with this one, one row per
    run and system, oldest first (`crosswalk.evaluation.history.comparable_rows`); `runs`: how many runs the history
    holds in all; `problems`: its unreadable lines.
    """

    path: str
    rows: tuple[dict, ...]
    metrics: tuple[str, ...]
    ci: dict = field(default_factory=dict)
    generated_at: str = ""
    commit: str = ""
    warnings: tuple[str, ...] = ()
    agreement: tuple[dict, ...] = ()
    report: str = ""  # report.md beside latest.json, if any
    chart: str = ""  # metrics.png beside latest.json, if any
    judged: dict = field(default_factory=dict)
    pooled: tuple[tuple[str, int], ...] = ()
    settings: dict = field(default_factory=dict)
    since: tuple[dict, ...] = ()
    history: tuple[dict, ...] = ()
    runs: int = 0
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Status:
    workspace: str
    documents: int
    provisions: int
    decisions: int
    queued: int
    index: str  # "ready", "not loaded yet", or the problem


# --- helpers (pure) -------------------------------------------------------------------------------------------


def safe_url(url: str) -> str:
    """`url` if it is an http(s) address, else "" (a `javascript:` link from a bad manifest never renders).

    >>> safe_url("https://www.fca.org.uk/cp25-14.pdf"), safe_url("javascript:alert(1)")
    ('https://www.fca.org.uk/cp25-14.pdf', '')
    """
    parsed = urlparse((url or "").strip())
    return url.strip() if parsed.scheme in ("http", "https") and parsed.netloc else ""


def source_link(url: str, path: str, page: int | None) -> str:
    """The publisher's address for a provision: with `#page=N` for a PDF, so the viewer opens at the page.

    >>> source_link("https://x.gov/a.pdf", "us/a.pdf", 12)
    'https://x.gov/a.pdf#page=12'
    >>> source_link("https://x.gov/view?id=3", "us/a.md", 12)
    'https://x.gov/view?id=3'
    """
    url = safe_url(url)
    if not url:
        return ""
    is_pdf = urlparse(url).path.lower().endswith(".pdf") or (path or "").lower().endswith(".pdf")
    if is_pdf and page and "#" not in url:
        return f"{url}#page={int(page)}"
    return url


def page_label(p: Provision) -> str:
    """`p. 12`, `pp. 12–13`, or "" for an unpaged source.

    >>> page_label(Provision("d:s.1", "d", "US", "s.1", "x", page_start=3, page_end=4))
    'pp. 3–4'
    """
    if not p.page_start:
        return ""
    if not p.page_end or p.page_end == p.page_start:
        return f"p. {p.page_start}"
    return f"pp. {p.page_start}–{p.page_end}"


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


def _badge(text: str, colour: str = "#555") -> str:
    return (f'<span style="display:inline-block;padding:0 6px;border-radius:8px;border:1px solid {colour};'
            f'color:{colour};font-size:0.78em;margin-right:4px;">{hl.escape_inline(text)}</span>')


JUR_COLOURS = {"US": "#1f5fa8", "UK": "#a8321f", "EU": "#1f7a3d", "INTL": "#6b4c9a"}


def _link(url: str, label: str) -> str:
    if not url:
        return ""
    return (f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">'
            f"{hl.escape_inline(label)}</a>")


def _terms_for_side(shared: Sequence[dict], side: str) -> list[str]:
    """The words to mark on one side of a pair: that side's surface form and the normalised term."""
    out = []
    for t in shared:
        for key in (side, "term"):
            v = str(t.get(key) or "").strip()
            if len(v) >= 2 and v not in out:
                out.append(v)
    return out


# --- the workbench --------------------------------------------------------------------------------------------


class Workbench:
    """Everything the app does, over one workspace (see the module docstring).

    Example: Workbench.open("/tmp/ws").search("reserve assets").hits[0].citation
    """

    def __init__(self, workspace: Workspace):
        from crosswalk.ingest.store import Store

        self.workspace = workspace
        if not workspace.has_store():
            raise StoreError(
                f"no store at {workspace.describe_database()}: run `crosswalk ingest` (and `crosswalk index`) for this "
                "workspace, or point CROSSWALK_WORKSPACE / --workspace at one"
            )
        self._lock = threading.RLock()
        self._load_lock = threading.Lock()
        self.decisions = DecisionStore(workspace.database)  # refuses an old schema with the fix
        self.store: "Store" = Store(workspace.database, readonly=True)
        self._accounts: "Accounts | None" = None
        self._searcher: "Searcher | None" = None
        self._warming = False
        self._warm_error: CrosswalkError | None = None
        self._live: OrderedDict[tuple, list["Candidate"]] = OrderedDict()
        self._docs: dict[str, dict] | None = None
        self._facets: Facets | None = None
        self._counts: dict[str, int] | None = None
        self._gaps: OrderedDict[tuple, tuple[int, list[dict]]] = OrderedDict()

    @classmethod
    def open(cls, workspace: str | Path | Workspace | None = None) -> "Workbench":
        """The workbench for `workspace` (a path, a `Workspace`, or None for $CROSSWALK_WORKSPACE/./workspace)."""
        ws = workspace if isinstance(workspace, Workspace) else Workspace.resolve(workspace)
        return cls(ws)

    def close(self) -> None:
        self.decisions.close()
        self.store.close()
        if self._accounts is not None:
            self._accounts.close()

    # --- the index ------------------------------------------------------------------------------------------

    @property
    def searcher(self) -> "Searcher":
        """The saved index, loaded on first use (never rebuilt here); IndexStateError says how to build it."""
        with self._load_lock:
            if self._searcher is None:
                from crosswalk.index.build import load_searcher
                from crosswalk.index.rerank.searcher import RerankingSearcher

                # hybrid search and counterparts go through the trained ranker when the workspace has one
                self._searcher = RerankingSearcher(load_searcher(self.store, self.workspace.index_dir),
                                                   self.workspace)
            return self._searcher

    def warm_up(self) -> None:
        """Load the index and the embedding model now (`start_warm_up` runs it in the background)."""
        self._warming = True
        try:
            self.searcher.dense.embedder.encode_query("warm up")  # the embedder's own lock, not ours
        finally:
            self._warming = False

    def start_warm_up(self) -> threading.Thread | None:
        """Load the index and the model in a background thread, so the first search does not wait for them.

        Until the model is in memory, a hybrid search answers with BM25 alone and says so (`SearchAnswer.notice`).
        Errors are left for the search that needs the index, which reports them with the fix."""
        if self.model_ready() or self._warming or self._warm_error is not None:
            return None
        if not (self.workspace.index_dir / "params.json").exists():
            return None
        self._warming = True

        def run():
            try:
                self.warm_up()
            except CrosswalkError as e:
                # a stale index: the search shows the same error, with its fix; a model that cannot load:
                # searches say so and answer with BM25
                self._warm_error = e
                log.warning("warm-up: %s", e)

        thread = threading.Thread(target=run, name="crosswalk-warm-up", daemon=True)
        thread.start()
        return thread

    def model_ready(self) -> bool:
        """Whether the embedding model is in memory (dense and hybrid searches answer without loading it)."""
        searcher = self._searcher
        return searcher is not None and getattr(searcher.dense.embedder, "_model", None) is not None

    def index_status(self) -> str:
        """`ready`, `loading`, `loads on first search`, or what is missing and how to build it."""
        if self.model_ready() or (self._searcher is not None and not self._warming):
            return "ready"
        if not (self.workspace.index_dir / "params.json").exists():
            return f"no index in {self.workspace.index_dir}: run `crosswalk index`"
        return "loading" if self._warming else "loads on first search"

    # --- documents and facets -------------------------------------------------------------------------------

    def _documents(self) -> dict[str, dict]:
        if self._docs is None:
            self._docs = {d["id"]: d for d in self.store.documents()}
        return self._docs

    @_locked
    def facets(self) -> Facets:
        """The filter values (read once: restart the app after `crosswalk ingest` adds documents)."""
        if self._facets is None:
            self._facets = self._read_facets()
        return self._facets

    def _read_facets(self) -> Facets:
        docs = self._documents().values()
        topics = [r[0] for r in self.store.conn.execute(
            "SELECT DISTINCT t.value FROM provisions p, json_each(p.topics) t ORDER BY 1")]
        return Facets(
            jurisdictions=tuple(sorted({d["jurisdiction"] for d in docs})),
            issuers=tuple(sorted({d["issuer"] for d in docs if d["issuer"]})),
            doc_types=tuple(sorted({d["doc_type"] for d in docs if d["doc_type"]})),
            topics=tuple(topics),
        )

    @_locked
    def status(self) -> Status:
        if self._counts is None:
            self._counts = self.store.count()
        counts = self._counts
        queued = self.store.conn.execute("SELECT COUNT(*) FROM review_queue").fetchone()[0] if self._has_queue() else 0
        return Status(str(self.workspace.root), counts["documents"], counts["provisions"], self.decisions.count(),
                      queued, self.index_status())

    # --- provisions -----------------------------------------------------------------------------------------

    @_locked
    def resolve(self, text: str) -> str:
        """A provision id from an id (spaces or underscores) or a citation (`CASS 16.2.13R`, `MiCA Art. 36`).

        NotFoundError names what was tried and how ids look.
        """
        from crosswalk.index.resolver import provision_for

        text = (text or "").strip()
        if not text:
            raise NotFoundError("give a provision id (e.g. US-PL119-27-GENIUS:sec.4(a)(11)) or a citation")
        return provision_for(self.store, text)

    def _view(self, p: Provision, terms: Sequence[str] = (), sentence: str = "",
              child_terms: Sequence[str] | None = None) -> ProvisionView:
        from crosswalk.index.citations import display_citation

        doc = self._documents().get(p.doc_id, {})
        spans = hl.find_terms(p.text, terms, kind="shared", title="shared term")
        aligned = hl.find_sentence(p.text, sentence) if sentence else None
        if aligned:
            spans.append(aligned)
        url = source_link(doc.get("official_url", ""), doc.get("path", ""), p.page_start)
        citation = display_citation(p)
        pages = page_label(p)
        head = [f'<div style="font-size:1.05em;"><b>{hl.escape_inline(citation)}</b> '
                f'{_badge(p.jurisdiction, JUR_COLOURS.get(p.jurisdiction, "#555"))}'
                f'<span style="color:#666;font-size:0.85em;">{hl.escape_inline(p.id)}</span></div>',
                f'<div style="color:#444;font-size:0.9em;">{hl.escape_inline(doc.get("title") or p.doc_id)}'
                + (f" · {hl.escape_inline(pages)}" if pages else "")
                + (f" · {_link(url, 'source at the publisher ↗')}" if url else "") + "</div>"]
        if p.heading_path:
            head.append(f'<div style="color:#666;font-size:0.85em;">{hl.escape_inline(" › ".join(p.heading_path))}'
                        "</div>")
        if doc.get("note"):  # the source's known faults (a text extraction that drops words), as plain text
            head.append(f'<div style="color:#8a5a00;font-size:0.85em;">⚠ {hl.escape_inline(doc["note"])}</div>')
        if p.topics:
            head.append("<div>" + "".join(_badge(t, "#777") for t in p.topics) + "</div>")
        context = ""
        if p.parent_id:
            parents = self.store.get_many([p.parent_id])
            if parents:
                parent = parents[0]
                text = parent.text if len(parent.text) <= 600 else parent.text[:600].rsplit(" ", 1)[0] + " …"
                context = (f'<div style="color:#666;font-size:0.88em;border-left:3px solid #ddd;padding-left:8px;">'
                           f"<b>In {hl.escape_inline(parent.citation)}:</b> {hl.render_inline(text)}</div>")
        kids = self.store.descendants(p.id)[:MAX_CHILDREN] if self._has_children(p.id) else []
        ct = terms if child_terms is None else child_terms
        children = tuple(
            hl.render(k.text, hl.find_terms(k.text, ct, kind="shared", title="shared term"), css_class="cw-child")
            for k in kids
        )
        return ProvisionView(
            id=p.id, citation=citation, jurisdiction=p.jurisdiction, doc_id=p.doc_id,
            document=doc.get("title") or p.doc_id, heading=" › ".join(p.heading_path), pages=pages, url=url,
            header_html="".join(head), context_html=context, text_html=hl.render(p.text, spans),
            children_html=children, topics=p.topics, content_hash=p.content_hash,
        )

    def _has_children(self, pid: str) -> bool:
        return self.store.conn.execute("SELECT 1 FROM provisions WHERE parent_id=? LIMIT 1", (pid,)).fetchone() is not None

    @_locked
    def provision(self, provision_id: str) -> ProvisionView:
        """One provision with its heading path, parent context and children, nothing marked."""
        return self._view(self.store.get(self.resolve(provision_id)))

    # --- search ---------------------------------------------------------------------------------------------

    def search(self, query: str, filters: SearchFilters | None = None, k: int = 10,
               retriever: str = "hybrid", *, wait_for_model: bool = False) -> SearchAnswer:
        """Hits for `query`, best first; a query that is a citation puts the cited provision (and its
        children) first. QueryError for an empty query or a filter value the store does not know;
        IndexStateError (with the fix) when there is no usable index.

        While the embedding model is still loading (the first seconds after start), a hybrid search answers
        with BM25 alone and says so in `notice`, unless `wait_for_model`; a dense search waits."""
        from crosswalk.index.retrievers import check_query

        query = check_query(query)
        f = (filters or SearchFilters()).to_filters()
        searcher = self.searcher  # outside the lock: the first load may take seconds
        notice = ""
        if retriever == "hybrid" and not wait_for_model and not self.model_ready():
            self.start_warm_up()
            retriever = "bm25"
            if self._warm_error is not None:
                notice = f"The embedding model could not be loaded ({self._warm_error}): these are BM25 results only."
            else:
                notice = ("The embedding model is still loading (the app has just started): these are BM25 "
                          "results only. Search again in a few seconds for hybrid results.")
        if retriever == "hybrid" and not notice:
            notice = getattr(searcher, "note", lambda: None)() or ""  # no trained ranker: said once, on the first hybrid search
        with self._lock:
            merged = searcher.search(query, k=k, filters=f or None, retriever=retriever)
            hits = self._hits(merged, query, n_cited=merged.cited)
        note = ""
        if merged.retriever == "nearest":  # a unit the document lacks: say so, then the nearest units
            note = f"{merged.note}. The nearest units follow; none of them is what was cited."
        elif not hits:
            filtered = f" with these filters ({f.describe()})" if f else ""
            note = merged.note or f"No provision matches{filtered}."
        choices = tuple((c.citation, c.provision_id) for c in merged.choices)
        return SearchAnswer(query, tuple(hits), merged.cited, note, retriever, notice,
                            citation_note=merged.note if hits and not note else "", choices=choices)

    def _hits(self, results, query: str, n_cited: int) -> list[SearchHit]:
        from crosswalk.index.citations import display_citation
        from crosswalk.index.snippets import term_spans

        found = {p.id: p for p in self.store.get_many(results.ids(), with_entities=True)}
        out = []
        for h in results:
            p = found.get(h.provision_id)
            if p is None:
                raise IndexStateError(
                    f"the index returned {h.provision_id!r}, which the store no longer holds; run `crosswalk index`")
            doc = self._documents().get(p.doc_id, {})
            spans = [hl.Span(a, b, "query", "matches the query") for a, b in term_spans(p.text, query)]
            spans += hl.entity_spans(p.text, p.entities, SNIPPET_ENTITY_LABELS)
            snip = hl.snippet(p.text, spans)
            citation = display_citation(p)
            heading = " › ".join(p.heading_path)
            pages = page_label(p)
            url = source_link(doc.get("official_url", ""), doc.get("path", ""), p.page_start)
            document = doc.get("title") or p.doc_id
            card = (
                f'<div style="font-size:1.05em;"><b>{h.rank}. {hl.escape_inline(citation)}</b> '
                f'{_badge(p.jurisdiction, JUR_COLOURS.get(p.jurisdiction, "#555"))}'
                + (_badge("cited", "#b7791f") if h.rank <= n_cited else "")
                + f'<span style="color:#888;font-size:0.8em;">{hl.escape_inline(p.id)}</span></div>'
                f'<div style="color:#666;font-size:0.85em;">{hl.escape_inline(heading) if heading else "&nbsp;"}</div>'
                f'<div style="color:#444;font-size:0.88em;">{hl.escape_inline(document)}'
                + (f" · {hl.escape_inline(pages)}" if pages else "")
                + (f" · {_link(url, 'source at the publisher ↗')}" if url else "") + "</div>"
                f'<div style="margin-top:4px;">{snip}</div>'
            )
            out.append(SearchHit(h.rank, p.id, citation, p.jurisdiction, document, heading, pages, url, h.score,
                                 snip, card, cited=h.rank <= n_cited))
        return out

    # --- the review queue -----------------------------------------------------------------------------------

    def _has_queue(self) -> bool:
        return self.store.conn.table_exists("review_queue")

    @_locked
    def queue_directions(self) -> list[tuple[str, str]]:
        """The directions the queue holds, most rows first: `[("US", "UK"), ("UK", "US")]`."""
        from crosswalk.index.queue import queue_counts

        counts = queue_counts(self.store)
        return sorted(counts, key=lambda d: (-counts[d], d))

    _REVIEWED = (
        "EXISTS (SELECT 1 FROM decisions d WHERE d.left_id = q.left_id AND d.right_id = q.right_id "
        "AND d.relationship != 'unsure' AND d.seq = (SELECT MAX(seq) FROM decisions d2 "
        "WHERE d2.left_id = q.left_id AND d2.right_id = q.right_id))"
    )

    @_locked
    def progress(self, direction: tuple[str, str] | None = None) -> tuple[int, int]:
        """(reviewed, queued): queued pairs whose latest decision (by anyone) is not `unsure`, and all of them."""
        if not self._has_queue():
            return 0, 0
        where, args = self._direction(direction)
        row = self.store.conn.execute(
            f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN {self._REVIEWED} THEN 1 ELSE 0 END), 0) FROM review_queue q {where}", args).fetchone()
        return int(row[1]), int(row[0])

    @staticmethod
    def _direction(direction: tuple[str, str] | None) -> tuple[str, list]:
        if not direction:
            return "", []
        return "WHERE q.from_jur = ? AND q.to_jur = ?", [direction[0], direction[1]]

    @_locked
    def queue_at(self, direction: tuple[str, str] | None, position: int, *, unreviewed_only: bool = False,
                 step: int = 0) -> QueueSlot | None:
        """The queue item at `position` (0-based, highest priority first), or None for an empty queue.

        With `step` (+1 or -1) and `unreviewed_only`, the nearest unreviewed item after (or before) `position`;
        positions past either end stop at the end.
        """
        if not self._has_queue():
            return None
        where, args = self._direction(direction)
        rows = self.store.conn.execute(
            f"SELECT q.left_id, q.right_id, {self._REVIEWED} AS reviewed FROM review_queue q {where} "
            "ORDER BY q.priority DESC, q.left_id, q.right_id", args).fetchall()
        if not rows:
            return None
        n = len(rows)
        pos = min(max(position, 0), n - 1)
        if step:
            cand = pos + step
            while 0 <= cand < n and unreviewed_only and rows[cand]["reviewed"]:
                cand += step
            pos = cand if 0 <= cand < n else pos
        elif unreviewed_only and rows[pos]["reviewed"]:
            nxt = next((i for i in range(pos, n) if not rows[i]["reviewed"]), None)
            pos = nxt if nxt is not None else pos
        r = rows[pos]
        return QueueSlot(pos, n, r["left_id"], r["right_id"], bool(r["reviewed"]))

    # --- candidates and pairs -------------------------------------------------------------------------------

    def _latest_relationships(self, left_id: str) -> dict[str, str]:
        rows = self.store.conn.execute(
            "SELECT right_id, relationship FROM decisions WHERE left_id = ? ORDER BY seq", (left_id,))
        return {r[0]: r[1] for r in rows}

    def _citations(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        from crosswalk.index.citations import display_citation

        return {p.id: (display_citation(p), self._documents().get(p.doc_id, {}).get("title") or p.doc_id)
                for p in self.store.get_many(list(ids))}

    def jurisdictions(self) -> tuple[str, ...]:
        return self.facets().jurisdictions

    def candidates(self, left_id: str, to_jur: str | None = None, k: int = 5) -> list[CandidateView]:
        """The ranked candidates of `left_id` in `to_jur` (default: US ↔ UK): from the review queue when
        `crosswalk match` queued this provision, else matched now against the saved index (cached)."""
        left_id = self.resolve(left_id)
        with self._lock:
            left = self.store.get(left_id, with_entities=False)
            to_jur = to_jur or other_jurisdiction(left.jurisdiction, self.jurisdictions())
            if to_jur is None:
                return []
            rows = self._queued_for(left_id, to_jur)
        if not rows:
            live = self._counterparts(left_id, to_jur, k)
            rows = [(c.right_id, c.score, c.rank, c.mutual, tuple(t.to_dict() for t in c.shared_terms),
                     c.explanation.to_dict() if c.explanation else {}, False) for c in live]
        with self._lock:
            names = self._citations([r[0] for r in rows])
            decided = self._latest_relationships(left_id)
        return [
            CandidateView(left_id, rid, names.get(rid, (rid, ""))[0], names.get(rid, (rid, ""))[1], score, rank,
                          mutual, tuple(shared), dict(expl or {}), queued_flag, decided.get(rid, ""))
            for rid, score, rank, mutual, shared, expl, queued_flag in rows
        ]

    def _queued_for(self, left_id: str, to_jur: str) -> list[tuple]:
        """The queue's rows for `left_id` towards `to_jur`, by rank, as candidate tuples."""
        if not self._has_queue():
            return []
        rows = self.store.conn.execute(
            "SELECT right_id, score, rank, mutual, shared_terms, explanation FROM review_queue "
            "WHERE left_id = ? AND to_jur = ? ORDER BY rank, right_id", (left_id, to_jur))
        return [(r["right_id"], r["score"], r["rank"], bool(r["mutual"]), tuple(json.loads(r["shared_terms"])),
                 json.loads(r["explanation"]), True) for r in rows]

    def _counterparts(self, left_id: str, to_jur: str, k: int) -> list["Candidate"]:
        from crosswalk.index.match import counterparts

        key = (left_id, to_jur, k)
        with self._lock:
            if key in self._live:
                self._live.move_to_end(key)
                return self._live[key]
        searcher = self.searcher
        with self._lock:
            found = counterparts(self.store, searcher, left_id, to_jur, k)
            self._live[key] = found
            while len(self._live) > 128:
                self._live.popitem(last=False)
        return found

    @_locked
    def history(self, left_id: str, right_id: str) -> list[Decision]:
        return self.decisions.history(left_id, right_id)

    def pair(self, left_id: str, right_id: str, candidate: CandidateView | None = None) -> PairView:
        """The two provisions side by side: shared terms marked in both, the best-aligned sentences marked,
        and the pair's decision history (oldest first) with the latest flagged stale if a text changed."""
        from crosswalk.index.match_terms import shared_terms
        from crosswalk.index.sentences import best_sentence_pair

        left_id, right_id = self.resolve(left_id), self.resolve(right_id)
        with self._lock:
            left = self.store.get(left_id)
            right = self.store.get(right_id)
        shared = tuple(candidate.shared_terms) if candidate and candidate.shared_terms else tuple(
            t.to_dict() for t in shared_terms(left, right))
        explanation = dict(candidate.explanation) if candidate and candidate.explanation else {}
        if not explanation and self._searcher is not None:
            from crosswalk.index.sentences import SentenceEmbeddings

            found = best_sentence_pair(left.text, right.text, SentenceEmbeddings(self._searcher.dense.embedder))
            explanation = found.to_dict() if found else {}
        with self._lock:
            lv = self._view(left, _terms_for_side(shared, "left"), explanation.get("left", ""))
            rv = self._view(right, _terms_for_side(shared, "right"), explanation.get("right", ""))
            history = tuple(self.decisions.history(left_id, right_id))
        latest = history[-1] if history else None
        bits = []  # each already escaped
        if candidate:
            bits.append(hl.escape_inline(
                f"score {candidate.score:.2f} · rank {candidate.rank}"
                + (" · mutual best match" if candidate.mutual and candidate.rank == 1
                   else " · mutual" if candidate.mutual else "")))
        if shared:
            terms = ", ".join(sorted({str(t.get("left") or t.get("term")) for t in shared}))
            bits.append(f"shared terms: {hl.render_inline(terms, [hl.Span(0, len(terms), 'shared')])}")
        if explanation:
            label = f"best-aligned sentences (cosine {float(explanation.get('cosine', 0)):.2f})"
            bits.append(hl.render_inline(label, [hl.Span(0, len(label), "aligned")]))
        summary = ('<div style="color:#444;font-size:0.9em;">' + " · ".join(bits) + "</div>") if bits else ""
        return PairView(lv, rv, candidate, shared, explanation, history, latest, summary)

    # --- decisions ------------------------------------------------------------------------------------------

    @_locked
    def record(self, left_id: str, right_id: str, relationship: str, reviewer: str = "", *, rationale: str = "",
               strength: int | None = None, note: str = "", session: str | None = None) -> Decision:
        """Append a decision; it is committed to the database before this returns (then the UI confirms).

        When accounts exist, the reviewer is the account signed in with `session` (a typed `reviewer` is
        ignored), and only a reviewer or admin may decide: no session, an expired one, or a viewer's is refused.
        """
        if self.sign_in_required():
            account = self.accounts.session(session)
            if account is None:
                raise SignInError("sign in to record a decision (your session may have expired)")
            if not account.can_decide:
                raise SignInError(f"{account.name} is a {account.role.value}: viewers can read and export, not "
                                  "decide")
            reviewer = account.name
        return self.decisions.record(left_id, right_id, relationship, reviewer, rationale=rationale,
                                     strength=strength, note=note)

    # --- accounts -------------------------------------------------------------------------------------------

    @property
    def accounts(self) -> "Accounts":
        if self._accounts is None:
            from crosswalk.review.accounts import Accounts

            self._accounts = Accounts(self.workspace.database)
        return self._accounts

    @_locked
    def sign_in_required(self) -> bool:
        """Whether any account exists: then everyone signs in, and decisions record the signed-in account."""
        return self.accounts.exist()

    @_locked
    def sign_in(self, name: str, password: str, client: str = "") -> str:
        """A session token, or SignInError (wrong password, disabled account, too many failures: wait)."""
        return self.accounts.sign_in(name, password, client)

    @_locked
    def session(self, token: str | None) -> "Account | None":
        return self.accounts.session(token)

    @_locked
    def sign_out(self, token: str | None) -> None:
        self.accounts.sign_out(token)

    @_locked
    def latest_by(self, left_id: str, right_id: str, reviewer: str) -> Decision | None:
        """`reviewer`'s latest decision on the pair (to prefill the form), or None."""
        mine = [d for d in self.decisions.history(left_id, right_id) if d.reviewer == (reviewer or "").strip()]
        return mine[-1] if mine else None

    @_locked
    def reviewers(self) -> list[str]:
        return [r[0] for r in self.decisions.conn.execute("SELECT DISTINCT reviewer FROM decisions ORDER BY 1")]

    @_locked
    def decision_rows(self, relationships: Sequence[str] = (), reviewers: Sequence[str] = (),
                      jurisdictions: Sequence[str] = (), stale_only: bool = False, text: str = "") -> list[dict]:
        """The current decisions (latest per pair and reviewer), newest first, filtered; one dict per row."""
        from crosswalk.index.citations import display_citation

        current = self.decisions.current()
        ids = sorted({d.left_id for d in current} | {d.right_id for d in current})
        provs = {p.id: p for p in self.store.get_many(ids)}
        rows = []
        needle = text.strip().casefold()
        for d in reversed(current):
            left, right = provs.get(d.left_id), provs.get(d.right_id)
            if relationships and d.relationship not in relationships:
                continue
            if reviewers and d.reviewer not in reviewers:
                continue
            if jurisdictions and not ({left.jurisdiction if left else "", right.jurisdiction if right else ""}
                                      & set(jurisdictions)):
                continue
            if stale_only and not d.stale:
                continue
            row = {
                "focal": display_citation(left) if left else d.left_id,
                "relationship": d.relationship,
                "reference": display_citation(right) if right else d.right_id,
                "rationale": d.rationale,
                "strength": d.strength,
                "note": d.note,
                "reviewer": d.reviewer,
                "date": d.created_at[:19].replace("T", " "),
                "stale": d.stale,
                "focal_id": d.left_id,
                "reference_id": d.right_id,
            }
            if needle and not any(needle in str(v).casefold() for v in row.values()):
                continue
            rows.append(row)
        return rows

    # --- coverage and gaps ----------------------------------------------------------------------------------

    def _current_cte(self) -> str:
        counterpart = ",".join(f"'{r}'" for r in COUNTERPART_RELATIONSHIPS)
        queue = ("SELECT left_id AS id FROM review_queue UNION SELECT right_id FROM review_queue"
                 if self._has_queue() else "SELECT NULL AS id WHERE 1 = 0")
        return (
            "WITH cur AS (SELECT d.left_id, d.right_id, d.relationship FROM decisions d WHERE d.seq IN "
            "(SELECT MAX(seq) FROM decisions GROUP BY left_id, right_id)), "
            f"cand AS ({queue}), "
            "rev AS (SELECT left_id AS id FROM cur WHERE relationship != 'unsure' "
            "UNION SELECT right_id FROM cur WHERE relationship != 'unsure'), "
            f"cp AS (SELECT left_id AS id FROM cur WHERE relationship IN ({counterpart}) "
            f"UNION SELECT right_id FROM cur WHERE relationship IN ({counterpart})) "
        )

    @_locked
    def coverage(self) -> list[dict]:
        """One row per topic and jurisdiction: `provisions`, `candidates` (in the review queue on either side),
        `reviewed` (a pair with a decision other than unsure), `counterparts` (a pair marked equal, subset-of,
        superset-of or intersects-with). The latest decision on a pair, by anyone, counts."""
        sql = self._current_cte() + (
            f"SELECT COALESCE(t.value, '{NO_TOPIC}') AS topic, p.jurisdiction AS jurisdiction, COUNT(*) AS provisions, "
            "SUM(CASE WHEN p.id IN (SELECT id FROM cand) THEN 1 ELSE 0 END) AS candidates, "
            "SUM(CASE WHEN p.id IN (SELECT id FROM rev) THEN 1 ELSE 0 END) AS reviewed, "
            "SUM(CASE WHEN p.id IN (SELECT id FROM cp) THEN 1 ELSE 0 END) AS counterparts "
            "FROM provisions p LEFT JOIN json_each(p.topics) t ON 1 = 1 GROUP BY 1, 2 ORDER BY 1, 2"
        )
        return [dict(r) for r in self.store.conn.execute(sql)]

    @_locked
    def gaps(self, jurisdiction: str, topic: str | None = None, limit: int = 500) -> tuple[int, list[dict]]:
        """(how many, first `limit`): provisions of `jurisdiction` that a reviewer could map (no headings or
        fragments, see `crosswalk.index.match_terms.skip_reason`) and that no current decision marks as having a
        counterpart.
        `status` says how far each got: `no candidates`, `not reviewed`, `reviewed: no counterpart`."""
        from crosswalk.index.citations import display_citation
        from crosswalk.index.match_terms import skip_reason

        # the same answer until a decision is recorded or the queue changes (it reads every provision)
        queued = self.store.conn.execute("SELECT COUNT(*) FROM review_queue").fetchone()[0] if self._has_queue() else 0
        key = (jurisdiction, topic, limit, self.decisions.count(), queued)
        if key in self._gaps:
            return self._gaps[key]
        where, args = ["p.jurisdiction = ?", "p.id NOT IN (SELECT id FROM cp)"], [jurisdiction]
        if topic and topic != NO_TOPIC:
            where.append("EXISTS (SELECT 1 FROM json_each(p.topics) t WHERE t.value = ?)")
            args.append(topic)
        elif topic == NO_TOPIC:
            where.append("p.topics = '[]'")
        from crosswalk.ingest.store import PROVISION_COLUMNS

        cols = ", ".join(f"p.{c.strip()}" for c in PROVISION_COLUMNS.split(","))
        sql = self._current_cte() + (
            f"SELECT {cols}, p.id IN (SELECT id FROM cand) AS has_cand, p.id IN (SELECT id FROM rev) AS has_rev "
            f"FROM provisions p WHERE {' AND '.join(where)} ORDER BY p.doc_id, p.ordinal"
        )
        rows = self.store.conn.execute(sql, args).fetchall()
        provs = self.store._rows_to_provisions(rows, with_entities=False)
        out = []
        total = 0
        for p, r in zip(provs, rows):
            if skip_reason(p):
                continue
            total += 1
            if len(out) < limit:
                status = ("reviewed: no counterpart" if r["has_rev"] else "not reviewed" if r["has_cand"]
                          else "no candidates")
                out.append({"citation": display_citation(p), "document": self._documents().get(p.doc_id, {}).get(
                    "title", p.doc_id), "heading": " › ".join(p.heading_path), "topics": ", ".join(p.topics),
                    "status": status, "id": p.id})
        self._gaps[key] = (total, out)
        while len(self._gaps) > 16:
            self._gaps.popitem(last=False)
        return total, out

    # --- export ---------------------------------------------------------------------------------------------

    @_locked
    def export(self, fmt: str) -> bytes:
        """The crosswalk (current decisions, OLIR columns) as CSV, XLSX or JSON bytes (`crosswalk.review.export`)."""
        from crosswalk.review.export import export

        return export(self.store, self.decisions.current(), fmt)

    # --- the ranker and the reviewer loop -------------------------------------------------------------------

    @_locked
    def training_state(self) -> "TrainingState":
        """The saved ranker and how many decisions arrived since it was trained (`crosswalk.app_pages.training`)."""
        from crosswalk.app_pages.training import training_state

        return training_state(self.workspace, self.decisions)

    def retrain(self, progress=None) -> "RetrainResult":
        """Train the ranker again from the gold dev half and every current decision; candidates matched live
        are forgotten so the next ones come from the new model (`crosswalk.app_pages.training.retrain`)."""
        from crosswalk.app_pages.training import retrain

        result = retrain(self.workspace, progress=progress)
        with self._lock:
            self._live.clear()
        return result

    @_locked
    def queue_reason(self, left_id: str, right_id: str) -> dict | None:
        """Why a queued pair is where it is, when `crosswalk match` ordered the queue to teach (`crosswalk.index.active`)."""
        from crosswalk.index.active import order_reason

        return order_reason(self.store, left_id, right_id)

    # --- evaluation -----------------------------------------------------------------------------------------

    def learning_curve(self) -> dict | None:
        """The curve `crosswalk bench learning-curve` saved (`crosswalk.evaluation.curve`), or None when there is none."""
        from crosswalk.evaluation.curve import load_curve

        return load_curve(self.workspace)

    def evaluation(self) -> EvalView | None:
        """Results saved by `crosswalk eval` as `workspace/eval/latest.json`, or None when there are none.

        Reads both shapes: the bare `{system: {metric: value}}` that `crosswalk eval --json` prints, and the
        report's `{"retrievers": {...}, "generated_at", "commit", "warnings", "agreement", …}`. A file of
        another shape is a ConfigError naming it."""
        path = self.workspace.root / EVAL_FILE
        if not path.exists():
            return None
        fix = "re-run `crosswalk eval` to write it again"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ConfigError(f"cannot read evaluation results {path}: {e}; {fix}") from None
        meta = {}
        if isinstance(data, dict) and isinstance(data.get("retrievers"), dict):
            meta, data = data, data["retrievers"]
        if not isinstance(data, dict) or not data:
            raise ConfigError(f"{path} is not {{retriever: {{metric: value}}}}; {fix}")
        rows, metrics, ci, judged = [], [], {}, {}
        for name, values in data.items():
            if not isinstance(values, dict):
                raise ConfigError(f"{path}: results for {name!r} are not {{metric: value}}; {fix}")
            row = {"retriever": str(name)}
            for m, v in values.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    row[str(m)] = float(v)
                    if m not in metrics:
                        metrics.append(str(m))
            for m in list(row)[1:]:
                bounds = values.get(f"{m}_ci")
                if isinstance(bounds, list) and len(bounds) == 2 and all(isinstance(b, (int, float)) for b in bounds):
                    ci[(str(name), m)] = (float(bounds[0]), float(bounds[1]))
            evaluated = values.get("evaluated")
            share = evaluated.get(f"judged@{JUDGED_DEPTH}") if isinstance(evaluated, dict) else None
            if isinstance(share, (int, float)) and not isinstance(share, bool):
                judged[str(name)] = float(share)
            rows.append(row)
        folder = path.parent
        agreement = meta.get("agreement") or ()
        run_meta = meta.get("meta") if isinstance(meta.get("meta"), dict) else {}
        gold = run_meta.get("gold")
        pooled = tuple((str(j.get("path", "")), int(j.get("added") or 0))
                       for j in ((gold or {}).get("judged") or ()) if isinstance(j, dict))
        settings = {k: run_meta[k] for k in ("split", "k", "citation_lookup", "queries", "pair_queries")
                    if k in run_meta}
        from crosswalk.evaluation.history_db import DatabaseHistory

        entries, problems = eval_history.load(DatabaseHistory(self.workspace.database_url)
                                              if self.workspace.database_url else folder / eval_history.HISTORY)
        # this run's comparability keys, from latest.json itself (a repeated run is not added to the history)
        latest = {"settings": {k: run_meta.get(k) for k in ("k", "citation_lookup")}
                  | {"fingerprint": run_meta.get("fingerprint") if isinstance(run_meta.get("fingerprint"), dict)
                     else {}},
                  "systems": {str(n): {"gold": "pairs" if str(n).startswith("pairs:") else "queries"} for n in data}}
        rows_over_time = eval_history.comparable_rows(entries, latest)
        return EvalView(
            str(path), tuple(rows), tuple(metrics), ci,
            generated_at=str(meta.get("generated_at") or ""), commit=str(meta.get("commit") or ""),
            warnings=tuple(str(w) for w in meta.get("warnings") or ()),
            agreement=tuple(a for a in agreement if isinstance(a, dict)),
            report=str(folder / "report.md") if (folder / "report.md").exists() else "",
            chart=str(folder / "metrics.png") if (folder / "metrics.png").exists() else "",
            judged=judged, pooled=pooled, settings=settings,
            since=tuple(c for c in meta.get("since") or () if isinstance(c, dict)),
            history=tuple(rows_over_time), runs=len(entries), problems=tuple(problems),
        )


# --- starting the app -----------------------------------------------------------------------------------------

# the Streamlit script inside the package, so an installed wheel can start the app as a checkout does
APP_SCRIPT = Path(__file__).resolve().with_name("app.py")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def app_command(workspace: Workspace, host: str = "127.0.0.1", port: int = 8501,
                python: str | None = None) -> tuple[list[str], dict[str, str]]:
    """(argv, extra environment) that start the app with Streamlit on `host:port` for `workspace`.

    >>> argv, env = app_command(Workspace(Path("/tmp/ws")), port=8600, python="python")
    >>> argv[:4], argv[argv.index("--server.address") + 1], env["CROSSWALK_WORKSPACE"]
    (['python', '-m', 'streamlit', 'run'], '127.0.0.1', '/tmp/ws')
    """
    import sys

    if not 1 <= int(port) <= 65535:
        raise ConfigError(f"port {port} is out of range: use 1 to 65535 (8501 is Streamlit's usual one)")
    argv = [
        python or sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT),
        "--server.address", host, "--server.port", str(int(port)), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
        # no file watcher: the app's code does not change under a reviewer, and watching the checkout (with
        # its workspace and venv) floods inotify and costs CPU
        "--server.fileWatcherType", "none",
    ]
    return argv, {"CROSSWALK_WORKSPACE": str(workspace.root)}
