"""The FCA splitter (`ingest/splitters/fca.py`) on the two FCA papers of the corpus, and on small texts.

CP25/14 carries both structures: the paper's numbered paragraphs (`para.3.70`) and, in its appendix, the draft
instrument whose annexes make CRYPTO 2 and CASS 16/17 (`CRYPTO 2.4.33R`, `CASS 16.2.13R`, `CASS 17.3.7G`).
DP23/4 is a paper only. Each PDF is read once per module (the reader takes several seconds per document).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from crosswalk.ingest import readers, splitters
from crosswalk.ingest.models import Extracted, Source
from crosswalk.ingest.splitters import fca
from crosswalk.ingest.splitters.base import uncovered

CP_ID = "UK-FCA-CP25-14"
DP_ID = "UK-FCA-DP23-4"


@pytest.fixture(scope="module")
def sources(corpus_dir):
    from crosswalk.ingest.sources import load_manifest

    return {s.id: s for s in load_manifest(corpus_dir)}


@pytest.fixture(scope="module")
def cp(corpus_dir, sources):
    src = sources[CP_ID]
    extracted = readers.read(corpus_dir / src.file)
    return src, extracted, fca.split(extracted)


@pytest.fixture(scope="module")
def dp(corpus_dir, sources):
    src = sources[DP_ID]
    extracted = readers.read(corpus_dir / src.file)
    return src, extracted, fca.split(extracted)


def units(result):
    return {u.citation: u for u in result.units}


def numbers(result, pattern: str) -> dict[str, list[int]]:
    """Numbers of the citations matching `pattern` (groups: scope, number), grouped by scope, in order."""
    out: dict[str, list[int]] = {}
    for u in result.units:
        m = re.fullmatch(pattern, u.citation)
        if m:
            out.setdefault(m.group(1), []).append(int(m.group(2)))
    return out


# --- detection ---------------------------------------------------------------------------------------


def test_both_fca_papers_are_recognised_and_chosen(cp, dp):
    for src, extracted, _ in (cp, dp):
        assert fca.detect(src, extracted)
        # without the manifest's issuer, the text's own structure and the FCA's name suffice
        assert fca.detect(Source("anonymous", "UK"), extracted)
        assert splitters.choose(src, extracted) == "fca"


def test_other_documents_are_not_taken(corpus_dir, sources):
    fsb = sources["INTL-FSB-GSC-2023"]
    assert not fca.detect(fsb, readers.read(corpus_dir / fsb.file))
    # an FCA text without a paper's chapters and numbered paragraphs is left to another splitter
    assert not fca.detect(Source("x", "UK", issuer="FCA"), Extracted("Financial Conduct Authority\nPress release\n"))
    numbered = "Chapter 1\nSummary\n" + "".join(f"1.{i} Text of paragraph {i}.\n" for i in range(1, 7))
    assert not fca.detect(Source("x", "US", issuer="SEC"), Extracted(numbered))
    assert fca.detect(Source("x", "UK", issuer="FCA"), Extracted(numbered))


# --- CP25/14: the paper -------------------------------------------------------------------------------


def test_cp_paragraphs_have_their_chapter_heading_and_opening_words(cp):
    _, _, result = cp
    u = units(result)
    p = u["para.3.70"]
    assert p.text.startswith("Remuneration\n3.70 Our position from DP 23/4 remains unchanged")
    assert "not to pass down interest" in p.text
    assert p.parent == "ch.3" and p.kind == "paragraph"
    assert p.heading_path == ("Chapter 3 Requirements for issuing qualifying stablecoin", "Remuneration")
    p = u["para.1.1"]
    assert p.text.startswith("Why are we consulting\n1.1 In 2023, HM Treasury (the Treasury) announced")
    assert p.parent == "ch.1"
    assert u["para.3.71"].text.startswith("3.71 As outlined in this CP")  # the next one, without the heading
    assert u["para.3.71"].heading_path[-1] == "Remuneration"


def test_cp_chapters_annexes_and_their_titles(cp):
    _, _, result = cp
    u = units(result)
    titles = {c: u[c].title for c in u if u[c].kind in ("chapter", "annex", "appendix") and u[c].parent is None}
    assert titles == {
        "ch.1": "Summary",
        "ch.2": "The wider context and our objectives",
        "ch.3": "Requirements for issuing qualifying stablecoin",
        "ch.4": "Regulating custody of cryptoassets",
        "ch.5": "Next steps",
        "annex.1": "Questions in this paper",
        "annex.2": "Cost benefit analysis",
        "annex.3": "Compatibility statement",
        "annex.4": "Abbreviations in this document",
        "app.1": "Draft Handbook text",
    }
    assert u["ch.3"].text == "Chapter 3\nRequirements for issuing qualifying\nstablecoin"


def test_cp_paragraph_and_question_numbers_run_without_gaps(cp):
    _, _, result = cp
    paras = numbers(result, r"para\.(\d+)\.(\d+)")
    assert {ch: (nums[0], nums[-1], len(nums)) for ch, nums in paras.items()} == {
        "1": (1, 41, 41), "2": (1, 44, 44), "3": (1, 179, 179), "4": (1, 89, 89), "5": (1, 10, 10),
    }
    questions = numbers(result, r"(.*)q\.(\d+)")
    assert questions[""] == list(range(1, 26))  # the chapters' questions, q.1 … q.25
    assert questions["annex.1 "] == list(range(1, 28))  # Annex 1 repeats them (and adds 26, 27)
    assert questions["annex.2 "] == [28, 29]
    annex_paras = numbers(result, r"(annex\.\d) para\.(\d+)")
    assert annex_paras["annex.2"] == list(range(1, 262))
    assert annex_paras["annex.3"] == list(range(1, 26))


def test_cp_questions_and_annex_paragraphs_are_their_own_units(cp):
    _, _, result = cp
    u = units(result)
    q = u["q.10"]
    assert q.kind == "question" and q.parent == "ch.3"
    assert q.text.startswith("Question 10: Do you consider signed acknowledgement letters")
    assert u["annex.1 q.10"].parent == "annex.1"
    a = u["annex.2 para.15"]
    assert a.parent == "annex.2" and a.text.startswith("15. UK demand")
    assert u["annex.2 para.1"].text.startswith("Introduction\n1. The Financial Services and Markets Act (2000)")


def test_cp_front_matter_contents_and_back_cover_are_left_out(cp):
    _, extracted, result = cp
    reasons = [reason for *_, reason in result.excluded]
    assert reasons == ["front matter", "toc", "back matter"]
    toc_start, toc_end = next((a, b) for a, b, r in result.excluded if r == "toc")
    assert extracted.text[toc_start:toc_end].startswith("Contents\nChapter 1 Summary")
    for unit in result.units:
        assert not (toc_start <= unit.start < toc_end)
        # no contents line (`Chapter 3 Requirements …   Page 20`) became or joined a unit
        assert not re.search(r"^(Chapter|Annex) \d+ .*Page \d+\s*$", unit.text, re.M), unit.citation
        assert "Disclaimer" not in unit.text.split("\n")[0]
        assert "Pub ref:" not in unit.text


# --- CP25/14: the draft instrument --------------------------------------------------------------------


def test_cp_instrument_rules_carry_their_sourcebook_section_and_status(cp):
    _, _, result = cp
    u = units(result)
    r = u["CASS 16.2.13R"]  # the counterpart of the GENIUS Act's ban on paying interest to holders
    assert r.kind == "rule" and r.parent == "CASS 16.2"
    assert r.text.startswith("16.2.13 R A firm is not permitted to pay interest, income or any other benefit")
    assert r.heading_path == (
        "CASS 16 Stablecoin backing assets",
        "CASS 16.2 Managing and safeguarding backing assets",
    )
    assert u["CASS 16.2.14R"].text.startswith("16.2.14 R A firm may keep interest or income accruing")
    r = u["CRYPTO 2.4.22R"]
    assert r.parent == "CRYPTO 2.4" and r.kind == "rule"
    assert r.heading_path == ("CRYPTO 2 Stablecoins", "CRYPTO 2.4 Issuance and redemption", "Order of redemptions")
    assert r.text.startswith("Order of redemptions\n2.4.22 R A firm must complete redemptions in an order")
    r = u["CRYPTO 2.5.27R"]  # what an issuer must publish about its backing asset pool
    assert r.heading_path[-1] == "Backing asset pool information to be published"
    assert "2.5.27 R The backing asset pool information to be published" in r.text
    g = u["CASS 17.3.7G"]
    assert g.kind == "guidance" and g.parent == "CASS 17.3"
    assert g.text == "Guidance on the requirement to safeguard as a trustee\n17.3.7 G"  # (1)… are its children
    assert g.heading_path == ("CASS 17 Qualifying cryptoasset safeguarding rules",
                              "CASS 17.3 Cryptoasset safeguarding trusts",
                              "Guidance on the requirement to safeguard as a trustee")
    assert u["CASS 17.3.7G(1)"].text.startswith("(1) A firm should decide on an approach to settling")


def test_cp_instrument_hierarchy(cp):
    _, _, result = cp
    u = units(result)
    assert u["app.1 annex.A"].title == "Amendments to the Glossary of definitions"
    assert u["app.1 annex.B"].title == "Amendments to the Client Assets sourcebook (CASS)"
    assert u["app.1 annex.C"].title == "Cryptoasset sourcebook (CRYPTO)"
    assert u["CASS 16"].parent == u["CASS 17"].parent == "app.1 annex.B"
    assert u["CRYPTO 2"].parent == "app.1 annex.C" and u["CRYPTO 2"].title == "Stablecoins"
    sections = {c: u[c].title for c in u if u[c].kind == "section"}
    assert len(sections) == 19  # CASS 16.1-16.7, CASS 17.1-17.7, CRYPTO 2.1-2.5
    assert sections["CASS 16.2"] == "Managing and safeguarding backing assets"
    assert sections["CASS 17.3"] == "Cryptoasset safeguarding trusts"
    assert sections["CRYPTO 2.4"] == "Issuance and redemption"
    assert all(u[c].parent == c.rsplit(".", 1)[0] for c in sections)
    assert u["app.1 para.C"].text.startswith("Commencement\n\nC. This instrument comes into force on")


def test_cp_provision_numbers_run_without_gaps_in_each_section(cp):
    _, _, result = cp
    provisions = [u for u in result.units if u.kind in ("rule", "guidance", "evidential", "direction")]
    by_section = numbers(result, r"((?:CASS|CRYPTO) \d+\.\d+)\.(\d+)[RGED]")
    for section, nums in by_section.items():
        assert nums == list(range(1, len(nums) + 1)), section
    assert sum(map(len, by_section.values())) == 263
    for p in provisions:
        if " Annex " not in p.citation:
            assert re.fullmatch(r"(CASS|CRYPTO) \d+\.\d+\.\d+[RGED]", p.citation), p.citation
            number = p.citation.split(" ", 1)[1]
            assert re.search(rf"^{re.escape(number[:-1])} {number[-1]}\b", p.text, re.M), p.citation
    kinds = Counter(p.kind for p in provisions)
    assert kinds["rule"] > 150 and kinds["guidance"] > 60


def test_cp_sub_paragraphs_nest_under_their_rule(cp):
    _, _, result = cp
    u = units(result)
    assert u["CASS 16.2.1R(1)"].parent == "CASS 16.2.1R"
    assert u["CASS 16.2.1R(1)(a)"].parent == "CASS 16.2.1R(1)"
    assert u["CASS 16.2.1R(1)(a)"].text == "(a) money; or"
    assert u["CASS 16.2.17R(4)(a)(ii)"].parent == "CASS 16.2.17R(4)(a)"
    # `(4) (a) A firm should…`: a sub-paragraph that opens with its own first sub-paragraph
    assert u["CASS 17.3.7G(4)"].text == "(4)"
    assert u["CASS 17.3.7G(4)(a)"].text.startswith("(a) A firm should consider whether")
    # the first sub-paragraph on the rule's own line
    assert u["CASS 16.2.11R"].text == "16.2.11 R"
    assert u["CASS 16.2.11R(1)"].text.startswith("(1) A firm must at all times keep records")
    # a cross-reference opening a line stays text: `16.2.1R(3); or` is in CASS 16.3.9R(2)(a)
    assert "16.2.1R(3); or" in u["CASS 16.3.9R(2)(a)"].text


def test_cp_chapter_annexes_of_cass_16(cp):
    _, _, result = cp
    u = units(result)
    assert u["CASS 16 Annex 1"].parent == "CASS 16"
    assert u["CASS 16 Annex 1"].title.startswith("Backing assets account and backing funds account")
    g = u["CASS 16 Annex 3.1G"]
    assert g.parent == "CASS 16 Annex 3" and g.kind == "guidance"
    assert g.text.startswith("Introduction\n16\nAnnex\n3.1\nG This annex contains guidance")
    assert u["CASS 16 Annex 3.27G"].parent == "CASS 16 Annex 3"  # printed without its `16`


def test_cp_glossary_terms_are_definitions(cp):
    _, _, result = cp
    defs = {u.title: u for u in result.units if u.kind == "definition"}
    assert len(defs) == 48
    for term in ("backing asset pool", "holder", "qualifying stablecoin", "qualifying stablecoin issuer",
                 "redemption day", "core backing assets", "CRD credit institution", "shortfall"):
        assert term in defs, term
        assert defs[term].citation == f"Glossary {term}"
        assert defs[term].parent == "app.1 annex.A"
    assert defs["backing asset pool"].text.startswith("backing asset\npool\na pool of money and/or assets")
    assert defs["holder"].text.startswith("holder the person who has the right to redeem")
    assert defs["holder"].heading_path[-1] == "New definitions"
    assert defs["shortfall"].heading_path[-1] == "Amended definitions"


# --- DP23/4 ---------------------------------------------------------------------------------------------


def test_dp_paragraphs_chapters_and_questions(dp):
    _, _, result = dp
    u = units(result)
    p = u["para.3.5"]
    assert p.parent == "ch.3"
    assert p.heading_path[0] == "Chapter 3 Requirements for issuers: backing assets and redemption"
    assert u["para.1.1"].text.startswith("Introduction\n1.1 The Government has announced plans to legislate")
    assert u["para.7.40"].text.startswith("7. 4 0 The regulatory regime for fiat-backed stablecoins")  # digits spaced
    assert u["para.7.2"].text.startswith("7. 2 Below, we describe how")
    paras = numbers(result, r"para\.(\d+)\.(\d+)")
    assert sorted(map(int, paras)) == list(range(1, 13))
    for ch, nums in paras.items():
        assert nums == list(range(1, len(nums) + 1)), ch
    assert sum(map(len, paras.values())) == 404
    questions = numbers(result, r"(.*)q\.(\d+)")
    assert questions[""] == list(range(1, 41))
    assert questions["annex.1 "] == list(range(1, 41))
    assert u["q.22"].text.startswith("Q22: What role do you consider that custodians should have")
    assert u["annex.1 q.1"].heading_path == ("Annex 1 List of questions", "Chapter 2: A new stablecoin regime")
    assert u["annex.3"].title == "Glossary"
    assert [r for *_, r in result.excluded] == ["front matter", "toc", "back matter"]


# --- both: the partition, uniqueness, determinism ------------------------------------------------------


@pytest.mark.parametrize("doc", ["cp", "dp"])
def test_every_character_in_one_unit_unique_citations_parents_exist(doc, request):
    _, extracted, result = request.getfixturevalue(doc)
    assert uncovered(extracted.text, result) == []
    cites = [u.citation for u in result.units]
    assert len(cites) == len(set(cites))
    known = set(cites)
    assert all(u.parent is None or u.parent in known for u in result.units)
    assert fca.split(extracted) == result


def test_unit_counts_by_kind(cp, dp):
    cp_kinds = Counter(u.kind for u in cp[2].units)
    dp_kinds = Counter(u.kind for u in dp[2].units)
    assert cp_kinds["paragraph"] == 363 + 261 + 25 + 10  # body, Annex 2, Annex 3, instrument A-J
    assert cp_kinds["question"] == 25 + 27 + 2
    assert cp_kinds["subparagraph"] > 500
    assert dp_kinds == Counter({"paragraph": 404, "question": 80, "chapter": 12, "annex": 3})


# --- small texts ----------------------------------------------------------------------------------------

PAPER = """Consultation Paper
Disclaimer
How to respond
Contents
Chapter 1 Summary                Page 3
Annex 1 Cost benefit analysis    Page 9
Appendix 1 Draft Handbook text
Chapter 1
Summary
Why we consult
1.1 We propose rules.
1.2 Our position is set out in paragraph
1.1 and in DP23/4.
1. 3 A paragraph whose number is spaced.
Question 1: Do you agree?
Annex 1
Cost benefit analysis
1. The first annex paragraph lists:
1. a list item restarting at one
2. The second annex paragraph.
Appendix 1
Draft Handbook text
A. The FCA makes this instrument.
Annex A
Amendments to the Glossary of definitions
Insert the following new definitions.
backing asset
pool
a pool of money held by a firm.
holder the person who has the right to redeem.
Annex B
Cryptoasset sourcebook (CRYPTO)
2 Stablecoins
2.4 Issuance and redemption
 Redemption
