"""The evaluation history in the workspace database, for a team server (`CROSSWALK_DATABASE_URL`).

The same lines as `history.jsonl` (one JSON run each, see `crosswalk.evaluation.history`), as rows of `eval_history`,
oldest first, only ever inserted. `crosswalk.evaluation.history.load` and `append` take a `DatabaseHistory` wherever
they take the file, and `location(ws)` picks the right one: the database when the workspace has a database
URL, else `WORKSPACE/eval/history.jsonl`.

Example: load(location(Workspace.resolve()))[0][-1]["systems"]["hybrid"]["means"]["nDCG@10"]
"""

from __future__ import annotations

import json
from pathlib import Path


class DatabaseHistory:
    """`eval_history` rows in the database at `database` (a PostgreSQL URL or a SQLite path)."""

    def __init__(self, database: Path | str):
        self.database = database

    def __str__(self) -> str:
        from crosswalk.db import describe

        return f"eval_history in {describe(self.database)}"

    def read_lines(self) -> list[str]:
        from crosswalk.db import open_database
        from crosswalk.schema import ensure_current

        conn = open_database(self.database, readonly=True)
        try:
            ensure_current(conn, create=False)
            return [r[0] for r in conn.execute("SELECT entry FROM eval_history ORDER BY seq")]
        finally:
            conn.close()

    def write_line(self, entry: dict) -> "DatabaseHistory":
        from crosswalk.db import open_database
        from crosswalk.schema import ensure_current

        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        conn = open_database(self.database)
        try:
            ensure_current(conn, create=True)
            with conn.transaction():
                conn.execute("INSERT INTO eval_history(generated_at, entry) VALUES (?, ?)",
                             (str(entry.get("generated_at") or ""), line))
        finally:
            conn.close()
        return self


def location(workspace) -> "Path | DatabaseHistory":
    """Where `workspace` keeps its evaluation history: the database when it has a URL, else the JSONL file."""
    from crosswalk.evaluation.history import HISTORY

    if workspace.database_url:
        return DatabaseHistory(workspace.database_url)
    return workspace.root / "eval" / HISTORY
