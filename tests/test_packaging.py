"""Packaging and layering: one import name in the wheel, no import cycle between the top-level folders.

The design card's folders stay at the top of the repository and install as `crosswalk.*` (pyproject's
package-dir). These tests read the source tree (the layering) and build and install a real wheel (what a user
gets from `pip install`).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# folder -> its import name; the layers, lowest first (a folder may import only folders listed before it)
LAYERS = {
    "crosswalk": "crosswalk",  # foundation: errors, workspace, shared vocabularies
    "corpus": "crosswalk.corpus",
    "ingest": "crosswalk.ingest",
    "index": "crosswalk.index",
    "review": "crosswalk.review",
    "evaluation": "crosswalk.evaluation",
    "app_pages": "crosswalk.app_pages",
    "bench": "crosswalk.bench",
    "cli": "crosswalk.cli",  # the command line sits above everything
}
FOUNDATION_MODULES = {"errors", "workspace", "vocab", "files", "db", "schema", "__init__"}


def _folder_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "crosswalk":
        return None
    if len(parts) > 1:
        for folder, name in LAYERS.items():
            if folder != "crosswalk" and name.split(".")[1] == parts[1]:
                return folder
    return "crosswalk"


def import_edges() -> dict[str, dict[str, list[str]]]:
    """folder -> {imported folder: [files that import it]} over every module of every folder."""
    edges: dict[str, dict[str, list[str]]] = {}
    for folder in LAYERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                else:
                    continue
                for name in names:
                    target = _folder_of(name)
                    if target and target != folder:
                        edges.setdefault(folder, {}).setdefault(target, []).append(str(path.relative_to(ROOT)))
    return edges


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle in a directed graph as a path [a, b, ..., a], or None.

    >>> find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}})
    ['a', 'b', 'c', 'a']
    >>> find_cycle({"a": {"b"}, "b": set()}) is None
    True
    """
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_find_cycle_finds_a_planted_cycle_and_none_in_a_dag():
    assert find_cycle({"x": {"y"}, "y": {"z"}, "z": {"y"}}) == ["y", "z", "y"]
    assert find_cycle({"x": {"y", "z"}, "y": {"z"}, "z": set()}) is None


def test_no_import_cycle_between_top_level_folders():
    edges = import_edges()
    graph = {folder: set(targets) for folder, targets in edges.items()}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle between folders: " + " -> ".join(cycle) + "; " + "; ".join(
        f"{a} imports {b} in {sorted(set(edges[a][b]))[:3]}" for a, b in zip(cycle, cycle[1:]))


def test_each_folder_imports_only_the_layers_below_it():
    order = list(LAYERS)
    wrong = []
    for folder, targets in import_edges().items():
        for target, files in targets.items():
            if order.index(target) > order.index(folder):
                wrong.append(f"{folder} imports {target} ({sorted(set(files))[0]})")
    assert not wrong, "; ".join(wrong)


def test_foundation_imports_nothing_above_it():
    edges = import_edges().get("crosswalk", {})
    assert not edges, f"the foundation (crosswalk/) imports {sorted(edges)}"
    extra = {p.stem for p in (ROOT / "crosswalk").glob("*.py")} - FOUNDATION_MODULES
    assert not extra, f"crosswalk/ holds only the foundation; move {sorted(extra)} to its layer"


def test_no_module_over_600_lines():
    long = {}
    for folder in LAYERS:
        for path in (ROOT / folder).rglob("*.py"):
            n = len(path.read_text(encoding="utf-8").splitlines())
            if n > 600:
                long[str(path.relative_to(ROOT))] = n
    assert not long, "modules over 600 lines: " + ", ".join(f"{m} ({n} lines)" for m, n in sorted(long.items()))


# --- the wheel ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # build from a copy of the tracked tree, so the build leaves no build/ or egg-info in the checkout
    src = tmp_path_factory.mktemp("src")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for rel in filter(None, tracked.decode().split("\0")):
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(src)], check=True, capture_output=True, text=True)
    (whl,) = out.glob("crosswalk-*.whl")
    return whl


