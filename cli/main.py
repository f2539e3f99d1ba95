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

from crosswalk.errors import ConfigError, CrosswalkError
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log warnings and details to stderr.")
@click.option("--database-url", default=None, metavar="URL",
              help="Keep the store, queue, decisions, history and accounts in this PostgreSQL database "
                   "(postgresql://user@host/db) instead of WORKSPACE/crosswalk.db. Default: $CROSSWALK_DATABASE_URL.")
def main(verbose: bool, database_url: str | None) -> None:
    """Crosswalk: compare US and UK crypto rulebooks provision by provision.

    Example: crosswalk ingest ../shared/corpus && crosswalk show "US-PL119-27-GENIUS:sec.4(a)(11)"
    """
    import os

    from crosswalk.workspace import DATABASE_ENV_VAR

    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(message)s")
    if database_url:
        # every command (and the app it starts) reads it from the environment, as if exported
        os.environ[DATABASE_ENV_VAR] = database_url


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

    from crosswalk.ingest.pipeline import discover
    from crosswalk.ingest.pipeline import ingest as run_ingest
    from crosswalk.ingest.store import Store

    ws = Workspace.resolve(workspace).ensure()
    if from_cache or (not folder and not (default_corpus() / "manifest.csv").exists()):
        from crosswalk.ingest.cache import cache_manifest
        from crosswalk.ingest.sources import load_sources

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

    with Store(ws.database) as store:
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

    PROVISION_ID is a provision id (spaces or underscores inside the citation) or any citation search reads:
    "GENIUS Act § 4(a)(7)", "Art. 36 MiCA", "cass 16.2.13r", "23 NYCRR 500.11", "FSB Rec. 9". A citation several
    documents have, or a unit the document lacks, is an error that lists the candidates or the nearest units.

    Example: crosswalk show "UK-FCA-CP25-14:CASS 16.2.13R"
    """
    from crosswalk.index.resolver import provision_for
    from crosswalk.ingest.store import Store

    ws = Workspace.resolve(workspace)
    with Store(ws.database, readonly=True) as store:
        p = store.get(provision_for(store, provision_id))
        children = store.children(p.id)
        doc = store.document(p.doc_id)
    if as_json:
        d = p.to_dict()
        d["children"] = [c.id for c in children]
        d["document"] = {k: doc[k] for k in ("id", "title", "jurisdiction", "issuer", "doc_type", "date", "official_url")}
        d["document"]["note"] = doc.get("note") or ""
        click.echo(json.dumps(d, ensure_ascii=False, indent=2))
        return
    pages = ""
    if p.page_start:
        pages = f"p. {p.page_start}" if p.page_start == p.page_end else f"pp. {p.page_start}-{p.page_end}"
    click.echo(f"{p.id}")
    click.echo(f"  document : {doc['title']} ({p.jurisdiction}, {doc['issuer']}) {pages}")
    click.echo(f"  heading  : {' › '.join(p.heading_path) or '-'}")
    if doc.get("note"):
        click.echo(f"  note     : {doc['note']}")
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


@main.command("index")
@workspace_option
@click.option("--model", default=None,
              help="Embedding model: a name or a local model folder (default: $CROSSWALK_MODEL, else the index's "
                   "current model, else all-MiniLM-L6-v2).")
@click.option("--backend", default=None,
              help="Embedding backend: onnx-int8 (ONNX exported locally from the packaged weights, int8; about twice "
                   "as fast as torch, quality equal within noise), onnx (fp32) or torch. Default: $CROSSWALK_BACKEND, "
                   "else the index's current backend, else onnx-int8.")
@click.option("--index-type", default=None,
              help="FAISS index: flat (exact; the default), hnsw or ivf (approximate, for 10^6 passages).")
@click.option("--prepare", is_flag=True,
              help="Only make the embedding model ready (the one-time ONNX export of an ONNX backend) and exit; "
                   "./crosswalk.sh runs this while ingesting.")
@one_line_errors
def index_command(workspace, model, backend, index_type, prepare):
    """Embed the store's provisions and build the dense (FAISS) and lexical (BM25) search indexes.

    Only new or changed provisions are embedded, so re-running after an ingest is quick, and an unchanged
    store finishes in seconds. The index is plain files in WORKSPACE/index/; deleting it and re-running
    rebuilds it.

    Example: crosswalk index --index-type flat
    """
    from crosswalk.index.build import build_index
    from crosswalk.ingest.store import Store

    ws = Workspace.resolve(workspace)
    if prepare:
        import time

        from crosswalk.errors import IndexStateError
        from crosswalk.index.build import _sticky_model, read_params
        from crosswalk.index.embedder import TORCH, get_embedder, model_cache_for

        t0 = time.perf_counter()
        try:
            old = read_params(ws.index_dir)
        except IndexStateError:
            old = None
        spec = _sticky_model(model, old, backend)  # the model and backend `crosswalk index` will use
        if spec.backend != TORCH:
            get_embedder(spec, cache_dir=model_cache_for(ws.index_dir)).model  # exports on first use
        click.echo(f"embedding model ready: {spec.fingerprint} in {time.perf_counter() - t0:.1f} s")
        return
    with Store(ws.database, readonly=True) as store:
        report = build_index(store, ws.index_dir, model=model, index_type=index_type, progress=True,
                             backend=backend)
    click.echo(report.summary())


def search_filters(jurisdiction, issuer, doc_type, topic, entity, date_from, date_to):
    """The `Filters` named by `search`'s options (shared with `search --like`)."""
    from crosswalk.index.filters import Filters

    return Filters(jurisdiction=jurisdiction, issuer=issuer, doc_type=doc_type, topic=topic, entity=entity,
                   date_from=date_from, date_to=date_to)


