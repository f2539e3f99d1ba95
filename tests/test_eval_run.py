"""The evaluation run with a fake searcher over the small test store (no index, no model): queries under their
filters, citation lookup first, pairs as `like` queries, roll-up, scores, warnings, JSON shape; and the
`crosswalk eval` command end to end with the same fake."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from crosswalk.cli import main
from crosswalk.errors import ConfigError, StoreError
from crosswalk.workspace import Workspace
from crosswalk.evaluation.gold_io import Pair, Query
from crosswalk.evaluation.metrics import METRICS
from crosswalk.evaluation.run import evaluate
from crosswalk.evaluation.runs import pair_queries
from crosswalk.index.results import Results
from crosswalk.review.decisions import DecisionStore

from index_corpus import make_store

ACT, CFR, CASS, MLR = "US-T-ACT", "US-T-CFR", "UK-T-CASS", "UK-T-MLR"
SEC4 = f"{ACT}:sec.4"
CASS_TRUST = f"{CASS}:CASS_16.2.13R"


class FakeEngine:
    """A retriever answering from fixed lists, honouring a jurisdiction filter by the id's prefix."""

    def __init__(self, name, answers=None, likes=None):
        self.name, self.answers, self.likes, self.calls = name, answers or {}, likes or {}, []

    @staticmethod
    def _allowed(pid, filters):
        return not filters or not filters.jurisdiction or pid.split("-", 1)[0] in filters.jurisdiction

    def _results(self, query, ids, k, filters):
        kept = [p for p in ids if self._allowed(p, filters)][:k]
        return Results.ranked(query, self.name, [(p, 1.0 / (i + 1)) for i, p in enumerate(kept)])

    def search(self, query, k=10, filters=None):
        self.calls.append(("search", query, k, filters))
        return self._results(query, self.answers.get(query, []), k, filters)

    def like(self, provision_id, k=10, filters=None):
        self.calls.append(("like", provision_id, k, filters))
        return self._results(provision_id, self.likes.get(provision_id, []), k, filters)


class FakeSearcher:
    params = {"model": {"name": "fake-model", "dim": 3}, "dense": {"index_type": "flat", "rows": 40},
              "store": {"provisions": 40, "corpus_hash": "abc"}, "built_at": "2025-01-01T00:00:00Z"}

    def __init__(self, engines):
        self.engines = engines

    def retriever(self, name):
        return self.engines[name]


RESERVES = "reserves backing payment stablecoins"
TRUST = "CASS 16.2.13R"
NOTHING = "a query nobody answers"

QUERIES = [Query("q-1", RESERVES, "US"), Query("cite-1", TRUST, ""), Query("xvocab-1", NOTHING, "")]
QRELS = {"q-1": {SEC4: 2}, "cite-1": {CASS_TRUST: 2}, "xvocab-1": {f"{ACT}:sec.8": 1}}
PAIRS = [
    Pair(SEC4, f"{CASS}:CASS_18.1.1R", "equal"),
    Pair(SEC4, f"{CASS}:CASS_18.2.1R", "intersects-with"),
    Pair(f"{CFR}:1022.210", f"{MLR}:reg.19", "equal"),
    Pair(f"{CFR}:1022.380", f"{MLR}:reg.56", "unsure"),
]


def engines():
    return {
        # sec.4(b) then sec.4(a): both inside the gold sec.4 -> sec.4 at rank 1, once. A UK id is filtered out.
        "bm25": FakeEngine("bm25", {RESERVES: [f"{CASS}:CASS_18.1.1R", f"{ACT}:sec.4(b)", f"{ACT}:sec.5",
                                               f"{ACT}:sec.4(a)"], TRUST: [f"{CASS}:CASS_17.3.5G"]},
                           {SEC4: [f"{CASS}:CASS_18.1.1R", f"{CASS}:CASS_18.2.1R"],
                            f"{CFR}:1022.210": [f"{MLR}:reg.19(a)"]}),
        "dense": FakeEngine("dense", {RESERVES: [f"{ACT}:sec.5", SEC4], TRUST: []},
                            {SEC4: [f"{CASS}:CASS_18.2.1R", f"{CASS}:CASS_17.4.1R", f"{CASS}:CASS_18.1.1R"],
                             f"{CFR}:1022.210": [f"{MLR}:reg.21", f"{MLR}:reg.19"]}),
        "hybrid": FakeEngine("hybrid", {RESERVES: [SEC4]}, {SEC4: [f"{CASS}:CASS_18.1.1R"]}),
    }


