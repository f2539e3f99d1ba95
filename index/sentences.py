"""The explanation of a candidate pair: both texts cut into sentences (`split_sentences`), each sentence embedded
once per run (`SentenceEmbeddings` caches them, in memory and optionally on disk), and the pair with the highest
cosine (`best_sentence_pair`).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Protocol, Sequence

from crosswalk.errors import ConfigError
from crosswalk.files import atomic_path, atomic_write

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

MAX_SENTENCES = 60  # per provision, for the explanation; the first ones (a long provision's lead-in and rules)


# --- the explanation: best-aligned sentences ------------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    "u.s u.s.c c.f.r sec secs art arts no nos para paras reg regs e.g i.e etc cf s ss ch pp p inc ltd co corp "
    "v vs st mr ms dr jan feb mar apr jun jul aug sep sept oct nov dec fed stat pub l sch ibid al".split()
)
_BOUNDARY = re.compile(r"(?<=[.;:!?])\s+(?=[\"“‘'(]?[A-Z0-9(])|\s+(?=[•▪●◦] )")


def split_sentences(text: str, *, min_words: int = 4, max_words: int = 60) -> list[str]:
    """Sentences of a legal text: cut after `.`, `;`, `:` before a capital, digit or `(`, and before a bullet
    (`•`); abbreviations (`U.S.C.`, `sec.`, `e.g.`) are not ends. Fragments under `min_words` join their
    neighbour, and sentences over `max_words` are cut into pieces of at most that many words.

    >>> split_sentences("An issuer shall hold reserves. The reserves must be held at a bank under 31 U.S.C. 5318.")
    ['An issuer shall hold reserves.', 'The reserves must be held at a bank under 31 U.S.C. 5318.']
    >>> split_sentences("(a) A permitted issuer shall: (1) hold reserves backing them; (2) publish them monthly.")
    ['(a) A permitted issuer shall:', '(1) hold reserves backing them;', '(2) publish them monthly.']
    >>> split_sentences("It may be liable for: • negligence of its own staff • fraud by a third party")
    ['It may be liable for:', '• negligence of its own staff', '• fraud by a third party']
    >>> split_sentences("")
    []
    """
    flat = " ".join(text.split())
    if not flat:
        return []
    pieces: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(flat):
        before = flat[start : m.start()]
        last = before.rsplit(" ", 1)[-1].rstrip(".").lower()
        if before.endswith(".") and (last in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last)):
            continue
        pieces.append(before)
        start = m.end()
    pieces.append(flat[start:])
    merged: list[str] = []
    for piece in pieces:
        if merged and len(piece.split()) < min_words:
            merged[-1] = f"{merged[-1]} {piece}"
        elif merged and len(merged[-1].split()) < min_words:
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    out: list[str] = []
    for s in merged:
        words = s.split()
        for i in range(0, len(words), max_words):
            out.append(" ".join(words[i : i + max_words]))
    return out


class Encoder(Protocol):
    """Anything that embeds texts as L2-normalised rows: `crosswalk.index.embedder.Embedder` is one."""

    def encode(self, texts: Sequence[str]) -> "np.ndarray": ...


class SentenceEmbeddings:
    """Sentence embeddings, computed once per sentence: kept for the run, and on disk when given a folder.

    `prefetch` embeds many sentences in one batched call (what `match` does before explaining every pair);
    `of` returns the rows for some sentences, embedding only those not seen yet. With `cache_dir` (the CLI uses
    `workspace/index/sentences/`) the vectors are also kept in `sentences.npy` with `sentences.json` (the
    model's fingerprint and each row's text hash), so a second run embeds only new sentences. A cache made
    with another model, or unreadable, is set aside and rebuilt; it is never the only copy of anything.
    """

    NPY, META = "sentences.npy", "sentences.json"

    def __init__(self, encoder: Encoder, *, progress: bool = False, cache_dir: Path | str | None = None):
        self.encoder = encoder
        self.progress = progress
        self._cache: dict[str, "np.ndarray"] = {}
        self._stored: dict[str, "np.ndarray"] = {}  # by text hash, from disk
        spec = getattr(encoder, "spec", None)
        self._model = getattr(spec, "fingerprint", None)
        self.cache_dir = Path(cache_dir) if cache_dir is not None and self._model else None
        if self.cache_dir is not None:
            self._load()

    def __len__(self) -> int:
        return len(self._cache)

    @staticmethod
    def _key(sentence: str) -> str:
        return hashlib.sha256(sentence.encode("utf-8")).hexdigest()[:20]

    def _load(self) -> None:
        import numpy as np

        meta_path, npy_path = self.cache_dir / self.META, self.cache_dir / self.NPY
        if not meta_path.exists():
            return
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            matrix = np.load(npy_path, allow_pickle=False)
        except (OSError, ValueError) as e:
            log.warning("sentence cache %s unreadable (%s); it will be rebuilt", self.cache_dir, e)
            return
        hashes = meta.get("hashes", []) if isinstance(meta, dict) else []
        if meta.get("model") != self._model or matrix.ndim != 2 or len(hashes) != len(matrix):
            log.warning("sentence cache %s is for another model or incomplete; it will be rebuilt", self.cache_dir)
            return
        self._stored = dict(zip(hashes, np.asarray(matrix, dtype=np.float32)))

    def _save(self) -> None:
        import numpy as np

        hashes = sorted(self._stored)
        with atomic_path(self.cache_dir / self.NPY, suffix=".npy") as tmp:
            np.save(tmp, np.stack([self._stored[h] for h in hashes]), allow_pickle=False)
        meta = {"model": self._model, "rows": len(hashes), "hashes": hashes}
        atomic_write(self.cache_dir / self.META, json.dumps(meta))

    def prefetch(self, sentences: Iterable[str]) -> None:
        import numpy as np

        todo = []
        for sentence in sorted({s for s in sentences if s not in self._cache}):
            stored = self._stored.get(self._key(sentence))
            if stored is not None:
                self._cache[sentence] = stored
            else:
                todo.append(sentence)
        if not todo:
            return
        if self.progress and "progress" in inspect.signature(self.encoder.encode).parameters:
            vecs = self.encoder.encode(todo, progress=True, desc="sentences")  # type: ignore[call-arg]
        else:
            vecs = self.encoder.encode(todo)
        vecs = np.asarray(vecs, dtype=np.float32)
        if vecs.shape[0] != len(todo):
            raise ConfigError(f"the encoder returned {vecs.shape[0]} embeddings for {len(todo)} sentences")
        for sentence, v in zip(todo, vecs):
            self._cache[sentence] = v
            self._stored[self._key(sentence)] = v
        if self.cache_dir is not None:
            self._save()

    def of(self, sentences: Sequence[str]) -> "np.ndarray":
        import numpy as np

        self.prefetch(sentences)
        return np.stack([self._cache[s] for s in sentences]) if sentences else np.zeros((0, 0), np.float32)


@dataclass(frozen=True)
class Explanation:
    """The best-aligned sentence pair of two provisions and its cosine."""

    left: str
    right: str
    cosine: float

    def to_dict(self) -> dict:
        return {"left": self.left, "right": self.right, "cosine": self.cosine}


def best_sentence_pair(left_text: str, right_text: str, sentences: SentenceEmbeddings) -> Explanation | None:
    """The sentence of `left_text` and the sentence of `right_text` with the highest cosine; None if either
    has no sentence. Ties go to the earliest sentences."""
    import numpy as np

    a = split_sentences(left_text)[:MAX_SENTENCES]
    b = split_sentences(right_text)[:MAX_SENTENCES]
    if not a or not b:
        return None
    sims = sentences.of(a) @ sentences.of(b).T
    i, j = np.unravel_index(int(np.argmax(sims)), sims.shape)  # argmax: the first maximum, row-major
    return Explanation(a[i], b[j], round(float(sims[i, j]), 6))
