"""Reading and writing files safely: text a spreadsheet may have saved in any common encoding, and writes that
land whole or not at all.

Used by every layer (gold and decision spreadsheets, indexes, reports, caches), so it sits in the foundation.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from crosswalk.errors import ConfigError


def read_text(path: Path | str, what: str, fix: str = "give another with the option, or write it (see "
              "evaluation/gold_io.py for the format)") -> str:
    """The text of `path`: UTF-8 (a BOM dropped) or UTF-16 with a byte-order mark (a spreadsheet's "Unicode
    text"); CRLF is left to the caller's `splitlines`. ConfigError naming the file when it is missing or not text;
    `fix` ends the message for a missing file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no {what} file at {path}: {fix}")
    try:
        raw = path.read_bytes()
        # a spreadsheet's "Unicode text" is UTF-16 with a byte-order mark; everything else must be UTF-8
        text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8-sig")
    except OSError as e:
        raise ConfigError(f"cannot read {what} file {path}: {e}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"cannot read {what} file {path}: not UTF-8 text ({e.reason} at byte {e.start}); save "
                          "it as UTF-8 (in a spreadsheet: UTF-8 tab-delimited text)") from None
    return text


def read_json(path: Path | str, what: str, fix: str):
    """The JSON data of a file the code ships (a vocabulary, a pattern file, the aliases); ConfigError naming the
    file when it is missing (`{what} is missing; {fix}`) or not valid JSON (the line and column)."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} is missing; {fix}") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None


@contextmanager
def atomic_path(path: Path | str, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside `path` to write to; on leaving the block it replaces `path` in one step
    (`os.replace`), so a reader never sees half a file. On an error the temporary file is removed and `path` is
    left as it was.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("whole")
    >>> target.read_text()
    'whole'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write(path: Path | str, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write `data` (text or bytes) to `path` whole or not at all (see `atomic_path`); returns `path`.

    >>> import tempfile, pathlib
    >>> p = atomic_write(pathlib.Path(tempfile.mkdtemp()) / "b.json", "{}")
    >>> p.read_text()
    '{}'
    """
    with atomic_path(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding=encoding)
    return Path(path)
