"""FCA consultation and discussion papers, with the draft Handbook instruments they carry.

An FCA paper has two kinds of structure, and both become units:

1. The paper itself. `Chapter 3` with its title -> `ch.3`; numbered paragraphs `3.70 Our position…` (also
   printed `7. 2`) -> `para.3.70`, parent `ch.3`; consultation questions `Question 10: …` / `Q10: …` -> units
   `q.10` of their own (a question is what respondents cite, and it is not part of the paragraph before it).
   The paper's annexes (`Annex 2` `Cost benefit analysis`) number their paragraphs afresh (`1.`, `2.`, …), so
   their units carry the annex: `annex.2 para.15`, `annex.1 q.3`; they never collide with `para.x.y`.
   Unnumbered sub-headings (`Remuneration`) go into the heading path of the paragraphs under them; their
   words belong to the first of those paragraphs, so nothing a lawyer may need is moved out of sight.
2. The appendix with the draft instrument (`Appendix 1` `Draft Handbook text` -> `app.1`): the instrument's
   lettered paragraphs `A.`, `B.` -> `app.1 para.A`; its annexes `Annex B` -> `app.1 annex.B`, each of which
   names the sourcebook it makes or amends (`Amendments to the Client Assets sourcebook (CASS)`). Inside:
   chapters `16 Stablecoin backing assets` -> `CASS 16`; sections `16.2 …` -> `CASS 16.2`; provisions
   `16.2.13 R` (the status letter R rule, G guidance, E evidential provision, D direction, printed apart
   from the number, even on the next line) -> `CASS 16.2.13R`, parent `CASS 16.2`; their numbered
   sub-paragraphs `(1)`, `(a)`, `(i)`, `(A)` -> `CASS 16.2.13R(1)(a)`; chapter annexes `16 Annex 1` ->
   `CASS 16 Annex 1` and their provisions `16 Annex 3.1 G` -> `CASS 16 Annex 3.1G`. Indented sub-headings
   (`Permissible backing assets in the backing pool`) join the heading path, as in the paper.
   The Glossary annex gives one unit per defined term: `Glossary backing asset pool` (kind `definition`,
   title the term; no quotes, so the id stays a plain shell argument).

Left out on purpose (reported in `SplitResult.excluded`): the cover, disclaimer and `How to respond` page
(front matter), the table of contents, and the back cover with its boilerplate. Everything from `Chapter 1`
to the back cover lands in exactly one unit.

Numbers only move forward: a paragraph, question or provision number is a unit only if it is the next one
(or close after it) in its chapter, annex or section, so cross-references that happen to start a line
(`16.2.31R; and`, `3.15 and 3.16`) and lists that restart inside a paragraph stay text. (An instrument's first
section or provision in a chapter may have any number: amending instruments start mid-chapter.) A citation
met twice (two instruments amending one rule) keeps its first unit; the repeat stays text of the unit before
it. Same input, same units.

Known limits: sub-headings of the paper are recognised by their look (short lines without sentence
punctuation below a finished sentence), so a table's last row can pass for one; a paper's own glossary table
(DP23/4 Annex 3) stays one unit, as its terms and definitions share lines without a mark between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crosswalk.ingest.models import Extracted, Source, SplitResult
from crosswalk.ingest.splitters.base import Cut, Line, Mark, build, lines

# --- the paper ---------------------------------------------------------------------------------------
CONTENTS = re.compile(r"^\s*Contents\s*$")
CHAPTER = re.compile(r"^Chapter (\d{1,2})\s*$")
PAPER_ANNEX = re.compile(r"^Annex (\d{1,2})\s*$")
APPENDIX = re.compile(r"^Appendix (\d{1,2})\s*$")
# `3.70 Our position`, `7. 2 Below`; the number is followed by the start of a sentence, not `and`/`)`.
PARA = re.compile(r"^\s*(\d{1,2})\.\s?(\d{1,3})\s+(?=[A-Z‘'“\"(•£$€\d])")
# The extractor sometimes spaces the digits too: `7. 4 0 The regulatory regime` is paragraph 7.40.
PARA_SPACED = re.compile(r"^\s*(\d{1,2})\.\s?(\d \d{1,2}|\d\d \d)\s+(?=[A-Z‘'“\"(•£$€])")
# Annex paragraphs `15. The…` (or `176.` alone on its line, its text after a footnote).
ANNEX_PARA = re.compile(r"^\s*(\d{1,3})\.(?:\s+(?=[A-Z‘'“\"(•£$€\d])|\s*$)")
QUESTION = re.compile(r"^\s*(?:Question\s+|Q)(\d{1,3})\s*:")
# Table of contents entries: `Chapter 3 Requirements … Page 20`, `3. Requirements for issuers … 20`.
TOC_ENTRY = re.compile(r"^\s*(?:(Chapter|Annex|Appendix)\s+(\d{1,2})\b|(\d{1,2})\.\s)\s*(.*)$")
TOC_PAGE = re.compile(r"\s*(?:Page\s+)?\d{1,3}\s*$")
BACK_MATTER = re.compile(r"^\s*(?:© Financial Conduct Authority|We make all responses to formal consultation)")
# Sentence-final punctuation, possibly followed by closing quotes or brackets.
COMPLETE = re.compile(r"[.?!:;…][’'”\")\]]*\s*$")
# An instrument's title above its first heading: `STABLECOINS AND CRYPTOASSET SAFEGUARDING INSTRUMENT 202X`.
TITLE_IN_CAPITALS = re.compile(r"^(?=.*[A-Z]{6})[A-Z0-9 ,&()'’-]{20,}$")
HEADING_MAX_LINES = 3
HEADING_MAX_WORDS = 20
HEADING_MAX_CHARS = 100

# --- the instrument ------------------------------------------------------------------------------------
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

# --- detection -----------------------------------------------------------------------------------------
FCA_NAME = re.compile(r"Financial Conduct Authority")
MIN_PARAGRAPHS = 5


def detect(source: Source, extracted: Extracted) -> bool:
    """An FCA paper: issued by the FCA (or naming it), with a `Chapter 1` heading and numbered paragraphs.

    The structure is checked even when the source says FCA, so an FCA text of another shape (a Handbook
    page, a press release) falls through to a splitter that fits it.

    Example: detect(Source("x", "UK", issuer="FCA"), Extracted("Chapter 1\\n1.1 A\\n1.2 B\\n…")) needs at
    least five numbered paragraphs after the heading.
    """
    text = extracted.text
    if (source.issuer or "").strip().upper() != "FCA" and not FCA_NAME.search(text[:20000] + text[-5000:]):
        return False
    start = _body_start(lines(text))
    if start is None:
        return False
    found = 0
    for ln in lines(text[start:]):
        if PARA.match(ln.text):
            found += 1
            if found >= MIN_PARAGRAPHS:
                return True
    return False


def split(extracted: Extracted) -> SplitResult:
    """Units of an FCA paper and its draft instrument (see the module docstring for the citations)."""
    return _Splitter(extracted.text).run()


# --- pure helpers --------------------------------------------------------------------------------------


def _body_start(all_lines: list[Line]) -> int | None:
    """Index of the line `Chapter 1` that opens the body, or None if the text has no such heading."""
    for i, ln in enumerate(all_lines):
        m = CHAPTER.match(ln.text)
        if m and m.group(1) == "1":
            return i
    return None


def toc_titles(toc: list[str]) -> dict[tuple[str, str], str]:
    """Titles from a table of contents, keyed by (kind, number), page numbers dropped.

    Example: toc_titles(["Chapter 3 Requirements for issuing    Page 20", "4. Custody", "requirements 33",
    "Annex 1", "List of questions 96"]) == {("chapter", "3"): "Requirements for issuing",
    ("chapter", "4"): "Custody requirements", ("annex", "1"): "List of questions"}
    """
    titles: dict[tuple[str, str], str] = {}
    key: tuple[str, str] | None = None
    words: list[str] = []

    def close():
        if key and words:
            titles.setdefault(key, " ".join(words))

    for raw in toc:
        s = raw.strip()
        if not s:
            continue
        m = TOC_ENTRY.match(s)
        if m:
            close()
            kind = (m.group(1) or "chapter").lower()
            key = (kind, m.group(2) or m.group(3))
            words = []
            rest = m.group(4)
        else:
            rest = s
        if key is None:
            continue
        page = TOC_PAGE.search(rest)
        if page:
            rest = rest[: page.start()]
        words.extend(rest.split())
        if page and words:  # the page number closes the entry; a bare number before any title does not
            close()
            key, words = None, []
    close()
    return titles


def _norm_words(s: str) -> list[str]:
    return re.sub(r"[^a-z0-9 ]", "", s.lower().replace("-", " ")).split()


def roman(n: int) -> str:
    """Lower-case roman numeral. Example: roman(4) == "iv"; roman(9) == "ix"."""
    out = ""
    for value, letters in ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += letters
            n -= value
    return out


ROMANS = {roman(i): i for i in range(1, 40)}


def label_kinds(label: str) -> list[str]:
    """The kinds a sub-paragraph label can be, most likely first.

    Example: label_kinds("3") == ["number"]; label_kinds("i") == ["letter", "roman"]; label_kinds("C") ==
    ["capital"]; label_kinds("iv") == ["roman"].
    """
    if label.isdigit():
        return ["number"]
    if len(label) == 1 and label.isupper():
        return ["capital"]
    kinds = []
    if len(label) == 1 and label.islower():
        kinds.append("letter")
    if label in ROMANS:
        kinds.append("roman")
    return kinds


def _ordinal(kind: str, label: str) -> int:
    if kind == "number":
        return int(label)
    if kind == "roman":
        return ROMANS[label]
    return ord(label.lower()) - ord("a") + 1


def next_label(path: list[tuple[str, str]], label: str) -> list[tuple[str, str]] | None:
    """The sub-paragraph path after `label`, given the current path of (kind, label), or None if `label` is
    not the next label at any open level nor the first of a new level (a cross-reference, a list in text).

    Example: next_label([("number", "1"), ("letter", "h")], "i") == [("number", "1"), ("letter", "i")];
    next_label([("number", "1"), ("letter", "c")], "i") == [("number", "1"), ("letter", "c"), ("roman", "i")];
    next_label([("number", "2")], "1") is None.
    """
    kinds = label_kinds(label)
    # The next label at an open level, deepest first: `(i)` after `(h)` is a letter, after `(c)` a roman.
    for depth in range(len(path) - 1, -1, -1):
        kind, current = path[depth]
        if kind in kinds and _ordinal(kind, label) == _ordinal(kind, current) + 1:
            return path[:depth] + [(kind, label)]
    open_kinds = {k for k, _ in path}
    for kind in kinds:
        if kind not in open_kinds and _ordinal(kind, label) == 1:
            return path + [(kind, label)]
    return None


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


# --- the splitter ----------------------------------------------------------------------------------------


@dataclass
class _Scope:
    """Numbering state inside one chapter or annex of the paper, or the instrument's preamble."""

    citation: str
    heading: tuple[str, ...]
    last: int = 0
    last_question: int = 0
    subheading: str = ""


