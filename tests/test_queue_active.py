"""The review queue ordered to teach the ranker: uncertain pairs and pairs the retrievers disagree on first, one
position in ten a seeded random pair (index/active.py)."""

from __future__ import annotations

import pytest

from app_fixture import build_workspace
from crosswalk.errors import ConfigError
from crosswalk.index.active import (PairSignals, clear_order, disagreement, learning_order, margin_uncertainty,
                          order_reason, reorder_queue)


def grid(n: int = 100) -> list[PairSignals]:
    """n pairs over n/4 focal provisions, scores spread from 0 to 1, ranks agreeing."""
    return [PairSignals(f"US-X:s.{i // 4:03d}", f"UK-Y:r.{i:03d}", score=i / n, ranks={"bm25": 1 + i % 4,
                                                                                        "dense": 1 + i % 4})
            for i in range(n)]


def test_one_position_in_ten_is_a_seeded_random_pair():
    order = learning_order(grid(), random_share=0.1, seed=7)
    assert [o.position for o in order if o.reason == "random"] == list(range(9, 100, 10))
    assert sorted((o.left_id, o.right_id) for o in order) == sorted((s.left_id, s.right_id) for s in grid())
    assert [o.priority for o in order] == sorted((o.priority for o in order), reverse=True)
    assert len({o.priority for o in order}) == 100  # strictly decreasing: ORDER BY priority reproduces it
    again = learning_order(grid(), random_share=0.1, seed=7)
    assert again == order
    other = learning_order(grid(), random_share=0.1, seed=8)
    assert {o.right_id for o in other if o.reason == "random"} != {o.right_id for o in order if o.reason == "random"}
    # the random pairs are drawn from the whole queue, not only from its tail or head
    positions_if_unsampled = {o.right_id: i for i, o in enumerate(learning_order(grid(), random_share=0))}
    drawn = [positions_if_unsampled[o.right_id] for o in order if o.reason == "random"]
    assert min(drawn) < 50 < max(drawn)
    assert not [o for o in learning_order(grid(), random_share=0) if o.reason == "random"]


def test_non_random_positions_go_by_teaching_value():
    order = [o for o in learning_order(grid(), random_share=0.1) if o.reason != "random"]
    value = [0.6 * o.uncertainty + 0.4 * o.disagreement for o in order]
    assert value == sorted(value, reverse=True)


def test_uncertain_pairs_come_before_confident_ones():
    pairs = [PairSignals("US-X:a", "UK-Y:sure-yes", 0.95, {"bm25": 1, "dense": 1}),
             PairSignals("US-X:a", "UK-Y:sure-no", 0.05, {"bm25": 9, "dense": 9}),
             PairSignals("US-X:b", "UK-Y:on-the-fence", 0.50, {"bm25": 2, "dense": 2}),
             PairSignals("US-X:b", "UK-Y:fence-too", 0.52, {"bm25": 3, "dense": 3})]
    order = learning_order(pairs, random_share=0)
    assert {o.right_id for o in order[:2]} == {"UK-Y:on-the-fence", "UK-Y:fence-too"}
    assert all(o.reason == "uncertain" for o in order[:2])


def test_reviewers_decisions_place_the_boundary():
    # first-stage scores where counterparts sit around 0.8 and non-counterparts around 0.3
    pairs = [PairSignals(f"US-X:{i}", f"UK-Y:{i}", s, {"bm25": 1, "dense": 1})
             for i, s in enumerate([0.78, 0.8, 0.82, 0.28, 0.3, 0.32, 0.55, 0.9])]
    decided = {(f"US-X:{i}", f"UK-Y:{i}"): i < 3 for i in range(6)}
    order = learning_order(pairs, decided=decided, random_share=0)
    assert order[0].right_id == "UK-Y:6"  # 0.55: halfway between what reviewers accepted and refused
    without = learning_order(pairs, random_share=0)  # boundary: the median best score, 0.665
    assert without[0].right_id != "UK-Y:6" or without[0].uncertainty < order[0].uncertainty


