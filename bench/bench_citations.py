"""Citation benchmark: how often a citation typed as lawyers type it comes first, and what reading citations
costs a query.

Needs a workspace with a store and an index (`crosswalk index`). Run on demand, never in the tests; prints
Markdown tables for the README.

- **first hit**: `FORMS`, 30 citations in the forms of issue 12 (the nine it lists, and 21 more across every
  family in the corpus), each searched with the hybrid retriever; a form passes when its provision is the
  first hit. `--before DIR` also runs them with the code in DIR (a checkout of an older commit, e.g. from
  `git archive`), in a subprocess, through that code's `crosswalk search` path (`Searcher.search`) and its
  app path (`crosswalk.app_pages.workbench`: citation lookup merged first), to give the before figure.
- **latency**: each query of a mixed set (the 30 citations, and the gold's non-citation queries) searched with
  citation reading off (`Searcher.search(..., citations=False)`) and on, interleaved, `rounds` times, after one
  warm-up pass (so the embedding cache is equally warm for both): p50/p95 wall time and p50 CPU time of each.
  On a loaded machine those differ by more than reading costs, so the cost is also measured alone: `cited_search`
  over a retriever that replays recorded hits at no cost (resolving, filtering, scoping, merging), and
  `crosswalk.index.resolver.resolve` alone with the catalogue's one-off build. Target: reading citations adds ≤ 2 ms to
  a query's p50.

Example:
    python -m crosswalk.bench.bench_citations --workspace /tmp/ws --before /tmp/crosswalk-before
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from crosswalk.bench.bench_index import pct_ms, table

# (form, provision id it cites): the nine forms of issue 12 first.
FORMS = [
    ("GENIUS Act section 4(a)(11)", "US-PL119-27-GENIUS:sec.4(a)(11)"),
    ("GENIUS Act § 4(a)(7)", "US-PL119-27-GENIUS:sec.4(a)(7)"),
    ("Section 3(a) of the GENIUS Act", "US-PL119-27-GENIUS:sec.3(a)"),
    ("CRYPTO 2.4.33R", "UK-FCA-CP25-14:CRYPTO_2.4.33R"),
    ("CASS 16.2.13 R", "UK-FCA-CP25-14:CASS_16.2.13R"),
    ("cass 17.5.10r", "UK-FCA-CP25-14:CASS_17.5.10R"),
    ("CASS 16.5", "UK-FCA-CP25-14:CASS_16.5"),
    ("MiCA Article 36", "EU-MICA-2023-1114:art.36"),
    ("FSB recommendation 9", "INTL-FSB-GSC-2023:rec.9"),
    ("Art. 36 MiCA", "EU-MICA-2023-1114:art.36"),
    ("MiCA Art. 50(3)", "EU-MICA-2023-1114:art.50(3)"),
    ("Article 3(1)(7) of Regulation (EU) 2023/1114", "EU-MICA-2023-1114:art.3(1)(7)"),
    ("Recital (66) MiCA", "EU-MICA-2023-1114:recital.66"),
    ("CASS16.2.13R", "UK-FCA-CP25-14:CASS_16.2.13R"),
    ("rule 2.4.33R of CRYPTO", "UK-FCA-CP25-14:CRYPTO_2.4.33R"),
    ("CRYPTO 2.4.21 R(3)", "UK-FCA-CP25-14:CRYPTO_2.4.21R(3)"),
    ("CP25/14, para. 3.70", "UK-FCA-CP25-14:para.3.70"),
    ("¶ 3.70 of CP25/14", "UK-FCA-CP25-14:para.3.70"),
    ("DP23/4 paragraph 2.7", "UK-FCA-DP23-4:para.2.7"),
    ("FSB Rec. 5", "INTL-FSB-GSC-2023:rec.5"),
    ("31 U.S.C. § 5318(h)(1)", "US-USC31-CH53-SUBCHII:5318(h)(1)"),
    ("BSA § 5312(a)(2)", "US-USC31-CH53-SUBCHII:5312(a)(2)"),
    ("section 5318(h) of 31 U.S.C.", "US-USC31-CH53-SUBCHII:5318(h)"),
    ("15 U.S.C. § 77e(a)", "US-USC15-77B-77E:77e(a)"),
    ("Exchange Act section 15(a)", "US-USC15-78C-78O:78o(a)"),
    ("7 U.S.C. § 1a(9)", "US-USC7-CEA:1a(9)"),
    ("18 U.S.C. § 1960(a)", "US-USC18-1956-1960:1960(a)"),
    ("EO 14067 sec. 4(a)", "US-EO14067:sec.4(a)"),
    ("Executive Order 14178, Section 1(a)", "US-EO14178:sec.1(a)"),
    ("MiCA Annex I, Part A, point 3", "EU-MICA-2023-1114:annex.I_part.A_point.3"),
]

# Run inside a checkout of other code (`--before`): first hits of its CLI and app search paths, as JSON.
_BEFORE = r"""
import json, sys
from crosswalk.ingest.store import Store
from crosswalk.index.build import load_searcher
from crosswalk.index.results import Results
ws, forms = sys.argv[1], json.loads(sys.argv[2])
store = Store(ws + "/crosswalk.db", readonly=True)
searcher = load_searcher(store, ws + "/index")
try:
    from crosswalk.index.citations import lookup
