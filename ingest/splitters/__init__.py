"""Structure-aware splitters: from an `Extracted` document to `RawUnit`s with lawyers' citations.

Each splitter module has `detect(source, extracted) -> bool` and `split(extracted) -> SplitResult`, and may
have `prepare(extracted) -> Extracted` to repair its family's extraction faults (words a PDF split in two)
before splitting; `prepare()` below applies it, and the units' offsets are into the prepared text.
`split()` below asks them in order; the first that recognises the document wins, and `generic` (numbered
paragraphs, else `p.N#k` passages) is the last resort. Same input, same units.
"""

from __future__ import annotations

import importlib

from crosswalk.ingest.models import Extracted, Source, SplitResult

# Most specific first. Each name is a module of this package.
SPLITTERS = ("structured", "ukleg", "nycrr", "us_act", "uscode", "eu", "fca", "fsb", "generic")


def choose(source: Source, extracted: Extracted) -> str:
    """The name of the splitter that recognises this document."""
    for name in SPLITTERS:
        module = importlib.import_module(f"crosswalk.ingest.splitters.{name}")
        if module.detect(source, extracted):
            return name
    return "generic"


def split(source: Source, extracted: Extracted) -> SplitResult:
    name = choose(source, extracted)
    module = importlib.import_module(f"crosswalk.ingest.splitters.{name}")
    return module.split(extracted)


def prepare(source: Source, extracted: Extracted) -> Extracted:
    """The text the chosen splitter cuts: `extracted` repaired by the splitter's `prepare`, if it has one."""
    module = importlib.import_module(f"crosswalk.ingest.splitters.{choose(source, extracted)}")
    fix = getattr(module, "prepare", None)
    return fix(extracted) if fix else extracted
