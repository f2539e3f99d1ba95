"""Every `>>>` example in the package runs: one test per module that has examples.

Docstring examples are documentation a reader trusts; this keeps them true. Modules are found by reading the
source tree (the folders that install as `crosswalk.*`), so a new module with examples joins on its own.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"crosswalk": "crosswalk", "cli": "crosswalk.cli", "ingest": "crosswalk.ingest",
           "index": "crosswalk.index", "review": "crosswalk.review", "evaluation": "crosswalk.evaluation",
           "app_pages": "crosswalk.app_pages", "bench": "crosswalk.bench", "corpus": "crosswalk.corpus"}


def modules_with_examples() -> list[str]:
    found = []
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            if ">>>" not in path.read_text(encoding="utf-8"):
                continue
            rel = path.relative_to(ROOT / folder).with_suffix("").parts
            if rel[-1] == "__init__":
                rel = rel[:-1]
            found.append(".".join((package, *rel)))
    return found


MODULES = modules_with_examples()


def test_the_package_has_examples_to_run():
    assert len(MODULES) >= 5, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has `>>>` in its source but doctest found no example"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
