"""eCFR XML: sections of the Code of Federal Regulations (`1022.210`) and their paragraphs (`1022.210(d)(1)`)."""

from __future__ import annotations

import re
from dataclasses import replace
from xml.etree.ElementTree import Element

from crosswalk.ingest.labels import LETTER, ROMAN, Sequence
from crosswalk.ingest.readers.xml_markup import Ctx, Markup, clean_num, clean_title, heading_entry, local, norm

_CFR_LABEL = re.compile(r"\s*\((\x01)?([a-z]{1,2}|\d{1,3}|[ivxlcdm]+|[A-Z]{1,2})\x02?\)")
_CFR_HEADING = re.compile(r"\s*\x01([^\x01\x02]{1,200}?[.—])\x02")
ROMANS = Sequence(ROMAN)  # (i), (ii), … in lower case, as eCFR prints them
LETTERS = Sequence(LETTER)  # (a) … (z)


def cfr_level(token: str, italic: bool, stack: list[tuple[int, str]], following: str | None) -> int:
    """Depth of a CFR paragraph label: (a)=1, (1)=2, (i)=3, (A)=4, italic (1)=5, italic (i)=6.

    `stack` holds the open (level, token) pairs; `following` is the next label in the section, used when a
    label such as (i), (v) or (x) can be a letter or a roman numeral.

    >>> cfr_level("i", False, [(1, "h")], "j"), cfr_level("i", False, [(1, "d"), (2, "2")], "ii")
    (1, 3)
    >>> cfr_level("v", False, [(1, "b"), (2, "1"), (3, "iv")], None)
    3
    >>> cfr_level("i", False, [(1, "h"), (2, "3")], "j")  # both fit: the next label decides
    1
    """
    if token.isdigit():
        return 5 if italic else 2
    if token.isupper():
        return 4
    roman = token in ROMANS and (len(token) > 1 or token in "ivx")
    letter = len(token) == 1 or (len(token) == 2 and token[0] == token[1])
    if italic:
        return 6 if roman else 5
    if not roman:
        return 1
    if not letter:
        return 3
    open_levels = dict(stack)
    letter_ok = 1 in open_levels and LETTERS.follows(open_levels[1], token)
    roman_ok = (3 in open_levels and ROMANS.follows(open_levels[3], token)) or (
        token == "i" and bool(stack) and stack[-1][0] == 2
    )
    if letter_ok and roman_ok:  # (i) after (h)…(3), (v) after (u)…(iv), (x) after (w)…(ix)
        if following and ROMANS.follows(token, following):
            return 3
        if following and LETTERS.follows(token, following):
            return 1
        return 3 if 3 in open_levels else 1  # nothing decides: continue the roman run already open
    if roman_ok:
        return 3
    if letter_ok:
        return 1
    return 3 if token == "i" and any(level >= 2 for level, _ in stack) else 1


class Ecfr(Markup):
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

    def walk(self, el: Element, ctx: Ctx) -> None:
        name = local(el.tag)
        if name == "DIV8" and not ctx.quoted:
            self.section(el, ctx)
        elif name == "DIV9" and not ctx.quoted:
            self.appendix(el, ctx)
        else:
            super().walk(el, ctx)

    def container(self, el: Element, ctx: Ctx) -> None:
        head_el = self.child(el, "HEAD")
        entry = heading_entry("", self.flat(head_el))
        abbr, n = self.CONTAINERS[local(el.tag)], clean_num(el.get("N", ""))
        area = f"{ctx.area} {abbr}.{n}".strip() if abbr and n else ctx.area
        self.b.release(ctx)
        self.block(el, replace(ctx, headings=ctx.headings + ((entry,) if entry else ()), area=area), skip=(head_el,))

    def appendix(self, el: Element, ctx: Ctx) -> None:
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

    def section(self, el: Element, ctx: Ctx) -> None:
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
