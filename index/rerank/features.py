"""Features of a (query, candidate) pair for the ranker: first stage, late interaction, hierarchy, structure.

Every feature is a float; NaN means "does not apply" (LightGBM treats it as missing), e.g. mutual rank for a
text query. `FEATURES` lists them in the order of the matrix `pool_features` returns:

- first stage: `bm25_rel` (BM25 score / the pool's best, 0 when BM25 did not return it), `bm25_rrank`,
  `dense_rrank`, `hybrid_rrank` (1/rank, 0 when absent), `hybrid_rel`;
- `cosine` (best passage cosine of the query and the candidate, computed for every candidate from the stored
  vectors) and `cosine_gap` (minus the pool's best);
- `maxsim`: late interaction over the embedding model's static word-piece vectors (`maxsim`; query pieces
  against candidate pieces);
- `term_coverage`: share of the query's distinct BM25 terms (a provision's key terms for `like`) the candidate
  holds; `vocab_coverage`: the same for the vocabulary map's translations (`crosswalk.index.expansion`), NaN when none;
- hierarchy: `parent_cosine` and `grandparent_cosine`: the query (or, for `like`, the query provision's own
  parent) against the candidate's enclosing units, so matching is section to section as well as unit to unit;
- structure of the candidate (`structure`): operative rule, guidance, evidential provision, definition, recital,
  consultation question, heading, article or section, binding document (statute, regulation, rulebook) or
  consultation/report/policy paper; depth, own words (log), children (log);
- voice: `modal` (the text imposes something: must, shall, may not, is required to) and `first_person` (the
  regulator speaking — we, our — as discussion and consultation paragraphs do);
- `like` only: `mutual_rrank` (1/rank of the query provision among its jurisdiction's provisions by centroid
  cosine to the candidate), `shared_terms` (defined terms and entities in common,
  `crosswalk.index.match_terms.shared_terms`), `topic_jaccard`, `left_rule`, `left_binding`; and `is_like`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from crosswalk.index.lexical import tokenize

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.index.rerank.pool import Pool
    from crosswalk.index.retrievers import Searcher

NAN = float("nan")
LIKE_TERMS = 30  # key terms of a provision, as BM25's `like` queries with
BINDING_DOC_TYPES = frozenset({"statute", "regulation", "rulebook"})
PAPER_DOC_TYPES = frozenset({"consultation", "policy_statement", "report", "discussion"})
HEADING_KINDS = frozenset({"chapter", "part", "title", "subtitle", "division", "subdivision", "subchapter",
                           "subpart", "heading", "annex", "appendix", "schedule", "preamble"})
STRUCTURE = ("kind_rule", "kind_guidance", "kind_evidential", "kind_definition", "kind_recital", "kind_question",
             "kind_heading", "kind_article", "doc_binding", "doc_paper", "depth", "log_words", "log_children")
FEATURES = ("bm25_rel", "bm25_rrank", "dense_rrank", "hybrid_rrank", "hybrid_rel", "cosine", "cosine_gap",
            "maxsim", "term_coverage", "vocab_coverage", "parent_cosine", "grandparent_cosine", *STRUCTURE,
            "modal", "first_person",
            "mutual_rrank", "shared_terms", "topic_jaccard", "left_rule", "left_binding", "is_like")
DEFAULT_FEATURES = FEATURES  # what `learn` uses unless told otherwise (ablation on dev: README, "Learned reranking")
_MODAL = re.compile(r"\b(?:must|shall|may not|is required to|are required to|is prohibited|are prohibited)\b", re.I)
_FIRST_PERSON = re.compile(r"\b(?:we|our|us)\b", re.I)
_EVIDENTIAL = re.compile(r"\d\s?E$")
_RULE = re.compile(r"\d\s?R$")
_GUIDANCE = re.compile(r"\d\s?G$")


def voice(text: str) -> list[float]:
    """`[modal, first_person]` of a text: 1.0 when it uses an obligation modal / the first person plural.

    >>> voice("A firm must hold client cryptoassets on trust."), voice("We propose that firms hold them on trust.")
    ([1.0, 0.0], [0.0, 1.0])
    """
    return [float(bool(_MODAL.search(text or ""))), float(bool(_FIRST_PERSON.search(text or "")))]


def structure(kind: str, citation: str, doc_type: str, depth: int, words: int, children: int,
              title: str = "") -> list[float]:
    """The candidate's structure features, in `STRUCTURE` order.

    An FCA rule is kind `rule` or a citation ending in R (`CASS 16.2.13R`), guidance ends in G, an evidential
    provision in E. Definitions are kind `definition` or a unit titled "Definitions"/"Interpretation".

    >>> structure("rule", "CASS 16.2.13R", "consultation", 4, 40, 0)[:3]
    [1.0, 0.0, 0.0]
    >>> structure("paragraph", "para.3.6", "consultation", 2, 120, 0)[8:10]
    [0.0, 1.0]
    """
    kind = (kind or "").lower()
    cit = (citation or "").strip()
    t = (title or "").lower()
    return [
        float(kind == "rule" or bool(_RULE.search(cit))),
        float(kind == "guidance" or bool(_GUIDANCE.search(cit))),
        float(bool(_EVIDENTIAL.search(cit))),
        float(kind == "definition" or "definition" in t or "interpretation" in t),
        float(kind == "recital"),
        float(kind == "question"),
        float(kind in HEADING_KINDS),
        float(kind in ("article", "section")),
        float(doc_type in BINDING_DOC_TYPES),
        float(doc_type in PAPER_DOC_TYPES),
        float(depth),
        math.log1p(max(0, words)),
        math.log1p(max(0, children)),
    ]


def maxsim(query_vectors: np.ndarray, doc_vectors: np.ndarray) -> float:
    """Late interaction (ColBERT's MaxSim), averaged: for each query vector the best inner product with any
    document vector, then the mean over query vectors. Rows should be unit length (then it is a cosine).
    Either side empty: NaN.

    Hand-computed: query rows (1,0) and (0,1); document rows (0.6,0.8) and (1,0): the first query row's best is
    1.0, the second's 0.8, the mean 0.9.
        >>> maxsim(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0.6, 0.8], [1.0, 0.0]]))
        0.9
    """
    if len(query_vectors) == 0 or len(doc_vectors) == 0:
        return NAN
    sims = np.asarray(query_vectors, dtype=np.float32) @ np.asarray(doc_vectors, dtype=np.float32).T
    return round(float(sims.max(axis=1).mean()), 6)


def coverage(terms: Sequence[str], held: set[str] | frozenset[str]) -> float:
    """Share of the distinct `terms` found in `held`; NaN when there are no terms.

    >>> coverage(["custodi", "asset", "asset", "client"], {"asset", "client", "money"})
    0.6666666666666666
    """
    distinct = set(terms)
    if not distinct:
        return NAN
    return len(distinct & set(held)) / len(distinct)


def jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    """|a ∩ b| / |a ∪ b| of two label sets; NaN when both are empty.

    >>> jaccard(["custody", "aml"], ["custody"])
    0.5
    """
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return NAN
    return len(sa & sb) / len(sa | sb)


def reciprocal_rank(rank: int | None) -> float:
    """1/rank, 0 for a candidate the retriever did not return.

    >>> reciprocal_rank(4), reciprocal_rank(None)
    (0.25, 0.0)
    """
    return 1.0 / rank if rank else 0.0


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 0, n, 1.0)


@dataclass
class _Info:
    jurisdiction: str
    parent: str | None
    structure: list[float]
    tokens: frozenset[str]
    voice: list[float]
    topics: tuple[str, ...]
    rule: float
    binding: float


class Corpus:
    """What the features need about every indexed provision, read once per searcher and cached: structure,
    parents, BM25 token sets, topics, passage vectors' unit centroids, and the word-piece vectors for `maxsim`.
    Provisions are read from the store lazily, a batch per pool."""

    def __init__(self, searcher: "Searcher"):
        self.searcher = searcher
        self.store = searcher.store
        self.positions = {pid: i for i, pid in enumerate(searcher.ids)}
        dense = searcher.dense.dense
        vecs = np.asarray(dense.vectors, dtype=np.float32)
        sums = np.zeros((len(searcher.ids), vecs.shape[1]), dtype=np.float32)
        np.add.at(sums, dense.row_prov, vecs)
        self.centroids = _unit(sums)
        self.row_prov = dense.row_prov
        self._order = np.argsort(self.row_prov, kind="stable")
        self._starts = np.searchsorted(self.row_prov[self._order], np.arange(len(searcher.ids) + 1))
        self.vectors = vecs
        self.doc_types = {d["id"]: d.get("doc_type", "") for d in self.store.documents()}
        self._info: dict[str, _Info] = {}
        self._tagged: dict = {}
        self._pieces: dict[str, np.ndarray] = {}
        self._children: dict[str, int] | None = None
        self._jur_rows: dict[str, np.ndarray] = {}
        self._words = None

    def passages(self, pid: str) -> np.ndarray:
        """The unit vectors of a provision's passages."""
        i = self.positions[pid]
        return self.vectors[self._order[self._starts[i]:self._starts[i + 1]]]

    def children_count(self, pid: str) -> int:
        if self._children is None:
            counts: dict[str, int] = {}
            for (parent,) in self.store.conn.execute("SELECT parent_id FROM provisions WHERE parent_id IS NOT NULL"):
                counts[parent] = counts.get(parent, 0) + 1
            self._children = counts
        return self._children.get(pid, 0)

    def info(self, ids: Sequence[str]) -> list[_Info]:
        todo = [pid for pid in dict.fromkeys(ids) if pid not in self._info]
        if todo:
            for p in self.store.get_many(todo, with_entities=False):
                own = len(p.text.split())
                st = structure(p.kind, p.citation, self.doc_types.get(p.doc_id, ""), len(p.heading_path), own,
                               self.children_count(p.id), p.title)
                toks = frozenset(tokenize("\n".join([p.title, p.text])))
                self._info[p.id] = _Info(p.jurisdiction, p.parent_id, st, toks, voice(p.text), tuple(p.topics), st[0],
                                         st[8])
        return [self._info[pid] for pid in ids]

    def tagged(self, ids: Sequence[str]) -> dict:
        """`{id: Provision}` with entities, cached (shared terms read them)."""
        todo = [pid for pid in dict.fromkeys(ids) if pid not in self._tagged]
        if todo:
            for p in self.store.get_many(todo, with_entities=True):
                self._tagged[p.id] = p
        return {pid: self._tagged[pid] for pid in ids if pid in self._tagged}

    def centroid(self, pid: str | None) -> np.ndarray | None:
        if pid is None or pid not in self.positions:
            return None
        return self.centroids[self.positions[pid]]

    def jurisdiction_rows(self, jurisdiction: str) -> np.ndarray:
        """Positions of the indexed provisions of one jurisdiction."""
        if jurisdiction not in self._jur_rows:
            rows = self.store.conn.execute("SELECT id FROM provisions WHERE jurisdiction=?", (jurisdiction,))
            self._jur_rows[jurisdiction] = np.array(sorted(self.positions[r[0]] for r in rows
                                                           if r[0] in self.positions), dtype=np.int64)
        return self._jur_rows[jurisdiction]

    # --- static word-piece vectors for maxsim ------------------------------------------------------------------

    def _word_vectors(self):
        """(tokenizer, unit word-piece embedding matrix) of the embedding model, or None if it has none."""
        if self._words is None:
            self._words = False
            model = getattr(self.searcher.dense.embedder, "model", None)
            try:
                tok = model.tokenizer
                weight = model[0].auto_model.embeddings.word_embeddings.weight.detach().cpu().numpy()
                self._words = (tok, _unit(np.asarray(weight, dtype=np.float32)))
            except (AttributeError, TypeError, IndexError, KeyError):
                self._words = False
        return self._words or None

    def pieces(self, text: str, key: str | None = None, limit: int = 256) -> np.ndarray:
        """Unit word-piece vectors of the distinct pieces of `text` (its first `limit`), cached under `key`."""
        if key is not None and key in self._pieces:
            return self._pieces[key]
        words = self._word_vectors()
        if words is None:
            out = np.zeros((0, 1), dtype=np.float32)
        else:
            tok, matrix = words
            ids = tok(text, add_special_tokens=False, truncation=True, max_length=limit)["input_ids"]
            special = set(tok.all_special_ids)
            ids = sorted({i for i in ids if i not in special and i not in _stop_ids(tok)})
            out = matrix[ids] if ids else np.zeros((0, matrix.shape[1]), dtype=np.float32)
        if key is not None:
            self._pieces[key] = out
        return out

    def provision_pieces(self, pid: str) -> np.ndarray:
        if pid not in self._pieces:
            p = self.store.get(pid, with_entities=False)
            self.pieces("\n".join([p.title, p.text]), key=pid)
        return self._pieces[pid]


