"""Lexical search: BM25 (bm25s) over provisions, with a tokenizer that keeps legal tokens whole.

One BM25 document per provision: its citation (`citation_tokens`: whole forms only, so "5318(h)" finds the
unit cited 5318(h) rather than each of its children), then the text the embedder sees, unwindowed (heading
path, title, own text and folded context; see `crosswalk.index.passages.lexical_texts`). The index is saved with bm25s' own
`save()` — `.npy` arrays and JSON, never pickles — in `index/bm25/`; document `i` is provision `ids.json[i]`.

The tokenizer (`tokenize`), used for both documents and queries so the two always agree:

1. Unicode NFKC, hyphen look-alikes (U+2010, U+2011) to `-`, case folded.
2. Tokens are runs of letters and digits joined by `.` or `-` (and `/` or `,` between digits), followed by
   any parenthesised labels: `200.9`, `14a`, `5318(h)(1)`, `1010.100`, `16.2.13r`, `e-money`, `2023/1114`.
   Thousands separators are dropped (`1,000` → `1000`).
3. A citation token also yields its shorter forms, so a query for the section finds its subsections:
   `5318(h)(1)` → `5318(h)(1)`, `5318(h)`, `5318`; an FCA rule `16.2.13r` → `16.2.13r`, `16.2.13`; and a
   citation with a short prefix yields the forms without it, so "section 4(a)" meets `sec.4(a)`:
   `sec.4(a)` → `sec.4(a)`, `sec.4`, `4(a)`, `4`.
4. A hyphenated word yields itself, its parts joined and its alphabetic parts: `crypto-assets` →
   `crypto-asset`, `cryptoasset`, `crypto`, `asset` (so UK "cryptoassets" meets EU "crypto-assets").
5. Stop words (Lucene's 33 English stop words, bm25s' `STOPWORDS_EN`) and one-letter words are dropped;
   legal modals (shall, must, may) are kept.
6. Stemming of alphabetic words with the Snowball English stemmer (Porter2, via PyStemmer, as bm25s
   recommends). It never touches tokens with digits, so citations stay exact. "registering", "registered" and
   "registers" meet (`regist`), as do "redeems" and "redeemed"; the price is that "regulated" and "regulation"
   also meet. Measured on the dev half of the gold (`evaluation/gold`), BM25 alone: nDCG@10 0.713 and Recall@10
   0.741 with Snowball against 0.684 and 0.691 with Harman's S-stemmer ("How effective is suffixing?", JASIS
   1991; plurals only), which `s_stem` still provides for `crosswalk.index.expansion`'s phrase matching. The stemmer's
   version is saved with the index (`tokenizer_version`).

Example:
    >>> tokenize("Section 5318(h) of the e-money rules in CASS 16.2.13R")
    ['section', '5318(h)', '5318', 'e-money', 'emoney', 'money', 'rule', 'cass', '16.2.13r', '16.2.13']
    >>> tokenize("registering redeemed policies")
    ['regist', 'redeem', 'polici']
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from crosswalk.errors import IndexStateError

TOKENIZER_VERSION = "legal-3"  # legal-3: Snowball stemming, compounds stemmed whole (legal-1: plurals only)


@lru_cache(maxsize=1)
def tokenizer_version() -> str:
    """The tokenizer's version with the stemmer's (`legal-3+pystemmer-3.1.0`), saved with a BM25 index: a
    PyStemmer release that stems differently makes the saved index stale, and it is rebuilt, not misread."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{TOKENIZER_VERSION}+pystemmer-{version('PyStemmer')}"
    except PackageNotFoundError:
        raise IndexStateError("the BM25 tokenizer needs PyStemmer: pip install PyStemmer") from None

# Lucene's English stop set, the same 33 words as bm25s.stopwords.STOPWORDS_EN (a test checks it).
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there "
    "these they this to was will with".split()
)

TOKEN_RE = re.compile(r"[^\W_]+(?:(?:[.\-]|(?<=\d)[/,](?=\d))[^\W_]+)*(?:\([^\W_]{1,8}\))*")
_FCA_RULE = re.compile(r"\d+(?:\.\d+)+[a-z]")
_PREFIXED = re.compile(r"[^\W\d_]{1,8}\.(\d.*)")  # sec.4(a), s.21(1), reg.14a, art.36, para.3.70
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-"})


def s_stem(word: str) -> str:
    """Harman's S-stemmer, as Lucene's EnglishMinimalStemmer: fold English plurals only.

    Example:
        >>> [s_stem(w) for w in ("policies", "issuers", "cases", "status", "cass", "agrees", "rules")]
        ['policy', 'issuer', 'case', 'status', 'cass', 'agrees', 'rule']
    """
    if len(word) <= 3 or not word.isalpha() or not word.endswith("s") or word.endswith(("us", "ss")):
        return word
    if word.endswith("ies"):
        return word if word.endswith(("aies", "eies")) else word[:-3] + "y"
    if word.endswith(("aes", "ees", "oes")):
        return word
    return word[:-1]


