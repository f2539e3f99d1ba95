"""Bootstrap intervals and paired significance tests: deterministic, sensible on clear cases."""

from __future__ import annotations

import doctest
import importlib
import math

import numpy as np
import pytest

from crosswalk.errors import ConfigError
from crosswalk.evaluation.stats import EXACT_MAX, bootstrap_ci, compare, holm, randomisation_test, wins_losses_ties

SCORES = [0.0, 0.2, 0.35, 0.4, 0.5, 0.55, 0.6, 0.8, 0.9, 1.0, 0.1, 0.7, 0.3, 0.65, 0.45]


def test_bootstrap_is_deterministic_with_a_seed_and_brackets_the_mean():
    a = bootstrap_ci(SCORES, resamples=1000, seed=7)
    b = bootstrap_ci(SCORES, resamples=1000, seed=7)
    assert a == b
    lo, hi = a
    assert lo < float(np.mean(SCORES)) < hi
    assert 0.0 <= lo and hi <= 1.0
    assert bootstrap_ci(SCORES, resamples=1000, seed=8) != a


def test_bootstrap_width_shrinks_with_more_queries_and_widens_with_confidence():
    small = bootstrap_ci(SCORES, resamples=2000)
    large = bootstrap_ci(SCORES * 8, resamples=2000)
    assert (large[1] - large[0]) < (small[1] - small[0])
    c90 = bootstrap_ci(SCORES, confidence=0.90)
    c99 = bootstrap_ci(SCORES, confidence=0.99)
    assert (c99[1] - c99[0]) > (c90[1] - c90[0])


def test_bootstrap_edge_cases():
    assert bootstrap_ci([0.4]) == (0.4, 0.4)
    assert all(math.isnan(x) for x in bootstrap_ci([]))
    with pytest.raises(ConfigError, match="NaN"):
        bootstrap_ci([0.1, float("nan")])
    with pytest.raises(ConfigError, match="confidence"):
        bootstrap_ci(SCORES, confidence=95)


def test_identical_systems_give_p_one():
    assert randomisation_test(SCORES, SCORES) == 1.0  # random sign flips (15 queries)
    assert randomisation_test(SCORES[:5], SCORES[:5]) == 1.0  # exact


def test_clearly_different_systems_give_small_p():
    better = [min(1.0, s + 0.3) for s in SCORES]
    assert randomisation_test(better, SCORES) < 0.001
    assert randomisation_test(SCORES, better) < 0.001
    # exact with 8 queries all better: 2 of the 2^8 sign assignments are as extreme
    assert randomisation_test([1.0] * 8, [0.0] * 8) == pytest.approx(2 / 256)


def test_exact_and_sampled_tests_agree():
    rng = np.random.default_rng(3)
    a = rng.uniform(size=EXACT_MAX)
    b = a - rng.normal(0.05, 0.2, size=EXACT_MAX)
    exact = randomisation_test(a, b)
    # the sampled test on the same data: force sampling by padding with zero differences
    sampled = randomisation_test(list(a) + [0.5], list(b) + [0.5], permutations=20000)
    assert exact == pytest.approx(sampled, abs=0.03)
    assert randomisation_test(a, b) == exact  # exact is deterministic


def test_paired_lengths_must_match():
    with pytest.raises(ConfigError, match="differ in length"):
        randomisation_test([0.1, 0.2], [0.1])


def test_holm_adjustment():
    assert holm({"x": 0.01, "y": 0.04, "z": 0.03}) == {"x": 0.03, "y": 0.06, "z": 0.06}
    out = holm({"x": 0.5, "y": float("nan")})
    assert out["x"] == 0.5 and math.isnan(out["y"])


def test_compare_every_pair_in_order_with_holm():
    systems = {"hybrid": [1.0] * 20, "dense": [0.9] * 10 + [1.0] * 10, "bm25": [0.0] * 20}
    rows = compare(systems, "nDCG@10")
    assert [(c.a, c.b) for c in rows] == [("hybrid", "dense"), ("hybrid", "bm25"), ("dense", "bm25")]
    hb = rows[1]
    assert hb.diff == pytest.approx(1.0) and hb.p < 0.001 and hb.p_holm >= hb.p and hb.n == 20
    with pytest.raises(ConfigError, match="no scores for system 'match'"):
        compare(systems, "nDCG@10", [("hybrid", "match")])


def test_compare_reports_the_size_of_the_difference_and_how_it_is_made():
    # hybrid − dense per query: +0.1 on 10 queries, 0 on 10 (hand-counted: 10 wins, 0 losses, 10 ties)
    systems = {"hybrid": [1.0] * 20, "dense": [0.9] * 10 + [1.0] * 10, "bm25": [1.0, 0.0] * 10}
    hd, hb, db = compare(systems, "nDCG@10", resamples=2000)
    assert (hd.wins, hd.losses, hd.ties) == (10, 0, 10)
    lo, hi = hd.diff_ci
    assert hd.diff == pytest.approx(0.05)
    assert 0.0 < lo < 0.05 < hi <= 0.1  # every resample mean lies in [0, 0.1]
    assert (hb.wins, hb.losses, hb.ties) == (10, 0, 10) and hb.diff == pytest.approx(0.5)
    # dense − bm25: dense is 0.9 or 1.0 against bm25's alternating 1.0 / 0.0
    assert (db.wins, db.losses, db.ties) == (10, 5, 5)
    assert db.diff_ci[0] < db.diff < db.diff_ci[1]
    same = compare({"a": [0.3, 0.6], "b": [0.3, 0.6]}, "MRR@10")[0]
    assert same.diff_ci == (0.0, 0.0) and (same.wins, same.losses, same.ties) == (0, 0, 2)


def test_wins_losses_ties_need_paired_scores():
    with pytest.raises(ConfigError, match="differ in length"):
        wins_losses_ties([0.1, 0.2], [0.1])


@pytest.mark.parametrize("module", ["crosswalk.evaluation.gold_io", "crosswalk.evaluation.metrics", "crosswalk.evaluation.stats",
                                    "crosswalk.evaluation.agreement", "crosswalk.evaluation.run", "crosswalk.evaluation.pool",
                                    "crosswalk.evaluation.history", "crosswalk.evaluation.report"])
def test_docstring_examples(module):
    failures, tried = doctest.testmod(importlib.import_module(module))
    assert tried > 0 and failures == 0
