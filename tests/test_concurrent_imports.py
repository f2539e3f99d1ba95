"""Bulk decision imports under load (`DecisionStore.record_many`, what `crosswalk decisions import` writes with):
four processes writing 500 decisions each at once lose none; a writer killed with SIGKILL mid-import leaves
exactly its committed batches, never part of one. On a real PostgreSQL server, and on SQLite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crosswalk.errors import ConfigError, NotFoundError
from index_corpus import make_store
from crosswalk.review.decisions import DecisionStore

LEFT = ["US-T-ACT:sec.3", "US-T-ACT:sec.4", "US-T-ACT:sec.5", "US-T-ACT:sec.6"]
RIGHT = ["UK-T-CASS:CASS_16.2.13R", "UK-T-CASS:CASS_17.3.5G", "UK-T-CASS:CASS_17.4.1R"]
RELS = ["equal", "subset-of", "superset-of", "intersects-with", "not-related", "unsure"]


def batch(who: str, start: int, n: int) -> list[dict]:
    return [{"left_id": LEFT[i % len(LEFT)], "right_id": RIGHT[i % len(RIGHT)], "relationship": RELS[i % 6],
             "reviewer": who, "note": str(i), "strength": i % 11} for i in range(start, start + n)]


def _importer(target: str, who: str, total: int, size: int, progress: str | None = None) -> None:
    with DecisionStore(target) as ds:
        for start in range(0, total, size):
            ds.record_many(batch(who, start, min(size, total - start)))
            if progress:  # written only after the batch has committed
                with open(progress, "a") as f:
                    f.write(f"{start + size}\n")


TESTS = Path(__file__).resolve().parent


def spawn(target: str, who: str, total: int, size: int, progress: str | None = None) -> subprocess.Popen:
    """A separate Python process running `_importer` (a plain subprocess: nothing inherited from this one)."""
    code = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; from test_concurrent_imports import _importer; "
            "_importer(sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7] or None)")
    return subprocess.Popen([sys.executable, "-c", code, str(TESTS.parent), str(TESTS), target, who, str(total),
                             str(size), progress or ""], stderr=subprocess.PIPE, text=True)


@pytest.fixture()
def target(database):
    make_store(database).close()
    return str(database)


def test_four_processes_importing_500_each_lose_nothing(target):
    who = ["ana", "ben", "cy", "dee"]
    procs = [spawn(target, w, 500, 50) for w in who]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    with DecisionStore(target) as ds:
        rows = ds.all()
        assert len(rows) == 2000 and ds.count() == 2000
        for w in who:
            mine = [d for d in rows if d.reviewer == w]
            assert sorted(int(d.note) for d in mine) == list(range(500))
            assert all(d.left_hash and d.right_hash for d in mine)
        assert len({d.seq for d in rows}) == 2000


def test_a_writer_killed_mid_import_leaves_whole_batches_only(target, tmp_path):
    progress = tmp_path / "committed.txt"
    size = 40
    proc = spawn(target, "kim", 40_000, size, str(progress))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if progress.exists() and len(progress.read_text().split()) >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    reported = int(progress.read_text().split()[-1])
    with DecisionStore(target) as ds:
        mine = [d for d in ds.all() if d.reviewer == "kim"]
    assert len(mine) % size == 0  # whole batches only
    assert len(mine) >= reported >= 3 * size  # everything reported committed is there
    assert sorted(int(d.note) for d in mine) == list(range(len(mine)))
    for d in mine:  # every row complete
        assert d.left_id in LEFT and d.right_id in RIGHT and d.relationship in RELS and d.created_at


def test_a_batch_with_one_bad_decision_writes_nothing(target):
    with DecisionStore(target) as ds:
        good = batch("ana", 0, 5)
        with pytest.raises(ConfigError, match="decision 3 of 5 .*: unknown relationship 'same'"):
            ds.record_many(good[:2] + [good[2] | {"relationship": "same"}] + good[3:])
        with pytest.raises(NotFoundError, match="no provision 'UK-T-CASS:nope'"):
            ds.record_many(good + [good[0] | {"right_id": "UK-T-CASS:nope"}])
        assert ds.count() == 0
        written = ds.record_many(good)
        assert [d.note for d in written] == ["0", "1", "2", "3", "4"] and ds.count() == 5
        assert [d.seq for d in written] == sorted(d.seq for d in written)


def test_four_decisions_import_commands_at_once_into_postgresql(postgres, tmp_path):
    """The same through the command line: four `crosswalk decisions import` processes, 500 rows each, at once."""
    import csv

    url = postgres.new_database("imports")
    with make_store(url) as store:
        ids = [p.id for p in store.iter_provisions()]
    pairs = [(a, b) for a in ids for b in ids if a != b][:500]
    assert len(pairs) == 500
    files = []
    for who in ("ana", "ben", "cy", "dee"):
        path = tmp_path / f"{who}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["left_id", "right_id", "relationship", "note"])
            w.writerows([a, b, RELS[i % 6], f"{who} {i}"] for i, (a, b) in enumerate(pairs))
        files.append((who, path))
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "CROSSWALK_DATABASE_URL": url}
    procs = [subprocess.Popen([sys.executable, "-m", "crosswalk.cli", "decisions", "import", str(path),
                               "--reviewer", who, "-w", str(tmp_path / "ws")], cwd=root, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for who, path in files]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        assert "imported 500 decisions" in out + err
    with DecisionStore(url) as ds:
        rows = ds.all()
    assert len(rows) == 2000
    for who, _ in files:
        assert sorted(int(d.note.split()[1]) for d in rows if d.reviewer == who) == list(range(500))
    assert not (tmp_path / "ws" / "crosswalk.db").exists()
