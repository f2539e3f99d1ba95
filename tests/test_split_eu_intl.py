"""Golden tests of the EU act splitter (MiCA) and the recommendations splitter (FSB), plus small synthetic
cases written here. The real documents are read from ../shared/corpus (the `corpus_dir` fixture of
conftest.py) at test time, once per module."""

from __future__ import annotations

import re
import pytest

from crosswalk.ingest.models import Extracted, Source
from crosswalk.ingest.readers import read
from crosswalk.ingest.splitters import choose, eu, fsb
from crosswalk.ingest.splitters import split as split_document
from crosswalk.ingest.splitters.base import uncovered

MICA = "intl/CELEX_32023R1114_EN_TXT.pdf"
FSB = "intl/FSB_P170723-3.pdf"
MICA_SOURCE = Source(id="EU-MICA-2023-1114", jurisdiction="EU", doc_type="regulation")
FSB_SOURCE = Source(id="INTL-FSB-GSC-2023", jurisdiction="INTL", doc_type="report")


@pytest.fixture(scope="module")
def mica_doc(corpus_dir) -> Extracted:
    return read(corpus_dir / MICA)


@pytest.fixture(scope="module")
def mica(mica_doc):
    return split_document(MICA_SOURCE, mica_doc)


@pytest.fixture(scope="module")
def mica_units(mica):
    return {u.citation: u for u in mica.units}


@pytest.fixture(scope="module")
def fsb_doc(corpus_dir) -> Extracted:
    return read(corpus_dir / FSB)


@pytest.fixture(scope="module")
def fsb_result(fsb_doc):
    return split_document(FSB_SOURCE, fsb_doc)


@pytest.fixture(scope="module")
def fsb_units(fsb_result):
    return {u.citation: u for u in fsb_result.units}


def _check_tree(result) -> None:
    """Citations unique, every parent a unit of the same result that starts before its child."""
    citations = [u.citation for u in result.units]
    assert len(citations) == len(set(citations))
    start = {u.citation: u.start for u in result.units}
    for u in result.units:
        if u.parent is not None:
            assert u.parent in start, f"{u.citation}: parent {u.parent!r} is not a unit"
            assert start[u.parent] <= u.start, f"{u.citation} starts before its parent {u.parent}"


# ---------------------------------------------------------------- MiCA


