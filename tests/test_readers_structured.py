"""HTML and structured XML readers: citations, parents, heading paths, spans, and safe parsing.

Fixtures are small documents written here in the shapes of the real schemas (legislation.gov.uk CLML, USLM,
GPO bill XML, eCFR); their wording is invented.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from crosswalk.errors import DocumentError
from crosswalk.ingest.readers import read
from crosswalk.ingest.readers.html import read_html
from crosswalk.ingest.readers.xml import clean_num, cfr_level, heading_entry, read_xml, roman_value

# ---------------------------------------------------------------- fixtures

CLML_SI = """<?xml version="1.0" encoding="UTF-8"?>
<Legislation xmlns="http://www.legislation.gov.uk/namespaces/legislation"
    xmlns:ukm="http://www.legislation.gov.uk/namespaces/metadata" xmlns:dc="http://purl.org/dc/elements/1.1/"
    DocumentURI="http://www.legislation.gov.uk/uksi/2099/1" NumberOfProvisions="6">
  <ukm:Metadata>
    <dc:identifier>http://www.legislation.gov.uk/uksi/2099/1</dc:identifier>
    <dc:title>The Example Cryptoasset Regulations 2099</dc:title>
    <ukm:SecondaryMetadata>
      <ukm:DocumentClassification>
        <ukm:DocumentCategory Value="secondary"/>
        <ukm:DocumentMainType Value="UnitedKingdomStatutoryInstrument"/>
      </ukm:DocumentClassification>
    </ukm:SecondaryMetadata>
  </ukm:Metadata>
  <Secondary>
    <SecondaryPrelims>
      <Number>2099 No. 1</Number>
      <Title>The Example Cryptoasset Regulations 2099</Title>
      <SecondaryPreamble><EnactingText><Para><Text>The Treasury make these Regulations.</Text></Para></EnactingText></SecondaryPreamble>
    </SecondaryPrelims>
    <Body>
      <Part id="part-1"><Number>PART 1</Number><Title>General</Title>
        <P1group><Title>Citation</Title>
          <P1 id="regulation-1"><Pnumber>1</Pnumber>
            <P1para><Text>These Regulations may be cited as the Example Regulations.</Text></P1para></P1>
        </P1group>
        <P1group><Title>Amendment of the 2017 Regulations</Title>
          <P1 id="regulation-2"><Pnumber>2</Pnumber>
            <P1para><Text>After regulation 14 of the 2017 Regulations insert—</Text>
              <BlockAmendment TargetClass="secondary" Context="main">
                <P1group><Title>Quoted heading</Title>
                  <P1 id="d1"><Pnumber>14Z</Pnumber><P1para><Text>Quoted rule text.</Text></P1para></P1>
                </P1group>
              </BlockAmendment>
            </P1para></P1>
        </P1group>
      </Part>
      <Part id="part-2"><Number>PART 2</Number><Title>Cryptoasset businesses</Title>
        <P1group><Title>Meaning of exchange provider</Title>
          <P1 id="regulation-14A"><Pnumber>14A</Pnumber>
            <P1para>
              <P2 id="regulation-14A-1"><Pnumber>1</Pnumber>
                <P2para><Text>In these Regulations an exchange provider is a firm which<CommentaryRef Ref="c1"/>—</Text>
                  <P3 id="regulation-14A-1-a"><Pnumber>a</Pnumber><P3para><Text>exchanges money for cryptoassets, or</Text></P3para></P3>
                  <P3 id="regulation-14A-1-b"><Pnumber>b</Pnumber><P3para><Text>operates a vending machine,</Text></P3para></P3>
                  <Text>when acting by way of business.</Text>
                </P2para>
              </P2>
              <P2 id="regulation-14A-2"><Pnumber>2</Pnumber>
                <P2para><Text>See <Citation URI="x">regulation 14B</Citation> &amp; <Emphasis>Schedule 1</Emphasis>.</Text></P2para></P2>
            </P1para>
          </P1>
        </P1group>
      </Part>
    </Body>
    <Schedules>
      <Title>SCHEDULES</Title>
      <Schedule id="schedule-1"><Number>SCHEDULE 1</Number>
        <TitleBlock><Title>Registration information</Title></TitleBlock>
        <Reference>Regulation 14A</Reference>
        <ScheduleBody>
          <P1group><Title>Applications</Title>
            <P1 id="schedule-1-paragraph-1"><Pnumber>1</Pnumber><P1para><Text>An application must be in writing.</Text></P1para></P1>
          </P1group>
          <P1 id="schedule-1-paragraph-2"><Pnumber>2</Pnumber>
            <P1para>
              <P2 id="schedule-1-paragraph-2-1"><Pnumber>1</Pnumber><P2para><Text>The applicant must give its name.</Text></P2para></P2>
              <P2 id="schedule-1-paragraph-2-2"><Pnumber>2</Pnumber><P2para><Text>The applicant must give its address.</Text></P2para></P2>
            </P1para>
          </P1>
        </ScheduleBody>
      </Schedule>
      <Schedule id="schedule-2"><Number>SCHEDULE 2</Number>
        <TitleBlock><Title>Fees</Title></TitleBlock>
        <ScheduleBody>
          <Part><Number>PART 1</Number><Title>Application fees</Title>
            <P1 id="schedule-2-part-1-paragraph-3"><Pnumber>3</Pnumber><P1para><Text>The fee is payable on application.</Text></P1para></P1>
          </Part>
          <Part><Number>PART 2</Number><Title>Annual fees</Title>
            <P>Fees in this Part are reviewed each year.</P>
            <P1 id="schedule-2-part-2-paragraph-3"><Pnumber>3</Pnumber><P1para>
              <P2><Pnumber>1</Pnumber><P2para><Text>The fee is payable yearly.</Text></P2para></P2></P1para></P1>
          </Part>
        </ScheduleBody>
      </Schedule>
    </Schedules>
  </Secondary>
  <Commentaries><Commentary id="c1"><Para><Text>Words inserted by S.I. 2099/7.</Text></Para></Commentary></Commentaries>
