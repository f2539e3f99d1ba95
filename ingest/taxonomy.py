"""The topic taxonomy shared by every jurisdiction, and the classifier that assigns topics to a provision.

Topics are multi-label: a provision may have none, one or several. The classifier is a weighted phrase
lexicon (`ingest/patterns/topics.json`, data rather than code) scored over the provision's text and its
heading path, with an absolute and a relative threshold. It is deterministic and needs no model:

    >>> classify_topics("The issuer shall hold reserve assets of at least equal value and redeem at par.")
    ('stablecoin',)
    >>> classify_topics("A firm must safeguard qualifying cryptoassets it holds for clients.",
    ...                 ("CASS 17 Cryptoasset custody",))
    ('custody',)
    >>> classify_topics("")
    ()
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path

from crosswalk.errors import ConfigError
from crosswalk.files import read_json

PATTERNS_DIR = Path(__file__).with_name("patterns")
TOPICS_FILE = PATTERNS_DIR / "topics.json"


class Topic(str, Enum):
    """One subject area of crypto regulation; the value is the slug stored on provisions.

    - ``licensing``: authorisation & licensing (permissions, registration, who may carry on an activity).
    - ``custody``: custody & safeguarding of client assets (segregation, reconciliation, private keys, trusts).
    - ``aml``: AML/CFT & sanctions (due diligence, suspicious activity reports, travel rule, sanctions screening).
    - ``cyber``: cybersecurity & operational resilience (ICT risk, incidents, outsourcing, business continuity).
    - ``stablecoin``: stablecoin issuance & reserves (backing assets, redemption at par, minting and burning).
    - ``disclosure``: disclosure & reporting (white papers, public disclosures, attestations, regulatory returns).
    - ``consumer``: consumer protection & marketing (financial promotions, fair treatment, Consumer Duty).
    - ``governance``: governance & risk management (management body, systems and controls, conflicts of interest).
    - ``prudential``: capital & prudential (own funds, liquidity, capital requirements, wind-down).
    - ``market-integrity``: market integrity & abuse (insider dealing, manipulation, orderly markets).
    - ``complaints``: complaints & redress (complaint handling, ombudsman, compensation, liability).
    - ``definitions``: definitions & scope (defined terms, interpretation, who and what a text applies to).
    """

    LICENSING = "licensing"
    CUSTODY = "custody"
    AML = "aml"
    CYBER = "cyber"
    STABLECOIN = "stablecoin"
    DISCLOSURE = "disclosure"
    CONSUMER = "consumer"
    GOVERNANCE = "governance"
    PRUDENTIAL = "prudential"
    MARKET_INTEGRITY = "market-integrity"
    COMPLAINTS = "complaints"
    DEFINITIONS = "definitions"

    @property
    def label(self) -> str:
        """The human label: `Topic.AML.label == "AML/CFT & sanctions"`."""
        return _LABELS[self]

    @classmethod
    def parse(cls, value: str) -> "Topic":
        """`Topic.parse("AML") is Topic.AML`; also accepts the label. An unknown value names the allowed slugs."""
        key = str(value).strip().lower()
        for topic in cls:
            if key in (topic.value, topic.label.lower()):
                return topic
        allowed = ", ".join(t.value for t in cls)
        raise ConfigError(f"unknown topic {value!r}: use one of {allowed}")


_LABELS = {
    Topic.LICENSING: "Authorisation & licensing",
    Topic.CUSTODY: "Custody & safeguarding of client assets",
    Topic.AML: "AML/CFT & sanctions",
    Topic.CYBER: "Cybersecurity & operational resilience",
    Topic.STABLECOIN: "Stablecoin issuance & reserves",
    Topic.DISCLOSURE: "Disclosure & reporting",
    Topic.CONSUMER: "Consumer protection & marketing",
    Topic.GOVERNANCE: "Governance & risk management",
    Topic.PRUDENTIAL: "Capital & prudential",
    Topic.MARKET_INTEGRITY: "Market integrity & abuse",
    Topic.COMPLAINTS: "Complaints & redress",
    Topic.DEFINITIONS: "Definitions & scope",
}

_ORDER = {topic.value: i for i, topic in enumerate(Topic)}


Phrase = tuple[tuple[str, ...], bool]  # (lower-case words, whether the last word is a prefix)


@dataclass(frozen=True)
class Lexicon:
    """The compiled topic lexicon: phrases indexed by their first word, and each phrase's topic weights."""

    by_first: dict[str, tuple[Phrase, ...]]  # first word -> phrases starting with it
    by_prefix: dict[str, tuple[Phrase, ...]]  # prefix -> one-word prefix phrases ("custod*")
    prefix_lengths: tuple[int, ...]
    weights: dict[Phrase, tuple[tuple[str, float], ...]]  # phrase -> ((topic slug, weight), ...)
    cues: tuple[tuple[str, re.Pattern, float], ...]  # (topic slug, regex, weight): shapes words cannot catch
    threshold: float
    relative: float
    heading_weight: float
    heading_decay: float
    max_count: int


