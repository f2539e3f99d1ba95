"""Index benchmark: embedding throughput, index build, query latency, and exact against approximate FAISS.

Run on demand, never in the tests; each part prints a Markdown table.

- **corpus** (needs a workspace with a store and an index, `crosswalk index`): passages/s of plain
  `SentenceTransformer.encode`, our torch embedder and our onnx-int8 embedder on the same texts (best of
  interleaved rounds), their one-query encoding time, index rebuild times from stored vectors (flat, hnsw, ivf;
  nothing re-embedded), and query latency p50/p95 of `bm25`, `dense` and `hybrid` over generated queries
  (windows of 4–9 words from random provisions), with and without a jurisdiction filter. Targets: hybrid
  p50 ≤ 30 ms, p95 ≤ 80 ms.
- **backends** (with `onnx`, the default; needs `onnxruntime` and `onnx`): the retrieval quality of the torch
  and onnx-int8 backends, each with a whole index of the store (the workspace's own, and one built by the other
  backend under a temporary folder, timed): nDCG@10 and Recall@10 with 95% bootstrap intervals over the gold
  queries and pairs (`crosswalk.evaluation.run.evaluate`, as `crosswalk eval` computes them, split `all`), the paired
  difference with its interval and randomisation-test p, and the overlap of the two backends' dense top-10.
  The onnx-int8 export is kept in the workspace's `cache/models/` (built there on first use).
- **ann**: synthetic unit vectors (384-d, clustered: a Gaussian mixture on the sphere) at the sizes given;
  build time, recall@10 of `hnsw` and `ivf` against exact `flat` search, p50/p95 per query through
  `crosswalk.index.dense.DenseIndex` (one query per call, as the searcher runs), and resident memory. Target at 10^6:
  p50 ≤ 20 ms at recall@10 ≥ 0.95.

Example:
    python -m crosswalk.bench.bench_index --workspace /tmp/ws-index --queries 200
    python -m crosswalk.bench.bench_index --ann 100000,1000000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    current = peak
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    except OSError:
        pass
    return current, peak


def pct_ms(samples: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(samples) * 1000, p)) if samples else float("nan")


def table(header: list[str], rows: list[list]) -> str:
    def fmt(v):
        if isinstance(v, float):
            return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


# --- corpus ----------------------------------------------------------------------------------------------------


def make_queries(store, n: int, seed: int = 7) -> list[tuple[str, str]]:
    """`n` (query, jurisdiction) pairs: 4–9 consecutive words from random provisions of 12 words or more."""
    rng = random.Random(seed)
    provisions = [p for p in store.iter_provisions() if len(p.text.split()) >= 12]
    out = []
    for p in rng.sample(provisions, min(n, len(provisions))):
        words = p.text.split()
        size = rng.randint(4, 9)
        start = rng.randint(0, len(words) - size)
        out.append((" ".join(words[start : start + size]), p.jurisdiction))
    return out


def onnx_available() -> bool:
    """Whether the onnx-int8 backend can run here (`crosswalk.index.embedder.resolve_backend` checks its packages)."""
    from crosswalk.errors import ConfigError
    from crosswalk.index.embedder import resolve_backend

    try:
        resolve_backend("onnx-int8")
    except ConfigError:
        return False
    return True


def _query_p50(emb, n: int = 30) -> float:
    lat = []
    for i in range(n):
        emb._queries.clear()
        t0 = time.perf_counter()
        emb.encode_query(f"custody of client cryptoassets held on trust {i}")
        lat.append(time.perf_counter() - t0)
    return pct_ms(lat, 50)


def timed(encoders: dict, texts: list[str], rounds: int) -> tuple[dict, dict, dict]:
    """Vectors, best wall seconds and least CPU seconds per encoder, over `rounds` interleaved rounds.

    Other processes share the machine, so each round runs every encoder once (a burst of load hits them all)
    and the best round counts; CPU time (all threads of this process) is reported beside it.
    """
    vectors, wall, cpu = {}, {}, {}
    for encode in encoders.values():
        encode(texts[:32])  # warm-up: first-call allocations are not throughput
    for _ in range(rounds):
        for name, encode in encoders.items():
            w0, c0 = time.perf_counter(), time.process_time()
            vectors[name] = encode(texts)
            w, c = time.perf_counter() - w0, time.process_time() - c0
            wall[name], cpu[name] = min(wall.get(name, w), w), min(cpu.get(name, c), c)
    return vectors, wall, cpu


def bench_embedding(store, model_cache: Path, sample: int = 256, seed: int = 3, rounds: int = 3,
                    onnx: bool = True) -> tuple[list[list], str]:
    """Passages/s of plain `SentenceTransformer.encode` (batch 32), our torch `Embedder.encode` and our onnx-int8
    embedder on the same passages: the best of `rounds` interleaved rounds (other processes share the
    machine), CPU ms per passage, cosine to the plain vectors, and one uncached query's p50."""
    from crosswalk.index.embedder import get_embedder
    from crosswalk.index.passages import make_passages

    passages = make_passages(store.iter_provisions())
    texts = [p.text for p in random.Random(seed).sample(passages, min(sample, len(passages)))]
    words = float(np.mean([len(t.split()) for t in texts]))
    torch_emb = get_embedder(backend="torch")
    st = torch_emb.model
    plain_name, torch_name, int8_name = ("SentenceTransformer.encode (plain)", "Embedder.encode, torch (ours)",
                                         "Embedder.encode, onnx-int8 (ours)")
    encoders = {
        plain_name: lambda xs: st.encode(xs, batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
                                         show_progress_bar=False),
        torch_name: torch_emb.encode,
    }
    note = ""
    if onnx:
        int8 = get_embedder(backend="onnx-int8", cache_dir=model_cache)
        fresh = not (int8.folder / "manifest.json").exists()
        t0 = time.perf_counter()
        int8.encode(texts[:1])  # exports on first use
        if fresh:
            note = (f"The onnx-int8 model was exported and quantised from the packaged weights in "
                    f"{time.perf_counter() - t0:.1f} s ({int8.model_path.stat().st_size / 2**20:.1f} MiB, "
                    f"{int8.folder}). ")
        encoders[int8_name] = int8.encode
    vectors, wall, cpu = timed(encoders, texts, rounds)
    ref = vectors[plain_name]
    latency = {torch_name: _query_p50(torch_emb)}
    if onnx:
        latency[int8_name] = _query_p50(int8)
    rows = []
    for name in encoders:
        cos = np.sum(vectors[name] * ref, axis=1)
        rows.append([name, len(texts), words, len(texts) / wall[name], 1000 * cpu[name] / len(texts),
                     f"{cos.mean():.4f} / {cos.min():.4f}", latency.get(name, "")])
    if not onnx:
        note += "onnx-int8: not measured (--no-onnx, or onnxruntime missing: `pip install -e '.[onnx]'`). "
    return rows, note + f"Best of {rounds} interleaved rounds; load average {os.getloadavg()[0]:.1f} on " \
                        f"{os.cpu_count()} cores."


