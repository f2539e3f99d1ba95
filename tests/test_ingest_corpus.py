"""The whole corpus through the real pipeline (readers, splitters, spaCy tagging, SQLite), once per session."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from crosswalk.cli import main
from crosswalk.ingest.pipeline import discover, ingest
from crosswalk.ingest.store import Store


def test_every_manifest_document_ingests_with_counts(corpus_ingest, corpus_dir):
    from crosswalk.ingest.sources import load_manifest

    listed = load_manifest(corpus_dir)
    ws, report = corpus_ingest
    assert len(report.results) == len(listed) and not report.failed
    assert [r.source.id for r in report.results] == [s.id for s in listed]
    counts = {r.source.id: len(r.provisions) for r in report.results}
    assert all(n > 0 for n in counts.values()), counts
    assert counts["UK-FCA-CP25-14"] > 1000 and counts["EU-MICA-2023-1114"] > 1500
    assert f"{len(listed)} ingested" in report.summary()


def test_fsma_2023_and_23_nycrr_500_each_through_its_own_splitter(corpus_ingest, corpus_store):
    ws, report = corpus_ingest
    by_id = {r.source.id: r.splitter for r in report.results}
    assert by_id["UK-UKPGA-2023-29-FSMA2023"] == "ukleg"
    assert by_id["US-NYDFS-23NYCRR500-2017"] == "nycrr"
    fsma = corpus_store.document("UK-UKPGA-2023-29-FSMA2023")
    assert "https://www.legislation.gov.uk/ukpga/2023/29/data.xml" in fsma["note"]
    assert "split in two" in corpus_store.document("US-NYDFS-23NYCRR500-2017")["note"]
    p = corpus_store.get("UK-UKPGA-2023-29-FSMA2023:s.69(4)(a)")
    assert p.heading_path == ("Part 6 Miscellaneous", "Amendments to FSMA 2000", "s.69 Cryptoassets")
    assert "cryptographically secured digital" in p.text
    n = corpus_store.get("US-NYDFS-23NYCRR500-2017:500.17(a)")
    assert n.title == "Notice of Cybersecurity Event" and "72 hours" in n.text
    assert n.heading_path[-1] == "500.17 Notices to Superintendent"


def test_show_prints_the_quality_note_with_the_clml_link(corpus_ingest):
    ws, _ = corpus_ingest
    out = CliRunner().invoke(main, ["show", "UK-UKPGA-2023-29-FSMA2023:s.69(4)(a)", "-w", str(ws.root)])
    assert out.exit_code == 0, out.output
    assert "note     : " in out.output and "ukpga/2023/29/data.xml" in out.output
    assert "Part 6 Miscellaneous › Amendments to FSMA 2000 › s.69 Cryptoassets" in out.output


def test_genius_act_sections_one_to_twenty_with_subsections(corpus_store):
    provs = corpus_store.iter_provisions(doc_id="US-PL119-27-GENIUS")
    sections = [p.citation for p in provs if p.parent_id is None and p.citation.startswith("sec.")]
    assert sections == [f"sec.{n}" for n in range(1, 21)]
    kids = {p.citation for p in corpus_store.children("US-PL119-27-GENIUS:sec.4")}
    assert {"sec.4(a)", "sec.4(b)"} <= kids
    p = corpus_store.get("US-PL119-27-GENIUS:sec.4(a)(11)")
    assert p.title.lower() == "prohibition on interest"
    assert p.page_start == p.page_end == 14


def test_mica_recitals_and_149_articles(corpus_store):
    provs = corpus_store.iter_provisions(doc_id="EU-MICA-2023-1114")
    articles = [p.citation for p in provs if re.fullmatch(r"art\.\d+", p.citation)]
    assert articles == [f"art.{n}" for n in range(1, 150)]
    recitals = [int(p.citation.split(".")[1]) for p in provs if p.citation.startswith("recital.")]
    assert recitals == list(range(1, len(recitals) + 1)) and len(recitals) > 100
    assert corpus_store.get("EU-MICA-2023-1114:art.36(1)(a)").parent_id == "EU-MICA-2023-1114:art.36(1)"


def test_cp25_14_paragraphs_and_rules_of_crypto2_cass16_cass17(corpus_store):
    provs = corpus_store.iter_provisions(doc_id="UK-FCA-CP25-14")
    cites = {p.citation for p in provs}
    assert "para.3.70" in cites and "para.1.1" in cites
    for book in ("CRYPTO 2.", "CASS 16.", "CASS 17."):
        rules = [c for c in cites if c.startswith(book) and re.search(r"\d+\.\d+\.\d+[RGED]$", c)]
        assert len(rules) >= 10, (book, len(rules))
    rule = corpus_store.get("UK-FCA-CP25-14:CASS 16.2.13R")
    assert rule.parent_id == "UK-FCA-CP25-14:CASS_16.2"
    assert "not permitted to pay interest" in rule.text


def test_provisions_are_tagged_with_entities_and_topics(corpus_store):
    p = corpus_store.get("US-PL119-27-GENIUS:sec.4(a)(11)")
    labels = {e.label for e in p.entities}
    assert {"CRYPTO_ASSET", "OBLIGATION"} <= labels, labels
    assert "stablecoin" in p.topics
    for e in p.entities:
        assert p.text[e.start : e.end] == e.text
    n = corpus_store.count()
    assert n["entities"] > n["provisions"]


def test_reingesting_the_unchanged_corpus_does_no_work(corpus_workspace, corpus_dir):
    with Store(corpus_workspace.db_path) as store:
        before = store.corpus_hash()
        report = ingest(discover(corpus_dir), store)
        assert {r.status for r in report.results} == {"unchanged"}
        assert store.corpus_hash() == before


def test_show_prints_a_provision_with_its_context(corpus_workspace):
    runner = CliRunner()
    corpus_workspace = corpus_workspace.root
    out = runner.invoke(main, ["show", "UK-FCA-CP25-14:CASS 16.2.13R", "-w", str(corpus_workspace)])
    assert out.exit_code == 0, out.output
    assert "UK-FCA-CP25-14:CASS_16.2.13R" in out.output and "parent   : UK-FCA-CP25-14:CASS_16.2" in out.output
    assert "p. 167" in out.output
    js = runner.invoke(main, ["show", "US-PL119-27-GENIUS:sec.4(a)", "--json", "-w", str(corpus_workspace)])
    data = json.loads(js.stdout)
    assert data["parent_id"] == "US-PL119-27-GENIUS:sec.4"
    assert "US-PL119-27-GENIUS:sec.4(a)(11)" in data["children"]
    assert data["document"]["official_url"].startswith("https://www.govinfo.gov/")
    missing = runner.invoke(main, ["show", "US-PL119-27-GENIUS:sec.99", "-w", str(corpus_workspace)])
    # a unit the document lacks is named, with the nearest units, never a traceback
    assert missing.exit_code == 1 and "no section 99" in missing.output and "Traceback" not in missing.output
    assert "US-PL119-27-GENIUS:sec.20" in missing.output
