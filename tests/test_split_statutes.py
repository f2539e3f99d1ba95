"""Golden tests on the real files for the UK Act text splitter (`ukleg`, FSMA 2023) and the NYCRR splitter
(`nycrr`, 23 NYCRR 500), the split-word repair, and a CLML/text fixture pair that must give the same citations.

The corpus files are read once per module; nothing of their text is kept in the repository.
"""

from __future__ import annotations

import re

import pytest

from crosswalk.ingest import readers, splitters
from crosswalk.ingest.models import Extracted, Source
from crosswalk.ingest.readers.rejoin import splits
from crosswalk.ingest.readers.xml import read_xml
from crosswalk.ingest.splitters.base import uncovered

FSMA = "UK-UKPGA-2023-29-FSMA2023"
NYCRR = "US-NYDFS-23NYCRR500-2017"


@pytest.fixture(scope="module")
def sources(corpus_dir):
    from crosswalk.ingest.sources import load_manifest

    return {s.id: s for s in load_manifest(corpus_dir)}


@pytest.fixture(scope="module")
def fsma(corpus_dir, sources):
    src = sources[FSMA]
    extracted = splitters.prepare(src, readers.read(corpus_dir / src.file))
    result = splitters.split(src, extracted)
    return src, extracted, result, {u.citation: u for u in result.units}


@pytest.fixture(scope="module")
def nycrr_doc(corpus_dir, sources):
    src = sources[NYCRR]
    raw = readers.read(corpus_dir / src.file)
    extracted = splitters.prepare(src, raw)
    result = splitters.split(src, extracted)
    return src, raw, extracted, result, {u.citation: u for u in result.units}


# ---------------------------------------------------------------- FSMA 2023


def test_fsma_goes_through_the_uk_act_text_splitter(fsma):
    src, extracted, _, _ = fsma
    assert splitters.choose(src, extracted) == "ukleg"


def test_fsma_has_every_section_in_order_to_the_short_title(fsma):
    _, extracted, result, units = fsma
    sections = [u.citation for u in result.units if u.kind == "section"]
    last = int(sections[-1].split(".")[1])
    assert sections == [f"s.{n}" for n in range(1, last + 1)]
    assert last >= 86 and units[sections[-1]].title == "Short title"
    assert "may be cited as the Financial Services and Markets Act 2023" in units[sections[-1]].text
    # the number of sections is the number of top-level labels that the body prints in sequence
    body = extracted.text[: extracted.text.index("## SCHEDULES")]
    printed = re.findall(r"^(\d+)$", body, re.M)
    assert printed[-1] == str(last)


def test_fsma_subsections_and_paragraphs(fsma):
    _, _, _, units = fsma
    for cite in ("s.69(1)", "s.69(4)", "s.69(4)(a)", "s.69(4)(b)", "s.23(1)(b)(i)", "s.23(2)(a)", "s.22(a)"):
        assert cite in units, cite
    assert units["s.69(4)(a)"].parent == "s.69(4)" and units["s.69(4)"].parent == "s.69"
    assert units["s.69(4)"].kind == "subsection" and units["s.69(4)(a)"].kind == "paragraph"
    assert units["s.23(1)(b)(i)"].kind == "sub-paragraph"
    assert units["s.69"].title == "Cryptoassets"
    assert units["s.69(4)(a)"].heading_path == ("Part 6 Miscellaneous", "Amendments to FSMA 2000", "s.69 Cryptoassets")
    assert units["s.1"].heading_path[0] == "Part 1 Regulatory framework"
    assert "cryptographically secured digital" in units["s.69(4)(a)"].text
    assert "digital settlement asset" in units["s.23(2)"].text


def test_fsma_inserted_text_stays_in_the_provision_that_inserts_it(fsma):
    _, _, result, units = fsma
    cites = {u.citation for u in result.units}
    # s.69(4)(b) inserts subsection (5) into FSMA 2000 s.417; s.8(2) inserts sections 71K ff. into FSMA 2000
    assert "s.69(4)(b)(5)" not in cites and not any(c.startswith("s.8(2)(") for c in cites)
    assert "The Treasury may by regulations amend the definition" in units["s.69(4)(b)"].text
    assert "71K" in units["s.8(2)"].text and "designated activity" in units["s.8(2)"].text
    # the inserted Part's headings do not enter the heading path of the sections after it
    assert all("Designated activities" != h for h in units["s.9"].heading_path[-1:])


