"""Markdown and plain text: decoded strictly as UTF-8 (a BOM is dropped), YAML front matter read as metadata."""

from __future__ import annotations

import re
from pathlib import Path

from crosswalk.errors import DocumentError
from crosswalk.ingest.models import Extracted

FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
# A formatting tag, its attributes possibly wrapped over lines (`<a\nhref="…"\nid="…">`), never across another tag.
INLINE_TAG = re.compile(r"</?(?:span|u|em|strong|b|i|sup|sub|a|font)\b[^<>]{0,2000}>", re.I)
# A Markdown link to a web address, its text possibly wrapped over lines (not over a blank one): keep the text.
WEB_LINK = re.compile(
    r"(?<![\\!])\[((?:[^\[\]\n]|\n(?!\s*\n)){1,500})\]"
    r"\((?:https?://|mailto:)[^()\s]*(?:\([^()\s]*\)[^()\s]*)*(?:\s+\"[^\"\n]*\")?\)"
)
ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")


def clean_markdown(text: str) -> str:
    """Drop inline HTML formatting tags, Markdown links' addresses (their text stays) and Markdown backslash
    escapes that converters leave in the text. A bracket that is not a web link (`[Reserved]`, `[1](a)`) stays.

    >>> clean_markdown('<span style="x">Section 1.</span> \\\\(i\\\\) text')
    'Section 1. (i) text'
    >>> clean_markdown('<a\\nhref="https://x.gov/a.pdf"\\nid="f">Effects</a><a\\nhref="x">Get</a> ([Smith\\n2025](https://s.com/a)).')
    'Effects Get (Smith\\n2025).'
    >>> clean_markdown('sec. 4 [Reserved] and [1](a)')
    'sec. 4 [Reserved] and [1](a)'
    """
    return ESCAPE.sub(r"\1", WEB_LINK.sub(r"\1", INLINE_TAG.sub(_untag, text)))


def _untag(m: re.Match) -> str:
    """Nothing for a formatting tag; a space for a link opening right after a word (`Lending<a …>Download`)."""
    if m.group(0)[:2].lower() != "<a":
        return ""
    before = INLINE_TAG.sub("", m.string[max(0, m.start() - 300) : m.start()])  # the text before, tags left out
    return " " if before[-1:].isalnum() else ""


def decode(path: Path, data: bytes) -> str:
    """UTF-8 text of `data`, or a DocumentError naming the first bad byte's offset."""
    if b"\x00" in data[:8192]:
        raise DocumentError(path, "binary data (NUL bytes) in a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DocumentError(
            path, f"not UTF-8 text: byte 0x{data[e.start]:02x} at offset {e.start}; re-save the file as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_front_matter(text: str) -> tuple[dict, str]:
    """`(meta, body)` of a text with YAML-style front matter; the body keeps its place (front matter blanked)."""
    m = FRONT_MATTER.match(text)
    if not m:
        return {}, text
    meta = {}
    for line in m.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith(" "):
            meta[key.strip().lower()] = value.strip().strip("'\"")
    # Keep offsets honest: blank the front matter instead of cutting it.
    blank = re.sub(r"[^\n]", " ", m.group(0))
    return meta, blank + text[m.end():]


def read_text(path: Path, markdown: bool = False) -> Extracted:
    text = decode(path, path.read_bytes())
    meta, body = parse_front_matter(text) if markdown else ({}, text)
    if markdown:
        body = clean_markdown(body)
    if not body.strip():
        raise DocumentError(path, "no text: the file holds only white space" + (" and front matter" if meta else ""))
    if "title" not in meta:
        first = re.search(r"^#{1,3}\s+(.+)$", body, re.M) if markdown else None
        if first:
            meta["title"] = first.group(1).strip()
        else:
            line = next((ln.strip() for ln in body.splitlines() if ln.strip()), "")
            meta["title"] = line[:200]
    return Extracted(text=body, meta=meta, format="md" if markdown else "txt")