WORD = re.compile(r"\w+")


def phrase_words(phrase: str) -> Phrase:
    """A lexicon phrase as lower-case words, and whether its last word is a prefix (a final `*`).

    Words are runs of letters and digits, so a hyphen, a slash or a space joins words alike.

    >>> phrase_words("Anti-money laundering")
    (('anti', 'money', 'laundering'), False)
    >>> phrase_words("custod*")
    (('custod',), True)
    """
    return tuple(WORD.findall(phrase.lower())), phrase.strip().endswith("*")


def load_lexicon(path: Path = TOPICS_FILE) -> Lexicon:
    """Read and compile the topic lexicon; a ConfigError names the file and what is wrong in it."""
    data = read_json(path, "topic lexicon", "restore it from the repository")
    topics = data.get("topics")
    if not isinstance(topics, dict):
        raise ConfigError(f"{path}: expected a 'topics' object mapping topic slugs to {{'terms': {{phrase: weight}}}}")
    unknown = sorted(set(topics) - set(_ORDER))
    missing = sorted(set(_ORDER) - set(topics))
    if unknown or missing:
        raise ConfigError(
            f"{path}: topics must be exactly the Topic slugs; "
            f"unknown: {unknown or 'none'}, missing: {missing or 'none'}"
        )
    weights: dict[Phrase, list[tuple[str, float]]] = {}
    for slug in sorted(topics, key=_ORDER.__getitem__):
        terms = topics[slug].get("terms") if isinstance(topics[slug], dict) else None
        if not isinstance(terms, dict) or not terms:
            raise ConfigError(f"{path}: topic {slug!r} needs a non-empty 'terms' object of phrase: weight")
        for text, weight in terms.items():
            phrase = phrase_words(text)
            if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight <= 0 or not phrase[0]:
                raise ConfigError(f"{path}: topic {slug!r}, phrase {text!r}: needs words and a positive weight")
            weights.setdefault(phrase, []).append((slug, float(weight)))
    cues = []
    for slug, entries in (data.get("cues") or {}).items():
        if slug not in _ORDER:
            raise ConfigError(f"{path}: cues for unknown topic {slug!r}; use one of {', '.join(_ORDER)}")
        for entry in entries:
            try:
                cues.append((slug, re.compile(entry["regex"]), float(entry["weight"])))
            except (KeyError, TypeError, ValueError, re.error) as e:
                raise ConfigError(
                    f"{path}: cue {entry!r} of topic {slug!r} needs a valid 'regex' and a 'weight' ({e})"
                ) from None
    by_first: dict[str, list[Phrase]] = {}
    by_prefix: dict[str, list[Phrase]] = {}
    for phrase in sorted(weights):
        words, wildcard = phrase
        if wildcard and len(words) == 1:
            by_prefix.setdefault(words[0], []).append(phrase)
        else:
            by_first.setdefault(words[0], []).append(phrase)
    try:
        return Lexicon(
            by_first={k: tuple(v) for k, v in by_first.items()},
            by_prefix={k: tuple(v) for k, v in by_prefix.items()},
            prefix_lengths=tuple(sorted({len(k) for k in by_prefix})),
            weights={k: tuple(v) for k, v in weights.items()},
            cues=tuple(cues),
            threshold=float(data.get("threshold", 3.0)),
            relative=float(data.get("relative", 0.0)),
            heading_weight=float(data.get("heading_weight", 1.0)),
            heading_decay=float(data.get("heading_decay", 1.0)),
            max_count=int(data.get("max_count", 3)),
        )
    except (TypeError, ValueError) as e:
        raise ConfigError(
            f"{path}: threshold, relative, heading_weight, heading_decay and max_count must be numbers ({e})"
        ) from None


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The lexicon from `ingest/patterns/topics.json`, compiled once per process."""
    return load_lexicon()


def _matches_at(words: list[str], i: int, phrase: Phrase) -> bool:
    body, wildcard = phrase
    n = len(body)
    if i + n > len(words):
        return False
    if wildcard:
        return words[i : i + n - 1] == list(body[:-1]) and words[i + n - 1].startswith(body[-1])
    return words[i : i + n] == list(body)


def phrase_counts(text: str, lex: Lexicon | None = None) -> dict[Phrase, int]:
    """How often each lexicon phrase occurs in `text`; at each word the longest phrase wins and its words
    are not counted again ("client money" is not also "money")."""
    lex = lex or lexicon()
    words = WORD.findall(text.lower())
    counts: dict[Phrase, int] = {}
    i, n = 0, len(words)
    while i < n:
        w = words[i]
        candidates = list(lex.by_first.get(w, ()))
        for k in lex.prefix_lengths:
            if k > len(w):
                break
            candidates.extend(lex.by_prefix.get(w[:k], ()))
        best = None
        for phrase in candidates:
            if (best is None or len(phrase[0]) > len(best[0])) and _matches_at(words, i, phrase):
                best = phrase
        if best is None:
            i += 1
            continue
        counts[best] = counts.get(best, 0) + 1
        i += len(best[0])
    return counts


def topic_scores(text: str, heading_path: Sequence[str] = ()) -> dict[str, float]:
    """Each topic's score for a text and its heading path (topics scoring 0 are left out), in taxonomy order.

    Score = sum of weight x min(count, max_count) over the phrases found in the text, plus, for each phrase
    found in the heading path, weight x heading_weight x heading_decay ** d, where d is the distance of the
    nearest heading holding it (0 for the unit's own heading, 1 for its parent's, …), plus the weight of
    each cue (a regex for a shape such as a quoted term followed by "means") found in the text.

    >>> topic_scores("Suspicious activity reports", ("Money laundering",))
    {'aml': 9.0, 'disclosure': 1.0}
    """
    lex = lexicon()
    scores: dict[str, float] = {}
    for phrase, n in phrase_counts(text, lex).items():
        for slug, weight in lex.weights[phrase]:
            scores[slug] = scores.get(slug, 0.0) + weight * min(n, lex.max_count)
    for slug, regex, weight in lex.cues:
        if regex.search(text):
            scores[slug] = scores.get(slug, 0.0) + weight
    heading_factor: dict[Phrase, float] = {}
    for distance, heading in enumerate(reversed(tuple(heading_path))):
        factor = lex.heading_weight * lex.heading_decay**distance
        for phrase in phrase_counts(heading, lex):
            heading_factor[phrase] = max(heading_factor.get(phrase, 0.0), factor)
    for phrase, factor in heading_factor.items():
        for slug, weight in lex.weights[phrase]:
            scores[slug] = scores.get(slug, 0.0) + weight * factor
    return {slug: round(score, 6) for slug, score in sorted(scores.items(), key=lambda kv: _ORDER[kv[0]])}


def classify_topics(text: str, heading_path: Sequence[str] = ()) -> tuple[str, ...]:
    """The topic slugs of a provision, best first (ties in taxonomy order); possibly none.

    A topic is kept when its score (see `topic_scores`) reaches the lexicon's threshold and is at least
    `relative` times the best topic's score, so a long text that mentions everything in passing keeps only
    its main subjects.

    >>> classify_topics("The term 'digital asset' means any digital representation of value.", ("Definitions",))
    ('definitions',)
    >>> classify_topics("A covered person must file a suspicious activity report with FinCEN within 30 days.")
    ('aml',)
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if isinstance(heading_path, str):
        raise TypeError("heading_path must be a sequence of headings, not one string: pass (heading,)")
    lex = lexicon()
    scores = topic_scores(text, heading_path)
    if not scores:
        return ()
    best = max(scores.values())
    floor = max(lex.threshold, lex.relative * best)
    kept = [slug for slug, score in scores.items() if score >= floor - 1e-9]
    return tuple(sorted(kept, key=lambda s: (-scores[s], _ORDER[s])))


def label(slug: str) -> str:
    """The human label of a topic slug: `label("custody") == "Custody & safeguarding of client assets"`."""
    return Topic.parse(slug).label


__all__ = ["Topic", "classify_topics", "topic_scores", "phrase_counts", "phrase_words", "label", "load_lexicon"]
