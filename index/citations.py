"""Citation lookup: a query that *is* a citation finds that provision first, then its descendants.

Lawyers cite the same provision many ways. `parse_citation` reads the common ones and returns the documents
the citation points to and the citation's normal form, the form the store keeps in `Provision.citation`:

    ===================================  =================================================  ==================
    query                                documents                                           normal citation
    ===================================  =================================================  ==================
    GENIUS Act section 4(a)(11)          US-PL119-27-GENIUS                                  sec.4(a)(11)
    section 4(a)(11) of the GENIUS Act   US-PL119-27-GENIUS                                  sec.4(a)(11)
    31 U.S.C. § 5318(h)(1)               US-USC31-CH53-SUBCHII                               5318(h)(1)
    23 NYCRR 200.9(a)                    US-NYCRR-23-200                                     200.9(a)
    MiCA Art. 36(1)(a)                   EU-MICA-2023-1114                                   art.36(1)(a)
    Article 36(1) MiCA                   EU-MICA-2023-1114                                   art.36(1)
    MiCA recital 66                      EU-MICA-2023-1114                                   recital.66
    CASS 16.2.13 R                       (every document holding it)                         CASS 16.2.13R
    CP25/14 para 3.70                    UK-FCA-CP25-14                                      para.3.70
    FSB recommendation 9                 INTL-FSB-GSC-2023                                   rec.9
    FSMA s.21                            UK-FSMA-2000, UK-FSMA-2000-S21                      s.21
    MLR 2017 reg. 14A                    UK-MLR-2017                                         reg.14A
    MiCA Annex I, Part A, point 3        EU-MICA-2023-1114                                   annex.I part.A point.3
    CP25/14 Q12                          UK-FCA-CP25-14                                      q.12
    FCA Glossary: backing asset pool     (every document holding it)                         Glossary backing asset pool
    5318(h), Article 36                  (every document)                                    5318(h), art.36
    UK-FCA-CP25-14:CASS_16.2.13R         UK-FCA-CP25-14                                      CASS 16.2.13R
    ===================================  =================================================  ==================

Document names and each family's grammar live in `corpus/aliases.json` (data, not code; `crosswalk.index.aliases`).
A document that is not in the store (23 NYCRR Part 200 when only the mirror was ingested) resolves to the id
it *would* have, and `lookup` finds nothing; `crosswalk.index.resolver` says so.
`display_citation` is the inverse: the full citation a lawyer writes (`GENIUS Act § 4(a)(11)`,
`31 U.S.C. § 5318(h)(1)`, `MiCA Art. 36(1)(a)`, `CP25/14 para. 3.70`), which `parse_citation` reads back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from crosswalk.errors import QueryError
from crosswalk.index.aliases import ALIASES_PATH, SUBS, Aliases, DocAlias, load_aliases

if TYPE_CHECKING:
    from crosswalk.ingest.models import Provision
    from crosswalk.ingest.store import Store


# --- the pieces of a citation ---------------------------------------------------------------------------------

_SUBS = SUBS
MAX_CITATION_CHARS = 200  # longer text is read as a search, never as a citation
_SUB = re.compile(r"\(\s*([0-9A-Za-z]{1,8})\s*\)|\[\s*(\d{1,3})\s*\]")
# FCA status letters: R rule, G guidance, E evidential provision, D direction, P statement of principle,
# C (conduct), U (UK-specific in MiFID-derived text).
_FCA_STATUS = "RGEDPCU"


@dataclass(frozen=True)
class _Unit:
    """One kind of unit in a normal citation (`art.` in `art.36(1)(a)`): the shape of its label, whether the
    label's letters are upper-cased (UK `s.21A`, `Annex IV`), whether it takes (a)(1) sub-divisions, and how
    a full citation writes it (`Art.` + space)."""

    number: str
    upper: bool
    subs: bool
    word: str
    joiner: str = " "


UNITS: dict[str, _Unit] = {
    "sec": _Unit(r"\d+[A-Za-z]?(?:\.\d+)*", False, True, "§"),
    "s": _Unit(r"\d+[A-Za-z]{0,3}", True, True, "s.", ""),
    "reg": _Unit(r"\d+[A-Za-z]{0,3}", True, True, "reg.", ""),
    "sch": _Unit(r"\d+[A-Za-z]?", True, True, "Sch.", ""),
    "art": _Unit(r"\d+[a-z]?", False, True, "Art."),
    "recital": _Unit(r"\d+", False, False, "recital"),
    "rec": _Unit(r"\d+", False, False, "Recommendation"),
    "para": _Unit(r"\d+(?:\.\d+)*|[A-Za-z]", True, True, "para."),
    "ch": _Unit(r"\d+", False, False, "ch."),
    "title": _Unit(r"\d+|[IVXLCivxlc]+", True, False, "Title"),
    "annex": _Unit(r"\d+|[A-Za-z]{1,6}", True, False, "Annex"),
    "part": _Unit(r"\d+|[A-Za-z]{1,6}", True, False, "Part"),
    "point": _Unit(r"\d+[a-z]?", False, True, "point"),
    "subpara": _Unit(r"\d+", False, False, "subpara."),
    "q": _Unit(r"\d+", False, False, "Q", ""),
    "app": _Unit(r"\d+|[A-Z]", False, False, "App."),
    "passage": _Unit(r"\d+", False, False, "passage"),
    "p": _Unit(r"\d+#\d+", False, False, "p.", ""),
    # a US Code, CFR or NYCRR section: the bare number (5318(h), 77b, 78o-4, 1010.100, 200.9)
    "code": _Unit(r"\d+[A-Za-z]{0,3}(?:-\d+[A-Za-z]?)?|\d+\.\d+[A-Za-z]?(?:-\d+)?", False, True, "", ""),
}
# Whole citations that are one word (MiCA's preamble, a glossary part).
_SINGLE_WORDS = ("preamble", "glossary")

_SEPARATOR = re.compile(r"\s*,?\s*")


@dataclass(frozen=True)
class CitationQuery:
    """A query read as a citation.

    - `doc_ids`: the documents it points to, in the order to try; empty means every document (a bare
      `5318(h)`, or an FCA sourcebook rule, whose documents are found in the store).
    - `citation`: the normal form, as `Provision.citation` holds it: `sec.4(a)(11)`, `CASS 16.2.13R`,
      `art.36(1)(a)`, `5318(h)`, `para.3.70`, `rec.9`, `recital.66`.
    """

    doc_ids: tuple[str, ...]
    citation: str


# --- normal forms ---------------------------------------------------------------------------------------------


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


def _compose(unit: str, number: str, subs: str = "") -> str | None:
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


def _fca_form(book: str, number: str, annex: str | None, status: str | None, subs: str) -> str | None:
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


def _unit_for(word: str, doc: DocAlias | None, aliases: Aliases) -> str:
    """The unit a word means: 'section' is `sec.` in a US Act, `s.` in a UK Act, the bare number in a code."""
    unit = aliases.unit_of[word.lower()]
    if unit in ("§", "section", "s"):
        if doc is not None:
            return {"sec": "sec", "s": "s", "reg": "reg", "": "code"}[doc.section_form]
        return {"§": "code", "section": "sec", "s": "s"}[unit]
    return unit


def _template_ids(templates: Iterable[str], fields: dict[str, str]) -> tuple[str, ...]:
    out = []
    for t in templates:
        try:
            out.append(t.format(**fields))
        except KeyError:
            continue  # the citation does not give this template's field (no {num} in a recital)
    return tuple(dict.fromkeys(out))


def _fields(citation: str) -> dict[str, str]:
    """Template fields of a normal citation: {num} its top-level number, {part}/{sect} for `200.9`."""
    m = re.match(r"^(?:[a-z]+\.)?([0-9][0-9A-Za-z\-]*(?:\.[0-9][0-9A-Za-z\-]*)?)", citation)
    if not m:
        return {}
    num = m.group(1)
    fields = {"num": num}
    if "." in num:
        fields["part"], fields["sect"] = num.split(".", 1)
    return fields


def _resolve_doc(aliases: Aliases, name: str) -> DocAlias:
    """The alias row a document name stands for; for a literal doc id, a row for just that id.

    A literal doc id takes the conventions of the row whose id (or id template) it matches: `UK-FSMA-2000-S21`
    is read as FSMA, `US-USC31-CH53-SUBCHII` as a code (bare section numbers). An id no row knows reads as a
    US-style document (`section 3` is `sec.3`).
    """
    alias = aliases.by_name.get(name.lower())
    if alias is not None:
        return alias
    for a in aliases.documents:
        for t in a.doc_ids:
            if _template_regex(t, re.IGNORECASE).match(name):
                return DocAlias((name,), (name,), a.section_form, a.default_unit, a.display)
    for row in aliases.codes:
        for t in row.doc_ids:
            if _template_regex(t, re.IGNORECASE).match(name):
                return DocAlias((name,), (name,), "", "section", name)
    return DocAlias((name,), (name,), "sec", "section", name)


def _code_doc_ids(aliases: Aliases, code: str, title: str, number: str) -> tuple[str, ...]:
    fields = {"title": title, **_fields(number)}
    for row in aliases.codes:
        if row.code != code or row.title not in ("*", title):
            continue
        if row.sections.pattern and not row.sections.search(number):
            continue
        return _template_ids(row.doc_ids, fields)
    return ()


# --- parsing --------------------------------------------------------------------------------------------------

_CODE = re.compile(
    r"^(?P<title>\d{1,3})\s*"
    r"(?P<code>U\.?\s?S\.?\s?C\.?(?:\s?A\.?)?|C\.?\s?F\.?\s?R\.?|N\.?\s?Y\.?\s?C\.?\s?R\.?\s?R\.?)\s*"
    r"(?:§§?\s*|(?:sections?|sec|sect)\.?\s*)?"
    r"(?P<number>\d+(?:\.\d+)?[A-Za-z]{0,3}(?:-\d+[A-Za-z]?)?)(?P<subs>" + _SUBS + r")$",
    re.IGNORECASE,
)


# The code named after the section: "section 78c(a) of 15 U.S.C.", "§ 500.11 of title 23 NYCRR".
_CODE_AFTER = re.compile(
    r"^(?:§§?\s*|(?:sections?|sec|sect)\.?\s*)?"
    r"(?P<number>\d+(?:\.\d+)?[A-Za-z]{0,3}(?:-\d+[A-Za-z]?)?)(?P<subs>" + _SUBS + r")\s*,?\s+(?:of|in)\s+(?:title\s+)?"
    r"(?P<title>\d{1,3})\s*"
    r"(?P<code>U\.?\s?S\.?\s?C\.?(?:\s?A\.?)?|C\.?\s?F\.?\s?R\.?|N\.?\s?Y\.?\s?C\.?\s?R\.?\s?R\.?)$",
    re.IGNORECASE,
)


def _code_name(raw: str) -> str:
    letters = re.sub(r"[^A-Za-z]", "", raw).upper()
    return {"USC": "USC", "USCA": "USC", "CFR": "CFR", "NYCRR": "NYCRR"}[letters]


def _parse_code(text: str, aliases: Aliases) -> CitationQuery | None:
    m = _CODE.match(text) or _CODE_AFTER.match(text)
    if not m:
        return None
    code = _code_name(m.group("code"))
    number = m.group("number")
    is_dotted = "." in number
    if (code == "USC") == is_dotted:
        return None  # 31 U.S.C. sections have no dot; CFR and NYCRR sections always do (1010.100, 200.9)
    citation = _compose("code", number, m.group("subs"))
    if citation is None:
        return None
    return CitationQuery(_code_doc_ids(aliases, code, m.group("title"), number), citation)


@lru_cache(maxsize=4)
def _fca_pattern(sourcebooks: tuple[str, ...]) -> re.Pattern:
    books = "|".join(re.escape(b) for b in sorted(sourcebooks, key=lambda b: (-len(b), b)))
    return re.compile(
        r"^(?:FCA\s+(?:Handbook\s+)?)?(?:rules?\s+)?(?P<book>" + books + r")\s*(?:rules?\s+)?"
        r"(?P<number>\d{1,2}(?:\.\d{1,3}){0,2})(?:\s+Annex\s+(?P<annex>\d{1,2}(?:\.\d{1,3})?))?"
        r"\s*(?P<status>[" + _FCA_STATUS + r"])?(?![A-Za-z])(?P<subs>" + _SUBS + r")$",
        re.IGNORECASE,
    )


@lru_cache(maxsize=4)
def _fca_after_pattern(sourcebooks: tuple[str, ...]) -> re.Pattern:
    """The sourcebook named after the number: "rule 16.2.13R of CASS", "2.4.33 R in the CRYPTO sourcebook"."""
    books = "|".join(re.escape(b) for b in sorted(sourcebooks, key=lambda b: (-len(b), b)))
    return re.compile(
        r"^(?:rules?\s+)?(?P<number>\d{1,2}(?:\.\d{1,3}){0,2})\s*(?P<status>[" + _FCA_STATUS + r"])?(?![A-Za-z])"
        r"(?P<subs>" + _SUBS + r")\s*,?\s+(?:of|in)\s+(?:the\s+)?(?:FCA\s+(?:Handbook\s+)?)?(?P<book>" + books + r")"
        r"(?:\s+sourcebook)?$",
        re.IGNORECASE,
    )


# An FCA Glossary definition: "FCA Glossary: backing asset pool" or "Glossary: …" (a bare "glossary of terms"
# is a search, not a citation).
_GLOSSARY = re.compile(
    r"^(?:FCA\s+(?:Handbook\s+)?Glossary\s*:?|Glossary\s*:)\s*(?P<term>\S.*)$", re.IGNORECASE
)


def _parse_fca(text: str, aliases: Aliases) -> CitationQuery | None:
    """An FCA Handbook provision (`CASS 16.2.13R`, `CASS 16 Annex 3.1G`) or Glossary definition: its documents
    are found in the store by citation, so `doc_ids` is empty."""
    g = _GLOSSARY.match(text)
    if g:
        return CitationQuery((), f"Glossary {g.group('term')}")
    if not aliases.sourcebooks:
        return None
    m = _fca_pattern(aliases.sourcebooks).match(text) or _fca_after_pattern(aliases.sourcebooks).match(text)
    if not m:
        return None
    annex = m.groupdict().get("annex")
    citation = _fca_form(m.group("book"), m.group("number"), annex, m.group("status"), m.group("subs"))
    return CitationQuery((), citation) if citation else None


def _components(rest: str, doc: DocAlias | None, aliases: Aliases, *, bare_numbers: bool) -> str | None:
    """The normal citation of `rest`, a run of components (`Annex I Part A point 1`, `Art. 4(3) subpara. 2`),
    or None. Only the first component may leave out its unit word: after a document it is the document's
    default unit (`MiCA 36(1)`); alone it is a code section, and then needs sub-divisions (`5318(h)`) unless
    `bare_numbers` or dotted (`500.11`, never a year)."""
    if rest.lower() in _SINGLE_WORDS:
        return rest.lower()
    out: list[str] = []
    pos = 0
    while pos < len(rest):
        m = aliases.component.match(rest, pos)
        if not m or m.end() == pos:
            return None
        word, label, subs = m.group("unit"), m.group("label"), m.group("subs")
        if word is None:
            if out or not label[0].isdigit():
                return None
            if doc is not None:
                unit = _unit_for(doc.default_unit, doc, aliases)
            elif subs or bare_numbers or re.fullmatch(r"\d+\.\d+[A-Za-z]?", label):
                unit = "code"
            else:
                return None  # "1960" alone may be a year, not 18 U.S.C. 1960
        else:
            unit = _unit_for(word, doc if not out else None, aliases)
        part = _compose(unit, label, subs)
        if part is None:
            return None
        if out and out[-1].startswith("sch.") and part.startswith("part."):
            part = "pt." + part[len("part."):]  # a schedule's Part, as UK Acts number them: sch.1 pt.2
        out.append(part)
        pos = _SEPARATOR.match(rest, m.end()).end()
    return " ".join(out) if out else None


def _mapped(citation: str, alias: DocAlias) -> str:
    """An Act's own section number turned into its code section: Exchange Act s.15(a) is 15 U.S.C. 78o(a)."""
    m = re.fullmatch(r"(\d+[A-Za-z]*)(.*)", citation)
    if alias.section_map and m and m.group(1).lower() in alias.section_map:
        return alias.section_map[m.group(1).lower()] + m.group(2)
    return citation


