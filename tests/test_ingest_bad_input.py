"""Bad input: each case is reported by file name with the reason, the other documents still ingest, nothing
already stored is lost, and the command exits non-zero."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pdfgen import write_pdf

from crosswalk.cli import main
from crosswalk.ingest.pipeline import discover, ingest
from crosswalk.ingest.store import Store

GOOD_LINES = [
    "1.1 The regulator sets out its proposed rules for widget custody in this paper.",
    "1.2 Firms must keep records of every widget they hold for a client at all times.",
    "1.3 A firm must reconcile its records with the widgets it holds every business day.",
    "1.4 We will consult again on the rules for widget issuers later this year.",
    "1.5 Firms should tell clients how their widgets are held and protected from loss.",
    "1.6 This chapter does not apply to firms that hold no client widgets at all.",
]

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
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


def encrypted_pdf(path: Path, good: Path) -> Path:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=str(good))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def scanned_pdf(path: Path) -> Path:
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_blank_page(width=612, height=792)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


@pytest.fixture()
def folder(tmp_path) -> Path:
    """A user's folder: one good PDF, one good text file, and every kind of bad input."""
    d = tmp_path / "docs"
    d.mkdir()
    good = write_pdf(d / "good.pdf", [GOOD_LINES], title="Widget custody")
    (d / "good.md").write_text("# Widget rules\n\nFirms must protect client widgets.\n", encoding="utf-8")
    (d / "empty.txt").write_bytes(b"")
    (d / "corrupt.pdf").write_bytes(good.read_bytes()[: len(good.read_bytes()) // 3])
    encrypted_pdf(d / "locked.pdf", good)
    scanned_pdf(d / "scanned.pdf")
    (d / "junk.pdf").write_bytes(bytes(range(256)) * 40)
    (d / "laughs.xml").write_text(BILLION_LAUGHS, encoding="utf-8")
    (d / "latin1.txt").write_bytes("R\u00e8gles de garde des actifs num\u00e9riques".encode("latin-1"))
    (d / "huge.txt").write_text("Firms must keep records. " * 2000, encoding="utf-8")
    return d


EXPECTED_PROBLEMS = {
    "empty.txt": "empty file",
    "corrupt.pdf": "PDF",
    "locked.pdf": "password",
    "scanned.pdf": "no text layer",
    "junk.pdf": "not a readable PDF",
    "laughs.xml": "entit",
    "latin1.txt": "not UTF-8",
    "huge.txt": "size limit",
}


def test_each_bad_file_is_named_with_its_reason_and_the_good_ones_ingest(folder, tmp_path):
    with Store(tmp_path / "ws" / "crosswalk.db") as store:
        report = ingest(discover(folder, "UK"), store, workers=1, tag=False, max_bytes=20_000)
        failed = {Path(r.path).name: r.problem for r in report.failed}
        assert set(failed) == set(EXPECTED_PROBLEMS), report.summary()
        for name, fragment in EXPECTED_PROBLEMS.items():
            assert fragment.lower() in failed[name].lower(), (name, failed[name])
            assert name in report.summary()
        ingested = {Path(r.path).name for r in report.results if r.status == "ingested"}
        assert ingested == {"good.pdf", "good.md"}
        counts = store.count()
        assert counts["documents"] == 2 and counts["provisions"] >= 6
        failures = store.conn.execute("SELECT COUNT(*) FROM ingest_failures").fetchone()[0]
        assert failures == len(EXPECTED_PROBLEMS)


def test_a_document_that_turns_bad_keeps_what_was_stored(folder, tmp_path):
    db = tmp_path / "ws" / "crosswalk.db"
    only = tmp_path / "one"
    only.mkdir()
    (only / "rules.pdf").write_bytes((folder / "good.pdf").read_bytes())
    with Store(db) as store:
        first = ingest(discover(only, "UK"), store, workers=1, tag=False)
        assert not first.failed
        before = [(p.id, p.content_hash) for p in store.iter_provisions()]
        assert before
        (only / "rules.pdf").write_bytes(b"%PDF-1.4\n garbage that is no PDF at all")
        second = ingest(discover(only, "UK"), store, workers=1, tag=False)
        assert [Path(r.path).name for r in second.failed] == ["rules.pdf"]
        after = [(p.id, p.content_hash) for p in store.iter_provisions()]
        assert after == before


def test_cli_goes_on_past_failures_names_them_and_exits_non_zero(folder, tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["ingest", str(folder), "--jurisdiction", "UK", "--workspace", str(tmp_path / "ws"), "--no-tags",
         "--workers", "1", "--max-bytes", "20000"],
    )
    assert result.exit_code == 1, result.output
    out = result.output
    assert "2 ingested" in out and "8 failed" in out
    for name in EXPECTED_PROBLEMS:
        assert name in out
    assert "Traceback" not in out


def test_folder_without_manifest_needs_a_jurisdiction(folder, tmp_path):
    result = CliRunner().invoke(main, ["ingest", str(folder), "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 1
    assert "--jurisdiction" in result.output and "Traceback" not in result.output


def test_unknown_jurisdiction_is_one_line(folder, tmp_path):
    result = CliRunner().invoke(main, ["ingest", str(folder), "-j", "FR", "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 1
    assert "unknown jurisdiction 'FR'" in result.output and "US, UK, EU, INTL" in result.output


def test_reingesting_unchanged_documents_does_no_work(folder, tmp_path):
    only = tmp_path / "one"
    only.mkdir()
    (only / "rules.pdf").write_bytes((folder / "good.pdf").read_bytes())
    (only / "notes.md").write_text("# Notes\n\nFirms must protect client widgets.\n", encoding="utf-8")
    with Store(tmp_path / "ws" / "crosswalk.db") as store:
        first = ingest(discover(only, "UK"), store, workers=1, tag=False)
        assert [r.status for r in first.results] == ["ingested", "ingested"]
        second = ingest(discover(only, "UK"), store, workers=1, tag=False)
        assert [r.status for r in second.results] == ["unchanged", "unchanged"]
        (only / "notes.md").write_text("# Notes\n\nFirms must protect client widgets daily.\n", encoding="utf-8")
        third = ingest(discover(only, "UK"), store, workers=1, tag=False)
        assert sorted(r.status for r in third.results) == ["ingested", "unchanged"]


def test_metadata_comes_from_the_files_without_a_manifest(folder, tmp_path):
    only = tmp_path / "one"
    only.mkdir()
    (only / "custody rules.pdf").write_bytes((folder / "good.pdf").read_bytes())
    with Store(tmp_path / "ws" / "crosswalk.db") as store:
        report = ingest(discover(only, "uk"), store, workers=1, tag=False)
        assert not report.failed
        doc = store.documents()[0]
        assert doc["id"] == "UK-custody-rules"
        assert doc["jurisdiction"] == "UK"
        assert doc["title"] == "Widget custody"  # from the PDF's metadata
        assert doc["issuer"] == "Crosswalk tests"
