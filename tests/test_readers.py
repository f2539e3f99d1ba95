"""Readers: PDF cleaning on synthetic PDFs, text decoding, format sniffing, page numbers; real FCA PDFs open."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdfgen import write_pdf

from crosswalk.errors import DocumentError
from crosswalk.ingest.readers import read, sniff
from crosswalk.ingest.readers.text import parse_front_matter

HEADER = "Interim Report on Widget Custody and Safeguarding"
BODY = [
    "1.1 The Board of Gov-",
    "ernors shall publish the rules for widget custody every year.",
    "(1) A PPROPRIATE AGENCY.—The appropriate agency means the regulator.",
    "1.2 A self-",
    "custodial wallet is a wallet the holder controls; self-custodial keys stay with the holder.",
    "1.3 A firm must reconcile its records of client widgets every business day without fail.",
    "1.4 Firms should tell clients how their widgets are held and protected from any loss.",
]


@pytest.fixture(scope="module")
def paper(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pdf")
    pages = [
        [HEADER, *BODY, "1"],
        [HEADER, "Contents ........ 4", "2.1 Second page text on widget reserves and their management.", "2"],
        [HEADER, "3.1 Third page text about redemption of widgets at par value.", "3"],
    ]
    return write_pdf(d / "paper.pdf", pages, margins=[["12 USC 5901.", "Widget Act."], [], []], title="Widgets")


def test_pdf_text_is_cleaned_and_repaired(paper):
    e = read(paper)
    assert e.format == "pdf" and len(e.page_starts) == 3
    assert HEADER not in e.text  # running header on every page
    assert "Governors" in e.text and "Gov-" not in e.text  # hyphenation across lines
    assert "APPROPRIATE AGENCY" in e.text  # split small capitals joined (the word occurs elsewhere)
    assert "A self-custodial\nwallet" in e.text  # a real compound keeps its hyphen; the line keeps its place
    assert "12 USC 5901" not in e.text and "Widget Act." not in e.text  # margin notes
    assert "Contents" not in e.text  # dot-leader table of contents line
    assert "\n1\n" not in e.text and not e.text.rstrip().endswith("3")  # bare page numbers
    assert "1.4 Firms should tell clients" in e.text  # body lines at a page's foot stay
    assert e.meta["title"] == "Widgets" and e.meta["pages"] == 3


def test_page_of_offsets(paper):
    e = read(paper)
    assert e.page_of(0) == 1
    assert e.page_of(e.text.index("2.1 Second")) == 2
    assert e.page_of(e.text.index("3.1 Third")) == 3
    assert e.page_of(len(e.text) - 1) == 3


def test_reading_is_deterministic(paper):
    assert read(paper) == read(paper)


def test_real_fca_pdf_is_aes_encrypted_and_opens(corpus_dir):
    import pypdf

    path = corpus_dir / "uk" / "FCA_DP23-4.pdf"
    assert pypdf.PdfReader(str(path)).is_encrypted
    e = read(path)
    assert len(e.page_starts) == 110
    assert "stablecoin" in e.text.lower()


def test_genius_act_margin_notes_and_print_lines_removed(corpus_dir):
    e = read(corpus_dir / "us" / "PLAW-119publ27.pdf")
    assert "VerDate" not in e.text
    assert "12 USC 5901 \nnote" not in e.text and "\n12 USC 5901.\n" not in e.text
    assert "(1) APPROPRIATE FEDERAL BANKING AGENCY" in e.text
    assert "Board of Governors" in e.text


@pytest.mark.parametrize(
    "name, head, fmt",
    [
        ("a.pdf", b"%PDF-1.7\n", "pdf"),
        ("a.bin", b"%PDF-1.4\n", "pdf"),
        ("a.xml", b"<?xml version='1.0'?><Legislation/>", "xml"),
        ("a.html", b"<!DOCTYPE html><html>", "html"),
        ("page", b"  <html><body>", "html"),
        ("notes.md", b"# Title", "md"),
        ("notes.txt", b"Plain", "txt"),
    ],
)
def test_sniff(name, head, fmt):
    assert sniff(Path(name), head) == fmt


def test_text_reader_front_matter_keeps_offsets(tmp_path):
    src = "---\ntitle: Order on widgets\nsource_url: https://example.gov/x\n---\n# Heading\n\nSec. 1. Purpose.\n"
    meta, body = parse_front_matter(src)
    assert meta["title"] == "Order on widgets" and meta["source_url"] == "https://example.gov/x"
    assert len(body) == len(src) and body.index("Sec. 1.") == src.index("Sec. 1.")
    f = tmp_path / "order.md"
    f.write_text(src, encoding="utf-8")
    e = read(f)
    assert e.format == "md" and e.meta["title"] == "Order on widgets"


def test_markdown_reader_drops_wrapped_tags_and_link_addresses_but_keeps_brackets(tmp_path):
    f = tmp_path / "page.md"
    f.write_text('# Page\n\n<a\nhref="https://x.gov/r.pdf"\nid="f">Report</a> says so ([Smith\n2025](https://ssrn.com/a?b=(1))).\n'
                 "Sec. 4 [Reserved]. See [1](a) and \\[2\\].\n", encoding="utf-8")
    text = read(f).text
    assert text == "# Page\n\nReport says so (Smith\n2025).\nSec. 4 [Reserved]. See [1](a) and [2].\n"


def test_text_reader_drops_bom_and_normalises_newlines(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes("\ufeffLine one\r\nLine two\r".encode("utf-8"))
    assert read(f).text == "Line one\nLine two\n"


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"", "empty file"),
        (b"   \n\t\n", "only white space"),
        ("caf\u00e9".encode("latin-1"), "byte 0xe9 at offset 3"),
        (b"abc\x00def", "NUL"),
    ],
)
def test_text_reader_errors_name_the_problem(tmp_path, data, fragment):
    f = tmp_path / "bad.txt"
    f.write_bytes(data)
    with pytest.raises(DocumentError) as err:
        read(f)
    assert fragment in str(err.value) and "bad.txt" in str(err.value)


def test_size_limit_names_value_and_fix(tmp_path):
    f = tmp_path / "big.txt"
    f.write_text("x" * 5000)
    with pytest.raises(DocumentError) as err:
        read(f, max_bytes=1000)
    msg = str(err.value)
    assert "5,000 bytes" in msg and "1,000" in msg and "--max-bytes" in msg
