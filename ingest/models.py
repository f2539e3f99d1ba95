"""The records that travel through Crosswalk: sources, extracted documents and provisions.

A `Provision` is the smallest unit a lawyer cites. Its `id` is `{doc_id}:{citation}` with spaces in the
citation turned into `_` (ids contain no white space, so they fit TREC files and shell arguments).
Its `text` is the provision's *own* text: the words between its label and its first child. The
full text of a unit is its own text followed by its descendants' (see `Store.subtree_text`). Each character
of a document's body text belongs to exactly one provision.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from enum import Enum

from crosswalk.vocab import parse_member


class Jurisdiction(str, Enum):
    """Where a text has force.

    - ``US``: United States (federal statutes, regulations, executive orders, state rules such as NYDFS).
    - ``UK``: United Kingdom (Acts, statutory instruments, FCA/PRA/Bank of England/HM Treasury texts).
    - ``EU``: European Union (regulations such as MiCA, directives).
    - ``INTL``: international standard setters (FSB, FATF, IOSCO, BCBS).
    """

    US = "US"
    UK = "UK"
    EU = "EU"
    INTL = "INTL"

    @classmethod
    def parse(cls, value: str) -> "Jurisdiction":
        """`Jurisdiction.parse("uk") is Jurisdiction.UK`; an unknown value names the allowed ones."""
        return parse_member(cls, value, "jurisdiction", fold=str.upper)


class DocType(str, Enum):
    """What kind of text a document is.

    - ``statute``: an Act of Congress or Parliament, or the US Code.
    - ``regulation``: secondary legislation (CFR, NYCRR, UK statutory instruments, EU regulations).
    - ``rulebook``: a regulator's handbook or rulebook (FCA Handbook sourcebooks).
    - ``guidance``: guidance that interprets rules (FinCEN guidance, FCA finalised guidance).
    - ``consultation``: consultation and discussion papers, with draft instruments.
    - ``policy_statement``: policy statements and executive orders.
    - ``report``: taskforce, standard-setter and research reports.
    """

    STATUTE = "statute"
    REGULATION = "regulation"
    RULEBOOK = "rulebook"
    GUIDANCE = "guidance"
    CONSULTATION = "consultation"
    POLICY_STATEMENT = "policy_statement"
    REPORT = "report"

    @classmethod
    def parse(cls, value: str) -> "DocType":
        """`DocType.parse("Statute") is DocType.STATUTE`; an unknown value names the allowed ones."""
        return parse_member(cls, value, "doc_type")


@dataclass(frozen=True)
class Source:
    """One document as listed in corpus/sources.csv or a mirror's manifest.csv: facts, never text."""

    id: str
    jurisdiction: str
    issuer: str = ""
    doc_type: str = "report"
    title: str = ""
    date: str = ""
    official_url: str = ""
    licence: str = ""
    file: str = ""  # expected file name, relative to the corpus / mirror / cache directory
    sha256: str = ""
    mirrored: bool = True
    format: str = ""  # pdf, html, xml, md, txt; empty = from the file name
    structured_url: str = ""  # the publisher's structured version (CLML XML), which `fetch` tries first

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Entity:
    """A tagged span of a provision's text: offsets are into `Provision.text`.

    `label` is a spaCy label (ORG, LAW, DATE, MONEY, GPE, …) or a domain label: REGULATOR, LEGISLATION,
    CITATION, DEFINED_TERM, CRYPTO_ASSET, OBLIGATION. `detail` carries extra facts: for OBLIGATION the modal
    and who bears it (`"must|issuer"`), for DEFINED_TERM the normal form of the term.
    """

    start: int
    end: int
    label: str
    text: str
    detail: str = ""


def content_hash(text: str) -> str:
    """sha256 of the text with white space folded: a re-flowed but unchanged provision keeps its hash."""
    folded = " ".join(text.split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:16]


def make_id(doc_id: str, citation: str) -> str:
    """`make_id("UK-FCA-CP25-14", "CASS 16.2.13R") == "UK-FCA-CP25-14:CASS_16.2.13R"`."""
    return f"{doc_id}:{'_'.join(citation.split())}"


