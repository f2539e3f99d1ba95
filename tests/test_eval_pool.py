"""The judging pool: what the retrievers show that the gold has not judged, written for a judge, read back
however a spreadsheet saved it, and merged into the gold (the gold winning), on the small test store; the
command end to end is in test_eval_run.py."""

from __future__ import annotations

import csv

import pytest

from crosswalk.errors import ConfigError
from crosswalk.evaluation.gold_io import Query
from crosswalk.evaluation.pool import (COLUMNS, check_pool_target, judging_pool, load_judged, merge_judgements, one_line,
                             write_pool)
from crosswalk.evaluation.rollup import Hierarchy, ancestors_from_id
from crosswalk.evaluation.scores import EvalResult, score_run

from index_corpus import make_store

ACT = "US-T-ACT"
QUERIES = [Query("q-1", "reserves backing\tpayment stablecoins", "US"), Query("cite-1", "sec.4", "")]
QRELS = {"q-1": {f"{ACT}:sec.4": 2, f"{ACT}:sec.3": 0, f"{ACT}:sec.7(a)": 1}, "cite-1": {f"{ACT}:sec.4": 2}}


@pytest.fixture()
def store(tmp_path):
    with make_store(tmp_path / "crosswalk.db") as s:
        yield s


def result_of(runs: dict[str, dict[str, list[str]]]) -> EvalResult:
    h = Hierarchy()
    return EvalResult(queries={n: score_run(n, "queries", run, QRELS, h, resamples=10) for n, run in runs.items()})


def test_the_pool_is_each_querys_unjudged_top_ten_from_every_system_blind_to_who_found_it():
    result = result_of({
        # bm25: sec.4(b) rolls up into the judged sec.4; sec.3 is judged (0); sec.5 and sec.2 are not judged;
        # sec.7 encloses the judged sec.7(a) and sec.10 the pooled sec.10(a): both left out of the pool.
        "bm25": {"q-1": [f"{ACT}:sec.4(b)", f"{ACT}:sec.5", f"{ACT}:sec.3", f"{ACT}:sec.2", f"{ACT}:sec.7",
                         f"{ACT}:sec.10", f"{ACT}:sec.10(a)"],
                 "cite-1": [f"{ACT}:sec.4", f"{ACT}:sec.9"]},
        # dense: sec.5 again (pooled once); ten units after the roll-up are sec.5, sec.4 (its four children
        # count once), sec.3 and sec.6 to sec.12, so sec.1 is the eleventh unit and not pooled.
        "dense": {"q-1": [f"{ACT}:sec.5"] + [f"{ACT}:sec.4({c})" for c in "abcd"] + [f"{ACT}:sec.3"]
                  + [f"{ACT}:sec.{i}" for i in range(6, 13)] + [f"{ACT}:sec.1"]},
    })
    assert result.queries["bm25"].unjudged["q-1"] == tuple(f"{ACT}:{c}" for c in
                                                           ("sec.5", "sec.2", "sec.7", "sec.10", "sec.10(a)"))
    assert result.queries["dense"].unjudged["q-1"] == (f"{ACT}:sec.5", *(f"{ACT}:sec.{i}" for i in range(6, 13)))
    # cite-1's unjudged sec.9 is not pooled: a bare citation's answer is the cited provision.
    pool = judging_pool(result, QRELS, ancestors_from_id)
    assert pool == {"q-1": sorted(f"{ACT}:{c}" for c in ("sec.2", "sec.5", "sec.6", "sec.8", "sec.9", "sec.10(a)",
                                                         "sec.11", "sec.12"))}
    assert judging_pool(result_of({"bm25": {"q-1": [f"{ACT}:sec.4"]}}), QRELS, ancestors_from_id) == {}
    # a shorter round: each system's first two units after roll-up are sec.4 (judged) and sec.5, or sec.5 and sec.4
    assert judging_pool(result, QRELS, ancestors_from_id, depth=2) == {"q-1": [f"{ACT}:sec.5"]}
    # deeper than ten: dense's eleventh unit, sec.1, joins
    assert f"{ACT}:sec.1" in judging_pool(result, QRELS, ancestors_from_id, depth=11)["q-1"]
    with pytest.raises(ConfigError, match="pool depth must be a whole number of at least 1"):
        judging_pool(result, QRELS, ancestors_from_id, depth=0)


def test_the_pool_file_reads_on_its_own_and_comes_back_as_judgements(store, tmp_path):
    path = tmp_path / "pool.tsv"
    n = write_pool(path, {"q-1": [f"{ACT}:sec.4(b)", f"{ACT}:sec.5", f"{ACT}:sec.77"]}, QUERIES, store)
    assert n == 3 and not list(tmp_path.glob("*.tmp*"))  # the temporary file is gone
    header, *lines = path.read_text(encoding="utf-8").splitlines()
    assert header.split("\t") == list(COLUMNS)
    rows = [dict(zip(COLUMNS, line.split("\t"))) for line in lines]
    assert all(len(line.split("\t")) == len(COLUMNS) for line in lines)
    child, top, missing = rows
    assert (child["qid"], child["provision_id"], child["relevance"]) == ("q-1", f"{ACT}:sec.4(b)", "")
    assert child["jurisdiction"] == "US" and child["query"] == "reserves backing payment stablecoins"  # tab gone
    assert child["citation"] == "sec.4(b)" and child["text"] == "(b) demand deposits at insured banks;"
    assert child["headings"] == "Sec. 4 Reserves"
    assert child["context"].startswith("Each permitted issuer shall maintain reserves")  # its parent, sec.4
    assert top["context"] == "" and top["text"].startswith("A permitted issuer shall publish")
    assert missing["text"] == "(not in the store)"
    assert load_judged(path) == {}  # nothing judged yet

    judged = [header] + [line.replace(f"{ACT}:sec.5\t\t", f"{ACT}:sec.5\t2\t") for line in lines]
    path.write_text("\n".join(judged) + "\n", encoding="utf-8")
    assert load_judged(path) == {"q-1": {f"{ACT}:sec.5": 2}}
    with pytest.raises(ConfigError, match="already holds 1 judgement"):  # the judge's work is not overwritten
        write_pool(path, {"q-1": [f"{ACT}:sec.5"]}, QUERIES, store)
    assert load_judged(path) == {"q-1": {f"{ACT}:sec.5": 2}}