@dataclass
class _Splitter:
    text: str
    all_lines: list[Line] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    cuts: list[Cut] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    titles: dict[tuple[str, str], str] = field(default_factory=dict)
    floor: int = 0  # no sub-heading reaches above this line (the last unit's first line, a title)
    title_floor: bool = False  # the floor is the line after a chapter's or annex's title

    def run(self) -> SplitResult:
        self.all_lines = lines(self.text)
        start = _body_start(self.all_lines)
        if start is None:
            return build(self.text, [])
        self._contents(start)
        end = self._back_matter(start)
        self._paper(start, end)
        return build(self.text, self.marks, self.cuts)

    # -- bookkeeping --

    def _mark(self, start: int, citation: str, parent: str | None, heading: tuple[str, ...], kind: str,
              title: str = "") -> bool:
        """Add a unit start; a citation seen before (a second instrument amending the same rule) stays text."""
        if citation in self.seen:
            return False
        if self.marks and start <= self.marks[-1].start:
            return False
        self.seen.add(citation)
        self.marks.append(Mark(start, citation, parent, heading, kind, title))
        return True

    def _start_of(self, i: int) -> int:
        ln = self.all_lines[i]
        return ln.start + len(ln.text) - len(ln.text.lstrip())

    def _contents(self, body: int) -> None:
        """Cut the table of contents (from `Contents` to the body's `Chapter 1`) and read its titles."""
        for i in range(body - 1, -1, -1):
            if CONTENTS.match(self.all_lines[i].text):
                self.cuts.append(Cut(self.all_lines[i].start, self.all_lines[body].start, "toc"))
                self.titles = toc_titles([ln.text for ln in self.all_lines[i + 1 : body]])
                return

    def _back_matter(self, body: int) -> int:
        """Index of the first line of the back cover's boilerplate (cut to the end), or the line count."""
        for i in range(body, len(self.all_lines)):
            if BACK_MATTER.match(self.all_lines[i].text):
                self.cuts.append(Cut(self.all_lines[i].start, len(self.text), "back matter"))
                return i
        return len(self.all_lines)

    def _title_lines(self, i: int, end: int, key: tuple[str, str], fallback_lines: int = 1) -> tuple[str, int]:
        """The title printed after a heading line `i` (matched against the contents), and the next line index."""
        want = _norm_words(self.titles.get(key, ""))
        got: list[str] = []
        printed: list[str] = []
        j = i + 1
        while j < end and want:
            s = self.all_lines[j].text.strip()
            if not s:
                j += 1
                continue
            words = _norm_words(s)
            if words and want[: len(got) + len(words)] == got + words:
                got += words
                printed.append(s)
                j += 1
                if len(got) == len(want):
                    return " ".join(printed), j
                continue
            break
        if printed:
            return " ".join(printed), j
        j = i + 1
        printed = []
        while j < end and len(printed) < fallback_lines:
            s = self.all_lines[j].text.strip()
            j += 1
            if s:
                printed.append(s)
        return " ".join(printed), j

    def _heading_before(self, i: int, floor: int) -> tuple[int, str] | None:
        """A sub-heading printed just above line `i` (not above line `floor`): (its start offset, its text).

        A heading is one to three short lines without sentence punctuation (the last may be a question),
        starting with a capital, below a line that ends a sentence (or right below the chapter's title).
        Table rows and figure labels rarely pass: the line above them does not end a sentence.
        """
        block: list[int] = []
        j = i - 1
        while j >= floor and len(block) < HEADING_MAX_LINES:
            s = self.all_lines[j].text.strip()
            if not s or RUNNING_HEAD.match(s):
                j -= 1
                continue
            block.insert(0, j)
            j -= 1
        for k in range(len(block), 0, -1):
            cand = block[-k:]
            texts = [self.all_lines[x].text.strip() for x in cand]
            joined = " ".join(texts)
            if len(joined) > HEADING_MAX_CHARS * k or len(joined.split()) > HEADING_MAX_WORDS:
                continue
            if not texts[0][0].isupper() or any(not re.search(r"[a-z]", t) for t in texts) or "http" in joined:
                continue  # a heading opens with a capital and is not in capitals (figure labels, titles)
            if any(re.search(r"[.,;:!…]\s*$", t) for t in texts) or any(t.endswith("?") for t in texts[:-1]):
                continue
            if any(t[0] in "•–-(" for t in texts) or any(PARA.match(t) or QUESTION.match(t) for t in texts):
                continue
            above = self._line_above(cand[0], 0)
            if above is not None and not (above < floor and self.title_floor):
                s = self.all_lines[above].text.strip()
                # A question as heading (`What is custody?`) never follows a question: it ends one.
                ends = COMPLETE.search(s) and not (joined.endswith("?") and s.endswith("?"))
                if not (ends or TITLE_IN_CAPITALS.match(s)):
                    continue
            return self._start_of(cand[0]), joined
        return None

    def _line_above(self, i: int, floor: int) -> int | None:
        j = i - 1
        while j >= floor:
            s = self.all_lines[j].text.strip()
            if s and not RUNNING_HEAD.match(s):
                return j
            j -= 1
        return None

    # -- the paper --

    def _paper(self, start: int, end: int) -> None:
        chapter = annex = 0
        scope: _Scope | None = None
        in_annex = False
        body_questions = 0
        self.floor = start
        i = start
        while i < end:
            t = self.all_lines[i].text
            m = CHAPTER.match(t)
            if m and not in_annex and int(m.group(1)) == chapter + 1:
                chapter += 1
                title, nxt = self._title_lines(i, end, ("chapter", str(chapter)))
                cite = f"ch.{chapter}"
                heading = (f"Chapter {chapter} {title}".strip(),)
                self._mark(self.all_lines[i].start, cite, None, heading, "chapter", title)
                body_questions = scope.last_question if scope else 0
                scope = _Scope(cite, heading, last_question=body_questions)
                self.floor, self.title_floor = nxt, True
                i = nxt
                continue
            m = PAPER_ANNEX.match(t)
            if m and chapter and int(m.group(1)) == annex + 1:
                annex += 1
                in_annex = True
                title, nxt = self._title_lines(i, end, ("annex", str(annex)))
                cite = f"annex.{annex}"
                heading = (f"Annex {annex} {title}".strip(),)
                self._mark(self.all_lines[i].start, cite, None, heading, "annex", title)
                scope = _Scope(cite, heading)
                self.floor, self.title_floor = nxt, True
                i = nxt
                continue
            m = APPENDIX.match(t)
            if m and chapter:
                self._appendix(i, end, int(m.group(1)))
                return
            if scope is not None:
                self._paper_line(i, scope, in_annex)
            i += 1

    def _paper_line(self, i: int, scope: _Scope, in_annex: bool) -> None:
        t = self.all_lines[i].text
        q = QUESTION.match(t)
        if q:
            n = int(q.group(1))
            if n > scope.last_question and (scope.last_question == 0 or n <= scope.last_question + MAX_SKIP):
                cite = f"{scope.citation} q.{n}" if in_annex else f"q.{n}"
                if self._unit(i, cite, scope, "question"):
                    scope.last_question = n
            return
        if in_annex:
            m = ANNEX_PARA.match(t)
            if m:
                n = int(m.group(1))
                if scope.last < n <= scope.last + MAX_SKIP:
                    if self._unit(i, f"{scope.citation} para.{n}", scope, "paragraph"):
                        scope.last = n
            return
        for m in (PARA_SPACED.match(t), PARA.match(t)):
            if m and f"ch.{m.group(1)}" == scope.citation:
                n = int(m.group(2).replace(" ", ""))
                if scope.last < n <= scope.last + MAX_SKIP:
                    if self._unit(i, f"para.{m.group(1)}.{n}", scope, "paragraph"):
                        scope.last = n
                    return

    def _unit(self, i: int, cite: str, scope: _Scope, kind: str) -> bool:
        """Mark a paragraph or question at line `i`, taking in a sub-heading printed just above it."""
        start = self._start_of(i)
        head = self._heading_before(i, self.floor)
        if head:
            start, scope.subheading = head
        heading = scope.heading + ((scope.subheading,) if scope.subheading else ())
        if self._mark(start, cite, scope.citation, heading, kind):
            self.floor, self.title_floor = i + 1, False
            return True
        return False

    # -- the instrument --

    def _appendix(self, i: int, end: int, number: int) -> None:
        app = f"app.{number}"
        title, nxt = self._title_lines(i, end, ("appendix", str(number)))
        app_heading = (f"Appendix {number} {title}".strip(),)
        self._mark(self.all_lines[i].start, app, None, app_heading, "appendix", title)
        preamble = _Scope(app, app_heading)
        book: _Book | None = None
        self.floor, self.title_floor = nxt, True
        j = nxt
        while j < end:
            t = self.all_lines[j].text
            m = APPENDIX.match(t)
            if m and int(m.group(1)) == number + 1:
                self._appendix(j, end, number + 1)
                return
            m = INSTRUMENT_ANNEX.match(t)
            expected = chr(ord(book.letter) + 1) if book else "A"
            if m and m.group(1) == expected:
                book, j = self._instrument_annex(j, end, app, expected)
                continue
            if book is None:
                m = PREAMBLE_PARA.match(t)
                expected = chr(ord("A") + preamble.last)
                if m and t[0] == expected:
                    if self._unit(j, f"{app} para.{expected}", preamble, "paragraph"):
                        preamble.last += 1
            elif book.name == "Glossary":
                self._glossary_line(j, book)
            else:
                j = self._book_line(j, end, book)
            j += 1

    def _instrument_annex(self, i: int, end: int, app: str, letter: str) -> tuple["_Book", int]:
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
        return _Book(name=name or f"{app} annex.{letter}", letter=letter, citation=cite, heading=heading), nxt

    def _glossary_line(self, j: int, book: "_Book") -> None:
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

    def _book_line(self, j: int, end: int, book: "_Book") -> int:
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

    def _book_heading(self, j: int, end: int, book: "_Book") -> bool:
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

    def _book_rule(self, j: int, end: int, book: "_Book") -> int | None:
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

    def _book_annex(self, j: int, end: int, book: "_Book") -> int | None:
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

    def _book_annex_provision(self, j: int, end: int, book: "_Book") -> int | None:
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

    def _chapter_number_above(self, j: int, book: "_Book") -> int:
        """Start of a `16 Annex …` block: the chapter number printed on the line above `Annex`, if any."""
        above = self._line_above(j, self.floor)
        if above is not None:
            m = CHAPTER_NUMBER_ALONE.match(self.all_lines[above].text)
            if m and int(m.group(1)) == book.chapter:
                return self._start_of(above)
        return self._start_of(j)

    def _provision(self, j: int, status_line: int, cite: str, parent: str, book: "_Book", kind: str,
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

    def _sub_paragraph(self, j: int, offset: int, s: str, book: "_Book") -> None:
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


@dataclass
class _Book:
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
