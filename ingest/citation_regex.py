"""CITATION cross-references found by regular expressions (data in `ingest/patterns/citations.json`): the
patterns (`load_citation_patterns`), their normal forms (`render_citation`), and the spans in a text
(`citation_spans`, `find_citations`). `resolve_spans` is the deterministic choice among overlapping spans that
the tagger also uses for its other layers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from crosswalk.errors import ConfigError
from crosswalk.ingest.models import Entity
from crosswalk.ingest.pattern_files import PATTERNS_DIR, read_json




@dataclass(frozen=True)
class CitationPattern:
    """One kind of cross-reference: its compiled regex and the template of its normal form."""

    kind: str
    regex: re.Pattern
    normal: str
    examples: tuple[tuple[str, ...], ...] = ()


def _expand(template: str, defines: dict[str, str], depth: int = 0) -> str:
    """Replace each {NAME} by defines[NAME], recursively (a define may use others)."""
    if depth > 5:
        raise ConfigError(f"citation pattern defines nest too deep (a define refers to itself?): {template[:80]}")
    expanded = re.sub(r"\{([A-Z]+)\}", lambda m: defines.get(m.group(1), m.group(0)), template)
    return expanded if expanded == template else _expand(expanded, defines, depth + 1)


@lru_cache(maxsize=4)
def load_citation_patterns(path: Path = PATTERNS_DIR / "citations.json") -> tuple[CitationPattern, ...]:
    """The citation patterns of a citations.json file, compiled; a ConfigError names the file and entry."""
    data = read_json(path)
    defines = data.get("defines", {})
    out = []
    for i, entry in enumerate(data.get("patterns", [])):
        try:
            kind, regex, normal = entry["kind"], entry["regex"], entry["normal"]
        except (KeyError, TypeError):
            raise ConfigError(f"{path}: pattern #{i} needs 'kind', 'regex' and 'normal'") from None
        try:
            compiled = re.compile(_expand(regex, defines))
        except re.error as e:
            raise ConfigError(f"{path}: pattern #{i} ({kind}) is not a valid regular expression: {e}") from None
        examples = tuple(tuple(x) for x in entry.get("examples", ()))
        out.append(CitationPattern(kind, compiled, normal, examples))
    if not out:
        raise ConfigError(f"{path}: no citation patterns; expected a 'patterns' list")
    return tuple(out)


def _clean_field(name: str, value: str | None) -> str:
    if not value:
        return ""
    if name in ("act", "type", "more"):
        value = " ".join(value.split())
        if re.match(r"(?i)this\b", value):
            return ""  # "of this section": a self-reference adds nothing to the normal form
        value = re.sub(r"^[Tt]he\s+", "", value)
    else:
        value = "".join(value.split())
    return value.replace("–", "-")


def render_citation(template: str, fields: dict[str, str | None]) -> str:
    """Fill a citation template: `{name}` is a field; a `[...]` segment is left out when its first field is
    empty; `act`, `type` and `more` are folded (a leading "the" and self-references dropped), other
    fields lose their white space.

    >>> fields = {"act": "the Securities Act of 1933", "s": "sec.", "n": "5", "sub": None}
    >>> render_citation("[{act} ]{s}{n}{sub}", fields)
    'Securities Act of 1933 sec.5'
    >>> render_citation("[{act} ]art.{n}{sub}", {"act": "this Regulation", "n": "47", "sub": " (2)"})
    'art.47(2)'
    """
    clean = {k: _clean_field(k, v) for k, v in fields.items()}

    def segment(m: re.Match) -> str:
        first = re.search(r"\{(\w+)\}", m.group(1))
        return m.group(1) if first is None or clean.get(first.group(1)) else ""

    text = re.sub(r"\[([^\[\]]*)\]", segment, template)
    return re.sub(r"\{(\w+)\}", lambda m: clean.get(m.group(1), ""), text).strip()


LABEL_FOLLOWERS = (".", "—", ":", "\n", "")


def is_own_label(text: str, start: int, end: int) -> bool:
    """True for a citation that is the unit's own label: at the very start of its text (after any markdown
    '#'), and followed by ".", "—", ":", a line break or nothing ("§ 1956.", "Article 36\nReserve of assets")."""
    lead = len(text) - len(text.lstrip("# \t\n"))
    return start == lead and text[end : end + 1] in LABEL_FOLLOWERS


def citation_spans(text: str, jurisdiction: str = "") -> list[tuple[int, int, str]]:
    """`(start, end, normal form)` of every cross-reference in `text`, non-overlapping, in text order,
    labels included (see `find_citations`)."""
    patterns = load_citation_patterns()
    s = "s." if str(jurisdiction).upper() == "UK" else "sec."
    found: list[tuple[int, int, int, tuple[int, int, str]]] = []
    for rank, pattern in enumerate(patterns):
        for m in pattern.regex.finditer(text):
            start, end = m.span()
            while end > start and text[end - 1] in " ,;":
                end -= 1
            if end <= start:
                continue
            fields = dict(m.groupdict())
            fields["s"] = s
            found.append((start, end, rank, (start, end, render_citation(pattern.normal, fields))))
    return sorted(resolve_spans(found))


def find_citations(text: str, jurisdiction: str = "") -> list[Entity]:
    """CITATION entities (cross-references) in `text`, non-overlapping, in text order.

    The detail is a normal form: section references print as `s.21` in UK texts and `sec.21` elsewhere.
    A citation that is the unit's own label (at the very start, then ".", "—", ":" or a line break) is not a
    cross-reference and is left out.

    >>> [(e.text, e.detail) for e in find_citations("See section 21 of FSMA and 31 CFR 1010.100.", "UK")]
    [('section 21 of FSMA', 'FSMA s.21'), ('31 CFR 1010.100', '31 CFR 1010.100')]
    >>> [e.detail for e in find_citations("under CASS 16.2.31 R and Article 47")]
    ['CASS 16.2.31R', 'art.47']
    >>> find_citations("§ 1956. Laundering of monetary instruments")
    []
    """
    return [
        Entity(start, end, "CITATION", text[start:end], detail)
        for start, end, detail in citation_spans(text, jurisdiction)
        if not is_own_label(text, start, end)
    ]


def resolve_spans(candidates: Iterable[tuple[int, int, int, Any]]) -> list[Any]:
    """Non-overlapping choice among `(start, end, rank, payload)`: longest first, then lower rank, then the
    earlier start (spacy.util.filter_spans with a rank for ties). Returns the payloads of the kept spans."""
    taken: list[tuple[int, int]] = []
    kept = []
    for start, end, _rank, payload in sorted(candidates, key=lambda c: (c[0] - c[1], c[2], c[0])):
        if end <= start or any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        kept.append(payload)
    return kept