2.4.1 G Guidance on redemption.
2.4.2
R A firm must redeem:
  (1) promptly; and
  (2) at par, as CRYPTO
2.4.1G; and
  (3) in order.
2.4.3 R A firm must publish.
© Financial Conduct Authority 2025
"""


def test_small_paper_citations():
    result = fca.split(Extracted(PAPER))
    assert [u.citation for u in result.units] == [
        "ch.1", "para.1.1", "para.1.2", "para.1.3", "q.1",
        "annex.1", "annex.1 para.1", "annex.1 para.2",
        "app.1", "app.1 para.A", "app.1 annex.A", "Glossary backing asset pool", "Glossary holder",
        "app.1 annex.B", "CRYPTO 2", "CRYPTO 2.4", "CRYPTO 2.4.1G", "CRYPTO 2.4.2R",
        "CRYPTO 2.4.2R(1)", "CRYPTO 2.4.2R(2)", "CRYPTO 2.4.2R(3)", "CRYPTO 2.4.3R",
    ]
    u = units(result)
    assert u["para.1.2"].text.endswith("1.1 and in DP23/4.")  # a cross-reference opening a line stays text
    assert u["annex.1 para.1"].text.endswith("1. a list item restarting at one")
    assert u["CRYPTO 2.4.1G"].text.startswith("Redemption\n2.4.1 G")
    assert u["CRYPTO 2.4.2R"].text == "2.4.2\nR A firm must redeem:"  # the status letter on its own line
    assert u["CRYPTO 2.4.2R(2)"].text.endswith("2.4.1G; and")
    assert u["CRYPTO 2.4.2R"].heading_path == ("CRYPTO 2 Stablecoins", "CRYPTO 2.4 Issuance and redemption",
                                               "Redemption")
    assert u["para.1.1"].heading_path == ("Chapter 1 Summary", "Why we consult")
    assert [r for *_, r in result.excluded] == ["front matter", "toc", "back matter"]
    assert uncovered(PAPER, result) == []


def test_text_without_chapters_gives_no_units():
    result = fca.split(Extracted("Financial Conduct Authority\nA press release.\n"))
    assert result.units == () and [r for *_, r in result.excluded] == ["no structure found"]


@pytest.mark.parametrize(
    "path, label, expected",
    [
        ([], "1", [("number", "1")]),
        ([("number", "1")], "a", [("number", "1"), ("letter", "a")]),
        ([("number", "1"), ("letter", "h")], "i", [("number", "1"), ("letter", "i")]),
        ([("number", "1"), ("letter", "c")], "i", [("number", "1"), ("letter", "c"), ("roman", "i")]),
        ([("number", "1"), ("letter", "c"), ("roman", "iv")], "v",
         [("number", "1"), ("letter", "c"), ("roman", "v")]),
        ([("number", "1"), ("letter", "c"), ("roman", "ii")], "d", [("number", "1"), ("letter", "d")]),
        ([("number", "1"), ("letter", "a")], "2", [("number", "2")]),
        ([("number", "2")], "1", None),
        ([("number", "2")], "b", None),
    ],
)
def test_next_label(path, label, expected):
    assert fca.next_label(path, label) == expected


@pytest.mark.parametrize(
    "entry, term",
    [
        (["backing asset", "pool", "a pool of money and/or assets held by a firm in connection with a"],
         "backing asset pool"),
        (["calculation date the date on which a firm should carry out a calculation"], "calculation date"),
        (["reference value  the face value of a qualifying stablecoin, with reference"], "reference value"),
        (["approved bank (1) (except in COLL and CASS 16) (in relation to a bank account"], "approved bank"),
        (["asset …", " (2) …"], "asset"),
        (["qualifying", "cryptoasset", "safeguarding", "rules", "CASS 17."],
         "qualifying cryptoasset safeguarding rules"),
        (["stablecoin", "backing funds", "money received or held by a firm in its capacity as trustee under CASS"],
         "stablecoin backing funds"),
        (["holder the person who has the right to redeem a qualifying stablecoin."], "holder"),
    ],
)
def test_glossary_term(entry, term):
    assert fca.glossary_term(entry) == term


def test_toc_titles_read_both_layouts():
    assert fca.toc_titles(
        ["Chapter 3 Requirements for issuing    Page 20", "4. Custody", "requirements 33", "Annex 1",
         "List of questions 96", "Appendix 1 Draft Handbook text"]
    ) == {
        ("chapter", "3"): "Requirements for issuing",
        ("chapter", "4"): "Custody requirements",
        ("annex", "1"): "List of questions",
        ("appendix", "1"): "Draft Handbook text",
    }
