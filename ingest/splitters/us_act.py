"""US Acts, public laws, bills and executive orders: `SEC. 4.` … `(a)` … `(11)` -> `sec.4(a)(11)`.

An Act nests its units as subsection `(a)` › paragraph `(1)` › subparagraph `(A)` › clause `(i)` ›
subclause `(I)` › item `(aa)` › subitem `(AA)`; an executive order as subsection `(a)` › paragraph `(i)` ›
subparagraph `(A)` › clause `(1)`. A section may start at any of these levels (`SEC. 2. DEFINITIONS.` starts
with `(1)`), but below that each level holds the next kind of label, so a label is read as one of:

- the next label at a level already open (`(j)` after `(i)` among subsections, `(12)` after `(11)`), or
- the first label of the next deeper level (`(A)` under `(11)`).

Letters that are also roman numerals (`(i)`, `(v)`, `(x)`, `(I)`, `(V)`) can fit both ways: `(i)` after
`(h)` and `(2)(B)` may be subsection (i) or clause (i) of `(B)`. The labels that follow decide (`(ii)` next
means a clause; `(1)` or `(j)` next means a subsection); on a tie the deeper reading wins.

Labels count only at the start of a line (and, in an executive order, a first `(a)` that runs on from the
section heading or a lead-in: `Sec. 5. Measures to Protect….  (a)`). What is not a label: a label followed
by anything but white space (`(a).`, `(B), not later`, `(1)(D) examined`), a line that continues a
cross-reference wrapped from the line before (`…under paragraph` / `(2) and for the purposes…`), a label
that fits no level, and any line inside quoted amendment text (`‘‘(3) REGULATION OF …’’.`): inserted text
belongs to the unit that inserts it, so it never collides with the Act's own structure.

Citations: `sec.4`, `sec.4(a)`, `sec.4(a)(1)(A)(i)`; `TITLE I—` and `Subtitle A—` headings, when an Act
has them, become units `title.I` and `title.I subtitle.A` that hold their sections. Headings printed in
capitals are given in Title Case (`PROHIBITION ON INTEREST` -> `Prohibition on Interest`), in the unit's
`title` and in the `heading_path` of its descendants; a section's own heading path ends with its heading
(`Sec. 4. Requirements for Issuing Payment Stablecoins`).

Left out on purpose (reported in `excluded`): the enacting clause before the first section (front matter),
the approval line or the President's signature block at the end (`signature`), and the slip law's
legislative-history box when the PDF reader leaves it in the body (`legislative history`).

The label machinery (`label_kinds`, `is_next`, `options`, `resolve`, `outline_marks`, `title_case`) is shared
with `uscode`, which reads the cleaner US Code text with `lenient=True`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Sequence

from crosswalk.ingest.models import Extracted, Source, SplitResult
from crosswalk.ingest.splitters.base import Cut, Mark, build, lines

# ---------------------------------------------------------------------------------------------------------
# Labels

LOWER, ARABIC, UPPER, LROMAN, UROMAN, ITEM, SUBITEM = "lower", "arabic", "upper", "lroman", "uroman", "item", "subitem"

#: Label kinds from the outermost to the innermost level, as Acts and the US Code nest them.
ACT_ORDER = (LOWER, ARABIC, UPPER, LROMAN, UROMAN, ITEM, SUBITEM)
#: Executive orders: subsection (a), paragraph (i), subparagraph (A), clause (1).
EO_ORDER = (LOWER, LROMAN, UPPER, ARABIC)

ACT_KINDS = {
    LOWER: "subsection",
    ARABIC: "paragraph",
    UPPER: "subparagraph",
    LROMAN: "clause",
    UROMAN: "subclause",
    ITEM: "item",
    SUBITEM: "subitem",
}
EO_KINDS = {LOWER: "subsection", LROMAN: "paragraph", UPPER: "subparagraph", ARABIC: "clause"}

FIRST = {LOWER: "a", ARABIC: "1", UPPER: "A", LROMAN: "i", UROMAN: "I", ITEM: "aa", SUBITEM: "AA"}

ROMAN = re.compile(r"^(x{0,3})(ix|iv|v?i{0,3})$")
ARABIC_LABEL = re.compile(r"^(\d{1,3})([A-Z]{0,2})$")
ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}


def roman_value(label: str) -> int | None:
    """The value of a roman numeral up to 39 in either case, else None.

    Example: roman_value("iv") == 4; roman_value("XII") == 12; roman_value("iiv") is None; roman_value("") is None
    """
    low = label.lower()
    if not low or not ROMAN.match(low):
        return None
    total = 0
    for i, ch in enumerate(low):
        value = ROMAN_VALUES[ch]
        total += -value if i + 1 < len(low) and ROMAN_VALUES[low[i + 1]] > value else value
    return total


def _doubled(label: str) -> bool:
    return len(label) == 2 and label[0] == label[1] and label.isalpha()


def label_kinds(label: str) -> tuple[str, ...]:
    """The kinds a label can be, by its form alone.

    Examples: label_kinds("a") == ("lower",); label_kinds("i") == ("lower", "lroman");
    label_kinds("ii") == ("lroman", "item"); label_kinds("11") == ("arabic",); label_kinds("40C") == ("arabic",);
    label_kinds("V") == ("upper", "uroman"); label_kinds("AA") == ("upper", "subitem"); label_kinds("ab") == ()
    """
    if ARABIC_LABEL.match(label):
        return (ARABIC,)
    if not label.isalpha() or not (label.islower() or label.isupper()):
        return ()  # a label is letters of one case: `(Iv)` is nothing
    kinds: list[str] = []
    if len(label) == 1 and label.islower():
        kinds.append(LOWER)
    if len(label) == 1 and label.isupper():
        kinds.append(UPPER)
    if roman_value(label) is not None:
        kinds.append(LROMAN if label.islower() else UROMAN)
    if _doubled(label):
        kinds.append(ITEM if label.islower() else UPPER)
        if label.isupper():
            kinds.append(SUBITEM)
    return tuple(dict.fromkeys(kinds))


def is_first(kind: str, label: str) -> bool:
    """Whether `label` opens a level of `kind`.

    Example: is_first("lroman", "i") is True; is_first("upper", "B") is False
    """
    return FIRST[kind] == label


def is_next(kind: str, prev: str, label: str) -> bool:
    """Whether `label` follows `prev` at a level of `kind`, inserted labels included.

    Examples: is_next("lower", "h", "i") is True; is_next("arabic", "11", "12") is True;
    is_next("arabic", "40", "40A") is True; is_next("arabic", "40B", "41") is True;
    is_next("lroman", "iv", "v") is True; is_next("upper", "Z", "AA") is True; is_next("item", "aa", "bb") is True;
    is_next("arabic", "2", "4") is False
    """
    if kind == ARABIC:
        a, b = ARABIC_LABEL.match(prev), ARABIC_LABEL.match(label)
        if not a or not b:
            return False
        (pn, ps), (ln, ls) = (int(a.group(1)), a.group(2)), (int(b.group(1)), b.group(2))
        if ln == pn + 1 and not ls:
            return True
        return ln == pn and ls == _next_suffix(ps)
    if kind in (LROMAN, UROMAN):
        pv, lv = roman_value(prev), roman_value(label)
        return pv is not None and lv is not None and lv == pv + 1 and (label.islower() == (kind == LROMAN))
    if kind == LOWER:
        return len(prev) == len(label) == 1 and prev.islower() and ord(label) == ord(prev) + 1 and label <= "z"
    if kind == UPPER:
        if len(prev) == len(label) == 1:
            return prev.isupper() and label.isupper() and ord(label) == ord(prev) + 1
        if prev == "Z":
            return label == "AA"
        return _doubled(prev) and _doubled(label) and prev.isupper() and ord(label[0]) == ord(prev[0]) + 1
    if kind in (ITEM, SUBITEM):
        same_case = prev.islower() == label.islower()
        return _doubled(prev) and _doubled(label) and same_case and ord(label[0]) == ord(prev[0]) + 1
    return False


def _next_suffix(suffix: str) -> str:
    """`""` -> `"A"`, `"A"` -> `"B"`, `"Z"` -> `"AA"`."""
    if not suffix:
        return "A"
    if suffix[-1] == "Z":
        return "A" * (len(suffix) + 1)
    return suffix[:-1] + chr(ord(suffix[-1]) + 1)


# ---------------------------------------------------------------------------------------------------------
# Resolving a section's labels into levels

Path = tuple[tuple[str, str], ...]  # ((kind, label), …) from the section down


@dataclass(frozen=True)
class Candidate:
    """A label at a line start that may open a unit.

    `start`: offset where the unit would start; `forced`: a kind the layout fixes (a US Code subsection
    heading); `inline`: found inside a line (an executive order's `…:  (a) “Fintech firm”`), allowed only as
    the first label of its section.
    """

    start: int
    label: str
    title: str = ""
    forced: str | None = None
    inline: bool = False


LOOKAHEAD = 4  # how many following labels decide between two readings of a label
MAX_GAP = 3  # lenient reading: a label may skip this many places at most (`(ff)` after `(dd)`, `(ee)` never enacted)


def options(path: Path, cand: Candidate, order: Sequence[str], lenient: bool = False) -> list[Path]:
    """The readings of `cand` after `path`, preferred first: a new deeper level, then the next label at an open
    level from the deepest out. `lenient` (for clean sources such as the US Code, where every label starts its
    own paragraph) adds, after those: a deeper level that skips one (`(15)` › `(i)`, as 15 U.S.C. 77b(a)(15)
    is enacted), a label that skips a few places, and a titled label that repeats the last one (two
    paragraphs `(80)` in 15 U.S.C. 78c(a)).

    Example: [p[-1] for p in options((("lower", "h"), ("arabic", "2"), ("upper", "B")), Candidate(0, "i"), ACT_ORDER)]
    == [("lroman", "i"), ("lower", "i")]
    """
    if cand.inline and path:
        return []
    if cand.forced:
        return [((cand.forced, cand.label),)]
    kinds = [k for k in label_kinds(cand.label) if k in order]
    out: list[Path] = []
    if not path:
        out.extend(((k, cand.label),) for k in kinds if is_first(k, cand.label))
        return out
    depth = order.index(path[-1][0])
    if depth + 1 < len(order) and order[depth + 1] in kinds and is_first(order[depth + 1], cand.label):
        out.append(path + ((order[depth + 1], cand.label),))
    for i in range(len(path) - 1, -1, -1):
        kind, prev = path[i]
        if kind in kinds and is_next(kind, prev, cand.label):
            out.append(path[:i] + ((kind, cand.label),))
    if lenient:
        open_kinds = {k for k, _ in path}
        for k in order[depth + 2 :]:
            if k in kinds and is_first(k, cand.label) and k not in open_kinds:
                out.append(path + ((k, cand.label),))
        for i in range(len(path) - 1, -1, -1):
            kind, prev = path[i]
            if kind in kinds and 2 <= _distance(kind, prev, cand.label) <= MAX_GAP:
                out.append(path[:i] + ((kind, cand.label),))
        if cand.title:
            for i in range(len(path) - 1, -1, -1):
                if path[i][1] == cand.label:
                    out.append(path[: i + 1])
                    break
    return out


def _ordinal(kind: str, label: str) -> int | None:
    """Position of a label in its kind's sequence (inserted labels such as `40A` share their number's)."""
    if kind == ARABIC:
        m = ARABIC_LABEL.match(label)
        return int(m.group(1)) if m else None
    if kind in (LROMAN, UROMAN):
        return roman_value(label)
    if len(label) == 1 and label.isalpha():
        return ord(label.lower()) - ord("a") + 1
    if _doubled(label):
        return ord(label[0].lower()) - ord("a") + 27
    return None


def _distance(kind: str, prev: str, label: str) -> int:
    a, b = _ordinal(kind, prev), _ordinal(kind, label)
    return b - a if a is not None and b is not None else 0


def _score(path: Path, following: Sequence[Candidate], order: Sequence[str], lenient: bool) -> int:
    """How well the labels after a reading fit it: the nearer a label that fits, the more it counts; a label
    that fits only by a lenient reading counts half."""
    score = 0
    for k, cand in enumerate(following[:LOOKAHEAD]):
        strict = options(path, cand, order)
        opts = strict or (options(path, cand, order, lenient=True) if lenient else [])
        if opts:
            score += (2 if strict else 1) << (LOOKAHEAD - k)
            path = opts[0]
    return score


def resolve(cands: Sequence[Candidate], order: Sequence[str], lenient: bool = False) -> list[tuple[Candidate, Path]]:
    """The candidates that are labels of the section's outline, each with its path from the section down.

    Candidates that fit no level are left out (their text stays in the unit before them). Where a label can be
    read more than one way, the reading under which the next few labels fit best wins; on a tie, the first
    reading `options` gives.

    Example: [(c.label, "".join(f"({l})" for _, l in p)) for c, p in resolve(
    [Candidate(0, "a"), Candidate(1, "1"), Candidate(2, "3"), Candidate(3, "2"), Candidate(4, "b")], ACT_ORDER)]
    == [("a", "(a)"), ("1", "(a)(1)"), ("2", "(a)(2)"), ("b", "(b)")]
    """
    accepted: list[tuple[Candidate, Path]] = []
    path: Path = ()
    for i, cand in enumerate(cands):
        opts = options(path, cand, order, lenient)
        if not opts:
            continue
        if len(opts) > 1:
            following = cands[i + 1 :]
            best = max(range(len(opts)), key=lambda j: (_score(opts[j], following, order, lenient), -j))
            path = opts[best]
        else:
            path = opts[0]
        accepted.append((cand, path))
    return accepted


def outline_marks(
    prefix: str,
    accepted: Sequence[tuple[Candidate, Path]],
    kinds: dict[str, str],
    section_path: tuple[str, ...],
    seen: set[str],
) -> list[Mark]:
    """Marks for a section's resolved labels: citation, parent, kind, title, and a heading path that adds each
    titled ancestor below the section (`(a) In General`).

    A label that repeats one already cited (so in the enacted text: two subsections `(j)` in 15 U.S.C. 78o)
    is cited with its occurrence, `78o(j)[2]`, and so are its descendants (`78o(j)[2](1)`). `seen` holds the
    document's citations so far and is updated.

    Example: [m.citation for m in outline_marks("sec.1", [(Candidate(5, "a"), (("lower", "a"),)),
    (Candidate(9, "a", "Again"), (("lower", "a"),))], ACT_KINDS, ("Sec. 1.",), set())] == ["sec.1(a)", "sec.1(a)[2]"]
    """
    marks: list[Mark] = []
    shown: list[str] = []  # each level's label as cited: `(j)` or `(j)[2]`
    titles: list[str] = []
    for cand, path in accepted:
        depth = len(path) - 1
        shown, titles = shown[:depth], titles[:depth]
        parent = prefix + "".join(shown)
        part = f"({path[-1][1]})"
        citation = parent + part
        n = 1
        while citation in seen:
            n += 1
            citation = f"{parent}{part}[{n}]"
        seen.add(citation)
        shown.append(citation[len(parent) :])
        ancestors = tuple(f"{shown[i]} {titles[i]}" for i in range(depth) if titles[i])
        titles.append(cand.title)
        marks.append(Mark(cand.start, citation, parent, section_path + ancestors, kinds[path[-1][0]], cand.title))
    return marks


# ---------------------------------------------------------------------------------------------------------
# Headings

SMALL_WORDS = frozenset(
    "a an and as at but by for from in into nor of on or per the to under upon via with".split()
)
KEEP_CASE = {
    "U.S.": "U.S.", "GENIUS": "GENIUS", "CBDC": "CBDC", "CBDCS": "CBDCs", "FDIC": "FDIC", "OCC": "OCC",
    "CFTC": "CFTC", "NCUA": "NCUA", "FINCEN": "FinCEN", "AML": "AML", "CFT": "CFT", "BSA": "BSA",
    "LLC": "LLC", "USA": "USA", "PATRIOT": "PATRIOT", "NIST": "NIST",
}
# `I N GENERAL`, `C ONFORMING`: a heading's first letter set apart from its small capitals. `A` is joined
# only before a doubled consonant (`A PPROVAL`), since `A BANK` may be an article.
SPLIT_CAPITAL = re.compile(r"^([B-Z]|A(?= ([B-DF-HJ-NP-TV-Z])\2)) (?=[A-Z])")


def title_case(heading: str) -> str:
    """A heading printed in capitals, in Title Case; a heading already in mixed case is returned as is.

    Small words stay lower case (except first), roman numerals and a few acronyms keep their capitals, and
    a first letter that the PDF extractor set apart from its small capitals is joined again.

    Examples: title_case("PROHIBITION ON INTEREST") == "Prohibition on Interest";
    title_case("I N GENERAL") == "In General"; title_case("ANTI-MONEY LAUNDERING") == "Anti-Money Laundering";
    title_case("TITLE II") == "Title II"; title_case("FINCEN GUIDANCE") == "FinCEN Guidance";
    title_case("Definitions") == "Definitions"
    """
    text = " ".join(heading.split())
    if any(ch.islower() for ch in text):
        return text
    text = SPLIT_CAPITAL.sub(lambda m: m.group(1), text)
    words = text.split(" ")
    out = []
    for i, word in enumerate(words):
        out.append(_title_word(word, first=(i == 0)))
    return " ".join(out)


def _title_word(word: str, first: bool) -> str:
    core = word.strip("(),;:’‘'\"")
    if core in KEEP_CASE:
        return word.replace(core, KEEP_CASE[core])
    if core.isupper() and roman_value(core) is not None and (core != "I" or not first):
        return word  # a roman numeral: `TITLE II`
    if "." in core or any(ch.isdigit() for ch in core):
        return word
    if not first and core.lower() in SMALL_WORDS:
        return word.lower()
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


# ---------------------------------------------------------------------------------------------------------
# Markup: executive orders come as Markdown with `<span>` tags, `*` emphasis and `\(a\)` escapes


MARKUP = re.compile(r"</?[A-Za-z][^>]*>|\*+|\\(?=[\\`*_{}\[\]()#+\-.!<>|])")


def plain(text: str) -> tuple[str, list[int]]:
    """`text` without tags, `*` and backslash escapes, and for each of its characters the offset in `text`.

    Example: plain("<u>Sec. 2</u>. \\\\(a\\\\)")[0] == "Sec. 2. (a)"
    """
    out: list[str] = []
    where: list[int] = []
    pos = 0
    for m in MARKUP.finditer(text):
        out.append(text[pos : m.start()])
        where.extend(range(pos, m.start()))
        pos = m.end()
    out.append(text[pos:])
    where.extend(range(pos, len(text)))
    where.append(len(text))
    return "".join(out), where


# ---------------------------------------------------------------------------------------------------------
# The document

ACT_SECTION = re.compile(r"^(?:#{1,6}[^\S\n]*)?(?:SECTION|SEC\.)[^\S\n]+(\d{1,4}[A-Z]?)\.(?=\s)", re.M)
# an order's `Section 1.` / `Sec. 2.` may break after the word: `<span>Sec</span>.\n<span>2</span>.`
EO_SECTION = re.compile(
    r"^[^\S\n]*(?:#{1,6}[^\S\n]*)?(?:Section|Sec\.|SECTION|SEC\.)[^\S\n]*\n?[^\S\n]*(\d{1,4}[A-Z]?)[^\S\n]*\.(?=\s)",
    re.M,
)
DIVISION = re.compile(r"^(TITLE|Subtitle)[^\S\n]+([IVXLC]+|[A-Z])[^\S\n]*[—–-]+[^\S\n]*(\S.*)$", re.M)
LINE_LABEL = re.compile(r"^[^\S\n]*\(([A-Za-z0-9]{1,5})\)(?=\s|$)")
INLINE_FIRST = re.compile(r"(?<=[.:])\s+\((a)\)(?=\s)")
EXECUTIVE_ORDER = re.compile(r"it is hereby ordered|By the authority vested in me as President", re.I)
ENACTING = re.compile(r"Be it enacted by the Senate and House of Representatives", re.I)
MAX_HEADING_CHARS = 300
MAX_HEADING_WORDS = 30
APPROVED = re.compile(r"^\s*Approved [A-Z][a-z]+ \d{1,2}, \d{4}\.\s*$", re.M)
LEGISLATIVE_HISTORY = re.compile(r"^LEGISLATIVE HISTORY\b.*$", re.M)
# lines of a slip law's legislative-history box: `CONGRESSIONAL RECORD, Vol. 171 (2025):`, `July 17, considered
# and passed House.`, `HOUSE REPORTS: No. 119–1 (Comm. on …).`, and the GPO end mark `Æ`
HISTORY_LINE = re.compile(
    r"^(?:[A-Z]{2}[A-Z ,.'’—–-]{2,}.*:"
    r"|(?:Jan|Feb|Mar|Apr|May|June?|July?|Aug|Sept?|Oct|Nov|Dec)[a-z]*\.? \d{1,2}\b.{0,100}"
    r"|.*\bComm\. on\b.*|Vol\. \d+.*|Æ)$"
)
WHITE_HOUSE = re.compile(r"^\s*THE WHITE HOUSE,?\s*$", re.M)
MAX_DATE_LINE_WORDS = 8  # after `THE WHITE HOUSE,` an order ends with its date and nothing else

# a line ending with one of these words continues a cross-reference: `…under paragraph` / `(2) and for…`
REFERENCE_WORDS = frozenset(
    "section sections subsection subsections paragraph paragraphs subparagraph subparagraphs clause clauses "
    "subclause subclauses item items subitem subitems title titles through".split()
)
OPEN_QUOTE = ("‘‘", "``")  # GPO typesetting opens inserted text with two single quotes (`` in plain text)
QUOTE_MARK = re.compile(r"‘‘|’’|``|''")


def detect(source: Source, extracted: Extracted) -> bool:
    """An Act, public law, bill or executive order of the US: `SEC. 1.`/`Section 1.` headings, no `§` sections."""
    if str(source.jurisdiction).strip().upper() not in ("US", ""):
        return False
    if extracted.units is not None:
        return False
    text, _ = plain(extracted.text) if extracted.format in ("md", "html") else (extracted.text, [])
    from crosswalk.ingest.splitters.uscode import section_headings

    if section_headings(text):
        return False  # the US Code: its own splitter
    if str(source.jurisdiction).strip().upper() != "US" and not (ENACTING.search(text) or EXECUTIVE_ORDER.search(text)):
        return False
    pattern = ACT_SECTION if ACT_SECTION.search(text) else EO_SECTION
    return len(_sections(text, pattern)) >= 2


def split(extracted: Extracted) -> SplitResult:
    """Units of an Act or executive order: titles and subtitles if any, sections, and every level below."""
    original = extracted.text
    is_markup = extracted.format in ("md", "html")
    text, where = plain(original) if is_markup else (original, [])
    executive_order = bool(EXECUTIVE_ORDER.search(text)) and not ACT_SECTION.search(text)
    order = EO_ORDER if executive_order else ACT_ORDER
    kinds = EO_KINDS if executive_order else ACT_KINDS

    cuts = _end_matter(text)
    text_end = min((c.start for c in cuts if c.reason == "signature"), default=len(text))
    sections = [s for s in _sections(text, EO_SECTION if executive_order else ACT_SECTION) if s.start < text_end]
    divisions = [d for d in _divisions(text) if d.start < text_end]
    quoted = _quoted_lines(text)
    boundaries = sorted([s.start for s in sections] + [d.start for d in divisions] + [text_end])

    marks: list[Mark] = [Mark(d.start, d.citation, d.parent, d.path, d.kind, d.path[-1]) for d in divisions]
    seen: set[str] = {d.citation for d in divisions}
    for sec in sections:
        if sec.citation in seen:
            continue
        seen.add(sec.citation)
        enclosing = [d for d in divisions if d.start < sec.start]
        parent, above = (enclosing[-1].citation, enclosing[-1].path) if enclosing else (None, ())
        heading = f"Sec. {sec.number}. {sec.title}" if sec.title else f"Sec. {sec.number}."
        section_path = above + (heading,)
        marks.append(Mark(sec.start, sec.citation, parent, section_path, "section", sec.title))
        stop = boundaries[bisect_right(boundaries, sec.start)]
        cands = _candidates(text, sec.head_end, stop, quoted, inline_first=executive_order)
        marks.extend(outline_marks(sec.citation, resolve(cands, order), kinds, section_path, seen))

    if is_markup:
        marks = [_unmark(m, original, where) for m in marks]
        cuts = [Cut(_to_original(c.start, original, where), where[min(c.end, len(text))], c.reason) for c in cuts]
    marks.sort(key=lambda m: m.start)
    return build(original, marks, cuts)


@dataclass(frozen=True)
class _Section:
    start: int  # first character of the heading line
    number: str  # `4`, `4A`
    head_end: int  # just past the heading
    title: str

    @property
    def citation(self) -> str:
        return f"sec.{self.number}"


@dataclass(frozen=True)
class _Division:
    start: int
    citation: str  # `title.I`, `title.I subtitle.A`
    parent: str | None
    kind: str  # title, subtitle
    path: tuple[str, ...]


def _sections(text: str, pattern: re.Pattern) -> list[_Section]:
    """Each section heading, numbers rising (a table of contents or a cross-reference that starts a line is
    not a heading), quoted text skipped."""
    quoted = _quoted_lines(text)
    out: list[_Section] = []
    last = 0
    for m in pattern.finditer(text):
        if m.start() in quoted:
            continue
        number = m.group(1)
        value = int(re.match(r"\d+", number).group())
        if value < last or (out and number == out[-1].number):
            continue
        title, head_end = _section_title(text, m.end())
        last = value
        lead = len(m.group()) - len(m.group().lstrip())
        out.append(_Section(m.start() + lead, number, head_end, title_case(title) if title else ""))
    return out


def _section_title(text: str, pos: int) -> tuple[str, int]:
    """The heading after `SEC. 4.` (up to the full stop that ends it, over line breaks) and where it ends.

    `U.S.` and other initials do not end a heading; a heading printed in capitals ends, at the latest, with
    its last line in capitals, so a heading that lost its full stop does not swallow the text below it.

    Examples: _section_title(" U.S. STABLECOINS.\\nText", 0) == ("U.S. STABLECOINS", 18);
    _section_title(" SHORT TITLE\\nThis Act may be cited", 0) == ("SHORT TITLE", 12);
    _section_title("  Purpose and\\nPolicies.  (a)  The", 0) == ("Purpose and Policies", 23)
    """
    window = text[pos : pos + MAX_HEADING_CHARS]
    rows = window.split("\n")
    caps = bool(rows[0].strip()) and not any(ch.islower() for ch in rows[0])
    if caps:
        n = len(rows[0])
        for row in rows[1:]:
            if not row.strip() or any(ch.islower() for ch in row):
                break
            n += 1 + len(row)
        window = window[:n]
    lead = len(window) - len(window.lstrip())
    for m in re.finditer(r"\.(?=\s|$)", window):
        before = window[lead : m.start()]
        if re.search(r"(?:^|[\s.])[A-Z]$", before):
            continue  # an initial such as the S of U.S.
        if "\n\n" in before.strip():
            break
        title = " ".join(before.split())
        if not title or len(title.split()) > MAX_HEADING_WORDS:
            break
        return title, pos + m.end()
    if caps and window.strip() and len(window.split()) <= MAX_HEADING_WORDS:
        return " ".join(window.split()), pos + len(window)
    return "", pos


def _divisions(text: str) -> list[_Division]:
    """`TITLE I—` and `Subtitle A—` headings outside quoted text, with the title that holds each subtitle."""
    quoted = _quoted_lines(text)
    out: list[_Division] = []
    seen: set[str] = set()
    title: _Division | None = None
    for m in DIVISION.finditer(text):
        if m.start() in quoted:
            continue
        kind, number, name = m.group(1), m.group(2), title_case(m.group(3).strip())
        if kind == "TITLE":
            div = _Division(m.start(), f"title.{number}", None, "title", (f"Title {number}—{name}",))
            title = div
        else:
            parent = title.citation if title else None
            citation = f"{parent} subtitle.{number}" if parent else f"subtitle.{number}"
            path = (title.path if title else ()) + (f"Subtitle {number}—{name}",)
            div = _Division(m.start(), citation, parent, "subtitle", path)
        if div.citation not in seen:
            seen.add(div.citation)
            out.append(div)
    return out


def _quoted_lines(text: str) -> set[int]:
    """Start offsets of lines that are inserted (quoted) text: they open with `‘‘` or begin inside a quotation
    that an earlier line opened with `‘‘` and has not closed with `’’`."""
    out: set[int] = set()
    open_ = False
    for ln in lines(text):
        stripped = ln.text.lstrip()
        if open_ or stripped.startswith(OPEN_QUOTE):
            out.add(ln.start)
        for m in QUOTE_MARK.finditer(ln.text):
            open_ = m.group() in ("‘‘", "``")
    return out


def _wraps_reference(prev: str) -> bool:
    """Whether a line ending with `prev` runs on into the next one in mid-reference, so a label that starts
    the next line is a cross-reference, not a unit.

    Examples: _wraps_reference("the Treasury under paragraph") is True;
    _wraps_reference("subparagraphs (A) and") is True; _wraps_reference("1951 et seq.); and") is False;
    _wraps_reference("the following:") is False
    """
    words = prev.split()
    if not words:
        return False
    last = words[-1]
    if last.lower() in REFERENCE_WORDS:
        return True
    if last in ("and", "or") and len(words) > 1:
        before = words[-2]
        if before.endswith(";"):
            return False
        if re.fullmatch(r"(?:\(\w+\))+,?", before) or re.fullmatch(r"\d+[A-Za-z]?(?:\(\w+\))*,?", before):
            return True  # `paragraphs (1), (2), and` / `sections 4 and`
        return not before.endswith(",")
    return False


def _candidates(text: str, begin: int, end: int, quoted: set[int], inline_first: bool) -> list[Candidate]:
    """Label candidates between `begin` (just past a section heading) and `end`."""
    out: list[Candidate] = []
    if inline_first:
        m = INLINE_FIRST.search(text, begin, end)
        if m:
            at = m.start(1) - 1
            line_start = text.rfind("\n", 0, at) + 1
            if text[line_start:at].strip() and text.find("\n(", begin, at) < 0:
                out.append(Candidate(at, "a", inline=True))
    prev = ""
    for ln in _lines_between(text, begin, end):
        m = LINE_LABEL.match(ln.text)
        if m and ln.start >= begin and ln.start not in quoted and not _wraps_reference(prev):
            pos = ln.start + m.start(1) - 1
            out.append(Candidate(pos, m.group(1), title=_label_title(text, ln.start + m.end(), end)))
        prev = ln.text if ln.text.strip() else ""
    out.sort(key=lambda c: c.start)
    return out


def _lines_between(text: str, begin: int, end: int):
    first = text.rfind("\n", 0, begin) + 1
    for ln in lines(text[first:end]):
        yield type(ln)(ln.start + first, ln.end + first, ln.text)


def _label_title(text: str, pos: int, end: int) -> str:
    """The heading after a label, printed in capitals and closed by `.—` (over line breaks), in Title Case.

    Example: _label_title("(11) PROHIBITION ON INTEREST.—No permitted", 4, 40) == "Prohibition on Interest"
    """
    window = text[pos : min(end, pos + MAX_HEADING_CHARS)]
    stop = window.find(".—")
    if stop < 0:
        return ""
    heading = " ".join(window[:stop].split())
    if (
        not heading
        or any(ch.islower() for ch in heading)
        or sum(ch.isupper() for ch in heading) < 2
        or "\n(" in window[:stop]
        or heading.startswith(("‘", "“", "`", "("))
    ):
        return ""
    return title_case(heading)


def _end_matter(text: str) -> list[Cut]:
    """The approval line or signature block at the end, and the legislative-history box of a slip law."""
    cuts: list[Cut] = []
    approved = list(APPROVED.finditer(text))
    if approved:
        a = approved[-1]
        if not text[a.end() :].strip() or LEGISLATIVE_HISTORY.search(text, a.end()):
            cuts.append(Cut(a.start() + len(a.group()) - len(a.group().lstrip()), len(text), "signature"))
    house = list(WHITE_HOUSE.finditer(text))
    if house and not approved and len(text[house[-1].end() :].split()) <= MAX_DATE_LINE_WORDS:
        h = house[-1]
        start = h.start() + len(h.group()) - len(h.group().lstrip())
        # the President's name, in capitals on the line(s) just before
        before = text[:start].rstrip()
        name_start = before.rfind("\n") + 1
        name = before[name_start:].strip()
        if name and name.upper() == name and len(name.split()) <= 6:
            start = name_start + len(before[name_start:]) - len(before[name_start:].lstrip())
        cuts.append(Cut(start, len(text), "signature"))
    for m in LEGISLATIVE_HISTORY.finditer(text):
        if any(c.start <= m.start() for c in cuts if c.reason == "signature"):
            continue
        end = _history_end(text, m.end())
        if end is not None:
            cuts.append(Cut(m.start(), end, "legislative history"))
    return cuts


def _history_end(text: str, pos: int) -> int | None:
    """End of the legislative-history box whose first line ends at `pos`: the end of its last line, when the
    next line starts a unit (a label or a section). None when the box sits inside a unit's sentence: then it
    is left in place rather than cut a unit in two."""
    end = pos
    for ln in lines(text[pos:]):
        s = ln.stripped
        if not s:
            continue
        if HISTORY_LINE.match(s):
            end = pos + ln.end
            continue
        return end if (LINE_LABEL.match(s) or ACT_SECTION.match(s) or DIVISION.match(s)) else None
    return end


def _to_original(pos: int, original: str, where: list[int]) -> int:
    """Offset in the original text of plain offset `pos`, moved back over a markdown escape before it."""
    o = where[pos] if pos < len(where) else len(original)
    while o > 0 and original[o - 1] == "\\":
        o -= 1
    return o


def _unmark(mark: Mark, original: str, where: list[int]) -> Mark:
    """A mark found in the plain text, moved to the original text: to its line's first character when only
    markup and white space precede it on that line."""
    o = _to_original(mark.start, original, where)
    line_start = original.rfind("\n", 0, o) + 1
    head = original[line_start:o]
    if not plain(head)[0].strip():
        o = line_start + len(head) - len(head.lstrip())
    return Mark(o, mark.citation, mark.parent, mark.heading_path, mark.kind, mark.title)
