"""New York Codes, Rules and Regulations parts: `Section 500.11 …` › `(a)` › `(1)` › `(i)` -> `500.11(a)(1)(i)`.

A part (23 NYCRR 500) prints each section as `Section 500.11 Third Party Service Provider Security Policy.` at
the start of a line (the PDF sometimes breaks the line after `Section`); below it subdivisions `(a)`,
paragraphs `(1)`, subparagraphs `(i)` and clauses `(A)`, each at the start of a line. The definitions in
500.1 are its subdivisions: `500.1(g)` is "Nonpublic Information". Labels are read with the outline machinery
the US Acts use (`us_act.resolve`): `(i)` after `(h)` is subdivision (i), after `(1)` subparagraph (i); a
label that fits no level, or that starts a line continuing a cross-reference (`…under` / `(a) above`), stays
text.

- Citations: `500.11`, `500.11(a)`, `500.11(a)(1)`; appendices (the certification forms) are `app.A`.
- Heading path: `Part 500 Cybersecurity Requirements for Financial Services Companies`, then for a section's
  descendants `500.11 Third Party Service Provider Security Policy`, then any titled subdivision
  (`(a) Notice of Cybersecurity Event`).
- Left out on purpose: the title block before the first section (front matter) and footnotes (`* This is not
  an official version…`), reported as `excluded`; the footnote marker on the title goes with the front matter.
- `prepare` joins words the PDF's text layer splits (`impleme nt`, `writ ten`) after a vocabulary check
  (`crosswalk.ingest.readers.rejoin`), before the units are cut, and says how many in the document's quality note.
"""

from __future__ import annotations

import re

from crosswalk.ingest.models import Extracted, Source, SplitResult
from crosswalk.ingest.readers.rejoin import rejoin
from crosswalk.ingest.splitters.base import Cut, Mark, build, lines
from crosswalk.ingest.splitters.us_act import LINE_LABEL, _wraps_reference
from crosswalk.ingest.splitters.us_outline import ARABIC, LOWER, LROMAN, UPPER, Candidate, outline_marks, resolve

PART = re.compile(r"^\s*(\d{1,3})\s+NYCRR\s+(?:Part\s+)?(\d{1,4})\s*$", re.M)
SECTION = re.compile(r"^[^\S\n]*Section\s+(\d{1,4})\.(\d{1,3})[^\S\n]+([^\n]*)", re.M)
SECTION_BROKEN = re.compile(r"^[^\S\n]*Section[^\S\n]*\n[^\S\n]*(\d{1,4})\.(\d{1,3})[^\S\n]+([^\n]*)", re.M)
APPENDIX = re.compile(r"^[^\S\n]*APPENDIX\s+([A-Z])\b[^\n]*", re.M)
FOOTNOTE = re.compile(r"^[^\S\n]*\*[^\S\n]*This is not an official version[^\n]*$", re.M | re.I)
TITLE = re.compile(r"^([A-Z][A-Za-z’'\-]*(?:\s+(?:[A-Z][A-Za-z’'\-]*|of|and|or|the|to|for|in|on))*)\s*\.\s")
ORDER = (LOWER, ARABIC, LROMAN, UPPER)
KINDS = {LOWER: "subdivision", ARABIC: "paragraph", LROMAN: "subparagraph", UPPER: "clause"}
MIN_SECTIONS = 3


def detect(source: Source, extracted: Extracted) -> bool:
    if extracted.units is not None or str(source.jurisdiction).upper() not in ("US", ""):
        return False
    head = extracted.text[:5000]
    part = PART.search(head)
    if not part:
        return False
    return len(_sections(extracted.text, part.group(2))) >= MIN_SECTIONS


def prepare(extracted: Extracted) -> Extracted:
    """The text with words the PDF split in two joined again (see `crosswalk.ingest.readers.rejoin`)."""
    return rejoin(extracted)


