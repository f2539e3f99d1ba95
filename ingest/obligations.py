"""Obligations: the modal matcher and its rules (data in `ingest/patterns/obligations.json`, `load_obligations`),
and each modal's detail `"{modal}|{bearer}"` from the dependency parse (`obligation_detail`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crosswalk.errors import ConfigError
from crosswalk.ingest.pattern_files import PATTERNS_DIR, read_json

if TYPE_CHECKING:  # spaCy is imported lazily
    from spacy.language import Language
    from spacy.tokens import Span, Token


@dataclass(frozen=True)
class ObligationRules:
    """The contents of patterns/obligations.json: modal names by match key, and what is not a duty."""

    modals: dict[int, str]
    not_verbs: frozenset[str]
    verb_objects: dict[str, frozenset[str]]
    relative_pronouns: frozenset[str]


def load_obligations(nlp: "Language", path: Path = PATTERNS_DIR / "obligations.json") -> tuple[Any, ObligationRules]:
    from spacy.matcher import Matcher

    data = read_json(path)
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
