"""The store, the review queue, filters, citation lookup, schema versions and the evaluation history on both
backends: SQLite (the workspace file) and a real PostgreSQL server started by the tests (tests/pg_server.py).

Where an answer can be compared, the same store is built on both and the answers must be identical.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from crosswalk.cli import main
from crosswalk.db import open_database
from crosswalk.errors import ConfigError, NotFoundError, StoreError
from crosswalk.schema import SCHEMA_VERSION, schema_version
from crosswalk.index.queue import QueueItem, queue_counts, queue_pairs, queued_for, queued_ids, read_queue, write_queue
from crosswalk.ingest.models import Provision, Source
from index_corpus import AML, AUTH, CUSTODY, DEFS, STABLE, make_store
from crosswalk.ingest.store import Store


def item(left: str, right: str, score: float, rank: int = 1, mutual: bool = False) -> QueueItem:
    return QueueItem(left, right, "US", "UK", score, rank, mutual, round(score, 6), ({"term": "x"},),
                     {"left": "a", "right": "b", "cosine": score}, run_id="r1")


def test_store_reads_back_what_it_wrote(database):
    with make_store(database) as store:
        assert store.count()["documents"] == 4
        p = store.get("UK-T-CASS:CASS 16.2.13R")  # spaces or underscores
        assert p.id == "UK-T-CASS:CASS_16.2.13R" and p.heading_path[0] == "CASS 16"
        assert p.topics == ("custody & safeguarding of client assets",)
        kids = store.children("US-T-ACT:sec.4")
        assert [k.citation for k in kids] == ["sec.4(a)", "sec.4(b)", "sec.4(c)"]
        assert [d.citation for d in store.descendants("US-T-ACT:sec.2")] == ["sec.2(1)", "sec.2(2)"]
        ents = store.get("US-T-ACT:sec.6").entities
        assert [(e.label, e.text) for e in ents] == [("REGULATOR", "SEC"), ("REGULATOR", "CFTC"),
                                                      ("CRYPTO_ASSET", "payment stablecoin")]
        assert all(p.text[e.start:e.end] == e.text for p in [store.get("US-T-ACT:sec.6")] for e in p.entities)
        with pytest.raises(NotFoundError, match="no provision 'US-T-ACT:sec.99'"):
            store.get("US-T-ACT:sec.99")
        n = store.count()["provisions"]
        assert len(store.iter_provisions(jurisdiction="UK")) + len(store.iter_provisions(jurisdiction="US")) == n


def test_both_backends_give_identical_answers(tmp_path, postgres):
    """Hashes, orderings, filters (topic, entity, inside SQL) and citation lookup: SQLite and PostgreSQL agree."""
    from crosswalk.index.citations import lookup
    from crosswalk.index.filters import Filters, allowed_provision_ids

    answers = []
    for target in (tmp_path / "crosswalk.db", postgres.new_database()):
        with make_store(target) as store:
            answers.append((
                store.corpus_hash(),
                [p.id for p in store.iter_provisions()],
                sorted(allowed_provision_ids(store, Filters(topic=("custody",)))),
                sorted(allowed_provision_ids(store, Filters(entity=("REGULATOR:SEC",)))),
                sorted(allowed_provision_ids(store, Filters(entity=("payment stablecoin",), jurisdiction=("US",)))),
                lookup(store, "CASS 16.2.13"),  # an FCA rule number without its status letter
                lookup(store, "cass 16.2.13r"),  # any case
                lookup(store, "Test Stablecoin Act section 4"),
                store.topics(),
                store.provision_topics(),
                [p.id for p in store.iter_provisions(topic=CUSTODY)],
            ))
    sqlite, postgresql = answers
    assert sqlite == postgresql
    assert sqlite[5][0] == "UK-T-CASS:CASS_16.2.13R" and sqlite[6][0] == "UK-T-CASS:CASS_16.2.13R"
    assert len(sqlite[2]) >= 3 and sqlite[3]


NOTE = Source("UK-T-NOTE", "UK", "FCA", "guidance", "Test note without topics")
UNTAGGED = Provision("UK-T-NOTE:para.1", "UK-T-NOTE", "UK", "para.1",
                     "A firm should keep this note on file where the regulator can read it.")


def test_light_reads_of_every_provision(database):
    with make_store(database) as store:
        store.replace_document(NOTE, [UNTAGGED], path="note.txt", file_sha256="1" * 64, pipeline="test",
                               splitter="test", pages=None)
        assert store.has_children("US-T-ACT:sec.4") and not store.has_children("US-T-ACT:sec.4(a)")
        assert not store.has_children("US-T-ACT:sec.99")
        assert store.topics() == sorted({AML, AUTH, CUSTODY, DEFS, STABLE})
        rows = store.provision_topics()
        assert len(rows) == store.count()["provisions"] and [r[0] for r in rows] == sorted(r[0] for r in rows)
        assert ("US-T-ACT:sec.3", "US", (AUTH, STABLE)) in rows and (UNTAGGED.id, "UK", ()) in rows
        # exact ids only; unknown ones left out; more ids than one statement binds
        unknown = [f"US-T-ACT:sec.{n}" for n in range(100, 2100)]
        assert store.jurisdictions(["UK-T-CASS:CASS_16.2.13R", *unknown, "US-T-ACT:sec.3", "US-T-ACT:sec.3",
                                    "UK-T-CASS:CASS 16.2.13R"]) == {"UK-T-CASS:CASS_16.2.13R": "UK",
                                                                    "US-T-ACT:sec.3": "US"}
        assert store.jurisdictions() == {p.id: p.jurisdiction for p in store.iter_provisions()}
        parents = store.parents()
        assert parents["US-T-ACT:sec.4(a)"] == "US-T-ACT:sec.4" and parents["US-T-ACT:sec.4"] is None
        assert set(parents) == set(store.jurisdictions())


def test_provisions_of_one_topic_or_of_none(database):
    with make_store(database) as store:
        store.replace_document(NOTE, [UNTAGGED], path="note.txt", file_sha256="1" * 64, pipeline="test",
                               splitter="test", pages=None)
        custody = store.iter_provisions(jurisdiction="UK", topic=CUSTODY)
        assert [p.id for p in custody] == [p.id for p in store.iter_provisions(jurisdiction="UK")
                                           if CUSTODY in p.topics]
        assert "UK-T-CASS:CASS_18.1.1R" in [p.id for p in custody]  # one of two topics is enough
        assert [p.id for p in store.iter_provisions(topic="")] == [UNTAGGED.id]
        assert store.iter_provisions(topic="no such topic") == []
        assert len(store.iter_provisions(topic=None)) == store.count()["provisions"]


def test_replacing_a_document_is_one_transaction(database):
    with make_store(database) as store:
        before = store.count()
        provs = store.iter_provisions(doc_id="US-T-ACT")
        broken = list(provs) + [provs[0]]  # a duplicate id: the insert fails half-way
        from index_corpus import SOURCES

        with pytest.raises(Exception):
            store.replace_document(SOURCES["US-T-ACT"], broken, path="x", file_sha256="1", pipeline="t",
                                   splitter="t", pages=None)
        assert store.count() == before  # the earlier version is whole
        assert store.document_state("US-T-ACT") == ("0" * 64, "test")


def test_queue_writes_and_reads_the_same_on_both(database):
    with make_store(database) as store:
        a, b, c = "US-T-ACT:sec.3", "US-T-ACT:sec.4", "US-T-ACT:sec.5"
        x, y = "UK-T-CASS:CASS_16.2.13R", "UK-T-CASS:CASS_17.3.5G"
        first = write_queue(store, [item(a, x, 0.9, mutual=True), item(b, y, 0.5), item(c, x, 0.45)], "US", "UK",
                            now="2026-12-01T00:00:00Z")
        assert (first.added, first.updated, first.removed) == (3, 0, 0)
        again = write_queue(store, [item(a, x, 0.9, mutual=True), item(b, y, 0.55)], "US", "UK",
                            now="2026-12-02T00:00:00Z")
        assert (again.added, again.updated, again.unchanged, again.removed) == (0, 1, 1, 1)
        rows = read_queue(store, "us", "uk")
        assert [(r.left_id, r.score, r.created_at) for r in rows] == [
            (a, 0.9, "2026-12-01T00:00:00Z"), (b, 0.55, "2026-12-01T00:00:00Z")]
        assert rows[0].mutual is True and rows[0].shared_terms == ({"term": "x"},)
        assert [r.left_id for r in read_queue(store, offset=1)] == [b]
        assert [r.left_id for r in read_queue(store, limit=1)] == [a]
        assert queue_counts(store) == {("US", "UK"): 2}
        assert rows[0].to_dict() == {"left_id": a, "right_id": x, "from_jur": "US", "to_jur": "UK", "score": 0.9,
                                     "rank": 1, "mutual": True, "priority": 0.9, "shared_terms": [{"term": "x"}],
                                     "explanation": {"left": "a", "right": "b", "cosine": 0.9},
                                     "created_at": "2026-12-01T00:00:00Z", "run_id": "r1"}
        with pytest.raises(ConfigError, match="write each direction separately"):
            write_queue(store, [item(a, x, 0.9)], "UK", "US")


def test_queue_pairs_candidates_and_ids(database):
    with make_store(database) as store:
        a, b = "US-T-ACT:sec.3", "US-T-ACT:sec.4"
        x, y = "UK-T-CASS:CASS_16.2.13R", "UK-T-CASS:CASS_17.3.5G"
        assert queue_pairs(store) == [] and queued_for(store, a, "UK") == [] and queued_ids(store) == set()
        write_queue(store, [item(a, y, 0.5, rank=2), item(a, x, 0.6, rank=1, mutual=True), item(b, x, 0.9)],
                    "US", "UK")
        write_queue(store, [QueueItem(y, b, "UK", "US", 0.4, 1, False, 0.4)], "UK", "US")
        assert queue_pairs(store, "US", "UK") == [(b, x), (a, x), (a, y)]  # read_queue's order: priority first
        assert queue_pairs(store, "us", "uk") == [(q.left_id, q.right_id) for q in read_queue(store, "US", "UK")]
        assert queue_pairs(store) == [(b, x), (a, x), (a, y), (y, b)]
        assert queue_pairs(store, "UK", "US") == [(y, b)]
        assert [(q.right_id, q.rank, q.mutual) for q in queued_for(store, a, "UK")] == [(x, 1, True), (y, 2, False)]
        assert queued_for(store, a, "UK")[1] == read_queue(store, "US", "UK")[2]
        assert queued_for(store, a, "US") == [] and queued_for(store, x, "UK") == []
        assert queued_ids(store) == {a, b, x, y}


def test_a_read_only_store_cannot_write(database):
    make_store(database).close()
    with Store(database, readonly=True) as store:
        with pytest.raises(StoreError, match="read-only"):
            write_queue(store, [item("US-T-ACT:sec.3", "UK-T-CASS:CASS_16.2.13R", 0.9)], "US", "UK")


def test_an_old_schema_is_refused_until_db_upgrade(database, tmp_path, monkeypatch):
    make_store(database).close()
    conn = open_database(database)
    conn.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    if conn.dialect == "postgresql":
        conn.execute("DROP TABLE sessions, signin_failures, accounts")
    else:
        for t in ("sessions", "signin_failures", "accounts"):
            conn.execute(f"DROP TABLE {t}")
        conn.commit()
    conn.close()
    with pytest.raises(StoreError) as e:
        Store(database, readonly=True)
    message = str(e.value)
    assert "\n" not in message and "schema version 1" in message and "crosswalk db upgrade" in message

    if isinstance(database, str):
        monkeypatch.setenv("CROSSWALK_DATABASE_URL", database)
        ws_args = ["-w", str(tmp_path / "ws")]
    else:
        ws_args = ["-w", str(database.parent)]
    runner = CliRunner()
    refused = runner.invoke(main, ["show", "UK-T-CASS:CASS_16.2.13R", *ws_args])
    assert refused.exit_code == 1 and "crosswalk db upgrade" in refused.output
    assert refused.output.count("\n") == 1
    done = runner.invoke(main, ["db", "upgrade", *ws_args])
    assert done.exit_code == 0, done.output
    assert f"upgraded from version 1 to {SCHEMA_VERSION}" in done.output
    assert runner.invoke(main, ["db", "upgrade", *ws_args]).output.endswith("nothing to do\n")
    status = runner.invoke(main, ["db", "status", *ws_args])
    assert f"schema version {SCHEMA_VERSION} of {SCHEMA_VERSION}, current" in status.output
    shown = runner.invoke(main, ["show", "UK-T-CASS:CASS_16.2.13R", *ws_args])
    assert shown.exit_code == 0 and "A firm must hold qualifying cryptoassets" in shown.output
    with Store(database) as store:
        assert store.count()["documents"] == 4  # nothing lost by the upgrade
        assert schema_version(store.conn) == SCHEMA_VERSION


def test_an_empty_database_is_not_a_store_for_readers(database):
    if not isinstance(database, str):
        database.touch()
    with pytest.raises(StoreError, match="no Crosswalk store in .*run `crosswalk ingest` first"):
        Store(database, readonly=True)


def test_a_wrong_url_is_one_line(postgres):
    bad = postgres.url("no_such_database")
    with pytest.raises(StoreError) as e:
        Store(bad)
    assert "cannot connect to" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(ConfigError, match="is not PostgreSQL"):
        open_database("mysql://x@y/z")


def test_evaluation_history_lives_in_the_database(postgres):
    from crosswalk.evaluation import history
    from crosswalk.evaluation.history_db import DatabaseHistory

    url = postgres.new_database()
    make_store(url).close()
    target = DatabaseHistory(url)
    entry = {"generated_at": "2026-12-06T10:00:00Z", "commit": None, "settings": {"split": "test", "k": 100},
             "index": {}, "systems": {"bm25": {"gold": "queries", "queries": 2, "means": {}, "ci": {},
                                               "per_query": {}}}}
    assert history.load(target) == ([], [])
    history.append(target, entry)
    history.append(target, entry | {"generated_at": "2026-12-06T11:00:00Z"})
    entries, problems = history.load(target)
    assert problems == [] and [e["generated_at"] for e in entries] == ["2026-12-06T10:00:00Z",
                                                                      "2026-12-06T11:00:00Z"]
