"""How far the review has got (`crosswalk.app_pages.review_progress`): where each pair stands, coverage by topic
and jurisdiction, the gaps, the queue's slots and the decision table, on the small hand-written store of
tests/index_corpus.py with a queue and decisions written here. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from crosswalk.app_pages import review_progress as rp
from crosswalk.index.citation_display import display_citation
from crosswalk.index.queue import QueueItem, queue_pairs, write_queue
from crosswalk.ingest.models import Provision, Source
from crosswalk.review.decisions import DecisionStore
from index_corpus import CUSTODY, STABLE, make_store

ACT = "US-T-ACT:"
CASS = "UK-T-CASS:CASS_"
NOTE = Provision("UK-T-NOTE:para.1", "UK-T-NOTE", "UK", "para.1",
                 "A firm should keep this note on file where the regulator can read it.")
QUEUED = [(ACT + "sec.8", CASS + "16.2.13R", 0.8), (ACT + "sec.4", CASS + "18.1.1R", 0.6),
          (ACT + "sec.5", CASS + "18.2.1R", 0.5)]


@pytest.fixture()
def workspace(database):
    """(store, decisions): the test store with an untagged note, a US→UK queue of three pairs, and decisions:
    sec.8 ~ 16.2.13R equal; sec.4 ~ 18.1.1R unsure then not-related (by another reviewer); sec.5 ~ 18.2.1R equal
    then unsure; sec.3 ~ reg.56 (not queued) subset-of."""
    store = make_store(database)
    store.replace_document(Source("UK-T-NOTE", "UK", "FCA", "guidance", "Test note"), [NOTE], path="note.txt",
                           file_sha256="1" * 64, pipeline="test", splitter="test", pages=None)
    write_queue(store, [QueueItem(left, right, "US", "UK", score, 1, False, score) for left, right, score in QUEUED],
                "US", "UK")
    decisions = DecisionStore(database)
    decisions.record(ACT + "sec.8", CASS + "16.2.13R", "equal", "ana")
    decisions.record(ACT + "sec.4", CASS + "18.1.1R", "unsure", "ana")
    decisions.record(ACT + "sec.4", CASS + "18.1.1R", "not-related", "ben")
    decisions.record(ACT + "sec.5", CASS + "18.2.1R", "equal", "ana")
    decisions.record(ACT + "sec.5", CASS + "18.2.1R", "unsure", "ana")
    decisions.record(ACT + "sec.3", "UK-T-MLR:reg.56", "subset-of", "ben")
    yield store, decisions
    decisions.close()
    store.close()


def test_each_pair_stands_where_its_latest_decision_puts_it(workspace):
    store, decisions = workspace
    standing = rp.Standing.of(store, decisions)
    assert standing.candidates == {pid for left, right, _ in QUEUED for pid in (left, right)}
    assert standing.reviewed == {ACT + "sec.8", CASS + "16.2.13R", ACT + "sec.4", CASS + "18.1.1R", ACT + "sec.3",
                                 "UK-T-MLR:reg.56"}
    assert standing.counterparts == {ACT + "sec.8", CASS + "16.2.13R", ACT + "sec.3", "UK-T-MLR:reg.56"}
    assert rp.decided_pairs(decisions) == {(ACT + "sec.8", CASS + "16.2.13R"), (ACT + "sec.4", CASS + "18.1.1R"),
                                           (ACT + "sec.3", "UK-T-MLR:reg.56")}


def test_coverage_counts_each_topic_and_jurisdiction(workspace):
    store, decisions = workspace
    rows = rp.coverage(store, rp.Standing.of(store, decisions))
    assert [(r["topic"], r["jurisdiction"]) for r in rows] == sorted((r["topic"], r["jurisdiction"]) for r in rows)
    cells = {(r["topic"], r["jurisdiction"]): r for r in rows}
    assert rows[0] == {"topic": rp.NO_TOPIC, "jurisdiction": "UK", "provisions": 1, "candidates": 0,
                       "reviewed": 0, "counterparts": 0}
    # UK custody: 16.2.13R, 16.2.14G, 17.3.5G, 17.4.1R, 17.5.1R and its (1) and (2), 18.1.1R
    assert cells[(CUSTODY, "UK")] == {"topic": CUSTODY, "jurisdiction": "UK", "provisions": 8, "candidates": 2,
                                      "reviewed": 2, "counterparts": 1}
    # UK stablecoins: 18.1.1R (not-related) and 18.2.1R (back to unsure)
    assert cells[(STABLE, "UK")] == {"topic": STABLE, "jurisdiction": "UK", "provisions": 2, "candidates": 2,
                                     "reviewed": 1, "counterparts": 0}
    assert sum(r["provisions"] for r in rows) == sum(len(t) or 1 for _, _, t in store.provision_topics())


def test_gaps_are_the_mappable_provisions_without_a_counterpart(workspace):
    store, decisions = workspace
    standing = rp.Standing.of(store, decisions)
    docs = {d["id"]: d for d in store.documents()}
    total, rows = rp.gaps(store, standing, docs, "UK")
    status = {r["id"]: r["status"] for r in rows}
    assert total == len(rows) and CASS + "16.2.13R" not in status and "UK-T-MLR:reg.56" not in status
    assert status[CASS + "18.1.1R"] == "reviewed: no counterpart"
    assert status[CASS + "18.2.1R"] == "not reviewed"
    assert status[CASS + "17.3.5G"] == "no candidates"
    assert CASS + "17.5.1R(1)" not in status  # a fragment: nothing to map
    assert [r["id"] for r in rows] == [p.id for p in store.iter_provisions(jurisdiction="UK") if p.id in status]
    assert rows[0]["document"] == "Test client assets sourcebook" and rows[0]["citation"]
    assert [r["id"] for r in rp.gaps(store, standing, docs, "UK", STABLE)[1]] == [CASS + "18.1.1R", CASS + "18.2.1R"]
    assert rp.gaps(store, standing, docs, "UK", rp.NO_TOPIC) == (1, [{
        "citation": display_citation(NOTE), "document": "Test note", "heading": "", "topics": "",
        "status": "no candidates", "id": NOTE.id}])
    assert rp.gaps(store, standing, docs, "UK", limit=2) == (total, rows[:2])


def test_queue_slots_skip_reviewed_pairs(workspace):
    store, decisions = workspace
    pairs = queue_pairs(store, "US", "UK")
    decided = rp.decided_pairs(decisions)
    first = rp.queue_slot(pairs, decided, 0)
    assert (first.position, first.total, first.left_id, first.reviewed) == (0, 3, ACT + "sec.8", True)
    assert rp.queue_slot(pairs, decided, 0, unreviewed_only=True).left_id == ACT + "sec.5"
    assert rp.queue_slot(pairs, decided, 2, unreviewed_only=True, step=-1).position == 2  # none before: stays
    assert rp.queue_slot(pairs, decided, 0, step=1).position == 1
    assert rp.queue_slot(pairs, decided, -5).position == 0 and rp.queue_slot([], decided, 0) is None


def test_decision_rows_filter_the_current_decisions(workspace):
    store, decisions = workspace
    current = decisions.current()
    provisions = {p.id: p for p in store.get_many(sorted({d.left_id for d in current} | {d.right_id for d in current}))}
    rows = rp.decision_rows(current, provisions)
    assert len(rows) == len(current) == 5 and rows[0]["focal_id"] == ACT + "sec.3"  # newest first
    assert rows[0]["reference"] == display_citation(provisions["UK-T-MLR:reg.56"])
    assert rows[0]["relationship"] == "subset-of" and rows[0]["focal"] == display_citation(provisions[ACT + "sec.3"])
    assert [r["reviewer"] for r in rp.decision_rows(current, provisions, reviewers=("ben",))] == ["ben", "ben"]
    assert [r["relationship"] for r in rp.decision_rows(current, provisions, relationships=("unsure",))] == [
        "unsure", "unsure"]
    assert [r["focal_id"] for r in rp.decision_rows(current, provisions, text="REG.56")] == [ACT + "sec.3"]
    assert rp.decision_rows(current, provisions, stale_only=True) == []
    assert rp.decision_rows(current, {}, text="sec.3")[0]["focal"] == ACT + "sec.3"  # unknown: shown by id
