"""Evaluation: retrieval quality per retriever, from the results `crosswalk eval --json` saved in the workspace."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import ui
from crosswalk.errors import CrosswalkError
from review.workbench import EVAL_FILE

wb = ui.workbench()
st.title("Evaluation")
try:
    results = wb.evaluation()
except CrosswalkError as e:
    st.error(str(e))
    st.stop()

if results is None:
    st.info(
        f"No evaluation results in this workspace yet. Produce them with\n\n"
        f"```\ncrosswalk eval --queries evaluation/gold/queries.tsv --qrels evaluation/gold/qrels.txt --json "
        f"> {wb.workspace.root / EVAL_FILE}\n```\n\nand reload this page: it shows nDCG@10, Recall@10, "
        "Recall@100, MRR@10 and MAP for each retriever."
    )
    st.stop()

st.caption(f"From `{results.path}`")
table = pd.DataFrame(results.rows).set_index("retriever")
st.dataframe(table.style.format("{:.3f}"), width="stretch")
long = table.reset_index().melt(id_vars="retriever", var_name="metric", value_name="value")
chart = alt.Chart(long).mark_bar().encode(
    x=alt.X("retriever:N", title=None, axis=alt.Axis(labelAngle=0)),
    y=alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1])),
    color=alt.Color("retriever:N", legend=None),
    column=alt.Column("metric:N", title=None),
    tooltip=["retriever", "metric", alt.Tooltip("value:Q", format=".3f")],
)
st.altair_chart(chart)
