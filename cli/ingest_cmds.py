"""`crosswalk fetch` and `crosswalk ingest`: sources into the workspace cache, documents into the store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from crosswalk.cli.common import default_corpus, one_line_errors, workspace_option
from crosswalk.errors import CrosswalkError
from crosswalk.workspace import Workspace


@click.command("fetch")
@workspace_option
@click.option("--mirror", type=click.Path(file_okay=False, exists=True), default=None,
              help="Copy sources from this folder when it has them (e.g. ../shared/corpus).")
@click.option("--sources", "sources_csv", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Sources list (default corpus/sources.csv).")
@click.option("--only", multiple=True, help="Fetch only these source ids (repeatable).")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds before a stalled download fails.")
@one_line_errors
def fetch(workspace, mirror, sources_csv, only, timeout):
    """Download each source from its publisher into the workspace cache (or copy it from a mirror).

    Example: crosswalk fetch --mirror ../shared/corpus
    """
    from crosswalk.ingest.fetch import fetch_sources
    from crosswalk.ingest.sources import load_sources

    ws = Workspace.resolve(workspace).ensure()
    sources = load_sources(sources_csv)
    if only:
        wanted = set(only)
        unknown = wanted - {s.id for s in sources}
        if unknown:
            raise CrosswalkError(f"unknown source id(s) {', '.join(sorted(unknown))}; see corpus/sources.csv")
        sources = [s for s in sources if s.id in wanted]
    report = fetch_sources(sources, ws.cache_dir, mirror=Path(mirror) if mirror else None, timeout=timeout)
    for item in report.items:
        line = f"{item.source_id:34} {item.status}"
        if item.reason:
            line += f"  {item.reason}"
        click.echo(line)
    click.echo(report.summary())
    if any(i.status == "failed" for i in report.items):
        sys.exit(1)


@click.command("ingest")
@click.argument("folder", required=False, type=click.Path(file_okay=False))
@workspace_option
@click.option("--jurisdiction", "-j", default=None, help="US, UK, EU or INTL: for a folder without manifest.csv.")
@click.option("--force", is_flag=True, help="Ingest every document again, changed or not.")
@click.option("--workers", type=int, default=None, help="Parallel documents (default: one per core).")
@click.option("--no-tags", is_flag=True, help="Skip entity and topic tagging (faster; for experiments).")
@click.option("--max-bytes", type=int, default=None, help="Refuse files larger than this (default 100 MiB).")
@click.option("--from-cache", is_flag=True, help="Ingest what `crosswalk fetch` put in the workspace cache.")
@one_line_errors
def ingest(folder, workspace, jurisdiction, force, workers, no_tags, max_bytes, from_cache):
    """Split the documents of FOLDER into cited, tagged provisions in the workspace store.

    FOLDER defaults to ../shared/corpus when it exists, else to the sources fetched into the workspace cache
    (--from-cache). A folder with a manifest.csv takes its metadata from it; any other folder needs
    --jurisdiction. Unchanged documents are skipped. Exits 1 if any document failed.

    Example: crosswalk ingest ../shared/corpus
    """
    from tqdm import tqdm

    from crosswalk.ingest.pipeline import documents_to_ingest
    from crosswalk.ingest.pipeline import ingest as run_ingest
    from crosswalk.ingest.store import Store

    ws = Workspace.resolve(workspace).ensure()
    if from_cache or (not folder and not (default_corpus() / "manifest.csv").exists()):
        folder = None  # what `crosswalk fetch` put in the cache
    else:
        folder = Path(folder) if folder else default_corpus()
    items = documents_to_ingest(folder, ws.cache_dir, jurisdiction)
    bar = tqdm(total=len(items), unit="doc", file=sys.stderr, disable=None)

    def progress(r):
        bar.update(1)
        if r.status == "ingested":
            msg = f"{r.source.id:34} {len(r.provisions):6,} provisions {r.n_entities:7,} entities"
            msg += f"  {r.pages or '-':>4} pp  {r.seconds:5.1f} s  [{r.splitter}]"
        elif r.status == "unchanged":
            msg = f"{r.source.id:34} unchanged"
        else:
            msg = f"{r.source.id:34} FAILED {Path(r.path).name}: {r.problem}"
        bar.write(msg)

    with Store(ws.database) as store:
        report = run_ingest(items, store, workers=workers, force=force, tag=not no_tags, max_bytes=max_bytes,
                            progress=progress)
    bar.close()
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)
