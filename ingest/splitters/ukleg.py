"""UK Acts in the legislation.gov.uk plain-text extraction: `s.69`, `s.69(4)`, `s.69(4)(a)`, `sch.6 para.2(1)`.

The extraction (the Statute Law Database's revised text, as mirrored in `../shared/corpus`) starts with
`Title:`/`Date:`/`Publisher:`/`Identifier:` lines, prints headings as Markdown `#` lines and puts each
provision's label on a line of its own as a dotted path: `69` is s.69, `69.4` s.69(4), `69.4.a` s.69(4)(a),
`22.a` s.22(a) (a section with paragraphs and no subsections), `23.1.b.i` s.23(1)(b)(i).

How it reads
- Body headings of levels 3 to 6 are structure: level 3 is a Part (numbered in order, `Part 6 Miscellaneous`),
  levels 4 to 6 are chapters and cross-headings. The heading just above a section's label is the section's
  own title (`s.69 Cryptoassets`), as CLML's P1group title is; it heads the section's children.
- After `## SCHEDULES` each schedule is a title line followed by the line naming its enabling section
  (`Section 22`); schedules are numbered in order (`sch.6`), and their paragraphs are `sch.6 para.2(1)(a)`.
- Inserted text stays inside the provision that inserts it. A label whose parts do not follow the drafting
  grammar (number, then lower-case letter, then roman numeral, then capital letter: `8.2.71K`, `69.4.b.5`) is
  quoted text; so is every label under a provision once a heading of level 7 or deeper (the extraction's
  headings of inserted Parts and sections) appears inside it, until the next provision outside it.
- Structural heading lines are left out of the units' text (their words are in `heading_path` and `title`),
  reported as `excluded` with the reason `heading`; the title lines before the body are `front matter`.

The extraction sometimes drops words that sat inside square-bracketed amendment annotations (the heading of
s.1 reads `Revocation of`); `quality_note` counts the headings left dangling and points to the official CLML
XML, which `crosswalk fetch` prefers when the network allows.
"""

from __future__ import annotations

import re

from crosswalk.ingest.labels import unique_citation
from crosswalk.ingest.models import Extracted, Source, SplitResult
from crosswalk.ingest.splitters.base import Cut, Line, Mark, build, enough_lines, lines

HEADER = re.compile(r"\A\s*Title:.*\n(?:[A-Za-z]+:.*\n)*Identifier:\s*https?://www\.legislation\.gov\.uk/(\S+)", re.M)
HEADING = re.compile(r"^(#{1,20})\s*(.*?)\s*$")
LABEL = re.compile(r"^(\d+[A-Z]*)((?:\.[0-9A-Za-z]+)*)$")
ENABLING = re.compile(r"^\s*Sections?\s+(\d+)\s*$")
ROMAN = re.compile(r"^(?=[ivxlc]+$)c{0,3}(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")
STRUCTURE_DEPTH = 6  # headings deeper than this belong to inserted text
DANGLING = re.compile(r"\b(of|the|and|to|in|for|on|by|with|under|relating to)\s*$", re.I)
MIN_LABELS = 2  # the header names legislation.gov.uk; two labels show the dotted-path layout

SECTION_KINDS = ("section", "subsection", "paragraph", "sub-paragraph", "sub-sub-paragraph")
SCHEDULE_KINDS = ("paragraph", "sub-paragraph", "paragraph", "sub-paragraph", "sub-sub-paragraph")


def detect(source: Source, extracted: Extracted) -> bool:
    if extracted.format not in ("txt", "md") or not HEADER.match(extracted.text[:2000]):
        return False
    return enough_lines(extracted.text[:200_000], LABEL, MIN_LABELS)


def clml_url(extracted: Extracted) -> str:
    """The official CLML XML of the Act the extraction names (`…/ukpga/2023/29/data.xml`), or ""."""
    m = HEADER.match(extracted.text[:2000])
    return f"https://www.legislation.gov.uk/{m.group(1).strip('/')}/data.xml" if m else ""


