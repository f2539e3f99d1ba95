"""Cross-jurisdiction matching: for each provision of one jurisdiction, its likely counterparts in another.

`match(store, searcher, from_jur="US", to_jur="UK", k=5)` fills the review queue (`crosswalk.index.queue`) and
`counterparts(store, searcher, provision_id, to_jur, k)` answers for one provision (`crosswalk search --like`).
Any two jurisdictions of the store work (US, UK, EU, INTL). For each candidate pair they give:

- **score**: the cosine similarity of the two provisions' embeddings, as the dense index holds them. A long
  provision is embedded as several passages (`crosswalk.index.passages`); a pair's score is its best passage pair.
- **rank**: 1 for the focal provision's best candidate. Equal scores are ranked by provision id, so every run
  over the same store and index gives the same answer.
- **mutual**: the focal provision is also among the candidate's own top-k in the focal jurisdiction.
  Mutual nearest neighbours are far likelier to be real counterparts than one-way ones.
- **shared terms**: defined terms and entities both provisions carry (`match_terms.TERM_LABELS`), compared on a
  normalised form (`normalise_term`: case, punctuation, spacing and plural folded, so UK "cryptoassets" meets
  EU "crypto-asset").
- **explanation**: the best-aligned sentence pair — both texts cut into sentences (`split_sentences`), each
  sentence embedded once per run (`SentenceEmbeddings` caches them), the pair with the highest cosine.

How candidates are found (`method`):

- `like` (the default when the searcher has one): the searcher's own `like(provision_id)` ranking per provision
  (`retriever`: `hybrid` by default, `bm25` or `dense`), filtered to the other jurisdiction, and one more per
  candidate for the mutual check. BM25's `like` queries with the key terms of the provision and everything
  under it, translated into the other jurisdiction's words (`index.retrievers.BM25Retriever.like`).
- `vectors` (the default for a searcher without `like` that exposes its dense vectors): one matrix product of
  the two sides' unit vectors, in blocks, instead of one search per provision; exact, and a corpus-wide run
  takes seconds.
- `search`: one search per provision with its embedding text as the query, for searchers without either.

With `like` and `search` the ranks are the searcher's, and scores are still the pair's cosine, so the queue's
priorities mean the same thing whichever method filled it. How the methods compare on the gold pairs is recorded in
docs/experiments.md (the matching method comparison); measure again with your corpus before changing the default.

Which provisions take part (`skip_reason`) and how terms are compared (`normalise_term`, `shared_terms`) are
in `crosswalk.index.match_terms`; the sentence splitter, its embedding cache and the best-aligned sentence pair
are in `crosswalk.index.sentences`. A focal provision given explicitly to `counterparts` is always matched.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Protocol, Sequence

from crosswalk.errors import ConfigError, IndexStateError, NotFoundError
from crosswalk.index.active import DEPTH as SIGNAL_DEPTH
from crosswalk.index.match_results import Candidate, MatchReport
from crosswalk.index.match_terms import shared_terms, skip_reason
from crosswalk.index.match_vectors import VectorTable, vector_table
from crosswalk.index.queue import DEFAULT_WIDTH, QueueItem, priority, write_queue
from crosswalk.index.sentences import (
    MAX_SENTENCES,
    Encoder,
    SentenceEmbeddings,
    best_sentence_pair,
    split_sentences,
)
from crosswalk.ingest.models import Jurisdiction, Provision

if TYPE_CHECKING:
    from crosswalk.index.filters import Filters
    from crosswalk.index.results import Results
    from crosswalk.ingest.store import Store

BLOCK_BYTES = 64 * 1024 * 1024  # size of one block of the similarity matrix
QUERY_CHARS = 2_000  # the `search` method's queries: a provision's embedding text, cut to this length


# --- the searcher, as matching needs it -----------------------------------------------------------------------


class Searcher(Protocol):
    """What matching needs from a searcher (`crosswalk.index.build.load_searcher` gives one).

    Required: `search(query, k, filters) -> Results`. Optional, used when present: the dense vectors
    (`vector_table()` -> (provision id per row, unit vectors), or a `dense` retriever wrapping a `DenseIndex`
    with the searcher's `ids`), `like(provision_id, k, filters, retriever) -> Results`, and an `embedder`
    with `encode(texts)`.
    """

    def search(self, query: str, k: int = 10, filters: "Filters | None" = None) -> "Results": ...


def _encoder_of(searcher, encoder: Encoder | None) -> Encoder:
    if encoder is not None:
        return encoder
    found = getattr(searcher, "embedder", None)
    if found is None:
        dense = getattr(searcher, "dense", None)
        found = getattr(dense, "embedder", None)
    if found is not None and callable(getattr(found, "encode", None)):
        return found
    from crosswalk.index.embedder import get_embedder

    return get_embedder()


Progress = Callable[[str, int, int], None]  # (stage, done, total)


# --- scoring --------------------------------------------------------------------------------------------------


def _grouped_topk(
    table: VectorTable,
    left_ids: Sequence[str],
    right_ids: Sequence[str],
    k: int,
    *,
    progress: Progress | None = None,
    stage: str = "scoring",
) -> dict[str, list[tuple[str, float]]]:
    """For each of `left_ids` (with vectors), its `k` best `(right id, cosine)`: best passage pair, ties by id.

    The similarity matrix is computed in blocks of left provisions (`BLOCK_BYTES`), so memory stays bounded.
    A provision is never its own candidate.
    """
    import numpy as np

    l_rows, l_starts, l_kept = table.groups(left_ids)
    r_rows, r_starts, r_kept = table.groups(right_ids)
    out: dict[str, list[tuple[str, float]]] = {}
    if not l_kept or not r_kept or k <= 0:
        return {pid: [] for pid in l_kept}
    right = np.ascontiguousarray(table.matrix[r_rows], dtype=np.float32)
    r_order = np.asarray(sorted(range(len(r_kept)), key=lambda i: r_kept[i]))  # id order, for tie-breaks
    r_rank_of = np.empty(len(r_kept), dtype=np.int64)
    r_rank_of[r_order] = np.arange(len(r_kept))
    r_pos = {pid: i for i, pid in enumerate(r_kept)}
    per_row = max(1, len(r_rows)) * 4
    bounds = list(l_starts) + [len(l_rows)]
    g = 0
    while g < len(l_kept):
        # as many left provisions as fit in one block (at least one)
        h = g + 1
        while h < len(l_kept) and (bounds[h + 1] - bounds[g]) * per_row <= BLOCK_BYTES:
            h += 1
        rows = l_rows[bounds[g] : bounds[h]]
        sims = np.asarray(table.matrix[rows], dtype=np.float32) @ right.T  # (block rows, right rows)
        local = np.asarray(bounds[g:h]) - bounds[g]
        sims = np.maximum.reduceat(sims, local, axis=0)  # best passage of each left provision
        sims = np.maximum.reduceat(sims, r_starts, axis=1)  # best passage of each right provision
        for off, pid in enumerate(l_kept[g:h]):
            row = sims[off].astype(np.float64)
            row = np.round(row, 6)  # equal to 6 places counts as a tie, broken by id
            exclude = r_pos.get(pid)
            if exclude is not None:
                row[exclude] = -np.inf
            n = min(k, len(row) - (exclude is not None))
            if n <= 0:
                out[pid] = []
                continue
            kth = np.partition(row, len(row) - n)[len(row) - n]
            cand = np.flatnonzero(row >= kth)
            cand = cand[np.lexsort((r_rank_of[cand], -row[cand]))][:n]
            out[pid] = [(r_kept[c], float(row[c])) for c in cand]
        if progress:
            progress(stage, h, len(l_kept))
        g = h
    return out


def _searcher_topk(
    rank: Callable[[str, int, "Filters"], "Results"],
    left_ids: Sequence[str],
    jurisdictions: Sequence[str],
    k: int,
    eligible: set[str],
    *,
    progress: Progress | None = None,
    stage: str = "searching",
) -> dict[str, list[str]]:
    """For each of `left_ids`, the `k` best eligible provisions of `jurisdictions` as `rank(pid, depth, filters)`
    orders them (a `like` or a `search` of the searcher); more are asked for than `k`, as headings and
    fragments that matching leaves out are dropped from the answer."""
    from crosswalk.index.filters import Filters

    out: dict[str, list[str]] = {}
    filters = Filters(jurisdiction=tuple(jurisdictions))
    depth = max(4 * k, k + 40)
    for n, pid in enumerate(left_ids, start=1):
        found: list[str] = []
        for hit in rank(pid, depth, filters):
            if hit.provision_id != pid and hit.provision_id in eligible and hit.provision_id not in found:
                found.append(hit.provision_id)
            if len(found) == k:
                break
        out[pid] = found
        if progress and (n % 50 == 0 or n == len(left_ids)):
            progress(stage, n, len(left_ids))
    return out


def _embedding_texts(store: "Store", provisions: Sequence[Provision]) -> dict[str, str]:
    """Each provision's embedding text with its context, as the index embeds it (whole documents at a time)."""
    from crosswalk.index.passages import provision_texts

    wanted = {p.id for p in provisions}
    docs = sorted({p.doc_id for p in provisions})
    out: dict[str, str] = {}
    for doc in docs:
        whole = store.iter_provisions(doc_id=doc)
        for p, text in zip(whole, provision_texts(whole)):
            if p.id in wanted:
                out[p.id] = text
    return out


def _cosines(encoder: Encoder, texts: dict[str, str], pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], float]:
    import numpy as np

    pairs = list(pairs)
    ids = sorted({i for pair in pairs for i in pair})
    if not ids:
        return {}
    vecs = np.asarray(encoder.encode([texts[i] for i in ids]), dtype=np.float32)
    pos = {pid: n for n, pid in enumerate(ids)}
    return {(a, b): round(float(vecs[pos[a]] @ vecs[pos[b]]), 6) for a, b in pairs}