def bench_build(store, index_dir: Path) -> list[list]:
    """Rebuild times from stored vectors (nothing embedded), on a copy of the index."""
    from crosswalk.index.build import build_index, read_params

    params = read_params(index_dir)
    rows = []
    last = params.get("build", {})
    if last:
        rows.append(["last `crosswalk index` run", params["dense"]["index_type"], last.get("embedded", 0),
                     last.get("reused", 0), float(last.get("seconds", 0.0))])
    with tempfile.TemporaryDirectory() as d:
        copy = Path(d) / "index"
        shutil.copytree(index_dir, copy)
        t0 = time.perf_counter()
        r = build_index(store, copy, progress=False)
        rows.append(["re-run, unchanged store", r.index_type, r.embedded, r.reused, time.perf_counter() - t0])
        for kind in ("flat", "hnsw", "ivf"):
            (copy / "params.json").unlink()  # forces a rebuild; stored vectors are still reused
            t0 = time.perf_counter()
            r = build_index(store, copy, index_type=kind, progress=False)
            rows.append([f"rebuild from stored vectors", kind, r.embedded, r.reused, time.perf_counter() - t0])
    return rows


def bench_queries(searcher, queries: list[tuple[str, str]], k: int = 10) -> list[list]:
    from crosswalk.index.filters import Filters

    rows = []
    for name in ("bm25", "dense", "hybrid"):
        for filtered in (False, True):
            searcher.dense.embedder._queries.clear()
            searcher.search("warm up the model and caches", k, retriever=name)
            lat, cpu = [], []
            for q, jur in queries:
                f = Filters(jurisdiction="UK" if jur != "UK" else "US") if filtered else None
                t0, c0 = time.perf_counter(), time.process_time()
                searcher.search(q, k, f, retriever=name)
                lat.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            rows.append([name, "other jurisdiction" if filtered else "none", len(lat), pct_ms(lat, 50),
                         pct_ms(lat, 95), pct_ms(lat, 99), pct_ms(cpu, 50)])
    return rows


