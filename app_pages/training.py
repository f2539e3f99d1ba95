"""The reviewer loop in the app: how many decisions the saved ranker has not learned from yet, and retraining it.

`training_state(workspace, decisions)` reads the ranker's metadata (`workspace/models/ranker.json`, written by
`crosswalk learn`) without loading LightGBM, and counts the decisions recorded after the model read them: those
with a sequence number above the metadata's `decisions_max_seq` when it has one, else above the one `retrain`
noted beside the model (`ranker.decisions.json`, valid while its fingerprint is the model's), else those made
after its `trained_at` (which counts a decision saved during a `crosswalk learn` run as seen). `unsure`
decisions are not training data and are not counted.

`retrain(workspace)` runs `crosswalk.index.rerank.learn` on a store connection of its own, one training at a time per
process (a second click while one runs is told so, not queued), and returns the dev figures of the first stage,
of the previous model and of the new one. Decisions are only read: a decision saved while training runs is
committed as usual and counted as new for the next training.

Example:
    state = training_state(ws, DecisionStore(ws.database))
    state.message()   # '12 decisions since the last training (2026-12-06 20:14 UTC) · 140 in all'
    result = retrain(ws)
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from crosswalk.errors import ConfigError
from crosswalk.files import atomic_write
from crosswalk.workspace import Workspace

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.review.decisions import DecisionStore

_TRAINING = threading.Lock()
SEEN_FILE = "ranker.decisions.json"  # beside the model: the newest decision when the app's retraining began


@dataclass(frozen=True)
class TrainingState:
    """The saved ranker (if any) and the decisions it has not seen.

    - `model`: a ranker is saved; `trained_at`: when (ISO 8601, UTC), "" without a model;
    - `since`: decisions (not `unsure`) recorded after the model read the decisions (all of them without a model);
    - `total`: decisions (not `unsure`) in the workspace; `trained_on`: decision pair queries the model used;
    - `dev`: the metadata's `{"before": {...}, "after": {...}}` dev figures; `problem`: why the metadata could
      not be read (the model is then treated as absent for counting).
    """

    model: bool
    trained_at: str = ""
    since: int = 0
    total: int = 0
    trained_on: int | None = None
    dev: dict = field(default_factory=dict)
    problem: str = ""

    def message(self) -> str:
        n = f"{self.since:,} decision{'s' if self.since != 1 else ''}"
        if not self.model:
            return (f"No ranker trained yet: {n} to learn from. Retraining also learns from the gold dev half; "
                    "until then search and matching use the first stage's order.")
        when = self.trained_at.replace("T", " ")[:16] + " UTC" if self.trained_at else "an unknown time"
        return f"{n} since the last training ({when}) · {self.total:,} in all"


def _meta(workspace: Workspace) -> tuple[dict | None, str]:
    from crosswalk.index.rerank.model import model_paths

    model_path, meta_path = model_paths(workspace)
    if not model_path.exists():
        return None, ""
    try:
        return json.loads(meta_path.read_text(encoding="utf-8")), ""
    except (OSError, ValueError) as e:
        return None, f"cannot read the ranker's metadata {meta_path}: {e}; retrain to write it again"


def _when(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def training_state(workspace: Workspace, decisions: "DecisionStore") -> TrainingState:
    """What the review page shows above the Retrain button (see the module docstring)."""
    meta, problem = _meta(workspace)
    rows = [d for d in decisions.all() if d.relationship != "unsure"]
    if meta is None:
        return TrainingState(False, since=len(rows), total=len(rows), problem=problem)
    trained_at = str(meta.get("trained_at") or "")
    max_seq = meta.get("decisions_max_seq")
    if max_seq is None:
        max_seq = _seen_by_app(workspace, meta)
    if isinstance(max_seq, int) and not isinstance(max_seq, bool):
        since = sum(d.seq > max_seq for d in rows)
    else:
        at = _when(trained_at)
        since = sum(1 for d in rows if at is None or (_when(d.created_at) or at) > at)
    training = meta.get("training") if isinstance(meta.get("training"), dict) else {}
    dev = meta.get("dev") if isinstance(meta.get("dev"), dict) else {}
    return TrainingState(True, trained_at, since, len(rows), training.get("decisions"), dev)


def _sidecar(workspace: Workspace):
    from crosswalk.index.rerank.model import model_paths

    return model_paths(workspace)[0].with_name(SEEN_FILE)


def _seen_by_app(workspace: Workspace, meta: dict) -> int | None:
    """`decisions_max_seq` from the note `retrain` leaves beside the model, if it is about this model."""
    try:
        note = json.loads(_sidecar(workspace).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(note, dict) or note.get("fingerprint") != meta.get("fingerprint"):
        return None  # the model was trained again since (e.g. `crosswalk learn`)
    seq = note.get("decisions_max_seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


@dataclass(frozen=True)
class RetrainResult:
    """A finished retraining: the `LearnReport`, and dev figures as rows for a table."""

    report: object  # index.rerank.LearnReport
    rows: tuple[dict, ...]  # {"gold", "system", "nDCG@10", "Recall@10", "n"}
    summary: str


def figure_rows(dev_before: dict, dev_after: dict, previous: dict | None = None) -> list[dict]:
    """Rows `{gold, system, nDCG@10, Recall@10, n}`: the first stage (hybrid), the previous model (when its
    metadata had dev figures) and the new model, for the dev queries and the dev pairs.

    >>> figure_rows({"pairs": {"nDCG@10": 0.4, "Recall@10": 0.6, "n": 9}}, {"pairs": {"nDCG@10": 0.5, "Recall@10": 0.7, "n": 9}})[1]["system"]
    'new model (out of fold)'
    """
    out = []
    for gold in ("queries", "pairs"):
        for system, figures in (("first stage (hybrid)", dev_before), ("previous model", (previous or {})),
                                ("new model (out of fold)", dev_after)):
            f = figures.get(gold) if isinstance(figures, dict) else None
            if isinstance(f, dict) and "nDCG@10" in f:
                out.append({"gold": f"dev {gold}", "system": system, "nDCG@10": f.get("nDCG@10"),
                            "Recall@10": f.get("Recall@10"), "n": f.get("n")})
    return out


def retrain(workspace: Workspace, *, seed: int = 0,
            progress: Callable[[str, int, int], None] | None = None) -> RetrainResult:
    """Train the ranker again from the gold dev half and every current decision (`crosswalk.index.rerank.learn`), one
    training at a time; a ConfigError when one is already running."""
    from crosswalk.evaluation.learn import learn
    from crosswalk.ingest.store import Store
    from crosswalk.review.decisions import DecisionStore

    if not _TRAINING.acquire(blocking=False):
        raise ConfigError("a training is already running in this app; wait for it to finish, then reload")
    try:
        previous, _ = _meta(workspace)
        # the newest decision before training starts: what arrives from now on counts as new afterwards
        with DecisionStore(workspace.database) as ds:
            seen = max((d.seq for d in ds.all()), default=0)
        with Store(workspace.database, readonly=True) as store:
            report = learn(store, workspace, seed=seed, use_decisions=True, progress=progress)
        atomic_write(_sidecar(workspace), json.dumps({"decisions_max_seq": seen, "fingerprint": report.fingerprint}))
    finally:
        _TRAINING.release()
    prev_dev = (previous or {}).get("dev", {}).get("after") if isinstance((previous or {}).get("dev"), dict) else None
    rows = figure_rows(report.dev_before, report.dev_after, prev_dev)
    return RetrainResult(report, tuple(rows), report.summary())