_SIDES: "OrderedDict[tuple, tuple[list[Provision], dict[str, int]]]" = OrderedDict()


def _store_state(store: "Store") -> tuple:
    """What `_side`'s cache is keyed on besides the jurisdiction: the store's path, `corpus_hash` and entity count."""
    return (str(getattr(store, "path", id(store))), store.corpus_hash(),
            store.conn.execute("SELECT count(*) FROM entities").fetchone()[0])


def _side(store: "Store", jur: str, store_state: tuple | None = None) -> tuple[list[Provision], dict[str, int]]:
    """The provisions of `jur` that take part (sorted by id), and how many were skipped for each reason.

    Kept for the last four (store, jurisdiction, corpus state) asked for, so the app's "find counterparts" does
    not reload thousands of provisions on every click; a changed store (its `corpus_hash` or its entity count)
    is read afresh. A caller asking for several jurisdictions passes `_store_state(store)`, computed once.
    """
    state = (*(store_state or _store_state(store)), jur)
    hit = _SIDES.get(state)
    if hit is None:
        kept: list[Provision] = []
        skipped: dict[str, int] = {}
        for p in store.iter_provisions(jurisdiction=jur, with_entities=True):
            reason = skip_reason(p)
            if reason:
                skipped[reason] = skipped.get(reason, 0) + 1
            else:
                kept.append(p)
        kept.sort(key=lambda p: p.id)
        hit = _SIDES[state] = (kept, skipped)
        while len(_SIDES) > 4:
            _SIDES.popitem(last=False)
    else:
        _SIDES.move_to_end(state)
    return list(hit[0]), dict(hit[1])


