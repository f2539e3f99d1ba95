"""Show an evaluation: terminal tables, a Markdown report with a bar chart, and `latest.json` for the app.

`save_run(result, folders, history_dir=…)` compares the run with the previous comparable one in the
workspace's `history.jsonl` (`crosswalk.evaluation.history`), writes the report into each folder and adds the run to
that history; `write_report(result, folder)` writes the three report files into `folder`:

- `report.md`: metrics per system with 95% confidence intervals, significance tests, a breakdown per query
  kind (`cite-`, `q-`, `xvocab-`), the pairs table, reviewer agreement when there is some, the gold problems
  found, and how everything was computed; dated, with the git commit and the index's parameters.
- `metrics.png`: grouped bars per metric and system with the confidence intervals as error bars (matplotlib,
  drawn off-screen; no display needed).
- `latest.json`: `latest_json(...)`, which the app's evaluation page reads (`crosswalk.evaluation.latest`):

      {"retrievers": <what `crosswalk eval --json` prints: {system: {metric: value, …}, …}>,
       "generated_at": "2025-…Z", "commit": "abc1234…" | null, "meta": {k, split, …, index: {…}},
       "warnings": [...], "agreement": [{level, reviewers, alpha, kappas, …}] | null,
       "since": [<evaluation.history.Change.to_dict()>, …]}
"""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from crosswalk.evaluation.metrics import JUDGED_DEPTH, METRICS, PRIMARY
from crosswalk.files import atomic_path, atomic_write

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.evaluation.agreement import Agreement
    from crosswalk.evaluation.history import Change
    from crosswalk.evaluation.scores import EvalResult, Scores
    from crosswalk.evaluation.stats import Comparison

REPORT = "report.md"
CHART = "metrics.png"
LATEST = "latest.json"
JUDGED_COLUMN = f"judged@{JUDGED_DEPTH}"  # the share of the first units the gold judges (metrics.judged_share)
REPO = Path(__file__).resolve().parents[1]


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_commit(repo: Path = REPO) -> str | None:
    """The checkout's HEAD commit, with `+dirty` when tracked files changed; None outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        # --no-optional-locks: only read, never refresh the index (a commit may be running beside us)
        dirty = subprocess.run(["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
                               cwd=repo, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")


def _num(x: float | None, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def _p(p: float) -> str:
    if math.isnan(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def cell(s: "Scores", metric: str) -> str:
    """`0.512 [0.431, 0.598]`: the mean with its confidence interval."""
    lo, hi = s.ci[metric]
    return f"{_num(s.means[metric])} [{_num(lo)}, {_num(hi)}]"


# --- terminal -----------------------------------------------------------------------------------------------------


def _columns(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def format_table(scores: dict[str, "Scores"], title: str) -> str:
    """One row per system: each metric's mean and 95% interval, the queries scored and the time taken."""
    if not scores:
        return ""
    rows = [[title, *METRICS, "queries", JUDGED_COLUMN, "s"]]
    for name, s in scores.items():
        rows.append([name, *(cell(s, m) for m in METRICS), str(len(s.per_query)), _num(s.judged, 2),
                     f"{s.seconds:.1f}"])
    return _columns(rows)


def _diff_ci(c: "Comparison") -> str:
    lo, hi = c.diff_ci
    return "–" if math.isnan(lo) else f"[{lo:+.3f}, {hi:+.3f}]"


def format_comparisons(comparisons: Sequence["Comparison"]) -> str:
    """`hybrid − bm25: +0.052 [+0.004, +0.101]  p 0.031 (Holm 0.062)  better on 14, worse on 5, tied on 21`,
    one line per test."""
    if not comparisons:
        return ""
    lines = [f"{comparisons[0].metric}, {comparisons[0].test}, over {comparisons[0].n} queries "
             "(Δ with its 95% bootstrap interval):"]
    for c in comparisons:
        lines.append(f"  {c.a} − {c.b}: {c.diff:+.3f} {_diff_ci(c)}  p {_p(c.p)} (Holm {_p(c.p_holm)})  "
                     f"better on {c.wins}, worse on {c.losses}, tied on {c.ties}")
    return "\n".join(lines)


def format_per_query(scores: dict[str, "Scores"]) -> str:
    """One row per query and system: its kind, every metric and the rank of its first relevant unit."""
    rows = [["qid", "kind", "system", *METRICS, "first hit"]]
    for name, s in scores.items():
        for q in s.qids:
            first = s.first_relevant.get(q)
            rows.append([q, q.split("-", 1)[0] if not q.startswith("pair:") else "pair", name,
                         *(_num(s.per_query[q][m]) for m in METRICS), "-" if first is None else str(first)])
    return _columns(rows) if len(rows) > 1 else ""