def _sections(text: str, part: str) -> list[tuple[int, int, str, str]]:
    """(start, end of heading, section number, title) for each `Section 500.N Title.` heading, in order."""
    found = []
    for pattern in (SECTION, SECTION_BROKEN):
        for m in pattern.finditer(text):
            if m.group(1) == part:
                title = m.group(3).strip().rstrip(".").strip()
                found.append((m.start(), m.end(), f"{part}.{m.group(2)}", title))
    found.sort()
    out, last = [], -1
    for start, end, number, title in found:
        n = int(number.split(".")[1])
        if n > last:  # section numbers only go up; a repeat is a cross-reference that wrapped to a line start
            out.append((start, end, number, title))
            last = n
    return out


def _label_title(text: str, pos: int) -> str:
    """A subdivision's caption: `(a) Notice of Cybersecurity Event. Each…` -> `Notice of Cybersecurity Event`."""
    m = TITLE.match(text[pos : pos + 200].lstrip())
    if not m or len(m.group(1).split()) > 8:
        return ""
    words = m.group(1).split()
    caption = " ".join(words)
    # a defined term opening a definition (`(a) Affiliate means…`) has no full stop; a one-word sentence is no title
    return caption if len(words) >= 2 or words[0].isupper() else ""


def split(extracted: Extracted) -> SplitResult:
    text = extracted.text
    part_m = PART.search(text[:5000])
    part = part_m.group(2) if part_m else ""
    part_title = _part_title(text, part_m.end() if part_m else 0)
    top = (f"Part {part} {part_title}".strip(),) if part else ()
    sections = _sections(text, part)
    appendices = [m for m in APPENDIX.finditer(text) if not sections or m.start() > sections[-1][0]]
    cuts = [Cut(m.start(), m.end(), "footnote") for m in FOOTNOTE.finditer(text)]
    marks: list[Mark] = []
    seen: set[str] = set()
    bounds = [s[0] for s in sections[1:]] + ([appendices[0].start()] if appendices else []) + [len(text)]
    for (start, head_end, number, title), end in zip(sections, bounds):
        seen.add(number)
        marks.append(Mark(start, number, None, top, "section", title))
        cands = _candidates(text, head_end, end)
        accepted = resolve(cands, ORDER)
        section_path = top + ((f"{number} {title}".strip(),))
        marks.extend(outline_marks(number, accepted, KINDS, section_path, seen))
    for m, end in zip(appendices, [a.start() for a in appendices[1:]] + [len(text)]):
        cite = f"app.{m.group(1)}"
        if cite not in seen:
            seen.add(cite)
            marks.append(Mark(m.start(), cite, None, top, "appendix", f"Appendix {m.group(1)}"))
    marks.sort(key=lambda mk: mk.start)
    result = build(text, marks, cuts)
    return SplitResult(result.units, result.excluded, _note(extracted))


def _part_title(text: str, pos: int) -> str:
    """The line after `23 NYCRR 500`, in Title Case, its footnote marker dropped."""
    nxt = text[pos:].lstrip("\n").split("\n", 1)[0].strip().rstrip("*").strip()
    if not nxt or nxt.lower().startswith("section"):
        return ""
    from crosswalk.ingest.splitters.us_act import title_case

    return title_case(nxt) if nxt.isupper() else nxt


def _candidates(text: str, begin: int, end: int) -> list[Candidate]:
    out: list[Candidate] = []
    prev = ""
    for ln in lines(text[begin:end]):
        m = LINE_LABEL.match(ln.text)
        if m and not _wraps_reference(prev) and not prev.rstrip().endswith("under"):
            pos = begin + ln.start + m.start(1) - 1
            out.append(Candidate(pos, m.group(1), title=_label_title(text, begin + ln.start + m.end())))
        prev = ln.text if ln.text.strip() else ""
    return out


def _note(extracted: Extracted) -> str:
    n = extracted.meta.get("rejoined_words", 0)
    if not n:
        return ""
    return (f"PDF text layer: {n} words printed split in two (such as 'impleme nt') were joined after a "
            "vocabulary check; page headers and footnotes are left out.")
