"""Quality over time: the history file (append, read, damaged lines), which runs compare, and the change
between two runs worked out by hand."""

from __future__ import annotations

import json

import pytest

from crosswalk.evaluation.history import (
    HISTORY,
    append,
    comparable_key,
    comparable_rows,
    compare_entries,
    format_history,
    format_since,
    load,
    make_entry,
    markdown_since,
    since_previous,
)
from crosswalk.evaluation.metrics import METRICS
from crosswalk.evaluation.rollup import Hierarchy
from crosswalk.evaluation.scores import EvalResult, score_run


def run(at, per_query, *, fp="gold-a", k=100, citations=True, system="hybrid", commit="c0ffee"):
    """A hand-made history line: `per_query` is {qid: nDCG@10}; the means are their means."""
    mean = sum(per_query.values()) / len(per_query)
    gold = "pairs" if system.startswith("pairs:") else "queries"
    return {"generated_at": at, "commit": commit,
            "settings": {"split": "test", "k": k, "citation_lookup": citations, "fingerprint": {gold: fp}},
            "index": {"model": "m"},
            "systems": {system: {"gold": gold, "queries": len(per_query), "judged@10": 0.2,
                                 "means": {m: mean for m in METRICS}, "ci": {},
                                 "per_query": {"nDCG@10": per_query, "Recall@10": per_query}}}}


OLD = run("2026-01-01T00:00:00Z", {"q-1": 1.0, "q-2": 0.5, "q-3": 0.0, "q-4": 0.25})
OTHER_GOLD = run("2026-01-02T00:00:00Z", {"q-1": 0.0}, fp="gold-b")
NEW = run("2026-01-03T00:00:00Z", {"q-1": 0.5, "q-2": 0.5, "q-3": 1.0, "q-4": 0.0}, commit="beef+dirty")


def test_change_against_the_last_run_on_the_same_gold_worked_by_hand():
    [change] = since_previous([OLD, OTHER_GOLD], NEW)  # gold-b is another yardstick: skipped
    assert change.previous_at == "2026-01-01T00:00:00Z" and change.system == "hybrid"
    assert change.diff("nDCG@10") == pytest.approx(2.0 / 4 - 1.75 / 4)
    # per query: q-1 −0.5, q-2 0, q-3 +1.0, q-4 −0.25 → better on 1, worse on 2, the worst fall first
    assert (change.n, change.better, change.worse) == (4, 1, 2)
    assert change.worst == (("q-1", 1.0, 0.5), ("q-4", 0.25, 0.0))
    # exact test over 2^4 sign flips of (−0.5, 0, +1.0, −0.25): |mean| ≥ 0.0625 for every one of them
    assert change.p == 1.0


def test_what_makes_runs_comparable():
    assert comparable_key(NEW, "hybrid") == ("queries", "gold-a", 100, True)
    assert comparable_key(NEW, "bm25") is None  # not scored in that run
    assert since_previous([run("t", {"q-1": 1.0}, k=50)], NEW) == []  # another depth
    assert since_previous([run("t", {"q-1": 1.0}, citations=False)], NEW) == []  # another citation setting
    # for pairs the citation setting plays no part
    pairs_old = run("t0", {"pair:a@UK": 0.0}, system="pairs:match", citations=False)
    pairs_new = run("t1", {"pair:a@UK": 1.0}, system="pairs:match", citations=True)
    [c] = since_previous([pairs_old], pairs_new)
    assert (c.better, c.worse, c.worst) == (1, 0, ())
    assert since_previous([], NEW) == []
    no_fingerprint = json.loads(json.dumps(NEW))
    no_fingerprint["settings"]["fingerprint"] = {}
    assert since_previous([OLD], no_fingerprint) == []


def test_a_run_without_per_query_values_still_compares_its_means():
    bare = json.loads(json.dumps(OLD))
    del bare["systems"]["hybrid"]["per_query"]
    c = compare_entries(bare, NEW, "hybrid")
    assert c.n == 0 and c.diff("MAP") == pytest.approx(0.0625) and c.p != c.p  # NaN: nothing to pair


def test_append_and_load_round_trip_skipping_damaged_lines(tmp_path):
    path = tmp_path / "eval" / HISTORY
    assert load(path) == ([], [])
    append(path, OLD)
    with path.open("a", encoding="utf-8") as f:
        f.write('{"generated_at": "cut off mid-wr\n')  # an interrupted write
        f.write('{"generated_at": "x"}\n\n')  # JSON, but not a run
    append(path, NEW)
    entries, problems = load(path)
    assert entries == [OLD, NEW]
    assert len(problems) == 2 and problems[0].startswith(f"{path} line 2: not JSON")
    assert problems[1] == f"{path} line 3: not an evaluation run (no settings or systems), skipped"


