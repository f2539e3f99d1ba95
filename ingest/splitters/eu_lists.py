"""The inside of an EU article, and of an annex point: numbered paragraphs, nested lists of points and the
subparagraphs between them (the citations are in `eu`'s docstring).

A label is read against the lists open above it (`crosswalk.ingest.labels`): it continues one (`(i)` after `(h)`) or
opens a new one below (`(i)` under `(c)`); when both fit, the label after it decides. A first label of a kind
already open that continues nothing (`(a)` after `(c)(ii)`) restarts the list in a new subparagraph.
`Lists` and `Article` work on the walker of `eu` through three names: `line(k)` (a body line, stripped),
`mark(k, citation, **fields)` and `short` (the length under which a line can end a subparagraph).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crosswalk.ingest.labels import EU as EU_LETTERS
from crosswalk.ingest.labels import LETTER, NUMBER, ROMAN, Sequence, continuing, opening

ARTICLE = re.compile(r"^Article\s+(\d{1,3})\s*$")
PARAGRAPH = re.compile(r"^(\d{1,3})\.\s+\S")
POINT = re.compile(r"^\(([a-z]{1,3}|\d{1,3})\)\s+\S")
# A point label follows a line that ends a lead-in or a previous point.
POINT_AFTER = re.compile(r"(?:[;:.,—–-]|\band|\bor)$")
PARAGRAPH_AFTER = re.compile(r"[.:;]$|[.;]’$")
ROMAN_LIMIT = 399  # the highest sub-point numeral read (`(cccxcix)`); EU lists never come close

#: EU lists: points `(a)` … `(z)`, `(aa)`, `(ab)`, …; sub-points `(i)`, `(ii)`, …; definitions `(1)`, `(2)`, …
SEQUENCES = {"alpha": Sequence(LETTER, style=EU_LETTERS), "roman": Sequence(ROMAN, maximum=ROMAN_LIMIT),
             "num": Sequence(NUMBER)}
FIRST = {kind: seq.first for kind, seq in SEQUENCES.items()}


def next_label(kind: str, label: str) -> str:
    """The label that follows `label` in a list of `kind` ("alpha", "roman" or "num").

    >>> next_label("alpha", "h"), next_label("alpha", "z"), next_label("alpha", "af")
    ('i', 'aa', 'ag')
    >>> next_label("roman", "iii"), next_label("num", "9")
    ('iv', '10')
    """
    return SEQUENCES[kind].next(label)


def label_kinds(label: str) -> tuple[str, ...]:
    """The kinds of list a label can belong to. `i`, `v`, `x` are both letters and roman numerals; a pair of
    letters that reads as a roman numeral (`ii`, `iv`) is one, and three letters are only ever a numeral.

    >>> label_kinds("a"), label_kinds("i"), label_kinds("ii"), label_kinds("ab"), label_kinds("16")
    (('alpha',), ('alpha', 'roman'), ('roman',), ('alpha',), ('num',))
    """
    if label.isdigit():
        return ("num",)
    roman = label in SEQUENCES["roman"]
    kinds = []
    if len(label) == 1 or (len(label) == 2 and not roman):
        kinds.append("alpha")
    if roman:
        kinds.append("roman")
    return tuple(kinds)


@dataclass
class Level:
    kind: str  # alpha, roman, num
    label: str
    citation: str


class Lists:
    """Nested lists of points under one container (a paragraph, subparagraph, article or annex point)."""

    def __init__(self, walker, container: str, path: tuple[str, ...]):
        self.w = walker
        self.container = container
        self.path = path
        self.stack: list[Level] = []
        self.last_mark_line: int | None = None

    def lookahead(self, k: int, end: int) -> str | None:
        """The label of the next point after body line k, before `end`."""
        for j in range(k + 1, end):
            s = self.w.line(j)
            if PARAGRAPH.match(s) or ARTICLE.match(s):
                return None
            m = POINT.match(s)
            if m and POINT_AFTER.search(self.w.line(j - 1)):
                return m.group(1)
        return None

    def place(self, label: str, k: int, end: int) -> tuple[int, str] | None:
        """Where a label goes: (depth, kind) — depth = how many levels of the stack it keeps — or None if
        it does not continue any open list nor start a new one (a cross-reference, a restart)."""
        kinds = label_kinds(label)
        path = self.open_levels()
        depths = continuing(path, label, kinds, SEQUENCES)  # deepest first
        starting = opening(path, label, kinds, SEQUENCES)
        if depths and starting:
            # `(i)` after `(h)`: a ninth letter, or the first of sub-points? The next label tells.
            ahead = self.lookahead(k, end)
            if ahead is not None and ahead == next_label(starting[0], label):
                return len(self.stack), starting[0]
        if depths:
            return depths[0], self.stack[depths[0]].kind
        if starting:
            return len(self.stack), starting[0]
        return None

    def open_levels(self) -> list[tuple[str, str]]:
        """The open levels as (kind, label), outermost first."""
        return [(lv.kind, lv.label) for lv in self.stack]

    def point(self, k: int, label: str, end: int) -> bool:
        """Mark the point at body line k if its label fits; False if it does not."""
        placed = self.place(label, k, end)
        if placed is None:
            return False
        depth, kind = placed
        del self.stack[depth:]
        parent = self.stack[-1].citation if self.stack else self.container
        cite = f"{parent}({label})"
        self.w.mark(k, cite, parent=parent, kind="point", heading_path=self.path)
        self.stack.append(Level(kind, label, cite))
        self.last_mark_line = k
        return True

    def restarts(self, label: str) -> bool:
        """A first label (`a`, `i`, `1`) of a kind already open, that continues no open list: a new list,
        not a sub-list (`(i)` after `(h)` whose sub-points ran `(i)`, `(ii)` is the ninth letter)."""
        kinds = label_kinds(label)
        if continuing(self.open_levels(), label, kinds, SEQUENCES):
            return False
        return any(FIRST[kind] == label and any(lv.kind == kind for lv in self.stack) for kind in kinds)


class Article:
    """Paragraphs, points and subparagraphs of one article."""

    def __init__(self, walker, citation: str, path: tuple[str, ...]):
        self.w = walker
        self.article = citation
        self.path = path
        self.paragraph = 0
        self.para_cite = citation  # the paragraph, or the article while it has no numbered paragraph
        self.subpara = 1
        self.split_subparas = False  # a subparagraph unit was made in this paragraph: later ones get units
        self.lists = Lists(walker, citation, path)

    def _open_paragraph(self, k: int, number: int) -> None:
        self.paragraph = number
        self.para_cite = f"{self.article}({number})"
        self.w.mark(k, self.para_cite, parent=self.article, kind="paragraph", heading_path=self.path)
        self.subpara = 1
        self.split_subparas = False
        self.lists = Lists(self.w, self.para_cite, self.path)

    def _open_subparagraph(self, k: int) -> None:
        cite = f"{self.para_cite} subpara.{self.subpara}"
        self.w.mark(k, cite, parent=self.para_cite, kind="subparagraph", heading_path=self.path)
        self.split_subparas = True
        self.lists = Lists(self.w, cite, self.path)

    def walk(self, begin: int, end: int) -> None:
        w = self.w
        for k in range(begin, end):
            s = w.line(k)
            prev = w.line(k - 1) if k > 0 else ""
            m_para = PARAGRAPH.match(s)
            if m_para and int(m_para.group(1)) == self.paragraph + 1 and (
                PARAGRAPH_AFTER.search(prev) or k == begin
            ):
                self._open_paragraph(k, self.paragraph + 1)
                continue
            m_point = POINT.match(s)
            if m_point and POINT_AFTER.search(prev):
                label = m_point.group(1)
                if self.lists.restarts(label):
                    self.subpara += 1
                    self._open_subparagraph(self._subparagraph_start(k))
                if self.lists.point(k, label, end):
                    continue
            if not s[:1].isupper() or not prev.endswith("."):
                continue
            if self.lists.stack:
                # A capital after a point that ends with a full stop: the list is over, a subparagraph follows.
                self.subpara += 1
                self._open_subparagraph(k)
            elif len(prev) < w.short:
                self.subpara += 1
                if self.split_subparas:
                    self._open_subparagraph(k)

    def _subparagraph_start(self, k: int) -> int:
        """Where the subparagraph that introduces a restarted list begins: the last line after the previous
        point that starts a sentence after a full stop, else the list's first line."""
        last = self.lists.last_mark_line
        for j in range(k - 1, (last if last is not None else k - 1), -1):
            if self.w.line(j)[:1].isupper() and self.w.line(j - 1).endswith("."):
                return j
        return k
