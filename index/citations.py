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

Document names live in `index/aliases.json` (data, not code). A document that is not in the store (23 NYCRR
Part 200 when only the mirror was ingested) resolves to the id it *would* have, and `lookup` finds nothing.
`display_citation` is the inverse: the full citation a lawyer writes (`GENIUS Act § 4(a)(11)`,
`31 U.S.C. § 5318(h)(1)`, `MiCA Art. 36(1)(a)`, `CP25/14 para. 3.70`), which `parse_citation` reads back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from crosswalk.errors import ConfigError, QueryError

if TYPE_CHECKING:
    from crosswalk.ingest.models import Provision
    from crosswalk.ingest.store import Store

ALIASES_PATH = Path(__file__).with_name("aliases.json")

# --- the pieces of a citation ---------------------------------------------------------------------------------

# Sub-divisions: (a)(11)(A)(iii), and the bracketed numbers the US Code gives to duplicated designations
# (78c(a)(80)[2]). Case matters in US law: (a) and (A) are different levels.
_SUB_ITEM = r"\(\s*[0-9A-Za-z]{1,8}\s*\)|\[\s*\d{1,3}\s*\]"
_SUBS = r"(?:\s*(?:" + _SUB_ITEM + r"))*"
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
    "app": _Unit(r"\d+", False, False, "App."),
    "passage": _Unit(r"\d+", False, False, "passage"),
    "p": _Unit(r"\d+#\d+", False, False, "p.", ""),
    # a US Code, CFR or NYCRR section: the bare number (5318(h), 77b, 78o-4, 1010.100, 200.9)
    "code": _Unit(r"\d+[A-Za-z]{0,3}(?:-\d+[A-Za-z]?)?|\d+\.\d+[A-Za-z]?(?:-\d+)?", False, True, "", ""),
}
# Whole citations that are one word (MiCA's preamble, a glossary part).
_SINGLE_WORDS = ("preamble", "glossary")

# The words that introduce a unit, mapped to a unit name. "section" words are read per document.
_UNIT_WORDS = (
    ("§§", "§"), ("§", "§"),
    ("sections", "section"), ("section", "section"), ("sect", "section"), ("secs", "section"), ("sec", "section"),
    ("ss", "s"), ("s", "s"),
    ("articles", "art"), ("article", "art"), ("arts", "art"), ("art", "art"),
    ("recitals", "recital"), ("recital", "recital"),
    ("recommendations", "rec"), ("recommendation", "rec"), ("recs", "rec"), ("rec", "rec"),
    ("paragraphs", "para"), ("paragraph", "para"), ("paras", "para"), ("para", "para"), ("¶", "para"),
    ("chapter", "ch"), ("chap", "ch"), ("ch", "ch"),
    ("regulations", "reg"), ("regulation", "reg"), ("regs", "reg"), ("reg", "reg"), ("r", "reg"),
    ("schedule", "sch"), ("sched", "sch"), ("sch", "sch"),
    ("titles", "title"), ("title", "title"),
    ("annexes", "annex"), ("annex", "annex"),
    ("parts", "part"), ("part", "part"),
    ("points", "point"), ("point", "point"),
    ("subparagraph", "subpara"), ("subpara", "subpara"),
    ("questions", "q"), ("question", "q"), ("q", "q"),
    ("appendix", "app"), ("app", "app"),
    ("passage", "passage"), ("p", "p"),
)
_UNIT_OF = {w: u for w, u in _UNIT_WORDS}
# A unit word is followed by a dot, white space or the number itself ("sec.4", "s 21", "§5318", "Q1").
_UNIT = r"(?P<unit>" + "|".join(re.escape(w) for w, _ in _UNIT_WORDS) + r")(?:\.\s*|\s+|(?=\d))"
# One component of a citation: an optional unit word, a label, sub-divisions ("Art. 36(1)(a)", "Annex I").
_COMPONENT = re.compile(
    r"(?:" + _UNIT + r")?(?P<label>[0-9A-Za-z][0-9A-Za-z.\-#]*?)(?P<subs>" + _SUBS + r")(?=[\s,]|$)",
    re.IGNORECASE,
)
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


# --- aliases (data) -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DocAlias:
    names: tuple[str, ...]
    doc_ids: tuple[str, ...]
    section_form: str
    default_unit: str
    display: str


