"""Matching benchmark: the batched first stage (`crosswalk.index.batch_match`) against the one-`like`-at-a-time path.

On a workspace with a store and an index, `match(store, searcher, FROM, TO, k)` runs with `legacy=True` and
without, interleaved (legacy, batched, legacy, batched: the machine is shared, so each side's best run is
reported beside its mean), and reports:

- seconds of the first stage alone (`explain=False`: ranking and the mutual check), and of the whole command
  (`explain=True`, sentence embeddings read from the workspace's cache, `workspace/index/sentences/`, as a
  re-run has them; the explanation step is the same code on both sides);
- agreement: the share of focal provisions whose top-k candidates are the same set, and the same list in the
  same order, and the share of pairs whose mutual flag agrees.

Nothing is written to the queue.

Example:
    python -m crosswalk.bench.match_speed --workspace workspace --from US --to UK
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path


def _run(store, searcher, from_jur, to_jur, k, legacy, explain, sentences):
    from crosswalk.index.match import match

    t0, c0 = time.perf_counter(), time.process_time()
    report = match(store, searcher, from_jur, to_jur, k, explain=explain, write=False, legacy=legacy,
                   sentence_cache=sentences if explain else None)
    return time.perf_counter() - t0, time.process_time() - c0, report


def agreement(a, b) -> dict[str, float]:
    """Shares of focal provisions with the same candidate set and the same ordered list, and of agreeing mutual
    flags over the pairs both runs propose."""
    def by_focal(report):
        out: dict[str, list] = {}
        for c in report.candidates:
            out.setdefault(c.left_id, []).append((c.right_id, c.mutual))
        return out

    fa, fb = by_focal(a), by_focal(b)
    focal = sorted(set(fa) | set(fb))
    same_set = sum({r for r, _ in fa.get(f, [])} == {r for r, _ in fb.get(f, [])} for f in focal)
    same_list = sum([r for r, _ in fa.get(f, [])] == [r for r, _ in fb.get(f, [])] for f in focal)
    ma = {(f, r): m for f, hits in fa.items() for r, m in hits}
    mb = {(f, r): m for f, hits in fb.items() for r, m in hits}
    both = ma.keys() & mb.keys()
    return {"focal": len(focal), "same_set": same_set / len(focal) if focal else 1.0,
            "same_list": same_list / len(focal) if focal else 1.0,
            "mutual_agree": sum(ma[p] == mb[p] for p in both) / len(both) if both else 1.0}


def main(workspace: str | Path, from_jur: str = "US", to_jur: str = "UK", k: int = 5, rounds: int = 1,
         whole: bool = True) -> str:
    import os

    from crosswalk.workspace import Workspace
    from crosswalk.index.build import load_searcher
    from crosswalk.ingest.store import Store

    ws = Workspace.resolve(str(workspace))
    times: dict[tuple[str, bool], list[float]] = {}
    cpu: dict[tuple[str, bool], list[float]] = {}
    reports = {}
    with Store(ws.db_path, readonly=True) as store:
        searcher = load_searcher(store, ws.index_dir)
        searcher.warm("hybrid")
        for explain in (False, True) if whole else (False,):
            for _ in range(rounds):
                for legacy in (True, False):
                    seconds, cpu_s, report = _run(store, searcher, from_jur, to_jur, k, legacy, explain,
                                                  ws.index_dir / "sentences")
                    times.setdefault(("legacy" if legacy else "batched", explain), []).append(seconds)
                    cpu.setdefault(("legacy" if legacy else "batched", explain), []).append(cpu_s)
                    reports[legacy] = report
                    print(f"{'legacy' if legacy else 'batched'} explain={explain}: {seconds:.1f} s wall, "
                          f"{cpu_s:.1f} s CPU", file=sys.stderr, flush=True)
            if not explain:
                print(json.dumps(agreement(reports[True], reports[False])), file=sys.stderr, flush=True)
    agree = agreement(reports[True], reports[False])
    rows = ["| path | first stage wall s (best / mean) | first stage CPU s | whole match wall s (best / mean) | "
            "whole match CPU s |", "|---|---|---|---|---|"]
    for path in ("legacy", "batched"):
        a, b = times[(path, False)], times.get((path, True), [float("nan")])
        ca, cb = cpu[(path, False)], cpu.get((path, True), [float("nan")])
        rows.append(f"| {path} | {min(a):.1f} / {statistics.mean(a):.1f} | {min(ca):.1f} | {min(b):.1f} / "
                    f"{statistics.mean(b):.1f} | {min(cb):.1f} |")
    speed_first = min(times[("legacy", False)]) / min(times[("batched", False)])
    speed_whole = (min(times[("legacy", True)]) / min(times[("batched", True)])) if whole else float("nan")
    cpu_first = min(cpu[("legacy", False)]) / min(cpu[("batched", False)])
    head = (f"{from_jur}→{to_jur}, k={k}, {agree['focal']:,} focal provisions, {rounds} interleaved rounds per "
            f"side, load average {os.getloadavg()[0]:.1f}: batched is {speed_first:.1f}× faster (first stage; "
            f"{cpu_first:.1f}× less CPU), {speed_whole:.1f}× (whole match); same top-{k} set for {agree['same_set']:.1%} of provisions, same "
            f"order for {agree['same_list']:.1%}, mutual flags agree on {agree['mutual_agree']:.1%} of pairs")
    return head + "\n\n" + "\n".join(rows)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workspace", "-w", default=None)
    ap.add_argument("--from", dest="from_jur", default="US")
    ap.add_argument("--to", dest="to_jur", default="UK")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--first-stage-only", action="store_true", help="skip the whole-command (explained) runs")
    a = ap.parse_args()
    print(main(a.workspace or "workspace", a.from_jur, a.to_jur, a.k, a.rounds, whole=not a.first_stage_only))
