"""Cross-jurisdiction matching and the review queue, on a small hand-written store in three jurisdictions.

Most tests use a bag-of-words encoder (deterministic, instant) behind a searcher that exposes its vectors the
way `crosswalk.index.retrievers.Searcher` does; one module fixture builds a real index with the real model to check the
whole path (`build_index` → `load_searcher` → `match`).
"""

from __future__ import annotations

import re
import sqlite3
import zlib

import numpy as np
import pytest

from crosswalk.errors import ConfigError, NotFoundError, StoreError
from crosswalk.index import match as match_mod
from crosswalk.index.match import counterparts, match
from crosswalk.index.match_terms import normalise_term, shared_terms, skip_reason
from crosswalk.index.match_vectors import VectorTable
from crosswalk.index.sentences import SentenceEmbeddings, best_sentence_pair, split_sentences
from crosswalk.index.passages import make_passages
from crosswalk.index.queue import priority, read_queue, write_queue
from crosswalk.index.results import Results
from crosswalk.ingest.models import Entity, Provision, Source, make_id
from crosswalk.ingest.store import Store

US, UK, EU = "US-TEST-ACT", "UK-TEST-RULES", "EU-TEST-REG"


def ent(text: str, label: str, body: str, detail: str = "") -> Entity:
    start = body.index(text)
    return Entity(start, start + len(text), label, text, detail)


def prov(doc, jur, citation, text, i, *, kind="section", title="", parent=None, terms=()):
    return Provision(
        id=make_id(doc, citation), doc_id=doc, jurisdiction=jur, citation=citation, text=text, kind=kind,
        title=title, ordinal=i, parent_id=make_id(doc, parent) if parent else None,
        entities=tuple(ent(t, label, text) for t, label in terms),
    )


INTEREST_US = ("An issuer shall not pay interest or yield to holders of payment stablecoins. "
               "The prohibition covers cash, tokens and other consideration.")
RESERVES_US = ("An issuer shall maintain reserves backing payment stablecoins on a one to one basis. "
               "Reserves shall be cash, demand deposits or short treasury bills.")
PUBLISH_US = ("An issuer shall publish the monthly composition of its reserves on its website. "
              "The report shall be examined by a registered public accounting firm.")
LICENCE_US = ("No person may issue a payment stablecoin in the United States unless that person is a "
              "permitted payment stablecoin issuer.")

INTEREST_UK = ("A stablecoin issuer must not pay interest to holders of qualifying stablecoins. "
               "The issuer must not pass income from backing assets to holders.")
RESERVES_UK = ("A stablecoin issuer must hold backing assets equal to the value of qualifying stablecoins in "
               "issue. Backing assets must be cash deposits or short government debt.")
PUBLISH_UK = ("A stablecoin issuer must publish the composition of its backing asset pool every month. "
              "An independent auditor must examine the backing asset pool each year.")
LICENCE_UK = ("No person may issue qualifying stablecoins in the United Kingdom unless that person is an "
              "authorised person with permission from the FCA.")

INTEREST_EU = "Issuers of e-money tokens shall not grant interest in relation to e-money tokens to any holder."
RESERVES_EU = ("Issuers of asset-referenced tokens shall constitute and at all times maintain a reserve of "
               "assets covering the tokens in issue.")


