"""The reviewer loop end to end on a synthetic workspace with a planted correspondence (tests/learning_fixture.py):
importing some counterpart pairs as decisions and running `crosswalk learn` raises Recall@10 on OTHER pairs; and
the review page counts the decisions since the last training and retrains on a click.

The first stage ranks discussion paragraphs that echo the US wording above the UK rule that is the real
counterpart; the reviewers' decisions on half of the topics teach the ranker what a counterpart looks like, and
the test measures the other half.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from crosswalk.cli import main
from learning_fixture import build_learning_workspace, counterparts, paper_id

TRAIN = range(0, 16, 2)  # topics whose pairs reviewers decide
HELD_OUT = range(1, 16, 2)  # topics only measured
APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_learning_workspace(tmp_path_factory.mktemp("learning-ws"))


def recall_at_10(ws, pairs, reranked: bool) -> float:
    """Share of `pairs` whose right provision is in the left one's top ten UK candidates."""
    from crosswalk.index.build import load_searcher
    from crosswalk.index.filters import Filters
    from crosswalk.index.rerank import load_ranker
    from crosswalk.ingest.store import Store

    with Store(ws.db_path, readonly=True) as store:
        searcher = load_searcher(store, ws.index_dir)
        ranker = load_ranker(ws) if reranked else None
        uk = Filters(jurisdiction=("UK",))
        found = 0
        for left, right in pairs:
            results = ranker.like(searcher, left, k=10, filters=uk) if ranker else searcher.like(left, k=10, filters=uk)
            found += right in results.ids()
    return found / len(pairs)


