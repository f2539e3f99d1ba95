"""A whole run with `CROSSWALK_DATABASE_URL` set to a real PostgreSQL server: ingest, index, show, search, match,
review (the app's workbench), export and eval all work, the index files rebuild from the database, and nothing
is written to the workspace's SQLite file.

Documents: two small executive orders from ../shared/corpus (US, with their manifest rows) and a short UK text
written here.
"""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
from click.testing import CliRunner

from crosswalk.cli import main
from crosswalk.index import build as build_mod

US_DOCS = ("US-EO14178", "US-EO14233")
UK_TEXT = """Test rules on cryptoasset custody

1. A firm must hold qualifying cryptoassets for clients on trust and segregate them from its own assets.

2. The Treasury may establish a strategic reserve of digital assets, including bitcoin, held by government.
"""


@pytest.fixture()
def folders(tmp_path, corpus_dir):
    us = tmp_path / "us-docs"
    lines = (corpus_dir / "manifest.csv").read_text(encoding="utf-8").splitlines()
    rows = [lines[0]] + [line for line in lines[1:] if line.split(",", 1)[0] in US_DOCS]
    assert len(rows) == 1 + len(US_DOCS)
    for row in rows[1:]:
        name = row.split(",")[1]
        (us / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus_dir / name, us / name)
    (us / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    uk = tmp_path / "uk-docs"
    uk.mkdir()
    (uk / "UK-TEST-RULES.txt").write_text(UK_TEXT, encoding="utf-8")
    return us, uk


def run(*args: str):
    build_mod._LOADED.clear()
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.slow
def test_a_whole_run_on_postgresql_writes_nothing_to_sqlite(postgres, folders, tmp_path, monkeypatch):
    from crosswalk.workspace import Workspace
    from crosswalk.app_pages.workbench import Workbench

    url = postgres.new_database("team")
    monkeypatch.setenv("CROSSWALK_DATABASE_URL", url)
    root = tmp_path / "ws"
    w = ["-w", str(root)]
    us, uk = folders

    assert "2 ingested" in run("ingest", str(us), *w).output
    assert "1 ingested" in run("ingest", str(uk), "-j", "UK", *w).output
    indexed = run("index", *w).output
    assert "embedded" in indexed
    shown = run("show", "US-EO14233:sec.2", *w).output
    assert "Strategic Bitcoin Reserve" in shown or "US-EO14233:sec.2" in shown
    hits = json.loads(run("search", "strategic bitcoin reserve", "--json", "-k", "3", *w).stdout)
    assert hits and hits[0]["doc_id"] == "US-EO14233"
    assert "queue:" in run("match", "--from", "US", "--to", "UK", "--k", "1", *w).output

    # the index files are beside the app and rebuild from the database
    shutil.rmtree(root / "index")
    assert "embedded" in run("index", *w).output

    # review, as the app does it
    wb = Workbench(Workspace.resolve(root))
    try:
        status = wb.status()
        assert status.provisions > 10 and status.queued > 0 and status.decisions == 0
        slot = wb.queue_at(None, 0)
        cands = wb.candidates(slot.left_id, "UK")
        assert cands and cands[0].right_id == slot.right_id
        pair = wb.pair(slot.left_id, slot.right_id, cands[0])
        assert pair.history == ()
        wb.record(slot.left_id, slot.right_id, "intersects-with", "ana", note="reserve of digital assets")
        assert wb.progress() == (1, status.queued)
        assert wb.queue_at(None, 0, unreviewed_only=True).left_id != slot.left_id or status.queued == 1
        coverage = wb.coverage()
        assert sum(r["reviewed"] for r in coverage) >= 1 and all(isinstance(r["provisions"], int) for r in coverage)
        total, gaps = wb.gaps("US")
        assert total >= 1 and gaps[0]["status"] in ("no candidates", "not reviewed", "reviewed: no counterpart")
        assert wb.decision_rows(reviewers=["ana"])[0]["note"] == "reserve of digital assets"
        assert wb.facets().topics
    finally:
        wb.close()

    exported = run("export", "--format", "csv", *w).stdout
    (row,) = list(csv.DictReader(io.StringIO(exported)))
    assert (row["reviewer"], row["relationship"], row["focal_element"]) == ("ana", "intersects-with", slot.left_id)

    assert "evaluated" in run("eval", "--split", "test", "--retriever", "bm25", *w).output
    history = json.loads(run("eval", "--history", "--json", *w).stdout)
    assert history, "the evaluation history is in the database"

    assert not (root / "crosswalk.db").exists()
    assert not list(root.glob("crosswalk.db*"))
    wb = Workbench(Workspace.resolve(root))
    try:
        assert wb.evaluation().runs == len(history)  # the app's evaluation page reads the same history
    finally:
        wb.close()
    assert not (root / "crosswalk.db").exists()
