"""`crosswalk show`, `crosswalk index` and `crosswalk search`: one provision, the search indexes, and searching them
(a query, or `--like` a provision's counterparts)."""

from __future__ import annotations

import json
import sys

import click

from crosswalk.cli.common import one_line_errors, reranking, workspace_option
from crosswalk.errors import ConfigError
from crosswalk.workspace import Workspace


@click.command("show")
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


@click.command("index")
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

        from crosswalk.index.build import prepare_model

        t0 = time.perf_counter()
        spec = prepare_model(ws.index_dir, model, backend)  # the model and backend `crosswalk index` will use
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


@click.command("search")
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


def search_like(workspace, provision_id: str, jurisdictions, k: int, as_json: bool, retriever: str | None) -> None:
    """`search --like`: a provision's counterparts (`crosswalk.index.match.counterparts`), as JSON or as text; ranked by
    the stored vectors, or by `retriever`'s like-ranking when one is given."""
    from crosswalk.index.build import load_searcher
    from crosswalk.index.match import counterparts
    from crosswalk.index.snippets import counterpart_records
    from crosswalk.ingest.store import Store

    ws = Workspace.resolve(workspace)
    with Store(ws.database, readonly=True) as store:
        searcher = reranking(load_searcher(store, ws.index_dir), ws, retriever)
        how = {"method": "like", "retriever": retriever} if retriever else {}
        found = counterparts(store, searcher, provision_id, list(jurisdictions) or None, k=k,
                             sentence_cache=ws.index_dir / "sentences", **how)
        focal = store.resolve_id(provision_id)
        records = counterpart_records(store, focal, found)
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