def print_results(store, results, query: str, as_json: bool, seconds: float | None = None) -> None:
    """Hits as a JSON array (`--json`), or as id, heading path, score and a snippet with query terms marked."""
    from crosswalk.index.snippets import hit_records, snippet

    records = hit_records(store, results)
    if results.note:
        click.echo(f"note: {results.note}", err=True)
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    mark = ("\x1b[1m", "\x1b[0m") if sys.stdout.isatty() else ("«", "»")
    for r in records:
        parts = [f"{name} #{r['ranks'][name]} {score:.3g}" for name, score in r["scores"].items() if name in r["ranks"]]
        click.echo(f"{r['rank']:>3}  {r['id']}  {r['score']:.4g}" + (f"  [{' · '.join(parts)}]" if len(parts) > 1 else ""))
        click.echo(f"     {' › '.join(r['heading_path']) or '-'}")
        click.echo(f"     {snippet(r['text'], query, width=40, mark=mark)}")
    took = f" in {seconds * 1000:.0f} ms" if seconds is not None else ""
    click.echo(f"{len(records)} hit{'s' if len(records) != 1 else ''} ({results.retriever}){took}")


@main.command()
@click.argument("query", required=False)
@workspace_option
@click.option("--jurisdiction", "-j", multiple=True, help="US, UK, EU or INTL (repeatable).")
@click.option("--k", "-k", "k", type=int, default=10, show_default=True, help="Number of hits (1 to 1,000).")
@click.option("--retriever", "-r", default="hybrid", show_default=True, help="bm25, dense or hybrid.")
@click.option("--issuer", multiple=True, help="Part of an issuer's name, e.g. FCA (repeatable).")
@click.option("--doc-type", multiple=True,
              help="statute, regulation, rulebook, guidance, consultation, policy_statement or report.")
@click.option("--topic", multiple=True, help="A topic, or part of one, e.g. custody (repeatable).")
@click.option("--entity", multiple=True, help="LABEL:text, a label or a text, e.g. REGULATOR:FCA (repeatable).")
@click.option("--date-from", default=None, help="Documents dated on or after YYYY[-MM[-DD]].")
@click.option("--date-to", default=None, help="Documents dated on or before YYYY[-MM[-DD]].")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of hits, best first.")
@click.option("--like", "like", default=None, metavar="PROVISION_ID",
              help="Instead of QUERY: the counterparts of this provision in --jurisdiction (the matching path).")