def _with_doc(doc_name: str, rest: str, aliases: Aliases) -> CitationQuery | None:
    alias = _resolve_doc(aliases, doc_name)
    fca = _parse_fca(rest, aliases)
    if fca:  # "CP25/14 CASS 16.2.13R": a sourcebook provision in a named document
        return CitationQuery(_template_ids(alias.doc_ids, {}), fca.citation)
    code = _parse_code(rest, aliases)
    if code:  # "Bank Secrecy Act, 31 U.S.C. § 5318(h)": the code citation names the document
        return code
    citation = _components(rest, alias, aliases, bare_numbers=True)
    if citation is None:
        return None
    if alias.section_form == "":
        citation = _mapped(citation, alias)
    return CitationQuery(_template_ids(alias.doc_ids, _fields(citation)), citation)


# Lawyers' punctuation around a citation: quotes, brackets, a closing full stop or comma.
_OUTER = re.compile(r"^[\s\"'“”‘’]+|[\s\"'“”‘’.,;:]+$")
# "paragraph 2 of Schedule 6": UK order, inside out; read as "Schedule 6 paragraph 2".
_PARA_OF_SCH = re.compile(
    r"^(?P<para>(?:paragraphs?|paras?|para|¶)\.?\s*\d+[A-Za-z]?(?:\s*\(\s*\w+\s*\))*)\s*,?\s+(?:of|in)\s+"
    r"(?P<sch>(?:schedules?|sched|sch)\.?\s*\d+[A-Za-z]?)\b",
    re.IGNORECASE,
)


