"""The report: report.md with the tables, metrics.png, latest.json; and the terminal text."""

from __future__ import annotations

import json
import math

import pytest

from crosswalk.evaluation.agreement import Agreement, PairKappa
from crosswalk.evaluation.metrics import METRICS
from crosswalk.evaluation.report import format_text, latest_json, render_markdown, save_run, summary, to_json, write_report
from crosswalk.evaluation.scores import EvalResult, compare_systems, score_run
from crosswalk.evaluation.rollup import Hierarchy

QRELS = {"cite-1": {"d:s.1": 2}, "q-1": {"d:s.2": 1, "d:s.3": 2}, "xvocab-1": {"d:s.4": 1}}
RUNS = {
    "bm25": {"cite-1": ["d:s.1(a)"], "q-1": ["d:s.9", "d:s.3"], "xvocab-1": []},
    "hybrid": {"cite-1": ["d:s.1"], "q-1": ["d:s.3", "d:s.2"], "xvocab-1": ["d:s.4"]},
}


@pytest.fixture()
def result():
    h = Hierarchy()
    queries = {n: score_run(n, "queries", run, QRELS, h, resamples=100, seconds=0.5) for n, run in RUNS.items()}
    pair_qrels = {"pair:US-A:s.1@UK": {"UK-B:r.1": 2}}
    pairs = {"match": score_run("match", "pairs", {"pair:US-A:s.1@UK": ["UK-B:r.2", "UK-B:r.1"]}, pair_qrels, h,
                                resamples=100)}
    r = EvalResult(queries=queries, pairs=pairs, comparisons=compare_systems(queries))
    r.warnings.append("1 judged id(s) are not in the store: d:s.99")
    r.meta = {"k": 100, "split": "all", "citation_lookup": True, "queries": 3, "pairs": 1, "pair_queries": 1,
              "bootstrap": {"resamples": 100, "confidence": 0.95, "seed": 0},
              "significance": {"metric": "nDCG@10", "test": "paired randomisation", "permutations": 10000},
              "index": {"model": "all-MiniLM-L6-v2", "index_type": "flat"}, "seconds": 1.2}
    return r


AGREEMENT = [Agreement("relationship", ("ana", "bo"), 4, 3, 0.61, (PairKappa("ana", "bo", 3, 0.67, 0.5),)),
             Agreement("counterpart", ("ana",), 1, 0, None)]


