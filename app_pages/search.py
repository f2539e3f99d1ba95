"""Search: a query box and filters; each hit shows its citation, heading path, document, page, a snippet with
the query's terms and the tagged entities marked, a link to the publisher's copy, and "Find counterparts"."""

from __future__ import annotations

import re

import streamlit as st

from crosswalk.app_pages import ui
from crosswalk.errors import CrosswalkError
from crosswalk.app_pages.views import SearchFilters

wb = ui.workbench()
facets = wb.facets()

st.title("Search")
query = st.text_input(
    "Search the provisions",
    key="q",
    bind="query-params",
    placeholder="custody of client cryptoassets — or a citation: CASS 17.2.1R, GENIUS Act section 4(a)",
)
cols = st.columns([1.3, 2, 1.5, 2.4, 1])
jurisdiction = cols[0].multiselect("Jurisdiction", facets.jurisdictions, key="f_jur")
issuer = cols[1].multiselect("Issuer", facets.issuers, key="f_issuer")
doc_type = cols[2].multiselect("Document type", facets.doc_types, key="f_type",
                               format_func=lambda t: t.replace("_", " "))
topic = cols[3].multiselect("Topic", facets.topics, key="f_topic")
retriever = cols[4].selectbox("Retriever", ("hybrid", "bm25", "dense"), key="f_retriever",
                              help="hybrid fuses BM25 and dense rankings (reciprocal rank fusion)")

if not (query or "").strip():
    st.info("Type words or a citation and press Enter. Filters narrow the search before ranking.")
    st.stop()

filters = SearchFilters(tuple(jurisdiction), tuple(issuer), tuple(doc_type), tuple(topic))
try:
    with st.spinner("Searching…"):
        answer = wb.search(query, filters, k=10, retriever=retriever)
except CrosswalkError as e:
    st.error(str(e))
    st.stop()

def _pick(citation: str) -> None:
    st.session_state["q"] = citation


def _plain(text: str) -> str:
    """`text` (which may hold what the user typed) with Markdown's special characters escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", text)


if answer.choices:
    st.info(f"{_plain(query.strip())} is cited in {len(answer.choices)} documents. Pick one:",
            icon=":material/call_split:")
    pick = st.columns(min(len(answer.choices), 4))
    for i, (citation, pid) in enumerate(answer.choices):
        pick[i % len(pick)].button(citation, key=f"pick-{pid}", on_click=_pick, args=(citation,),
                                   help=f"Search for {citation} ({pid})")
elif answer.citation_note:
    st.info(_plain(answer.citation_note), icon=":material/format_quote:")
if answer.note:
    st.warning(_plain(answer.note))
else:
    cited = f" · {answer.cited} found by citation" if answer.cited else ""
    st.caption(f"{len(answer.hits)} results{cited}")
    ui.show_html(answer.legend_html)
if answer.notice:
    st.info(answer.notice, icon=":material/hourglass_top:")
for hit in answer.hits:
    with st.container(border=True):
        ui.show_html(hit.card_html)
        if st.button("Find counterparts →", key=f"cp-{hit.rank}-{hit.provision_id}",
                     help=f"Review {hit.citation} against its candidates in the other jurisdiction"):
            ui.open_review(hit.provision_id)
