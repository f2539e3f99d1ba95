"""The judging pool: what the retrievers show that the gold has not judged, written for a judge, read back,
and merged into the gold (the gold winning), on the small test store; the command end to end is in
test_eval_run.py."""

from __future__ import annotations

import csv

import pytest

from crosswalk.errors import ConfigError
from evaluation.gold_io import Query
from evaluation.pool import COLUMNS, judging_pool, load_judged, merge_judgements, pool_tsv, write_pool
from evaluation.rollup import Hierarchy
from evaluation.run import EvalResult, score_run

from index_corpus import make_store

ACT = "US-T-ACT"
QUERIES = [Query("q-1", "reserves backing\tpayment stablecoins", "US"), Query("cite-1", "sec.4", "")]
QRELS = {"q-1": {f"{ACT}:sec.4": 2, f"{ACT}:sec.3": 0}, "cite-1": {f"{ACT}:sec.4": 2}}


@pytest.fixture()
def store(tmp_path):
    with make_store(tmp_path / "crosswalk.db") as s:
        yield s


def result_of(runs: dict[str, dict[str, list[str]]]) -> EvalResult:
    h = Hierarchy()
    return EvalResult(queries={n: score_run(n, "queries", run, QRELS, h, resamples=10) for n, run in runs.items()})


def test_the_pool_is_each_querys_unjudged_top_ten_from_every_system_blind_to_who_found_it():
    result = result_of({
        # bm25: sec.4(b) rolls up into the judged sec.4; sec.3 is judged (0); sec.5 and sec.2 are not judged.
        "bm25": {"q-1": [f"{ACT}:sec.4(b)", f"{ACT}:sec.5", f"{ACT}:sec.3", f"{ACT}:sec.2"],
                 "cite-1": [f"{ACT}:sec.4", f"{ACT}:sec.9"]},
        # dense: sec.5 again (pooled once); ten units after the roll-up are sec.5, sec.4 (its four children
        # count once), sec.3 and sec.6 to sec.12, so sec.1 is the eleventh unit and not pooled.
        "dense": {"q-1": [f"{ACT}:sec.5"] + [f"{ACT}:sec.4({c})" for c in "abcd"] + [f"{ACT}:sec.3"]
                  + [f"{ACT}:sec.{i}" for i in range(6, 13)] + [f"{ACT}:sec.1"]},
    })
    assert result.queries["bm25"].unjudged["q-1"] == (f"{ACT}:sec.5", f"{ACT}:sec.2")
    assert result.queries["dense"].unjudged["q-1"] == (f"{ACT}:sec.5", *(f"{ACT}:sec.{i}" for i in range(6, 13)))
    # cite-1's unjudged sec.9 is not pooled: a bare citation's answer is the cited provision.
    assert judging_pool(result) == {"q-1": sorted([f"{ACT}:sec.2", f"{ACT}:sec.5",
                                                   *(f"{ACT}:sec.{i}" for i in range(6, 13))])}
    assert judging_pool(result_of({"bm25": {"q-1": [f"{ACT}:sec.4"]}})) == {}


def test_the_pool_file_reads_on_its_own_and_comes_back_as_judgements(store, tmp_path):
    path = tmp_path / "pool.tsv"
    n = write_pool(path, {"q-1": [f"{ACT}:sec.5", f"{ACT}:sec.77"]}, QUERIES, store)
    assert n == 2 and not (tmp_path / "pool.tsv.tmp").exists()
    rows = list(csv.DictReader(path.open(encoding="utf-8"), delimiter="\t"))
    assert tuple(rows[0]) == COLUMNS
    first, missing = rows
    assert (first["qid"], first["provision_id"], first["relevance"]) == ("q-1", f"{ACT}:sec.5", "")
    assert first["jurisdiction"] == "US" and first["query"] == "reserves backing payment stablecoins"  # tab gone
    assert first["citation"] == "sec.5" and first["text"].startswith("A permitted issuer shall publish")
    assert missing["text"] == "(not in the store)"
    assert load_judged(path) == {}  # nothing judged yet

    lines = path.read_text(encoding="utf-8").splitlines()
    judged = [lines[0]] + [line.replace(f"{ACT}:sec.5\t\t", f"{ACT}:sec.5\t2\t") for line in lines[1:]]
    path.write_text("\n".join(judged) + "\n", encoding="utf-8")
    assert load_judged(path) == {"q-1": {f"{ACT}:sec.5": 2}}


def test_long_texts_are_cut_at_a_word_on_one_line(store):
    text = pool_tsv({"q-1": [f"{ACT}:sec.4"]}, QUERIES, store)
    row = text.splitlines()[1].split("\t")
    assert len(row) == len(COLUMNS) and "\n" not in row[-1]


@pytest.mark.parametrize("body, message", [
    ("q-1\tUS-X:s.1\t3\n", r"pool.tsv:2: relevance '3' of US-X:s.1 is not 0, 1 or 2"),
    ("q-1\tUS-X:s.1\tyes\n", r"pool.tsv:2: relevance 'yes'"),
    ("\tUS-X:s.1\t1\n", r"pool.tsv:2: a judged row needs its qid and provision_id"),
    ("q-1\tUS-X:s.1\t1\nq-1\tUS-X:s.1\t0\n", r"pool.tsv:3: q-1 judges US-X:s.1 0, but line 2 judged it 1"),
])
def test_bad_judgements_name_the_file_and_line(tmp_path, body, message):
    path = tmp_path / "pool.tsv"
    path.write_text("qid\tprovision_id\trelevance\n" + body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_judged(path)


def test_a_file_that_is_not_a_pool_is_refused(tmp_path):
    path = tmp_path / "qrels.txt"
    path.write_text("q-1 0 US-X:s.1 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no qid, provision_id, relevance column"):
        load_judged(path)
    with pytest.raises(ConfigError, match="no judged pool at .*nowhere.tsv"):
        load_judged(tmp_path / "nowhere.tsv")


def test_merging_keeps_the_gold_and_reports_where_a_judge_disagrees():
    gold = {"q-1": {"a": 2, "b": 0}}
    merged, conflicts = merge_judgements(gold, {"q-1": {"a": 0, "b": 0, "c": 1}, "q-2": {"d": 2}})
    assert merged == {"q-1": {"a": 2, "b": 0, "c": 1}, "q-2": {"d": 2}}
    assert conflicts == [("q-1", "a")]
    assert gold == {"q-1": {"a": 2, "b": 0}}  # not changed in place
