"""Import a crosswalk spreadsheet as reviewers' decisions: `crosswalk decisions import FILE [--reviewer NAME]`.

Firms arrive with crosswalks already made in spreadsheets; every row imported becomes a decision like one made in
the app (append-only, with the two provisions' content hashes) and so training data for the ranker
(`crosswalk learn`).

What is read:

- **CSV** (comma, semicolon or tab separated; UTF-8 with or without a BOM, or UTF-16 with one; CRLF or LF; quoted
  fields may hold line breaks, as the export's texts do) or **XLSX** (the sheet named `crosswalk` if there is
  one, else the first sheet with a header row). Legacy `.xls` is refused with the fix.
- A **header row** within the first `HEADER_SEARCH` rows (title rows above it are skipped) naming at least the
  focal provision, the reference provision and the relationship. Column names are matched without regard to
  case, spaces, hyphens or underscores; `COLUMN_ALIASES` lists the names taken, among them the columns of
  `crosswalk export` (`focal_element`, `reference_element`, `relationship`, `rationale`, `strength`,
  `comments`, `reviewer`) and the short form `left_id,right_id,relationship[,note]`. Other columns (texts,
  documents, date, stale) are ignored.
- **Ids** as `crosswalk show` takes them: with spaces or underscores inside the citation.
- **Relationships** in OLIR terms (`equal`, `subset-of`, `superset-of`, `intersects-with`, `not-related`, and
  `unsure`), with case, spacing, `_` and the unambiguous variants firms write tolerated (`Subset of`,
  `EQUAL`, `equivalent`, `not related`, `⊂`; see `RELATIONSHIP_ALIASES`). Anything else (`related`,
  `similar`) is refused: it does not say which way the sets go.

What happens to each row: a row with an unknown id, an unknown relationship, rationale or strength, an empty
required cell, a provision mapped to itself, or a pair the file already gave (for the same reviewer) is
reported with its line number (the spreadsheet's row number for XLSX) and skipped; every good row is appended
through `DecisionStore.record_many`, one transaction per `BATCH` rows, so a failure never leaves half a batch
and never touches what was stored before. A row that repeats the reviewer's current decision on that pair
exactly is counted as unchanged and not appended again, so importing the same file twice adds nothing.

The reviewer of each row: `--reviewer NAME` when given; else the file's `reviewer` column when the row has
one; else `import:<file name>`.

Example:
    with DecisionStore(ws.database) as ds, Store(ws.database, readonly=True) as store:
        report = import_decisions("firm-crosswalk.xlsx", ds, store, reviewer="ana")
    print(report.summary())   # imported 118 decisions from firm-crosswalk.xlsx ...; 2 rows failed (lines 7, 31)
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from crosswalk.errors import ConfigError, CrosswalkError, NotFoundError
from crosswalk.evaluation.gold_io import read_text
from crosswalk.review.decisions import Decision, DecisionStore, NewDecision, Rationale, Relationship

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.ingest.store import Store

BATCH = 500
HEADER_SEARCH = 20  # rows looked through for the header
SHOWN_PROBLEMS = 5  # line numbers named in the one-line summary

# column -> names a spreadsheet may give it (compared by `_column_key`: lower case, no spaces, - or _)
COLUMN_ALIASES = {
    "left_id": ("left_id", "left", "focal_element", "focal_id", "focal", "focal_provision", "source_id",
                "source_element", "from_id"),
    "right_id": ("right_id", "right", "reference_element", "reference_id", "reference", "reference_provision",
                 "target_id", "target_element", "to_id"),
    "relationship": ("relationship", "relation", "relationship_type", "mapping", "mapping_type",
                     "set_theory_relationship", "set_relationship"),
    "note": ("note", "notes", "comment", "comments"),
    "rationale": ("rationale", "rationale_type"),
    "strength": ("strength", "strength_of_relationship"),
    "reviewer": ("reviewer", "reviewed_by", "author"),
}
REQUIRED = ("left_id", "right_id", "relationship")

# accepted spellings beyond the OLIR terms themselves, after `_relationship_key` (lower case, one space between
# words, `_` and `-` as spaces)
RELATIONSHIP_ALIASES = {
    "equal": ("equal", "equals", "equivalent", "equivalence", "identical", "same", "=", "≡"),
    "subset-of": ("subset of", "subset", "is subset of", "narrower", "narrower than", "⊂", "⊆"),
    "superset-of": ("superset of", "superset", "is superset of", "broader", "broader than", "⊃", "⊇"),
    "intersects-with": ("intersects with", "intersects", "intersect", "intersection", "overlap", "overlaps",
                        "partial overlap", "∩"),
    "not-related": ("not related", "unrelated", "no relationship", "no relation", "none", "no match"),
    "unsure": ("unsure", "unknown", "undecided", "?"),
}
_REL_LOOKUP = {alias: rel for rel, aliases in RELATIONSHIP_ALIASES.items() for alias in aliases}
_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@\t\r])")  # the quote `crosswalk export` puts before formula-like cells


def _column_key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name or "")).lower()


def _relationship_key(value: str) -> str:
    return " ".join(re.sub(r"[_\-]+", " ", str(value)).lower().split())


_COLUMN_LOOKUP = {_column_key(a): col for col, aliases in COLUMN_ALIASES.items() for a in aliases}


def parse_relationship(value: str) -> str:
    """The OLIR relationship a spreadsheet cell means; ConfigError listing the accepted terms otherwise.

    >>> parse_relationship("Subset of"), parse_relationship(" EQUAL "), parse_relationship("not_related")
    ('subset-of', 'equal', 'not-related')
    >>> parse_relationship("Intersects-With"), parse_relationship("⊃")
    ('intersects-with', 'superset-of')
    """
    key = _relationship_key(value)
    if key in _REL_LOOKUP:
        return _REL_LOOKUP[key]
    allowed = ", ".join(r.value for r in Relationship)
    shown = repr(str(value).strip()) if str(value).strip() else "(empty)"
    raise ConfigError(f"unknown relationship {shown}: use one of {allowed} (OLIR)")


# --- reading the table ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """The rows of a spreadsheet below its header: `columns` maps our column names to cell positions."""

    path: Path
    header_line: int
    columns: dict[str, int]
    rows: list[tuple[int, list[str]]]  # (line or row number, cells)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _FORMULA_GUARD.sub("", str(value)).strip()


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    text = read_text(path, "crosswalk", fix="check the path (a CSV or XLSX file, e.g. from `crosswalk export`)")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            yield start, [_cell(c) for c in cells]
            start = reader.line_num + 1
    except csv.Error as e:
        raise ConfigError(f"{path}:{reader.line_num}: cannot read the CSV there ({e}); check its quotes") from None


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as e:
        raise ConfigError(f"cannot read XLSX file {path}: {e}; save it again as .xlsx or as CSV UTF-8") from None
    try:
        sheets = book.worksheets
        named = [s for s in sheets if s.title.strip().lower() == "crosswalk"]
        for sheet in named + [s for s in sheets if s not in named]:
            rows = [(n, [_cell(c) for c in values])
                    for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
            if _find_header(rows) is not None:
                yield from rows
                return
        # no sheet has a header: the first sheet's rows, for the error message
        if sheets:
            yield from ((n, [_cell(c) for c in values])
                        for n, values in enumerate(sheets[0].iter_rows(values_only=True), start=1))
    finally:
        book.close()


def _find_header(rows: Sequence[tuple[int, list[str]]]) -> tuple[int, dict[str, int]] | None:
    seen = 0
    for n, cells in rows:
        if not any(cells):
            continue
        columns: dict[str, int] = {}
        for i, name in enumerate(cells):
            col = _COLUMN_LOOKUP.get(_column_key(name))
            if col and col not in columns:
                columns[col] = i
        if all(c in columns for c in REQUIRED):
            return n, columns
        seen += 1
        if seen >= HEADER_SEARCH:
            break
    return None


def read_table(path: Path | str) -> Table:
    """The header and rows of a crosswalk CSV or XLSX file; ConfigError naming the file when it cannot be read
    or has no header row with the three required columns."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no crosswalk file at {path}: check the path (a CSV or XLSX file, e.g. from "
                          "`crosswalk export`)")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise ConfigError(f"{path} is a legacy Excel .xls file: save it as .xlsx (or CSV UTF-8) and import that")
    try:
        magic = path.read_bytes()[:4]
    except OSError as e:
        raise ConfigError(f"cannot read crosswalk file {path}: {e}") from None
    is_xlsx = suffix in (".xlsx", ".xlsm") or magic == b"PK\x03\x04"
    rows = list(_xlsx_rows(path) if is_xlsx else _csv_rows(path))
    found = _find_header(rows)
    if found is None:
        first = next((cells for _, cells in rows if any(cells)), [])
        raise ConfigError(
            f"{path}: no header row naming the focal provision, the reference provision and the relationship in "
            f"the first {HEADER_SEARCH} rows (first row read: {', '.join(first[:8]) or 'nothing'}); use the columns "
            "left_id,right_id,relationship[,note] or those of `crosswalk export`")
    header_line, columns = found
    body = [(n, cells) for n, cells in rows if n > header_line]
    return Table(path, header_line, columns, body)


