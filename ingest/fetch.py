"""Fetch: put each source's document into the workspace cache, from a mirror folder or its official URL.

Where a document comes from: **the mirror if it has the file, else the official URL.** With `mirror` given, a
source whose `file` exists in the mirror folder is copied from there (no network); every other source is
downloaded from its `official_url`. Without `mirror`, every source is downloaded.

Cache layout, one folder per source:

    cache/{source_id}/{sha256[:16]}.{ext}   one file per version of the document, never overwritten
    cache/{source_id}/meta.json             the versions and which one is current

`meta.json` lists each version with its `sha256`, `file`, `bytes`, `format`, `fetched_at` (UTC), `origin`
(`url` or `mirror`), `url` or `mirror_path`, and the `etag` / `last_modified` validators the server sent;
`current` is the sha256 of the version ingest reads, `checked_at` the last time the source was checked. A
document that changes upstream is kept as a new version beside the old one, which stays on disk.

Downloads use only the standard library (`urllib.request`) and:
- send `If-None-Match` / `If-Modified-Since` from the current version, so an unchanged document costs a 304;
- stream to a temporary file in the cache and move it into place with `os.replace` (no half-written files);
- check the listed sha256 (a mismatch is that source's error, and nothing is installed);
- treat a body shorter than its Content-Length as an error, not a document;
- retry 5xx, 408, 429, time-outs, truncated bodies and dropped connections up to `retries` more times with
  exponential back-off (`backoff`, `2*backoff`, `4*backoff` … seconds); a 404 or other 4xx is not retried;
- give up on a server that sends nothing for `timeout` seconds.
Each source's problem becomes a `SourceError(source_id, problem)` in the report; the other sources go on.

A mirror copy is checked against the listed sha256 too. When the listed file is a text conversion (`md`) and
the official URL serves the HTML page it was made from, the HTML is kept without comparing checksums (the
report says so); an HTML page where a PDF or XML document was expected is an error (often a moved document).

Example: report = fetch_sources(load_sources(), "workspace/cache", mirror="../shared/corpus")
         print(report.summary())  # "26 sources: 11 downloaded, 15 copied"
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path, PurePosixPath

from crosswalk import __version__
from crosswalk.errors import ConfigError, SourceError
from crosswalk.ingest.models import Source
from crosswalk.ingest.readers import MAX_BYTES, sniff
from crosswalk.ingest.sources import ID_PATTERN, format_of

USER_AGENT = f"Crosswalk/{__version__} (regulatory text fetcher; Python urllib)"
META_NAME = "meta.json"
PARTIAL_PREFIX = ".partial-"
CHUNK_SIZE = 64 * 1024
MAX_RETRY_AFTER = 30.0  # seconds: the most a server's Retry-After is allowed to make us wait
RETRY_CODES = frozenset({408, 429})  # plus every 5xx

_CONTENT_TYPES = {
    "application/pdf": "pdf",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/markdown": "md",
    "text/plain": "txt",
}


class FetchStatus(str, Enum):
    """What fetching did for one source.

    - ``downloaded``: a version was fetched from the official URL and is now current (new, or an older
      version made current again).
    - ``not-modified``: the server answered 304 to a conditional request; the current file is untouched.
    - ``copied``: a version was copied from the mirror folder and is now current.
    - ``unchanged``: the document (URL or mirror) is byte-identical to the current version; nothing written.
    - ``failed``: nothing was installed; `reason` says why and what to do.
    """

    DOWNLOADED = "downloaded"
    NOT_MODIFIED = "not-modified"
    COPIED = "copied"
    UNCHANGED = "unchanged"
    FAILED = "failed"

    def __str__(self) -> str:  # f"{status}" prints "not-modified", not "FetchStatus.NOT_MODIFIED"
        return self.value

    __format__ = str.__format__


@dataclass(frozen=True)
class FetchResult:
    """The outcome for one source: its status, why, and the current cached file (None if there is none)."""

    source_id: str
    status: FetchStatus
    reason: str = ""
    path: Path | None = None
    sha256: str = ""
    error: SourceError | None = None

    def __str__(self) -> str:
        return f"{self.source_id}: {self.status.value}" + (f" ({self.reason})" if self.reason else "")


@dataclass
class FetchReport:
    """Per-source results of `fetch_sources`, in the order the sources were given."""

    results: list[FetchResult] = field(default_factory=list)

    @property
    def items(self) -> list[FetchResult]:
        """The same list as `results` (the name the command line uses)."""
        return self.results

    @property
    def failed(self) -> list[FetchResult]:
        return [r for r in self.results if r.status is FetchStatus.FAILED]

    @property
    def errors(self) -> list[SourceError]:
        return [r.error for r in self.results if r.error is not None]

    @property
    def ok(self) -> bool:
        """True when no source failed."""
        return not self.failed

    def counts(self) -> dict[str, int]:
        """`{status: number of sources}` for the statuses that occurred, in `FetchStatus` order."""
        out = {}
        for status in FetchStatus:
            n = sum(1 for r in self.results if r.status is status)
            if n:
                out[status.value] = n
        return out

    def by_id(self) -> dict[str, FetchResult]:
        return {r.source_id: r for r in self.results}

    def summary(self) -> str:
        """One line: how many sources, how many of each status, and which failed.

        Example: "3 sources: 1 downloaded, 1 copied, 1 failed (US-NYCRR-23-200)"
        """
        n = len(self.results)
        parts = ", ".join(f"{count} {status}" for status, count in self.counts().items())
        line = f"{n} source{'s' if n != 1 else ''}" + (f": {parts}" if parts else "")
        failed = [r.source_id for r in self.failed]
        if failed:
            shown = ", ".join(failed[:5]) + (f", and {len(failed) - 5} more" if len(failed) > 5 else "")
            line += f" ({shown})"
        return line


ProgressCallback = Callable[[int, int, FetchResult], None]


def fetch_sources(
    sources: Iterable[Source],
    cache_dir: str | os.PathLike,
    mirror: str | os.PathLike | None = None,
    *,
    timeout: float = 30,
    retries: int = 3,
    backoff: float = 0.5,
    progress: ProgressCallback | None = None,
    max_bytes: int = MAX_BYTES,
) -> FetchReport:
    """Bring each source's document into `cache_dir`: from `mirror` if the mirror has its file, else its URL.

    `timeout` is the most seconds to wait for the server to connect or send more bytes; `retries` how many
    times a transient failure (5xx, 408, 429, time-out, dropped connection, truncated body) is retried after
    the first attempt, waiting `backoff * 2**n` seconds before retry n+1. `progress(done, total, result)` is
    called after each source. A failing source is recorded in the report and the others go on; only bad
    arguments (a missing mirror folder, a repeated source id) raise, as ConfigError, before anything is fetched.

    Example: fetch_sources(load_sources(), Workspace.resolve().cache_dir, mirror="../shared/corpus").summary()
             -> "26 sources: 11 downloaded, 15 copied"
    """
    sources = list(sources)
    cache_dir = Path(cache_dir)
    if timeout <= 0:
        raise ConfigError(f"timeout of {timeout} s must be more than 0")
    if retries < 0:
        raise ConfigError(f"retries of {retries} must be 0 or more")
    if backoff < 0:
        raise ConfigError(f"backoff of {backoff} s must be 0 or more")
    seen: set[str] = set()
    for s in sources:
        if s.id in seen:
            raise ConfigError(f"source id {s.id!r} is listed twice; each document needs its own id")
        seen.add(s.id)
    mirror_dir = Path(mirror) if mirror is not None else None
    if mirror_dir is not None and not mirror_dir.is_dir():
        raise ConfigError(f"mirror {mirror_dir} is not a folder; pass the folder that holds the mirrored files")
    cache_dir.mkdir(parents=True, exist_ok=True)

    net = _Net(timeout=timeout, retries=retries, backoff=backoff, max_bytes=max_bytes)
    report = FetchReport()
    for done, source in enumerate(sources, start=1):
        try:
            result = _fetch_one(source, cache_dir, mirror_dir, net)
        except SourceError as e:
            result = _failure(cache_dir, source.id, e)
        except OSError as e:  # the cache itself: disk full, permissions
            error = SourceError(source.id, f"cannot write the cache in {cache_dir}: {e}")
            result = _failure(cache_dir, source.id, error)
        report.results.append(result)
        if progress is not None:
            progress(done, len(sources), result)
    return report


def current_path(cache_dir: str | os.PathLike, source_id: str) -> Path | None:
    """The current cached file of a source, or None if it was never fetched.

    A cache whose meta.json names a file that is not there is a SourceError (fetch again to repair it).

    Example: current_path("workspace/cache", "UK-MLR-2017") -> Path("workspace/cache/UK-MLR-2017/1f0c….xml")
    """
    version = _current_version(Path(cache_dir), source_id)
    return None if version is None else Path(cache_dir) / source_id / version["file"]


def cache_manifest(cache_dir: str | os.PathLike, sources: Iterable[Source]) -> list[tuple[Source, Path]]:
    """The corpus as ingest sees it: `(source, current cached file)` for each source that has been fetched.

    Sources never fetched are left out (compare with `sources` to list them). Each returned `Source` carries the
    cached file's own `sha256` and `format`: when the mirror holds a markdown conversion but the official URL
    serves HTML, the cached version is HTML and says so.

    Example: for source, path in cache_manifest(ws.cache_dir, load_sources()): read(path)
    """
    cache_dir = Path(cache_dir)
    out = []
    for source in sources:
        version = _current_version(cache_dir, source.id)
        if version is None:
            continue
        path = cache_dir / source.id / version["file"]
        out.append((replace(source, sha256=version["sha256"], format=version.get("format", source.format)), path))
    return out


# --- one source ---------------------------------------------------------------------------------------


def _failure(cache_dir: Path, source_id: str, error: SourceError) -> FetchResult:
    """A failed result; if an earlier version is cached, it stays current and the result points at it."""
    try:
        version = _current_version(cache_dir, source_id)
    except SourceError:  # the cache of this source is itself broken: `error` already says what happened
        version = None
    if version is None:
        return FetchResult(source_id, FetchStatus.FAILED, error.problem, error=error)
    reason = f"{error.problem}; the version fetched {version['fetched_at']} stays current"
    path = cache_dir / source_id / version["file"]
    return FetchResult(source_id, FetchStatus.FAILED, reason, path=path, sha256=version["sha256"], error=error)


@dataclass(frozen=True)
class _Net:
    timeout: float
    retries: int
    backoff: float
    max_bytes: int


@dataclass
class _Body:
    """A complete body in a temporary file, with what the server said about it."""

    tmp: Path
    sha256: str
    size: int
    head: bytes
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""
    final_url: str = ""


class _Transient(Exception):
    """A failure worth retrying (5xx, time-out, dropped connection, truncated body)."""

    def __init__(self, problem: str, retry_after: float | None = None):
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after


def _fetch_one(source: Source, cache_dir: Path, mirror: Path | None, net: _Net) -> FetchResult:
    if not ID_PATTERN.match(source.id):
        raise SourceError(source.id, "id may only hold letters, digits, '.', '_' and '-'; it names a cache folder")
    meta = _read_meta(cache_dir, source.id)
    mirror_file = _mirror_file(source, mirror)
    if mirror_file is not None:
        body = _copy(source, mirror_file, cache_dir, net)
        return _install(source, cache_dir, meta, body, origin="mirror", where=str(mirror_file.resolve()))

    note = ""
    if mirror is not None:
        note = f"not in the mirror ({source.file or 'no file listed'}); "
    url = source.official_url
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise SourceError(source.id, f"{note}official_url {url!r} is not an http(s) URL; fix it in corpus/sources.csv")

    headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "gzip, identity"}
    current = _version(meta, meta.get("current"))
    conditional = (
        current is not None
        and current.get("url") == url
        and (cache_dir / source.id / current["file"]).is_file()
        and bool(current.get("etag") or current.get("last_modified"))
    )
    if conditional:
        if current.get("etag"):
            headers["If-None-Match"] = current["etag"]
        if current.get("last_modified"):
            headers["If-Modified-Since"] = current["last_modified"]

    body = _download(source, url, headers, cache_dir, net, note)
    if body is None:  # 304
        if not conditional:
            raise SourceError(source.id, f"{note}{url} answered 304 Not Modified to a request that was not conditional")
        meta["checked_at"] = _now()
        _write_meta(cache_dir, source.id, meta)
        return FetchResult(
            source.id,
            FetchStatus.NOT_MODIFIED,
            f"{note}server says unchanged since {current.get('last_modified') or current.get('fetched_at')}",
            path=cache_dir / source.id / current["file"],
            sha256=current["sha256"],
        )
    return _install(source, cache_dir, meta, body, origin="url", where=url, note=note)


def _mirror_file(source: Source, mirror: Path | None) -> Path | None:
    if mirror is None or not source.file:
        return None
    rel = PurePosixPath(source.file.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts:
        raise SourceError(source.id, f"file {source.file!r} must be a relative path inside the mirror, without '..'")
    path = mirror / Path(*rel.parts)
    return path if path.is_file() else None


def _copy(source: Source, path: Path, cache_dir: Path, net: _Net) -> _Body:
    try:
        size = path.stat().st_size
    except OSError as e:
        raise SourceError(source.id, f"cannot read {path}: {e.strerror or e}") from None
    if size > net.max_bytes:
        raise SourceError(source.id, f"{path} is {size:,} bytes, over the limit of {net.max_bytes:,} bytes")
    fd, tmp = _temp_file(cache_dir, f"{PARTIAL_PREFIX}{source.id}-")
    digest = hashlib.sha256()
    head = b""
    try:
        with os.fdopen(fd, "wb") as out, path.open("rb") as src:
            while chunk := src.read(CHUNK_SIZE):
                if len(head) < 4096:
                    head += chunk[: 4096 - len(head)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise SourceError(source.id, f"cannot copy {path} into the cache: {e.strerror or e}") from None
    return _Body(tmp=tmp, sha256=digest.hexdigest(), size=tmp.stat().st_size, head=head)


def _download(source: Source, url: str, headers: dict, cache_dir: Path, net: _Net, note: str) -> _Body | None:
    """The body of `url` in a temporary file, or None for a 304; retries transient failures, then gives up."""
    attempts = net.retries + 1
    attempt = 0
    while True:
        try:
            return _attempt(source, url, headers, cache_dir, net, note)
        except _Transient as e:
            attempt += 1
            if attempt >= attempts:
                tries = f"{attempts} attempts" if attempts > 1 else "1 attempt, retries=0"
                raise SourceError(source.id, f"{note}{e.problem} ({tries}; {url})") from None
            delay = net.backoff * (2 ** (attempt - 1))
            if e.retry_after is not None:
                delay = max(delay, min(e.retry_after, MAX_RETRY_AFTER))
            time.sleep(delay)


def _attempt(source: Source, url: str, headers: dict, cache_dir: Path, net: _Net, note: str) -> _Body | None:
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=net.timeout)
    except urllib.error.HTTPError as e:
        code, reason = e.code, e.reason
        retry_after = _retry_after(e.headers.get("Retry-After") if e.headers else None)
        e.close()
        if code == 304:
            return None
        if code >= 500 or code in RETRY_CODES:
            raise _Transient(f"HTTP {code} {reason}", retry_after) from None
        hint = {
            404: "the document is not at this address; check official_url in corpus/sources.csv",
            410: "the publisher has withdrawn the document; find its new address",
            401: "the server wants credentials; Crosswalk fetches public documents only",
            403: "the server refused the request; download the file by hand into a mirror folder and use --mirror",
        }.get(code, "not retried")
        raise SourceError(source.id, f"{note}HTTP {code} {reason} from {url}: {hint}") from None
    except urllib.error.URLError as e:
        if isinstance(e.reason, ssl.SSLCertVerificationError):
            problem = f"the TLS certificate of {url} is not valid: {e.reason.verify_message}"
            raise SourceError(source.id, note + problem) from None
        if isinstance(e.reason, socket.gaierror):  # the resolver has already retried; another try will not help
            host = urllib.parse.urlsplit(url).hostname
            problem = f"cannot resolve {host} ({e.reason.strerror}); check the address and the network"
            raise SourceError(source.id, note + problem) from None
        if isinstance(e.reason, TimeoutError):
            raise _Transient(f"no connection within {net.timeout:g} s") from None
        raise _Transient(f"cannot connect: {e.reason}") from None
    except TimeoutError:
        raise _Transient(f"no response within {net.timeout:g} s (server stalled)") from None
    except (http.client.HTTPException, OSError) as e:
        raise _Transient(f"connection failed ({e.__class__.__name__}: {e})") from None
    except ValueError as e:  # urllib's word for a malformed URL
        raise SourceError(source.id, f"{note}official_url {url!r} cannot be requested: {e}") from None

    with response:
        if response.status not in (200, 203):
            raise SourceError(source.id, f"{note}unexpected HTTP {response.status} {response.reason} from {url}")
        return _receive(source, response, cache_dir, net, note)


def _receive(source: Source, response, cache_dir: Path, net: _Net, note: str) -> _Body:
    """Stream a 200 response into a temporary file, hashing it; a short or stalled body is _Transient."""
    length_header = response.headers.get("Content-Length")
    try:
        expected = int(length_header) if length_header is not None else None
    except ValueError:
        expected = None
    if expected is not None and expected > net.max_bytes:
        raise SourceError(
            source.id, f"{note}the server announces {expected:,} bytes, over the limit of {net.max_bytes:,} bytes"
        )
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding in ("identity", ""):
        inflater = None
    else:
        problem = f"the server sent Content-Encoding {encoding!r}, which Crosswalk cannot decode"
        raise SourceError(source.id, note + problem)

    fd, tmp = _temp_file(cache_dir, f"{PARTIAL_PREFIX}{source.id}-")
    digest = hashlib.sha256()
    received = size = 0
    head = b""
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                try:
                    chunk = response.read1(CHUNK_SIZE)  # returns what has arrived; read() would wait for a full chunk
                except TimeoutError:
                    raise _Transient(
                        f"server stalled: no data for {net.timeout:g} s after {received:,} bytes"
                    ) from None
                except http.client.IncompleteRead as e:
                    received += len(e.partial)
                    raise _Transient(_short_body(received, expected)) from None
                except (http.client.HTTPException, OSError) as e:
                    problem = f"connection dropped after {received:,} bytes ({e.__class__.__name__}: {e})"
                    raise _Transient(problem) from None
                if not chunk:
                    break
                received += len(chunk)
                if inflater is not None:
                    try:
                        chunk = inflater.decompress(chunk)
                    except zlib.error as e:
                        raise SourceError(source.id, f"{note}the gzip body is corrupt ({e})") from None
                size += len(chunk)
                if size > net.max_bytes:
                    raise SourceError(source.id, f"{note}the document is over the limit of {net.max_bytes:,} bytes")
                if len(head) < 4096:
                    head += chunk[: 4096 - len(head)]
                digest.update(chunk)
                out.write(chunk)
            if expected is not None and received != expected:
                raise _Transient(_short_body(received, expected))
            if inflater is not None and not inflater.eof:
                raise _Transient(f"truncated gzip body after {received:,} bytes")
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if size == 0:
        tmp.unlink(missing_ok=True)
        raise SourceError(source.id, f"{note}the server sent an empty document (0 bytes)")
    return _Body(
        tmp=tmp,
        sha256=digest.hexdigest(),
        size=size,
        head=head,
        etag=response.headers.get("ETag") or "",
        last_modified=response.headers.get("Last-Modified") or "",
        content_type=response.headers.get("Content-Type") or "",
        final_url=response.geturl(),
    )


def _short_body(received: int, expected: int | None) -> str:
    if expected is None:
        return f"connection closed early after {received:,} bytes"
    return f"truncated body: received {received:,} of the {expected:,} bytes announced by Content-Length"


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header given in seconds; an HTTP-date (rare) is ignored for the back-off."""
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


