"""The units of a normal citation, the form `Provision.citation` holds (`sec.4(a)(11)`, `art.36(1)(a)`,
`CASS 16.2.13R`, `sch.1 para.2`): the shape of each unit's label, composing a unit and its label into the normal
form, and the citations that enclose one (`citation_ancestors`).

`crosswalk.index.citations` reads what lawyers write into these forms; `crosswalk.index.citation_display` writes
them back out as lawyers do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# FCA status letters: R rule, G guidance, E evidential provision, D direction, P statement of principle,
# C (conduct), U (UK-specific in MiFID-derived text).
FCA_STATUS = "RGEDPCU"
_SUB = re.compile(r"\(\s*([0-9A-Za-z]{1,8})\s*\)|\[\s*(\d{1,3})\s*\]")


@dataclass(frozen=True)
class Unit:
    """One kind of unit in a normal citation (`art.` in `art.36(1)(a)`): the shape of its label, whether the
    label's letters are upper-cased (UK `s.21A`, `Annex IV`), whether it takes (a)(1) sub-divisions, and how
    a full citation writes it (`Art.` + space)."""

    number: str
    upper: bool
    subs: bool
    word: str
    joiner: str = " "


UNITS: dict[str, Unit] = {
    "sec": Unit(r"\d+[A-Za-z]?(?:\.\d+)*", False, True, "§"),
    "s": Unit(r"\d+[A-Za-z]{0,3}", True, True, "s.", ""),
    "reg": Unit(r"\d+[A-Za-z]{0,3}", True, True, "reg.", ""),
    "sch": Unit(r"\d+[A-Za-z]?", True, True, "Sch.", ""),
    "art": Unit(r"\d+[a-z]?", False, True, "Art."),
    "recital": Unit(r"\d+", False, False, "recital"),
    "rec": Unit(r"\d+", False, False, "Recommendation"),
    "para": Unit(r"\d+(?:\.\d+)*|[A-Za-z]", True, True, "para."),
    "ch": Unit(r"\d+", False, False, "ch."),
    "title": Unit(r"\d+|[IVXLCivxlc]+", True, False, "Title"),
    "annex": Unit(r"\d+|[A-Za-z]{1,6}", True, False, "Annex"),
    "part": Unit(r"\d+|[A-Za-z]{1,6}", True, False, "Part"),
    "point": Unit(r"\d+[a-z]?", False, True, "point"),
    "subpara": Unit(r"\d+", False, False, "subpara."),
    "q": Unit(r"\d+", False, False, "Q", ""),
    "app": Unit(r"\d+|[A-Z]", False, False, "App."),
    "passage": Unit(r"\d+", False, False, "passage"),
    "p": Unit(r"\d+#\d+", False, False, "p.", ""),
    # a US Code, CFR or NYCRR section: the bare number (5318(h), 77b, 78o-4, 1010.100, 200.9)
    "code": Unit(r"\d+[A-Za-z]{0,3}(?:-\d+[A-Za-z]?)?|\d+\.\d+[A-Za-z]?(?:-\d+)?", False, True, "", ""),
}


def normalise_subdivisions(text: str) -> str:
    """Sub-divisions without white space, case kept (in US law `(a)` and `(A)` are different levels).

    >>> normalise_subdivisions(" (a) ( 11 )(A)")
    '(a)(11)(A)'
    >>> normalise_subdivisions("(a)(80) [2]")
    '(a)(80)[2]'
    >>> normalise_subdivisions("")
    ''
    """
    return "".join(f"({m.group(1)})" if m.group(1) else f"[{m.group(2)}]" for m in _SUB.finditer(text or ""))


def compose(unit: str, number: str, subs: str = "") -> str | None:
    """The normal form of one unit (`art`, `36`, `(1)(a)` -> `art.36(1)(a)`), or None when the label is not
    of that unit's shape."""
    spec = UNITS.get(unit)
    number = number.strip().rstrip(".")
    if spec is None or not re.fullmatch(spec.number, number):
        return None
    subs = normalise_subdivisions(subs)
    if subs and not spec.subs:
        return None
    if spec.upper:
        number = number.upper()  # UK inserted provisions (s.21A, reg.14A), Annex IV, Title III, Part A
    if unit == "code":
        return f"{number}{subs}"
    return f"{unit}.{number}{subs}"


def fca_form(book: str, number: str, annex: str | None, status: str | None, subs: str) -> str | None:
    """`CASS 16.2.13R`, `CASS 16.2` (section), `CASS 16` (chapter), `CASS 16 Annex 3.1G`; a status letter
    and sub-divisions only on a rule's number (three parts, or an annex paragraph)."""
    parts = number.split(".")
    if annex is not None and len(parts) != 1:
        return None
    is_rule = len(parts) == 3 or (annex is not None and "." in annex)
    if (status or subs) and not is_rule:
        return None
    out = f"{book.upper()} {number}"
    if annex is not None:
        out += f" Annex {annex}"
    return out + (status or "").upper() + normalise_subdivisions(subs)


# A label of each unit, for error messages.
EXAMPLES = {
    "sec": "4(a)(11)", "s": "21(1)", "reg": "14A(1)(a)", "code": "5318(h)(1) or 200.9(a)", "art": "36(1)(a)",
    "recital": "66", "rec": "9", "para": "3.70", "ch": "3", "sch": "1", "passage": "7", "p": "12#3", "title": "III",
    "annex": "IV", "part": "A", "point": "3", "subpara": "2", "q": "12", "app": "1",
}


def citation_ancestors(citation: str) -> list[str]:
    """The citations that enclose `citation`, nearest first (the string's hierarchy, not the store's).

    >>> citation_ancestors("sec.4(a)(11)")
    ['sec.4(a)', 'sec.4']
    >>> citation_ancestors("CASS 16.2.13R")
    ['CASS 16.2', 'CASS 16']
    >>> citation_ancestors("para.3.70")
    ['ch.3']
    >>> citation_ancestors("sch.1 para.2(a)")
    ['sch.1 para.2', 'sch.1']
    >>> citation_ancestors("recital.66")
    []
    >>> citation_ancestors("annex.I part.A point.1")
    ['annex.I part.A', 'annex.I']
    >>> citation_ancestors("CASS 16 Annex 3.2G(1)")
    ['CASS 16 Annex 3.2G', 'CASS 16 Annex 3', 'CASS 16']
    """
    out: list[str] = []
    current = citation
    while True:
        if m := re.fullmatch(r"(.+?)(?:\([0-9A-Za-z]+\)|\[\d+\])", current):
            current = m.group(1)  # the last sub-division
        elif m := re.fullmatch(r"([A-Z]+ \d+ Annex \d+)\.\d+[A-Z]?", current):
            current = m.group(1)  # an FCA annex paragraph: CASS 16 Annex 3.1G -> CASS 16 Annex 3
        elif m := re.fullmatch(r"([A-Z]+ \d+) Annex \d+", current):
            current = m.group(1)
        elif m := re.fullmatch(r"([A-Z]+ \d+(?:\.\d+)*)\.\d+[A-Z]?", current):
            current = m.group(1)  # an FCA rule, then section: CASS 16.2.13R -> CASS 16.2 -> CASS 16
        elif m := re.fullmatch(r"(.+) [a-z]+\.\S+", current):
            current = m.group(1)  # the last component: annex.I part.A point.1 -> annex.I part.A
        elif m := re.fullmatch(r"para\.(\d+)\.\d+", current):
            current = f"ch.{m.group(1)}"  # a paper's paragraph 3.70 sits in chapter 3
        else:
            return out
        out.append(current)
