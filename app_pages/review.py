"""Review: candidate pairs side by side, and the reviewer's decision on each.

Two ways in: the review queue (`crosswalk match`), highest priority first with previous/next and progress, each
pair saying why it is there (`crosswalk.index.active`: uncertain, retrievers disagree, or random); or one provision (from
a search's "Find counterparts", or typed as an id or citation) with its ranked candidates. Above both, the
ranker's state: how many decisions arrived since its last training, and a Retrain button (`crosswalk.app_pages.training`)
that shows the dev figures before and after. The pair in view lives in the URL (`?left=…&right=…`, or
`?dir=US-UK&pos=3`), so a reload shows it again.
"""

from __future__ import annotations

import streamlit as st

from crosswalk.app_pages import ui
from crosswalk.errors import CrosswalkError
from crosswalk.review.highlight import escape_inline
from crosswalk.app_pages.views import RATIONALES, RELATIONSHIPS, other_jurisdiction

REL_LABELS = {
    "equal": "equal",
    "subset-of": "subset-of (left is narrower)",
    "superset-of": "superset-of (left is broader)",
    "intersects-with": "intersects-with",
    "not-related": "not-related",
    "unsure": "unsure",
}
REL_HELP = (
    "How the left (focal) provision relates to the right one (NIST IR 8278A / OLIR): **equal** — they require "
    "the same; **subset-of** — the left is narrower; **superset-of** — the left is broader; **intersects-with** — "
    "they overlap; **not-related**; **unsure** — keeps the pair in your queue."
)
STRENGTHS = ["not set", *[str(i) for i in range(11)]]

wb = ui.workbench()
qp = st.query_params
st.title("Review")


# --- callbacks (run before the page, so everything drawn after a save already shows it) ----------------------


def _set_mode() -> None:
    if st.session_state["review_mode"] == "Review queue":
        for k in ("left", "right", "to"):
            if k in st.query_params:
                del st.query_params[k]


def _open_typed() -> None:
    typed = (st.session_state.get("focal_input") or "").strip()
    if not typed:
        return
    try:
        st.query_params["left"] = wb.resolve(typed)
    except CrosswalkError as e:
        st.session_state["_review_error"] = str(e)
        return
    for k in ("right", "to"):
        if k in st.query_params:
            del st.query_params[k]


def _step(direction_key: str, position: int, step: int) -> None:
    direction = tuple(direction_key.split("-")) if direction_key else None
    # Next skips reviewed pairs (when asked); Previous goes back one, to the pair just saved if need be
    skip = step > 0 and st.session_state.get("skip_reviewed", True)
    slot = wb.queue_at(direction, position, unreviewed_only=skip, step=step)
    if slot is not None:
        st.query_params["pos"] = str(slot.position)
    if "right" in st.query_params:
        del st.query_params["right"]


def _pick(key: str, ids: list[str], labels: list[str]) -> None:
    chosen = st.session_state.get(key)
    if chosen in labels:
        st.query_params["right"] = ids[labels.index(chosen)]


def _save(left_id: str, right_id: str, form: str, advance: tuple | None = None) -> None:
    name = ui.reviewer()
    rel = st.session_state.get(f"{form}-rel")
    if not name:
        st.session_state["_review_error"] = ("Sign in again: your session has ended." if ui.sign_in_required()
                                             else "Set your name in the sidebar (Reviewer) before saving a decision.")
        return
    if not rel:
        st.session_state["_review_error"] = "Choose a relationship before saving."
        return
    strength = st.session_state.get(f"{form}-strength", "not set")
    try:
        d = wb.record(left_id, right_id, rel, name, rationale=st.session_state.get(f"{form}-rationale") or "",
                      strength=None if strength == "not set" else int(strength),
                      note=(st.session_state.get(f"{form}-note") or "").strip(), session=ui.session_token())
    except CrosswalkError as e:
        st.session_state["_review_error"] = str(e)
        return
    # record() has committed the row: only now is the reviewer told it is saved
    st.session_state["_review_saved"] = (
        f"Saved: **{d.relationship}** by {escape_inline(d.reviewer)} at {d.created_at[:19].replace('T', ' ')} UTC "
        f"(decision #{d.seq})."
    )
    if advance:
        _step(*advance)


# --- the ranker: decisions since its last training, and retraining ----------------------------------------------

REASONS = {
    "random": "a random pair (one position in ten), so what the queue teaches is not biased to what the ranker "
              "already shows",
    "uncertain": "the ranker is unsure about it (uncertainty {uncertainty:.2f})",
    "disagreement": "the retrievers rank it differently ({ranks})",
}
RANK_NAMES = {"bm25": "BM25", "dense": "dense", "rerank": "ranker"}