@lru_cache(maxsize=1)
def _snowball():
    try:
        import Stemmer
    except ImportError:
        raise IndexStateError("the BM25 tokenizer needs PyStemmer: pip install PyStemmer") from None
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball English stem of an alphabetic `word`; other tokens are returned as given.

    Example:
        >>> [stem(w) for w in ("registering", "registered", "custodians", "cass", "14a", "e-money")]
        ['regist', 'regist', 'custodian', 'cass', '14a', 'e-money']
    """
    if not word.isalpha():
        return word
    return _snowball().stemWord(word)


def _word(w: str) -> str | None:
    """A plain word after stop-word removal and stemming, or None when it is dropped."""
    if w in STOPWORDS or (len(w) == 1 and not w.isdigit()):
        return None
    return stem(w)


def _expand(tok: str) -> list[str]:
    tok = tok.replace(",", "")
    if "(" in tok:
        base = tok[: tok.index("(")]
        out = [tok]
        cut = tok.rfind("(")
        while cut > len(base):
            out.append(tok[:cut])
            cut = tok.rfind("(", 0, cut)
        out.append(stem(base))  # "service(s)" meets "services"
        return [t for t in out if t and (len(t) > 1 or t.isdigit())]
    if _FCA_RULE.fullmatch(tok):
        return [tok, tok[:-1]]
    if "-" in tok:
        parts = [p for p in tok.split("-") if p]
        # the compound as written (last part stemmed), the closed form stemmed whole — so "stable-coins" meets
        # "stablecoins" and "cross-border" meets "crossborder" — then each word
        out = ["-".join([*parts[:-1], stem(parts[-1])])]
        if any(p.isalpha() for p in parts):
            out.append(stem("".join(parts)))
            out.extend(stem(p) for p in parts if p.isalpha() and _word(p) is not None)
        return out
    w = _word(tok)
    return [w] if w else []


def tokenize(text: str) -> list[str]:
    """The BM25 tokens of `text`, in order (see the module docstring for the rules).

    Example:
        >>> tokenize("31 CFR 1010.100 and reg. 14A; £1,000")
        ['31', 'cfr', '1010.100', 'reg', '14a', '1000']
        >>> tokenize("s.21(1)")
        ['s.21(1)', 's.21', '21(1)', '21']
    """
    text = unicodedata.normalize("NFKC", text).translate(_HYPHENS).casefold()
    out: list[str] = []
    for m in TOKEN_RE.finditer(text):
        tok = m.group()
        out.extend(_expand(tok))
        prefixed = _PREFIXED.fullmatch(tok)
        if prefixed:
            out.extend(_expand(prefixed.group(1)))
    return out


def citation_tokens(citation: str) -> list[str]:
    """The tokens a provision's display citation adds to its BM25 document: each token's whole form only
    (plus an FCA rule without its letter, and a prefixed citation without its prefix).

    Example:
        >>> citation_tokens("5318(h)(2)"), citation_tokens("CASS 16.2.13R"), citation_tokens("sec.4(a)(11)")
        (['5318(h)(2)'], ['cass', '16.2.13r', '16.2.13'], ['sec.4(a)(11)', '4(a)(11)'])
    """
    text = unicodedata.normalize("NFKC", citation).translate(_HYPHENS).casefold()
    out: list[str] = []
    for m in TOKEN_RE.finditer(text):
        tok = m.group()
        forms = _expand(tok)
        out.extend(forms[:2] if _FCA_RULE.fullmatch(tok) else forms[:1])
        prefixed = _PREFIXED.fullmatch(tok)
        if prefixed:
            out.extend(_expand(prefixed.group(1))[:1])
    return out


def _bm25s():
    """bm25s, imported on first use, with its logger quietened (bm25s sets it to DEBUG at import, which
    prints "Building index from tokens" under any handler)."""
    import logging

    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


class LexicalIndex:
    """A bm25s BM25 index over provisions (document `i` is the `i`-th provision of the index's `ids.json`).

    Example:
        >>> lex = LexicalIndex.build(["custody of client assets", "stablecoin reserve assets"])
        >>> [(doc, round(score, 3)) for doc, score in lex.search(tokenize("reserve"), k=5)]
        [(1, 0.277)]
    """

    def __init__(self, bm25, n_docs: int):
        self.bm25 = bm25
        self.n_docs = n_docs

    @classmethod
    def build(
        cls, texts: Sequence[str], *, k1: float = 1.5, b: float = 0.75, method: str = "lucene",
        progress: bool = False,
    ) -> "LexicalIndex":
        return cls.from_tokens([tokenize(t) for t in texts], k1=k1, b=b, method=method, progress=progress)

    @classmethod
    def from_tokens(
        cls, corpus_tokens: Sequence[list[str]], *, k1: float = 1.5, b: float = 0.75, method: str = "lucene",
        progress: bool = False,
    ) -> "LexicalIndex":
        bm25s = _bm25s()
        if not corpus_tokens:
            raise IndexStateError("cannot build a BM25 index over no provisions: run `crosswalk ingest` first")
        bm25 = bm25s.BM25(k1=k1, b=b, method=method)
        bm25.index([list(t) for t in corpus_tokens], show_progress=progress)
        return cls(bm25, len(corpus_tokens))

    def params(self) -> dict:
        return {"k1": self.bm25.k1, "b": self.bm25.b, "method": self.bm25.method, "docs": self.n_docs}

    def scores(self, query_tokens: Sequence[str], mask=None):
        """BM25 score of every document for `query_tokens`; documents outside `mask` (bool array) score 0."""
        import numpy as np

        known = [t for t in query_tokens if t in self.bm25.vocab_dict]
        if not known:
            return np.zeros(self.n_docs, dtype=np.float32)
        weight = None if mask is None else np.asarray(mask, dtype=np.float32)
        return self.bm25.get_scores(known, weight_mask=weight)

    def doc_freq(self, token: str) -> int:
        """How many documents hold `token` (0 for a token the index has never seen)."""
        col = self.bm25.vocab_dict.get(token)
        if col is None:
            return 0
        indptr = self.bm25.scores["indptr"]
        return int(indptr[col + 1] - indptr[col])

    def key_terms(self, tokens: Sequence[str], n: int) -> list[str]:
        """The `n` tokens of `tokens` that say most about the text they come from: each distinct token weighed
        `(1 + ln tf) · ln(N / (1 + df))` (tf in `tokens`, df in the index), highest first, ties in order of
        first occurrence; tokens the index has never seen are left out.

        This is how `like` turns a whole provision into a query: its first few hundred tokens are mostly words
        every provision shares ("shall", "issuer", "ensure"), so BM25 matches on boilerplate; its key terms
        are what makes it about rehypothecation or redemption fees. On the dev half of the gold pairs, 30 key
        terms of the provision and its descendants gave Recall@10 0.544 against 0.426 for the first 256
        tokens of the provision alone.

        Example:
            >>> lex = LexicalIndex.build(["custody of client assets", "client money", "client assets rules"])
            >>> lex.key_terms(tokenize("client custody custody assets unknown"), 2)
            ['custodi', 'asset']
        """
        import math

        tf: dict[str, int] = {}
        for t in tokens:
            tf[t] = tf.get(t, 0) + 1
        weighed = []
        for order, (t, count) in enumerate(tf.items()):
            df = self.doc_freq(t)
            if df:
                weighed.append((-(1 + math.log(count)) * math.log(self.n_docs / (1 + df)), order, t))
        return [t for _, _, t in sorted(weighed)[: max(0, n)]]

    def search(
        self, query_tokens: Sequence[str], k: int, mask=None, extra_tokens: Sequence[str] = (),
        extra_weight: float = 1.0,
    ) -> list[tuple[int, float]]:
        """The `k` best `(document number, score)` pairs with a score above 0, best first.

        Documents that share no token with the query are not returned (their score is 0). Ties are broken by
        document number, i.e. document order. `extra_tokens` (query expansion, see `crosswalk.index.expansion`) add their
        own BM25 score times `extra_weight`, so added terms count for less than the words the user typed.
        """
        import numpy as np

        s = self.scores(query_tokens, mask)
        if extra_tokens and extra_weight > 0:
            s = s + np.float32(extra_weight) * self.scores(extra_tokens, mask)
        cand = np.flatnonzero(s > 0)
        if len(cand) > k:
            part = np.argpartition(-s[cand], k - 1)[:k]
            kth = s[cand[part]].min()
            cand = np.flatnonzero(s >= kth)  # keep every document tied with the k-th, then cut after sorting
        order = cand[np.lexsort((cand, -s[cand]))][:k]
        return [(int(i), float(s[i])) for i in order]

    def save(self, directory: Path) -> None:
        self.bm25.save(str(directory), show_progress=False)
        (Path(directory) / "crosswalk.json").write_text(
            json.dumps({"tokenizer": tokenizer_version(), **self.params()}, indent=2) + "\n"
        )

    @classmethod
    def load(cls, directory: Path) -> "LexicalIndex":
        bm25s = _bm25s()
        directory = Path(directory)
        try:
            meta = json.loads((directory / "crosswalk.json").read_text())
            bm25 = bm25s.BM25.load(str(directory), mmap=False, show_progress=False)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise IndexStateError(
                f"the BM25 index in {directory} is missing or corrupt ({type(e).__name__}: {e}); "
                "run `crosswalk index` to rebuild it"
            ) from None
        if meta.get("tokenizer") != tokenizer_version():
            raise IndexStateError(
                f"the BM25 index in {directory} was built with tokenizer {meta.get('tokenizer')!r}, this "
                f"Crosswalk uses {tokenizer_version()!r}: run `crosswalk index` to rebuild it"
            )
        n = int(bm25.scores["num_docs"])
        if n != meta.get("docs"):
            raise IndexStateError(
                f"the BM25 index in {directory} holds {n} documents, its crosswalk.json says {meta.get('docs')}: "
                "run `crosswalk index` to rebuild it"
            )
        return cls(bm25, n)
