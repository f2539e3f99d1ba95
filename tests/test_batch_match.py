"""The batched first stage of matching (`crosswalk.index.batch_match`) against the one-`like`-at-a-time path it replaces.

A synthetic store in two jurisdictions (sections with lists under them, headings, fragments, long provisions
that become several passages), indexed with the real model and the real BM25 and FAISS indexes; every
provision's batched `like` ranking must be the searcher's own, and `match` must queue the same candidates with
the same mutual flags either way.
"""

from __future__ import annotations

import random

import pytest

from crosswalk.index.batch_match import BatchLike, like_topk, supports
from crosswalk.index.filters import Filters
from crosswalk.index.match import match
from crosswalk.ingest.models import Provision, Source, make_id
from crosswalk.ingest.store import Store

TOPICS = {
    "reserves": "reserve backing assets cash deposits treasury bills liquidity one to one redemption",
    "interest": "interest yield holders income consideration rewards pass prohibition",
    "custody": "custody client assets segregation safekeeping custodian records reconciliation",
    "licence": "licence authorisation permission register application approval regulator",
    "disclosure": "disclosure publish website monthly report composition auditor attestation",
    "aml": "money laundering sanctions customer due diligence suspicious transactions monitoring",
    "governance": "board directors governance conflicts interest policies oversight risk management",
    "redemption": "redemption request par value timely fees holders payment days",
}
FILLER = "the issuer shall must ensure that any person in relation to such arrangements under this part".split()


def _text(rng: random.Random, topic: str, words: int) -> str:
    vocab = TOPICS[topic].split()
    other = TOPICS[rng.choice(sorted(TOPICS))].split()
    out = [rng.choice(vocab if rng.random() < 0.55 else other if rng.random() < 0.5 else FILLER) for _ in range(words)]
    return " ".join(out).capitalize() + "."


def synthetic_documents(seed: int = 11) -> dict[str, tuple[str, list[Provision]]]:
    rng = random.Random(seed)
    docs: dict[str, tuple[str, list[Provision]]] = {}
    for doc, jur, label in (("US-SYN-ACT", "US", "sec.{}"), ("UK-SYN-RULES", "UK", "R{}")):
        provs: list[Provision] = []
        i = 0

        def add(citation, text, kind="section", title="", parent=None):
            nonlocal i
            provs.append(Provision(make_id(doc, citation), doc, jur, citation, text, kind=kind, title=title,
                                   ordinal=i, parent_id=make_id(doc, parent) if parent else None,
                                   heading_path=("Part 1",)))
            i += 1

        add("ch.1", "Chapter 1 Stablecoins", kind="chapter")
        for n in range(1, 19):
            topic = sorted(TOPICS)[n % len(TOPICS)]
            cite = label.format(n)
            add(cite, _text(rng, topic, rng.choice([12, 30, 60, 240])), title=topic.title(), parent="ch.1")
            for m in range(rng.randint(0, 3)):
                add(f"{cite}({m + 1})", _text(rng, topic, rng.choice([5, 14, 25])), kind="paragraph", parent=cite)
        docs[doc] = (jur, provs)
    return docs


@pytest.fixture(scope="module")
def indexed_root(tmp_path_factory):
    """A folder with the synthetic store (crosswalk.db) and its index (index/)."""
    from crosswalk.index.build import build_index

    root = tmp_path_factory.mktemp("batch")
    with Store(root / "crosswalk.db") as store:
        for doc, (jur, provisions) in synthetic_documents().items():
            store.replace_document(Source(id=doc, jurisdiction=jur), provisions, path="x", file_sha256="0",
                                   pipeline="t", splitter="t", pages=None)
        build_index(store, root / "index", progress=False)
    return root


@pytest.fixture(scope="module")
def indexed(indexed_root):
    from crosswalk.index.build import load_searcher

    store = Store(indexed_root / "crosswalk.db", readonly=True)
    yield store, load_searcher(store, indexed_root / "index")
    store.close()


def test_the_corpus_searcher_is_batchable_and_other_searchers_are_not(indexed):
    _, searcher = indexed
    assert supports(searcher, "hybrid") and supports(searcher, "bm25") and supports(searcher, "dense")
    assert not supports(searcher, "splade")
    assert not supports(object(), "hybrid")


