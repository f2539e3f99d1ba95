"""EU legal acts as printed in the Official Journal (MiCA, Regulation (EU) 2023/1114, and its kind).

What a lawyer cites, and the citation each unit gets (DESIGN.md):

| printed as | citation | parent |
| --- | --- | --- |
| the title and `Having regard to …` citations, up to the first recital | `preamble` | — |
| `(18) …` between `Whereas:` and `HAVE ADOPTED THIS REGULATION:` | `recital.18` | `preamble` |
| `TITLE III` + its name | `title.III` | — |
| `CHAPTER 3` + its name (numbers restart in each title) | `title.III ch.3` | `title.III` |
| `SECTION 2` + its name (none in MiCA) | `title.III ch.3 sec.2` | the chapter |
| `Article 36` + its title line(s) | `art.36` | the innermost title/chapter/section |
| `1. …` inside an article | `art.36(1)` | `art.36` |
| `(a) …`, `(1) …` (definitions), `(i) …` | `art.36(1)(a)`, `art.3(1)(16)(a)`, `art.38(5)(d)(i)` | what holds it |
| a subparagraph printed after a list of points | `art.36(4) subpara.3` | `art.36(4)` |
| `(a) …` in such a subparagraph | `art.36(4) subpara.3(a)` | `art.36(4) subpara.3` |
| `ANNEX I` + its name | `annex.I` | — |
| `Part A: …` in an annex | `annex.I part.A` | `annex.I` |
| `1. …` in an annex (or its part) | `annex.I part.A point.1`, `annex.V point.12` | the part or annex |
| `(a) …` under an annex point | `annex.II part.D point.6(a)` | the point |

An article without numbered paragraphs has its points directly: `art.5(a)`.

Decisions a reader of the output should know:
- Footnotes (`( 36 ) Regulation (EU) 2017/1129 …`, printed at the foot of a page) are never units and never
  start one: they stay in the text of the unit that runs across that page foot, so their words remain
  searchable and nothing is dropped. Their lines are ignored when looking for structure (a footnote is never
  mistaken for a recital or a paragraph).
- Points and subparagraphs: a unit runs from its label to the next label, so an unnumbered subparagraph
  printed after a list of points would land in the last point. It gets its own unit instead
  (`art.36(4) subpara.3`), numbered as the Official Journal counts subparagraphs. The count is read from
  the layout of the extracted text (a subparagraph ends with a full stop on a short line), so it is an
  inference: check the text before quoting a subparagraph number. Subparagraphs before the first list stay
  in the paragraph's own text.
- Numbers only move forward: `Article 47;` or `(a) of Article 3` at the start of a wrapped line, a
  paragraph number inside quoted amending text, or a list that restarts are never taken for a new unit of
  the same number. A list of points that restarts without a detectable subparagraph boundary opens a
  subparagraph unit, so citations stay unique.
- Cut on purpose (reported in `SplitResult.excluded`): the enacting formula (`HAVE ADOPTED THIS
  REGULATION:`) and the closing formula with the signatures (`This Regulation shall be binding in its
  entirety …` to the first annex).
- Annexes are split into parts and numbered points where the annex has them; a table (MiCA Annex IV) stays
  one unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crosswalk.ingest.models import Extracted, Jurisdiction, Source, SplitResult
from crosswalk.ingest.splitters.base import Cut, Line, Mark, build, lines

ENACTING = re.compile(r"^HA(?:VE|S) ADOPTED TH(?:IS|E PRESENT) (?:REGULATION|DIRECTIVE|DECISION)\b")
CLOSING = re.compile(r"^This (?:Regulation|Directive|Decision) shall be binding in its entirety")
ARTICLE = re.compile(r"^Article\s+(\d{1,3})\s*$")
TITLE = re.compile(r"^TITLE\s+([IVXLC]+)\s*$")
CHAPTER = re.compile(r"^CHAPTER\s+([IVXLC]+|\d{1,2})\s*$")
SECTION = re.compile(r"^(?:SECTION|Section)\s+(\d{1,2})\s*$")
ANNEX = re.compile(r"^ANNEX(?:\s+([IVXLC]+|\d{1,2}))?\s*$")
PART = re.compile(r"^(?:Part|PART)\s+([A-Z]|[IVX]+|\d{1,2})\s*(?:[:.–-]\s*(.*))?$")
PARAGRAPH = re.compile(r"^(\d{1,3})\.\s+\S")
POINT = re.compile(r"^\(([a-z]{1,3}|\d{1,3})\)\s+\S")
RECITAL = re.compile(r"^\((\d{1,3})\)\s+\S")
# OJ footnotes print their number with inner spaces, `( 36 )`; recitals and points never do.
FOOTNOTE = re.compile(r"^\(\s+\d{1,3}\s+\)\s")
# The OJ running header, should the reader leave one in (it sits between the body and the footnotes).
OJ_HEADER = re.compile(
    r"^EN\s+(?:[LC]\s+\d+/\d+\s+Official Journal of the European Union\s+\d{1,2}\.\d{1,2}\.\d{4}"
    r"|\d{1,2}\.\d{1,2}\.\d{4}\s+Official Journal of the European Union\s+[LC]\s+\d+/\d+)\s*$"
)
# A point label follows a line that ends a lead-in or a previous point.
POINT_AFTER = re.compile(r"(?:[;:.,—–-]|\band|\bor)$")
PARAGRAPH_AFTER = re.compile(r"[.:;]$|[.;]’$")
SHORT_LINE = 0.85  # a line shorter than this share of a full line can end a subparagraph
MIN_ARTICLES = 5  # standalone `Article 1` … `Article 5` lines make a text an EU act without the formula

ROMAN = re.compile(r"^(?=[ivxlc]+$)c{0,3}(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")


def detect(source: Source, extracted: Extracted) -> bool:
    """An EU act: the enacting formula (`HAVE ADOPTED THIS REGULATION:`), or a run of standalone
    `Article 1`, `Article 2`, … lines (two suffice when the source is listed as EU, five otherwise)."""
    text = extracted.text
    if any(ENACTING.match(ln.stripped) for ln in lines(text)):
        return True
    jurisdiction = getattr(source.jurisdiction, "value", source.jurisdiction)  # a str or a Jurisdiction
    is_eu = str(jurisdiction).strip().upper() == Jurisdiction.EU.value
    return _article_run(text) >= (2 if is_eu else MIN_ARTICLES)


def _article_run(text: str) -> int:
    """How many articles `Article 1`, `Article 2`, … stand on their own lines, in order.

    Example: _article_run("Article 1\\nScope\\nArticle 2\\nDefinitions") == 2
    """
    expected = 1
    for ln in lines(text):
        m = ARTICLE.match(ln.stripped)
        if m and int(m.group(1)) == expected:
            expected += 1
    return expected - 1


# ---------------------------------------------------------------- labels


def is_roman(label: str) -> bool:
    """Whether a lower-case label is a roman numeral.

    Examples: is_roman("iv") is True; is_roman("ii") is True; is_roman("a") is False; is_roman("") is False
    """
    return bool(label) and bool(ROMAN.match(label))


def roman_value(label: str) -> int:
    """The value of a lower-case roman numeral.

    Examples: roman_value("iv") == 4; roman_value("xii") == 12
    """
    values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
    total = 0
    for i, ch in enumerate(label):
        v = values[ch]
        total += -v if i + 1 < len(label) and values[label[i + 1]] > v else v
    return total


def _to_roman(n: int) -> str:
    out = []
    steps = ((100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
    for value, sym in steps:
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


def next_label(kind: str, label: str) -> str:
    """The label that follows `label` in a list of `kind` ("alpha", "roman" or "num").

    EU lists run past (z) as (aa), (ab), …

    Examples: next_label("alpha", "h") == "i"; next_label("alpha", "z") == "aa";
    next_label("alpha", "af") == "ag"; next_label("roman", "iii") == "iv"; next_label("num", "9") == "10"
    """
    if kind == "num":
        return str(int(label) + 1)
    if kind == "roman":
        return _to_roman(roman_value(label) + 1)
    if label == "z":
        return "aa"
    if len(label) == 2 and label[1] != "z":
        return label[0] + chr(ord(label[1]) + 1)
    return chr(ord(label[-1]) + 1) if len(label) == 1 else label + "a"


def label_kinds(label: str) -> tuple[str, ...]:
    """The kinds of list a label can belong to; `i`, `v`, `x` are both letters and roman numerals.

    Examples: label_kinds("a") == ("alpha",); label_kinds("i") == ("alpha", "roman");
    label_kinds("ii") == ("roman",); label_kinds("16") == ("num",)
    """
    if label.isdigit():
        return ("num",)
    kinds = []
    if len(label) == 1 or (len(label) == 2 and not is_roman(label)):
        kinds.append("alpha")
    if is_roman(label):
        kinds.append("roman")
    return tuple(kinds)


FIRST = {"alpha": "a", "roman": "i", "num": "1"}


def sentence_case(name: str, keep: set[str]) -> str:
    """An all-capitals heading in sentence case, keeping the words in `keep` (acronyms) as printed.

    Examples: sentence_case("COMPETENT AUTHORITIES, EBA AND ESMA", {"EBA", "ESMA"}) ==
    "Competent authorities, EBA and ESMA"; sentence_case("E-MONEY TOKENS", set()) == "E-money tokens";
    sentence_case("Reserve of assets", set()) == "Reserve of assets" (not all capitals: unchanged)
    """
    if any(c.islower() for c in name):
        return name
    words = []
    for i, word in enumerate(name.split()):
        core = re.sub(r"[^A-Z0-9’'-]", "", word).split("’")[0]
        if core in keep:
            words.append(word)
        else:
            low = word.lower()
            words.append(low[:1].upper() + low[1:] if i == 0 else low)
    return " ".join(words)


# ---------------------------------------------------------------- the walk


@dataclass
class _Level:
    kind: str  # alpha, roman, num
    label: str
    citation: str


@dataclass
class _Body:
    """The lines structure is read from: not blank, not a footnote, not a running header."""

    all: list[Line]
    footnote: set[int]
    idx: list[int] = field(default_factory=list)  # indexes into `all` of body lines

    def __post_init__(self):
        self.idx = [i for i, ln in enumerate(self.all) if ln.stripped and i not in self.footnote]


def _footnote_lines(all_lines: list[Line], page_starts: tuple[int, ...]) -> set[int]:
    """Indexes of the lines that are never structure: OJ running headers, and footnotes — on a paged text
    from a page's first `( N )` line to the page's end, else the `( N )` lines alone."""
    notes = {i for i, ln in enumerate(all_lines) if OJ_HEADER.match(ln.stripped)}
    if not page_starts:
        return notes | {i for i, ln in enumerate(all_lines) if FOOTNOTE.match(ln.text)}
    page = 0
    in_notes = False
    for i, ln in enumerate(all_lines):
        while page + 1 < len(page_starts) and ln.start >= page_starts[page + 1]:
            page += 1
            in_notes = False
        if not in_notes and FOOTNOTE.match(ln.text):
            in_notes = True
        if in_notes:
            notes.add(i)
    return notes


class _Walker:
    """Finds the marks of one EU act, line by line."""

    def __init__(self, extracted: Extracted):
        self.text = extracted.text
        self.all = lines(self.text)
        self.body = _Body(self.all, _footnote_lines(self.all, extracted.page_starts))
        self.marks: list[Mark] = []
        self.cuts: list[Cut] = []
        lengths = sorted(len(self.all[i].stripped) for i in self.body.idx) or [0]
        self.short = SHORT_LINE * lengths[int(len(lengths) * 0.9)]
        self.keep = self._acronyms()

    # -- helpers

    def _acronyms(self) -> set[str]:
        """All-capital words printed inside ordinary sentences (EBA, ESMA, III): kept in headings."""
        keep: set[str] = set()
        for i in self.body.idx:
            s = self.all[i].stripped
            if any(c.islower() for c in s):
                keep.update(w for w in re.findall(r"\b[A-Z][A-Z0-9]+\b", s))
        return keep

    def line(self, k: int) -> str:
        """The k-th body line, stripped."""
        return self.all[self.body.idx[k]].stripped

    def start(self, k: int) -> int:
        ln = self.all[self.body.idx[k]]
        return ln.start + (len(ln.text) - len(ln.text.lstrip()))

    def mark(self, k: int, citation: str, **kw) -> None:
        self.marks.append(Mark(self.start(k), citation, **kw))

    # -- the document

    def run(self) -> None:
        n = len(self.body.idx)
        enact = next((k for k in range(n) if ENACTING.match(self.line(k))), None)
        first_article = self._first_article(enact or 0)
        if first_article is None:
            return
        if enact is not None:
            start = enact + 1
            ln = self.all[self.body.idx[enact]]
            self.cuts.append(Cut(ln.start, ln.end, "enacting formula"))
        else:
            # No formula: the enacting terms begin with the headings printed just above `Article 1`.
            start = first_article
            while start > 0 and start > first_article - 6 and (
                TITLE.match(self.line(start - 1)) or CHAPTER.match(self.line(start - 1))
                or not any(c.islower() for c in self.line(start - 1))
            ):
                start -= 1
        preamble_end = enact if enact is not None else start
        if preamble_end > 0:
            self._preamble(0, preamble_end)
        annex = next((k for k in range(start, n) if ANNEX.match(self.line(k))), n)
        closing = next((k for k in range(start, annex) if CLOSING.match(self.line(k))), None)
        self._articles(start, closing if closing is not None else annex)
        if closing is not None:
            end = self.start(annex) if annex < n else len(self.text)
            self.cuts.append(Cut(self.start(closing), end, "closing formula and signatures"))
        self._annexes(annex, n)

    def _first_article(self, begin: int) -> int | None:
        for k in range(begin, len(self.body.idx)):
            m = ARTICLE.match(self.line(k))
            if m and int(m.group(1)) == 1:
                return k
        return None

    def _preamble(self, begin: int, end: int) -> None:
        """`preamble` from the top; recitals `(1)`, `(2)`, … in order after it."""
        self.mark(begin, "preamble", kind="preamble", heading_path=("Preamble",), title="Preamble")
        expected = 1
        for k in range(begin + 1, end):
            m = RECITAL.match(self.line(k))
            if m and int(m.group(1)) == expected and self._ends_sentence(k - 1):
                self.mark(k, f"recital.{expected}", parent="preamble", kind="recital", heading_path=("Recitals",))
                expected += 1

    def _ends_sentence(self, k: int) -> bool:
        return k < 0 or self.line(k).endswith((".", ":", ";"))

    # -- the enacting terms

    def _name(self, k: int, end: int, caps: bool) -> tuple[str, int]:
        """A heading's name from the lines after its label: capitals (titles, annexes) or up to the next
        structural line (chapters, sections). Returns the name and the first line after it."""
        parts: list[str] = []
        j = k + 1
        while j < end and len(parts) < 3:
            s = self.line(j)
            if ARTICLE.match(s) or CHAPTER.match(s) or SECTION.match(s) or PART.match(s) or TITLE.match(s):
                break
            if caps and any(c.islower() for c in s):
                break
            if not caps and parts and not s[:1].islower():
                break
            parts.append(s)
            j += 1
        return " ".join(parts), j

    def _articles(self, begin: int, end: int) -> None:
        levels: dict[str, tuple[str, str] | None] = {"title": None, "chapter": None, "section": None}
        expected = 1
        seen: set[str] = set()  # a heading printed twice (quoted in an amendment) is text the second time
        k = begin
        while k < end:
            heading = self._heading(k, levels)
            if heading and heading[1] not in seen:
                kind, cite = heading
                seen.add(cite)
                name, nxt = self._name(k, end, caps=kind == "title")
                name = sentence_case(name, self.keep)
                label = f"{kind.capitalize()} {self.line(k).split()[1]} {name}".strip()
                outer = {"title": None, "chapter": levels["title"], "section": levels["chapter"] or levels["title"]}
                outer = outer[kind]
                if kind == "title":
                    levels.update(chapter=None, section=None)
                elif kind == "chapter":
                    levels.update(section=None)
                levels[kind] = (cite, label)
                path = self._path(levels["title"], levels["chapter"], levels["section"])
                self.mark(k, cite, parent=outer[0] if outer else None, kind=kind, heading_path=path, title=name)
                k = nxt
                continue
            m = ARTICLE.match(self.line(k))
            if m and int(m.group(1)) == expected and self._next_starts_upper(k, end):
                number = expected
                expected += 1
                title, nxt = self._article_title(k, end)
                path = self._path(levels["title"], levels["chapter"], levels["section"])
                path += (f"Article {number} {title}".strip(),)
                outer = levels["section"] or levels["chapter"] or levels["title"]
                self.mark(k, f"art.{number}", parent=outer[0] if outer else None, kind="article",
                          heading_path=path, title=title)
                stop = self._next_structure(nxt, end, expected, levels, seen)
                _Article(self, f"art.{number}", path).walk(nxt, stop)
                k = stop
                continue
            k += 1

    def _heading(self, k: int, levels: dict) -> tuple[str, str] | None:
        """(kind, citation) if body line k is a TITLE, CHAPTER or SECTION label, else None."""
        s = self.line(k)
        if m := TITLE.match(s):
            return "title", f"title.{m.group(1)}"
        if m := CHAPTER.match(s):
            outer = levels["title"]
            return "chapter", f"{outer[0]} ch.{m.group(1)}" if outer else f"ch.{m.group(1)}"
        if m := SECTION.match(s):
            outer = levels["chapter"] or levels["title"]
            return "section", f"{outer[0]} sec.{m.group(1)}" if outer else f"sec.{m.group(1)}"
        return None

    @staticmethod
    def _path(*levels) -> tuple[str, ...]:
        return tuple(level[1] for level in levels if level)

    def _next_starts_upper(self, k: int, end: int) -> bool:
        return k + 1 < end and self.line(k + 1)[:1].isupper()

    def _article_title(self, k: int, end: int) -> tuple[str, int]:
        """The title line(s) after `Article N`: the next line unless it reads as body text, plus lines
        that continue it in lower case."""
        j = k + 1
        if j >= end:
            return "", j
        first = self.line(j)
        if first.endswith((".", ":", ";")) or PARAGRAPH.match(first) or POINT.match(first):
            return "", j
        parts = [first]
        j += 1
        while j < end and len(parts) < 3 and self.line(j)[:1].islower():
            parts.append(self.line(j))
            j += 1
        return " ".join(parts), j

    def _next_structure(self, k: int, end: int, expected_article: int, levels: dict, seen: set[str]) -> int:
        """The body line where the current article ends: the next article, or a new title, chapter or section."""
        for j in range(k, end):
            m = ARTICLE.match(self.line(j))
            if m and int(m.group(1)) == expected_article and self._next_starts_upper(j, end):
                return j
            heading = self._heading(j, levels)
            if heading and heading[1] not in seen:
                return j
        return end

    # -- annexes

    def _annexes(self, begin: int, end: int) -> None:
        k = begin
        seen: set[str] = set()
        while k < end:
            m = ANNEX.match(self.line(k))
            if not m:
                k += 1
                continue
            number = m.group(1) or ""
            cite = f"annex.{number}" if number else "annex"
            if cite in seen:  # an annex heading repeated (a continuation page): text of the annex
                k += 1
                continue
            seen.add(cite)
            name, nxt = self._name(k, end, caps=True)
            head = f"Annex {number} {sentence_case(name, self.keep)}".replace("  ", " ").strip()
            self.mark(k, cite, kind="annex", heading_path=(head,), title=sentence_case(name, self.keep))
            stop = next((j for j in range(nxt, end) if ANNEX.match(self.line(j))), end)
            self._annex_body(cite, (head,), nxt, stop)
            k = stop

    def _annex_body(self, annex: str, path: tuple[str, ...], begin: int, end: int) -> None:
        container, container_path = annex, path
        expected = 1
        parts_seen: set[str] = set()
        lists: _Lists | None = None
        for k in range(begin, end):
            s = self.line(k)
            m_part = PART.match(s)
            if m_part and m_part.group(1) not in parts_seen and self._ends_sentence_or_heading(k - 1, begin):
                parts_seen.add(m_part.group(1))
                container = f"{annex} part.{m_part.group(1)}"
                name = (m_part.group(2) or "").strip()
                container_path = path + (f"Part {m_part.group(1)} {name}".strip(),)
                self.mark(k, container, parent=annex, kind="part", heading_path=container_path, title=name)
                expected, lists = 1, None
                continue
            m_para = PARAGRAPH.match(s)
            if m_para and int(m_para.group(1)) == expected and self._ends_sentence_or_heading(k - 1, begin):
                cite = f"{container} point.{expected}"
                self.mark(k, cite, parent=container, kind="point", heading_path=container_path)
                expected += 1
                lists = _Lists(self, cite, container_path)
                continue
            m_point = POINT.match(s)
            if lists is not None and m_point and POINT_AFTER.search(self.line(k - 1)):
                lists.point(k, m_point.group(1), end)

    def _ends_sentence_or_heading(self, k: int, begin: int) -> bool:
        if k < begin:
            return True
        s = self.line(k)
        return bool(PARAGRAPH_AFTER.search(s)) or not any(c.islower() for c in s) or bool(PART.match(s))


class _Lists:
    """Nested lists of points under one container (a paragraph, subparagraph, article or annex point)."""

    def __init__(self, walker: _Walker, container: str, path: tuple[str, ...]):
        self.w = walker
        self.container = container
        self.path = path
        self.stack: list[_Level] = []
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
        continuing = [
            (d, lv.kind)
            for d, lv in enumerate(self.stack)
            if lv.kind in kinds and next_label(lv.kind, lv.label) == label
        ]
        starting = [kind for kind in kinds if FIRST[kind] == label and all(lv.kind != kind for lv in self.stack)]
        if continuing and starting:
            # `(i)` after `(h)`: a ninth letter, or the first of sub-points? The next label tells.
            ahead = self.lookahead(k, end)
            if ahead is not None and ahead == next_label(starting[0], label):
                return len(self.stack), starting[0]
            d, kind = continuing[-1]
            return d, kind
        if continuing:
            d, kind = continuing[-1]
            return d, kind
        if starting:
            return len(self.stack), starting[0]
        return None

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
        self.stack.append(_Level(kind, label, cite))
        self.last_mark_line = k
        return True

    def restarts(self, label: str) -> bool:
        """A first label (`a`, `i`, `1`) of a kind already open, that continues no open list: a new list,
        not a sub-list (`(i)` after `(h)` whose sub-points ran `(i)`, `(ii)` is the ninth letter)."""
        kinds = label_kinds(label)
        if any(lv.kind in kinds and next_label(lv.kind, lv.label) == label for lv in self.stack):
            return False
        return any(FIRST[kind] == label and any(lv.kind == kind for lv in self.stack) for kind in kinds)


class _Article:
    """Paragraphs, points and subparagraphs of one article."""

    def __init__(self, walker: _Walker, citation: str, path: tuple[str, ...]):
        self.w = walker
        self.article = citation
        self.path = path
        self.paragraph = 0
        self.para_cite = citation  # the paragraph, or the article while it has no numbered paragraph
        self.subpara = 1
        self.split_subparas = False  # a subparagraph unit was made in this paragraph: later ones get units
        self.lists = _Lists(walker, citation, path)

    def _open_paragraph(self, k: int, number: int) -> None:
        self.paragraph = number
        self.para_cite = f"{self.article}({number})"
        self.w.mark(k, self.para_cite, parent=self.article, kind="paragraph", heading_path=self.path)
        self.subpara = 1
        self.split_subparas = False
        self.lists = _Lists(self.w, self.para_cite, self.path)

    def _open_subparagraph(self, k: int) -> None:
        cite = f"{self.para_cite} subpara.{self.subpara}"
        self.w.mark(k, cite, parent=self.para_cite, kind="subparagraph", heading_path=self.path)
        self.split_subparas = True
        self.lists = _Lists(self.w, cite, self.path)

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


def split(extracted: Extracted) -> SplitResult:
    """Units of an EU act (see the module docstring for the citations). A text with no `Article 1` is
    split by the generic splitter."""
    walker = _Walker(extracted)
    walker.run()
    if not walker.marks:
        from crosswalk.ingest.splitters import generic

        return generic.split(extracted)
    return build(extracted.text, walker.marks, walker.cuts)
