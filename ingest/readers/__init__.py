"""Readers: one file in, one `Extracted` out (cleaned body text, page offsets, metadata, maybe structure).

`read(path)` picks the reader from the file's first bytes and its name. Every failure is a
`DocumentError` naming the file and the problem; no reader returns None.
"""

from __future__ import annotations

from pathlib import Path

from crosswalk.errors import DocumentError
from crosswalk.ingest.models import Extracted

MAX_BYTES = 100 * 1024 * 1024  # 100 MiB: larger files are refused, not truncated

FORMATS = ("pdf", "html", "xml", "md", "txt")


def sniff(path: Path, head: bytes) -> str:
    """The format of a file from its first bytes, then its suffix.

    Example: sniff(Path("a.bin"), b"%PDF-1.7") == "pdf"; sniff(Path("rules.md"), b"# Title") == "md"
    """
    lead = head.lstrip()[:512].lower()
    suffix = path.suffix.lower().lstrip(".")
    if head.startswith(b"%PDF"):
        return "pdf"
    if suffix == "pdf":
        return "pdf"  # claims to be a PDF: the PDF reader says why it is not one
    if lead.startswith(b"<?xml") or suffix == "xml":
        if b"<html" in lead or b"<!doctype html" in lead:
            return "html"
        return "xml"
    if lead.startswith(b"<!doctype html") or lead.startswith(b"<html") or suffix in ("html", "htm", "xhtml"):
        return "html"
    if suffix in ("md", "markdown"):
        return "md"
    return "txt"


def read(path: str | Path, max_bytes: int = MAX_BYTES) -> Extracted:
    path = Path(path)
    if not path.is_file():
        raise DocumentError(path, "no such file")
    size = path.stat().st_size
    if size == 0:
        raise DocumentError(path, "empty file (0 bytes)")
    if size > max_bytes:
        raise DocumentError(
            path, f"file of {size:,} bytes is over the size limit of {max_bytes:,} bytes; split it or raise --max-bytes"
        )
    with path.open("rb") as fh:
        head = fh.read(4096)
    fmt = sniff(path, head)
    if fmt == "pdf":
        from crosswalk.ingest.readers.pdf import read_pdf

        return read_pdf(path)
    if fmt == "html":
        from crosswalk.ingest.readers.html import read_html

        return read_html(path)
    if fmt == "xml":
        from crosswalk.ingest.readers.xml import read_xml

        return read_xml(path)
    from crosswalk.ingest.readers.text import read_text

    return read_text(path, markdown=(fmt == "md"))
