"""The app, page by page, with Streamlit's AppTest, on a small synthetic workspace built with the real store,
index and matcher (tests/app_fixture.py); and the workbench and highlighting underneath it.

Covers: a search returns results with the query's terms marked and a publisher link; filters and citation
lookup; "Find counterparts" opens the review page; a decision saved on the review page is in the database,
on the crosswalk page and in the export; queue navigation and progress; a stale decision is flagged; the
provision holding `<script>` and `<b>` markup is shown escaped; the evaluation page with and without results.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from app_fixture import PAIR, XSS_ID, XSS_TEXT, build_workspace
from crosswalk.errors import ConfigError, NotFoundError
from crosswalk.review import highlight as hl

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 120  # the first search loads the embedding model


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The synthetic workspace, built once for this module (store, index, US→UK queue), with the embedding
    model in memory (as it is a few seconds after the app starts), so searches are hybrid."""
    from crosswalk.index.embedder import get_embedder

    ws = build_workspace(tmp_path_factory.mktemp("app-ws"))
    get_embedder().encode_query("warm")
    return ws


@pytest.fixture()
def ws(built, tmp_path, monkeypatch):
    """A fresh copy of the workspace per test (decisions do not leak between tests), named by the env var."""
    from crosswalk.workspace import Workspace

    root = tmp_path / "ws"
    shutil.copytree(built.root, root)
    monkeypatch.setenv("CROSSWALK_WORKSPACE", str(root))
    return Workspace(root)


@pytest.fixture()
def wb(ws):
    from crosswalk.app_pages.workbench import Workbench

    bench = Workbench.open(ws.root)
    yield bench
    bench.close()


def app():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def review(at, **params):
    """Run the review page with these query parameters."""
    at.run()
    at.query_params.update(params)
    return at.switch_page("app_pages/review.py").run()


