"""Evaluation: retrieval and matching quality per system, from the results `crosswalk eval` saved in the
workspace (`eval/latest.json`), with 95% intervals, the gold problems found, and reviewer agreement; and the
learning curve (`eval/learning_curve.json`, `crosswalk bench learning-curve`): matching quality as reviewers'
decisions arrive."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from crosswalk.app_pages import ui
from crosswalk.errors import CrosswalkError
from crosswalk.evaluation.agreement import FEW
from crosswalk.evaluation.curve import METRICS as CURVE_METRICS
from crosswalk.evaluation.history import short_commit
from crosswalk.evaluation.latest import EVAL_FILE

wb = ui.workbench()
st.title("Evaluation")


def learning_curve_section() -> None:
    """The learning curve: test-half pair figures as reviewers' decisions arrive (`crosswalk bench learning-curve`)."""
    st.subheader("Learning from reviewers")
    try:
        curve = wb.learning_curve()
    except CrosswalkError as e:
        st.error(str(e))
        return
    if curve is None:
        st.caption("No learning curve yet: `crosswalk bench learning-curve` replays the gold dev pairs as reviewer "
                   "decisions, retrains the ranker after each batch and saves the curve here.")
        return
    h = curve["hybrid"]
    rows = [{"decisions": p["decisions"], "metric": m, "value": p[m], "low": p[f"{m}_ci"][0],
             "high": p[f"{m}_ci"][1], "p vs hybrid": p.get(f"{m}_p_vs_hybrid")}
            for p in curve["points"] for m in CURVE_METRICS]
    long = pd.DataFrame(rows)
    base = pd.DataFrame([{"metric": m, "hybrid": h[m], "hybrid_low": h[f"{m}_ci"][0], "hybrid_high": h[f"{m}_ci"][1]}
                         for m in CURVE_METRICS])
    line = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("decisions:Q", title="gold dev pairs given as decisions"),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1])),
        tooltip=["decisions", "metric", alt.Tooltip("value:Q", format=".3f"), alt.Tooltip("low:Q", format=".3f"),
                 alt.Tooltip("high:Q", format=".3f"), alt.Tooltip("p vs hybrid:Q", format=".3g")])
    bars = alt.Chart(long).mark_rule().encode(x="decisions:Q", y="low:Q", y2="high:Q")
    level = alt.Chart(base).mark_rule(color="#888", strokeDash=[4, 4]).encode(y="hybrid:Q")
    panels = [alt.layer(*(c.transform_filter(alt.datum.metric == m) for c in (line, bars, level)))
              .properties(title=m, width=300, height=220) for m in CURVE_METRICS]
    st.altair_chart(alt.hconcat(*panels))
    shown = long.pivot_table(index="decisions", columns="metric", values=["value", "p vs hybrid"]).round(3)
    shown.columns = [f"{m} ({'p vs hybrid' if v == 'p vs hybrid' else 'mean'})" for v, m in shown.columns]
    st.dataframe(shown, width="stretch")
    st.caption(f"Test-half pairs ({curve.get('test_pair_queries')} pair queries) scored after retraining on the gold "
               f"dev queries plus the first n of {curve.get('dev_pairs')} dev pairs replayed as decisions (seed "
               f"{curve.get('seed')}); dashed: hybrid without a ranker, Recall@10 {h['Recall@10']:.3f}, nDCG@10 "
               f"{h['nDCG@10']:.3f}. Bars: 95% bootstrap intervals; p: paired randomisation test against hybrid. "
               f"Generated {curve.get('generated_at', '?')}."
               + ("" if curve.get("complete", True) else " Incomplete: the run stopped before every batch was in."))

try:
    results = wb.evaluation()
except CrosswalkError as e:
    st.error(str(e))
    st.stop()

if results is None:
    st.info(
        "No evaluation results in this workspace yet. Produce them with\n\n"
        "```\ncrosswalk eval --pairs --split test\n```\n\n(it saves them in "
        f"`{wb.workspace.root / EVAL_FILE}`) and reload this page: it shows nDCG@10, Recall@10, Recall@100, "
        "MRR@10 and MAP for each retriever, on the gold queries and the cross-jurisdiction pairs."
    )
    learning_curve_section()
    st.stop()

when = f" · {results.generated_at}" if results.generated_at else ""
commit = f" · commit {short_commit(results.commit)}" if results.commit else ""
st.caption(f"From `{results.path}`{when}{commit}")
run = results.settings
if run:
    scored = [f"{run['queries']} queries" if run.get("queries") else "",
              f"{run['pair_queries']} pair queries" if run.get("pair_queries") else ""]
    st.caption(f"Split **{run.get('split', '?')}** · ranking depth k = {run.get('k', '?')} · citation lookup "
               f"{'on' if run.get('citation_lookup') else 'off'} · " + " and ".join(x for x in scored if x)
               + " · the page shows the last run `crosswalk eval` saved, whatever it scored")
if results.pooled:
    st.caption("Scored with the gold plus pooled judgements: "
               + "; ".join(f"{added:,} from `{path}`" for path, added in results.pooled))