def test_fsma_schedules_in_order_with_their_enabling_sections(fsma):
    _, extracted, result, units = fsma
    schedules = [u for u in result.units if u.kind == "schedule"]
    assert [u.citation for u in schedules] == [f"sch.{n}" for n in range(1, len(schedules) + 1)]
    assert len(schedules) >= 14
    for u in schedules:
        assert re.search(r"^\s*Sections? \d+\s*$", u.text, re.M), u.citation
    assert units["sch.6"].title == "Digital settlement assets" and "Section 22" in units["sch.6"].text
    p = units["sch.6 para.4(1)"]
    assert p.parent == "sch.6 para.4" and units["sch.6 para.4"].parent == "sch.6"
    assert p.heading_path == ("Schedule 6 Digital settlement assets", "Part 1 Amendments to the Banking Act 2009")
    # the schedule's paragraphs that insert new sections of the Banking Act 2009 keep them
    assert "sch.6 para.9(184A)" not in units and "184A" in units["sch.6 para.9"].text


def test_fsma_every_character_lands_once_and_the_note_links_the_clml(fsma):
    _, extracted, result, _ = fsma
    assert uncovered(extracted.text, result) == []
    assert {r for *_, r in result.excluded} <= {"front matter", "heading"}
    assert "https://www.legislation.gov.uk/ukpga/2023/29/data.xml" in result.note
    assert "Revocation of" in result.note  # the dangling heading of s.1, as the reader finds it


# ---------------------------------------------------------------- 23 NYCRR 500


def test_nycrr_goes_through_its_own_splitter(nycrr_doc):
    src, raw, extracted, _, _ = nycrr_doc
    assert splitters.choose(src, raw) == "nycrr"


def test_nycrr_sections_500_0_to_500_23_with_subdivisions(nycrr_doc):
    *_, result, units = nycrr_doc
    sections = [u.citation for u in result.units if u.kind == "section"]
    assert sections == [f"500.{n}" for n in range(0, 24)]
    definitions = [c for c in units if re.fullmatch(r"500\.1\([a-z]\)", c)]
    assert definitions == [f"500.1({c})" for c in "abcdefghijklmn"]
    assert "Person means" in units["500.1(i)"].text and units["500.1(i)"].kind == "subdivision"
    assert units["500.1(j)(1)(i)"].parent == "500.1(j)(1)"
    assert [c for c in units if c.startswith("500.11(")] == [
        "500.11(a)", "500.11(a)(1)", "500.11(a)(2)", "500.11(a)(3)", "500.11(a)(4)",
        "500.11(b)", "500.11(b)(1)", "500.11(b)(2)", "500.11(b)(3)", "500.11(b)(4)", "500.11(c)"]
    a = units["500.17(a)"]
    assert a.title == "Notice of Cybersecurity Event" and "72 hours" in a.text
    assert a.heading_path == ("Part 500 Cybersecurity Requirements for Financial Services Companies",
                              "500.17 Notices to Superintendent")
    assert units["500.3"].title == "Cybersecurity Policy"  # its heading is broken over two lines in the PDF
    assert {"app.A", "app.B"} <= set(units)


def test_nycrr_split_words_joined_and_footnote_left_out(nycrr_doc):
    _, raw, extracted, result, units = nycrr_doc
    assert "impleme nt" in raw.text and "writ ten" in raw.text
    assert "shall implement written policies and" in " ".join(units["500.11(a)"].text.split())
    assert "This regulation will be enforced by the superintendent pursuant to, and is not intended to limit" in (
        " ".join(units["500.20"].text.split()))
    assert len(extracted.text) < len(raw.text) and len(extracted.page_starts) == len(raw.page_starts)
    assert not any("not an official version" in u.text for u in result.units)
    assert any(r == "footnote" for *_, r in result.excluded)
    assert uncovered(extracted.text, result) == []
    assert "split in two" in result.note


def test_nycrr_page_offsets_follow_the_joined_text(nycrr_doc):
    _, raw, extracted, _, _ = nycrr_doc
    for before, after in zip(raw.page_starts, extracted.page_starts):
        assert raw.text[before : before + 40].split()[:3] == extracted.text[after : after + 40].split()[:3]


# ---------------------------------------------------------------- the split-word repair


@pytest.mark.parametrize(
    "text, joined",
    [
        ("shall impleme nt writ ten policie s. A written plan and policies to implement", ["implement", "written", "policies"]),
        ("This regulati on will be enforce d b y the regulation, enforced by law", ["regulation", "enforced", "by"]),
        ("one of it s Affiliates and its staff", ["its"]),
        ("go in to the room and a void in it, into it, to avoid it", []),  # two words each: left apart
        ("a real boundary: any one may ask, and anyone may answer", []),
        ("the Covered Entit y’s programme", ["Entity"]),
    ],
)
def test_split_words_are_joined_only_when_a_fragment_makes_a_word(text, joined):
    assert [w for _, w in splits(text)] == joined


# ---------------------------------------------------------------- CLML and the text extraction agree

