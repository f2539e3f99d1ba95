"""Reading and writing files safely: text a spreadsheet may have saved in any common encoding, and writes that
land whole or not at all.

Used by every layer (gold and decision spreadsheets, indexes, reports, caches), so it sits in the foundation.
"""

from __future__ import annotations

import json
import os
import shutil
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
def temp_path(folder: Path | str, prefix: str = ".", suffix: str = ".tmp") -> Iterator[Path]:
    """A new empty file in `folder` (created if needed) for a writer that decides only later where the file goes (a
    download is named after its checksum): write it, then `move_into_place`. On leaving the block the file is
    removed if it is still there, so a failed or abandoned write leaves nothing behind.

    The file is in the destination's folder so that the move is one rename, never a copy.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with temp_path(folder, prefix=".partial-") as tmp:
    ...     _ = tmp.write_bytes(b"%PDF-1.7")
    ...     move_into_place(tmp, folder / "doc.pdf").read_bytes()
    b'%PDF-1.7'
    >>> sorted(p.name for p in folder.iterdir())
    ['doc.pdf']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def move_into_place(tmp: Path | str, path: Path | str) -> Path:
    """Put the finished file `tmp` at `path` in one step: its bytes are flushed to disk first (fsync), then it is
    renamed over `path` (`os.replace`), so after a crash `path` holds the old file or the new one, whole. The file
    is made readable by the workspace's other users (0644, not mkstemp's 0600), whoever created it. Returns `path`."""
    path = Path(path)
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fchmod(fd, 0o644)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


@contextmanager
def atomic_path(path: Path | str, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside `path` to write to; on leaving the block it replaces `path` in one step
    (`move_into_place`: flushed to disk, then renamed), so a reader never sees half a file. On an error the
    temporary file is removed and `path` is left as it was.

    For libraries that write files themselves (`faiss.write_index`, `np.save`, `savefig`): `suffix` keeps the
    temporary name's extension where the library reads the format from it, or adds one (`np.save` adds `.npy`
    to a name without it).

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("whole")
    >>> target.read_text()
    'whole'
    """
    path = Path(path)
    with temp_path(path.parent, prefix=f".{path.name}.", suffix=suffix) as tmp:
        yield tmp
        move_into_place(tmp, path)


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


@contextmanager
def temp_dir(folder: Path | str, prefix: str = ".") -> Iterator[Path]:
    """A new empty folder inside `folder` (created if needed) to build files in before moving them into place;
    removed with whatever is left in it on leaving the block."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=folder))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def atomic_dir(path: Path | str) -> Iterator[Path]:
    """A temporary folder beside `path` to fill; on leaving the block it takes the place of `path` (the old folder
    is removed just before the rename). On an error the temporary folder is removed and `path` is left as it was.

    Two renames cannot be one step, so a crash between them can leave no folder at `path`: callers keep a marker
    written last (the index's params.json) that says whether the whole is complete.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "bm25"
    >>> with atomic_dir(target) as tmp:
    ...     _ = (tmp / "vocab.json").write_text("{}")
    >>> sorted(p.name for p in target.iterdir())
    ['vocab.json']
    """
    path = Path(path)
    with temp_dir(path.parent, prefix=f".{path.name}.") as work:
        yield work
        shutil.rmtree(path, ignore_errors=True)
        os.replace(work, path)
