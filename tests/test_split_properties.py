"""Properties every splitter keeps, on every document of the corpus and on generated text:
every character of body text lands in exactly one provision, splitting is deterministic, ids are unique and
carry no white space, and parents exist in the same document."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crosswalk.ingest import readers, splitters
from crosswalk.ingest.models import Extracted, Source, make_id, split_id
from crosswalk.ingest.pipeline import to_provisions
from crosswalk.ingest.splitters.base import Mark, build, uncovered


@pytest.fixture(scope="module")
def corpus_docs(corpus_dir):
    from crosswalk.ingest.sources import load_manifest

    out = []
    for src in load_manifest(corpus_dir):
        out.append((src, readers.read(corpus_dir / src.file)))
    return out


def test_all_fifteen_documents_are_listed(corpus_docs):
    assert len(corpus_docs) == 15


def test_every_character_lands_in_exactly_one_unit(corpus_docs):
    for src, extracted in corpus_docs:
        result = splitters.split(src, extracted)
        assert result.units, src.id
        assert uncovered(extracted.text, result) == [], src.id
        # what is left out on purpose is small and says why
        left_out = sum(b - a for a, b, _ in result.excluded)
        assert left_out < 0.2 * len(extracted.text), (src.id, left_out, [r for *_, r in result.excluded][:5])
        assert all(reason for *_, reason in result.excluded)


def test_splitting_is_deterministic(corpus_docs):
    for src, extracted in corpus_docs:
        assert splitters.split(src, extracted) == splitters.split(src, extracted), src.id


def test_ids_unique_without_white_space_and_parents_exist(corpus_docs):
    for src, extracted in corpus_docs:
        provisions = to_provisions(src, extracted, splitters.split(src, extracted))
        ids = [p.id for p in provisions]
        assert len(ids) == len(set(ids)), src.id
        assert not any(any(c.isspace() for c in i) for i in ids), src.id
        known = set(ids)
        for p in provisions:
            assert p.parent_id is None or p.parent_id in known, (src.id, p.id, p.parent_id)
            if p.page_start is not None:
                assert 1 <= p.page_start <= p.page_end <= len(extracted.page_starts)
            assert extracted.text[p.char_start : p.char_end].strip() == p.text


def test_no_parent_cycles(corpus_docs):
    for src, extracted in corpus_docs:
        provisions = to_provisions(src, extracted, splitters.split(src, extracted))
        parent = {p.id: p.parent_id for p in provisions}
        for pid in parent:
            seen = set()
            while pid:
                assert pid not in seen, (src.id, pid)
                seen.add(pid)
                pid = parent[pid]


# --- generated text -----------------------------------------------------------------------------------------

words = st.text(alphabet=string.ascii_letters + " .,;()—‘’", min_size=0, max_size=60)
line = st.one_of(
    words,
    st.builds(lambda a, b, w: f"{a}.{b} {w}", st.integers(1, 12), st.integers(1, 40), words),
    st.builds(lambda w: f"# {w}", words),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(line, min_size=0, max_size=40), st.sampled_from(["md", "txt", "pdf"]))
def test_generic_splitter_partitions_any_text(lines, fmt):
    text = "\n".join(lines)
    pages = (0, len(text) // 2) if fmt == "pdf" and text else ()
    extracted = Extracted(text=text, page_starts=pages, format=fmt)
    src = Source(id="T-DOC", jurisdiction="UK")
    first = splitters.split(src, extracted)
    assert first == splitters.split(src, extracted)
    assert uncovered(text, first) == []
    cites = [u.citation for u in first.units]
    assert len(cites) == len(set(cites))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=1, max_size=15, unique=True))
def test_build_partitions_between_marks(starts):
    text = "".join(string.ascii_lowercase[i % 26] for i in range(520))
    starts = sorted(starts)
    result = build(text, [Mark(s, f"u{s}") for s in starts])
    assert "".join(u.text for u in result.units) == text[starts[0] :]
    assert uncovered(text, result) == []


citation = st.text(alphabet=string.ascii_letters + string.digits + ".()# ", min_size=1, max_size=30).filter(
    lambda c: c.strip() and "  " not in c and c == c.strip() and "_" not in c
)


@given(st.sampled_from(["US-PL119-27-GENIUS", "UK-FCA-CP25-14", "EU-MICA-2023-1114"]), citation)
def test_ids_round_trip(doc_id, cite):
    pid = make_id(doc_id, cite)
    assert not any(c.isspace() for c in pid)
    assert split_id(pid) == (doc_id, cite)


def test_id_examples():
    assert make_id("UK-FCA-CP25-14", "CASS 16.2.13R") == "UK-FCA-CP25-14:CASS_16.2.13R"
    assert make_id("UK-X", "sch.1 para.2") == "UK-X:sch.1_para.2"
    assert split_id("US-PL119-27-GENIUS:sec.4(a)(11)") == ("US-PL119-27-GENIUS", "sec.4(a)(11)")
