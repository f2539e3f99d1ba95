"""Reviewer agreement on the crosswalk: Cohen's kappa for each two reviewers, Krippendorff's alpha for all.

The items are provision pairs; each reviewer's label for a pair is the relationship of their *current*
decision on it (`DecisionStore.current()`: their latest). `unsure` is no label (the reviewer has not
decided), and a pair a reviewer never saw is a missing label: both are allowed.

Two levels of measurement, both nominal:

- `relationship`: the OLIR relationship itself (`equal`, `subset-of`, `superset-of`, `intersects-with`,
  `not-related`) — do reviewers agree on *how* two provisions relate?
- `counterpart`: whether the pair is a counterpart at all (any relationship but `not-related`) — do they
  agree on *whether* two provisions relate?

Formulas:

- Cohen (1960): κ = (p_o − p_e) / (1 − p_e) over the items both reviewers labelled, with p_o their share of
  equal labels and p_e = Σ_k p_a(k)·p_b(k) the agreement expected from each reviewer's own label frequencies.
  Undefined (None) when p_e = 1: both used one and the same label throughout.
- Krippendorff (2011, "Computing Krippendorff's alpha-reliability"): α = 1 − D_o / D_e from the coincidence
  matrix of every pairable value (items with at least two labels), any number of reviewers, missing labels
  allowed; computed by the `krippendorff` package. Undefined (None) with fewer than two distinct labels.

Example:
    >>> cohen_kappa(["yes", "yes", "no", "no"], ["yes", "no", "no", "no"])
    0.5
    >>> round(krippendorff_alpha([["a", "a", "b", None], ["a", "b", "b", "b"]]), 3)
    0.444
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Hashable, Iterable, Sequence

from crosswalk.errors import ConfigError

LEVELS = ("relationship", "counterpart")
Label = Hashable


def cohen_kappa(a: Sequence[Label | None], b: Sequence[Label | None]) -> float | None:
    """Cohen's kappa of two reviewers' labels for the same items (None = not labelled; such items are left
    out). None when no item has both labels, or when chance agreement is 1.

    Wikipedia's worked example (50 proposals; both yes 20, both no 15, only A yes 5, only B yes 10): 0.4.

    >>> a = ["yes"] * 25 + ["no"] * 25
    >>> b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    >>> round(cohen_kappa(a, b), 10)
    0.4
    >>> cohen_kappa(["x", "x"], ["x", "x"]) is None, cohen_kappa([None], ["x"]) is None
    (True, True)
    """
    if len(a) != len(b):
        raise ConfigError(f"the two reviewers' label lists differ in length ({len(a)} and {len(b)}): give one "
                          "label (or None) per item to each")
    both = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
    n = len(both)
    if n == 0:
        return None
    observed = sum(x == y for x, y in both) / n
    ca, cb = Counter(x for x, _ in both), Counter(y for _, y in both)
    expected = sum(ca[k] * cb.get(k, 0) for k in ca) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


def krippendorff_alpha(table: Sequence[Sequence[Label | None]]) -> float | None:
    """Krippendorff's alpha, nominal, for a reliability table: one row per reviewer, one column per item, None
    for a missing label. None when fewer than two distinct labels are pairable (alpha is undefined).

    Krippendorff's (2011) example C — 4 observers, 12 units, missing data — gives 0.743 for nominal data:

    >>> n = None
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n], [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
    ...         [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n], [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n]]
    >>> round(krippendorff_alpha(data), 3)
    0.743
    """
    import numpy as np

    rows = [list(r) for r in table]
    if not rows:
        return None
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ConfigError("every reviewer's row of the reliability table needs one entry (or None) per item")
    pairable = [[r[j] for r in rows if r[j] is not None] for j in range(width)]
    pairable = [col for col in pairable if len(col) >= 2]
    values = {v for col in pairable for v in col}
    if len(values) < 2:
        return None
    code = {v: i for i, v in enumerate(sorted(values, key=repr))}
    all_values = {v for r in rows for v in r if v is not None}
    for v in all_values - set(code):
        code[v] = len(code)
    data = np.array([[np.nan if v is None else code[v] for v in r] for r in rows], dtype=float)
    import krippendorff

    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


@dataclass(frozen=True)
class PairKappa:
    """Cohen's kappa of reviewers `a` and `b` over the `items` both labelled, with their raw agreement."""

    a: str
    b: str
    items: int
    observed: float
    kappa: float | None

    def to_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "items": self.items, "observed": self.observed, "kappa": self.kappa}


@dataclass(frozen=True)
class Agreement:
    """Agreement among the reviewers at one level (`relationship` or `counterpart`).

    - `items`: pairs with at least one label; `pairable`: pairs with two or more (the ones alpha uses).
    - `alpha`: Krippendorff's alpha (nominal) over every reviewer; None when undefined.
    - `kappas`: Cohen's kappa for each two reviewers who labelled a pair in common.
    - `stale`: labels from decisions whose provisions changed since (still counted).
    """

    level: str
    reviewers: tuple[str, ...]
    items: int
    pairable: int
    alpha: float | None
    kappas: tuple[PairKappa, ...] = ()
    stale: int = 0
    labels: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "level": self.level,
            "reviewers": list(self.reviewers),
            "items": self.items,
            "pairable": self.pairable,
            "alpha": self.alpha,
            "kappas": [k.to_dict() for k in self.kappas],
            "stale": self.stale,
            "labels": dict(self.labels),
        }


