"""Safe highlighting: provision text as HTML with only our own `<mark>` and `<span>` tags unescaped.

Every character that comes from a document goes through `html.escape` *before* any markup is added: the
text is cut at span boundaries, each piece is escaped on its own, and the tags we add wrap the escaped
pieces. Nothing from a document can open a tag, so `<script>alert(1)</script>` in a provision shows as those
characters. Markdown syntax is neutralised too (`*`, `_`, `` ` ``, `[`, `#`, `$`, … become numeric character
references, newlines become `<br>`), and `render` returns a single `<div>` line, which a CommonMark renderer
(Streamlit's `st.markdown(..., unsafe_allow_html=True)`) passes through as one HTML block: a provision's
`*` or `1.` never turns into emphasis or a list, and `$5 and $10` never into mathematics.

Spans are character offsets into the raw text (`Entity.start`/`end` are). Overlapping spans nest: each
piece between two boundaries is wrapped in the tags of every span covering it, outermost kind first, so the
output is always well-formed.

Example:
    >>> text = "The issuer <b>must</b> hold reserves."
    >>> render(text, find_terms(text, ["reserves"])).replace(STYLES["query"], "…")
    '<div class="cw-text">The issuer &lt;b&gt;must&lt;/b&gt; hold <mark class="cw-q" style="…">reserves</mark>.</div>'
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

# Kinds of span, outermost first: an aligned sentence contains shared terms and entities, which contain
# query-term marks. The styles live here with the markup, so every page shows them the same way.
KINDS = ("aligned", "entity", "shared", "query")
STYLES = {
    "aligned": "background:rgba(46,134,222,0.10);border-bottom:2px solid rgba(46,134,222,0.55);",
    "entity": "border-bottom:2px dotted #8e44ad;",
    "shared": "background:#c8f0d2;color:inherit;padding:0 1px;border-radius:2px;",
    "query": "background:#ffe58a;color:inherit;padding:0 1px;border-radius:2px;",
}
_TAG = {"aligned": "span", "entity": "span", "shared": "mark", "query": "mark"}

# Characters that Markdown (CommonMark + GFM + Streamlit's math and emoji extensions) could read as syntax.
_MARKDOWN = {c: f"&#{ord(c)};" for c in "\\`*_[]|~$"}

# Words too common to be worth marking in a snippet (the BM25 stop list, plus a few legal fillers).
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these "
    "they this to was will with any all other under which who shall may must".split()
)


@dataclass(frozen=True)
class Span:
    """A stretch of text to mark: `[start, end)` offsets, a kind from `KINDS`, and an optional tooltip."""

    start: int
    end: int
    kind: str
    title: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown span kind {self.kind!r}: use one of {', '.join(KINDS)}")


def escape(text: str) -> str:
    """Document text made inert for HTML *and* Markdown.

    >>> escape("<b>1.</b> *bold* $5")
    '&lt;b&gt;1.&lt;/b&gt; &#42;bold&#42; &#36;5'
    """
    out = html.escape(text, quote=True)
    return "".join(_MARKDOWN.get(c, c) for c in out).replace("\n", "<br>")


def escape_inline(text: str) -> str:
    """`escape` for short labels (citations, headings, titles): also folds newlines into spaces.

    >>> escape_inline("Part 200 ›\\n200.9 <Custody>")
    'Part 200 › 200.9 &lt;Custody&gt;'
    """
    return escape(" ".join(text.split()))


def _open(span: Span) -> str:
    tag = _TAG[span.kind]
    title = f' title="{html.escape(span.title, quote=True)}"' if span.title else ""
    return f'<{tag} class="cw-{_short(span.kind)}" style="{STYLES[span.kind]}"{title}>'


def _short(kind: str) -> str:
    return {"aligned": "al", "entity": "ent", "shared": "sh", "query": "q"}[kind]


def render_inline(text: str, spans: Iterable[Span] = ()) -> str:
    """The escaped text with `spans` marked, without the enclosing `<div>` (for snippets and table cells).

    >>> render_inline("a <i>b</i> c", [Span(2, 10, "query")]).replace(STYLES["query"], "…")
    'a <mark class="cw-q" style="…">&lt;i&gt;b&lt;/i&gt;</mark> c'
    """
    spans = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    if not spans:
        return escape(text)
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    order = {k: i for i, k in enumerate(KINDS)}
    out = []
    for a, b in zip(cuts, cuts[1:]):
        piece = escape(text[a:b])
        covering = sorted((s for s in spans if s.start <= a and b <= s.end), key=lambda s: (order[s.kind], s.start))
        # one span per kind is enough: two overlapping entities would only double the underline
        seen, chosen = set(), []
        for s in covering:
            if s.kind not in seen:
                seen.add(s.kind)
                chosen.append(s)
        for s in reversed(chosen):
            piece = f"{_open(s)}{piece}</{_TAG[s.kind]}>"
        out.append(piece)
    return "".join(out)


def render(text: str, spans: Iterable[Span] = (), css_class: str = "cw-text") -> str:
    """The text as one HTML line: `<div class=…>escaped text with spans marked</div>`.

    >>> render("x < y")
    '<div class="cw-text">x &lt; y</div>'
    """
    return f'<div class="{css_class}">{render_inline(text, spans)}</div>'


# --- finding what to mark --------------------------------------------------------------------------------------


def query_terms(query: str) -> list[str]:
    """The words of a query worth marking: no stop words, no one-letter words, each once, in order.

    >>> query_terms("Custody of the client's crypto-assets, custody")
    ['custody', "client's", 'crypto-assets']
    """
    out: list[str] = []
    for w in re.findall(r"[^\W_]+(?:['’.\-][^\W_]+)*", query):
        lw = w.casefold()
        if lw in STOPWORDS or (len(lw) < 2 and not lw.isdigit()) or lw in out:
            continue
        out.append(lw)
    return out


def _term_pattern(term: str) -> str:
    """A regex for `term` as whole words, tolerant of white space and simple plurals (`asset` → `assets`)."""
    words = [re.escape(w) for w in term.split()]
    if not words:
        return ""
    body = r"\s+".join(words)
    if term[-1:].isalpha():
        body += r"(?:s|es)?"
    return rf"(?<![^\W_]){body}(?![^\W_])"


def find_terms(text: str, terms: Iterable[str], kind: str = "query", title: str = "") -> list[Span]:
    """Spans of every whole-word, case-insensitive occurrence of each term (plural forms included).

    >>> [(s.start, s.end) for s in find_terms("Reserve assets; the asset reserve", ["asset"])]
    [(8, 14), (20, 25)]
    """
    patterns = [p for p in (_term_pattern(t.strip()) for t in terms if t and t.strip()) if p]
    if not patterns:
        return []
    rx = re.compile("|".join(f"(?:{p})" for p in sorted(patterns, key=len, reverse=True)), re.IGNORECASE)
    return [Span(m.start(), m.end(), kind, title) for m in rx.finditer(text)]


def find_sentence(text: str, sentence: str) -> Span | None:
    """Where `sentence` occurs in `text`, ignoring differences in white space; None if it does not.

    >>> find_sentence("First one.  The issuer\\nmust hold reserves. Last.", "The issuer must hold reserves.")
    Span(start=12, end=42, kind='aligned', title='best-aligned sentence')
    """
    words = sentence.split()
    if not words:
        return None
    m = re.search(r"\s+".join(re.escape(w) for w in words), text)
    if m is None:
        return None
    return Span(m.start(), m.end(), "aligned", "best-aligned sentence")


def entity_spans(text: str, entities: Sequence, labels: Iterable[str] | None = None) -> list[Span]:
    """Spans for tagged entities (`crosswalk.ingest.models.Entity`), optionally only some labels; titled with the label.

    Offsets that no longer fit the text (a stale tag) are dropped rather than marking the wrong words.
    """
    wanted = set(labels) if labels is not None else None
    out = []
    for e in entities:
        if wanted is not None and e.label not in wanted:
            continue
        if 0 <= e.start < e.end <= len(text) and text[e.start : e.end] == e.text:
            out.append(Span(e.start, e.end, "entity", e.label.replace("_", " ").lower()))
    return out


def window(text: str, spans: Sequence[Span], width: int = 360) -> tuple[int, int]:
    """The `[start, end)` of a snippet of about `width` characters: where the most spans fall, cut at spaces.

    >>> window("x" * 10, [], width=360)
    (0, 10)
    """
    if len(text) <= width:
        return 0, len(text)
    best_start, best = 0, -1
    for s in spans or [Span(0, 0 + 1, "query")]:
        start = max(0, min(s.start - width // 4, len(text) - width))
        count = sum(1 for t in spans if start <= t.start and t.end <= start + width)
        if count > best:
            best, best_start = count, start
    start, end = best_start, min(len(text), best_start + width)
    if start > 0:
        space = text.find(" ", start, start + 40)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", end - 40, end)
        end = space if space > start else end
    end = start + len(text[start:end].rstrip())
    return start, end


def snippet(text: str, spans: Sequence[Span], width: int = 360) -> str:
    """An escaped, highlighted excerpt of about `width` characters around the densest spans, with ellipses.

    >>> snippet("a b <c> " + "d " * 300, [Span(4, 7, "query")], width=20).replace(STYLES["query"], "…")
    'a b <mark class="cw-q" style="…">&lt;c&gt;</mark> d d d d d d …'
    """
    start, end = window(text, spans, width)
    inside = [Span(max(s.start, start) - start, min(s.end, end) - start, s.kind, s.title)
              for s in spans if s.start < end and s.end > start]
    body = render_inline(text[start:end], inside)
    return ("… " if start > 0 else "") + body + (" …" if end < len(text) else "")


LEGEND = {
    "query": "matches the query",
    "entity": "tagged entity (regulator, legislation, defined term, cryptoasset, citation)",
    "shared": "term both provisions use",
    "aligned": "best-aligned sentences",
}


def legend(kinds: Sequence[str] = ("query", "entity")) -> str:
    """A one-line key to the marks, each explained in its own style.

    >>> "matches the query</mark>" in legend(("query",))
    True
    """
    items = [f"{_open(Span(0, 1, k))}{escape(LEGEND[k])}</{_TAG[k]}>" for k in kinds]
    return '<div style="color:#666;font-size:0.85em;">' + " &nbsp; ".join(items) + "</div>"