@pytest.fixture()
def store(tmp_path):
    with make_store(tmp_path / "crosswalk.db") as s:
        yield s


def ndcg_one_at(rank: int) -> float:
    return 1 / math.log2(rank + 1)


def test_queries_rolled_up_filtered_and_cited_first(store):
    fake = engines()
    result = evaluate(store, FakeSearcher(fake), QUERIES, QRELS, k=20, resamples=200)
    bm25 = result.queries["bm25"]
    assert bm25.per_query["q-1"]["nDCG@10"] == pytest.approx(1.0)  # sec.4(b) counts for sec.4, UK hit filtered
    assert bm25.first_relevant == {"q-1": 1, "cite-1": 1, "xvocab-1": None}
    assert result.queries["dense"].per_query["q-1"]["nDCG@10"] == pytest.approx(ndcg_one_at(2))
    assert result.queries["dense"].per_query["cite-1"]["MRR@10"] == 1.0  # only the citation lookup found it
    assert all(v == 0.0 for v in bm25.per_query["xvocab-1"].values())
    filters = [c[3] for c in fake["bm25"].calls if c[1] == RESERVES]
    assert filters and all(f.jurisdiction == ("US",) for f in filters)
    assert any(c[2] == 20 for c in fake["bm25"].calls)
    assert bm25.by_kind["q"]["queries"] == 1 and set(bm25.by_kind) == {"cite", "q", "xvocab"}
    assert bm25.means["nDCG@10"] == pytest.approx(2 / 3)
    # judged share of the rolled-up rankings: q-1 [sec.4 judged, sec.5 not], cite-1 [the cited rule judged,
    # CASS 17.3.5G not]; xvocab-1 retrieved nothing and has no share. dense: q-1 1/2, cite-1 [the rule] 1.
    assert bm25.judged == pytest.approx(0.5)
    assert result.queries["dense"].judged == pytest.approx(0.75)
    lo, hi = bm25.ci["nDCG@10"]
    assert lo <= bm25.means["nDCG@10"] <= hi


def test_without_citation_lookup_the_bare_retriever_is_scored(store):
    result = evaluate(store, FakeSearcher(engines()), QUERIES, QRELS, retrievers=["dense"], citations=False,
                      resamples=50)
    assert result.queries["dense"].per_query["cite-1"]["MRR@10"] == 0.0
    assert result.meta["citation_lookup"] is False
    assert result.comparisons == []


def test_pairs_become_like_queries_against_the_right_jurisdiction(store):
    fake = engines()
    result = evaluate(store, FakeSearcher(fake), pairs=PAIRS, match=False, resamples=100)
    assert not result.queries
    bm25 = result.pairs["bm25"]
    assert bm25.qids == [f"pair:{SEC4}@UK", f"pair:{CFR}:1022.210@UK"]
    # bm25: 18.1.1R (rel 2) then 18.2.1R (rel 1): ideal order
    assert bm25.per_query[f"pair:{SEC4}@UK"]["nDCG@10"] == pytest.approx(1.0)
    # reg.19(a) counts for the gold reg.19
    assert bm25.per_query[f"pair:{CFR}:1022.210@UK"]["Recall@10"] == 1.0
    dense = result.pairs["dense"].per_query[f"pair:{SEC4}@UK"]
    dcg = 1 / math.log2(2) + 2 / math.log2(4)
    assert dense["nDCG@10"] == pytest.approx(dcg / (2 + 1 / math.log2(3)))
    assert dense["MAP"] == pytest.approx((1 / 1 + 2 / 3) / 2)
    likes = [c for c in fake["dense"].calls if c[0] == "like"]
    assert {c[1] for c in likes} == {SEC4, f"{CFR}:1022.210"} and all(c[3].jurisdiction == ("UK",) for c in likes)
    assert result.meta["pairs"] == 3 and result.meta["pair_queries"] == 2
    assert "match" not in result.pairs


