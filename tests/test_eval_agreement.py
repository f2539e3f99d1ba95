"""Reviewer agreement: Cohen's kappa and Krippendorff's alpha on textbook examples and on real decisions."""

from __future__ import annotations

import random
import sqlite3

import pytest

from crosswalk.errors import ConfigError
from crosswalk.evaluation.agreement import (
    agreement,
    cohen_kappa,
    current_decisions,
    format_agreement,
    krippendorff_alpha,
    label_of,
    workspace_agreement,
)
from crosswalk.ingest.models import Provision, Source, make_id
from crosswalk.ingest.store import Store
from crosswalk.review.decisions import DecisionStore


def test_cohen_kappa_wikipedia_example():
    """50 grant proposals: both yes 20, both no 15, A yes / B no 5, A no / B yes 10 -> p_o 0.7, p_e 0.5, κ 0.4."""
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_cohen_kappa_agrees_with_sklearn_and_skips_missing_labels():
    sklearn = pytest.importorskip("sklearn.metrics")
    rng = random.Random(5)
    labels = ["equal", "subset-of", "intersects-with", "not-related"]
    a = [rng.choice(labels) for _ in range(60)]
    b = [x if rng.random() < 0.6 else rng.choice(labels) for x in a]
    assert cohen_kappa(a, b) == pytest.approx(sklearn.cohen_kappa_score(a, b))
    assert cohen_kappa(a + [None, "equal"], b + ["equal", None]) == pytest.approx(cohen_kappa(a, b))


def test_cohen_kappa_undefined_and_errors():
    assert cohen_kappa(["x", "x"], ["x", "x"]) is None  # chance agreement 1
    assert cohen_kappa([None, "x"], ["y", None]) is None  # nothing shared
    with pytest.raises(ConfigError, match="differ in length"):
        cohen_kappa(["x"], ["x", "y"])


def test_krippendorff_alpha_textbook_example_with_missing_data():
    """Krippendorff (2011), 'Computing Krippendorff's alpha-reliability', example C: nominal alpha 0.743."""
    n = None
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    assert krippendorff_alpha(data) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_alpha_labels_and_undefined_cases():
    assert krippendorff_alpha([["a", "b", "a"], ["a", "b", "a"]]) == pytest.approx(1.0)
    assert krippendorff_alpha([["a", "a"], ["a", "a"]]) is None  # one label only
    assert krippendorff_alpha([["a", None], [None, "b"]]) is None  # nothing pairable
    assert krippendorff_alpha([]) is None


@pytest.fixture()
def decisions_db(tmp_path):
    us, uk = Source("US-T", "US"), Source("UK-T", "UK")
    with Store(tmp_path / "crosswalk.db") as store:
        for src, cites in ((us, ["sec.1", "sec.2", "sec.3", "sec.4"]), (uk, ["reg.1", "reg.2", "reg.3", "reg.4"])):
            provs = [Provision(make_id(src.id, c), src.id, src.jurisdiction, c, f"Text of {c} in {src.id}.", ordinal=i)
                     for i, c in enumerate(cites)]
            store.replace_document(src, provs, path="x", file_sha256="0", pipeline="t", splitter="t", pages=None)
    return tmp_path / "crosswalk.db"


def _pair(i):
    return f"US-T:sec.{i}", f"UK-T:reg.{i}"


def record_panel(db):
    """ana, bo and cy on four pairs; cy changes her mind on pair 2 and is unsure on pair 1."""
    with DecisionStore(db) as ds:
        for who, labels in {
            "ana": {1: "equal", 2: "subset-of", 3: "not-related", 4: "equal"},
            "bo": {1: "equal", 2: "equal", 3: "not-related"},
            "cy": {1: "unsure", 2: "equal", 4: "intersects-with"},
        }.items():
            for i, rel in labels.items():
                ds.record(*_pair(i), rel, who)
        ds.record(*_pair(2), "subset-of", "cy")


def test_agreement_from_decisions_hand_computed(decisions_db):
    record_panel(decisions_db)
    rel = agreement(current_decisions(decisions_db), "relationship")
    assert rel.reviewers == ("ana", "bo", "cy")
    assert (rel.items, rel.pairable) == (4, 4)
    kappas = {(k.a, k.b): (k.items, k.kappa) for k in rel.kappas}
    assert kappas[("ana", "bo")] == (3, pytest.approx(0.5))  # p_o 2/3, p_e 1/3
    assert kappas[("ana", "cy")] == (2, pytest.approx(1 / 3))  # p_o 1/2, p_e 1/4
    assert kappas[("bo", "cy")] == (1, pytest.approx(0.0))
    # coincidences: D_o = 4/9, D_e = 56/72 -> alpha = 1 - 4/7
    assert rel.alpha == pytest.approx(3 / 7)

    cp = agreement(current_decisions(decisions_db), "counterpart")
    assert cp.alpha == pytest.approx(1.0)
    assert {(k.a, k.b): k.kappa for k in cp.kappas} == {("ana", "bo"): pytest.approx(1.0), ("ana", "cy"): None,
                                                        ("bo", "cy"): None}
    text = format_agreement([rel, cp])
    assert "Krippendorff's alpha 0.429" in text and "ana × bo: Cohen's kappa 0.500 on 3 pairs" in text
    assert "undefined" in text


def test_agreement_needs_two_reviewers(decisions_db):
    assert workspace_agreement(decisions_db)[0].reviewers == ()  # no decisions yet: nothing, nothing written
    with sqlite3.connect(decisions_db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0
    with DecisionStore(decisions_db) as ds:
        ds.record(*_pair(1), "equal", "ana")
    result = workspace_agreement(decisions_db)
    assert result[0].alpha is None and result[0].kappas == ()
    assert "only ana has decided" in format_agreement(result)


def test_label_levels():
    assert label_of("intersects-with", "counterpart") == "counterpart"
    assert label_of("not-related", "counterpart") == "not-counterpart"
    assert label_of("unsure", "relationship") is None
    with pytest.raises(ConfigError, match="unknown agreement level"):
        label_of("equal", "strength")
