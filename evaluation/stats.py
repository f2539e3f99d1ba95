"""How sure a score is: bootstrap confidence intervals and paired significance tests over queries.

- `bootstrap_ci`: the percentile bootstrap (Efron & Tibshirani 1993, ch. 13) of a mean over queries —
  resample the queries with replacement `resamples` times, take the mean of each resample, and report the
  (1 − confidence)/2 and (1 + confidence)/2 quantiles. Seeded, so a run gives the same interval every time.
- `randomisation_test`: the paired randomisation (permutation) test of Fisher (1935) as recommended for IR by
  Smucker, Allan & Carterette (CIKM 2007): under the null hypothesis that two systems are interchangeable,
  each query's difference is as likely to have either sign. The two-sided p-value is the share of sign
  assignments whose mean difference is at least as far from 0 as the observed one — all 2^n of them when
  n ≤ `EXACT_MAX` queries, else `permutations` random ones (p = (hits + 1) / (permutations + 1)).
- `holm`: Holm's (1979) step-down adjustment when several pairs of systems are compared on the same queries.
- `compare` reports, beside the p-values, how large the difference is and how it is made: the bootstrap
  interval of the mean paired difference (same resampling as `bootstrap_ci`), and the queries on which `a`
  scores higher, lower, or the same as `b` (wins, losses, ties; differences within 1e-9 are ties).

Example:
    >>> lo, hi = bootstrap_ci([0.2, 0.4, 0.6, 0.8], resamples=200, seed=1)
    >>> lo <= 0.5 <= hi
    True
    >>> randomisation_test([0.5, 0.7, 0.1], [0.5, 0.7, 0.1])
    1.0
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping, Sequence

from crosswalk.errors import ConfigError

RESAMPLES = 1000
PERMUTATIONS = 10_000
CONFIDENCE = 0.95
SEED = 0
EXACT_MAX = 13  # 2^13 = 8,192 sign assignments: enumerate them all rather than sample
_TOLERANCE = 1e-12  # a permuted mean "as extreme" as the observed one, up to floating-point noise
TIE = 1e-9  # per-query differences this small are ties (metric values from ir-measures are exact to ~1e-15)


def _array(values: Sequence[float], what: str):
    import numpy as np

    a = np.asarray(values, dtype=float)
    if a.ndim != 1:
        raise ConfigError(f"{what} must be one value per query, got an array of shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ConfigError(f"{what} holds a NaN or an infinity; every query needs a finite score")
    return a


def bootstrap_ci(
    values: Sequence[float], resamples: int = RESAMPLES, confidence: float = CONFIDENCE, seed: int = SEED
) -> tuple[float, float]:
    """The percentile-bootstrap confidence interval of the mean of `values` (one per query).

    One value gives `(v, v)`; none gives `(nan, nan)`.

    >>> bootstrap_ci([0.3]), bootstrap_ci([0.5, 0.5, 0.5], resamples=50)
    ((0.3, 0.3), (0.5, 0.5))
    """
    import numpy as np

    if not 0 < confidence < 1:
        raise ConfigError(f"confidence {confidence} must be between 0 and 1 (e.g. 0.95)")
    if resamples < 1:
        raise ConfigError(f"resamples is {resamples}; use at least 1 (1,000 is usual)")
    a = _array(values, "values")
    if len(a) == 0:
        return float("nan"), float("nan")
    if len(a) == 1 or np.all(a == a[0]):
        return float(a[0]), float(a[0])
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    chunk = max(1, 2_000_000 // len(a))  # bound memory: at most ~2 M indices at once
    for start in range(0, resamples, chunk):
        n = min(chunk, resamples - start)
        means[start : start + n] = a[rng.integers(0, len(a), size=(n, len(a)))].mean(axis=1)
    tail = (1 - confidence) / 2
    lo, hi = np.quantile(means, [tail, 1 - tail])
    return float(lo), float(hi)


def randomisation_test(
    a: Sequence[float], b: Sequence[float], permutations: int = PERMUTATIONS, seed: int = SEED
) -> float:
    """Two-sided p-value of the paired randomisation test that systems `a` and `b` (per-query scores, same
    queries in the same order) have the same mean. Identical scores give 1.0; no queries give NaN.

    >>> randomisation_test([1.0] * 20, [0.0] * 20) < 0.001
    True
    >>> randomisation_test([1.0, 0.0], [0.0, 1.0])  # exact: 2 of the 4 sign flips are as extreme
    1.0
    """
    import numpy as np

    x, y = _array(a, "a"), _array(b, "b")
    if len(x) != len(y):
        raise ConfigError(f"paired scores differ in length ({len(x)} and {len(y)}): score both systems on the "
                          "same queries")
    if permutations < 1:
        raise ConfigError(f"permutations is {permutations}; use at least 1 (10,000 is usual)")
    n = len(x)
    if n == 0:
        return float("nan")
    d = x - y
    observed = abs(d.mean())
    if n <= EXACT_MAX:
        codes = np.arange(2**n)[:, None]
        signs = 1 - 2 * ((codes >> np.arange(n)) & 1)  # every assignment of ±1 to the n differences
        means = np.abs((signs * d).mean(axis=1))
        return float(np.mean(means >= observed - _TOLERANCE))
    rng = np.random.default_rng(seed)
    hits = 0
    chunk = max(1, 2_000_000 // n)
    for start in range(0, permutations, chunk):
        m = min(chunk, permutations - start)
        signs = rng.choice(np.array([-1.0, 1.0]), size=(m, n))
        hits += int(np.sum(np.abs((signs * d).mean(axis=1)) >= observed - _TOLERANCE))
    return float((hits + 1) / (permutations + 1))


def holm(pvalues: Mapping[str, float]) -> dict[str, float]:
    """Holm–Bonferroni adjusted p-values, same keys; NaN p-values stay NaN and do not count as tests.

    >>> holm({"a": 0.01, "b": 0.04, "c": 0.03})
    {'a': 0.03, 'b': 0.06, 'c': 0.06}
    """
    import math

    items = sorted(((p, k) for k, p in pvalues.items() if not math.isnan(p)), key=lambda x: x[0])
    m = len(items)
    out = {k: float("nan") for k in pvalues}
    running = 0.0
    for i, (p, k) in enumerate(items):
        running = max(running, min(1.0, (m - i) * p))
        out[k] = round(running, 12)
    return out


@dataclass(frozen=True)
class Comparison:
    """System `a` against system `b` on one metric over the same `n` queries: `diff` = mean(a) − mean(b),
    `diff_ci` its bootstrap interval, `wins`/`losses`/`ties` the queries where `a` scores above, below or
    level with `b`."""

    a: str
    b: str
    metric: str
    n: int
    mean_a: float
    mean_b: float
    diff: float
    p: float
    p_holm: float
    test: str
    diff_ci: tuple[float, float] = (float("nan"), float("nan"))
    wins: int = 0
    losses: int = 0
    ties: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def wins_losses_ties(a: Sequence[float], b: Sequence[float]) -> tuple[int, int, int]:
    """Queries where `a` scores above `b`, below it, and level (within `TIE`).

    >>> wins_losses_ties([1.0, 0.5, 0.2, 0.3], [0.0, 0.5, 0.4, 0.3 + 1e-12])
    (1, 1, 2)
    """
    if len(a) != len(b):
        raise ConfigError(f"paired scores differ in length ({len(a)} and {len(b)}): score both systems on the "
                          "same queries")
    d = [x - y for x, y in zip(a, b)]
    return sum(x > TIE for x in d), sum(x < -TIE for x in d), sum(abs(x) <= TIE for x in d)


def compare(
    systems: Mapping[str, Sequence[float]],
    metric: str,
    pairs: Sequence[tuple[str, str]] | None = None,
    permutations: int = PERMUTATIONS,
    seed: int = SEED,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
) -> list[Comparison]:
    """Paired randomisation tests between systems (per-query scores over the same queries, same order), with
    Holm-adjusted p-values over the comparisons made, the bootstrap interval of each mean difference, and
    wins, losses and ties. `pairs` defaults to every pair, in the order given.

    >>> c = compare({"hybrid": [1, 1, 0, 1], "bm25": [0, 1, 0, 0]}, "nDCG@10")[0]
    >>> (c.a, c.b, c.diff, c.p, (c.wins, c.losses, c.ties))
    ('hybrid', 'bm25', 0.5, 0.5, (2, 0, 2))
    """
    names = list(systems)
    if pairs is None:
        pairs = [(names[i], names[j]) for i in range(len(names)) for j in range(i + 1, len(names))]
    for a, b in pairs:
        for s in (a, b):
            if s not in systems:
                raise ConfigError(f"no scores for system {s!r} to compare; systems are {', '.join(names)}")
    raw: dict[str, float] = {}
    rows = []
    for a, b in pairs:
        xa, xb = list(systems[a]), list(systems[b])
        p = randomisation_test(xa, xb, permutations, seed)
        n = len(xa)
        mean_a = sum(xa) / n if n else float("nan")
        mean_b = sum(xb) / n if n else float("nan")
        raw[f"{a}|{b}"] = p
        diff_ci = bootstrap_ci([x - y for x, y in zip(xa, xb)], resamples, confidence, seed)
        rows.append((a, b, n, mean_a, mean_b, p, diff_ci, wins_losses_ties(xa, xb)))
    adjusted = holm(raw)
    test = "paired randomisation (exact)" if rows and rows[0][2] <= EXACT_MAX else (
        f"paired randomisation ({permutations:,} sign flips, seed {seed})")
    return [
        Comparison(a, b, metric, n, float(ma), float(mb), float(ma - mb), float(p), adjusted[f"{a}|{b}"], test,
                   diff_ci, *wlt)
        for a, b, n, ma, mb, p, diff_ci, wlt in rows
    ]