except ImportError:
    lookup = None
out = {}
for form in forms:
    cli = searcher.search(form, k=10, retriever="hybrid")
    app = cli
    if lookup is not None:
        cited = lookup(store, form)
        app = Results.merge([Results.from_ids(cited[:10], query=form), cli], k=10) if cited else cli
    out[form] = [cli.ids()[:1], app.ids()[:1]]
print(json.dumps(out))
"""


def first_hits(searcher, forms=FORMS) -> list[tuple[str, str, str]]:
    """(form, wanted id, first hit id) with citation reading on (the hybrid retriever)."""
    out = []
    for form, want in forms:
        ids = searcher.search(form, k=10, retriever="hybrid").ids()
        out.append((form, want, ids[0] if ids else ""))
    return out


def before_hits(code_dir: Path, workspace: Path, forms=FORMS) -> dict[str, list[list[str]]]:
    """{form: [[cli first id], [app first id]]} from the code in `code_dir`, run in a subprocess."""
    env = {**os.environ, "PYTHONPATH": str(code_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", _BEFORE, str(workspace), json.dumps([f for f, _ in forms])],
                          cwd=code_dir, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def ordinary_queries(n: int = 30) -> list[str]:
    """The gold's queries that are not citations (no digits), at most `n`."""
    from crosswalk.evaluation.gold_io import QUERIES_FILE, load_queries

    qs = [q.text for q in load_queries(QUERIES_FILE) if not q.qid.startswith("cite-")]
    return [q for q in qs if not any(c.isdigit() for c in q)][:n]


def latency(searcher, queries: list[str], retriever: str, rounds: int = 5) -> list:
    """[retriever, queries, p50/p95 off, p50/p95 on, p50 CPU off, p50 CPU on] in ms: each query searched with
    citation reading off, then on, `rounds` times after a warm-up pass."""
    for q in queries:  # warm: embedding cache, catalogue, filter masks
        searcher.search(q, 10, retriever=retriever, citations=False)
        searcher.search(q, 10, retriever=retriever, citations=True)
    off, on, cpu_off, cpu_on = [], [], [], []
    for _ in range(rounds):
        for q in queries:
            for flag, wall, cpu in ((False, off, cpu_off), (True, on, cpu_on)):
                t0, c0 = time.perf_counter(), time.process_time()
                searcher.search(q, 10, retriever=retriever, citations=flag)
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
    return [retriever, len(queries), pct_ms(off, 50), pct_ms(off, 95), pct_ms(on, 50), pct_ms(on, 95),
            pct_ms(cpu_off, 50), pct_ms(cpu_on, 50)]


