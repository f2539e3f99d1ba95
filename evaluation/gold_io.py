"""Read the gold files of `evaluation/gold/`: queries, qrels, cross-jurisdiction pairs and the dev/test split.

| file | format |
| --- | --- |
| `queries.tsv` | `qid<TAB>jurisdiction<TAB>text`; jurisdiction empty for no filter; optional header line `qid …` |
| `qrels.txt` | TREC: `qid 0 provision_id relevance` (2 = answers the query, 1 = partly, 0 = judged not relevant) |
| `pairs.csv` | header `left_id,right_id,relationship,note`; relationship from the OLIR vocabulary (`equal`, …) |
| `split.tsv` | `qid<TAB>split` (`dev` or `test`); a pair's key is `pair:{left_id}|{right_id}` |

Blank lines and lines starting with `#` are skipped everywhere. Every reading error names the file, the line
and the fix (`ConfigError`). Query ids name their kind before the first hyphen: `cite-…` (a citation),
`q-…` (a question in the corpus's words), `xvocab-…` (a question in other words than the corpus's).

Example:
    queries = load_queries(GOLD_DIR / "queries.tsv"); qrels = load_qrels(GOLD_DIR / "qrels.txt")
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

from crosswalk.errors import ConfigError
from crosswalk.files import read_text
from crosswalk.vocab import RELEVANCE
from crosswalk.ingest.models import Jurisdiction

GOLD_DIR = Path(__file__).resolve().parent / "gold"
QUERIES_FILE = GOLD_DIR / "queries.tsv"
QRELS_FILE = GOLD_DIR / "qrels.txt"
PAIRS_FILE = GOLD_DIR / "pairs.csv"
SPLIT_FILE = GOLD_DIR / "split.tsv"
SPLITS = ("dev", "test", "all")

Qrels = dict[str, dict[str, int]]


@dataclass(frozen=True)
class Query:
    """One gold query: `qid`, the `text` to search for, and a `jurisdiction` filter ("" for none)."""

    qid: str
    text: str
    jurisdiction: str = ""

    @property
    def kind(self) -> str:
        """The query's kind, from its id: `Query("cite-3", "CASS 16.2.13R").kind == "cite"`."""
        return query_kind(self.qid)


@dataclass(frozen=True)
class Pair:
    """A gold cross-jurisdiction pair: `left_id` relates to `right_id` as `relationship` (OLIR vocabulary)."""

    left_id: str
    right_id: str
    relationship: str
    note: str = ""

    @property
    def key(self) -> str:
        """The pair's id in `split.tsv`: `pair:{left_id}|{right_id}`."""
        return pair_key(self.left_id, self.right_id)

    @property
    def relevance(self) -> int | None:
        """2 for equal/subset-of/superset-of, 1 for intersects-with, 0 for not-related, None for unsure."""
        return RELEVANCE.get(self.relationship)


def query_kind(qid: str) -> str:
    """The kind a query id names before its first hyphen (the whole id when it has none).

    >>> query_kind("cite-007"), query_kind("xvocab-12"), query_kind("q-3"), query_kind("pair:US-X:sec.1@UK")
    ('cite', 'xvocab', 'q', 'pair')
    """
    if qid.startswith("pair:"):
        return "pair"
    return qid.split("-", 1)[0]


def pair_key(left_id: str, right_id: str) -> str:
    """`pair_key("US-X:sec.1", "UK-Y:reg.2") == "pair:US-X:sec.1|UK-Y:reg.2"` (the key `split.tsv` uses)."""
    return f"pair:{left_id}|{right_id}"


# --- reading ---------------------------------------------------------------------------------------------------


def read_lines(path: Path | str, what: str) -> Iterator[tuple[int, str]]:
    """(line number, line) for the non-blank, non-comment lines of `path`; ConfigError when it cannot be read."""
    text = read_text(path, what)
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield n, line.rstrip("\r\n")


def check_id(value: str, path: Path | str, n: int, what: str) -> str:
    value = value.strip()
    if not value or re.search(r"\s", value):
        raise ConfigError(f"{path}:{n}: {what} {value!r} is empty or holds white space; ids use '_' for spaces "
                          "(UK-FCA-CP25-14:CASS_16.2.13R)")
    return value