@one_line_errors
def search(query, workspace, jurisdiction, k, retriever, issuer, doc_type, topic, entity, date_from, date_to,
           as_json, like):
    """Find the provisions that best answer QUERY, with BM25, dense embeddings or both fused (hybrid).

    Filters are applied inside retrieval, so a filtered search still returns --k hits when that many match.
    With --like PROVISION_ID instead of QUERY, list that provision's likeliest counterparts in --jurisdiction
    (every other jurisdiction if none is given), each with its cosine score, whether the match is mutual, the
    terms both share and the best-aligned sentence pair. --like ranks by the stored embeddings, or by
    --retriever's own like-ranking when you give one.

    Example: crosswalk search "custody of client cryptoassets" --jurisdiction UK --k 5
    """
    import time

    from crosswalk.index.build import load_searcher
    from crosswalk.index.retrievers import check_k, check_query, check_retriever
    from crosswalk.ingest.store import Store

    if like is not None:
        ctx = click.get_current_context()
        given = {name for name in ("query", "retriever", "issuer", "doc_type", "topic", "entity", "date_from",
                                   "date_to")
                 if ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)}
        extra = sorted(given - {"retriever"})
        if extra:
            raise ConfigError(
                f"--like takes --jurisdiction, --k, --retriever and --json only, not "
                f"{', '.join(extra).replace('_', '-')} (crosswalk search --like ID --jurisdiction UK)"
            )
        by = check_retriever(retriever) if "retriever" in given else None
        search_like(workspace, like, jurisdiction, check_k(k), as_json, by)
        return
    query, k, retriever = check_query(query), check_k(k), check_retriever(retriever)
    filters = search_filters(jurisdiction, issuer, doc_type, topic, entity, date_from, date_to)
    ws = Workspace.resolve(workspace)
    with Store(ws.database, readonly=True) as store:
        searcher = reranking(load_searcher(store, ws.index_dir), ws, retriever)
        searcher.warm(retriever)  # the model loads once, outside the time shown
        t0 = time.perf_counter()
        results = searcher.search(query, k=k, filters=filters, retriever=retriever)
        print_results(store, results, query, as_json, time.perf_counter() - t0)


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


def search_like(workspace, provision_id: str, jurisdictions, k: int, as_json: bool, retriever: str | None) -> None:
    """`search --like`: a provision's counterparts (`crosswalk.index.match.counterparts`), as JSON or as text; ranked by
    the stored vectors, or by `retriever`'s like-ranking when one is given."""
    from crosswalk.index.build import load_searcher
    from crosswalk.index.match import counterparts
    from crosswalk.index.results import Results
    from crosswalk.index.snippets import hit_records
    from crosswalk.ingest.store import Store

    ws = Workspace.resolve(workspace)
    with Store(ws.database, readonly=True) as store:
        searcher = reranking(load_searcher(store, ws.index_dir), ws, retriever)
        how = {"method": "like", "retriever": retriever} if retriever else {}
        found = counterparts(store, searcher, provision_id, list(jurisdictions) or None, k=k,
                             sentence_cache=ws.index_dir / "sentences", **how)
        focal = store.resolve_id(provision_id)
        records = hit_records(store, Results.ranked(focal, "like", [(c.right_id, c.score) for c in found]))
    for record, c in zip(records, found):
        record.update(
            left_id=c.left_id,
            mutual=c.mutual,
            shared_terms=[t.to_dict() for t in c.shared_terms],
            explanation=c.explanation.to_dict() if c.explanation else None,
        )
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    for r in records:
        click.echo(f"{r['rank']:>3}  {r['id']}  {r['score']:.3f}" + ("  mutual" if r["mutual"] else ""))
        click.echo(f"     {' › '.join(r['heading_path']) or '-'}")
        if r["shared_terms"]:
            click.echo("     shared: " + "; ".join(t["left"] for t in r["shared_terms"]))
        if r["explanation"]:
            e = r["explanation"]
            click.echo(f"     «{e['left']}»")
            click.echo(f"   ≈ «{e['right']}» (cosine {e['cosine']:.2f})")
    click.echo(f"{len(records)} counterpart{'s' if len(records) != 1 else ''} of {focal}")


