"""One way to talk to the database, whichever it is: SQLite in the workspace (the default) or PostgreSQL.

`open_database(target)` takes a path (SQLite, `workspace/crosswalk.db`) or a URL (`postgresql://…`, from
`CROSSWALK_DATABASE_URL` or `--database-url`) and returns a connection with the same small surface on both:

- `execute(sql, args)` / `executemany(sql, rows)`, written once in SQLite's dialect (`?` placeholders,
  `json_each(col) alias`); on PostgreSQL the statement is rewritten (`%s`, `json_array_elements_text`);
- rows read by position and by name (`row[0]`, `row["id"]`, `dict(row)`), as `sqlite3.Row`;
- `transaction()`: one atomic write (SQLite `BEGIN IMMEDIATE`, PostgreSQL a real transaction; rolled back on any
  error), `table_exists(name)`, `dialect` ("sqlite" or "postgresql"), `where` (what to name in messages: the
  file, or the URL without its password).

A read-only connection cannot write on either backend (SQLite `mode=ro`; PostgreSQL
`default_transaction_read_only`). psycopg (3) is imported only when a PostgreSQL URL is used.

Example: open_database("postgresql://crosswalk@db/crosswalk").execute("SELECT COUNT(*) FROM provisions")
"""

from __future__ import annotations

import re
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from crosswalk.errors import ConfigError, StoreError

URL_PREFIXES = ("postgresql://", "postgres://")


def is_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(URL_PREFIXES)


def redact(url: str) -> str:
    """The URL without its password, for messages and logs: postgresql://ana:***@db/crosswalk."""
    return re.sub(r"^(\w+://[^:/@]+):[^@]*@", r"\1:***@", url)


# --- SQLite ---------------------------------------------------------------------------------------------------


class SqliteConnection(sqlite3.Connection):
    """sqlite3's connection with the shared surface (`dialect`, `where`, `transaction`, `table_exists`)."""

    dialect = "sqlite"

    def setup(self, path: Path, readonly: bool) -> None:
        self.where = str(path)
        self.readonly = readonly
        self._tx_lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator["SqliteConnection"]:
        with self._tx_lock:
            self.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.execute("ROLLBACK")
                raise
            self.execute("COMMIT")

    def table_exists(self, name: str) -> bool:
        return self.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


def connect_sqlite(path: Path | str, readonly: bool = False) -> SqliteConnection:
    """A connection in WAL mode with foreign keys on and a 30 s busy timeout."""
    path = Path(path)
    if readonly:
        if not path.exists():
            raise StoreError(f"no store at {path}: run `crosswalk ingest` first")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, check_same_thread=False,
                               factory=SqliteConnection)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False, factory=SqliteConnection)
        conn.execute("PRAGMA journal_mode=WAL")
    conn.setup(path, readonly)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


# --- PostgreSQL -----------------------------------------------------------------------------------------------

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|\?|%|json_each\(([^()]+)\)\s+(?:AS\s+)?(\w+)", re.I)


def to_postgres(sql: str) -> str:
    """A statement in the shared (SQLite) dialect, rewritten for PostgreSQL.

    `?` becomes `%s` and a literal `%` becomes `%%` (outside quoted strings); `json_each(col) t` becomes
    `json_array_elements_text(col::json) t(value)`, so `t.value` reads the same.

    >>> to_postgres("SELECT t.value FROM provisions p, json_each(p.topics) t WHERE p.id = ? AND x LIKE '5%'")
    "SELECT t.value FROM provisions p, json_array_elements_text(p.topics::json) t(value) WHERE p.id = %s AND x LIKE '5%%'"
    """

    def sub(m: re.Match) -> str:
        token = m.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if m.group(1):
            return f"json_array_elements_text({m.group(1)}::json) {m.group(2)}(value)"
        return token.replace("%", "%%")  # a quoted string or identifier: placeholders stay literal

    return _TOKENS.sub(sub, sql)


