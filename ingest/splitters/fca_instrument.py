"""The draft Handbook instrument printed in an FCA paper's appendix (see `fca` for the citations it gets).

The instrument's lettered paragraphs (`app.1 para.A`), its annexes (`app.1 annex.B`), each annex's
sourcebook chapters, sections and provisions (`CASS 16.2.13R`), their sub-paragraphs (`CASS 16.2.13R(1)(a)`),
chapter annexes (`CASS 16 Annex 1`) and the Glossary's definitions (`Glossary backing asset pool`).
`InstrumentReader` holds the reading; the paper's splitter (`fca._Splitter`) inherits it and provides the
bookkeeping it calls: `all_lines`, `floor`, `title_floor`, `_mark`, `_unit`, `_start_of`, `_line_above` and
`_title_lines`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crosswalk.ingest.labels import LETTER, NUMBER, ROMAN, Sequence, continuing, opening

APPENDIX = re.compile(r"^Appendix (\d{1,2})\s*$")
INSTRUMENT_ANNEX = re.compile(r"^Annex ([A-Z])\s*$")
PREAMBLE_PARA = re.compile(r"^([A-Z])\.\s+\S")
SB_NAME = re.compile(r"\(([A-Z][A-Z0-9]{1,9})\)")
SB_NEW_CHAPTER = re.compile(r"\b([A-Z][A-Z0-9]{1,9}) (\d{1,2})\b")
SB_CHAPTER = re.compile(r"^(\d{1,2}) ([A-Z].*?)\s*$")
SB_SECTION = re.compile(r"^(\d{1,2})\.(\d{1,2}) ([A-Z].*?)\s*$")
# `16.2.13 R A firm…`; the status letter apart from the number (a cross-reference reads `16.2.13R`).
RULE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{1,3})[ \t]+([RGED])(?=\s|$)")
RULE_NUMBER_ALONE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{1,3})\s*$")
STATUS_ALONE = re.compile(r"^\s*([RGED])(?=\s|$)")
SB_ANNEX = re.compile(r"^Annex (\d{1,2})\s*$")
SB_ANNEX_WORD = re.compile(r"^\s*Annex\s*$")
SB_ANNEX_NUMBER = re.compile(r"^\s*(\d{1,2})\.(\d{1,3})\s*$")
CHAPTER_NUMBER_ALONE = re.compile(r"^\s*(\d{1,2})\s*$")
SB_SUBHEADING = re.compile(r"^ (?=[A-Z])")  # one space, then a capital: an indented heading row
SUB_LABEL = re.compile(r"\((\d{1,2}|[a-z]{1,4}|[A-Z])\)[ \t]")
# The instrument's running head, in case the reader left it: never a heading or a defined term.
RUNNING_HEAD = re.compile(r"^\s*FCA 20[\dX]{2}/[\dY]{1,3}\s*$")
GLOSSARY_INSTRUCTION = re.compile(r"^(Insert|Amend|Delete) the following\b")
GLOSSARY_DEF_LEAD = re.compile(r"^(?:a|an|the|in relation to)\s")
GLOSSARY_DEF_SPLIT = re.compile(r"\s+(?=\(|…|(?:a|an|the|in relation to)\s)")
GLOSSARY_TERM_MAX_CHARS = 26  # the term column's width: a longer line is definition text
GLOSSARY_HEADINGS = {"Insert": "New definitions", "Amend": "Amended definitions", "Delete": "Deleted definitions"}
STATUS_KIND = {"R": "rule", "G": "guidance", "E": "evidential", "D": "direction"}
MAX_SKIP = 3  # how far a number may jump ahead (a provision lost by the extractor must not stop the rest)
MAX_RULE_SKIP = 5


#: Sub-paragraph labels of a Handbook provision, in the order a label's kinds are tried: `(1)`, `(A)`, `(a)`,
#: `(i)` (Handbook numerals stay below xl).
SEQUENCES = {"number": Sequence(NUMBER), "capital": Sequence(LETTER, upper=True), "letter": Sequence(LETTER),
             "roman": Sequence(ROMAN, maximum=39)}
CAPITALS = SEQUENCES["capital"]  # the instrument's paragraphs `A.`, `B.` and its annexes `Annex A`, `Annex B`


def label_kinds(label: str) -> list[str]:
    """The kinds a sub-paragraph label can be, most likely first.

    >>> label_kinds("3"), label_kinds("i"), label_kinds("C"), label_kinds("iv"), label_kinds("ab")
    (['number'], ['letter', 'roman'], ['capital'], ['roman'], [])
    """
    return [kind for kind, seq in SEQUENCES.items() if label in seq]


def next_label(path: list[tuple[str, str]], label: str) -> list[tuple[str, str]] | None:
    """The sub-paragraph path after `label`, given the current path of (kind, label), or None if `label` is
    not the next label at any open level nor the first of a new level (a cross-reference, a list in text).
    The deepest open level that `label` continues wins: `(i)` after `(h)` is a letter, after `(c)` a roman.

    >>> next_label([("number", "1"), ("letter", "h")], "i")
    [('number', '1'), ('letter', 'i')]
    >>> next_label([("number", "1"), ("letter", "c")], "i")
    [('number', '1'), ('letter', 'c'), ('roman', 'i')]
    >>> next_label([("number", "2")], "1") is None
    True
    """
    kinds = label_kinds(label)
    depths = continuing(path, label, kinds, SEQUENCES)
    if depths:
        return list(path[: depths[0]]) + [(path[depths[0]][0], label)]
    new = opening(path, label, kinds, SEQUENCES)
    return list(path) + [(new[0], label)] if new else None


def glossary_term(entry: list[str]) -> str:
    """The defined term at the head of a Glossary entry, whose lines come from a two-column table (the
    term's words on the left, wrapped, then the definition; a one-line term shares its line).

    Example: glossary_term(["backing asset", "pool", "a pool of money and/or assets held by a firm"]) ==
    "backing asset pool"; glossary_term(["calculation date the date on which a firm should"]) ==
    "calculation date"; glossary_term(["rules", "CASS 17."]) == "rules".
    """
    words: list[str] = []
    for i, raw in enumerate(entry):
        s = " ".join(raw.split())
        if not s:
            continue
        if s[0] in "(…[" or GLOSSARY_DEF_LEAD.match(s):
            break
        if i > 0 and (s[0].isupper() or len(s) > GLOSSARY_TERM_MAX_CHARS or s.endswith(".")):
            break  # a definition that opens with a name (`CASS 17.`), or a line of definition text
        m = GLOSSARY_DEF_SPLIT.search(s)
        if m:
            words.append(s[: m.start()])  # a one-line term shares its line with the definition
            break
        if len(s) > GLOSSARY_TERM_MAX_CHARS or s.endswith("."):
            # A first line too long for the term column, with no definition opening: the term is its first word.
            words.append(s.split()[0])
            break
        words.append(s)
    return " ".join(" ".join(words).split())


@dataclass
class Scope:
    """Numbering state inside one chapter or annex of the paper, or the instrument's preamble."""

    citation: str
    heading: tuple[str, ...]
    last: int = 0
    last_question: int = 0
    subheading: str = ""


@dataclass
class Book:
    """State inside an instrument annex that makes or amends one sourcebook (or the Glossary)."""

    name: str
    letter: str
    citation: str
    heading: tuple[str, ...]
    chapter: int | None = None
    chapter_cite: str = ""
    chapter_heading: tuple[str, ...] = ()
    section: int | None = None
    section_cite: str = ""
    section_heading: tuple[str, ...] = ()
    annex: int | None = None
    annex_cite: str = ""
    annex_heading: tuple[str, ...] = ()
    last: int = 0  # last provision number in the current section or chapter annex
    subheading: str = ""
    pending: int | None = None  # start of a sub-heading (or Glossary instruction) waiting for its unit
    pending_text: str = ""
    pending_lines: int = 0
    provision: str | None = None  # the provision whose sub-paragraphs are being read
    provision_heading: tuple[str, ...] = ()
    path: list[tuple[str, str]] = field(default_factory=list)
    complete: bool = True  # Glossary: the line above ended a sentence

    def enter_chapter(self, n: int, cite: str, heading: tuple[str, ...]) -> None:
        self.chapter, self.chapter_cite, self.chapter_heading = n, cite, heading
        self.section, self.annex, self.last, self.subheading, self.provision = None, None, 0, "", None
        self.drop_pending()

    def enter_section(self, n: int, cite: str, heading: tuple[str, ...]) -> None:
        self.section, self.section_cite, self.section_heading = n, cite, heading
        self.last, self.subheading, self.provision = 0, "", None
        self.drop_pending()

    def enter_annex(self, n: int, cite: str, heading: tuple[str, ...]) -> None:
        self.annex, self.annex_cite, self.annex_heading = n, cite, heading
        self.last, self.subheading, self.provision = 0, "", None
        self.drop_pending()

    def drop_pending(self) -> None:
        self.pending, self.pending_text, self.pending_lines = None, "", 0


class InstrumentReader:
    """Reads the instrument in an appendix into units; mixed into the paper's splitter (module docstring)."""

    def _appendix(self, i: int, end: int, number: int) -> None:
        app = f"app.{number}"
        title, nxt = self._title_lines(i, end, ("appendix", str(number)))
        app_heading = (f"Appendix {number} {title}".strip(),)
        self._mark(self.all_lines[i].start, app, None, app_heading, "appendix", title)
        preamble = Scope(app, app_heading)
        book: Book | None = None
        self.floor, self.title_floor = nxt, True
        j = nxt
        while j < end:
            t = self.all_lines[j].text
            m = APPENDIX.match(t)
            if m and int(m.group(1)) == number + 1:
                self._appendix(j, end, number + 1)
                return
            m = INSTRUMENT_ANNEX.match(t)
            expected = CAPITALS.next(book.letter) if book else CAPITALS.first
            if m and m.group(1) == expected:
                book, j = self._instrument_annex(j, end, app, expected)
                continue
            if book is None:
                m = PREAMBLE_PARA.match(t)
                expected = CAPITALS.label(preamble.last + 1)
                if m and t[0] == expected:
                    if self._unit(j, f"{app} para.{expected}", preamble, "paragraph"):
                        preamble.last += 1
            elif book.name == "Glossary":
                self._glossary_line(j, book)
            else:
                j = self._book_line(j, end, book)
            j += 1

    def _instrument_annex(self, i: int, end: int, app: str, letter: str) -> tuple[Book, int]:
        """Mark `Annex B` of the instrument and learn its sourcebook from its title or its first lines."""
        title, nxt = self._title_lines(i, end, ("", ""), fallback_lines=1)
        cite = f"{app} annex.{letter}"
        heading = (f"Annex {letter} {title}".strip(),)
        self._mark(self.all_lines[i].start, cite, app, heading, "annex", title)
        name = ""
        if "glossary" in title.lower():
            name = "Glossary"
        elif SB_NAME.search(title):
            name = SB_NAME.search(title).group(1)
        else:
            for ln in self.all_lines[nxt : min(end, nxt + 12)]:
                m = SB_NEW_CHAPTER.search(ln.text)
                if m:
                    name = m.group(1)
                    break
        return Book(name=name or f"{app} annex.{letter}", letter=letter, citation=cite, heading=heading), nxt

    def _glossary_line(self, j: int, book: Book) -> None:
        t = self.all_lines[j].text
        s = t.strip()
        if not s or RUNNING_HEAD.match(s):
            return
        complete, book.complete = book.complete, bool(re.search(r"[.…][’'”\")\]]*$", s))
        m = GLOSSARY_INSTRUCTION.match(t)
        if m:
            book.subheading = GLOSSARY_HEADINGS[m.group(1)]
            if book.pending is None:
                book.pending = self._start_of(j)
            return
        if s.startswith("[") and complete:
            if book.pending is None:
                book.pending = self._start_of(j)  # an editor's note belongs to the entry it introduces
            return
        starts_entry = (
            complete
            and t == t.lstrip()
            and (s[0].islower() or (re.match(r"[A-Z]{2,}\b", s) and len(s) <= GLOSSARY_TERM_MAX_CHARS))
        )
        if not starts_entry:
            return
        entry = [ln.text for ln in self.all_lines[j : j + 8]]
        term = glossary_term(entry)
        if not term:
            return
        start = book.pending if book.pending is not None else self._start_of(j)
        heading = book.heading + ((book.subheading,) if book.subheading else ())
        if self._mark(start, f"Glossary {term}", book.citation, heading, "definition", term):
            book.pending = None

    def _book_line(self, j: int, end: int, book: Book) -> int:
        """Read line `j` inside an annex that makes or amends a sourcebook; returns the last line it used."""
        t = self.all_lines[j].text
        s = t.strip()
        if not s or RUNNING_HEAD.match(s):
            return j
        if self._book_heading(j, end, book):
            return j
        if book.chapter is None:
            return j
        for reader in (self._book_rule, self._book_annex, self._book_annex_provision):
            used = reader(j, end, book)
            if used is not None:
                return used
        if SB_SUBHEADING.match(t):
            book.pending, book.pending_text, book.pending_lines = self._start_of(j), s, 0
            return j
        structural = CHAPTER_NUMBER_ALONE.match(t) or SB_ANNEX_WORD.match(t)
        if book.pending is not None and t == t.lstrip() and not structural and not s.startswith("["):
            if book.pending_lines < 1 and not SUB_LABEL.match(s):
                book.pending_text += " " + s  # a sub-heading wrapped onto a second line
                book.pending_lines += 1
                return j
        if not structural:
            book.drop_pending()  # text follows, not a provision: the indented line headed nothing
        self._sub_paragraph(j, self._start_of(j), s, book)
        return j

    def _book_heading(self, j: int, end: int, book: Book) -> bool:
        """A chapter heading (`16 Stablecoin backing assets`) or a section heading (`16.2 Managing…`)."""
        t = self.all_lines[j].text
        sb = book.name
        m = SB_CHAPTER.match(t)
        if m and (book.chapter is None or int(m.group(1)) > book.chapter) and self._opens_chapter(j, end, m.group(1)):
            n, title = int(m.group(1)), m.group(2)
            book.enter_chapter(n, f"{sb} {n}", (f"{sb} {n} {title}",))
            start = self.all_lines[j].start
            self._mark(start, book.chapter_cite, book.citation, book.chapter_heading, "chapter", title)
            return True
        m = SB_SECTION.match(t)
        if m and book.chapter is not None and int(m.group(1)) == book.chapter and book.annex is None:
            n, title = int(m.group(2)), m.group(3)
            # An instrument may amend a chapter from any section on (`7.13`); after that, numbers run on.
            if book.section is None or book.section < n <= book.section + MAX_SKIP:
                cite = f"{sb} {book.chapter}.{n}"
                heading = book.chapter_heading + (f"{cite} {title}",)
                book.enter_section(n, cite, heading)
                self._mark(self.all_lines[j].start, cite, book.chapter_cite, heading, "section", title)
                return True
        return False

    def _book_rule(self, j: int, end: int, book: Book) -> int | None:
        """A provision `16.2.13 R …` (or `2.4.33` with `R` on the next line) of the current section."""
        t = self.all_lines[j].text
        m = RULE.match(t)
        status_line = j
        if m:
            status = m.group(4)
        else:
            m = RULE_NUMBER_ALONE.match(t)
            k = self._next_nonblank(j, end) if m else None
            letter = STATUS_ALONE.match(self.all_lines[k].text) if k is not None else None
            if not letter:
                return None
            status, status_line = letter.group(1), k
        if book.section is None or book.annex is not None:
            return None
        if (int(m.group(1)), int(m.group(2))) != (book.chapter, book.section):
            return None  # a cross-reference to another section that happens to open a line
        n = int(m.group(3))
        if not (book.last == 0 or book.last < n <= book.last + MAX_RULE_SKIP):
            return None
        cite = f"{book.name} {book.chapter}.{book.section}.{n}{status}"
        if not self._provision(j, status_line, cite, book.section_cite, book, STATUS_KIND[status]):
            return None
        book.last = n
        return status_line

    def _book_annex(self, j: int, end: int, book: Book) -> int | None:
        """A chapter's annex: `16` / `Annex 1` / its title -> `CASS 16 Annex 1`."""
        m = SB_ANNEX.match(self.all_lines[j].text)
        if not (m and int(m.group(1)) == (book.annex or 0) + 1):
            return None
        n = int(m.group(1))
        start = self._chapter_number_above(j, book)
        nxt = j + 1
        words: list[str] = []
        while nxt < end and len(words) < 2:
            u = self.all_lines[nxt].text
            us = u.strip()
            if us and (SB_ANNEX_WORD.match(u) or CHAPTER_NUMBER_ALONE.match(u) or SB_SUBHEADING.match(u)
                       or us.startswith("[")):
                break
            if us:
                words.append(us)
            nxt += 1
        title = " ".join(words)
        cite = f"{book.name} {book.chapter} Annex {n}"
        heading = book.chapter_heading + (f"{cite} {title}".strip(),)
        book.enter_annex(n, cite, heading)
        self._mark(start, cite, book.chapter_cite, heading, "annex", title)
        return nxt - 1

    def _book_annex_provision(self, j: int, end: int, book: Book) -> int | None:
        """A provision of a chapter's annex, printed down a column: `16` / `Annex` / `3.1` / `G This annex…`."""
        if book.annex is None or not SB_ANNEX_WORD.match(self.all_lines[j].text):
            return None
        k = self._next_nonblank(j, end)
        num = SB_ANNEX_NUMBER.match(self.all_lines[k].text) if k is not None else None
        k2 = self._next_nonblank(k, end) if num else None
        status = STATUS_ALONE.match(self.all_lines[k2].text) if k2 is not None else None
        if not (num and status and int(num.group(1)) == book.annex):
            return None
        p = int(num.group(2))
        if not book.last < p <= book.last + MAX_RULE_SKIP:
            return None
        cite = f"{book.annex_cite}.{p}{status.group(1)}"
        first = self._chapter_number_above(j, book)
        if not self._provision(j, k2, cite, book.annex_cite, book, STATUS_KIND[status.group(1)], first):
            return None
        book.last = p
        return k2

    def _opens_chapter(self, j: int, end: int, number: str) -> bool:
        """A sourcebook chapter heading is followed by its first section (or a `[to follow]` placeholder)."""
        k = self._next_nonblank(j, end)
        if k is None:
            return False
        nxt = self.all_lines[k].text
        m = SB_SECTION.match(nxt)
        return bool(m and m.group(1) == number) or nxt.strip().startswith("[")

    def _next_nonblank(self, j: int, end: int) -> int | None:
        k = j + 1
        while k < end:
            if self.all_lines[k].text.strip() and not RUNNING_HEAD.match(self.all_lines[k].text):
                return k
            k += 1
        return None

    def _chapter_number_above(self, j: int, book: Book) -> int:
        """Start of a `16 Annex …` block: the chapter number printed on the line above `Annex`, if any."""
        above = self._line_above(j, self.floor)
        if above is not None:
            m = CHAPTER_NUMBER_ALONE.match(self.all_lines[above].text)
            if m and int(m.group(1)) == book.chapter:
                return self._start_of(above)
        return self._start_of(j)

    def _provision(self, j: int, status_line: int, cite: str, parent: str, book: Book, kind: str,
                   start: int | None = None) -> bool:
        """Mark a rule (or guidance…) whose number is on line `j` and status letter on `status_line`."""
        if book.pending is not None:
            start = book.pending
            book.subheading = book.pending_text
        heading = book.section_heading if book.annex is None else book.annex_heading
        heading = heading + ((book.subheading,) if book.subheading else ())
        start = self._start_of(j) if start is None else start
        book.drop_pending()
        if not self._mark(start, cite, parent, heading, kind):
            return False
        self.floor, self.title_floor = status_line + 1, False
        book.provision, book.provision_heading, book.path = cite, heading, []
        # The first sub-paragraph may share the status letter's line: `16.2.11 R (1) A firm must…`.
        ln = self.all_lines[status_line]
        m = RULE.match(ln.text) or STATUS_ALONE.match(ln.text)
        rest = ln.text[m.end():]
        offset = ln.start + m.end() + len(rest) - len(rest.lstrip())
        self._sub_paragraph(status_line, offset, rest.strip(), book)
        return True

    def _sub_paragraph(self, j: int, offset: int, s: str, book: Book) -> None:
        """Mark `(1)`, `(a)`, `(i)`, `(A)` opening the text `s` (at `offset`) inside the current provision."""
        while book.provision is not None:
            m = SUB_LABEL.match(s)
            if not m:
                return
            path = next_label(book.path, m.group(1))
            if path is None:
                return
            cite = book.provision + "".join(f"({label})" for _, label in path)
            parent = book.provision + "".join(f"({label})" for _, label in path[:-1])
            if not self._mark(offset, cite, parent, book.provision_heading, "subparagraph"):
                return
            book.path = path
            self.floor, self.title_floor = j + 1, False
            # `(4) (a) A firm should…`: a sub-paragraph whose first words are its own first sub-paragraph.
            rest = s[m.end():]
            offset += m.end() + len(rest) - len(rest.lstrip())
            s = rest.lstrip()