def format_text(result: "EvalResult", per_query: bool = False) -> str:
    """Everything `crosswalk eval` prints without --json."""
    parts = []
    if result.queries:
        parts.append(format_table(result.queries, f"queries ({result.meta.get('split', 'all')})"))
        if result.comparisons:
            parts.append(format_comparisons(result.comparisons))
    if result.pairs:
        parts.append(format_table(result.pairs, "pairs"))
        if result.pair_comparisons:
            parts.append(format_comparisons(result.pair_comparisons))
    if per_query:
        for scores in (result.queries, result.pairs):
            if scores:
                parts.append(format_per_query(scores))
    return "\n\n".join(p for p in parts if p)


def _judged(meta: dict) -> list[dict]:
    """The judged pool files a run added (`meta["gold"]["judged"]`): `[{"path", "added", "queries"}, …]`."""
    return list((meta.get("gold") or {}).get("judged") or [])


def summary(result: "EvalResult", saved: Sequence[Path] = ()) -> str:
    """The one line the command ends with."""
    m = result.meta
    what = []
    if result.queries:
        what.append(f"{m['queries']} queries")
    if result.pairs:
        what.append(f"{m['pair_queries']} pair queries ({m['pairs']} pairs)")
    systems = ", ".join(dict.fromkeys([*result.queries, *result.pairs]))
    line = f"evaluated {' and '.join(what)} (split {m['split']}) with {systems} at k={m['k']} in {m['seconds']:.1f} s"
    added = sum(j["added"] for j in _judged(m))
    if _judged(m):
        relevant = sum(j.get("relevant", 0) for j in _judged(m))
        line += f", the gold plus {added:,} pooled judgement(s) ({relevant:,} relevant, over every split)"
    if result.warnings:
        line += f"; {len(result.warnings)} gold warning(s)"
    if saved:
        line += "; wrote " + ", ".join(str(p) for p in saved)
    return line


# --- JSON -------------------------------------------------------------------------------------------------------


def _clean(obj):
    """NaN → None, tuples → lists: strict JSON."""
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def to_json(result: "EvalResult", per_query: bool = False, since: Sequence["Change"] = ()) -> dict:
    """What `crosswalk eval --json` prints (see `EvalResult.to_json`), as strict JSON (NaN as null); with
    `since`, each system compared with its previous comparable run carries that comparison as `since`
    (`evaluation.history.Change.to_dict()`)."""
    data = result.to_json(per_query)
    for c in since:
        if c.system in data:
            data[c.system]["since"] = c.to_dict()
    return _clean(data)


def latest_json(result: "EvalResult", *, generated_at: str | None = None, commit: str | None = None,
                agreement: Sequence["Agreement"] | None = None, per_query: bool = False,
                since: Sequence["Change"] = ()) -> dict:
    """The saved form: `{"retrievers": to_json(result), "generated_at", "commit", "meta", "warnings", "agreement",
    "since"}`."""
    return _clean({
        "retrievers": result.to_json(per_query),
        "generated_at": generated_at or now(),
        "commit": commit,
        "meta": result.meta,
        "warnings": list(result.warnings),
        "agreement": [a.to_dict() for a in agreement] if agreement else None,
        "since": [c.to_dict() for c in since],
    })


# --- Markdown ---------------------------------------------------------------------------------------------------


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _md_scores(scores: dict[str, "Scores"], first: str) -> str:
    rows = [[f"`{n}`", *(cell(s, m) for m in METRICS), str(len(s.per_query)), _num(s.judged, 2), f"{s.seconds:.1f}"]
            for n, s in scores.items()]
    return _md_table([first, *METRICS, "queries", JUDGED_COLUMN, "seconds"], rows)


def _md_comparisons(comparisons: Sequence["Comparison"]) -> str:
    if not comparisons:
        return "_One system only: nothing to compare._"
    c0 = comparisons[0]
    rows = [[f"`{c.a}` − `{c.b}`", f"{c.diff:+.3f}", _diff_ci(c), _p(c.p), _p(c.p_holm), f"{c.wins} / {c.losses} / {c.ties}"]
            for c in comparisons]
    return (f"{c0.metric} per query, {c0.test}, {c0.n} queries; Δ is the mean paired difference with its "
            "percentile-bootstrap interval; p-values two-sided, then Holm-adjusted for the "
            f"{len(comparisons)} comparison(s) in this run (adding or dropping a system changes the adjustment); "
            "better / worse / tied: queries on which the first system scores above, below or level with the "
            "second.\n\n"
            + _md_table(["comparison", f"Δ {c0.metric}", "Δ 95% CI", "p", "p (Holm)", "better / worse / tied"], rows))