_STOP = ("the", "of", "and", "or", "to", "a", "an", "in", "for", "by", "on", "that", "which", "is", "be", "as",
         "with", "any", "this", "its", "it", "at", "from", "are", "such", "under", "shall", "may", "must", "not")
_stop_cache: dict[int, frozenset[int]] = {}


def _stop_ids(tok) -> frozenset[int]:
    key = id(tok)
    if key not in _stop_cache:
        _stop_cache[key] = frozenset(tok.convert_tokens_to_ids(list(_STOP)))
    return _stop_cache[key]


def pool_features(corpus: Corpus, pool: "Pool") -> np.ndarray:
    """The `(candidates, len(FEATURES))` matrix for a pool, rows in the pool's order."""
    from crosswalk.index.retrievers import expansion_tokens

    ids = pool.ids()
    n = len(ids)
    out = np.full((n, len(FEATURES)), np.nan, dtype=np.float64)
    if n == 0:
        return out
    col = {name: i for i, name in enumerate(FEATURES)}
    hits = pool.results.hits
    best_bm = max((h.scores.get("bm25", 0.0) for h in hits), default=0.0) or 1.0
    best_hy = max(h.score for h in hits) or 1.0
    infos = corpus.info(ids)
    qv = _unit(np.atleast_2d(np.asarray(pool.vectors, dtype=np.float32)))
    q_centroid = _unit(qv.mean(axis=0)) if len(qv) else None
    like = pool.kind == "like"
    if like:
        left = corpus.tagged([pool.query])[pool.query]
        left_info = corpus.info([pool.query])[0]
        text = corpus.store.subtree_text(pool.query)
        terms = corpus.searcher.bm25.lexical.key_terms(tokenize(text), LIKE_TERMS)
        vocab = expansion_tokens(" ".join(text.split()[:400]), terms, _filters(pool.jurisdictions))
        q_pieces = corpus.provision_pieces(pool.query)
        parent_vec = corpus.centroid(left.parent_id) if left.parent_id else corpus.centroid(pool.query)
        gp = corpus.info([left.parent_id])[0].parent if left.parent_id and left.parent_id in corpus.positions else None
        grand_vec = corpus.centroid(gp) if gp else parent_vec
    else:
        terms = tokenize(pool.query)
        vocab = expansion_tokens(pool.query, terms, _filters(pool.jurisdictions))
        q_pieces = corpus.pieces(pool.query)
        parent_vec = grand_vec = q_centroid
    cos = np.array([float((qv @ corpus.passages(pid).T).max()) if pid in corpus.positions else np.nan
                    for pid in ids])
    best_cos = np.nanmax(cos) if np.isfinite(cos).any() else np.nan
    for r, (h, info) in enumerate(zip(hits, infos)):
        row = out[r]
        row[col["bm25_rel"]] = h.scores.get("bm25", 0.0) / best_bm
        row[col["bm25_rrank"]] = reciprocal_rank(h.ranks.get("bm25"))
        row[col["dense_rrank"]] = reciprocal_rank(h.ranks.get("dense"))
        row[col["hybrid_rrank"]] = reciprocal_rank(h.rank)
        row[col["hybrid_rel"]] = h.score / best_hy
        row[col["cosine"]] = cos[r]
        row[col["cosine_gap"]] = cos[r] - best_cos
        row[col["maxsim"]] = maxsim(q_pieces, corpus.provision_pieces(h.provision_id))
        row[col["term_coverage"]] = coverage(terms, info.tokens)
        row[col["vocab_coverage"]] = coverage(vocab, info.tokens)
        pv = corpus.centroid(info.parent)
        row[col["parent_cosine"]] = float(parent_vec @ pv) if pv is not None and parent_vec is not None else np.nan
        gpid = corpus.info([info.parent])[0].parent if info.parent in corpus.positions else None
        gv = corpus.centroid(gpid)
        row[col["grandparent_cosine"]] = float(grand_vec @ gv) if gv is not None and grand_vec is not None else np.nan
        row[col["kind_rule"]:col["kind_rule"] + len(STRUCTURE)] = info.structure
        row[col["modal"]:col["modal"] + 2] = info.voice
        row[col["is_like"]] = float(like)
    if like:
        _like_features(corpus, pool, ids, infos, left, left_info, out, col)
    return out