def test_pair_queries_group_by_left_and_jurisdiction():
    qs, qrels = pair_queries(PAIRS + [Pair(SEC4, "EU-X:art.36", "superset-of")], lambda pid: pid.split("-", 1)[0])
    assert [q.qid for q in qs] == [f"pair:{SEC4}@UK", f"pair:{CFR}:1022.210@UK", f"pair:{SEC4}@EU"]
    assert qrels[f"pair:{SEC4}@UK"] == {f"{CASS}:CASS_18.1.1R": 2, f"{CASS}:CASS_18.2.1R": 1}


def test_gold_problems_become_warnings_not_crashes(store):
    queries = QUERIES + [Query("q-2", "no judgements", ""), Query("q-3", "only zeros", "")]
    qrels = {**QRELS, "q-3": {SEC4: 0}, "q-9": {SEC4: 1}, "q-1": {SEC4: 2, f"{ACT}:sec.99": 1}}
    pairs = PAIRS + [Pair(f"{ACT}:sec.99", f"{CASS}:CASS_18.1.1R", "equal")]
    result = evaluate(store, FakeSearcher(engines()), queries, qrels, pairs=pairs, match=False, resamples=50, k=10)
    text = "\n".join(result.warnings)
    assert "no query text, left out: q-9" in text
    assert "no judgements in the qrels, left out: q-2" in text
    assert "no relevant (≥1) judgement, left out: q-3" in text
    assert f"not in the store (they can never be found; a typo, or a document not ingested?): {ACT}:sec.99" in text
    assert f"pair left id(s) are not in the store, their pairs left out: {ACT}:sec.99" in text
    assert "k is 10" in text
    assert sorted(result.queries["bm25"].per_query) == ["cite-1", "q-1", "xvocab-1"]


def test_split_selects_queries_and_pairs(store):
    splits = {"q-1": "dev", "cite-1": "test", f"pair:{SEC4}|{CASS}:CASS_18.1.1R": "dev"}
    result = evaluate(store, FakeSearcher(engines()), QUERIES, QRELS, pairs=PAIRS, split="dev", splits=splits,
                      match=False, resamples=50)
    assert result.queries["bm25"].qids == ["q-1"]
    assert result.pairs["bm25"].qids == [f"pair:{SEC4}@UK"]
    with pytest.raises(ConfigError, match="needs a split file"):
        evaluate(store, FakeSearcher(engines()), QUERIES, QRELS, split="test")
    with pytest.raises(ConfigError, match="nothing to evaluate in split 'test'"):
        evaluate(store, FakeSearcher(engines()), QUERIES, QRELS, split="test", splits={"q-1": "dev"})


def test_json_shape_metrics_numbers_everything_else_nested(store):
    result = evaluate(store, FakeSearcher(engines()), QUERIES, QRELS, pairs=PAIRS, match=False, resamples=50)
    data = result.to_json()
    assert list(data) == ["bm25", "dense", "hybrid", "pairs:bm25", "pairs:dense", "pairs:hybrid"]
    for row in data.values():
        numbers = {k for k, v in row.items() if isinstance(v, (int, float))}
        assert numbers == set(METRICS)
        assert all(len(row[f"{m}_ci"]) == 2 for m in METRICS)
    assert data["bm25"]["evaluated"]["judged@10"] == pytest.approx(0.5)
    assert set(data["hybrid"]["significance"]) == {"dense", "bm25"}
    assert set(data["dense"]["significance"]) == {"bm25"} and data["bm25"]["significance"] == {}
    assert data["hybrid"]["significance"]["bm25"]["metric"] == "nDCG@10"
    assert "per_query" in result.to_json(per_query=True)["bm25"]
    with pytest.raises(ConfigError, match="unknown retriever"):
        evaluate(store, FakeSearcher(engines()), QUERIES, QRELS, retrievers=["splade"])
    with pytest.raises(ConfigError, match="k must be"):
        evaluate(store, FakeSearcher(engines()), QUERIES, QRELS, k=5)


# --- the command ------------------------------------------------------------------------------------------------


