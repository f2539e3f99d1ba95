"""Markdown and plain text: decoded strictly as UTF-8 (a BOM is dropped), YAML front matter read as metadata."""

from __future__ import annotations

import re
from pathlib import Path

from crosswalk.errors import DocumentError
from ingest.models import Extracted

FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
INLINE_TAG = re.compile(r"</?(?:span|u|em|strong|b|i|sup|sub|a|font)\b[^>\n]*>", re.I)
ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")


def clean_markdown(text: str) -> str:
    """Drop inline HTML formatting tags and Markdown backslash escapes that converters leave in the text.

    Example: clean_markdown('<span style="x">Section 1.</span> \\(i\\) text') == 'Section 1. (i) text'
    """
    return ESCAPE.sub(r"\1", INLINE_TAG.sub("", text))


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
