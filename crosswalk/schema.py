"""The database schema, as numbered migrations that run the same on SQLite and PostgreSQL.

Each migration is a list of statements written once (SQLite's dialect) and adapted for PostgreSQL by
`_postgres_ddl` (identity keys, DOUBLE PRECISION, byte-order "C" collation so ids sort as in SQLite, UTC
timestamps); the append-only triggers are written for each backend. The version lives in `meta`
(`schema_version`).

- A new, empty database gets every migration when something first writes to it (`crosswalk ingest`).
- A database at an older version is refused by every command with the fix, `crosswalk db upgrade`, which
  applies the missing migrations, each in its own transaction (PostgreSQL: under an advisory lock, so two
  upgrades at once do not collide).
- A database made by a newer Crosswalk is refused too: this one does not know its tables.

Versions:
1. documents, provisions, entities, ingest failures (the store);
2. the review queue, decisions (append-only: a trigger refuses UPDATE and DELETE), evaluation history;
3. accounts, sign-in failures (rate limiting) and sessions;
4. why each queued pair is where it is (`review_queue_reason`, `crosswalk.index.active`);
5. a document's quality note (`documents.note`: what its source text may lack, shown by `show` and the app).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Self

from crosswalk.errors import StoreError

STORE = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    jurisdiction TEXT NOT NULL,
    issuer TEXT NOT NULL DEFAULT '',
    doc_type TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '',
    official_url TEXT NOT NULL DEFAULT '',
    licence TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL DEFAULT '',
    file_sha256 TEXT NOT NULL DEFAULT '',
    pipeline TEXT NOT NULL DEFAULT '',
    splitter TEXT NOT NULL DEFAULT '',
    pages INTEGER,
    n_provisions INTEGER NOT NULL DEFAULT 0,
    ingested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)""",
    """CREATE TABLE IF NOT EXISTS provisions (
    id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    jurisdiction TEXT NOT NULL,
    citation TEXT NOT NULL,
    parent_id TEXT,
    heading_path TEXT NOT NULL DEFAULT '[]',
    title TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    page_start INTEGER,
    page_end INTEGER,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    kind TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    topics TEXT NOT NULL DEFAULT '[]'
)""",
    "CREATE INDEX IF NOT EXISTS provisions_doc ON provisions(doc_id, ordinal)",
    "CREATE INDEX IF NOT EXISTS provisions_parent ON provisions(parent_id)",
    "CREATE INDEX IF NOT EXISTS provisions_jur ON provisions(jurisdiction)",
    """CREATE TABLE IF NOT EXISTS entities (
    provision_id TEXT NOT NULL REFERENCES provisions(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    label TEXT NOT NULL,
    text TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
)""",
    "CREATE INDEX IF NOT EXISTS entities_prov ON entities(provision_id)",
    "CREATE INDEX IF NOT EXISTS entities_label ON entities(label, text)",
    """CREATE TABLE IF NOT EXISTS ingest_failures (
    path TEXT NOT NULL,
    doc_id TEXT NOT NULL DEFAULT '',
    problem TEXT NOT NULL,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)""",
]

REVIEW = [
    """CREATE TABLE IF NOT EXISTS review_queue (
    left_id TEXT NOT NULL,
    right_id TEXT NOT NULL,
    from_jur TEXT NOT NULL,
    to_jur TEXT NOT NULL,
    score REAL NOT NULL,
    rank INTEGER NOT NULL,
    mutual INTEGER NOT NULL,
    shared_terms TEXT NOT NULL DEFAULT '[]',
    explanation TEXT NOT NULL DEFAULT '{}',
    priority REAL NOT NULL,
    created_at TEXT NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (left_id, right_id)
)""",
    "CREATE INDEX IF NOT EXISTS review_queue_order ON review_queue(from_jur, to_jur, priority DESC, left_id, right_id)",
    """CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    left_id TEXT NOT NULL,
    right_id TEXT NOT NULL,
    relationship TEXT NOT NULL,
    rationale TEXT NOT NULL DEFAULT '',
    strength INTEGER,
    note TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL,
    left_hash TEXT NOT NULL,
    right_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS decisions_pair ON decisions(left_id, right_id, reviewer, seq)",
    """CREATE TABLE IF NOT EXISTS eval_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    generated_at TEXT NOT NULL,
    entry TEXT NOT NULL
)""",
]
REVIEW_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions "
    "BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions "
    "BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END",
]
REVIEW_POSTGRES = [
    "CREATE OR REPLACE FUNCTION crosswalk_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'decisions are append-only'; END $$",
    "DROP TRIGGER IF EXISTS decisions_append_only ON decisions",
    "CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON decisions "
    "FOR EACH ROW EXECUTE FUNCTION crosswalk_append_only()",
    "DROP TRIGGER IF EXISTS decisions_no_truncate ON decisions",
    "CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions "
    "FOR EACH STATEMENT EXECUTE FUNCTION crosswalk_append_only()",
]

ACCOUNTS = [
    """CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS signin_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_at REAL NOT NULL,
    locked_until REAL NOT NULL DEFAULT 0
)""",
    """CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts(name),
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
)""",
]


QUEUE_REASONS = [
    """CREATE TABLE IF NOT EXISTS review_queue_reason (
    left_id TEXT NOT NULL,
    right_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    reason TEXT NOT NULL,
    uncertainty REAL NOT NULL,
    disagreement REAL NOT NULL,
    score REAL NOT NULL,
    ranks TEXT NOT NULL DEFAULT '{}',
    seed INTEGER NOT NULL,
    PRIMARY KEY (left_id, right_id)
)""",
]


DOCUMENT_NOTES = ["ALTER TABLE documents ADD COLUMN note TEXT NOT NULL DEFAULT ''"]


@dataclass(frozen=True)
class Migration:
    version: int
    summary: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]


def _postgres_ddl(statement: str) -> str:
    """A CREATE statement of the shared schema in PostgreSQL's types (see the module docstring)."""
    s = statement.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
    s = re.sub(r"\bREAL\b", "DOUBLE PRECISION", s)
    s = s.replace("DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                  "DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))")
    if s.lstrip().upper().startswith("CREATE TABLE"):
        s = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', s)
    return s


