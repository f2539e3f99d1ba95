"""Vocabularies shared by every layer: how two provisions relate (OLIR) and why a reviewer says so.

They sit in the foundation so that review (which records decisions), evaluation (which scores against them)
and the app can all use them without importing one another.
"""

from __future__ import annotations

from enum import Enum
from typing import Callable, TypeVar

from crosswalk.errors import ConfigError

E = TypeVar("E", bound=Enum)


def parse_member(vocabulary: type[E], value: str, what: str, fold: Callable[[str], str] = str.lower) -> E:
    """The member of the enum `vocabulary` whose value is `value`, white space stripped and case folded (`fold`:
    lower case unless the values are upper case); a ConfigError naming `what` and the allowed values otherwise.
    Every documented vocabulary's `parse` reads its values this way.

    >>> parse_member(Rationale, " Semantic ", "rationale")
    <Rationale.SEMANTIC: 'semantic'>
    >>> parse_member(Rationale, "legal", "rationale")
    Traceback (most recent call last):
    ...
    crosswalk.errors.ConfigError: unknown rationale 'legal': use one of syntactic, semantic, functional
    """
    try:
        return vocabulary(fold(str(value).strip()))
    except ValueError:
        allowed = ", ".join(m.value for m in vocabulary)
        raise ConfigError(f"unknown {what} {value!r}: use one of {allowed}") from None


class Relationship(str, Enum):
    """How the left (focal) provision relates to the right (reference) one — NIST IR 8278A (OLIR) set theory
    relationships, as in OSCAL mapping, plus `unsure` for the reviewer's own queue.

    - ``equal``: the two provisions require the same thing.
    - ``subset-of``: the left provision is narrower: everything it requires, the right one requires too.
    - ``superset-of``: the left provision is broader.
    - ``intersects-with``: they overlap, each requiring something the other does not.
    - ``not-related``: no meaningful overlap.
    - ``unsure``: not decided yet; kept so the pair comes back.
    """

    EQUAL = "equal"
    SUBSET_OF = "subset-of"
    SUPERSET_OF = "superset-of"
    INTERSECTS_WITH = "intersects-with"
    NOT_RELATED = "not-related"
    UNSURE = "unsure"

    @property
    def is_counterpart(self) -> bool:
        """True for the relationships that make the right provision a counterpart of the left one."""
        return self in (Relationship.EQUAL, Relationship.SUBSET_OF, Relationship.SUPERSET_OF,
                        Relationship.INTERSECTS_WITH)

    @classmethod
    def parse(cls, value: str) -> "Relationship":
        """`Relationship.parse(" Equal ") is Relationship.EQUAL`; an unknown value names the allowed ones."""
        return parse_member(cls, value, "relationship")


# A decided pair's relevance on the qrels scale, for the gold pairs and the decisions exported as qrels: a
# counterpart answers (2), an overlap partly (1), the rest not (0); `unsure` has none (the pair is left out).
RELEVANCE = {"equal": 2, "subset-of": 2, "superset-of": 2, "intersects-with": 1, "not-related": 0}


class Rationale(str, Enum):
    """Why the reviewer sees the relationship (OLIR): the same words, the same meaning, or the same effect."""

    SYNTACTIC = "syntactic"
    SEMANTIC = "semantic"
    FUNCTIONAL = "functional"

    @classmethod
    def parse(cls, value: str) -> "Rationale":
        """`Rationale.parse("SEMANTIC") is Rationale.SEMANTIC`; an unknown value names the allowed ones."""
        return parse_member(cls, value, "rationale")
