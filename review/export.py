"""Export the crosswalk: the current decisions with OLIR-style columns, as CSV, XLSX or JSON; and as qrels.

Columns (NIST IR 8278A OLIR): focal element, focal text, relationship, reference element, reference text,
rationale, strength, comments, reviewer, date — plus the two documents, jurisdictions and whether the
decision is stale (a provision's text changed since it was made).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Sequence

from crosswalk.errors import ConfigError
from crosswalk.files import atomic_write
from crosswalk.review.decisions import Decision, Relationship
from crosswalk.vocab import RELEVANCE

COLUMNS = (
    "focal_element",
    "focal_document",
    "focal_jurisdiction",
    "focal_text",
    "relationship",
    "reference_element",
    "reference_document",
    "reference_jurisdiction",
    "reference_text",
    "rationale",
    "strength",
    "comments",
    "reviewer",
    "date",
    "stale",
)
FORMATS = ("csv", "xlsx", "json")


def rows(store, decisions: Sequence[Decision]) -> list[dict]:
    """One dict per decision with the OLIR columns; provision texts from the store (full text, not HTML)."""
    ids = sorted({d.left_id for d in decisions} | {d.right_id for d in decisions})
    found = {p.id: p for p in store.get_many(ids)}
    out = []
    for d in decisions:
        left, right = found.get(d.left_id), found.get(d.right_id)
        out.append(
            {
                "focal_element": d.left_id,
                "focal_document": left.doc_id if left else "",
                "focal_jurisdiction": left.jurisdiction if left else "",
                "focal_text": left.text if left else "",
                "relationship": d.relationship,
                "reference_element": d.right_id,
                "reference_document": right.doc_id if right else "",
                "reference_jurisdiction": right.jurisdiction if right else "",
                "reference_text": right.text if right else "",
                "rationale": d.rationale,
                "strength": "" if d.strength is None else d.strength,
                "comments": d.note,
                "reviewer": d.reviewer,
                "date": d.created_at,
                "stale": "yes" if d.stale else "no",
            }
        )
    return out


def _safe_cell(value):
    """Cells that a spreadsheet would run as a formula (=, +, -, @ first) are prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(table: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in table:
        w.writerow({k: _safe_cell(v) for k, v in r.items()})
    return buf.getvalue().encode("utf-8")


def to_json(table: list[dict]) -> bytes:
    return json.dumps(table, ensure_ascii=False, indent=2).encode("utf-8")


def to_xlsx(table: list[dict]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "crosswalk"
    ws.append(list(COLUMNS))
    for r in table:
        ws.append([_safe_cell(r[c]) for c in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export(store, decisions: Sequence[Decision], fmt: str) -> bytes:
    """The crosswalk in `fmt` (csv, xlsx or json) as bytes."""
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    table = rows(store, decisions)
    return {"csv": to_csv, "json": to_json, "xlsx": to_xlsx}[fmt](table)


def output_format(fmt: str | None, output: Path | str | None) -> str:
    """The format to export in: `fmt` when given, else the extension of the `output` file when it is one of
    `FORMATS`, else csv. XLSX needs a file (it is not text for standard output): a ConfigError says so.

    >>> output_format(None, "crosswalk.xlsx"), output_format(None, "out.txt"), output_format("json", None)
    ('xlsx', 'csv', 'json')
    """
    suffix = Path(output).suffix.lower().lstrip(".") if output else ""
    fmt = fmt or (suffix if suffix in FORMATS else "csv")
    if fmt == "xlsx" and not output:
        raise ConfigError("an XLSX export needs a file: add -o crosswalk.xlsx")
    return fmt


def write(store, decisions: Sequence[Decision], path: Path | str, fmt: str | None = None) -> Path:
    """Write the crosswalk to `path`, whole or not at all, in `fmt` (default: from the file's extension, see
    `output_format`); returns `path`."""
    data = export(store, decisions, output_format(fmt, path))
    return atomic_write(path, data)


def to_qrels(decisions: Sequence[Decision]) -> str:
    """TREC qrels (`left_id 0 right_id relevance`) from decisions; `unsure` decisions are left out."""
    lines = []
    for d in sorted(decisions, key=lambda d: (d.left_id, d.right_id)):
        if Relationship(d.relationship) is Relationship.UNSURE:
            continue
        lines.append(f"{d.left_id} 0 {d.right_id} {RELEVANCE[d.relationship]}")
    return "\n".join(lines) + ("\n" if lines else "")