class TestMica:
    def test_detected_as_an_eu_act_whatever_the_listed_jurisdiction(self, mica_doc):
        assert choose(MICA_SOURCE, mica_doc) == "eu"
        assert eu.detect(Source(id="x", jurisdiction=""), mica_doc)
        assert not fsb.detect(MICA_SOURCE, mica_doc)

    def test_every_character_is_in_one_unit_or_a_reported_cut(self, mica_doc, mica):
        assert uncovered(mica_doc.text, mica) == []
        reasons = [reason for _, _, reason in mica.excluded]
        assert reasons == ["enacting formula", "closing formula and signatures"]
        enacting = next((a, b) for a, b, r in mica.excluded if r == "enacting formula")
        assert mica_doc.text[enacting[0] : enacting[1]] == "HAVE ADOPTED THIS REGULATION:"

    def test_citations_unique_and_parents_exist(self, mica):
        _check_tree(mica)

    def test_deterministic(self, mica_doc, mica):
        assert eu.split(mica_doc) == mica

    def test_unit_counts(self, mica):
        kinds: dict[str, int] = {}
        for u in mica.units:
            kinds[u.kind] = kinds.get(u.kind, 0) + 1
        assert kinds["article"] == 149
        assert kinds["recital"] == 119
        assert kinds["title"] == 9
        assert kinds["chapter"] == 18
        assert kinds["annex"] == 6
        assert kinds["preamble"] == 1
        assert 600 < kinds["paragraph"] < 900
        assert 1000 < kinds["point"] < 1500

    def test_preamble_holds_the_title_and_citations(self, mica_units):
        pre = mica_units["preamble"]
        assert pre.text.startswith("REGULATION (EU) 2023/1114 OF THE EUROPEAN PARLIAMENT")
        assert pre.text.rstrip().endswith("Whereas:")

    def test_recitals_are_contiguous_and_start_with_their_number(self, mica):
        recitals = [u for u in mica.units if u.kind == "recital"]
        assert [u.citation for u in recitals] == [f"recital.{n}" for n in range(1, 120)]
        for u in recitals:
            assert u.parent == "preamble"
            assert u.text.startswith(f"({u.citation.split('.')[1]}) ")

    def test_named_recitals(self, mica_units):
        assert mica_units["recital.1"].text.startswith("(1) It is important to ensure that Union legislative acts")
        assert mica_units["recital.66"].text.startswith("(66) ")
        assert mica_units["recital.119"].text.startswith("(119) The date of application of this Regulation")

    def test_no_footnote_becomes_a_unit(self, mica_doc, mica):
        # OJ footnotes are printed `( 4 ) Directive …`; none starts a unit …
        assert not any(re.match(r"\(\s+\d+\s+\)", u.text) for u in mica.units)
        # … and their words stay in the unit that runs across that page foot.
        note = mica_doc.text.index("( 4 ) Directive 2014/65/EU of the European Parliament")
        holder = next(u for u in mica.units if u.start <= note < u.end)
        assert holder.citation == "recital.3"

    def test_no_running_header_left(self, mica):
        header = re.compile(r"^EN .*Official Journal of the European Union", re.M)
        assert not [u.citation for u in mica.units if header.search(u.text)]

    def test_exactly_149_articles_in_order(self, mica):
        articles = [u.citation for u in mica.units if u.kind == "article"]
        assert articles == [f"art.{n}" for n in range(1, 150)]

    def test_article_36(self, mica_units):
        art = mica_units["art.36"]
        assert art.title.startswith("Obligation to have a reserve of assets")
        assert art.parent == "title.III ch.3"
        assert art.heading_path[:2] == ("Title III Asset-referenced tokens", "Chapter 3 Reserve of assets")
        assert art.heading_path[2].startswith("Article 36 Obligation to have a reserve of assets")
        para = mica_units["art.36(1)"]
        assert para.parent == "art.36"
        assert para.kind == "paragraph"
        assert para.text.startswith("1. Issuers of asset-referenced tokens shall constitute")
        point = mica_units["art.36(1)(a)"]
        assert point.parent == "art.36(1)"
        assert point.text.startswith("(a) the risks associated to the assets referenced")
        assert point.heading_path == art.heading_path

    def test_article_text_is_only_its_heading_when_paragraphs_follow(self, mica_units):
        assert mica_units["art.1"].text.splitlines() == ["Article 1", "Subject matter"]

    def test_wrapped_cross_references_are_not_units(self, mica_units):
        # art.2(2)(b) ends `… except for the purposes of` / `Article 47;` on the next line.
        assert mica_units["art.2(2)(b)"].text.rstrip().endswith("Article 47;")
        assert mica_units["art.47"].title == "Redemption plan"

    def test_numbered_definitions(self, mica_units):
        dlt = mica_units["art.3(1)(1)"]
        assert dlt.parent == "art.3(1)"
        assert dlt.text.startswith("(1) ‘distributed ledger technology’ or ‘DLT’ means")
        assert mica_units["art.3(1)(5)"].text.startswith("(5) ‘crypto-asset’ means")
        sub = mica_units["art.3(1)(16)(a)"]
        assert sub.parent == "art.3(1)(16)"
        assert sub.text.startswith("(a) providing custody and administration of crypto-assets")
        assert mica_units["art.3(1)(17)"].parent == "art.3(1)"

    def test_letter_i_versus_roman_i(self, mica_units):
        # Art. 94(1) runs (a) … (z), (aa), (ab); its (i) is a letter, the (i) under (aa) a roman numeral.
        assert mica_units["art.94(1)(i)"].parent == "art.94(1)"
        assert mica_units["art.94(1)(j)"].parent == "art.94(1)"
        assert mica_units["art.94(1)(aa)(i)"].parent == "art.94(1)(aa)"
        assert mica_units["art.94(1)(aa)(ii)"].parent == "art.94(1)(aa)"
        assert mica_units["art.94(1)(ab)"].parent == "art.94(1)"
        assert mica_units["art.17(1)(b)(vii)"].parent == "art.17(1)(b)"
        assert "art.140(2)(ag)" in mica_units

    def test_subparagraphs_after_a_list(self, mica_units):
        # The text itself says which subparagraph it is: the list (a)-(d) is in the second.
        third = mica_units["art.36(4) subpara.3"]
        assert third.parent == "art.36(4)"
        assert third.text.startswith("For the purposes of points (a), (b) and (c) of the second subparagraph")
        assert mica_units["art.36(4) subpara.4"].text.startswith("EBA shall submit the draft regulatory")
        assert mica_units["art.36(4) subpara.5"].text.startswith("Power is delegated to the Commission")
        # The last point keeps only its own words.
        assert mica_units["art.36(4)(d)"].text.endswith("of the amount referenced in each official currency.")
        assert mica_units["art.37(6) subpara.2"].text.startswith("For the purposes of point (a) of the first")

    def test_quoted_amendments_are_not_split(self, mica_units):
        # Art. 146 replaces point 15 of Annex I to Directive 2013/36/EU: the quoted `16.`, `17.` stay text.
        assert not [c for c in mica_units if c.startswith("art.146(")]
        assert "17. Crypto-asset services as defined" in mica_units["art.146"].text

    def test_titles_and_chapters(self, mica_units):
        assert [c for c in mica_units if mica_units[c].kind == "title"] == [
            f"title.{n}" for n in ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX")
        ]
        assert mica_units["title.VII"].title == "Competent authorities, EBA and ESMA"
        assert mica_units["title.III ch.3"].parent == "title.III"
        assert mica_units["title.III ch.3"].title == "Reserve of assets"
        assert mica_units["art.1"].parent == "title.I"
        assert mica_units["art.117"].title.endswith("issuers of significant e-money tokens")

    def test_annexes(self, mica_units):
        assert [c for c in mica_units if mica_units[c].kind == "annex"] == [
            f"annex.{n}" for n in ("I", "II", "III", "IV", "V", "VI")
        ]
        assert mica_units["annex.I part.A"].title.startswith("Information about the offeror")
        first = mica_units["annex.I part.A point.1"]
        assert (first.text, first.parent) == ("1. Name;", "annex.I part.A")
        assert mica_units["annex.II part.D point.10(a)"].parent == "annex.II part.D point.10"
        assert mica_units["annex.V point.1"].text.startswith("1. The issuer infringes Article 22(1)")
        # Annex IV is a table: one unit, no children.
        assert "EUR 150 000" in mica_units["annex.IV"].text
        assert not [c for c in mica_units if c.startswith("annex.IV ")]


