"""Structured XML: provisions read from the markup of legislation.gov.uk CLML, US USLM and GPO bill XML, and eCFR.

`read_xml(path)` returns an `Extracted` whose `units` are already cited (`reg.14A(1)(a)`, `sch.1 para.2(1)`,
`s.21(1)`, `5318(h)(1)`, `sec.4(a)(11)`, `1022.210(d)(1)`), so the `structured` splitter only passes them on.
An XML file of any other family comes back as plain text with `units=None` for the generic splitter.

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

import functools
import html.entities
import re
from dataclasses import dataclass, replace
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from crosswalk.errors import DocumentError
from crosswalk.ingest.models import Extracted, RawUnit

try:
    from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
    from defusedxml.ElementTree import DefusedXMLParser
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("reading XML safely needs defusedxml: pip install 'defusedxml>=0.7.1'") from e

CLML_NS = "http://www.legislation.gov.uk/namespaces/legislation"
UKM_NS = "http://www.legislation.gov.uk/namespaces/metadata"
DC_NS = "http://purl.org/dc/elements/1.1/"
USLM_NS = "http://xml.house.gov/schemas/uslm/1.0"

MAX_DEPTH = 200  # element nesting allowed; real legislation stays under 40

# Named character references for documents whose DOCTYPE names an external DTD that is never read.
_NAMED_REFS = {name[:-1]: value for name, value in html.entities.html5.items() if name.endswith(";")}

# Elements whose text runs inside a line (formatting, references); everything else may start a line.
_INLINE = frozenset(
    "a abbr b bold i italic em strong u sup sub span small code br ins del term quote ref date inline "
    "emphasis underline smallcaps citation citationsubref addition substitution repeal definition acronym "
    "superior inferior internallink externallink character commentaryref footnoteref "
    "quotedtext shorttitle external-xref internal-xref short-title act-name header-in-text enum-in-header "
    "superscript subscript pagebreak e su ftref ac xref".split()
)
_ROWS = frozenset({"tr", "row"})
_CELLS = frozenset({"td", "th", "entry", "ent"})
_SPACED = _ROWS | _CELLS | frozenset({"p", "text", "li", "listitem", "para"})

_KEYWORDS = r"(?:PART|CHAPTER|SUBCHAPTER|SUBPART|TITLE|SUBTITLE|SCHEDULE|DIVISION|SUBDIVISION|APPENDIX|ANNEX)"


# ---------------------------------------------------------------- small pure helpers


def norm(s: str | None) -> str:
    """White space folded to single spaces, invisible characters dropped.

    Example: norm("  Part\\xa02 \\n Customer\\u200b due diligence ") == "Part 2 Customer due diligence"
    """
    if not s:
        return ""
    return " ".join(s.replace("\u200b", "").replace("\xad", "").replace("\ufeff", "").split())


def clean_num(s: str | None) -> str:
    """The bare number of a printed label: keyword, section sign, brackets and trailing punctuation removed.

    Examples: clean_num("SEC. 4.") == "4"; clean_num("(a)") == "a"; clean_num("§ 5318.") == "5318";
    clean_num("PART 2") == "2"; clean_num("§ 1022.210") == "1022.210"; clean_num("CHAPTER 53—") == "53";
    clean_num("THE SCHEDULE") == ""
    """
    s = norm(s)
    s = re.sub(r"^(?:the\s+)?" + _KEYWORDS + r"\b", "", s, flags=re.I)
    s = re.sub(r"^(?:§+|sec(?:tion)?\b\.?|regulation\b|reg\b\.?|article\b|rule\b|paragraph\b|para\b\.?)", "", s,
               flags=re.I)
    return s.replace(" ", "").strip("()[]§.,;:—–-")


def clean_title(s: str | None) -> str:
    """A heading as a title: trailing dash, stop and colon removed.

    Example: clean_title("General Powers of Secretary.—") == "General Powers of Secretary"
    """
    return norm(s).rstrip(" .—–-:")


def heading_entry(label: str, heading: str = "") -> str:
    """One `heading_path` entry from a printed label and heading; the leading keyword in title case.

    Examples: heading_entry("PART 2", "CUSTOMER DUE DILIGENCE") == "Part 2 CUSTOMER DUE DILIGENCE";
    heading_entry("CHAPTER 53—", "MONETARY TRANSACTIONS") == "Chapter 53 MONETARY TRANSACTIONS";
    heading_entry("", "PART 1022—RULES FOR MONEY SERVICES") == "Part 1022 RULES FOR MONEY SERVICES"
    """
    label = norm(label).rstrip(" .—–-:")
    text = " ".join(p for p in (label, norm(heading)) if p)
    text = re.sub(r"^" + _KEYWORDS + r"\b", lambda m: m.group(0).capitalize(), text)
    return re.sub(r"^((?:Part|Chapter|Subchapter|Subpart|Title|Subtitle|Schedule|Division|Subdivision|Appendix|Annex)"
                  r"\s+[\w.]+)\s*[—–]\s*", r"\1 ", text)


@functools.lru_cache(maxsize=4096)
def local(tag) -> str:
    """Local name of an element tag: local("{http://x}P1") == "P1"."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _namespace(tag) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


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