@pytest.fixture()
def cli_ws(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    ws.mkdir()
    make_store(ws / "crosswalk.db").close()
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "queries.tsv").write_text("qid\tjurisdiction\ttext\n" + "".join(
        f"{q.qid}\t{q.jurisdiction}\t{q.text}\n" for q in QUERIES), encoding="utf-8")
    (gold / "qrels.txt").write_text("".join(f"{q} 0 {pid} {rel}\n" for q, j in QRELS.items() for pid, rel in j.items()),
                                    encoding="utf-8")
    (gold / "pairs.csv").write_text("left_id,right_id,relationship,note\n" + "".join(
        f"{p.left_id},{p.right_id},{p.relationship},\n" for p in PAIRS), encoding="utf-8")
    monkeypatch.setattr("crosswalk.index.build.load_searcher", lambda store, index_dir, **kw: FakeSearcher(engines()))
    return ws, gold


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_cli_eval_json_saves_latest_for_the_app(cli_ws, tmp_path):
    ws, gold = cli_ws
    r = invoke("eval", "-w", ws, "--queries", gold / "queries.tsv", "--qrels", gold / "qrels.txt",
               "--pairs", gold / "pairs.csv", "--no-match", "--json", "--resamples", "100", "--report", tmp_path / "rep")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert set(data) == {"bm25", "dense", "hybrid", "pairs:bm25", "pairs:dense", "pairs:hybrid"}
    assert data["bm25"]["nDCG@10"] == pytest.approx(2 / 3)
    assert "evaluated 3 queries and 2 pair queries (3 pairs)" in r.stderr
    assert {p.name for p in (ws / "eval").iterdir()} == {"report.md", "metrics.png", "latest.json", "history.jsonl"}
    assert {p.name for p in (tmp_path / "rep").iterdir()} == {"report.md", "metrics.png", "latest.json"}
    saved = json.loads((ws / "eval" / "latest.json").read_text())
    assert saved["retrievers"] == json.loads(json.dumps(data))
    assert saved["meta"]["index"]["model"] == "fake-model"

    from crosswalk.app_pages.workbench import Workbench

    wb = Workbench(Workspace(ws))
    try:
        view = wb.evaluation()
    finally:
        wb.close()
    assert [row["retriever"] for row in view.rows][:3] == ["bm25", "dense", "hybrid"]
    assert set(view.metrics) == set(METRICS)
    assert view.judged["bm25"] == pytest.approx(saved["retrievers"]["bm25"]["evaluated"]["judged@10"])


def test_cli_pool_then_judged_grows_the_gold(cli_ws, tmp_path):
    ws, gold = cli_ws
    pool = tmp_path / "pool.tsv"
    args = ["eval", "-w", ws, "--queries", gold / "queries.tsv", "--qrels", gold / "qrels.txt", "--json",
            "--no-save", "--resamples", "50"]
    r = invoke(*args, "--pool", pool)
    assert r.exit_code == 0, r.output
    before = json.loads(r.stdout)
    # q-1: bm25 and dense both show the unjudged sec.5 in their top ten; cite-1 is a bare citation, not pooled.
    assert f"wrote 1 unit(s) (top 10) of 1 query(ies) to judge to {pool}" in r.stderr
    header, row = pool.read_text(encoding="utf-8").splitlines()
    assert row.startswith(f"q-1\t{ACT}:sec.5\t\tUS\t{RESERVES}\tsec.5\t")
    assert before["dense"]["nDCG@10"] == pytest.approx((1 / math.log2(3) + 1 + 0) / 3)  # sec.4 second for q-1
    assert before["dense"]["evaluated"]["judged@10"] == pytest.approx(0.75)

    pool.write_text(header + "\n" + row.replace(f"{ACT}:sec.5\t\t", f"{ACT}:sec.5\t2\t") + "\n"
                    + f"q-1\t{SEC4}\t0\n", encoding="utf-8")  # and a judgement the gold contradicts
    r = invoke(*args, "--judged", pool)
    assert r.exit_code == 0, r.output
    after = json.loads(r.stdout)
    assert after["dense"]["nDCG@10"] == pytest.approx(2 / 3)  # q-1: sec.5 and sec.4 both answer now
    assert after["dense"]["evaluated"]["judged@10"] == pytest.approx(1.0)
    assert after["hybrid"]["Recall@10"] == pytest.approx((0.5 + 1 + 0) / 3)  # hybrid never showed sec.5
    assert f"warning: {pool}: 1 judgement(s) differ from the gold's or an earlier --judged file's, which are " \
           f"kept: q-1 {SEC4}" in r.stderr
    assert "the gold plus 1 pooled judgement(s) (1 relevant, over every split)" in r.stderr
    r = invoke(*args, "--judged", tmp_path / "missing.tsv")
    assert r.exit_code != 0 and "no judged pool at" in r.stderr
    # the judged file is never overwritten by a new pool, and the refusal comes before the run
    for extra in (["--judged", pool, "--pool", pool], ["--pool", pool]):
        r = invoke(*args, *extra)
        assert r.exit_code != 0 and str(pool) in r.stderr and "evaluated" not in r.stderr
    assert "\t2\t" in pool.read_text(encoding="utf-8")
    for depth in ("0", "101"):
        r = invoke(*args, "--pool", tmp_path / "p3.tsv", "--pool-depth", depth)
        assert r.exit_code != 0 and f"--pool-depth {depth} must be from 1 to the ranking depth k (100)" in r.stderr
    r = invoke("eval", "-w", ws, "--agreement", "--pool", tmp_path / "p2.tsv")
    assert r.exit_code != 0 and "--pool go(es) with scoring retrieval, not with --agreement" in r.stderr


