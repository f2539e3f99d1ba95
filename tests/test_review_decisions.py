"""Decisions: append-only, latest per pair and reviewer, history kept, stale when a text changes, durable under
two concurrent writers, exported with OLIR columns. Every test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import csv
import io
import json

import pytest

from crosswalk.db import integrity_errors
from crosswalk.errors import ConfigError, NotFoundError
from crosswalk.ingest.models import Provision, Source, make_id
from crosswalk.ingest.store import Store
from crosswalk.review.decisions import DecisionStore, Relationship, latest_by_pair
from crosswalk.review.export import COLUMNS, export, to_qrels

US = Source(id="US-TEST", jurisdiction="US", title="Test Act", issuer="Congress", doc_type="statute")
UK = Source(id="UK-TEST", jurisdiction="UK", title="Test Rules", issuer="FCA", doc_type="rulebook")


def prov(src: Source, cite: str, text: str, i: int) -> Provision:
    return Provision(id=make_id(src.id, cite), doc_id=src.id, jurisdiction=src.jurisdiction, citation=cite,
                     text=text, ordinal=i, kind="section")


def put(store: Store, src: Source, provs: list[Provision]) -> None:
    store.replace_document(src, provs, path="x", file_sha256="0", pipeline="t", splitter="t", pages=None)


@pytest.fixture()
def db(database):
    path = database  # a SQLite file, or a PostgreSQL URL
    with Store(path) as store:
        put(store, US, [prov(US, "sec.4(a)(11)", "An issuer shall not pay interest or yield to holders.", 0),
                        prov(US, "sec.4(a)(1)", "An issuer shall maintain reserves backing stablecoins 1:1.", 1)])
        put(store, UK, [prov(UK, "CRYPTO 2.4.33R", "An issuer must not pass income on backing assets to holders.", 0),
                        prov(UK, "CASS 16.2.1R", "=HYPERLINK(\"http://x\") <script>alert(1)</script>", 1)])
    return path


L, R = "US-TEST:sec.4(a)(11)", "UK-TEST:CRYPTO_2.4.33R"


def test_record_and_latest_per_pair_and_reviewer(db):
    with DecisionStore(db) as ds:
        ds.record(L, R, "unsure", "ana")
        ds.record(L, R, "equal", "ana", rationale="semantic", strength=8, note="same effect")
        ds.record(L, R, "intersects-with", "ben")
        cur = {(d.reviewer, d.relationship) for d in ds.current()}
        assert cur == {("ana", "equal"), ("ben", "intersects-with")}
        assert [d.relationship for d in ds.history(L, R)] == ["unsure", "equal", "intersects-with"]
        assert [d.relationship for d in ds.current("ana")] == ["equal"]


def test_latest_per_pair_whoever_decided_and_the_reviewers(db):
    L2, R2 = "US-TEST:sec.4(a)(1)", "UK-TEST:CASS_16.2.1R"
    with DecisionStore(db) as ds:
        assert ds.latest() == [] and ds.reviewers() == []
        ds.record(L, R, "equal", "ben")
        ds.record(L, R2, "unsure", "ana")
        ds.record(L, R, "not-related", "ana")
        ds.record(L2, R, "subset-of", "ben", note="narrower")
        latest = ds.latest()
        assert [(d.left_id, d.right_id, d.relationship, d.reviewer) for d in latest] == [
            (L, R2, "unsure", "ana"), (L, R, "not-related", "ana"), (L2, R, "subset-of", "ben")]
        assert latest[-1].note == "narrower" and [d.seq for d in latest] == [2, 3, 4] and not latest[0].stale
        assert [(d.right_id, d.relationship) for d in ds.latest(L)] == [(R2, "unsure"), (R, "not-related")]
        assert ds.latest("US-TEST:sec.9") == []
        # the newest of the reviewers' current decisions on each pair
        assert latest_by_pair(ds.current()) == {(d.left_id, d.right_id): d for d in latest}
        assert ds.reviewers() == ["ana", "ben"]


def test_decisions_are_append_only(db):
    with DecisionStore(db) as ds:
        ds.record(L, R, "equal", "ana")
        with pytest.raises(integrity_errors(), match="append-only"):
            ds.conn.execute("UPDATE decisions SET relationship='not-related'")
        with pytest.raises(integrity_errors(), match="append-only"):
            ds.conn.execute("DELETE FROM decisions")
        assert ds.count() == 1


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"relationship": "same"}, "unknown relationship 'same'"),
        ({"reviewer": " "}, "reviewer name"),
        ({"strength": 11}, "strength 11 is out of range"),
        ({"rationale": "vibes"}, "unknown rationale 'vibes'"),
    ],
)
def test_bad_decisions_name_the_field(db, kwargs, fragment):
    args = {"left_id": L, "right_id": R, "relationship": "equal", "reviewer": "ana"} | kwargs
    with DecisionStore(db) as ds:
        with pytest.raises(ConfigError, match=fragment):
            ds.record(**{k: args[k] for k in ("left_id", "right_id", "relationship", "reviewer")},
                      **{k: v for k, v in args.items() if k in ("rationale", "strength")})
        assert ds.count() == 0


def test_unknown_provision_is_refused(db):
    with DecisionStore(db) as ds, pytest.raises(NotFoundError):
        ds.record(L, "UK-TEST:nope", "equal", "ana")


def test_changed_text_marks_the_decision_stale_and_keeps_it(db):
    with DecisionStore(db) as ds:
        ds.record(L, R, "equal", "ana")
    with Store(db) as store:  # re-ingest with a changed UK text
        put(store, UK, [prov(UK, "CRYPTO 2.4.33R", "An issuer must not pass any income on backing assets.", 0)])
    with DecisionStore(db) as ds:
        (d,) = ds.current()
        assert d.stale and d.relationship == "equal"


def _writer(path: str, who: str, n: int) -> None:
    with DecisionStore(path) as ds:
        for i in range(n):
            ds.record(L, R if i % 2 else "UK-TEST:CASS_16.2.1R", "equal" if i % 3 else "unsure", who, note=str(i))


def test_two_processes_writing_500_each_lose_none(db):
    import subprocess
    import sys
    from pathlib import Path

    tests = Path(__file__).resolve().parent
    code = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; from test_review_decisions import _writer; "
            "_writer(sys.argv[3], sys.argv[4], 500)")
    # plain subprocesses: nothing inherited from this process (a spawned multiprocessing child would re-run
    # whatever this process's __main__ is)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tests.parent), str(tests), str(db), who],
                              stderr=subprocess.PIPE, text=True) for who in ("ana", "ben")]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    with DecisionStore(db) as ds:
        rows = ds.all()
        assert len(rows) == 1000
        for who in ("ana", "ben"):
            assert sorted(int(d.note) for d in rows if d.reviewer == who) == list(range(500))


def test_export_has_olir_columns_in_every_format(db):
    with DecisionStore(db) as ds:
        ds.record(L, R, "equal", "ana", rationale="functional", strength=9, note="both ban yield")
        ds.record(L, "UK-TEST:CASS_16.2.1R", "not-related", "ana")
        decisions = ds.current()
    with Store(db) as store:
        table = list(csv.DictReader(io.StringIO(export(store, decisions, "csv").decode())))
        assert tuple(table[0].keys()) == COLUMNS
        row = next(r for r in table if r["reference_element"] == R)
        assert row["relationship"] == "equal" and row["comments"] == "both ban yield"
        assert row["focal_text"].startswith("An issuer shall not pay interest")
        assert row["focal_jurisdiction"] == "US" and row["reference_jurisdiction"] == "UK"
        formula = next(r for r in table if r["reference_element"].endswith("16.2.1R"))
        assert formula["reference_text"].startswith("'=HYPERLINK")  # never runs as a spreadsheet formula
        data = json.loads(export(store, decisions, "json"))
        assert {d["reference_element"] for d in data} == {R, "UK-TEST:CASS_16.2.1R"}
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(export(store, decisions, "xlsx")))
        sheet = list(wb.active.values)
        assert sheet[0] == COLUMNS and len(sheet) == 3
        with pytest.raises(ConfigError, match="unknown export format 'pdf'"):
            export(store, decisions, "pdf")


def test_decisions_export_as_qrels(db):
    with DecisionStore(db) as ds:
        ds.record(L, R, "equal", "ana")
        ds.record(L, "UK-TEST:CASS_16.2.1R", "unsure", "ana")
        ds.record("US-TEST:sec.4(a)(1)", R, "intersects-with", "ana")
        qrels = to_qrels(ds.current())
    assert qrels.splitlines() == [f"US-TEST:sec.4(a)(1) 0 {R} 1", f"{L} 0 {R} 2"]  # sorted by left id


def test_relationship_vocabulary():
    assert [r.value for r in Relationship] == [
        "equal", "subset-of", "superset-of", "intersects-with", "not-related", "unsure"]
    assert Relationship.EQUAL.is_counterpart and not Relationship.NOT_RELATED.is_counterpart