# ---------------------------------------------------------------- text and units as they are built


@dataclass
class _Unit:
    citation: str
    start: int
    parent: str | None
    heading_path: tuple[str, ...]
    kind: str
    title: str


@dataclass(frozen=True)
class _Ctx:
    """Where the walk is: the enclosing unit, the headings above, the container for stray text."""

    headings: tuple[str, ...] = ()
    parent: str | None = None
    parent_kind: str = ""
    area: str = ""  # citation for a container's own text (`pt.2`, `sch.1 pt.3`)
    quoted: bool = False  # inside text quoted by an amendment: no units
    group_title: str = ""  # CLML P1group title handed to its P1
    print_group_title: bool = False


class _Builder:
    """Accumulates lines; each line belongs to the most recently opened unit."""

    def __init__(self, units: bool = True):
        self.chunks: list[str] = []
        self.size = 0
        self.units: list[_Unit] = []
        self.make_units = units
        self.owner: int | None = None
        self.pending = ""  # a unit's label, printed before its first line
        self.taken: set[str] = set()

    def line(self, s: str, ctx: _Ctx) -> None:
        s = norm(s)
        if not s:
            return
        if self.pending:
            s, self.pending = f"{self.pending} {s}", ""
        if self.owner is None and self.make_units:
            self._open(ctx.area or "intro", ctx, "passage", "")
        self.chunks.append(s + "\n")
        self.size += len(s) + 1

    def flush(self, ctx: _Ctx) -> None:
        if self.pending:
            label, self.pending = self.pending, ""
            self.line(label, ctx)

    def open(self, citation: str, ctx: _Ctx, kind: str, title: str) -> str:
        self.flush(ctx)
        return self._open(citation, ctx, kind, title)

    def _open(self, citation: str, ctx: _Ctx, kind: str, title: str) -> str:
        citation = self._unique(citation)
        self.units.append(_Unit(citation, self.size, ctx.parent, ctx.headings, kind, title))
        self.owner = len(self.units) - 1
        return citation

    def release(self, ctx: _Ctx) -> None:
        """A new container starts: its text must not run on into the unit before it."""
        self.flush(ctx)
        self.owner = None

    def _unique(self, citation: str) -> str:
        final, n = citation, 1
        while final in self.taken:
            n += 1
            final = f"{citation}[{n}]"
        self.taken.add(final)
        return final

    def result(self) -> tuple[str, tuple[RawUnit, ...]]:
        text = "".join(self.chunks)
        out = []
        for i, u in enumerate(self.units):
            start, end = u.start, self.units[i + 1].start if i + 1 < len(self.units) else len(text)
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            out.append(RawUnit(u.citation, start, end, text[start:end], u.parent, u.heading_path, u.kind, u.title))
        return text, tuple(out)


# ---------------------------------------------------------------- the walk shared by the families


