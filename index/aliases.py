"""The data behind citation lookup: `corpus/aliases.json`, beside the sources catalogue, read once.

It holds how lawyers name each document of `corpus/sources.csv` (short titles and common names: "GENIUS Act",
"Regulation (EU) 2023/1114", "NYDFS Part 500", "Exchange Act"), the citation grammar of each family of
documents (what "section" means in it, which unit a bare number is), the numbered codes (`31 U.S.C.`,
`23 NYCRR`, `31 CFR`), the FCA sourcebooks, and the words that introduce each unit ("Art.", "¶", "Sch.").
Teaching Crosswalk a new name is a row in that file, not code. Every error names the file, the row and the fix.

Example:
    >>> a = load_aliases()
    >>> a.by_name["nydfs part 500"].doc_ids[0], a.by_name["mica"].default_unit, a.unit_of["art."[:-1]]
    ('US-NYDFS-23NYCRR500-2017', 'art', 'art')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from crosswalk.errors import ConfigError
from crosswalk.files import read_json

ALIASES_PATH = Path(__file__).resolve().parents[1] / "corpus" / "aliases.json"

# Sub-divisions: (a)(11)(A)(iii), and the bracketed numbers the US Code gives to duplicated designations
# (78c(a)(80)[2]). Case matters in US law: (a) and (A) are different levels.
SUB_ITEM = r"\(\s*[0-9A-Za-z]{1,8}\s*\)|\[\s*\d{1,3}\s*\]"
SUBS = r"(?:\s*(?:" + SUB_ITEM + r"))*"

SECTION_FORMS = {"sec", "s", "reg", ""}
DEFAULT_UNITS = {"section", "art", "para", "rec", "reg", "recital", "ch"}
# The units a unit word may name (citation_units.UNITS, plus the words read per document).
UNIT_NAMES = {"§", "section", "s", "art", "recital", "rec", "para", "ch", "reg", "sch", "title", "annex", "part",
              "point", "subpara", "q", "app", "passage", "p"}


@dataclass(frozen=True)
class DocAlias:
    """One document's names and grammar: `section_form` is what "section" means in it (`sec`, `s`, `reg`, or
    `""` for a code's bare number), `default_unit` what a bare number after its name means, `section_map` the
    Act's own section numbers for a code-compiled Act (`{"15": "78o"}`)."""

    names: tuple[str, ...]
    doc_ids: tuple[str, ...]
    section_form: str
    default_unit: str
    display: str
    family: str = ""
    section_map: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class CodeAlias:
    code: str
    title: str
    sections: re.Pattern
    doc_ids: tuple[str, ...]
    display: str


@dataclass(frozen=True)
class Aliases:
    documents: tuple[DocAlias, ...]
    codes: tuple[CodeAlias, ...]
    sourcebooks: tuple[str, ...]
    doc_pattern: re.Pattern  # any document name or literal doc id, longest first
    by_name: dict  # lower-cased name -> DocAlias
    unit_of: dict  # lower-cased unit word -> unit name
    component: re.Pattern  # one component of a citation: unit word?, label, sub-divisions


def _component_pattern(words: list[str]) -> re.Pattern:
    """A unit word (followed by a dot, white space or the number itself: "sec.4", "s 21", "§5318", "Q1"), a
    label and sub-divisions: "Art. 36(1)(a)", "Annex I", "¶ 3.70"."""
    words = sorted(set(words), key=lambda w: (-len(w), w))
    unit = r"(?P<unit>" + "|".join(re.escape(w) for w in words) + r")(?:\.\s*|\s+|(?=\d))"
    return re.compile(
        r"(?:" + unit + r")?(?P<label>[0-9A-Za-z][0-9A-Za-z.\-#]*?)(?P<subs>" + SUBS + r")(?=[\s,]|$)",
        re.IGNORECASE,
    )


def _read(path: Path) -> dict:
    return read_json(path, "citation aliases file", "restore corpus/aliases.json")


