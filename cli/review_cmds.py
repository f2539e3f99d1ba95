"""`crosswalk match`, `crosswalk app`, `crosswalk export` and `crosswalk decisions import`: the review queue, the
review app, and the reviewers' decisions out and in."""

from __future__ import annotations

import json
import sys

import click

from crosswalk.cli.common import one_line_errors, reranking, staged_bar, workspace_option
from crosswalk.errors import CrosswalkError
from crosswalk.workspace import Workspace


@click.command("match")
@workspace_option
@click.option("--from", "from_jur", default="US", show_default=True, help="Jurisdiction of the focal provisions.")
@click.option("--to", "to_jur", default="UK", show_default=True, help="Jurisdiction to find counterparts in.")
@click.option("--k", "-k", "k", type=int, default=5, show_default=True, help="Candidates per provision (1 to 100).")
@click.option("--boundary", type=float, default=None,
              help="Score at which a pair is as likely a counterpart as not (default: the run's median best score).")
@click.option("--explain/--no-explain", default=False, show_default=True,
              help="Find every pair's best-aligned sentences now (embeds every sentence of both sides: about as long "
                   "as the matching itself). Off, the app finds a pair's sentences when it shows the pair.")
@click.option("--method", type=click.Choice(["auto", "vectors", "like", "search"]), default="auto", show_default=True,
              help="like (auto): the searcher's like-ranking with --retriever; vectors: one matrix product over the "
                   "stored embeddings; search: one text search per provision.")
@click.option("--retriever", "-r", default="hybrid", show_default=True,
              help="bm25, dense or hybrid: the ranking --method like uses.")
@click.option("--order", type=click.Choice(["teach", "confident"]), default="teach", show_default=True,
              help="teach: the pairs whose decision would teach the ranker most first (uncertainty and retriever "
                   "disagreement), with --random-share random pairs; confident: mutual best matches first.")
@click.option("--random-share", type=float, default=0.1, show_default=True,
              help="With --order teach: share of queue positions (every tenth for 0.1) given to random pairs.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random pairs.")
@click.option("--legacy", is_flag=True,
              help="Rank with one like-search per provision and per candidate (the path before batching; same "
                   "candidates, several times slower), for comparison.")
@one_line_errors
def match_command(workspace, from_jur, to_jur, k, boundary, explain, method, retriever, order, random_share, seed,
                  legacy):
    """Propose counterparts for every provision of one jurisdiction in another, into the review queue.

    Each provision of --from (headings, fragments under 8 words and front matter left out) gets its --k most
    similar provisions of --to, with the score, whether the match is mutual, and shared defined terms and
    entities; the best-aligned sentence pair is found when the app shows the pair (or now, with --explain).
    With --order teach (the default) the queue puts first the pairs a
    decision would teach the ranker most: those it is least sure of and those the retrievers rank most
    differently, with one position in ten given to a random pair so that estimates stay unbiased (see
    index/active.py). --order confident puts mutual best matches first, then the most uncertain pairs.
    Re-running replaces that direction's queue; pairs found again keep their date.

    Example: crosswalk match --from US --to UK --k 5
    """
    from crosswalk.index.active import order_queue
    from crosswalk.index.build import load_searcher
    from crosswalk.index.match import match
    from crosswalk.ingest.store import Store

    ws = Workspace.resolve(workspace)
    if not ws.has_store():
        raise CrosswalkError(f"no store at {ws.describe_database()}: run `crosswalk ingest` first")
    bar, progress = staged_bar("prov")

    try:
        with Store(ws.database) as store:
            searcher = reranking(load_searcher(store, ws.index_dir), ws, retriever if method in ("auto", "like") else "-")
            report = match(store, searcher, from_jur, to_jur, k, method=method, retriever=retriever,
                           boundary=boundary, explain=explain, sentence_cache=ws.index_dir / "sentences",
                           progress=progress, legacy=legacy)
            ordered = order_queue(store, searcher, ws, report.from_jur, report.to_jur, order,
                                  random_share=random_share, seed=seed, ranks=report.ranks, progress=progress)
    finally:
        bar.close()
    click.echo(report.summary())
    if ordered is not None:
        click.echo(ordered.summary())


@click.command("app")
@workspace_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Any other than loopback needs an account (crosswalk users add): then "
                   "everyone signs in. Put it behind a TLS reverse proxy (README: Team server).")