class _Markup:
    """Walks a tree: containers give headings, units open spans, everything else becomes lines."""

    family = "xml"
    SKIP: frozenset = frozenset()
    CONTAINERS: dict = {}  # local name -> citation abbreviation for the container's own text ("" = none)
    UNITS: frozenset = frozenset()
    QUOTES: frozenset = frozenset()
    NUM = "num"  # a container's number
    UNIT_NUM = "num"  # a unit's number
    HEADING = "heading"

    def __init__(self, root: Element, units: bool = True):
        self.root = root
        self.b = _Builder(units)

    def read(self) -> tuple[str, tuple[RawUnit, ...]]:
        self.walk(self.root, _Ctx())
        self.b.flush(_Ctx())
        return self.b.result()

    # -- elements

    def child(self, el: Element, name: str) -> Element | None:
        return next((c for c in el if local(c.tag) == name), None)

    def flat(self, el: Element | None, leave: tuple = ()) -> str:
        """The text of `el` and its descendants in one string; skipped elements and the children `leave` left out."""
        if el is None:
            return ""
        out = [el.text or ""]
        for c in el:
            name = local(c.tag)
            if name not in self.SKIP and c not in leave:
                inner = self.flat(c)
                out.append(f" {inner} " if name.lower() in _SPACED else inner)
            out.append(c.tail or "")
        return "".join(out)

    def is_inline_run(self, el: Element) -> bool:
        """True when `el` reads as one line: a leaf, text mixed with elements, or only inline elements."""
        if len(el) == 0 or (el.text and el.text.strip()):
            return True
        return any((c.tail and c.tail.strip()) or local(c.tag).lower() in _INLINE for c in el)

    # -- the walk

    def walk(self, el: Element, ctx: _Ctx) -> None:
        name = local(el.tag)
        if name in self.SKIP:
            return
        if name in self.CONTAINERS and not ctx.quoted:
            self.container(el, ctx)
        elif name in self.UNITS and self.number(el):
            self.unit(el, ctx)
        else:
            self.block(el, replace(ctx, quoted=True) if name in self.QUOTES else ctx)

    def block(self, el: Element, ctx: _Ctx, skip: tuple = ()) -> None:
        """Lines for `el`'s content: a table row, one run of text, or its children in turn (bar `skip`)."""
        name = local(el.tag).lower()
        if name in _ROWS:
            cells = (norm(self.flat(c)) for c in el if local(c.tag) not in self.SKIP)
            self.b.line(" | ".join(c for c in cells if c), ctx)
        elif self.is_inline_run(el):
            self.b.line(self.flat(el, leave=skip), ctx)
        else:
            for c in el:
                if c not in skip:
                    self.walk(c, ctx)

    def container(self, el: Element, ctx: _Ctx) -> None:
        num_el, head_el = self.child(el, self.NUM), self.child(el, self.HEADING)
        entry = heading_entry(self.container_label(el, num_el), self.flat(head_el))
        abbr, n = self.CONTAINERS[local(el.tag)], clean_num(self.flat(num_el))
        area = f"{ctx.area} {abbr}.{n}".strip() if abbr and n else ctx.area
        self.b.release(ctx)
        inner = replace(ctx, headings=ctx.headings + ((entry,) if entry else ()), area=area)
        self.block(el, inner, skip=(num_el, head_el))

    def container_label(self, el: Element, num_el: Element | None) -> str:
        return self.flat(num_el)

    def unit(self, el: Element, ctx: _Ctx) -> None:
        num_el, head_el = self.child(el, self.UNIT_NUM), self.child(el, self.HEADING)
        number, label = self.number(el), self.label(el, num_el)
        heading = norm(self.flat(head_el))
        title = clean_title(heading) or ctx.group_title
        printed = heading or (ctx.group_title if ctx.print_group_title else "")
        if ctx.quoted:  # amending text: print it, open nothing
            self.b.flush(ctx)
            if printed:
                self.b.line(f"{label} {printed}", ctx)
            else:
                self.b.pending = label
            self.block(el, replace(ctx, group_title="", print_group_title=False), skip=(num_el, head_el))
            self.b.flush(ctx)
            return
        kind = self.kind(el, ctx)
        citation = self.b.open(self.citation(el, number, ctx), ctx, kind, title)
        if printed:
            self.b.line(f"{label} {printed}", ctx)
        else:
            self.b.pending = label
        entry = (f"{citation} {title}",) if title else ()
        inner = replace(ctx, parent=citation, parent_kind=kind, headings=ctx.headings + entry, group_title="",
                        print_group_title=False)
        self.block(el, inner, skip=(num_el, head_el))
        self.b.flush(inner)

    # -- what each family decides

    def number(self, el: Element) -> str:
        num = self.child(el, self.UNIT_NUM)
        if num is None:
            return ""
        return clean_num(num.get("value") or self.flat(num))

    def label(self, el: Element, num_el: Element | None) -> str:
        return norm(self.flat(num_el))

    def kind(self, el: Element, ctx: _Ctx) -> str:
        return local(el.tag).lower()

    def citation(self, el: Element, number: str, ctx: _Ctx) -> str:
        return f"{ctx.parent}({number})" if ctx.parent else f"({number})"

    def meta(self) -> dict:
        return {}