class _Replay:
    """A retriever that answers each query with the hits recorded from a real one, at no cost: what is left
    of a `cited_search` over it is the cost of reading citations."""

    name = "replay"

    def __init__(self, engine, queries: list[str]):
        self.answers = {}
        for q in queries:
            self.answers[q] = engine.search(q, 100)

    def search(self, query, k=10, filters=None):
        from crosswalk.index.results import Results

        found = self.answers.get(query)
        return found.top(k) if found is not None else Results(query, self.name, ())


def reading_cost(store, searcher, queries: list[str], rounds: int = 20) -> list:
    """[queries, p50, p95, p99] in ms of `cited_search` over a `_Replay` of the hybrid retriever: resolving,
    filtering, scoping and merging, without retrieval's own (noisy) time."""
    from crosswalk.index.cited_search import cited_search

    replay = _Replay(searcher.retriever("hybrid"), queries)
    times = []
    for _ in range(rounds):
        for q in queries:
            t = time.perf_counter()
            cited_search(store, replay, q, 10)
            times.append(time.perf_counter() - t)
    return [len(queries), pct_ms(times, 50), pct_ms(times, 95), pct_ms(times, 99)]


def resolve_latency(store, queries: list[str], rounds: int = 20) -> list:
    from crosswalk.index.resolver import Catalog, resolve

    t0 = time.perf_counter()
    store.__dict__.pop("_citation_catalog", None)
    Catalog.of(store)
    build = time.perf_counter() - t0
    times = []
    for _ in range(rounds):
        for q in queries:
            t = time.perf_counter()
            resolve(store, q)
            times.append(time.perf_counter() - t)
    return [len(queries), build * 1000, pct_ms(times, 50), pct_ms(times, 95), pct_ms(times, 99)]


def main(workspace: str, before: str | None = None, rounds: int = 5) -> str:
    from crosswalk.index.build import load_searcher
    from crosswalk.ingest.store import Store

    ws = Path(workspace)
    out = []
    with Store(ws / "crosswalk.db", readonly=True) as store:
        searcher = load_searcher(store, ws / "index")
        searcher.warm("hybrid")
        hits = first_hits(searcher)
        rows = []
        old = before_hits(Path(before), ws) if before else {}
        for form, want, got in hits:
            row = [form, want.split(":", 1)[1], "yes" if got == want else f"no ({got})"]
            if old:
                row += ["yes" if old[form][0][:1] == [want] else "no", "yes" if old[form][1][:1] == [want] else "no"]
            rows.append(row)
        header = ["form", "cites", "first (now)"] + (["first (before, CLI)", "first (before, app)"] if old else [])
        now = sum(g == w for _, w, g in hits)
        summary = f"{now}/{len(hits)} citation forms put their provision first now"
        if old:
            cli = sum(old[f][0][:1] == [w] for f, w in FORMS)
            app = sum(old[f][1][:1] == [w] for f, w in FORMS)
            summary += f"; before: {cli}/{len(hits)} (CLI search), {app}/{len(hits)} (app search)"
        out += [summary, "", table(header, rows), ""]
        mixed = [f for f, _ in FORMS] + ordinary_queries()
        lat = [latency(searcher, mixed, r, rounds) for r in ("bm25", "hybrid")]
        out.append(table(["retriever", "queries", "p50 off ms", "p95 off ms", "p50 on ms", "p95 on ms",
                          "p50 CPU off ms", "p50 CPU on ms"], lat))
        out.append("")
        out.append(table(["queries", "citation reading p50 ms", "p95 ms", "p99 ms"],
                         [reading_cost(store, searcher, mixed)]))
        out.append("")
        out.append(table(["queries", "catalogue build ms", "resolve p50 ms", "p95 ms", "p99 ms"],
                         [resolve_latency(store, mixed)]))
    return "\n".join(out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workspace", "-w", required=True)
    ap.add_argument("--before", default=None, help="A checkout of older code to compare with (first-hit figure).")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    print(main(args.workspace, args.before, args.rounds))
