"""legislation.gov.uk CLML: UK Acts, statutory instruments and retained EU law, read into cited units."""

from __future__ import annotations

import re
from dataclasses import replace
from xml.etree.ElementTree import Element

from crosswalk.ingest.readers.xml_markup import DC_NS, Ctx, Markup, clean_num, clean_title, heading_entry, local, norm

CLML_NS = "http://www.legislation.gov.uk/namespaces/legislation"
UKM_NS = "http://www.legislation.gov.uk/namespaces/metadata"

_CLML_PREFIX = {"section": "s", "regulation": "reg", "article": "art", "rule": "r"}
_CLML_KINDS = {
    "s": ("section", "subsection", "paragraph", "sub-paragraph"),
    "reg": ("regulation", "paragraph", "sub-paragraph"),
    "art": ("article", "paragraph", "sub-paragraph"),
    "r": ("rule", "paragraph", "sub-paragraph"),
    "sch": ("paragraph", "sub-paragraph", "paragraph", "sub-paragraph"),
}


class Clml(Markup):
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

    def walk(self, el: Element, ctx: Ctx) -> None:
        name = local(el.tag)
        if name == "Schedule" and not ctx.quoted:
            self.schedule(el, ctx)
        elif name in self.GROUPS:
            self.group(el, ctx)
        else:
            super().walk(el, ctx)

    def container(self, el: Element, ctx: Ctx) -> None:
        if local(el.tag) == "Schedules":  # the "SCHEDULES" banner is not a heading worth keeping
            self.b.release(ctx)
            self.block(el, ctx, skip=(self.child(el, "Title"),))
            return
        super().container(el, ctx)

    def group(self, el: Element, ctx: Ctx) -> None:
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

    def schedule(self, el: Element, ctx: Ctx) -> None:
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

    def _top(self, ctx: Ctx) -> bool:
        return ctx.parent is None or ctx.parent_kind == "schedule"

    def citation(self, el: Element, number: str, ctx: Ctx) -> str:
        if self._top(ctx):
            if ctx.parent_kind == "schedule":
                return f"{ctx.parent} para.{number}"
            return f"{self._prefix(el)}.{number}"
        return f"{ctx.parent}({number})"

    def kind(self, el: Element, ctx: Ctx) -> str:
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