def _jur(value: str) -> str:
    return Jurisdiction.parse(value).value


@dataclass
class _Pairs:
    """Forward top-k per focal provision, with scores, and which pairs are mutual."""

    forward: dict[str, list[tuple[str, float]]]
    mutual: set[tuple[str, str]]
    ranks: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # see MatchReport.ranks


METHODS = ("auto", "vectors", "like", "search")


def _check_method(method: str, retriever: str) -> None:
    if method not in METHODS:
        raise ConfigError(f"unknown matching method {method!r}: use one of {', '.join(METHODS)}")
    if retriever not in ("bm25", "dense", "hybrid"):
        raise ConfigError(f"unknown retriever {retriever!r} for matching: use bm25, dense or hybrid")


def _find_pairs(
    store: "Store",
    searcher: Searcher,
    focal: Sequence[Provision],
    targets: Sequence[Provision],
    from_pool: Sequence[Provision],
    to_jurs: Sequence[str],
    from_jur: str,
    k: int,
    method: str,
    retriever: str,
    encoder: Encoder | None,
    progress: Progress | None,
    legacy: bool = False,
) -> tuple[_Pairs, str, int]:
    """(pairs, method used, focal provisions without a vector). `legacy`: rank with one `like` per provision
    instead of `crosswalk.index.batch_match`'s batched rankings (same candidates; kept for comparison)."""
    table = vector_table(searcher)
    has_like = callable(getattr(searcher, "like", None))
    if method == "auto":
        method = "like" if has_like else "vectors" if table is not None else "search"
    if method == "vectors" and table is None:
        raise ConfigError("method 'vectors' needs a searcher that exposes its dense vectors; use 'like' or 'search'")
    if method == "like" and not has_like:
        raise ConfigError("method 'like' needs a searcher with a like(provision_id, k, filters) call; use 'search'")
    focal_ids = [p.id for p in focal]
    target_ids = [p.id for p in targets]
    pool_ids = [p.id for p in from_pool]
    if method == "vectors":
        forward = _grouped_topk(table, focal_ids, target_ids, k, progress=progress, stage="scoring")
        not_indexed = len(focal_ids) - len(forward)
        cands = sorted({c for hits in forward.values() for c, _ in hits})
        reverse = _grouped_topk(table, cands, pool_ids, k, progress=progress, stage="mutual check")
        back = {c: {x for x, _ in hits} for c, hits in reverse.items()}
        mutual = {(f, c) for f, hits in forward.items() for c, _ in hits if f in back.get(c, ())}
        return _Pairs(forward, mutual), "vectors", not_indexed
    if method == "like":
        def rank(pid, depth, filters):
            return searcher.like(pid, k=depth, filters=filters, retriever=retriever)  # type: ignore[attr-defined]
    else:
        texts = _embedding_texts(store, [*focal, *targets, *from_pool])

        def rank(pid, depth, filters):
            # the model reads about 200 words: a longer query only costs time (and searchers cap its length)
            return searcher.search(texts[pid][:QUERY_CHARS], k=depth, filters=filters)
    from crosswalk.index import batch_match

    if method == "like" and not legacy and batch_match.supports(searcher, retriever):
        # every like ranking at once, both directions (index.batch_match); legacy: one like at a time
        found = batch_match.like_topk(store, searcher, focal_ids, to_jurs, from_jur, k, set(target_ids),
                                      set(pool_ids), retriever=retriever, progress=progress,
                                      ranks_depth=SIGNAL_DEPTH if retriever == "hybrid" else 0)
        fwd_ids, rev_ids, ranks = found.forward, found.reverse, found.ranks
    else:
        ranks = {}
        fwd_ids = _searcher_topk(rank, focal_ids, to_jurs, k, set(target_ids), progress=progress)
        cands = sorted({c for hits in fwd_ids.values() for c in hits})
        rev_ids = _searcher_topk(rank, cands, [from_jur], k, set(pool_ids), progress=progress, stage="mutual check")
    pairs = [(f, c) for f, hits in fwd_ids.items() for c in hits]
    # Scores are cosines whichever way candidates were ranked, so the queue's priorities mean one thing.
    if table is not None:
        cos = {pair: table.cosine(*pair) for pair in pairs}
        missing = [pair for pair, value in cos.items() if value is None]
    else:
        cos, missing = {}, pairs
    if missing:
        texts = _embedding_texts(store, [*focal, *targets])
        cos.update(_cosines(_encoder_of(searcher, encoder), texts, missing))
    forward = {f: [(c, cos[(f, c)]) for c in hits] for f, hits in fwd_ids.items()}
    mutual = {(f, c) for f, hits in fwd_ids.items() for c in hits if f in rev_ids.get(c, [])}
    return _Pairs(forward, mutual, ranks), f"{method}:{retriever}" if method == "like" else method, 0


