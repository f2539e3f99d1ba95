"""US splitters: Acts and executive orders (`us_act`), the US Code (`uscode`).

Golden tests on the real documents (read once per module from ../shared/corpus), then small synthetic texts
for the edge cases: roman numerals against letters, quoted amendments, wrapped cross-references, repeated
labels, Markdown markup, headings.
"""

from __future__ import annotations

import csv

import pytest

from crosswalk.ingest import readers, splitters
from crosswalk.ingest.models import Extracted, Source
from crosswalk.ingest.splitters import us_act, uscode
from crosswalk.ingest.splitters.base import uncovered
from crosswalk.ingest.splitters.us_act import plain, title_case
from crosswalk.ingest.splitters.us_outline import ACT_ORDER, Candidate, is_next, label_kinds, options, resolve
from crosswalk.ingest.splitters.uscode import label_title

US_DOCS = {
    "US-PL119-27-GENIUS": "us_act",
    "US-USC31-CH53-SUBCHII": "uscode",
    "US-USC15-77B-77E": "uscode",
    "US-USC15-78C-78O": "uscode",
    "US-USC7-CEA": "uscode",
    "US-USC18-1956-1960": "uscode",
    "US-EO14067": "us_act",
    "US-EO14178": "us_act",
    "US-EO14233": "us_act",
    "US-EO-2026-05-19-FINTECH": "us_act",
}
# the splitter each US document goes to (NYCRR parts have their golden tests in test_split_statutes.py)
CHOSEN = {**US_DOCS, "US-NYDFS-23NYCRR500-2017": "nycrr"}
# plausible sizes: a unit for every labelled level, so hundreds for the long statutes
MIN_UNITS = {
    "US-PL119-27-GENIUS": 600,
    "US-USC31-CH53-SUBCHII": 900,
    "US-USC15-77B-77E": 80,
    "US-USC15-78C-78O": 600,
    "US-USC7-CEA": 700,
    "US-USC18-1956-1960": 70,
    "US-EO14067": 60,
    "US-EO14178": 40,
    "US-EO14233": 15,
    "US-EO-2026-05-19-FINTECH": 20,
}


