"""Crosswalk: the decisions so far (filterable), coverage by topic and jurisdiction, the gaps, and the export."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from crosswalk.app_pages import ui
from crosswalk.app_pages.views import RELATIONSHIPS

wb = ui.workbench()
st.title("Crosswalk")

# --- decisions -----------------------------------------------------------------------------------------------

st.subheader("Decisions")
c1, c2, c3, c4, c5 = st.columns([2, 1.5, 1.3, 2, 1])
rels = c1.multiselect("Relationship", RELATIONSHIPS, key="cw_rel")
who = c2.multiselect("Reviewer", wb.reviewers(), key="cw_reviewer")
jurs = c3.multiselect("Jurisdiction", wb.jurisdictions(), key="cw_jur")
text = c4.text_input("Contains", key="cw_text", placeholder="citation, note…")
stale = c5.checkbox("Stale only", key="cw_stale", help="decisions made on a text that has changed since")
rows = wb.decision_rows(rels, who, jurs, stale, text)
if rows:
    picked = st.dataframe(
        pd.DataFrame(rows).drop(columns=["focal_id", "reference_id"]),
        hide_index=True,
        width="stretch",
        column_config={"strength": st.column_config.NumberColumn(format="%d"),
                       "stale": st.column_config.CheckboxColumn("stale")},
        on_select="rerun",
        selection_mode="single-row",
        key="cw_decisions",
    )
    st.caption(f"{len(rows):,} current decisions (the latest per pair and reviewer) · select a row to review it")
    if picked.selection.rows:
        row = rows[picked.selection.rows[0]]
        ui.open_review(row["focal_id"], row["reference_id"])
else:
    st.caption("No decision matches." if (rels or who or jurs or stale or text) else
               "No decisions yet: review pairs on the Review page.")

# --- export --------------------------------------------------------------------------------------------------

today = date.today().isoformat()
e1, e2, e3, _ = st.columns([1, 1, 1, 3])
for col, fmt, mime in (
    (e1, "csv", "text/csv"),
    (e2, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (e3, "json", "application/json"),
):
    col.download_button(f"Export {fmt.upper()}", data=lambda fmt=fmt: wb.export(fmt),
                        file_name=f"crosswalk-{today}.{fmt}", mime=mime, key=f"export-{fmt}", on_click="ignore",
                        icon=":material/download:", help="Current decisions with OLIR columns (NIST IR 8278A)")

# --- coverage ------------------------------------------------------------------------------------------------

st.subheader("Coverage by topic")
coverage = pd.DataFrame(wb.coverage())
if coverage.empty:
    st.caption("The store holds no provisions.")
else:
    metric = st.segmented_control(
        "Show", ["provisions", "candidates", "reviewed", "counterparts"], key="cw_metric", default="counterparts",
        required=True,
        help="provisions: in the store; candidates: in the review queue; reviewed: decided (not unsure); "
             "counterparts: marked equal, subset-of, superset-of or intersects-with",
    )
    coverage["share"] = (coverage[metric] / coverage["provisions"]).round(3)
    coverage["label"] = coverage[metric].map("{:,}".format)
    if metric != "provisions":
        coverage["label"] += " / " + coverage["provisions"].map("{:,}".format)
    base = alt.Chart(coverage).encode(
        x=alt.X("jurisdiction:N", title=None, axis=alt.Axis(orient="top", labelAngle=0, labelFontSize=13)),
        y=alt.Y("topic:N", title=None, sort="ascending", axis=alt.Axis(labelLimit=360, labelFontSize=13)),
    )
    if metric == "provisions":
        colour = alt.Color("provisions:Q", scale=alt.Scale(scheme="blues", domainMin=0), title="provisions")
        dark = alt.datum.provisions > 0.6 * float(coverage["provisions"].max())
    else:
        colour = alt.Color("share:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]),
                           legend=alt.Legend(format="%"), title=f"share {metric}")
        dark = alt.datum.share > 0.6
    heat = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=colour,
        tooltip=["topic", "jurisdiction", "provisions", "candidates", "reviewed", "counterparts",
                 alt.Tooltip("share:Q", format=".0%", title=f"share {metric}")],
    )
    labels = base.mark_text(fontSize=13).encode(
        text="label:N", color=alt.condition(dark, alt.value("white"), alt.value("black")))
    st.altair_chart((heat + labels).properties(height=34 * coverage["topic"].nunique() + 40), width="stretch")
    st.caption(f"Each cell: {metric} of the provisions of that topic and jurisdiction. A provision can carry "
               "several topics; the latest decision on a pair, by anyone, counts.")

# --- gaps ----------------------------------------------------------------------------------------------------

st.subheader("Gaps")
g1, g2 = st.columns([1, 3])
jur_options = list(wb.jurisdictions())
if jur_options:
    gap_jur = g1.selectbox("Provisions of", jur_options, key="cw_gap_jur")
    topics = ["(all topics)", *sorted(coverage["topic"].unique())] if not coverage.empty else ["(all topics)"]
    gap_topic = g2.selectbox("Topic", topics, key="cw_gap_topic")
    total, gaps = wb.gaps(gap_jur, None if gap_topic == "(all topics)" else gap_topic)
    st.caption(f"{total:,} {gap_jur} provisions with no counterpart marked (equal, subset-of, superset-of or "
               "intersects-with); headings and fragments left out" + (f"; the first {len(gaps):,} shown" if total > len(gaps) else ""))
    if gaps:
        picked = st.dataframe(
            pd.DataFrame(gaps, columns=["citation", "status", "document", "heading", "topics", "id"]),
            hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="cw_gaps",
        )
        st.caption("Select a row to look for its counterparts.")
        if picked.selection.rows:
            ui.open_review(gaps[picked.selection.rows[0]]["id"])
