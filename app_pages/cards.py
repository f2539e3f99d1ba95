"""The HTML the pages show: a provision's header, context and text, a search result's card, a pair's summary.

Every piece of text from a document, the store or the sources catalogue goes through `crosswalk.review.highlight`
(`escape_inline`, `render`, `render_inline`, `snippet`), which escapes it before adding our own tags; links are
only ever http(s) addresses (`safe_url`). The results are the `*_html` fields of the views
(`crosswalk.app_pages.views`).
"""

from __future__ import annotations

import html
from typing import Sequence
from urllib.parse import urlparse

from crosswalk.ingest.models import Provision
from crosswalk.review import highlight as hl
from crosswalk.app_pages.views import CandidateView, ProvisionView, SearchHit

# Entity labels worth marking in a search snippet (statistical labels such as DATE or CARDINAL add noise).
SNIPPET_ENTITY_LABELS = ("REGULATOR", "LEGISLATION", "DEFINED_TERM", "CRYPTO_ASSET", "CITATION")
JUR_COLOURS = {"US": "#1f5fa8", "UK": "#a8321f", "EU": "#1f7a3d", "INTL": "#6b4c9a"}
CONTEXT_CHARS = 600  # of the parent's text shown above a provision


# --- addresses and labels (pure) ------------------------------------------------------------------------------


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


def terms_for_side(shared: Sequence[dict], side: str) -> list[str]:
    """The words to mark on one side of a pair: that side's surface form and the normalised term.

    >>> terms_for_side([{"term": "holder", "left": "holders", "right": "holder"}], "left")
    ['holders', 'holder']
    """
    out = []
    for t in shared:
        for key in (side, "term"):
            v = str(t.get(key) or "").strip()
            if len(v) >= 2 and v not in out:
                out.append(v)
    return out


# --- pieces ---------------------------------------------------------------------------------------------------


def badge(text: str, colour: str = "#555") -> str:
    """A small rounded label, its text escaped.

    >>> badge("<UK>", "#a8321f").endswith('>&lt;UK&gt;</span>')
    True
    """
    return (f'<span style="display:inline-block;padding:0 6px;border-radius:8px;border:1px solid {colour};'
            f'color:{colour};font-size:0.78em;margin-right:4px;">{hl.escape_inline(text)}</span>')


def link(url: str, label: str) -> str:
    """A link that opens in a new tab ("" without an address); `url` should come from `safe_url`."""
    if not url:
        return ""
    return (f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">'
            f"{hl.escape_inline(label)}</a>")


def jurisdiction_badge(jurisdiction: str) -> str:
    return badge(jurisdiction, JUR_COLOURS.get(jurisdiction, "#555"))


def source_line(document: str, pages: str, url: str, font_size: str) -> str:
    """The document's title, the pages and the link to the publisher, on one line."""
    return (f'<div style="color:#444;font-size:{font_size};">{hl.escape_inline(document)}'
            + (f" · {hl.escape_inline(pages)}" if pages else "")
            + (f" · {link(url, 'source at the publisher ↗')}" if url else "") + "</div>")


# --- views ----------------------------------------------------------------------------------------------------


