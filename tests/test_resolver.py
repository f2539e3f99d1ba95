"""The citation resolver on a small store with the corpus's ids (including the ids FSMA 2023 and 23 NYCRR 500
get from their own splitters), so these tests hold whether those documents are split generically or not.

- A table of hand-written citations from legal writing, each one a test: the cited provision comes first, in
  search (`resolve`) and in `crosswalk show` (`provision_for`). It includes the nine forms of issue 12 that
  used to fail.
- What search does with a unit the document lacks, a citation several documents have, a citation with words,
  a range, and a document that is not stored.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from crosswalk.cli import main
from crosswalk.errors import NotFoundError
from crosswalk.workspace import Workspace
from crosswalk.index.cited_search import cited_search
from crosswalk.index.filters import Filters, allowed_provision_ids
from crosswalk.index.resolver import Catalog, provision_for, resolve
from crosswalk.index.results import Results
from crosswalk.ingest.models import Provision, Source, make_id
from crosswalk.ingest.store import Store

GENIUS, MICA, CP = "US-PL119-27-GENIUS", "EU-MICA-2023-1114", "UK-FCA-CP25-14"
BSA, FSB, EO = "US-USC31-CH53-SUBCHII", "INTL-FSB-GSC-2023", "US-EO14067"
FSMA23, NYDFS = "UK-UKPGA-2023-29-FSMA2023", "US-NYDFS-23NYCRR500-2017"
SEC, EXCH, CEA, USC18 = "US-USC15-77B-77E", "US-USC15-78C-78O", "US-USC7-CEA", "US-USC18-1956-1960"

DOCS = {
    GENIUS: ("US", ["sec.1", "sec.3", "sec.3(a)", "sec.4", "sec.4(a)", "sec.4(a)(7)", "sec.4(a)(11)",
                    "sec.4(a)(11)(A)", "sec.4(a)(12)", "sec.4(b)", "sec.5", "sec.9", "sec.9(e)"]),
    MICA: ("EU", ["recital.66", "art.1", "art.35", "art.36", "art.36(1)", "art.36(1)(a)", "art.36(1)(b)",
                  "art.37", "art.38", "art.149", "annex.I", "annex.I part.A", "annex.I part.A point.3",
                  "annex.VI", "annex.VI point.36"]),
    CP: ("UK", ["ch.3", "para.3.70", "para.3.71", "q.12", "CRYPTO 2", "CRYPTO 2.4", "CRYPTO 2.4.21R",
                "CRYPTO 2.4.21R(3)", "CRYPTO 2.4.33R", "CRYPTO 2.4.33R(1)", "CRYPTO 2.5", "CRYPTO 2.5.23G",
                "CASS 16", "CASS 16.2", "CASS 16.2.13R", "CASS 16.2.13R(1)", "CASS 16.5", "CASS 16.5.3G",
                "CASS 16.5.3G(1)", "CASS 16.6", "CASS 16.6.1R", "CASS 17", "CASS 17.5", "CASS 17.5.10R",
                "CASS 17.5.19R", "CASS 17.5.19R(2)", "Glossary backing asset pool"]),
    "UK-FCA-DP23-4": ("UK", ["ch.2", "para.2.5"]),
    FSB: ("INTL", ["rec.8", "rec.9", "rec.10", "sec.2.1"]),
    BSA: ("US", ["5318", "5318(h)", "5318(h)(1)", "5336"]),
    SEC: ("US", ["77e", "77e(a)"]),
    EXCH: ("US", ["78o", "78o(a)", "78o(a)(1)"]),
    CEA: ("US", ["1a", "1a(9)", "6d", "6d(a)"]),
    USC18: ("US", ["1960", "1960(a)"]),
    EO: ("US", ["sec.4", "sec.4(b)", "sec.9"]),
    FSMA23: ("UK", ["s.69", "s.69(4)", "s.69(4)(a)", "s.70", "sch.6", "sch.6 para.2", "sch.6 para.2(1)"]),
    NYDFS: ("US", ["500.1", "500.1(a)", "500.11", "500.11(a)", "500.11(a)(1)", "500.12"]),
}


def _parent(citation: str, present: set[str]) -> str | None:
    from crosswalk.index.citation_units import citation_ancestors

    return next((a for a in citation_ancestors(citation) if a in present), None)


def _build(path) -> Store:
    store = Store(path)
    for doc_id, (jur, cits) in DOCS.items():
        present = set(cits)
        provisions = [
            Provision(id=make_id(doc_id, c), doc_id=doc_id, jurisdiction=jur, citation=c, text=f"{c} text",
                      parent_id=make_id(doc_id, p) if (p := _parent(c, present)) else None, ordinal=i)
            for i, c in enumerate(cits)
        ]
        store.replace_document(Source(id=doc_id, jurisdiction=jur), provisions, path="x", file_sha256="0",
                               pipeline="t", splitter="t", pages=None)
    return store


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("resolver-ws")).ensure()
    _build(ws.db_path).close()
    return ws


@pytest.fixture(scope="module")
def store(workspace):
    s = Store(workspace.db_path, readonly=True)
    yield s
    s.close()


def pid(doc_id: str, citation: str) -> str:
    return make_id(doc_id, citation)


# --- the table: citations as lawyers write them ----------------------------------------------------------------

FORMS = [
    # the nine forms of issue 12 that used to fail
    ("GENIUS Act section 4(a)(11)", GENIUS, "sec.4(a)(11)"),
    ("GENIUS Act § 4(a)(7)", GENIUS, "sec.4(a)(7)"),
    ("Section 3(a) of the GENIUS Act", GENIUS, "sec.3(a)"),
    ("CRYPTO 2.4.33R", CP, "CRYPTO 2.4.33R"),
    ("CASS 16.2.13 R", CP, "CASS 16.2.13R"),
    ("cass 17.5.10r", CP, "CASS 17.5.10R"),
    ("CASS 16.5", CP, "CASS 16.5"),
    ("MiCA Article 36", MICA, "art.36"),
    ("FSB recommendation 9", FSB, "rec.9"),
    # US Acts and orders
    ("GENIUS Act, § 4(a)(11)", GENIUS, "sec.4(a)(11)"),
    ("Pub. L. No. 119-27, § 4(a)(11)", GENIUS, "sec.4(a)(11)"),
    ("sec. 4(a)(11) of the GENIUS Act", GENIUS, "sec.4(a)(11)"),
    ("GENIUS Act §4(a)(11).", GENIUS, "sec.4(a)(11)"),
    ("genius act SECTION 4 (a) (11)", GENIUS, "sec.4(a)(11)"),
    ("(GENIUS Act § 4(a))", GENIUS, "sec.4(a)"),
    ("GENIUS s 4(b)", GENIUS, "sec.4(b)"),
    ("GENIUS Act sections 4–5", GENIUS, "sec.4"),
    ("sections 4 and 5 of the GENIUS Act", GENIUS, "sec.4"),
    ("EO 14067 sec. 4", EO, "sec.4"),
    ("Executive Order 14067, Section 4(b)", EO, "sec.4(b)"),
    ("E.O. 14067 § 4(b)", EO, "sec.4(b)"),
    # EU
    ("Art. 36 MiCA", MICA, "art.36"),
    ("art 36(1) MiCA", MICA, "art.36(1)"),
    ("Article 36(1)(a) of Regulation (EU) 2023/1114", MICA, "art.36(1)(a)"),
    ("MiCA, Art. 36(1)(a).", MICA, "art.36(1)(a)"),
    ("MiCA recital 66", MICA, "recital.66"),
    ("Recital (66) MiCA", MICA, "recital.66"),
    ("MiCA Annex I, Part A, point 3", MICA, "annex.I part.A point.3"),
    ("Articles 36–38 MiCA", MICA, "art.36"),
    ("MiCAR Art 37", MICA, "art.37"),
    # FCA sourcebooks and papers
    ("CASS16.2.13R", CP, "CASS 16.2.13R"),
    ("rule CASS 16.2.13R", CP, "CASS 16.2.13R"),
    ("CASS 16.2.13R(1)", CP, "CASS 16.2.13R(1)"),
    ("rule 2.4.33R of CRYPTO", CP, "CRYPTO 2.4.33R"),
    ("CRYPTO 2.4.33 R.", CP, "CRYPTO 2.4.33R"),
    ("CASS 16.2.13", CP, "CASS 16.2.13R"),
    ("FCA Glossary: backing asset pool", CP, "Glossary backing asset pool"),
    ("CP25/14 para 3.70", CP, "para.3.70"),
    ("CP25/14, paragraph 3.70", CP, "para.3.70"),
    ("¶ 3.70 of CP25/14", CP, "para.3.70"),
    ("CP25/14 Q12", CP, "q.12"),
    ("DP23/4 paragraph 2.5", "UK-FCA-DP23-4", "para.2.5"),
    # FSB
    ("FSB Rec. 9", FSB, "rec.9"),
    ("FSB rec 9", FSB, "rec.9"),
    ("Recommendation 9 of the FSB recommendations", FSB, "rec.9"),
    ("FSB § 2.1", FSB, "sec.2.1"),
    # US Code
    ("31 U.S.C. § 5318(h)(1)", BSA, "5318(h)(1)"),
    ("31 USC 5318(h)", BSA, "5318(h)"),
    ("BSA § 5318(h)", BSA, "5318(h)"),
    ("section 5318(h) of 31 U.S.C.", BSA, "5318(h)"),
    ("Bank Secrecy Act, 31 U.S.C. § 5318(h)", BSA, "5318(h)"),
    ("15 U.S.C. § 77e", SEC, "77e"),
    ("Securities Act § 5", SEC, "77e"),
    ("Exchange Act section 15(a)", EXCH, "78o(a)"),
    ("7 U.S.C. § 1a(9)", CEA, "1a(9)"),
    ("CEA section 4d", CEA, "6d"),
    ("18 U.S.C. § 1960", USC18, "1960"),
    # FSMA 2023 (ids of its own splitter)
    ("FSMA 2023 s.69(4)(a)", FSMA23, "s.69(4)(a)"),
    ("section 69(4)(a) of the Financial Services and Markets Act 2023", FSMA23, "s.69(4)(a)"),
    ("FSMA 2023, s 69(4)(a)", FSMA23, "s.69(4)(a)"),
    ("FSMA 2023 sch. 6 para. 2", FSMA23, "sch.6 para.2"),
    ("Schedule 6, paragraph 2(1) to FSMA 2023", FSMA23, "sch.6 para.2(1)"),
    ("paragraph 2(1) of Schedule 6 to the Financial Services and Markets Act 2023", FSMA23, "sch.6 para.2(1)"),
    ("FSMA 2023 Sch 6 para 2(1)", FSMA23, "sch.6 para.2(1)"),
    ("ss. 69–70 FSMA 2023", FSMA23, "s.69"),
    # 23 NYCRR 500 (ids of its own splitter)
    ("23 NYCRR 500.11", NYDFS, "500.11"),
    ("23 NYCRR § 500.11(a)(1)", NYDFS, "500.11(a)(1)"),
    ("NYDFS Part 500, section 500.11", NYDFS, "500.11"),
    ("500.11(a)(1) of 23 NYCRR", NYDFS, "500.11(a)(1)"),
    ("23 NYCRR 500.1(a)", NYDFS, "500.1(a)"),
    ("Part 500 § 500.1(a)", NYDFS, "500.1(a)"),
    ("23 N.Y.C.R.R. § 500.12", NYDFS, "500.12"),
]


@pytest.mark.parametrize("form, doc_id, citation", FORMS, ids=[f[0] for f in FORMS])
def test_a_citation_as_lawyers_write_it_puts_its_provision_first(store, form, doc_id, citation):
    res = resolve(store, form)
    assert res.kind in ("found", "range"), res
    assert res.ids[0] == pid(doc_id, citation)
    if res.kind == "found":
        assert provision_for(store, form) == pid(doc_id, citation)  # `crosswalk show` reads it too


def test_the_table_is_at_least_fifty_forms():
    assert len(FORMS) >= 50 and len({f[0] for f in FORMS}) == len(FORMS)


# --- what a bare citation brings with it ----------------------------------------------------------------------


def test_the_cited_provision_then_its_children_in_order_then_its_parent_context(store):
    res = resolve(store, "GENIUS Act § 4(a)")
    assert list(res.ids) == [pid(GENIUS, c) for c in
                             ("sec.4(a)", "sec.4(a)(7)", "sec.4(a)(11)", "sec.4(a)(11)(A)", "sec.4(a)(12)", "sec.4")]
    assert res.cited == 1


def test_a_range_lists_each_unit_of_the_range(store):
    res = resolve(store, "MiCA Articles 36–38")
    assert res.kind == "range" and list(res.ids) == [pid(MICA, f"art.{n}") for n in (36, 37, 38)]
    assert resolve(store, "CASS 17.5.10R – 17.5.19R").ids == (pid(CP, "CASS 17.5.10R"), pid(CP, "CASS 17.5.19R"))
    assert resolve(store, "Articles 36 and 38 MiCA").ids == (pid(MICA, "art.36"), pid(MICA, "art.38"))


# --- a unit the document lacks ----------------------------------------------------------------------------------


def test_a_unit_the_document_lacks_says_what_it_has_and_shows_only_the_nearest(store):
    res = resolve(store, "MiCA Article 150")
    assert res.kind == "missing"
    assert res.note == "MiCA has Articles 1–149; no Article 150"
    assert res.ids[0] == pid(MICA, "art.149") and all(i.startswith(f"{MICA}:art.") for i in res.ids)
    sub = resolve(store, "GENIUS Act § 4(a)(99)")
    assert sub.note == "GENIUS Act § 4(a) has (7)–(12); no GENIUS Act § 4(a)(99)"
    assert sub.ids[0] == pid(GENIUS, "sec.4(a)") and pid(GENIUS, "sec.4(a)(12)") in sub.ids
    assert resolve(store, "FSB recommendation 11").note == "FSB has Recommendations 8–10; no Recommendation 11"
    assert resolve(store, "CRYPTO 2.4.99R").note.startswith("CRYPTO 2.4 has ")


def test_search_for_a_missing_unit_never_shows_unrelated_text(store):
    engine = FakeEngine([pid(MICA, "annex.VI point.36"), pid(GENIUS, "sec.1")])
    results = cited_search(store, engine, "MiCA Article 150", k=5)
    assert results.retriever == "nearest" and results.note.startswith("MiCA has Articles 1–149")
    assert all(i.startswith(f"{MICA}:art.") for i in results.ids())
    assert engine.calls == []  # no search at all: nothing unrelated can be shown as the answer


def test_show_says_what_is_missing(store):
    with pytest.raises(NotFoundError, match=r"MiCA has Articles 1–149; no Article 150 \(nearest: EU-MICA"):
        provision_for(store, "MiCA Art. 150")


def test_a_document_that_is_not_stored_is_named(store):
    res = resolve(store, "MLR 2017 reg. 14A")
    assert res.kind == "absent" and "UK-MLR-2017 is not in this workspace" in res.note
    assert len(cited_search(store, FakeEngine([pid(GENIUS, "sec.1")]), "MLR 2017 reg. 14A")) == 0


# --- ambiguous bare citations ---------------------------------------------------------------------------------


def test_a_bare_number_several_documents_have_lists_each_document(store):
    res = resolve(store, "section 4")
    assert res.kind == "ambiguous"
    assert {c.doc_id for c in res.choices} == {GENIUS, EO}
    assert {c.citation for c in res.choices} == {"GENIUS Act § 4", "EO 14067 § 4"}


def test_ambiguous_choices_are_ordered_by_the_search_ranking(store):
    engine = FakeEngine([pid(EO, "sec.4(b)"), pid(EO, "sec.4"), pid(GENIUS, "sec.4")])
    results = cited_search(store, engine, "section 4", k=5)
    assert [c.doc_id for c in results.choices] == [EO, GENIUS]
    assert results.ids()[:2] == [pid(EO, "sec.4"), pid(GENIUS, "sec.4")] and results.cited == 2
    assert "pick one" in results.note


def test_show_lists_the_documents_of_an_ambiguous_citation(store):
    with pytest.raises(NotFoundError, match=r"'section 4' is in 2 documents: .*GENIUS Act § 4"):
        provision_for(store, "section 4")


def test_a_bare_dotted_number_is_found_in_the_one_document_that_has_it(store):
    assert resolve(store, "500.11").ids[0] == pid(NYDFS, "500.11")
    assert resolve(store, "section 69").ids[0] == pid(FSMA23, "s.69")  # "section" is s. in a UK Act


def test_a_bare_section_is_looked_up_in_every_form_of_section(tmp_path):
    s = _build(tmp_path / "s.db")
    s.replace_document(Source(id="UK-X", jurisdiction="UK"),
                       [Provision(id=pid("UK-X", "s.4"), doc_id="UK-X", jurisdiction="UK", citation="s.4", text="x")],
                       path="x", file_sha256="1", pipeline="t", splitter="t", pages=None)
    assert {c.doc_id for c in resolve(s, "section 4").choices} == {GENIUS, EO, "UK-X"}
    s.close()


# --- citation with words: a scoped search -----------------------------------------------------------------------


class FakeEngine:
    """A retriever that returns its fixed ranking, kept to what the filters allow; records its calls."""

    name = "fake"

    def __init__(self, ranking, store=None):
        self.ranking = ranking
        self.calls = []
        self.store = store

    def search(self, query, k=10, filters=None):
        self.calls.append((query, filters))
        allowed = set(filters.within) if filters is not None and filters.within else None
        ids = [i for i in self.ranking if allowed is None or i in allowed]
        return Results.from_ids(ids[:k], query=query, retriever=self.name)


def test_a_citation_with_words_searches_inside_the_cited_subtree(store):
    engine = FakeEngine([pid(MICA, "art.36"), pid(CP, "CASS 16.6.1R"), pid(CP, "CASS 16.2.13R")])
    results = cited_search(store, engine, "CASS 16 reconciliation", k=5)
    query, filters = engine.calls[0]
    assert query == "reconciliation"
    assert pid(CP, "CASS 16.2.13R") in filters.within and pid(CP, "CASS 17.5") not in filters.within
    assert results.ids() == [pid(CP, "CASS 16.6.1R"), pid(CP, "CASS 16.2.13R")]
    assert results.note.startswith("searched within CASS 16 (")
    res = resolve(store, "reserve assets under GENIUS sec.4")
    assert res.kind == "scoped" and res.words == "reserve assets" and res.ids[0] == pid(GENIUS, "sec.4")


def test_within_filters_intersect_with_other_filters(store):
    within = (pid(CP, "CASS 16"), pid(MICA, "art.36"))
    assert allowed_provision_ids(store, Filters(within=within, jurisdiction="UK")) == {pid(CP, "CASS 16")}
    assert Filters(within=within).describe() == "within=2 provision(s)"


def test_filters_hold_for_cited_provisions(store):
    engine = FakeEngine([pid(GENIUS, "sec.1")])
    results = cited_search(store, engine, "MiCA Art. 36", k=3, filters=Filters(jurisdiction="US"))
    assert results.ids() == [pid(GENIUS, "sec.1")] and "outside the filters" in results.note


def test_ordinary_queries_are_searched_as_they_are(store):
    engine = FakeEngine([pid(GENIUS, "sec.1")])
    for q in ("custody of client assets", "reserve requirements 2023", "FSMA 2023", "GENIUS Act"):
        assert resolve(store, q).kind == "none", q
        assert cited_search(store, engine, q).ids() == [pid(GENIUS, "sec.1")]


def test_the_catalogue_is_rebuilt_when_the_store_changes(tmp_path):
    s = _build(tmp_path / "c.db")
    assert resolve(s, "MiCA Art. 35").kind == "found"
    s.replace_document(Source(id=MICA, jurisdiction="EU"),
                       [Provision(id=pid(MICA, "art.1"), doc_id=MICA, jurisdiction="EU", citation="art.1", text="x")],
                       path="x", file_sha256="1", pipeline="t", splitter="t", pages=None)
    assert resolve(s, "MiCA Art. 35").kind == "missing"
    assert Catalog.of(s) is Catalog.of(s)
    s.close()


# --- crosswalk show -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form, expected", [
    ("GENIUS Act § 4(a)(7)", pid(GENIUS, "sec.4(a)(7)")),
    ("cass 16.2.13r", pid(CP, "CASS 16.2.13R")),
    ("23 NYCRR 500.11", pid(NYDFS, "500.11")),
    ("UK-FCA-CP25-14:CASS 16.2.13R", pid(CP, "CASS 16.2.13R")),
])
def test_show_accepts_citations(workspace, form, expected):
    out = CliRunner().invoke(main, ["show", form, "-w", str(workspace.root)])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0] == expected


def test_show_says_clearly_when_it_cannot(workspace):
    out = CliRunner().invoke(main, ["show", "reserve assets", "-w", str(workspace.root)])
    assert out.exit_code == 1
    assert "neither a provision id nor a citation" in out.output
    out = CliRunner().invoke(main, ["show", "500.1", "-w", str(workspace.root)])
    assert out.exit_code == 0 and out.output.startswith(pid(NYDFS, "500.1"))


def test_docstring_examples_hold():
    import doctest

    from crosswalk.index import aliases, nearest

    for module in (aliases, nearest):
        result = doctest.testmod(module)
        assert result.attempted >= 1 and result.failed == 0, module.__name__


def test_a_family_the_data_does_not_define_is_an_error_naming_the_row(tmp_path):
    import json

    from crosswalk.errors import ConfigError
    from crosswalk.index.aliases import ALIASES_PATH, load_aliases

    data = json.loads(ALIASES_PATH.read_text())
    data["documents"][0]["family"] = "us-treaty"
    bad = tmp_path / "aliases.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"documents\[0\]: family 'us-treaty' is not one of"):
        load_aliases(bad)
    data["documents"][0]["family"] = "us-act"
    data["unit_words"]["clause"] = ["cl"]
    bad.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="unit_words: unknown unit 'clause'"):
        load_aliases(bad)


def test_teaching_a_document_a_new_name_is_a_data_change(tmp_path):
    import json

    from crosswalk.index.aliases import ALIASES_PATH
    from crosswalk.index.citations import parse_citation

    data = json.loads(ALIASES_PATH.read_text())
    data["documents"].append({"names": ["Cyber Rule"], "family": "us-code", "doc_ids": [NYDFS]})
    path = tmp_path / "aliases.json"
    path.write_text(json.dumps(data))
    assert parse_citation("Cyber Rule § 500.11", aliases_path=path).doc_ids == (NYDFS,)
    assert parse_citation("Cyber Rule § 500.11") is None
