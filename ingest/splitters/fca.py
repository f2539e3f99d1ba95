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

The paper is read here; the instrument in `fca_instrument`, whose reader this splitter inherits.

Known limits: sub-headings of the paper are recognised by their look (short lines without sentence
punctuation below a finished sentence), so a table's last row can pass for one; a paper's own glossary table
(DP23/4 Annex 3) stays one unit, as its terms and definitions share lines without a mark between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crosswalk.ingest.models import Extracted, Source, SplitResult
from crosswalk.ingest.splitters.base import Cut, Line, Mark, build, enough_lines, lines
from crosswalk.ingest.splitters.fca_instrument import APPENDIX, MAX_SKIP, RUNNING_HEAD, InstrumentReader, Scope

# --- the paper ---------------------------------------------------------------------------------------
CONTENTS = re.compile(r"^\s*Contents\s*$")
CHAPTER = re.compile(r"^Chapter (\d{1,2})\s*$")
PAPER_ANNEX = re.compile(r"^Annex (\d{1,2})\s*$")
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
    return start is not None and enough_lines(text[start:], PARA, MIN_PARAGRAPHS)


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


# --- the splitter ----------------------------------------------------------------------------------------


@dataclass
class _Splitter(InstrumentReader):
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
        scope: Scope | None = None
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
                scope = Scope(cite, heading, last_question=body_questions)
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
                scope = Scope(cite, heading)
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

    def _paper_line(self, i: int, scope: Scope, in_annex: bool) -> None:
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

    def _unit(self, i: int, cite: str, scope: Scope, kind: str) -> bool:
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