def documents():
    us = [
        prov(US, "US", "sec.1", "SEC. 1. SHORT TITLE.", 0, title="SHORT TITLE."),
        prov(US, "US", "sec.4", "SEC. 4. REQUIREMENTS FOR ISSUERS.", 1, title="REQUIREMENTS FOR ISSUERS."),
        prov(US, "US", "sec.4(a)(1)", RESERVES_US, 2, kind="paragraph", parent="sec.4",
             terms=[("payment stablecoins", "CRYPTO_ASSET")]),
        prov(US, "US", "sec.4(a)(6)", PUBLISH_US, 3, kind="paragraph", parent="sec.4"),
        prov(US, "US", "sec.4(a)(11)", INTEREST_US, 4, kind="paragraph", parent="sec.4",
             terms=[("payment stablecoins", "CRYPTO_ASSET"), ("shall not", "OBLIGATION"), ("issuer", "DEFINED_TERM")]),
        prov(US, "US", "sec.4(a)(12)", "(12) the issuer;", 5, kind="paragraph", parent="sec.4"),
        prov(US, "US", "sec.5", LICENCE_US, 6, terms=[("United States", "GPE"), ("payment stablecoin", "CRYPTO_ASSET")]),
    ]
    uk = [
        prov(UK, "UK", "ch.3", "3 Stablecoin issuance", 0, kind="chapter"),
        prov(UK, "UK", "CASS 17.2.1R", LICENCE_UK, 1, kind="rule", terms=[("FCA", "REGULATOR")]),
        prov(UK, "UK", "CRYPTO 2.3.1R", RESERVES_UK, 2, kind="rule", terms=[("qualifying stablecoins", "CRYPTO_ASSET")]),
        prov(UK, "UK", "CRYPTO 2.4.33R", INTEREST_UK, 3, kind="rule",
             terms=[("qualifying stablecoins", "CRYPTO_ASSET"), ("must not", "OBLIGATION"), ("issuer", "DEFINED_TERM")]),
        prov(UK, "UK", "CRYPTO 2.5.1R", PUBLISH_UK, 4, kind="rule"),
        prov(UK, "UK", "p.1#1", "Contents 1 Summary 2 Proposals 3 Rules and guidance for issuers", 5,
             kind="passage", title="Contents"),
    ]
    eu = [
        prov(EU, "EU", "art.36(1)", RESERVES_EU, 0, kind="paragraph", terms=[("asset-referenced tokens", "CRYPTO_ASSET")]),
        prov(EU, "EU", "art.50(1)", INTEREST_EU, 1, kind="paragraph", terms=[("e-money tokens", "CRYPTO_ASSET")]),
    ]
    return {US: ("US", us), UK: ("UK", uk), EU: ("EU", eu)}


def put(store, doc, jur, provisions):
    store.replace_document(Source(id=doc, jurisdiction=jur), provisions, path="x", file_sha256="0", pipeline="t",
                           splitter="t", pages=None)


# --- a deterministic encoder and a searcher that exposes vectors -----------------------------------------------

STOP = set("a an and are as at be but by for if in into is it no not of on or such that the their then there "
           "these they this to was will with its any each".split())


class WordEncoder:
    """Bag of words hashed into 512 dimensions, plurals folded, unit length. Counts what it embeds."""

    def __init__(self):
        self.encoded: list[str] = []

    def encode(self, texts):
        self.encoded.extend(texts)
        out = np.zeros((len(texts), 512), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"[a-z]+", t.lower()):
                if w in STOP:
                    continue
                w = w[:-1] if w.endswith("s") and len(w) > 3 else w
                out[i, zlib.crc32(w.encode()) % 512] += 1.0
            n = np.linalg.norm(out[i])
            out[i] = out[i] / n if n else out[i]
        return out


class VectorSearcher:
    """Exposes `ids`, a `dense` holding a DenseIndex-like object and an embedder, as index.retrievers does."""

    def __init__(self, store, encoder):
        from types import SimpleNamespace

        provisions = store.iter_provisions()
        passages = make_passages(provisions)
        self.store = store
        self.ids = [p.id for p in provisions]
        pos = {pid: i for i, pid in enumerate(self.ids)}
        index = SimpleNamespace(vectors=encoder.encode([p.text for p in passages]),
                                row_prov=np.array([pos[p.provision_id] for p in passages]))
        self.dense = SimpleNamespace(dense=index, embedder=encoder, ids=self.ids)
        self.params = {"settings": {"model": "words"}}
        self.searches = 0

    def search(self, query, k=10, filters=None):
        self.searches += 1
        table = match_mod.vector_table(self)
        q = self.dense.embedder.encode([query])[0]
        jurs = set(filters.jurisdiction) if filters else None
        best: dict[str, float] = {}
        for pid, vec in zip(table.row_ids, table.matrix):
            if jurs and self.store.get(pid, with_entities=False).jurisdiction not in jurs:
                continue
            best[pid] = max(best.get(pid, -1.0), float(vec @ q))
        ranked = sorted(best.items(), key=lambda x: (-x[1], x[0]))[:k]
        return Results.ranked(query, "dense", ranked)


class SearchOnly:
    """A searcher that hides its vectors: matching must fall back to one search per provision."""

    def __init__(self, inner):
        self.inner = inner
        self.embedder = inner.dense.embedder

    def search(self, query, k=10, filters=None):
        return self.inner.search(query, k, filters)


@pytest.fixture()
def store(tmp_path):
    s = Store(tmp_path / "crosswalk.db")
    for doc, (jur, provisions) in documents().items():
        put(s, doc, jur, provisions)
    yield s
    s.close()