# EU style: "recital (66)", "point (a)" as the label itself.
_BRACKETED = re.compile(r"\b(recitals?|points?)\s*\(\s*(\w+)\s*\)", re.IGNORECASE)


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def clean_query(text: str) -> str:
    """White space folded, outer quotes, brackets and trailing punctuation gone, UK "para 2 of Sch 6" turned
    round.

    >>> clean_query(' "Art. 36 MiCA." ')
    'Art. 36 MiCA'
    >>> clean_query("paragraph 2(1) of Schedule 6 to FSMA 2023")
    'Schedule 6 paragraph 2(1) to FSMA 2023'
    """
    text = " ".join(text.replace("\u00a0", " ").split())
    for _ in range(3):
        text = _OUTER.sub("", text)
        if text[:1] == "(" and text[-1:] == ")" and _balanced(text[1:-1]):
            text = text[1:-1]  # "(GENIUS Act § 4(a))": brackets around the whole citation
        elif text[:1] in ("(", "[") and not _balanced(text):
            text = text[1:]
        elif text[-1:] in (")", "]") and not _balanced(text):
            text = text[:-1]
    if text.count("(") == text.count(")") + 1 and re.search(r"\(\w+$", text):
        text += ")"  # "4(a)(11)." lost its closing bracket with the full stop
    text = _BRACKETED.sub(r"\1 \2", text)
    m = _PARA_OF_SCH.match(text)
    if m:
        text = f"{m.group('sch')} {m.group('para')}{text[m.end():]}"
    return text


