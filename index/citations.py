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

Document names and each family's grammar live in `corpus/aliases.json` (data, not code; `crosswalk.index.aliases`);
the units of the normal forms in `crosswalk.index.citation_units`.
A document that is not in the store (23 NYCRR Part 200 when only the mirror was ingested) resolves to the id
it *would* have, and `lookup` finds nothing; `crosswalk.index.resolver` says so.
`crosswalk.index.citation_display` is the inverse: the full citation a lawyer writes (`GENIUS Act § 4(a)(11)`,
`31 U.S.C. § 5318(h)(1)`, `MiCA Art. 36(1)(a)`, `CP25/14 para. 3.70`), which `parse_citation` reads back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from crosswalk.errors import QueryError
from crosswalk.index.aliases import ALIASES_PATH, SUBS, Aliases, DocAlias, load_aliases, template_regex
from crosswalk.index.citation_units import EXAMPLES, FCA_STATUS, UNITS, compose, fca_form

if TYPE_CHECKING:
    from crosswalk.ingest.store import Store

_SUBS = SUBS
MAX_CITATION_CHARS = 200  # longer text is read as a search, never as a citation
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


# --- which documents a citation points to ---------------------------------------------------------------------


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
            if template_regex(t, re.IGNORECASE).match(name):
                return DocAlias((name,), (name,), a.section_form, a.default_unit, a.display)
    for row in aliases.codes:
        for t in row.doc_ids:
            if template_regex(t, re.IGNORECASE).match(name):
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
    citation = compose("code", number, m.group("subs"))
    if citation is None:
        return None
    return CitationQuery(_code_doc_ids(aliases, code, m.group("title"), number), citation)


@lru_cache(maxsize=4)
def _fca_pattern(sourcebooks: tuple[str, ...]) -> re.Pattern:
    books = "|".join(re.escape(b) for b in sorted(sourcebooks, key=lambda b: (-len(b), b)))
    return re.compile(
        r"^(?:FCA\s+(?:Handbook\s+)?)?(?:rules?\s+)?(?P<book>" + books + r")\s*(?:rules?\s+)?"
        r"(?P<number>\d{1,2}(?:\.\d{1,3}){0,2})(?:\s+Annex\s+(?P<annex>\d{1,2}(?:\.\d{1,3})?))?"
        r"\s*(?P<status>[" + FCA_STATUS + r"])?(?![A-Za-z])(?P<subs>" + _SUBS + r")$",
        re.IGNORECASE,
    )


@lru_cache(maxsize=4)
def _fca_after_pattern(sourcebooks: tuple[str, ...]) -> re.Pattern:
    """The sourcebook named after the number: "rule 16.2.13R of CASS", "2.4.33 R in the CRYPTO sourcebook"."""
    books = "|".join(re.escape(b) for b in sorted(sourcebooks, key=lambda b: (-len(b), b)))
    return re.compile(
        r"^(?:rules?\s+)?(?P<number>\d{1,2}(?:\.\d{1,3}){0,2})\s*(?P<status>[" + FCA_STATUS + r"])?(?![A-Za-z])"
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
    citation = fca_form(m.group("book"), m.group("number"), annex, m.group("status"), m.group("subs"))
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
        part = compose(unit, label, subs)
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
        citation = compose(unit, m.group("label"), m.group("subs")) if m and not m.group("unit") else None
        if citation is None:
            raise QueryError(f"{text!r} is not a {kind} number (e.g. {EXAMPLES[unit]})")
        return citation
    found = _parse(text, load_aliases(), bare_numbers=True)
    if found is None or found.doc_ids:
        raise QueryError(
            f"{text!r} is not a citation Crosswalk can read without its document: try forms such as "
            "'sec.4(a)(11)', '5318(h)', 'art.36(1)(a)', 'CASS 16.2.13R', 'para.3.70', 'rec.9', 'recital.66'"
        )
    return found.citation


# --- lookup ---------------------------------------------------------------------------------------------------


def lookup(store: "Store", query: str) -> list[str]:
    """Provision ids for a citation query, best first; [] when `query` is not a citation or cites nothing stored.
    The resolver (`crosswalk.index.resolver.resolve`) does the work; this is its list of ids.

    Example: lookup(store, "CASS 17.2") == ["UK-FCA-CP25-14:CASS_17.2", "UK-FCA-CP25-14:CASS_17.2.1R", ...]
    """
    from crosswalk.index.resolver import lookup as resolved

    return resolved(store, query)
