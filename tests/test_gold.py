"""The gold set in evaluation/gold/ (queries, qrels, cross-jurisdiction pairs, dev/test split).

The first tests read only the gold files and run in well under a second. The tests that take `corpus_store`
check the gold against the real corpus (every id exists, the jurisdiction filters do not hide the answers,
no query copies its answer); they share the session's ingested store with the other corpus suites.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from crosswalk.evaluation.gold_io import load_pairs, load_qrels, load_queries, load_split, pair_key
from crosswalk.vocab import Relationship

KINDS = ("cite", "q", "xvocab")
COPY_LIMIT = 8  # a query may not repeat this many consecutive words of a text it is judged against


@pytest.fixture(scope="module")
def queries():
    return load_queries()


@pytest.fixture(scope="module")
def qrels():
    return load_qrels()


@pytest.fixture(scope="module")
def pairs():
    return load_pairs()


@pytest.fixture(scope="module")
def split():
    return load_split()


def doc_jurisdiction(provision_id: str) -> str:
    """`UK` for `UK-FCA-CP25-14:CASS_16.2.13R`: the corpus's document ids start with their jurisdiction."""
    return provision_id.split("-", 1)[0]


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def longest_shared_run(query: str, text: str) -> int:
    """The length of the longest run of consecutive words `query` shares with `text` (case-insensitive)."""
    q, t = words(query), words(text)
    best = 0
    previous = [0] * (len(t) + 1)
    for qw in q:
        current = [0] * (len(t) + 1)
        for j, tw in enumerate(t, start=1):
            if qw == tw:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def test_longest_shared_run():
    assert longest_shared_run("Redeem at PAR value today", "holders may redeem at par value at any time") == 4
    assert longest_shared_run("custody", "no shared words here") == 0


# --- the files alone ----------------------------------------------------------------------------------------


def test_the_gold_meets_its_sizes(queries, qrels, pairs):
    assert len(queries) >= 60
    assert len(pairs) >= 40
    kinds = Counter(q.kind for q in queries)
    assert set(kinds) == set(KINDS), kinds
    assert kinds["cite"] >= 10 and kinds["xvocab"] >= 8


def test_every_query_has_a_full_answer_and_no_stray_judgements(queries, qrels):
    qids = {q.qid for q in queries}
    assert set(qrels) == qids, f"judged but no query: {sorted(set(qrels) - qids)}; query but no judgement: " \
                               f"{sorted(qids - set(qrels))}"
    unanswered = [q.qid for q in queries if 2 not in qrels[q.qid].values()]
    assert not unanswered, f"queries without a relevance-2 judgement: {unanswered}"
    grades = {rel for judged in qrels.values() for rel in judged.values()}
    assert grades <= {1, 2}, grades


def test_citation_queries_judge_exactly_the_cited_unit(queries, qrels):
    for q in queries:
        if q.kind == "cite":
            assert list(qrels[q.qid].values()) == [2], (q.qid, qrels[q.qid])


def test_query_ids_are_unique_slugs(queries):
    for q in queries:
        assert re.fullmatch(r"(cite|q|xvocab)-[a-z0-9-]+", q.qid), q.qid


def test_pairs_relate_two_jurisdictions_with_a_rationale(pairs):
    for p in pairs:
        rel = Relationship.parse(p.relationship)
        assert rel.is_counterpart, f"{p.key}: {rel.value} is not a counterpart relationship"
        assert len(p.note.split()) >= 4, f"{p.key}: give a short rationale in the note"
        left, right = doc_jurisdiction(p.left_id), doc_jurisdiction(p.right_id)
        assert left != right, p.key
        # the conventions: US on the left of any US pair, UK on the left of UK-EU, the FSB always on the right
        if "US" in (left, right):
            assert left == "US", p.key
        if {left, right} == {"UK", "EU"}:
            assert left == "UK", p.key
        assert left != "INTL", p.key
    assert len({p.key for p in pairs}) == len(pairs)