# --- synthetic ANN ---------------------------------------------------------------------------------------------


def synthetic(n: int, nq: int, dim: int = 384, kind: str = "clustered", seed: int = 0, anchors=None):
    """(base, queries) of unit vectors.

    - `clustered`: a Gaussian mixture on the sphere, one random centre per 100 vectors, noise putting each
      vector at cosine ≈ 0.5 from its centre. Isotropic and noisy: harder than real embeddings.
    - `anchored`: real passage embeddings (`anchors`, e.g. a workspace's `index/embeddings.npy`) as centres,
      noise 0.03 per dimension: keeps the anisotropy of real MiniLM vectors (random pairs at cosine ≈ 0.4)
      and their neighbourhoods (top-10 neighbours at cosine ≈ 0.75–0.85).
    - `uniform`: uniform on the sphere, the hardest case (no structure to exploit).
    """
    rng = np.random.default_rng(seed)
    if kind == "anchored":
        if anchors is None:
            raise SystemExit("--kinds anchored needs --anchors PATH (a workspace's index/embeddings.npy)")
        base = np.asarray(anchors, dtype=np.float32)

        def draw_anchored(m):
            out = np.empty((m, dim), dtype=np.float32)
            for a in range(0, m, 100_000):
                b = min(m, a + 100_000)
                out[a:b] = base[rng.integers(0, len(base), b - a)] + 0.03 * rng.standard_normal(
                    (b - a, dim), dtype=np.float32)
            out /= np.linalg.norm(out, axis=1, keepdims=True)
            return out

        return draw_anchored(n), draw_anchored(nq)
    clusters = max(10, n // 100)
    centres = rng.standard_normal((clusters, dim), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)

    def draw(m):
        out = np.empty((m, dim), dtype=np.float32)
        for a in range(0, m, 100_000):
            b = min(m, a + 100_000)
            noise = rng.standard_normal((b - a, dim), dtype=np.float32)
            if kind == "uniform":
                out[a:b] = noise
            else:
                out[a:b] = centres[rng.integers(0, clusters, b - a)] + 0.09 * noise
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    return draw(n), draw(nq)


def _latency(index, xq, k=10):
    lat, found = [], []
    for q in xq:
        t0 = time.perf_counter()
        hits = index.search(q[None, :], k)[0]
        lat.append(time.perf_counter() - t0)
        found.append([i for i, _ in hits])
    return lat, found


def bench_ann(n: int, nq: int = 200, hnsw: dict | None = None, kind: str = "clustered", anchors=None,
              ivf_nprobes=(8, 16, 32, 64, 128, 256), ef_searches=(32, 64, 128, 256, 512)) -> list[list]:
    from crosswalk.index.dense import DenseIndex

    rows = []
    xb, xq = synthetic(n, nq, kind=kind, anchors=anchors)
    row_prov = np.arange(n)
    t0 = time.perf_counter()
    flat = DenseIndex.build(xb, row_prov, "flat")
    built = time.perf_counter() - t0
    lat, truth = _latency(flat, xq)
    rows.append([f"{n:,} {kind}", "flat", "exact", built, 1.0, pct_ms(lat, 50), pct_ms(lat, 95), rss_mib()[0]])
    del flat

    from crosswalk.index.dense import DEFAULT_OPTIONS

    opts = {**DEFAULT_OPTIONS["hnsw"], **(hnsw or {})}
    t0 = time.perf_counter()
    idx = DenseIndex.build(xb, row_prov, "hnsw", opts)
    built = time.perf_counter() - t0
    rows += _sweep(idx, "ef_search", ef_searches, f"{n:,} {kind}", xq, truth, built,
                   lambda ef: f"M={opts['M']} efC={opts['ef_construction']} efSearch={ef}")
    del idx

    t0 = time.perf_counter()
    idx = DenseIndex.build(xb, row_prov, "ivf")
    built = time.perf_counter() - t0
    rows += _sweep(idx, "nprobe", ivf_nprobes, f"{n:,} {kind}", xq, truth, built,
                   lambda nprobe: f"nlist={idx.options['nlist']} nprobe={nprobe}")
    del idx
    return rows


def _sweep(idx, option: str, values, vectors: str, xq, truth, built: float, settings) -> list[list]:
    """Table rows for the approximate index `idx` searched at each of `values` of its search `option` (ef_search,
    nprobe): recall@10 against the exact `truth`, latency p50/p95 and memory; `settings(value)` names the row,
    and the build time shows on the first row only."""
    rows = []
    for value in values:
        idx.options[option] = value
        idx._apply_search_options()
        lat, found = _latency(idx, xq)
        recall = np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth)])
        rows.append([vectors, idx.index_type, settings(value), built, float(recall), pct_ms(lat, 50),
                     pct_ms(lat, 95), rss_mib()[0]])
        built = ""
    return rows