</Legislation>
"""

CLML_ACT = """<?xml version="1.0" encoding="UTF-8"?>
<Legislation xmlns="http://www.legislation.gov.uk/namespaces/legislation"
    xmlns:ukm="http://www.legislation.gov.uk/namespaces/metadata" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <ukm:Metadata><dc:title>Example Markets Act 2099</dc:title>
    <ukm:PrimaryMetadata><ukm:DocumentClassification>
      <ukm:DocumentMainType Value="UnitedKingdomPublicGeneralAct"/></ukm:DocumentClassification></ukm:PrimaryMetadata>
  </ukm:Metadata>
  <Primary>
    <PrimaryPrelims><Title>Example Markets Act 2099</Title><LongTitle>An Act to make provision.</LongTitle></PrimaryPrelims>
    <Body>
      <Part><Number>PART 2</Number><Title>General prohibition</Title>
        <Pblock><Title>Financial promotion</Title>
          <P1group><Title>Restrictions on financial promotion</Title>
            <P1><Pnumber>21</Pnumber>
              <P1para>
                <P2><Pnumber>1</Pnumber><P2para><Text>A person must not communicate an invitation unless—</Text>
                  <P3><Pnumber>a</Pnumber><P3para><Text>he is an authorised person; or</Text></P3para></P3>
                  <P3><Pnumber>b</Pnumber><P3para><Text>the content is approved.</Text></P3para></P3>
                </P2para></P2>
              </P1para>
            </P1>
          </P1group>
        </Pblock>
      </Part>
    </Body>
  </Primary>
</Legislation>
"""

USLM_CODE = """<?xml version="1.0" encoding="UTF-8"?>
<uscDoc xmlns="http://xml.house.gov/schemas/uslm/1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" identifier="/us/usc/t31">
  <meta><dc:title>Title 31: Money and Finance</dc:title><docNumber>31</docNumber></meta>
  <main>
    <title identifier="/us/usc/t31"><num value="31">Title 31—</num><heading>MONEY AND FINANCE</heading>
      <chapter identifier="/us/usc/t31/ch53"><num value="53">CHAPTER 53—</num><heading>MONETARY TRANSACTIONS</heading>
        <subchapter identifier="/us/usc/t31/ch53/schII"><num value="II">SUBCHAPTER II—</num><heading>RECORDS AND REPORTS</heading>
          <section identifier="/us/usc/t31/s5318"><num value="5318">§ 5318.</num><heading> Compliance and exemptions</heading>
            <subsection identifier="/us/usc/t31/s5318/a"><num value="a">(a)</num><heading>General powers.—</heading>
              <chapeau>The Secretary may—</chapeau>
              <paragraph identifier="/us/usc/t31/s5318/a/1"><num value="1">(1)</num><content>delegate duties;</content></paragraph>
              <paragraph identifier="/us/usc/t31/s5318/a/2"><num value="2">(2)</num><content>require <ref href="/us/usc/t31/s5312">records</ref> to be kept.</content></paragraph>
            </subsection>
            <subsection identifier="/us/usc/t31/s5318/h"><num value="h">(h)</num><heading>Anti-money laundering programs.—</heading>
              <paragraph identifier="/us/usc/t31/s5318/h/1"><num value="1">(1)</num><heading>In general.—</heading>
                <chapeau>Each financial institution shall establish programs, including—</chapeau>
                <subparagraph identifier="/us/usc/t31/s5318/h/1/A"><num value="A">(A)</num><content>internal policies;</content></subparagraph>
                <subparagraph identifier="/us/usc/t31/s5318/h/1/B"><num value="B">(B)</num><content>a training program.</content></subparagraph>
                <continuation>as the Secretary prescribes.</continuation>
              </paragraph>
            </subsection>
            <sourceCredit>(Pub. L. 97–258, Sept. 13, 1982.)</sourceCredit>
            <notes type="uscNote"><note topic="amendments"><heading>Amendments</heading><p>Editorial history.</p></note></notes>
          </section>
        </subchapter>
      </chapter>
    </title>
  </main>