def _candidates(
    pairs: _Pairs,
    by_id: dict[str, Provision],
    explain: bool,
    sentences: SentenceEmbeddings | None,
    progress: Progress | None,
) -> list[Candidate]:
    focal_ids = sorted(pairs.forward)
    if explain and sentences is not None:
        involved = {f for f in focal_ids} | {c for hits in pairs.forward.values() for c, _ in hits}
        todo = [s for pid in sorted(involved) for s in split_sentences(by_id[pid].text)[:MAX_SENTENCES]]
        if progress:
            progress("embedding sentences", 0, 1)
        sentences.prefetch(todo)
        if progress:
            progress("embedding sentences", 1, 1)
    out: list[Candidate] = []
    for n, f in enumerate(focal_ids, start=1):
        left = by_id[f]
        for rank, (c, score) in enumerate(pairs.forward[f], start=1):
            right = by_id[c]
            explanation = best_sentence_pair(left.text, right.text, sentences) if explain and sentences else None
            out.append(Candidate(f, c, score, rank, (f, c) in pairs.mutual, shared_terms(left, right), explanation))
        if progress and (n % 200 == 0 or n == len(focal_ids)):
            progress("explaining", n, len(focal_ids))
    return out


def _fingerprint(searcher) -> str:
    for name in ("fingerprint", "params_hash", "corpus_hash"):
        value = getattr(searcher, name, None)
        if isinstance(value, str) and value:
            return value
    params = getattr(searcher, "params", None)
    if isinstance(params, dict):
        # the index's settings (model, passages, index type), not its build time: a rebuild of the same
        # store with the same settings is the same index
        settings = params.get("settings", params)
        return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return ""