# --- retrieval quality per embedding backend ---------------------------------------------------------------------


def _overlap(a: dict[str, list[str]], b: dict[str, list[str]], k: int = 10) -> float:
    """Mean share of common ids in two runs' top `k`, over the queries of `a`.

    >>> _overlap({"q": ["x", "y"]}, {"q": ["y", "z"]}, k=2)
    0.5
    """
    return float(np.mean([len(set(a[q][:k]) & set(b.get(q, [])[:k])) / k for q in a])) if a else float("nan")


def bench_backends(store, ws, model_cache: Path, generated: list[tuple[str, str]], split: str = "all",
                   other_index: Path | None = None) -> str:
    """Retrieval quality of the torch and onnx-int8 backends, each with a whole index of the store: the
    workspace's own for its backend, and for the other `other_index` (an index folder of the same store built
    with it) or one built under a temporary folder (timed). Only the gold of `split` (all, dev or test) is scored."""
    from crosswalk.evaluation import gold_io, stats
    from crosswalk.evaluation.metrics import column
    from crosswalk.evaluation.run import evaluate
    from crosswalk.evaluation.runs import search_run
    from crosswalk.index.build import build_index, load_searcher, read_params

    built_with = read_params(ws.index_dir)["model"].get("backend", "torch")
    queries, qrels, pairs = gold_io.load_queries(), gold_io.load_qrels(), gold_io.load_pairs()
    results, runs, generated_runs, notes = {}, {}, {}, []
    with tempfile.TemporaryDirectory(prefix="crosswalk-bench-") as d:
        for backend in ("torch", "onnx-int8"):
            if backend == built_with:
                index_dir = ws.index_dir
            elif other_index is not None:
                index_dir = Path(other_index)
            else:
                index_dir = Path(d) / backend / "index"
                print(f"backends: building a whole index with {backend} under {index_dir} …", file=sys.stderr,
                      flush=True)
                report = build_index(store, index_dir, backend=backend, progress=True, model_cache=model_cache)
                notes.append(f"Index built with {backend} under a temporary folder: {report.summary()}.")
            searcher = load_searcher(store, index_dir, backend=backend, model_cache=model_cache)
            results[backend] = evaluate(store, searcher, queries, qrels, pairs=pairs, retrievers=("dense", "hybrid"),
                                        match=False, split=split,
                                        splits=gold_io.load_split() if split != "all" else None)
            runs[backend] = search_run(searcher, queries, "dense", 10, citations=False)
            generated_runs[backend] = search_run(
                searcher, [gold_io.Query(f"g{i}", q) for i, (q, _) in enumerate(generated)], "dense", 10,
                citations=False)

    rows = []
    for gold in ("queries", "pairs"):
        for retriever in ("dense", "hybrid"):
            a, b = (getattr(results[be], gold)[retriever] for be in ("torch", "onnx-int8"))
            qids = sorted(set(a.per_query) & set(b.per_query))
            row = [gold, retriever, len(qids)]
            for metric in ("nDCG@10", "Recall@10"):
                for s in (a, b):
                    lo, hi = s.ci[metric]
                    row.append(f"{s.means[metric]:.3f} [{lo:.3f}, {hi:.3f}]")
            xa, xb = column(a.per_query, "nDCG@10", qids), column(b.per_query, "nDCG@10", qids)
            diff = [y - x for x, y in zip(xa, xb)]
            lo, hi = stats.bootstrap_ci(diff)
            row += [f"{np.mean(diff):+.3f} [{lo:+.3f}, {hi:+.3f}]", stats.randomisation_test(xb, xa)]
            rows.append(row)
    header = ["gold", "retriever", "queries", "nDCG@10 torch", "nDCG@10 int8", "Recall@10 torch", "Recall@10 int8",
              "Δ nDCG@10 (int8 − torch)", "p (paired randomisation)"]
    overlap = (f"Split {split}. Dense top-10 overlap between the backends: {_overlap(runs['torch'], runs['onnx-int8']):.3f} "
               f"over the {len(queries)} gold queries (all splits), {_overlap(generated_runs['torch'], generated_runs['onnx-int8']):.3f} over "
               f"{len(generated)} generated ones (unfiltered).")
    return "\n".join([table(header, rows), "", overlap, *notes])