class _Generic(_Markup):
    """Any other XML: every element's text, one line per block, no units."""

    family = "unknown"

    def __init__(self, root: Element):
        super().__init__(root, units=False)


# ---------------------------------------------------------------- legislation.gov.uk CLML

_CLML_PREFIX = {"section": "s", "regulation": "reg", "article": "art", "rule": "r"}
_CLML_KINDS = {
    "s": ("section", "subsection", "paragraph", "sub-paragraph"),
    "reg": ("regulation", "paragraph", "sub-paragraph"),
    "art": ("article", "paragraph", "sub-paragraph"),
    "r": ("rule", "paragraph", "sub-paragraph"),
    "sch": ("paragraph", "sub-paragraph", "paragraph", "sub-paragraph"),
}


class _Clml(_Markup):
    """UK Acts (`s.21(1)(a)`), statutory instruments (`reg.14A(1)(a)`, `art.3(2)`) and schedules (`sch.1 para.2(1)`).

    Act or instrument comes from ukm:DocumentMainType (…Act vs …StatutoryInstrument / …StatutoryRule), else
    from the root's Primary/Secondary/EURetained child; each P1's id (`regulation-14A`, `article-3`,
    `rule-5`, `section-21`) then names its kind, so an Order's articles are cited `art.`.
    """

    family = "clml"
    SKIP = frozenset(
        "Metadata Contents Commentaries Footnotes ExplanatoryNotes EarlierOrders PrimaryPrelims SecondaryPrelims "
        "EUPrelims CommentaryRef FootnoteRef Versions SignedSection Resources".split()
    )
    CONTAINERS = {"Part": "pt", "Chapter": "ch", "Pblock": "", "PsubBlock": "", "Schedules": "",
                  "EUPart": "pt", "EUTitle": "title", "EUChapter": "ch", "EUSection": "section",
                  "EUSubsection": "subsection"}
    UNITS = frozenset(f"P{i}" for i in range(1, 8))
    QUOTES = frozenset({"BlockAmendment", "BlockExtract"})
    GROUPS = frozenset(f"P{i}group" for i in range(1, 8))
    NUM = "Number"
    UNIT_NUM = "Pnumber"  # a P-unit's title comes from its P1group, not from a child
    HEADING = "Title"

    def __init__(self, root: Element):
        super().__init__(root)
        doc_type = root.find(f".//{{{UKM_NS}}}DocumentMainType")
        self.document_type = doc_type.get("Value", "") if doc_type is not None else ""
        kinds = {local(c.tag) for c in root}
        if "Act" in self.document_type or "Primary" in kinds:
            self.default_prefix, self.doc_kind = "s", "act"
        elif self.document_type.startswith("European") or "EURetained" in kinds:
            self.default_prefix, self.doc_kind = "art", "eu"
        else:
            self.default_prefix, self.doc_kind = "reg", "si"

    def walk(self, el: Element, ctx: _Ctx) -> None:
        name = local(el.tag)
        if name == "Schedule" and not ctx.quoted:
            self.schedule(el, ctx)
        elif name in self.GROUPS:
            self.group(el, ctx)
        else:
            super().walk(el, ctx)

    def container(self, el: Element, ctx: _Ctx) -> None:
        if local(el.tag) == "Schedules":  # the "SCHEDULES" banner is not a heading worth keeping
            self.b.release(ctx)
            self.block(el, ctx, skip=(self.child(el, "Title"),))
            return
        super().container(el, ctx)

    def group(self, el: Element, ctx: _Ctx) -> None:
        title_el = self.child(el, "Title")
        title = norm(self.flat(title_el))
        first = True
        for c in el:
            if c is title_el:
                continue
            if local(c.tag) in self.UNITS and self.number(c):
                self.walk(c, replace(ctx, group_title=clean_title(title), print_group_title=first))
                first = False
            else:
                if first and title:
                    self.b.line(title, ctx)
                    first = False
                self.walk(c, ctx)
        if first and title:
            self.b.line(title, ctx)

    def schedule(self, el: Element, ctx: _Ctx) -> None:
        num_el, title_block = self.child(el, "Number"), self.child(el, "TitleBlock")
        head_el = self.child(title_block, "Title") if title_block is not None else self.child(el, "Title")
        n = clean_num(self.flat(num_el))
        label = heading_entry(self.flat(num_el)) or "Schedule"
        heading = norm(self.flat(head_el))
        citation = self.b.open(f"sch.{n}" if n else "sch", ctx, "schedule", clean_title(heading))
        self.b.line(f"{label} {heading}", ctx)
        if title_block is not None:
            for c in title_block:
                if c is not head_el:
                    self.walk(c, ctx)
        entry = (f"{label} {clean_title(heading)}".strip(),)
        inner = replace(ctx, parent=citation, parent_kind="schedule", headings=ctx.headings + entry, area=citation)
        self.block(el, inner, skip=(num_el, title_block, head_el))
        self.b.flush(inner)

    def label(self, el: Element, num_el: Element | None) -> str:
        top = local(el.tag) == "P1"
        before = num_el.get("PuncBefore", "" if top else "(") if num_el is not None else ""
        after = num_el.get("PuncAfter", "" if top else ")") if num_el is not None else ""
        return f"{before}{norm(self.flat(num_el))}{after}"

    def _prefix(self, el: Element) -> str:
        ident = el.get("id", "")
        word = re.sub(r"-.*", "", ident)
        return _CLML_PREFIX.get(word, self.default_prefix)

    def _top(self, ctx: _Ctx) -> bool:
        return ctx.parent is None or ctx.parent_kind == "schedule"

    def citation(self, el: Element, number: str, ctx: _Ctx) -> str:
        if self._top(ctx):
            if ctx.parent_kind == "schedule":
                return f"{ctx.parent} para.{number}"
            return f"{self._prefix(el)}.{number}"
        return f"{ctx.parent}({number})"

    def kind(self, el: Element, ctx: _Ctx) -> str:
        """`section`, `regulation`, `article`, `rule` at the top; below, the drafters' names by depth."""
        depth = int(local(el.tag)[1:]) - 1  # P1 -> 0
        family = "sch" if (ctx.parent or "").startswith("sch") else (
            self._prefix(el) if self._top(ctx) else (ctx.parent or "").split(".", 1)[0])
        kinds = _CLML_KINDS.get(family, _CLML_KINDS[self.default_prefix])
        return kinds[min(depth, len(kinds) - 1)]

    def meta(self) -> dict:
        meta = {"family": self.family, "doc_kind": self.doc_kind}
        if self.document_type:
            meta["document_type"] = self.document_type
        for key, tag in (("title", "title"), ("identifier", "identifier"), ("date", "modified")):
            found = self.root.find(f".//{{{DC_NS}}}{tag}")
            if found is not None and norm(found.text):
                meta[key] = norm(found.text)
        if "title" not in meta:
            for prelims in ("PrimaryPrelims", "SecondaryPrelims"):
                found = self.root.find(f".//{{{CLML_NS}}}{prelims}/{{{CLML_NS}}}Title")
                if found is not None:
                    meta["title"] = norm(self.flat(found))
                    break
        return meta


