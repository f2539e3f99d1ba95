"""Place new gold queries and pairs in the dev or test half by the rule in `evaluation/gold/README.md`, without
moving anything already placed.

- Queries: stratum = (kind, jurisdiction filter). New queries of a stratum are taken in sha1 order of their
  qid; each goes to the half with fewer queries of its stratum, a tie to the half with fewer queries of its
  kind, a further tie to `test` then `dev` in turn (the alternation of the original deal).
- Pairs: stratum = (left jurisdiction, right jurisdiction). All pairs of one left provision towards one
  jurisdiction form a group that the evaluation asks as one query; a group already placed keeps its half,
  and each new group (in sha1 order of its first key) goes to the half with fewer pairs of its stratum, a tie
  to the half with fewer pairs overall.

Example: new = place_new(load_queries(), load_pairs(), load_split()); append the rows of `new` to split.tsv.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from typing import Sequence

from crosswalk.evaluation.gold_io import Pair, Query


def _sha(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


def _jurisdiction(provision_id: str) -> str:
    return provision_id.split("-", 1)[0]


def place_new(queries: Sequence[Query], pairs: Sequence[Pair], split: dict[str, str]) -> dict[str, str]:
    """`{key: half}` for every query id and pair key that `split` does not place yet."""
    out: dict[str, str] = {}
    strata: dict[tuple, Counter] = defaultdict(Counter)
    kinds: dict[str, Counter] = defaultdict(Counter)
    for q in queries:
        if q.qid in split:
            strata[q.kind, q.jurisdiction][split[q.qid]] += 1
            kinds[q.kind][split[q.qid]] += 1
    turn = 0
    for q in sorted((q for q in queries if q.qid not in split), key=lambda q: (q.kind, q.jurisdiction, _sha(q.qid))):
        s, k = strata[q.kind, q.jurisdiction], kinds[q.kind]
        if s["dev"] != s["test"]:
            half = "dev" if s["dev"] < s["test"] else "test"
        elif k["dev"] != k["test"]:
            half = "dev" if k["dev"] < k["test"] else "test"
        else:
            half, turn = ("test", "dev")[turn % 2], turn + 1
        out[q.qid] = half
        s[half] += 1
        k[half] += 1

    groups: dict[tuple[str, str], list[Pair]] = defaultdict(list)
    for p in pairs:
        groups[p.left_id, _jurisdiction(p.right_id)].append(p)
    by_stratum: dict[tuple[str, str], Counter] = defaultdict(Counter)
    overall: Counter = Counter()
    for p in pairs:
        if p.key in split:
            by_stratum[_jurisdiction(p.left_id), _jurisdiction(p.right_id)][split[p.key]] += 1
            overall[split[p.key]] += 1
    for (left, right), members in sorted(groups.items(), key=lambda g: _sha(g[1][0].key)):
        new = [p for p in members if p.key not in split]
        if not new:
            continue
        placed = {split[p.key] for p in members if p.key in split}
        if placed:
            half = placed.pop()
        else:
            s = by_stratum[_jurisdiction(left), right]
            if s["dev"] != s["test"]:
                half = "dev" if s["dev"] < s["test"] else "test"
            else:
                half = "dev" if overall["dev"] < overall["test"] else "test"
        for p in new:
            out[p.key] = half
            by_stratum[_jurisdiction(left), right][half] += 1
            overall[half] += 1
    return out
