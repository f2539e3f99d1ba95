"""PDF reader (pypdf): text per page with page numbers, cleaned of what is not the body.

Removed: running headers and footers (lines that recur at the top or bottom of many pages, digits aside),
bare page numbers, print-job lines, dot-leader table-of-contents lines, and margin notes (small type set
outside the text column, as in US slip laws). Repaired: words hyphenated across lines (`Gov-` / `ernors`)
and small capitals split by the extractor (`A PPROPRIATE` -> `APPROPRIATE`), each checked against the
document's own vocabulary so that real compounds (`self-custodial`) and real words keep their form.

FCA PDFs are AES-encrypted with an empty user password: they open with `pypdf[crypto]`.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path

from crosswalk.errors import DocumentError
from crosswalk.ingest.models import Extracted

log = logging.getLogger(__name__)

# A scanned page has no text layer: fewer characters than this on every page means no text to read.
MIN_CHARS_PER_DOC = 40
EDGE_LINES = 3  # how many lines at the top and bottom of a page may be running headers/footers
HEADER_SHARE = 0.3  # a line recurring at an edge of this share of pages (and at least 3) is a running header
# Small type whose estimated centre lies this close (points) to the page's centre is a centred heading
# (the Official Journal's `TITLE I`, `CHAPTER 1`, `ANNEX I`), not a margin note.
CENTRE_TOLERANCE = 40

PAGE_NUMBER = re.compile(r"^\s*(?:page\s+)?\d{1,4}(?:\s+of\s+\d{1,4})?\s*$", re.I)
PRINT_JOB = re.compile(r"^\s*VerDate\b.*$|^\s*Jkt \d+.*$")
# The running head of an FCA instrument's pages (`FCA 2025/12`, or `FCA 202X/YY` in a draft): too few letters
# for the running-header test, and on too few pages of a consultation paper to recur often enough.
INSTRUMENT_HEAD = re.compile(r"^\s*FCA 20[\dX]{2}/[\dY]{1,3}\s*$")
DOT_LEADER = re.compile(r"(?:\.\s?){4,}\s*\d{1,4}\s*$|…{2,}\s*\d{1,4}\s*$")
HYPHEN_END = re.compile(r"([A-Za-z]+)(-| ?\u00ad)\s*$")  # a hyphen, or a soft hyphen (EUR-Lex)
SMALL_CAPS = re.compile(r"\b([A-Z]) ([A-Z]{2,})\b")
WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def _open(path: Path):
    import pypdf
    from pypdf.errors import PdfReadError

    try:
        reader = pypdf.PdfReader(str(path))
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise DocumentError(path, f"not a readable PDF ({type(e).__name__}: {e})") from None
    if reader.is_encrypted:
        try:
            ok = reader.decrypt("")
        except (NotImplementedError, PdfReadError, ValueError) as e:
            raise DocumentError(path, f"encrypted PDF that cannot be opened ({e}); install pypdf[crypto]") from None
        if not ok:
            raise DocumentError(path, "encrypted PDF that needs a password; save a copy without one")
    return reader


def _page_lines(page) -> tuple[list[str], Counter]:
    """The page's text lines, and the margin notes found by position (small type outside the text column)."""
    segments: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text and text.strip():
            x = tm[4] * cm[0] + cm[4]
            size = abs(font_size * (tm[0] or 1) * (cm[0] or 1))
            segments.append((x, size, text))

    text = page.extract_text(visitor_text=visit) or ""
    margin: Counter = Counter()
    if segments:
        box = page.mediabox
        centre = (float(box.left) + float(box.right)) / 2
        weights: Counter = Counter()
        for _, size, t in segments:
            weights[round(size, 1)] += len(t)
        body_size = weights.most_common(1)[0][0]
        body_x = sorted(x for x, size, t in segments if round(size, 1) == body_size and len(t.strip()) > 20)
        if len(body_x) >= 5:
            # Trim the extremes so one stray line does not widen the column.
            cut = len(body_x) // 20
            left, right = body_x[cut], body_x[-1 - cut]
            for x, size, t in segments:
                if round(size, 1) < body_size and (x > right + 60 or x < left - 60):
                    width = len(t.strip()) * size * 0.5  # rough: half an em per character
                    if abs(x + width / 2 - centre) < CENTRE_TOLERANCE:
                        continue  # centred on the page: a heading, not a note beside the column
                    for part in t.splitlines():
                        if part.strip():
                            margin[part.strip()] += 1
    return text.splitlines(), margin


def _strip_margin(lines: list[str], margin: Counter) -> list[str]:
    """Drop margin-note lines, from the bottom up (pypdf emits them after the body)."""
    if not margin:
        return lines
    left = Counter(margin)
    kept: list[str] = []
    for line in reversed(lines):
        key = line.strip()
        if key and left.get(key, 0) > 0:
            left[key] -= 1
            continue
        kept.append(line)
    return list(reversed(kept))