# ---------------------------------------------------------------- USLM (US Code, bills and laws)


class _Uslm(_Markup):
    """USLM: the US Code (`5318(h)(1)`) from a `uscDoc`, or an Act or bill (`sec.4(a)(11)`) from anything else."""

    family = "uslm"
    SKIP = frozenset(
        "meta notes note sourceCredit toc preface longTitle enactingFormula attestation signatures endorsement "
        "endMarker coverTitle coverText".split()
    )
    CONTAINERS = {"title": "title", "subtitle": "subtitle", "chapter": "ch", "subchapter": "subch", "part": "pt",
                  "subpart": "subpt", "division": "div", "subdivision": "subdiv"}
    UNITS = frozenset("section subsection paragraph subparagraph clause subclause item subitem subsubitem".split())
    QUOTES = frozenset({"quotedContent"})

    def __init__(self, root: Element):
        super().__init__(root)
        self.code = local(root.tag) == "uscDoc" or root.get("identifier", "").startswith("/us/usc")

    def citation(self, el: Element, number: str, ctx: _Ctx) -> str:
        if local(el.tag) == "section":
            return number if self.code else f"sec.{number}"
        return super().citation(el, number, ctx)

    def meta(self) -> dict:
        meta = {"family": self.family, "doc_kind": "code" if self.code else "act"}
        title = self.root.find(f".//{{{DC_NS}}}title")
        for name in ("docTitle", "officialTitle"):
            if title is None or not norm(self.flat(title)):
                title = next((e for e in self.root.iter() if local(e.tag) == name), None)
        if title is not None and norm(self.flat(title)):
            meta["title"] = norm(self.flat(title))
        return meta