def load_queries(path: Path | str = QUERIES_FILE) -> list[Query]:
    """The queries of a `qid<TAB>jurisdiction<TAB>text` file, in file order.

    A first line whose first field is `qid` is a header. A repeated qid, a missing text or an unknown
    jurisdiction is a ConfigError naming the line.
    """
    out: list[Query] = []
    seen: dict[str, int] = {}
    for n, line in read_lines(path, "queries"):
        fields = line.split("\t", 2)
        if not out and not seen and fields[0].strip().lower() == "qid":
            continue
        if len(fields) != 3 or not fields[2].strip():
            raise ConfigError(f"{path}:{n}: expected qid<TAB>jurisdiction<TAB>text (jurisdiction may be empty), "
                              f"got {line[:80]!r}")
        qid = check_id(fields[0], path, n, "query id")
        if qid in seen:
            raise ConfigError(f"{path}:{n}: query id {qid!r} repeats line {seen[qid]}; give each query its own id")
        seen[qid] = n
        jur = fields[1].strip()
        if jur:
            try:
                jur = Jurisdiction.parse(jur).value
            except ConfigError as e:
                raise ConfigError(f"{path}:{n}: {e}") from None
        out.append(Query(qid, " ".join(fields[2].split()), jur))
    return out


def load_qrels(path: Path | str = QRELS_FILE) -> Qrels:
    """TREC qrels `qid 0 provision_id relevance` as `{qid: {provision_id: relevance}}`.

    The second column is ignored (TREC's iteration). A relevance that is not a whole number from 0 to 3, or
    the same judgement given twice with different relevances, is a ConfigError naming the line.
    """
    out: Qrels = {}
    where: dict[tuple[str, str], int] = {}
    for n, line in read_lines(path, "qrels"):
        fields = line.split()
        if len(fields) != 4:
            raise ConfigError(f"{path}:{n}: expected 'qid 0 provision_id relevance' (4 fields separated by spaces), "
                              f"got {len(fields)}: {line[:80]!r}")
        qid, _, pid, rel = fields
        try:
            relevance = int(rel)
        except ValueError:
            relevance = -1
        if not 0 <= relevance <= 3:
            raise ConfigError(f"{path}:{n}: relevance {rel!r} of {pid} is not a whole number from 0 to 3 "
                              "(2 answers the query, 1 partly, 0 not)")
        add_judgement(out, where, qid, pid, relevance, path, n)
    return out


def add_judgement(qrels: Qrels, where: dict[tuple[str, str], int], qid: str, pid: str, relevance: int,
                  path: Path | str, n: int) -> None:
    """Record `qid`'s judgement of `pid` read at `path`:`n`; the same judgement twice is fine, a different one
    is a ConfigError naming both lines (`where` remembers the line of each judgement)."""
    judged = qrels.setdefault(qid, {})
    if pid in judged and judged[pid] != relevance:
        raise ConfigError(f"{path}:{n}: {qid} judges {pid} {relevance}, but line {where[(qid, pid)]} judged it "
                          f"{judged[pid]}; keep one")
    judged[pid] = relevance
    where.setdefault((qid, pid), n)


def load_pairs(path: Path | str = PAIRS_FILE) -> list[Pair]:
    """The pairs of a `left_id,right_id,relationship,note` CSV file (with that header), in file order.

    An unknown relationship, an id with white space or a pair given twice is a ConfigError naming the line.
    """
    from crosswalk.vocab import Relationship

    lines = list(read_lines(path, "pairs"))
    if not lines:
        return []
    reader = csv.reader([line for _, line in lines])
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in ("left_id", "right_id", "relationship") if c not in header]
    if missing:
        raise ConfigError(f"{path}:{lines[0][0]}: the header lacks {', '.join(missing)}; it should read "
                          "left_id,right_id,relationship,note")
    col = {name: header.index(name) for name in header}
    out: list[Pair] = []
    seen: dict[tuple[str, str], int] = {}
    for (n, _), row in zip(lines[1:], reader):
        if len(row) < len(header) - ("note" in header):
            raise ConfigError(f"{path}:{n}: {len(row)} fields, the header names {len(header)}; quote a note "
                              "that holds a comma")
        left = check_id(row[col["left_id"]], path, n, "left_id")
        right = check_id(row[col["right_id"]], path, n, "right_id")
        try:
            rel = Relationship.parse(row[col["relationship"]]).value
        except ConfigError as e:
            raise ConfigError(f"{path}:{n}: {e}") from None
        if (left, right) in seen:
            raise ConfigError(f"{path}:{n}: the pair {left} → {right} repeats line {seen[(left, right)]}; keep one")
        seen[(left, right)] = n
        note = row[col["note"]].strip() if "note" in col and col["note"] < len(row) else ""
        out.append(Pair(left, right, rel, note))
    return out


