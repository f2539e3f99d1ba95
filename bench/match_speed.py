"""Matching benchmark: `crosswalk match` as it runs now against the path it replaced, and the batched first stage
(`crosswalk.index.batch_match`) against the one-`like`-at-a-time path.

**The command** (`command_speed`): on two copies of the workspace (store and index, no sentence cache: a first
run), `crosswalk match --from FROM --to TO` as a user runs it, each in its own process, against the path it
replaced, kept behind flags: `crosswalk match --legacy --explain` (one `like` per provision and per candidate,
every pair's best-aligned sentences embedded up front, and one more `like` per provision to order the queue).
Both write their queue; the report compares the two queues: the same top-k candidate set per provision, the
same order, the same mutual flags, the same teaching order.

**The first stage** (`main`'s table): `match(store, searcher, FROM, TO, k)` runs with `legacy=True` and
without, in one process, interleaved (legacy, batched, legacy, batched: the machine is shared, so each side's
best run is reported beside its mean), and reports:

- seconds of the first stage alone (`explain=False`: ranking and the mutual check), and of the whole command
  (`explain=True`, sentence embeddings read from the workspace's cache, `workspace/index/sentences/`, as a
  re-run has them; the explanation step is the same code on both sides);
- agreement: the share of focal provisions whose top-k candidates are the same set, and the same list in the
  same order, and the share of pairs whose mutual flag agrees.

Nothing is written to the workspace itself.

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


def _queue(db: Path, from_jur: str, to_jur: str) -> dict:
    """The queue a run left: per focal provision its candidates in rank order with their mutual flags, and the
    queue's order (pairs by priority)."""
    import sqlite3

    con = sqlite3.connect(db)
    rows = con.execute("SELECT left_id, right_id, rank, mutual, priority FROM review_queue WHERE from_jur=? AND "
                       "to_jur=? ORDER BY left_id, rank", (from_jur, to_jur)).fetchall()
    con.close()
    by_focal: dict[str, list] = {}
    for left, right, _, mutual, _ in rows:
        by_focal.setdefault(left, []).append((right, bool(mutual)))
    order = [(r[0], r[1]) for r in sorted(rows, key=lambda r: (-r[4], r[0], r[1]))]
    return {"by_focal": by_focal, "order": order}


def command_speed(workspace: str | Path, from_jur: str = "US", to_jur: str = "UK", k: int = 5) -> dict:
    """Wall and CPU seconds of `crosswalk match` (the default path) and of `crosswalk match --legacy --explain`
    (the path it replaced), each in its own process on its own copy of the workspace, and how their queues
    agree (see the module docstring)."""
    import os
    import resource
    import subprocess
    import tempfile

    from crosswalk.bench.workspace_copy import copy_workspace
    from crosswalk.workspace import Workspace

    ws = Workspace.resolve(str(workspace))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out: dict = {}
    queues = {}
    with tempfile.TemporaryDirectory(prefix="match-speed-") as tmp:
        for side, flags in (("replaced", ["--legacy", "--explain"]), ("default", [])):
            copy = copy_workspace(ws, Path(tmp) / side, leave_out=("sentences",)).root
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "crosswalk.cli", "match", "--from", from_jur, "--to", to_jur,
                                   "--k", str(k), *flags, "--workspace", str(copy)], env=env, capture_output=True,
                                  text=True)
            wall = time.perf_counter() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode != 0:
                raise RuntimeError(f"crosswalk match {' '.join(flags)} failed: {done.stderr.strip()[-500:]}")
            out[side] = {"flags": " ".join(flags) or "(none)", "wall": wall,
                         "cpu": (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime),
                         "summary": done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""}
            queues[side] = _queue(copy / "crosswalk.db", from_jur.upper(), to_jur.upper())
            print(f"{side}: {out[side]['wall']:.1f} s wall, {out[side]['cpu']:.1f} s CPU", file=sys.stderr, flush=True)
    a, b = queues["replaced"]["by_focal"], queues["default"]["by_focal"]
    focal = sorted(set(a) | set(b))
    ma = {(f, r): m for f, hits in a.items() for r, m in hits}
    mb = {(f, r): m for f, hits in b.items() for r, m in hits}
    both = ma.keys() & mb.keys()
    out["agreement"] = {
        "focal": len(focal),
        "same_set": sum({r for r, _ in a.get(f, [])} == {r for r, _ in b.get(f, [])} for f in focal) / max(1, len(focal)),
        "same_list": sum([r for r, _ in a.get(f, [])] == [r for r, _ in b.get(f, [])] for f in focal) / max(1, len(focal)),
        "mutual_agree": sum(ma[p] == mb[p] for p in both) / len(both) if both else 1.0,
        "same_queue_order": queues["replaced"]["order"] == queues["default"]["order"],
    }
    out["speedup"] = out["replaced"]["wall"] / out["default"]["wall"]
    return out


def command_report(found: dict, from_jur: str, to_jur: str, k: int) -> str:
    """`command_speed`'s figures as a sentence and a Markdown table."""
    import os

    agree = found["agreement"]
    head = (f"`crosswalk match --from {from_jur} --to {to_jur}` is {found['speedup']:.1f}× faster than the path it "
            f"replaced (`--legacy --explain`), load average {os.getloadavg()[0]:.1f}; same top-{k} set for "
            f"{agree['same_set']:.1%} of {agree['focal']:,} provisions, same order for {agree['same_list']:.1%}, "
            f"mutual flags agree on {agree['mutual_agree']:.1%} of pairs, "
            f"{'the same' if agree['same_queue_order'] else 'a different'} queue order")
    rows = ["| path | flags | wall s | CPU s |", "|---|---|---:|---:|"]
    for side in ("replaced", "default"):
        f = found[side]
        rows.append(f"| {side} | `{f['flags']}` | {f['wall']:.1f} | {f['cpu']:.1f} |")
    return head + "\n\n" + "\n".join(rows)


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
         whole: bool = True, command: bool = True) -> str:
    """The command comparison (`command_speed`, unless `command` is False), then the in-process first-stage table."""
    head = command_report(command_speed(workspace, from_jur, to_jur, k), from_jur, to_jur, k) + "\n\n" if command else ""
    return head + first_stage(workspace, from_jur, to_jur, k, rounds, whole)


def first_stage(workspace: str | Path, from_jur: str = "US", to_jur: str = "UK", k: int = 5, rounds: int = 1,
                whole: bool = True) -> str:
    """The in-process table: `match` with `legacy=True` and without, first stage alone and (`whole`) explained."""
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
    ap.add_argument("--first-stage-only", action="store_true", help="skip the explained in-process runs")
    ap.add_argument("--no-command", action="store_true", help="skip the two `crosswalk match` processes")
    a = ap.parse_args()
    print(main(a.workspace or "workspace", a.from_jur, a.to_jur, a.k, a.rounds, whole=not a.first_stage_only,
               command=not a.no_command))
