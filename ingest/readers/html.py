"""HTML: the page's body text with its block structure kept as lines; nothing executed, nothing fetched.

Parsed with the standard library's `html.parser`, which only tokenises: no script runs and no stylesheet,
image, frame or link is loaded. The text keeps the page's blocks:
- headings, paragraphs, list items and table rows each start a line; paragraph-level blocks are separated by
  a blank line (as in Markdown), list items and rows by a single newline, `<br>` by a newline;
- table cells are joined with " | " on their row's line; `<pre>` keeps its own line breaks and spaces;
- entities are decoded (`&amp;` → `&`, `&nbsp;` → a space) and white space is folded to single spaces.
Dropped: `<head>` (bar `<title>` and `<meta>`), scripts, styles, `<nav>`, `<aside>`, `<noscript>`,
`<template>`, embedded objects and form controls, anything `hidden` or `aria-hidden`, and the page-level
`<header>`/`<footer>` (site banner, copyright). A `<header>` or `<footer>` inside `<article>`, `<main>` or
`<section>` belongs to the document itself (its heading, its dates) and is kept.

The title in `meta` is the `<title>`, or the first `<h1>` when the `<title>` is that heading followed by a
site name (`Cryptoasset rules - Example Regulator`) or when there is no `<title>`.
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser
from pathlib import Path

from crosswalk.errors import DocumentError
from crosswalk.ingest.models import Extracted

PARAGRAPH_BLOCKS = frozenset(
    "address article blockquote body caption center details dialog dir div dl fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hgroup hr html legend main menu ol p pre section summary table ul".split()
)
LINE_BLOCKS = frozenset({"li", "dt", "dd", "tr", "option"})
CELLS = frozenset({"td", "th"})
DROPPED = frozenset(
    "head script style nav aside noscript template svg iframe frame frameset object embed applet canvas button "
    "select textarea map audio video".split()
)
DROPPED_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "complementary"})
DOCUMENT_PARTS = frozenset({"article", "main", "section"})  # a header/footer inside one of these is kept
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())

META_NAMES = {
    "description": "description",
    "author": "author",
    "dc.creator": "author",
    "date": "date",
    "dc.date": "date",
    "dcterms.date": "date",
    "dcterms.issued": "date",
    "dcterms.created": "date",
    "article:published_time": "date",
    "citation_publication_date": "date",
}

_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""\A\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
# The WHATWG encoding standard reads these labels as windows-1252, as every browser does.
_WINDOWS_1252 = frozenset({"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "cp819", "ascii", "us-ascii",
                           "windows-1252", "cp1252", "x-cp1252"})
_INVISIBLE = str.maketrans("", "", "\u200b\u00ad\ufeff")
_SPACE = re.compile(r"\s+")


def decode_html(path: Path, data: bytes) -> tuple[str, str]:
    """`(text, encoding)` of an HTML file: a BOM, else the declared charset, else UTF-8, else windows-1252.

    Example: decode_html(Path("a.html"), b"<p>caf\\xc3\\xa9") == ("<p>café", "utf-8");
    decode_html(Path("b.html"), b"<p>\\x93hi\\x94") == ("<p>“hi”", "windows-1252")
    """
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return _decode(path, data[len(bom):] if codec == "utf-8" else data, codec, "its byte-order mark"), codec
    if b"\x00" in data[:8192]:
        raise DocumentError(path, "binary data (NUL bytes) in an HTML file")
    head = data[:4096]
    declared = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if declared:
        label = declared.group(1).decode("ascii").lower()
        codec = "cp1252" if label in _WINDOWS_1252 else label
        try:
            codecs.lookup(codec)
        except LookupError:
            raise DocumentError(
                path, f"unknown character encoding {label!r} declared in the page; re-save it as UTF-8") from None
        return _decode(path, data, codec, f"the page's declaration ({label})"), label
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return _decode(path, data, "cp1252", "the HTML default for undeclared pages"), "windows-1252"


def _decode(path: Path, data: bytes, codec: str, why: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as e:
        raise DocumentError(
            path,
            f"not {codec} text as {why} says: byte 0x{data[e.start]:02x} at offset {e.start}; "
            "re-save the page as UTF-8",
        ) from None


class _PageText(HTMLParser):
    """Collects a page's visible body text, its title, first <h1> and a few <meta> values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # open elements and whether each one drops its content
        self.dropping = 0
        self.out: list[str] = []
        self.last = "\n"  # last character written ("\n" at the start: no leading space)
        self.breaks = 0  # newlines owed before the next text
        self.pre = 0
        self.cells = 0
        self.row_has_text = False
        self.cell_separator = False
        self.title: str | None = None
        self.title_parts: list[str] | None = None
        self.h1: str | None = None
        self.h1_parts: list[str] | None = None
        self.meta: dict[str, str] = {}

    # -- tags

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = META_NAMES.get((a.get("name") or a.get("property") or "").lower())
            if key and a.get("content", "").strip() and key not in self.meta:
                self.meta[key] = _SPACE.sub(" ", a["content"]).strip()
            return
        if tag == "html" and a.get("lang"):
            self.meta.setdefault("language", a["lang"])
        if tag in VOID:
            if not self.dropping:
                self._break(2 if tag == "hr" else 1 if tag == "br" else 0)
            return
        drop = (
            tag in DROPPED
            or "hidden" in a
            or a.get("aria-hidden", "").lower() == "true"
            or a.get("role", "").lower() in DROPPED_ROLES
            or (tag in ("header", "footer") and not any(t in DOCUMENT_PARTS for t, _ in self.stack))
        )
        self.stack.append((tag, drop))
        self.dropping += drop
        if tag == "title" and self.title is None:
            self.title_parts = []
        if self.dropping:
            return
        if tag == "h1" and self.h1 is None and self.h1_parts is None:
            self.h1_parts = []
        if tag == "pre":
            self.pre += 1
        self._break(2 if tag in PARAGRAPH_BLOCKS else 1 if tag in LINE_BLOCKS else 0)
        if tag == "tr":
            self.row_has_text = False
        if tag in CELLS:
            self.cell_separator = self.row_has_text
            self.cells += 1

    def handle_endtag(self, tag):
        if not any(t == tag for t, _ in self.stack):
            return  # a stray end tag
        while self.stack:
            open_tag, drop = self.stack.pop()
            self._close(open_tag, drop)
            if open_tag == tag:
                break

    def _close(self, tag: str, drop: bool) -> None:
        if tag == "title" and self.title_parts is not None:
            self.title = _SPACE.sub(" ", "".join(self.title_parts)).strip()
            self.title_parts = None
        if not self.dropping:
            if tag == "h1" and self.h1_parts is not None:
                self.h1 = _SPACE.sub(" ", "".join(self.h1_parts)).translate(_INVISIBLE).strip()
                self.h1_parts = None
            if tag == "pre":
                self.pre -= 1
            if tag in CELLS:
                self.cells -= 1
            self._break(2 if tag in PARAGRAPH_BLOCKS else 1 if tag in LINE_BLOCKS else 0)
        self.dropping -= drop

    # -- text

    def handle_data(self, data):
        if self.title_parts is not None:
            self.title_parts.append(data)
            return
        if self.dropping:
            return
        if self.h1_parts is not None:
            self.h1_parts.append(data)
        data = data.translate(_INVISIBLE)
        self._write(data.replace("\r\n", "\n") if self.pre else _SPACE.sub(" ", data))

    def _break(self, n: int) -> None:
        if not n:
            return
        if self.cells:
            self._write(" ")  # blocks inside a table cell stay on the row's line
        else:
            self.breaks = max(self.breaks, n)

    def _write(self, text: str) -> None:
        if not text or (not text.strip() and not self.pre):
            if text and self.last not in " \n" and not self.breaks:
                self.out.append(" ")
                self.last = " "
            return
        if self.breaks:
            while self.out and self.out[-1].endswith(" "):
                self.out[-1] = self.out[-1].rstrip(" ")
            if self.out:
                self.out.append("\n" * self.breaks)
                self.last = "\n"
            self.breaks = 0
        if not self.pre and self.last in " \n":
            text = text.lstrip(" ")
        if self.cell_separator:
            text = " | " + text.lstrip(" ")
            if self.out:
                self.out[-1] = self.out[-1].rstrip(" ")
            self.cell_separator = False
        self.out.append(text)
        self.last = text[-1]
        if self.cells:
            self.row_has_text = True

    def text(self) -> str:
        joined = "".join(self.out)
        lines = [line.rstrip() for line in joined.split("\n")]
        body = "\n".join(lines).strip("\n")
        return body + "\n" if body else ""


def read_html(path: Path) -> Extracted:
    """Read an HTML page into an `Extracted` (format "html", no units: the splitters find the structure).

    Example: read_html(Path("page.html")).text == "Title\\n\\nFirst paragraph.\\n" for
    `<title>Title</title><h1>Title</h1><p>First paragraph.</p>`
    """
    path = Path(path)
    source, encoding = decode_html(path, path.read_bytes())
    page = _PageText()
    page.feed(source)
    page.close()
    text = page.text()
    if not text.strip():
        raise DocumentError(path, "no text: the page holds only markup, scripts or navigation")
    meta = dict(page.meta)
    meta["encoding"] = encoding
    title, h1 = page.title or "", page.h1 or ""
    meta["title"] = h1 if h1 and (not title or title.startswith(h1)) else title or h1
    if not meta["title"]:
        meta["title"] = next(line.strip() for line in text.splitlines() if line.strip())[:200]
    return Extracted(text=text, meta=meta, format="html")
