"""App start-up: seconds from process start to the first answered search, on a workspace with a saved index.

Two measurements, each in a fresh process (cold imports, the index loaded from disk, never re-embedded):

- **library** — `python -c` opens the `Workbench` and answers one search: the work the app does for its
  first query, without Streamlit or a browser.
- **app** — `streamlit run app.py` is started; a headless Chromium (Debian's, driven by Playwright) already
  running opens `/?q=QUERY` as soon as the health endpoint answers, and the clock stops when the first result
  is on the page. This is what a reviewer waits for after `crosswalk app`. Target: 10 s or less.

Example: crosswalk bench app --workspace workspace   (prints a Markdown table)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from crosswalk.errors import ConfigError, IndexStateError
from crosswalk.workspace import Workspace

QUERY = "custody of client cryptoassets"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
RESULT_TEXT = "Find counterparts"

_LIBRARY = """
import json, sys, time
from crosswalk.app_pages.workbench import Workbench
t_import = time.time()
wb = Workbench.open(sys.argv[1])
wb.start_warm_up()  # as the app does when it opens the workspace
t_open = time.time()
first = wb.search(sys.argv[2])
t_first = time.time()
hybrid = wb.search(sys.argv[2], wait_for_model=True)
t_hybrid = time.time()
print(json.dumps({"imported": t_import, "opened": t_open, "first": t_first, "hybrid": t_hybrid,
                  "first_retriever": first.retriever, "hits": len(hybrid.hits)}), flush=True)
"""


def check_workspace(ws: Workspace) -> None:
    """A workspace to measure: a store and a saved index, else an error saying what to run."""
    if not ws.db_path.exists():
        raise ConfigError(f"no store at {ws.db_path}: run `crosswalk ingest` then `crosswalk index` first")
    if not (ws.index_dir / "params.json").exists():
        raise IndexStateError(f"no saved index in {ws.index_dir}: run `crosswalk index` first")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(ws: Workspace) -> dict:
    root = str(Path(__file__).resolve().parents[1])
    return {**os.environ, "CROSSWALK_WORKSPACE": str(ws.root), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}


def measure_library(ws: Workspace, query: str = QUERY) -> dict:
    """Seconds from starting a Python process to its first answered search, and to its first hybrid one.

    The first answer is BM25 alone when the embedding model is still loading (the app says so on the page);
    the hybrid answer waits for the model."""
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-c", _LIBRARY, str(ws.root), query], capture_output=True, text=True,
                          env=_env(ws), timeout=600)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise ConfigError(f"the library measurement failed: {last}")
    t = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "imports": t["imported"] - t0,
        "open": t["opened"] - t["imported"],
        "first": t["first"] - t0,
        "first_retriever": t["first_retriever"],
        "hybrid": t["hybrid"] - t0,
    }


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ConfigError(f"streamlit exited with status {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise ConfigError(f"{url} did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen, grace: float = 10) -> None:
    """Stop the server `proc`: SIGTERM, then SIGKILL if it has not exited within `grace` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()


def measure_app(ws: Workspace, query: str = QUERY, timeout: float = 180) -> dict:
    """Seconds from `streamlit run` to the health endpoint answering, and to the first result in the browser."""
    from playwright.sync_api import sync_playwright

    from crosswalk.app_pages.launch import app_command

    port = free_port()
    argv, extra = app_command(ws, "127.0.0.1", port)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, env={**_env(ws), **extra}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc, timeout)
            healthy = time.perf_counter() - t0
            page.goto(f"http://127.0.0.1:{port}/?q={quote(query)}")
            page.get_by_text(RESULT_TEXT).first.wait_for(timeout=timeout * 1000)
            answered = time.perf_counter() - t0
        finally:
            stop(proc)
            browser.close()
    return {"healthy": healthy, "answered": answered}


def main(ws: Workspace, query: str = QUERY, browser: bool = True) -> str:
    """Both measurements on `ws` as a Markdown table."""
    check_workspace(ws)
    params = json.loads((ws.index_dir / "params.json").read_text(encoding="utf-8"))
    n = params.get("store", {}).get("provisions")
    n = f"{n:,}" if isinstance(n, int) else "?"
    lib = measure_library(ws, query)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"App start-up on `{ws.root}` ({n} provisions), query \"{query}\", {os.cpu_count()} cores, "
        f"load average {load:.1f} at the start:",
        "",
        "| measurement | seconds |",
        "| --- | ---: |",
        f"| library: process start → imports done | {lib['imports']:.1f} |",
        f"| library: … → workspace open (store; index loading in the background) | {lib['imports'] + lib['open']:.1f} |",
        f"| library: … → first answered search ({lib['first_retriever']}) | {lib['first']:.1f} |",
        f"| library: … → first hybrid search (index and embedding model loaded) | {lib['hybrid']:.1f} |",
    ]
    if browser:
        if not Path(CHROMIUM).exists():
            lines.append(f"| app in a browser | not measured: {CHROMIUM} is missing |")
        else:
            app = measure_app(ws, query)
            lines.append(f"| app: `streamlit run` → health endpoint answers | {app['healthy']:.1f} |")
            lines.append(f"| app: `streamlit run` → first results shown in the browser | {app['answered']:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(main(Workspace.resolve(sys.argv[1] if len(sys.argv) > 1 else None)))