# ---------------------------------------------------------------- FSB


class TestFsb:
    def test_detected_as_recommendations_not_as_eu(self, fsb_doc):
        assert choose(FSB_SOURCE, fsb_doc) == "fsb"
        assert fsb.detect(Source(id="x", jurisdiction=""), fsb_doc)
        assert not eu.detect(FSB_SOURCE, fsb_doc)

    def test_every_character_is_in_one_unit_or_a_reported_cut(self, fsb_doc, fsb_result):
        assert uncovered(fsb_doc.text, fsb_result) == []
        assert [reason for _, _, reason in fsb_result.excluded] == ["front matter", "toc"]

    def test_citations_unique_and_parents_exist(self, fsb_result):
        _check_tree(fsb_result)

    def test_deterministic(self, fsb_doc, fsb_result):
        assert fsb.split(fsb_doc) == fsb_result

    def test_ten_recommendations_with_their_words(self, fsb_units):
        recs = [c for c in fsb_units if fsb_units[c].kind == "recommendation"]
        assert recs == [f"rec.{n}" for n in range(1, 11)]
        assert all(fsb_units[c].parent == "ch.3" for c in recs)
        rec1 = fsb_units["rec.1"]
        assert rec1.text.startswith("Recommendation 1: Authorities’ readiness to regulate and supervise global")
        assert rec1.title == "Authorities’ readiness to regulate and supervise global stablecoin arrangements"
        assert "Authorities should have and utilise the appropriate powers and tools" in rec1.text
        assert "Authorities within a jurisdiction" not in rec1.text  # explanatory text is a child passage
        assert fsb_units["rec.5"].text.startswith("Recommendation 5: Risk management\nAuthorities should")
        assert fsb_units["rec.9"].title.startswith("Redemption rights, stabilisation, and prudential")
        assert fsb_units["rec.9"].text.rstrip().endswith("meet prudential requirements.")
        assert fsb_units["rec.10"].title.endswith("before commencing operations")

    def test_explanatory_text_hangs_under_its_recommendation(self, fsb_result):
        under9 = [u for u in fsb_result.units if u.parent == "rec.9"]
        assert [u.title for u in under9 if u.title] == [
            "Redemption rights",
            "Stabilisation mechanism",
            "Prudential requirements",
        ]
        assert all(re.fullmatch(r"p\.\d+#\d+", u.citation) for u in under9)
        stab = next(u for u in under9 if u.title == "Stabilisation mechanism")
        assert stab.heading_path[-1] == "Stabilisation mechanism"
        assert stab.text.startswith("Stabilisation mechanism\nAuthorities should require GSCs")

    def test_cross_reference_and_contents_are_not_recommendations(self, fsb_doc, fsb_result, fsb_units):
        assert "rec.15" not in fsb_units  # `Recommendation 15, and …` (FATF) starts a line in 2.1
        fatf = fsb_doc.text.index("Recommendation 15, and the relevant principles")
        assert next(u for u in fsb_result.units if u.start <= fatf < u.end).parent == "sec.2.1"
        toc_start, toc_end, _ = next(x for x in fsb_result.excluded if x[2] == "toc")
        assert fsb_doc.text[toc_start:toc_end].startswith("Table of Contents")
        assert fsb_units["rec.1"].start > toc_end

    def test_chapters_sections_annexes_glossary(self, fsb_units):
        assert fsb_units["ch.1"].title == "Introduction"
        assert fsb_units["sec.2.1"].parent == "ch.2"
        assert fsb_units["sec.2.2"].title == "Follow-up and review"
        assert [c for c in fsb_units if fsb_units[c].kind == "annex"] == ["annex.1", "annex.2", "annex.3"]
        assert fsb_units["annex.3"].title == (
            "Potential elements that could be used to determine whether a stablecoin qualifies as a GSC"
        )
        terms = [u.title for u in fsb_units.values() if u.parent == "glossary"]
        assert {"Algorithmic stablecoin", "Stablecoin", "Wallet"} <= set(terms)

    def test_footnotes_stay_inside_the_unit_at_the_page_foot(self, fsb_doc, fsb_result):
        note = fsb_doc.text.index("4  For example, jurisdictions could choose")
        holder = next(u for u in fsb_result.units if u.start <= note < u.end)
        assert holder.parent == "rec.1"
        assert "appropriate, effectively prohibit stablecoin" in holder.text  # the sentence runs on after it

    def test_unit_counts(self, fsb_result):
        kinds: dict[str, int] = {}
        for u in fsb_result.units:
            kinds[u.kind] = kinds.get(u.kind, 0) + 1
        assert kinds == {"chapter": 3, "section": 2, "recommendation": 10, "annex": 3, "part": 1} | {
            "passage": kinds["passage"]
        }
        assert 60 <= kinds["passage"] <= 110


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    "kind, label, following",
    [("alpha", "a", "b"), ("alpha", "h", "i"), ("alpha", "z", "aa"), ("alpha", "af", "ag"),
     ("roman", "i", "ii"), ("roman", "iii", "iv"), ("roman", "viii", "ix"), ("num", "9", "10")],
)
def test_next_label(kind, label, following):
    assert eu.next_label(kind, label) == following