def match(
    store: "Store",
    searcher: Searcher,
    from_jur: str = "US",
    to_jur: str = "UK",
    k: int = 5,
    *,
    method: str = "auto",
    retriever: str = "hybrid",
    boundary: float | None = None,
    width: float = DEFAULT_WIDTH,
    explain: bool = True,
    write: bool = True,
    encoder: Encoder | None = None,
    sentence_cache: Path | str | None = None,
    progress: Progress | None = None,
    legacy: bool = False,
) -> MatchReport:
    """Match every provision of `from_jur` against `to_jur` and fill the review queue (see the module docstring).

    `method`: `vectors`, `like` (the searcher's `like`, ranked by `retriever`: hybrid, bm25 or dense) or
    `search`; `auto` takes the first the searcher supports.
    `boundary`: the score a pair is as likely a counterpart as not, for the queue's priorities
    (`crosswalk.index.queue.priority`); default: the median of the focal provisions' best scores in this run.
    `explain=False` skips the sentence alignment (faster); `sentence_cache` is a folder that keeps sentence
    embeddings between runs (`SentenceEmbeddings`). `write=False` leaves the queue untouched.
    `progress(stage, done, total)` is called as work advances. `legacy=True` ranks with one `like` per
    provision and per candidate instead of the batched rankings of `crosswalk.index.batch_match` (the same candidates).

    Example: match(store, load_searcher(store, ws.index_dir), "US", "UK", k=5).summary()
    """
    started = time.monotonic()
    from_jur, to_jur = _jur(from_jur), _jur(to_jur)
    if from_jur == to_jur:
        raise ConfigError(f"--from and --to are both {from_jur}: matching pairs two different jurisdictions")
    if not 1 <= k <= 100:
        raise ConfigError(f"k is {k}; use 1 to 100 candidates per provision (5 is usual)")
    _check_method(method, retriever)
    state = _store_state(store)
    focal, skipped_from = _side(store, from_jur, state)
    targets, skipped_to = _side(store, to_jur, state)
    for jur, side, skipped in ((from_jur, focal, skipped_from), (to_jur, targets, skipped_to)):
        if not side and not skipped:
            raise NotFoundError(
                f"the store holds no {jur} provisions; ingest {jur} documents first (`crosswalk ingest`)"
            )
    skipped = {r: skipped_from.get(r, 0) + skipped_to.get(r, 0) for r in {*skipped_from, *skipped_to}}
    pairs, used, not_indexed = _find_pairs(
        store, searcher, focal, targets, focal, [to_jur], from_jur, k, method, retriever, encoder, progress, legacy
    )
    by_id = {p.id: p for p in [*focal, *targets]}
    sentences = None
    if explain:
        sentences = SentenceEmbeddings(
            _encoder_of(searcher, encoder), progress=progress is not None, cache_dir=sentence_cache
        )
    candidates = _candidates(pairs, by_id, explain, sentences, progress)
    best = [hits[0][1] for hits in pairs.forward.values() if hits]
    if boundary is None:
        boundary = round(statistics.median(best), 6) if best else 0.5
    run_id = hashlib.sha256(
        json.dumps(
            {
                "from": from_jur, "to": to_jur, "k": k, "method": used, "boundary": boundary, "width": width,
                "explain": explain, "corpus": store.corpus_hash(), "index": _fingerprint(searcher),
            },
            sort_keys=True,
        ).encode()
    ).hexdigest()[:12]
    queue_result = None
    if write:
        items = [
            QueueItem(
                left_id=c.left_id,
                right_id=c.right_id,
                from_jur=from_jur,
                to_jur=to_jur,
                score=c.score,
                rank=c.rank,
                mutual=c.mutual,
                priority=priority(c.score, c.rank, c.mutual, boundary, width),
                shared_terms=tuple(t.to_dict() for t in c.shared_terms),
                explanation=c.explanation.to_dict() if c.explanation else {},
                run_id=run_id,
            )
            for c in candidates
        ]
        queue_result = write_queue(store, items, from_jur, to_jur)
    return MatchReport(
        from_jur=from_jur,
        to_jur=to_jur,
        k=k,
        method=used,
        run_id=run_id,
        n_focal=len(pairs.forward),
        n_targets=len(targets),
        skipped=skipped,
        not_indexed=not_indexed,
        n_candidates=len(candidates),
        n_mutual=sum(c.mutual for c in candidates),
        boundary=boundary,
        seconds=round(time.monotonic() - started, 1),
        queue=queue_result,
        candidates=tuple(candidates),
        ranks=pairs.ranks,
    )


