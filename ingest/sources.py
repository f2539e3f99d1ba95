"""The catalogue of documents: `corpus/sources.csv` and a mirror folder's `manifest.csv`, read into `Source`s.

Both files hold facts about documents (id, jurisdiction, issuer, type, title, date, official URL, licence,
file name, checksum), never their text. Every problem is a `ConfigError` that names the file, the row (as a
spreadsheet shows it: the header is row 1, the first document row 2) and the fix; all problems of a file
are reported together, so one edit fixes them all.

Example: sources_by_id(load_sources())["UK-MLR-2017"].official_url
         == "https://www.legislation.gov.uk/uksi/2017/692/data.xml"
Example: load_manifest("../shared/corpus")  # a mirror folder's manifest.csv, as `Source`s
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import os
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from crosswalk.errors import ConfigError
from crosswalk.ingest.models import DocType, Jurisdiction, Source

SOURCES_CSV = Path(__file__).resolve().parents[1] / "corpus" / "sources.csv"
MANIFEST_NAME = "manifest.csv"

# corpus/sources.csv: every column of `Source`, in this order when written.
SOURCE_COLUMNS = (
    "id", "jurisdiction", "issuer", "doc_type", "title", "date",
    "official_url", "licence", "file", "sha256", "mirrored", "format",
)
SOURCE_REQUIRED = ("id", "jurisdiction", "doc_type", "title", "official_url")

# A mirror's manifest.csv: its columns, and how they map onto `Source` fields.
MANIFEST_COLUMNS = (
    "id", "file", "jurisdiction", "issuer", "doc_type", "title", "date", "official_url",
    "source", "licence_note", "completeness", "bytes", "sha256",
)
MANIFEST_REQUIRED = ("id", "file", "jurisdiction", "doc_type", "title", "official_url")
MANIFEST_RENAMES = {"licence_note": "licence"}

FORMATS = ("pdf", "html", "xml", "md", "txt")
_SUFFIX_FORMATS = {"htm": "html", "xhtml": "html", "markdown": "md"}

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
DATE_PATTERN = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def load_sources(path: str | os.PathLike | None = None) -> list[Source]:
    """The documents listed in `corpus/sources.csv` (or `path`), in file order.

    Columns: id, jurisdiction, issuer, doc_type, title, date, official_url, licence, file, sha256, mirrored,
    format (see corpus/README.md); id, jurisdiction, doc_type, title and official_url are required, the others
    may be left out or empty. `format`, when empty, is taken from the file name.

    Example: load_sources()[0].id == "US-PL119-27-GENIUS"
    """
    path = Path(path) if path is not None else SOURCES_CSV
    return _load(path, allowed=SOURCE_COLUMNS, required=SOURCE_REQUIRED, renames={}, mirror=False)


def load_manifest(directory: str | os.PathLike) -> list[Source]:
    """The documents of a mirror folder, read from its `manifest.csv`; every one has `mirrored=True`.

    The manifest's columns are id, file, jurisdiction, issuer, doc_type, title, date, official_url, source,
    licence_note, completeness, bytes, sha256; `licence_note` becomes `Source.licence`, and `source`,
    `completeness`, `bytes` and any further columns (provenance notes) are not part of a `Source`; a
    `mirrored` column, if any, is ignored. `file` is relative to the folder.
    Whether each file exists is checked when it is fetched, not here.

    Example: load_manifest("../shared/corpus")[0].file == "us/PLAW-119publ27.pdf"
    """
    directory = Path(directory)
    path = directory / MANIFEST_NAME
    if not directory.is_dir():
        raise ConfigError(f"{directory}: no such mirror folder; pass the folder that holds {MANIFEST_NAME}")
    # Another project's file: columns beyond the known ones are provenance notes and are skipped, not refused.
    return _load(path, allowed=None, required=MANIFEST_REQUIRED, renames=MANIFEST_RENAMES, mirror=True)


def sources_by_id(sources: Iterable[Source] | None = None) -> dict[str, Source]:
    """`{id: Source}` for `sources` (default: `load_sources()`); a repeated id is a ConfigError.

    Example: sources_by_id([Source(id="UK-MLR-2017", jurisdiction="UK")])["UK-MLR-2017"].jurisdiction == "UK"
    """
    if sources is None:
        sources = load_sources()
    by_id: dict[str, Source] = {}
    for source in sources:
        if source.id in by_id:
            raise ConfigError(f"source id {source.id!r} is listed twice; each document needs its own id")
        by_id[source.id] = source
    return by_id


def select_sources(sources: Iterable[Source], ids: Iterable[str]) -> list[Source]:
    """The sources named by `ids`, in the order given; an unknown id is a ConfigError that lists the known ones.

    Example: [s.id for s in select_sources(load_sources(), ["UK-MLR-2017"])] == ["UK-MLR-2017"]
    """
    by_id = sources_by_id(sources)
    wanted = list(ids)
    unknown = [i for i in wanted if i not in by_id]
    if unknown:
        known = ", ".join(sorted(by_id)) or "(none)"
        raise ConfigError(f"unknown source id(s) {', '.join(unknown)}: use one of {known}")
    return [by_id[i] for i in dict.fromkeys(wanted)]


def format_of(file: str) -> str:
    """The format named by a file's suffix (`pdf`, `html`, `xml`, `md`, `txt`), or "" if it names none.

    Example: format_of("us/PLAW-119publ27.pdf") == "pdf"; format_of("uk/page.htm") == "html"; format_of("x") == ""
    """
    suffix = PurePosixPath(file).suffix.lower().lstrip(".")
    suffix = _SUFFIX_FORMATS.get(suffix, suffix)
    return suffix if suffix in FORMATS else ""


def parse_bool(value: str) -> bool:
    """`true/yes/y/1` → True, `false/no/n/0` → False (any case); anything else is a ValueError.

    Example: parse_bool("TRUE") is True; parse_bool("0") is False
    """
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(f"{value!r} is not true or false")


# --- reading and checking ---------------------------------------------------------------------------


def _load(
    path: Path, *, allowed: tuple[str, ...] | None, required: tuple[str, ...], renames: dict[str, str], mirror: bool
) -> list[Source]:
    """Read and check one CSV; `allowed=None` lets unknown columns through (and drops them)."""
    rows, header = _read_csv(path)
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if allowed is not None and c not in allowed]
    header_problems = []
    if missing:
        header_problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        header_problems.append(f"unknown column(s) {', '.join(repr(c) for c in unknown)}")
    if [c for c in header if header.count(c) > 1]:
        header_problems.append("a column name appears twice")
    if header_problems:
        raise ConfigError(
            f"{path}, row 1 (header): {'; '.join(header_problems)}; "
            f"the columns are {', '.join(allowed or MANIFEST_COLUMNS)}"
        )

    sources: list[Source] = []
    problems: list[str] = []
    first_row_of: dict[str, int] = {}
    for row_number, row in rows:
        try:
            source = _source(row, renames=renames, mirror=mirror)
        except ConfigError as e:
            sid = row.get("id", "")
            problems.append(f"row {row_number}{f' ({sid})' if sid else ''}: {e}")
            continue
        if source.id in first_row_of:
            problems.append(
                f"row {row_number} ({source.id}): duplicate id (first used in row {first_row_of[source.id]}); "
                "give each document its own id"
            )
            continue
        first_row_of[source.id] = row_number
        sources.append(source)
    if problems:
        raise ConfigError(f"{path}, {problems[0]}" if len(problems) == 1 else f"{path}: {'; '.join(problems)}")
    return sources


def _read_csv(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """`([(spreadsheet row number, {column: value})], header)`; blank lines are skipped but still counted."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM (spreadsheet "CSV UTF-8") is dropped
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte offset {e.start}); save the file as CSV UTF-8") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read ({e.strerror})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ConfigError(f"{path}: empty file; the first row must name the columns") from None
    except csv.Error as e:
        raise ConfigError(f"{path}, row 1: not valid CSV ({e})") from None
    rows = []
    row_number = 1
    try:
        for cells in reader:
            row_number += 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise ConfigError(
                    f"{path}, row {row_number}: {len(cells)} cells where the header has {len(header)}; "
                    "quote values that contain commas"
                )
            rows.append((row_number, dict(zip(header, (c.strip() for c in cells)))))
    except csv.Error as e:
        raise ConfigError(f"{path}, row {row_number + 1}: not valid CSV ({e})") from None
    return rows, header