@click.option("--port", type=int, default=8501, show_default=True, help="Port to listen on.")
@one_line_errors
def app_command_cli(workspace, host, port):
    """Open the review app (Streamlit) on the workspace: search, side-by-side review, crosswalk, evaluation.

    The store and the saved index are loaded once; nothing is re-embedded. Stop it with Ctrl-C.

    Example: crosswalk app --port 8501
    """
    import os

    from crosswalk.app_pages.launch import LOOPBACK, app_command
    from crosswalk.review.accounts import Accounts

    ws = Workspace.resolve(workspace)
    if not ws.has_store():
        raise CrosswalkError(f"no store at {ws.describe_database()}: run `crosswalk ingest` and `crosswalk index` first")
    argv, env = app_command(ws, host, port)
    with Accounts(ws.database) as accounts:
        signed = accounts.any_active()
    if host not in LOOPBACK and not signed:
        raise CrosswalkError(
            f"refusing to listen on {host} with no account: anyone who reached it could read and decide; add one "
            "with `crosswalk users add NAME --role admin` (or keep --host 127.0.0.1)")
    click.echo(f"Crosswalk app on http://{host}:{port} (workspace {ws.root}); Ctrl-C to stop", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    # Streamlit takes this process's place, so Ctrl-C and `kill` reach the server itself
    os.execve(argv[0], argv, {**os.environ, **env})


@click.command("export")
@workspace_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default=None,
              help="File format (default: from the extension of -o, else csv).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="File to write (default: standard output, for csv and json).")
@click.option("--reviewer", default=None, help="Only this reviewer's decisions.")
@one_line_errors
def export_command(workspace, fmt, output, reviewer):
    """Write the crosswalk: the current decisions (latest per pair and reviewer) with OLIR-style columns.

    Columns: focal element, focal text, relationship, reference element, reference text, rationale, strength,
    comments, reviewer, date, and whether the decision is stale (a text changed since it was made).

    Example: crosswalk export --format xlsx -o crosswalk.xlsx
    """
    from crosswalk.ingest.store import Store
    from crosswalk.review.decisions import DecisionStore
    from crosswalk.review.export import export, output_format, write

    ws = Workspace.resolve(workspace)
    if not ws.has_store():
        raise CrosswalkError(f"no store at {ws.describe_database()}: run `crosswalk ingest` first")
    fmt = output_format(fmt, output)
    with DecisionStore(ws.database) as ds, Store(ws.database, readonly=True) as store:
        decisions = ds.current(reviewer)
        if output:
            path = write(store, decisions, output, fmt)
        else:
            data = export(store, decisions, fmt)
    if not output:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    click.echo(f"wrote {len(decisions):,} decisions to {path} ({fmt})", err=True)


@click.group("decisions")
def decisions() -> None:
    """Reviewers' decisions: import a firm's existing crosswalk spreadsheet as decisions.

    Example: crosswalk decisions import firm-crosswalk.xlsx --reviewer ana
    """


@decisions.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@workspace_option
@click.option("--reviewer", default=None,
              help="Record every row under this name (default: the file's reviewer column, else import:FILE).")
@click.option("--dry-run", is_flag=True, help="Check every row and report, but write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report (every failed row) as one JSON object.")
@one_line_errors
def decisions_import(file, workspace, reviewer, dry_run, as_json):
    """Append the rows of a crosswalk CSV or XLSX file as decisions (training data for `crosswalk learn`).

    The file needs a header with left_id, right_id and relationship (note, rationale, strength and reviewer
    are read when present), or the columns `crosswalk export` writes. Relationships are the OLIR terms (equal,
    subset-of, superset-of, intersects-with, not-related, unsure); case, spacing and plain variants such as
    "Subset of" are accepted. Each bad row (unknown id or relationship, empty cell, repeated pair) is named with
    its line and skipped; the good rows still import, in one transaction per 500 rows; nothing already stored
    changes. A row equal to the reviewer's current decision is not appended again. --dry-run checks the file
    and writes nothing. Exits 1 if any row failed.

    Example: crosswalk decisions import firm-crosswalk.xlsx --reviewer ana
    """
    from crosswalk.ingest.store import Store
    from crosswalk.review.decisions import DecisionStore
    from crosswalk.review.importer import import_decisions

    ws = Workspace.resolve(workspace)
    if not ws.has_store():
        raise CrosswalkError(f"no store at {ws.describe_database()}: run `crosswalk ingest` first")
    with DecisionStore(ws.database) as ds, Store(ws.database, readonly=True) as store:
        report = import_decisions(file, ds, store, reviewer=reviewer, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            click.echo(f"{file}:{problem.line}: {problem.problem}", err=True)
    click.echo(report.summary(), err=as_json)
    if not report.ok:
        sys.exit(1)