CLML = """<?xml version="1.0" encoding="UTF-8"?>
<Legislation xmlns="http://www.legislation.gov.uk/namespaces/legislation"
    xmlns:ukm="http://www.legislation.gov.uk/namespaces/metadata" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <ukm:Metadata><dc:title>Example Markets Act 2099</dc:title>
    <ukm:PrimaryMetadata><ukm:DocumentClassification>
      <ukm:DocumentMainType Value="UnitedKingdomPublicGeneralAct"/></ukm:DocumentClassification></ukm:PrimaryMetadata>
  </ukm:Metadata>
  <Primary>
    <PrimaryPrelims><Title>Example Markets Act 2099</Title></PrimaryPrelims>
    <Body>
      <Part><Number>PART 1</Number><Title>Regulatory framework</Title>
        <P1group><Title>Digital assets</Title>
          <P1><Pnumber>1</Pnumber><P1para>
            <P2><Pnumber>1</Pnumber><P2para><Text>The Treasury may make regulations about—</Text>
              <P3><Pnumber>a</Pnumber><P3para><Text>digital settlement assets, and</Text></P3para></P3>
              <P3><Pnumber>b</Pnumber><P3para><Text>their issuers, including—</Text>
                <P4><Pnumber>i</Pnumber><P4para><Text>custodians, and</Text></P4para></P4>
                <P4><Pnumber>ii</Pnumber><P4para><Text>payment systems.</Text></P4para></P4>
              </P3para></P3>
            </P2para></P2>
            <P2><Pnumber>2</Pnumber><P2para><Text>In section 417 of FSMA 2000 at end insert—</Text>
              <BlockAmendment><P2><Pnumber>5</Pnumber><P2para><Text>The Treasury may amend the definition.</Text>
              </P2para></P2></BlockAmendment></P2para></P2>
          </P1para></P1>
        </P1group>
      </Part>
      <Part><Number>PART 2</Number><Title>General</Title>
        <P1group><Title>Short title</Title>
          <P1><Pnumber>2</Pnumber><P1para><Text>This Act may be cited as the Example Markets Act 2099.</Text></P1para></P1>
        </P1group>
      </Part>
    </Body>
    <Schedules><Title>SCHEDULES</Title>
      <Schedule><Number>SCHEDULE 1</Number><Reference>Section 1</Reference><TitleBlock><Title>Digital assets</Title></TitleBlock>
        <ScheduleBody>
          <P1><Pnumber>1</Pnumber><P1para><Text>The Banking Act 2009 is amended as follows.</Text></P1para></P1>
          <P1><Pnumber>2</Pnumber><P1para>
            <P2><Pnumber>1</Pnumber><P2para><Text>In section 181—</Text>
              <P3><Pnumber>a</Pnumber><P3para><Text>for “systems” substitute “systems and providers”;</Text></P3para></P3>
            </P2para></P2>
          </P1para></P1>
        </ScheduleBody>
      </Schedule>
    </Schedules>
  </Primary>
</Legislation>
"""

TEXT = """Title: Example Markets Act 2099
Date: 2099-01-01
Publisher: Statute Law Database
Identifier: http://www.legislation.gov.uk/ukpga/2099/1

## Example Markets Act 2099

### Regulatory framework

#### Digital assets

1

1.1

The Treasury may make regulations about—

1.1.a

digital settlement assets, and

1.1.b

their issuers, including—

1.1.b.i

custodians, and

1.1.b.ii

payment systems.

1.2

In section 417 of FSMA 2000 at end insert—

1.2.5

The Treasury may amend the definition.

### General

#### Short title

2

This Act may be cited as the Example Markets Act 2099.

## SCHEDULES

Digital assets

Section 1

1

The Banking Act 2009 is amended as follows.

2

2.1

In section 181—

2.1.a

for “systems” substitute “systems and providers”;
"""


def test_clml_reader_and_text_splitter_give_the_same_citations(tmp_path):
    xml = tmp_path / "act.xml"
    xml.write_text(CLML, encoding="utf-8")
    from_clml = read_xml(xml)
    extracted = Extracted(text=TEXT, format="txt")
    src = Source(id="UK-EXAMPLE-2099", jurisdiction="UK")
    assert splitters.choose(src, extracted) == "ukleg"
    from_text = splitters.split(src, extracted)
    clml_cites = [u.citation for u in from_clml.units]
    text_cites = [u.citation for u in from_text.units]
    assert text_cites == clml_cites
    assert "s.1(2)(5)" not in text_cites  # the quoted subsection stays in s.1(2) both ways
    by_clml = {u.citation: u for u in from_clml.units}
    by_text = {u.citation: u for u in from_text.units}
    for cite in ("s.1(1)(b)(i)", "sch.1 para.2(1)(a)"):
        assert by_text[cite].parent == by_clml[cite].parent
        assert by_text[cite].kind == by_clml[cite].kind
    assert by_text["s.1(1)(a)"].heading_path == by_clml["s.1(1)(a)"].heading_path
    assert uncovered(TEXT, from_text) == []
