"""What to say when a citation names a stored document but a unit it does not have.

`missing_note` finds the units of the same kind at the same level (the siblings under the nearest stored
ancestor, or the document's top-level units of that kind) and says what the document has and what it lacks,
with the nearest units by number: "MiCA has Articles 1–149; no Article 150", then Articles 149, 148 and 147.

Example:
    >>> _shape("art.150")
    'art\\\\.\\\\d+'
    >>> _shape("CASS 16.2.99R")
    'CASS\\\\ \\\\d+\\\\.\\\\d+\\\\.\\\\d+[A-Za-z]+'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from crosswalk.index.citation_display import document_name, format_citation
from crosswalk.index.citation_units import citation_ancestors

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.index.resolver import Catalog

NEAREST = 3
# The unit a citation's kind names, singular and plural, for messages.
UNIT_NAMES = {
    "art": ("Article", "Articles"), "sec": ("section", "sections"), "s": ("section", "sections"),
    "reg": ("regulation", "regulations"), "rec": ("Recommendation", "Recommendations"),
    "recital": ("recital", "recitals"), "para": ("paragraph", "paragraphs"), "ch": ("chapter", "chapters"),
    "sch": ("Schedule", "Schedules"), "annex": ("Annex", "Annexes"), "title": ("Title", "Titles"),
    "part": ("Part", "Parts"), "point": ("point", "points"), "q": ("question", "questions"),
    "passage": ("passage", "passages"), "p": ("passage", "passages"), "app": ("Appendix", "Appendices"),
    "": ("section", "sections"),
}


def _shape(citation: str) -> str:
    """A regex for citations of the same kind and level: numbers and labels vary, unit words do not."""
    out = []
    for m in re.finditer(r"\(\w+\)|\[\d+\]|\d+|[A-Za-z]+|.", citation):
        t = m.group()
        if t.startswith("("):
            out.append(r"\(\w+\)")
        elif t.startswith("["):
            out.append(r"\[\d+\]")
        elif t.isdigit():
            out.append(r"\d+")
        elif t.isalpha() and (m.start() == 0 or citation[m.end():m.end() + 1] == "." and t.islower()):
            out.append(re.escape(t))  # a unit word (art., para.) or an FCA sourcebook
        elif t.isalpha():
            out.append(r"[A-Za-z]+")
        else:
            out.append(re.escape(t))
    return "".join(out)


def _number(citation: str) -> float:
    nums = re.findall(r"\d+", citation)
    return float(nums[-1]) if nums else 0.0


def _kind(citation: str) -> str:
    m = re.match(r"([a-z]+)\.", citation.split(" ")[-1])
    return m.group(1) if m else ""


def _label(citation: str) -> str:
    last = citation.split(" ")[-1]
    return last.split(".", 1)[1] if re.match(r"[a-z]+\.", last) else last


def missing_note(catalog: "Catalog", docs: Sequence[str], citation: str) -> tuple[str, list[str]]:
    """(message, nearest unit ids) for `citation`, which none of the stored `docs` has."""
    doc = docs[0]
    anchor_id, anchor = None, ""
    for a in citation_ancestors(citation):
        ids = catalog.find(docs, a)
        if ids:
            anchor_id, anchor = ids[0], catalog.units[ids[0]].citation
            break
    nested = bool(anchor) and citation.startswith(anchor)
    if nested:
        pattern = re.compile(re.escape(anchor) + _shape(citation[len(anchor):]))
        pool = [catalog.units[i] for i in catalog.children.get(anchor_id, ())]
    elif anchor_id:  # para.3.999 under ch.3
        pattern = re.compile(_shape(citation))
        pool = [catalog.units[i] for i in catalog.children.get(anchor_id, ())]
    else:
        pattern = re.compile(_shape(citation))
        pool = [u for d in docs for u in catalog.by_doc.get(d, ())]
    same = [u for u in pool if pattern.fullmatch(u.citation)]
    wanted = format_citation(doc, citation)
    if not same:
        where = format_citation(doc, anchor) if nested else document_name(doc)
        lacking = wanted.removeprefix(document_name(doc)).strip() or wanted
        return f"{where} has no {lacking}", [anchor_id] if anchor_id else []
    first, last = same[0], same[-1]
    target = _number(citation)
    nearest = sorted(same, key=lambda u: (abs(_number(u.citation) - target), -_number(u.citation)))[:NEAREST]
    ids = ([anchor_id] if anchor_id else []) + [u.id for u in nearest]
    if nested:
        a, b = first.citation[len(anchor):], last.citation[len(anchor):]
        note = f"{format_citation(doc, anchor)} has {a}–{b}; no {wanted}"
    elif m := re.fullmatch(r"([A-Z]+) (.+)", citation):  # an FCA sourcebook: CASS 99, CRYPTO 9.9.9R
        singular, plural = [("chapter", "chapters"), ("section", "sections"), ("rule", "rules")][
            min(m.group(2).count("."), 2)]
        within = m.group(1)
    else:
        singular, plural = UNIT_NAMES.get(_kind(citation), ("unit", "units"))
        prefix = citation.rsplit(" ", 1)[0] if " " in citation else ""
        within = format_citation(doc, prefix or anchor) if (prefix or anchor) else document_name(doc)
    if not nested:
        span = f"{_label(first.citation)}–{_label(last.citation)}" if len(same) > 1 else _label(first.citation)
        note = (f"{within} has {plural if len(same) > 1 else singular} {span}; "
                f"no {singular} {_label(citation)}")
    return note, list(dict.fromkeys(ids))