@pytest.mark.parametrize(
    "label, kinds",
    [("a", ("alpha",)), ("i", ("alpha", "roman")), ("v", ("alpha", "roman")), ("ii", ("roman",)),
     ("ab", ("alpha",)), ("xiv", ("roman",)), ("16", ("num",))],
)
def test_label_kinds(label, kinds):
    assert eu.label_kinds(label) == kinds


def test_roman_numerals():
    assert [eu.roman_value(r) for r in ("i", "iv", "ix", "xii", "xl")] == [1, 4, 9, 12, 40]
    assert eu.is_roman("xiv") and not eu.is_roman("ab") and not eu.is_roman("")


def test_sentence_case_keeps_acronyms():
    assert eu.sentence_case("COMPETENT AUTHORITIES, EBA AND ESMA", {"EBA", "ESMA"}) == (
        "Competent authorities, EBA and ESMA"
    )
    assert eu.sentence_case("E-MONEY TOKENS", set()) == "E-money tokens"
    assert eu.sentence_case("Reserve of assets", set()) == "Reserve of assets"


def test_longest_run_prefers_the_body_over_the_contents():
    assert fsb.longest_run([(1, 1), (2, 10), (5, 1), (7, 2), (9, 3)]) == [(5, 1), (7, 2), (9, 3)]
    assert fsb.longest_run([(3, 2), (4, 3)]) == []