# ---------------------------------------------------------------- GPO bill XML


class _GpoBill(_Markup):
    """GPO bill and resolution XML (`<bill>`, `<legis-body>`, `<enum>`, `<header>`): sections cited `sec.4(a)(11)`."""

    family = "gpo-bill"
    SKIP = frozenset({"metadata", "form", "toc", "attestation", "endorsement"})
    CONTAINERS = {"title": "title", "subtitle": "subtitle", "part": "pt", "subpart": "subpt", "chapter": "ch",
                  "subchapter": "subch", "division": "div", "subdivision": "subdiv"}
    UNITS = frozenset("section subsection paragraph subparagraph clause subclause item subitem".split())
    QUOTES = frozenset({"quoted-block"})
    NUM = UNIT_NUM = "enum"
    HEADING = "header"

    def container_label(self, el: Element, num_el: Element | None) -> str:
        n = norm(self.flat(num_el))
        return f"{local(el.tag).upper()} {n}" if n else ""

    def label(self, el: Element, num_el: Element | None) -> str:
        printed = norm(self.flat(num_el))
        if local(el.tag) == "section" and not printed.upper().startswith("SEC"):
            return f"SEC. {printed}"
        return printed

    def citation(self, el: Element, number: str, ctx: _Ctx) -> str:
        if local(el.tag) == "section":
            return f"sec.{number}"
        return super().citation(el, number, ctx)

    def meta(self) -> dict:
        meta = {"family": self.family, "doc_kind": "bill"}
        for path in (f".//{{{DC_NS}}}title", ".//official-title", ".//short-title"):
            found = self.root.find(path)
            if found is not None and norm(self.flat(found)):
                meta["title"] = norm(self.flat(found))
                break
        num = self.root.find(".//legis-num")
        if num is not None and norm(num.text):
            meta["number"] = norm(num.text)
        return meta


# ---------------------------------------------------------------- eCFR

