"""Where a run keeps what it produces: one workspace directory, and the database it uses.

`crosswalk.db` (documents, provisions, entities, review queue, decisions, evaluation history, accounts),
`index/` (dense and lexical indexes), `cache/` (fetched sources). Default `./workspace`; `--workspace` or
`CROSSWALK_WORKSPACE` changes it. With `CROSSWALK_DATABASE_URL=postgresql://…` (or `--database-url`), the
database is that PostgreSQL server instead of `crosswalk.db`, and the workspace keeps only the files (index,
cache, evaluation reports); nothing is written to `crosswalk.db` then.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WORKSPACE = "workspace"
ENV_VAR = "CROSSWALK_WORKSPACE"
DATABASE_ENV_VAR = "CROSSWALK_DATABASE_URL"


@dataclass(frozen=True)
class Workspace:
    root: Path
    database_url: str | None = None

    @classmethod
    def resolve(cls, path: str | os.PathLike | None = None, database_url: str | None = None) -> "Workspace":
        """The workspace named by `path`, else by $CROSSWALK_WORKSPACE, else ./workspace; its database is
        `database_url`, else $CROSSWALK_DATABASE_URL, else the workspace's `crosswalk.db`.

        Example: Workspace.resolve("/tmp/ws").db_path == Path("/tmp/ws/crosswalk.db")
        """
        chosen = path or os.environ.get(ENV_VAR) or DEFAULT_WORKSPACE
        url = (database_url or os.environ.get(DATABASE_ENV_VAR) or "").strip() or None
        return cls(Path(chosen).expanduser().resolve(), url)

    @property
    def db_path(self) -> Path:
        """The SQLite file (used only when no database URL is set)."""
        return self.root / "crosswalk.db"

    @property
    def database(self) -> Path | str:
        """What `Store` and `DecisionStore` open: the PostgreSQL URL when one is set, else `db_path`."""
        return self.database_url or self.db_path

    def describe_database(self) -> str:
        from crosswalk.db import describe

        return describe(self.database)

    def has_store(self) -> bool:
        """Whether there may be a store to read: a database URL is set, or `crosswalk.db` exists."""
        return bool(self.database_url) or self.db_path.exists()

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    def ensure(self) -> "Workspace":
        self.root.mkdir(parents=True, exist_ok=True)
        return self