def decisions_csv(path: Path) -> Path:
    pairs = counterparts()
    lines = ["left_id,right_id,relationship,note"]
    for i in TRAIN:
        left, right = pairs[i]
        lines.append(f"{left},{right},equal,the rule that answers")
        lines += [f"{left},{paper_id(i, j)},Not related,discussion only" for j in (0, 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_decisions_imported_and_learned_raise_recall_on_held_out_pairs(built, tmp_path):
    from crosswalk.index.rerank import load_ranker

    pairs = counterparts()
    held_out = [pairs[i] for i in HELD_OUT]
    decided = {pairs[i][0] for i in TRAIN}
    assert not decided & {left for left, _ in held_out}
    assert load_ranker(built) is None
    before = recall_at_10(built, held_out, reranked=False)
    assert before <= 0.25  # the discussion outranks the rule: the planted difficulty is there

    out = CliRunner().invoke(main, ["decisions", "import", str(decisions_csv(tmp_path / "firm.csv")),
                                    "-w", str(built.root), "--reviewer", "ana"])
    assert out.exit_code == 0, out.output
    assert "imported 24 decisions" in out.output
    learned = CliRunner().invoke(main, ["learn", "-w", str(built.root), "--json"])
    assert learned.exit_code == 0, (learned.output, learned.exception)
    trained = json.loads(learned.output[learned.output.index("{"):])
    assert trained["decisions"] == 8 and trained["decision_rows"] == 24  # 8 decided US sections, 24 decisions
    from crosswalk.review.decisions import DecisionStore

    with DecisionStore(built.db_path) as ds:  # the review page counts decisions after this one as new
        assert load_ranker(built).meta["decisions_max_seq"] == max(d.seq for d in ds.all())

    after = recall_at_10(built, held_out, reranked=True)
    assert after >= 0.75 and after >= before + 0.5, (before, after)


def test_review_page_counts_new_decisions_and_retrains(built, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from crosswalk.workspace import Workspace
    from crosswalk.review.decisions import DecisionStore
    from crosswalk.app_pages.training import training_state

    root = tmp_path / "ws"
    shutil.copytree(built.root, root)
    ws = Workspace(root)
    monkeypatch.setenv("CROSSWALK_WORKSPACE", str(root))
    pairs = counterparts()
    with DecisionStore(ws.db_path) as ds:
        if training_state(ws, ds).model:  # the learning test ran first: its model is in the copy
            ds.record(pairs[1][0], pairs[1][1], "equal", "bea")
            ds.record(pairs[3][0], paper_id(3, 0), "not-related", "bea")
            ds.record(pairs[5][0], paper_id(5, 0), "unsure", "bea")  # not training data: not counted
            expected = 2
        else:
            for i in TRAIN:
                ds.record(pairs[i][0], pairs[i][1], "equal", "bea")
            expected = len(TRAIN)

    at = AppTest.from_file(APP, default_timeout=900)
    at.run()
    at.switch_page("app_pages/review.py").run()
    assert not at.exception, [e.value for e in at.exception]
    panel = "\n".join(m.value for m in at.markdown)
    assert f"{expected} decision{'s' if expected != 1 else ''}" in panel
    retrain = next(b for b in at.button if b.label == "Retrain")
    retrain.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("Retrained" in s.value for s in at.success)
    panel = "\n".join(m.value for m in at.markdown)
    assert "0 decisions since the last training" in panel
    if at.dataframe:  # the dev figures, when the gold's dev half has queries whose answers are in the store
        assert {"first stage (hybrid)", "new model (out of fold)"} <= set(at.dataframe[0].value["system"])
    else:
        assert any("No dev figures" in c.value for c in at.caption)
    with DecisionStore(ws.db_path) as ds:
        assert training_state(ws, ds).since == 0
        assert ds.count() >= expected  # nothing lost


def test_learning_curve_bench_replays_dev_pairs_and_scores_test_pairs(built):
    from crosswalk.bench.learning_curve import learning_curve
    from crosswalk.workspace import Workspace
    from crosswalk.evaluation.curve import CURVE_FILE
    from crosswalk.evaluation.gold_io import Pair
    from crosswalk.review.decisions import DecisionStore

    pairs = [Pair(left, right, "equal") for left, right in counterparts()]
    splits = {p.key: ("dev" if i in TRAIN else "test") for i, p in enumerate(pairs)}
    with DecisionStore(built.db_path) as ds:
        before = ds.all()
    curve = learning_curve(Workspace(built.root), sizes=(0, None), gold=([], {}, pairs, splits), resamples=200)
    first, last = curve["points"]
    assert (first["decisions"], first["model"]) == (0, False)  # nothing to learn from yet: the first stage
    assert first["Recall@10"] == curve["hybrid"]["Recall@10"] <= 0.25
    assert (last["decisions"], last["model"], last["decision_queries"]) == (8, True, 8)
    assert last["Recall@10"] >= 0.75 and last["Recall@10_ci"][0] <= last["Recall@10"] <= last["Recall@10_ci"][1]
    assert 0 <= last["Recall@10_p_vs_hybrid"] < 0.05
    assert (built.root / CURVE_FILE).exists()
    with DecisionStore(built.db_path) as ds:
        assert ds.all() == before  # the replay ran in a scratch copy


def test_decisions_since_training_counts_what_the_model_did_not_read(tmp_path):
    from app_fixture import PAIR, build_store
    from crosswalk.workspace import Workspace
    from crosswalk.review.decisions import DecisionStore
    from crosswalk.app_pages.training import SEEN_FILE, training_state

    ws = Workspace(tmp_path / "ws").ensure()
    build_store(ws)
    models = ws.root / "models"
    with DecisionStore(ws.db_path) as ds:
        assert training_state(ws, ds).model is False
        for rel in ("equal", "unsure", "subset-of", "not-related"):  # seq 1..4; unsure is not training data
            ds.record(*PAIR, rel, "ana")
        state = training_state(ws, ds)
        assert (state.model, state.since, state.total) == (False, 3, 3)
        assert "No ranker trained yet: 3 decisions" in state.message()

        models.mkdir()
        (models / "ranker.txt").write_text("model text", encoding="utf-8")
        meta = {"fingerprint": "f1", "trained_at": "2999-01-01T00:00:00+00:00", "training": {"decisions": 1},
                "dev": {"before": {}, "after": {}}}
        (models / "ranker.json").write_text(json.dumps(meta), encoding="utf-8")
        assert training_state(ws, ds).since == 0  # every decision is older than trained_at
        # the app's retraining noted that it read decisions up to seq 1: seq 3 and 4 arrived during or after it
        (models / SEEN_FILE).write_text(json.dumps({"decisions_max_seq": 1, "fingerprint": "f1"}), encoding="utf-8")
        assert training_state(ws, ds).since == 2
        (models / SEEN_FILE).write_text(json.dumps({"decisions_max_seq": 1, "fingerprint": "f0"}), encoding="utf-8")
        assert training_state(ws, ds).since == 0  # a note about an older model is ignored
        (models / "ranker.json").write_text(json.dumps({**meta, "decisions_max_seq": 3}), encoding="utf-8")
        state = training_state(ws, ds)
        assert state.since == 1 and "1 decision since the last training (2999-01-01 00:00 UTC) · 3 in all" == \
            state.message()
        (models / "ranker.json").write_text("{not json", encoding="utf-8")
        state = training_state(ws, ds)
        assert not state.model and "cannot read the ranker's metadata" in state.problem