def _parse(text: str, aliases: Aliases, *, bare_numbers: bool) -> CitationQuery | None:
    if len(text) > MAX_CITATION_CHARS:
        return None  # a passage, not a citation
    text = clean_query(text)
    if not text or aliases.by_name.get(text.lower()) is not None:
        return None  # a document's name alone is not a provision
    # A provision id, with spaces or underscores inside the citation: UK-FCA-CP25-14:CASS_16.2.13R.
    m = re.fullmatch(r"(?P<doc>[A-Z]{2,4}-[A-Z0-9][A-Za-z0-9-]*):(?P<cit>\S.*)", text, re.IGNORECASE)
    if m:
        cit = m.group("cit").replace("_", " ")
        inner = _parse(cit, aliases, bare_numbers=True)
        return CitationQuery((m.group("doc"),), inner.citation if inner and not inner.doc_ids else cit)
    for parse in (_parse_code, _parse_fca):
        found = parse(text, aliases)
        if found:
            return found
    doc = aliases.doc_pattern.pattern
    # "GENIUS Act section 4(a)(11)", "MiCA Art. 36(1)(a)", "FSB 9", "CP25/14, para 3.70", "CP25/14 CASS 16.2.13R"
    m = re.fullmatch(r"(?:the\s+)?" + doc + r"(?:'s)?\s*,?\s*(?P<rest>.+)", text, re.IGNORECASE)
    if m:
        found = _with_doc(m.group("doc"), m.group("rest"), aliases)
        if found:
            return found
    # "section 4(a)(11) of the GENIUS Act", "Article 36(1) MiCA", "regulation 14A of the MLR 2017", "Sch 6 to FSMA"
    m = re.fullmatch(r"(?P<rest>.+?)\s*,?\s*(?:(?:of|in|to|under)\s+)?(?:the\s+)?" + doc, text, re.IGNORECASE)
    if m:
        found = _with_doc(m.group("doc"), m.group("rest"), aliases)
        if found:
            return found
    # Bare: "Article 36", "section 4(a)(11)", "§ 5318(h)", "5318(h)", "500.11", "recital 66", "Annex I"
    citation = _components(text, None, aliases, bare_numbers=bare_numbers)
    return CitationQuery((), citation) if citation else None


