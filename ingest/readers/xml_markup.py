"""The walk shared by the XML readers: text helpers, the line-and-unit builder, and the `Markup` walker
each family (`xml_clml`, `xml_uslm`, `xml_ecfr`) specialises. How the text is laid out is told in `xml`."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from xml.etree.ElementTree import Element

from crosswalk.ingest.labels import unique_citation
from crosswalk.ingest.models import RawUnit

DC_NS = "http://purl.org/dc/elements/1.1/"

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


def namespace(tag) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


# ---------------------------------------------------------------- text and units as they are built


@dataclass
class Unit:
    citation: str
    start: int
    parent: str | None
    heading_path: tuple[str, ...]
    kind: str
    title: str


@dataclass(frozen=True)
class Ctx:
    """Where the walk is: the enclosing unit, the headings above, the container for stray text."""

    headings: tuple[str, ...] = ()
    parent: str | None = None
    parent_kind: str = ""
    area: str = ""  # citation for a container's own text (`pt.2`, `sch.1 pt.3`)
    quoted: bool = False  # inside text quoted by an amendment: no units
    group_title: str = ""  # CLML P1group title handed to its P1
    print_group_title: bool = False


class Builder:
    """Accumulates lines; each line belongs to the most recently opened unit."""

    def __init__(self, units: bool = True):
        self.chunks: list[str] = []
        self.size = 0
        self.units: list[Unit] = []
        self.make_units = units
        self.owner: int | None = None
        self.pending = ""  # a unit's label, printed before its first line
        self.taken: set[str] = set()

    def line(self, s: str, ctx: Ctx) -> None:
        s = norm(s)
        if not s:
            return
        if self.pending:
            s, self.pending = f"{self.pending} {s}", ""
        if self.owner is None and self.make_units:
            self._open(ctx.area or "intro", ctx, "passage", "")
        self.chunks.append(s + "\n")
        self.size += len(s) + 1

    def flush(self, ctx: Ctx) -> None:
        if self.pending:
            label, self.pending = self.pending, ""
            self.line(label, ctx)

    def open(self, citation: str, ctx: Ctx, kind: str, title: str) -> str:
        self.flush(ctx)
        return self._open(citation, ctx, kind, title)

    def _open(self, citation: str, ctx: Ctx, kind: str, title: str) -> str:
        citation = self._unique(citation)
        self.units.append(Unit(citation, self.size, ctx.parent, ctx.headings, kind, title))
        self.owner = len(self.units) - 1
        return citation

    def release(self, ctx: Ctx) -> None:
        """A new container starts: its text must not run on into the unit before it."""
        self.flush(ctx)
        self.owner = None

    def _unique(self, citation: str) -> str:
        return unique_citation(citation, self.taken)

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


class Markup:
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
        self.b = Builder(units)

    def read(self) -> tuple[str, tuple[RawUnit, ...]]:
        self.walk(self.root, Ctx())
        self.b.flush(Ctx())
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

    def walk(self, el: Element, ctx: Ctx) -> None:
        name = local(el.tag)
        if name in self.SKIP:
            return
        if name in self.CONTAINERS and not ctx.quoted:
            self.container(el, ctx)
        elif name in self.UNITS and self.number(el):
            self.unit(el, ctx)
        else:
            self.block(el, replace(ctx, quoted=True) if name in self.QUOTES else ctx)

    def block(self, el: Element, ctx: Ctx, skip: tuple = ()) -> None:
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

    def container(self, el: Element, ctx: Ctx) -> None:
        num_el, head_el = self.child(el, self.NUM), self.child(el, self.HEADING)
        entry = heading_entry(self.container_label(el, num_el), self.flat(head_el))
        abbr, n = self.CONTAINERS[local(el.tag)], clean_num(self.flat(num_el))
        area = f"{ctx.area} {abbr}.{n}".strip() if abbr and n else ctx.area
        self.b.release(ctx)
        inner = replace(ctx, headings=ctx.headings + ((entry,) if entry else ()), area=area)
        self.block(el, inner, skip=(num_el, head_el))

    def container_label(self, el: Element, num_el: Element | None) -> str:
        return self.flat(num_el)

    def unit(self, el: Element, ctx: Ctx) -> None:
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

    def kind(self, el: Element, ctx: Ctx) -> str:
        return local(el.tag).lower()

    def citation(self, el: Element, number: str, ctx: Ctx) -> str:
        return f"{ctx.parent}({number})" if ctx.parent else f"({number})"

    def meta(self) -> dict:
        return {}


class GenericXml(Markup):
    """Any other XML: every element's text, one line per block, no units."""

    family = "unknown"

    def __init__(self, root: Element):
        super().__init__(root, units=False)
