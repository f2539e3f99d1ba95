"""Quality over time: every saved evaluation adds one line to `history.jsonl`, beside `latest.json`.

`latest.json` holds the last run only; the history keeps them all, so an evaluator can see whether a change
helped, and the team can see when quality moved. Each line is one run (`entry`):

    {"generated_at": "2026-12-04T13:40:00Z", "commit": "3d28082…" | null,
     "settings": {"split": "test", "k": 100, "citation_lookup": true,
                  "fingerprint": {"queries": "a1b2c3d4e5f6", "pairs": "…"}},
     "index": {"model": …, "corpus_hash": …, "fusion": …, "weights": …},
     "systems": {"hybrid": {"gold": "queries", "queries": 63, "judged@10": 0.19,
                            "means": {"nDCG@10": 0.662, …}, "ci": {"nDCG@10": [0.587, 0.728], …},
                            "per_query": {"nDCG@10": {"q-01": 0.9, …}, "Recall@10": {…}}},
                 "pairs:hybrid": {…}}}

Two runs of a system are **comparable** when they scored the same gold (the `fingerprint` of the queries'
texts and judgements, or of the pairs, from `crosswalk.evaluation.run.fingerprint`) at the same depth `k` and, for the
queries, with the same citation setting: then any difference is the system's (its code, model, index or
corpus), not the yardstick's. `since_previous` compares a run with the last comparable one per system: the
change in each metric, the paired randomisation test on the per-query nDCG@10, and the queries that got
worse. Runs on other gold (an edited qrels file, another split) stay in the file and in `--history`, but are
never compared.

The file is only appended to, one line per run written whole and flushed to disk; a run identical to the
last line but for its time (the app's start re-scoring an unchanged checkout) is not added again. A line
that cannot be read (an interrupted write, a hand edit) is skipped and reported by line number, never fatal.

Example:
    entry = make_entry(result, generated_at=report.now(), commit=report.git_commit())
    changes = since_previous(load(folder / HISTORY)[0], entry)
    append(folder / HISTORY, entry)
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from crosswalk.errors import ConfigError
from crosswalk.evaluation import stats
from crosswalk.evaluation.metrics import JUDGED_DEPTH, METRICS, PRIMARY
from crosswalk.evaluation.report import _columns, _num, _p  # the report's number and table formats

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.evaluation.scores import EvalResult

HISTORY = "history.jsonl"
PER_QUERY = (PRIMARY, "Recall@10")  # the per-query values kept, for paired comparisons and regressions
WORST = 5  # queries listed as worse in a comparison


def _finite(x) -> float | None:
    return None if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))) else float(x)


def make_entry(result: "EvalResult", *, generated_at: str, commit: str | None) -> dict:
    """The history line for `result` (see the module docstring); strict JSON (NaN as null)."""
    meta = result.meta
    systems = {}
    for name, s in result.systems().items():
        systems[name] = {
            "gold": s.gold,
            "queries": len(s.per_query),
            f"judged@{JUDGED_DEPTH}": _finite(s.judged),
            "means": {m: _finite(s.means[m]) for m in METRICS},
            "ci": {m: [_finite(s.ci[m][0]), _finite(s.ci[m][1])] for m in METRICS},
            "per_query": {m: {q: _finite(s.per_query[q][m]) for q in s.qids} for m in PER_QUERY},
        }
    index = meta.get("index") or {}
    return {
        "generated_at": generated_at,
        "commit": commit,
        "settings": {"split": meta.get("split"), "k": meta.get("k"), "citation_lookup": meta.get("citation_lookup"),
                     "fingerprint": dict(meta.get("fingerprint") or {})},
        "index": {k: index.get(k) for k in ("model", "corpus_hash", "provisions", "fusion", "rrf_k", "weights")},
        "systems": systems,
    }


def same_run(a: dict, b: dict) -> bool:
    """Whether two entries differ only in when they ran (same commit, settings, index and every score)."""
    return {k: v for k, v in a.items() if k != "generated_at"} == {k: v for k, v in b.items() if k != "generated_at"}


def append(path, entry: dict):
    """Add `entry` as one line at the end of `path` (created with its folder if needed), flushed to disk; or as
    one row of a `DatabaseHistory`. Returns where it went."""
    from crosswalk.evaluation.history_db import DatabaseHistory

    if isinstance(path, DatabaseHistory):
        return path.write_line(entry)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"
    with path.open("a+b") as f:
        f.seek(0, os.SEEK_END)
        if f.tell():
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":  # the last write was cut off: start a line of our own, not glued to it
                line = "\n" + line
        f.write(line.encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())
    return path


def load(path) -> tuple[list[dict], list[str]]:
    """(entries oldest first, problems): every readable run in `path` (a JSONL file, or a `DatabaseHistory`);
    a missing file is an empty history.
    A line that is not a run (broken JSON, no `systems`) is skipped and named in `problems`."""
    from crosswalk.evaluation.history_db import DatabaseHistory

    if isinstance(path, DatabaseHistory):
        text = "\n".join(path.read_lines())
    else:
        path = Path(path)
        if not path.exists():
            return [], []
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            raise ConfigError(f"cannot read the evaluation history {path}: {e}") from None
    entries, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as e:
            problems.append(f"{path} line {number}: not JSON ({e.msg}), skipped")
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("systems"), dict) \
                or not isinstance(entry.get("settings"), dict):
            problems.append(f"{path} line {number}: not an evaluation run (no settings or systems), skipped")
            continue
        wrong = _malformed(entry)
        if wrong:
            problems.append(f"{path} line {number}: {wrong}, skipped")
            continue
        entries.append(entry)
    return entries, problems


def _number(x) -> bool:
    return x is None or (isinstance(x, (int, float)) and not isinstance(x, bool))


def _malformed(entry: dict) -> str:
    """What is wrong with a run read back (a hand edit): "" when every part has the shape the code reads."""
    if not isinstance(entry["settings"].get("fingerprint") or {}, dict):
        return "settings.fingerprint is not an object"
    for name, row in entry["systems"].items():
        if not isinstance(row, dict):
            return f"system {name!r} is not an object"
        means = row.get("means") or {}
        if not isinstance(means, dict) or not all(_number(v) for v in means.values()):
            return f"system {name!r}: means are not numbers"
        per_query = row.get("per_query") or {}
        if not isinstance(per_query, dict) or not all(
                isinstance(v, dict) and all(_number(x) for x in v.values()) for v in per_query.values()):
            return f"system {name!r}: per_query is not {{metric: {{qid: number}}}}"
    return ""


def comparable_key(entry: dict, system: str) -> tuple | None:
    """What must match for two runs of `system` to be compared: its gold's fingerprint, k, and (for the
    queries) the citation setting. None when the run did not score `system` or has no fingerprint."""
    row = entry.get("systems", {}).get(system)
    settings = entry.get("settings", {})
    if not isinstance(row, dict):
        return None
    gold = row.get("gold") or ("pairs" if system.startswith("pairs:") else "queries")
    fp = (settings.get("fingerprint") or {}).get(gold)
    if not fp:
        return None
    return (gold, fp, settings.get("k"), settings.get("citation_lookup") if gold == "queries" else None)


@dataclass(frozen=True)
class Change:
    """One system's run against its previous comparable run.

    `before`/`after`: metric means; `n`: queries both scored; `p`: paired randomisation test on the per-query
    `PRIMARY` metric (NaN when the older run kept no per-query values); `better`/`worse`: queries whose
    `PRIMARY` rose or fell; `worst`: up to `WORST` of the largest falls as `(qid, before, after)`;
    `changed`: what differs in the index between the two runs (`index_changes`), a lead to the cause.
    """

    system: str
    previous_at: str
    previous_commit: str | None
    before: dict[str, float | None]
    after: dict[str, float | None]
    n: int
    p: float
    better: int
    worse: int
    worst: tuple[tuple[str, float, float], ...]
    changed: tuple[str, ...] = ()

    def diff(self, metric: str) -> float | None:
        a, b = self.after.get(metric), self.before.get(metric)
        return None if a is None or b is None else a - b

    def to_dict(self) -> dict:
        return {"system": self.system, "previous_at": self.previous_at, "previous_commit": self.previous_commit,
                "before": self.before, "after": self.after, "n": self.n, "p": _finite(self.p),
                "better": self.better, "worse": self.worse, "worst": [list(w) for w in self.worst],
                "changed": list(self.changed)}


def index_changes(old: dict, new: dict) -> tuple[str, ...]:
    """What differs in the index settings recorded with two runs (history entries), as `name old → new`.

    >>> index_changes({"index": {"model": "a", "weights": {"bm25": 1.5}}},
    ...               {"index": {"model": "a", "weights": {"bm25": 2.0}}})
    ('weights {"bm25": 1.5} → {"bm25": 2.0}',)
    """
    a, b = old.get("index") or {}, new.get("index") or {}
    show = lambda v: json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else str(v)  # noqa: E731
    return tuple(f"{k} {show(a.get(k))} → {show(b.get(k))}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k))


def compare_entries(old: dict, new: dict, system: str, permutations: int = stats.PERMUTATIONS,
                    seed: int = stats.SEED) -> Change:
    """`system` in run `new` against run `old` (both must have scored it)."""
    a, b = old["systems"][system], new["systems"][system]
    pa = (a.get("per_query") or {}).get(PRIMARY) or {}
    pb = (b.get("per_query") or {}).get(PRIMARY) or {}
    common = sorted(q for q in set(pa) & set(pb) if pa[q] is not None and pb[q] is not None)
    before_q, after_q = [pa[q] for q in common], [pb[q] for q in common]
    p = stats.randomisation_test(after_q, before_q, permutations, seed) if common else float("nan")
    better, worse, _ = stats.wins_losses_ties(after_q, before_q)
    falls = sorted(((pb[q] - pa[q], q) for q in common if pb[q] - pa[q] < -stats.TIE))
    return Change(system, str(old.get("generated_at") or ""), old.get("commit"),
                  dict(a.get("means") or {}), dict(b.get("means") or {}), len(common), p, better, worse,
                  tuple((q, pa[q], pb[q]) for _, q in falls[:WORST]), index_changes(old, new))


def since_previous(entries: Sequence[dict], entry: dict) -> list[Change]:
    """Each system of `entry` against the newest earlier run in `entries` that is comparable for it (none for
    a system scored for the first time on this gold and settings)."""
    out = []
    for system in entry.get("systems", {}):
        key = comparable_key(entry, system)
        if key is None:
            continue
        previous = next((e for e in reversed(entries) if comparable_key(e, system) == key), None)
        if previous is not None:
            out.append(compare_entries(previous, entry, system))
    return out


def _signed(x: float | None) -> str:
    return "–" if x is None else f"{x:+.3f}"


def short_commit(commit: str | None) -> str:
    """`3d28082a1b` (+dirty when the checkout had uncommitted changes); "" when unknown.

    >>> short_commit("3d28082a1b2c3d4e5f60718293a4b5c6d7e8f901+dirty"), short_commit(None)
    ('3d28082a1b+dirty', '')
    """
    if not commit:
        return ""
    sha, dirty, _ = commit.partition("+")
    return sha[:10] + ("+dirty" if dirty else "")


def _when(c: Change) -> str:
    commit = short_commit(c.previous_commit)
    return f"{c.previous_at or 'undated'}" + (f", commit {commit}" if commit else "")


def _paired(c: Change) -> str:
    if not c.n:
        return "the previous run kept no per-query values: means only, no test"
    return f"p {_p(c.p)} over {c.n} queries, better on {c.better}, worse on {c.worse}"


def format_since(changes: Sequence[Change], first_time: Sequence[str] = ()) -> str:
    """Terminal lines: each system's change since its previous comparable run, and its worst queries."""
    lines = []
    for c in changes:
        lines.append(f"{c.system} since {_when(c)}: {PRIMARY} {_num(c.before.get(PRIMARY))} → "
                     f"{_num(c.after.get(PRIMARY))} ({_signed(c.diff(PRIMARY))}), Recall@10 "
                     f"{_num(c.before.get('Recall@10'))} → {_num(c.after.get('Recall@10'))} "
                     f"({_signed(c.diff('Recall@10'))}); {_paired(c)}")
        if c.worst:
            lines.append("  worse: " + ", ".join(f"{q} {b:.2f}→{a:.2f}" for q, b, a in c.worst))
        if c.changed:
            lines.append("  index: " + "; ".join(c.changed))
    if first_time:
        lines.append(f"first run on this gold and settings for {', '.join(first_time)}: nothing to compare with yet")
    return "\n".join(lines)


