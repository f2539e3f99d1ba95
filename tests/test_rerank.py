"""The learned second stage (index.rerank): features on hand-made examples, the ranker on a tiny synthetic set,
determinism, save/load, and the fallback when no model is saved. The small workspace is tests/index_corpus.py's
(real model, real FAISS); the gold for it is written here."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from crosswalk.errors import ConfigError
from crosswalk.evaluation.gold_io import Pair, Query
from crosswalk.index.rerank.features import FEATURES, coverage, jaccard, maxsim, reciprocal_rank, structure
from index_corpus import built_workspace, copy_workspace

# --- feature functions -----------------------------------------------------------------------------------------


def test_maxsim_hand_computed():
    q = np.array([[1.0, 0.0], [0.0, 1.0]])
    d = np.array([[0.6, 0.8], [1.0, 0.0], [-1.0, 0.0]])
    # row 1: max(0.6, 1.0, -1.0) = 1.0; row 2: max(0.8, 0.0, 0.0) = 0.8; mean 0.9
    assert maxsim(q, d) == pytest.approx(0.9)
    # not symmetric: from the document's side, (0.6,0.8)->0.8, (1,0)->1.0, (-1,0)->0.0; mean 0.6
    assert maxsim(d, q) == pytest.approx(0.6)
    assert math.isnan(maxsim(np.zeros((0, 2)), d)) and math.isnan(maxsim(q, np.zeros((0, 2))))


def test_structure_tells_the_operative_rule_from_discussion():
    names = ("kind_rule", "kind_guidance", "kind_evidential", "kind_definition", "kind_recital", "kind_question",
             "kind_heading", "kind_article", "doc_binding", "doc_paper", "depth", "log_words", "log_children")
    rule = dict(zip(names, structure("rule", "CASS 16.5.2R", "consultation", 4, 40, 2)))
    para = dict(zip(names, structure("paragraph", "para.3.6", "consultation", 2, 120, 0)))
    guide = dict(zip(names, structure("paragraph", "CASS 17.3.5G", "consultation", 4, 30, 0)))
    evid = dict(zip(names, structure("paragraph", "CASS 17.3.6E", "consultation", 4, 30, 0)))
    sec = dict(zip(names, structure("section", "sec.4(a)", "statute", 3, 10, 5)))
    question = dict(zip(names, structure("question", "Q12", "consultation", 2, 15, 0)))
    defs = dict(zip(names, structure("paragraph", "sec.2", "statute", 1, 8, 30, title="Definitions")))
    assert rule["kind_rule"] == 1 and para["kind_rule"] == 0 and guide["kind_rule"] == 0
    assert guide["kind_guidance"] == 1 and evid["kind_evidential"] == 1 and evid["kind_guidance"] == 0
    assert para["doc_paper"] == 1 and para["doc_binding"] == 0 and sec["doc_binding"] == 1 and sec["doc_paper"] == 0
    assert sec["kind_article"] == 1 and question["kind_question"] == 1 and defs["kind_definition"] == 1
    assert rule["depth"] == 4 and rule["log_words"] == pytest.approx(math.log(41))
    assert rule["log_children"] == pytest.approx(math.log(3))
    assert structure("chapter", "ch.3", "consultation", 1, 3, 9)[names.index("kind_heading")] == 1


def test_coverage_jaccard_and_reciprocal_rank():
    assert coverage(["a", "b", "b", "c", "d"], {"a", "c", "x"}) == pytest.approx(0.5)
    assert math.isnan(coverage([], {"a"}))
    assert jaccard(["x", "y"], ["y", "z"]) == pytest.approx(1 / 3)
    assert math.isnan(jaccard([], []))
    assert reciprocal_rank(1) == 1.0 and reciprocal_rank(5) == 0.2 and reciprocal_rank(None) == 0.0


# --- the ranker on a tiny synthetic set --------------------------------------------------------------------------


class _G:
    """A synthetic training group: only what `fit` and `cross_validate` read."""

    def __init__(self, qid, X, y):
        self.qid, self.X, self.y = qid, X, y


def _synthetic(seed=0, groups=40, size=30):
    """Groups where the relevant candidates are the operative rules with the highest cosine; the other
    features are noise."""
    rng = np.random.default_rng(seed)
    out = []
    for g in range(groups):
        X = rng.normal(size=(size, len(FEATURES)))
        rule = rng.random(size) < 0.3
        X[:, FEATURES.index("kind_rule")] = rule
        y = (rule & (X[:, FEATURES.index("cosine")] > 0)).astype(np.int32) * 2
        out.append(_G(f"q-{g:02d}", X, y))
    return out


def test_ranker_orders_a_tiny_synthetic_set():
    from crosswalk.evaluation.learn import fit

    booster = fit(_synthetic(), ["cosine", "kind_rule", "bm25_rel"], rounds=60, seed=0,
                  params={"min_data_in_leaf": 5})
    cols = [FEATURES.index(f) for f in ("cosine", "kind_rule", "bm25_rel")]
    X = np.zeros((4, len(FEATURES)))
    X[:, FEATURES.index("kind_rule")] = [1, 0, 1, 0]
    X[:, FEATURES.index("cosine")] = [0.9, 0.9, -0.9, -0.9]
    s = booster.predict(X[:, cols])
    assert s[0] == max(s)  # the rule with the high cosine first
    assert s[0] > s[1] and s[0] > s[2]


def test_training_is_deterministic_for_a_seed():
    from crosswalk.evaluation.learn import cross_validate, fit

    data = _synthetic(seed=1)
    feats = ["cosine", "kind_rule", "bm25_rel", "dense_rrank"]
    a = fit(data, feats, rounds=30, seed=7, params={"min_data_in_leaf": 5, "feature_fraction": 0.5})
    b = fit(data, feats, rounds=30, seed=7, params={"min_data_in_leaf": 5, "feature_fraction": 0.5})
    assert a.model_to_string() == b.model_to_string()
    oof_a, best_a = cross_validate(data, feats, seed=3, params={"min_data_in_leaf": 5})
    oof_b, best_b = cross_validate(data, feats, seed=3, params={"min_data_in_leaf": 5})
    assert best_a == best_b and all(np.array_equal(oof_a[q], oof_b[q]) for q in oof_a)


# --- on a small real workspace -------------------------------------------------------------------------------------

QUERIES = [Query("q-1", "custody of client cryptoassets", "UK"), Query("q-2", "suspicious activity reporting", "UK"),
           Query("q-3", "who may issue a payment stablecoin", "US"), Query("q-4", "daily reconciliation of records", ""),
           Query("q-5", "nominated officer", "UK")]
QRELS = {"q-1": {"UK-T-CASS:CASS_16.2.13R": 2}, "q-2": {"UK-T-MLR:reg.21": 2}, "q-3": {"US-T-ACT:sec.3": 2},
         "q-4": {"UK-T-CASS:CASS_17.5.1R": 1}, "q-5": {"UK-T-MLR:reg.21": 2}}
PAIRS = [Pair("US-T-ACT:sec.3", "UK-T-CASS:CASS_16.2.13R", "intersects-with"),
         Pair("US-T-CFR:1022.210", "UK-T-MLR:reg.19", "subset-of"),
         Pair("US-T-CFR:1022.320", "UK-T-MLR:reg.21", "equal")]


def _gold(test_pair: Pair | None = None):
    pairs = PAIRS + ([test_pair] if test_pair else [])
    splits = {q.qid: "dev" for q in QUERIES} | {p.key: "dev" for p in PAIRS}
    if test_pair:
        splits[test_pair.key] = "test"
    return QUERIES, QRELS, pairs, splits


@pytest.fixture
def small_ws(tmp_path_factory, tmp_path):
    from crosswalk.workspace import Workspace

    return Workspace(copy_workspace(built_workspace(tmp_path_factory), tmp_path / "ws"))


def test_learn_saves_a_model_that_loads_with_its_metadata(small_ws):
    from crosswalk.index.build import load_searcher
    from crosswalk.index.filters import Filters
    from crosswalk.index.rerank import learn, load_ranker, model_paths
    from crosswalk.ingest.store import Store

    with Store(small_ws.db_path, readonly=True) as store:
        report = learn(store, small_ws, gold=_gold(), use_decisions=False)
        assert report.queries == 5 and report.pairs == 3 and report.decisions == 0 and report.positives >= 8
        model_path, meta_path = model_paths(small_ws)
        assert model_path.read_text().startswith("tree") and not model_path.read_bytes().startswith(b"\x80")
        meta = json.loads(meta_path.read_text())
        assert meta["features"] == report.features and meta["fingerprint"] == report.fingerprint
        assert meta["versions"]["lightgbm"] and set(meta["dev"]["before"]) == {"queries", "pairs"}
        assert "dev queries (5)" in report.summary()
        ranker = load_ranker(small_ws)
        searcher = load_searcher(store, small_ws.index_dir)
        got = ranker.search(searcher, "custody of client cryptoassets", 5, Filters(jurisdiction="UK"))
        assert got.retriever == "hybrid+rerank" and len(got) == 5
        assert all(pid.startswith("UK-") for pid in got.ids())
        # the loaded booster scores exactly as the saved one: same features, same model text
        from crosswalk.index.rerank.pool import search_pool

        pool = search_pool(searcher, "custody of client cryptoassets", Filters(jurisdiction="UK"))
        s = ranker.scores(searcher, pool)
        assert np.allclose(s, load_ranker(small_ws).scores(searcher, pool))
        assert [h.rank for h in got] == [1, 2, 3, 4, 5] and got[0].scores["rerank"] == got[0].score
        # same data and seed: the same model text
        first = model_path.read_text()
        again = learn(store, small_ws, gold=_gold(), use_decisions=False)
        assert again.fingerprint == report.fingerprint and model_path.read_text() == first


def test_test_half_pairs_are_never_trained_on(small_ws):
    from crosswalk.index.build import load_searcher
    from crosswalk.index.rerank.features import Corpus
    from crosswalk.evaluation.learn import gather
    from crosswalk.ingest.store import Store

    held = Pair("US-T-CFR:1022.210", "UK-T-MLR:reg.21", "intersects-with")
    with Store(small_ws.db_path, readonly=True) as store:
        searcher = load_searcher(store, small_ws.index_dir)
        groups = gather(store, searcher, Corpus(searcher), gold=_gold(held))
    left = [g for g in groups if g.qid == "pair:US-T-CFR:1022.210@UK"]
    assert left and "UK-T-MLR:reg.21" not in left[0].pool.ids()  # neither positive nor negative
    assert dict(zip(left[0].pool.ids(), left[0].y))["UK-T-MLR:reg.19"] == 2  # subset-of: grade 2
    # read the other way round, the test pair's left provision is left out of its right provision's pool too
    back = [g for g in groups if g.qid == "pair:UK-T-MLR:reg.21@US"]
    assert back and back[0].kind == "pair-reverse" and "US-T-CFR:1022.210" not in back[0].pool.ids()
    assert dict(zip(back[0].pool.ids(), back[0].y))["US-T-CFR:1022.320"] == 3  # equal, from the right side


def test_no_model_falls_back_and_says_so_once(small_ws):
    from crosswalk.index.build import load_searcher
    from crosswalk.index.rerank import load_ranker
    from crosswalk.index.rerank.searcher import RerankingSearcher
    from crosswalk.ingest.store import Store

    assert load_ranker(small_ws) is None
    with Store(small_ws.db_path, readonly=True) as store:
        base = load_searcher(store, small_ws.index_dir)
        wrapped = RerankingSearcher(base, small_ws)
        first, second = wrapped.note(), wrapped.note()
        assert first and "no trained ranker" in first and second is None
        got = wrapped.search("custody of client cryptoassets", k=5)
        assert got.retriever == "hybrid" and got.ids() == base.search("custody of client cryptoassets", k=5).ids()


def test_cli_search_notes_the_missing_model_once(small_ws):
    from click.testing import CliRunner

    from crosswalk.cli import main

    runner = CliRunner()
    args = ["search", "custody of client cryptoassets", "-w", str(small_ws.root), "-k", "3"]
    out = runner.invoke(main, args)
    assert out.exit_code == 0, out.output
    assert out.stderr.count("no trained ranker") == 1 and "hybrid" in out.stdout


def test_a_model_without_metadata_is_an_error(small_ws):
    from crosswalk.index.rerank import load_ranker, model_paths

    model_path, _ = model_paths(small_ws)
    model_path.parent.mkdir(parents=True)
    model_path.write_text("tree\n")
    with pytest.raises(ConfigError, match="crosswalk learn"):
        load_ranker(small_ws)


def test_eval_needs_a_model_for_hybrid_rerank(small_ws):
    from crosswalk.evaluation.run import evaluate_workspace

    with pytest.raises(ConfigError, match="crosswalk learn"):
        evaluate_workspace(small_ws, retrievers=["hybrid", "hybrid+rerank"])
