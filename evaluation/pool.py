"""Grow the query gold by pooling: judge what the retrievers show that the gold has not judged yet.

The gold judges a few units per query, so most of a ranking's first ten units carry no judgement and count
as not relevant (`judged@10` in the report). Pooling, as TREC builds its collections, fixes that a little at
a time:

1. `crosswalk eval --pool pool.tsv` writes, for every scored query, the units that any retriever put in its
   first ten (after the roll-up; `--pool-depth N` for another depth) and the gold does not judge, once each
   and in id order, so whoever judges them cannot tell which retriever found them or at what rank;
2. a judge fills the `relevance` column: 2 answers the query, 1 partly, 0 not; a row left empty stays
   unjudged;
3. `crosswalk eval --judged pool.tsv` scores with those judgements added to the gold's (the gold's own
   judgement wins where both judge a unit). The judged file is kept as it is, beside the gold: unlike
   `qrels.txt` it holds the 0s too, which is what keeps those units out of the next pool.

Only the innermost units are pooled. A unit that encloses another pooled unit, or a unit the gold judges for
the query, is left out: judged, it would take in every hit below it in the roll-up (a hit counts for its
nearest judged ancestor), and a judge grading a whole title or chapter is not grading what was shown.
Bare-citation queries are not pooled (their answer is the cited provision), so on a gold with citation
queries `judged@10` cannot reach 1.

The pair gold grows the same way through the review queue: reviewers' decisions on the matching candidates
(`--with-decisions`).

| column | what |
| --- | --- |
| `qid` | the gold query |
| `provision_id` | the unit to judge |
| `relevance` | empty in a new pool; 0, 1 or 2 once judged |
| `jurisdiction`, `query` | the query's filter and text, repeated on each row so a row reads on its own |
| `citation`, `headings`, `text` | the unit's citation, heading path (` › `) and the start of its text |
| `context` | the start of the enclosing provision's text (a list item such as "(1) is subject to—" reads with it) |

One row per line, tab-separated, never quoted: texts are cut to at most `EXCERPT_CHARS` characters on one
line without tabs. A spreadsheet may add quotes or columns, or save CRLF, UTF-8 with a BOM or UTF-16 text;
the reader takes all of those, skips blank, `#` and repeated header lines, and only reads `qid`,
`provision_id` and `relevance`.

Example:
    pool = judging_pool(result, qrels, Hierarchy.from_store(store))   # {qid: [provision id, ...]}
    write_pool("pool.tsv", pool, queries, store)
    extra = load_judged("pool.tsv")                                   # after judging
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from crosswalk.errors import ConfigError
from crosswalk.files import atomic_write
from crosswalk.evaluation.gold_io import Qrels, Query, add_judgement, check_id, query_kind, read_lines

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.evaluation.scores import EvalResult
    from crosswalk.ingest.store import Store

COLUMNS = ("qid", "provision_id", "relevance", "jurisdiction", "query", "citation", "headings", "text", "context")
REQUIRED = ("qid", "provision_id", "relevance")
EXCERPT_CHARS = 600
CONTEXT_CHARS = 300
SKIP_KINDS = ("cite",)  # a bare citation's answer is the cited provision: nothing else to judge


def judging_pool(result: "EvalResult", qrels: Mapping[str, Mapping[str, int]],
                 ancestors: Callable[[str], Sequence[str]], depth: int = 10) -> dict[str, list[str]]:
    """`{qid: [provision id, …]}`: the units in any query system's first `depth` (after roll-up) that the gold
    (`qrels`) does not judge, each once, sorted by id (so the order says nothing about who found them). Units
    enclosing another pooled or judged unit of the same query are left out (see the module's docstring), and so
    are queries of `SKIP_KINDS` and queries with nothing left. A smaller `depth` makes a shorter first round
    for a judge (the top of each ranking, where the metrics weigh most).
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ConfigError(f"pool depth must be a whole number of at least 1 (10 matches judged@10), got {depth!r}")
    pooled: dict[str, set[str]] = {}
    for scores in result.queries.values():
        for qid, ranking in scores.rolled.items():
            units = [u for u in ranking[:depth] if u not in qrels.get(qid, {})]
            if units and query_kind(qid) not in SKIP_KINDS:
                pooled.setdefault(qid, set()).update(units)
    out = {}
    for qid, units in sorted(pooled.items()):
        enclosing = {a for u in units | set(qrels.get(qid, {})) for a in ancestors(u)}
        kept = sorted(units - enclosing)
        if kept:
            out[qid] = kept
    return out


def one_line(text: str, limit: int = EXCERPT_CHARS) -> str:
    """`text` on one line without tabs, cut at a word boundary to at most `limit` characters (… when cut).

    >>> one_line("A firm\\tmust\\n  not pay interest", 12), one_line("short", 12)
    ('A firm must…', 'short')
    >>> one_line("Unbreakable" * 3, 12)
    'Unbreakable…'
    """
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if flat[limit - 1] != " " and " " in cut:  # mid-word: back to the last whole word
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def pool_tsv(pool: Mapping[str, Sequence[str]], queries: Sequence[Query], store: "Store") -> str:
    """The pool as tab-separated lines under a header (`COLUMNS`), `relevance` left empty."""
    by_qid = {q.qid: q for q in queries}
    ids = sorted({pid for units in pool.values() for pid in units})
    found = {p.id: p for p in store.get_many(ids)}
    parents = {p.id: p for p in store.get_many(sorted({p.parent_id for p in found.values() if p.parent_id}))}
    lines = ["\t".join(COLUMNS)]
    for qid, units in pool.items():
        q = by_qid.get(qid)
        for pid in units:
            p = found.get(pid)
            parent = parents.get(p.parent_id) if p and p.parent_id else None
            row = [qid, pid, "", q.jurisdiction if q else "", one_line(q.text) if q else "",
                   one_line(p.citation) if p else "", one_line(" › ".join(p.heading_path)) if p else "",
                   one_line(p.text) if p else "(not in the store)",
                   one_line(parent.text, CONTEXT_CHARS) if parent else ""]
            lines.append("\t".join(row))
    return "\n".join(lines) + "\n"


def judged_count(path: Path | str) -> int:
    """How many rows of the pool file at `path` carry a relevance (0 when there is no such file)."""
    path = Path(path)
    return sum(len(j) for j in load_judged(path).values()) if path.is_file() else 0


def check_pool_target(path: Path | str, judged_paths: Sequence[Path | str] = ()) -> Path:
    """`path` if a new pool may be written there: its folder exists, it is not one of the `--judged` files, and
    it holds no judgement yet (a judge's work is never overwritten). Else a ConfigError saying what to do."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ConfigError(f"cannot write the judging pool to {path}: no folder {path.parent}")
    if any(Path(j).resolve() == path.resolve() for j in judged_paths):
        raise ConfigError(f"{path} is read with --judged and would be overwritten by --pool; write the new pool to "
                          "another file")
    judged = judged_count(path)
    if judged:
        raise ConfigError(f"{path} already holds {judged:,} judgement(s); write the new pool to another file (or "
                          "move this one away) so the judging is not lost")
    return path


def write_pool(path: Path | str, pool: Mapping[str, Sequence[str]], queries: Sequence[Query],
               store: "Store") -> int:
    """Write the pool to `path` (whole or not at all; never over a file holding judgements, see
    `check_pool_target`) and return the number of units to judge."""
    path = check_pool_target(path)
    text = pool_tsv(pool, queries, store)
    try:
        atomic_write(path, text)
    except OSError as e:
        raise ConfigError(f"cannot write the judging pool to {path}: {e}") from None
    return sum(len(units) for units in pool.values())


def _grade(value: str, pid: str, path: Path, n: int) -> int:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if number not in (0.0, 1.0, 2.0):
        raise ConfigError(f"{path}:{n}: relevance {value!r} of {pid} is not 0, 1 or 2 (2 answers the query, "
                          "1 partly, 0 not; leave it empty to skip the row)")
    return int(number)


def load_judged(path: Path | str) -> Qrels:
    """The judgements of a pool file once judged: `{qid: {provision_id: relevance}}` for the rows whose
    `relevance` is filled in (0, 1 or 2; `2.0` from a spreadsheet is 2). Empty relevances are skipped; any
    other value, a bad id, a missing column, or one unit judged twice with different relevances is a
    ConfigError naming the file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no judged pool at {path}: write one with `crosswalk eval --pool {path}` and judge it")
    out: Qrels = {}
    where: dict[tuple[str, str], int] = {}
    col: dict[str, int] | None = None
    for n, line in read_lines(path, "judged pool"):
        fields = [f.strip().strip('"').strip() for f in line.split("\t")]
        if set(REQUIRED) <= set(fields):
            col = {name: fields.index(name) for name in REQUIRED}  # the header (again, if pools were joined)
            continue
        if col is None:
            raise ConfigError(f"{path}:{n}: no header with the columns {', '.join(REQUIRED)} before the first row; "
                              f"a pool file starts with {' <TAB> '.join(COLUMNS)}")
        get = {name: fields[i] if i < len(fields) else "" for name, i in col.items()}
        if not get["relevance"]:
            continue
        qid = check_id(get["qid"], path, n, "qid")
        pid = check_id(get["provision_id"], path, n, "provision_id")
        add_judgement(out, where, qid, pid, _grade(get["relevance"], pid, path, n), path, n)
    return out


def merge_judgements(gold: Mapping[str, Mapping[str, int]], extra: Mapping[str, Mapping[str, int]]
                     ) -> tuple[Qrels, list[tuple[str, str]]]:
    """`(merged qrels, conflicts)`: `extra`'s judgements added to `gold`'s, the gold's winning where both judge a
    unit (the `(qid, provision_id)` where they differ are returned); `extra` judgements of queries the gold does
    not know are kept (the run warns about queries without text). Merging several files in turn, the first
    file's judgement wins over a later one's.

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
