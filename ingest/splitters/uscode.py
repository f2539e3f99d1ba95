"""Placeholder until this splitter lands: recognises nothing."""

from __future__ import annotations

from ingest.models import Extracted, Source, SplitResult


def detect(source: Source, extracted: Extracted) -> bool:
    return False


def split(extracted: Extracted) -> SplitResult:
    raise NotImplementedError
