"""Structured XML: provisions read from the markup of legislation.gov.uk CLML, US USLM and GPO bill XML, and eCFR.

`read_xml(path)` returns an `Extracted` whose `units` are already cited (`reg.14A(1)(a)`, `sch.1 para.2(1)`,
`s.21(1)`, `5318(h)(1)`, `sec.4(a)(11)`, `1022.210(d)(1)`), so the `structured` splitter only passes them on.
An XML file of any other family comes back as plain text with `units=None` for the generic splitter.

This module parses safely and picks the family; `xml_markup` holds the walk the families share, and
`xml_clml`, `xml_uslm` (USLM and GPO bill XML) and `xml_ecfr` what each family decides.

How the text is laid out
- The body is rebuilt from the markup, one line per block (number and heading, lead-in, paragraph, table row
  with cells joined by " | "). Every line belongs to exactly one unit: a unit's span runs from its first line
  to the next unit's first line, so spans never overlap and cover all the text. A unit's own text is its
  number, heading and lead-in; its children follow it.
- Text printed after a unit's children (USLM `<continuation>`, a lead-out after CLML sub-paragraphs, an
  unnumbered eCFR paragraph) joins the span of the unit just before it, because a span is one contiguous run;
  the parent's subtree text still reads in printed order.
- Containers (Part, Chapter, Subpart, cross-headings, US Code chapters, bill titles) are not units: their
  headings go into the `heading_path` of the units inside them. If a container carries text of its own before
  its first provision, that text becomes a `passage` unit cited by the container (`pt.2`, `sch.1 pt.3`), or
  `intro` at the top of the body.
- Left out on purpose: metadata, tables of contents, prelims (title, dates, enacting words), editorial notes,
  commentaries and footnotes, source credits, signatures, explanatory notes. Text quoted by an amendment
  (CLML `BlockAmendment`, USLM `quotedContent`, GPO `quoted-block`) stays in the amending unit: the
  provisions it quotes belong to another instrument and get no units here.
- Repeated citations (two versions of one section, schedule paragraphs whose numbering restarts in each Part)
  are made unique in document order: the first keeps its citation, the next ones get `[2]`, `[3]`, … appended
  (`sch.2 para.1[2]`), and their children are cited from that (`sch.2 para.1[2](1)`).

Safety: the file is parsed with defusedxml. Any entity declaration (internal or external, so no
billion-laughs expansion and no `file:` or `http:` entity) is refused before anything is expanded, no DTD is
ever loaded and nothing is fetched. A DOCTYPE that only names an external DTD (as GPO bills do) is accepted
and ignored; for such files, HTML named character references (`&mdash;`) are read from a fixed table.
"""

from __future__ import annotations

import html.entities
import re
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from crosswalk.errors import DocumentError
from crosswalk.ingest.models import Extracted
from crosswalk.ingest.readers.xml_clml import CLML_NS, Clml
from crosswalk.ingest.readers.xml_ecfr import Ecfr
from crosswalk.ingest.readers.xml_markup import GenericXml, Markup, local, namespace
from crosswalk.ingest.readers.xml_uslm import USLM_NS, GpoBill, Uslm

try:
    from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
    from defusedxml.ElementTree import DefusedXMLParser
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("reading XML safely needs defusedxml: pip install 'defusedxml>=0.7.1'") from e

MAX_DEPTH = 200  # element nesting allowed; real legislation stays under 40

# Named character references for documents whose DOCTYPE names an external DTD that is never read.
_NAMED_REFS = {name[:-1]: value for name, value in html.entities.html5.items() if name.endswith(";")}


# ---------------------------------------------------------------- safe parsing


def parse_xml(path: Path, data: bytes) -> Element:
    """The root element of `data`, parsed with entity declarations refused and no DTD or network access.

    Raises DocumentError naming the line and column of malformed XML, or the entity/DTD that was refused.
    """
    parser = DefusedXMLParser(target=TreeBuilder(), forbid_dtd=False, forbid_entities=True, forbid_external=True)
    parser.entity.update(_NAMED_REFS)
    try:
        parser.feed(data)
        root = parser.close()
    except EntitiesForbidden as e:
        where = f" pointing at {e.sysid!r}" if e.sysid else ""
        raise DocumentError(
            path,
            f"XML entity/DTD not allowed: the document declares the entity {e.name!r}{where}; entity declarations "
            "are refused so that no entity is expanded and no external file is read. Remove the DOCTYPE's "
            "internal subset (the [ … ] part) and retry",
        ) from None
    except (ExternalReferenceForbidden, DTDForbidden) as e:
        raise DocumentError(path, f"XML entity/DTD not allowed: {e}; external references are never followed") from None
    except DefusedXmlException as e:
        raise DocumentError(path, f"XML entity/DTD not allowed: {e}") from None
    except ParseError as e:
        line, column = e.position
        reason = str(e).rsplit(": line", 1)[0]
        hint = ""
        if "undefined entity" in reason:
            hint = "; named entities such as &nbsp; need a DTD: write them as numeric references (&#160;)"
        raise DocumentError(path, f"malformed XML at line {line}, column {column + 1}: {reason}{hint}") from None
    _check_depth(path, root)
    return root


def _check_depth(path: Path, root: Element) -> None:
    stack = [(root, 1)]
    while stack:
        el, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DocumentError(
                path, f"XML nested deeper than {MAX_DEPTH} elements; this is not a legislative document")
        stack.extend((child, depth + 1) for child in el)


# ---------------------------------------------------------------- entry point


def family_of(root: Element) -> type[Markup]:
    """The reader class for a parsed document: CLML, USLM, GPO bill, eCFR, else the generic text reader."""
    ns, name = namespace(root.tag), local(root.tag)
    if ns == CLML_NS:
        return Clml
    if ns == USLM_NS or "uslm" in ns.lower():  # uscode.house.gov, or govinfo's schemas.gpo.gov/xml/uslm
        return Uslm
    if not ns and name in ("bill", "resolution", "amendment-doc"):
        return GpoBill
    if not ns and (name in ("DLPSTEXTCLASS", "ECFR", "ECFRBRWS") or re.fullmatch(r"DIV[1-9]", name)):
        return Ecfr
    return GenericXml


def read_xml(path: Path) -> Extracted:
    """Read an XML file into an `Extracted`; for a known legislative family, with cited `RawUnit`s.

    Example: read_xml(Path("uksi-2017-692.xml")).units[0].citation == "reg.1"
    """
    path = Path(path)
    root = parse_xml(path, path.read_bytes())
    if local(root.tag) == "html":  # XHTML: the HTML reader knows which parts of a page are not body text
        from crosswalk.ingest.readers.html import read_html

        return read_html(path)
    reader = family_of(root)(root)
    text, units = reader.read()
    if not text.strip():
        hint = ""
        if reader.family == "clml" and root.find(f"{{{CLML_NS}}}Contents") is not None:
            hint = " (this looks like a table of contents: fetch …/data.xml, not …/contents/data.xml)"
        what = "no text" if reader.family == "unknown" else f"no provision text ({reader.family} markup)"
        raise DocumentError(path, f"no text: the XML holds {what}{hint}")
    meta = reader.meta() if reader.family != "unknown" else {"family": "unknown", "root": local(root.tag)}
    if "title" not in meta:
        meta["title"] = next((ln for ln in text.splitlines() if ln.strip()), "")[:200]
    return Extracted(text=text, units=units if reader.family != "unknown" else None, format="xml", meta=meta)
