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

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path

from crosswalk.errors import ConfigError

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


@dataclass(frozen=True)
class Lexicon:
    """The compiled topic lexicon: one regex whose named groups are phrases, and each phrase's topic weights."""

    pattern: re.Pattern
    weights: dict[str, tuple[tuple[str, float], ...]]  # group name -> ((topic slug, weight), ...)
    threshold: float
    relative: float
    heading_weight: float
    max_count: int


def phrase_regex(phrase: str) -> str:
    """The regex for one lexicon phrase: whole words, case folded by the caller, flexible joins, `*` endings.

    >>> phrase_regex("custod*")
    '(?<!\\\\w)custod\\\\w*'
    >>> bool(re.fullmatch(phrase_regex("anti-money laundering"), "anti money laundering"))
    True
    >>> bool(re.fullmatch(phrase_regex("e-money token*"), "emoney tokens"))
    True
    """
    phrase = phrase.strip()
    wildcard = phrase.endswith("*")
    words = re.split(r"[\s\-]+", phrase.rstrip("*").strip())
    body = r"[\s\-‐‑]?".join(re.escape(w) for w in words if w)
    tail = r"\w*" if wildcard else r"(?!\w)"
    return r"(?<!\w)" + body + tail


def load_lexicon(path: Path = TOPICS_FILE) -> Lexicon:
    """Read and compile the topic lexicon; a ConfigError names the file and what is wrong in it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: topic lexicon not found; restore it from the repository") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    topics = data.get("topics")
    if not isinstance(topics, dict):
        raise ConfigError(f"{path}: expected a 'topics' object mapping topic slugs to {{'terms': {{phrase: weight}}}}")
    unknown = sorted(set(topics) - set(_ORDER))
    missing = sorted(set(_ORDER) - set(topics))
    if unknown or missing:
        raise ConfigError(
            f"{path}: topics must be exactly the Topic slugs; unknown: {unknown or 'none'}, missing: {missing or 'none'}"
        )
    by_phrase: dict[str, list[tuple[str, float]]] = {}
    for slug in sorted(topics, key=_ORDER.__getitem__):
        terms = topics[slug].get("terms") if isinstance(topics[slug], dict) else None
        if not isinstance(terms, dict) or not terms:
            raise ConfigError(f"{path}: topic {slug!r} needs a non-empty 'terms' object of phrase: weight")
        for phrase, weight in terms.items():
            if not isinstance(weight, (int, float)) or weight <= 0 or not phrase.strip("* -"):
                raise ConfigError(f"{path}: topic {slug!r}, phrase {phrase!r}: weight must be a positive number")
            by_phrase.setdefault(phrase.strip().lower(), []).append((slug, float(weight)))
    # Longest phrases first, so that at one position "client money" wins over "client".
    phrases = sorted(by_phrase, key=lambda p: (-len(p), p))
    groups = {f"p{i}": p for i, p in enumerate(phrases)}
    pattern = re.compile("|".join(f"(?P<{g}>{phrase_regex(p)})" for g, p in groups.items()), re.IGNORECASE)
    weights = {g: tuple(by_phrase[p]) for g, p in groups.items()}
    try:
        return Lexicon(
            pattern=pattern,
            weights=weights,
            threshold=float(data.get("threshold", 3.0)),
            relative=float(data.get("relative", 0.0)),
            heading_weight=float(data.get("heading_weight", 1.0)),
            max_count=int(data.get("max_count", 3)),
        )
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{path}: threshold, relative, heading_weight and max_count must be numbers ({e})") from None


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The lexicon from `ingest/patterns/topics.json`, compiled once per process."""
    return load_lexicon()


def _phrase_counts(text: str, lex: Lexicon) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in lex.pattern.finditer(text):
        counts[m.lastgroup] = counts.get(m.lastgroup, 0) + 1
    return counts


def topic_scores(text: str, heading_path: Sequence[str] = ()) -> dict[str, float]:
    """Each topic's score for a text and its heading path (topics scoring 0 are left out).

    Score = sum of weight x min(count, max_count) over the phrases found in the text, plus
    heading_weight x weight for each phrase found in the heading path.

    >>> topic_scores("Suspicious activity reports", ("Money laundering",))
    {'aml': 9.0, 'disclosure': 1.0}
    """
    lex = lexicon()
    scores: dict[str, float] = {}
    for group, n in _phrase_counts(" ".join(text.split()), lex).items():
        for slug, weight in lex.weights[group]:
            scores[slug] = scores.get(slug, 0.0) + weight * min(n, lex.max_count)
    heading = " ".join(" ".join(heading_path).split())
    for group in _phrase_counts(heading, lex):
        for slug, weight in lex.weights[group]:
            scores[slug] = scores.get(slug, 0.0) + weight * lex.heading_weight
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


__all__ = ["Topic", "classify_topics", "topic_scores", "label", "load_lexicon", "phrase_regex"]
