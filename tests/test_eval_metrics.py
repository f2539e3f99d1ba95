"""Metrics through our ir-measures wrapper against hand computations on a tiny run (ranx-style fixtures)."""

from __future__ import annotations

import math

import pytest

from crosswalk.errors import ConfigError
from crosswalk.evaluation.metrics import METRICS, as_scores, judged_share, mean, per_query
from crosswalk.evaluation.rollup import rollup_run

QRELS = {
    "q1": {"a": 2, "b": 1, "c": 0},
    "q2": {"x": 1, "y": 1},
    "q3": {"z": 0},  # no relevant judgement: not scored
    "q4": {"w": 2},  # no ranking: scores 0
}
RUN = {
    "q1": ["c", "a", "d", "b"],
    "q2": [f"n{i}" for i in range(1, 11)] + ["x"],  # x at rank 11, y never
    "q3": ["z"],
}

# q1: DCG@10 = 2/log2(3) + 1/log2(5); ideal = 2/log2(2) + 1/log2(3)
Q1_NDCG = (2 / math.log2(3) + 1 / math.log2(5)) / (2 + 1 / math.log2(3))
HAND = {
    "q1": {"nDCG@10": Q1_NDCG, "Recall@10": 1.0, "Recall@100": 1.0, "MRR@10": 0.5, "MAP": (1 / 2 + 2 / 4) / 2},
    "q2": {"nDCG@10": 0.0, "Recall@10": 0.0, "Recall@100": 0.5, "MRR@10": 0.0, "MAP": (1 / 11) / 2},
    "q4": {m: 0.0 for m in METRICS},
}


def test_each_metric_per_query_matches_the_hand_computation():
    got = per_query(QRELS, RUN)
    assert sorted(got) == ["q1", "q2", "q4"]
    for q, expected in HAND.items():
        for m, v in expected.items():
            assert got[q][m] == pytest.approx(v, abs=1e-9), (q, m)


def test_means_over_scored_queries():
    got = mean(per_query(QRELS, RUN))
    assert got["nDCG@10"] == pytest.approx(Q1_NDCG / 3)
    assert got["Recall@10"] == pytest.approx(1 / 3)
    assert got["Recall@100"] == pytest.approx(0.5)
    assert got["MRR@10"] == pytest.approx(0.5 / 3)
    assert got["MAP"] == pytest.approx((0.5 + 1 / 22) / 3)
    assert Q1_NDCG == pytest.approx(0.643322, abs=1e-6)  # 1.692536 / 2.630930


def test_empty_run_empty_qrels_and_unknown_metric():
    assert per_query({}, RUN) == {}
    assert mean({}, ["MAP"])["MAP"] != mean({}, ["MAP"])["MAP"]  # NaN
    assert per_query({"q1": {"a": 1}}, {}) == {"q1": {m: 0.0 for m in METRICS}}
    with pytest.raises(ConfigError, match="unknown metric"):
        per_query(QRELS, RUN, ["P@5"])


def test_judged_share_is_the_judged_part_of_the_first_ten():
    got = judged_share(QRELS, RUN)
    # q1: c, a, b judged, d not, 4 hits in all -> 3/4; q2: the first ten are n1..n10, none judged (x is 11th);
    # q3 has no relevant judgement and q4 no ranking: no share.
    assert got == {"q1": pytest.approx(0.75), "q2": 0.0}
    assert judged_share(QRELS, RUN, k=2)["q1"] == pytest.approx(1.0)  # c, a
    assert judged_share(QRELS, {"q1": ["a", "a", "d"]})["q1"] == pytest.approx(0.5)  # a repeat counts once
    assert judged_share({}, RUN) == {} and judged_share(QRELS, {}) == {}


def test_a_repeated_hit_counts_once_at_its_first_rank():
    assert as_scores(["a", "b", "a"]) == {"a": 2.0, "b": 1.0}
    got = per_query({"q": {"a": 1, "b": 1}}, {"q": ["x", "a", "a", "b"]}, ["MAP"])
    assert got["q"]["MAP"] == pytest.approx((1 / 2 + 2 / 3) / 2)


def test_rollup_then_metrics_a_child_hit_is_a_perfect_answer():
    qrels = {"q": {"d:200.9": 2}}
    run = {"q": ["d:200.9(a)", "d:200.9(b)", "d:200.12"]}
    got = per_query(qrels, rollup_run(run, qrels))["q"]
    assert got == {"nDCG@10": 1.0, "Recall@10": 1.0, "Recall@100": 1.0, "MRR@10": 1.0, "MAP": 1.0}
    without = per_query(qrels, run)["q"]
    assert without["nDCG@10"] == 0.0


def test_rolled_up_duplicates_make_room_for_the_next_unit():
    """Two hits in gold unit A then B at original rank 3: after roll-up B is second (MRR over units)."""
    qrels = {"q": {"d:A": 1, "d:B": 1}}
    run = {"q": ["d:A(1)", "d:A(2)", "d:B"]}
    got = per_query(qrels, rollup_run(run, qrels), ["MAP"])
    assert got["q"]["MAP"] == pytest.approx(1.0)