def _filters(jurisdictions: Sequence[str]):
    from crosswalk.index.filters import Filters

    return Filters(jurisdiction=tuple(jurisdictions)) if jurisdictions else None


def _like_features(corpus: Corpus, pool: "Pool", ids, infos, left, left_info, out, col) -> None:
    """Pair-only features: mutual rank, shared terms, topic overlap, and the query provision's own structure."""
    from crosswalk.index.match_terms import shared_terms

    rows = corpus.jurisdiction_rows(left_info.jurisdiction)
    lpos = corpus.positions.get(left.id)
    cand_pos = [corpus.positions.get(pid) for pid in ids]
    known = [i for i, p in enumerate(cand_pos) if p is not None]
    if lpos is not None and known and len(rows):
        sims = corpus.centroids[[cand_pos[i] for i in known]] @ corpus.centroids[rows].T  # (cands, side)
        own = corpus.centroids[[cand_pos[i] for i in known]] @ corpus.centroids[lpos]
        ranks = 1 + (sims > own[:, None]).sum(axis=1)
        for j, i in enumerate(known):
            out[i, col["mutual_rrank"]] = 1.0 / ranks[j]
    rights = corpus.tagged(ids)
    for i, (pid, info) in enumerate(zip(ids, infos)):
        right = rights.get(pid)
        out[i, col["shared_terms"]] = float(len(shared_terms(left, right))) if right is not None else np.nan
        out[i, col["topic_jaccard"]] = jaccard(left_info.topics, info.topics)
        out[i, col["left_rule"]] = left_info.rule
        out[i, col["left_binding"]] = left_info.binding
