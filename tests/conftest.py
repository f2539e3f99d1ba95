"""Shared fixtures. The real corpus is read from ../shared/corpus (never copied into the repo).

The corpus store (and, in later suites, its index) is built once per test session and shared: ingesting
takes about a minute and embedding several minutes on two cores.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = (ROOT / ".." / "shared" / "corpus").resolve()

sys.path.insert(0, str(Path(__file__).parent))  # tests/pdfgen.py

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not (CORPUS / "manifest.csv").is_file():
        pytest.fail(f"the corpus mirror is missing: expected {CORPUS}/manifest.csv beside the checkout")
    return CORPUS


@pytest.fixture(scope="session")
def corpus_ingest(tmp_path_factory, corpus_dir):
    """(workspace, report): the whole corpus ingested (tags included), built once per session."""
    from crosswalk.workspace import Workspace
    from crosswalk.ingest.pipeline import discover, ingest
    from crosswalk.ingest.store import Store

    ws = Workspace(tmp_path_factory.mktemp("corpus-ws")).ensure()
    with Store(ws.db_path) as store:
        report = ingest(discover(corpus_dir), store)
    if report.failed:
        pytest.fail("corpus ingest failed: " + report.summary())
    return ws, report


@pytest.fixture(scope="session")
def corpus_workspace(corpus_ingest):
    return corpus_ingest[0]


@pytest.fixture(scope="session")
def corpus_store(corpus_workspace):
    from crosswalk.ingest.store import Store

    store = Store(corpus_workspace.db_path, readonly=True)
    yield store
    store.close()


@pytest.fixture(scope="session")
def corpus_index(corpus_workspace):
    """The corpus workspace with its dense + BM25 index built (real model, real FAISS), once per session."""
    from crosswalk.index.build import build_index
    from crosswalk.ingest.store import Store

    with Store(corpus_workspace.db_path) as store:
        report = build_index(store, corpus_workspace.index_dir, progress=False)
    return corpus_workspace, report


@pytest.fixture(scope="session")
def corpus_searcher(corpus_index, corpus_store):
    from crosswalk.index.build import load_searcher

    ws, _ = corpus_index
    return load_searcher(corpus_store, ws.index_dir)


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server (Debian's package; see tests/pg_server.py), for the whole session."""
    from pg_server import PostgresServer

    try:
        server = PostgresServer()
    except RuntimeError as e:
        pytest.fail(str(e))
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """An empty database of each backend: a SQLite file path, or a PostgreSQL URL (a new database)."""
    if request.param == "sqlite":
        return tmp_path / "crosswalk.db"
    return request.getfixturevalue("postgres").new_database()
