"""The citation resolver: what a query that cites something means in this store. Search and `show` both use it.

`resolve(store, query)` reads the query (`crosswalk.index.citations.parse_citation`, plus ranges and trailing words) and
answers with a `Resolution` of one of these kinds:

=============  ================================================================================================
kind           what the query was, and `ids`
=============  ================================================================================================
``found``      a citation of stored provisions: the cited provision first, its descendants in document order,
               then its parent context (nearest first). "GENIUS Act § 4(a)(7)", "cass 17.5.10r", "Art. 36 MiCA."
``range``      an en-dash range: each unit of the range in document order. "MiCA Articles 36–38"
``scoped``     a citation followed or preceded by words: the cited subtree, to search inside for `words`.
               "GENIUS sec.4 reserve assets", "CASS 16 reconciliation"
``ambiguous``  a citation without its document that several documents have: each document's provision (order
               them with `rank_choices`); `choices` name them. "500.11", "section 4"
``missing``    a stored document without the unit: `note` says what it has ("MiCA has Articles 1–149; no
               Article 150"); `ids` are the nearest units, never unrelated text.
``absent``     a document that is not in the store: `note` says so; no ids.
``none``       not a citation: an ordinary search.
=============  ================================================================================================

Lookups use `Catalog`, every stored citation held in memory (built once per store and rebuilt when the store
changes), so resolving a query takes microseconds and never needs the embedding model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from crosswalk.index.citation_display import format_citation
from crosswalk.index.citation_units import FCA_STATUS, citation_ancestors
from crosswalk.index.citations import CitationQuery, clean_query, parse_citation

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.ingest.store import Store

KINDS = ("found", "range", "scoped", "ambiguous", "missing", "absent", "none")
MAX_RANGE = 60  # units listed for one range
MAX_WORDS = 16  # a citation with words around it ("GENIUS sec.4 reserve assets") is at most this many words
_REPEAT = re.compile(r"\[\d+\]$")


@dataclass(frozen=True)
class Choice:
    """One document that has an ambiguous citation: its provision, and the full citation that picks it."""

    doc_id: str
    provision_id: str
    citation: str  # the full citation a lawyer writes: "23 NYCRR 500.11"


@dataclass(frozen=True)
class Resolution:
    """What a query cites (see the module docstring for `kind`)."""

    query: str
    kind: str
    ids: tuple[str, ...] = ()
    cited: int = 0  # how many of `ids` are the cited units themselves (the rest: descendants, then context)
    words: str = ""  # `scoped`: the words to search for inside the subtree
    note: str = ""
    choices: tuple[Choice, ...] = ()
    citation: CitationQuery | None = None


# --- the catalogue of stored citations ------------------------------------------------------------------------


@dataclass
class _Unit:
    id: str
    doc_id: str
    citation: str
    parent_id: str | None
    ordinal: int


class Catalog:
    """Every stored provision's citation, parent and position, in memory, for lookups without SQL.

    Example: Catalog.of(store).find(("EU-MICA-2023-1114",), "art.36") == ["EU-MICA-2023-1114:art.36"]
    """

    def __init__(self, rows: Sequence[tuple[str, str, str, str | None, int]], doc_order: Sequence[str]):
        self.units: dict[str, _Unit] = {}
        self.by_key: dict[str, list[_Unit]] = {}  # lower-cased citation without a repeat mark [2]
        self.by_rule: dict[str, list[_Unit]] = {}  # FCA rule number without its status letter
        self.children: dict[str, list[str]] = {}
        self.by_doc: dict[str, list[_Unit]] = {}
        self.books: dict[str, dict[str, None]] = {}  # FCA sourcebook -> the documents holding it
        self.doc_rank = {d: i for i, d in enumerate(doc_order)}
        for pid, doc_id, citation, parent_id, ordinal in rows:
            u = _Unit(pid, doc_id, citation, parent_id, ordinal)
            self.units[pid] = u
            self.by_key.setdefault(_REPEAT.sub("", citation).lower(), []).append(u)
            m = re.fullmatch(r"([A-Z]+ \d+\.\d+\.\d+)[" + FCA_STATUS + r"]", citation)
            if m:
                self.by_rule.setdefault(m.group(1).lower(), []).append(u)
            self.by_doc.setdefault(doc_id, []).append(u)
            if b := re.match(r"([A-Z]{2,8}) \d", citation):
                self.books.setdefault(b.group(1), {})[doc_id] = None
        for u in self.units.values():
            if u.parent_id:
                self.children.setdefault(u.parent_id, []).append(u.id)
        for kids in self.children.values():
            kids.sort(key=lambda i: self.units[i].ordinal)
        for units in self.by_doc.values():
            units.sort(key=lambda u: u.ordinal)
        self.docs_upper = {d.upper(): d for d in self.by_doc}

    @classmethod
    def of(cls, store: "Store") -> "Catalog":
        """The catalogue of `store`, built on first use and again only after the store changes."""
        conn = store.conn
        if getattr(conn, "dialect", "sqlite") == "postgresql":  # ids carry the citations: their count and ends
            version = tuple(conn.execute("SELECT count(*), min(id), max(id) FROM provisions").fetchone())
        else:
            version = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
        cached = getattr(store, "_citation_catalog", None)
        if cached is not None and cached[0] == version:
            return cached[1]
        rows = conn.execute("SELECT id, doc_id, citation, parent_id, ordinal FROM provisions").fetchall()
        docs = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY jurisdiction, id")]
        catalog = cls([tuple(r) for r in rows], docs)
        store._citation_catalog = (version, catalog)
        return catalog

    def stored_docs(self, doc_ids: Sequence[str]) -> list[str]:
        """The stored ones of `doc_ids` (any case), in the order given."""
        return [self.docs_upper[d.upper()] for d in doc_ids if d.upper() in self.docs_upper]

    def _order(self, units: list[_Unit], doc_ids: Sequence[str]) -> list[str]:
        given = {d.upper(): i for i, d in enumerate(doc_ids)}
        units = sorted(units, key=lambda u: (given.get(u.doc_id.upper(), len(given)),
                                             self.doc_rank.get(u.doc_id, 0), u.doc_id, u.ordinal))
        return [u.id for u in units]

    def find(self, doc_ids: Sequence[str], citation: str) -> list[str]:
        """Ids of the units cited `citation` in `doc_ids` (every document when empty), in document order.

        Exact first (a repeated designation, `78c(a)(80)[2]`, after the first); then ignoring case (`5318a`
        for `5318A`); then, for an FCA rule number without its status letter (`CASS 16.2.13`), any status.
        """
        wanted = {d.upper() for d in doc_ids}
        key = _REPEAT.sub("", citation).lower()
        pool = [u for u in self.by_key.get(key, ()) if not wanted or u.doc_id.upper() in wanted]
        exact = [u for u in pool if u.citation == citation or (_REPEAT.sub("", u.citation) == citation)]
        if not exact:
            exact = [u for u in pool if u.citation.lower() == citation.lower()]
        if not exact and citation.lower() in self.by_rule:
            exact = [u for u in self.by_rule[citation.lower()] if not wanted or u.doc_id.upper() in wanted]
        return self._order(exact, doc_ids)

    def descendants(self, pid: str) -> list[str]:
        """Every unit below `pid`, in document order."""
        out: list[str] = []
        stack = list(reversed(self.children.get(pid, ())))
        while stack:
            cur = stack.pop()
            out.append(cur)
            stack.extend(reversed(self.children.get(cur, ())))
        return sorted(out, key=lambda i: self.units[i].ordinal)

    def ancestors(self, pid: str) -> list[str]:
        """The units enclosing `pid`, nearest first."""
        out: list[str] = []
        cur = self.units[pid].parent_id
        while cur and cur in self.units and cur not in out:
            out.append(cur)
            cur = self.units[cur].parent_id
        return out


# --- reading the query ----------------------------------------------------------------------------------------

_DASH = r"\s*[–—]\s*|\s+-\s+|\s+to\s+"
_PLURAL = re.compile(r"\b(?:articles|arts|sections|secs|ss|§§|paragraphs|paras|¶¶|recitals|recommendations|recs|"
                     r"regulations|regs|rules|points|schedules)\b\.?", re.IGNORECASE)
_LABEL = r"\d+[A-Za-z]{0,3}(?:\.\d+)*[A-Za-z]?(?:\s*\(\s*\w+\s*\))*"
_CONNECTORS = {"in", "of", "under", "see", "per", "on", "about", "re", "at", "for", "to", "and", "the"}


def _range(text: str) -> tuple[str, str] | None:
    """("MiCA Articles 36", "MiCA Articles 38") for "MiCA Articles 36–38"; None when `text` is no range."""
    dash = _DASH + (r"|-" if _PLURAL.search(text) else "")
    m = re.search(r"(?P<a>" + _LABEL + r")(?:" + dash + r")(?P<b>" + _LABEL + r")", text)
    if not m:
        return None
    a, b = m.group("a"), m.group("b")
    head, tail = text[: m.start()], text[m.end():]
    # "CASS 16.2.1R–16.2.3R" keeps the book; "Articles 36–38" the unit word
    return f"{head}{a}{tail}", f"{head}{b}{tail}"


def _pair(text: str) -> tuple[str, str] | None:
    """("sections 4 of the GENIUS Act", "sections 5 of the GENIUS Act") for "sections 4 and 5 of the GENIUS Act"."""
    m = re.search(r"(?P<a>" + _LABEL + r")\s*(?:,|\band\b|&)\s*(?P<b>" + _LABEL + r")", text)
    if not m or not _PLURAL.search(text):
        return None
    head, tail = text[: m.start()], text[m.end():]
    return f"{head}{m.group('a')}{tail}", f"{head}{m.group('b')}{tail}"


def _split_words(text: str) -> tuple[CitationQuery, str] | None:
    """(citation, words) for a citation with words before or after it, longest citation first."""
    tokens = text.split(" ")
    n = len(tokens)
    if n > MAX_WORDS:
        return None
    for i in range(n - 1, 0, -1):  # citation first: "GENIUS sec.4 reserve assets"
        cand = " ".join(tokens[:i])
        if re.search(r"\d", cand) and (parsed := parse_citation(cand)):
            return parsed, " ".join(tokens[i:])
    for i in range(1, n):  # words first: "reserve assets under GENIUS sec.4"
        cand = " ".join(tokens[i:])
        if re.search(r"\d", cand) and (parsed := parse_citation(cand)):
            words = tokens[:i]
            while words and words[-1].lower() in _CONNECTORS:
                words.pop()
            return parsed, " ".join(words)
    return None


def _alternatives(parsed: CitationQuery) -> list[str]:
    """The citations a bare "section N" may be: `sec.N` in a US Act, `s.N` in a UK Act, the number in a code."""
    c = parsed.citation
    if parsed.doc_ids:
        return [c]
    if m := re.fullmatch(r"sec\.(.+)", c):
        return [c, f"s.{m.group(1)}", m.group(1)]
    if m := re.fullmatch(r"s\.(.+)", c):
        return [c, f"sec.{m.group(1)}"]
    if re.fullmatch(r"\d+[A-Za-z]{0,3}(?:\.\d+)?(?:[(\[].*)?", c):
        return [c, f"sec.{c}", f"s.{c}"]
    return [c]


# --- resolving ------------------------------------------------------------------------------------------------


def _heads(catalog: Catalog, parsed: CitationQuery) -> list[str]:
    """The units `parsed` cites; a bare "section 4" is every document's section 4, whatever its form."""
    heads: dict[str, None] = {}
    for citation in _alternatives(parsed):
        heads.update(dict.fromkeys(catalog.find(parsed.doc_ids, citation)))
    return list(heads)