</uscDoc>
"""

GPO_BILL = """<?xml version="1.0"?>
<?xml-stylesheet type="text/xsl" href="billres.xsl"?>
<!DOCTYPE bill PUBLIC "-//US Congress//DTDs/bill.dtd//EN" "bill.dtd">
<bill bill-stage="Introduced-in-House" dms-id="H1" public-private="public">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dublinCore><dc:title>119 HR 9999 IH: Example Stablecoin Act</dc:title></dublinCore>
  </metadata>
  <form><congress>119th CONGRESS</congress><legis-num>H. R. 9999</legis-num>
    <official-title>To provide for example stablecoins.</official-title></form>
  <legis-body>
    <section id="S1" section-type="section-one"><enum>1.</enum><header>Short title; table of contents</header>
      <subsection id="S1a"><enum>(a)</enum><header>Short title</header>
        <text>This Act may be cited as the <quote><short-title>Example Stablecoin Act</short-title></quote>.</text></subsection>
      <subsection id="S1b"><enum>(b)</enum><header>Table of contents</header>
        <text>The table of contents is as follows:</text>
        <toc><toc-entry level="section">Sec. 1. Short title; table of contents.</toc-entry></toc></subsection>
    </section>
    <title id="T1"><enum>I</enum><header>Stablecoin issuers</header>
      <section id="S4"><enum>4.</enum><header>Requirements for issuing payment stablecoins</header>
        <subsection id="S4a"><enum>(a)</enum><header>Standards</header>
          <text>A permitted issuer shall&mdash;</text>
          <paragraph id="S4a1"><enum>(1)</enum><text>maintain reserves;</text></paragraph>
          <paragraph id="S4a11"><enum>(11)</enum><header>Compliance</header>
            <text>comply with rules, including&#x2014;</text>
            <subparagraph id="S4a11A"><enum>(A)</enum><text>sanctions rules; and</text></subparagraph>
            <subparagraph id="S4a11B"><enum>(B)</enum><text>custody rules.</text></subparagraph>
          </paragraph>
        </subsection>
        <subsection id="S4b"><enum>(b)</enum><header>Conforming amendment</header>
          <text>Title 31 is amended by adding at the end the following:</text>
          <quoted-block style="OLC" id="Q1">
            <section id="Q1s"><enum>5399.</enum><header>Quoted section</header><text>Quoted text.</text></section>
          </quoted-block><after-quoted-block>.</after-quoted-block>
        </subsection>
      </section>
    </title>
  </legis-body>
  <attestation><attestation-group><attestor>Clerk</attestor></attestation-group></attestation>
</bill>
"""

ECFR_PART = """<?xml version="1.0" encoding="ISO-8859-1"?>
<DIV5 N="1022" TYPE="PART">
  <HEAD>PART 1022—RULES FOR MONEY SERVICES BUSINESSES</HEAD>
  <AUTH><HED>Authority:</HED><PSPACE>12 U.S.C. 1829b.</PSPACE></AUTH>
  <SOURCE><HED>Source:</HED><PSPACE>75 FR 65812.</PSPACE></SOURCE>
  <DIV6 N="B" TYPE="SUBPART"><HEAD>Subpart B—Programs</HEAD>
    <DIV8 N="§ 1022.210" TYPE="SECTION">
      <HEAD>§ 1022.210   Anti-money laundering programs.</HEAD>
      <P>(a) Each business shall keep a program.</P>
      <P>(b) The program shall fit the risks.</P>
      <P>(c) The program shall be in writing.</P>
      <P>(d) <I>Minimum requirements.</I> At a minimum, the program shall:</P>
      <P>(1) Incorporate policies for—</P>
      <P>(i) Verifying <I>customer</I> identification;</P>
      <P>(ii) Filing reports;</P>
      <P>(A) Currency reports; and</P>
      <P>(B) Suspicious activity reports.</P>
      <P>(2) Designate a compliance person.</P>
      <FP>Each business shall act promptly.</FP>
      <P>(e)(1) Combined label text.</P>
      <P>(2) Second paragraph of (e).</P>
      <P>(f) <I>Notice.</I> (1) Heading then label.</P>
      <P>(2)(<I>1</I>) Italic level five.</P>
      <CITA TYPE="N">[75 FR 65812, Oct. 26, 2010]</CITA>
    </DIV8>
    <DIV8 N="§ 1022.211" TYPE="SECTION">
      <HEAD>§ 1022.211   Definitions.</HEAD>
      <P>For this section:</P>
      <P>(h) <I>Partisan</I> refers to a party.</P>
      <P>(i) <I>Office</I> means an office.</P>
    </DIV8>
  </DIV6>