# --- main ------------------------------------------------------------------------------------------------------


def main(workspace: str | None = None, ann_sizes: list[int] = (), n_queries: int = 200, onnx: bool = True,
         hnsw: dict | None = None, kinds: tuple[str, ...] = ("clustered",), anchors: str | None = None) -> str:
    out = []
    if workspace:
        from crosswalk.workspace import Workspace
        from crosswalk.index.build import load_searcher
        from crosswalk.index.embedder import model_cache_for
        from crosswalk.ingest.store import Store

        ws = Workspace.resolve(workspace)
        onnx = onnx and onnx_available()
        model_cache = model_cache_for(ws.index_dir)
        with Store(ws.db_path, readonly=True) as store:
            searcher = load_searcher(store, ws.index_dir)
            n_prov, n_pass = len(searcher.ids), searcher.dense.dense.n_rows
            out.append(f"### Corpus: {n_prov:,} provisions, {n_pass:,} passages ({ws.root})\n")
            rows, note = bench_embedding(store, model_cache, onnx=onnx)
            out.append(table(["embedding", "passages", "mean words", "passages/s", "CPU ms/passage",
                              "mean / min cosine to plain", "one query p50 ms"], rows))
            out.append(f"\n{note}\n")
            print(out[-2], file=sys.stderr, flush=True)
            out.append(table(["build", "index", "embedded", "reused", "seconds"], bench_build(store, ws.index_dir)))
            out.append("")
            searcher = load_searcher(store, ws.index_dir)
            queries = make_queries(store, n_queries)
            out.append(f"Load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall "
                       "times grow with other processes; CPU time does not).\n")
            out.append(table(["retriever", "filter", "queries", "p50 ms", "p95 ms", "p99 ms", "p50 CPU ms"],
                             bench_queries(searcher, queries)))
            out.append("")
            if onnx:
                out.append("### Retrieval quality per embedding backend (gold, split all)\n")
                out.append(bench_backends(store, ws, model_cache, queries))
                out.append("")
    for n in ann_sizes:
        for kind in kinds:
            print(f"ann: {n:,} {kind} vectors …", file=sys.stderr, flush=True)
            out.append(table(["vectors", "index", "settings", "build s", "recall@10", "p50 ms", "p95 ms",
                              "RSS MiB"], bench_ann(n, hnsw=hnsw, kind=kind,
                                                    anchors=np.load(anchors) if anchors else None)))
            out.append("")
            print(out[-2], file=sys.stderr, flush=True)  # each table as soon as it is measured
    current, peak = rss_mib()
    out.append(f"Peak resident memory: {peak:,.0f} MiB (now {current:,.0f} MiB).")
    return "\n".join(out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", help="workspace with a store and an index (corpus part)")
    ap.add_argument("--queries", type=int, default=200, help="number of generated queries (default 200)")
    ap.add_argument("--ann", default="", help="comma-separated synthetic sizes, e.g. 100000,1000000")
    ap.add_argument("--hnsw", default="{}", help='HNSW options as JSON, e.g. \'{"M": 16, "ef_construction": 100}\'')
    ap.add_argument("--kinds", default="clustered", help="synthetic distributions: clustered, anchored, uniform")
    ap.add_argument("--anchors", default=None, help="real embeddings (.npy) for --kinds anchored")
    ap.add_argument("--backends-only", action="store_true",
                    help="only the torch vs onnx-int8 retrieval quality (with --split and --other-index)")
    ap.add_argument("--split", default="all", help="gold split for --backends-only: all, dev or test")
    ap.add_argument("--other-index", default=None,
                    help="an index folder of the same store built with the other backend (else one is built)")
    ap.add_argument("--no-onnx", dest="onnx", action="store_false",
                    help="skip the onnx-int8 backend (its throughput, and its index and quality)")
    a = ap.parse_args()
    sizes = [int(x) for x in a.ann.split(",") if x.strip()]
    kinds = tuple(k.strip() for k in a.kinds.split(",") if k.strip())
    if a.backends_only:
        from crosswalk.workspace import Workspace
        from crosswalk.index.embedder import model_cache_for
        from crosswalk.ingest.store import Store

        w = Workspace.resolve(a.workspace)
        with Store(w.db_path, readonly=True) as st:
            print(bench_backends(st, w, model_cache_for(w.index_dir), make_queries(st, a.queries), split=a.split,
                                 other_index=Path(a.other_index) if a.other_index else None))
        sys.exit(0)
    print(main(a.workspace, sizes, a.queries, a.onnx, json.loads(a.hnsw), kinds, a.anchors))