@pytest.fixture()
def searcher(store):
    return VectorSearcher(store, WordEncoder())


def qid(doc, citation):
    return make_id(doc, citation)


# --- which provisions take part -------------------------------------------------------------------------------


def test_trivial_units_are_skipped_with_a_reason():
    by_id = {p.id: p for _, ps in documents().values() for p in ps}
    assert skip_reason(by_id[qid(US, "sec.1")]) == "heading"  # label and title only
    assert skip_reason(by_id[qid(US, "sec.4(a)(12)")]) == "short"
    assert skip_reason(by_id[qid(UK, "ch.3")]) == "heading"  # a structural kind
    assert skip_reason(by_id[qid(UK, "p.1#1")]) == "front matter"
    assert skip_reason(by_id[qid(US, "sec.4(a)(11)")]) is None
    eight = Provision("d:s.1", "d", "US", "s.1", "(1) one two three four five six seven eight")
    assert skip_reason(eight) is None and skip_reason(Provision("d:s.2", "d", "US", "s.2", "one two three")) == "short"


def test_report_counts_what_was_skipped(store, searcher):
    report = match(store, searcher, "US", "UK", k=2, explain=False)
    assert report.n_focal == 4 and report.n_targets == 4
    assert report.skipped == {"heading": 3, "short": 1, "front matter": 1}
    assert "skipped 5 (1 front matter, 3 heading, 1 short)" in report.summary()


# --- shared terms, sentences, explanation ---------------------------------------------------------------------


def test_normalise_term_folds_what_differs_between_jurisdictions():
    assert normalise_term("cryptoassets") == normalise_term("Crypto-asset") == "cryptoasset"
    assert normalise_term("the Financial Conduct Authority") == "financialconductauthority"
    assert normalise_term("qualifying stablecoins") == normalise_term("Qualifying Stablecoin")
    assert normalise_term("status") == "status" and normalise_term("business") == "business"


def test_shared_terms_compare_domain_labels_only():
    by_id = {p.id: p for _, ps in documents().values() for p in ps}
    left, right = by_id[qid(US, "sec.4(a)(11)")], by_id[qid(UK, "CRYPTO 2.4.33R")]
    terms = shared_terms(left, right)
    assert [(t.label, t.term, t.left, t.right) for t in terms] == [("DEFINED_TERM", "issuer", "issuer", "issuer")]
    # OBLIGATION and GPE spans are not terms; different stablecoin names are different terms
    defined = Provision("d:s.9", "d", "US", "s.9", "Each Stablecoin Issuer shall", entities=(
        Entity(5, 22, "DEFINED_TERM", "Stablecoin Issuer", "stablecoin issuer"),))
    other = Provision("e:r.1", "e", "UK", "r.1", "stablecoin issuers must", entities=(
        Entity(0, 18, "CRYPTO_ASSET", "stablecoin issuers"),))
    assert [(t.label, t.term, t.left, t.right) for t in shared_terms(defined, other)] == [
        ("DEFINED_TERM", "stablecoinissuer", "Stablecoin Issuer", "stablecoin issuers")
    ]


def test_split_sentences_keeps_abbreviations_and_lists():
    assert split_sentences("It applies to issuers under 31 U.S.C. 5318 and e.g. reg. 14A as amended. Another "
                           "sentence follows here.") == [
        "It applies to issuers under 31 U.S.C. 5318 and e.g. reg. 14A as amended.", "Another sentence follows here."
    ]
    assert split_sentences("The permitted issuer shall: (1) hold reserves in cash; (2) publish them monthly; and") == [
        "The permitted issuer shall:", "(1) hold reserves in cash;", "(2) publish them monthly; and"
    ]
    assert split_sentences("Sec. 4 applies. It binds every issuer.") == ["Sec. 4 applies. It binds every issuer."]
    long = " ".join(f"w{i}" for i in range(130))
    assert [len(s.split()) for s in split_sentences(long)] == [60, 60, 10]


def test_best_sentence_pair_and_the_sentence_cache():
    enc = WordEncoder()
    cache = SentenceEmbeddings(enc)
    ex = best_sentence_pair(INTEREST_US, INTEREST_UK, cache)
    assert ex.left.startswith("An issuer shall not pay interest")
    assert ex.right.startswith("A stablecoin issuer must not pay interest")
    assert 0 < ex.cosine <= 1
    seen = len(enc.encoded)
    assert best_sentence_pair(INTEREST_US, PUBLISH_UK, cache) is not None
    assert len(enc.encoded) == seen + 2  # only PUBLISH_UK's two sentences were new
    assert best_sentence_pair("", INTEREST_UK, cache) is None