def test_cli_each_saved_run_joins_the_history_and_is_compared_with_the_last_comparable_one(cli_ws, tmp_path):
    ws, gold = cli_ws
    args = ["eval", "-w", ws, "--queries", gold / "queries.tsv", "--qrels", gold / "qrels.txt", "-r", "bm25",
            "-r", "hybrid", "--resamples", "50"]
    r = invoke(*args)
    assert r.exit_code == 0, r.output
    assert "first run on this gold and settings for bm25, hybrid: nothing to compare with yet" in r.stdout
    r = invoke(*args)
    assert r.exit_code == 0, r.output
    assert "bm25 since " in r.stdout and "nDCG@10 0.667 → 0.667 (+0.000)" in r.stdout
    assert "better on 0, worse on 0" in r.stdout
    r = invoke(*args, "--json", "--no-save")
    since = json.loads(r.stdout)["bm25"]["since"]
    assert (since["before"]["nDCG@10"], since["after"]["nDCG@10"], since["worse"]) == (2 / 3, 2 / 3, 0)
    assert len((ws / "eval" / "history.jsonl").read_text().splitlines()) == 1  # the same run is not added twice
    # a judgement changed: another gold, so nothing to compare with; the history keeps both
    (gold / "qrels2.txt").write_text((gold / "qrels.txt").read_text(encoding="utf-8") + f"q-1 0 {ACT}:sec.5 1\n",
                                     encoding="utf-8")
    other = ["eval", "-w", ws, "--queries", gold / "queries.tsv", "--qrels", gold / "qrels2.txt", "-r", "bm25",
             "--resamples", "50"]
    r = invoke(*other, "--no-save")
    assert "first run on this gold and settings for bm25" in r.stdout
    assert len((ws / "eval" / "history.jsonl").read_text().splitlines()) == 1  # --no-save: read, not written
    invoke(*other)
    r = invoke("eval", "-w", ws, "--history")
    assert r.exit_code == 0, r.output
    header, *rows = r.stdout.splitlines()
    assert header.split()[:6] == ["when", "commit", "split", "k", "gold", "system"]
    assert [row.split()[5] for row in rows] == ["bm25", "hybrid", "bm25"]
    assert rows[0].split()[4] == rows[1].split()[4] != rows[2].split()[4]  # the gold fingerprints
    r = invoke("eval", "-w", ws, "--history", "-r", "hybrid", "--json")
    runs = json.loads(r.stdout)
    assert [set(run["systems"]) for run in runs] == [{"hybrid"}]
    r = invoke("eval", "-w", ws, "--agreement", "--report", tmp_path / "rep")
    assert r.exit_code != 0 and "--report go(es) with scoring retrieval" in r.stderr
    r = invoke(*args, "--split-file", gold / "queries.tsv")
    assert r.exit_code != 0 and "is only read with --split dev or --split test" in r.stderr


