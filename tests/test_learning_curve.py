"""The learning curve's saved form: batch sizes, the README table, the PNG, and the app's evaluation page drawing
it (the benchmark itself runs on the corpus: `crosswalk bench learning-curve`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app_fixture import build_workspace
from crosswalk.bench.learning_curve import batch_sizes, plot_curve
from crosswalk.errors import ConfigError
from crosswalk.evaluation.curve import CURVE_FILE, format_curve, load_curve

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def curve() -> dict:
    def point(n, r, nd, p):
        return {"decisions": n, "system": "hybrid+rerank", "queries": 30, "decision_queries": n // 2,
                "train_seconds": 12.0, "Recall@10": r, "Recall@10_ci": [r - 0.1, r + 0.1], "Recall@10_p_vs_hybrid": p,
                "nDCG@10": nd, "nDCG@10_ci": [nd - 0.1, nd + 0.1], "nDCG@10_p_vs_hybrid": p}

    return {"generated_at": "2026-12-06T20:00:00+00:00", "seed": 0, "k": 100, "resamples": 1000, "dev_pairs": 38,
            "test_pairs": 37, "test_pair_queries": 30, "seconds": 600.0, "note": "",
            "hybrid": {"decisions": 0, "system": "hybrid", "queries": 30, "Recall@10": 0.541,
                       "Recall@10_ci": [0.4, 0.68], "nDCG@10": 0.36, "nDCG@10_ci": [0.27, 0.45]},
            "points": [point(0, 0.55, 0.37, 0.8), point(10, 0.6, 0.41, 0.3), point(38, 0.7, 0.5, 0.02)]}


def test_batch_sizes_cap_at_the_dev_pairs_and_refuse_negatives():
    assert batch_sizes((0, 10, 20, 40, None), 38) == [0, 10, 20, 38]
    assert batch_sizes((None, 5, 5), 100) == [5, 100]
    with pytest.raises(ConfigError, match="0 or more"):
        batch_sizes((-1,), 10)


def test_table_and_plot(tmp_path):
    table = format_curve(curve())
    assert "| hybrid (no ranker) | – | 0.541 [0.400, 0.680]" in table
    assert "| 38 | 19 | 0.700 [0.600, 0.800] | 0.02 | 0.500 [0.400, 0.600] | 0.02 | 12 |" in table
    png = plot_curve(curve(), tmp_path / "curve.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_workspace(tmp_path_factory.mktemp("curve-ws"), index=False)


def test_evaluation_page_draws_the_saved_curve(built, tmp_path, monkeypatch):
    import shutil

    from streamlit.testing.v1 import AppTest

    root = tmp_path / "ws"
    shutil.copytree(built.root, root)
    monkeypatch.setenv("CROSSWALK_WORKSPACE", str(root))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("app_pages/evaluation.py").run()
    assert any("No learning curve yet" in c.value for c in at.caption)

    (root / CURVE_FILE).parent.mkdir(parents=True, exist_ok=True)
    (root / CURVE_FILE).write_text(json.dumps(curve()), encoding="utf-8")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Learning from reviewers" in [s.value for s in at.subheader]
    table = at.dataframe[-1].value
    assert list(table.index) == [0, 10, 38]
    assert table.loc[38, "Recall@10 (mean)"] == 0.7 and table.loc[38, "Recall@10 (p vs hybrid)"] == 0.02
    assert any("Recall@10 0.541" in c.value for c in at.caption)

    (root / CURVE_FILE).write_text("{\"points\": 3}", encoding="utf-8")
    at.run()
    assert any("is not a learning curve" in e.value for e in at.error)
    with pytest.raises(ConfigError, match="run `crosswalk bench learning-curve` again"):
        from crosswalk.workspace import Workspace

        load_curve(Workspace(root))
