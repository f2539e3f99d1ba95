"""Query expansion across jurisdictions: a US "payment stablecoin" is a UK "qualifying stablecoin" and an EU
"e-money token".

The equivalences are data, in `index/vocabulary.json`: groups of terms, each term listed under the jurisdiction
that uses it (US, UK, EU, INTL). A query that contains a term of a group gets the group's other terms added —
those of the jurisdictions searched, or every jurisdiction's when the search is not filtered by one. Terms match
on whole words, ignoring case and plurals (the S-stemmer of `crosswalk.index.lexical`); where terms overlap, the longest
wins ("permitted payment stablecoin issuer" is the issuer group, not also the stablecoin group). A group the
query already names in a searched jurisdiction's own words is left alone (`translate_only`).

The retrievers use it at query time only (`BM25Retriever(expand=True)`, see `crosswalk.index.retrievers`): the index is
not touched, so turning expansion on or off needs no `crosswalk index`.

Example:
    >>> expansions("payment stablecoin reserves", ["UK"])
    ['qualifying stablecoin', 'backing assets', 'backing asset pool']
    >>> expand("safeguarding client cryptoassets", ["EU"])
    'safeguarding client cryptoassets; crypto-asset; custody and administration; safekeeping; custody'
    >>> expand("custody of client assets", ["EU"])  # already in EU words: nothing to translate
    'custody of client assets'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from crosswalk.index.lexical import s_stem

from crosswalk.errors import ConfigError
from crosswalk.files import read_json

VOCABULARY_PATH = Path(__file__).with_name("vocabulary.json")
JURISDICTIONS = ("US", "UK", "EU", "INTL")

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-"})


def words(text: str) -> tuple[str, ...]:
    """The words terms are matched on: case folded, hyphenated words kept whole, plurals folded.

    Example:
        >>> words("Crypto-Assets held by Custodians")
        ('crypto-asset', 'held', 'by', 'custodian')
    """
    text = unicodedata.normalize("NFKC", text).translate(_HYPHENS).casefold()
    return tuple("-".join(s_stem(p) for p in w.split("-")) for w in _WORD.findall(text))


@dataclass(frozen=True)
class Group:
    """Equivalent terms: `terms` maps a jurisdiction to the terms it uses, as written in vocabulary.json."""

    name: str
    terms: dict[str, tuple[str, ...]]

    def all_terms(self) -> list[str]:
        out: list[str] = []
        for j in JURISDICTIONS:
            out.extend(t for t in self.terms.get(j, ()) if t not in out)
        return out

    def terms_for(self, jurisdictions: Sequence[str]) -> list[str]:
        """The group's terms used in `jurisdictions` (every jurisdiction's when none is given)."""
        if not jurisdictions:
            return self.all_terms()
        out: list[str] = []
        for j in jurisdictions:
            out.extend(t for t in self.terms.get(j.upper(), ()) if t not in out)
        return out


@lru_cache(maxsize=4)
def load_vocabulary(path: Path | str = VOCABULARY_PATH) -> tuple[Group, ...]:
    """The groups of `path` (index/vocabulary.json by default), read once; errors name the file and the group."""
    path = Path(path)
    data = read_json(path, "vocabulary file", "restore index/vocabulary.json")
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, list):
        raise ConfigError(f'{path}: expected an object with a "groups" list; see the "_about" notes in the file')
    out = []
    for n, g in enumerate(groups, start=1):
        name = g.get("name") if isinstance(g, dict) else None
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{path}: group {n} has no name; give each group a \"name\"")
        unknown = sorted(set(g) - {"name", *JURISDICTIONS})
        if unknown:
            raise ConfigError(f"{path}: group {name!r} has unknown key(s) {', '.join(unknown)}; "
                              f"use name and {', '.join(JURISDICTIONS)}")
        terms: dict[str, tuple[str, ...]] = {}
        for j in JURISDICTIONS:
            listed = g.get(j, [])
            if not isinstance(listed, list) or not all(isinstance(t, str) and words(t) for t in listed):
                raise ConfigError(f"{path}: group {name!r}, {j}: expected a list of terms (non-empty strings)")
            terms[j] = tuple(listed)
        if sum(len(t) for t in terms.values()) < 2:
            raise ConfigError(f"{path}: group {name!r} has fewer than two terms; a group needs something to add")
        out.append(Group(name, terms))
    return tuple(out)


@lru_cache(maxsize=8192)
def _term_words(term: str) -> tuple[str, ...]:
    """`words(term)`, kept: the vocabulary's terms are folded once, not once per query."""
    return words(term)