def _kind_cell(row: dict, metric: str) -> str:
    lo, hi = row.get(f"{metric}_ci") or (float("nan"), float("nan"))
    return _num(row[metric]) + ("" if math.isnan(lo) else f" [{_num(lo)}, {_num(hi)}]")


def _md_kinds(scores: dict[str, "Scores"]) -> str:
    kinds = sorted({k for s in scores.values() for k in s.by_kind})
    rows = []
    for kind in kinds:
        for name, s in scores.items():
            row = s.by_kind.get(kind)
            if row:
                rows.append([f"`{kind}`", f"`{name}`", str(int(row["queries"])), *(_kind_cell(row, m) for m in METRICS)])
    return _md_table(["kind", "system", "queries", *METRICS], rows)


def _md_index(index: dict) -> str:
    if not index:
        return "not recorded"
    parts = [f"{k} `{v}`" for k, v in index.items() if v not in (None, "")]
    return ", ".join(parts)


def render_markdown(result: "EvalResult", *, generated_at: str | None = None, commit: str | None = None,
                    agreement: Sequence["Agreement"] | None = None, chart: str | None = CHART,
                    since: Sequence["Change"] | None = None) -> str:
    """The report as Markdown (see the module docstring for what it holds)."""
    m = result.meta
    boot = m.get("bootstrap", {})
    sig = m.get("significance", {})
    out = [
        "# Crosswalk retrieval evaluation",
        "",
        f"- Generated: {generated_at or now()}",
        f"- Commit: `{commit}`" if commit else "- Commit: not a git checkout",
        f"- Split: `{m.get('split')}`; ranking depth k = {m.get('k')}; citation lookup "
        f"{'on (as in the app)' if m.get('citation_lookup') else 'off (bare retrievers)'}",
        f"- Gold: {m.get('queries', 0)} scored queries; {m.get('pairs', 0)} pairs as {m.get('pair_queries', 0)} "
        "pair queries" + "".join(f"; + {j['added']:,} judgement(s) ({j.get('relevant', 0):,} relevant) from "
                                 f"`{j['path']}`" for j in _judged(m)),
        f"- Index: {_md_index(m.get('index', {}))}",
        "",
    ]
    if chart:
        out += [f"![metrics with 95% confidence intervals]({chart})", ""]
    if result.queries:
        out += ["## Queries", "",
                f"Mean over queries, with the {boot.get('confidence', 0.95):.0%} percentile-bootstrap interval in "
                f"brackets ({boot.get('resamples')} resamples of the queries, seed {boot.get('seed')}).", "",
                _md_scores(result.queries, "retriever"), "",
                "### Significance", "", _md_comparisons(result.comparisons), "",
                "### By query kind", "",
                "`cite-`: a citation as a lawyer writes it; `q-`: a question in the documents' own words; "
                "`xvocab-`: the same kind of question in other words than the documents'.", "",
                _md_kinds(result.queries), ""]
    if result.pairs:
        out += ["## Pairs (cross-jurisdiction matching)", "",
                "Each gold pair's left provision asks for its counterparts in the right provision's jurisdiction; "
                "relevance 2 for equal, subset-of and superset-of, 1 for intersects-with. `match` is the path "
                "that fills the review queue (`crosswalk match`); the others are `like` searches.", "",
                _md_scores(result.pairs, "system"), "",
                "### Significance", "", _md_comparisons(result.pair_comparisons), ""]
    else:
        out += ["## Pairs (cross-jurisdiction matching)", "", "_Not evaluated (run with `--pairs`)._", ""]
    if since is not None:
        from crosswalk.evaluation.history import HISTORY, markdown_since

        out += ["## Since the previous comparable run", "",
                f"Each system against its last run in `{HISTORY}` on the same gold (same queries and judgements, "
                "or pairs), depth and citation setting; p from the paired randomisation test on the per-query "
                f"{PRIMARY}.", "", markdown_since(since), ""]
    if agreement:
        from crosswalk.evaluation.agreement import few_pairs

        out += ["## Reviewer agreement", ""]
        for a in agreement:
            if len(a.reviewers) < 2:
                out += [f"- `{a.level}`: fewer than two reviewers have decided pairs."]
                continue
            out += [f"- `{a.level}`: Krippendorff's alpha (nominal) **{_num(a.alpha)}** — {len(a.reviewers)} reviewers, "
                    f"{a.pairable} of {a.items} pairs decided by two or more"
                    + (f", {a.stale} label(s) on changed texts" if a.stale else "")]
            for k in a.kappas:
                out += [f"  - {k.a} × {k.b}: Cohen's kappa {_num(k.kappa)} on {k.items} pairs (raw agreement "
                        f"{k.observed:.0%})"]
            if few_pairs(a):
                out += [f"  - _{few_pairs(a)}_"]
        out += [""]
    if result.warnings:
        out += ["## Gold warnings", ""] + [f"- {w}" for w in result.warnings] + [""]
    out += [
        "## Method", "",
        "- Roll-up: a retrieved provision counts for a judged id when that id is the provision itself or one of "
        "its ancestors (store `parent_id` chain; the citation's form for ids the store lacks); each query's "
        "ranking is rolled up to its judged units, the nearest judged ancestor winning, and each unit keeps its "
        "best rank (later hits of the same unit are dropped).",
        "- Metrics by ir-measures (trec_eval definitions): nDCG@10 with linear gains (relevance 2 counts twice "
        "relevance 1), Recall@10, Recall@100, MRR@10 (`RR@10`) and MAP (`AP` over the whole ranking); "
        "relevance ≥ 1 is relevant. Queries whose judgements are all 0 are left out; a query with no hit "
        "scores 0.",
        f"- Significance: {sig.get('test', 'paired randomisation')} on per-query {sig.get('metric', PRIMARY)} "
        f"(Smucker, Allan & Carterette 2007), exact when there are 13 queries or fewer, else "
        f"{sig.get('permutations', 10000):,} random sign flips; Holm-adjusted over the comparisons.",
        "- Unjudged provisions count as not relevant: the gold judges a few answers per query, so a system that "
        "finds a real but unjudged answer is not credited for it, and an unjudged hit can push a judged answer "
        "out of the first ten (compare systems, not absolute values). "
        f"`{JUDGED_COLUMN}` is how much of each ranking the gold can vouch for: the mean share of its first "
        f"{JUDGED_DEPTH} units that carry a judgement of any relevance (ir-measures' `Judged@{JUDGED_DEPTH}`); "
        "the lower it is, the more of what a system shows went unjudged; `crosswalk eval --pool FILE` lists "
        "those units for a judge, and `--judged FILE` adds the judgements back.",
        "- Seconds: wall time spent retrieving, model loading excluded, on whatever else the machine was doing; "
        "`hybrid` reuses the query vectors `dense` computed when the embedder caches them.",
        "",
    ]
    return "\n".join(out)