def test_sentence_cache_on_disk(tmp_path, caplog):
    from types import SimpleNamespace

    enc = WordEncoder()
    enc.spec = SimpleNamespace(fingerprint="words@1")
    first = SentenceEmbeddings(enc, cache_dir=tmp_path / "sentences")
    first.prefetch(split_sentences(INTEREST_US + " " + INTEREST_UK))
    assert len(enc.encoded) == 4
    again = SentenceEmbeddings(enc, cache_dir=tmp_path / "sentences")
    ex = best_sentence_pair(INTEREST_US, INTEREST_UK, again)
    assert len(enc.encoded) == 4 and ex.right.startswith("A stablecoin issuer must not pay interest")  # all read back
    assert best_sentence_pair(INTEREST_US, PUBLISH_UK, again) is not None and len(enc.encoded) == 6
    other = WordEncoder()
    other.spec = SimpleNamespace(fingerprint="words@2")
    with caplog.at_level("WARNING"):
        SentenceEmbeddings(other, cache_dir=tmp_path / "sentences").prefetch(split_sentences(INTEREST_US))
    assert len(other.encoded) == 2 and "another model" in caplog.text  # another model: embedded afresh
    (tmp_path / "sentences" / "sentences.npy").write_bytes(b"not numpy")
    third = WordEncoder()
    third.spec = SimpleNamespace(fingerprint="words@2")
    SentenceEmbeddings(third, cache_dir=tmp_path / "sentences").prefetch(split_sentences(INTEREST_US))
    assert len(third.encoded) == 2  # unreadable: rebuilt, not trusted


# --- match ----------------------------------------------------------------------------------------------------


def test_match_pairs_each_provision_with_its_counterpart(store, searcher):
    report = match(store, searcher, "US", "UK", k=2, method="vectors")
    assert report.method == "vectors" and searcher.searches == 0  # one matrix product, no searches
    top = {c.left_id: c for c in report.candidates if c.rank == 1}
    assert top[qid(US, "sec.4(a)(11)")].right_id == qid(UK, "CRYPTO 2.4.33R")
    assert top[qid(US, "sec.4(a)(1)")].right_id == qid(UK, "CRYPTO 2.3.1R")
    assert top[qid(US, "sec.4(a)(6)")].right_id == qid(UK, "CRYPTO 2.5.1R")
    assert top[qid(US, "sec.5")].right_id == qid(UK, "CASS 17.2.1R")
    assert all(c.mutual for c in top.values())
    assert report.n_candidates == 8 and [c.rank for c in report.candidates[:2]] == [1, 2]
    interest = top[qid(US, "sec.4(a)(11)")]
    assert interest.explanation.left.startswith("An issuer shall not pay interest")
    assert interest.explanation.right.startswith("A stablecoin issuer must not pay interest")
    assert [t.term for t in interest.shared_terms] == ["issuer"]


def test_mutual_is_checked_against_the_candidates_own_top_k(store, searcher):
    report = match(store, searcher, "US", "UK", k=1, explain=False)
    for c in report.candidates:
        back = counterparts(store, searcher, c.right_id, "US", k=1, explain=False)
        assert c.mutual == (back[0].right_id == c.left_id)
    # EU has two provisions: against all four US ones, the US interest rule is the EU interest rule's best,
    # but the EU interest rule is not necessarily the best for every US provision that lists it
    eu = match(store, searcher, "US", "EU", k=1, explain=False, write=False)
    assert any(not c.mutual for c in eu.candidates) and any(c.mutual for c in eu.candidates)


def test_scores_match_a_direct_computation(store, searcher):
    report = match(store, searcher, "US", "UK", k=4, explain=False, write=False)
    enc = searcher.dense.embedder
    for c in report.candidates:
        left = store.get(c.left_id)
        right = store.get(c.right_id)
        lv = enc.encode([p.text for p in make_passages([left])])
        rv = enc.encode([p.text for p in make_passages([right])])
        assert c.score == pytest.approx(float((lv @ rv.T).max()), abs=1e-5)
    scores = [c.score for c in report.candidates if c.left_id == qid(US, "sec.5")]
    assert scores == sorted(scores, reverse=True)