# --- installing a version ---------------------------------------------------------------------------


def _install(
    source: Source, cache_dir: Path, meta: dict, body: _Body, *, origin: str, where: str, note: str = ""
) -> FetchResult:
    """Check `body` against the source and make it the current version; the temporary file never lingers."""
    try:
        return _install_checked(source, cache_dir, meta, body, origin=origin, where=where, note=note)
    finally:
        body.tmp.unlink(missing_ok=True)


def _install_checked(
    source: Source, cache_dir: Path, meta: dict, body: _Body, *, origin: str, where: str, note: str
) -> FetchResult:
    if origin == "url":
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

    folder = cache_dir / source.id
    now = _now()
    versions = meta["versions"]
    version = _version(meta, body.sha256)
    installed = False
    if version is None:
        name = f"{body.sha256[:16]}.{got}"
        if (folder / name).exists():  # a 16-digit prefix shared with another version: use the whole hash
            name = f"{body.sha256}.{got}"
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(body.tmp, folder / name)
        installed = True
        version = {"sha256": body.sha256, "file": name, "bytes": body.size, "format": got, "fetched_at": now,
                   "origin": origin}
        versions.append(version)
        remarks.insert(0, "first version" if len(versions) == 1 else f"new version ({len(versions)} kept)")
    elif not (folder / version["file"]).is_file():
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(body.tmp, folder / version["file"])
        installed = True
        remarks.insert(0, "restored the missing cached file")

    if origin == "url":
        version["url"] = where
        if body.final_url and body.final_url != where:
            version["final_url"] = body.final_url
        version["etag"] = body.etag
        version["last_modified"] = body.last_modified
        if body.content_type:
            version["content_type"] = body.content_type
    else:
        version["mirror_path"] = where

    was_current = meta.get("current") == body.sha256
    meta["current"] = body.sha256
    meta["checked_at"] = now
    _write_meta(cache_dir, source.id, meta)

    if was_current and not installed:
        status = FetchStatus.UNCHANGED
        remarks.insert(0, f"same as the current version {body.sha256[:16]}")
    else:
        status = FetchStatus.DOWNLOADED if origin == "url" else FetchStatus.COPIED
        if not installed:
            remarks.insert(0, f"same as the version of {version['fetched_at']}, made current again")
    reason = note + "; ".join([f"from {where}"] + remarks)
    return FetchResult(source.id, status, reason, path=folder / version["file"], sha256=body.sha256)


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


