"""Reports built around numbered recommendations (FSB, FATF, IOSCO, BCBS): `Recommendation 9: …`.

What a lawyer cites, and the citation each unit gets (DESIGN.md):

- `1. Introduction` -> `ch.1`; `2.1. Scope` -> `sec.2.1` (parent `ch.2`). Own text: the heading.
- `Recommendation 9: Redemption rights, …` -> `rec.9` (parent: the chapter or section it sits in). Own text:
  the heading and the recommendation itself, the first paragraph after it (printed in bold in the report).
- `Annex 2: Template for …` -> `annex.2`; `Glossary`, `Executive summary`, `Foreword`, `Abbreviations` ->
  `glossary`, `summary`, `foreword`, `abbreviations`. Own text: the heading.
- Any other paragraph -> `p.17#2` (page 17, the second passage that starts on it), parent: the unit above.

So `rec.9` is exactly the words of Recommendation 9, and the explanatory text under it is a run of `p.N#k`
passages whose parent is `rec.9` (the search and roll-up treat them as part of it). A short unpunctuated
line between paragraphs (`Stabilisation mechanism`, a glossary term) is a sub-heading: it opens the passage
it heads, is that passage's title, and joins the heading path of the passages under it.

Decisions a reader of the output should know:
- Pages are physical (1-based, as the PDF viewer counts), not the printed page numbers.
- Footnotes (`5  For stablecoins that are used for payments …`, at a page foot) are never units and never
  start one: they stay in the text of the unit that runs across that page foot.
- Numbers only move forward: `Recommendation 15, and …` (a FATF cross-reference that starts a line) and the
  table of contents' entries are not headings; when a heading number occurs more than once, the longest
  run 1, 2, 3, … wins and, among equally long runs, the later one (the body comes after the contents).
- Cut on purpose: the table of contents (`toc`). The cover and the publisher's boilerplate before the first
  heading are reported as front matter.
- Paragraph ends are read from the layout of the extracted text (a full stop on a short line), so a
  paragraph whose last line happens to be full is joined to the next one.
"""

from __future__ import annotations

import re

from crosswalk.ingest.models import Extracted, Source, SplitResult
from crosswalk.ingest.splitters.base import Cut, Line, Mark, build, lines

RECOMMENDATION = re.compile(r"^Recommendation\s+(\d{1,2})\s*:\s*(.*)$")
CHAPTER = re.compile(r"^(\d{1,2})\.\s+([A-Z][^.;:,]{1,80})$")
SECTION = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?\s+([A-Z][^;:,]{1,80}?)$")
ANNEX = re.compile(r"^Annex\s+(\d{1,2}|[A-Z]|[IVX]+)\s*(?:[:.–—-]\s*(.*))?$")
NAMED = {
    "glossary": "glossary",
    "executive summary": "summary",
    "foreword": "foreword",
    "abbreviations": "abbreviations",
    "acronyms": "abbreviations",
    "preface": "preface",
}
NAMED_HEADING = re.compile(r"^(Glossary|Executive [Ss]ummary|Foreword|Abbreviations|Acronyms|Preface)\s*\d*$")
CONTENTS = re.compile(r"^(?:Table of )?Contents\s*$", re.I)
FOOTNOTE = re.compile(r"^\d{1,2}\s{2,}\S")  # `5  For stablecoins …`: the number, two spaces, the note
NOTES_FROM = 0.4  # footnotes start in the lower part of a page: past this share of its lines
MIN_RECOMMENDATIONS = 3
SHORT_LINE = 0.85  # a line shorter than this share of a full line can end a paragraph
SUBHEADING_MAX = 70
NOTE_MARK = re.compile(r"(?<=[.)”\"])\d{1,2}$")  # `… of FMIs.6`: a footnote reference after the full stop


def ends_sentence(line: str, marks: tuple[str, ...] = (".", ".”", '."', ".)", "?")) -> bool:
    """Whether a line ends a sentence, a footnote reference after the full stop aside.

    Examples: ends_sentence("… the safety and efficiency of FMIs.6") is True;
    ends_sentence("… market participants).10") is True; ends_sentence("… regulate, supervise and") is False
    """
    line = NOTE_MARK.sub("", line.rstrip())
    return line.endswith(marks)


def detect(source: Source, extracted: Extracted) -> bool:
    """A report whose headings include `Recommendation 1:`, `Recommendation 2:`, `Recommendation 3:` …"""
    all_lines = lines(extracted.text)
    candidates = [(i, int(m.group(1))) for i, ln in enumerate(all_lines) if (m := RECOMMENDATION.match(ln.stripped))]
    return len(longest_run(candidates)) >= MIN_RECOMMENDATIONS


