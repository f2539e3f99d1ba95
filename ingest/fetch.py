"""Fetch: put each source's document into the workspace cache, from a mirror folder or its official URL.

Where a document comes from: **the mirror if it has the file, else the official URL.** With `mirror` given, a
source whose `file` exists in the mirror folder is copied from there (no network); every other source is
downloaded from its `official_url`. Without `mirror`, every source is downloaded. A source with a
`structured_url` (the legislation.gov.uk CLML XML of an Act whose mirror file is a plain-text extraction) is
downloaded from there first, when the network allows; if that fails, the mirror or `official_url` serves as
above and the report says why the structured version was not used.

Each source goes through three steps, one module each:
- `crosswalk.ingest.download`: the bytes into a temporary file of the cache, hashed (HTTP with conditional
  requests, retries and back-off, or a copy from the mirror); a 304 keeps the current version;
- `crosswalk.ingest.verify`: the body is the listed kind of document and, where comparable, has the listed
  sha256 (nothing is installed otherwise);
- `crosswalk.ingest.cache`: the body becomes a version of the source (`cache/{source_id}/{sha256[:16]}.{ext}`,
  never overwritten) and the current one in `meta.json`; the layout is described there.
Each source's problem becomes a `SourceError(source_id, problem)` in the report; the other sources go on.

Example: report = fetch_sources(load_sources(), "workspace/cache", mirror="../shared/corpus")
         print(report.summary())  # "26 sources: 11 downloaded, 15 copied"
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path, PurePosixPath

from crosswalk.errors import ConfigError, SourceError
from crosswalk.files import temp_path
from crosswalk.ingest import cache
from crosswalk.ingest.download import USER_AGENT, Body, Net, copy, download
from crosswalk.ingest.models import Source
from crosswalk.ingest.readers import MAX_BYTES
from crosswalk.ingest.sources import ID_PATTERN
from crosswalk.ingest.verify import check

PARTIAL_PREFIX = ".partial-"  # a body on its way into the cache, in the cache folder


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

    net = Net(timeout=timeout, retries=retries, backoff=backoff, max_bytes=max_bytes)
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


# --- one source ---------------------------------------------------------------------------------------


def _failure(cache_dir: Path, source_id: str, error: SourceError) -> FetchResult:
    """A failed result; if an earlier version is cached, it stays current and the result points at it."""
    try:
        version = cache.current_version(cache_dir, source_id)
    except SourceError:  # the cache of this source is itself broken: `error` already says what happened
        version = None
    if version is None:
        return FetchResult(source_id, FetchStatus.FAILED, error.problem, error=error)
    reason = f"{error.problem}; the version fetched {version['fetched_at']} stays current"
    path = cache_dir / source_id / version["file"]
    return FetchResult(source_id, FetchStatus.FAILED, reason, path=path, sha256=version["sha256"], error=error)


def _fetch_one(source: Source, cache_dir: Path, mirror: Path | None, net: Net) -> FetchResult:
    if not ID_PATTERN.match(source.id):
        raise SourceError(source.id, "id may only hold letters, digits, '.', '_' and '-'; it names a cache folder")
    meta = cache.read_meta(cache_dir, source.id)
    fallback = ""
    if source.structured_url:
        # the publisher's structured version (legislation.gov.uk CLML) first; the mirror or the page if it fails
        structured = replace(source, format="xml", sha256="")
        try:
            return _fetch_url(structured, source.structured_url, cache_dir, meta, net, "")
        except SourceError as e:
            fallback = f"structured version unavailable ({e.problem}); "
            meta = cache.read_meta(cache_dir, source.id)
    mirror_file = _mirror_file(source, mirror)
    if mirror_file is not None:
        with temp_path(cache_dir, prefix=f"{PARTIAL_PREFIX}{source.id}-", suffix="") as tmp:
            body = copy(source, mirror_file, tmp, net)
            return _install(source, cache_dir, meta, body, origin="mirror", where=str(mirror_file.resolve()),
                            note=fallback)

    note = fallback
    if mirror is not None:
        note += f"not in the mirror ({source.file or 'no file listed'}); "
    return _fetch_url(source, source.official_url, cache_dir, meta, net, note)


def _fetch_url(source: Source, url: str, cache_dir: Path, meta: dict, net: Net, note: str) -> FetchResult:
    """Download `url` (conditionally, when the current version came from it) and install it."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise SourceError(source.id, f"{note}official_url {url!r} is not an http(s) URL; fix it in corpus/sources.csv")

    headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "gzip, identity"}
    current = cache.version_of(meta, meta.get("current"))
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

    with temp_path(cache_dir, prefix=f"{PARTIAL_PREFIX}{source.id}-", suffix="") as tmp:
        body = download(source, url, headers, tmp, net, note)
        if body is not None:
            return _install(source, cache_dir, meta, body, origin="url", where=url, note=note)
    if not conditional:  # a 304
        raise SourceError(source.id, f"{note}{url} answered 304 Not Modified to a request that was not conditional")
    meta["checked_at"] = cache.now()
    cache.write_meta(cache_dir, source.id, meta)
    return FetchResult(
        source.id,
        FetchStatus.NOT_MODIFIED,
        f"{note}server says unchanged since {current.get('last_modified') or current.get('fetched_at')}",
        path=cache_dir / source.id / current["file"],
        sha256=current["sha256"],
    )


def _mirror_file(source: Source, mirror: Path | None) -> Path | None:
    if mirror is None or not source.file:
        return None
    rel = PurePosixPath(source.file.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts:
        raise SourceError(source.id, f"file {source.file!r} must be a relative path inside the mirror, without '..'")
    path = mirror / Path(*rel.parts)
    return path if path.is_file() else None


def _install(source: Source, cache_dir: Path, meta: dict, body: Body, *, origin: str, where: str,
             note: str = "") -> FetchResult:
    """Check `body` against the source (`verify.check`), make it the current version, and say what happened."""
    got, remarks = check(source, body, where, note, from_url=origin == "url")
    at = cache.now()
    version, done = cache.store_version(cache_dir, source.id, meta, body, got, origin=origin, at=at)
    if done == "added":
        n = len(meta["versions"])
        remarks.insert(0, "first version" if n == 1 else f"new version ({n} kept)")
    elif done == "restored":
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
    meta["checked_at"] = at
    cache.write_meta(cache_dir, source.id, meta)

    if was_current and not done:
        status = FetchStatus.UNCHANGED
        remarks.insert(0, f"same as the current version {body.sha256[:16]}")
    else:
        status = FetchStatus.DOWNLOADED if origin == "url" else FetchStatus.COPIED
        if not done:
            remarks.insert(0, f"same as the version of {version['fetched_at']}, made current again")
    reason = note + "; ".join([f"from {where}"] + remarks)
    return FetchResult(source.id, status, reason, path=cache_dir / source.id / version["file"], sha256=body.sha256)