# --- importing -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    """A row that was not imported: its line (row number in XLSX) and why."""

    line: int
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}"


@dataclass
class ImportReport:
    """What `import_decisions` did. `summary()` is the command's last line; `ok` is False when any row failed."""

    path: str
    rows: int = 0  # data rows read (blank rows left out)
    imported: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    reviewers: dict[str, int] = field(default_factory=dict)  # reviewer -> decisions imported
    first_seq: int | None = None
    last_seq: int | None = None
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        name = Path(self.path).name
        who = ", ".join(f"{r} ({n:,})" for r, n in sorted(self.reviewers.items())) or "-"
        verb = "would import" if self.dry_run else "imported"
        line = (f"{verb} {self.imported:,} decision{'s' if self.imported != 1 else ''} from {name} "
                f"({self.rows:,} rows; reviewer {who}); {self.unchanged:,} unchanged")
        if self.problems:
            lines = [str(p.line) for p in self.problems[:SHOWN_PROBLEMS]]
            more = f" and {len(self.problems) - SHOWN_PROBLEMS:,} more" if len(self.problems) > SHOWN_PROBLEMS else ""
            line += (f"; {len(self.problems):,} row{'s' if len(self.problems) != 1 else ''} failed "
                     f"(line{'s' if len(self.problems) != 1 else ''} {', '.join(lines)}{more})")
        return line

    def to_dict(self) -> dict:
        return {"path": self.path, "dry_run": self.dry_run, "rows": self.rows, "imported": self.imported, "unchanged": self.unchanged,
                "reviewers": dict(self.reviewers), "first_seq": self.first_seq, "last_seq": self.last_seq,
                "problems": [{"line": p.line, "problem": p.problem} for p in self.problems]}


