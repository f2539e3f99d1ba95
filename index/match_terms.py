"""Which provisions take part in matching, and the terms two provisions share.

Which provisions take part (`skip_reason`): units a reviewer cannot map are left out, on both sides —
headings (kinds such as chapter, part, title, annex, preamble, and any unit with no text of its own beyond its
label and title), fragments under `MIN_WORDS` (8) words of own text (a lone "(a) the issuer;": its parent
carries it, since tiny children are folded into the parent's embedding), and front matter (a table of contents,
a cover page).
A focal provision given explicitly to `crosswalk.index.match.counterparts` is always matched.

Shared terms: defined terms and entities both provisions carry (`TERM_LABELS`), compared on a normalised form
(`normalise_term`: case, punctuation, spacing and plural folded, so UK "cryptoassets" meets EU "crypto-asset").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crosswalk.ingest.models import Provision

MIN_WORDS = 8
HEADING_KINDS = frozenset(
    {"chapter", "part", "title", "subtitle", "division", "subdivision", "subchapter", "subpart", "heading",
     "annex", "appendix", "schedule", "preamble"}
)
FRONT_KINDS = frozenset({"front", "front_matter", "cover", "toc", "contents"})
FRONT_TITLES = frozenset({"contents", "table of contents", "content"})
TERM_LABELS = ("DEFINED_TERM", "CRYPTO_ASSET", "LEGISLATION", "REGULATOR", "CITATION")


# --- which provisions take part -------------------------------------------------------------------------------

_LABEL_PREFIX = re.compile(
    r"^\s*(?:§+\s*|SEC(?:TION)?\.?\s*|Article\s+|Art\.\s*|Recommendation\s+|Regulation\s+|reg\.\s*)?"
    r"(?:[0-9]+[0-9A-Za-z.\-]*[A-Z]?\.?|\([0-9A-Za-z]{1,6}\))(?:\s*\([0-9A-Za-z]{1,6}\))*\s*[.:—–-]?\s*",
    re.IGNORECASE,
)


def own_words(p: Provision) -> int:
    """Words of a provision's own text, its printed label and its title left out.

    >>> own_words(Provision("d:sec.4", "d", "US", "sec.4", "SEC. 4. ISSUERS.", title="ISSUERS."))
    0
    >>> own_words(Provision("d:sec.4(a)", "d", "US", "sec.4(a)", "(a) An issuer shall maintain reserves."))
    5
    """
    text = _LABEL_PREFIX.sub("", p.text, count=1)
    title = p.title.strip()
    if title and text.lower().startswith(title.lower()):
        text = text[len(title):]
    return len(text.split())


def skip_reason(p: Provision) -> str | None:
    """Why a provision is left out of matching, or None if it takes part (see the module docstring).

    Reasons: `heading` (a structural unit, or nothing of its own beyond label and title), `short` (under
    `MIN_WORDS` words of own text), `front matter`.

    >>> skip_reason(Provision("d:ch.3", "d", "UK", "ch.3", "3 Our proposals", kind="chapter"))
    'heading'
    >>> skip_reason(Provision("d:s.1(a)", "d", "US", "s.1(a)", "(a) the issuer;"))
    'short'
    >>> skip_reason(Provision("d:s.1", "d", "US", "s.1", "An issuer shall not pay interest or yield to any holder."))
    """
    if p.kind in FRONT_KINDS or p.title.strip().lower() in FRONT_TITLES:
        return "front matter"
    if p.heading_path and p.heading_path[-1].strip().lower() in FRONT_TITLES:
        return "front matter"
    if p.kind in HEADING_KINDS:
        return "heading"
    words = own_words(p)
    if words == 0:
        return "heading"
    if words < MIN_WORDS:
        return "short"
    return None


# --- shared terms ---------------------------------------------------------------------------------------------


def normalise_term(text: str) -> str:
    """The form two entity texts are compared on: case, quotes, punctuation, spacing and plurals folded.

    >>> normalise_term("Crypto-assets")
    'cryptoasset'
    >>> normalise_term("“payment stablecoins”")
    'paymentstablecoin'
    >>> normalise_term("the FCA")
    'fca'
    >>> normalise_term("31 U.S.C. 5318(h)")
    '31usc5318h'
    """
    t = text.casefold().strip()
    t = re.sub(r"^(?:the|a|an)\s+", "", t)
    words = [w for w in re.split(r"[^0-9a-z]+", t) if w]
    if words and words[-1].isalpha() and len(words[-1]) > 3:
        last = words[-1]
        if last.endswith("ies"):
            last = last[:-3] + "y"
        elif last.endswith("s") and not last.endswith(("ss", "us", "is")):
            last = last[:-1]
        words[-1] = last
    return "".join(words)


@dataclass(frozen=True)
class SharedTerm:
    """A term both provisions use: its label (the left provision's), normal form, and each side's text."""

    label: str
    term: str
    left: str
    right: str

    def to_dict(self) -> dict:
        return {"label": self.label, "term": self.term, "left": self.left, "right": self.right}


def _terms(p: Provision) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for e in sorted(p.entities, key=lambda e: (e.start, e.end, e.label)):
        if e.label not in TERM_LABELS:
            continue
        raw = e.detail if e.label == "DEFINED_TERM" and e.detail else e.text
        key = normalise_term(raw)
        if len(key) >= 2 and key not in out:
            out[key] = (e.label, e.text.strip())
    return out


def shared_terms(left: Provision, right: Provision) -> tuple[SharedTerm, ...]:
    """Defined terms and entities (labels `TERM_LABELS`) found in both provisions, sorted by label then term."""
    a, b = _terms(left), _terms(right)
    shared = [SharedTerm(a[k][0], k, a[k][1], b[k][1]) for k in a.keys() & b.keys()]
    return tuple(sorted(shared, key=lambda t: (t.label, t.term)))
