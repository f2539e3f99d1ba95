"""US XML: USLM (the US Code, and Acts and bills in USLM) and GPO bill XML, read into cited units."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from crosswalk.ingest.readers.xml_markup import DC_NS, Ctx, Markup, local, norm

USLM_NS = "http://xml.house.gov/schemas/uslm/1.0"


# ---------------------------------------------------------------- USLM (US Code, bills and laws)


class Uslm(Markup):
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

    def citation(self, el: Element, number: str, ctx: Ctx) -> str:
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


class GpoBill(Markup):
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

    def citation(self, el: Element, number: str, ctx: Ctx) -> str:
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
