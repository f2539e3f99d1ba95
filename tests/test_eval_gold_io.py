"""Gold files: queries, qrels, pairs and split are read as documented; bad lines are errors naming the line."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from crosswalk.errors import ConfigError
from crosswalk.evaluation.gold_io import (
    Pair,
    Query,
    format_qrels,
    in_split,
    load_pairs,
    load_qrels,
    load_queries,
    load_split,
    pair_key,
    pairs_from_decisions,
    query_kind,
    relevant_queries,
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_queries_with_header_comments_and_empty_jurisdiction(tmp_path):
    path = write(tmp_path, "queries.tsv", "qid\tjurisdiction\ttext\n# a comment\n\n"
                 "cite-1\t\tCASS 16.2.13R\nq-1\tuk\tcustody of   client\tcryptoassets\n")
    qs = load_queries(path)
    assert qs == [Query("cite-1", "CASS 16.2.13R", ""), Query("q-1", "custody of client cryptoassets", "UK")]
    assert [q.kind for q in qs] == ["cite", "q"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("q-1\tUS\n", "expected qid<TAB>jurisdiction<TAB>text"),
        ("q-1\tFR\tcustody\n", "unknown jurisdiction 'FR'"),
        ("q-1\tUS\tcustody\nq-1\tUK\treserves\n", "repeats line 1"),
        ("q 1\tUS\tcustody\n", "holds white space"),
    ],
)
def test_bad_query_lines_name_the_line(tmp_path, text, message):
    path = write(tmp_path, "queries.tsv", text)
    with pytest.raises(ConfigError, match=message) as e:
        load_queries(path)
    assert str(path) in str(e.value)


def test_missing_file_names_it(tmp_path):
    with pytest.raises(ConfigError, match="no qrels file at .*nope.txt"):
        load_qrels(tmp_path / "nope.txt")


def test_qrels_trec_format(tmp_path):
    path = write(tmp_path, "qrels.txt", "q-1 0 US-X:sec.4(a) 2\nq-1 0 US-X:sec.5 0\n# c\nq-2\t0\tUK-Y:CASS_16.2.13R\t1\n"
                 "q-1 0 US-X:sec.4(a) 2\n")
    assert load_qrels(path) == {"q-1": {"US-X:sec.4(a)": 2, "US-X:sec.5": 0}, "q-2": {"UK-Y:CASS_16.2.13R": 1}}


@pytest.mark.parametrize(
    "text, message",
    [
        ("q-1 0 US-X:sec.4 high\n", "relevance 'high'"),
        ("q-1 0 US-X:sec.4 7\n", "relevance '7'"),
        ("q-1 US-X:sec.4 1\n", "4 fields"),
        ("q-1 0 US-X:sec.4 1\nq-1 0 US-X:sec.4 2\n", "line 1 judged it 1"),
    ],
)
def test_bad_qrels(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_qrels(write(tmp_path, "qrels.txt", text))


def test_pairs_csv(tmp_path):
    path = write(tmp_path, "pairs.csv", "left_id,right_id,relationship,note\n"
                 'US-X:sec.4(a),UK-Y:CRYPTO_2.4.1R,Equal,"reserves, 1:1"\n'
                 "US-X:sec.4(c),UK-Y:CRYPTO_2.4.33R,subset-of,\n"
                 "US-X:sec.9,UK-Y:reg.19,unsure,\n")
    pairs = load_pairs(path)
    assert pairs[0] == Pair("US-X:sec.4(a)", "UK-Y:CRYPTO_2.4.1R", "equal", "reserves, 1:1")
    assert [p.relevance for p in pairs] == [2, 2, None]
    assert pairs[1].key == "pair:US-X:sec.4(c)|UK-Y:CRYPTO_2.4.33R"


@pytest.mark.parametrize(
    "text, message",
    [
        ("left_id,right_id,note\nA:1,B:2,x\n", "lacks relationship"),
        ("left_id,right_id,relationship,note\nA:1,B:2,same,\n", "unknown relationship 'same'"),
        ("left_id,right_id,relationship,note\nA:1,B:2,equal,\nA:1,B:2,subset-of,\n", "repeats line 2"),
    ],
)
def test_bad_pairs(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_pairs(write(tmp_path, "pairs.csv", text))


def test_split_and_selection(tmp_path):
    path = write(tmp_path, "split.tsv", f"qid\tsplit\nq-1\tdev\nq-2\tTEST\n{pair_key('A:1', 'B:2')}\tdev\n")
    splits = load_split(path)
    assert splits == {"q-1": "dev", "q-2": "test", "pair:A:1|B:2": "dev"}
    assert [q for q in ("q-1", "q-2", "q-3") if in_split(q, "dev", splits)] == ["q-1"]
    assert [q for q in ("q-1", "q-2", "q-3") if in_split(q, "all", splits)] == ["q-1", "q-2", "q-3"]
    with pytest.raises(ConfigError, match="split 'train'"):
        load_split(write(tmp_path, "bad.tsv", "q-1\ttrain\n"))
    with pytest.raises(ConfigError, match="unknown split 'val'"):
        in_split("q-1", "val", splits)


def test_kinds_relevant_queries_and_format():
    assert query_kind("xvocab-004") == "xvocab"
    assert query_kind("pair:US-A:sec.1@UK") == "pair"
    assert relevant_queries({"q-2": {"a": 0}, "q-1": {"a": 1}}) == ["q-1"]
    assert format_qrels({}) == ""


def test_pairs_from_decisions_newest_per_pair_file_wins_unsure_left_out():
    def d(seq, left, right, rel, who):
        return SimpleNamespace(seq=seq, left_id=left, right_id=right, relationship=rel, reviewer=who)

    decisions = [d(1, "A:1", "B:1", "equal", "ana"), d(2, "A:1", "B:1", "intersects-with", "bo"),
                 d(3, "A:2", "B:2", "unsure", "ana"), d(4, "A:3", "B:3", "equal", "ana")]
    gold = [Pair("A:3", "B:3", "not-related")]
    assert pairs_from_decisions(decisions, skip=gold) == [Pair("A:1", "B:1", "intersects-with", "decision by bo")]