</DIV5>
"""

GENERIC = """<?xml version="1.0"?>
<report><head><name>Annual report</name></head>
  <body><p>Hello <b>world</b> &amp; friends.</p><p>Second   line</p>
  <table><row><cell>a</cell><cell>b</cell></row></table></body></report>
"""


def write(tmp_path: Path, name: str, content: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding, "xmlcharrefreplace"))  # as a latin-1 eCFR file carries an em dash
    return path


def by_citation(extracted):
    return {u.citation: u for u in extracted.units}


def assert_spans(extracted):
    """Offsets slice the text to each unit's text; spans never overlap and cover all non-white text."""
    text, units = extracted.text, extracted.units
    assert units, "no units"
    covered = [False] * len(text)
    previous_end = 0
    for u in units:
        assert text[u.start:u.end] == u.text, u.citation
        assert u.text and u.text == u.text.strip(), u.citation
        assert u.start >= previous_end, f"{u.citation} overlaps the unit before it"
        previous_end = u.end
        for i in range(u.start, u.end):
            covered[i] = True
    stray = "".join(ch for ch, c in zip(text, covered) if not c and not ch.isspace())
    assert stray == "", f"text outside every unit: {stray!r}"
    citations = [u.citation for u in units]
    assert len(citations) == len(set(citations)), "citations repeat"
    parents = set(citations)
    for u in units:
        assert u.parent is None or u.parent in parents, f"{u.citation}: unknown parent {u.parent}"


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the reader tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# ---------------------------------------------------------------- CLML


def test_clml_si_citations_parents_and_headings(tmp_path):
    ex = read_xml(write(tmp_path, "si.xml", CLML_SI))
    assert ex.format == "xml"
    assert ex.meta["family"] == "clml" and ex.meta["doc_kind"] == "si"
    assert ex.meta["title"] == "The Example Cryptoasset Regulations 2099"
    assert [u.citation for u in ex.units] == [
        "reg.1", "reg.2", "reg.14A", "reg.14A(1)", "reg.14A(1)(a)", "reg.14A(1)(b)", "reg.14A(2)",
        "sch.1", "sch.1 para.1", "sch.1 para.2", "sch.1 para.2(1)", "sch.1 para.2(2)",
        "sch.2", "sch.2 para.3", "sch.2 pt.2", "sch.2 para.3[2]", "sch.2 para.3[2](1)",
    ]
    units = by_citation(ex)
    reg = units["reg.14A(1)(a)"]
    assert reg.parent == "reg.14A(1)"
    assert reg.heading_path == ("Part 2 Cryptoasset businesses", "reg.14A Meaning of exchange provider")
    assert reg.kind == "sub-paragraph" and units["reg.14A(1)"].kind == "paragraph"
    assert units["reg.14A"].kind == "regulation" and units["reg.14A"].title == "Meaning of exchange provider"
    assert units["reg.14A"].text == "14A Meaning of exchange provider"
    assert units["reg.14A(1)"].text.startswith("(1) In these Regulations an exchange provider")
    assert units["reg.14A(1)(a)"].text == "(a) exchanges money for cryptoassets, or"
    # The lead-out after (b) follows (b) in print, so it joins (b)'s span.
    assert units["reg.14A(1)(b)"].text.endswith("when acting by way of business.")
    assert units["reg.14A(2)"].text == "(2) See regulation 14B & Schedule 1."
    assert units["reg.1"].heading_path == ("Part 1 General",)


