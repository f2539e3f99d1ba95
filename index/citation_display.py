"""The other way from `crosswalk.index.citations`: a lawyer's full citation for a stored provision
(`GENIUS Act § 4(a)(11)`, `31 U.S.C. § 5318(h)(1)`, `MiCA Art. 36(1)(a)`, `CP25/14 para. 3.70`), which
`parse_citation` reads back, and how a lawyer names a document. Names and code prefixes come from
`corpus/aliases.json` (`crosswalk.index.aliases`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from crosswalk.index.aliases import Aliases, load_aliases, template_regex
from crosswalk.index.citation_units import UNITS

if TYPE_CHECKING:
    from crosswalk.ingest.models import Provision


def display_names(doc_id: str, aliases: Aliases) -> tuple[str | None, str | None]:
    """(document name, code prefix) for a doc id: ('GENIUS Act', None), (None, '31 U.S.C. §')."""
    for row in aliases.codes:
        for t in row.doc_ids:
            m = template_regex(t).match(doc_id)
            if m:
                return None, row.display.format(**m.groupdict())
    for a in aliases.documents:
        for t in a.doc_ids:
            if template_regex(t).match(doc_id):
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
    name, code = display_names(doc_id, aliases)
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
                     if a.names and template_regex(t).match(doc_id)), None)
    return f"{name or doc_id} {' '.join(parts)}"


def document_name(doc_id: str) -> str:
    """How a lawyer names a document: 'MiCA', '31 U.S.C.', '23 NYCRR'; the id when no row names it.

    >>> document_name("EU-MICA-2023-1114"), document_name("US-USC31-CH53-SUBCHII"), document_name("X-Y")
    ('MiCA', '31 U.S.C.', 'X-Y')
    """
    name, code = display_names(doc_id, load_aliases())
    return name or (code.removesuffix("§").strip() if code else doc_id)


def _is_fca(citation: str, aliases: Aliases) -> bool:
    book = citation.split(" ", 1)[0]
    return book.upper() in aliases.sourcebooks and re.match(r"^[A-Z]+ \d", citation) is not None


def display_citation(provision: "Provision") -> str:
    """A provision's full citation, for the UI and exports: `display_citation(p) == 'MiCA Art. 36(1)(a)'`."""
    return format_citation(provision.doc_id, provision.citation)
