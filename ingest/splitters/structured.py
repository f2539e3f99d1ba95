"""Documents whose reader already found the structure in the markup (legislation.gov.uk CLML, USLM, eCFR XML)."""

from __future__ import annotations

from crosswalk.ingest.models import Extracted, Source, SplitResult


def detect(source: Source, extracted: Extracted) -> bool:
    return extracted.units is not None


def split(extracted: Extracted) -> SplitResult:
    return SplitResult(units=tuple(extracted.units or ()))