def split_id(provision_id: str) -> tuple[str, str]:
    """`split_id("UK-FCA-CP25-14:CASS_16.2.13R") == ("UK-FCA-CP25-14", "CASS 16.2.13R")`."""
    doc_id, sep, cite = provision_id.partition(":")
    if not sep:
        return provision_id, ""
    return doc_id, cite.replace("_", " ")


@dataclass(frozen=True)
class Provision:
    """One citable unit of a document.

    - `id`: `{doc_id}:{citation}` (see `make_id`); stable across re-ingests of the same text.
    - `citation`: the display citation, e.g. `sec.4(a)(11)`, `CASS 16.2.13R`, `para.3.70`, `sch.1 para.2`.
    - `parent_id`: the enclosing unit's id, or None at the top.
    - `heading_path`: headings from the document down to this unit.
    - `text`: the provision's own text (label and lead-in, not its children's text).
    - `page_start`, `page_end`: 1-based page span for paged sources, else None.
    - `char_start`, `char_end`: offsets of `text`'s span in the extracted document text.
    - `kind`: section, subsection, paragraph, article, recital, rule, guidance, recommendation, passage, …
    - `ordinal`: position in document order.
    """

    id: str
    doc_id: str
    jurisdiction: str
    citation: str
    text: str
    parent_id: str | None = None
    heading_path: tuple[str, ...] = ()
    page_start: int | None = None
    page_end: int | None = None
    char_start: int = 0
    char_end: int = 0
    kind: str = "passage"
    ordinal: int = 0
    title: str = ""  # the unit's own heading (e.g. "Definitions"), if it has one
    content_hash: str = ""
    entities: tuple[Entity, ...] = ()
    topics: tuple[str, ...] = ()

    def __post_init__(self):
        if not self.content_hash:
            object.__setattr__(self, "content_hash", content_hash(self.text))

    def with_tags(self, entities, topics) -> "Provision":
        return replace(self, entities=tuple(entities), topics=tuple(topics))

    def embedding_text(self, context: str = "") -> str:
        """What the embedder sees: the heading path, the unit's title, its text, then folded-in context.

        `context` carries the text of tiny children folded into their parent (a lone "(a) the issuer").
        """
        head = " › ".join(self.heading_path)
        parts = [p for p in (head, self.title, self.text, context) if p]
        return "\n".join(parts)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["heading_path"] = list(self.heading_path)
        d["entities"] = [asdict(e) for e in self.entities]
        d["topics"] = list(self.topics)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Provision":
        d = dict(d)
        d["heading_path"] = tuple(d.get("heading_path") or ())
        d["entities"] = tuple(Entity(**e) for e in d.get("entities") or ())
        d["topics"] = tuple(d.get("topics") or ())
        return cls(**d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Extracted:
    """What a reader gets out of one file, before splitting.

    - `text`: the body text, cleaned (running headers, footers, page numbers and margin notes removed).
    - `page_starts`: for paged sources, offset in `text` where each page begins (page 1 at index 0).
    - `meta`: what the file says of itself (title, author, date), used when no manifest row exists.
    - `units`: for structured sources (XML), provisions already read from the markup, as `RawUnit`s.
    """

    text: str
    page_starts: tuple[int, ...] = ()
    meta: dict = field(default_factory=dict)
    units: tuple["RawUnit", ...] | None = None
    format: str = "txt"

    def page_of(self, offset: int) -> int | None:
        """1-based page holding `offset`, or None for unpaged sources."""
        if not self.page_starts:
            return None
        import bisect

        return bisect.bisect_right(self.page_starts, offset)


@dataclass(frozen=True)
class RawUnit:
    """A provision as a splitter finds it, before ids, hashes and tags: a citation and a text span.

    `start`/`end` are offsets in `Extracted.text`; `text` is that span (trimmed). `parent` is the parent's citation.
    """

    citation: str
    start: int
    end: int
    text: str
    parent: str | None = None
    heading_path: tuple[str, ...] = ()
    kind: str = "passage"
    title: str = ""


@dataclass(frozen=True)
class SplitResult:
    """A splitter's answer: the units, the spans it left out on purpose with the reason (`toc`, `cover`), and
    a note on the source's quality that readers of the document should see (`show`, the app), or ""."""

    units: tuple[RawUnit, ...]
    excluded: tuple[tuple[int, int, str], ...] = ()
    note: str = ""