def parse_citation(query: str, aliases_path: Path | str = ALIASES_PATH) -> CitationQuery | None:
    """Read `query` as a citation; None when it is not one (then it is an ordinary search).

    >>> parse_citation("GENIUS Act section 4(a)(11)")
    CitationQuery(doc_ids=('US-PL119-27-GENIUS',), citation='sec.4(a)(11)')
    >>> parse_citation("section 4(a)(11) of the GENIUS Act").citation
    'sec.4(a)(11)'
    >>> parse_citation("31 U.S.C. § 5318(h)(1)")
    CitationQuery(doc_ids=('US-USC31-CH53-SUBCHII',), citation='5318(h)(1)')
    >>> parse_citation("15 USC 77b(a)(1)").doc_ids
    ('US-USC15-77B-77E',)
    >>> parse_citation("CASS 16.2.13 R")
    CitationQuery(doc_ids=(), citation='CASS 16.2.13R')
    >>> parse_citation("Article 36(1) MiCA")
    CitationQuery(doc_ids=('EU-MICA-2023-1114',), citation='art.36(1)')
    >>> parse_citation("FSMA s.21")
    CitationQuery(doc_ids=('UK-FSMA-2000', 'UK-FSMA-2000-S21'), citation='s.21')
    >>> parse_citation("23 NYCRR 200.9(a)")
    CitationQuery(doc_ids=('US-NYCRR-23-200',), citation='200.9(a)')
    >>> parse_citation("5318(h)")
    CitationQuery(doc_ids=(), citation='5318(h)')
    >>> parse_citation("custody of client assets") is None
    True
    """
    if not isinstance(query, str):
        raise QueryError(f"a citation query must be text, not {type(query).__name__}")
    return _parse(query, load_aliases(aliases_path), bare_numbers=False)


