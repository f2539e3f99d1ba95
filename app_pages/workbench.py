"""The service layer behind the app: everything the pages show, computed here; the pages only lay it out.

One `Workbench` per workspace, opened once per server process (`st.cache_resource` in the app). It holds a
read-only `Store`, a `DecisionStore` (the only writer: reviewers' decisions), and the saved search index,
loaded on first use and never rebuilt here (no embedding at start-up). Methods return plain records (views,
`crosswalk.app_pages.views`) whose `*_html` fields are already safe: document text goes through
`crosswalk.review.highlight`, which escapes it before adding our own `<mark>`/`<span>` tags
(`crosswalk.app_pages.cards`).

- Search: `facets()`, `search(query, filters)` → `SearchHit`s with a highlighted snippet and a publisher link.
- Review: `queue_directions()`, `queue_at(direction, position)`, `progress(direction)`,
  `candidates(left_id, to_jur)`, `pair(left_id, right_id)`, `record(...)`, `history(left_id, right_id)`.
- Crosswalk: `decision_rows(...)`, `coverage()`, `gaps(jurisdiction)`, `export(fmt)`
  (`crosswalk.app_pages.review_progress`).
- Reviewer loop: `training_state()` (decisions since the ranker's last training), `retrain()`,
  `queue_reason(left_id, right_id)`.
- Evaluation: `evaluation()` reads `workspace/eval/latest.json` when `crosswalk eval` has written one
  (`crosswalk.evaluation.latest`); `learning_curve()` reads `workspace/eval/learning_curve.json`.

Starting the app is `crosswalk.app_pages.launch`.

Example:
    wb = Workbench.open("workspace")
    hits = wb.search("custody of client cryptoassets", SearchFilters(jurisdiction=("UK",)))
    pair = wb.pair(hits[0].provision_id, wb.candidates(hits[0].provision_id)[0].right_id)
    wb.record(pair.left.id, pair.right.id, "equal", "ana", rationale="semantic", strength=8)
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from crosswalk.errors import CrosswalkError, IndexStateError, NotFoundError, StoreError
from crosswalk.workspace import Workspace
from crosswalk.ingest.models import Provision
from crosswalk.review.accounts import SignInError
from crosswalk.review.decisions import Decision, DecisionStore
from crosswalk.app_pages import cards
from crosswalk.app_pages import review_progress
from crosswalk.app_pages.views import (CandidateView, Facets, PairView, ProvisionView, QueueSlot, SearchAnswer,
                                       SearchFilters, SearchHit, Status, other_jurisdiction)

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.evaluation.latest import EvalView
    from crosswalk.index.match_results import Candidate
    from crosswalk.index.retrievers import Searcher
    from crosswalk.ingest.store import Store
    from crosswalk.review.accounts import Account, Accounts
    from crosswalk.app_pages.training import RetrainResult, TrainingState

log = logging.getLogger(__name__)

MAX_CHILDREN = 40  # descendants shown under a focal provision


def _locked(method):
    @wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


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
        return Facets(
            jurisdictions=tuple(sorted({d["jurisdiction"] for d in docs})),
            issuers=tuple(sorted({d["issuer"] for d in docs if d["issuer"]})),
            doc_types=tuple(sorted({d["doc_type"] for d in docs if d["doc_type"]})),
            topics=tuple(self.store.topics()),
        )

    @_locked
    def status(self) -> Status:
        if self._counts is None:
            self._counts = self.store.count()
        counts = self._counts
        return Status(str(self.workspace.root), counts["documents"], counts["provisions"], self.decisions.count(),
                      self._queued(), self.index_status())

    def _queued(self) -> int:
        from crosswalk.index.queue import queue_counts

        return sum(queue_counts(self.store).values())

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
        parents = self.store.get_many([p.parent_id]) if p.parent_id else []
        kids = self.store.descendants(p.id)[:MAX_CHILDREN] if self.store.has_children(p.id) else []
        return cards.provision_view(p, self._documents().get(p.doc_id, {}), parents[0] if parents else None, kids,
                                    terms, sentence, child_terms)

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
        found = {p.id: p for p in self.store.get_many(results.ids(), with_entities=True)}
        out = []
        for h in results:
            p = found.get(h.provision_id)
            if p is None:
                raise IndexStateError(
                    f"the index returned {h.provision_id!r}, which the store no longer holds; run `crosswalk index`")
            out.append(cards.search_hit(h.rank, h.score, p, self._documents().get(p.doc_id, {}), query,
                                        cited=h.rank <= n_cited))
        return out

    # --- the review queue -----------------------------------------------------------------------------------

    @_locked
    def queue_directions(self) -> list[tuple[str, str]]:
        """The directions the queue holds, most rows first: `[("US", "UK"), ("UK", "US")]`."""
        from crosswalk.index.queue import queue_counts

        counts = queue_counts(self.store)
        return sorted(counts, key=lambda d: (-counts[d], d))

    def _queue(self, direction: tuple[str, str] | None) -> list[tuple[str, str]]:
        from crosswalk.index.queue import queue_pairs

        return queue_pairs(self.store, *(direction or (None, None)))

    @_locked
    def progress(self, direction: tuple[str, str] | None = None) -> tuple[int, int]:
        """(reviewed, queued): queued pairs whose latest decision (by anyone) is not `unsure`, and all of them."""
        pairs = self._queue(direction)
        decided = review_progress.decided_pairs(self.decisions) if pairs else set()
        return sum(pair in decided for pair in pairs), len(pairs)

    @_locked
    def queue_at(self, direction: tuple[str, str] | None, position: int, *, unreviewed_only: bool = False,
                 step: int = 0) -> QueueSlot | None:
        """The queue item at `position` (0-based, highest priority first), or None for an empty queue.

        With `step` (+1 or -1) and `unreviewed_only`, the nearest unreviewed item after (or before) `position`;
        positions past either end stop at the end.
        """
        pairs = self._queue(direction)
        decided = review_progress.decided_pairs(self.decisions) if pairs else set()
        return review_progress.queue_slot(pairs, decided, position, unreviewed_only=unreviewed_only, step=step)

    # --- candidates and pairs -------------------------------------------------------------------------------

    def _citations(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        from crosswalk.index.citation_display import display_citation

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
            decided = {d.right_id: d.relationship for d in self.decisions.latest(left_id)}
        return [
            CandidateView(left_id, rid, names.get(rid, (rid, ""))[0], names.get(rid, (rid, ""))[1], score, rank,
                          mutual, tuple(shared), dict(expl or {}), queued_flag, decided.get(rid, ""))
            for rid, score, rank, mutual, shared, expl, queued_flag in rows
        ]

    def _queued_for(self, left_id: str, to_jur: str) -> list[tuple]:
        """The queue's rows for `left_id` towards `to_jur`, by rank, as candidate tuples."""
        from crosswalk.index.queue import queued_for

        return [(q.right_id, q.score, q.rank, q.mutual, q.shared_terms, q.explanation, True)
                for q in queued_for(self.store, left_id, to_jur)]

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
            lv = self._view(left, cards.terms_for_side(shared, "left"), explanation.get("left", ""))
            rv = self._view(right, cards.terms_for_side(shared, "right"), explanation.get("right", ""))
            history = tuple(self.decisions.history(left_id, right_id))
        latest = history[-1] if history else None
        return PairView(lv, rv, candidate, shared, explanation, history, latest,
                        cards.pair_summary(candidate, shared, explanation))

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
        return self.decisions.reviewers()

    @_locked
    def decision_rows(self, relationships: Sequence[str] = (), reviewers: Sequence[str] = (),
                      jurisdictions: Sequence[str] = (), stale_only: bool = False, text: str = "") -> list[dict]:
        """The current decisions (latest per pair and reviewer), newest first, filtered; one dict per row
        (`crosswalk.app_pages.review_progress.decision_rows`)."""
        current = self.decisions.current()
        ids = sorted({d.left_id for d in current} | {d.right_id for d in current})
        provisions = {p.id: p for p in self.store.get_many(ids)}
        return review_progress.decision_rows(current, provisions, relationships, reviewers, jurisdictions,
                                             stale_only, text)

    # --- coverage and gaps ----------------------------------------------------------------------------------

    @_locked
    def coverage(self) -> list[dict]:
        """One row per topic and jurisdiction: `provisions`, `candidates` (in the review queue on either side),
        `reviewed` (a pair with a decision other than unsure), `counterparts` (a pair marked equal, subset-of,
        superset-of or intersects-with). The latest decision on a pair, by anyone, counts."""
        return review_progress.coverage(self.store, review_progress.Standing.of(self.store, self.decisions))

    @_locked
    def gaps(self, jurisdiction: str, topic: str | None = None, limit: int = 500) -> tuple[int, list[dict]]:
        """(how many, first `limit`): provisions of `jurisdiction` that a reviewer could map and that no current
        decision marks as having a counterpart (`crosswalk.app_pages.review_progress.gaps`).
        `status` says how far each got: `no candidates`, `not reviewed`, `reviewed: no counterpart`."""
        # the same answer until a decision is recorded or the queue changes (it reads every provision)
        key = (jurisdiction, topic, limit, self.decisions.count(), self._queued())
        if key in self._gaps:
            return self._gaps[key]
        standing = review_progress.Standing.of(self.store, self.decisions)
        self._gaps[key] = review_progress.gaps(self.store, standing, self._documents(), jurisdiction, topic, limit)
        while len(self._gaps) > 16:
            self._gaps.popitem(last=False)
        return self._gaps[key]

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

    def evaluation(self) -> "EvalView | None":
        """Results saved by `crosswalk eval` as `workspace/eval/latest.json`, or None when there are none
        (`crosswalk.evaluation.latest.load_latest`: a file of another shape is a ConfigError naming it)."""
        from crosswalk.evaluation.latest import load_latest

        return load_latest(self.workspace)