def counterparts(
    store: "Store",
    searcher: Searcher,
    provision_id: str,
    to_jur: str | Sequence[str] | None = None,
    k: int = 5,
    *,
    method: str = "auto",
    retriever: str = "hybrid",
    explain: bool = True,
    encoder: Encoder | None = None,
    sentence_cache: Path | str | None = None,
) -> list[Candidate]:
    """The `k` likeliest counterparts of one provision in `to_jur` — one jurisdiction, several, or (None)
    every jurisdiction but the provision's own.

    The provision is matched even if matching would skip it (a heading); its candidates are the provisions
    matching would consider. Mutual means the provision is among the candidate's own top-k in the provision's
    jurisdiction. An unknown id is a NotFoundError that suggests the nearest stored citation.

    Example: counterparts(store, searcher, "US-PL119-27-GENIUS:sec.4(a)(11)", "UK", k=5)[0].right_id
    """
    if not 1 <= k <= 100:
        raise ConfigError(f"k is {k}; use 1 to 100 candidates (5 is usual)")
    _check_method(method, retriever)
    focal = _get_or_hint(store, provision_id)
    from_jur = focal.jurisdiction
    if not to_jur:
        to_jurs = sorted({d["jurisdiction"] for d in store.documents()} - {from_jur})
    else:
        to_jurs = sorted({_jur(j) for j in ([to_jur] if isinstance(to_jur, str) else to_jur)})
    targets: list[Provision] = []
    state = _store_state(store)
    for jur in to_jurs:
        side, _ = _side(store, jur, state)
        targets.extend(p for p in side if p.id != focal.id)
    targets.sort(key=lambda p: p.id)
    pool, _ = _side(store, from_jur, state)
    if focal.id not in {p.id for p in pool}:
        pool = sorted([*pool, focal], key=lambda p: p.id)
    pairs, _, not_indexed = _find_pairs(
        store, searcher, [focal], targets, pool, to_jurs, from_jur, k, method, retriever, encoder, None
    )
    if not_indexed:
        raise IndexStateError(
            f"{focal.id} has no vector in the index (added after the last `crosswalk index`?); run `crosswalk index`"
        )
    by_id = {p.id: p for p in [focal, *targets]}
    sentences = SentenceEmbeddings(_encoder_of(searcher, encoder), cache_dir=sentence_cache) if explain else None
    return _candidates(pairs, by_id, explain, sentences, None)


def _get_or_hint(store: "Store", provision_id: str) -> Provision:
    """`store.get`, with a NotFoundError that names the nearest stored provision when there is one."""
    try:
        return store.get(provision_id)
    except NotFoundError:
        pass
    from crosswalk.index.resolver import resolve

    near = resolve(store, provision_id).ids  # the provision's nearest stored units when it has none
    hint = f"; did you mean {near[0]!r}?" if near else (
        "; ids look like 'US-PL119-27-GENIUS:sec.4(a)(11)' (find one with `crosswalk search`)"
    )
    raise NotFoundError(f"no provision {provision_id!r} in the store{hint}")
