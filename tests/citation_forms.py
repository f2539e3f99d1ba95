"""Surface forms of a stored citation, as lawyers type them: for the property test of the citation resolver.

`surface_forms(doc_id, citation)` gives at least five different ways to cite one provision, built from its
normal citation and its document's names in `corpus/aliases.json`: the unit word varies (Article / Art. / art /
ARTICLE; section / sec. / § / s.), so do case (outside the sub-divisions, where (a) and (A) differ), spacing
(no space after the unit word, spaces inside the sub-divisions), word order ("Art. 36 of MiCA", "MiCA, Art 36"),
and trailing punctuation. `family(doc_id, citation)` names the citation's family for reporting.
"""

from __future__ import annotations

import re

from crosswalk.index.aliases import load_aliases, template_regex
from crosswalk.index.citation_display import display_names, format_citation

# Words per unit, in the order forms use them: long, abbreviated, bare lower case, symbol or shouted, other.
WORDS = {
    "sec": ["section", "Sec.", "sec", "§", "SECTION"],
    "s": ["section", "s.", "s", "S.", "Section"],
    "reg": ["regulation", "reg.", "reg", "Reg.", "Regulation"],
    "art": ["Article", "Art.", "art", "ARTICLE", "art."],
    "recital": ["recital", "Recital", "recital", "RECITAL", "Recital"],
    "rec": ["Recommendation", "Rec.", "rec", "RECOMMENDATION", "recommendation"],
    "para": ["paragraph", "para.", "para", "¶", "Para"],
    "ch": ["chapter", "ch.", "ch", "CHAPTER", "Chapter"],
    "sch": ["Schedule", "Sch.", "sch", "SCHEDULE", "schedule"],
    "title": ["Title", "title", "title", "TITLE", "Title"],
    "annex": ["Annex", "annex", "annex", "ANNEX", "Annex"],
    "part": ["Part", "Pt", "part", "PART", "Part"],
    "point": ["point", "Point", "point", "POINT", "point"],
    "subpara": ["subparagraph", "subpara.", "subpara", "SUBPARAGRAPH", "Subparagraph"],
    "q": ["question", "Q", "q", "QUESTION", "Question"],
    "app": ["Appendix", "App.", "app", "APPENDIX", "appendix"],
    "passage": ["passage", "Passage", "passage", "PASSAGE", "Passage"],
    "p": ["p.", "p.", "p", "P.", "p."],
}
CODE_WORDS = ["§", "section", "sec.", "§§", "Section"]


def names_of(doc_id: str) -> list[str]:
    """The names lawyers use for `doc_id` (corpus/aliases.json), or the id itself when no row names it."""
    aliases = load_aliases()
    for row in aliases.documents:
        if any(template_regex(t).match(doc_id) for t in row.doc_ids):
            return list(row.names)
    return [doc_id]


def family(doc_id: str, citation: str) -> str:
    """`FCA rule`, `US Code section`, `EU art`, `paper para`, …: for grouping failures."""
    if citation.startswith("Glossary "):
        return "FCA glossary"
    if re.match(r"[A-Z]+ \d", citation):
        return "FCA sourcebook"
    unit = re.match(r"([a-z]+)\.", citation)
    aliases = load_aliases()
    row = next((r for r in aliases.documents if any(template_regex(t).match(doc_id) for t in r.doc_ids)), None)
    fam = row.family if row else "unlisted document"
    return f"{fam} {unit.group(1) if unit else ('section' if citation[:1].isdigit() else citation)}"


def _case(text: str, how: str) -> str:
    """`text` upper- or lower-cased outside round brackets (US sub-divisions keep their case)."""
    parts = re.split(r"(\([^)]*\))", text)
    f = str.upper if how == "upper" else str.lower
    return "".join(p if p.startswith("(") else f(p) for p in parts)


