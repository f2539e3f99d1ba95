"""US Code sections: `§ 5318.` … `(h)` … `(1)` -> `5318(h)(1)` (section number alone, as lawyers cite it).

Reads the Office of the Law Revision Counsel's text as plain text or Markdown: structural headings
(`# Title 31— MONEY AND FINANCE`, `## SUBTITLE IV— MONEY`, `### CHAPTER 53— …`, `SUBCHAPTER II— …`,
`PART A— …`) set the heading path; `§ 5318. Compliance, exemptions, and summons authority` starts a section;
labels at line starts open subsections `(a)` › paragraphs `(1)` › subparagraphs `(A)` › clauses `(i)` ›
subclauses `(I)` › items `(aa)` › subitems `(AA)`, read with the same level rules as Acts (see `us_act`),
so `(i)` after `(h)` is a subsection and `(i)` after `(A)` a clause. A subsection set as a Markdown heading
(`###### (h) Anti-Money Laundering Programs.`) is a subsection whatever its letter.

Unit titles: the subsection heading (`Anti-Money Laundering Programs`), or a short heading that stands alone
on a label's line (`(1) In general .`, `(9) Commodity`); a lead-in that lost its dash (`(b) As used in this
section`) is not a title. The structural heading lines are left out as `heading` (they live on in every
unit's heading path); text before the first heading is front matter. A repealed range printed
`§§ 5327, 5328. Repealed.` is cited by its first number.

Also reads CFR-style section numbers (`§ 1022.210`), which cite the same way (`1022.210(d)`).
"""

from __future__ import annotations

import re

from crosswalk.ingest.models import Extracted, Source, SplitResult
from crosswalk.ingest.splitters.base import Cut, Mark, build, lines
from crosswalk.ingest.splitters.us_act import ACT_KINDS, ACT_ORDER, LOWER, Candidate, outline_marks, resolve, title_case

SECTION_NUMBER = r"\d+[A-Za-z]*(?:[.\-–]\d+[A-Za-z]*)*"
#: `§ 5318. Compliance…`, `#### § 77b. Definitions…`, `§§ 5327, 5328. Repealed.`, `§ 1022.210 Definitions.`
SECTION = re.compile(
    rf"^(?:#{{1,6}}[^\S\n]*)?§§?[^\S\n]*({SECTION_NUMBER}?)(?:\.(?=\s)|(?=[,\s]))[^\S\n]*"
    rf"(?:(?:,|to|through|and|–|-)[^\S\n]*§?[^\S\n]*{SECTION_NUMBER}\.?[^\S\n]*)*(.*)$",
    re.M,
)
#: `# Title 31— MONEY AND FINANCE`, `SUBCHAPTER III— MONEY LAUNDERING …`: a Markdown heading, or a line whose
#: name after the dash is in capitals (so `Title 31, United States Code, …` at a line start stays text)
STRUCTURE = re.compile(
    r"^(#{1,6}[^\S\n]*)?(TITLE|SUBTITLE|CHAPTER|SUBCHAPTER|PART|SUBPART)[^\S\n]+([0-9]+[A-Z]?|[IVXLC]+|[A-Z])"
    r"(?:[^\S\n]*[—–-]+[^\S\n]*(.*?))?[^\S\n]*$",
    re.M | re.I,
)
STRUCTURE_RANK = {"title": 0, "subtitle": 1, "chapter": 2, "subchapter": 3, "part": 4, "subpart": 5}
LABEL_LINE = re.compile(r"^(#*)[^\S\n]*\(([A-Za-z0-9]{1,5})\)(?=\s|$)[^\S\n]*(.*)$")
MAX_TITLE_WORDS = 12
MAX_FRONT_MATTER = 3000  # characters before the first `§` heading that a US Code text may have
FOOTNOTE = re.compile(r"^\d{1,2} (?=[A-Z])")  # `(80) 7 Funding portal .`: the 7 marks a note ("so in original")
NOT_FIRST = frozenset("A An The Whoever For Any Each Such If".split())  # list items and provisos, not headings
RULE_VERBS = frozenset("shall may must means mean includes include is are was were has have does".split())
# a line that ends with one of these is a lead-in whose dash was lost (`(b) As used in this section`), not a heading
LEAD_IN_WORDS = frozenset(
    "a an and any are as at be by chapter each following for from if in includes include is its may means "
    "must not of on or paragraph section shall subchapter subparagraph subsection such than that the their "
    "this title to under unless when where whether which who whom whose with".split()
)


