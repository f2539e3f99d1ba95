"""A real, throwaway PostgreSQL server for the tests: Debian's `postgresql` package (`./crosswalk.sh test` installs
it with apt), `initdb` in a temporary folder, served on a free loopback port, stopped at the end of the session.

initdb and postgres refuse to run as root, so as root they run as the `postgres` system user the Debian package
creates (`runuser -u postgres`). Each test asks for a new, empty database (`new_database()`), so tests never
see each other's rows.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path


def find_bin(name: str) -> str | None:
    """`name` from PostgreSQL's own bin folder (newest version first), else from PATH."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True):
        if os.access(os.path.join(folder, name), os.X_OK):
            return os.path.join(folder, name)
    return shutil.which(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """initdb + pg_ctl start; `url(db)` names a database on it; `stop()` removes everything.

    For speed, the tests' server does not fsync; `durable=True` keeps PostgreSQL's default (for benchmarks)."""

    def __init__(self, durable: bool = False):
        initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError("PostgreSQL is not installed (no initdb): run `./crosswalk.sh test`, which installs "
                               "it, or `apt-get install -y postgresql`")
        self.pg_ctl = pg_ctl
        self.folder = Path(tempfile.mkdtemp(prefix="crosswalk-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.user = "crosswalk"
        self._as = []
        if os.geteuid() == 0:  # PostgreSQL will not run as root
            shutil.chown(self.folder, "postgres")
            os.chmod(self.folder, 0o700)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run([initdb, "-D", str(self.data), "-U", self.user, "--auth=trust", "--encoding=UTF8",
                   "--locale=C.UTF-8"] + ([] if durable else ["--no-sync"]))
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} "
                   "-c max_connections=60" + ("" if durable else " -c fsync=off -c full_page_writes=off"))
        self._run([pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "-t", "60",
                   "start"])
        self._wait()

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(self._as + argv, capture_output=True, text=True)
        if done.returncode != 0:
            log = (self.folder / "log").read_text() if (self.folder / "log").exists() else ""
            raise RuntimeError(f"{' '.join(argv[:2])} failed: {done.stderr.strip() or done.stdout.strip()} {log}")

    def _wait(self) -> None:
        import psycopg

        for _ in range(100):
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.2)
        raise RuntimeError(f"PostgreSQL on port {self.port} did not accept connections")

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "t") -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(self._as + [self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)