def _documents(path: Path, data: dict) -> list[DocAlias]:
    families = data.get("families", {})
    docs = []
    for i, row in enumerate(data.get("documents", [])):
        where = f"{path}: documents[{i}]"
        family = row.get("family", "")
        if family and family not in families:
            raise ConfigError(f"{where}: family {family!r} is not one of {', '.join(sorted(families))}; add it "
                              "under 'families'")
        grammar = {**families.get(family, {}), **{k: row[k] for k in ("section_form", "default_unit") if k in row}}
        try:
            alias = DocAlias(
                names=tuple(row["names"]),
                doc_ids=tuple(row["doc_ids"]),
                section_form=grammar.get("section_form", "sec"),
                default_unit=grammar.get("default_unit", "section"),
                display=row.get("display") or row["names"][0],
                family=family,
                section_map={str(k).lower(): str(v) for k, v in row.get("section_map", {}).items()},
            )
        except KeyError as e:
            raise ConfigError(f"{where}: missing {e.args[0]!r}; each row needs 'names' and 'doc_ids'") from None
        if alias.section_form not in SECTION_FORMS:
            raise ConfigError(f"{where}: section_form {alias.section_form!r} is not one of sec, s, reg or ''")
        if alias.default_unit not in DEFAULT_UNITS:
            allowed = ", ".join(sorted(DEFAULT_UNITS))
            raise ConfigError(f"{where}: default_unit {alias.default_unit!r} is not one of {allowed}")
        docs.append(alias)
    return docs


def _codes(path: Path, data: dict) -> list[CodeAlias]:
    codes = []
    for i, row in enumerate(data.get("codes", [])):
        try:
            codes.append(CodeAlias(code=row["code"].upper(), title=str(row["title"]),
                                   sections=re.compile(row.get("sections", "")), doc_ids=tuple(row["doc_ids"]),
                                   display=row["display"]))
        except KeyError as e:
            raise ConfigError(f"{path}: codes[{i}]: missing {e.args[0]!r}") from None
        except re.error as e:
            raise ConfigError(f"{path}: codes[{i}]: 'sections' is not a valid regular expression: {e}") from None
    return codes


def _unit_words(path: Path, data: dict) -> dict[str, str]:
    unit_of: dict[str, str] = {}
    for unit, words in data.get("unit_words", {}).items():
        if unit not in UNIT_NAMES:
            raise ConfigError(f"{path}: unit_words: unknown unit {unit!r}; units are {', '.join(sorted(UNIT_NAMES))}")
        for w in words:
            unit_of[w.lower()] = unit
    if not unit_of:
        raise ConfigError(f"{path}: 'unit_words' is missing or empty: list the words for each unit ('art': ['Art'])")
    return unit_of


@lru_cache(maxsize=4)
def load_aliases(path: Path | str = ALIASES_PATH) -> Aliases:
    """Read `corpus/aliases.json` (or `path`) once; an error names the file, the row and the fix."""
    path = Path(path)
    data = _read(path)
    docs = _documents(path, data)
    by_name: dict[str, DocAlias] = {}
    for d in docs:
        for name in d.names:
            by_name[name.lower()] = d
    names = sorted(by_name, key=lambda n: (-len(n), n))
    # A literal doc id (US-PL119-27-GENIUS, or one not listed here) also names its document.
    alternatives = [re.escape(n) for n in names] + [r"[A-Z]{2,4}-[A-Z0-9][A-Za-z0-9-]*[A-Za-z0-9]"]
    doc_pattern = re.compile(r"(?P<doc>" + "|".join(alternatives) + r")(?![\w/])", re.IGNORECASE)
    unit_of = _unit_words(path, data)
    return Aliases(
        documents=tuple(docs),
        codes=tuple(_codes(path, data)),
        sourcebooks=tuple(s.upper() for s in data.get("sourcebooks", [])),
        doc_pattern=doc_pattern,
        by_name=by_name,
        unit_of=unit_of,
        component=_component_pattern(list(unit_of)),
    )


@lru_cache(maxsize=256)
def template_regex(template: str, flags: int = 0) -> re.Pattern:
    """`US-NYCRR-{title}-{part}` -> a regex that reads `US-NYCRR-23-200` back into title 23, part 200."""
    parts = re.split(r"(\{[a-z]+\})", template)
    rx = "".join(f"(?P<{p[1:-1]}>[A-Za-z0-9]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(rx + "$", flags)