def _edge_key(line: str) -> str | None:
    """The form of a line compared across pages for running headers: digits folded, or None if too short."""
    s = " ".join(line.split())
    if len(re.findall(r"[A-Za-z]", s)) < 8:
        return None
    return re.sub(r"\d+", "#", s)


def _running_lines(pages: list[list[str]]) -> set[str]:
    counts: Counter = Counter()
    for lines in pages:
        nonblank = [ln for ln in lines if ln.strip()]
        edges = set(nonblank[:EDGE_LINES] + nonblank[-EDGE_LINES:])
        counts.update({k for k in map(_edge_key, edges) if k})
    threshold = max(3, int(HEADER_SHARE * len(pages)))
    return {k for k, n in counts.items() if n >= threshold}


def _clean_page(lines: list[str], running: set[str]) -> list[str]:
    out = []
    nonblank_idx = [i for i, ln in enumerate(lines) if ln.strip()]
    edge = set(nonblank_idx[:EDGE_LINES] + nonblank_idx[-EDGE_LINES:])
    for i, line in enumerate(lines):
        if PRINT_JOB.match(line):
            continue
        if i in edge and (PAGE_NUMBER.match(line) or INSTRUMENT_HEAD.match(line)):
            continue
        # A running header can also sit mid-page: the Official Journal's is extracted after the body and
        # before the footnotes, so it is not at an edge on pages with footnotes.
        if _edge_key(line) in running:
            continue
        if DOT_LEADER.search(line):
            continue
        out.append(line.rstrip())
    return out


def _vocabulary(pages: list[list[str]]) -> Counter:
    vocab: Counter = Counter()
    for lines in pages:
        for line in lines:
            vocab.update(w.lower() for w in WORD.findall(line))
    return vocab


def _repair(lines: list[str], vocab: Counter) -> list[str]:
    """Join words hyphenated across lines and split small capitals, checked against the vocabulary."""

    def small_caps(m: re.Match) -> str:
        joined = m.group(1) + m.group(2)
        return joined if vocab.get(joined.lower(), 0) > 0 else m.group(0)

    lines = [SMALL_CAPS.sub(small_caps, ln) for ln in lines]
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = HYPHEN_END.search(line)
        if m and i + 1 < len(lines):
            nxt = lines[i + 1]
            lead = re.match(r"\s*([A-Za-z]+(?:-[A-Za-z]+)*)(.*)$", nxt)
            upper = lead and m.group(1).isupper() and lead.group(1).split("-")[0].isupper()
            if lead and (lead.group(1)[0].islower() or upper):
                head, tail_word, rest = m.group(1), lead.group(1), lead.group(2)
                compound = f"{head}-{tail_word}".lower()
                soft = m.group(2) != "-"
                keep_hyphen = not soft and (
                    "-" in tail_word
                    or (vocab.get(compound, 0) > 0 and vocab.get((head + tail_word).lower(), 0) == 0)
                )
                joined = line[: m.start()] + head + ("-" if keep_hyphen else "") + tail_word
                # The rest of the next line keeps its own line, so line-based structure survives.
                out.append(joined)
                rest = rest.lstrip()
                if rest:
                    lines[i + 1] = rest
                    i += 1
                else:
                    i += 2
                continue
        out.append(line)
        i += 1
    return out


def read_pdf(path: Path) -> Extracted:
    reader = _open(path)
    try:
        n = len(reader.pages)
    except Exception as e:  # pypdf raises many types on a broken page tree
        raise DocumentError(path, f"not a readable PDF: page tree broken ({type(e).__name__}: {e})") from None
    if n == 0:
        raise DocumentError(path, "PDF with no pages")
    raw: list[list[str]] = []
    for i in range(n):
        try:
            lines, margin = _page_lines(reader.pages[i])
        except Exception as e:  # a broken content stream: name the page, do not guess its text
            raise DocumentError(path, f"page {i + 1} cannot be read ({type(e).__name__}: {e})") from None
        raw.append(_strip_margin(lines, margin))
    if sum(len("".join(p).strip()) for p in raw) < MIN_CHARS_PER_DOC:
        raise DocumentError(path, f"no text layer in {n} page(s): a scanned PDF needs OCR before ingesting")
    running = _running_lines(raw)
    vocab = _vocabulary(raw)
    pages = [_repair(_clean_page(lines, running), vocab) for lines in raw]
    text_parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for lines in pages:
        starts.append(pos)
        chunk = "\n".join(lines) + "\n"
        text_parts.append(chunk)
        pos += len(chunk)
    meta = {}
    try:
        info = reader.metadata or {}
        for key in ("title", "author", "subject", "creation_date"):
            value = getattr(info, key, None)
            if value:
                meta[key] = str(value)
    except Exception as e:  # broken metadata never stops the text
        log.warning("%s: PDF metadata unreadable (%s)", path, e)
    meta["pages"] = n
    return Extracted(text="".join(text_parts), page_starts=tuple(starts), meta=meta, format="pdf")