def _migration(version: int, summary: str, shared: list[str], sqlite: list[str] = (),
               postgres: list[str] = ()) -> Migration:
    return Migration(version, summary, tuple(shared) + tuple(sqlite),
                     tuple(_postgres_ddl(s) for s in shared) + tuple(postgres))


MIGRATIONS = (
    _migration(1, "documents, provisions, entities", STORE),
    _migration(2, "review queue, append-only decisions, evaluation history", REVIEW, REVIEW_SQLITE, REVIEW_POSTGRES),
    _migration(3, "accounts, sign-in failures, sessions", ACCOUNTS),
    _migration(4, "review queue reasons (learning order)", QUEUE_REASONS),
    _migration(5, "documents' quality notes", DOCUMENT_NOTES),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
FIX = "run `crosswalk db upgrade`"


def schema_version(conn) -> int | None:
    """The version recorded in `meta`, or None for a database Crosswalk has never written to."""
    if not conn.table_exists("meta"):
        return None
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else None


def upgrade(conn) -> tuple[int, int]:
    """Apply the migrations `conn`'s database lacks, each in one transaction; (version before, version after)."""
    before = schema_version(conn) or 0
    _check_not_newer(conn, before)
    for m in MIGRATIONS:
        with conn.transaction():
            if conn.dialect == "postgresql":
                conn.execute("SELECT pg_advisory_xact_lock(7262531)")  # one upgrader at a time
            current = schema_version(conn) or 0  # another process may have applied it meanwhile
            if m.version <= current:
                continue
            for statement in (m.postgres if conn.dialect == "postgresql" else m.sqlite):
                if not _column_exists(conn, statement):
                    conn.execute(statement)
            conn.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(m.version),))
    return before, schema_version(conn) or 0


_ADD_COLUMN = re.compile(r"^\s*ALTER TABLE (\w+) ADD COLUMN (\w+)", re.I)


def _column_exists(conn, statement: str) -> bool:
    """Whether `statement` adds a column the table already has (a store that gained it before its migration
    was numbered), so that applying the migration again is a no-op instead of an error."""
    m = _ADD_COLUMN.match(statement)
    if not m:
        return False
    table, column = m.group(1), m.group(2)
    if conn.dialect == "postgresql":
        row = conn.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                           "AND table_name = ? AND column_name = ?", (table, column)).fetchone()
    else:
        row = conn.execute("SELECT 1 FROM pragma_table_info(?) WHERE name = ?", (table, column)).fetchone()
    return row is not None


def _check_not_newer(conn, version: int | None) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise StoreError(f"{conn.where}: database schema version {version} was made by a newer Crosswalk (this one "
                         f"knows up to {SCHEMA_VERSION}): upgrade Crosswalk")


def open_current(target, *, readonly: bool = False):
    """`target`'s database (`crosswalk.db.open_database`: a SQLite file or a PostgreSQL URL), checked to be at this
    Crosswalk's schema version (`ensure_current`; the schema is created in an empty database unless `readonly`);
    the connection is closed again when the check fails."""
    from crosswalk.db import open_database

    conn = open_database(target, readonly=readonly)
    try:
        ensure_current(conn, create=not readonly)
    except BaseException:
        conn.close()
        raise
    return conn


class Connected:
    """The base of the classes that own one connection to the workspace database (`self.conn`, opened at this
    Crosswalk's schema version by `open_current`): the store, the decision store and the accounts. `close()`
    closes it, and so does the end of a `with` block.

    Example: `with Store(ws.database) as store: ...`
    """

    def __init__(self, target, *, readonly: bool = False):
        self.conn = open_current(target, readonly=readonly)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def ensure_current(conn, create: bool) -> int:
    """Check that `conn`'s database is at this Crosswalk's version; create the schema in an empty database when
    `create`. Raises StoreError with the fix (`crosswalk db upgrade`) for an older one."""
    version = schema_version(conn)
    _check_not_newer(conn, version)
    if version is None:
        if not create:
            raise StoreError(f"no Crosswalk store in {conn.where}: run `crosswalk ingest` first")
        upgrade(conn)
        return SCHEMA_VERSION
    if version < SCHEMA_VERSION:
        raise StoreError(f"{conn.where}: database schema version {version}, this Crosswalk needs "
                         f"{SCHEMA_VERSION}: {FIX}")
    return version