def _spaced(subs: str) -> str:
    return " ".join(re.findall(r"\([^)]*\)|\[\d+\]", subs))


def _components(citation: str) -> list[tuple[str, str, str]]:
    """[(unit, label, subs)] of a normal citation: 'sch.6 para.2(1)' -> [('sch','6',''), ('para','2','(1)')]."""
    out = []
    for comp in citation.split(" "):
        m = re.fullmatch(r"(?:(?P<unit>[a-z]+)\.)?(?P<label>[^(\[]+)(?P<subs>.*)", comp)
        out.append((m.group("unit") or "", m.group("label"), m.group("subs")))
    return out


def _written(comps, variant: int, *, tight: bool = False, spaced_subs: bool = False) -> str:
    """The components with the unit words of `variant` (0 long, 1 abbreviated, 2 bare, 3 shouted, 4 other)."""
    out = []
    for unit, label, subs in comps:
        word = WORDS[unit][variant] if unit in WORDS else ""
        subs = (" " + _spaced(subs)) if spaced_subs and subs else subs
        gap = "" if tight and label[:1].isdigit() else " "
        out.append(f"{word}{gap}{label}{subs}" if word else f"{label}{subs}")
    return " ".join(out)


def surface_forms(doc_id: str, citation: str) -> list[str]:
    """At least five distinct ways of citing `citation` in `doc_id`, each naming its document (or FCA
    sourcebook)."""
    if citation.startswith("Glossary "):
        term = citation[len("Glossary "):]
        return [f"FCA Glossary: {term}", f"Glossary: {term}", f"fca glossary: {term.upper()}",
                f"FCA Handbook Glossary: {term}", f"Glossary: {term}."]
    if m := re.fullmatch(r"([A-Z]+) (\d[\d.]*)(?: Annex (\d[\d.]*))?([A-Z]?)(.*)", citation):
        book, num, annex, status, subs = m.groups()
        ann = f" Annex {annex}" if annex else ""
        forms = [
            citation,
            f"{book}{num}{ann}{status}{subs}",  # no space: CASS16.2.13R
            f"{book.lower()} {num}{ann.lower()} {status.lower()}{_spaced(subs)}".replace("  ", " ").strip(),
            f"rule {book} {num}{ann} {status}{subs}".replace("  ", " "),
            f"{book} {num}{ann}{status}{subs}.",
            f"FCA Handbook {book} {num}{ann}{status}{subs}",
        ]
        if not annex and status:
            forms.append(f"rule {num}{status}{subs} of {book}")
        return list(dict.fromkeys(forms))
    names = names_of(doc_id)
    name, alt = names[0], names[1] if len(names) > 1 else names[0]
    comps = _components(citation)
    code_name, code_prefix = display_names(doc_id, load_aliases())
    shown = format_citation(doc_id, citation)
    if code_prefix and not comps[0][0]:  # a code section: 31 U.S.C. § 5318(h)
        title = code_prefix.removesuffix("§").strip()
        plain = title.replace(".", "").replace(" ", " ")
        num = citation
        section = re.sub(r"[(\[].*", "", num)
        forms = [
            shown,
            f"{plain} {num}",  # 31 USC 5318(h)
            f"section {num} of {title}",
            f"{_case(name, 'lower')} § {num}",
            f"{name}, sec. {section} {_spaced(num)}.".replace(" .", "."),
            f"{alt} §{num}",
        ]
        return list(dict.fromkeys(f for f in forms if f))
    forms = [
        shown,
        f"{name} {_written(comps, 0)}",
        f"{_written(comps, 1)} of the {name}",
        f"{_case(alt, 'upper')} {_case(_written(comps, 3), 'upper')}.",
        f"{_case(name, 'lower')}, {_written(comps, 2, spaced_subs=True)}",
        f"{_written(comps, 4)} {alt}",
        f"{name} {_written(comps, 1, tight=True)}",
    ]
    return list(dict.fromkeys(forms))