@main.command("match")
@workspace_option
@click.option("--from", "from_jur", default="US", show_default=True, help="Jurisdiction of the focal provisions.")
@click.option("--to", "to_jur", default="UK", show_default=True, help="Jurisdiction to find counterparts in.")
@click.option("--k", "-k", "k", type=int, default=5, show_default=True, help="Candidates per provision (1 to 100).")
@click.option("--boundary", type=float, default=None,
              help="Score at which a pair is as likely a counterpart as not (default: the run's median best score).")
@click.option("--no-explain", is_flag=True, help="Skip the best-aligned sentence pairs (faster).")
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
def match_command(workspace, from_jur, to_jur, k, boundary, no_explain, method, retriever, order, random_share, seed,
                  legacy):
    """Propose counterparts for every provision of one jurisdiction in another, into the review queue.

    Each provision of --from (headings, fragments under 8 words and front matter left out) gets its --k most
    similar provisions of --to, with the score, whether the match is mutual, shared defined terms and entities,
    and the best-aligned sentence pair. With --order teach (the default) the queue puts first the pairs a
    decision would teach the ranker most: those it is least sure of and those the retrievers rank most
    differently, with one position in ten given to a random pair so that estimates stay unbiased (see
    index/active.py). --order confident puts mutual best matches first, then the most uncertain pairs.
    Re-running replaces that direction's queue; pairs found again keep their date.

    Example: crosswalk match --from US --to UK --k 5
    """
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
                           boundary=boundary, explain=not no_explain, sentence_cache=ws.index_dir / "sentences",
                           progress=progress, legacy=legacy)
            ordered = None
            if order == "teach":
                from crosswalk.index.active import reorder_queue
                from crosswalk.index.rerank import load_ranker

                ordered = reorder_queue(store, searcher, report.from_jur, report.to_jur, ranker=load_ranker(ws),
                                        random_share=random_share, seed=seed, progress=progress)
            else:
                from crosswalk.index.active import clear_order

                clear_order(store, report.from_jur, report.to_jur)
    finally:
        bar.close()
    click.echo(report.summary())
    if ordered is not None:
        click.echo(ordered.summary())


@main.command("learn")
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


@main.command("app")
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

    from crosswalk.app_pages.workbench import LOOPBACK, app_command

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


@main.command("export")
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
    import os

    from crosswalk.ingest.store import Store
    from crosswalk.review.decisions import DecisionStore
    from crosswalk.review.export import export

    ws = Workspace.resolve(workspace)
    if not ws.has_store():
        raise CrosswalkError(f"no store at {ws.describe_database()}: run `crosswalk ingest` first")
    suffix = Path(output).suffix.lower().lstrip(".") if output else ""
    fmt = fmt or (suffix if suffix in ("csv", "xlsx", "json") else "csv")
    if fmt == "xlsx" and not output:
        raise CrosswalkError("an XLSX export needs a file: add -o crosswalk.xlsx")
    with DecisionStore(ws.database) as ds, Store(ws.database, readonly=True) as store:
        decisions = ds.current(reviewer)
        data = export(store, decisions, fmt)
    if not output:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    path = Path(output)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    click.echo(f"wrote {len(decisions):,} decisions to {path} ({fmt})", err=True)


@main.group()
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