def _source(row: dict[str, str], *, renames: dict[str, str], mirror: bool) -> Source:
    """One checked `Source` from one CSV row; the ConfigError says what is wrong with the row."""
    values = {renames.get(k, k): v for k, v in row.items() if k in SOURCE_COLUMNS or k in renames}
    sid = values.get("id", "")
    if not sid:
        raise ConfigError("empty id")
    if not ID_PATTERN.match(sid):
        raise ConfigError(
            f"id {sid!r} may only hold letters, digits, '.', '_' and '-' (no spaces, ':' or '/'), "
            "since it names a folder and starts every provision id"
        )
    jurisdiction = Jurisdiction.parse(values.get("jurisdiction", "")).value
    doc_type = DocType.parse(values.get("doc_type", "")).value
    if not values.get("title"):
        raise ConfigError(f"empty title")

    url = values.get("official_url", "")
    if not url:
        raise ConfigError(f"empty official_url; give the publisher's URL of the document")
    if not (url.startswith("https://") or url.startswith("http://")) or any(ch.isspace() for ch in url):
        raise ConfigError(f"official_url {url!r} is not an http(s) URL")

    date = values.get("date", "")
    if date and not _valid_date(date):
        raise ConfigError(f"date {date!r} is not YYYY, YYYY-MM or YYYY-MM-DD")

    file = values.get("file", "").replace("\\", "/")
    if file:
        p = PurePosixPath(file)
        if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", file):
            raise ConfigError(f"file {file!r} must be a relative path inside the corpus folder, without '..'")

    sha256 = values.get("sha256", "").lower()
    if sha256 and not SHA256_PATTERN.match(sha256):
        raise ConfigError(f"sha256 {values['sha256']!r} is not 64 hexadecimal digits; leave it empty if unknown")

    if mirror:
        mirrored = True
    else:
        raw = values.get("mirrored", "")
        try:
            mirrored = parse_bool(raw) if raw else True
        except ValueError:
            raise ConfigError(f"mirrored {raw!r} is not true or false") from None

    fmt = values.get("format", "").lower().lstrip(".")
    fmt = _SUFFIX_FORMATS.get(fmt, fmt)
    if fmt and fmt not in FORMATS:
        raise ConfigError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    fmt = fmt or format_of(file)

    return Source(
        id=sid,
        jurisdiction=jurisdiction,
        issuer=values.get("issuer", ""),
        doc_type=doc_type,
        title=values["title"],
        date=date,
        official_url=url,
        licence=values.get("licence", ""),
        file=file,
        sha256=sha256,
        mirrored=mirrored,
        format=fmt,
    )


def _valid_date(value: str) -> bool:
    if not DATE_PATTERN.match(value):
        return False
    parts = [int(p) for p in value.split("-")]
    try:
        _dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return False
    return True