# --- chart ------------------------------------------------------------------------------------------------------


def plot_metrics(result: "EvalResult", path: Path | str) -> Path:
    """Grouped bars (one group per metric, one bar per system) with confidence-interval error bars; one panel
    for the queries and one for the pairs when both were scored. Drawn with matplotlib's Agg canvas (no
    pyplot, no display, no global backend switch)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    panels = [(title, s) for title, s in (("Queries", result.queries), ("Pairs", result.pairs)) if s]
    fig = Figure(figsize=(10, 3.8 * max(1, len(panels))), dpi=110)
    FigureCanvasAgg(fig)
    axes = fig.subplots(max(1, len(panels)), 1, squeeze=False)[:, 0]
    colours = {"bm25": "#4c72b0", "dense": "#dd8452", "hybrid": "#55a868", "match": "#8172b3"}
    for ax, (title, scores) in zip(axes, panels):
        n = len(scores)
        width = 0.8 / max(1, n)
        for i, (name, s) in enumerate(scores.items()):
            xs = [j + (i - (n - 1) / 2) * width for j in range(len(METRICS))]
            ys = [0.0 if math.isnan(s.means[m]) else s.means[m] for m in METRICS]
            lo = [max(0.0, y - s.ci[m][0]) if not math.isnan(s.ci[m][0]) else 0.0 for y, m in zip(ys, METRICS)]
            hi = [max(0.0, s.ci[m][1] - y) if not math.isnan(s.ci[m][1]) else 0.0 for y, m in zip(ys, METRICS)]
            ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=name, color=colours.get(name, None),
                   error_kw={"elinewidth": 1, "ecolor": "#333"})
        ax.set_xticks(range(len(METRICS)))
        ax.set_xticklabels(METRICS)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("score")
        count = len(next(iter(scores.values())).per_query)
        ax.set_title(f"{title} ({count} {'queries' if title == 'Queries' else 'pair queries'}; "
                     "bars: mean, whiskers: 95% bootstrap CI)", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    if not panels:
        axes[0].text(0.5, 0.5, "nothing scored", ha="center", va="center")
        axes[0].set_axis_off()
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    return Path(path)


# --- files ------------------------------------------------------------------------------------------------------


def run_file_name(system: str) -> str:
    """`hybrid.run`, `pairs-match.run`: one TREC run file per scored system.

    >>> run_file_name("pairs:match")
    'pairs-match.run'
    """
    return system.replace(":", "-") + ".run"


def write_runs(result: "EvalResult", folder: Path | str) -> list[Path]:
    """Each system's rolled-up rankings (`Scores.rolled`, what the metrics saw) as a TREC run file in `folder`:
    `qid Q0 unit rank score crosswalk-{system}`, score = number of units − rank + 1; beside them the judgements
    scored, `qrels.txt` (the queries', pooled judgements included) and `pair_qrels.txt`, so that trec_eval or
    ranx reproduce the metrics from the files alone."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, s in result.systems().items():
        lines = []
        for q in s.qids:
            units = s.rolled.get(q, ())
            lines += [f"{q} Q0 {unit} {rank} {len(units) - rank + 1} crosswalk-{name.replace(':', '-')}"
                      for rank, unit in enumerate(units, start=1)]
        path = folder / run_file_name(name)
        _write_text(path, "".join(line + "\n" for line in lines))
        paths.append(path)
    for name, qrels in (("qrels.txt", result.qrels), ("pair_qrels.txt", result.pair_qrels)):
        if qrels:
            path = folder / name
            _write_text(path, "".join(f"{q} 0 {pid} {rel}\n" for q, judged in sorted(qrels.items())
                                      for pid, rel in sorted(judged.items())))
            paths.append(path)
    return paths


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, text)


