"""SQLite against PostgreSQL, in one run: decisions per second and search latency (`crosswalk bench db`).

The workspace's store (its SQLite file) is copied into a new SQLite file and into a new schema of the
PostgreSQL database given (dropped at the end), so both hold the same provisions and the workspace's saved index
fits both (same corpus hash; nothing is re-embedded). Then, on each backend in turn:

- decisions/s one at a time: `DecisionStore.record`, each committed before the next (what the app does);
- decisions/s in batches: `DecisionStore.record_many`, 100 per transaction (what an import does);
- search latency: the gold queries (evaluation/gold/queries.tsv), hybrid and BM25 at k=10, each followed by
  reading its hits' provisions from the store (what a search page shows), p50 and p95 in ms, after one warm-up
  pass; and a citation lookup (`CASS 16.2.13`, SQL only).

Prints a Markdown table for the README. Timings only; nothing here is asserted by the tests.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from crosswalk.errors import ConfigError
from crosswalk.workspace import Workspace


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def copy_store(source, target) -> int:
    """Every document of `source` (a Store) with its provisions and entities into `target`; provisions copied."""
    from crosswalk.ingest.models import Source

    n = 0
    for d in source.documents():
        src = Source(id=d["id"], jurisdiction=d["jurisdiction"], issuer=d["issuer"], doc_type=d["doc_type"],
                     title=d["title"], date=d["date"], official_url=d["official_url"], licence=d["licence"])
        provs = source.iter_provisions(doc_id=d["id"], with_entities=True)
        target.replace_document(src, provs, path=d["path"], file_sha256=d["file_sha256"], pipeline=d["pipeline"],
                                splitter=d["splitter"], pages=d["pages"])
        n += len(provs)
    return n


def _with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def measure(target, index_dir: Path, queries: list[str], n_decisions: int) -> dict:
    from crosswalk.index.build import _LOADED, load_searcher
    from crosswalk.index.citations import lookup
    from crosswalk.ingest.store import Store
    from crosswalk.review.decisions import DecisionStore

    out: dict = {}
    with Store(target, readonly=True) as store:
        ids = [p.id for p in store.iter_provisions()]
        us = [i for i in ids if i.startswith("US")] or ids
        other = [i for i in ids if not i.startswith("US")] or ids
        pairs = [(us[i % len(us)], other[(i * 7) % len(other)]) for i in range(n_decisions)]
        _LOADED.clear()
        searcher = load_searcher(store, index_dir)
        searcher.warm("hybrid")
        for retriever in ("hybrid", "bm25"):
            for q in queries:  # warm-up pass (caches, the model's first calls)
                searcher.search(q, k=10, retriever=retriever)
            times = []
            for q in queries:
                t0 = time.perf_counter()
                hits = searcher.search(q, k=10, retriever=retriever)
                store.get_many([h.provision_id for h in hits])
                times.append((time.perf_counter() - t0) * 1000)
            out[f"{retriever} p50"], out[f"{retriever} p95"] = statistics.median(times), _pct(times, 0.95)
        times = []
        for _ in range(200):
            t0 = time.perf_counter()
            lookup(store, "CASS 16.2.13")
            times.append((time.perf_counter() - t0) * 1000)
        out["citation p50"] = statistics.median(times)
    with DecisionStore(target) as ds:
        singles = pairs[: max(1, n_decisions // 2)]
        t0 = time.perf_counter()
        for left, right in singles:
            ds.record(left, right, "equal", "bench")
        out["single/s"] = len(singles) / (time.perf_counter() - t0)
        rows = [{"left_id": a, "right_id": b, "relationship": "intersects-with", "reviewer": "bench-batch"}
                for a, b in pairs]
        t0 = time.perf_counter()
        for start in range(0, len(rows), 100):
            ds.record_many(rows[start : start + 100])
        out["batch/s"] = len(rows) / (time.perf_counter() - t0)
    return out


def main(ws: Workspace, url: str, n_decisions: int = 2000, n_queries: int = 200) -> str:
    import psycopg

    from crosswalk.evaluation.gold_io import QUERIES_FILE, load_queries
    from crosswalk.ingest.store import Store

    if not ws.db_path.exists() or not (ws.index_dir / "params.json").exists():
        raise ConfigError(f"bench db needs a SQLite workspace with a saved index: {ws.root} has "
                          f"{'no crosswalk.db' if not ws.db_path.exists() else 'no index'} (crosswalk ingest, index)")
    queries = [q.text for q in load_queries(QUERIES_FILE)][:n_queries]
    schema = f"crosswalk_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    results = {}
    try:
        with tempfile.TemporaryDirectory() as tmp, Store(ws.db_path, readonly=True) as source:
            sqlite_copy = Path(tmp) / "crosswalk.db"
            pg = _with_schema(url, schema)
            t0 = time.perf_counter()
            with Store(sqlite_copy) as target:
                n = copy_store(source, target)
            copy_sqlite = time.perf_counter() - t0
            t0 = time.perf_counter()
            with Store(pg) as target:
                copy_store(source, target)
            copy_pg = time.perf_counter() - t0
            results["SQLite"] = measure(sqlite_copy, ws.index_dir, queries, n_decisions) | {"copy s": copy_sqlite}
            results["PostgreSQL"] = measure(pg, ws.index_dir, queries, n_decisions) | {"copy s": copy_pg}
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    server = url.split("@")[-1].split("/")[0]
    lines = [
        f"### Database backends: {n:,} provisions, {len(queries)} gold queries, {n_decisions:,} decisions "
        f"(PostgreSQL on {server}; {os.cpu_count()} cores)",
        "",
        "| backend | store copy (s) | decisions/s, one per commit | decisions/s, 100 per commit | hybrid p50 / p95 (ms) "
        "| BM25 p50 / p95 (ms) | citation lookup p50 (ms) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        lines.append(f"| {name} | {r['copy s']:.1f} | {r['single/s']:,.0f} | {r['batch/s']:,.0f} | "
                     f"{r['hybrid p50']:.1f} / {r['hybrid p95']:.1f} | {r['bm25 p50']:.1f} / {r['bm25 p95']:.1f} | "
                     f"{r['citation p50']:.2f} |")
    return "\n".join(lines)