frame = pd.DataFrame(results.rows).set_index("retriever")
groups = [("Search (gold queries)", [r for r in frame.index if not r.startswith("pairs:")]),
          ("Matching (gold pairs)", [r for r in frame.index if r.startswith("pairs:")])]
for title, names in groups:
    if not names:
        continue
    st.subheader(title)
    table = frame.loc[names].dropna(axis=1, how="all")
    shown = table.copy().astype(object)
    for name in names:
        for m in table.columns:
            low_high = results.ci.get((name, m))
            value = table.loc[name, m]
            shown.loc[name, m] = "–" if pd.isna(value) else (
                f"{value:.3f} [{low_high[0]:.2f}, {low_high[1]:.2f}]" if low_high else f"{value:.3f}")
    st.dataframe(shown, width="stretch")
    shares = [f"{name.removeprefix('pairs:')} {results.judged[name]:.2f}" for name in names if name in results.judged]
    if shares:
        st.caption("Share of each top 10 the gold judges (judged@10): " + " · ".join(shares) + ". Every metric "
                   "counts an unjudged hit as not relevant, so compare systems rather than read the levels.")
    long = table.reset_index().melt(id_vars="retriever", var_name="metric", value_name="value").dropna()
    long["system"] = long["retriever"].str.removeprefix("pairs:")
    long["low"] = [results.ci.get((r, m), (v, v))[0] for r, m, v in zip(long.retriever, long.metric, long.value)]
    long["high"] = [results.ci.get((r, m), (v, v))[1] for r, m, v in zip(long.retriever, long.metric, long.value)]
    base = alt.Chart(long).encode(x=alt.X("system:N", title=None, axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar().encode(
        y=alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("system:N", legend=None),
        tooltip=["retriever", "metric", alt.Tooltip("value:Q", format=".3f"), alt.Tooltip("low:Q", format=".3f"),
                 alt.Tooltip("high:Q", format=".3f")],
    )
    whiskers = base.mark_rule(color="#333").encode(y="low:Q", y2="high:Q")
    st.altair_chart((bars + whiskers).properties(width=120, height=220).facet(
        column=alt.Column("metric:N", title=None, sort=list(table.columns))))

st.subheader("Over time")
if results.since:
    st.dataframe(pd.DataFrame([{
        "system": c.get("system"), "previous run": c.get("previous_at"),
        "previous commit": short_commit(c.get("previous_commit")),
        "nDCG@10 before": (c.get("before") or {}).get("nDCG@10"), "nDCG@10 now": (c.get("after") or {}).get("nDCG@10"),
        "Recall@10 before": (c.get("before") or {}).get("Recall@10"),
        "Recall@10 now": (c.get("after") or {}).get("Recall@10"),
        "p (paired, nDCG@10)": c.get("p"), "queries better": c.get("better"), "queries worse": c.get("worse"),
        "largest falls": ", ".join(f"{q} {b:.2f}→{a:.2f}" for q, b, a in c.get("worst") or ()),
        "index changes": "; ".join(c.get("changed") or ()),
    } for c in results.since]).round(3), hide_index=True, width="stretch")
series = pd.DataFrame(list(results.history))
if len(series) and series["generated_at"].nunique() > 1:
    long = series.melt(id_vars=["generated_at", "system", "commit"], value_vars=["nDCG@10", "Recall@10"],
                       var_name="metric", value_name="value").dropna(subset=["value"])
    st.altair_chart(alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("generated_at:T", title=None, axis=alt.Axis(format="%d %b %H:%M", labelAngle=0)), y=alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1])),
        color="system:N", tooltip=["system", "generated_at", "commit", alt.Tooltip("value:Q", format=".3f")],
    ).properties(height=220).facet(column=alt.Column("metric:N", title=None)))
    st.caption(f"Runs on the same gold, depth and citation setting as this one ({series['generated_at'].nunique()} "
               f"of the {results.runs} saved); `crosswalk eval --history` lists them all.")
else:
    st.caption(f"No earlier run on the same gold and settings to compare with ({results.runs} run(s) saved). "
               "Each `crosswalk eval` that saves adds one to `eval/history.jsonl`; "
               "`crosswalk eval --history` lists them.")
for problem in results.problems:
    st.warning(problem)

if results.warnings:
    with st.expander(f"Gold problems found ({len(results.warnings)})"):
        for w in results.warnings:
            st.text(w)
if results.agreement:
    st.subheader("Reviewer agreement")
    st.dataframe(
        pd.DataFrame([{"level": a.get("level"), "reviewers": ", ".join(a.get("reviewers") or []),
                       "pairs": a.get("items"), "pairs with 2+ labels": a.get("pairable"),
                       "Krippendorff's alpha": a.get("alpha")} for a in results.agreement]),
        hide_index=True, width="stretch")
    if any(0 < (a.get("pairable") or 0) < FEW for a in results.agreement):
        st.caption(f"Fewer than {FEW} pairs decided by two or more reviewers: a rough figure, each new decision can "
                   "move it a lot.")
if results.report:
    st.caption(f"The full report (intervals, significance tests, per-kind breakdown): `{results.report}`")

learning_curve_section()