def test_ends_sentence_ignores_a_footnote_reference():
    assert fsb.ends_sentence("the safety and efficiency of FMIs.6")
    assert fsb.ends_sentence("between market participants).10")
    assert not fsb.ends_sentence("regulate, supervise and")


# ---------------------------------------------------------------- synthetic documents

ACT = """REGULATION (EU) 2099/1 OF THE TEST COUNCIL
Having regard to the Treaty ( 1 ),
Whereas:
(1) First recital of the test act.
(2) Second recital, which cites Directive 2000/1/EC ( 2 ).
( 1 ) OJ C 1, 1.1.2099, p. 1.
( 2 ) Directive 2000/1/EC of the Test (OJ L 2, 2.1.2000, p. 2).
(3) Third recital.
HAVE ADOPTED THIS REGULATION:
TITLE I
GENERAL PROVISIONS FOR EBA
Article 1
Scope
1. This Regulation applies to the following persons:
(a) issuers;
(h) a cross-reference wrap that is not the next letter;
(b) custodians, including:
(i) banks; and
(ii) investment firms.
Member States and EBA shall ensure it.
This Regulation applies in the Union.
2. It does not apply to persons referred to in
Article 2
and in the annex.
Article 2
Definitions
For the purposes of this Regulation:
(a) first;
(b) second.
The following also apply:
(a) third;
(b) fourth.
This Regulation shall be binding in its entirety and directly applicable in all Member States.
Done at Brussels.
ANNEX I
ITEMS
Part A: Issuer
1. Name;
2. Address.
"""


def _act() -> Extracted:
    second_page = ACT.index("(3) Third recital")
    return Extracted(text=ACT, page_starts=(0, second_page), format="pdf")


def test_synthetic_act_units():
    doc = _act()
    assert eu.detect(Source(id="t", jurisdiction="UK"), doc)
    result = eu.split(doc)
    assert uncovered(doc.text, result) == []
    _check_tree(result)
    units = {u.citation: u for u in result.units}
    assert list(units) == [
        "preamble", "recital.1", "recital.2", "recital.3", "title.I", "art.1", "art.1(1)", "art.1(1)(a)",
        "art.1(1)(b)", "art.1(1)(b)(i)", "art.1(1)(b)(ii)", "art.1(1) subpara.2", "art.1(1) subpara.3",
        "art.1(2)", "art.2", "art.2(a)", "art.2(b)", "art.2 subpara.2", "art.2 subpara.2(a)",
        "art.2 subpara.2(b)", "annex.I", "annex.I part.A", "annex.I part.A point.1", "annex.I part.A point.2",
    ]
    # Footnotes stay with the recital printed above them; they never become recitals.
    assert "( 2 ) Directive 2000/1/EC of the Test" in units["recital.2"].text
    # A wrapped `(h)` that does not continue the list, and a wrapped `Article 2`, stay text.
    assert "(h) a cross-reference wrap" in units["art.1(1)(a)"].text
    assert units["art.1(2)"].text.endswith("and in the annex.")
    assert units["title.I"].title == "General provisions for EBA"
    assert units["art.1(1)(b)(i)"].parent == "art.1(1)(b)"
    assert units["art.1(1) subpara.3"].text == "This Regulation applies in the Union."
    assert units["art.2 subpara.2(a)"].parent == "art.2 subpara.2"
    assert [r for _, _, r in result.excluded] == ["enacting formula", "closing formula and signatures"]


def test_synthetic_act_is_deterministic():
    assert eu.split(_act()) == eu.split(_act())