def provision_view(p: Provision, doc: dict, parent: Provision | None = None, children: Sequence[Provision] = (),
                   terms: Sequence[str] = (), sentence: str = "",
                   child_terms: Sequence[str] | None = None) -> ProvisionView:
    """`p` as the review page shows it: a header (citation, document, pages, link, heading path, the source's
    quality note, topics), the start of its parent's text for context, its text with `terms` and the
    `sentence` marked, and its `children`'s texts with `child_terms` (default: `terms`) marked.

    `doc` is the document's row in the store (`Store.documents()`), or {} when it is unknown.
    """
    from crosswalk.index.citation_display import display_citation

    spans = hl.find_terms(p.text, terms, kind="shared", title="shared term")
    aligned = hl.find_sentence(p.text, sentence) if sentence else None
    if aligned:
        spans.append(aligned)
    url = source_link(doc.get("official_url", ""), doc.get("path", ""), p.page_start)
    citation = display_citation(p)
    pages = page_label(p)
    head = [f'<div style="font-size:1.05em;"><b>{hl.escape_inline(citation)}</b> '
            f'{jurisdiction_badge(p.jurisdiction)}'
            f'<span style="color:#666;font-size:0.85em;">{hl.escape_inline(p.id)}</span></div>',
            source_line(doc.get("title") or p.doc_id, pages, url, "0.9em")]
    if p.heading_path:
        head.append(f'<div style="color:#666;font-size:0.85em;">{hl.escape_inline(" › ".join(p.heading_path))}'
                    "</div>")
    if doc.get("note"):  # the source's known faults (a text extraction that drops words), as plain text
        head.append(f'<div style="color:#8a5a00;font-size:0.85em;">⚠ {hl.escape_inline(doc["note"])}</div>')
    if p.topics:
        head.append("<div>" + "".join(badge(t, "#777") for t in p.topics) + "</div>")
    context = ""
    if parent is not None:
        text = parent.text
        if len(text) > CONTEXT_CHARS:
            text = text[:CONTEXT_CHARS].rsplit(" ", 1)[0] + " …"
        context = (f'<div style="color:#666;font-size:0.88em;border-left:3px solid #ddd;padding-left:8px;">'
                   f"<b>In {hl.escape_inline(parent.citation)}:</b> {hl.render_inline(text)}</div>")
    ct = terms if child_terms is None else child_terms
    kids = tuple(
        hl.render(k.text, hl.find_terms(k.text, ct, kind="shared", title="shared term"), css_class="cw-child")
        for k in children
    )
    return ProvisionView(
        id=p.id, citation=citation, jurisdiction=p.jurisdiction, doc_id=p.doc_id,
        document=doc.get("title") or p.doc_id, heading=" › ".join(p.heading_path), pages=pages, url=url,
        header_html="".join(head), context_html=context, text_html=hl.render(p.text, spans),
        children_html=kids, topics=p.topics, content_hash=p.content_hash,
    )


def search_hit(rank: int, score: float, p: Provision, doc: dict, query: str, cited: bool) -> SearchHit:
    """The card of the `rank`-th hit `p` for `query`: citation, heading, document, pages, link, and a snippet
    with the query's terms and the domain entities marked. `cited`: the citation lookup found it."""
    from crosswalk.index.citation_display import display_citation
    from crosswalk.index.snippets import term_spans

    spans = [hl.Span(a, b, "query", "matches the query") for a, b in term_spans(p.text, query)]
    spans += hl.entity_spans(p.text, p.entities, SNIPPET_ENTITY_LABELS)
    snip = hl.snippet(p.text, spans)
    citation = display_citation(p)
    heading = " › ".join(p.heading_path)
    pages = page_label(p)
    url = source_link(doc.get("official_url", ""), doc.get("path", ""), p.page_start)
    document = doc.get("title") or p.doc_id
    card = (
        f'<div style="font-size:1.05em;"><b>{rank}. {hl.escape_inline(citation)}</b> '
        f'{jurisdiction_badge(p.jurisdiction)}'
        + (badge("cited", "#b7791f") if cited else "")
        + f'<span style="color:#888;font-size:0.8em;">{hl.escape_inline(p.id)}</span></div>'
        f'<div style="color:#666;font-size:0.85em;">{hl.escape_inline(heading) if heading else "&nbsp;"}</div>'
        + source_line(document, pages, url, "0.88em")
        + f'<div style="margin-top:4px;">{snip}</div>'
    )
    return SearchHit(rank, p.id, citation, p.jurisdiction, document, heading, pages, url, score, snip, card,
                     cited=cited)


def pair_summary(candidate: CandidateView | None, shared: Sequence[dict], explanation: dict) -> str:
    """One line above a pair: the candidate's score and rank, the shared terms, the aligned sentences' cosine."""
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
    return ('<div style="color:#444;font-size:0.9em;">' + " · ".join(bits) + "</div>") if bits else ""
