"""`crosswalk learn` and `crosswalk eval`: train the second-stage ranker, and score the retrievers against the gold
(or, instead, list the saved runs, measure reviewer agreement, write the decisions as qrels)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from crosswalk.cli.common import one_line_errors, staged_bar, workspace_option
from crosswalk.errors import CrosswalkError
from crosswalk.workspace import Workspace


@click.command("learn")
@workspace_option
@click.option("--seed", type=int, default=0, show_default=True, help="Seed: the same data and seed train the same model.")
@click.option("--no-decisions", is_flag=True, help="Train on the gold dev half only, not the reviewers' decisions.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@one_line_errors
def learn_command(workspace, seed, no_decisions, as_json):
    """Train the second-stage ranker from the gold dev half and the reviewers' current decisions.

    Saves the model in WORKSPACE/models/ (LightGBM model text + JSON metadata); search, search --like, match and
    the app then rerank the first stage's pool with it. Prints what it trained on and the dev figures before
    (first stage) and after (reranked, out of fold).

    Example: crosswalk learn --workspace workspace
    """
    from crosswalk.evaluation.learn import learn
    from crosswalk.ingest.store import Store

    ws = Workspace.resolve(workspace)
    if not ws.has_store():
        raise CrosswalkError(f"no store at {ws.describe_database()}: run `crosswalk ingest` and `crosswalk index` first")
    bar, progress = staged_bar("query")
    try:
        with Store(ws.database, readonly=True) as store:
            report = learn(store, ws, seed=seed, use_decisions=not no_decisions, progress=progress)
    finally:
        bar.close()
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(report.summary())


@click.command("eval")
@workspace_option
@click.option("--queries", "queries_path", type=click.Path(dir_okay=False), default=None,
              help="Gold queries, qid<TAB>jurisdiction<TAB>text (default evaluation/gold/queries.tsv).")
@click.option("--qrels", "qrels_path", type=click.Path(dir_okay=False), default=None,
              help="Gold judgements, TREC 'qid 0 provision_id relevance' (default evaluation/gold/qrels.txt).")
@click.option("--pairs", "pairs_path", is_flag=False, flag_value="", default=None, type=click.Path(dir_okay=False),
              help="Also score cross-jurisdiction matching on these pairs (--pairs alone: evaluation/gold/pairs.csv).")
@click.option("--retriever", "-r", "retrievers", multiple=True,
              type=click.Choice(["bm25", "dense", "hybrid", "hybrid+rerank"]),
              help="Retriever to score (repeatable; default bm25, dense and hybrid; hybrid+rerank needs "
                   "`crosswalk learn`).")
@click.option("--k", "-k", "k", type=int, default=100, show_default=True, help="Ranking depth (10 to 1,000).")
@click.option("--split", type=click.Choice(["dev", "test", "all"]), default="all", show_default=True,
              help="Score only the dev or test queries and pairs named in the split file.")
@click.option("--split-file", "split_path", type=click.Path(dir_okay=False), default=None,
              help="qid<TAB>dev|test (default evaluation/gold/split.tsv).")
@click.option("--per-query", is_flag=True, help="Also print (or put in the JSON) each query's scores.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object {system: {metric: value, ...}}.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False), default=None,
              help="Also write report.md, metrics.png and latest.json into this folder.")
@click.option("--runs", "runs_dir", type=click.Path(file_okay=False), default=None,
              help="Also write each system's rolled-up rankings as TREC run files, with the qrels scored, here.")
@click.option("--no-save", is_flag=True, help="Do not update WORKSPACE/eval/ (what the app's evaluation page shows).")
@click.option("--no-citations", is_flag=True,
              help="Score the bare retrievers: no citation lookup putting a cited provision first.")
@click.option("--no-match", is_flag=True, help="With --pairs: skip the matching path (pairs:match).")
@click.option("--with-decisions", is_flag=True, help="Add the reviewers' current decisions to the gold pairs.")
@click.option("--pool", "pool_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the judging pool: each query's unjudged units from every retriever's top 10 (TSV).")
@click.option("--pool-depth", type=int, default=10, show_default=True,
              help="With --pool: how far down each ranking to pool (5 makes a shorter first round for a judge).")
@click.option("--judged", "judged_paths", multiple=True, type=click.Path(dir_okay=False),
              help="A judged pool file whose relevances join the qrels (repeatable; the gold wins on conflicts).")
@click.option("--resamples", type=int, default=1000, show_default=True, help="Bootstrap resamples per interval.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap and the tests.")
@click.option("--agreement", "show_agreement", is_flag=True,
              help="Instead of scoring retrieval: reviewer agreement (Cohen's kappa, Krippendorff's alpha).")
@click.option("--decisions-qrels", "decisions_qrels", type=click.Path(dir_okay=False), default=None,
              help="Instead of scoring retrieval: write the current decisions as TREC qrels to this file.")
@click.option("--history", "show_history", is_flag=True,
              help="Instead of scoring retrieval: list the saved runs, oldest first (WORKSPACE/eval/history.jsonl).")
@one_line_errors
def eval_command(workspace, queries_path, qrels_path, pairs_path, retrievers, k, split, split_path, per_query,
                 as_json, report_dir, runs_dir, no_save, no_citations, no_match, with_decisions, pool_path,
                 pool_depth, judged_paths, resamples, seed, show_agreement, decisions_qrels, show_history):
    """Score the retrievers against the gold: nDCG@10, Recall@10, Recall@100, MRR@10 and MAP (ir-measures).

    Each metric comes with a 95% bootstrap confidence interval over the queries, and retrievers are compared
    with a paired randomisation test on nDCG@10. Hits inside a judged unit count for it (a hit on 200.9(a)
    counts for gold 200.9). --pairs also scores cross-jurisdiction matching. Results are saved in
    WORKSPACE/eval/ for the app (and in --report DIR), and each saved run is added to history.jsonl there and
    compared with the previous run on the same gold and settings (what changed, which queries got worse).
    --pool writes what the gold has not judged in the retrievers' top 10, for a judge to fill in; --judged adds
    those judgements back. --history lists the saved runs; --agreement and --decisions-qrels work on the
    reviewers' decisions instead. These three need no index.

    Example: crosswalk eval --pairs --split test --report eval-report
    """
    from crosswalk.evaluation import history, report
    from crosswalk.evaluation.gold_io import PAIRS_FILE
    from crosswalk.evaluation.modes import check_modes, saved_runs, score_workspace, write_decisions_qrels

    ws = Workspace.resolve(workspace)
    check_modes(agreement=show_agreement, decisions_qrels=decisions_qrels, history=show_history, pool=pool_path,
                judged=judged_paths, report=report_dir, runs=runs_dir, split=split, split_path=split_path)
    if show_history:
        entries, systems, problems = saved_runs(ws, retrievers)
        for problem in problems:
            click.echo(f"warning: {problem}", err=True)
        if as_json:
            click.echo(json.dumps(history.select(entries, systems), ensure_ascii=False, indent=2))
        else:
            click.echo(history.format_history(entries, systems))
        return
    if show_agreement or decisions_qrels:
        from crosswalk.evaluation.agreement import format_agreement, workspace_agreement

        if decisions_qrels:
            judgements, pairs = write_decisions_qrels(ws.database, decisions_qrels)
            click.echo(f"wrote {judgements:,} judgements from {pairs:,} decided pairs to {Path(decisions_qrels)}",
                       err=True)
        if show_agreement:
            results = workspace_agreement(ws.database)
            if as_json:
                click.echo(json.dumps({a.level: a.to_dict() for a in results}, ensure_ascii=False, indent=2))
            else:
                click.echo(format_agreement(results))
        return

    bar, progress = staged_bar("query", leave=False)
    try:
        scored = score_workspace(
            ws, save=not no_save, report_dir=report_dir, runs_dir=runs_dir, per_query=per_query, progress=progress,
            queries_path=queries_path, qrels_path=qrels_path,
            pairs_path=(pairs_path or PAIRS_FILE) if pairs_path is not None else None, split_path=split_path,
            with_decisions=with_decisions, judged_paths=judged_paths, pool_path=pool_path, pool_depth=pool_depth,
            retrievers=retrievers, k=k, split=split, citations=not no_citations, match=not no_match,
            resamples=resamples, seed=seed,
        )
    finally:
        bar.close()
    result, shown = scored.result, scored.saved
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if runs_dir:
        click.echo(f"wrote {len(scored.runs)} run and qrels file(s) to {runs_dir}", err=True)
    for problem in shown.problems:
        click.echo(f"warning: {problem}", err=True)
    if as_json:
        click.echo(json.dumps(report.to_json(result, per_query, shown.since), ensure_ascii=False, indent=2))
    else:
        click.echo(report.format_text(result, per_query))
    since = history.format_since(shown.since, shown.first_time)
    if since:
        click.echo(("\n" if not as_json else "") + since, err=as_json)
    if "pool" in result.meta:
        pooled = result.meta["pool"]
        click.echo(f"wrote {pooled['units']:,} unit(s) (top {pooled['depth']}) of {pooled['queries']:,} query(ies) "
                   f"to judge to "
                   f"{pooled['path']} (fill the relevance column: 2, 1 or 0; then --judged {pooled['path']})", err=True)
    click.echo(report.summary(result, [p for p in shown.paths if p.name == report.REPORT]), err=as_json)
