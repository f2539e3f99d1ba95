"""A saved learning curve (`crosswalk bench learning-curve`, `bench/learning_curve.py`): reading it for the app and
printing it for the README.

`WORKSPACE/eval/learning_curve.json` holds `{"hybrid": {...}, "points": [{"decisions": n, "Recall@10": …,
"Recall@10_ci": [lo, hi], "Recall@10_p_vs_hybrid": p, "nDCG@10": …, …}, …], "generated_at", "seed", "dev_pairs",
"test_pairs", "test_pair_queries", "seconds", "note"}`: test-half pair figures of the ranker retrained after each
batch of gold dev pairs replayed as reviewer decisions, and of hybrid without a ranker.
"""

from __future__ import annotations

import json
from pathlib import Path

from crosswalk.errors import ConfigError

CURVE_FILE = Path("eval") / "learning_curve.json"
METRICS = ("Recall@10", "nDCG@10")


def load_curve(workspace) -> dict | None:
    """The curve saved in `WORKSPACE/eval/learning_curve.json`, or None; a file of another shape is a ConfigError."""
    path = workspace.root / CURVE_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read {path}: {e}; run `crosswalk bench learning-curve` again") from None
    if not isinstance(data, dict) or not isinstance(data.get("points"), list) or not isinstance(data.get("hybrid"), dict):
        raise ConfigError(f"{path} is not a learning curve; run `crosswalk bench learning-curve` again")
    return data


def format_curve(curve: dict) -> str:
    """A Markdown table of the curve, for the README."""
    h = curve["hybrid"]
    lines = ["| decisions (gold dev pairs) | pair queries trained | Recall@10 [95% CI] | p vs hybrid | "
             "nDCG@10 [95% CI] | p vs hybrid | training s |", "| ---: | ---: | --- | ---: | --- | ---: | ---: |",
             f"| hybrid (no ranker) | – | {h['Recall@10']:.3f} [{h['Recall@10_ci'][0]:.3f}, {h['Recall@10_ci'][1]:.3f}] "
             f"| – | {h['nDCG@10']:.3f} [{h['nDCG@10_ci'][0]:.3f}, {h['nDCG@10_ci'][1]:.3f}] | – | – |"]
    for p in curve["points"]:
        lines.append(
            f"| {p['decisions']} | {p.get('decision_queries', '–')} | {p['Recall@10']:.3f} "
            f"[{p['Recall@10_ci'][0]:.3f}, {p['Recall@10_ci'][1]:.3f}] | {p.get('Recall@10_p_vs_hybrid', float('nan')):.3g} "
            f"| {p['nDCG@10']:.3f} [{p['nDCG@10_ci'][0]:.3f}, {p['nDCG@10_ci'][1]:.3f}] "
            f"| {p.get('nDCG@10_p_vs_hybrid', float('nan')):.3g} | {p.get('train_seconds', 0):.0f} |")
    lines.append(f"\n{curve['test_pair_queries']} test-half pair queries ({curve['test_pairs']} pairs); "
                 f"{curve['dev_pairs']} dev pairs replayed in seeded order (seed {curve['seed']}); "
                 f"generated {curve['generated_at']}; {curve['seconds']:.0f} s in all.")
    return "\n".join(lines)
