"""Ingest: documents in a folder -> read -> split -> tag -> store.

Documents are processed in parallel (one process per core: pypdf and spaCy are CPU-bound) and written by
this process alone, one transaction per document. A document whose file and pipeline are unchanged since the
last run is not read again. A document that fails is reported by file name with the reason; the others still
ingest, and what the store already held for it stays as it was.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from crosswalk.errors import ConfigError, CrosswalkError, DocumentError
from crosswalk.ingest.models import Extracted, Jurisdiction, Provision, Source, SplitResult, make_id

log = logging.getLogger(__name__)

SUFFIXES = {".pdf", ".html", ".htm", ".xhtml", ".xml", ".md", ".markdown", ".txt"}


def pipeline_version() -> str:
    """A hash of the ingest code and its data files: when it changes, every document is ingested again."""
    h = hashlib.sha256()
    root = Path(__file__).parent
    for f in sorted(root.rglob("*")):
        if f.is_file() and f.suffix in (".py", ".json", ".jsonl", ".csv", ".txt") and "__pycache__" not in f.parts:
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- which documents ------------------------------------------------------------------------------------------


def slug(name: str) -> str:
    """A document id from a file name: `slug("FCA PS19-22 final.pdf") == "FCA-PS19-22-final"`."""
    stem = Path(name).stem
    return re.sub(r"[^A-Za-z0-9.]+", "-", stem).strip("-") or "document"


def discover(folder: Path, jurisdiction: str | None = None) -> list[tuple[Source, Path]]:
    """The documents of `folder`: from its manifest.csv when it has one, else every readable file in it.

    Without a manifest each file needs a jurisdiction (`--jurisdiction`); title, issuer and date come from the
    file itself at read time.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder; pass the folder that holds the documents")
    manifest = folder / "manifest.csv"
    if manifest.exists():
        from crosswalk.ingest.sources import load_manifest

        out = []
        for src in load_manifest(folder):
            out.append((src, folder / src.file))
        if jurisdiction:
            wanted = Jurisdiction.parse(jurisdiction).value
            out = [(s, p) for s, p in out if s.jurisdiction == wanted]
        return out
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        raise ConfigError(f"{folder}: no documents (.pdf, .html, .xml, .md, .txt) and no manifest.csv")
    if not jurisdiction:
        raise ConfigError(f"{folder} has no manifest.csv: say whose law it is with --jurisdiction US|UK|EU|INTL")
    jur = Jurisdiction.parse(jurisdiction).value
    ids: dict[str, int] = {}
    out = []
    for f in files:
        base = f"{jur}-{slug(f.name)}"
        ids[base] = ids.get(base, 0) + 1
        doc_id = base if ids[base] == 1 else f"{base}-{ids[base]}"
        out.append((Source(id=doc_id, jurisdiction=jur, file=str(f.relative_to(folder)), mirrored=False), f))
    return out


def documents_to_ingest(folder: Path | None, cache_dir: Path, jurisdiction: str | None = None
                        ) -> list[tuple[Source, Path]]:
    """What to ingest: the documents of `folder` (`discover`), or, with no folder, the sources `crosswalk fetch`
    put in `cache_dir` (their current cached files); a ConfigError when the cache holds none.

    Example: documents_to_ingest(None, ws.cache_dir)  # after `crosswalk fetch`
    """
    if folder is not None:
        return discover(Path(folder), jurisdiction)
    from crosswalk.ingest.cache import cache_manifest
    from crosswalk.ingest.sources import load_sources

    items = cache_manifest(cache_dir, load_sources())
    if not items:
        raise ConfigError(f"nothing fetched in {cache_dir}: run `crosswalk fetch` first, or name a folder")
    return items


# --- one document ---------------------------------------------------------------------------------------------


def with_file_metadata(source: Source, extracted: Extracted, path: Path) -> Source:
    """Fill what a manifest did not say from the file: title, issuer (PDF author), date."""
    from dataclasses import replace

    meta = extracted.meta or {}
    title = source.title or meta.get("title") or path.stem.replace("_", " ")
    issuer = source.issuer or meta.get("author") or meta.get("issuer") or ""
    date = source.date or (meta.get("creation_date") or meta.get("date") or "")[:10]
    return replace(source, title=title, issuer=issuer, date=date)


