"""Crosswalk's app: search the provisions, review candidate counterparts side by side, see the crosswalk.

Run it with `crosswalk app` (127.0.0.1:8501), or directly:

    CROSSWALK_WORKSPACE=workspace streamlit run app.py --server.address 127.0.0.1 --server.headless true \
        --browser.gatherUsageStats false

Pages (one module each under `app_pages/`): Search, Review, Crosswalk, Evaluation. Every page asks
`crosswalk.app_pages.workbench.Workbench` for what to show; the saved store and index are opened once per server process
(`st.cache_resource`) and the corpus is never re-embedded here. When accounts exist (`crosswalk users add`), a
visitor who has not signed in sees only the sign-in form.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # `streamlit run` from another folder, or the test harness
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from crosswalk.app_pages import ui  # noqa: E402

st.set_page_config(page_title="Crosswalk", page_icon="⚖️", layout="wide")

pages = [
    st.Page(ui.PAGES["search"], title="Search", icon=":material/search:", default=True),
    st.Page(ui.PAGES["review"], title="Review", icon=":material/compare:"),
    st.Page(ui.PAGES["crosswalk"], title="Crosswalk", icon=":material/table_view:"),
    st.Page(ui.PAGES["evaluation"], title="Evaluation", icon=":material/analytics:"),
]
if ui.sign_in_required() and ui.account() is None:
    # accounts exist and this visitor has not signed in: the sign-in form and nothing else (no menu, no page);
    # the pages stay registered so the address asked for (a review link) opens once signed in
    st.navigation(pages, position="hidden")
    ui.sign_in_page()
    st.stop()

page = st.navigation(pages)
ui.sidebar()
page.run()
