"""Hierarchical roll-up: hits inside a judged unit count for it, once, at their best rank."""

from __future__ import annotations

import doctest

import pytest

import crosswalk.evaluation.rollup as rollup_module
from crosswalk.evaluation.rollup import (
    Hierarchy,
    ancestors_from_id,
    nested_gold,
    ranked_ids,
    rollup_ranking,
    rollup_run,
    unit_of,
)
from crosswalk.ingest.models import Provision, Source, make_id
from crosswalk.ingest.store import Store

G = "US-PL119-27-GENIUS"


def test_docstring_examples():
    failures, tried = doctest.testmod(rollup_module, optionflags=doctest.ELLIPSIS)
    assert tried > 10 and failures == 0


def test_child_counts_for_gold_parent():
    assert rollup_ranking(["d:200.9(a)"], {"d:200.9"}) == [("d:200.9", 1)]
    assert rollup_ranking(["d:200.9(a)(1)(ii)"], {"d:200.9"}) == [("d:200.9", 1)]


def test_parent_does_not_count_for_gold_child():
    assert rollup_ranking(["d:200.9"], {"d:200.9(a)"}) == [("d:200.9", 1)]


def test_siblings_count_once_at_best_rank_and_later_units_move_up():
    ranked = [f"{G}:sec.5", f"{G}:sec.4(a)(11)", f"{G}:sec.4(a)(1)", f"{G}:sec.9"]
    assert rollup_ranking(ranked, {f"{G}:sec.4(a)"}) == [(f"{G}:sec.5", 1), (f"{G}:sec.4(a)", 2), (f"{G}:sec.9", 4)]
    assert rollup_run({"q": ranked}, {"q": {f"{G}:sec.4(a)": 2}}) == {"q": [f"{G}:sec.5", f"{G}:sec.4(a)", f"{G}:sec.9"]}


def test_string_prefix_is_not_an_ancestor():
    # 200.1 is not an ancestor of 200.10, nor sec.4 of sec.40
    assert rollup_ranking(["d:200.10", "d:sec.40(a)"], {"d:200.1", "d:sec.4"}) == [("d:200.10", 1), ("d:sec.40(a)", 2)]


def test_other_document_does_not_count():
    assert unit_of("US-B:sec.4(a)", {"US-A:sec.4"}) == "US-B:sec.4(a)"


def test_nearest_judged_ancestor_wins_when_gold_is_nested():
    gold = {"d:200.9", "d:200.9(a)"}
    assert rollup_ranking(["d:200.9(a)(1)", "d:200.9(b)"], gold) == [("d:200.9(a)", 1), ("d:200.9", 2)]
    assert nested_gold({"q": {"d:200.9": 1, "d:200.9(a)": 2}}) == [("q", "d:200.9(a)", "d:200.9")]


def test_empty_run_and_empty_qrels():
    assert rollup_ranking([], {"d:s.1"}) == []
    assert rollup_ranking(["d:s.1(a)", "d:s.1(a)", "d:s.2"], set()) == [("d:s.1(a)", 1), ("d:s.2", 3)]
    assert rollup_run({}, {}) == {}
    assert rollup_run({"q": []}, {"q": {"d:s.1": 1}}) == {"q": []}
    assert rollup_run({"q": ["d:s.1(a)"]}, {}) == {"q": ["d:s.1(a)"]}


def test_score_ties_break_by_id_deterministically():
    assert ranked_ids({"d:s.2": 0.5, "d:s.1": 0.5, "d:s.3": 0.9}) == ["d:s.3", "d:s.1", "d:s.2"]
    run = {"q": {"d:s.1(b)": 0.5, "d:s.1(a)": 0.5, "d:s.2": 0.5}}
    assert rollup_run(run, {"q": {"d:s.1": 2}}) == {"q": ["d:s.1", "d:s.2"]}


@pytest.mark.parametrize(
    "pid, expected",
    [
        ("US-X:sec.4(a)(11)", ["US-X:sec.4(a)", "US-X:sec.4"]),
        ("UK-FCA-CP25-14:CASS_16.2.13R", ["UK-FCA-CP25-14:CASS_16.2", "UK-FCA-CP25-14:CASS_16"]),
        ("UK-MLR-2017:reg.14A(1)(a)", ["UK-MLR-2017:reg.14A(1)", "UK-MLR-2017:reg.14A"]),
        ("EU-MICA-2023-1114:art.36(1)(a)", ["EU-MICA-2023-1114:art.36(1)", "EU-MICA-2023-1114:art.36"]),
        ("UK-X:sch.1_para.2(a)", ["UK-X:sch.1_para.2", "UK-X:sch.1"]),
    ],
)
def test_ancestors_from_the_id_form(pid, expected):
    assert ancestors_from_id(pid) == expected


def test_store_chain_wins_over_id_form(tmp_path):
    """The store says CASS 17.2.5R sits under CASS 17.2.1R (not what the id form says): the store wins; an id the
    store lacks falls back to its form."""
    src = Source("UK-T", "UK")
    provs = [
        Provision(make_id("UK-T", "CASS 17.2.1R"), "UK-T", "UK", "CASS 17.2.1R", "A firm must safeguard.", ordinal=0),
        Provision(make_id("UK-T", "CASS 17.2.5R"), "UK-T", "UK", "CASS 17.2.5R", "A firm must not use.",
                  parent_id=make_id("UK-T", "CASS 17.2.1R"), ordinal=1),
    ]
    with Store(tmp_path / "crosswalk.db") as store:
        store.replace_document(src, provs, path="x", file_sha256="0", pipeline="t", splitter="t", pages=None)
        h = Hierarchy.from_store(store)
    assert h.ancestors("UK-T:CASS_17.2.5R") == ["UK-T:CASS_17.2.1R"]
    assert h.ancestors("UK-T:CASS_17.9.9R") == ["UK-T:CASS_17.9", "UK-T:CASS_17"]
    assert rollup_ranking(["UK-T:CASS_17.2.5R"], {"UK-T:CASS_17.2.1R"}, h) == [("UK-T:CASS_17.2.1R", 1)]
    assert rollup_ranking(["UK-T:CASS_17.2.5R"], {"UK-T:CASS_17.2"}, h) == [("UK-T:CASS_17.2.5R", 1)]


def test_cycle_in_parent_chain_stops():
    h = Hierarchy({"d:a": "d:b", "d:b": "d:a"})
    assert h.ancestors("d:a") == ["d:b"]