def test_clml_schedules_and_repeated_numbers(tmp_path):
    ex = read_xml(write(tmp_path, "si.xml", CLML_SI))
    units = by_citation(ex)
    sch = units["sch.1"]
    assert sch.kind == "schedule" and sch.parent is None and sch.title == "Registration information"
    assert sch.text == "Schedule 1 Registration information\nRegulation 14A"
    para = units["sch.1 para.2(1)"]
    assert para.parent == "sch.1 para.2" and units["sch.1 para.2"].parent == "sch.1"
    assert para.heading_path == ("Schedule 1 Registration information",)
    assert units["sch.1 para.1"].title == "Applications"
    assert units["sch.1 para.1"].heading_path == ("Schedule 1 Registration information",)
    # Paragraph 3 appears in Part 1 and in Part 2 of Schedule 2: the second one is told apart, in order.
    assert units["sch.2 para.3"].heading_path == ("Schedule 2 Fees", "Part 1 Application fees")
    assert units["sch.2 para.3[2]"].heading_path == ("Schedule 2 Fees", "Part 2 Annual fees")
    assert units["sch.2 para.3[2](1)"].parent == "sch.2 para.3[2]"
    # Part 2's own text before its first paragraph is a passage cited by the Part.
    assert units["sch.2 pt.2"].text == "Fees in this Part are reviewed each year."
    assert units["sch.2 pt.2"].kind == "passage" and units["sch.2 pt.2"].parent == "sch.2"


def test_clml_leaves_out_prelims_commentaries_and_quoted_provisions(tmp_path):
    ex = read_xml(write(tmp_path, "si.xml", CLML_SI))
    assert "The Treasury make these Regulations" not in ex.text
    assert "Words inserted by" not in ex.text
    assert "SCHEDULES" not in ex.text
    assert "PART 1" not in ex.text  # Part headings live in heading_path, not in the text
    units = by_citation(ex)
    assert not any("14Z" in c for c in units)
    # The quoted regulation stays in the amending regulation's text.
    assert "14Z Quoted heading" in units["reg.2"].text and "Quoted rule text." in units["reg.2"].text


def test_clml_spans(tmp_path):
    assert_spans(read_xml(write(tmp_path, "si.xml", CLML_SI)))
    assert_spans(read_xml(write(tmp_path, "act.xml", CLML_ACT)))


def test_clml_act_sections(tmp_path):
    ex = read_xml(write(tmp_path, "act.xml", CLML_ACT))
    assert ex.meta["doc_kind"] == "act" and ex.meta["document_type"] == "UnitedKingdomPublicGeneralAct"
    assert [u.citation for u in ex.units] == ["s.21", "s.21(1)", "s.21(1)(a)", "s.21(1)(b)"]
    units = by_citation(ex)
    assert units["s.21"].kind == "section" and units["s.21(1)"].kind == "subsection"
    assert units["s.21(1)(a)"].kind == "paragraph"
    assert units["s.21(1)(a)"].heading_path == (
        "Part 2 General prohibition", "Financial promotion", "s.21 Restrictions on financial promotion")
    assert "An Act to make provision" not in ex.text


# ---------------------------------------------------------------- USLM and GPO bills


def test_uslm_us_code_section(tmp_path):
    ex = read_xml(write(tmp_path, "usc31.xml", USLM_CODE))
    assert ex.meta["family"] == "uslm" and ex.meta["doc_kind"] == "code"
    assert ex.meta["title"] == "Title 31: Money and Finance"
    assert [u.citation for u in ex.units] == [
        "5318", "5318(a)", "5318(a)(1)", "5318(a)(2)", "5318(h)", "5318(h)(1)", "5318(h)(1)(A)", "5318(h)(1)(B)",
    ]
    units = by_citation(ex)
    assert units["5318"].title == "Compliance and exemptions" and units["5318"].parent is None
    assert units["5318(h)(1)(A)"].parent == "5318(h)(1)"
    assert units["5318(h)(1)(A)"].heading_path == (
        "Title 31 MONEY AND FINANCE", "Chapter 53 MONETARY TRANSACTIONS", "Subchapter II RECORDS AND REPORTS",
        "5318 Compliance and exemptions", "5318(h) Anti-money laundering programs", "5318(h)(1) In general",
    )
    assert units["5318(a)"].text == "(a) General powers.—\nThe Secretary may—"
    assert units["5318(a)(2)"].text == "(2) require records to be kept."
    assert units["5318(h)(1)(B)"].text == "(B) a training program.\nas the Secretary prescribes."
    assert "Pub. L." not in ex.text and "Editorial history" not in ex.text
    assert_spans(ex)


