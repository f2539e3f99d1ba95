"""Grow the query gold by pooling: judge what the retrievers show that the gold has not judged yet.

The gold judges a few units per query, so most of a ranking's first ten units carry no judgement and count
as not relevant (`judged@10` in the report). Pooling, as TREC builds its collections, fixes that a little at
a time:

1. `crosswalk eval --pool pool.tsv` writes, for every scored query, the units that any retriever put in its
   first ten (after the roll-up) and the gold does not judge, once each and in id order, so whoever judges
   them cannot tell which retriever found them or at what rank;
2. a judge fills the `relevance` column: 2 answers the query, 1 partly, 0 not; a row left empty stays
   unjudged;
3. `crosswalk eval --judged pool.tsv` scores with those judgements added to the gold's (the gold's own
   judgement wins where both judge a unit), and `format_qrels(merge_judgements(...)[0])` turns them into
   qrels lines for `evaluation/gold/qrels.txt` once they are reviewed.

The pair gold grows the same way through the review queue: reviewers' decisions on the matching candidates
(`--with-decisions`).

| column | what |
| --- | --- |
| `qid` | the gold query |
| `provision_id` | the unit to judge |
| `relevance` | empty in a new pool; 0, 1 or 2 once judged |
| `jurisdiction`, `query` | the query's filter and text, repeated on each row so a row reads on its own |
| `citation`, `headings`, `text` | the unit's citation, its heading path (` › `) and the start of its text (at most `EXCERPT_CHARS`, on one line) |

Example:
    pool = judging_pool(result)            # {qid: [provision id, ...]} from an EvalResult
    write_pool("pool.tsv", pool, queries, store)
    extra = load_judged("pool.tsv")        # after judging
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from crosswalk.errors import ConfigError, NotFoundError
from evaluation.gold_io import Qrels, Query, query_kind

if TYPE_CHECKING:  # pragma: no cover
    from evaluation.run import EvalResult
    from ingest.store import Store

COLUMNS = ("qid", "provision_id", "relevance", "jurisdiction", "query", "citation", "headings", "text")
REQUIRED = ("qid", "provision_id", "relevance")
GRADES = {"0": 0, "1": 1, "2": 2}
EXCERPT_CHARS = 600
SKIP_KINDS = ("cite",)  # a bare citation's answer is the cited provision: nothing else to judge


def judging_pool(result: "EvalResult") -> dict[str, list[str]]:
    """`{qid: [provision id, …]}`: the units in any query system's first ten that the gold does not judge,
    each once, sorted by id (so the order says nothing about who found them); queries with none, and bare
    citation queries (`SKIP_KINDS`), are left out.
    """
    pooled: dict[str, set[str]] = {}
    for scores in result.queries.values():
        for qid, units in scores.unjudged.items():
            if units and query_kind(qid) not in SKIP_KINDS:
                pooled.setdefault(qid, set()).update(units)
    return {qid: sorted(units) for qid, units in sorted(pooled.items())}


def _one_line(text: str, limit: int = EXCERPT_CHARS) -> str:
    """`text` on one line without tabs, cut at a word boundary to at most `limit` characters (… when cut).

    >>> _one_line("A firm\\tmust\\n  not pay interest", 12)
    'A firm must…'
    """
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if flat[limit - 1] != " ":  # mid-word: back to the last whole word
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def pool_tsv(pool: Mapping[str, Sequence[str]], queries: Sequence[Query], store: "Store") -> str:
    """The pool as a tab-separated file with a header (`COLUMNS`), `relevance` left empty."""
    by_qid = {q.qid: q for q in queries}
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for qid, units in pool.items():
        q = by_qid.get(qid)
        for pid in units:
            try:
                p = store.get(pid, with_entities=False)
            except NotFoundError:
                p = None
            writer.writerow([qid, pid, "", q.jurisdiction if q else "", _one_line(q.text) if q else "",
                             p.citation if p else "", _one_line(" › ".join(p.heading_path)) if p else "",
                             _one_line(p.text) if p else "(not in the store)"])
    return out.getvalue()


def write_pool(path: Path | str, pool: Mapping[str, Sequence[str]], queries: Sequence[Query],
               store: "Store") -> int:
    """Write the pool to `path` (whole or not at all) and return the number of units to judge."""
    path = Path(path)
    text = pool_tsv(pool, queries, store)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"cannot write the judging pool to {path}: {e}") from None
    return sum(len(units) for units in pool.values())


def load_judged(path: Path | str) -> Qrels:
    """The judgements of a pool file once judged: `{qid: {provision_id: relevance}}` for the rows whose
    `relevance` is 0, 1 or 2. Empty relevances are skipped; anything else, a missing column, or one unit
    judged twice with different relevances is a ConfigError naming the file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no judged pool at {path}: write one with `crosswalk eval --pool {path}` and judge it")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read judged pool {path}: {e}") from None
    reader = csv.DictReader(io.StringIO(text), delimiter="\t")
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
    if missing:
        raise ConfigError(f"{path}: no {', '.join(missing)} column(s) in the header; a pool file starts with "
                          f"{' <TAB> '.join(COLUMNS)}")
    out: Qrels = {}
    where: dict[tuple[str, str], int] = {}
    for row in reader:
        n = reader.line_num
        grade = (row.get("relevance") or "").strip()
        if not grade:
            continue
        qid, pid = (row.get("qid") or "").strip(), (row.get("provision_id") or "").strip()
        if not qid or not pid:
            raise ConfigError(f"{path}:{n}: a judged row needs its qid and provision_id")
        if grade not in GRADES:
            raise ConfigError(f"{path}:{n}: relevance {grade!r} of {pid} is not 0, 1 or 2 (2 answers the query, "
                              "1 partly, 0 not; leave it empty to skip the row)")
        judged = out.setdefault(qid, {})
        if pid in judged and judged[pid] != GRADES[grade]:
            raise ConfigError(f"{path}:{n}: {qid} judges {pid} {grade}, but line {where[(qid, pid)]} judged it "
                              f"{judged[pid]}; keep one")
        judged[pid] = GRADES[grade]
        where[(qid, pid)] = n
    return out


def merge_judgements(gold: Mapping[str, Mapping[str, int]], extra: Mapping[str, Mapping[str, int]]
                     ) -> tuple[Qrels, list[tuple[str, str]]]:
    """`(merged qrels, conflicts)`: `extra`'s judgements added to `gold`'s, the gold winning where both judge a
    unit (the `(qid, provision_id)` where they differ are returned); `extra` judgements of queries the gold does
    not know are kept (the run warns about queries without text).

    >>> merge_judgements({"q": {"a": 2}}, {"q": {"a": 0, "b": 1}, "r": {"c": 2}})
    ({'q': {'a': 2, 'b': 1}, 'r': {'c': 2}}, [('q', 'a')])
    """
    merged: Qrels = {q: dict(j) for q, j in gold.items()}
    conflicts = []
    for qid, judged in extra.items():
        target = merged.setdefault(qid, {})
        for pid, rel in judged.items():
            if pid in target:
                if target[pid] != rel:
                    conflicts.append((qid, pid))
                continue
            target[pid] = rel
    return merged, conflicts