@pytest.fixture(scope="module")
def docs(corpus_dir) -> dict[str, tuple[Source, Extracted]]:
    """Every US document of the corpus, read once: id -> (source, extracted)."""
    out = {}
    with open(corpus_dir / "manifest.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["jurisdiction"] == "US":
                src = Source(id=row["id"], jurisdiction="US", doc_type=row["doc_type"], file=row["file"])
                out[row["id"]] = (src, readers.read(corpus_dir / row["file"]))
    return out


@pytest.fixture(scope="module")
def results(docs):
    """id -> {citation: RawUnit} plus the SplitResult, for each document."""
    return {doc_id: splitters.split(src, ex) for doc_id, (src, ex) in docs.items()}


def units_of(results, doc_id):
    return {u.citation: u for u in results[doc_id].units}


# ---------------------------------------------------------------------------------------------------------
# Every US document


def test_each_document_goes_to_its_splitter(docs):
    for doc_id, (src, ex) in docs.items():
        assert splitters.choose(src, ex) == CHOSEN.get(doc_id, "generic"), doc_id


def test_detection_needs_no_manifest_id(docs):
    """A user's own folder: a Source with only an id made from the file name and a jurisdiction."""
    for doc_id, (src, ex) in docs.items():
        bare = Source(id=src.file.rsplit("/", 1)[-1].rsplit(".", 1)[0], jurisdiction="US")
        assert splitters.choose(bare, ex) == CHOSEN.get(doc_id, "generic"), doc_id


def test_partition_uniqueness_parents_and_determinism(docs, results):
    for doc_id, (src, ex) in docs.items():
        if doc_id not in US_DOCS:
            continue
        result = results[doc_id]
        assert uncovered(ex.text, result) == [], doc_id
        citations = [u.citation for u in result.units]
        assert len(citations) == len(set(citations)), doc_id
        known = set(citations)
        assert all(u.parent is None or u.parent in known for u in result.units), doc_id
        assert len(result.units) >= MIN_UNITS[doc_id], (doc_id, len(result.units))
        assert splitters.split(src, ex) == result, doc_id
        assert all(u.text == ex.text[u.start : u.end].strip() for u in result.units), doc_id
        # nothing large is left out: front matter, headings, signatures
        left_out = sum(len("".join(ex.text[a:b].split())) for a, b, _ in result.excluded)
        assert left_out < 0.05 * len("".join(ex.text.split())), doc_id


def test_parents_come_before_children_and_hold_them(results):
    for doc_id in US_DOCS:
        units = units_of(results, doc_id)
        for u in units.values():
            if u.parent:
                assert units[u.parent].start < u.start, (doc_id, u.citation)
                assert u.citation.startswith(u.parent), (doc_id, u.citation)


# ---------------------------------------------------------------------------------------------------------
# GENIUS Act (Public Law 119-27)

GENIUS = "US-PL119-27-GENIUS"


def test_genius_sections_1_to_20(results):
    sections = [u for u in results[GENIUS].units if u.kind == "section"]
    assert [u.citation for u in sections] == [f"sec.{n}" for n in range(1, 21)]
    assert sections[0].text.startswith("SECTION 1. SHORT TITLE.")
    assert all(u.parent is None for u in sections)


def test_genius_section_headings(results):
    units = units_of(results, GENIUS)
    assert units["sec.4"].title == "Requirements for Issuing Payment Stablecoins"
    assert units["sec.4"].heading_path == ("Sec. 4. Requirements for Issuing Payment Stablecoins",)
    # printed over three lines
    assert units["sec.5"].title == (
        "Approval of Subsidiaries of Insured Depository Institutions and Federal Qualified Payment Stablecoin Issuers"
    )
    assert units["sec.17"].title.endswith("Are Not Investment Companies")
    assert units["sec.20"].title == "Effective Date"


def test_genius_prohibition_on_interest(results):
    u = units_of(results, GENIUS)["sec.4(a)(11)"]
    assert u.title.lower() == "prohibition on interest"
    assert u.text.startswith("(11) PROHIBITION ON INTEREST.—No permitted payment")
    assert "any form of interest" in u.text
    assert u.parent == "sec.4(a)" and u.kind == "paragraph"
    assert u.heading_path == (
        "Sec. 4. Requirements for Issuing Payment Stablecoins",
        "(a) Standards for the Issuance of Payment Stablecoins",
    )


def test_genius_definitions(results):
    units = units_of(results, GENIUS)
    stablecoin = units["sec.2(22)"]
    assert stablecoin.parent == "sec.2" and stablecoin.title == "Payment Stablecoin"
    assert stablecoin.text.startswith("(22) PAYMENT STABLECOIN.—The term")
    assert units["sec.2(22)(A)(ii)(I)"].kind == "subclause"
    assert units["sec.2(22)(A)(ii)(I)"].parent == "sec.2(22)(A)(ii)"
    assert units["sec.2(22)(A)(ii)(I)"].heading_path == ("Sec. 2. Definitions", "(22) Payment Stablecoin")
    assert [c for c in units if c.startswith("sec.2(") and c.count("(") == 1] == [f"sec.2({n})" for n in range(1, 34)]


def test_genius_levels(results):
    units = units_of(results, GENIUS)
    assert units["sec.4(a)(1)(A)"].parent == "sec.4(a)(1)"
    assert units["sec.4(a)(1)(A)"].text.startswith("(A) maintain identifiable reserves")
    chain = ("sec.4(a)", "sec.4(a)(1)", "sec.4(a)(1)(A)", "sec.4(a)(1)(A)(iii)", "sec.4(a)(1)(A)(iii)(I)")
    assert [units[c].kind for c in chain] == ["subsection", "paragraph", "subparagraph", "clause", "subclause"]
    assert units["sec.4(a)(12)(B)(i)(II)(aa)"].kind == "item"
    # (i) after (h)(2): the next subsection, not a clause
    assert units["sec.4(i)"].parent == "sec.4" and units["sec.4(i)"].title == "Rules of Construction"
    assert units["sec.4(i)(1)"].parent == "sec.4(i)"


def test_genius_small_capitals_heading_is_joined(results):
    # the PDF sets "IN GENERAL" as "I N GENERAL"; the title is whole either way
    assert units_of(results, GENIUS)["sec.11(a)"].title == "In General"


def test_genius_quoted_amendments_stay_in_the_amending_unit(results):
    units = units_of(results, GENIUS)
    # sec.4(b)(2) inserts a paragraph (3) into another Act: no sec.4(b)(3)
    assert "‘‘(3) REGULATION OF FEDERAL QUALIFIED PAYMENT" in units["sec.4(b)(2)"].text
    assert "sec.4(b)(3)" not in units
    # sec.11(d)(2) inserts a subsection (e) into title 11: sec.11(e) is the Act's own subsection
    assert "‘‘(e) Notwithstanding subsection (a)" in units["sec.11(d)(2)"].text
    assert units["sec.11(e)"].title == "Payment Stablecoin Reserves"
    assert units["sec.11(b)"].text.count("‘‘(40C)") == 1


def test_genius_wrapped_cross_references_are_not_units(results):
    units = units_of(results, GENIUS)
    assert "(2) and for the purposes of establishing" in units["sec.4(c)(3)"].text
    assert "(a) shall submit to the applicable" in units["sec.10(d)"].text


def test_genius_front_and_end_matter(results):
    result = results[GENIUS]
    reasons = [r for *_, r in result.excluded]
    assert reasons == ["front matter", "legislative history", "signature"]
    units = units_of(results, GENIUS)
    assert all("Be it enacted" not in u.text for u in result.units)
    assert "CONGRESSIONAL RECORD" not in units["sec.18(c)(3)(B)"].text
    assert units["sec.20(2)"].text.endswith("implementing this Act.")


# ---------------------------------------------------------------------------------------------------------
# US Code


def test_usc_5318_anti_money_laundering_programs(results):
    units = units_of(results, "US-USC31-CH53-SUBCHII")
    sec = units["5318"]
    assert sec.title == "Compliance, exemptions, and summons authority" and sec.kind == "section"
    assert sec.heading_path == (
        "Title 31 — Money and Finance",
        "Subtitle IV — Money",
        "Chapter 53 — Monetary Transactions",
        "§ 5318. Compliance, exemptions, and summons authority",
    )
    assert units["5318(h)"].title == "Anti-Money Laundering Programs" and units["5318(h)"].parent == "5318"
    h1 = units["5318(h)(1)"]
    assert h1.parent == "5318(h)" and h1.title == "In general"
    assert "each financial institution shall establish" in h1.text
    assert units["5318(h)(1)(A)"].parent == "5318(h)(1)"
    assert units["5318(h)(2)(B)(iv)(II)"].kind == "subclause"
    sections = [u.citation for u in results["US-USC31-CH53-SUBCHII"].units if u.kind == "section"]
    assert sections[:3] == ["5311", "5312", "5313"] and "5336" in sections


def test_usc_1960_and_1956(results):
    units = units_of(results, "US-USC18-1956-1960")
    assert units["1960"].title == "Prohibition of unlicensed money transmitting businesses"
    assert units["1960(a)"].text.startswith("(a) Whoever knowingly conducts")
    assert units["1960(b)(1)"].parent == "1960(b)"
    assert "unlicensed money transmitting business" in units["1960(b)(1)"].text
    assert units["1960(b)"].title == ""  # "As used in this section" is a lead-in, not a heading
    assert units["1956(a)(1)(A)(i)"].parent == "1956(a)(1)(A)"
    assert units["1956(b)"].title == "Penalties"


def test_usc_securities_act_77b(results):
    units = units_of(results, "US-USC15-77B-77E")
    assert units["77b(a)(1)"].parent == "77b(a)"
    assert units["77b(a)(1)"].text.startswith("(1) The term “security” means")
    assert units["77b(a)"].title == "Definitions"
    # 77b(a)(15) is enacted with clauses straight under the paragraph
    assert units["77b(a)(15)(ii)"].parent == "77b(a)(15)" and units["77b(a)(15)(ii)"].kind == "clause"
    assert {u.citation for u in results["US-USC15-77B-77E"].units if u.kind == "section"} == {"77b", "77d", "77e"}


def test_usc_commodity_exchange_act_definitions(results):
    units = units_of(results, "US-USC7-CEA")
    assert units["1a(9)"].title == "Commodity" and units["1a(9)"].parent == "1a"
    assert "The term “commodity” means wheat" in units["1a(9)"].text
    assert units["1a(34)"].title.startswith("Member of a registered entity;")
    assert [c for c in units if c.startswith("1a(") and c.count("(") == 1] == [f"1a({n})" for n in range(1, 52)]
    assert units["1a(11)(A)(i)(IV)"].kind == "subclause"


def test_usc_labels_repeated_in_the_enacted_text(results):
    """15 U.S.C. 78c(a) has two paragraphs (80) and 78o two subsections (j), (k), (l) ("so in original")."""
    units = units_of(results, "US-USC15-78C-78O")
    assert units["78c(a)(80)"].title == "Emerging growth company"
    assert units["78c(a)(80)[2]"].title == "Funding portal"
    assert units["78c(a)(80)[2](A)"].parent == "78c(a)(80)[2]"
    assert units["78o(j)"].title == "Rulemaking to extend requirements to new hybrid products"
    assert units["78o(j)[2]"].title == "Limitation on Commission authority"
    assert units["78o(k)[2](1)"].parent == "78o(k)[2]"


def test_usc_structural_headings_are_left_out_as_headings(results):
    result = results["US-USC31-CH53-SUBCHII"]
    assert [r for *_, r in result.excluded] == ["front matter"] + ["heading"] * 4
    assert all("SUBCHAPTER III" not in u.text for u in result.units)


# ---------------------------------------------------------------------------------------------------------
# Executive orders


def test_eo_14067_definitions(results):
    units = units_of(results, "US-EO14067")
    sections = [u.citation for u in results["US-EO14067"].units if u.kind == "section"]
    assert sections == [f"sec.{n}" for n in range(1, 11)]
    assert units["sec.9"].title == "Definitions"
    assert [c for c in units if c.startswith("sec.9(")] == ["sec.9(a)", "sec.9(b)", "sec.9(c)", "sec.9(d)", "sec.9(e)"]
    assert "The term “digital assets” refers to" in units["sec.9(d)"].text
    assert units["sec.5(b)(vii)(A)"].parent == "sec.5(b)(vii)" and units["sec.5(b)(vii)"].kind == "paragraph"
    # `(a)` on the heading's line
    assert units["sec.5(a)"].text.startswith("(a)") and units["sec.5"].text.endswith("Businesses.")
    assert "JOSEPH R. BIDEN" not in units["sec.10(c)"].text


def test_eo_markup_and_inline_first_subsection(results):
    units = units_of(results, "US-EO-2026-05-19-FINTECH")
    assert units["sec.2"].title == "Definitions" and units["sec.2"].heading_path == ("Sec. 2. Definitions",)
    assert units["sec.2(a)"].text.startswith("(a)\xa0“Fintech firm”")
    assert units["sec.2(b)"].text.startswith("(b)")  # the reader drops the Markdown escape
    units = units_of(results, "US-EO14233")
    assert units["sec.3"].title.startswith("Creation and Administration of the Strategic Bitcoin Reserve")
    assert units["sec.3(d)(iv)"].parent == "sec.3(d)"
    units = units_of(results, "US-EO14178")
    assert [c for c in units if c.startswith("sec.4(a)(")][-1] == "sec.4(a)(xii)"


def test_cea_research_page_falls_to_generic(docs):
    src, ex = docs["US-CEA-2026-04-STABLECOIN-YIELD"]
    assert not us_act.detect(src, ex) and not uscode.detect(src, ex)
    # the page's download links (tags wrapped over lines) and its citation link leave only their words
    assert "href=" not in ex.text and "](http" not in ex.text and "<a" not in ex.text
    assert "Effects\nof Stablecoin Yield Prohibition on Bank Lending Download" in ex.text and "([Nigrinis" not in ex.text
    assert "(Nigrinis\n2025)" in ex.text


# ---------------------------------------------------------------------------------------------------------
# Synthetic texts


def act(body: str) -> Extracted:
    return Extracted(text="Be it enacted by the Senate and House of Representatives,\n" + body, format="pdf")


def cites(result) -> list[str]:
    return [u.citation for u in result.units]


def test_roman_clause_or_next_subsection_decided_by_what_follows():
    body = (
        "SEC. 1. TEST.\n(a) FIRST.—\n(1) one\n(A) alpha\n(B) beta\n(i) a clause;\n(ii) another clause.\n"
        "(b) SECOND.—Text.\n(c) x\n(d) x\n(e) x\n(f) x\n(g) x\n(h) EIGHTH.—\n(1) one\n(A) alpha\n(B) beta\n"
        "(i) NINTH.—\n(1) one of the ninth.\n(j) TENTH.—Text.\nSEC. 2. NEXT.\nText.\n"
    )
    result = us_act.split(act(body))
    c = cites(result)
    assert "sec.1(a)(1)(B)(i)" in c and "sec.1(a)(1)(B)(ii)" in c
    assert "sec.1(i)" in c and "sec.1(i)(1)" in c and "sec.1(j)" in c
    assert "sec.1(h)(1)(B)(i)" not in c
    assert uncovered(result_text(body), result) == []


def result_text(body: str) -> str:
    return act(body).text


def test_quoted_inserted_text_makes_no_units():
    body = (
        "SEC. 1. AMENDMENT.\n(a) IN GENERAL.—Section 5 of the Other Act is amended\n"
        "by adding at the end the following:\n‘‘(b) NEW RULE.—The new rule\napplies to\n(c) every case under\n"
        "‘‘(1) the first paragraph; and\n‘‘(2) the second.’’.\n(b) EFFECTIVE DATE.—On enactment.\n"
    )
    result = us_act.split(act(body))
    assert cites(result) == ["sec.1", "sec.1(a)", "sec.1(b)"]
    assert "‘‘(2) the second.’’." in result.units[1].text
    assert result.units[2].title == "Effective Date"


def test_wrapped_references_and_labels_with_punctuation_are_text():
    body = (
        "SEC. 1. REFS.\n(a) RULE.—A person described under subsection\n(b) shall comply with paragraphs (1) and\n"
        "(2) of this section.\n(b) OTHER.—See\n(a). Also\n(B), not later, and\n(1)(D) examined.\n"
    )
    result = us_act.split(act(body))
    assert cites(result) == ["sec.1", "sec.1(a)", "sec.1(b)"]
    assert result.units[1].text.endswith("(2) of this section.")


def test_section_heading_over_lines_and_title_case():
    body = "SEC. 5. APPROVAL OF SUBSIDIARIES OF\nINSURED DEPOSITORY INSTITUTIONS.\n(a) ANTI-MONEY LAUNDERING.—Text.\n"
    result = us_act.split(act(body))
    sec, sub = result.units
    assert sec.title == "Approval of Subsidiaries of Insured Depository Institutions"
    assert sec.text == "SEC. 5. APPROVAL OF SUBSIDIARIES OF\nINSURED DEPOSITORY INSTITUTIONS."
    assert sub.title == "Anti-Money Laundering"
    assert sub.heading_path == ("Sec. 5. Approval of Subsidiaries of Insured Depository Institutions",)


def test_titles_and_subtitles_hold_their_sections():
    body = (
        "TITLE I—GENERAL PROVISIONS\nSEC. 101. SHORT TITLE.\nThis Act may be cited as the Test Act.\n"
        "TITLE II—STABLECOINS\nSubtitle A—Issuers\nSEC. 201. ISSUERS.\n(a) RULE.—Text.\n"
    )
    result = us_act.split(act(body))
    units = {u.citation: u for u in result.units}
    assert cites(result) == ["title.I", "sec.101", "title.II", "title.II subtitle.A", "sec.201", "sec.201(a)"]
    assert units["sec.101"].parent == "title.I"
    assert units["sec.201"].parent == "title.II subtitle.A"
    assert units["sec.201(a)"].heading_path == ("Title II—Stablecoins", "Subtitle A—Issuers", "Sec. 201. Issuers")
    assert "TITLE II" not in units["sec.101"].text
    assert uncovered(act(body).text, result) == []


def test_table_of_contents_lines_are_not_sections():
    body = (
        "SEC. 1. SHORT TITLE.\nTest.\nSEC. 2. TABLE OF CONTENTS.\nSec. 1. Short title.\nSec. 3. Rules.\n"
        "SEC. 3. RULES.\nText.\n"
    )
    result = us_act.split(act(body))
    assert [u.citation for u in result.units] == ["sec.1", "sec.2", "sec.3"]
    assert "Sec. 3. Rules." in result.units[1].text


def test_executive_order_markdown():
    text = (
        "---\ntitle: x\n---\nBy the authority vested in me as President, it is hereby ordered:\n\n"
        '<span style="u">Section</span>\n<span style="u">1</span>.\n'
        ' <span style="u">Purpose</span>.  It is the policy.\n\n'
        '<span style="u">Sec. 2.\n* *Definitions*.*</span> * *(a)  The term “x” means y.\n\n'
        "\\(b\\)  The term “z”:\n\n\\(i\\)   first;\n\n\\(ii\\)  second.\n\n"
        "**Sec. 3**.  General Provisions.  (a)  Nothing here.\n\nDONALD J. TRUMP\n\nTHE WHITE HOUSE,\n\nMay 1, 2026.\n"
    )
    ex = Extracted(text=text, format="md")
    assert us_act.detect(Source(id="eo", jurisdiction="US"), ex)
    result = us_act.split(ex)
    units = {u.citation: u for u in result.units}
    assert list(units) == ["sec.1", "sec.2", "sec.2(a)", "sec.2(b)", "sec.2(b)(i)", "sec.2(b)(ii)", "sec.3", "sec.3(a)"]
    assert units["sec.1"].title == "Purpose" and units["sec.1"].text.startswith("<span")
    assert units["sec.2(b)(i)"].kind == "paragraph"  # an order's (i) is a paragraph
    assert units["sec.3"].title == "General Provisions"
    assert units["sec.3(a)"].text == "(a)  Nothing here."
    assert [r for *_, r in result.excluded] == ["front matter", "signature"]
    assert uncovered(text, result) == []


USC = (
    "# Title 99— TEST LAW\n\n### CHAPTER 5— THINGS\n\n#### § 10. Definitions and rules\n\n"
    "###### (a) In this section\n\n(1) Widget\n\nThe term “widget” means\n\n(i) a thing; or\n\n(ii) another.\n\n"
    "(2) In general .\n\nText.\n\n##### (b) Rules\n\n(1) A widget shall be blue.\n\n"
    "##### (b) 4 Other rules\n\n(1) Second text.\n\n"
    "#### §§ 11, 12. Repealed.\n\n#### § 13. Penalties\n\nWhoever breaks a rule shall be fined.\n\n"
    "SUBCHAPTER II— MORE\n\n#### § 20. Next\n\n(a) Text.\n"
)


def test_us_code_synthetic():
    ex = Extracted(text=USC, format="md")
    assert uscode.detect(Source(id="title99", jurisdiction="US"), ex)
    assert not us_act.detect(Source(id="title99", jurisdiction="US"), ex)
    result = uscode.split(ex)
    units = {u.citation: u for u in result.units}
    assert list(units) == [
        "10", "10(a)", "10(a)(1)", "10(a)(1)(i)", "10(a)(1)(ii)", "10(a)(2)", "10(b)", "10(b)(1)",
        "10(b)[2]", "10(b)[2](1)", "11", "13", "20", "20(a)",
    ]  # fmt: skip
    assert units["10"].heading_path == ("Title 99 — Test Law", "Chapter 5 — Things", "§ 10. Definitions and rules")
    assert units["10(a)"].title == "" and units["10(a)(1)"].title == "Widget"
    assert units["10(a)(2)"].title == "In general"
    assert units["10(b)[2]"].title == "Other rules"
    assert units["10(a)(1)(ii)"].heading_path[-1] == "(1) Widget"
    assert units["11"].title == "Repealed"
    assert units["20"].heading_path[:3] == ("Title 99 — Test Law", "Chapter 5 — Things", "Subchapter II — More")
    assert [r for *_, r in result.excluded] == ["heading", "heading", "heading"]
    assert uncovered(USC, result) == []


def test_us_code_running_text_that_looks_like_headings_stays_text():
    text = (
        "#### § 10. Rules\n\n(a) A rule.\n\nTitle 31, United States Code, applies.\n\n"
        "§ 5318 of this title applies too.\n\nPart A— of this chapter applies.\n\n(b) Another rule.\n"
    )
    result = uscode.split(Extracted(text=text, format="md"))
    assert [u.citation for u in result.units] == ["10", "10(a)", "10(b)"]
    assert "§ 5318 of this title" in result.units[1].text and "Part A—" in result.units[1].text
    assert result.excluded == ()


def test_a_paper_quoting_one_code_section_is_not_the_code():
    paper = "Guidance on custody.\n\n" + "Firms should keep records. " * 400 + "\n§ 1010.100 Definitions.\n\nText.\n"
    assert not uscode.detect(Source(id="guide", jurisdiction="US"), Extracted(text=paper, format="txt"))


def test_detectors_leave_other_jurisdictions_alone():
    ex = act("SEC. 1. A.\nText.\nSEC. 2. B.\nText.\n")
    assert us_act.detect(Source(id="x", jurisdiction="US"), ex)
    assert not us_act.detect(Source(id="x", jurisdiction="UK"), ex)
    assert not uscode.detect(Source(id="x", jurisdiction="EU"), Extracted(text=USC, format="md"))
    assert uscode.detect(Source(id="US-USC-x", jurisdiction="US"), Extracted(text="no headings", format="md"))


# ---------------------------------------------------------------------------------------------------------
# Pure functions


@pytest.mark.parametrize(
    "label, kinds",
    [
        ("a", ("lower",)),
        ("i", ("lower", "lroman")),
        ("v", ("lower", "lroman")),
        ("ii", ("lroman", "item")),
        ("aa", ("item",)),
        ("11", ("arabic",)),
        ("40C", ("arabic",)),
        ("A", ("upper",)),
        ("I", ("upper", "uroman")),
        ("IV", ("uroman",)),
        ("AA", ("upper", "subitem")),
        ("Iv", ()),
        ("ab", ()),
    ],
)
def test_label_kinds(label, kinds):
    assert label_kinds(label) == kinds


@pytest.mark.parametrize(
    "kind, prev, label, expected",
    [
        ("lower", "h", "i", True),
        ("lower", "h", "j", False),
        ("arabic", "11", "12", True),
        ("arabic", "40", "40A", True),
        ("arabic", "40A", "40B", True),
        ("arabic", "40B", "41", True),
        ("arabic", "2", "4", False),
        ("lroman", "iv", "v", True),
        ("lroman", "viii", "ix", True),
        ("uroman", "IV", "V", True),
        ("upper", "Z", "AA", True),
        ("upper", "AA", "BB", True),
        ("item", "aa", "bb", True),
        ("item", "aa", "cc", False),
    ],
)
def test_is_next(kind, prev, label, expected):
    assert is_next(kind, prev, label) is expected


def test_clause_numerals_stop_at_39():
    assert label_kinds("xxxix") == ("lroman",) and label_kinds("XXXIX") == ("uroman",)
    assert label_kinds("xl") == () and label_kinds("l") == ("lower",)  # `(l)` is the twelfth subsection
    assert is_next("lroman", "xxxviii", "xxxix") and not is_next("lroman", "xxxix", "xl")


@pytest.mark.parametrize(
    "printed, expected",
    [
        ("PROHIBITION ON INTEREST", "Prohibition on Interest"),
        ("I N GENERAL", "In General"),
        ("C ONFORMING AMENDMENT", "Conforming Amendment"),
        ("ANTI-MONEY LAUNDERING", "Anti-Money Laundering"),
        ("TITLE II", "Title II"),
        ("FINCEN GUIDANCE OR RULEMAKING", "FinCEN Guidance or Rulemaking"),
        ("NATIONAL INNOVATION FOR U.S. STABLECOINS", "National Innovation for U.S. Stablecoins"),
        ("Definitions", "Definitions"),
    ],
)
def test_title_case(printed, expected):
    assert title_case(printed) == expected


def test_plain_keeps_offsets():
    text = '<span a="b">Sec. 2</span>. \\(a\\) *x*'
    flat, where = plain(text)
    assert flat == "Sec. 2. (a) x"
    assert all(text[where[i]] == ch for i, ch in enumerate(flat))


def test_options_prefer_the_deeper_reading_and_resolve_looks_ahead():
    path = (("lower", "h"), ("arabic", "2"), ("upper", "B"))
    assert [p[-1] for p in options(path, Candidate(0, "i"), ACT_ORDER)] == [("lroman", "i"), ("lower", "i")]
    head = list("abcdefgh") + ["1", "A", "B", "i"]
    for follow, last in (("ii", "(h)(1)(B)(ii)"), ("1", "(i)(1)"), ("j", "(j)"), ("C", "(h)(1)(C)")):
        seq = head + [follow]
        path = resolve([Candidate(n, x) for n, x in enumerate(seq)], ACT_ORDER)[-1][1]
        assert "".join(f"({x})" for _, x in path) == last


def test_lenient_reading_for_the_us_code():
    path = (("lower", "a"), ("arabic", "15"))
    assert options(path, Candidate(0, "i"), ACT_ORDER) == []
    assert options(path, Candidate(0, "i"), ACT_ORDER, lenient=True)[0][-1] == ("lroman", "i")
    # a skipped label, and a titled label that repeats the last one
    assert options((("item", "dd"),), Candidate(0, "ff"), ACT_ORDER, lenient=True) == [(("item", "ff"),)]
    assert options(path, Candidate(0, "15", title="Other"), ACT_ORDER, lenient=True) == [path]
    assert options(path, Candidate(0, "15"), ACT_ORDER, lenient=True) == []


@pytest.mark.parametrize(
    "rest, heading_line, expected",
    [
        ("Anti-Money Laundering Programs.", True, "Anti-Money Laundering Programs"),
        ("In general .", False, "In general"),
        ("Commodity", False, "Commodity"),
        ("Member of an entity; member of a facility", False, "Member of an entity; member of a facility"),
        ("7 Funding portal .", False, "Funding portal"),
        ("As used in this section", True, ""),
        ("The Secretary may prescribe", True, ""),
        ("An insurance company", False, ""),
        ("a private banker;", False, ""),
        ("$10,000.", False, ""),
        ("Whoever knowingly conducts an unlicensed business shall be fined. Text.", False, ""),
        ("", False, ""),
    ],
)
def test_us_code_label_title(rest, heading_line, expected):
    assert label_title(rest, heading_line) == expected
