"""Labels of numbered units and lists: roman numerals, letters, and the sequences they count in.

Every splitter and the XML reader read labels such as `(a)`, `(iv)`, `(16)`, `(AA)` and must know whether a
label continues a list or opens a new one. This module says what a label is worth and what follows it; the
list-nesting rules of each document family stay with its splitter, written in these terms.

Roman numerals are read in their canonical form only (`iv`, never `iiii`), in one case (`xii` or `XII`,
never `Xii`), from 1 to 3,999; a caller sets a lower ceiling where its documents never go higher (US Acts
stop at 39, so `(xl)` there is a letter pair, not forty).

Letters count in one of three ways, named by where they are printed:

| style | after `z` | used by |
| --- | --- | --- |
| `SINGLE` | nothing | points `(a)`…`(z)` |
| `EU` | `aa`, `ab`, … `az`, `ba`, … (like spreadsheet columns) | EU acts' points, US inserted section suffixes |
| `DOUBLED` | `aa`, `bb`, … `zz` | US items `(aa)`, subitems `(AA)`, subparagraphs `(Z)` → `(AA)` |

A `Sequence` is one kind of list: a form (numbers, roman numerals or letters), a case, and limits; it gives a
label's ordinal, the label that follows, and whether one label follows another. `continuing` and `opening`
read a label against the open levels of a list (a path of `(kind, label)` pairs).

Failure values: a reader of a label that is not of the asked form returns None (`roman_value`,
`letter_ordinal`, `Sequence.ordinal`, `Sequence.next`); asking `to_roman` for a number out of range raises
ValueError, as that is a bug in the caller, not unusual input.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence as Seq

ROMAN_MAX = 3999
_ROMAN_STEPS = (
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
    (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)
_ROMAN_DIGITS = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}

SINGLE, EU, DOUBLED = "single", "eu", "doubled"
LETTER_STYLES = (SINGLE, EU, DOUBLED)
_CASES = ("any", "lower", "upper")


# ---------------------------------------------------------------- roman numerals


def to_roman(n: int, upper: bool = False) -> str:
    """The canonical roman numeral for `n` (1 to 3,999), lower case unless `upper`.

    >>> to_roman(4), to_roman(9), to_roman(39), to_roman(1999, upper=True)
    ('iv', 'ix', 'xxxix', 'MCMXCIX')
    >>> to_roman(0)
    Traceback (most recent call last):
    ...
    ValueError: a roman numeral is 1 to 3999, not 0
    """
    if not 1 <= n <= ROMAN_MAX:
        raise ValueError(f"a roman numeral is 1 to {ROMAN_MAX}, not {n}")
    out = []
    for value, digits in _ROMAN_STEPS:
        while n >= value:
            out.append(digits)
            n -= value
    numeral = "".join(out)
    return numeral.upper() if upper else numeral


def _check_case(case: str) -> None:
    if case not in _CASES:
        raise ValueError(f"case must be one of {', '.join(_CASES)}, not {case!r}")


@functools.lru_cache(maxsize=4096)
def roman_value(label: str, maximum: int = ROMAN_MAX, case: str = "any") -> int | None:
    """The value of a canonical roman numeral written in one case, at most `maximum`; None for anything else.

    `case` restricts the case accepted: "any" (the default), "lower" or "upper".

    >>> roman_value("iv"), roman_value("XII"), roman_value("xl"), roman_value("mmmcmxcix")
    (4, 12, 40, 3999)
    >>> roman_value("xl", maximum=39) is None  # past the ceiling: in a US Act `(xl)` is no numeral
    True
    >>> [roman_value(s) for s in ("", "iiv", "iiii", "Xii", "a", "4")]
    [None, None, None, None, None, None]
    >>> roman_value("II", case="lower") is None, roman_value("ii", case="lower")
    (True, 2)
    """
    _check_case(case)
    if not label or not (label.islower() or label.isupper()):
        return None
    if (case == "lower" and not label.islower()) or (case == "upper" and not label.isupper()):
        return None
    low = label.lower()
    if any(ch not in _ROMAN_DIGITS for ch in low):
        return None
    total = 0
    for i, ch in enumerate(low):
        value = _ROMAN_DIGITS[ch]
        total += -value if i + 1 < len(low) and _ROMAN_DIGITS[low[i + 1]] > value else value
    if not 1 <= total <= min(maximum, ROMAN_MAX) or to_roman(total) != low:
        return None  # out of range, or not canonical (`iiv`, `iiii`, `vx`)
    return total


def is_roman(label: str, maximum: int = ROMAN_MAX, case: str = "any") -> bool:
    """Whether `label` is a roman numeral (see `roman_value` for what counts).

    >>> is_roman("xiv"), is_roman("ab"), is_roman(""), is_roman("cd", maximum=399)
    (True, False, False, False)
    """
    return roman_value(label, maximum, case) is not None


# ---------------------------------------------------------------- letters


def _check_style(style: str) -> None:
    if style not in LETTER_STYLES:
        raise ValueError(f"letter style must be one of {', '.join(LETTER_STYLES)}, not {style!r}")


def letter_ordinal(label: str, style: str = SINGLE) -> int | None:
    """The position of a letter label in its list (`a` = 1) under `style`, either case; None if it has none.

    >>> letter_ordinal("a"), letter_ordinal("Z"), letter_ordinal("aa") is None
    (1, 26, True)
    >>> letter_ordinal("aa", EU), letter_ordinal("az", EU), letter_ordinal("ba", EU)
    (27, 52, 53)
    >>> letter_ordinal("aa", DOUBLED), letter_ordinal("BB", DOUBLED), letter_ordinal("ab", DOUBLED) is None
    (27, 28, True)
    >>> [letter_ordinal(s, EU) for s in ("", "aB", "a1", "é")]
    [None, None, None, None]
    """
    _check_style(style)
    if not label or not (label.islower() or label.isupper()) or not all("a" <= ch <= "z" for ch in label.lower()):
        return None
    low = label.lower()
    if len(low) == 1:
        return ord(low) - ord("a") + 1
    if style == SINGLE:
        return None
    if style == DOUBLED:
        return ord(low[0]) - ord("a") + 27 if len(low) == 2 and low[0] == low[1] else None
    n = 0
    for ch in low:
        n = n * 26 + ord(ch) - ord("a") + 1
    return n


def letter_label(n: int, style: str = SINGLE, upper: bool = False) -> str | None:
    """The letter label at position `n` under `style` (the inverse of `letter_ordinal`); None past the end.

    >>> letter_label(1), letter_label(26, upper=True), letter_label(27) is None
    ('a', 'Z', True)
    >>> letter_label(27, EU), letter_label(53, EU), letter_label(28, DOUBLED, upper=True), letter_label(53, DOUBLED)
    ('aa', 'ba', 'BB', None)
    """
    _check_style(style)
    if n < 1:
        return None
    if n <= 26:
        out = chr(ord("a") + n - 1)
    elif style == DOUBLED and n <= 52:
        out = chr(ord("a") + n - 27) * 2
    elif style == EU:
        chars = []
        while n:
            n, r = divmod(n - 1, 26)
            chars.append(chr(ord("a") + r))
        out = "".join(reversed(chars))
    else:
        return None
    return out.upper() if upper else out


def next_letter(label: str, style: str = SINGLE) -> str | None:
    """The letter label after `label` under `style`, in its case; None if `label` is not one or is the last.

    >>> next_letter("h"), next_letter("z") is None, next_letter("z", EU), next_letter("af", EU), next_letter("az", EU)
    ('i', True, 'aa', 'ag', 'ba')
    >>> next_letter("Z", DOUBLED), next_letter("aa", DOUBLED), next_letter("zz", DOUBLED) is None
    ('AA', 'bb', True)
    """
    n = letter_ordinal(label, style)
    return None if n is None else letter_label(n + 1, style, upper=label.isupper())


# ---------------------------------------------------------------- sequences


NUMBER, ROMAN, LETTER = "number", "roman", "letter"


@dataclass(frozen=True)
class Sequence:
    """One kind of list label: `form` NUMBER (`1`, `2`, … in digits), ROMAN or LETTER (in `style`), in
    lower or upper case, from ordinal `start` (US items begin at `aa`, ordinal 27) up to `maximum`.

    >>> points = Sequence(LETTER, style=EU)
    >>> points.first, points.ordinal("ab"), points.next("z"), points.follows("h", "i"), "B" in points
    ('a', 28, 'aa', True, False)
    >>> clauses = Sequence(ROMAN, maximum=39)
    >>> clauses.first, clauses.next("iv"), clauses.next("xxxix"), clauses.ordinal("xl")
    ('i', 'v', None, None)
    >>> items = Sequence(LETTER, style=DOUBLED, start=27)
    >>> items.first, items.ordinal("a"), items.next("aa")
    ('aa', None, 'bb')
    >>> Sequence(NUMBER).next("9"), Sequence(NUMBER).ordinal("09"), Sequence(NUMBER).follows("8", "09")
    ('10', 9, False)
    """

    form: str
    upper: bool = False
    style: str = SINGLE
    start: int = 1
    maximum: int = ROMAN_MAX

    def __post_init__(self):
        if self.form not in (NUMBER, ROMAN, LETTER):
            raise ValueError(f"form must be {NUMBER}, {ROMAN} or {LETTER}, not {self.form!r}")
        _check_style(self.style)

    @property
    def first(self) -> str:
        """The label that opens a list of this kind."""
        return self.label(self.start)

    def ordinal(self, label: str) -> int | None:
        """The label's position in the sequence; None if it is not a label of this sequence."""
        if self.form == NUMBER:
            n = int(label) if label.isdecimal() else None
        elif self.form == ROMAN:
            n = roman_value(label, self.maximum, "upper" if self.upper else "lower")
        else:
            n = letter_ordinal(label, self.style) if (label.isupper() if self.upper else label.islower()) else None
        return n if n is not None and self.start <= n <= self.maximum else None

    def label(self, n: int) -> str | None:
        """The label at position `n`; None outside the sequence."""
        if not self.start <= n <= self.maximum:
            return None
        if self.form == NUMBER:
            return str(n)
        if self.form == ROMAN:
            return to_roman(n, self.upper)
        return letter_label(n, self.style, self.upper)

    def next(self, label: str) -> str | None:
        """The label after `label`; None if `label` is not of this sequence or is its last."""
        n = self.ordinal(label)
        return None if n is None else self.label(n + 1)

    def follows(self, prev: str, label: str) -> bool:
        """Whether `label` comes right after `prev` (both written as this sequence writes them)."""
        return label == self.next(prev)

    def __contains__(self, label: str) -> bool:
        return self.ordinal(label) is not None


