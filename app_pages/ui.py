"""What every page shares: the cached workbench, the sidebar (reviewer's name, workspace status), and
`show_html` for the safe HTML the workbench builds. No logic: the workbench (`app_pages/workbench.py`) decides
what to show; these helpers only lay it out.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from crosswalk.errors import CrosswalkError
from crosswalk.workspace import ENV_VAR, Workspace

# absolute paths: the app runs from the repository's app.py or from the installed package's app_pages/app.py.
# No page module may share a name with a package (`crosswalk`): Streamlit puts the script's folder first on
# sys.path.
_HERE = Path(__file__).resolve().parent
PAGES = {
    "search": str(_HERE / "search.py"),
    "review": str(_HERE / "review.py"),
    "crosswalk": str(_HERE / "crosswalk_table.py"),
    "evaluation": str(_HERE / "evaluation.py"),
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
    """Render HTML built by `crosswalk.app_pages.cards` or `crosswalk.review.highlight` (text already escaped)."""
    if fragment:
        st.markdown(fragment, unsafe_allow_html=True)


SESSION_KEY = "crosswalk_session"


def account():
    """The signed-in account (checked against the database on every run: expiry, disabling), or None."""
    token = st.session_state.get(SESSION_KEY)
    return workbench().session(token) if token else None


def sign_in_required() -> bool:
    return workbench().sign_in_required()


def session_token() -> str | None:
    return st.session_state.get(SESSION_KEY)


def can_decide() -> bool:
    """Whether this visitor may save decisions: anyone when there are no accounts, else reviewers and admins."""
    if not sign_in_required():
        return True
    a = account()
    return a is not None and a.can_decide


def client_address() -> str:
    """The visitor's address, for rate-limiting sign-ins. Behind a reverse proxy (CROSSWALK_BEHIND_PROXY=1), the
    address the proxy appended last to X-Forwarded-For; else the connection's own."""
    if os.environ.get("CROSSWALK_BEHIND_PROXY", "").strip() in ("1", "true", "yes"):
        forwarded = (st.context.headers.get("X-Forwarded-For") or "").split(",")
        if forwarded[-1].strip():
            return forwarded[-1].strip()
    return st.context.ip_address or "local"


def sign_in_page() -> None:
    """The only page an unsigned visitor sees when accounts exist: name, password, and what went wrong."""
    from crosswalk.review.accounts import SignInError

    st.title("Crosswalk")
    st.caption("Sign in to search, review and export. Accounts: `crosswalk users add NAME`.")
    with st.form("sign-in", border=True):
        name = st.text_input("Account", key="signin_name", autocomplete="username")
        password = st.text_input("Password", type="password", key="signin_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            token = workbench().sign_in(name, password, client_address())
        except SignInError as e:
            st.error(str(e), icon=":material/lock:")
            return
        st.session_state[SESSION_KEY] = token
        st.rerun()


def reviewer() -> str:
    """Who a decision is recorded for: the signed-in account when accounts exist, else the name typed."""
    if sign_in_required():
        a = account()
        return a.name if a else ""
    return (st.session_state.get("reviewer") or "").strip()


def sidebar() -> None:
    """The signed-in account (or, with no accounts, the reviewer's name: set once, kept in the URL so a reload
    keeps it) and the workspace's state."""
    with st.sidebar:
        if sign_in_required():
            a = account()
            if a is not None:
                st.markdown(f"Signed in as **{a.name}** ({a.role.value})")
                if st.button("Sign out", key="sign-out"):
                    workbench().sign_out(session_token())
                    st.session_state.pop(SESSION_KEY, None)
                    st.rerun()
        else:
            if "reviewer" not in st.session_state:
                st.session_state["reviewer"] = st.query_params.get("reviewer", "")
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
    if reviewer() and not sign_in_required():
        params["reviewer"] = reviewer()
    st.switch_page(PAGES["review"], query_params=params)