def test_write_report_writes_markdown_png_and_json(result, tmp_path):
    paths = write_report(result, tmp_path / "out", agreement=AGREEMENT, generated_at="2025-07-01T00:00:00Z",
                         commit="abc123")
    assert [p.name for p in paths] == ["report.md", "metrics.png", "latest.json"]
    assert (tmp_path / "out" / "metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "out" / "metrics.png").stat().st_size > 10_000
    md = (tmp_path / "out" / "report.md").read_text()
    assert "- Generated: 2025-07-01T00:00:00Z" in md and "`abc123`" in md
    assert "| retriever | nDCG@10 | Recall@10 | Recall@100 | MRR@10 | MAP | queries | judged@10 | seconds |" in md
    # bm25's judged share: cite-1 [s.1] all judged, q-1 [s.9, s.3] half, xvocab-1 retrieved nothing -> 0.75
    assert [line for line in md.splitlines() if line.startswith("| `bm25` |")][0].endswith("| 3 | 0.75 | 0.5 |")
    assert "`judged@10` is how much of each ranking the gold can vouch for" in md
    assert "- Gold: 3 scored queries; 1 pairs as 1 pair queries\n" in md  # no pooled judgements added
    result.meta["gold"] = {"judged": [{"path": "pool.tsv", "added": 7, "relevant": 3, "queries": 2}]}
    pooled = (write_report(result, tmp_path / "pooled")[0]).read_text()
    assert "- Gold: 3 scored queries; 1 pairs as 1 pair queries; + 7 judgement(s) (3 relevant) from `pool.tsv`" in pooled
    assert "| `hybrid` | 1.000 [1.000, 1.000] |" in md
    assert "| `hybrid` − `bm25` |" in md
    assert "| `cite` | `bm25` | 1 |" in md and "| `xvocab` | `hybrid` | 1 |" in md
    assert "## Pairs (cross-jurisdiction matching)" in md and "| `match` |" in md
    assert "Krippendorff's alpha (nominal) **0.610**" in md and "ana × bo: Cohen's kappa 0.500" in md
    assert "_only 3 pairs decided by two or more reviewers: a rough figure" in md
    assert "- 1 judged id(s) are not in the store: d:s.99" in md
    assert "model `all-MiniLM-L6-v2`" in md
    assert "![metrics with 95% confidence intervals](metrics.png)" in md
    data = json.loads((tmp_path / "out" / "latest.json").read_text())
    assert set(data) == {"retrievers", "generated_at", "commit", "meta", "warnings", "agreement", "since"}
    assert set(data["retrievers"]) == {"bm25", "hybrid", "pairs:match"}
    assert data["agreement"][0]["alpha"] == 0.61
    assert not list((tmp_path / "out").glob("*.tmp*"))


def test_json_is_strict_nan_becomes_null(result):
    s = result.queries["bm25"]
    s.means["MAP"] = float("nan")
    s.ci["MAP"] = (float("nan"), float("nan"))
    data = to_json(result)
    assert data["bm25"]["MAP"] is None and data["bm25"]["MAP_ci"] == [None, None]
    text = json.dumps(latest_json(result, generated_at="t"), allow_nan=False)
    assert '"MAP": null' in text
    assert "MAP" in render_markdown(result)  # renders a dash, does not crash


def test_text_output_and_summary(result, tmp_path):
    text = format_text(result, per_query=True)
    first = text.splitlines()[0].split()
    assert first[:2] == ["queries", "(all)"] and first[2:7] == list(METRICS)
    assert "hybrid − bm25:" in text
    assert any(line.split()[:3] == ["q-1", "q", "bm25"] for line in text.splitlines())
    assert any(line.split()[:3] == ["pair:US-A:s.1@UK", "pair", "match"] for line in text.splitlines())
    line = summary(result, [tmp_path / "report.md"])
    assert line.startswith("evaluated 3 queries and 1 pair queries (1 pairs) (split all) with bm25, hybrid, match")
    assert "1 gold warning(s)" in line and "report.md" in line


def test_hand_checked_values_reach_the_report(result):
    bm25 = result.queries["bm25"]
    assert bm25.per_query["cite-1"]["nDCG@10"] == 1.0  # s.1(a) counts for s.1
    assert bm25.per_query["q-1"]["MRR@10"] == 0.5
    assert bm25.per_query["q-1"]["Recall@10"] == 0.5
    assert math.isclose(bm25.means["MRR@10"], 0.5)
    assert bm25.first_relevant == {"cite-1": 1, "q-1": 2, "xvocab-1": None}
    # one query per kind: each kind's interval is that query's value
    assert bm25.by_kind["q"]["MRR@10"] == 0.5 and bm25.by_kind["q"]["MRR@10_ci"] == (0.5, 0.5)
    assert "| `q` | `bm25` | 1 | " in render_markdown(result) and "0.500 [0.500, 0.500]" in render_markdown(result)


def test_save_run_compares_with_the_previous_comparable_run_then_adds_to_the_history(result, tmp_path):
    folder, extra = tmp_path / "eval", tmp_path / "report"
    save = dict(history_dir=folder)
    result.meta["fingerprint"] = {"queries": "q-gold", "pairs": "p-gold"}
    first = save_run(result, [folder], generated_at="2026-01-01T00:00:00Z", commit="aaa", **save)
    assert [p.name for p in first.paths] == ["report.md", "metrics.png", "latest.json", "history.jsonl"]
    assert first.since == [] and first.first_time == ["bm25", "hybrid", "pairs:match"]
    assert "nothing to compare with yet" in (folder / "report.md").read_text()
    # the next run: bm25 now finds q-1's best answer first (nDCG@10 of q-1 rises to 1), on the same gold;
    # its report also goes to another folder (named twice: written once), compared with the same history
    better = {"cite-1": ["d:s.1(a)"], "q-1": ["d:s.3", "d:s.2"], "xvocab-1": []}
    result.queries["bm25"] = score_run("bm25", "queries", better, QRELS, Hierarchy(), resamples=100)
    second = save_run(result, [folder, extra, extra], generated_at="2026-01-02T00:00:00Z", commit="bbb", **save)
    assert [p.name for p in second.paths].count("report.md") == 2 and not (extra / "history.jsonl").exists()
    bm25 = next(c for c in second.since if c.system == "bm25")
    assert (bm25.previous_at, bm25.previous_commit, bm25.better, bm25.worse) == ("2026-01-01T00:00:00Z", "aaa", 1, 0)
    assert bm25.diff("MRR@10") == pytest.approx((1 - 0.5) / 3)  # q-1's first answer moved from rank 2 to 1
    assert {c.system for c in second.since} == {"bm25", "hybrid", "pairs:match"}
    for md in (folder / "report.md", extra / "report.md"):
        text = md.read_text()
        assert "## Since the previous comparable run" in text
        assert "| `bm25` | 2026-01-01T00:00:00Z, commit aaa |" in text
    saved = json.loads((folder / "latest.json").read_text())
    assert [c["system"] for c in saved["since"]] == ["bm25", "hybrid", "pairs:match"]
    lines = (folder / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["commit"] for line in lines] == ["aaa", "bbb"]
    # not recorded (--no-save): compared, reported, not added
    unsaved = save_run(result, [extra], generated_at="2026-01-02T12:00:00Z", commit="bbc", record=False, **save)
    assert unsaved.since and len((folder / "history.jsonl").read_text().splitlines()) == 2
    # other gold (an edited qrels file): kept in the history, compared with nothing
    result.meta["fingerprint"] = {"queries": "edited", "pairs": "p-gold"}
    third = save_run(result, [folder], generated_at="2026-01-03T00:00:00Z", commit="ccc", **save)
    assert [c.system for c in third.since] == ["pairs:match"] and third.first_time == ["bm25", "hybrid"]