def test_blocks_and_passages_give_the_same_answer(monkeypatch):
    rng = np.random.default_rng(7)
    m = rng.normal(size=(9, 16)).astype(np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    rows = ("L1", "L1", "L2", "L3", "L3", "L3", "R1", "R2", "R2")  # several passages per provision
    table = VectorTable(rows, m)
    whole = match_mod._grouped_topk(table, ["L1", "L2", "L3"], ["R1", "R2"], 2)
    monkeypatch.setattr(match_mod, "BLOCK_BYTES", 1)  # one provision per block
    assert match_mod._grouped_topk(table, ["L1", "L2", "L3"], ["R1", "R2"], 2) == whole
    expect = float((m[[3, 4, 5]] @ m[[7, 8]].T).max())
    assert dict(whole["L3"])["R2"] == pytest.approx(expect, abs=1e-6)


def test_equal_scores_are_ranked_by_id(tmp_path):
    s = Store(tmp_path / "ties.db")
    text = "A firm must keep records of every transfer of client money for five years."
    put(s, "US-A", "US", [prov("US-A", "US", "sec.1", text, 0)])
    put(s, "UK-B", "UK", [prov("UK-B", "UK", "r.2", text, 0), prov("UK-B", "UK", "r.1", text, 1)])
    put(s, "UK-A", "UK", [prov("UK-A", "UK", "r.9", text, 0)])
    report = match(s, VectorSearcher(s, WordEncoder()), "US", "UK", k=3, explain=False)
    assert [c.right_id for c in report.candidates] == ["UK-A:r.9", "UK-B:r.1", "UK-B:r.2"]
    s.close()


def test_search_method_agrees_with_vectors(store, searcher):
    by_vectors = match(store, searcher, "US", "UK", k=2, write=False)
    by_search = match(store, SearchOnly(searcher), "US", "UK", k=2, write=False)
    assert by_search.method == "search"
    assert searcher.searches == 4 + len({c.right_id for c in by_search.candidates})  # focal + mutual checks
    key = lambda r: [(c.left_id, c.right_id, c.rank, c.mutual) for c in r.candidates]  # noqa: E731
    assert key(by_search) == key(by_vectors)


# --- the queue ------------------------------------------------------------------------------------------------


def test_queue_rows_and_priority_order(store, searcher):
    report = match(store, searcher, "US", "UK", k=2)
    rows = read_queue(store, "US", "UK")
    assert len(rows) == 8 and report.queue.added == 8
    mutual_top = [r for r in rows if r.mutual and r.rank == 1]
    assert rows[: len(mutual_top)] == sorted(mutual_top, key=lambda r: (-r.score, r.left_id))
    for r in rows:
        assert r.priority == priority(r.score, r.rank, r.mutual, report.boundary)
    rest = rows[len(mutual_top):]
    closeness = [abs(r.score - report.boundary) for r in rest]
    assert closeness == sorted(closeness)  # the most uncertain first
    first = rows[0]
    assert first.explanation["left"] and first.explanation["right"] and 0 < first.explanation["cosine"] <= 1
    interest = next(r for r in rows if r.left_id == qid(US, "sec.4(a)(11)") and r.rank == 1)
    assert interest.shared_terms == ({"label": "DEFINED_TERM", "term": "issuer", "left": "issuer", "right": "issuer"},)


def test_priority_formula():
    assert priority(0.9, 1, True, 0.5) == 2.9
    assert priority(0.9, 1, False, 0.5) == 0.0  # confident but one-way: far from the boundary
    assert priority(0.55, 2, True, 0.5) == 0.8
    assert priority(0.2, 1, True, 0.5) > priority(0.5, 1, False, 0.5)  # a mutual best match tops the queue
    with pytest.raises(ConfigError, match="width is 0"):
        priority(0.5, 1, True, 0.5, width=0)


def test_rerun_is_idempotent(store, searcher):
    first = match(store, searcher, "US", "UK", k=2)
    before = [r.to_dict() for r in read_queue(store)]
    again = match(store, VectorSearcher(store, WordEncoder()), "US", "UK", k=2)
    assert [r.to_dict() for r in read_queue(store)] == before
    assert again.run_id == first.run_id
    assert (again.queue.added, again.queue.updated, again.queue.unchanged, again.queue.removed) == (0, 0, 8, 0)


def test_rerun_after_a_change_updates_keeps_dates_and_removes_stale(store, searcher):
    match(store, searcher, "US", "UK", k=2)
    write_queue(store, [], "UK", "EU")  # another direction, empty
    match(store, searcher, "UK", "EU", k=1)
    created = {(r.left_id, r.right_id): r.created_at for r in read_queue(store, "US", "UK")}
    store.conn.execute("UPDATE review_queue SET created_at='2020-01-01T00:00:00Z' WHERE from_jur='US'")
    store.conn.commit()
    _, us = documents()[US]
    put(store, US, "US", [p for p in us if p.citation != "sec.5"])  # a provision is gone
    report = match(store, VectorSearcher(store, WordEncoder()), "US", "UK", k=2)
    rows = read_queue(store, "US", "UK")
    assert report.queue.removed == 2 and len(rows) == 6
    assert {r.created_at for r in rows} == {"2020-01-01T00:00:00Z"}  # pairs found again keep their date
    assert all(key in created for key in ((r.left_id, r.right_id) for r in rows))
    assert len(read_queue(store, "UK", "EU")) == 4  # the other direction is untouched


def test_any_pair_of_jurisdictions(store, searcher):
    for a, b in (("UK", "EU"), ("EU", "US"), ("US", "EU"), ("UK", "US")):
        report = match(store, searcher, a, b, k=1, explain=False)
        assert report.n_candidates == report.n_focal > 0
        assert {store.get(c.right_id).jurisdiction for c in report.candidates} == {b}
    counts = {(r.from_jur, r.to_jur) for r in read_queue(store)}
    assert counts == {("UK", "EU"), ("EU", "US"), ("US", "EU"), ("UK", "US")}
    eu_interest = [c for c in match(store, searcher, "EU", "UK", k=1, write=False).candidates
                   if c.left_id == qid(EU, "art.50(1)")]
    assert eu_interest[0].right_id == qid(UK, "CRYPTO 2.4.33R")


def test_match_errors(store, searcher, tmp_path):
    with pytest.raises(ConfigError, match="both US"):
        match(store, searcher, "us", "US")
    with pytest.raises(ConfigError, match="unknown jurisdiction 'FR'"):
        match(store, searcher, "US", "FR")
    with pytest.raises(ConfigError, match="k is 0"):
        match(store, searcher, "US", "UK", k=0)
    with pytest.raises(ConfigError, match="unknown matching method 'fast': use one of auto, vectors, like, search"):
        match(store, searcher, "US", "UK", method="fast")
    with pytest.raises(ConfigError, match="exposes its dense vectors"):
        match(store, SearchOnly(searcher), "US", "UK", method="vectors")
    with pytest.raises(ConfigError, match="needs a searcher with a like"):
        match(store, SearchOnly(searcher), "US", "UK", method="like")
    with pytest.raises(NotFoundError, match="no INTL provisions"):
        match(store, searcher, "US", "INTL")
    match(store, searcher, "US", "UK", k=1, explain=False)
    ro = Store(store.path, readonly=True)
    with pytest.raises(StoreError, match="read-only"):
        match(ro, searcher, "US", "UK", k=2, explain=False)
    assert match(ro, searcher, "US", "UK", k=2, explain=False, write=False).n_candidates == 8
    ro.close()


# --- counterparts ---------------------------------------------------------------------------------------------


def test_counterparts_of_one_provision(store, searcher):
    found = counterparts(store, searcher, qid(US, "sec.4(a)(11)"), "UK", k=3)
    assert [c.rank for c in found] == [1, 2, 3]
    assert found[0].right_id == qid(UK, "CRYPTO 2.4.33R") and found[0].mutual
    assert found[0].explanation.right.startswith("A stablecoin issuer must not pay interest")
    # the same pairs as the corpus-wide run
    run = {(c.right_id, c.rank, c.mutual) for c in match(store, searcher, "US", "UK", k=3, write=False).candidates
           if c.left_id == qid(US, "sec.4(a)(11)")}
    assert {(c.right_id, c.rank, c.mutual) for c in found} == run
    everywhere = counterparts(store, searcher, qid(US, "sec.4(a)(11)"), None, k=2, explain=False)
    assert [c.right_id for c in everywhere][:1] == [qid(UK, "CRYPTO 2.4.33R")]
    assert {store.get(c.right_id).jurisdiction for c in everywhere} <= {"UK", "EU"}


def test_counterparts_accepts_spaces_and_skipped_focal(store, searcher):
    assert counterparts(store, searcher, "UK-TEST-RULES:CRYPTO 2.4.33R", "US", k=1)[0].right_id == qid(US, "sec.4(a)(11)")
    heading = counterparts(store, searcher, qid(US, "sec.4"), "UK", k=2, explain=False)
    assert len(heading) == 2  # asked for explicitly, a heading is matched too


def test_counterparts_unknown_id_suggests_the_nearest(store, searcher):
    with pytest.raises(NotFoundError, match=r"did you mean 'US-TEST-ACT:sec.4'"):
        counterparts(store, searcher, "US-TEST-ACT:sec.4(b)", "UK")
    with pytest.raises(NotFoundError, match="ids look like"):
        counterparts(store, searcher, "nothing-like-an-id", "UK")


# --- the real model, end to end ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_index(tmp_path_factory):
    from crosswalk.index.build import build_index, load_searcher

    root = tmp_path_factory.mktemp("real")
    s = Store(root / "crosswalk.db")
    for doc, (jur, provisions) in documents().items():
        put(s, doc, jur, provisions)
    build_index(s, root / "index", progress=False)
    yield s, load_searcher(s, root / "index")
    s.close()


def test_real_index_end_to_end(real_index):
    store, searcher = real_index
    assert match_mod.vector_table(searcher) is not None
    report = match(store, searcher, "US", "UK", k=2, method="vectors")
    assert report.method == "vectors"
    top = {c.left_id: c for c in report.candidates if c.rank == 1}
    assert top[qid(US, "sec.4(a)(11)")].right_id == qid(UK, "CRYPTO 2.4.33R")
    assert top[qid(US, "sec.4(a)(11)")].mutual
    assert top[qid(US, "sec.4(a)(1)")].right_id == qid(UK, "CRYPTO 2.3.1R")
    like = counterparts(store, searcher, qid(US, "sec.4(a)(11)"), "UK", k=2, method="vectors")
    hybrid = searcher.like(qid(US, "sec.4(a)(11)"), k=2, retriever="dense", filters=_uk())
    assert [c.right_id for c in like] == hybrid.ids()  # the dense retriever's own `like` agrees
    assert [c.score for c in like] == pytest.approx([h.score for h in hybrid], abs=1e-5)


def test_like_method_ranks_with_the_searcher_and_scores_with_vectors(real_index):
    store, searcher = real_index
    by_vectors = match(store, searcher, "US", "UK", k=2, method="vectors", explain=False, write=False)
    by_default = match(store, searcher, "US", "UK", k=2, explain=False, write=False)
    assert by_default.method == "like:hybrid"  # the default for a searcher with `like`
    for retriever in ("bm25", "hybrid"):
        report = match(store, searcher, "US", "UK", k=2, method="like", retriever=retriever, explain=False,
                       write=False)
        assert report.method == f"like:{retriever}"
        top = {c.left_id: c.right_id for c in report.candidates if c.rank == 1}
        assert top[qid(US, "sec.4(a)(11)")] == qid(UK, "CRYPTO 2.4.33R")
        table = match_mod.vector_table(searcher)
        for c in report.candidates:  # the same cosine whichever way the pair was found
            assert c.score == table.cosine(c.left_id, c.right_id)
    assert {c.left_id for c in by_vectors.candidates} == {c.left_id for c in report.candidates}
    found = counterparts(store, searcher, qid(US, "sec.4(a)(11)"), "UK", k=2, method="like", retriever="bm25")
    assert found[0].right_id == qid(UK, "CRYPTO 2.4.33R") and found[0].mutual
    with pytest.raises(ConfigError, match="unknown retriever 'colbert'"):
        match(store, searcher, "US", "UK", method="like", retriever="colbert")


def _uk():
    from crosswalk.index.filters import Filters

    return Filters(jurisdiction="UK")


def test_read_queue_before_any_match(tmp_path):
    s = Store(tmp_path / "empty.db")
    assert read_queue(s) == []
    with pytest.raises(ConfigError, match="limit is -1"):
        read_queue(s, limit=-1)
    s.close()


def test_queue_rejects_a_mislabelled_item(store):
    from crosswalk.index.queue import QueueItem

    item = QueueItem("a", "b", "UK", "US", 0.5, 1, True, 2.5)
    with pytest.raises(ConfigError, match="write each direction separately"):
        write_queue(store, [item], "US", "UK")
    assert sqlite3.sqlite_version  # the queue table is created lazily; nothing was written
    assert read_queue(store) == []


def test_counterparts_as_records_and_the_queue_ordered_either_way(real_index):
    from crosswalk.index.active import order_queue, order_reason
    from crosswalk.index.snippets import counterpart_records
    from crosswalk.workspace import Workspace

    store, searcher = real_index
    focal = qid(US, "sec.4(a)(11)")
    found = counterparts(store, searcher, focal, "UK", k=2, method="vectors")
    records = counterpart_records(store, focal, found)
    assert [r["id"] for r in records] == [c.right_id for c in found] and [r["rank"] for r in records] == [1, 2]
    assert records[0]["left_id"] == focal and records[0]["mutual"] is found[0].mutual
    assert records[0]["explanation"] == found[0].explanation.to_dict()
    assert records[0]["shared_terms"] == [t.to_dict() for t in found[0].shared_terms]

    ws = Workspace(store.path.parent)  # no trained ranker in it: teaching order from the first stage alone
    match(store, searcher, "US", "UK", k=2, method="vectors")
    taught = order_queue(store, searcher, ws, "US", "UK", "teach", seed=0)
    queued = read_queue(store, "US", "UK")
    assert taught.pairs == len(queued) and not taught.ranker
    assert order_reason(store, queued[0].left_id, queued[0].right_id) is not None
    assert order_queue(store, searcher, ws, "US", "UK", "confident") is None
    assert order_reason(store, queued[0].left_id, queued[0].right_id) is None  # stale reasons forgotten
    with pytest.raises(ConfigError, match="unknown queue order 'random'"):
        order_queue(store, searcher, ws, "US", "UK", "random")


# --- the command line -----------------------------------------------------------------------------------------


def test_cli_match_and_search_like(real_index):
    import json

    from click.testing import CliRunner

    from crosswalk.cli import main

    store, _ = real_index
    ws = str(store.path.parent)
    runner = CliRunner()
    out = runner.invoke(main, ["match", "--from", "US", "--to", "UK", "--k", "2", "--workspace", ws])
    assert out.exit_code == 0, out.output
    lines = out.output.strip().splitlines()
    assert lines[-2].startswith("US→UK: 4 provisions matched against 4 (k=2, like:hybrid)")
    assert lines[-1].startswith("queue US→UK ordered to teach: 8 pairs")  # --order teach, the default
    like = runner.invoke(main, ["search", "--like", qid(US, "sec.4(a)(11)"), "--jurisdiction", "UK", "--k", "2",
                                "--json", "--workspace", ws])
    assert like.exit_code == 0, like.output
    hits = json.loads(like.stdout)
    assert [h["rank"] for h in hits] == [1, 2]
    assert hits[0]["id"] == qid(UK, "CRYPTO 2.4.33R") and hits[0]["mutual"] is True
    assert hits[0]["explanation"]["right"].startswith("A stablecoin issuer must not pay interest")
    assert {"id", "doc_id", "citation", "jurisdiction", "heading_path", "score", "text"} <= hits[0].keys()
    bm25 = runner.invoke(main, ["search", "--like", qid(US, "sec.4(a)(11)"), "-j", "UK", "-r", "bm25", "--json",
                                "-w", ws])
    assert bm25.exit_code == 0 and json.loads(bm25.stdout)[0]["id"] == qid(UK, "CRYPTO 2.4.33R")
    text = runner.invoke(main, ["search", "--like", qid(US, "sec.4(a)(11)"), "-j", "UK", "--k", "1", "-w", ws])
    assert text.exit_code == 0 and "CRYPTO_2.4.33R" in text.output and "mutual" in text.output


def test_cli_like_errors_are_one_line(real_index):
    from click.testing import CliRunner

    from crosswalk.cli import main

    store, _ = real_index
    ws = str(store.path.parent)
    runner = CliRunner()
    missing = runner.invoke(main, ["search", "--like", "US-TEST-ACT:sec.4(z)", "-j", "UK", "-w", ws])
    assert missing.exit_code == 1
    assert missing.output.strip() == (
        "error: no provision 'US-TEST-ACT:sec.4(z)' in the store; did you mean 'US-TEST-ACT:sec.4'?"
    )
    both = runner.invoke(main, ["search", "custody", "--like", qid(US, "sec.5"), "-w", ws])
    assert both.exit_code == 1
    assert "--like takes --jurisdiction, --k, --retriever and --json only, not query" in both.output
    same = runner.invoke(main, ["match", "--from", "UK", "--to", "uk", "-w", ws])
    assert same.exit_code == 1 and same.output.startswith("error: --from and --to are both UK")