def markdown_since(changes: Sequence[Change]) -> str:
    """The report's table of changes since the previous comparable runs."""
    if not changes:
        return "_No earlier run on the same gold and settings: nothing to compare with yet._"
    rows = ["| system | previous run | " + " | ".join(f"Δ {m}" for m in METRICS)
            + f" | p ({PRIMARY}) | better / worse |",
            "| --- | --- | " + " | ".join("---" for _ in METRICS) + " | --- | --- |"]
    for c in changes:
        rows.append(f"| `{c.system}` | {_when(c)} | " + " | ".join(_signed(c.diff(m)) for m in METRICS)
                    + (f" | {_p(c.p)} | {c.better} / {c.worse} |" if c.n else " | – | – (means only) |"))
    worst = [f"- `{c.system}`: " + ", ".join(f"`{q}` {b:.2f} → {a:.2f}" for q, b, a in c.worst)
             for c in changes if c.worst]
    text = "\n".join(rows)
    if worst:
        text += f"\n\nLargest falls in {PRIMARY}:\n\n" + "\n".join(worst)
    changed = [f"- `{c.system}`: " + "; ".join(f"`{x}`" for x in c.changed) for c in changes if c.changed]
    if changed:
        text += "\n\nIndex settings that differ from the previous run:\n\n" + "\n".join(changed)
    return text