def to_provisions(source: Source, extracted: Extracted, result: SplitResult) -> list[Provision]:
    """RawUnits -> Provisions: ids, parents, page spans, ordinals.

    A citation that repeats in one document (the US Code has two paragraphs (80) in 15 U.S.C. 78c(a)) keeps
    its first use; later ones get `[2]`, `[3]`, the form the splitters use for the same case.
    """
    seen: dict[str, int] = {}
    citations: list[str] = []
    for u in result.units:
        seen[u.citation] = seen.get(u.citation, 0) + 1
        citations.append(u.citation if seen[u.citation] == 1 else f"{u.citation}[{seen[u.citation]}]")
        if seen[u.citation] > 1:
            log.warning("%s: citation %s repeats; kept as %s", source.id, u.citation, citations[-1])
    known = set(citations)
    out = []
    for i, (u, cite) in enumerate(zip(result.units, citations)):
        parent = u.parent if u.parent in known and u.parent != cite else None
        if u.parent and parent is None:
            log.warning("%s: parent %s of %s not found; kept at the top", source.id, u.parent, cite)
        last = max(u.start, u.end - 1)
        out.append(
            Provision(
                id=make_id(source.id, cite),
                doc_id=source.id,
                jurisdiction=source.jurisdiction,
                citation=cite,
                text=u.text,
                parent_id=make_id(source.id, parent) if parent else None,
                heading_path=tuple(u.heading_path),
                page_start=extracted.page_of(u.start),
                page_end=extracted.page_of(last),
                char_start=u.start,
                char_end=u.end,
                kind=u.kind,
                ordinal=i,
                title=u.title,
            )
        )
    return out


@dataclass
class DocResult:
    source: Source
    path: str
    status: str  # ingested, unchanged, failed
    provisions: list[Provision] = field(default_factory=list)
    pages: int | None = None
    splitter: str = ""
    seconds: float = 0.0
    problem: str = ""
    file_sha256: str = ""
    note: str = ""  # the splitter's note on the source's quality, stored with the document

    @property
    def n_entities(self) -> int:
        return sum(len(p.entities) for p in self.provisions)


def process_document(source: Source, path: Path, tag: bool = True, max_bytes: int | None = None) -> DocResult:
    """Read, split and tag one document. Every failure comes back as a `failed` result naming the problem."""
    from crosswalk.ingest import readers, splitters

    t0 = time.perf_counter()
    try:
        sha = file_sha256(path) if path.is_file() else ""
        extracted = readers.read(path, **({"max_bytes": max_bytes} if max_bytes else {}))
        source = with_file_metadata(source, extracted, path)
        extracted = splitters.prepare(source, extracted)
        name = splitters.choose(source, extracted)
        result = splitters.split(source, extracted)
        provisions = to_provisions(source, extracted, result)
        if not provisions:
            raise DocumentError(path, "no provisions found: the text has no structure or body this reader knows")
        if tag:
            from crosswalk.ingest.defined_terms import harvest_defined_terms
            from crosswalk.ingest.tagging import Tagger

            provisions = Tagger().tag(provisions, harvest_defined_terms(provisions))
        pages = len(extracted.page_starts) or None
        return DocResult(source, str(path), "ingested", provisions, pages, name, time.perf_counter() - t0, "", sha,
                         result.note)
    except DocumentError as e:
        return DocResult(source, str(path), "failed", seconds=time.perf_counter() - t0, problem=e.problem)
    except CrosswalkError as e:
        return DocResult(source, str(path), "failed", seconds=time.perf_counter() - t0, problem=str(e))
    except Exception as e:  # a bug or a file no reader foresaw: report it by name, never lose the others
        log.exception("%s: unexpected failure", path)
        return DocResult(
            source, str(path), "failed", seconds=time.perf_counter() - t0, problem=f"{type(e).__name__}: {e}"
        )