@dataclass(frozen=True)
class _CodeAlias:
    code: str
    title: str
    sections: re.Pattern
    doc_ids: tuple[str, ...]
    display: str


@dataclass(frozen=True)
class _Aliases:
    documents: tuple[_DocAlias, ...]
    codes: tuple[_CodeAlias, ...]
    sourcebooks: tuple[str, ...]
    doc_pattern: re.Pattern  # any document name or literal doc id, longest first
    by_name: dict  # lower-cased name -> _DocAlias


_SECTION_FORMS = {"sec", "s", "reg", ""}
_DEFAULT_UNITS = {"section", "art", "para", "rec", "reg", "recital", "ch"}


@lru_cache(maxsize=4)
def load_aliases(path: Path | str = ALIASES_PATH) -> _Aliases:
    """Read `aliases.json` once; an error names the file, the row and the fix."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: citation aliases file is missing; restore index/aliases.json") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: not valid JSON at line {e.lineno}: {e.msg}") from None
    docs = []
    for i, row in enumerate(data.get("documents", [])):
        where = f"{path}: documents[{i}]"
        try:
            alias = _DocAlias(
                names=tuple(row["names"]),
                doc_ids=tuple(row["doc_ids"]),
                section_form=row.get("section_form", "sec"),
                default_unit=row.get("default_unit", "section"),
                display=row.get("display") or row["names"][0],
            )
        except KeyError as e:
            raise ConfigError(f"{where}: missing {e.args[0]!r}; each row needs 'names' and 'doc_ids'") from None
        if alias.section_form not in _SECTION_FORMS:
            raise ConfigError(f"{where}: section_form {alias.section_form!r} is not one of sec, s, reg or ''")
        if alias.default_unit not in _DEFAULT_UNITS:
            allowed = ", ".join(sorted(_DEFAULT_UNITS))
            raise ConfigError(f"{where}: default_unit {alias.default_unit!r} is not one of {allowed}")
        docs.append(alias)
    codes = []
    for i, row in enumerate(data.get("codes", [])):
        try:
            codes.append(
                _CodeAlias(
                    code=row["code"].upper(),
                    title=str(row["title"]),
                    sections=re.compile(row.get("sections", "")),
                    doc_ids=tuple(row["doc_ids"]),
                    display=row["display"],
                )
            )
        except KeyError as e:
            raise ConfigError(f"{path}: codes[{i}]: missing {e.args[0]!r}") from None
        except re.error as e:
            raise ConfigError(f"{path}: codes[{i}]: 'sections' is not a valid regular expression: {e}") from None
    by_name: dict[str, _DocAlias] = {}
    for d in docs:
        for name in d.names:
            by_name[name.lower()] = d
    names = sorted(by_name, key=lambda n: (-len(n), n))
    # A literal doc id (US-PL119-27-GENIUS, or one not listed here) also names its document.
    alternatives = [re.escape(n) for n in names] + [r"[A-Z]{2,4}-[A-Z0-9][A-Za-z0-9-]*[A-Za-z0-9]"]
    doc_pattern = re.compile(r"(?P<doc>" + "|".join(alternatives) + r")(?![\w/])", re.IGNORECASE)
    return _Aliases(
        documents=tuple(docs),
        codes=tuple(codes),
        sourcebooks=tuple(s.upper() for s in data.get("sourcebooks", [])),
        doc_pattern=doc_pattern,
        by_name=by_name,
    )


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


def _unit_for(word: str, doc: _DocAlias | None) -> str:
    """The unit a word means: 'section' is `sec.` in a US Act, `s.` in a UK Act, the bare number in a code."""
    unit = _UNIT_OF[word.lower()]
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


def _resolve_doc(aliases: _Aliases, name: str) -> _DocAlias:
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
                return _DocAlias((name,), (name,), a.section_form, a.default_unit, a.display)
    for row in aliases.codes:
        for t in row.doc_ids:
            if _template_regex(t, re.IGNORECASE).match(name):
                return _DocAlias((name,), (name,), "", "section", name)
    return _DocAlias((name,), (name,), "sec", "section", name)


def _code_doc_ids(aliases: _Aliases, code: str, title: str, number: str) -> tuple[str, ...]:
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


def _code_name(raw: str) -> str:
    letters = re.sub(r"[^A-Za-z]", "", raw).upper()
    return {"USC": "USC", "USCA": "USC", "CFR": "CFR", "NYCRR": "NYCRR"}[letters]


def _parse_code(text: str, aliases: _Aliases) -> CitationQuery | None:
    m = _CODE.match(text)
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
        r"^(?:FCA\s+(?:Handbook\s+)?)?(?P<book>" + books + r")\s+"
        r"(?P<number>\d{1,2}(?:\.\d{1,3}){0,2})(?:\s+Annex\s+(?P<annex>\d{1,2}(?:\.\d{1,3})?))?"
        r"\s*(?P<status>[" + _FCA_STATUS + r"])?(?![A-Za-z])(?P<subs>" + _SUBS + r")$",
        re.IGNORECASE,
    )


# An FCA Glossary definition: "FCA Glossary: backing asset pool" or "Glossary: …" (a bare "glossary of terms"
# is a search, not a citation).
_GLOSSARY = re.compile(
    r"^(?:FCA\s+(?:Handbook\s+)?Glossary\s*:?|Glossary\s*:)\s*(?P<term>\S.*)$", re.IGNORECASE
)


def _parse_fca(text: str, aliases: _Aliases) -> CitationQuery | None:
    """An FCA Handbook provision (`CASS 16.2.13R`, `CASS 16 Annex 3.1G`) or Glossary definition: its documents
    are found in the store by citation, so `doc_ids` is empty."""
    g = _GLOSSARY.match(text)
    if g:
        return CitationQuery((), f"Glossary {g.group('term')}")
    if not aliases.sourcebooks:
        return None
    m = _fca_pattern(aliases.sourcebooks).match(text)
    if not m:
        return None
    citation = _fca_form(m.group("book"), m.group("number"), m.group("annex"), m.group("status"), m.group("subs"))
    return CitationQuery((), citation) if citation else None


def _components(rest: str, doc: _DocAlias | None, *, bare_numbers: bool) -> str | None:
    """The normal citation of `rest`, a run of components (`Annex I Part A point 1`, `Art. 4(3) subpara. 2`),
    or None. Only the first component may leave out its unit word: after a document it is the document's
    default unit (`MiCA 36(1)`); alone it is a code section, and then needs sub-divisions (`5318(h)`) unless
    `bare_numbers`."""
    if rest.lower() in _SINGLE_WORDS:
        return rest.lower()
    out: list[str] = []
    pos = 0
    while pos < len(rest):
        m = _COMPONENT.match(rest, pos)
        if not m or m.end() == pos:
            return None
        word, label, subs = m.group("unit"), m.group("label"), m.group("subs")
        if word is None:
            if out or not label[0].isdigit():
                return None
            if doc is not None:
                unit = _unit_for(doc.default_unit, doc)
            elif subs or bare_numbers:
                unit = "code"
            else:
                return None  # "1960" alone may be a year, not 18 U.S.C. 1960
        else:
            unit = _unit_for(word, doc if not out else None)
        part = _compose(unit, label, subs)
        if part is None:
            return None
        out.append(part)
        pos = _SEPARATOR.match(rest, m.end()).end()
    return " ".join(out) if out else None


def _with_doc(doc_name: str, rest: str, aliases: _Aliases) -> CitationQuery | None:
    alias = _resolve_doc(aliases, doc_name)
    fca = _parse_fca(rest, aliases)
    if fca:  # "CP25/14 CASS 16.2.13R": a sourcebook provision in a named document
        return CitationQuery(_template_ids(alias.doc_ids, {}), fca.citation)
    citation = _components(rest, alias, bare_numbers=True)
    if citation is None:
        return None
    return CitationQuery(_template_ids(alias.doc_ids, _fields(citation)), citation)


def _parse(text: str, aliases: _Aliases, *, bare_numbers: bool) -> CitationQuery | None:
    text = " ".join(text.replace("\u00a0", " ").split()).strip().rstrip(",;")
    if not text:
        return None
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
    m = re.fullmatch(r"(?:the\s+)?" + doc + r"\s*,?\s*(?P<rest>.+)", text, re.IGNORECASE)
    if m:
        found = _with_doc(m.group("doc"), m.group("rest"), aliases)
        if found:
            return found
    # "section 4(a)(11) of the GENIUS Act", "Article 36(1) MiCA", "regulation 14A of the MLR 2017"
    m = re.fullmatch(r"(?P<rest>.+?)\s*,?\s*(?:of\s+|in\s+)?(?:the\s+)?" + doc, text, re.IGNORECASE)
    if m:
        found = _with_doc(m.group("doc"), m.group("rest"), aliases)
        if found:
            return found
    # Bare: "Article 36", "section 4(a)(11)", "§ 5318(h)", "5318(h)", "recital 66", "sec.4(a)(11)", "Annex I"
    citation = _components(text, None, bare_numbers=bare_numbers)
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
        m = _COMPONENT.fullmatch(" ".join(text.split()))
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


def _display_names(doc_id: str, aliases: _Aliases) -> tuple[str | None, str | None]:
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
    'US-CEA-2026-04-STABLECOIN-YIELD passage 2'
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
    return f"{name or doc_id} {' '.join(parts)}"


def _is_fca(citation: str, aliases: _Aliases) -> bool:
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


def _find(store: "Store", doc_ids: Sequence[str], citation: str) -> list[str]:
    """Ids of provisions cited `citation` in `doc_ids` (every document when empty), in document order.

    Tries the exact citation, then ignoring case (`5318a` for `5318A`), and for an FCA rule number given
    without its status letter (`CASS 16.2.13`), any status. A citation repeated in a document (the second
    `78c(a)(80)` is stored as `78c(a)(80)[2]`) comes after the first.
    """
    where_doc = ""
    args: list[str] = []
    if doc_ids:
        where_doc = f" AND upper(doc_id) IN ({','.join('?' * len(doc_ids))})"
        args = [d.upper() for d in doc_ids]
    if getattr(store, "dialect", "sqlite") == "postgresql":  # POSIX regular expressions instead of GLOB
        esc = _regex_escape(citation)
        attempts = [
            ("(citation = ? OR citation ~ ?)", [citation, f"^{esc}\\[[0-9].*\\]$"]),
            ("lower(citation) = lower(?)", [citation]),
        ]
        if re.fullmatch(r"[A-Z]+ \d+\.\d+\.\d+", citation):
            attempts.append(("citation ~ ?", [f"^{esc}[{_FCA_STATUS}]$"]))
    else:
        attempts = [
            ("(citation = ? OR citation GLOB ?)", [citation, _glob_escape(citation) + "[[][0-9]*]"]),
            ("citation = ? COLLATE NOCASE", [citation]),
        ]
        if re.fullmatch(r"[A-Z]+ \d+\.\d+\.\d+", citation):
            attempts.append(("citation GLOB ?", [citation + f"[{_FCA_STATUS}]"]))
    order = {d.upper(): i for i, d in enumerate(doc_ids)}
    for clause, cargs in attempts:
        rows = store.conn.execute(
            f"SELECT id, doc_id, ordinal FROM provisions WHERE {clause}{where_doc}", [*cargs, *args]
        ).fetchall()
        if rows:
            rows.sort(key=lambda r: (order.get(r["doc_id"].upper(), len(order)), r["doc_id"], r["ordinal"]))
            return [r["id"] for r in rows]
    return []


def _regex_escape(text: str) -> str:
    """`text` matched literally in a PostgreSQL regular expression."""
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def lookup_citation(store: "Store", query: CitationQuery) -> list[str]:
    """Provision ids for a parsed citation: the provision (or its nearest stored ancestor) first, then its
    descendants in document order; [] when none of its documents is stored or nothing matches."""
    heads: list[str] = []
    for citation in [query.citation, *citation_ancestors(query.citation)]:
        heads = _find(store, query.doc_ids, citation)
        if heads:
            break
    out: dict[str, None] = {}
    for head in heads:
        out[head] = None
        for d in store.descendants(head):
            out.setdefault(d.id, None)
    return list(out)


def lookup(store: "Store", query: str) -> list[str]:
    """Provision ids for a citation query, best first; [] when `query` is not a citation or cites nothing stored.

    Example: lookup(store, "CASS 17.2") == ["UK-FCA-CP25-14:CASS_17.2", "UK-FCA-CP25-14:CASS_17.2.1R", ...]
    """
    parsed = parse_citation(query)
    if parsed is None:
        return []
    return lookup_citation(store, parsed)
