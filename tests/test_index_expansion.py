"""Cross-jurisdiction query expansion (index/expansion.py) and its use in the BM25 retriever."""

from __future__ import annotations

import json

import pytest

from crosswalk.errors import ConfigError
from crosswalk.index.expansion import Group, expand, expansions, load_vocabulary, words
from crosswalk.index.filters import Filters
from crosswalk.index.lexical import LexicalIndex, tokenize
from crosswalk.index.retrievers import expansion_tokens


def test_words_fold_case_plurals_and_keep_hyphenated_words():
    assert words("E-Money Tokens") == ("e-money", "token")
    assert words("crypto\u2011assets") == ("crypto-asset",)


def test_the_shipped_vocabulary_loads_and_names_each_group_once():
    groups = load_vocabulary()
    names = [g.name for g in groups]
    assert len(names) == len(set(names)) and len(names) >= 15
    assert "qualifying stablecoin" in next(g for g in groups if g.name == "payment stablecoin").terms["UK"]


@pytest.mark.parametrize(
    "query, jurisdiction, added",
    [
        ("payment stablecoin", "UK", "qualifying stablecoin"),
        ("payment stablecoin", "EU", "e-money token"),
        ("qualifying stablecoin", "US", "payment stablecoin"),
        ("safeguarding of client cryptoassets", "US", "custody"),
        ("backing assets", "EU", "reserve of assets"),
        ("digital asset service provider", "EU", "crypto-asset service provider"),
        ("customer identification program", "UK", "customer due diligence"),
        ("suspicious activity reports", "EU", "suspicious transaction"),
        ("stablecoin yield", "EU", "interest"),
    ],
)
def test_a_term_is_translated_into_the_searched_jurisdictions_words(query, jurisdiction, added):
    assert added in expansions(query, [jurisdiction])


def test_only_the_searched_jurisdictions_terms_are_added():
    uk = expansions("payment stablecoin", ["UK"])
    assert "qualifying stablecoin" in uk
    assert "e-money token" not in uk


def test_no_jurisdiction_adds_every_jurisdictions_terms():
    added = expansions("payment stablecoin")
    assert {"qualifying stablecoin", "e-money token", "asset-referenced token"} <= set(added)


def test_a_query_already_in_the_target_vocabulary_is_left_alone():
    assert expansions("custody of reserve assets", ["US"]) == []
    assert expansions("custody of reserve assets", ["US"], translate_only=False) != []


def test_the_longest_term_wins_where_terms_overlap():
    added = expansions("permitted payment stablecoin issuer", ["EU"])
    assert "issuer of e-money tokens" in added
    assert "e-money token" not in added  # the stablecoin group is not triggered by the issuer's words


def test_terms_match_whole_words_only():
    assert expansions("interesting custodianship", ["US"]) == []
    assert expansions("the weather in Paris", ["UK"]) == []


def test_expand_appends_the_terms_and_keeps_a_plain_query_as_it_is():
    assert expand("payment stablecoin reserves", ["UK"]).startswith("payment stablecoin reserves; qualifying")
    assert expand("the weather in Paris", ["UK"]) == "the weather in Paris"


def test_a_custom_vocabulary_is_used_in_place_of_the_shipped_one():
    vocab = (Group("g", {"US": ("widget",), "UK": ("gadget",), "EU": (), "INTL": ()}),)
    assert expansions("a widget", ["UK"], vocab) == ["gadget"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON at line 1"),
        ('{"groups": 3}', 'expected an object with a "groups" list'),
        ('{"groups": [{"US": ["a"]}]}', "group 1 has no name"),
        ('{"groups": [{"name": "g", "FR": ["a"], "US": ["b"]}]}', "unknown key"),
        ('{"groups": [{"name": "g", "US": ["only one"]}]}', "fewer than two terms"),
        ('{"groups": [{"name": "g", "US": "a", "UK": ["b"]}]}', "expected a list of terms"),
    ],
)
def test_a_bad_vocabulary_file_is_an_error_naming_the_file_and_the_fix(tmp_path, content, message):
    path = tmp_path / "vocabulary.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as e:
        load_vocabulary(path)
    assert str(path) in str(e.value)


def test_a_missing_vocabulary_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="vocabulary file is missing"):
        load_vocabulary(tmp_path / "none.json")


def test_expansion_tokens_skip_what_the_query_has_and_unfiltered_searches():
    q = "payment stablecoin"
    assert expansion_tokens(q, tokenize(q), Filters(jurisdiction="UK")) == tokenize("qualifying")
    assert expansion_tokens(q, tokenize(q), None) == []
    assert expansion_tokens(q, tokenize(q), Filters(doc_type="statute")) == []


def test_bm25_with_expansion_tokens_finds_the_other_jurisdictions_wording():
    lex = LexicalIndex.build(["rules for qualifying stablecoins", "payment accounts at banks"])
    q = tokenize("payment stablecoin")
    plain = lex.search(q, k=2)
    assert plain[0][0] == 1 or plain[0][1] == plain[1][1]  # without expansion, "payment" competes evenly
    expanded = lex.search(q, k=2, extra_tokens=tokenize("qualifying"), extra_weight=1.0)
    assert expanded[0][0] == 0
    assert expanded[0][1] > dict(plain)[0]
    assert lex.search(q, k=2, extra_tokens=tokenize("qualifying"), extra_weight=0.0) == plain


def test_the_vocabulary_file_is_valid_json_with_notes():
    from crosswalk.index.expansion import VOCABULARY_PATH

    data = json.loads(VOCABULARY_PATH.read_text())
    assert data["_about"] and data["groups"]
