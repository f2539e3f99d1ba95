"""What every splitter shares: lines with offsets, units from start markers, and the partition check.

A splitter finds where each unit *starts* (a `Mark`), in document order; a unit's own text runs from its
start to the next mark. So the units partition the body text by construction: every character between the
first mark and the end lands in exactly one unit, and nothing is silently dropped. Text before the first
mark (a cover page) and spans the splitter deliberately leaves out (a table of contents) are reported as
`excluded` with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from crosswalk.ingest.models import RawUnit, SplitResult


@dataclass(frozen=True)
class Line:
    start: int  # offset of the line's first character in the document text
    end: int  # offset just past the line (before its newline)
    text: str

    @property
    def stripped(self) -> str:
        return self.text.strip()


def lines(text: str) -> list[Line]:
    """Every line of `text` with its offsets.

    Example: [(l.start, l.text) for l in lines("ab\\ncd")] == [(0, "ab"), (3, "cd")]
    """
    out = []
    pos = 0
    for raw in text.split("\n"):
        out.append(Line(pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return out


def enough_lines(text: str, pattern: re.Pattern, at_least: int) -> bool:
    """True when at least `at_least` lines of `text` match `pattern`: how a splitter's `detect` counts its labels,
    stopping at the last one it needs.

    >>> enough_lines("1.1 A\\nnote\\n1.2 B", re.compile(r"\\d+\\.\\d+ "), 2)
    True
    >>> enough_lines("1.1 A\\nnote", re.compile(r"\\d+\\.\\d+ "), 2)
    False
    """
    found = 0
    for ln in lines(text):
        if pattern.match(ln.text):
            found += 1
            if found >= at_least:
                return True
    return False


@dataclass(frozen=True)
class Mark:
    """Where a unit starts, and what it is."""

    start: int
    citation: str
    parent: str | None = None
    heading_path: tuple[str, ...] = ()
    kind: str = "passage"
    title: str = ""


@dataclass(frozen=True)
class Cut:
    """A span to leave out on purpose (`reason`: toc, cover, boilerplate); it ends the unit before it."""

    start: int
    end: int
    reason: str


def build(text: str, marks: Sequence[Mark], cuts: Sequence[Cut] = (), end: int | None = None) -> SplitResult:
    """Units from start marks: each runs to the next mark or cut; cuts and any text before the first mark
    are reported as excluded. Marks must be in document order with distinct citations.

    Example: build("A1 x\\nA2 y", [Mark(0, "a1"), Mark(5, "a2")]).units[1].text == "A2 y"
    """
    end = len(text) if end is None else end
    events: list[tuple[int, int, object]] = [(m.start, 1, m) for m in marks] + [(c.start, 0, c) for c in cuts]
    events.sort(key=lambda e: (e[0], e[1]))
    seen: set[str] = set()
    units: list[RawUnit] = []
    excluded: list[tuple[int, int, str]] = []
    if events and events[0][0] > 0 and text[: events[0][0]].strip():
        excluded.append((0, events[0][0], "front matter"))
    elif not events and text.strip():
        excluded.append((0, end, "no structure found"))
    for i, (pos, _, item) in enumerate(events):
        stop = events[i + 1][0] if i + 1 < len(events) else end
        if isinstance(item, Cut):
            excluded.append((item.start, item.end, item.reason))
            if item.end < stop and text[item.end:stop].strip():
                # text after a cut and before the next mark belongs to nobody: report it, never drop it silently
                excluded.append((item.end, stop, "unassigned after " + item.reason))
            continue
        m: Mark = item  # type: ignore[assignment]
        if m.citation in seen:
            raise ValueError(f"duplicate citation {m.citation!r} at offset {m.start}")
        seen.add(m.citation)
        span = text[pos:stop]
        units.append(
            RawUnit(
                citation=m.citation,
                start=pos,
                end=stop,
                text=span.strip(),
                parent=m.parent,
                heading_path=m.heading_path,
                kind=m.kind,
                title=m.title,
            )
        )
    return SplitResult(units=tuple(units), excluded=tuple(excluded))


def uncovered(text: str, result: SplitResult) -> list[tuple[int, int]]:
    """Spans of non-white-space text that no unit and no exclusion covers (should be empty), and overlaps.

    Used by the property tests: every character of body text lands in exactly one provision.
    """
    spans = sorted([(u.start, u.end) for u in result.units] + [(a, b) for a, b, _ in result.excluded])
    gaps: list[tuple[int, int]] = []
    pos = 0
    for a, b in spans:
        if a < pos:
            gaps.append((a, pos))  # overlap
        elif text[pos:a].strip():
            gaps.append((pos, a))
        pos = max(pos, b)
    if text[pos:].strip():
        gaps.append((pos, len(text)))
    return gaps
