"""Search that reads citations: the path every search takes (`Searcher.search`, the app, `crosswalk search`,
`crosswalk eval`).

`cited_search(store, engine, query, k, filters)` asks `crosswalk.index.resolver.resolve` what the query cites, then:

- ``found`` / ``range``: the cited provisions (then descendants, then parent context) first, the engine's
  hits after them;
- ``scoped``: the engine searches the query's words inside the cited subtree ("GENIUS sec.4 reserve assets");
- ``ambiguous``: each document's provision, ordered by the engine's ranking of the query, then the engine's
  hits; `choices` name the documents so the reader can pick one;
- ``missing``: the nearest units only, with a `note` saying what the document has: never unrelated text as if it
  were the answer;
- ``absent``: no hits, and a `note` naming the document the workspace lacks;
- ``none``: the engine's hits.

Filters hold for cited provisions too: a cited provision the filters exclude is left out, and `note` says so.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from crosswalk.index.citation_display import format_citation
from crosswalk.index.filters import Filters, allowed_provision_ids
from crosswalk.index.resolver import Catalog, Resolution, resolve
from crosswalk.index.results import Results

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.index.retrievers import Retriever
    from crosswalk.ingest.store import Store

RANK_DEPTH = 100  # hits of the engine used to order the documents of an ambiguous citation


def _label(store: "Store", res: Resolution) -> str:
    """The full citation of what `res` cites ("CASS 16"), or how many provisions it cites."""
    units = Catalog.of(store).units
    heads = [units[i] for i in res.ids[: res.cited] if i in units]
    if len(heads) == 1:
        return format_citation(heads[0].doc_id, heads[0].citation)
    return f"{len(heads)} cited provisions"


def cited_search(store: "Store", engine: "Retriever", query: str, k: int = 10,
                 filters: Filters | None = None) -> Results:
    """The engine's search for `query`, with what `query` cites put first or searched inside (module docstring)."""
    res = resolve(store, query)
    if res.kind == "none":
        return engine.search(query, k, filters)
    allowed = allowed_provision_ids(store, filters) if filters else None
    ids = [i for i in res.ids if allowed is None or i in allowed]
    if res.ids and not ids:
        r = engine.search(query, k, filters)
        return replace(r, note=f"{_label(store, res)} is cited but outside the filters ({filters.describe()}); "
                               "these are search results")
    if res.kind in ("found", "range"):
        merged = Results.merge([Results.from_ids(ids[:k], query=query), engine.search(query, k, filters)], k=k)
        return replace(merged, cited=min(len(ids), k), note=res.note if res.kind == "range" else "")
    if res.kind == "scoped":
        inside = replace(filters or Filters(), within=tuple(ids))
        found = engine.search(res.words or query, k, inside)
        if not len(found):
            found = Results.from_ids(ids[:k], query=query)
        note = f"searched within {_label(store, res)} ({len(ids)} provision{'s' if len(ids) != 1 else ''})"
        return replace(found, note=note, choices=res.choices)
    if res.kind == "ambiguous":
        searched = engine.search(query, max(k, RANK_DEPTH), filters)
        rank = {pid: i for i, pid in enumerate(searched.ids())}
        order = sorted(range(len(ids)), key=lambda j: (rank.get(ids[j], len(rank)), j))
        heads = [ids[j] for j in order]
        by_id = {c.provision_id: c for c in res.choices}
        choices = tuple(by_id[h] for h in heads if h in by_id)
        merged = Results.merge([Results.from_ids(heads, query=query), searched], k=k)
        note = f"{query.strip()!r} is in {len(choices)} documents; pick one: " + "; ".join(c.citation for c in choices)
        return replace(merged, cited=min(len(heads), k), note=note, choices=choices)
    if res.kind == "missing":
        return replace(Results.from_ids(ids[:k], query=query, retriever="nearest"), note=res.note)
    return Results(query, "citation", (), note=res.note)  # absent
