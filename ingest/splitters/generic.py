"""The last resort: numbered paragraphs (`3.70 Our position…` -> `para.3.70`) when a document has them,
else passages of about `PASSAGE_WORDS` words cited by page and position (`p.12#3`, or `passage.7` for an
unpaged text), with Markdown headings kept as the heading path.
"""

from __future__ import annotations

import re

from crosswalk.ingest.models import Extracted, Source, SplitResult
from crosswalk.ingest.splitters.base import Mark, build, lines

PARA = re.compile(r"^\s*(\d{1,2}\.\d{1,3})\s+(?=[A-Z‘'\"(•])")
MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
PASSAGE_WORDS = 120
MIN_NUMBERED = 5


def detect(source: Source, extracted: Extracted) -> bool:
    return True


def _numbered(text: str) -> list[Mark]:
    marks: list[Mark] = []
    seen: set[str] = set()
    last = (0, 0)
    for ln in lines(text):
        m = PARA.match(ln.text)
        if not m:
            continue
        major, minor = (int(x) for x in m.group(1).split("."))
        # Numbers only move forward; a repeat or a step back is a cross-reference or a table, not a paragraph.
        if (major, minor) <= last or m.group(1) in seen:
            continue
        seen.add(m.group(1))
        last = (major, minor)
        marks.append(Mark(ln.start + m.start(1), f"para.{m.group(1)}", parent=f"ch.{major}", kind="paragraph"))
    return marks


def split(extracted: Extracted) -> SplitResult:
    text = extracted.text
    numbered = _numbered(text)
    if len(numbered) >= MIN_NUMBERED:
        # Chapters as parents, starting at their first paragraph, so the hierarchy is complete.
        marks: list[Mark] = []
        chapters: set[str] = set()
        for m in numbered:
            if m.parent not in chapters:
                chapters.add(m.parent)
                marks.append(Mark(m.start, m.parent, kind="chapter"))
                # The chapter mark and its first paragraph start at the same place: the chapter holds no text.
            marks.append(m)
        return _dedupe_same_start(text, marks)
    return _passages(extracted)


def _dedupe_same_start(text: str, marks: list[Mark]) -> SplitResult:
    result = build(text, marks)
    return result


def _passages(extracted: Extracted) -> SplitResult:
    text = extracted.text
    marks: list[Mark] = []
    heading: list[tuple[int, str]] = []
    words = 0
    block_start: int | None = None
    counters: dict[int, int] = {}
    for ln in lines(text):
        h = MD_HEADING.match(ln.text) if extracted.format == "md" else None
        if h:
            level = len(h.group(1))
            heading = [x for x in heading if x[0] < level] + [(level, h.group(2).strip())]
        starts_block = block_start is None and ln.stripped
        if h or starts_block or (words >= PASSAGE_WORDS and ln.stripped and not ln.text.startswith(" ")):
            page = extracted.page_of(ln.start)
            key = page or 0
            counters[key] = counters.get(key, 0) + 1
            citation = f"p.{page}#{counters[key]}" if page else f"passage.{counters[key]}"
            marks.append(
                Mark(ln.start, citation, heading_path=tuple(t for _, t in heading), kind="passage", title=h.group(2) if h else "")
            )
            block_start = ln.start
            words = 0
        words += len(ln.text.split())
    return build(text, marks)