# --- meta.json --------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _version(meta: dict, sha256: str | None) -> dict | None:
    if not sha256:
        return None
    return next((v for v in meta["versions"] if v["sha256"] == sha256), None)


def _read_meta(cache_dir: Path, source_id: str) -> dict:
    path = cache_dir / source_id / META_NAME
    if not path.is_file():
        return {"source_id": source_id, "current": None, "checked_at": None, "versions": []}
    repair = f"delete the folder {path.parent} and fetch again to rebuild it"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SourceError(source_id, f"{path} is not valid JSON ({e}); {repair}") from None
    versions = meta.get("versions") if isinstance(meta, dict) else None
    if not isinstance(versions, list) or not all(
        isinstance(v, dict) and isinstance(v.get("sha256"), str) and isinstance(v.get("file"), str) for v in versions
    ):
        raise SourceError(source_id, f"{path} lacks a list of versions with sha256 and file; {repair}")
    for v in versions:
        if not re.fullmatch(r"[0-9a-f]{16,64}\.[a-z]+", v["file"]):
            raise SourceError(source_id, f"{path} names a version file {v['file']!r} that fetch never writes; {repair}")
    if meta.get("current") is not None and _version(meta, meta["current"]) is None:
        problem = f"{path} says the current version is {meta['current']}, which it does not list; {repair}"
        raise SourceError(source_id, problem)
    return meta


def _write_meta(cache_dir: Path, source_id: str, meta: dict) -> None:
    folder = cache_dir / source_id
    folder.mkdir(parents=True, exist_ok=True)
    meta["source_id"] = source_id
    fd, tmp = _temp_file(folder, PARTIAL_PREFIX, suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(meta, out, indent=2, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, folder / META_NAME)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _temp_file(folder: Path, prefix: str, suffix: str = "") -> tuple[int, Path]:
    """A new temporary file in `folder` (so `os.replace` into place is atomic), mode 0644 like a normal file."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide cached documents from other users of the workspace
    except BaseException:
        os.close(fd)
        Path(name).unlink(missing_ok=True)
        raise
    return fd, Path(name)


def _current_version(cache_dir: Path, source_id: str) -> dict | None:
    meta = _read_meta(cache_dir, source_id)
    version = _version(meta, meta.get("current"))
    if version is None:
        return None
    path = cache_dir / source_id / version["file"]
    if not path.is_file():
        raise SourceError(source_id, f"the cache lists {path} as current but the file is missing; run fetch again")
    return version