def test_one_line_flattens_and_cuts_at_a_word():
    text = "A firm must\tnot pay\ninterest " + "or yield " * 100
    out = one_line(text, 40)
    assert out == "A firm must not pay interest or yield…" and len(out) <= 40  # not "… o…"
    assert one_line(" a \r\n b ") == "a b"


SPREADSHEET = [  # the same three judgements as a spreadsheet may save them
    ("crlf", lambda t: t.replace("\n", "\r\n").encode("utf-8")),
    ("bom", lambda t: t.encode("utf-8-sig")),
    ("utf-16", lambda t: t.encode("utf-16")),
    ("quoted", lambda t: "\n".join("\t".join(f'"{f}"' for f in line.split("\t"))
                                   for line in t.splitlines()).encode("utf-8")),
]


@pytest.mark.parametrize("name, save", SPREADSHEET, ids=[n for n, _ in SPREADSHEET])
def test_spreadsheet_saves_read_back_the_same(tmp_path, name, save):
    text = ("qid\tprovision_id\trelevance\tquery\ttext\textra\n"
            'q-1\tUS-X:s.1\t2\tq\t"a text opening a quote\tx\n'  # a stray quote swallows nothing
            "q-1\tUS-X:s.2\t\tq\tnot judged\n"
            "q-1\tUS-X:s.3\t0\tq\tt\n"
            "qid\tprovision_id\trelevance\n"  # a second pool joined on with its header
            "q-2\tUS-X:s.4\t1.0\n")
    path = tmp_path / "pool.tsv"
    path.write_bytes(save(text))
    assert load_judged(path) == {"q-1": {"US-X:s.1": 2, "US-X:s.3": 0}, "q-2": {"US-X:s.4": 1}}


def test_columns_may_be_moved_or_dropped(tmp_path):
    path = tmp_path / "pool.tsv"
    path.write_text("relevance\tprovision_id\tqid\n1\tUS-X:s.1\tq-1\n", encoding="utf-8")
    assert load_judged(path) == {"q-1": {"US-X:s.1": 1}}


@pytest.mark.parametrize("body, message", [
    ("q-1\tUS-X:s.1\t3\n", r"pool.tsv:2: relevance '3' of US-X:s.1 is not 0, 1 or 2"),
    ("q-1\tUS-X:s.1\tyes\n", r"pool.tsv:2: relevance 'yes'"),
    ("\tUS-X:s.1\t1\n", r"pool.tsv:2: qid '' is empty"),
    ("q 1\tUS-X:s.1\t1\n", r"pool.tsv:2: qid 'q 1' is empty or holds white space"),
    ("q-1\tUS-X: s.1\t1\n", r"pool.tsv:2: provision_id 'US-X: s.1'"),
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
    with pytest.raises(ConfigError, match="qrels.txt:1: no header with the columns qid, provision_id, relevance"):
        load_judged(path)
    with pytest.raises(ConfigError, match="no judged pool at .*nowhere.tsv"):
        load_judged(tmp_path / "nowhere.tsv")
    path.write_bytes(b"qid\tprovision_id\trelevance\nq-1\tUS-X:s.1\t\xe9\n")  # Latin-1, not UTF-8
    with pytest.raises(ConfigError, match="not UTF-8 text .* save it as UTF-8"):
        load_judged(path)


def test_a_new_pool_never_lands_on_judging(tmp_path):
    judged = tmp_path / "judged.tsv"
    judged.write_text("qid\tprovision_id\trelevance\nq-1\tUS-X:s.1\t\n", encoding="utf-8")
    assert check_pool_target(judged) == judged  # a pool nobody has judged yet may be written again
    with pytest.raises(ConfigError, match="is read with --judged and would be overwritten"):
        check_pool_target(judged, [str(tmp_path / "." / "judged.tsv")])
    with pytest.raises(ConfigError, match="no folder .*missing"):
        check_pool_target(tmp_path / "missing" / "pool.tsv")


def test_merging_keeps_the_gold_and_reports_where_a_judge_disagrees():
    gold = {"q-1": {"a": 2, "b": 0}}
    merged, conflicts = merge_judgements(gold, {"q-1": {"a": 0, "b": 0, "c": 1}, "q-2": {"d": 2}})
    assert merged == {"q-1": {"a": 2, "b": 0, "c": 1}, "q-2": {"d": 2}}
    assert conflicts == [("q-1", "a")]
    assert gold == {"q-1": {"a": 2, "b": 0}}  # not changed in place
