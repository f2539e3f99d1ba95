"""`crosswalk bench ...`: the benchmarks, run on demand; each prints a Markdown table for the README."""

from __future__ import annotations

from pathlib import Path

import click

from crosswalk.cli.common import CHECKOUT, default_corpus, one_line_errors, staged_bar, workspace_option
from crosswalk.errors import ConfigError, CrosswalkError
from crosswalk.workspace import Workspace


@click.group("bench")
def bench() -> None:
    """Benchmarks, run on demand; each prints a Markdown table for the README.

    Example: crosswalk bench ingest
    """


@bench.command("index")
@workspace_option
@click.option("--ann", default="", help="Synthetic vector-set sizes for exact vs approximate FAISS, e.g. 100000,1000000.")
@click.option("--kinds", default="clustered", show_default=True,
              help="Synthetic distributions: clustered, anchored (around the workspace's real embeddings), uniform.")
@click.option("--queries", "n_queries", type=int, default=200, show_default=True, help="Generated queries.")
@click.option("--onnx/--no-onnx", default=True, show_default=True,
              help="Also measure the onnx-int8 backend: throughput, and gold retrieval quality with a whole index it "
                   "builds under a temporary folder (a few minutes).")
@one_line_errors
def bench_index(workspace, ann, kinds, n_queries, onnx):
    """Embedding throughput (plain encode, our torch and onnx-int8 embedders), retrieval quality per backend,
    index build time, query latency p50/p95 per retriever, exact vs approximate FAISS with recall@10, and peak
    memory.

    Example: crosswalk bench index --ann 100000,1000000 --kinds anchored
    """
    from crosswalk.bench.bench_index import main as run

    ws = Workspace.resolve(workspace)
    sizes = [int(x) for x in ann.split(",") if x.strip()]
    kind_list = tuple(k.strip() for k in kinds.split(",") if k.strip())
    anchors = str(ws.index_dir / "embeddings.npy") if "anchored" in kind_list else None
    click.echo(run(str(ws.root), sizes, n_queries, onnx=onnx, kinds=kind_list, anchors=anchors))


@bench.command("citations")
@workspace_option
@click.option("--before", default=None, type=click.Path(file_okay=False, exists=True),
              help="A checkout of older code (e.g. `git archive` of a commit) to compare first hits with.")
@click.option("--rounds", type=int, default=5, show_default=True, help="Timed passes over the queries.")
@one_line_errors
def bench_citations(workspace, before, rounds):
    """How many of 30 citations typed as lawyers type them come first, and what reading citations adds to a
    query's p50 (citation reading off and on, interleaved; resolve alone). Needs a saved index.

    Example: crosswalk bench citations --workspace workspace
    """
    from crosswalk.bench.bench_citations import main as run

    click.echo(run(str(Workspace.resolve(workspace).root), before, rounds))


@bench.command("ingest")
@click.argument("folder", required=False, type=click.Path(file_okay=False, exists=True))
@click.option("--workers", type=int, default=None, help="Parallel documents (default: one per core).")
@one_line_errors
def bench_ingest(folder, workers):
    """Pages/s and provisions/s for ingesting FOLDER (default ../shared/corpus), with and without tagging.

    Example: crosswalk bench ingest ../shared/corpus
    """
    from crosswalk.bench.ingest import main as run

    click.echo(run(Path(folder) if folder else default_corpus(), workers))


