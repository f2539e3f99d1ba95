"""What every command module of `crosswalk.cli` shares: the workspace option, one-line errors, the progress bar,
the default corpus folder, and the trained ranker wrapped around a searcher."""

from __future__ import annotations

import sys
from functools import wraps
from pathlib import Path

import click

from crosswalk.errors import CrosswalkError
from crosswalk.workspace import Workspace

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
CHECKOUT = Path(__file__).resolve().parents[1]  # the repository the command line runs from


def default_corpus() -> Path:
    """The mirror beside the checkout (../shared/corpus) when present, else the workspace's fetched cache."""
    return DEFAULT_CORPUS.resolve()


def one_line_errors(fn):
    """A command whose `CrosswalkError` becomes `error: …` on one line of stderr and exit status 1."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CrosswalkError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)

    return wrapper


def staged_bar(unit: str, leave: bool = True):
    """A progress bar on stderr and its `progress(stage, done, total)` callback: a new stage resets the bar."""
    from tqdm import tqdm

    bar = tqdm(total=0, unit=unit, file=sys.stderr, disable=None, dynamic_ncols=True, leave=leave)
    state = {"stage": None}

    def progress(stage: str, done: int, total: int) -> None:
        if stage != state["stage"]:
            state["stage"] = stage
            bar.reset(total=total)
            bar.set_description(stage)
        bar.n = done
        bar.refresh()

    return bar, progress


workspace_option = click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False),
    default=None,
    help="Workspace directory (default ./workspace or $CROSSWALK_WORKSPACE).",
)


def reranking(searcher, ws: Workspace, retriever: str | None = "hybrid"):
    """`searcher` with its hybrid ranking reordered by the workspace's trained ranker (`crosswalk.index.rerank`); without
    one, the first stage's order stands and a one-line note says so on stderr (once)."""
    from crosswalk.index.rerank.searcher import RerankingSearcher

    wrapped = RerankingSearcher(searcher, ws)
    if retriever in (None, "hybrid"):
        note = wrapped.note()
        if note:
            click.echo(note, err=True)
    return wrapped