def _found(catalog: Catalog, query: str, heads: list[str], parsed: CitationQuery) -> Resolution:
    """The cited units, each unit's descendants in document order, then the first one's parent context."""
    out: dict[str, None] = dict.fromkeys(heads)
    for h in heads:
        for d in catalog.descendants(h):
            out.setdefault(d, None)
    for a in catalog.ancestors(heads[0]):
        out.setdefault(a, None)
    return Resolution(query, "found", tuple(out), cited=len(heads), citation=parsed)


def _choices(catalog: Catalog, heads: list[str]) -> tuple[Choice, ...]:
    return tuple(Choice(catalog.units[h].doc_id, h, format_citation(catalog.units[h].doc_id, catalog.units[h].citation))
                 for h in heads)


def _one_per_doc(catalog: Catalog, heads: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for h in heads:
        seen.setdefault(catalog.units[h].doc_id, h)
    return list(seen.values())


def resolve(store: "Store", query: str) -> Resolution:
    """What `query` cites in `store` (see the module docstring).

    Example: resolve(store, "MiCA Art. 150").note == "MiCA has Articles 1–149; no Art. 150"
    """
    from crosswalk.index.nearest import missing_note

    catalog = Catalog.of(store)
    text = clean_query(query)
    parsed = parse_citation(text) if text else None
    if parsed is None and text and re.search(r"\d", text):
        if (rng := _range(text)) is not None:
            res = _resolve_range(catalog, query, rng)
            if res is not None:
                return res
        if (pair := _pair(text)) is not None:
            res = _resolve_pair(catalog, query, pair)
            if res is not None:
                return res
        split = _split_words(text)
        if split is not None:
            inner = _resolve_parsed(catalog, query, split[0], missing_note)
            if inner.kind in ("found", "ambiguous"):
                subtree: dict[str, None] = {}
                heads = list(inner.ids[: inner.cited]) if inner.kind == "found" else list(inner.ids)
                for h in heads:
                    subtree[h] = None
                    subtree.update(dict.fromkeys(catalog.descendants(h)))
                return Resolution(query, "scoped", tuple(subtree), cited=len(heads), words=split[1],
                                  choices=inner.choices, citation=split[0])
            return inner
        return Resolution(query, "none")
    if parsed is None:
        return Resolution(query, "none")
    return _resolve_parsed(catalog, query, parsed, missing_note)


def _resolve_parsed(catalog: Catalog, query: str, parsed: CitationQuery, missing_note) -> Resolution:
    heads = _heads(catalog, parsed)
    if heads:
        docs = {catalog.units[h].doc_id for h in heads}
        if not parsed.doc_ids and len(docs) > 1:
            heads = _one_per_doc(catalog, heads)
            return Resolution(query, "ambiguous", tuple(heads), cited=len(heads), choices=_choices(catalog, heads),
                              note=f"{query.strip()!r} is in {len(heads)} documents: pick one", citation=parsed)
        return _found(catalog, query, heads, parsed)
    stored = catalog.stored_docs(parsed.doc_ids)
    if parsed.doc_ids and not stored:
        names = " / ".join(parsed.doc_ids)
        return Resolution(query, "absent", note=f"{names} is not in this workspace: nothing is cited by "
                          f"{query.strip()!r} (`crosswalk ingest` adds documents)", citation=parsed)
    if not parsed.doc_ids and (b := re.match(r"([A-Z]{2,8}) \d", parsed.citation)) and b.group(1) in catalog.books:
        stored = list(catalog.books[b.group(1)])  # an FCA rule the sourcebook's documents lack
    elif not parsed.doc_ids:
        return Resolution(query, "none", citation=parsed)  # a bare citation nothing has: search for it
    note, nearest = missing_note(catalog, stored, parsed.citation)
    return Resolution(query, "missing", tuple(nearest), note=note, citation=parsed)


def _resolve_range(catalog: Catalog, query: str, rng: tuple[str, str]) -> Resolution | None:
    a, b = parse_citation(rng[0]), parse_citation(rng[1])
    if a is None or b is None or a.doc_ids != b.doc_ids:
        return None
    start, end = _heads(catalog, a), _heads(catalog, b)
    if not start or not end:
        return None
    first, last = catalog.units[start[0]], catalog.units[end[0]]
    if first.doc_id != last.doc_id or last.ordinal < first.ordinal:
        return None
    depth = len(citation_ancestors(first.citation))
    kind = re.match(r"[A-Za-z]*", first.citation).group()
    units = [u.id for u in catalog.by_doc[first.doc_id]
             if first.ordinal <= u.ordinal <= last.ordinal and len(citation_ancestors(u.citation)) == depth
             and re.match(r"[A-Za-z]*", u.citation).group() == kind and not _REPEAT.search(u.citation)]
    note = f"{len(units)} units" + (f" (first {MAX_RANGE} shown)" if len(units) > MAX_RANGE else "")
    return Resolution(query, "range", tuple(units[:MAX_RANGE]), cited=min(len(units), MAX_RANGE), note=note,
                      citation=a)


def _resolve_pair(catalog: Catalog, query: str, pair: tuple[str, str]) -> Resolution | None:
    a, b = parse_citation(pair[0]), parse_citation(pair[1])
    if a is None or b is None:
        return None
    heads = [h for p in (a, b) for h in _heads(catalog, p)[:1]]
    if len(heads) != 2:
        return None
    return Resolution(query, "range", tuple(dict.fromkeys(heads)), cited=2, note="2 units", citation=a)


def lookup(store: "Store", query: str) -> list[str]:
    """Provision ids a citation query names, best first; [] when it names nothing stored (see `resolve`).

    Example: lookup(store, "CASS 17.2") == ["UK-FCA-CP25-14:CASS_17.2", "UK-FCA-CP25-14:CASS_17.2.1R", ...]
    """
    res = resolve(store, query)
    return list(res.ids) if res.kind in ("found", "range", "ambiguous") else []


def provision_for(store: "Store", text: str) -> str:
    """The one provision id `text` names: a stored id (spaces or underscores inside its citation) or any
    citation `resolve` reads. NotFoundError when it names none or several, listing the candidates, the nearest
    units or the documents, with the fix.

    Example: provision_for(store, "Art. 36 MiCA.") == "EU-MICA-2023-1114:art.36"
    """
    from crosswalk.errors import NotFoundError

    try:
        return store.resolve_id(text)
    except NotFoundError:
        pass
    res = resolve(store, text)
    shown = text.strip()
    if res.kind == "found":
        return res.ids[0]
    if res.kind == "range" and res.ids:
        raise NotFoundError(f"{shown!r} is a range of {len(res.ids)} provisions ({', '.join(res.ids[:5])}"
                            f"{', …' if len(res.ids) > 5 else ''}); show one of them")
    if res.kind == "ambiguous":
        listed = "; ".join(f"{c.citation} ({c.provision_id})" for c in res.choices)
        raise NotFoundError(f"{shown!r} is in {len(res.choices)} documents: {listed}; name the document, e.g. "
                            f"crosswalk show {res.choices[0].citation!r}")
    if res.kind == "missing":
        near = ", ".join(res.ids) or "none"
        raise NotFoundError(f"{res.note} (nearest: {near})")
    if res.kind == "absent":
        raise NotFoundError(res.note)
    if res.kind == "scoped":
        raise NotFoundError(f"{shown!r} is a citation with words after it; show takes the citation alone "
                            f"(search it with `crosswalk search {shown!r}`)")
    if res.citation is not None:
        raise NotFoundError(f"no stored provision is cited {res.citation.citation!r} ({shown!r}); "
                            "try `crosswalk search` to find one")
    raise NotFoundError(
        f"{shown!r} is neither a provision id nor a citation Crosswalk reads: give an id such as "
        "'US-PL119-27-GENIUS:sec.4(a)(11)' or a citation such as 'GENIUS Act § 4(a)(11)' or 'CASS 16.2.13R' "
        "(try `crosswalk search` to find one)")