@bench.command("learning-curve")
@workspace_option
@click.option("--sizes", default="0,10,20,40,all", show_default=True,
              help="Decision counts to retrain at (gold dev pairs replayed as decisions; all = every dev pair).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the replay order, training and intervals.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="PNG to draw (default docs/learning_curve.png in the checkout; 'none' for no plot).")
@one_line_errors
def bench_learning_curve(workspace, sizes, seed, plot_path):
    """Recall@10 and nDCG@10 on the gold test-half pairs as reviewers' decisions arrive: the dev pairs are
    replayed as decisions in batches and the ranker is retrained after each (in a scratch copy of the
    workspace; its own decisions and model are not touched). Saves WORKSPACE/eval/learning_curve.json (the
    app's evaluation page draws it) and a PNG, and prints a Markdown table with 95% intervals and paired
    p-values against hybrid.

    Example: crosswalk bench learning-curve --workspace workspace --sizes 0,10,20,40,all
    """
    from crosswalk.bench.learning_curve import format_curve, learning_curve, plot_curve

    ws = Workspace.resolve(workspace)
    try:
        chosen = [None if s.strip().lower() == "all" else int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        raise CrosswalkError(f"--sizes {sizes!r}: use whole numbers and 'all', comma-separated (0,10,20,40,all)")
    bar, progress = staged_bar("batch")
    try:
        curve = learning_curve(ws, sizes=chosen, seed=seed, progress=progress)
    finally:
        bar.close()
    click.echo(format_curve(curve))
    if (plot_path or "").lower() != "none":
        target = Path(plot_path) if plot_path else CHECKOUT / "docs" / "learning_curve.png"
        click.echo(f"plot: {plot_curve(curve, target)}", err=True)
    click.echo(f"curve saved: {ws.root / 'eval' / 'learning_curve.json'}", err=True)


@bench.command("rerank")
@workspace_option
@click.option("--no-train", is_flag=True, help="Use the saved ranker instead of timing `crosswalk learn` first.")
@one_line_errors
def bench_rerank(workspace, no_train):
    """The learned ranker's cost: rerank latency p50/p95 for 100 candidates, training time, model size, and
    what late interaction over contextual token vectors would cost (at query time, or stored).

    Example: crosswalk bench rerank --workspace workspace
    """
    from crosswalk.bench.rerank import main as run

    click.echo(run(Workspace.resolve(workspace), train=not no_train))


@bench.command("first-run")
@click.argument("folder", required=False, type=click.Path(file_okay=False, exists=True))
@click.option("--keep", type=click.Path(file_okay=False), default=None,
              help="Keep Crosswalk's fresh workspace in this folder (default: a temporary one, deleted).")
@one_line_errors
def bench_first_run(folder, keep):
    """Crosswalk's whole first run (ingest with tagging, index, match US→UK, in a fresh workspace) against a naive
    pipeline (pypdf text, 160-word windows, plain fp32 SentenceTransformer.encode), interleaved: naive,
    Crosswalk, naive. Prints both times, the ratio and the time per stage. Takes several minutes.

    Example: crosswalk bench first-run ../shared/corpus
    """
    from crosswalk.bench.first_run import main as run

    click.echo(run(Path(folder) if folder else default_corpus(), Path(keep) if keep else None))


@bench.command("match")
@workspace_option
@click.option("--from", "from_jur", default="US", show_default=True)
@click.option("--to", "to_jur", default="UK", show_default=True)
@click.option("--k", "-k", "k", type=int, default=5, show_default=True)
@click.option("--rounds", type=int, default=1, show_default=True, help="Interleaved runs per side.")
@one_line_errors
def bench_match(workspace, from_jur, to_jur, k, rounds):
    """Batched matching against the legacy path (`match --legacy`) on the workspace's index: seconds of each,
    interleaved, and how often they propose the same top-k candidates. Writes nothing.

    Example: crosswalk bench match --from US --to UK
    """
    from crosswalk.bench.match_speed import main as run

    click.echo(run(Workspace.resolve(workspace).root, from_jur, to_jur, k, rounds))


@bench.command("ceiling")
@one_line_errors
def bench_ceiling():
    """This machine's ceiling for the embedding model: GFLOP per passage against measured GFLOP/s, fp32 and
    int8 (onnxruntime, the model's feed-forward product).

    Example: crosswalk bench ceiling
    """
    from crosswalk.bench.ceiling import main as run

    click.echo(run())


@bench.command("app")
@workspace_option
@click.option("--query", default="custody of client cryptoassets", show_default=True, help="The first search.")
@click.option("--no-browser", is_flag=True, help="Only the library measurement (no Streamlit, no Chromium).")
@one_line_errors
def bench_app(workspace, query, no_browser):
    """Seconds from start to the first answered search: in a fresh Python process, and with `streamlit run`
    and a headless Chromium opening the search page. Needs a saved index (`crosswalk index`); never re-embeds.

    Example: crosswalk bench app --workspace workspace
    """
    from crosswalk.bench.app_startup import main as run

    click.echo(run(Workspace.resolve(workspace), query, browser=not no_browser))


@bench.command("db")
@workspace_option
@click.option("--database-url", "url", default=None,
              help="PostgreSQL to measure against SQLite (default: $CROSSWALK_DATABASE_URL). A new schema is "
                   "made in it and dropped at the end.")
@click.option("--decisions", type=int, default=2000, show_default=True, help="Decisions to write per backend.")
@click.option("--queries", "n_queries", type=int, default=200, show_default=True, help="Searches per backend.")
@one_line_errors
def bench_db(workspace, url, decisions, n_queries):
    """Decisions per second (one at a time, and in batches of 100) and search latency p50/p95, on SQLite and
    on PostgreSQL, in one run, over a copy of the workspace's provisions and its saved index.

    Example: crosswalk bench db --database-url postgresql://crosswalk@localhost/bench
    """
    import os

    from crosswalk.bench.db import main as run
    from crosswalk.workspace import DATABASE_ENV_VAR

    url = url or os.environ.get(DATABASE_ENV_VAR)
    if not url:
        raise ConfigError("bench db needs a PostgreSQL server: --database-url postgresql://user@host/db")
    ws = Workspace.resolve(workspace, database_url="")
    click.echo(run(ws, url, decisions, n_queries))
