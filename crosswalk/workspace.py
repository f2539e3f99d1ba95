"""Where a run keeps what it produces: one workspace directory.

`crosswalk.db` (documents, provisions, entities, review queue, decisions), `index/` (dense and lexical indexes),
`cache/` (fetched sources). Default `./workspace`; `--workspace` or `CROSSWALK_WORKSPACE` changes it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WORKSPACE = "workspace"
ENV_VAR = "CROSSWALK_WORKSPACE"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def resolve(cls, path: str | os.PathLike | None = None) -> "Workspace":
        """The workspace named by `path`, else by $CROSSWALK_WORKSPACE, else ./workspace.

        Example: Workspace.resolve("/tmp/ws").db_path == Path("/tmp/ws/crosswalk.db")
        """
        chosen = path or os.environ.get(ENV_VAR) or DEFAULT_WORKSPACE
        return cls(Path(chosen).expanduser().resolve())

    @property
    def db_path(self) -> Path:
        return self.root / "crosswalk.db"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    def ensure(self) -> "Workspace":
        self.root.mkdir(parents=True, exist_ok=True)
        return self