def normalise_citation(text: str, kind: str | None = None) -> str:
    """The normal form of a citation without its document, as `Provision.citation` holds it.

    `kind` names the unit when `text` is only the number: sec, s, reg, code (a US Code/CFR section), art,
    recital, rec, para, ch, sch, title, annex, part, point, subpara, q (a consultation question), app.
    Normalising a normal form returns it unchanged.

    >>> normalise_citation("section 4 (a)(11)")
    'sec.4(a)(11)'
    >>> normalise_citation("Art. 36(1)(a)")
    'art.36(1)(a)'
    >>> normalise_citation("§ 5318(h)(1)")
    '5318(h)(1)'
    >>> normalise_citation("CASS 16.2.13 R")
    'CASS 16.2.13R'
    >>> normalise_citation("paragraph 3.70")
    'para.3.70'
    >>> normalise_citation("Recommendation 9")
    'rec.9'
    >>> normalise_citation("recital 66")
    'recital.66'
    >>> normalise_citation("reg. 14a(1)(a)")
    'reg.14A(1)(a)'
    >>> normalise_citation("Sch. 1, para. 2")
    'sch.1 para.2'
    >>> normalise_citation("4(a)(11)", kind="sec")
    'sec.4(a)(11)'
    >>> normalise_citation("1960")
    '1960'
    >>> normalise_citation("Annex I, Part A, point 3")
    'annex.I part.A point.3'
    >>> normalise_citation("CASS 16 Annex 3.1 G")
    'CASS 16 Annex 3.1G'
    """
    if not isinstance(text, str) or not text.strip():
        raise QueryError(f"empty citation {text!r}: give one such as 'sec.4(a)(11)' or 'CASS 16.2.13R'")
    if kind is not None:
        unit = {"section": "sec", "§": "code", "usc": "code", "cfr": "code", "article": "art"}.get(kind, kind)
        if unit not in UNITS:
            raise QueryError(f"unknown citation kind {kind!r}: use one of {', '.join(sorted(UNITS))}")
        m = load_aliases().component.fullmatch(" ".join(text.split()))
        citation = _compose(unit, m.group("label"), m.group("subs")) if m and not m.group("unit") else None
        if citation is None:
            raise QueryError(f"{text!r} is not a {kind} number (e.g. {_EXAMPLES[unit]})")
        return citation
    found = _parse(text, load_aliases(), bare_numbers=True)
    if found is None or found.doc_ids:
        raise QueryError(
            f"{text!r} is not a citation Crosswalk can read without its document: try forms such as "
            "'sec.4(a)(11)', '5318(h)', 'art.36(1)(a)', 'CASS 16.2.13R', 'para.3.70', 'rec.9', 'recital.66'"
        )
    return found.citation


