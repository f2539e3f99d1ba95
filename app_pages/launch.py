"""Starting the app: the Streamlit command line that `crosswalk app` runs for a workspace."""

from __future__ import annotations

import sys
from pathlib import Path

from crosswalk.errors import ConfigError
from crosswalk.workspace import Workspace

# the Streamlit script inside the package, so an installed wheel can start the app as a checkout does
APP_SCRIPT = Path(__file__).resolve().with_name("app.py")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def app_command(workspace: Workspace, host: str = "127.0.0.1", port: int = 8501,
                python: str | None = None) -> tuple[list[str], dict[str, str]]:
    """(argv, extra environment) that start the app with Streamlit on `host:port` for `workspace`.

    >>> argv, env = app_command(Workspace(Path("/tmp/ws")), port=8600, python="python")
    >>> argv[:4], argv[argv.index("--server.address") + 1], env["CROSSWALK_WORKSPACE"]
    (['python', '-m', 'streamlit', 'run'], '127.0.0.1', '/tmp/ws')
    """
    if not 1 <= int(port) <= 65535:
        raise ConfigError(f"port {port} is out of range: use 1 to 65535 (8501 is Streamlit's usual one)")
    argv = [
        python or sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT),
        "--server.address", host, "--server.port", str(int(port)), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
        # no file watcher: the app's code does not change under a reviewer, and watching the checkout (with
        # its workspace and venv) floods inotify and costs CPU
        "--server.fileWatcherType", "none",
    ]
    return argv, {"CROSSWALK_WORKSPACE": str(workspace.root)}
