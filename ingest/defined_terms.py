"""Defined terms: the terms a document defines (`harvest_defined_terms`), their normal form (`defined_term_key`),
and the spaCy phrase matchers that find their uses (`defined_term_matchers`), singular or plural alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from crosswalk.ingest.models import Provision
from crosswalk.ingest.pattern_files import plural

if TYPE_CHECKING:  # spaCy is imported lazily
    from spacy.language import Language


_OPEN = r"(?:‘‘|``|“|\"|‘|')"
_CLOSE = r"(?:’’|''|”|\"|’|')"
_TERM = r"[^\"“”‘’`'\n]{1,80}?"
_QUOTED = rf"(?<![\w’']){_OPEN}(?P<term>{_TERM}){_CLOSE}(?!\w)"
_DEFINING_VERB = (
    r"(?:means?|includes?|(?:has|have)\s+the\s+(?:same\s+)?meanings?|shall\s+(?:mean|include|have\s+the\s+meaning)"
    r"|(?:is|are)\s+defined|refers?\s+to)\b"
)
_QUOTED_DEFINITION = re.compile(
    _QUOTED
    + rf"(?P<more>(?:\s*(?:,|or|and|and/or)\s*{_OPEN}{_TERM}{_CLOSE})*)\s*,?\s+{_DEFINING_VERB}"
)
_PARENTHETICAL_DEFINITION = re.compile(
    r"\(\s*(?:(?:the|a|an|together|collectively|each\s+(?:a|an)|hereinafter(?:\s+referred\s+to\s+as)?|"
    r"referred\s+to\s+(?:herein\s+)?as|jointly)[\s,]+)*(?:the\s+)?"
    + _QUOTED
    + r"\s*\)"
)
_UNQUOTED_DEFINITION = re.compile(
    r"^(?:\(?[0-9A-Za-z]{1,4}[.)]\s+)?(?P<term>[A-Za-z][\w\-]*(?:\s+[\w\-]+){0,5}?)\s+(?:means|has\s+the\s+meaning)\b"
)
_DEFINITIONS_HEADING = re.compile(r"(?i)\b(?:definitions?|interpretation|glossary|meaning of|defined terms)\b")
_NOT_TERMS = frozenset({"it", "this", "that", "the", "a", "an", "such", "which", "there", "these", "those", "each",
                        "any", "term", "terms", "expression", "word"})
_FIRST_NOT_TERM = frozenset({"the", "a", "an", "this", "that", "it", "which", "such", "each", "any", "in", "for",
                             "where", "if", "when", "as", "nothing", "no", "reference", "references"})


def defined_term_key(term: str) -> str:
    """The normal form of a defined term: lower case, white space folded, quotes and end punctuation gone.

    >>> defined_term_key("  Payment\\n Stablecoin, ")
    'payment stablecoin'
    """
    return " ".join(term.strip(" \t\n,.;:\"'‘’“”`").split()).lower()


def _clean_term(term: str) -> str | None:
    """A harvested term tidied (white space folded, a leading article, a line-break hyphen ("for- eign") and a
    footnote number glued to the end dropped), or None when it is not a plausible term."""
    term = " ".join(term.strip(" \t\n,.;:").split())
    term = re.sub(r"(?<=[a-z])- (?=[a-z])", "", term)
    term = re.sub(r"(?<=[a-z])\d{1,2}$", "", term)
    term = re.sub(r"^(?:the|a|an|The|A|An)\s+(?=\S)", "", term)
    words = term.split()
    if not (2 <= len(term) <= 80) or not words or len(words) > 8 or not re.search(r"[A-Za-z]", term):
        return None
    if term.lower() in _NOT_TERMS:
        return None
    return term


def harvest_defined_terms(provisions: Sequence[Provision]) -> list[str]:
    """The terms that one document defines, as written, in order of first definition, without repeats.

    Recognised definitions:
    - a quoted term followed by a defining verb: `The term ‘‘digital asset’’ means`, `‘crypto-asset’ means`,
      `"X" means`, `“X” includes`, `‘X’ has the meaning given in`, `‘A’ or ‘B’ means` (both);
    - a quoted term in parentheses: `(the ‘estimated daily redemption amount’)`, `(“MLRs”)`;
    - in a unit whose heading or title speaks of definitions, interpretation or a glossary, an unquoted
      term opening the text: `qualifying stablecoin has the meaning given in …`;
    - a glossary entry (`kind` "definition" or "glossary") whose title is the term.

    >>> p = Provision(id="d:1", doc_id="d", jurisdiction="EU", citation="1",
    ...               text="(5) ‘crypto-asset’ means a digital representation of value; (the ‘Authority’)")
    >>> harvest_defined_terms([p])
    ['crypto-asset', 'Authority']
    """
    seen: dict[str, None] = {}

    def add(term: str | None) -> None:
        cleaned = _clean_term(term) if term else None
        if cleaned and cleaned not in seen:
            seen[cleaned] = None

    for p in provisions:
        if not isinstance(p, Provision):
            raise TypeError(f"harvest_defined_terms expects Provision objects, got {type(p).__name__}")
        text = " ".join(p.text.split())
        found: list[tuple[int, str]] = []
        for m in _QUOTED_DEFINITION.finditer(text):
            found.append((m.start("term"), m.group("term")))
            more_start = m.start("more")
            for extra in re.finditer(_QUOTED, m.group("more")):
                found.append((more_start + extra.start("term"), extra.group("term")))
        for m in _PARENTHETICAL_DEFINITION.finditer(text):
            found.append((m.start("term"), m.group("term")))
        heading = " ".join((*p.heading_path, p.title))
        if _DEFINITIONS_HEADING.search(heading):
            m = _UNQUOTED_DEFINITION.match(text)
            if m and m.group("term").split()[0].lower() not in _FIRST_NOT_TERM:
                found.append((m.start("term"), m.group("term")))
        if p.kind in ("definition", "glossary") and p.title:
            found.append((-1, p.title))
        for _, term in sorted(found, key=lambda x: x[0]):
            add(term)
    # A plural defined beside its singular ("e-money tokens" in a recital, "e-money token" in the
    # definitions) is the same term: the singular already matches both forms.
    plurals = {defined_term_key(plural(t)) for t in seen}
    return [t for t in seen if defined_term_key(t) not in plurals]


def _case_sensitive(term: str) -> bool:
    """A term is matched with its case when it has a capital after its first letter ("MLRs", "Financial
    Institution") or is one capitalised word ("Board", "Commission": lower case is an ordinary word)."""
    return any(c.isupper() for c in term[1:]) or (" " not in term and term[:1].isupper())


def defined_term_matchers(nlp: "Language", terms: Sequence[str]):
    from spacy.matcher import PhraseMatcher

    exact, lower = PhraseMatcher(nlp.vocab, attr="ORTH"), PhraseMatcher(nlp.vocab, attr="LOWER")
    by_matcher: dict[int, list[str]] = {0: [], 1: []}
    keys: dict[int, list[str]] = {0: [], 1: []}
    for term in dict.fromkeys(t for t in terms if isinstance(t, str) and defined_term_key(t)):
        clean = " ".join(term.split())
        which = 0 if _case_sensitive(clean) else 1
        variants = [clean] if clean.lower().endswith("s") else [clean, plural(clean)]
        for v in variants:
            by_matcher[which].append(v)
            keys[which].append(defined_term_key(clean))
    for which, matcher in ((0, exact), (1, lower)):
        for key, doc in zip(keys[which], nlp.tokenizer.pipe(by_matcher[which])):
            matcher.add(key, [doc])
    return [m for m, w in ((exact, 0), (lower, 1)) if by_matcher[w]]