def test_text_without_articles_goes_to_the_generic_splitter():
    doc = Extracted(text="A note.\nIt has no articles at all.\n")
    assert not eu.detect(Source(id="t", jurisdiction="EU"), doc)
    result = eu.split(doc)
    assert uncovered(doc.text, result) == []
    assert all(not u.citation.startswith("art.") for u in result.units)


REPORT = """Cover title
Contents
Recommendation 1: Old entry
1. Introduction
This report sets out three recommendations for authorities.
2. Recommendations
Recommendation 1: Powers of
authorities
Authorities should have powers.
Authorities should use them, as FATF
Recommendation 15, and others, say.
Recommendation 2: Cooperation
Authorities should cooperate.
Recommendation 3: Disclosure
Authorities should require disclosure.
Why it matters
Users need information about reserve assets to judge the risks they run.
"""


def test_synthetic_recommendations_report():
    doc = Extracted(text=REPORT)
    assert fsb.detect(Source(id="t", jurisdiction="INTL"), doc)
    result = fsb.split(doc)
    assert uncovered(doc.text, result) == []
    _check_tree(result)
    units = {u.citation: u for u in result.units}
    assert [c for c in units if not c.startswith("passage.")] == ["ch.1", "ch.2", "rec.1", "rec.2", "rec.3"]
    assert units["rec.1"].title == "Powers of authorities"
    assert units["rec.1"].text == "Recommendation 1: Powers of\nauthorities\nAuthorities should have powers."
    assert units["rec.1"].parent == "ch.2"
    why = next(u for u in units.values() if u.title == "Why it matters")
    assert why.parent == "rec.3"
    assert [r for _, _, r in result.excluded] == ["front matter", "toc"]


def test_no_recommendations_not_detected():
    doc = Extracted(text="Recommendation 1: alone\nSome text.\n")
    assert not fsb.detect(Source(id="t", jurisdiction="INTL"), doc)


EDGE_ACT = """Whereas:
(1) Only recital.
HAVE ADOPTED THIS REGULATION:
TITLE I
POWERS
Article 1
Powers
1. Authorities shall have the following powers:
(a) one;
(b) two;
(c) three;
(d) four;
(e) five;
(f) six;
(g) seven;
(h) eight, namely:
(i) a first sub-point;
(ii) a second sub-point;
(i) nine;
(j) ten.
EN L 150/70 Official Journal of the European Union 9.6.2023
2. Second paragraph.
Article 2
Amendment
In Regulation X, the following title is inserted:
TITLE I
INSERTED
Article 3
Entry into force
This Regulation enters into force on the day after its publication.
"""


def test_synthetic_edge_cases():
    doc = Extracted(text=EDGE_ACT)
    result = eu.split(doc)
    assert uncovered(doc.text, result) == []
    _check_tree(result)
    units = {u.citation: u for u in result.units}
    # `(i)` after `(h)` whose sub-points ran `(i)`, `(ii)` is the ninth letter, not a restart.
    assert units["art.1(1)(h)(ii)"].parent == "art.1(1)(h)"
    assert units["art.1(1)(i)"].text == "(i) nine;"
    assert units["art.1(1)(i)"].parent == "art.1(1)"
    assert not [c for c in units if "subpara" in c]
    # A running header left in the text neither hides the next paragraph nor becomes a unit.
    assert units["art.1(2)"].text == "2. Second paragraph."
    # A title printed again inside an amendment is text of that article; the next article is found.
    assert [c for c in units if c.startswith("title.")] == ["title.I"]
    assert units["art.2"].text.endswith("TITLE I\nINSERTED")
    assert units["art.3"].parent == "title.I"


def test_two_standalone_articles_suffice_only_for_an_eu_source():
    from crosswalk.ingest.models import Jurisdiction

    doc = Extracted(text="Article 1\nScope\nThis applies.\nArticle 2\nDefinitions\nWords mean things.\n")
    assert eu.detect(Source(id="t", jurisdiction=Jurisdiction.EU), doc)
    assert eu.detect(Source(id="t", jurisdiction="eu"), doc)
    assert not eu.detect(Source(id="t", jurisdiction="UK"), doc)
    units = [u.citation for u in eu.split(doc).units]
    assert units == ["art.1", "art.2"]
