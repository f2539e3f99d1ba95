"""The outline of a US section: which labels open units, at which level, and the marks they make.

An Act nests its units as subsection `(a)` › paragraph `(1)` › subparagraph `(A)` › clause `(i)` ›
subclause `(I)` › item `(aa)` › subitem `(AA)`; an executive order as subsection `(a)` › paragraph `(i)` ›
subparagraph `(A)` › clause `(1)`. A section may start at any of these levels (`SEC. 2. DEFINITIONS.` starts
with `(1)`), but below that each level holds the next kind of label, so a label is read as one of:

- the next label at a level already open (`(j)` after `(i)` among subsections, `(12)` after `(11)`), or
- the first label of the next deeper level (`(A)` under `(11)`).

Letters that are also roman numerals (`(i)`, `(v)`, `(x)`, `(I)`, `(V)`) can fit both ways: `(i)` after
`(h)` and `(2)(B)` may be subsection (i) or clause (i) of `(B)`. The labels that follow decide (`(ii)` next
means a clause; `(1)` or `(j)` next means a subsection); on a tie the deeper reading wins.

How each kind counts comes from `crosswalk.ingest.labels`: subsections `(a)`…`(z)`; subparagraphs `(A)`…`(Z)`, `(AA)`,
`(BB)`; items `(aa)`, `(bb)`; clauses and subclauses are roman numerals up to 39; paragraphs are numbers
with inserted ones lettered after them (`(40)`, `(40A)`, `(40B)`, `(41)`). Used by `us_act` (Acts, executive
orders) and `uscode` (the US Code, read with `lenient=True`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from crosswalk.ingest import labels
from crosswalk.ingest.labels import unique_citation
from crosswalk.ingest.splitters.base import Mark

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

ROMAN_MAX = 39  # clauses and subclauses stop at (xxxix); `(xl)` is no numeral here
#: How the letter and numeral kinds count; ARABIC (`40`, `40A`) is read by ARABIC_LABEL.
SEQUENCES = {
    LOWER: labels.Sequence(labels.LETTER),
    UPPER: labels.Sequence(labels.LETTER, upper=True, style=labels.DOUBLED),
    LROMAN: labels.Sequence(labels.ROMAN, maximum=ROMAN_MAX),
    UROMAN: labels.Sequence(labels.ROMAN, upper=True, maximum=ROMAN_MAX),
    ITEM: labels.Sequence(labels.LETTER, style=labels.DOUBLED, start=27),
    SUBITEM: labels.Sequence(labels.LETTER, upper=True, style=labels.DOUBLED, start=27),
}
FIRST = {ARABIC: "1", **{kind: seq.first for kind, seq in SEQUENCES.items()}}

ARABIC_LABEL = re.compile(r"^(\d{1,3})([A-Z]{0,2})$")


def label_kinds(label: str) -> tuple[str, ...]:
    """The kinds a label can be, by its form alone, outermost first.

    >>> label_kinds("a"), label_kinds("i"), label_kinds("ii"), label_kinds("11"), label_kinds("40C")
    (('lower',), ('lower', 'lroman'), ('lroman', 'item'), ('arabic',), ('arabic',))
    >>> label_kinds("V"), label_kinds("AA"), label_kinds("ab"), label_kinds("Iv"), label_kinds("xl")
    (('upper', 'uroman'), ('upper', 'subitem'), (), (), ())
    """
    if ARABIC_LABEL.match(label):
        return (ARABIC,)
    return tuple(kind for kind in ACT_ORDER if kind in SEQUENCES and label in SEQUENCES[kind])


def is_first(kind: str, label: str) -> bool:
    """Whether `label` opens a level of `kind`.

    >>> is_first("lroman", "i"), is_first("upper", "B"), is_first("item", "aa")
    (True, False, True)
    """
    return FIRST[kind] == label


def is_next(kind: str, prev: str, label: str) -> bool:
    """Whether `label` follows `prev` at a level of `kind`, inserted labels included.

    >>> is_next("lower", "h", "i"), is_next("arabic", "11", "12"), is_next("arabic", "40", "40A")
    (True, True, True)
    >>> is_next("arabic", "40B", "41"), is_next("lroman", "iv", "v"), is_next("upper", "Z", "AA")
    (True, True, True)
    >>> is_next("item", "aa", "bb"), is_next("arabic", "2", "4"), is_next("lower", "z", "aa")
    (True, False, False)
    """
    if kind == ARABIC:
        a, b = ARABIC_LABEL.match(prev), ARABIC_LABEL.match(label)
        if not a or not b:
            return False
        (pn, ps), (ln, ls) = (int(a.group(1)), a.group(2)), (int(b.group(1)), b.group(2))
        if ln == pn + 1 and not ls:
            return True
        return ln == pn and ls == _next_suffix(ps)
    return SEQUENCES[kind].follows(prev, label)


def _next_suffix(suffix: str) -> str | None:
    """The letters of the label inserted after `40<suffix>`: `""` -> `"A"`, `"A"` -> `"B"`, `"Z"` -> `"AA"`."""
    return labels.next_letter(suffix, labels.EU) if suffix else "A"


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
    return SEQUENCES[kind].ordinal(label)


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
        citation = unique_citation(parent + part, seen)
        shown.append(citation[len(parent) :])
        ancestors = tuple(f"{shown[i]} {titles[i]}" for i in range(depth) if titles[i])
        titles.append(cand.title)
        marks.append(Mark(cand.start, citation, parent, section_path + ancestors, kinds[path[-1][0]], cand.title))
    return marks
