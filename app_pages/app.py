"""The Streamlit app's script: page setup and navigation (Search, Review, Crosswalk, Evaluation).

`crosswalk app` runs this file with Streamlit; the repository's `app.py` calls `main()` too, so
`streamlit run app.py` from a checkout opens the same app. Every page asks
`crosswalk.app_pages.workbench.Workbench` for what to show; the saved store and index are opened once per server
process (`st.cache_resource`) and the corpus is never re-embedded here.
"""

from __future__ import annotations

import streamlit as st

from crosswalk.app_pages import ui


def main() -> None:
    """Set up the page, the navigation and the sidebar, and run the page the visitor is on."""
    st.set_page_config(page_title="Crosswalk", page_icon="⚖️", layout="wide")
    pages = [
        st.Page(ui.PAGES["search"], title="Search", icon=":material/search:", default=True),
        st.Page(ui.PAGES["review"], title="Review", icon=":material/compare:"),
        st.Page(ui.PAGES["crosswalk"], title="Crosswalk", icon=":material/table_view:"),
        st.Page(ui.PAGES["evaluation"], title="Evaluation", icon=":material/analytics:"),
    ]
    if ui.sign_in_required() and ui.account() is None:
        # accounts exist and this visitor has not signed in: the sign-in form and nothing else (no menu, no
        # page); the pages stay registered so the address asked for (a review link) opens once signed in
        st.navigation(pages, position="hidden")
        ui.sign_in_page()
        st.stop()
    page = st.navigation(pages)
    ui.sidebar()
    page.run()


if __name__ == "__main__":  # `streamlit run` executes this file as __main__
    main()