def test_gpo_bill_sections(tmp_path, no_network):
    ex = read_xml(write(tmp_path, "bill.xml", GPO_BILL))
    assert ex.meta["family"] == "gpo-bill" and ex.meta["number"] == "H. R. 9999"
    assert ex.meta["title"] == "119 HR 9999 IH: Example Stablecoin Act"
    units = by_citation(ex)
    assert list(units) == [
        "sec.1", "sec.1(a)", "sec.1(b)", "sec.4", "sec.4(a)", "sec.4(a)(1)", "sec.4(a)(11)",
        "sec.4(a)(11)(A)", "sec.4(a)(11)(B)", "sec.4(b)",
    ]
    eleven = units["sec.4(a)(11)"]
    assert eleven.parent == "sec.4(a)" and eleven.title == "Compliance"
    assert eleven.heading_path == (
        "Title I Stablecoin issuers", "sec.4 Requirements for issuing payment stablecoins", "sec.4(a) Standards")
    assert eleven.text == "(11) Compliance\ncomply with rules, including—"
    assert units["sec.4"].text == "SEC. 4. Requirements for issuing payment stablecoins"
    assert units["sec.4(a)"].text.endswith("A permitted issuer shall—")  # &mdash; read from the fixed table
    assert "Sec. 1. Short title" not in ex.text  # table of contents left out
    assert "Clerk" not in ex.text
    # The quoted section belongs to the amending subsection, not to this bill's numbering.
    assert "sec.5399" not in units and "5399. Quoted section" in units["sec.4(b)"].text
    assert_spans(ex)


# ---------------------------------------------------------------- eCFR


def test_ecfr_paragraph_levels(tmp_path):
    ex = read_xml(write(tmp_path, "part1022.xml", ECFR_PART, encoding="iso-8859-1"))
    assert ex.meta["family"] == "ecfr"
    assert ex.meta["title"] == "PART 1022—RULES FOR MONEY SERVICES BUSINESSES"
    assert [u.citation for u in ex.units] == [
        "1022.210", "1022.210(a)", "1022.210(b)", "1022.210(c)", "1022.210(d)", "1022.210(d)(1)",
        "1022.210(d)(1)(i)", "1022.210(d)(1)(ii)", "1022.210(d)(1)(ii)(A)", "1022.210(d)(1)(ii)(B)",
        "1022.210(d)(2)", "1022.210(e)", "1022.210(e)(1)", "1022.210(e)(2)", "1022.210(f)", "1022.210(f)(1)",
        "1022.210(f)(2)", "1022.210(f)(2)(1)",
        "1022.211", "1022.211(h)", "1022.211(i)",
    ]
    units = by_citation(ex)
    assert units["1022.210"].title == "Anti-money laundering programs"
    assert units["1022.210"].text == "§ 1022.210 Anti-money laundering programs."
    d1 = units["1022.210(d)(1)"]
    assert d1.parent == "1022.210(d)" and d1.text == "(1) Incorporate policies for—"
    assert d1.heading_path == (
        "Part 1022 RULES FOR MONEY SERVICES BUSINESSES", "Subpart B Programs",
        "1022.210 Anti-money laundering programs", "1022.210(d) Minimum requirements",
    )
    assert units["1022.210(d)"].title == "Minimum requirements"
    assert units["1022.210(d)(1)(i)"].text == "(i) Verifying customer identification;"
    assert units["1022.210(d)(1)(ii)(A)"].parent == "1022.210(d)(1)(ii)"
    # An unnumbered flush paragraph follows (d)(2) in print and joins its span.
    assert units["1022.210(d)(2)"].text == "(2) Designate a compliance person.\nEach business shall act promptly."
    assert units["1022.210(e)"].text == "(e)" and units["1022.210(e)(1)"].text == "(1) Combined label text."
    assert units["1022.210(f)"].text == "(f) Notice." and units["1022.210(f)"].title == "Notice"
    assert units["1022.210(f)(1)"].text == "(1) Heading then label."
    assert units["1022.210(f)(2)(1)"].parent == "1022.210(f)(2)"  # italic (1) is a fifth-level paragraph
    # (i) after (h) is a letter, not a roman numeral; italic defined terms are not headings.
    assert units["1022.211(i)"].parent == "1022.211" and units["1022.211(h)"].title == ""
    assert units["1022.211"].text == "§ 1022.211 Definitions.\nFor this section:"
    assert "75 FR 65812" not in ex.text and "Authority" not in ex.text
    assert_spans(ex)