def label_of(relationship: str, level: str) -> str | None:
    """A decision's label at `level`: the relationship, or counterpart/not-counterpart; None for unsure.

    >>> label_of("subset-of", "relationship"), label_of("subset-of", "counterpart"), label_of("unsure", "counterpart")
    ('subset-of', 'counterpart', None)
    """
    from crosswalk.vocab import Relationship

    rel = Relationship.parse(relationship)
    if rel is Relationship.UNSURE:
        return None
    if level == "relationship":
        return rel.value
    if level == "counterpart":
        return "counterpart" if rel.is_counterpart else "not-counterpart"
    raise ConfigError(f"unknown agreement level {level!r}: use one of {', '.join(LEVELS)}")


def reliability_table(
    decisions: Iterable, level: str = "relationship"
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], list[list[str | None]], int]:
    """(reviewers, items, table, stale) from decisions: each reviewer's latest decision per pair.

    `table[i][j]` is reviewer `i`'s label for item `j` (None if none). Reviewers and items are sorted.
    `decisions` may hold superseded rows (`DecisionStore.all()`): the highest `seq` per pair and reviewer wins.
    """
    latest: dict[tuple[str, str, str], object] = {}
    for d in sorted(decisions, key=lambda d: d.seq):
        latest[(d.left_id, d.right_id, d.reviewer)] = d
    labels: dict[tuple[str, str, str], str] = {}
    stale = 0
    for key, d in latest.items():
        lab = label_of(d.relationship, level)
        if lab is not None:
            labels[key] = lab
            stale += bool(getattr(d, "stale", False))
    reviewers = tuple(sorted({k[2] for k in labels}))
    items = tuple(sorted({(k[0], k[1]) for k in labels}))
    table = [[labels.get((left, right, r)) for left, right in items] for r in reviewers]
    return reviewers, items, table, stale


def agreement(decisions: Iterable, level: str = "relationship") -> Agreement:
    """Kappa for each two reviewers and alpha over all, from decisions (current or full history).

    Example: agreement(DecisionStore(ws.db_path).current(), "counterpart").alpha
    """
    if level not in LEVELS:
        raise ConfigError(f"unknown agreement level {level!r}: use one of {', '.join(LEVELS)}")
    reviewers, items, table, stale = reliability_table(decisions, level)
    pairable = sum(1 for j in range(len(items)) if sum(row[j] is not None for row in table) >= 2)
    kappas = []
    for i in range(len(reviewers)):
        for j in range(i + 1, len(reviewers)):
            shared = [(x, y) for x, y in zip(table[i], table[j]) if x is not None and y is not None]
            if not shared:
                continue
            observed = sum(x == y for x, y in shared) / len(shared)
            kappas.append(PairKappa(reviewers[i], reviewers[j], len(shared), observed,
                                    cohen_kappa([x for x, _ in shared], [y for _, y in shared])))
    alpha = krippendorff_alpha(table) if len(reviewers) >= 2 and pairable else None
    counts = Counter(v for row in table for v in row if v is not None)
    return Agreement(level, reviewers, len(items), pairable, alpha, tuple(kappas), stale, dict(sorted(counts.items())))


def _fmt(x: float | None) -> str:
    return "undefined" if x is None else f"{x:.3f}"


def format_agreement(results: Sequence[Agreement]) -> str:
    """Plain-text lines for the command line: alpha per level, then kappa for each two reviewers.

    An empty result (fewer than two reviewers) says what is needed.
    """
    lines = []
    for a in results:
        if len(a.reviewers) < 2:
            who = f"only {a.reviewers[0]}" if a.reviewers else "no reviewer"
            lines.append(f"{a.level}: {who} has decided a pair; agreement needs two or more reviewers on the same "
                         "pairs")
            continue
        stale = f", {a.stale} stale" if a.stale else ""
        lines.append(f"{a.level}: Krippendorff's alpha {_fmt(a.alpha)} ({len(a.reviewers)} reviewers, "
                     f"{a.pairable} of {a.items} pairs decided by two or more{stale})")
        for k in a.kappas:
            lines.append(f"  {k.a} × {k.b}: Cohen's kappa {_fmt(k.kappa)} on {k.items} pairs "
                         f"(raw agreement {k.observed:.0%})")
        if not a.kappas:
            lines.append("  no two reviewers decided the same pair")
        elif few_pairs(a):
            lines.append(f"  {few_pairs(a)}")
    return "\n".join(lines)


FEW = 50  # below this many pairs decided by two or more reviewers, agreement figures are rough


def few_pairs(a: Agreement) -> str:
    """A caution when `a` rests on fewer than `FEW` pairs decided by two or more reviewers; "" otherwise.

    >>> few_pairs(Agreement("relationship", ("ana", "bo"), 9, 6, 0.4))
    'only 6 pairs decided by two or more reviewers: a rough figure, each new decision can move it a lot'
    """
    if len(a.reviewers) < 2 or not a.pairable or a.pairable >= FEW:
        return ""
    return (f"only {a.pairable} pairs decided by two or more reviewers: a rough figure, each new decision can "
            "move it a lot")


def current_decisions(database) -> list:
    """Every reviewer's current decisions in the workspace database (a SQLite path or a PostgreSQL URL); []
    when no one has decided anything yet."""
    from pathlib import Path

    from crosswalk.db import is_url
    from crosswalk.errors import StoreError
    from crosswalk.review.decisions import DecisionStore

    if not is_url(database) and not Path(database).exists():
        raise StoreError(f"no store at {database}: run `crosswalk ingest` first")
    with DecisionStore(database) as ds:
        return ds.current()


def workspace_agreement(db_path) -> list[Agreement]:
    """Agreement at both levels (`relationship`, `counterpart`) from a workspace's current decisions."""
    decisions = current_decisions(db_path)
    return [agreement(decisions, level) for level in LEVELS]