def _strength(value: str) -> int | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number.is_integer() or not 0 <= number <= 10:
        raise ConfigError(f"strength {value!r} is not a whole number from 0 (weak) to 10 (strong)")
    return int(number)


def _row_decision(cells: list[str], columns: dict[str, int], store: "Store", reviewer: str) -> NewDecision:
    """The decision a row asks for; ConfigError (or NotFoundError) naming the first bad cell."""
    get = {col: cells[i] if i < len(cells) else "" for col, i in columns.items()}
    for col in REQUIRED:
        if not get[col]:
            raise ConfigError(f"{col} is empty" + (" (the row is shorter than the header)"
                                                   if columns[col] >= len(cells) else ""))
    ids = []
    for col in ("left_id", "right_id"):
        try:
            ids.append(store.resolve_id(get[col]))
        except NotFoundError:
            raise NotFoundError(f"unknown {col} {get[col]!r}: no such provision in the store "
                                "(ids look like US-PL119-27-GENIUS:sec.4(a)(11); `crosswalk search` finds one)") from None
    if ids[0] == ids[1]:
        raise ConfigError(f"{ids[0]} is mapped to itself")
    relationship = parse_relationship(get["relationship"])
    rationale = Rationale.parse(get["rationale"]).value if get.get("rationale") else ""
    strength = _strength(get.get("strength", ""))
    who = reviewer or get.get("reviewer", "")
    return NewDecision(ids[0], ids[1], relationship, who, rationale, strength, get.get("note", ""))


