"""Write small real PDFs for tests: pages of text lines in Helvetica, optionally with margin notes.

No PDF library writes text pages for us, so this writes the PDF syntax by hand (objects, content streams
and an xref table); pypdf reads the result like any other PDF.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence


def _escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _stream(lines: Sequence[str], margin: Sequence[str] = (), size: int = 10) -> bytes:
    out = ["BT", f"/F1 {size} Tf", f"{size + 2} TL", "72 740 Td"]
    for line in lines:
        out.append(f"({_escape(line)}) Tj T*")
    out.append("ET")
    if margin:
        out += ["BT", "/F1 7 Tf", "9 TL", "500 700 Td"]
        for note in margin:
            out.append(f"({_escape(note)}) Tj T*")
        out.append("ET")
    return "\n".join(out).encode("cp1252")


def write_pdf(path: Path, pages: Sequence[Sequence[str]], margins: Sequence[Sequence[str]] = (), title: str = "") -> Path:
    """A PDF whose page i shows the lines `pages[i]` (and the margin notes `margins[i]` at the right)."""
    objects: list[bytes] = []
    n_pages = len(pages)
    # 1 catalog, 2 pages, 3 font, then per page: page object, content stream; last: info
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, lines in enumerate(pages):
        margin = margins[i] if i < len(margins) else ()
        body = _stream(lines, margin)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(f"<< /Length {len(body)} >>\nstream\n".encode() + body + b"\nendstream")
    info_no = len(objects) + 1
    objects.append(f"<< /Title ({_escape(title)}) /Author (Crosswalk tests) >>".encode())
    data = bytearray(b"%PDF-1.4\n")
    offsets = []
    for no, body in enumerate(objects, start=1):
        offsets.append(len(data))
        data += f"{no} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(data)
    data += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        data += f"{off:010d} 00000 n \n".encode()
    data += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {info_no} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(data))
    return path