def select(entries: Sequence[dict], systems: Sequence[str]) -> list[dict]:
    """The runs that scored any of `systems`, each keeping only those systems (all runs when none is named)."""
    if not systems:
        return list(entries)
    out = []
    for e in entries:
        kept = {n: row for n, row in (e.get("systems") or {}).items() if n in systems}
        if kept:
            out.append({**e, "systems": kept})
    return out


def history_rows(entries: Sequence[dict], systems: Sequence[str] = ()) -> list[dict]:
    """One flat row per run and system (oldest first), for tables and charts: when, commit, split, k, gold
    fingerprint, system, queries, judged@10 and each metric's mean. `systems` keeps only those named."""
    rows = []
    for e in entries:
        settings = e.get("settings") or {}
        for name, row in (e.get("systems") or {}).items():
            if systems and name not in systems:
                continue
            if not isinstance(row, dict):
                continue
            key = comparable_key(e, name)
            means = row.get("means") or {}
            rows.append({"generated_at": e.get("generated_at"), "commit": short_commit(e.get("commit")),
                         "split": settings.get("split"), "k": settings.get("k"),
                         "citations": "on" if settings.get("citation_lookup") else "off",
                         "gold": key[1] if key else "",
                         "system": name, "queries": row.get("queries"),
                         f"judged@{JUDGED_DEPTH}": row.get(f"judged@{JUDGED_DEPTH}"),
                         **{m: means.get(m) for m in METRICS}})
    return rows


def comparable_rows(entries: Sequence[dict], latest: dict) -> list[dict]:
    """`history_rows` of the runs comparable with `latest` (per system: same gold, k and citation setting),
    oldest first: the series to chart a system's quality over time."""
    keep = []
    for e in entries:
        names = [n for n in e.get("systems", {}) if comparable_key(e, n) is not None
                 and comparable_key(e, n) == comparable_key(latest, n)]
        keep += history_rows([e], names) if names else []
    return keep


def format_history(entries: Sequence[dict], systems: Sequence[str] = ()) -> str:
    """The history as a terminal table, oldest first: runs of a system compare when their `gold` (fingerprint),
    `k` and (for queries) `citations` agree."""
    rows = history_rows(entries, systems)
    if not rows:
        return "no evaluation history yet: `crosswalk eval` adds a line for every run it saves"
    header = ["when", "commit", "split", "k", "gold", "system", "citations", "queries", *METRICS]
    table = [header] + [[str(r["generated_at"] or ""), r["commit"] or "-", str(r["split"]), str(r["k"]), r["gold"],
                         r["system"], r["citations"] if not r["system"].startswith("pairs:") else "-",
                         str(r["queries"]), *(_num(r[m]) for m in METRICS)] for r in rows]
    return _columns(table)
