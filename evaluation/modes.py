"""What `crosswalk eval` does, one library function per mode; the command only checks its options and prints.

- `score_workspace`: score the workspace's retrievers against the gold (`crosswalk.evaluation.run`), then save the
  run: the report into `WORKSPACE/eval/` (what the app shows) and any extra folder, the run added to the
  workspace's history and compared with the previous comparable one, TREC run files on request.
- `saved_runs`: the history of saved runs, for `--history`.
- `write_decisions_qrels`: the reviewers' current decisions as TREC qrels, for `--decisions-qrels`.
- Reviewer agreement (`--agreement`) is `crosswalk.evaluation.agreement.workspace_agreement`.

`check_modes` says which options go together: the three modes that need no index (`--history`, `--agreement`,
`--decisions-qrels`) take none of the scoring options.

Example: scored = score_workspace(Workspace.resolve(None), retrievers=["hybrid"], split="test")
         print(format_text(scored.result))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from crosswalk.errors import ConfigError, StoreError
from crosswalk.files import atomic_write

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.evaluation.report import Saved
    from crosswalk.evaluation.scores import EvalResult
    from crosswalk.workspace import Workspace


def check_modes(*, agreement: bool = False, decisions_qrels=None, history: bool = False, pool=None,
                judged: Sequence = (), report=None, runs=None, split: str = "all", split_path=None) -> None:
    """A ConfigError naming the options that do not go together: a scoring option (`pool`, `judged`, `report`,
    `runs`) with a mode that scores nothing, `history` with another mode, a split file without a split.

    >>> check_modes(agreement=True, decisions_qrels="d.qrels")
    >>> check_modes(history=True, report="out")
    Traceback (most recent call last):
    ...
    crosswalk.errors.ConfigError: --report go(es) with scoring retrieval, not with --history
    """
    instead = [flag for flag, on in (("--agreement", agreement), ("--decisions-qrels", decisions_qrels),
                                     ("--history", history)) if on]
    scoring = [flag for flag, on in (("--pool", pool), ("--judged", judged), ("--report", report),
                                     ("--runs", runs)) if on]
    if instead and scoring:
        raise ConfigError(f"{', '.join(scoring)} go(es) with scoring retrieval, not with {', '.join(instead)}")
    if history and (agreement or decisions_qrels):
        raise ConfigError("--history lists the saved runs: run it on its own, not with --agreement or "
                          "--decisions-qrels")
    if split_path and split == "all":
        raise ConfigError(f"--split-file {split_path} is only read with --split dev or --split test")


def saved_runs(workspace: "Workspace", retrievers: Sequence[str] = ()) -> tuple[list[dict], list[str], list[str]]:
    """The workspace's saved runs, oldest first (its database's, or `WORKSPACE/eval/history.jsonl`); the systems
    to show of them, each of `retrievers` with its pair-matching run (`hybrid`, `pairs:hybrid`; none named: all);
    and a problem line for each history line that could not be read."""
    from crosswalk.evaluation import history
    from crosswalk.evaluation.history_db import location

    entries, problems = history.load(location(workspace))
    systems = [name for r in retrievers for name in (r, f"pairs:{r}")]
    return entries, systems, problems


def write_decisions_qrels(database, path: Path | str) -> tuple[int, int]:
    """Write the reviewers' current decisions as TREC qrels to `path` (the newest decision per pair; `unsure`
    left out), whole or not at all. Returns (judgements written, pairs decided)."""
    from crosswalk.evaluation.agreement import current_decisions
    from crosswalk.review.decisions import latest_by_pair
    from crosswalk.review.export import to_qrels

    decisions = list(latest_by_pair(current_decisions(database)).values())
    text = to_qrels(decisions)
    atomic_write(path, text)
    return text.count("\n"), len(decisions)


@dataclass(frozen=True)
class Scored:
    """What `score_workspace` did: the scores, what saving the run wrote and found in the history (`Saved`), and
    the TREC run files written."""

    result: "EvalResult"
    saved: "Saved"
    runs: list[Path] = field(default_factory=list)


def score_workspace(workspace: "Workspace", *, save: bool = True, report_dir: Path | str | None = None,
                    runs_dir: Path | str | None = None, per_query: bool = False,
                    progress: Callable[[str, int, int], None] | None = None, **options) -> Scored:
    """Score `workspace`'s retrievers (`evaluate_workspace` with `options`: gold files, retrievers, k, split, …)
    and save the run. The report goes into `WORKSPACE/eval/` unless `save` is False, and into `report_dir`;
    the run is compared with the workspace's history always, and added to it when `save`. Reviewer agreement
    joins the report when two or more reviewers have decided. `runs_dir` gets each system's TREC run file and
    the qrels scored. A StoreError when the workspace has no store.

    Example: score_workspace(ws, retrievers=["bm25", "hybrid"], save=False).saved.since
    """
    from crosswalk.evaluation import report
    from crosswalk.evaluation.agreement import workspace_agreement
    from crosswalk.evaluation.history_db import DatabaseHistory
    from crosswalk.evaluation.run import evaluate_workspace

    if not workspace.has_store():
        raise StoreError(f"no store at {workspace.describe_database()}: run `crosswalk ingest` and `crosswalk index` "
                         "first")
    result = evaluate_workspace(workspace, progress=progress, **options)
    agreement = workspace_agreement(workspace.database)
    agreement = agreement if any(len(a.reviewers) >= 2 for a in agreement) else None
    folders = ([workspace.root / "eval"] if save else []) + ([Path(report_dir)] if report_dir else [])
    history_at = DatabaseHistory(workspace.database_url) if workspace.database_url else workspace.root / "eval"
    saved = report.save_run(result, folders, history_dir=history_at, record=save, agreement=agreement,
                            generated_at=report.now(), commit=report.git_commit(), per_query=per_query)
    runs = report.write_runs(result, runs_dir) if runs_dir else []
    return Scored(result, saved, runs)
