"""What gets embedded: provisions as passages that fit the model, with tiny fragments given context.

The rules (`PassageParams` holds the numbers):

1. **Each provision is searchable under its own id.** Every provision with any text, title or heading gets
   at least one passage; a passage always carries exactly one provision id.
2. **Context for tiny fragments.** A provision whose own text is under `tiny_words` (12) words — a lone
   "(a) the issuer;" — means little alone. Such a *tiny* provision is embedded with its parent's context:
   the parent's title and the last `context_words` (60) words of the parent's own text, which is the lead-in
   that introduces the list ("… the following persons must register:"). It keeps its own id.
3. **Folding tiny children into their parent.** A parent's embedding text also carries the text of its tiny
   children (up to `fold_words`, 120, words), so "(a) the following persons:" is embedded with
   "(1) the issuer; (2) the custodian;" — the list it introduces. A tiny provision that has tiny children
   gets both: its children's text, then its parent's lead-in.
4. **The nearest heading.** Each passage starts with the provision's nearest heading (the last
   `heading_levels`, 1, of its heading path) and its title. The whole path ("Chapter 3 › Stablecoin
   issuance › Backing assets") repeated in every passage was a quarter of the word pieces embedded, and made
   passages of one document alike more than passages of one subject (docs/experiments.md, 2026-12-06).
5. **Windows for long provisions.** An embedding text longer than `window_words` (160) words is cut into
   overlapping windows of its body (own text plus context), `overlap_words` (40) shared between neighbours;
   each window is prefixed with that heading and the title, and the last window is aligned to the end so
   none is a stub. all-MiniLM-L6-v2 reads 256 word pieces: 160 words of this corpus's legal text fit in 96%
   of windows (180 words in 87%); a window that does not fit loses its last words to truncation, which the
   next window repeats (except after the last window). A provision's dense score is its best window's.

The context goes through `Provision.embedding_text(context=...)`, so the record decides the layout. The same
per-provision text, unwindowed and without rule 2's lead-in, is its BM25 document (`lexical_texts`).

Example:
    >>> from crosswalk.ingest.models import Provision
    >>> lead = Provision("d:s.1", "d", "US", "s.1", "The following persons must register with the agency:")
    >>> item = Provision("d:s.1(a)", "d", "US", "s.1(a)", "(a) the issuer;", parent_id="d:s.1")
    >>> texts = provision_texts([lead, item])
    >>> texts[1]
    '(a) the issuer;\\nThe following persons must register with the agency:'
    >>> texts[0]
    'The following persons must register with the agency:\\n(a) the issuer;'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Sequence

from crosswalk.ingest.models import Provision, content_hash


@dataclass(frozen=True)
class PassageParams:
    """The numbers behind the passage rules (see the module docstring). Saved in the index's params.json."""

    window_words: int = 160
    overlap_words: int = 40
    tiny_words: int = 12
    context_words: int = 60
    fold_words: int = 120
    heading_levels: int = 1  # the last N levels of the heading path go into each passage; 0: the whole path

    def __post_init__(self):
        from crosswalk.errors import ConfigError

        if self.window_words < 20:
            raise ConfigError(f"window_words is {self.window_words}; use 20 or more (160 suits a 256-token model)")
        if not 0 <= self.overlap_words < self.window_words // 2:
            raise ConfigError(
                f"overlap_words is {self.overlap_words}; use 0 up to half the window ({self.window_words // 2 - 1})"
            )

    def to_dict(self) -> dict:
        d = asdict(self)
        if not d["heading_levels"]:
            del d["heading_levels"]  # the whole path, as indexes built before the setting existed say nothing
        return d


@dataclass(frozen=True)
class Passage:
    """One text the embedder sees: `part` is the window number within provision `provision_id` (from 0)."""

    provision_id: str
    part: int
    text: str

    @property
    def hash(self) -> str:
        """`content_hash` of the text: white space folded, as the model's tokenizer folds it."""
        return content_hash(self.text)


def _words(text: str) -> list[str]:
    return text.split()