def write_report(result: "EvalResult", folder: Path | str, *, agreement: Sequence["Agreement"] | None = None,
                 generated_at: str | None = None, commit: str | None = None, per_query: bool = False,
                 since: Sequence["Change"] | None = None) -> list[Path]:
    """Write `report.md`, `metrics.png` and `latest.json` into `folder` (created if needed); each file is
    replaced whole (written aside, then renamed), so a reader never sees half a report. Returns the paths.
    `since`: the changes since the previous comparable runs (`crosswalk.evaluation.history.since_previous`), when known.

    Example: write_report(result, "workspace/eval")
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    generated_at = generated_at or now()
    chart = plot_metrics(result, folder / CHART)
    md = folder / REPORT
    _write_text(md, render_markdown(result, generated_at=generated_at, commit=commit, agreement=agreement,
                                    since=since))
    latest = folder / LATEST
    data = latest_json(result, generated_at=generated_at, commit=commit, agreement=agreement, per_query=per_query,
                       since=since or ())
    _write_text(latest, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return [md, chart, latest]


@dataclass(frozen=True)
class Saved:
    """What `save_run` did: the files written, the changes since the previous comparable runs in the history,
    the systems run for the first time on their gold and settings, and unreadable history lines."""

    paths: list[Path]
    since: list["Change"]
    first_time: list[str]
    problems: list[str]


def save_run(result: "EvalResult", folders: Sequence[Path | str], *, history_dir: Path | str,
             record: bool = True, agreement: Sequence["Agreement"] | None = None, generated_at: str | None = None,
             commit: str | None = None, per_query: bool = False) -> Saved:
    """Compare `result` with the previous comparable runs of `history_dir`'s `history.jsonl`, write the report,
    with those changes, into each of `folders` (a folder named twice is written once), then, with `record`,
    add the run to that history (not when it repeats the last line but for its time). The report files are
    replaced whole; the history is only appended to. With no folders and no `record`, nothing is written.

    Example: save_run(result, ["workspace/eval"], history_dir="workspace/eval", commit=git_commit()).since
    """
    from crosswalk.evaluation import history

    generated_at = generated_at or now()
    entry = history.make_entry(result, generated_at=generated_at, commit=commit)
    from crosswalk.evaluation.history_db import DatabaseHistory

    path = history_dir if isinstance(history_dir, DatabaseHistory) else Path(history_dir) / history.HISTORY
    entries, problems = history.load(path)
    since = history.since_previous(entries, entry)
    compared = {c.system for c in since}
    first = [s for s in entry["systems"] if s not in compared]
    paths: list[Path] = []
    for folder in dict.fromkeys(Path(f).resolve() for f in folders):
        paths += write_report(result, folder, agreement=agreement, generated_at=generated_at, commit=commit,
                              per_query=per_query, since=since)
    if record and not (entries and history.same_run(entries[-1], entry)):
        written = history.append(path, entry)
        if isinstance(written, Path):
            paths.append(written)
    return Saved(paths, since, first, problems)