Path = Seq[tuple[str, str]]  # the open levels of a list, outermost first: ((kind, label), …)


def continuing(path: Path, label: str, kinds: Iterable[str], sequences: Mapping[str, Sequence]) -> list[int]:
    """The depths in `path`, deepest first, at which `label` is the next label of the open level, for levels
    of one of the `kinds` the label may be.

    >>> seqs = {"alpha": Sequence(LETTER), "roman": Sequence(ROMAN), "num": Sequence(NUMBER)}
    >>> continuing([("num", "1"), ("alpha", "h")], "i", ("alpha", "roman"), seqs)
    [1]
    >>> continuing([("num", "1"), ("alpha", "a"), ("roman", "i")], "2", ("num",), seqs)
    [0]
    >>> continuing([("num", "2")], "1", ("num",), seqs)
    []
    """
    allowed = set(kinds)
    return [
        depth
        for depth in range(len(path) - 1, -1, -1)
        if path[depth][0] in allowed and sequences[path[depth][0]].follows(path[depth][1], label)
    ]


def opening(path: Path, label: str, kinds: Iterable[str], sequences: Mapping[str, Sequence]) -> list[str]:
    """The `kinds` (in the order given) that `label` can open as a new level below `path`: it is the kind's
    first label and no level of that kind is open.

    >>> seqs = {"alpha": Sequence(LETTER), "roman": Sequence(ROMAN), "num": Sequence(NUMBER)}
    >>> opening([("num", "1"), ("alpha", "c")], "i", ("alpha", "roman"), seqs)
    ['roman']
    >>> opening([("num", "1")], "a", ("alpha",), seqs), opening([], "b", ("alpha",), seqs)
    (['alpha'], [])
    """
    open_kinds = {kind for kind, _ in path}
    return [kind for kind in kinds if kind not in open_kinds and sequences[kind].first == label]


def unique_citation(citation: str, taken: set[str]) -> str:
    """`citation`, or `citation[2]`, `citation[3]`, … when the document already has it (a repeated label, a
    section printed twice); the result is added to `taken`.

    >>> taken = set()
    >>> unique_citation("s.1", taken), unique_citation("s.1", taken), unique_citation("s.1", taken)
    ('s.1', 's.1[2]', 's.1[3]')
    """
    final, n = citation, 1
    while final in taken:
        n += 1
        final = f"{citation}[{n}]"
    taken.add(final)
    return final
