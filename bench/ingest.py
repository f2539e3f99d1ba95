"""Ingest benchmark: pages/s and provisions/s for the whole corpus, with and without tagging.

Each run ingests into a fresh temporary workspace (so nothing is skipped as unchanged) and reports wall time,
throughput and peak memory (largest resident set of this process and of its worker processes).

Example: crosswalk bench ingest ../shared/corpus
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path


def peak_rss_mib() -> tuple[float, float]:
    """(this process, largest child) peak resident memory in MiB (Linux reports KiB)."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def run(folder: Path, workers: int | None = None, tag: bool = True) -> dict:
    from crosswalk.ingest.pipeline import discover, ingest
    from crosswalk.ingest.store import Store

    items = discover(folder)
    with tempfile.TemporaryDirectory() as d, Store(Path(d) / "crosswalk.db") as store:
        t0 = time.perf_counter()
        report = ingest(items, store, workers=workers, tag=tag)
        seconds = time.perf_counter() - t0
    ok = [r for r in report.results if r.status == "ingested"]
    pages = sum(r.pages or 0 for r in ok)
    provisions = sum(len(r.provisions) for r in ok)
    return {
        "tagging": "on" if tag else "off",
        "documents": len(ok),
        "failed": len(report.failed),
        "pages": pages,
        "provisions": provisions,
        "entities": sum(r.n_entities for r in ok),
        "seconds": seconds,
        "pages_per_s": pages / seconds if seconds else 0.0,
        "provisions_per_s": provisions / seconds if seconds else 0.0,
        "slowest": max(ok, key=lambda r: r.seconds).source.id if ok else "",
        "slowest_s": max((r.seconds for r in ok), default=0.0),
    }


def main(folder: Path, workers: int | None = None) -> str:
    rows = [run(folder, workers, tag=False), run(folder, workers, tag=True)]
    me, kids = peak_rss_mib()
    lines = [
        "| tagging | documents | pages | provisions | entities | wall s | pages/s | provisions/s | slowest document (s, one worker) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['tagging']} | {r['documents']} | {r['pages']} | {r['provisions']:,} | {r['entities']:,} | "
            f"{r['seconds']:.1f} | {r['pages_per_s']:.1f} | {r['provisions_per_s']:.0f} | "
            f"{r['slowest']} ({r['slowest_s']:.1f}) |"
        )
    lines.append("")
    lines.append(f"peak memory: {me:.0f} MiB main process, {kids:.0f} MiB largest worker")
    return "\n".join(lines)