@pytest.mark.parametrize(
    "token, italic, stack, following, level",
    [
        ("a", False, [], None, 1),
        ("1", False, [(1, "a")], None, 2),
        ("1", True, [(4, "A")], None, 5),
        ("A", False, [(3, "ii")], None, 4),
        ("ii", False, [(3, "i")], None, 3),
        ("i", False, [(1, "h")], None, 1),  # the letter after (h)
        ("i", False, [(1, "d"), (2, "1")], None, 3),  # first roman numeral under (1)
        ("i", False, [(1, "h"), (2, "3")], "ii", 3),  # both fit: (ii) next says roman
        ("i", False, [(1, "h"), (2, "3")], "j", 1),  # both fit: (j) next says letter
        ("v", False, [(1, "b"), (2, "1"), (3, "iv")], None, 3),
        ("v", False, [(1, "u")], None, 1),
        ("x", False, [(1, "w"), (2, "1"), (3, "ix")], None, 3),  # both fit, nothing decides: roman run goes on
        ("x", False, [(1, "w"), (2, "1"), (3, "ix")], "y", 1),
        ("i", False, [(1, "h"), (2, "3")], None, 1),
    ],
)
def test_cfr_level(token, italic, stack, following, level):
    assert cfr_level(token, italic, stack, following) == level


# ---------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    "printed, number",
    [("SEC. 4.", "4"), ("(a)", "a"), ("§ 5318.", "5318"), ("PART 2", "2"), ("§ 1022.210", "1022.210"),
     ("CHAPTER 53—", "53"), ("THE SCHEDULE", ""), ("14A", "14A"), ("Section 21", "21"), ("(11)", "11")],
)
def test_clean_num(printed, number):
    assert clean_num(printed) == number


def test_heading_entry_and_roman():
    assert heading_entry("PART 2", "General") == "Part 2 General"
    assert heading_entry("", "Subpart B—Programs") == "Subpart B Programs"
    assert heading_entry("", "Definitions") == "Definitions"
    assert [roman_value(t) for t in ("i", "iv", "ix", "xiv", "a", "")] == [1, 4, 9, 14, 0, 0]


# ---------------------------------------------------------------- other XML, dispatch, errors


def test_unknown_xml_family_is_plain_text(tmp_path):
    ex = read_xml(write(tmp_path, "report.xml", GENERIC))
    assert ex.units is None and ex.format == "xml"
    assert ex.meta["family"] == "unknown" and ex.meta["root"] == "report"
    assert ex.text.splitlines() == ["Annual report", "Hello world & friends.", "Second line", "a | b"]


def test_xhtml_goes_to_the_html_reader(tmp_path):
    page = ('<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head>'
            "<title>T</title><style>p { x: y }</style></head><body><p>Body text.</p></body></html>")
    ex = read_xml(write(tmp_path, "page.xml", page))
    assert ex.format == "html" and ex.text == "Body text.\n"


def test_dispatcher_sends_xml_here(tmp_path):
    ex = read(write(tmp_path, "usc.xml", USLM_CODE))
    assert ex.units and ex.units[0].citation == "5318"


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""


