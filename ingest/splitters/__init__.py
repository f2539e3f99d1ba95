"""Structure-aware splitters: from an `Extracted` document to `RawUnit`s with lawyers' citations.

Each splitter module has `detect(source, extracted) -> bool` and `split(extracted) -> SplitResult`.
`split()` below asks them in order; the first that recognises the document wins, and `generic` (numbered
paragraphs, else `p.N#k` passages) is the last resort. Same input, same units.
"""

from __future__ import annotations

import importlib

from crosswalk.ingest.models import Extracted, Source, SplitResult

# Most specific first. Each name is a module of this package.
SPLITTERS = ("structured", "us_act", "uscode", "eu", "fca", "fsb", "generic")


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
