"""What gets embedded: windows, tiny fragments with their parent's context, folded children; and snippets."""

from __future__ import annotations

import pytest

from crosswalk.errors import ConfigError
from crosswalk.index.passages import PassageParams, make_passages, provision_texts, windows
from crosswalk.index.snippets import snippet, term_spans
from crosswalk.ingest.models import Provision, make_id

from index_corpus import LONG_TEXT, provisions_for


def _by_id(doc):
    provs = provisions_for(doc)
    return provs, dict(zip((p.id for p in provs), provision_texts(provs)))


def test_tiny_child_is_embedded_with_its_parents_lead_in():
    _, texts = _by_id("US-T-ACT")
    child = texts[make_id("US-T-ACT", "sec.4(a)")]
    assert child.startswith("Sec. 4 Reserves\n(a) United States coins and currency;")
    assert "maintain reserves backing" in child  # the parent's lead-in
    assert "Reserve requirements" in child  # the parent's title


def test_parent_carries_its_tiny_children_in_order():
    _, texts = _by_id("US-T-ACT")
    parent = texts[make_id("US-T-ACT", "sec.4")]
    a, b, c = (parent.index(x) for x in ("(a) United States", "(b) demand deposits", "(c) Treasury bills"))
    assert a < b < c


def test_long_children_are_not_folded_and_get_no_parent_context():
    _, texts = _by_id("US-T-ACT")
    definitions = texts[make_id("US-T-ACT", "sec.2")]
    assert "payment stablecoin means" not in definitions  # sec.2(1) is 25 words: not tiny
    assert "In this Act" not in texts[make_id("US-T-ACT", "sec.2(1)")]


def test_every_provision_with_text_has_a_passage_under_its_own_id():
    for doc in ("US-T-ACT", "US-T-CFR", "UK-T-CASS", "UK-T-MLR"):
        provs = provisions_for(doc)
        assert {p.provision_id for p in make_passages(provs)} == {p.id for p in provs}


def test_long_provision_becomes_overlapping_windows_that_cover_it():
    provs = [p for p in provisions_for("US-T-CFR") if p.citation == "1022.400"]
    passages = make_passages(provs)
    assert len(passages) >= 3 and [p.part for p in passages] == list(range(len(passages)))
    header = "1022.400 Records of transfers\nRecords of transfers\n"  # the nearest heading, then the title
    for p in passages:
        assert p.text.startswith(header)
        assert len(p.text.split()) <= PassageParams().window_words
    bodies = [p.text[len(header):].split() for p in passages]
    words = LONG_TEXT.split()
    assert bodies[0][:5] == words[:5] and bodies[-1][-5:] == words[-5:]
    overlap = PassageParams().overlap_words
    for left, right in zip(bodies, bodies[1:]):  # each window starts inside the previous one
        assert " ".join(right[:overlap]) in " ".join(left)


def test_passage_hash_ignores_white_space_layout():
    a = Provision("d:s.1", "d", "US", "s.1", "custody  of\nclient assets")
    b = Provision("d:s.1", "d", "US", "s.1", "custody of client assets")
    assert make_passages([a])[0].hash == make_passages([b])[0].hash


def test_empty_provision_has_no_passage():
    empty = Provision("d:s.9", "d", "US", "s.9", "")
    assert make_passages([empty]) == []


def test_windows_cover_and_overlap():
    assert windows(0, 5, 1) == [(0, 0)]
    spans = windows(23, 10, 3)
    assert spans[0] == (0, 10) and spans[-1] == (13, 23)
    assert all(b - a == 10 for a, b in spans)
    assert all(a2 <= b1 - 3 for (_, b1), (a2, _) in zip(spans, spans[1:]))


def test_passage_params_are_checked():
    with pytest.raises(ConfigError, match="overlap_words"):
        PassageParams(window_words=100, overlap_words=60)
    with pytest.raises(ConfigError, match="window_words"):
        PassageParams(window_words=5)


def test_snippet_marks_terms_as_bm25_matches_them():
    text = "Custodians must hold client cryptoassets under section 5318(h)(1) on trust."
    assert term_spans(text, "custodian 5318") == [(0, 10), (55, 65)]
    out = snippet(text, "cryptoasset", width=4, mark=("[", "]"))
    assert out == "… client [cryptoassets] under section …"
    assert snippet("", "x") == ""
    assert snippet("no match here", "zebra", width=10) == "no match here"


def test_passages_carry_the_nearest_heading_or_the_levels_asked_for():
    from crosswalk.index.passages import PassageParams
    from crosswalk.ingest.models import Provision

    p = Provision("d:3.6", "d", "UK", "para.3.6", "Backing assets must be held on trust for holders.",
                  heading_path=("Chapter 3", "Stablecoin issuance", "Backing assets"))
    assert make_passages([p])[0].text == "Backing assets\nBacking assets must be held on trust for holders."
    two = make_passages([p], PassageParams(heading_levels=2))[0].text
    assert two.startswith("Stablecoin issuance › Backing assets\n")
    whole = make_passages([p], PassageParams(heading_levels=0))[0].text
    assert whole.startswith("Chapter 3 › Stablecoin issuance › Backing assets\n")
    assert "heading_levels" not in PassageParams(heading_levels=0).to_dict()  # as indexes built before it say
    assert PassageParams().to_dict()["heading_levels"] == 1