def test_cli_runs_files_reproduce_the_metrics_with_ir_measures_alone(cli_ws, tmp_path):
    import ir_measures

    ws, gold = cli_ws
    runs = tmp_path / "runs"
    r = invoke("eval", "-w", ws, "--queries", gold / "queries.tsv", "--qrels", gold / "qrels.txt", "--pairs",
               gold / "pairs.csv", "--no-match", "--json", "--no-save", "--resamples", "50", "--runs", runs)
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert {p.name for p in runs.iterdir()} == {"bm25.run", "dense.run", "hybrid.run", "pairs-bm25.run",
                                                "pairs-dense.run", "pairs-hybrid.run",
                                                "qrels.txt", "pair_qrels.txt"}
    measures = [ir_measures.nDCG @ 10, ir_measures.R @ 10, ir_measures.RR @ 10, ir_measures.AP]
    for name, qrels in (("bm25", "qrels.txt"), ("dense", "qrels.txt"), ("pairs:hybrid", "pair_qrels.txt")):
        got = ir_measures.calc_aggregate(measures, ir_measures.read_trec_qrels(str(runs / qrels)),
                                         ir_measures.read_trec_run(str(runs / (name.replace(":", "-") + ".run"))))
        for ours, theirs in (("nDCG@10", ir_measures.nDCG @ 10), ("Recall@10", ir_measures.R @ 10),
                             ("MRR@10", ir_measures.RR @ 10), ("MAP", ir_measures.AP)):
            assert data[name][ours] == pytest.approx(got[theirs]), (name, ours)
    first = (runs / "bm25.run").read_text().splitlines()[0].split()
    assert first[1] == "Q0" and first[3] == "1" and first[5] == "crosswalk-bm25"


def test_cli_eval_text_table_and_per_query(cli_ws):
    ws, gold = cli_ws
    r = invoke("eval", "-w", ws, "--queries", gold / "queries.tsv", "--qrels", gold / "qrels.txt", "-r", "bm25",
               "-r", "hybrid", "--per-query", "--no-save", "--resamples", "50")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split()[:3] == ["queries", "(all)", "nDCG@10"]
    assert any(line.startswith("bm25 ") and "0.667 [" in line for line in lines)
    assert "hybrid − bm25:" in r.stdout
    assert any(line.split()[:3] == ["q-1", "q", "bm25"] for line in lines)
    assert not (ws / "eval").exists()


def test_cli_eval_errors_are_one_line(cli_ws, tmp_path):
    ws, gold = cli_ws
    r = CliRunner().invoke(main, ["eval", "-w", str(ws), "--queries", str(tmp_path / "none.tsv")])
    assert r.exit_code == 1
    assert r.stderr.startswith("error: no queries file at") and r.stderr.count("\n") == 1
    r = CliRunner().invoke(main, ["eval", "-w", str(ws), "--queries", str(gold / "queries.tsv"), "--qrels",
                                  str(gold / "qrels.txt"), "--split", "dev", "--split-file", str(tmp_path / "x.tsv")])
    assert r.exit_code == 1 and "no split file at" in r.stderr


def test_cli_agreement_and_decisions_qrels(cli_ws, tmp_path):
    ws, _ = cli_ws
    r = invoke("eval", "-w", ws, "--agreement")
    assert r.exit_code == 0 and "agreement needs two or more reviewers" in r.stdout
    with DecisionStore(ws / "crosswalk.db") as ds:
        ds.record(SEC4, f"{CASS}:CASS_18.1.1R", "equal", "ana")
        ds.record(SEC4, f"{CASS}:CASS_18.1.1R", "equal", "bo")
        ds.record(f"{CFR}:1022.210", f"{MLR}:reg.19", "intersects-with", "ana")
        ds.record(f"{CFR}:1022.210", f"{MLR}:reg.19", "not-related", "bo")
        ds.record(f"{CFR}:1022.380", f"{MLR}:reg.56", "unsure", "ana")
    r = invoke("eval", "-w", ws, "--agreement", "--json")
    data = json.loads(r.stdout)
    assert data["relationship"]["reviewers"] == ["ana", "bo"] and data["relationship"]["items"] == 2
    assert data["relationship"]["kappas"][0]["observed"] == 0.5
    out = tmp_path / "decisions.qrels"
    r = invoke("eval", "-w", ws, "--decisions-qrels", out)
    assert r.exit_code == 0, r.output
    assert out.read_text().splitlines() == [
        f"{SEC4} 0 {CASS}:CASS_18.1.1R 2",
        f"{CFR}:1022.210 0 {MLR}:reg.19 0",  # the newest decision on the pair: bo's; unsure left out
    ]