@pytest.mark.parametrize("retriever", ["hybrid", "bm25", "dense"])
def test_each_batched_ranking_is_the_searchers_own_like(indexed, retriever):
    store, searcher = indexed
    us = [p.id for p in store.iter_provisions(jurisdiction="US")]
    uk = [p.id for p in store.iter_provisions(jurisdiction="UK")]
    with BatchLike(store, searcher, retriever) as batch:
        forward = batch.rankings(us, ["US"], ["UK"], 45)
        backward = batch.rankings(uk, ["UK"], ["US"], 45)  # read from the same dense product, transposed
    for ranked, jur in ((forward, "UK"), (backward, "US")):
        for pid, got in ranked.items():
            want = searcher.like(pid, k=45, filters=Filters(jurisdiction=jur), retriever=retriever).ids()
            assert got == want, pid
    assert any(len(v) >= 5 for v in forward.values())


def test_match_queues_the_same_candidates_batched_and_legacy(indexed):
    store, searcher = indexed
    fast = match(store, searcher, "US", "UK", k=3, explain=False, write=False)
    slow = match(store, searcher, "US", "UK", k=3, explain=False, write=False, legacy=True)
    as_rows = lambda r: [(c.left_id, c.right_id, c.rank, c.score, c.mutual) for c in r.candidates]  # noqa: E731
    assert as_rows(fast) == as_rows(slow)
    assert fast.n_mutual == slow.n_mutual > 0
    assert fast.method == slow.method == "like:hybrid"


def test_like_topk_leaves_out_ineligible_provisions(indexed):
    store, searcher = indexed
    us = [p.id for p in store.iter_provisions(jurisdiction="US") if p.kind == "section"]
    uk_sections = {p.id for p in store.iter_provisions(jurisdiction="UK") if p.kind == "section"}
    found = like_topk(store, searcher, us, ["UK"], "US", 4, uk_sections, set(us))
    forward, reverse = found.forward, found.reverse
    assert found.ranks == {}  # none asked for
    assert set(forward) == set(us)
    assert all(c in uk_sections for hits in forward.values() for c in hits)
    assert all(len(set(h)) == len(h) <= 4 for h in forward.values())
    assert set(reverse) == {c for hits in forward.values() for c in hits}
    assert all(f in us for hits in reverse.values() for f in hits)


def test_batched_ranks_are_the_ranks_the_hybrid_like_reports(indexed):
    store, searcher = indexed
    us = [p.id for p in store.iter_provisions(jurisdiction="US")]
    uk = {p.id for p in store.iter_provisions(jurisdiction="UK")}
    found = like_topk(store, searcher, us, ["UK"], "US", 3, uk, set(us), ranks_depth=100)
    checked = 0
    for pid in us:
        hits = searcher.like(pid, k=100, filters=Filters(jurisdiction="UK"), retriever="hybrid")
        want = {h.provision_id: {k: int(v) for k, v in h.ranks.items()} for h in hits}
        assert found.ranks[pid] == want, pid
        checked += sum(1 for r in want.values() if len(r) == 2)
    assert checked > 0  # some hits are ranked by both retrievers
    plain = like_topk(store, searcher, us, ["UK"], "US", 3, uk, set(us))
    assert (found.forward, found.reverse) == (plain.forward, plain.reverse)  # the deeper ranks change no candidate


def test_queue_order_from_the_matching_runs_ranks_is_the_order_from_fresh_likes(indexed_root, tmp_path):
    """`crosswalk match` orders the queue from the ranks its batched run already has; asking `like` again for
    every focal provision gives the same priorities, reasons and ranks."""
    import shutil

    from crosswalk.index.active import reorder_queue
    from crosswalk.index.build import load_searcher

    got = {}
    for reuse in (True, False):
        root = tmp_path / str(reuse)
        root.mkdir()
        shutil.copy(indexed_root / "crosswalk.db", root / "crosswalk.db")
        shutil.copytree(indexed_root / "index", root / "index")
        with Store(root / "crosswalk.db") as store:
            searcher = load_searcher(store, root / "index")
            report = match(store, searcher, "US", "UK", k=3, explain=False)
            assert set(report.ranks) == {c.left_id for c in report.candidates}
            reorder_queue(store, searcher, "US", "UK", seed=1, ranks=report.ranks if reuse else None)
            got[reuse] = (
                [tuple(r) for r in store.conn.execute(
                    "SELECT left_id, right_id, priority FROM review_queue ORDER BY left_id, right_id")],
                [tuple(r) for r in store.conn.execute(
                    "SELECT left_id, right_id, reason, uncertainty, disagreement, ranks FROM review_queue_reason "
                    "ORDER BY left_id, right_id")],
            )
    assert got[True] == got[False]
    assert len(got[True][1]) > 10 and any('"bm25"' in r[-1] and '"dense"' in r[-1] for r in got[True][1])
