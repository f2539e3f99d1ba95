"""The BM25 tokenizer and our BM25 layer, checked against bm25s itself."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest
from bm25s.stopwords import STOPWORDS_EN
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crosswalk.errors import IndexStateError
from crosswalk.index.lexical import STOPWORDS, LexicalIndex, s_stem, tokenize, tokenizer_version


@pytest.mark.parametrize(
    "text, expected",
    [
        ("23 NYCRR 200.9", ["23", "nycrr", "200.9"]),
        ("reg. 14A", ["reg", "14a"]),
        ("31 U.S.C. 5318(h)", ["31", "u.s.c", "5318(h)", "5318"]),
        ("5318(h)(1)", ["5318(h)(1)", "5318(h)", "5318"]),
        ("31 CFR 1010.100", ["31", "cfr", "1010.100"]),
        ("CASS 16.2.13R", ["cass", "16.2.13r", "16.2.13"]),
        ("e-money", ["e-money", "emoney", "money"]),
        ("crypto-assets", ["crypto-asset", "cryptoasset", "crypto", "asset"]),
        ("crypto\u2011asset", ["crypto-asset", "cryptoasset", "crypto", "asset"]),  # non-breaking hyphen
        ("Regulation (EU) 2023/1114", ["regul", "eu", "2023/1114"]),
        ("£1,000,000", ["1000000"]),
        ("The issuer SHALL redeem", ["issuer", "shall", "redeem"]),
        ("Policies of the issuers", ["polici", "issuer"]),
        ("registering a business", ["regist", "busi"]),
        ("(a) the issuer;", ["issuer"]),
        ("", []),
    ],
)
def test_tokenize_keeps_legal_tokens_whole(text, expected):
    assert tokenize(text) == expected


def test_stop_words_are_lucenes_as_in_bm25s():
    assert STOPWORDS == frozenset(STOPWORDS_EN)


@pytest.mark.parametrize(
    "word, stem",
    [("policies", "policy"), ("assets", "asset"), ("cases", "case"), ("status", "status"), ("cass", "cass"),
     ("agrees", "agrees"), ("goes", "goes"), ("is", "is"), ("14as", "14as")],
)
def test_s_stemmer_folds_plurals_only(word, stem):
    assert s_stem(word) == stem


@given(st.text(max_size=200))
@example("risk-free stable-coins 5318(h)(1) CASS 16.2.13R service(s)")
@settings(max_examples=200, deadline=None)
def test_tokenize_is_total_and_keeps_citation_tokens_stable(text):
    tokens = tokenize(text)
    assert all(t and not any(c.isspace() for c in t) for t in tokens)
    for t in tokens:  # a citation token, re-tokenized, still yields itself: cited and citing text agree
        if any(c.isdigit() for c in t):
            assert t in tokenize(t) or t.replace(",", "") in tokenize(t)


@pytest.mark.parametrize(
    "a, b",
    [("stable-coins", "stablecoins"), ("cross-border", "crossborder"), ("risk-free", "riskfree"),
     ("crypto-assets", "cryptoassets"), ("service(s)", "services"), ("registering", "registered"),
     ("redeems", "redeemed")],
)
def test_spellings_of_one_word_share_a_token(a, b):
    assert set(tokenize(a)) & set(tokenize(b))


def test_a_bm25_index_saved_with_another_tokenizer_is_refused(tmp_path):
    lex = LexicalIndex.build(["custody of client assets", "stablecoin reserve assets"])
    lex.save(tmp_path)
    meta = tmp_path / "crosswalk.json"
    meta.write_text(meta.read_text().replace(tokenizer_version(), "legal-1"))
    with pytest.raises(IndexStateError, match="legal-1.*run `crosswalk index`"):
        LexicalIndex.load(tmp_path)


def test_doc_freq_and_key_terms():
    lex = LexicalIndex.build(["custody of client assets", "client money", "client assets rules"])
    assert [lex.doc_freq(t) for t in ("client", "asset", "custodi", "unknown")] == [3, 2, 1, 0]
    # custody (df 1) outweighs assets (df 2); client is in every document; unknown is not in the index
    assert lex.key_terms(tokenize("client custody assets unknown client"), 3) == ["custodi", "asset", "client"]
    assert lex.key_terms(tokenize("client custody"), 0) == []


CORPUS = [
    "a firm must hold client cryptoassets on trust",
    "the issuer must hold reserve assets",
    "reserve assets of the issuer are held by a custodian",
    "client money rules",
    "client money client money client money",
    "",
    "custodian of client cryptoassets",
    "reserve reserve",
]
QUERIES = ["client cryptoassets", "reserve assets issuer", "custodian", "money", "nothing matches"]


def _ranking_with_ties(scores_by_doc: dict[int, float]) -> list[set[int]]:
    """Documents grouped by equal score (rounded), best group first: rankings compared up to ties."""
    groups: dict[float, set[int]] = {}
    for doc, s in scores_by_doc.items():
        groups.setdefault(round(float(s), 5), set()).add(doc)
    return [groups[s] for s in sorted(groups, reverse=True)]


def _reference(tokens, query, mask=None):
    ref = bm25s.BM25()  # same defaults as ours: lucene, k1=1.5, b=0.75
    ref.index(tokens, show_progress=False)
    q = [t for t in tokenize(query) if t in ref.vocab_dict]
    if not q:
        return {}
    docs, scores = ref.retrieve([q], k=len(tokens), show_progress=False,
                                weight_mask=None if mask is None else mask.astype(np.float32))
    return {int(d): float(s) for d, s in zip(docs[0], scores[0]) if s > 0}


@pytest.mark.parametrize("query", QUERIES)
def test_bm25_ranks_as_bm25s_does(query):
    tokens = [tokenize(t) for t in CORPUS]
    ours = dict(LexicalIndex.from_tokens(tokens).search(tokenize(query), k=len(CORPUS)))
    ref = _reference(tokens, query)
    assert set(ours) == set(ref)
    for doc in ours:
        assert ours[doc] == pytest.approx(ref[doc], rel=1e-5)
    assert _ranking_with_ties(ours) == _ranking_with_ties(ref)


def test_bm25_mask_matches_bm25s_weight_mask_and_keeps_k():
    tokens = [tokenize(t) for t in CORPUS]
    mask = np.array([i % 2 == 0 for i in range(len(CORPUS))])
    lex = LexicalIndex.from_tokens(tokens)
    ours = lex.search(tokenize("client reserve"), k=3, mask=mask)
    assert [d for d, _ in ours] and all(mask[d] for d, _ in ours)
    ref = _reference(tokens, "client reserve", mask)
    best3 = sorted(ref.items(), key=lambda x: (-x[1], x[0]))[:3]
    assert [d for d, _ in ours] == [d for d, _ in best3]
    assert [s for _, s in ours] == pytest.approx([s for _, s in best3])
    assert len(ours) == 3  # three allowed documents match, so three come back


def test_bm25_top_k_breaks_ties_by_document_order():
    lex = LexicalIndex.build(["client money", "client money", "client money", "other"])
    assert [d for d, _ in lex.search(tokenize("client"), k=2)] == [0, 1]


def test_bm25_save_load_round_trip(tmp_path):
    lex = LexicalIndex.build(CORPUS)
    lex.save(tmp_path / "bm25")
    again = LexicalIndex.load(tmp_path / "bm25")
    for q in QUERIES:
        assert again.search(tokenize(q), 5) == lex.search(tokenize(q), 5)
    assert not list((tmp_path / "bm25").glob("*.pkl"))


def test_bm25_load_of_a_broken_folder_names_the_fix(tmp_path):
    from crosswalk.errors import IndexStateError

    LexicalIndex.build(CORPUS).save(tmp_path / "bm25")
    (tmp_path / "bm25" / "vocab.index.json").write_text("{not json")
    with pytest.raises(IndexStateError, match="crosswalk index"):
        LexicalIndex.load(tmp_path / "bm25")