def load_split(path: Path | str = SPLIT_FILE) -> dict[str, str]:
    """`{qid or pair key: split}` from a `qid<TAB>split` file (an optional header line `qid …` is skipped)."""
    out: dict[str, str] = {}
    for n, line in read_lines(path, "split"):
        fields = line.split("\t")
        if not out and fields[0].strip().lower() == "qid":
            continue
        if len(fields) != 2 or not fields[1].strip():
            raise ConfigError(f"{path}:{n}: expected qid<TAB>split (dev or test), got {line[:80]!r}")
        key, split = fields[0].strip(), fields[1].strip().lower()
        if split not in ("dev", "test"):
            raise ConfigError(f"{path}:{n}: split {split!r} of {key}: use dev or test")
        if key in out and out[key] != split:
            raise ConfigError(f"{path}:{n}: {key} is in both {out[key]} and {split}; keep one")
        out[key] = split
    return out


# --- selecting and writing -----------------------------------------------------------------------------------


def check_split(split: str) -> str:
    """`split` if it is dev, test or all; else a ConfigError naming them."""
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    return split


def in_split(key: str, split: str, splits: Mapping[str, str] | None) -> bool:
    """Whether the query or pair `key` belongs to `split` (`all` holds everything, even keys without a split).

    >>> in_split("q-1", "dev", {"q-1": "dev", "q-2": "test"}), in_split("q-2", "dev", {"q-2": "test"})
    (True, False)
    >>> in_split("q-9", "all", {}), in_split("q-9", "test", {})
    (True, False)
    """
    if check_split(split) == "all":
        return True
    return (splits or {}).get(key) == split


def relevant_queries(qrels: Mapping[str, Mapping[str, int]]) -> list[str]:
    """The qids with at least one relevant (relevance ≥ 1) judgement, sorted: the queries metrics are averaged over.

    >>> relevant_queries({"b": {"x": 1}, "a": {"y": 2, "z": 0}, "c": {"w": 0}, "d": {}})
    ['a', 'b']
    """
    return sorted(q for q, judged in qrels.items() if any(r > 0 for r in judged.values()))


def format_qrels(qrels: Mapping[str, Mapping[str, int]]) -> str:
    """TREC qrels text, sorted by qid then provision id.

    >>> print(format_qrels({"q-2": {"UK-X:reg.2": 1}, "q-1": {"US-X:sec.1": 2}}), end="")
    q-1 0 US-X:sec.1 2
    q-2 0 UK-X:reg.2 1
    """
    lines = [f"{q} 0 {pid} {rel}" for q in sorted(qrels) for pid, rel in sorted(qrels[q].items())]
    return "\n".join(lines) + ("\n" if lines else "")


def pairs_from_decisions(decisions: Iterable, skip: Sequence[Pair] = ()) -> list[Pair]:
    """Reviewers' decisions as gold pairs: the newest decision per pair (whoever made it), `unsure` left out,
    and pairs already in `skip` (the gold file's) left out, so the file wins over a decision.

    Each pair's note names the reviewer: `decision by ana`.
    """
    from crosswalk.review.decisions import latest_by_pair

    known = {(p.left_id, p.right_id) for p in skip}
    out = []
    for (left, right), d in sorted(latest_by_pair(decisions).items()):
        if d.relationship == "unsure" or (left, right) in known:
            continue
        out.append(Pair(left, right, d.relationship, f"decision by {d.reviewer}"))
    return out
