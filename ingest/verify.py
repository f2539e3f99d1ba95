"""Is a fetched body the document its source lists? Its format is read from its first bytes (`detect_format`), then
compared with the listed format and, where the two are the same kind of file, its sha256 with the listed one.

When the listed file is a text conversion (`md`) and the official URL serves the HTML page it was made from, the
HTML is kept without comparing checksums (a remark says so); an HTML page where a PDF or XML document was
expected is an error (often a moved document, or an error or consent page).

Example: check(source, body, "https://…/ps23-6.pdf", "") -> ("pdf", [])
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path, PurePosixPath

from crosswalk.errors import SourceError
from crosswalk.ingest.download import Body
from crosswalk.ingest.models import Source
from crosswalk.ingest.readers import sniff
from crosswalk.ingest.sources import format_of

_CONTENT_TYPES = {
    "application/pdf": "pdf",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/markdown": "md",
    "text/plain": "txt",
}


def check(source: Source, body: Body, where: str, note: str, *, from_url: bool) -> tuple[str, list[str]]:
    """The format of `body` (fetched from `where`, a URL when `from_url`) and remarks for the report; a
    SourceError starting with `note` when it is the wrong kind of document or its sha256 is not the listed one."""
    if from_url:
        name_hint = PurePosixPath(urllib.parse.urlsplit(body.final_url or where).path).name
    else:
        name_hint = Path(where).name
    got = detect_format(body.head, body.content_type, name_hint)
    expected = source.format or format_of(source.file)
    relation = _relation(expected, got)
    if relation == "wrong":
        raise SourceError(
            source.id,
            f"{note}expected a {expected} document but {where} holds {got} (starts {body.head[:32]!r}); "
            "it may be an error or consent page: check the address, or put the file in a mirror folder",
        )
    remarks = []
    if source.sha256 and relation == "same":
        if body.sha256 != source.sha256:
            raise SourceError(
                source.id,
                f"{note}sha256 mismatch: expected {source.sha256}, got {body.sha256} ({body.size:,} bytes from "
                f"{where}); not installed. If the publisher has issued a new version, check it, then update or "
                "clear sha256 in corpus/sources.csv",
            )
    elif source.sha256:
        remarks.append(f"{where} serves {got}; the listed sha256 is of the {expected} file, so it was not compared")
    return got, remarks


def detect_format(head: bytes, content_type: str = "", name: str = "") -> str:
    """The format of fetched bytes: their first bytes first, then the Content-Type, then the name's suffix.

    A name ending in .pdf does not make an HTML error page a PDF.

    Example: detect_format(b"%PDF-1.7") == "pdf"; detect_format(b"<!DOCTYPE html>", "", "ps23-6.pdf") == "html"
    """
    if head.startswith(b"%PDF"):
        return "pdf"
    hinted = _CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())
    if hinted and hinted != "pdf":
        probe = Path(f"download.{hinted}")
    else:
        suffix = PurePosixPath(name).suffix.lower()
        probe = Path("download" + ("" if suffix == ".pdf" else suffix))
    return sniff(probe, head)


def _relation(expected: str, got: str) -> str:
    """How a fetched format relates to the listed one.

    `same` (checksums comparable), `conversion` (the listed file is text made from the official HTML page,
    which is what the URL serves), or `wrong` (e.g. an HTML page where a PDF was expected).

    Example: _relation("pdf", "pdf") == "same"; _relation("md", "html") == "conversion";
             _relation("pdf", "html") == "wrong"
    """

    def family(fmt: str) -> str:
        return "text" if fmt in ("md", "txt") else fmt

    if not expected or family(expected) == family(got):
        return "same"
    if family(expected) == "text" and got == "html":
        return "conversion"
    return "wrong"
