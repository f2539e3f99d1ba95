"""Showing hits to people: records with the provision's details, and snippets with the query's terms marked.

A term is marked when the BM25 tokenizer gives it a token the query has too, so "Custodians" is marked for
the query "custodian" and `5318(h)(1)` for `5318`: what is marked is what BM25 matched.

Example:
    >>> snippet("A firm must hold client cryptoassets on trust.", "cryptoasset trust", width=5)
    '… hold client «cryptoassets» on «trust».'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from crosswalk.errors import IndexStateError
from crosswalk.index.lexical import TOKEN_RE, tokenize
from crosswalk.index.results import Results

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.index.match_results import Candidate
    from crosswalk.ingest.store import Store

_WORD = re.compile(r"\S+")


def term_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Character spans of `text` whose tokens are among the query's tokens.

    Example:
        >>> term_spans("Section 5318(h)(1) applies", "5318")
        [(8, 18)]
    """
    wanted = set(tokenize(query))
    if not wanted:
        return []
    return [(m.start(), m.end()) for m in TOKEN_RE.finditer(text) if wanted.intersection(tokenize(m.group()))]


def snippet(text: str, query: str, width: int = 40, mark: tuple[str, str] = ("«", "»")) -> str:
    """About `width` words of `text` around the densest run of query terms, terms wrapped in `mark`.

    White space is folded to single spaces; `…` shows where text was cut.

    Example:
        >>> snippet("one two three four five six", "five", width=3, mark=("[", "]"))
        '… four [five] six'
    """
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if not words:
        return ""
    spans = term_spans(text, query)
    hit_words = [0] * len(words)
    j = 0
    for i, (ws, we) in enumerate(words):
        while j < len(spans) and spans[j][1] <= ws:
            j += 1
        if j < len(spans) and spans[j][0] < we:
            hit_words[i] = 1
    n, width = len(words), max(1, width)
    a = 0
    if n > width:
        csum = [0]
        for h in hit_words:
            csum.append(csum[-1] + h)
        counts = [csum[s + width] - csum[s] for s in range(n - width + 1)]
        top = max(counts)
        first = counts.index(top)
        last = first
        while last + 1 < len(counts) and counts[last + 1] == top:
            last += 1
        a = first + (last - first + 1) // 2  # the middle of the best windows centres the terms
    b = min(n, a + width)
    lo, hi = words[a][0], words[b - 1][1]
    out, cur = [], lo
    for s, e in spans:
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        out.append(text[cur:s])
        out.append(f"{mark[0]}{text[s:e]}{mark[1]}")
        cur = e
    out.append(text[cur:hi])
    body = " ".join("".join(out).split())
    return ("… " if a > 0 else "") + body + (" …" if b < len(words) else "")


def hit_records(store: "Store", results: Results) -> list[dict]:
    """One JSON-ready dict per hit, best first: the hit's scores and the provision's details.

    Keys: rank, id, doc_id, citation, jurisdiction, heading_path (list), title, score, scores, ranks, text,
    parent_id, page_start, page_end, topics.
    """
    provisions = {p.id: p for p in store.get_many(results.ids())}
    out = []
    for h in results:
        p = provisions.get(h.provision_id)
        if p is None:
            raise IndexStateError(
                f"the index returned {h.provision_id!r}, which the store no longer holds; run `crosswalk index`"
            )
        out.append(
            {
                "rank": h.rank,
                "id": p.id,
                "doc_id": p.doc_id,
                "citation": p.citation,
                "jurisdiction": p.jurisdiction,
                "heading_path": list(p.heading_path),
                "title": p.title,
                "score": h.score,
                "scores": dict(h.scores),
                "ranks": dict(h.ranks),
                "text": p.text,
                "parent_id": p.parent_id,
                "page_start": p.page_start,
                "page_end": p.page_end,
                "topics": list(p.topics),
            }
        )
    return out


def counterpart_records(store: "Store", focal: str, found: Sequence["Candidate"]) -> list[dict]:
    """`hit_records` for the counterparts of provision `focal` (`crosswalk.index.match.counterparts`), each with
    what matching adds: left_id, mutual, shared_terms (dicts) and explanation (a dict, or None)."""
    records = hit_records(store, Results.ranked(focal, "like", [(c.right_id, c.score) for c in found]))
    for record, c in zip(records, found):
        record.update(
            left_id=c.left_id,
            mutual=c.mutual,
            shared_terms=[t.to_dict() for t in c.shared_terms],
            explanation=c.explanation.to_dict() if c.explanation else None,
        )
    return records
