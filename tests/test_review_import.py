"""`crosswalk decisions import`: a firm's crosswalk spreadsheet (CSV or XLSX) becomes decisions. Bad rows are
named with their line and skipped, the good ones land in one transaction per batch, nothing stored before is
lost, and the command exits non-zero when any row failed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from app_fixture import build_store
from crosswalk.cli import main
from crosswalk.errors import ConfigError, NotFoundError
from crosswalk.workspace import Workspace
from crosswalk.ingest.store import Store
from crosswalk.review.decisions import DecisionStore, NewDecision
from crosswalk.review.export import export
from crosswalk.review.importer import import_decisions, parse_relationship, read_table

SEC4C = "US-TEST-STABLE:sec.4(c)"
SEC7 = "US-TEST-STABLE:sec.7"
SEC6 = "US-TEST-STABLE:sec.6"
R933 = "UK-TEST-CRYPTO:CRYPTO_2.4.33R"
C1721 = "UK-TEST-CRYPTO:CASS_17.2.1R"
MLR19 = "UK-TEST-MLR:reg.19"


@pytest.fixture()
def ws(tmp_path):
    ws = Workspace(tmp_path / "ws").ensure()
    build_store(ws)
    return ws


def run_import(ws, path, **kw):
    with DecisionStore(ws.db_path) as ds, Store(ws.db_path, readonly=True) as store:
        return import_decisions(path, ds, store, **kw)


def rows_of(ws):
    with DecisionStore(ws.db_path) as ds:
        return ds.all()


GOOD_AND_BAD = (
    "left_id,right_id,relationship,note\r\n"                                    # line 1
    f"{SEC4C},UK-TEST-CRYPTO:CRYPTO 2.4.33R,Equal,\"no yield, no interest\"\r\n"  # 2: id with a space, alias
    f"{SEC7},{C1721},subset of,custody\r\n"                                     # 3
    f"{SEC6},UK-TEST-MLR:reg.99,equal,\r\n"                                     # 4: unknown id
    f"{SEC6},{MLR19},related,\r\n"                                              # 5: unknown relationship
    "\r\n"                                                                      # 6: blank, skipped
    f"{SEC6},{MLR19},,\r\n"                                                     # 7: empty relationship
    f"{SEC7},{C1721},equal,again\r\n"                                           # 8: the pair repeats line 3
    f"{SEC6},{SEC6},equal,\r\n"                                                 # 9: mapped to itself
    f"{SEC6},{MLR19},INTERSECTS_WITH\r\n"                                       # 10: short row, note missing: fine
)


def test_good_rows_import_bad_rows_are_named_and_nothing_stored_is_lost(ws, tmp_path):
    with DecisionStore(ws.db_path) as ds:
        before = ds.record(SEC4C, R933, "not-related", "ana", note="first look")
    path = tmp_path / "firm.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD_AND_BAD.encode("utf-8"))  # UTF-8 with a BOM, CRLF: a spreadsheet's CSV
    report = run_import(ws, path, reviewer="bea")
    assert [p.line for p in report.problems] == [4, 5, 7, 8, 9]
    text = {p.line: p.problem for p in report.problems}
    assert "unknown right_id 'UK-TEST-MLR:reg.99'" in text[4]
    assert "unknown relationship 'related'" in text[5] and "subset-of" in text[5]
    assert "relationship is empty" in text[7]
    assert "repeats line 3" in text[8]
    assert "mapped to itself" in text[9]
    assert (report.imported, report.unchanged, report.rows, report.ok) == (3, 0, 8, False)
    assert "imported 3 decisions from firm.csv" in report.summary()
    assert "5 rows failed (lines 4, 5, 7, 8, 9)" in report.summary()
    stored = rows_of(ws)
    assert stored[0] == before  # the earlier decision is untouched
    new = {(d.left_id, d.right_id): d for d in stored[1:]}
    assert {k: (d.relationship, d.reviewer, d.note) for k, d in new.items()} == {
        (SEC4C, R933): ("equal", "bea", "no yield, no interest"),
        (SEC7, C1721): ("subset-of", "bea", "custody"),
        (SEC6, MLR19): ("intersects-with", "bea", ""),
    }
    assert all(d.left_hash and d.right_hash for d in new.values())


def test_command_names_each_bad_row_and_exits_non_zero(ws, tmp_path):
    path = tmp_path / "firm.csv"
    path.write_text(GOOD_AND_BAD, encoding="utf-8")
    out = CliRunner().invoke(main, ["decisions", "import", str(path), "-w", str(ws.root)])
    assert out.exit_code == 1
    for line in (4, 5, 7, 8, 9):
        assert f"firm.csv:{line}: " in out.output
    last = out.output.strip().splitlines()[-1]
    assert last.startswith("imported 3 decisions from firm.csv") and "5 rows failed" in last
    assert {d.reviewer for d in rows_of(ws)} == {"import:firm.csv"}  # no --reviewer, no reviewer column

    dry = CliRunner().invoke(main, ["decisions", "import", str(path), "-w", str(ws.root), "--dry-run"])
    assert dry.exit_code == 1 and "would import 0 decisions" in dry.output and "3 unchanged" in dry.output
    assert len(rows_of(ws)) == 3

    clean = tmp_path / "clean.csv"
    clean.write_text(f"left_id,right_id,relationship\n{SEC7},{C1721},superset-of\n", encoding="utf-8")
    trial = CliRunner().invoke(main, ["decisions", "import", str(clean), "-w", str(ws.root), "--reviewer", "cy",
                                      "--dry-run"])
    assert trial.exit_code == 0 and "would import 1 decision from clean.csv" in trial.output
    assert len(rows_of(ws)) == 3
    ok = CliRunner().invoke(main, ["decisions", "import", str(clean), "-w", str(ws.root), "--reviewer", "cy"])
    assert ok.exit_code == 0, ok.output
    assert "imported 1 decision from clean.csv" in ok.output


def test_xlsx_with_title_rows_export_columns_and_numbers(ws, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Mapping"
    sheet.append(["Firm X — US/UK crypto crosswalk"])                       # row 1: a title
    sheet.append([])                                                       # row 2
    sheet.append(["Focal Element", "Focal Text", "Relationship", "Reference Element", "Rationale", "Strength",
                  "Comments", "Reviewer"])                                 # row 3: the header
    sheet.append([SEC4C, "…", "equal", R933, "Semantic", 8.0, "'=same effect", "dan"])  # row 4
    sheet.append([SEC7, "…", "Superset-Of", C1721, "functional", 11, "", "dan"])        # row 5: strength 11
    sheet.append([SEC6, "…", "not_related", MLR19, "", None, "", ""])                   # row 6: reviewer empty
    sheet.append(["US-NOPE:sec.1", "…", "equal", MLR19, "", None, "", "dan"])           # row 7: unknown id
    path = tmp_path / "firm.xlsx"
    book.save(path)
    report = run_import(ws, path)
    assert [(p.line, p.problem.split(" ")[0]) for p in report.problems] == [(5, "strength"), (7, "unknown")]
    got = {(d.left_id, d.right_id): d for d in rows_of(ws)}
    first = got[(SEC4C, R933)]
    assert (first.relationship, first.rationale, first.strength, first.note, first.reviewer) == (
        "equal", "semantic", 8, "=same effect", "dan")  # the export's formula guard is taken off again
    assert got[(SEC6, MLR19)].relationship == "not-related"
    assert got[(SEC6, MLR19)].reviewer == "import:firm.xlsx"


def test_export_then_import_round_trips_and_a_second_import_adds_nothing(ws, tmp_path):
    with DecisionStore(ws.db_path) as ds:
        ds.record(SEC4C, R933, "equal", "ana", rationale="semantic", strength=7, note="+ no yield")
        ds.record(SEC7, C1721, "subset-of", "bea", note="line one\nline two")
    for fmt in ("csv", "xlsx"):
        with DecisionStore(ws.db_path) as ds, Store(ws.db_path, readonly=True) as store:
            data = export(store, ds.current(), fmt)
        path = tmp_path / f"crosswalk.{fmt}"
        path.write_bytes(data)
        again = run_import(ws, path)
        assert (again.imported, again.unchanged, again.ok) == (0, 2, True), again.problems
    fresh = Workspace(tmp_path / "fresh").ensure()
    build_store(fresh)
    report = run_import(fresh, tmp_path / "crosswalk.csv")
    assert report.imported == 2 and report.ok
    key = lambda ds: sorted((d.left_id, d.right_id, d.relationship, d.rationale, d.strength, d.note, d.reviewer)  # noqa: E731
                            for d in ds)
    with DecisionStore(ws.db_path) as a, DecisionStore(fresh.db_path) as b:
        assert key(a.current()) == key(b.current())


def test_utf16_semicolons_and_batches(ws, tmp_path):
    text = ("left_id;right_id;relationship;note\n"
            f"{SEC4C};{R933};equal;é\n{SEC7};{C1721};subset-of;\n{SEC6};{MLR19};intersects-with;\n")
    path = tmp_path / "unicode.txt"
    path.write_bytes(text.encode("utf-16"))
    report = run_import(ws, path, reviewer="eve", batch=2)
    assert report.imported == 3 and report.ok
    assert [d.note for d in rows_of(ws)][0] == "é"


def test_unreadable_files_are_errors_naming_the_file(ws, tmp_path):
    with pytest.raises(ConfigError, match="no crosswalk file at"):
        run_import(ws, tmp_path / "missing.csv")
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(ConfigError, match="cannot read XLSX file .*broken.xlsx"):
        run_import(ws, bad)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("left_id,right_id,relationship,note\nUS,UK,equal,caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        run_import(ws, latin)
    headless = tmp_path / "headless.csv"
    headless.write_text(f"{SEC4C},{R933},equal\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no header row"):
        read_table(headless)
    legacy = tmp_path / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0")
    out = CliRunner().invoke(main, ["decisions", "import", str(legacy), "-w", str(ws.root)])
    assert out.exit_code == 1 and "save it as .xlsx" in out.output
    assert rows_of(ws) == []


def test_record_many_is_all_or_nothing(ws):
    with DecisionStore(ws.db_path) as ds:
        with pytest.raises(NotFoundError, match="decision 2 of 2"):
            ds.record_many([NewDecision(SEC4C, R933, "equal", "ana"), NewDecision(SEC7, "UK-NOPE:x", "equal", "ana")])
        assert ds.count() == 0
        stored = ds.record_many([NewDecision(SEC4C, R933, "equal", "ana"), NewDecision(SEC7, C1721, "unsure", "ana")])
        assert [d.seq for d in stored] == [1, 2] and ds.count() == 2


@pytest.mark.parametrize("cell,expected", [
    ("equal", "equal"), ("Equivalent", "equal"), ("subset-of", "subset-of"), ("SUBSET_OF", "subset-of"),
    ("  superset   of ", "superset-of"), ("Intersects With", "intersects-with"), ("not related", "not-related"),
    ("Unsure", "unsure"),
])
def test_relationship_spellings(cell, expected):
    assert parse_relationship(cell) == expected


@pytest.mark.parametrize("cell", ["related", "similar", "", "equal-ish"])
def test_ambiguous_relationships_are_refused(cell):
    with pytest.raises(ConfigError, match="unknown relationship"):
        parse_relationship(cell)