def longest_run(candidates: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of numbers 1, 2, 3, … in document order from (position, number) candidates; among
    runs of equal length, the one that starts last (a table of contents comes before the body).

    Example: longest_run([(1, 1), (2, 10), (5, 1), (7, 2), (9, 3)]) == [(5, 1), (7, 2), (9, 3)]
    """
    best: list[tuple[int, int]] = []
    for pos, number in candidates:
        if number != 1:
            continue
        run = [(pos, 1)]
        for p, n in candidates:
            if p > run[-1][0] and n == run[-1][1] + 1:
                run.append((p, n))
        if len(run) >= len(best):
            best = run
    return best


def _footnote_lines(all_lines: list[Line], page_starts: tuple[int, ...]) -> set[int]:
    """Indexes of footnote lines: on a paged text, from a page's first `N  text` line in the lower part of
    the page (past `NOTES_FROM` of its lines, so a table row high on the page is not taken for one) to the
    page's end; on an unpaged text, the `N  text` lines alone."""
    if not page_starts:
        return {i for i, ln in enumerate(all_lines) if FOOTNOTE.match(ln.text)}
    pages: list[list[int]] = [[] for _ in page_starts]
    page = 0
    for i, ln in enumerate(all_lines):
        while page + 1 < len(page_starts) and ln.start >= page_starts[page + 1]:
            page += 1
        pages[page].append(i)
    notes: set[int] = set()
    for indexes in pages:
        lowest = int(len(indexes) * NOTES_FROM)
        first = next(
            (pos for pos, i in enumerate(indexes) if pos >= lowest and FOOTNOTE.match(all_lines[i].text)), None
        )
        if first is not None:
            notes.update(indexes[first:])
    return notes


class _Report:
    def __init__(self, extracted: Extracted):
        self.extracted = extracted
        self.text = extracted.text
        all_lines = lines(self.text)
        notes = _footnote_lines(all_lines, extracted.page_starts)
        self.body = [ln for i, ln in enumerate(all_lines) if ln.stripped and i not in notes]
        lengths = sorted(len(ln.stripped) for ln in self.body) or [0]
        self.short = SHORT_LINE * lengths[int(len(lengths) * 0.9)]
        self.marks: list[Mark] = []
        self.cuts: list[Cut] = []
        self.page_count: dict[int, int] = {}
        self.heading_lines: set[int] = set()

    def s(self, k: int) -> str:
        return self.body[k].stripped

    def start(self, k: int) -> int:
        ln = self.body[k]
        return ln.start + (len(ln.text) - len(ln.text.lstrip()))

    # -- headings

    def _title(self, k: int, first: str) -> tuple[str, int]:
        """A heading's words: its own line and the lines that continue it in lower case."""
        parts = [first.strip()] if first.strip() else []
        j = k + 1
        while j < len(self.body) and len(parts) < 3 and self.s(j)[:1].islower():
            parts.append(self.s(j))
            j += 1
        if not parts and j < len(self.body):  # `Annex 2` on its own line, the name on the next
            parts.append(self.s(j))
            j += 1
        return " ".join(parts), j

    def headings(self, skip: set[int]) -> list[dict]:
        """Structural headings in document order, each a dict with the line, citation, kind and title."""
        n = len(self.body)
        found: list[dict] = []

        def chained(regex, number_of):
            cands = [(k, number_of(m)) for k in range(n) if k not in skip and (m := regex.match(self.s(k)))]
            return {k for k, _ in longest_run(cands)}

        recs = chained(RECOMMENDATION, lambda m: int(m.group(1)))
        chapters = chained(CHAPTER, lambda m: int(m.group(1)))
        annexes = chained(ANNEX, lambda m: int(m.group(1)) if m.group(1).isdigit() else 0)
        chapter = 0
        section = 0
        named_seen: set[str] = set()
        for k in range(n):
            if k in skip:
                continue
            s = self.s(k)
            if k in chapters:
                m = CHAPTER.match(s)
                chapter, section = int(m.group(1)), 0
                title, nxt = self._title(k, m.group(2))
                found.append(dict(k=k, end=nxt, cite=f"ch.{chapter}", kind="chapter", title=title,
                                  head=f"{chapter}. {title}", level=1))
                continue
            m = SECTION.match(s)
            if m and chapter and int(m.group(1)) == chapter and int(m.group(2)) == section + 1:
                section += 1
                title, nxt = self._title(k, m.group(3))
                found.append(dict(k=k, end=nxt, cite=f"sec.{chapter}.{section}", kind="section", title=title,
                                  head=f"{chapter}.{section}. {title}", level=2))
                continue
            if k in recs:
                m = RECOMMENDATION.match(s)
                title, nxt = self._title(k, m.group(2))
                found.append(dict(k=k, end=nxt, cite=f"rec.{m.group(1)}", kind="recommendation", title=title,
                                  head=f"Recommendation {m.group(1)}: {title}", level=3))
                continue
            m = ANNEX.match(s)
            if m and (k in annexes or not m.group(1).isdigit()) and f"annex.{m.group(1)}" not in named_seen:
                named_seen.add(f"annex.{m.group(1)}")
                title, nxt = self._title(k, m.group(2) or "")
                found.append(dict(k=k, end=nxt, cite=f"annex.{m.group(1)}", kind="annex", title=title,
                                  head=f"Annex {m.group(1)}: {title}", level=1))
                chapter, section = 0, 0
                continue
            m = NAMED_HEADING.match(s)
            if m and NAMED[m.group(1).lower()] not in named_seen:
                cite = NAMED[m.group(1).lower()]
                named_seen.add(cite)
                found.append(dict(k=k, end=k + 1, cite=cite, kind="part", title=m.group(1), head=m.group(1), level=1))
                chapter, section = 0, 0
        return found

    # -- paragraphs

    def _breaks_before(self, k: int) -> bool:
        """A new paragraph starts at body line k: the line before ends a sentence on a short line."""
        prev, s = self.s(k - 1), self.s(k)
        return ends_sentence(prev) and len(prev) < self.short and s[:1].isupper()

    def _subheading(self, k: int, end: int) -> bool:
        """A short unpunctuated line between paragraphs that heads the text below it."""
        s = self.s(k)
        if len(s) > SUBHEADING_MAX or not s[:1].isupper() or s.endswith((".", ",", ";", ":")):
            return False
        prev = self.s(k - 1) if k > 0 else ""
        if not ends_sentence(prev, (".", ":", ".”", '."', ".)")) and (k - 1) not in self.heading_lines:
            return False
        return k + 1 < end and self.s(k + 1)[:1].isupper()

    def _passage(self, k: int, parent: str | None, path: tuple[str, ...], title: str = "") -> None:
        page = self.extracted.page_of(self.start(k))
        key = page or 0
        self.page_count[key] = self.page_count.get(key, 0) + 1
        cite = f"p.{page}#{self.page_count[key]}" if page else f"passage.{self.page_count[key]}"
        self.marks.append(Mark(self.start(k), cite, parent=parent, heading_path=path, kind="passage", title=title))

    def paragraphs(self, begin: int, end: int, parent: str | None, path: tuple[str, ...], own_first: bool) -> None:
        """Passages for body lines [begin, end). With `own_first`, the first paragraph belongs to the
        parent (a recommendation's own words) and passages start after it."""
        sub: str | None = None
        if begin < end and not own_first:
            if self._subheading(begin, end):
                sub = self.s(begin)
            self._passage(begin, parent, path + ((sub,) if sub else ()), title=sub or "")
        for k in range(begin + 1, end):
            if self._subheading(k, end):
                sub = self.s(k)
                self._passage(k, parent, path + (sub,), title=sub)
            elif self._breaks_before(k):
                self._passage(k, parent, path + ((sub,) if sub else ()))

    # -- the document

    def run(self) -> None:
        n = len(self.body)
        toc = next((k for k in range(n) if CONTENTS.match(self.s(k))), None)
        toc_lines: set[int] = set()
        heads = self.headings(skip=set())
        if toc is not None:
            after = [h for h in heads if h["k"] > toc]
            # The contents end where the body's first heading is printed (its entries repeat the headings).
            toc_end = next((h["k"] for h in after if not self._in_contents(h, heads)), n)
            toc_lines = set(range(toc, toc_end))
            heads = self.headings(skip=toc_lines)
            stop = self.start(toc_end) if toc_end < n else len(self.text)
            self.cuts.append(Cut(self.start(toc), stop, "toc"))
        self.heading_lines = {k for h in heads for k in range(h["k"], h["end"])}
        stack: list[dict] = []
        for i, h in enumerate(heads):
            while stack and stack[-1]["level"] >= h["level"]:
                stack.pop()
            parent = stack[-1]["cite"] if stack else None
            path = tuple(x["head"] for x in stack) + (h["head"],)
            self.marks.append(Mark(self.start(h["k"]), h["cite"], parent=parent, heading_path=path,
                                   kind=h["kind"], title=h["title"]))
            stack.append(h)
            stop = heads[i + 1]["k"] if i + 1 < len(heads) else n
            self.paragraphs(h["end"], stop, h["cite"], path, own_first=h["kind"] == "recommendation")

    def _in_contents(self, h: dict, heads: list[dict]) -> bool:
        """A heading found inside the contents: the same citation occurs again later."""
        return any(o["cite"] == h["cite"] and o["k"] > h["k"] for o in heads)


def split(extracted: Extracted) -> SplitResult:
    """Units of a recommendations report (see the module docstring for the citations)."""
    report = _Report(extracted)
    report.run()
    if not report.marks:
        from crosswalk.ingest.splitters import generic

        return generic.split(extracted)
    return build(extracted.text, report.marks, report.cuts)