def import_decisions(
    path: Path | str,
    decisions: DecisionStore,
    store: "Store",
    *,
    reviewer: str | None = None,
    batch: int = BATCH,
    dry_run: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Append the good rows of the crosswalk at `path` as decisions; report the bad ones by line (see the module
    docstring). A file that cannot be read at all (missing, not CSV/XLSX, no header) is a ConfigError and
    nothing is written. `dry_run` checks every row and reports as usual, writing nothing (`imported` then
    counts the rows that would be).

    Example: import_decisions("crosswalk.csv", ds, store, reviewer="ana").summary()
    """
    if batch < 1:
        raise ConfigError(f"batch is {batch}; use 1 or more rows per transaction")
    table = read_table(path)
    default = (reviewer or "").strip()
    fallback = f"import:{table.path.name}"
    report = ImportReport(str(table.path))
    current = latest_by_reviewer(decisions)
    seen: dict[tuple[str, str, str], int] = {}
    good: list[tuple[int, NewDecision]] = []
    for n, cells in table.rows:
        if not any(cells) or cells[0].lstrip().startswith("#"):
            continue
        report.rows += 1
        try:
            item = _row_decision(cells, table.columns, store, default)
        except CrosswalkError as e:
            report.problems.append(RowProblem(n, str(e)))
            continue
        if not item.reviewer.strip():
            item = NewDecision(item.left_id, item.right_id, item.relationship, fallback, item.rationale,
                               item.strength, item.note)
        key = (item.left_id, item.right_id, item.reviewer.strip())
        if key in seen:
            report.problems.append(RowProblem(
                n, f"the pair {item.left_id} → {item.right_id} (reviewer {key[2]}) repeats line {seen[key]}; keep one"))
            continue
        seen[key] = n
        before = current.get(key)
        if before is not None and (before.relationship, before.rationale, before.strength, before.note) == (
                item.relationship, item.rationale, item.strength, item.note):
            report.unchanged += 1
            continue
        good.append((n, item))
    if dry_run:
        report.imported = len(good)
        for _, item in good:
            report.reviewers[item.reviewer] = report.reviewers.get(item.reviewer, 0) + 1
        report.dry_run = True
        report.problems.sort(key=lambda p: p.line)
        return report
    for start in range(0, len(good), batch):
        chunk = good[start:start + batch]
        try:
            stored = decisions.record_many([item for _, item in chunk])
        except CrosswalkError:
            # one row went bad after it was checked (a provision replaced meanwhile): the batch was rolled back;
            # record its rows one by one so the bad one is named and the rest still land
            stored = []
            for n, item in chunk:
                try:
                    stored.extend(decisions.record_many([item]))
                except CrosswalkError as e:
                    report.problems.append(RowProblem(n, str(e)))
        for d in stored:
            report.imported += 1
            report.reviewers[d.reviewer] = report.reviewers.get(d.reviewer, 0) + 1
            report.first_seq = d.seq if report.first_seq is None else min(report.first_seq, d.seq)
            report.last_seq = d.seq if report.last_seq is None else max(report.last_seq, d.seq)
        if progress:
            progress("importing", min(start + batch, len(good)), len(good))
    report.problems.sort(key=lambda p: p.line)
    return report


def latest_by_reviewer(decisions: DecisionStore) -> dict[tuple[str, str, str], Decision]:
    """`{(left_id, right_id, reviewer): current decision}`, to tell an unchanged row from a new one."""
    return {(d.left_id, d.right_id, d.reviewer): d for d in decisions.current()}


