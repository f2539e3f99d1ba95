"""What every page shares: the cached workbench, the sidebar (reviewer's name, workspace status), and
`show_html` for the safe HTML the workbench builds. No logic: the workbench (`app_pages/workbench.py`) decides
what to show; these helpers only lay it out.
"""

from __future__ import annotations

import os

import streamlit as st

from crosswalk.errors import CrosswalkError
from crosswalk.workspace import ENV_VAR, Workspace

PAGES = {
    "search": "app_pages/search.py",
    "review": "app_pages/review.py",
    "crosswalk": "app_pages/crosswalk_table.py",
    "evaluation": "app_pages/evaluation.py",
}


@st.cache_resource(show_spinner="Opening the workspace…")
def _open(root: str):
    """One workbench per workspace and server process; the index loads in the background, never re-embedded."""
    from crosswalk.app_pages.workbench import Workbench

    wb = Workbench.open(root)
    wb.start_warm_up()
    return wb


def workspace_root() -> str:
    return str(Workspace.resolve(os.environ.get(ENV_VAR)).root)


def workbench():
    """The workbench, or an error message with the fix and a stop."""
    try:
        return _open(workspace_root())
    except CrosswalkError as e:
        st.error(str(e))
        st.stop()


def show_html(fragment: str) -> None:
    """Render HTML built by `crosswalk.app_pages.workbench` / `crosswalk.review.highlight` (document text already escaped)."""
    if fragment:
        st.markdown(fragment, unsafe_allow_html=True)


def reviewer() -> str:
    return (st.session_state.get("reviewer") or "").strip()


def sidebar() -> None:
    """The reviewer's name (set once, kept in the URL so a reload keeps it) and the workspace's state."""
    if "reviewer" not in st.session_state:
        st.session_state["reviewer"] = st.query_params.get("reviewer", "")
    with st.sidebar:
        st.text_input("Reviewer", key="reviewer", placeholder="your name",
                      help="Recorded with each decision. Set it once; it stays for this session.")
        name = reviewer()
        if name:
            st.query_params["reviewer"] = name
        elif "reviewer" in st.query_params:
            del st.query_params["reviewer"]
        try:
            wb = _open(workspace_root())
        except CrosswalkError:
            return
        s = wb.status()
        st.caption(
            f"Workspace `{s.workspace}`  \n{s.documents:,} documents · {s.provisions:,} provisions  \n"
            f"{s.queued:,} queued pairs · {s.decisions:,} decisions  \nIndex: {s.index}"
        )


def open_review(provision_id: str, right_id: str | None = None) -> None:
    """Go to the review page on a provision (and one of its candidates)."""
    params = {"left": provision_id}
    if right_id:
        params["right"] = right_id
    if reviewer():
        params["reviewer"] = reviewer()
    st.switch_page(PAGES["review"], query_params=params)
