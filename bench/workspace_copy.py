"""A scratch copy of a workspace for benchmarks that write: the SQLite database through the backup API (a live
WAL included, the original only read) and the index folder."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Sequence

from crosswalk.workspace import Workspace


def copy_workspace(ws: Workspace, into: Path | str, *, leave_out: Sequence[str] = ()) -> Workspace:
    """A copy of `ws`'s database and index under `into`, without the index entries named in `leave_out` (e.g.
    `"sentences"`, the sentence cache, for a cold first run)."""
    copy = Workspace(Path(into)).ensure()
    src = sqlite3.connect(f"file:{ws.db_path}?mode=ro", uri=True)
    dst = sqlite3.connect(str(copy.db_path))
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    shutil.copytree(ws.index_dir, copy.index_dir, ignore=shutil.ignore_patterns(*leave_out) if leave_out else None,
                    dirs_exist_ok=True)
    return copy