def detect(source: Source, extracted: Extracted) -> bool:
    """US Code (or CFR-style) text: `§ N.` section headings at line starts from near the top, or a source id
    `US-USC…`."""
    if extracted.units is not None:
        return False
    if str(source.jurisdiction).strip().upper() not in ("US", ""):
        return False
    if source.id.upper().startswith("US-USC"):
        return True
    sections = section_headings(extracted.text)
    # the Code itself starts with its sections; a paper that quotes one `§` heading deep inside is not the Code
    return bool(sections) and sections[0][0] <= max(MAX_FRONT_MATTER, len(extracted.text) // 10)


def split(extracted: Extracted) -> SplitResult:
    """Units of US Code sections: each section and every labelled level below it."""
    text = extracted.text
    heads = _structure(text)
    sections = section_headings(text)
    boundaries = sorted([s[0] for s in sections] + [h[0] for h in heads] + [len(text)])
    cuts = [Cut(start, end, "heading") for start, end, _, _ in heads]

    marks: list[Mark] = []
    seen: set[str] = set()
    for start, head_end, number, heading in sections:
        if number in seen:
            continue
        seen.add(number)
        path = _path_at(heads, start)
        section_path = path + (f"§ {number}. {heading}" if heading else f"§ {number}.",)
        marks.append(Mark(start, number, None, section_path, "section", heading))
        stop = next(b for b in boundaries if b > start)
        accepted = resolve(_candidates(text, head_end, stop), ACT_ORDER, lenient=True)
        marks.extend(outline_marks(number, accepted, ACT_KINDS, section_path, seen))
    return build(text, marks, cuts)


def _structure(text: str) -> list[tuple[int, int, int, str]]:
    """(start, end, rank, heading) of each structural heading line: `Title 31 — Money and Finance`."""
    out = []
    for m in STRUCTURE.finditer(text):
        markdown, kind, number = m.group(1), m.group(2).lower(), m.group(3)
        name = (m.group(4) or "").strip().rstrip(".")
        if not markdown and (not name or any(ch.islower() for ch in name)):
            continue  # `Part 5` or `Part A— of this …` in running text is not a heading
        label = f"{kind.capitalize()} {number.upper() if kind != 'chapter' else number}"
        heading = f"{label} — {title_case(name)}" if name else label
        out.append((m.start(), m.end(), STRUCTURE_RANK[kind], heading))
    return out


def _path_at(heads: list[tuple[int, int, int, str]], pos: int) -> tuple[str, ...]:
    """The structural headings in force at `pos`: the latest of each rank, a higher rank clearing lower ones."""
    current: dict[int, str] = {}
    for start, _, rank, heading in heads:
        if start >= pos:
            break
        current = {r: h for r, h in current.items() if r < rank}
        current[rank] = heading
    return tuple(current[r] for r in sorted(current))


def section_headings(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end of heading line, number, heading) of each `§` section heading: its heading starts with a
    capital (`§ 5318 of this title requires…` at a line start is text, not a heading)."""
    out = []
    for m in SECTION.finditer(text):
        heading = m.group(2).strip().rstrip(".").strip()
        if heading[:1].isupper() or heading[:1] == "[":
            out.append((m.start(), m.end(), m.group(1), heading))
    return out


def _candidates(text: str, begin: int, end: int) -> list[Candidate]:
    """Labels at line starts between a section heading and the next heading."""
    out: list[Candidate] = []
    pos = begin
    for ln in lines(text[begin:end]):
        m = LABEL_LINE.match(ln.text)
        if m:
            hashes, label, rest = m.group(1), m.group(2), m.group(3)
            heading_line = len(hashes) in (5, 6)
            forced = LOWER if heading_line and len(label) == 1 and label.islower() else None
            start = pos + ln.start + m.start(2) - 1
            if hashes:
                start = pos + ln.start  # the unit starts at its heading's `#`
            out.append(Candidate(start, label, title=label_title(rest, heading_line), forced=forced))
    return out


def label_title(rest: str, heading_line: bool = False) -> str:
    """The title in what follows a label on its line, if that is a heading rather than text.

    A title is short, starts with a capital but not with an article (`An insurance company` is a list
    item), holds no verb of a rule (`shall`, `may`, `means`…), and ends
    neither like a list item (`;`, `,`, `:`) nor like a lead-in whose dash was lost (`…in this section`). A
    Markdown heading line may be twice as long. A note number after the label (`(80) 7 Funding portal .`) is
    not part of the title; the full stop at the end is dropped.

    Examples: label_title("Anti-Money Laundering Programs.", True) == "Anti-Money Laundering Programs";
    label_title("In general .") == "In general"; label_title("Commodity") == "Commodity";
    label_title("As used in this section", True) == ""; label_title("The Secretary may prescribe", True) == "";
    label_title("a private banker;") == ""; label_title("$10,000.") == ""; label_title("") == "";
    label_title("7 Funding portal .") == "Funding portal"; label_title("An insurance company") == ""
    """
    text = FOOTNOTE.sub("", " ".join(rest.split()))
    bare = text.rstrip(" .").strip()
    words = bare.split()
    limit = 2 * MAX_TITLE_WORDS if heading_line else MAX_TITLE_WORDS
    if not words or len(words) > limit or not words[0][:1].isupper():
        return ""
    if text.endswith((";", ",", ":", "—", "-")) or words[-1].lower() in LEAD_IN_WORDS:
        return ""
    if words[0] in NOT_FIRST or any(w.lower().strip(",;") in RULE_VERBS for w in words):
        return ""
    if re.search(r"\.\s", bare):
        return ""  # more than one sentence: text, not a heading
    return bare
