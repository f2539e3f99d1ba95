"""The cost of the learned second stage (`crosswalk.index.rerank`) on this machine.

- **rerank latency**: features + model for 100 first-stage candidates (the pool cut to its first 100), p50 and
  p95 over the gold queries and the gold pairs' left provisions (`like`), after one warm-up pass; the first
  stage (BM25, query embedding, dense search) is timed apart. LightGBM predicts on one thread; the query
  embedding uses the embedder's threads (two here). Target: p50 of 150 ms or less.
- **training time** of `crosswalk learn` (pools, features, cross-validation, final fit) and the **model size**.
- **late interaction over contextual token vectors** (`output_value="token_embeddings"`): the time to embed 100
  candidates' tokens at query time, and what storing them for the whole corpus would take (float16), measured
  from the corpus's word-piece counts — why the shipped `maxsim` feature uses the model's static word-piece
  vectors instead.

Example: crosswalk bench rerank --workspace workspace   (prints a Markdown table)
"""

from __future__ import annotations

import os
import time
from statistics import quantiles

import numpy as np

from crosswalk.errors import ConfigError
from crosswalk.workspace import Workspace

CANDIDATES = 100


def _pct(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0], values[0]) if values else (float("nan"), float("nan"))
    q = quantiles(values, n=100, method="inclusive")
    return q[49], q[94]


def _cut(pool, n: int):
    from crosswalk.index.rerank.pool import Pool
    from crosswalk.index.results import Results

    r = pool.results
    return Pool(pool.kind, pool.query, Results(r.query, r.retriever, r.hits[:n]), pool.vectors, pool.jurisdictions)


def main(workspace: Workspace, *, train: bool = True, token_sample: int = 3) -> str:
    """Measure and return a Markdown table. With `train`, `crosswalk learn` runs first (timed); without, the
    saved model is used."""
    from crosswalk.evaluation import gold_io
    from crosswalk.index.build import load_searcher
    from crosswalk.index.filters import Filters
    from crosswalk.evaluation.learn import learn
    from crosswalk.index.rerank import load_ranker, model_paths
    from crosswalk.index.rerank.pool import like_pool, search_pool
    from crosswalk.ingest.store import Store

    rows: list[tuple[str, str]] = []
    with Store(workspace.database, readonly=True) as store:
        if train:
            t0 = time.perf_counter()
            report = learn(store, workspace)
            rows.append(("training (`crosswalk learn`: pools, features, 5-fold CV, fit)",
                         f"{time.perf_counter() - t0:.1f} s ({report.examples:,} candidates in "
                         f"{report.queries + report.pairs + report.decisions} queries)"))
        ranker = load_ranker(workspace)
        if ranker is None:
            raise ConfigError(f"no trained ranker in {workspace.root}: run `crosswalk learn` (or drop --no-train)")
        model_path, meta_path = model_paths(workspace)
        rows.append(("model size (LightGBM text + JSON metadata)",
                     f"{model_path.stat().st_size / 1024:.1f} KiB + {meta_path.stat().st_size / 1024:.1f} KiB"))
        searcher = load_searcher(store, workspace.index_dir)
        searcher.warm("hybrid")
        ranker.corpus(searcher)
        jur_of = store.jurisdictions()
        asks = [("query", q.text, q.jurisdiction) for q in gold_io.load_queries()]
        asks += [("like", p.left_id, jur_of.get(p.right_id, "")) for p in gold_io.load_pairs()
                 if p.left_id in jur_of]
        asks = list(dict.fromkeys(asks))
        first, rerank, sizes = [], [], []
        for rep in range(2):  # the first pass warms the per-provision caches; the second is measured
            for kind, what, jur in asks:
                f = Filters(jurisdiction=jur) if jur else None
                t0 = time.perf_counter()
                pool = search_pool(searcher, what, f) if kind == "query" else like_pool(searcher, what, f)
                t1 = time.perf_counter()
                pool = _cut(pool, CANDIDATES)
                t2 = time.perf_counter()
                ranker.rerank(searcher, pool)
                t3 = time.perf_counter()
                if rep == 1:
                    first.append((t1 - t0) * 1000)
                    rerank.append((t3 - t2) * 1000)
                    sizes.append(len(pool.results))
        cold_ranker = load_ranker(workspace)
        kind, what, jur = asks[0]
        pool = _cut(search_pool(searcher, what, Filters(jurisdiction=jur) if jur else None), CANDIDATES)
        t0 = time.perf_counter()
        cold_ranker.rerank(searcher, pool)
        cold = (time.perf_counter() - t0) * 1000
        p50, p95 = _pct(rerank)
        f50, f95 = _pct(first)
        rows.append((f"rerank latency, {CANDIDATES} candidates ({len(rerank)} queries and pairs; target p50 ≤ 150 ms)",
                     f"p50 {p50:.0f} ms, p95 {p95:.0f} ms (mean pool {np.mean(sizes):.0f})"))
        rows.append(("first stage for the same asks (BM25 + embed + dense + fusion)", f"p50 {f50:.0f} ms, p95 {f95:.0f} ms"))
        rows.append(("first rerank in a fresh ranker (corpus centroids and caches built)", f"{cold:.0f} ms"))
        rows.extend(_token_embeddings(store, searcher, token_sample))
    header = f"| rerank cost on {os.cpu_count()} cores | measured |\n| --- | --- |\n"
    return header + "\n".join(f"| {a} | {b} |" for a, b in rows)


def _token_embeddings(store, searcher, samples: int) -> list[tuple[str, str]]:
    """Query-time cost of contextual token vectors for 100 candidates, and the size of storing them all."""
    model = getattr(searcher.dense.embedder, "model", None)
    if model is None or not hasattr(model, "tokenizer"):
        return [("contextual token vectors", "not measured: the embedder is not a sentence-transformers model")]
    texts = [p.embedding_text() for p in store.iter_provisions()]
    tok = model.tokenizer
    limit = getattr(model, "max_seq_length", 256) or 256
    lengths = [min(limit, len(ids)) for ids in tok(texts, add_special_tokens=True, truncation=True,
                                                   max_length=limit)["input_ids"]]
    dim = searcher.dense.dense.dim
    stored = sum(lengths) * dim * 2
    rng = np.random.default_rng(0)
    times = []
    for _ in range(max(1, samples)):
        pick = [texts[i] for i in rng.choice(len(texts), CANDIDATES, replace=False)]
        t0 = time.perf_counter()
        model.encode(pick, output_value="token_embeddings", batch_size=32)
        times.append(time.perf_counter() - t0)
    return [
        (f"contextual token vectors for {CANDIDATES} candidates at query time (MiniLM, `token_embeddings`)",
         f"{np.median(times) * 1000:.0f} ms (median of {len(times)})"),
        ("storing contextual token vectors for the corpus instead (float16)",
         f"{stored / 2**20:.0f} MiB for {sum(lengths):,} tokens of {len(texts):,} provisions "
         f"(the dense index: {searcher.dense.dense.n_rows * dim * 4 / 2**20:.0f} MiB)"),
    ]