def test_pairs_cover_every_pair_of_jurisdictions(pairs):
    count = Counter((doc_jurisdiction(p.left_id), doc_jurisdiction(p.right_id)) for p in pairs)
    assert count["US", "UK"] >= 10 and count["US", "EU"] >= 10 and count["UK", "EU"] >= 10, count
    assert sum(n for (_, right), n in count.items() if right == "INTL") >= 4, count


def test_split_covers_everything_and_nothing_else(queries, pairs, split):
    expected = {q.qid for q in queries} | {pair_key(p.left_id, p.right_id) for p in pairs}
    assert set(split) == expected, (sorted(set(split) - expected)[:5], sorted(expected - set(split))[:5])


def test_split_has_both_halves_of_every_kind(queries, pairs, split):
    halves = defaultdict(Counter)
    for q in queries:
        halves[q.kind][split.get(q.qid, "none")] += 1
    for p in pairs:
        halves["pair"][split.get(p.key, "none")] += 1
    for kind in (*KINDS, "pair"):
        dev, test = halves[kind]["dev"], halves[kind]["test"]
        assert dev and test, (kind, halves[kind])
        assert abs(dev - test) <= max(2, (dev + test) // 10), (kind, halves[kind])


def test_split_is_stratified_by_kind_and_jurisdiction(queries, split):
    strata = defaultdict(Counter)
    for q in queries:
        strata[q.kind, q.jurisdiction][split.get(q.qid, "none")] += 1
    for stratum, halves in strata.items():
        assert abs(halves["dev"] - halves["test"]) <= 1, (stratum, halves)


def test_split_keeps_the_counterparts_of_one_provision_together(pairs, split):
    """The evaluation asks one query per left provision and jurisdiction: its answers must share a half."""
    halves = defaultdict(set)
    for p in pairs:
        halves[p.left_id, doc_jurisdiction(p.right_id)].add(split.get(p.key, "none"))
    assert all(len(h) == 1 for h in halves.values()), {k: h for k, h in halves.items() if len(h) > 1}


# --- against the corpus -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stored(corpus_store):
    """{provision id: (jurisdiction, parent id)} for the whole corpus store."""
    rows = corpus_store.conn.execute("SELECT id, jurisdiction, parent_id FROM provisions")
    return {pid: (jur, parent) for pid, jur, parent in rows}


def test_every_gold_id_is_a_provision_of_the_corpus(stored, qrels, pairs):
    gold = {pid for judged in qrels.values() for pid in judged} | {p.left_id for p in pairs} | {
        p.right_id for p in pairs}
    missing = sorted(gold - set(stored))
    assert not missing, f"{len(missing)} gold ids are not in the corpus store, e.g. {missing[:5]}"


def test_the_store_refuses_an_unknown_id(corpus_store):
    from crosswalk.errors import NotFoundError

    with pytest.raises(NotFoundError):
        corpus_store.get("US-PL119-27-GENIUS:sec.99(z)")


def test_jurisdictions_in_the_gold_match_the_store(stored, queries, qrels, pairs):
    for q in queries:
        if q.jurisdiction:
            outside = [pid for pid in qrels[q.qid] if stored[pid][0] != q.jurisdiction]
            assert not outside, f"{q.qid} filters on {q.jurisdiction} but judges {outside}"
    for p in pairs:
        assert stored[p.left_id][0] == doc_jurisdiction(p.left_id), p.left_id
        assert stored[p.right_id][0] == doc_jurisdiction(p.right_id), p.right_id


def test_no_query_judges_a_unit_and_its_ancestor(stored, qrels):
    """Judge the unit that answers: a judged ancestor would already collect every retrieved descendant."""
    for qid, judged in qrels.items():
        for pid in judged:
            parent = stored[pid][1]
            while parent:
                assert parent not in judged, f"{qid} judges both {pid} and its ancestor {parent}"
                parent = stored[parent][1]


def test_no_query_copies_its_answer(corpus_store, queries, qrels):
    copied = []
    for q in queries:
        if q.kind == "cite":
            continue
        for pid in qrels[q.qid]:
            run = longest_shared_run(q.text, corpus_store.subtree_text(pid))
            if run >= COPY_LIMIT:
                copied.append((q.qid, pid, run))
    assert not copied, f"queries repeating {COPY_LIMIT}+ words of their answers (rephrase them): {copied}"