# --- a folder -------------------------------------------------------------------------------------------------

# Seconds per byte relative to a PDF, measured on the corpus with tagging (2026-12-06): a PDF's bytes are
# mostly fonts and compressed streams, so a plain-text or markup file of the same size holds about three times
# the words (FSMA 2023 as text: 0.85 MB, 61 s; the MiCA PDF: 1.6 MB, 58 s).
TEXT_COST = {".pdf": 1.0}
TEXT_COST_OTHER = 3.0


def expected_cost(path: Path) -> float:
    """A document's expected ingest time, in PDF-byte units: its size times `TEXT_COST` for its kind.

    >>> expected_cost(Path("/nonexistent.pdf"))
    0.0
    """
    if not path.is_file():
        return 0.0
    return path.stat().st_size * TEXT_COST.get(path.suffix.lower(), TEXT_COST_OTHER)



@dataclass
class IngestReport:
    results: list[DocResult]
    seconds: float

    @property
    def failed(self) -> list[DocResult]:
        return [r for r in self.results if r.status == "failed"]

    def summary(self) -> str:
        by = {s: sum(1 for r in self.results if r.status == s) for s in ("ingested", "unchanged", "failed")}
        provs = sum(len(r.provisions) for r in self.results if r.status == "ingested")
        ents = sum(r.n_entities for r in self.results if r.status == "ingested")
        line = (
            f"{len(self.results)} documents: {by['ingested']} ingested ({provs:,} provisions, {ents:,} entities), "
            f"{by['unchanged']} unchanged, {by['failed']} failed in {self.seconds:.1f} s"
        )
        if self.failed:
            line += "; failed: " + "; ".join(f"{Path(r.path).name} ({r.problem})" for r in self.failed)
        return line


def ingest(
    items: Sequence[tuple[Source, Path]],
    store,
    *,
    workers: int | None = None,
    force: bool = False,
    tag: bool = True,
    max_bytes: int | None = None,
    progress: Callable[[DocResult], None] | None = None,
) -> IngestReport:
    """Ingest `items` into `store`. Unchanged documents (same file, same pipeline) are skipped unless `force`.

    Example: ingest(discover(Path("../shared/corpus")), Store(ws.db_path)).summary()
    """
    t0 = time.perf_counter()
    version = pipeline_version() + ("" if tag else "-notag")
    results: list[DocResult] = []
    todo: list[tuple[Source, Path]] = []
    for source, path in items:
        state = store.document_state(source.id)
        if not force and state and path.is_file() and state == (file_sha256(path), version):
            r = DocResult(source, str(path), "unchanged")
            results.append(r)
            if progress:
                progress(r)
        else:
            todo.append((source, path))
    workers = workers or min(len(todo), os.cpu_count() or 1)

    def finish(r: DocResult) -> None:
        if r.status == "ingested":
            store.replace_document(
                r.source,
                r.provisions,
                path=r.path,
                file_sha256=r.file_sha256,
                pipeline=version,
                splitter=r.splitter,
                pages=r.pages,
                note=r.note,
            )
        else:
            store.record_failure(r.path, r.source.id, r.problem)
        results.append(r)
        if progress:
            progress(r)

    # Slowest first (by `expected_cost`), so the longest document does not start last and leave a core idle.
    todo.sort(key=lambda sp: -expected_cost(sp[1]))
    if workers <= 1 or len(todo) <= 1:
        for source, path in todo:
            finish(process_document(source, path, tag, max_bytes))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(process_document, s, p, tag, max_bytes) for s, p in todo]
            for (source, path), fut in zip(todo, futures):
                try:
                    r = fut.result()
                except Exception as e:  # the worker died (out of memory, a crash in a C library)
                    r = DocResult(source, str(path), "failed", problem=f"worker failed: {type(e).__name__}: {e}")
                finish(r)
    order = {s.id: i for i, (s, _) in enumerate(items)}
    results.sort(key=lambda r: order.get(r.source.id, 0))
    return IngestReport(results, time.perf_counter() - t0)