def test_cli_with_decisions_adds_reviewed_pairs(cli_ws):
    ws, gold = cli_ws
    with DecisionStore(ws / "crosswalk.db") as ds:
        ds.record(f"{CFR}:1022.380", f"{MLR}:reg.56", "equal", "ana")
    r = invoke("eval", "-w", ws, "--queries", gold / "queries.tsv", "--qrels", gold / "qrels.txt", "--with-decisions",
               "--no-match", "--json", "--no-save", "--resamples", "50")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["pairs:bm25"]["evaluated"]["queries"] == 1  # the decided pair; the gold pairs file was not asked for


def test_eval_has_help_with_an_example():
    r = invoke("eval", "--help")
    assert r.exit_code == 0 and "Example: crosswalk eval" in r.output


# --- the command's modes as library functions (crosswalk.evaluation.modes) -------------------------------------


def test_options_that_do_not_go_together_are_named():
    from crosswalk.evaluation.modes import check_modes

    check_modes()  # plain scoring
    check_modes(pool="pool.tsv", judged=["j.tsv"], report="rep", runs="runs", split="dev", split_path="s.tsv")
    check_modes(agreement=True, decisions_qrels="d.qrels")
    with pytest.raises(ConfigError, match=r"^--pool, --runs go\(es\) with scoring retrieval, not with --agreement$"):
        check_modes(agreement=True, pool="p.tsv", runs="runs")
    with pytest.raises(ConfigError, match="--history lists the saved runs: run it on its own"):
        check_modes(history=True, decisions_qrels="d.qrels")
    with pytest.raises(ConfigError, match="--split-file s.tsv is only read with --split dev or --split test"):
        check_modes(split_path="s.tsv")


def test_score_workspace_saves_the_run_where_asked_and_compares_it_with_the_history(cli_ws, tmp_path):
    from crosswalk.evaluation.modes import saved_runs, score_workspace

    ws, gold = cli_ws
    workspace = Workspace(ws)
    options = dict(queries_path=gold / "queries.tsv", qrels_path=gold / "qrels.txt", retrievers=["bm25"],
                   resamples=50)
    scored = score_workspace(workspace, save=False, report_dir=tmp_path / "rep", runs_dir=tmp_path / "runs",
                             **options)
    assert scored.result.queries["bm25"].means["nDCG@10"] == pytest.approx(2 / 3)
    assert not (ws / "eval").exists() and {p.name for p in scored.saved.paths} == {
        "report.md", "metrics.png", "latest.json"}
    assert scored.saved.first_time == ["bm25"] and {p.name for p in scored.runs} >= {"qrels.txt"}
    again = score_workspace(workspace, **options)
    assert (ws / "eval" / "history.jsonl").is_file() and (ws / "eval" / "latest.json").is_file()
    assert again.runs == [] and again.saved.first_time == ["bm25"]
    entries, systems, problems = saved_runs(workspace, ["bm25"])
    assert len(entries) == 1 and systems == ["bm25", "pairs:bm25"] and problems == []
    assert saved_runs(workspace)[1] == []  # no retriever named: every system
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(StoreError, match="no store at .*: run `crosswalk ingest` and `crosswalk index` first"):
        score_workspace(Workspace(empty), **options)


def test_the_current_decisions_written_as_qrels(cli_ws, tmp_path):
    from crosswalk.evaluation.modes import write_decisions_qrels

    ws, _ = cli_ws
    with DecisionStore(ws / "crosswalk.db") as ds:
        ds.record(SEC4, f"{CASS}:CASS_18.1.1R", "intersects-with", "ana")
        ds.record(SEC4, f"{CASS}:CASS_18.1.1R", "equal", "ana")  # the newer decision counts
        ds.record(f"{CFR}:1022.380", f"{MLR}:reg.56", "unsure", "bo")
    out = tmp_path / "decisions.qrels"
    assert write_decisions_qrels(ws / "crosswalk.db", out) == (1, 2)
    assert out.read_text() == f"{SEC4} 0 {CASS}:CASS_18.1.1R 2\n" and not list(tmp_path.glob("*.tmp"))