class Row(tuple):
    """A result row readable by position and by column name, like `sqlite3.Row`."""

    __slots__ = ()
    _names: tuple[str, ...] = ()

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._names.index(key))
            except ValueError:
                raise IndexError(f"no column {key!r}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor):
    names = tuple(c.name for c in cursor.description or ())
    cls = type("Row", (Row,), {"__slots__": (), "_names": names})
    return lambda values: cls(values)


class PostgresConnection:
    """A psycopg 3 connection in autocommit mode: each statement commits on its own unless it runs inside
    `transaction()`. Thread-safe for the app's threads (psycopg serialises statements on one connection)."""

    dialect = "postgresql"

    def __init__(self, url: str, readonly: bool = False):
        try:
            import psycopg
        except ImportError:
            raise ConfigError(
                "a PostgreSQL URL needs psycopg: pip install 'crosswalk[team]' (or 'psycopg[binary]>=3.2')"
            ) from None
        self.where = redact(url)
        self.readonly = readonly
        try:
            self.raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory, connect_timeout=15)
        except psycopg.OperationalError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise StoreError(f"cannot connect to {self.where}: {first}") from None
        _register_numeric(self.raw)
        if readonly:
            self.raw.execute("SET default_transaction_read_only = on")
        self._tx_lock = threading.RLock()

    def execute(self, sql: str, args: Sequence[Any] | None = ()):
        return self.raw.execute(to_postgres(sql), tuple(args or ()))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]):
        rows = [tuple(r) for r in rows]
        cur = self.raw.cursor()
        if rows:
            cur.executemany(to_postgres(sql), rows)
        return cur

    def commit(self) -> None:
        """Nothing to do: outside `transaction()` every statement has committed already."""

    def rollback(self) -> None:
        """Nothing to do: a failed `transaction()` has rolled back already."""

    def close(self) -> None:
        self.raw.close()

    @contextmanager
    def transaction(self) -> Iterator["PostgresConnection"]:
        with self._tx_lock, self.raw.transaction():
            yield self

    def table_exists(self, name: str) -> bool:
        row = self.raw.execute("SELECT to_regclass(%s)", (name,)).fetchone()
        return row is not None and row[0] is not None


def _register_numeric(conn) -> None:
    """SUM() over integers is NUMERIC in PostgreSQL: read it as int (or float), as SQLite gives it."""
    from decimal import Decimal

    from psycopg.adapt import Loader

    class NumberLoader(Loader):
        def load(self, data):
            value = Decimal(bytes(data).decode())
            return int(value) if value == value.to_integral_value() else float(value)

    conn.adapters.register_loader("numeric", NumberLoader)


# --- either ---------------------------------------------------------------------------------------------------

Connection = SqliteConnection | PostgresConnection


def open_database(target: Path | str, readonly: bool = False) -> Connection:
    """A connection to `target`: a PostgreSQL URL, else a SQLite file path."""
    if is_url(target):
        return PostgresConnection(str(target), readonly=readonly)
    if isinstance(target, str) and "://" in target:
        raise ConfigError(f"database URL {redact(target)!r} is not PostgreSQL: use postgresql://user@host/dbname")
    return connect_sqlite(target, readonly=readonly)


IN_CHUNK = 900  # values bound per statement by `select_in`: under SQLite's oldest limit (999 variables)


def select_in(conn: Connection, sql: str, values: Sequence[Any]) -> Iterator:
    """The rows of `sql` for all of `values`: `sql` holds one `IN ({})`, run once per chunk of `IN_CHUNK` values
    with that many placeholders. Rows come chunk by chunk, each chunk in the statement's own order.

    Example: select_in(conn, "SELECT id, content_hash FROM provisions WHERE id IN ({})", ids)
    """
    values = list(values)
    for start in range(0, len(values), IN_CHUNK):
        part = values[start : start + IN_CHUNK]
        yield from conn.execute(sql.format(",".join("?" * len(part))), part)


def describe(target: Path | str) -> str:
    return redact(str(target)) if is_url(target) else str(target)


def integrity_errors() -> tuple[type[BaseException], ...]:
    """The exception classes a broken constraint or trigger raises, on whichever backends are installed."""
    errors: list[type[BaseException]] = [sqlite3.IntegrityError, sqlite3.DatabaseError]
    try:
        import psycopg

        errors.append(psycopg.errors.Error)
    except ImportError:
        pass
    return tuple(errors)