_BY_FIRST_WORD: dict[int, tuple[Sequence[Group], dict[str, list[tuple[int, int, tuple[str, ...]]]]]] = {}


def _by_first_word(vocab: Sequence[Group]) -> dict[str, list[tuple[int, int, tuple[str, ...]]]]:
    """Every term of `vocab` as `(group index, term index, words)`, listed under its first word (built once
    per vocabulary object)."""
    known = _BY_FIRST_WORD.get(id(vocab))
    if known is not None and known[0] is vocab:
        return known[1]
    table: dict[str, list[tuple[int, int, tuple[str, ...]]]] = {}
    for gi, g in enumerate(vocab):
        for ti, term in enumerate(g.all_terms()):
            tw = _term_words(term)
            if tw:
                table.setdefault(tw[0], []).append((gi, ti, tw))
    if len(_BY_FIRST_WORD) > 8:
        _BY_FIRST_WORD.clear()
    _BY_FIRST_WORD[id(vocab)] = (vocab, table)
    return table


class _Occurrences:
    """Where word sequences start in one query's words, found from an index of each word's positions.

    >>> _Occurrences(("the", "client", "asset", "of", "the", "client")).find(("the", "client"))
    [0, 4]
    """

    def __init__(self, seq: tuple[str, ...]):
        self.seq = seq
        self.at: dict[str, list[int]] = {}
        for i, w in enumerate(seq):
            self.at.setdefault(w, []).append(i)

    def find(self, sub: tuple[str, ...]) -> list[int]:
        n = len(sub)
        if not n:
            return []
        return [i for i in self.at.get(sub[0], ()) if self.seq[i : i + n] == sub]


def expansions(
    query: str, jurisdictions: Iterable[str] = (), vocabulary: Sequence[Group] | None = None,
    translate_only: bool = True,
) -> list[str]:
    """The terms to add to `query`: for each group the query names, its terms in `jurisdictions` (all when
    empty) that the query does not already contain. Groups in vocabulary order, each term once.

    With `translate_only` (the default), a group the query already names in a searched jurisdiction's own
    words adds nothing: the user is speaking that jurisdiction's language, and expanding only adds noise.

    Example:
        >>> expansions("safeguarding client cryptoassets", ["US"])
        ['digital asset', 'custody', 'custodian', 'custodial']
        >>> expansions("custody and reserve assets", ["US"])  # US words already
        []
        >>> expansions("the weather in Paris")
        []
    """
    vocab = load_vocabulary() if vocabulary is None else vocabulary
    jur = [j.upper() for j in jurisdictions]
    q = _Occurrences(words(query))
    # every occurrence of every term, then the longest first where they overlap
    found = []
    table = _by_first_word(vocab)
    for first in q.at:
        for gi, ti, tw in table.get(first, ()):
            found.extend((len(tw), start, gi, ti) for start in q.find(tw))
    taken: set[int] = set()
    groups: set[int] = set()
    for length, start, gi, _ in sorted(found, key=lambda f: (-f[0], f[1], f[2], f[3])):
        span = set(range(start, start + length))
        if span & taken:
            continue
        taken |= span
        groups.add(gi)
    # groups the query already names in a searched jurisdiction's own words (checked once per group)
    native = {gi for gi in groups if jur and any(q.find(_term_words(t)) for t in vocab[gi].terms_for(jur))}
    out: list[str] = []
    for gi in sorted(groups - native if translate_only else groups):
        for term in vocab[gi].terms_for(jur):
            if term not in out and not q.find(_term_words(term)):
                out.append(term)
    return out


def expand(query: str, jurisdictions: Iterable[str] = (), vocabulary: Sequence[Group] | None = None) -> str:
    """`query` with its `expansions` appended (separated by "; "), or `query` itself when there are none.

    Example:
        >>> expand("own funds for issuers", ["US"])
        'own funds for issuers; capital requirements; capital'
    """
    extra = expansions(query, jurisdictions, vocabulary)
    return "; ".join([query, *extra]) if extra else query
