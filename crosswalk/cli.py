"""The `crosswalk` command: thin wrappers over library functions.

Each command's help is its docstring, with an `Example:` line. Errors from the library (`CrosswalkError`)
become one line on stderr and exit status 1; a failed document makes `ingest` exit 1 after ingesting the rest.
"""

from __future__ import annotations

import json
import logging
import sys
from functools import wraps
from pathlib import Path

import click

from crosswalk.errors import CrosswalkError
from crosswalk.workspace import Workspace

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def default_corpus() -> Path:
    """The mirror beside the checkout (../shared/corpus) when present, else the workspace's fetched cache."""
    return DEFAULT_CORPUS.resolve()


def one_line_errors(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CrosswalkError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)

    return wrapper


workspace_option = click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False),
    default=None,
    help="Workspace directory (default ./workspace or $CROSSWALK_WORKSPACE).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log warnings and details to stderr.")
def main(verbose: bool) -> None:
    """Crosswalk: compare US and UK crypto rulebooks provision by provision.

    Example: crosswalk ingest ../shared/corpus && crosswalk show "US-PL119-27-GENIUS:sec.4(a)(11)"
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(message)s")


@main.command()
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
    from ingest.fetch import fetch_sources
    from ingest.sources import load_sources

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


@main.command()
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

    from ingest.pipeline import discover
    from ingest.pipeline import ingest as run_ingest
    from ingest.store import Store

    ws = Workspace.resolve(workspace).ensure()
    if from_cache or (not folder and not (default_corpus() / "manifest.csv").exists()):
        from ingest.fetch import cache_manifest
        from ingest.sources import load_sources

        items = cache_manifest(ws.cache_dir, load_sources())
        if not items:
            raise CrosswalkError(f"nothing fetched in {ws.cache_dir}: run `crosswalk fetch` first, or name a folder")
    else:
        items = discover(Path(folder) if folder else default_corpus(), jurisdiction)
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

    with Store(ws.db_path) as store:
        report = run_ingest(items, store, workers=workers, force=force, tag=not no_tags, max_bytes=max_bytes,
                            progress=progress)
    bar.close()
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)


@main.command()
@click.argument("provision_id")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the provision as JSON.")
@one_line_errors
def show(provision_id, workspace, as_json):
    """Print one provision: id, heading path, text, page span, parent, children, entities and topics.

    PROVISION_ID may use spaces or underscores inside the citation.

    Example: crosswalk show "UK-FCA-CP25-14:CASS 16.2.13R"
    """
    from ingest.store import Store

    ws = Workspace.resolve(workspace)
    with Store(ws.db_path, readonly=True) as store:
        p = store.get(provision_id)
        children = store.children(p.id)
        doc = store.document(p.doc_id)
    if as_json:
        d = p.to_dict()
        d["children"] = [c.id for c in children]
        d["document"] = {k: doc[k] for k in ("id", "title", "jurisdiction", "issuer", "doc_type", "date", "official_url")}
        click.echo(json.dumps(d, ensure_ascii=False, indent=2))
        return
    pages = ""
    if p.page_start:
        pages = f"p. {p.page_start}" if p.page_start == p.page_end else f"pp. {p.page_start}-{p.page_end}"
    click.echo(f"{p.id}")
    click.echo(f"  document : {doc['title']} ({p.jurisdiction}, {doc['issuer']}) {pages}")
    click.echo(f"  heading  : {' › '.join(p.heading_path) or '-'}")
    if p.title:
        click.echo(f"  title    : {p.title}")
    click.echo(f"  parent   : {p.parent_id or '-'}")
    click.echo(f"  children : {', '.join(c.citation for c in children) or '-'}")
    click.echo(f"  topics   : {', '.join(p.topics) or '-'}")
    if p.entities:
        ents = sorted({(e.label, e.text) for e in p.entities})
        click.echo("  entities : " + "; ".join(f"{label}: {text}" for label, text in ents))
    click.echo("")
    click.echo(p.text)


@main.group()
def bench() -> None:
    """Benchmarks, run on demand; each prints a Markdown table for the README.

    Example: crosswalk bench ingest
    """


@bench.command("ingest")
@click.argument("folder", required=False, type=click.Path(file_okay=False, exists=True))
@click.option("--workers", type=int, default=None, help="Parallel documents (default: one per core).")
@one_line_errors
def bench_ingest(folder, workers):
    """Pages/s and provisions/s for ingesting FOLDER (default ../shared/corpus), with and without tagging.

    Example: crosswalk bench ingest ../shared/corpus
    """
    from bench.ingest import main as run

    click.echo(run(Path(folder) if folder else default_corpus(), workers))


if __name__ == "__main__":
    main()