def _training_panel() -> None:
    """How many decisions the ranker has not learned from yet, and a Retrain button with the dev figures after."""
    with st.container(border=True):
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        if ui.can_decide() and c2.button("Retrain", key="retrain", icon=":material/model_training:",
                     help="Train the ranker again from the gold dev half and every decision saved so far "
                          "(`crosswalk learn`). Takes a few minutes; decisions keep saving meanwhile."):
            with st.spinner("Training the ranker on the gold dev half and every decision…"):
                try:
                    result = wb.retrain()
                except CrosswalkError as e:
                    st.session_state["_retrain_error"] = str(e)
                else:
                    st.session_state["_retrained"] = list(result.rows)
        try:
            state = wb.training_state()
        except CrosswalkError as e:
            c1.warning(str(e))
            return
        c1.markdown(f"**Ranker** · {escape_inline(state.message())}")
        if state.problem:
            c1.warning(state.problem)
        if err := st.session_state.pop("_retrain_error", None):
            st.error(err)
        if (rows := st.session_state.pop("_retrained", None)) is not None:
            st.success("Retrained: search, matching and this page now use the new model. Dev figures below "
                       "(the new model's are out of fold: no dev query was scored by a model that saw it).",
                       icon=":material/check_circle:")
            if rows:
                st.dataframe(rows, hide_index=True, width="stretch",
                             column_config={"nDCG@10": st.column_config.NumberColumn(format="%.3f"),
                                            "Recall@10": st.column_config.NumberColumn(format="%.3f")})
            else:
                st.caption("No dev figures: none of the gold's dev queries or pairs is in this workspace, so the "
                           "model learned from the reviewers' decisions alone.")


_training_panel()

# --- which pair ------------------------------------------------------------------------------------------------

if qp.get("left") or "review_mode" not in st.session_state:
    st.session_state["review_mode"] = "One provision" if qp.get("left") else "Review queue"
mode = st.segmented_control("Pairs from", ["Review queue", "One provision"], key="review_mode", required=True,
                            on_change=_set_mode)

left_id = right_id = None
to_jur = None
queue_advance = None
if mode == "Review queue":
    directions = wb.queue_directions()
    if not directions:
        st.info("The review queue is empty: run `crosswalk match --from US --to UK` to fill it, or choose "
                "**One provision** above.")
        st.stop()
    keys = [f"{a}-{b}" for a, b in directions]
    dir_key = qp.get("dir") if qp.get("dir") in keys else keys[0]
    c1, c2 = st.columns([1, 3])
    if len(keys) > 1:
        dir_key = c1.selectbox("Direction", keys, index=keys.index(dir_key), format_func=lambda k: k.replace("-", " → "))
    else:
        c1.markdown(f"**{dir_key.replace('-', ' → ')}**")
    direction = tuple(dir_key.split("-"))
    pos_param = qp.get("pos") if qp.get("dir") in (None, dir_key) else None  # a new direction starts afresh
    if pos_param is None and "right" in qp:
        del qp["right"]
    if pos_param is not None and pos_param.isdigit():
        slot = wb.queue_at(direction, int(pos_param))
    else:
        slot = wb.queue_at(direction, 0, unreviewed_only=True)
    reviewed, total = wb.progress(direction)
    c2.progress(reviewed / total if total else 0.0,
                text=f"Reviewed {reviewed:,} of {total:,} queued pairs · pair {slot.position + 1:,} of {slot.total:,}")
    b1, b2, b3, _ = st.columns([1, 1, 2, 3])
    b1.button("← Previous", on_click=_step, args=(dir_key, slot.position, -1), disabled=slot.position == 0,
              shortcut="Alt+P", help="The pair before this one (Alt+P)")
    b2.button("Next →", on_click=_step, args=(dir_key, slot.position, 1), disabled=slot.position >= slot.total - 1,
              shortcut="Alt+N", help="The next pair; skips reviewed pairs when ticked (Alt+N)")
    b3.checkbox("Skip reviewed pairs", value=True, key="skip_reviewed")
    qp["dir"], qp["pos"] = dir_key, str(slot.position)
    left_id, to_jur = slot.left_id, direction[1]
    right_id = qp.get("right") or slot.right_id
    queue_advance = (dir_key, slot.position, 1)
    why = wb.queue_reason(slot.left_id, slot.right_id) if right_id == slot.right_id else None
    if why and why.get("reason") in REASONS:
        ranks = ", ".join(f"{RANK_NAMES.get(k, k)} #{v}" for k, v in sorted(why.get("ranks", {}).items()))
        st.caption("In the queue here because " + escape_inline(
            REASONS[why["reason"]].format(uncertainty=why.get("uncertainty", 0.0), ranks=ranks or "not found")))
else:
    if qp.get("left") and st.session_state.get("_focal_seen") != qp.get("left"):
        st.session_state["focal_input"] = st.session_state["_focal_seen"] = qp.get("left")
    c1, c2 = st.columns([3, 1])
    c1.text_input("Provision id or citation", key="focal_input", on_change=_open_typed,
                  placeholder="US-PL119-27-GENIUS:sec.4(a)(11) — or CASS 17.2.1R, MiCA Art. 36")
    left_id = qp.get("left")
    if not left_id:
        if err := st.session_state.pop("_review_error", None):
            st.error(err)
        st.info("Type a provision id or a citation and press Enter, or use **Find counterparts** on a search result.")
        st.stop()
    try:
        focal = wb.provision(left_id)
    except CrosswalkError as e:
        st.error(str(e))
        st.stop()
    others = [j for j in wb.jurisdictions() if j != focal.jurisdiction]
    default_to = qp.get("to") if qp.get("to") in others else other_jurisdiction(focal.jurisdiction, others)
    if not others:
        st.warning(f"The store holds only {focal.jurisdiction} provisions: nothing to compare with.")
        st.stop()
    to_jur = c2.selectbox("Counterparts in", others, index=others.index(default_to))
    qp["to"] = to_jur
    right_id = qp.get("right")