_EXAMPLES = {
    "sec": "4(a)(11)", "s": "21(1)", "reg": "14A(1)(a)", "code": "5318(h)(1) or 200.9(a)", "art": "36(1)(a)",
    "recital": "66", "rec": "9", "para": "3.70", "ch": "3", "sch": "1", "passage": "7", "p": "12#3", "title": "III",
    "annex": "IV", "part": "A", "point": "3", "subpara": "2", "q": "12", "app": "1",
}


# --- the other way: a lawyer's full citation ------------------------------------------------------------------


@lru_cache(maxsize=256)
def _template_regex(template: str, flags: int = 0) -> re.Pattern:
    """`US-NYCRR-{title}-{part}` -> a regex that reads `US-NYCRR-23-200` back into title 23, part 200."""
    parts = re.split(r"(\{[a-z]+\})", template)
    rx = "".join(f"(?P<{p[1:-1]}>[A-Za-z0-9]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(rx + "$", flags)


def _display_names(doc_id: str, aliases: Aliases) -> tuple[str | None, str | None]:
    """(document name, code prefix) for a doc id: ('GENIUS Act', None), (None, '31 U.S.C. §')."""
    for row in aliases.codes:
        for t in row.doc_ids:
            m = _template_regex(t).match(doc_id)
            if m:
                return None, row.display.format(**m.groupdict())
    for a in aliases.documents:
        for t in a.doc_ids:
            if _template_regex(t).match(doc_id):
                return a.display, None
    return None, None


def format_citation(doc_id: str, citation: str) -> str:
    """A lawyer's full citation for `citation` in document `doc_id`; `parse_citation` reads it back.

    >>> format_citation("US-PL119-27-GENIUS", "sec.4(a)(11)")
    'GENIUS Act § 4(a)(11)'
    >>> format_citation("US-USC31-CH53-SUBCHII", "5318(h)(1)")
    '31 U.S.C. § 5318(h)(1)'
    >>> format_citation("EU-MICA-2023-1114", "art.36(1)(a)")
    'MiCA Art. 36(1)(a)'
    >>> format_citation("UK-FCA-CP25-14", "CASS 16.2.13R")
    'CASS 16.2.13R'
    >>> format_citation("UK-FCA-CP25-14", "para.3.70")
    'CP25/14 para. 3.70'
    >>> format_citation("US-NYCRR-23-200", "200.9(a)")
    '23 NYCRR 200.9(a)'
    >>> format_citation("UK-FSMA-2000-S21", "s.21(1)")
    'FSMA s.21(1)'
    >>> format_citation("UK-MLR-2017", "sch.1 para.2")
    'MLR 2017 Sch.1 para. 2'
    >>> format_citation("EU-MICA-2023-1114", "annex.I part.A point.1")
    'MiCA Annex I Part A point 1'
    >>> format_citation("UK-FCA-CP25-14", "annex.1 q.3")
    'CP25/14 Annex 1 Q3'
    >>> format_citation("US-CEA-2026-04-STABLECOIN-YIELD", "passage.2")
    'CEA stablecoin yield report passage 2'
    >>> format_citation("X-UNLISTED", "passage.2")
    'X-UNLISTED passage 2'
    """
    aliases = load_aliases()
    name, code = _display_names(doc_id, aliases)
    if citation.startswith("Glossary "):
        return f"FCA Glossary: {citation[len('Glossary '):]}"
    if _is_fca(citation, aliases):
        return citation  # FCA Handbook provisions name their sourcebook: CASS 16.2.13R
    if code and re.fullmatch(r"(?:" + UNITS["code"].number + r")(?:[(\[].*)?", citation):
        return f"{code} {citation}"
    parts = []
    for component in citation.split(" "):
        m = re.fullmatch(r"(?P<unit>[a-z]+)\.(?P<rest>.+)", component)
        spec = UNITS.get(m.group("unit")) if m else None
        parts.append(f"{spec.word}{spec.joiner}{m.group('rest')}" if spec else component)
    if name is None:  # a code's document cited by something other than a code section (23 NYCRR 500 App. A)
        name = next((a.names[0] for a in aliases.documents for t in a.doc_ids
                     if a.names and _template_regex(t).match(doc_id)), None)
    return f"{name or doc_id} {' '.join(parts)}"


def document_name(doc_id: str) -> str:
    """How a lawyer names a document: 'MiCA', '31 U.S.C.', '23 NYCRR'; the id when no row names it.

    >>> document_name("EU-MICA-2023-1114"), document_name("US-USC31-CH53-SUBCHII"), document_name("X-Y")
    ('MiCA', '31 U.S.C.', 'X-Y')
    """
    name, code = _display_names(doc_id, load_aliases())
    return name or (code.removesuffix("§").strip() if code else doc_id)


def _is_fca(citation: str, aliases: Aliases) -> bool:
    book = citation.split(" ", 1)[0]
    return book.upper() in aliases.sourcebooks and re.match(r"^[A-Z]+ \d", citation) is not None


def display_citation(provision: "Provision") -> str:
    """A provision's full citation, for the UI and exports: `display_citation(p) == 'MiCA Art. 36(1)(a)'`."""
    return format_citation(provision.doc_id, provision.citation)


# --- lookup ---------------------------------------------------------------------------------------------------


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


def lookup(store: "Store", query: str) -> list[str]:
    """Provision ids for a citation query, best first; [] when `query` is not a citation or cites nothing stored.
    The resolver (`crosswalk.index.resolver.resolve`) does the work; this is its list of ids.

    Example: lookup(store, "CASS 17.2") == ["UK-FCA-CP25-14:CASS_17.2", "UK-FCA-CP25-14:CASS_17.2.1R", ...]
    """
    from crosswalk.index.resolver import lookup as resolved

    return resolved(store, query)