def component_type(part: str, previous: int) -> int:
    """The drafting level of one label part after a part of level `previous` (0 = the provision's number):
    1 number, 2 lower-case letter, 3 roman numeral, 4 capital letter; 0 when the part cannot come there.

    >>> [component_type(p, q) for p, q in (("4", 0), ("a", 1), ("a", 0), ("ii", 2), ("5", 2), ("71K", 1))]
    [1, 2, 2, 3, 0, 0]
    """
    if previous == 0 and re.fullmatch(r"\d+[A-Z]*", part):
        return 1
    if previous <= 1 and re.fullmatch(r"[a-z]{1,3}", part):
        return 2
    if previous == 2 and ROMAN.match(part):
        return 3
    if previous == 3 and re.fullmatch(r"[A-Z]{1,2}", part):
        return 4
    return 0


def grammatical(parts: list[str]) -> bool:
    """True when the label's parts after the first follow the drafting grammar (`69.4.a`, `22.a`, `23.1.b.i`)."""
    level = 0
    for p in parts[1:]:
        level = component_type(p, level)
        if not level:
            return False
    return True


def roman(part: str) -> int:
    values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
    total = 0
    for a, b in zip(part, part[1:] + " "):
        v = values[a]
        total += -v if b != " " and values[b] > v else v
    return total


def first_or_next(part: str, previous: str | None, level: int) -> bool:
    """Whether `part` can be the first child at its level (`1`, `a`, `i`, `A`) or the one after `previous`
    (`3` then `4` or `3A`; `b` then `c` or `ba`; `ii` then `iii`). A label out of sequence, such as `(aa)`
    standing alone under an amending subsection, is quoted text.

    >>> first_or_next("a", None, 2), first_or_next("aa", None, 2), first_or_next("4", "3", 1), first_or_next("iv", "iii", 3)
    (True, False, True, True)
    """
    if previous is None:
        return part in ("1", "a", "i", "A")
    if level == 1:
        (n, s), (m, t) = _number(part), _number(previous)
        return (n == m + 1 and not s) or (n == m and s > t)
    if level == 3:
        return roman(part) == roman(previous) + 1
    if len(part) == 1 and len(previous) == 1:
        return ord(part) == ord(previous) + 1
    return part.startswith(previous) and len(part) == len(previous) + 1 or (
        len(part) == len(previous) and part[:-1] == previous[:-1] and ord(part[-1]) == ord(previous[-1]) + 1)


def _number(part: str) -> tuple[int, str]:
    m = re.match(r"(\d+)([A-Z]*)", part)
    return (int(m.group(1)), m.group(2)) if m else (0, "")