@main.command("eval")
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

    ws = Workspace.resolve(workspace)
    instead = [flag for flag, on in (("--agreement", show_agreement), ("--decisions-qrels", decisions_qrels),
                                     ("--history", show_history)) if on]
    scoring = [flag for flag, on in (("--pool", pool_path), ("--judged", judged_paths), ("--report", report_dir),
                                     ("--runs", runs_dir)) if on]
    if instead and scoring:
        raise CrosswalkError(f"{', '.join(scoring)} go(es) with scoring retrieval, not with {', '.join(instead)}")
    if show_history and (show_agreement or decisions_qrels):
        raise CrosswalkError("--history lists the saved runs: run it on its own, not with --agreement or "
                             "--decisions-qrels")
    if split_path and split == "all":
        raise CrosswalkError(f"--split-file {split_path} is only read with --split dev or --split test")
    if show_history:
        from crosswalk.evaluation.history_db import location

        entries, problems = history.load(location(ws))
        for problem in problems:
            click.echo(f"warning: {problem}", err=True)
        names = [n for r in retrievers for n in (r, f"pairs:{r}")]
        if as_json:
            click.echo(json.dumps(history.select(entries, names), ensure_ascii=False, indent=2))
        else:
            click.echo(history.format_history(entries, names))
        return
    if show_agreement or decisions_qrels:
        from crosswalk.evaluation.agreement import current_decisions, format_agreement, workspace_agreement
        from crosswalk.review.decisions import latest_by_pair
        from crosswalk.review.export import to_qrels

        if decisions_qrels:
            decisions = list(latest_by_pair(current_decisions(ws.database)).values())
            path = Path(decisions_qrels)
            text = to_qrels(decisions)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            click.echo(f"wrote {text.count(chr(10)):,} judgements from {len(decisions):,} decided pairs to {path}",
                       err=True)
        if show_agreement:
            results = workspace_agreement(ws.database)
            if as_json:
                click.echo(json.dumps({a.level: a.to_dict() for a in results}, ensure_ascii=False, indent=2))
            else:
                click.echo(format_agreement(results))
        return

    from crosswalk.evaluation.agreement import workspace_agreement
    from crosswalk.evaluation.gold_io import PAIRS_FILE
    from crosswalk.evaluation.run import evaluate_workspace

    if not ws.has_store():
        raise CrosswalkError(f"no store at {ws.describe_database()}: run `crosswalk ingest` and `crosswalk index` first")
    bar, progress = staged_bar("query", leave=False)

    try:
        result = evaluate_workspace(
            ws, queries_path=queries_path, qrels_path=qrels_path,
            pairs_path=(pairs_path or PAIRS_FILE) if pairs_path is not None else None, split_path=split_path,
            with_decisions=with_decisions, judged_paths=judged_paths, pool_path=pool_path, pool_depth=pool_depth,
            retrievers=retrievers, k=k, split=split, citations=not no_citations,
            match=not no_match, resamples=resamples, seed=seed, progress=progress,
        )
    finally:
        bar.close()
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    agreement = workspace_agreement(ws.database)
    agreement = agreement if any(len(a.reviewers) >= 2 for a in agreement) else None
    commit, generated = report.git_commit(), report.now()
    folders = ([] if no_save else [ws.root / "eval"]) + ([Path(report_dir)] if report_dir else [])
    # compared with the workspace's history always; added to it unless --no-save
    from crosswalk.evaluation.history_db import DatabaseHistory

    history_at = DatabaseHistory(ws.database_url) if ws.database_url else ws.root / "eval"
    shown = report.save_run(result, folders, history_dir=history_at, record=not no_save,
                            agreement=agreement, generated_at=generated, commit=commit, per_query=per_query)
    saved = shown.paths
    if runs_dir:
        written = report.write_runs(result, runs_dir)
        click.echo(f"wrote {len(written)} run and qrels file(s) to {runs_dir}", err=True)
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
    click.echo(report.summary(result, [p for p in saved if p.name == report.REPORT]), err=as_json)


@main.group()
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
        target = Path(plot_path) if plot_path else Path(__file__).resolve().parents[1] / "docs" / "learning_curve.png"
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


from crosswalk.cli.team import register as _register_team  # noqa: E402

_register_team(main, bench, workspace_option, one_line_errors)

if __name__ == "__main__":
    main()