def no_errors(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# --- highlighting (pure) --------------------------------------------------------------------------------------


def test_highlight_escapes_document_text_before_marking_it():
    text = 'Say <script>alert(1)</script> & <b>bold</b> "now"'
    out = hl.render(text, hl.find_terms(text, ["bold", "alert"]))
    assert "<script" not in out and "<b>" not in out
    assert "&lt;script&gt;" in out and "&lt;b&gt;" in out and "&amp;" in out and "&quot;now&quot;" in out
    assert out.count('<mark class="cw-q"') == 2
    # our tags are the only ones: strip them and what is left has no '<' at all
    import re

    bare = re.sub(r"</?(?:mark|span|div)\b[^>]*>", "", out)
    assert "<" not in bare and ">" not in bare


def test_highlight_neutralises_markdown_and_keeps_one_html_block():
    text = "1. *Not emphasis* and $5 or $10 [link](http://x)\n\n# not a heading"
    out = hl.render(text)
    assert "\n" not in out  # one line: CommonMark keeps it a single raw HTML block
    assert "*" not in out and "$" not in out and "[" not in out
    assert "<br><br>&#35;" not in out and "<br><br># not a heading" in out


def test_overlapping_spans_nest_and_snippet_centres_on_the_marks():
    text = "word " * 200 + "the custodian must segregate client assets " + "word " * 200
    spans = hl.find_terms(text, ["segregate", "client assets"])
    spans.append(hl.Span(text.index("custodian"), text.index("assets") + 6, "aligned"))
    snip = hl.snippet(text, spans, width=120)
    assert snip.startswith("… ") and snip.endswith(" …")
    assert "segregate</mark>" in snip and "client assets</mark>" in snip
    assert snip.index('class="cw-al"') < snip.index('class="cw-q"')  # aligned sentence wraps the marks


def test_entity_spans_skip_offsets_that_no_longer_fit():
    from crosswalk.ingest.models import Entity

    text = "The FCA must approve it."
    good, stale = Entity(4, 7, "REGULATOR", "FCA"), Entity(4, 7, "REGULATOR", "PRA")
    assert [(s.start, s.end, s.title) for s in hl.entity_spans(text, [good, stale])] == [(4, 7, "regulator")]


# --- the workbench --------------------------------------------------------------------------------------------


def test_workbench_search_filters_and_citation_lookup(wb):
    from crosswalk.app_pages.views import SearchFilters

    answer = wb.search("custody of client cryptoassets")
    assert answer.hits and answer.hits[0].provision_id.startswith("UK-TEST-CRYPTO:CASS_17")
    assert '<mark class="cw-q"' in answer.hits[0].snippet_html
    us_only = wb.search("custody of client cryptoassets", SearchFilters(jurisdiction=("US",)))
    assert us_only.hits and {h.jurisdiction for h in us_only.hits} == {"US"}
    cited = wb.search("CASS 17.2.1R")
    assert cited.cited >= 1 and cited.hits[0].provision_id == "UK-TEST-CRYPTO:CASS_17.2.1R"
    assert cited.hits[1].provision_id == "UK-TEST-CRYPTO:CASS_17.2.5R"  # its child comes next
    pdf = next(h for h in answer.hits if h.provision_id == "UK-TEST-CRYPTO:CASS_17.2.1R")
    assert pdf.url == "https://www.example.org.uk/crypto-sourcebook.pdf#page=21"


def test_first_search_answers_with_bm25_while_the_model_loads(wb, monkeypatch):
    monkeypatch.setattr(wb, "model_ready", lambda: False)
    started = []
    monkeypatch.setattr(wb, "start_warm_up", lambda: started.append(1))
    answer = wb.search("custody of client cryptoassets")
    assert answer.retriever == "bm25" and "BM25 results only" in answer.notice and answer.hits and started
    assert wb.search("custody of client cryptoassets", wait_for_model=True).retriever == "hybrid"
    assert wb.search("custody", retriever="dense").retriever == "dense"  # dense has no fallback: it waits


def test_a_model_that_cannot_load_leaves_bm25_and_says_why(wb, monkeypatch):
    from crosswalk.errors import ConfigError as ModelError

    monkeypatch.setattr(wb, "model_ready", lambda: False)
    monkeypatch.setattr(wb, "warm_up", lambda: (_ for _ in ()).throw(ModelError("cannot load embedding model 'x'")))
    wb.start_warm_up().join(timeout=30)
    answer = wb.search("custody of client cryptoassets")
    assert answer.retriever == "bm25" and "could not be loaded (cannot load embedding model 'x')" in answer.notice


def test_workbench_candidates_come_from_the_queue_then_live(wb):
    queued = wb.candidates(PAIR[0])
    assert queued and all(c.queued for c in queued) and [c.rank for c in queued] == sorted(c.rank for c in queued)
    assert PAIR[1] in [c.right_id for c in queued]
    live = wb.candidates("UK-TEST-MLR:reg.19")  # UK → US: not queued, matched against the saved index now
    assert live and not any(c.queued for c in live) and all(c.right_id.startswith("US-") for c in live)


def test_workbench_pair_marks_shared_terms_and_aligned_sentences(wb):
    cand = next(c for c in wb.candidates(PAIR[0]) if c.right_id == PAIR[1])
    pair = wb.pair(*PAIR, cand)
    assert any(t["term"] == "holder" for t in pair.shared_terms)
    assert 'class="cw-sh"' in pair.left.text_html and 'class="cw-sh"' in pair.right.text_html
    assert 'class="cw-al"' in pair.left.text_html and 'class="cw-al"' in pair.right.text_html
    assert "In sec.4:" in pair.left.context_html  # the parent gives the context


def test_workbench_rejects_unknown_provisions_with_a_hint(wb):
    with pytest.raises(NotFoundError, match="give an id such as"):
        wb.resolve("nothing like a provision")
    assert wb.resolve("UK-TEST-CRYPTO:CASS 17.2.1R") == "UK-TEST-CRYPTO:CASS_17.2.1R"


def test_workbench_coverage_gaps_and_progress_follow_decisions(wb):
    reviewed, total = wb.progress(("US", "UK"))
    assert reviewed == 0 and total > 0
    before = {(r["topic"], r["jurisdiction"]): r for r in wb.coverage()}
    gaps_before, _ = wb.gaps("UK")
    wb.record(*PAIR, "equal", "ana", rationale="semantic", strength=8, note="same ban on yield")
    assert wb.progress(("US", "UK")) == (1, total)
    after = {(r["topic"], r["jurisdiction"]): r for r in wb.coverage()}
    key = ("stablecoin issuance & reserves", "UK")
    assert after[key]["counterparts"] == before[key]["counterparts"] + 1
    assert after[key]["reviewed"] == before[key]["reviewed"] + 1
    gaps_after, rows = wb.gaps("UK")
    assert gaps_after == gaps_before - 1 and PAIR[1] not in [r["id"] for r in rows]
    wb.record(*PAIR, "unsure", "ana")  # unsure sends the pair back to the queue
    assert wb.progress(("US", "UK")) == (0, total)


def test_queue_navigation_skips_reviewed_pairs(wb):
    first = wb.queue_at(("US", "UK"), 0)
    second = wb.queue_at(("US", "UK"), 0, step=1)
    wb.record(second.left_id, second.right_id, "not-related", "ana")
    skipped = wb.queue_at(("US", "UK"), 0, unreviewed_only=True, step=1)
    assert first.position == 0 and second.position == 1 and skipped.position == 2
    assert wb.queue_at(("US", "UK"), 0, step=-1).position == 0  # stops at the start


def test_evaluation_results_are_read_and_checked(wb, ws):
    assert wb.evaluation() is None
    (ws.root / "eval").mkdir()
    (ws.root / "eval" / "latest.json").write_text(json.dumps({"bm25": {"nDCG@10": 0.5}, "hybrid": {"nDCG@10": 0.6}}))
    ev = wb.evaluation()
    assert ev.metrics == ("nDCG@10",) and [r["retriever"] for r in ev.rows] == ["bm25", "hybrid"]
    (ws.root / "eval" / "latest.json").write_text("[1, 2]")
    with pytest.raises(ConfigError, match="latest.json is not"):
        wb.evaluation()


def test_safe_links_only():
    from crosswalk.app_pages.cards import source_link

    assert source_link("javascript:alert(1)", "x.pdf", 3) == ""
    assert source_link("https://x.gov/a.pdf#page=2", "a.pdf", 3) == "https://x.gov/a.pdf#page=2"


# --- the pages ------------------------------------------------------------------------------------------------


def test_search_page_returns_results(ws):
    at = app().run()
    no_errors(at)
    at.text_input(key="q").set_value("custody of client cryptoassets").run()
    no_errors(at)
    buttons = [b for b in at.button if b.label.startswith("Find counterparts")]
    assert len(buttons) >= 3
    cards = markdown(at)
    assert "1. CASS 17.2.1R" in cards
    assert "CASS 17 Cryptoasset custody › 17.2 Holding client cryptoassets" in cards  # heading path
    assert "Test Cryptoasset Sourcebook · p. 21" in cards  # document and page
    assert 'href="https://www.example.org.uk/crypto-sourcebook.pdf#page=21"' in cards
    assert '<mark class="cw-q"' in cards


def test_search_filters_narrow_the_results(ws):
    at = app().run()
    at.text_input(key="q").set_value("custody of client cryptoassets")
    at.multiselect(key="f_jur").set_value(["US"]).run()
    no_errors(at)
    cards = [m.value for m in at.markdown if m.value.startswith('<div style="font-size:1.05em;"><b>')]
    assert cards and all(">US</span>" in c for c in cards)


def test_find_counterparts_opens_the_review_page(ws):
    at = app().run()
    at.text_input(key="q").set_value("permitted issuer interest yield holder").run()
    first = next(b for b in at.button if b.label.startswith("Find counterparts"))
    first.click().run()
    no_errors(at)
    assert at.query_params["left"] == PAIR[0]
    assert any(r.label.startswith("Candidates in UK") for r in at.radio)
    assert "Decision" in [h.value for h in at.subheader]


def test_decision_saved_on_review_page_appears_on_crosswalk_page_and_in_export(ws):
    from crosswalk.ingest.store import Store
    from crosswalk.review.decisions import DecisionStore
    from crosswalk.review.export import export

    at = app()
    at.session_state["reviewer"] = "Ana Reviewer"
    review(at, left=PAIR[0], right=PAIR[1])
    no_errors(at)
    form = f"decide-{PAIR[0]}-{PAIR[1]}"
    at.radio(key=f"{form}-rel").set_value("equal")
    at.radio(key=f"{form}-rationale").set_value("functional")
    at.select_slider(key=f"{form}-strength").set_value("9")
    at.text_area(key=f"{form}-note").set_value("Both ban paying yield to holders")
    next(b for b in at.button if b.label == "Save decision").click().run()
    no_errors(at)
    assert any("Saved: **equal** by Ana Reviewer" in s.value for s in at.success)
    with DecisionStore(ws.db_path) as ds:  # durable: another connection sees it
        [d] = ds.current()
    assert (d.left_id, d.right_id, d.relationship, d.rationale, d.strength) == (*PAIR, "equal", "functional", 9)
    history = at.table[0].value
    assert list(history["relationship"]) == ["equal"] and list(history["note"]) == ["Both ban paying yield to holders"]

    at.switch_page("app_pages/crosswalk_table.py").run()
    no_errors(at)
    table = at.dataframe[0].value
    row = table[table["note"] == "Both ban paying yield to holders"]
    assert list(row["relationship"]) == ["equal"] and list(row["reviewer"]) == ["Ana Reviewer"]
    assert {b.label for b in at.get("download_button")} == {"Export CSV", "Export XLSX", "Export JSON"}
    with DecisionStore(ws.db_path) as ds, Store(ws.db_path, readonly=True) as store:
        rows = list(csv.DictReader(io.StringIO(export(store, ds.current(), "csv").decode())))
    assert [(r["focal_element"], r["relationship"], r["reference_element"], r["comments"]) for r in rows] == [
        (PAIR[0], "equal", PAIR[1], "Both ban paying yield to holders")]


def test_saving_without_a_reviewer_name_is_refused(ws):
    from crosswalk.review.decisions import DecisionStore

    at = review(app(), left=PAIR[0], right=PAIR[1])
    at.radio(key=f"decide-{PAIR[0]}-{PAIR[1]}-rel").set_value("equal")
    next(b for b in at.button if b.label == "Save decision").click().run()
    assert any("Set your name in the sidebar" in e.value for e in at.error)
    with DecisionStore(ws.db_path) as ds:
        assert ds.count() == 0


def test_queue_page_shows_progress_and_moves_on(ws):
    at = app()
    at.session_state["reviewer"] = "ana"
    review(at)
    no_errors(at)
    bar = at.get("progress")[0]
    assert "Reviewed 0 of" in bar.proto.text and "pair 1 of" in bar.proto.text
    left, right = at.query_params["dir"], at.query_params["pos"]
    assert (left, right) == ("US-UK", "0")
    form = next(r.key for r in at.radio if r.key and r.key.endswith("-rel"))
    at.radio(key=form).set_value("intersects-with")
    next(b for b in at.button if b.label == "Save and next").click().run()
    no_errors(at)
    assert at.query_params["pos"] == "1"
    assert "Reviewed 1 of" in at.get("progress")[0].proto.text
    next(b for b in at.button if b.label == "← Previous").click().run()
    assert at.query_params["pos"] == "0"


def test_stale_decision_is_flagged(ws):
    from dataclasses import replace

    from app_fixture import UK_BOOK, UK_BOOK_UNITS, provisions_of
    from crosswalk.ingest.store import Store
    from crosswalk.review.decisions import DecisionStore

    with DecisionStore(ws.db_path) as ds:
        ds.record(*PAIR, "equal", "ana")
    changed = [replace(p, text=p.text + " Amended.", content_hash="") if p.id == PAIR[1] else p
               for p in provisions_of(UK_BOOK, UK_BOOK_UNITS)]
    with Store(ws.db_path) as store:
        store.replace_document(UK_BOOK, changed, path="x", file_sha256="1", pipeline="t", splitter="t", pages=30)
    at = review(app(), left=PAIR[0], right=PAIR[1])
    assert any("has changed since" in w.value for w in at.warning)
    assert list(at.table[0].value["stale"]) == ["text changed since"]


def test_xss_provision_displays_literally(ws):
    at = review(app(), left=XSS_ID)
    no_errors(at)
    shown = [m.value for m in at.markdown if "alert(1)" in m.value]
    assert shown, "the provision's text is not on the page"
    for value in shown:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in value and "&lt;b&gt;bold&lt;/b&gt;" in value
        assert "<script" not in value.lower() and "<b>bold" not in value
    # and in a search snippet
    at = app().run()
    at.text_input(key="q").set_value("display markup disclosures").run()
    shown = [m.value for m in at.markdown if "alert(1)" in m.value]
    assert shown and all("<script" not in v.lower() and "&lt;script&gt;" in v for v in shown)
    assert XSS_TEXT.startswith("A firm must not display <script>")


def test_evaluation_page_without_and_with_results(ws):
    at = app().run()
    at.switch_page("app_pages/evaluation.py").run()
    no_errors(at)
    assert any("crosswalk eval" in i.value for i in at.info)
    (ws.root / "eval").mkdir()
    (ws.root / "eval" / "latest.json").write_text(json.dumps({  # the shape evaluation.report writes
        "retrievers": {"bm25": {"nDCG@10": 0.41, "MRR@10": 0.5, "nDCG@10_ci": [0.3, 0.52], "by_kind": {},
                                "evaluated": {"gold": "queries", "queries": 40, "judged@10": 0.234}},
                       "hybrid": {"nDCG@10": 0.52, "MRR@10": 0.61},
                       "pairs:match": {"nDCG@10": 0.33, "MRR@10": 0.4}},
        "generated_at": "2026-01-02T03:04:05Z", "commit": "0123456789abcdef", "warnings": ["q-9: not judged"],
        "meta": {"gold": {"judged": [{"path": "pool-dec.tsv", "added": 1234, "queries": 9}]}},
        "agreement": [{"level": "relationship", "reviewers": ["ana", "ben"], "items": 4, "pairable": 3, "alpha": 0.5}],
    }))
    at.run()
    no_errors(at)
    search, pairs, agreement = (d.value for d in at.dataframe)
    assert list(search.index) == ["bm25", "hybrid"] and list(search.columns) == ["nDCG@10", "MRR@10"]
    assert search.loc["bm25", "nDCG@10"] == "0.410 [0.30, 0.52]" and search.loc["hybrid", "MRR@10"] == "0.610"
    assert list(pairs.index) == ["pairs:match"]
    assert list(agreement["Krippendorff's alpha"]) == [0.5]
    assert [h.value for h in at.subheader] == ["Search (gold queries)", "Matching (gold pairs)", "Over time",
                                               "Reviewer agreement", "Learning from reviewers"]
    assert any("No earlier run on the same gold and settings" in c.value for c in at.caption)
    assert any("Fewer than 50 pairs decided by two or more reviewers" in c.value for c in at.caption)  # 3 here
    assert "commit 0123456789" in at.caption[0].value
    judged = [c.value for c in at.caption if "judged@10" in c.value]
    assert len(judged) == 1 and "bm25 0.23." in judged[0] and "hybrid" not in judged[0]  # hybrid has no share
    assert any("gold plus pooled judgements: 1,234 from `pool-dec.tsv`" in c.value for c in at.caption)


def test_evaluation_page_shows_what_the_run_scored_and_quality_over_time(ws):
    from crosswalk.evaluation import history

    folder = ws.root / "eval"
    folder.mkdir()
    runs = []
    for i, (at_, per_query) in enumerate([("2026-01-01T00:00:00Z", {"q-1": 1.0, "q-2": 0.5}),
                                          ("2026-01-02T00:00:00Z", {"q-1": 0.5, "q-2": 0.5})]):
        runs.append({"generated_at": at_, "commit": f"c{i}",
                     "settings": {"split": "test", "k": 100, "citation_lookup": True, "fingerprint": {"queries": "g"}},
                     "index": {}, "systems": {"hybrid": {
                         "gold": "queries", "queries": 2, "means": {"nDCG@10": sum(per_query.values()) / 2,
                                                                    "Recall@10": 0.5},
                         "per_query": {"nDCG@10": per_query}}}})
        history.append(folder / history.HISTORY, runs[-1])
    since = [c.to_dict() for c in history.since_previous(runs[:1], runs[1])]
    # latest.json is newer than the last history line: a repeat of it, which the history does not add again
    (folder / "latest.json").write_text(json.dumps({
        "retrievers": {"hybrid": {"nDCG@10": 0.5, "Recall@10": 0.5}}, "generated_at": "2026-01-03T00:00:00Z",
        "commit": "c1", "since": since,
        "meta": {"split": "test", "k": 100, "citation_lookup": True, "queries": 2, "fingerprint": {"queries": "g"}}}))
    at = app().run()
    at.switch_page("app_pages/evaluation.py").run()
    no_errors(at)
    scored = "Split **test** · ranking depth k = 100 · citation lookup on · 2 queries"
    assert any(scored in c.value for c in at.caption)
    changes = at.dataframe[1].value
    assert list(changes["system"]) == ["hybrid"] and list(changes["queries worse"]) == [1]
    assert list(changes["largest falls"]) == ["q-1 1.00→0.50"] and list(changes["previous commit"]) == ["c0"]
    assert any("Runs on the same gold, depth and citation setting as this one (2 of the 2 saved)" in c.value
               for c in at.caption)


def test_missing_workspace_says_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv("CROSSWALK_WORKSPACE", str(tmp_path / "nowhere"))
    at = app().run()
    assert any("run `crosswalk ingest`" in e.value for e in at.error)


def test_app_command_binds_to_loopback_and_export_command_writes_the_file(ws, tmp_path):
    from click.testing import CliRunner

    from crosswalk.cli import main
    from crosswalk.review.decisions import DecisionStore
    from crosswalk.app_pages.launch import app_command

    argv, env = app_command(ws)
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1" and env["CROSSWALK_WORKSPACE"] == str(ws.root)
    with DecisionStore(ws.db_path) as ds:
        ds.record(*PAIR, "subset-of", "ben", note="=cmd|' /C calc'!A0")
    out = tmp_path / "cw.json"
    result = CliRunner().invoke(main, ["export", "-w", str(ws.root), "-o", str(out)])
    assert result.exit_code == 0, result.output
    [row] = json.loads(out.read_text())
    assert (row["focal_element"], row["relationship"], row["reviewer"]) == (PAIR[0], "subset-of", "ben")
    result = CliRunner().invoke(main, ["export", "-w", str(ws.root), "--format", "csv"])
    assert "'=cmd" in result.output  # a formula-looking note is defused in CSV


def test_without_an_index_search_says_how_to_build_it_and_review_still_shows_the_provision(tmp_path, monkeypatch):
    ws = build_workspace(tmp_path / "no-index", index=False)
    monkeypatch.setenv("CROSSWALK_WORKSPACE", str(ws.root))
    at = app().run()
    at.text_input(key="q").set_value("custody").run()
    assert any("run `crosswalk index`" in e.value for e in at.error)
    at = review(app(), left=PAIR[0])
    assert any("run `crosswalk index`" in e.value for e in at.error)
    assert any("permitted issuer shall not give a holder" in m.value for m in at.markdown)


def test_a_documents_quality_note_is_shown_with_the_provision_as_text(ws):
    from crosswalk.ingest.store import Store
    from crosswalk.app_pages.workbench import Workbench
    from app_fixture import UK_BOOK

    note = "Words inside <b>annotations</b> may be missing; see https://www.legislation.gov.uk/ukpga/2023/29/data.xml"
    with Store(ws.db_path) as store:
        store.conn.execute("UPDATE documents SET note=? WHERE id=?", (note, UK_BOOK.id))
        store.conn.commit()
    bench = Workbench.open(ws.root)
    try:
        view = bench.provision(PAIR[1])
    finally:
        bench.close()
    assert "ukpga/2023/29/data.xml" in view.header_html
    assert "&lt;b&gt;annotations&lt;/b&gt;" in view.header_html and "<b>annotations</b>" not in view.header_html
def test_search_page_says_what_a_cited_document_lacks_and_shows_only_the_nearest(ws):
    at = app().run()
    at.text_input(key="q").set_value("CRYPTO 2.4.99R").run()
    no_errors(at)
    shown = [w.value.replace("\\", "") for w in at.warning]  # Markdown escapes: what the reader sees
    assert any("CRYPTO has rules 1.2.1R–4.1.1R; no rule 2.4.99R" in w for w in shown)
    assert all("\\." in w.value for w in at.warning)  # the note's text is escaped, never read as Markdown
    cards = [m.value for m in at.markdown if m.value.startswith('<div style="font-size:1.05em;"><b>')]
    assert cards and all("CRYPTO" in c for c in cards)


def test_search_page_lets_the_reader_pick_the_document_of_an_ambiguous_citation(ws, monkeypatch):
    import dataclasses

    from crosswalk.app_pages import workbench as wbmod

    real = wbmod.Workbench.search
    choices = (("Test Payment Stablecoin Act § 4", "US-TEST-STABLE:sec.4"), ("23 NYCRR 200.9", "US-TEST-CUSTODY:200.9"))

    def two_documents(self, query, *args, **kwargs):  # the fixture has no citation in two documents
        answer = real(self, query, *args, **kwargs)
        return dataclasses.replace(answer, choices=choices) if query == "section 4" else answer

    monkeypatch.setattr(wbmod.Workbench, "search", two_documents)
    at = app().run()
    at.text_input(key="q").set_value("section 4").run()
    no_errors(at)
    assert any("is cited in 2 documents" in i.value for i in at.info)
    pick = next(b for b in at.button if b.label == "23 NYCRR 200.9")
    pick.click().run()
    no_errors(at)
    assert at.text_input(key="q").value == "23 NYCRR 200.9"
