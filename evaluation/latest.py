"""Reading back the evaluation results `crosswalk eval` saved (`WORKSPACE/eval/latest.json`), for the app's
evaluation page.

`crosswalk.evaluation.report.write_report` writes the file (`latest_json`) with `report.md` and `metrics.png` beside
it; `load_latest(workspace)` reads it back with the saved history of comparable runs
(`crosswalk.evaluation.history`) as one `EvalView`, or None when no run has been saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from crosswalk.errors import ConfigError
from crosswalk.evaluation import history as eval_history
from crosswalk.evaluation.metrics import JUDGED_DEPTH
from crosswalk.evaluation.report import CHART, LATEST, REPORT
from crosswalk.workspace import Workspace

EVAL_FILE = Path("eval") / LATEST


@dataclass(frozen=True)
class EvalView:
    """Evaluation results read from `latest.json`.

    `rows`: one dict per system (`retriever` plus one number per metric); systems scored on the pair gold are
    named `pairs:…`. `ci`: `{(system, metric): (low, high)}` 95% intervals when the file has them. The rest
    comes from `crosswalk.evaluation.report.write_report` when it wrote the file: when and at which commit, the gold
    problems it found, reviewer agreement, and the report and chart beside it. `judged`: `{system: share}`, the
    share of each system's top 10 that the gold judges (`evaluated.judged@10`), for the systems that have it.
    `pooled`: `((file, judgements added), …)` when the run added judged pool files to the gold (`--judged`).
    `settings`: what the run scored (split, k, citation lookup, queries and pair queries), so a partial or
    unusual run is recognisable. `since`: each system's change since its previous comparable run
    (`evaluation.history.Change.to_dict()`). `history`: the saved runs comparable with this one, one row per
    run and system, oldest first (`crosswalk.evaluation.history.comparable_rows`); `runs`: how many runs the history
    holds in all; `problems`: its unreadable lines.
    """

    path: str
    rows: tuple[dict, ...]
    metrics: tuple[str, ...]
    ci: dict = field(default_factory=dict)
    generated_at: str = ""
    commit: str = ""
    warnings: tuple[str, ...] = ()
    agreement: tuple[dict, ...] = ()
    report: str = ""  # report.md beside latest.json, if any
    chart: str = ""  # metrics.png beside latest.json, if any
    judged: dict = field(default_factory=dict)
    pooled: tuple[tuple[str, int], ...] = ()
    settings: dict = field(default_factory=dict)
    since: tuple[dict, ...] = ()
    history: tuple[dict, ...] = ()
    runs: int = 0
    problems: tuple[str, ...] = ()


def load_latest(workspace: Workspace) -> EvalView | None:
    """Results saved by `crosswalk eval` as `workspace/eval/latest.json`, or None when there are none.

    Reads both shapes: the bare `{system: {metric: value}}` that `crosswalk eval --json` prints, and the
    report's `{"retrievers": {...}, "generated_at", "commit", "warnings", "agreement", …}`. A file of
    another shape is a ConfigError naming it."""
    path = workspace.root / EVAL_FILE
    if not path.exists():
        return None
    fix = "re-run `crosswalk eval` to write it again"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read evaluation results {path}: {e}; {fix}") from None
    meta = {}
    if isinstance(data, dict) and isinstance(data.get("retrievers"), dict):
        meta, data = data, data["retrievers"]
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{path} is not {{retriever: {{metric: value}}}}; {fix}")
    rows, metrics, ci, judged = [], [], {}, {}
    for name, values in data.items():
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: results for {name!r} are not {{metric: value}}; {fix}")
        row = {"retriever": str(name)}
        for m, v in values.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                row[str(m)] = float(v)
                if m not in metrics:
                    metrics.append(str(m))
        for m in list(row)[1:]:
            bounds = values.get(f"{m}_ci")
            if isinstance(bounds, list) and len(bounds) == 2 and all(isinstance(b, (int, float)) for b in bounds):
                ci[(str(name), m)] = (float(bounds[0]), float(bounds[1]))
        evaluated = values.get("evaluated")
        share = evaluated.get(f"judged@{JUDGED_DEPTH}") if isinstance(evaluated, dict) else None
        if isinstance(share, (int, float)) and not isinstance(share, bool):
            judged[str(name)] = float(share)
        rows.append(row)
    folder = path.parent
    agreement = meta.get("agreement") or ()
    run_meta = meta.get("meta") if isinstance(meta.get("meta"), dict) else {}
    gold = run_meta.get("gold")
    pooled = tuple((str(j.get("path", "")), int(j.get("added") or 0))
                   for j in ((gold or {}).get("judged") or ()) if isinstance(j, dict))
    settings = {k: run_meta[k] for k in ("split", "k", "citation_lookup", "queries", "pair_queries")
                if k in run_meta}
    from crosswalk.evaluation.history_db import DatabaseHistory

    entries, problems = eval_history.load(DatabaseHistory(workspace.database_url)
                                          if workspace.database_url else folder / eval_history.HISTORY)
    # this run's comparability keys, from latest.json itself (a repeated run is not added to the history)
    latest = {"settings": {k: run_meta.get(k) for k in ("k", "citation_lookup")}
              | {"fingerprint": run_meta.get("fingerprint") if isinstance(run_meta.get("fingerprint"), dict)
                 else {}},
              "systems": {str(n): {"gold": "pairs" if str(n).startswith("pairs:") else "queries"} for n in data}}
    rows_over_time = eval_history.comparable_rows(entries, latest)
    return EvalView(
        str(path), tuple(rows), tuple(metrics), ci,
        generated_at=str(meta.get("generated_at") or ""), commit=str(meta.get("commit") or ""),
        warnings=tuple(str(w) for w in meta.get("warnings") or ()),
        agreement=tuple(a for a in agreement if isinstance(a, dict)),
        report=str(folder / REPORT) if (folder / REPORT).exists() else "",
        chart=str(folder / CHART) if (folder / CHART).exists() else "",
        judged=judged, pooled=pooled, settings=settings,
        since=tuple(c for c in meta.get("since") or () if isinstance(c, dict)),
        history=tuple(rows_over_time), runs=len(entries), problems=tuple(problems),
    )