def test_entry_from_a_scored_result_keeps_means_intervals_and_per_query_values():
    h = Hierarchy()
    qrels = {"q-1": {"d:s.1": 2}, "q-2": {"d:s.2": 1}}
    s = score_run("bm25", "queries", {"q-1": ["d:s.1"], "q-2": ["d:s.9"]}, qrels, h, resamples=50)
    result = EvalResult(queries={"bm25": s})
    result.meta = {"k": 100, "split": "dev", "citation_lookup": True, "fingerprint": {"queries": "f00"},
                   "index": {"model": "all-MiniLM-L6-v2", "built_at": "2026-01-01"}}
    e = make_entry(result, generated_at="2026-02-02T00:00:00Z", commit=None)
    assert e["settings"] == {"split": "dev", "k": 100, "citation_lookup": True, "fingerprint": {"queries": "f00"}}
    row = e["systems"]["bm25"]
    assert row["means"]["nDCG@10"] == 0.5 and row["per_query"]["nDCG@10"] == {"q-1": 1.0, "q-2": 0.0}
    assert row["queries"] == 2 and row["judged@10"] == 0.5  # q-1's top unit judged, q-2's not
    assert e["index"]["model"] == "all-MiniLM-L6-v2" and "built_at" not in e["index"]
    json.dumps(e, allow_nan=False)  # strict JSON


def test_text_tables():
    text = format_since(since_previous([OLD], NEW), first_time=["bm25"])
    assert "hybrid since 2026-01-01T00:00:00Z, commit c0ffee: nDCG@10 0.438 → 0.500 (+0.062)" in text
    assert "better on 1, worse on 2" in text and "  worse: q-1 1.00→0.50, q-4 0.25→0.00" in text
    assert text.endswith("first run on this gold and settings for bm25: nothing to compare with yet")
    md = markdown_since(since_previous([OLD], NEW))
    assert "| `hybrid` | 2026-01-01T00:00:00Z, commit c0ffee | +0.062 |" in md and "`q-1` 1.00 → 0.50" in md
    assert "nothing to compare with yet" in markdown_since([])
    table = format_history([OLD, OTHER_GOLD, NEW]).splitlines()
    assert table[0].split()[:6] == ["when", "commit", "split", "k", "gold", "system"]
    assert len(table) == 4 and "beef+dirty" in table[3] and "gold-b" in table[2]
    assert len(format_history([OLD, NEW], ["bm25"]).splitlines()) == 1  # none of that system: the hint
    assert [r["generated_at"] for r in comparable_rows([OLD, OTHER_GOLD, NEW], NEW)] == [OLD["generated_at"],
                                                                                         NEW["generated_at"]]


def test_a_cut_off_last_line_never_swallows_the_next_run(tmp_path):
    path = tmp_path / HISTORY
    append(path, OLD)
    with path.open("a", encoding="utf-8") as f:
        f.write('{"generated_at": "2026-01-02T00:00:00Z", "sett')  # killed mid-write: no newline
    append(path, NEW)
    entries, problems = load(path)
    assert entries == [OLD, NEW] and len(problems) == 1 and "line 2: not JSON" in problems[0]


@pytest.mark.parametrize("edit, problem", [
    (lambda e: e["settings"].__setitem__("fingerprint", "gold-a"), "settings.fingerprint is not an object"),
    (lambda e: e["systems"]["hybrid"]["means"].__setitem__("MAP", "high"), "means are not numbers"),
    (lambda e: e["systems"]["hybrid"].__setitem__("per_query", {"nDCG@10": [1, 2]}), "per_query is not"),
    (lambda e: e["systems"].__setitem__("bm25", 0.5), "system 'bm25' is not an object"),
])
def test_a_hand_edited_line_of_the_wrong_shape_is_skipped_not_fatal(tmp_path, edit, problem):
    path = tmp_path / HISTORY
    bad = json.loads(json.dumps(OLD))
    edit(bad)
    append(path, bad)
    append(path, NEW)
    entries, problems = load(path)
    assert entries == [NEW] and len(problems) == 1
    assert problems[0].startswith(f"{path} line 1: ") and problem in problems[0] and problems[0].endswith(", skipped")
    assert "hybrid" in format_history(entries) and since_previous(entries, OLD)  # nothing left to break on


def test_what_changed_in_the_index_and_runs_without_per_query_values_are_said_plainly():
    old = json.loads(json.dumps(OLD))
    old["index"] = {"model": "m", "weights": {"bm25": 1.5, "dense": 1.0}}
    new = json.loads(json.dumps(NEW))
    new["index"] = {"model": "m", "weights": {"bm25": 2.0, "dense": 1.0}}
    [c] = since_previous([old], new)
    assert c.changed == ('weights {"bm25": 1.5, "dense": 1.0} → {"bm25": 2.0, "dense": 1.0}',)
    assert '  index: weights {"bm25": 1.5' in format_since([c]) and "Index settings that differ" in markdown_since([c])
    del old["systems"]["hybrid"]["per_query"]
    [bare] = since_previous([old], new)
    assert "the previous run kept no per-query values: means only, no test" in format_since([bare])
    assert "| – | – (means only) |" in markdown_since([bare])


def test_the_history_table_shows_the_citation_setting_that_splits_comparable_runs():
    header, with_citations, without = format_history([OLD, run("t", {"q-1": 1.0}, citations=False)]).splitlines()
    assert header.split()[6] == "citations"
    assert with_citations.split()[6] == "on" and without.split()[6] == "off"
    assert format_history([run("t", {"pair:a@UK": 1.0}, system="pairs:match")]).splitlines()[1].split()[6] == "-"
