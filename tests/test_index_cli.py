"""`crosswalk index` and `crosswalk search` through click's test runner: output and one-line errors."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from crosswalk.cli import main
from crosswalk.index import build as build_mod

from index_corpus import built_workspace, copy_workspace


@pytest.fixture(scope="session")
def ws(tmp_path_factory):
    return built_workspace(tmp_path_factory)


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def run(runner, *args):
    build_mod._LOADED.clear()
    return runner.invoke(main, list(args), catch_exceptions=False)


def test_index_and_search_have_help_with_an_example(runner):
    for cmd in ("index", "search"):
        result = run(runner, cmd, "--help")
        assert result.exit_code == 0 and "Example:" in result.output


def test_index_on_an_unchanged_store_reports_in_one_line(runner, ws, tmp_path):
    w = copy_workspace(ws, tmp_path / "ws")
    result = run(runner, "index", "--workspace", str(w))
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("indexed 37 provisions as 40 passages (flat, all-MiniLM-L6-v2): index already "
                               "current, nothing embedded, in ")


def test_prepare_readies_the_model_the_next_index_run_would_use(runner, ws, monkeypatch):
    from crosswalk.index.build import prepare_model, read_params

    monkeypatch.delenv("CROSSWALK_MODEL", raising=False)
    monkeypatch.delenv("CROSSWALK_BACKEND", raising=False)
    spec = prepare_model(ws / "index")  # sticky: the index's own model and backend (torch: nothing to export)
    assert spec.backend == "torch" and spec.fingerprint == read_params(ws / "index")["model"]["fingerprint"]
    result = run(runner, "index", "--prepare", "--workspace", str(ws))
    assert result.exit_code == 0 and result.stdout.startswith(f"embedding model ready: {spec.fingerprint} in ")


def test_search_json_gives_hits_best_first_with_the_provisions_details(runner, ws):
    result = run(runner, "search", "client cryptoassets on trust", "-w", str(ws), "--k", "4", "--json",
                 "--jurisdiction", "UK")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 4 and hits[0]["id"] == "UK-T-CASS:CASS_16.2.13R"
    assert [h["rank"] for h in hits] == [1, 2, 3, 4]
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    for h in hits:
        assert {"id", "doc_id", "citation", "jurisdiction", "heading_path", "score", "text"} <= set(h)
        assert h["jurisdiction"] == "UK"
    assert hits[0]["citation"] == "CASS 16.2.13R" and hits[0]["heading_path"][0] == "CASS 16"


def test_search_plain_output_marks_the_query_terms(runner, ws):
    result = run(runner, "search", "reserves", "-w", str(ws), "--retriever", "bm25", "--k", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["1", "US-T-ACT:sec.4"]
    assert lines[1].strip() == "Sec. 4 Reserves"
    assert "«reserves»" in lines[2]
    assert lines[-1].startswith("2 hits (bm25)")


def test_search_filters_from_options(runner, ws):
    result = run(runner, "search", "registration", "-w", str(ws), "--json", "--issuer", "treasury",
                 "--doc-type", "regulation", "--date-from", "2017", "--date-to", "2017-12-31", "--entity", "FCA",
                 "--topic", "authorisation")
    assert result.exit_code == 0, result.output
    assert [h["id"] for h in json.loads(result.stdout)] == ["UK-T-MLR:reg.56"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["search"], "empty query"),
        (["search", "   "], "empty query"),
        (["search", "x" * 100_000], "query of 100,000 characters is over the limit of 10,000"),
        (["search", "custody", "--jurisdiction", "FR"], "unknown jurisdiction 'FR': use one of US, UK, EU, INTL"),
        (["search", "custody", "--k", "0"], "k must be a whole number from 1 to 1,000, got 0"),
        (["search", "custody", "--k", "-1"], "got -1"),
        (["search", "custody", "--retriever", "magic"], "unknown retriever 'magic': use one of bm25, dense, hybrid"),
        (["search", "custody", "--topic", "weather"], "unknown topic 'weather': topics are"),
        (["search", "custody", "--date-from", "May 2023"], "not a date: use YYYY, YYYY-MM or YYYY-MM-DD"),
        (["index", "--index-type", "annoy"], "unknown index type 'annoy': use one of flat, hnsw, ivf"),
    ],
)
def test_bad_input_is_one_line_with_the_fix(runner, ws, args, message):
    result = run(runner, *args, "-w", str(ws))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in result.output


def test_missing_store_and_missing_or_corrupt_index(runner, ws, tmp_path):
    result = run(runner, "search", "custody", "-w", str(tmp_path / "nowhere"))
    assert result.exit_code == 1 and "run `crosswalk ingest` first" in result.stderr

    w = copy_workspace(ws, tmp_path / "ws")
    (w / "index" / "dense.faiss").write_bytes(b"\0" * 100)
    result = run(runner, "search", "custody", "-w", str(w))
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "dense.faiss" in result.stderr and "run `crosswalk index`" in result.stderr

    assert run(runner, "index", "-w", str(w)).exit_code == 0  # the fix works: rebuilt without re-embedding
    assert run(runner, "search", "custody", "-w", str(w), "--k", "2").exit_code == 0

    shutil.rmtree(w / "index")
    result = run(runner, "search", "custody", "-w", str(w))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: no search index in {w / 'index'}: run `crosswalk index` first"