def test_wheel_installs_one_import_name_and_carries_its_data_files(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert top == {"crosswalk"}, f"the wheel puts {sorted(top)} into site-packages"
    for data in ("crosswalk/index/vocabulary.json", "crosswalk/corpus/aliases.json",
                 "crosswalk/corpus/sources.csv", "crosswalk/evaluation/gold/queries.tsv",
                 "crosswalk/ingest/patterns/citations.json", "crosswalk/app_pages/app.py"):
        assert data in names, f"{data} is missing from the wheel"
    entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry).decode()
    assert "crosswalk = crosswalk.cli:main" in scripts


def _fresh_venv(path: Path) -> Path:
    """A new virtual environment that sees this environment's third-party packages (torch and the rest are
    reused, not reinstalled) but not this checkout or its editable install."""
    venv.EnvBuilder(with_pip=False).create(path)
    here = sysconfig.get_paths()["purelib"]
    py = path / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # a plain path entry: .pth files inside `here` (the editable install's finder) are not run from there
    Path(site, "_deps.pth").write_text(here + "\n")
    return py


def test_wheel_installed_without_editable_runs_search_with_vocabulary_expansion(wheel, tmp_path):
    py = _fresh_venv(tmp_path / "venv")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True, text=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CROSSWALK_WORKSPACE")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    probe = subprocess.run(
        [str(py), "-c", "import crosswalk, crosswalk.index.expansion as e; print(crosswalk.__file__); "
                        "print(e.VOCABULARY_PATH.is_file())"],
        cwd=outside, env=env, check=True, capture_output=True, text=True).stdout.split()
    assert str(tmp_path / "venv") in probe[0] and probe[1] == "True", probe
    # a small workspace: two synthetic documents, ingested and indexed by the installed command
    docs = outside / "docs"
    docs.mkdir()
    (docs / "manifest.csv").write_text(
        "id,file,jurisdiction,issuer,doc_type,title,date,official_url\n"
        "US-TEST-ACT,us.md,US,Congress,statute,Test Act,2025-01-01,https://example.org/act\n"
        "UK-TEST-RULES,uk.md,UK,FCA,rulebook,Test Rules,2025-01-01,https://example.org/rules\n")
    (docs / "us.md").write_text("# Test Act\n\nSEC. 4. RESERVES.\n\n(a) An issuer shall maintain reserves backing "
                                "the payment stablecoins on at least a one to one basis.\n")
    (docs / "uk.md").write_text("# Test Rules\n\n1.1 Backing assets\n\nA firm must hold backing assets for the "
                                "qualifying stablecoin equal to the value of the coins in issue.\n")
    cw = str(Path(py).with_name("crosswalk"))
    ws = str(outside / "ws")
    for argv in ([cw, "ingest", str(docs), "-w", ws, "--no-tags"], [cw, "index", "-w", ws]):
        r = subprocess.run(argv, cwd=outside, env=env, capture_output=True, text=True)
        assert r.returncode == 0, (argv, r.stdout[-2000:], r.stderr[-2000:])
    r = subprocess.run([cw, "search", "stablecoin reserve", "-w", ws, "--json", "-r", "bm25"],
                       cwd=outside, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    import json

    hits = json.loads(r.stdout)
    assert hits and {h["doc_id"] for h in hits} == {"US-TEST-ACT", "UK-TEST-RULES"}, hits
    # the UK text says "backing assets", never "reserve": only the vocabulary's expansion can find it by BM25
    assert any(h["doc_id"] == "UK-TEST-RULES" for h in hits)


def test_pyproject_lists_every_package_of_the_tree():
    """pyproject names each package explicitly (package-dir maps the folders): a new subpackage must be listed,
    or the wheel silently lacks it."""
    import tomllib

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    folder_of = {name: folder for name, folder in setuptools["package-dir"].items()}
    expected = set()
    for name, folder in folder_of.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            expected.add(".".join((name, *rel)))
    assert set(setuptools["packages"]) == expected, sorted(expected ^ set(setuptools["packages"]))