def test_retriever_disagreement_lifts_a_pair():
    agree = PairSignals("US-X:a", "UK-Y:agree", 0.9, {"bm25": 2, "dense": 2, "rerank": 2})
    split = PairSignals("US-X:a", "UK-Y:split", 0.9, {"bm25": 1, "rerank": 1})  # dense never found it
    first = learning_order([agree, split], random_share=0)[0]
    assert first.right_id == "UK-Y:split" and first.disagreement == 1.0
    # a confident score (far above every other focal provision's best) with retrievers split: kept for disagreement
    others = [PairSignals(f"US-X:{c}", f"UK-Y:{c}", 0.1 + i / 50, {"bm25": 1, "dense": 1})
              for i, c in enumerate("bcdefgh")]
    sure = PairSignals("US-X:a", "UK-Y:sure-but-split", 0.99, {"bm25": 1, "dense": 101})
    order = learning_order([*others, sure], random_share=0)
    picked = next(o for o in order if o.right_id == "UK-Y:sure-but-split")
    assert picked.reason == "disagreement" and picked.position < len(order) - 1
    assert disagreement({}) == disagreement({"bm25": 5, "dense": 5}) == 0.0
    assert disagreement({"bm25": 5}) == disagreement({"bm25": 5, "dense": 101}) > 0.5  # dense did not find it
    assert disagreement({"bm25": 1, "dense": 10}) < disagreement({"bm25": 1, "dense": 50})


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="random share is 1"):
        learning_order(grid(), random_share=1)
    with pytest.raises(ConfigError, match="width is 0"):
        margin_uncertainty(0.5, 0.5, 0)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_workspace(tmp_path_factory.mktemp("active-ws"))


def test_reorder_writes_the_order_the_queue_and_the_review_page_read(built):
    from crosswalk.index.build import load_searcher
    from crosswalk.index.queue import read_queue
    from crosswalk.ingest.store import Store
    from crosswalk.app_pages.workbench import Workbench

    with Store(built.db_path) as store:
        searcher = load_searcher(store, built.index_dir)
        before = {(q.left_id, q.right_id) for q in read_queue(store, "US", "UK")}
        report = reorder_queue(store, searcher, "US", "UK", seed=3)
        rows = read_queue(store, "US", "UK")
        assert {(q.left_id, q.right_id) for q in rows} == before and report.pairs == len(rows)
        reasons = [order_reason(store, q.left_id, q.right_id) for q in rows]
    assert [r["position"] for r in reasons] == list(range(len(rows)))
    assert [i for i, r in enumerate(reasons) if r["reason"] == "random"] == list(range(9, len(rows), 10))
    assert report.reasons["random"] == len(rows) // 10 and not report.ranker
    assert all(set(r["ranks"]) <= {"bm25", "dense"} for r in reasons)
    assert any(r["ranks"] for r in reasons)
    assert "ordered to teach" in report.summary() and "no ranker" in report.summary()
    wb = Workbench.open(built.root)
    try:
        first = wb.queue_at(("US", "UK"), 0)
        assert (first.left_id, first.right_id) == (rows[0].left_id, rows[0].right_id)
        assert wb.queue_reason(first.left_id, first.right_id)["reason"] == reasons[0]["reason"]
    finally:
        wb.close()
    with Store(built.db_path) as store:
        assert clear_order(store, "US", "UK") == len(rows)
        assert order_reason(store, rows[0].left_id, rows[0].right_id) is None


def test_review_page_says_why_a_queued_pair_is_there(built, tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from crosswalk.index.build import load_searcher
    from crosswalk.ingest.store import Store

    root = tmp_path / "ws"
    shutil.copytree(built.root, root)
    monkeypatch.setenv("CROSSWALK_WORKSPACE", str(root))
    with Store(root / "crosswalk.db") as store:
        reorder_queue(store, load_searcher(store, root / "index"), "US", "UK", seed=0)
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    at.run()
    at.query_params.update({"dir": "US-UK", "pos": "9"})  # the tenth position: a random pair
    at.switch_page("app_pages/review.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("In the queue here because a random pair" in c.value for c in at.caption)
    assert any("decisions" in m.value and "Ranker" in m.value for m in at.markdown)