def test_billion_laughs_is_refused_fast(tmp_path):
    path = write(tmp_path, "bomb.xml", BILLION_LAUGHS)
    started = time.perf_counter()
    with pytest.raises(DocumentError) as err:
        read_xml(path)
    assert time.perf_counter() - started < 1.0
    assert "entity/DTD not allowed" in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize(
    "doctype, use",
    [
        ('<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"),
        ('<!DOCTYPE foo [<!ENTITY % xxe SYSTEM "file:///etc/passwd"> %xxe;]>', ""),
        ('<!DOCTYPE foo [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret.txt">]>', "&xxe;"),
    ],
)
def test_external_entities_are_refused_without_reading_them(tmp_path, no_network, doctype, use):
    path = write(tmp_path, "xxe.xml", f'<?xml version="1.0"?>\n{doctype}\n<foo>x{use}</foo>\n')
    with pytest.raises(DocumentError) as err:
        read_xml(path)
    message = str(err.value)
    assert "entity/DTD not allowed" in message
    assert "root:" not in message and "/bin/" not in message


def test_external_dtd_is_never_fetched(tmp_path, no_network):
    path = write(tmp_path, "dtd.xml", '<?xml version="1.0"?>\n<!DOCTYPE doc SYSTEM "http://127.0.0.1:9/x.dtd">\n<doc><p>Plain.</p></doc>')
    ex = read_xml(path)
    assert ex.text.strip() == "Plain." and ex.units is None


def test_malformed_xml_names_line_and_column(tmp_path):
    path = write(tmp_path, "bad.xml", "<doc>\n  <p>one</p>\n  <p>two</q>\n</doc>\n")
    with pytest.raises(DocumentError) as err:
        read_xml(path)
    assert "malformed XML at line 3, column 11: mismatched tag" in str(err.value)


def test_undefined_entity_without_dtd_explains_the_fix(tmp_path):
    path = write(tmp_path, "nbsp.xml", "<doc><p>a&nbsp;b</p></doc>")
    with pytest.raises(DocumentError, match=r"line 1, column \d+: undefined entity.*&#160;"):
        read_xml(path)


def test_empty_clml_contents_file_says_what_to_fetch(tmp_path):
    toc = ('<Legislation xmlns="http://www.legislation.gov.uk/namespaces/legislation">'
           "<Contents><ContentsTitle>Example</ContentsTitle></Contents></Legislation>")
    with pytest.raises(DocumentError, match="table of contents"):
        read_xml(write(tmp_path, "contents.xml", toc))


# ---------------------------------------------------------------- HTML

PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8"><title>Cryptoasset rules - Example Regulator</title>
<meta name="description" content="Rules for firms">
<style>body { color: red }</style>
<script>document.write("INJECTED"); fetch("http://127.0.0.1:9/")</script>
</head><body>
<header class="site"><a href="/">Example Regulator home</a></header>
<nav><ul><li>Menu item</li></ul></nav>
<main><article>
<header><h1>Cryptoasset   rules</h1><p>Published 1&nbsp;May 2099</p></header>
<h2>1. Scope &amp; purpose</h2>
<p>These rules apply to <em>every</em>
   firm that&rsquo;s registered.</p>
<ul><li>First item</li><li>Second <b>item</b></li></ul>
<table><tr><th>Rule</th><th>Text</th></tr><tr><td>1.1</td><td><p>Keep records.</p></td></tr></table>
<p>Line one<br>Line two</p>
<pre>  keep
    this</pre>
<aside>Related links</aside>
<div hidden>Hidden text</div>
<noscript>Enable scripts</noscript>
</article></main>
<footer>Copyright notice</footer>
<script>var tracking = 1;</script>
</body></html>
"""


def test_html_body_text_and_structure(tmp_path, no_network):
    ex = read_html(write(tmp_path, "page.html", PAGE))
    assert ex.format == "html" and ex.units is None
    assert ex.meta["title"] == "Cryptoasset rules"  # <title> minus the site name that follows the <h1>
    assert ex.meta["description"] == "Rules for firms" and ex.meta["language"] == "en"
    lines = [ln for ln in ex.text.splitlines() if ln.strip()]
    assert lines == [
        "Cryptoasset rules",
        "Published 1 May 2099",
        "1. Scope & purpose",
        "These rules apply to every firm that’s registered.",
        "First item",
        "Second item",
        "Rule | Text",
        "1.1 | Keep records.",
        "Line one",
        "Line two",
        "  keep",
        "    this",
    ]
    for dropped in ("INJECTED", "color: red", "tracking", "Menu item", "Example Regulator home", "Related links",
                    "Hidden text", "Enable scripts", "Copyright notice"):
        assert dropped not in ex.text


def test_html_blocks_are_separated_by_blank_lines_and_items_by_newlines(tmp_path):
    ex = read_html(write(tmp_path, "p.html", "<p>One</p><p>Two</p><ul><li>a</li><li>b</li></ul>"))
    assert ex.text == "One\n\nTwo\n\na\nb\n"


def test_html_title_falls_back_to_h1_and_declared_charset_is_used(tmp_path):
    page = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head>' \
           "<body><h1>Caf\u00e9 \u2014 rules</h1><p>\u201cQuoted\u201d</p></body></html>"
    ex = read_html(write(tmp_path, "cp.html", page, encoding="cp1252"))
    assert ex.meta["title"] == "Caf\u00e9 \u2014 rules"
    assert "\u201cQuoted\u201d" in ex.text


def test_html_undeclared_non_utf8_is_read_as_windows_1252(tmp_path):
    ex = read_html(write(tmp_path, "old.html", "<p>\u2018smart\u2019 quotes</p>", encoding="cp1252"))
    assert ex.text.strip() == "\u2018smart\u2019 quotes" and ex.meta["encoding"] == "windows-1252"


def test_html_without_text_is_an_error(tmp_path):
    with pytest.raises(DocumentError, match="no text"):
        read_html(write(tmp_path, "empty.html", "<html><head><script>x()</script></head><body><nav>Home</nav></body></html>"))


def test_html_unknown_charset_is_an_error(tmp_path):
    with pytest.raises(DocumentError, match="unknown character encoding 'x-klingon'"):
        read_html(write(tmp_path, "k.html", '<meta charset="x-klingon"><p>Hi</p>'))


def test_dispatcher_sends_html_here(tmp_path):
    ex = read(write(tmp_path, "page.htm", PAGE))
    assert ex.format == "html" and "Keep records." in ex.text
