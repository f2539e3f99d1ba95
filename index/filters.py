"""Search filters: which provisions a query may return.

A filter is resolved against the store *before* retrieval into the set of allowed provisions, and the
retrievers search only inside that set (BM25 masks the scores of the others, FAISS searches the allowed rows).
So a filtered query still returns `k` hits whenever `k` allowed provisions match: nothing is cut after a
top-k truncation.

Values of one filter are alternatives (`jurisdiction=("US", "UK")` is US or UK); different filters must all
hold. Matching rules, chosen for people typing at a command line:

- `jurisdiction`: one of US, UK, EU, INTL (any case). Anything else is a `QueryError` naming those.
- `doc_type`: one of the `DocType` values (statute, regulation, rulebook, guidance, consultation,
  policy_statement, report).
- `issuer`: a case-insensitive part of the issuer's name (`fca`, `congress`); it must match some document.
- `doc_id`: a document id as in the manifest (any case).
- `topic`: a topic of the shared taxonomy, or a case-insensitive part of one (`custody`).
- `entity`: `LABEL:text` (`REGULATOR:FCA`), a bare label (`CRYPTO_ASSET`), or bare text (`stablecoin`).
  Text matches an entity whose text is that text, or has it as whole words at its start, end or middle,
  ignoring ASCII case: `SEC` matches "the SEC" but not "section 5".
- `within`: provision ids (a cited provision's subtree: "GENIUS sec.4 reserve assets" searches inside sec.4).
- `date_from` / `date_to`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, inclusive, on the document's date. A partial
  date is the whole year or month, on both sides: a document dated `2023` passes `date_from="2023-06"`.
  Documents without a date fail any date filter.

Example:
    >>> Filters(jurisdiction="uk", topic="custody").jurisdiction
    ('UK',)
    >>> Filters(jurisdiction="FR")
    Traceback (most recent call last):
    crosswalk.errors.QueryError: unknown jurisdiction 'FR': use one of US, UK, EU, INTL
"""

from __future__ import annotations

import calendar
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import TYPE_CHECKING, Iterable, Sequence

from crosswalk.errors import QueryError
from crosswalk.ingest.models import DocType, Jurisdiction

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from crosswalk.ingest.store import Store

_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def _members(values: tuple[str, ...], vocabulary, what: str, fold) -> tuple[str, ...]:
    """`values` case-folded by `fold`, each a value of the enum `vocabulary`; a QueryError naming the first that is
    not, and the allowed values."""
    allowed = [m.value for m in vocabulary]
    for v in values:
        if fold(v) not in allowed:
            raise QueryError(f"unknown {what} {v!r}: use one of {', '.join(allowed)}")
    return tuple(fold(v) for v in values)


def _as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    return tuple(v.strip() for v in value if v is not None and v.strip())


def date_span(value: str, what: str = "date") -> tuple[date, date]:
    """The first and last day a (partial) ISO date covers.

    Example:
        >>> date_span("2023")
        (datetime.date(2023, 1, 1), datetime.date(2023, 12, 31))
        >>> date_span("2024-02")[1]
        datetime.date(2024, 2, 29)
    """
    m = _DATE.match(value.strip())
    if not m:
        raise QueryError(f"{what} {value!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2023-05-31)")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if mo is None:
            return date(y, 1, 1), date(y, 12, 31)
        if d is None:
            last = calendar.monthrange(y, int(mo))[1]
            return date(y, int(mo), 1), date(y, int(mo), last)
        day = date(y, int(mo), int(d))
        return day, day
    except ValueError:
        raise QueryError(f"{what} {value!r} is not a calendar date; use YYYY, YYYY-MM or YYYY-MM-DD") from None


def _allowed_list(values: Iterable[str], limit: int = 20) -> str:
    values = sorted(set(values))
    shown = "; ".join(values[:limit])
    return shown + (f"; … ({len(values) - limit} more)" if len(values) > limit else "")