# --- the pair --------------------------------------------------------------------------------------------------

try:
    with st.spinner("Finding candidates…"):
        candidates = wb.candidates(left_id, to_jur)
except CrosswalkError as e:
    st.error(str(e))
    candidates = []
ids = [c.right_id for c in candidates]
if right_id not in ids:
    right_id = ids[0] if ids else None
candidate = candidates[ids.index(right_id)] if right_id else None

if err := st.session_state.pop("_review_error", None):
    st.error(err)
if saved := st.session_state.pop("_review_saved", None):
    st.success(saved, icon=":material/check_circle:")

left_col, right_col = st.columns(2, gap="medium")
if right_id is None:
    with left_col:
        view = wb.provision(left_id)
        with st.container(border=True):
            ui.show_html(view.header_html)
            ui.show_html(view.context_html)
            ui.show_html(view.text_html)
    right_col.info(f"No candidates in {to_jur}: run `crosswalk index` (and `crosswalk match`) for this workspace.")
    st.stop()

pair = wb.pair(left_id, right_id, candidate)
if mode == "One provision":
    qp["right"] = right_id

with left_col:
    st.caption(f"Focal provision ({pair.left.jurisdiction})")
with right_col:
    labels = [c.label for c in candidates]
    pick_key = f"pick-{left_id}-{right_id}"
    st.radio(f"Candidates in {to_jur}, best first", labels, index=ids.index(right_id), key=pick_key,
             on_change=_pick, args=(pick_key, ids, labels), label_visibility="visible")

for col, side in ((left_col, pair.left), (right_col, pair.right)):
    with col, st.container(border=True):
        ui.show_html(side.header_html)
        ui.show_html(side.context_html)
        ui.show_html(side.text_html)
        if side.children_html:
            with st.expander(f"Subdivisions ({len(side.children_html)})"):
                for child in side.children_html:
                    ui.show_html(child)

ui.show_html(pair.summary_html)

# --- the decision ------------------------------------------------------------------------------------------------

st.subheader("Decision")
if pair.stale:
    st.warning(
        f"The latest decision ({pair.latest.relationship}, by {escape_inline(pair.latest.reviewer)}) was made on an "
        "earlier text: "
        "one of these provisions has changed since. Check it again and save a new decision.",
        icon=":material/history:",
    )
mine = wb.latest_by(left_id, right_id, ui.reviewer()) if ui.reviewer() else None
form = f"decide-{left_id}-{right_id}"
if not ui.can_decide():
    # a viewer gets no form (and the workbench refuses a viewer's decision anyway)
    st.info(f"You are signed in as a viewer ({ui.reviewer()}): you can read and export the crosswalk, not save "
            "decisions.", icon=":material/visibility:")
else:
    with st.form(form, border=True):
        st.radio("Relationship (left → right)", RELATIONSHIPS, key=f"{form}-rel", horizontal=True, help=REL_HELP,
                 index=RELATIONSHIPS.index(mine.relationship) if mine else None, format_func=REL_LABELS.get)
        c1, c2 = st.columns(2)
        c1.radio("Rationale", RATIONALES, key=f"{form}-rationale", horizontal=True,
                 index=RATIONALES.index(mine.rationale) if mine and mine.rationale in RATIONALES else None,
                 help="syntactic: the same words; semantic: the same meaning; functional: the same effect")
        c2.select_slider("Strength (0 weak – 10 strong)", STRENGTHS, key=f"{form}-strength",
                         value=str(mine.strength) if mine and mine.strength is not None else "not set")
        st.text_area("Note", key=f"{form}-note", value=mine.note if mine else "", height=80,
                     placeholder="Why: what matches, what differs (scope, who bears the duty, thresholds)…")
        s1, s2, _ = st.columns([1, 1, 3])
        s1.form_submit_button("Save decision", type="primary", on_click=_save, args=(left_id, right_id, form),
                              shortcut="Ctrl+Enter", help="Record the decision (Ctrl+Enter)")
        if queue_advance:
            s2.form_submit_button("Save and next", on_click=_save, args=(left_id, right_id, form, queue_advance))
if not ui.reviewer() and not ui.sign_in_required():
    st.caption("Set your name in the sidebar to save decisions.")

st.markdown("**History of this pair**")
if pair.history:
    st.table(
        [
            {
                "when (UTC)": d.created_at[:19].replace("T", " "),
                "reviewer": d.reviewer,
                "relationship": d.relationship,
                "rationale": d.rationale,
                "strength": d.strength,
                "note": d.note,
                "stale": "text changed since" if d.stale else "",
            }
            for d in reversed(pair.history)
        ],
        hide_index=True,
    )
else:
    st.caption("No decision on this pair yet.")
