"""The learning curve: how matching improves as reviewers' decisions arrive (`crosswalk bench learning-curve`).

Replays the gold DEV pairs (`evaluation/gold/pairs.csv` ∩ the dev half of `split.tsv`) as reviewer decisions in
batches — 0, 10, 20, 40 and all of them by default, in a seeded random order — and after each batch retrains the
ranker (`crosswalk.index.rerank.learn`, with the gold dev queries and the decisions so far; the gold pair file is NOT read
as training data, so the pairs enter only as decisions) and scores matching on the gold TEST-half pairs:
Recall@10 and nDCG@10 of `hybrid+rerank` with 95% bootstrap intervals over the pair queries, and the paired
randomisation test against today's `hybrid` on the same queries. Scoring is `crosswalk eval --pairs --split
test`'s own (`crosswalk.evaluation.runs.pair_queries`, `like_run`, `crosswalk.evaluation.scores.score_run`), so
the figures are comparable with it.

Nothing is written to the workspace's own store or models: the decisions and models live in a scratch copy of the
workspace (the database copied with SQLite's backup API, the index copied), deleted at the end. The curve is
saved as `WORKSPACE/eval/learning_curve.json` after every batch (the app's evaluation page draws it; `complete`
says whether every batch is in) and, with `plot_curve`, as a PNG (matplotlib) for the README. The batches run
in the order none, all, then the sizes between, each from a fresh set of decisions, so an interrupted run
still shows the whole gain.

Example:
    curve = learning_curve(Workspace.resolve("workspace"), sizes=(0, 10, 20, 40, None))
    print(format_curve(curve))
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from crosswalk.errors import ConfigError
from crosswalk.files import atomic_write
from crosswalk.workspace import Workspace
from crosswalk.evaluation.curve import CURVE_FILE, METRICS, format_curve, load_curve  # noqa: F401 (the bench's API)

DEFAULT_SIZES = (0, 10, 20, 40, None)  # None: every dev pair
REVIEWER = "learning-curve"
Progress = Callable[[str, int, int], None]


def batch_sizes(sizes: Sequence[int | None], available: int) -> list[int]:
    """The decision counts to train at: each size capped at `available` (None = all), once each, ascending.

    >>> batch_sizes((0, 10, 20, 40, None), 38)
    [0, 10, 20, 38]
    """
    out = sorted({available if s is None else min(int(s), available) for s in sizes})
    if any(s is not None and int(s) < 0 for s in sizes):
        raise ConfigError(f"batch sizes must be 0 or more, got {list(sizes)}")
    return out


def _scratch_copy(ws: Workspace, into: Path) -> Workspace:
    """A copy of `ws`'s database and index under `into` (`crosswalk.bench.workspace_copy`), its decisions
    cleared; no decision of the original is lost or changed, since the copy is what the benchmark writes to."""
    from crosswalk.bench.workspace_copy import copy_workspace

    scratch = copy_workspace(ws, into)
    _clear_decisions(scratch)  # the replay starts from none: the workspace's own are not part of the experiment
    return scratch


def _clear_decisions(scratch: Workspace) -> None:
    """Empty the SCRATCH copy's decisions (its append-only trigger dropped: this copy is the experiment's)."""
    conn = sqlite3.connect(str(scratch.db_path))
    try:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='decisions'").fetchone():
            conn.executescript("DROP TRIGGER IF EXISTS decisions_no_delete; DELETE FROM decisions;")
            conn.commit()
    finally:
        conn.close()


def _save(workspace: Workspace, curve: dict) -> None:
    atomic_write(workspace.root / CURVE_FILE, json.dumps(curve, indent=2))


def _point(name: str, scores, hybrid, decisions: int, extra: dict) -> dict:
    from crosswalk.evaluation.stats import randomisation_test

    point = {"decisions": decisions, "system": name, "queries": len(scores.per_query), **extra}
    qids = sorted(scores.per_query)
    for m in METRICS:
        point[m] = round(scores.means[m], 4)
        point[f"{m}_ci"] = [round(x, 4) for x in scores.ci[m]]
        if hybrid is not None:
            a = [scores.per_query[q][m] for q in qids]
            b = [hybrid.per_query[q][m] for q in qids]
            point[f"{m}_p_vs_hybrid"] = round(randomisation_test(a, b), 4)
    return point


def learning_curve(
    workspace: Workspace,
    *,
    sizes: Sequence[int | None] = DEFAULT_SIZES,
    seed: int = 0,
    k: int = 100,
    resamples: int = 1000,
    progress: Progress | None = None,
    save: bool = True,
    gold: tuple | None = None,
) -> dict:
    """Replay the dev pairs as decisions in batches, retrain after each, score the test-half pairs (see the
    module docstring). Returns `{"points": [...], "hybrid": {...}, ...}` and, with `save`, writes it to
    `WORKSPACE/eval/learning_curve.json`. `gold` is `(queries, qrels, pairs, splits)`, by default the files in
    `evaluation/gold/`. A batch with nothing to train on (no decisions yet and no dev query whose answer is in
    the pool) scores the first stage: its point says `"model": false`."""
    from crosswalk.evaluation import gold_io
    from crosswalk.evaluation.rollup import Hierarchy
    from crosswalk.evaluation.run import _jurisdiction_of
    from crosswalk.evaluation.runs import RERANKED, like_run, pair_queries
    from crosswalk.evaluation.scores import score_run
    from crosswalk.index.build import load_searcher
    from crosswalk.evaluation.learn import learn
    from crosswalk.index.rerank import load_ranker
    from crosswalk.ingest.store import Store
    from crosswalk.review.decisions import DecisionStore, NewDecision

    if not workspace.db_path.exists() or not (workspace.index_dir / "params.json").exists():
        raise ConfigError(f"{workspace.root} needs a store and an index: run `crosswalk ingest` and `crosswalk index`")
    queries, qrels, pairs, splits = gold or (gold_io.load_queries(), gold_io.load_qrels(), gold_io.load_pairs(),
                                             gold_io.load_split())
    dev = [p for p in pairs if gold_io.in_split(p.key, "dev", splits) and p.relationship != "unsure"]
    test = [p for p in pairs if gold_io.in_split(p.key, "test", splits)]
    if not dev or not test:
        raise ConfigError(f"the gold has {len(dev)} dev and {len(test)} test pairs: the curve needs both "
                          "(evaluation/gold/pairs.csv and split.tsv)")
    order = sorted(dev, key=lambda p: (p.left_id, p.right_id))
    random.Random(seed).shuffle(order)
    counts = batch_sizes(sizes, len(order))
    # the ends first (none, then every dev pair), so an interrupted run still shows the whole gain
    run_order = list(dict.fromkeys([counts[0], counts[-1], *counts[1:-1]]))
    started = time.perf_counter()
    curve = {
        "generated_at": "", "seed": seed, "k": k, "resamples": resamples, "dev_pairs": len(order),
        "test_pairs": len(test), "test_pair_queries": 0, "hybrid": {}, "points": [], "complete": False,
        "seconds": 0.0,
        "note": "hybrid+rerank retrained after each batch of gold dev pairs replayed as decisions (with the gold "
                "dev queries); scored on the gold test-half pairs; p: paired randomisation test against hybrid",
    }
    scratch_root = Path(tempfile.mkdtemp(prefix="crosswalk-curve-"))
    try:
        scratch = _scratch_copy(workspace, scratch_root / "ws")
        # the gold for training: the dev queries, and the test pairs only so `learn` keeps them out (never labels)
        training_gold = (queries, qrels, test, splits)
        with Store(scratch.db_path, readonly=True) as store:
            searcher = load_searcher(store, scratch.index_dir)
            tq, tqrels = pair_queries(test, _jurisdiction_of(store))
            ancestors = Hierarchy.from_store(store).ancestors
            hybrid = score_run("hybrid", "pairs", like_run(searcher, tq, "hybrid", k), tqrels, ancestors,
                               resamples=resamples, seed=seed)
            curve["hybrid"] = _point("hybrid", hybrid, None, 0, {})
            curve["test_pair_queries"] = len(tq)
            for step, n in enumerate(run_order, start=1):
                _clear_decisions(scratch)
                with DecisionStore(scratch.db_path) as ds:
                    ds.record_many([NewDecision(p.left_id, p.right_id, p.relationship, REVIEWER,
                                                note=f"gold dev pair replayed (seed {seed})") for p in order[:n]])
                try:
                    report = learn(store, scratch, seed=seed, use_decisions=True, gold=training_gold)
                except ConfigError as e:
                    if "nothing to train on" not in str(e):
                        raise
                    point = _point("hybrid", hybrid, hybrid, n, {"model": False, "decision_queries": 0})
                else:
                    ranker = load_ranker(scratch)
                    run = like_run(searcher, tq, RERANKED, k, ranker=ranker)
                    scores = score_run(RERANKED, "pairs", run, tqrels, ancestors, resamples=resamples, seed=seed)
                    point = _point(RERANKED, scores, hybrid, n, {
                        "model": True, "decision_queries": report.decisions, "train_seconds": report.seconds,
                        "dev_after": report.dev_after})
                curve["points"] = sorted([*curve["points"], point], key=lambda p: p["decisions"])
                curve["complete"] = step == len(run_order)
                curve["generated_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
                curve["seconds"] = round(time.perf_counter() - started, 1)
                if save:  # after every batch, so a long run shows its progress
                    _save(workspace, curve)
                if progress:
                    progress("learning curve", step, len(run_order))
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)
    return curve


def plot_curve(curve: dict, path: Path | str) -> Path:
    """A PNG of Recall@10 and nDCG@10 against the number of decisions, with 95% intervals and hybrid's level."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    xs = [p["decisions"] for p in curve["points"]]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharex=True)
    for ax, m in zip(axes, METRICS):
        ys = [p[m] for p in curve["points"]]
        lo = [p[m] - p[f"{m}_ci"][0] for p in curve["points"]]
        hi = [p[f"{m}_ci"][1] - p[m] for p in curve["points"]]
        ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=4, label="hybrid+rerank (retrained)")
        h = curve["hybrid"]
        ax.axhline(h[m], color="#888", linestyle="--", label="hybrid (no ranker)")
        ax.axhspan(h[f"{m}_ci"][0], h[f"{m}_ci"][1], color="#888", alpha=0.12)
        ax.set_title(f"test-half pairs {m}")
        ax.set_xlabel("gold dev pairs given as reviewer decisions")
        ax.set_ylim(0, 1)
        ax.set_xticks(xs)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"Learning from reviewers' decisions ({curve['test_pair_queries']} test pair queries, 95% CIs)",
                 fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