_CFR_LABEL = re.compile(r"\s*\((\x01)?([a-z]{1,2}|\d{1,3}|[ivxlcdm]+|[A-Z]{1,2})\x02?\)")
_CFR_HEADING = re.compile(r"\s*\x01([^\x01\x02]{1,200}?[.—])\x02")
_ROMAN = re.compile(r"m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}


def roman_value(token: str) -> int:
    """`roman_value("iv") == 4`, `roman_value("xii") == 12`; 0 for a token that is not a roman numeral."""
    if not token or not _ROMAN.fullmatch(token):
        return 0
    total = 0
    for i, ch in enumerate(token):
        v = _ROMAN_VALUES[ch]
        total += -v if i + 1 < len(token) and _ROMAN_VALUES[token[i + 1]] > v else v
    return total


def cfr_level(token: str, italic: bool, stack: list[tuple[int, str]], following: str | None) -> int:
    """Depth of a CFR paragraph label: (a)=1, (1)=2, (i)=3, (A)=4, italic (1)=5, italic (i)=6.

    `stack` holds the open (level, token) pairs; `following` is the next label in the section, used when a
    label such as (i), (v) or (x) can be a letter or a roman numeral.
    Examples: cfr_level("i", False, [(1, "h")], "j") == 1; cfr_level("i", False, [(1, "d"), (2, "2")], "ii") == 3;
    cfr_level("v", False, [(1, "b"), (2, "1"), (3, "iv")], None) == 3;
    cfr_level("i", False, [(1, "h"), (2, "3")], "j") == 1 (both fit: the next label decides)
    """
    if token.isdigit():
        return 5 if italic else 2
    if token.isupper():
        return 4
    roman = roman_value(token) > 0 and (len(token) > 1 or token in "ivx")
    letter = len(token) == 1 or (len(token) == 2 and token[0] == token[1])
    if italic:
        return 6 if roman else 5
    if not roman:
        return 1
    if not letter:
        return 3
    open_levels = dict(stack)
    letter_ok = (len(token) == 1 and 1 in open_levels and len(open_levels[1]) == 1
                 and ord(token) == ord(open_levels[1]) + 1)
    roman_ok = (3 in open_levels and roman_value(token) == roman_value(open_levels[3]) + 1) or (
        token == "i" and bool(stack) and stack[-1][0] == 2
    )
    if letter_ok and roman_ok:  # (i) after (h)…(3), (v) after (u)…(iv), (x) after (w)…(ix)
        if following and roman_value(following) == roman_value(token) + 1:
            return 3
        if following and len(following) == 1 and ord(following) == ord(token) + 1:
            return 1
        return 3 if 3 in open_levels else 1  # nothing decides: continue the roman run already open
    if roman_ok:
        return 3
    if letter_ok:
        return 1
    return 3 if token == "i" and any(level >= 2 for level, _ in stack) else 1


class _Ecfr(_Markup):
    """eCFR XML (DIV1…DIV9 with N and TYPE, HEAD, flat P paragraphs): sections `1022.210`, paragraphs `1022.210(d)`.

    eCFR paragraphs are flat `<P>`s whose labels carry the depth: (a) → (1) → (i) → (A) → italic (1) →
    italic (i), as the eCFR user guide describes. A paragraph opening with several labels (`(d)(1) Each…`, or
    `(d) <I>Heading.</I> (1) Each…`) opens one unit per label.
    """

    family = "ecfr"
    SKIP = frozenset("HEADER AUTH SOURCE CITA SECAUTH EDNOTE EFFDNOT PRTPAGE FTREF CFRTOC".split())
    CONTAINERS = {"DIV1": "", "DIV2": "subtitle", "DIV3": "ch", "DIV4": "subch", "DIV5": "pt", "DIV6": "subpt",
                  "DIV7": ""}
    HEADING = "HEAD"
    PARAGRAPHS = frozenset({"P", "P-1", "P-2"})

    def walk(self, el: Element, ctx: _Ctx) -> None:
        name = local(el.tag)
        if name == "DIV8" and not ctx.quoted:
            self.section(el, ctx)
        elif name == "DIV9" and not ctx.quoted:
            self.appendix(el, ctx)
        else:
            super().walk(el, ctx)

    def container(self, el: Element, ctx: _Ctx) -> None:
        head_el = self.child(el, "HEAD")
        entry = heading_entry("", self.flat(head_el))
        abbr, n = self.CONTAINERS[local(el.tag)], clean_num(el.get("N", ""))
        area = f"{ctx.area} {abbr}.{n}".strip() if abbr and n else ctx.area
        self.b.release(ctx)
        self.block(el, replace(ctx, headings=ctx.headings + ((entry,) if entry else ()), area=area), skip=(head_el,))

    def appendix(self, el: Element, ctx: _Ctx) -> None:
        head_el = self.child(el, "HEAD")
        head = norm(self.flat(head_el))
        m = re.match(r"Appendix\s+([\w.-]+)\s+to\s+(?:Part|Subpart)\s+([\w.-]+)", el.get("N", "") or head, re.I)
        citation = f"pt.{m.group(2)} app.{m.group(1)}" if m else f"app.{clean_num(el.get('N', '')) or clean_num(head)}"
        title = clean_title(re.sub(r"^Appendix\s+\S+\s+to\s+\S+\s+\S+\s*[—–-]*\s*", "", head, flags=re.I))
        citation = self.b.open(citation, ctx, "appendix", title)
        self.b.line(head or citation, ctx)
        self.block(el, replace(ctx, parent=citation, parent_kind="appendix"), skip=(head_el,))

    def _marked(self, el: Element) -> str:
        """Flat text with italics marked \\x01…\\x02, so italic labels and paragraph headings can be found."""
        out = [el.text or ""]
        for c in el:
            name = local(c.tag)
            if name not in self.SKIP:
                inner = self._marked(c)
                italic = name == "I" or (name == "E" and c.get("T") == "03")
                out.append(f"\x01{inner}\x02" if italic else inner)
            out.append(c.tail or "")
        return norm("".join(out))

    def _labels(self, marked: str) -> tuple[list[tuple[str, bool, str, str]], str]:
        """The labels opening a paragraph, each as (token, italic, printed text, heading), and the rest."""
        found, pos = [], 0
        while True:
            m = _CFR_LABEL.match(marked, pos)
            if not m:
                break
            pos, heading = m.end(), ""
            h = _CFR_HEADING.match(marked, pos)
            if h and not found:
                heading, pos = h.group(1), h.end()
            found.append((m.group(2), bool(m.group(1)), f"({m.group(2)})", heading))
            if heading and not _CFR_LABEL.match(marked, pos):
                break
        return found, marked[pos:]

    def section(self, el: Element, ctx: _Ctx) -> None:
        head_el = self.child(el, "HEAD")
        head = norm(self.flat(head_el))
        sign = re.match(r"[§\s]*([\w.\-–]+)", head)
        number = clean_num(el.get("N", "")) or (clean_num(sign.group(1)) if sign else "")
        title = clean_title(re.sub(r"^§+\s*[\w.\-–]+\s*", "", head))
        section = self.b.open(number or "section", ctx, "section", title)
        self.b.line(head or f"§ {number}", ctx)
        base = replace(ctx, parent=section, parent_kind="section",
                       headings=ctx.headings + ((f"{section} {title}",) if title else ()))
        children = [c for c in el if c is not head_el and local(c.tag) not in self.SKIP]
        parsed = {id(c): self._labels(self._marked(c)) for c in children if local(c.tag) in self.PARAGRAPHS}
        sequence = [tok for c in children for tok, *_ in parsed.get(id(c), ([], ""))[0]]
        stack: list[tuple[int, str, str, str]] = []  # (level, token, citation, title)
        seen = 0
        for c in children:
            labels, rest = parsed.get(id(c), ([], ""))
            if not labels:
                self.block(c, replace(base, parent=stack[-1][2] if stack else section))
                continue
            for i, (token, italic, printed, heading) in enumerate(labels):
                seen += 1
                following = sequence[seen] if seen < len(sequence) else None
                level = cfr_level(token, italic, [(lv, tk) for lv, tk, _, _ in stack], following)
                while stack and stack[-1][0] >= level:
                    stack.pop()
                parent = stack[-1][2] if stack else section
                heads = base.headings + tuple(f"{cit} {t}" for _, _, cit, t in stack if t)
                pctx = replace(base, parent=parent, headings=heads)
                citation = self.b.open(section + "".join(f"({tk})" for _, tk, _, _ in stack) + f"({token})",
                                       pctx, "paragraph", clean_title(heading))
                stack.append((level, token, citation, clean_title(heading)))
                last = i == len(labels) - 1
                body = " ".join(p for p in (printed, heading, rest if last else "") if p)
                self.b.line(body.replace("\x01", "").replace("\x02", ""), pctx)
        self.b.flush(base)

    def meta(self) -> dict:
        """The part's heading (`PART 1022—RULES FOR …`), else the bulk file's header title (`Title 31: …`)."""
        meta = {"family": self.family, "doc_kind": "regulation"}
        part = next((e for e in self.root.iter() if local(e.tag) == "DIV5"), None)
        head = norm(self.flat(self.child(part, "HEAD"))) if part is not None else ""
        titles = (norm(self.flat(e)) for e in self.root.iter() if local(e.tag) == "TITLE")
        header = next((t for t in titles if t), "")
        if head or header:
            meta["title"] = head or header
        return meta


# ---------------------------------------------------------------- entry point


def family_of(root: Element) -> type[_Markup]:
    """The reader class for a parsed document: CLML, USLM, GPO bill, eCFR, else the generic text reader."""
    ns, name = _namespace(root.tag), local(root.tag)
    if ns == CLML_NS:
        return _Clml
    if ns == USLM_NS or "uslm" in ns.lower():  # uscode.house.gov, or govinfo's schemas.gpo.gov/xml/uslm
        return _Uslm
    if not ns and name in ("bill", "resolution", "amendment-doc"):
        return _GpoBill
    if not ns and (name in ("DLPSTEXTCLASS", "ECFR", "ECFRBRWS") or re.fullmatch(r"DIV[1-9]", name)):
        return _Ecfr
    return _Generic


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
