"""Domain exceptions, all in one place.

Every error says what was wrong, with the value, the limit and the fix where there is one. The command line
turns them into a one-line message and a non-zero exit.
"""

from __future__ import annotations


class CrosswalkError(Exception):
    """Base class: any error the command line reports as one line."""


class ConfigError(CrosswalkError):
    """A setting, option or argument is not valid."""


class SourceError(CrosswalkError):
    """A source listed in corpus/ cannot be fetched or is not as listed."""

    def __init__(self, source_id: str, problem: str):
        self.source_id = source_id
        self.problem = problem
        super().__init__(f"{source_id}: {problem}")


class DocumentError(CrosswalkError):
    """A document cannot be read or split. Names the file and the problem; the rest still ingest."""

    def __init__(self, path: str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class StoreError(CrosswalkError):
    """The workspace database is missing, locked or not of this version."""


class NotFoundError(CrosswalkError):
    """A provision, document or decision id that the store does not hold."""


class IndexStateError(CrosswalkError):
    """A saved index is missing, corrupt or does not match the store or the model."""


class QueryError(CrosswalkError):
    """A search request that cannot be answered as given (empty query, k out of range, unknown filter)."""