@dataclass(frozen=True)
class Filters:
    """Restrictions on what a search may return; every field accepts one string or several.

    Example: Filters(jurisdiction="UK", entity="REGULATOR:FCA", date_from="2023")
    """

    jurisdiction: tuple[str, ...] = ()
    issuer: tuple[str, ...] = ()
    doc_type: tuple[str, ...] = ()
    doc_id: tuple[str, ...] = ()
    topic: tuple[str, ...] = ()
    entity: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    within: tuple[str, ...] = ()

    def __post_init__(self):
        for f in ("jurisdiction", "issuer", "doc_type", "doc_id", "topic", "entity", "within"):
            object.__setattr__(self, f, _as_tuple(getattr(self, f)))
        object.__setattr__(self, "jurisdiction", _members(self.jurisdiction, Jurisdiction, "jurisdiction", str.upper))
        object.__setattr__(self, "doc_type", _members(self.doc_type, DocType, "doc_type", str.lower))
        for f in ("date_from", "date_to"):
            v = getattr(self, f)
            if v is not None and not str(v).strip():
                object.__setattr__(self, f, None)
            elif v is not None:
                date_span(str(v), f)
                object.__setattr__(self, f, str(v).strip())
        if self.date_from and self.date_to and date_span(self.date_from)[0] > date_span(self.date_to)[1]:
            raise QueryError(f"date_from {self.date_from} is after date_to {self.date_to}; swap them")

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def describe(self) -> str:
        """`jurisdiction=UK topic=custody`: the filters that are set, for messages."""
        parts = []
        for f in fields(self):
            v = getattr(self, f.name)
            if v and f.name == "within":
                parts.append(f"within={len(v)} provision(s)")
            elif v:
                parts.append(f"{f.name}={','.join(v) if isinstance(v, tuple) else v}")
        return " ".join(parts)


# --- resolution against the store ------------------------------------------------------------------------------


def _allowed_docs(store: "Store", f: Filters) -> set[str] | None:
    """Documents passing the document-level filters (issuer, doc_type, doc_id, dates), or None if none is set."""
    if not (f.issuer or f.doc_type or f.doc_id or f.date_from or f.date_to):
        return None
    docs = store.documents()
    keep = {d["id"] for d in docs}
    if f.issuer:
        issuers = {d["issuer"] for d in docs}
        for want in f.issuer:
            if not any(want.casefold() in i.casefold() for i in issuers):
                raise QueryError(f"no document has issuer {want!r}: issuers are {_allowed_list(issuers)}")
        keep &= {d["id"] for d in docs if any(w.casefold() in d["issuer"].casefold() for w in f.issuer)}
    if f.doc_type:
        keep &= {d["id"] for d in docs if d["doc_type"] in f.doc_type}
    if f.doc_id:
        by_fold = {d["id"].casefold(): d["id"] for d in docs}
        wanted = set()
        for want in f.doc_id:
            if want.casefold() not in by_fold:
                raise QueryError(f"no document {want!r} in the store: documents are {_allowed_list(by_fold.values())}")
            wanted.add(by_fold[want.casefold()])
        keep &= wanted
    if f.date_from or f.date_to:
        lo = date_span(f.date_from)[0] if f.date_from else date.min
        hi = date_span(f.date_to)[1] if f.date_to else date.max
        dated = set()
        for d in docs:
            if not _DATE.match((d["date"] or "").strip()):
                continue
            try:
                start, end = date_span(d["date"])
            except QueryError:
                continue  # an impossible stored date (2023-02-30) fails the filter like a missing one
            if start <= hi and end >= lo:
                dated.add(d["id"])
        keep &= dated
    return keep