def _follows(new: str, last: str | None) -> bool:
    """A new top-level number comes right after the last (`9` after `8`, `9A` after `9`), or starts at 1."""
    if last is None:
        return new == "1"
    (n, s), (m, t) = _number(new), _number(last)
    return n == m + 1 and not s or (n == m and s > t) or (n == m + 1 and bool(s))


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.marks: list[Mark] = []
        self.cuts: list[Cut] = []
        self.taken: set[str] = set()
        self.headings: list[tuple[int, str]] = []  # the container stack: (level, entry)
        self.pending_title: tuple[int, str] | None = None  # a heading right above the next label
        self.parts = 0
        self.in_schedules = False
        self.schedule = 0
        self.schedule_entry = ""
        self.schedule_sections: list[int] = []
        self.top: str | None = None  # current section / schedule paragraph number
        self.unit: tuple[str, ...] = ()  # the label parts of the unit now open
        self.titles: dict[str, str] = {}  # section citation -> its title
        self.inserting: tuple[str, ...] | None = None  # label of the provision whose quoted text runs now
        self.dangling: list[str] = []
        self.max_section = 0
        self.schedule_parts = 0
        self.last_child: dict[tuple, str] = {}  # (which top unit, *label parts) -> the last child's label
        self.rejected: list[str] = []
        self.top_gen = 0
        self.part_text = False  # a schedule Part's heading was the last thing read: its own text may follow

    def unique(self, citation: str) -> str:
        return unique_citation(citation, self.taken)

    def citation(self, parts: tuple[str, ...]) -> str:
        tail = "".join(f"({p})" for p in parts[1:])
        if self.in_schedules:
            return f"sch.{self.schedule} para.{parts[0]}{tail}"
        return f"s.{parts[0]}{tail}"

    def run(self, all_lines: list[Line]) -> None:
        self.max_section = self._count_sections(all_lines)
        i = 0
        while i < len(all_lines):
            ln = all_lines[i]
            h = HEADING.match(ln.text)
            if h:
                self.heading(ln, len(h.group(1)), " ".join(h.group(2).split()))
            elif self.in_schedules and self.schedule_start(all_lines, i):
                pass
            else:
                m = LABEL.match(ln.text)
                if m:
                    self.label(ln, [m.group(1)] + [p for p in m.group(2).split(".") if p])
                elif ln.stripped:
                    self.pending_title = None
                    if self.part_text:
                        self.part_passage(ln)
                    self.part_text = False
            i += 1

    def _count_sections(self, all_lines: list[Line]) -> int:
        last = None
        for ln in all_lines:
            if ln.text.strip() == "## SCHEDULES":
                break
            m = LABEL.match(ln.text)
            if m and not m.group(2) and _follows(m.group(1), last):
                last = m.group(1)
        return _number(last)[0] if last else 0

    # -- headings

    def heading(self, ln: Line, level: int, title: str) -> None:
        if level <= 2:
            if self.marks:  # before the first section it is part of the front matter
                self.cuts.append(Cut(ln.start, ln.end, "heading"))
            if title.upper() == "SCHEDULES":
                self.in_schedules = True
                self.inserting = None
            return
        self.part_text = False
        if level > STRUCTURE_DEPTH:
            # the heading of an inserted Part or section: quoted text from here on, inside the open provision
            if self.unit and self.inserting is None:
                self.inserting = self.unit
            return
        self.inserting = None
        self.cuts.append(Cut(ln.start, ln.end, "heading"))
        if not title and not (self.in_schedules and level == 5):
            self.pending_title = None
            return
        self.check_dangling(title)
        if not self.in_schedules and level == 3:
            self.parts += 1
            entry = f"Part {self.parts} {title}"
        elif self.in_schedules and level == 5:
            self.schedule_parts += 1
            entry = f"Part {self.schedule_parts} {title}".strip()
            self.part_text = True
        else:
            entry = title
        self.headings = [(lv, e) for lv, e in self.headings if lv < level] + [(level, entry)]
        self.pending_title = (level, title) if not self.in_schedules else None

    def check_dangling(self, title: str) -> None:
        """Count a heading that ends mid-phrase (`Revocation of`): words dropped from an annotation."""
        if DANGLING.search(title):
            self.dangling.append(title)

    # -- schedules

    def schedule_start(self, all_lines: list[Line], i: int) -> bool:
        """A title line followed (after blank lines) by `Section N`, N a section of this Act, in order."""
        ln = all_lines[i]
        if not ln.stripped or LABEL.match(ln.text) or ENABLING.match(ln.text):
            return False
        j = i + 1
        while j < len(all_lines) and not all_lines[j].stripped:
            j += 1
        if j >= len(all_lines):
            return False
        m = ENABLING.match(all_lines[j].text)
        if not m:
            return False
        section = int(m.group(1))
        if not (1 <= section <= self.max_section) or (self.schedule_sections and section < self.schedule_sections[-1]):
            return False
        if i > 0 and all_lines[i - 1].stripped:  # a title stands on its own after a blank line
            return False
        self.schedule += 1
        self.schedule_sections.append(section)
        self.inserting = None
        self.top, self.unit = None, ()
        title = " ".join(ln.text.split())
        self.check_dangling(title)
        self.schedule_entry = f"Schedule {self.schedule} {title}".strip()
        self.headings = []
        self.schedule_parts = 0
        cite = self.unique(f"sch.{self.schedule}")
        self.marks.append(Mark(ln.start + len(ln.text) - len(ln.text.lstrip()), cite, None, (), "schedule", title))
        return True

    def part_passage(self, ln: Line) -> None:
        """Text of a schedule's Part before any numbered paragraph (Schedule 1's lists): cited `sch.1 pt.2`."""
        path = (self.schedule_entry, *(e for _, e in self.headings))
        cite = self.unique(f"sch.{self.schedule} pt.{self.schedule_parts}")
        self.marks.append(Mark(ln.start, cite, f"sch.{self.schedule}", path, "part", self.headings[-1][1]))
        self.top, self.unit, self.inserting = None, (), None

    # -- labels

    def label(self, ln: Line, parts: list[str]) -> None:
        self.part_text = False
        if self.in_schedules and not self.schedule:
            return
        own = tuple(parts)
        if len(parts) == 1:
            if self.top is not None and parts[0] == self.top:
                return  # a repeated number: text
            if not self.in_schedules and not _follows(parts[0], self.top):
                return
            if self.in_schedules and self.top is not None and not (
                _follows(parts[0], self.top) or parts[0] == "1"
            ):
                return
            self.top = parts[0]
            self.top_gen = len(self.marks)
            self.inserting = None
        else:
            if parts[0] != self.top or not grammatical(parts):
                return  # quoted text of an amendment, or a stray number
            if self.inserting is not None and own[: len(self.inserting)] == self.inserting:
                return
            self.inserting = None
        parent = self.citation(own[:-1]) if len(own) > 1 else (f"sch.{self.schedule}" if self.in_schedules else None)
        if parent is not None and parent not in self.taken:
            return  # a child whose parent never opened: quoted text
        if len(own) > 1:
            level = 0
            for p in own[1:]:
                level = component_type(p, level)
            if not first_or_next(own[-1], self.last_child.get((self.top_gen, *own[:-1])), level):
                self.rejected.append(".".join(own))
                return
            self.last_child[(self.top_gen, *own[:-1])] = own[-1]
        self.unit = own
        kinds = SCHEDULE_KINDS if self.in_schedules else SECTION_KINDS
        kind = kinds[min(len(parts) - 1, len(kinds) - 1)]
        title = ""
        path = [e for _, e in self.headings]
        if self.in_schedules:
            path = [self.schedule_entry] + path
        if len(parts) == 1 and not self.in_schedules:
            if self.pending_title is not None:
                level, title = self.pending_title
                # the title heads this section, not the ones after it
                self.headings = [(lv, e) for lv, e in self.headings if lv < level]
                path = [e for _, e in self.headings]
            self.titles[parts[0]] = title
        elif not self.in_schedules:
            section = f"s.{parts[0]}"
            t = self.titles.get(parts[0], "")
            path = [e for _, e in self.headings] + ([f"{section} {t}"] if t else [])
        self.pending_title = None
        cite = self.unique(self.citation(own))
        self.marks.append(Mark(ln.start, cite, parent, tuple(path), kind, title))


def split(extracted: Extracted) -> SplitResult:
    reader = _Reader(extracted.text)
    reader.run(lines(extracted.text))
    result = build(extracted.text, reader.marks, reader.cuts)
    return SplitResult(result.units, result.excluded, quality_note(extracted, reader.dangling))


def quality_note(extracted: Extracted, dangling: list[str]) -> str:
    """What a reader of this extraction should know, with the official CLML XML's address."""
    url = clml_url(extracted)
    note = (
        "Third-party plain-text extraction of legislation.gov.uk: words that sat inside square-bracketed "
        "amendment annotations are sometimes missing"
    )
    if dangling:
        note += f" ({len(dangling)} headings end mid-phrase, such as '{dangling[0]}')"
    note += ". Check wording against the official text"
    return note + (f" (CLML XML: {url})." if url else ".")
