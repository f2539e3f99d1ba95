"""Fusion and results: hand-computed expectations, including the empty cases."""

from __future__ import annotations

import doctest

import pytest

from crosswalk.errors import QueryError
from crosswalk.index.fusion import rrf, weighted
from crosswalk.index.results import Hit, Results

BM25 = Results.ranked("q", "bm25", [("a", 12.0), ("b", 7.0), ("c", 3.0)])
DENSE = Results.ranked("q", "dense", [("c", 0.9), ("a", 0.8), ("d", 0.5)])


def test_rrf_hand_computed():
    # a: 1/61 + 1/62; c: 1/63 + 1/61; b: 1/62; d: 1/63
    fused = rrf({"bm25": BM25, "dense": DENSE}, k=10)
    expected = {"a": 1 / 61 + 1 / 62, "c": 1 / 63 + 1 / 61, "b": 1 / 62, "d": 1 / 63}
    assert fused.ids() == ["a", "c", "b", "d"]
    assert {h.provision_id: h.score for h in fused} == pytest.approx(expected)
    assert [h.rank for h in fused] == [1, 2, 3, 4]
    a = fused[0]
    assert a.scores == {"bm25": 12.0, "dense": 0.8} and a.ranks == {"bm25": 1, "dense": 2}
    assert fused.retriever == "hybrid" and fused.query == "q"


def test_rrf_weights_and_k_constant():
    fused = rrf({"bm25": BM25, "dense": DENSE}, k=2, weights={"bm25": 0.0})
    assert fused.ids() == ["c", "a"]  # only dense counts
    assert fused[0].score == pytest.approx(1 / 61)
    fused = rrf({"bm25": BM25}, k=1, rrf_k=0)
    assert fused[0].score == pytest.approx(1.0)


def test_weighted_hand_computed():
    # bm25 min-max: a 1, b 4/9, c 0; dense: c 1, a 0.75, d 0
    fused = weighted({"bm25": BM25, "dense": DENSE}, k=10)
    expected = {"a": 1.75, "c": 1.0, "b": 4 / 9, "d": 0.0}
    assert {h.provision_id: h.score for h in fused} == pytest.approx(expected)
    assert fused.ids() == ["a", "c", "b", "d"]
    fused = weighted({"bm25": BM25, "dense": DENSE}, k=10, weights={"bm25": 0.5, "dense": 3.0})
    assert fused.ids()[0] == "c"  # c: 0.5·0 + 3·1 = 3 beats a: 0.5·1 + 3·0.75 = 2.75


def test_weighted_single_hit_counts_as_best():
    one = Results.ranked("q", "bm25", [("x", 4.2)])
    assert weighted({"bm25": one})[0].score == 1.0


@pytest.mark.parametrize("fuse", [rrf, weighted])
def test_fusion_of_empty_inputs(fuse):
    empty = Results("q", "bm25", ())
    assert len(fuse({})) == 0
    assert len(fuse({"bm25": empty, "dense": Results("q", "dense", ())})) == 0
    only = fuse({"bm25": empty, "dense": DENSE}, k=2)
    assert only.ids() == ["c", "a"]


@pytest.mark.parametrize("fuse", [rrf, weighted])
def test_fusion_ties_are_deterministic(fuse):
    x = Results.ranked("q", "bm25", [("b", 1.0), ("a", 0.5)])
    y = Results.ranked("q", "dense", [("a", 1.0), ("b", 0.5)])
    assert fuse({"bm25": x, "dense": y}).ids() == fuse({"dense": y, "bm25": x}).ids() == ["a", "b"]


@pytest.mark.parametrize("fuse", [rrf, weighted])
def test_fusion_rejects_bad_weights(fuse):
    with pytest.raises(QueryError, match="runs are bm25"):
        fuse({"bm25": BM25}, weights={"dense": 1})
    with pytest.raises(QueryError, match="0 or more"):
        fuse({"bm25": BM25}, weights={"bm25": -1})


def test_results_merge_keeps_first_appearance_and_renumbers():
    cited = Results.from_ids(["c", "c-child"], query="CASS 16")
    merged = Results.merge([cited, BM25], k=4)
    assert merged.ids() == ["c", "c-child", "a", "b"]
    assert [h.rank for h in merged] == [1, 2, 3, 4]
    assert merged[2].scores == {"bm25": 12.0}
    assert Results.merge([]).hits == ()


def test_results_helpers():
    assert BM25.to_run() == {"a": 12.0, "b": 7.0, "c": 3.0}
    assert BM25.top(1).ids() == ["a"]
    assert BM25[0] == Hit("a", 12.0, 1, {"bm25": 12.0}, {"bm25": 1})
    assert BM25.to_dict()["hits"][1]["id"] == "b"


def test_docstring_examples_of_index_modules():
    import crosswalk.index.dense
    import crosswalk.index.filters
    import crosswalk.index.fusion
    import crosswalk.index.lexical
    import crosswalk.index.passages
    import crosswalk.index.results
    import crosswalk.index.retrievers
    import crosswalk.index.snippets
    for mod in (index.fusion, index.results, index.filters, index.lexical, index.passages, index.snippets,
                index.dense, index.retrievers):
        failed, _ = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert failed == 0, mod.__name__