def _resolve_topics(store: "Store", wanted: Sequence[str]) -> list[str]:
    topics = set(store.topics())
    if not topics:
        raise QueryError(
            "no provision in the store has topics (ingested with --no-tags?): drop the topic filter or re-run "
            "`crosswalk ingest` without --no-tags"
        )
    out: list[str] = []
    for want in wanted:
        exact = [t for t in topics if t.casefold() == want.casefold()]
        matched = exact or [t for t in topics if want.casefold() in t.casefold()]
        if not matched:
            raise QueryError(f"unknown topic {want!r}: topics are {_allowed_list(topics)}")
        out.extend(matched)
    return sorted(set(out))


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _entity_clause(store: "Store", wanted: Sequence[str]) -> tuple[str, list]:
    labels = {r[0] for r in store.conn.execute("SELECT DISTINCT label FROM entities")}
    if not labels:
        raise QueryError(
            "no provision in the store has entities (ingested with --no-tags?): drop the entity filter or "
            "re-run `crosswalk ingest` without --no-tags"
        )
    ors, args = [], []
    for want in wanted:
        label, text = None, want
        head, sep, tail = want.partition(":")
        if sep and head.strip().upper() in labels:
            label, text = head.strip().upper(), tail.strip()
        elif sep and re.fullmatch(r"[A-Z_]+", head.strip()):
            raise QueryError(f"unknown entity label {head.strip()!r}: labels are {_allowed_list(labels)}")
        elif not sep and want in labels:
            label, text = want, ""
        conds = []
        if label:
            conds.append("e.label = ?")
            args.append(label)
        if text:
            t = text.lower()
            esc = _like_escape(t)
            conds.append(
                "(lower(e.text) = ? OR lower(e.text) LIKE ? ESCAPE '\\' OR lower(e.text) LIKE ? ESCAPE '\\' "
                "OR lower(e.text) LIKE ? ESCAPE '\\')"
            )
            args.extend([t, f"{esc} %", f"% {esc}", f"% {esc} %"])
        ors.append("(" + " AND ".join(conds) + ")")
    clause = "EXISTS (SELECT 1 FROM entities e WHERE e.provision_id = p.id AND (" + " OR ".join(ors) + "))"
    return clause, args


def allowed_provision_ids(store: "Store", filters: Filters | None) -> set[str] | None:
    """The ids of the provisions `filters` lets through, or None when no filter is set (everything passes).

    Raises QueryError for a value the store does not know (an issuer, topic, entity label or document id),
    naming the values it does know.
    """
    if not filters:
        return None
    if filters.within:
        rest = replace(filters, within=())
        inside = set(filters.within)
        return inside if not rest else inside & allowed_provision_ids(store, rest)
    where, args = [], []
    if filters.jurisdiction:
        where.append(f"p.jurisdiction IN ({','.join('?' * len(filters.jurisdiction))})")
        args.extend(filters.jurisdiction)
    docs = _allowed_docs(store, filters)
    if docs is not None:
        if not docs:
            return set()
        where.append(f"p.doc_id IN ({','.join('?' * len(docs))})")
        args.extend(sorted(docs))
    if filters.topic:
        topics = _resolve_topics(store, filters.topic)
        where.append(
            f"EXISTS (SELECT 1 FROM json_each(p.topics) t WHERE t.value IN ({','.join('?' * len(topics))}))"
        )
        args.extend(topics)
    if filters.entity:
        clause, eargs = _entity_clause(store, filters.entity)
        where.append(clause)
        args.extend(eargs)
    sql = "SELECT p.id FROM provisions p" + (" WHERE " + " AND ".join(where) if where else "")
    return {r[0] for r in store.conn.execute(sql, args)}


class FilterResolver:
    """Turns `Filters` into a boolean mask over a fixed list of provision ids (an index's `ids.json`), cached.

    Example: FilterResolver(store, ids).mask(Filters(jurisdiction="UK")) -> array([False, True, …])
    """

    def __init__(self, store: "Store", ids: Sequence[str], cache_size: int = 64):
        self.store = store
        self.ids = list(ids)
        self.positions = {pid: i for i, pid in enumerate(self.ids)}
        self._cache: OrderedDict[Filters, "np.ndarray"] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # the app searches from several threads

    def mask(self, filters: Filters | None) -> "np.ndarray | None":
        """True for each allowed provision, in `ids` order; None when no filter is set."""
        import numpy as np

        if not filters:
            return None
        with self._lock:
            if filters in self._cache:
                self._cache.move_to_end(filters)
                return self._cache[filters]
        allowed = allowed_provision_ids(self.store, filters)
        m = np.zeros(len(self.ids), dtype=bool)
        m[[self.positions[pid] for pid in allowed if pid in self.positions]] = True
        m.setflags(write=False)
        with self._lock:
            self._cache[filters] = m
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return m
