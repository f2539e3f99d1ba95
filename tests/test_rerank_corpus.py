"""The learned ranker on the real corpus (session fixtures): trained on the gold dev half, it must beat today's
hybrid ranking on the test half, for queries and for counterpart pairs. A few minutes: one `learn` (pools,
features, 5-fold cross-validation) and one evaluation of two systems on the test half."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def trained(corpus_index, tmp_path_factory):
    """A workspace that shares the session corpus's store and index (symlinks) with its own models/ folder, so
    the session workspace itself never gains a ranker."""
    from crosswalk.workspace import Workspace
    from crosswalk.index.rerank import learn
    from crosswalk.ingest.store import Store

    ws, _ = corpus_index
    own = Workspace(tmp_path_factory.mktemp("rerank-ws"))
    (own.root / "crosswalk.db").symlink_to(ws.db_path)
    (own.root / "index").symlink_to(ws.index_dir, target_is_directory=True)
    with Store(own.db_path, readonly=True) as store:
        report = learn(store, own, use_decisions=False)
    return own, report


def test_reranking_beats_hybrid_on_the_test_half(trained):
    from crosswalk.evaluation import gold_io
    from crosswalk.evaluation.run import evaluate_workspace

    ws, report = trained
    assert report.queries > 30 and report.pairs > 10 and report.positives > 100
    result = evaluate_workspace(ws, pairs_path=gold_io.PAIRS_FILE, retrievers=["hybrid", "hybrid+rerank"],
                                split="test", match=False, resamples=200, permutations=2000)
    q, p = result.queries, result.pairs
    # nDCG@10, the primary metric (Recall@10 is reported in the README: on queries it did not improve)
    assert q["hybrid+rerank"].means["nDCG@10"] > q["hybrid"].means["nDCG@10"]
    assert p["hybrid+rerank"].means["nDCG@10"] > p["hybrid"].means["nDCG@10"]
    assert p["hybrid+rerank"].means["Recall@100"] == pytest.approx(p["hybrid"].means["Recall@100"])  # same pool
    # the dev half is never scored in-sample: the report's "after" figures are out of fold
    assert set(report.dev_after) == {"queries", "pairs"}