def _contexts(provisions: Sequence[Provision], params: PassageParams, lead_in: bool = True) -> list[str]:
    by_id = {p.id: p for p in provisions}
    tiny = {p.id for p in provisions if len(_words(p.text)) < params.tiny_words}
    folded: dict[str, list[str]] = {}
    for p in provisions:  # document order, so children fold in order
        if p.id in tiny and p.parent_id in by_id and p.text.strip():
            folded.setdefault(p.parent_id, []).append(p.text.strip())
    out = []
    for p in provisions:
        parts = []
        kids = folded.get(p.id)
        if kids:
            words = _words(" ".join(kids))
            parts.append(" ".join(words[: params.fold_words]))
        parent = by_id.get(p.parent_id) if p.parent_id else None
        if lead_in and p.id in tiny and parent is not None:
            lead = " ".join(_words(parent.text)[-params.context_words :])
            parts.append("\n".join(x for x in (parent.title, lead) if x))
        out.append("\n".join(x for x in parts if x))
    return out


def provision_texts(provisions: Sequence[Provision], params: PassageParams | None = None) -> list[str]:
    """Each provision's full embedding text with its context (rules 2 and 3), aligned with `provisions`.

    `provisions` should be whole documents (parents and children together), as `Store.iter_provisions` gives.
    """
    params = params or PassageParams()
    return [p.embedding_text(ctx) for p, ctx in zip(provisions, _contexts(provisions, params))]


def lexical_texts(provisions: Sequence[Provision], params: PassageParams | None = None) -> list[str]:
    """Each provision's BM25 text: its embedding text with folded tiny children (rule 3) but without the
    parent's lead-in (rule 2). The index adds the citation's tokens (`crosswalk.index.lexical.citation_tokens`).

    The lead-in is left out because BM25 favours short documents: a list item carrying its parent's lead-in
    would outrank the parent itself on the lead-in's words.

    Example:
        >>> from crosswalk.ingest.models import Provision
        >>> lead = Provision("d:s.1", "d", "US", "s.1", "The following persons must register:")
        >>> item = Provision("d:s.1(a)", "d", "US", "s.1(a)", "(a) the issuer;", parent_id="d:s.1")
        >>> lexical_texts([lead, item])
        ['The following persons must register:\\n(a) the issuer;', '(a) the issuer;']
    """
    params = params or PassageParams()
    contexts = _contexts(provisions, params, lead_in=False)
    return [p.embedding_text(ctx) for p, ctx in zip(provisions, contexts)]


def windows(n_words: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """Word spans `[start, end)` covering `n_words` with windows of `size` sharing `overlap` words.

    The last window ends at `n_words` and is full-size (it may overlap its neighbour more).

    Example:
        >>> windows(10, 4, 1)
        [(0, 4), (3, 7), (6, 10)]
        >>> windows(3, 4, 1)
        [(0, 3)]
    """
    if n_words <= size:
        return [(0, n_words)]
    step = size - overlap
    spans = []
    start = 0
    while start + size < n_words:
        spans.append((start, start + size))
        start += step
    spans.append((n_words - size, n_words))
    return spans


def make_passages(provisions: Sequence[Provision], params: PassageParams | None = None) -> list[Passage]:
    """The passages of `provisions`, in order; provisions with nothing to embed have none.

    Example:
        >>> from crosswalk.ingest.models import Provision
        >>> long = Provision("d:s.2", "d", "UK", "s.2", " ".join(["word"] * 400), heading_path=("Part 1",))
        >>> [(p.part, len(p.text.split())) for p in make_passages([long])]
        [(0, 160), (1, 160), (2, 160), (3, 160)]
    """
    params = params or PassageParams()
    out: list[Passage] = []
    for p, ctx in zip(provisions, _contexts(provisions, params)):
        if params.heading_levels:
            p = replace(p, heading_path=p.heading_path[-params.heading_levels:])
        full = p.embedding_text(ctx)
        if not full.strip():
            continue
        if len(_words(full)) <= params.window_words:
            out.append(Passage(p.id, 0, full))
            continue
        header = replace(p, text="").embedding_text()
        body = _words("\n".join(x for x in (p.text, ctx) if x))
        size = max(params.window_words - len(_words(header)), params.window_words // 2)
        overlap = min(params.overlap_words, size // 2 - 1)
        for part, (a, b) in enumerate(windows(len(body), size, overlap)):
            text = " ".join(body[a:b])
            out.append(Passage(p.id, part, f"{header}\n{text}" if header else text))
    return out
