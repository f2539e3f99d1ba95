"""Bringing one document's bytes into a temporary file of the cache, hashed as they arrive: over HTTP from its
publisher, or copied from a mirror folder. `crosswalk.ingest.fetch` decides which, then checks and installs the
`Body` it gets back (`crosswalk.ingest.cache`).

Downloads use only the standard library (`urllib.request`) and:
- send the `If-None-Match` / `If-Modified-Since` headers the caller gives, so an unchanged document costs a 304;
- stream into the caller's temporary file (`crosswalk.files.temp_path`), hashing it;
- treat a body shorter than its Content-Length as an error, not a document;
- retry 5xx, 408, 429, time-outs, truncated bodies and dropped connections up to `Net.retries` more times with
  exponential back-off (`backoff`, `2*backoff`, `4*backoff` … seconds, or the server's Retry-After up to
  `MAX_RETRY_AFTER`); a 404 or other 4xx is not retried;
- give up on a server that sends nothing for `Net.timeout` seconds.
A problem that retrying cannot fix is a `SourceError(source_id, problem)` naming the address and what to do.

Example: with temp_path(cache_dir, prefix=".partial-") as tmp:
             net = Net(timeout=30, retries=3, backoff=0.5, max_bytes=MAX_BYTES)
             body = download(source, source.official_url, {"User-Agent": USER_AGENT}, tmp, net, note="")
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

from crosswalk import __version__
from crosswalk.errors import SourceError
from crosswalk.ingest.models import Source

USER_AGENT = f"Crosswalk/{__version__} (regulatory text fetcher; Python urllib)"
CHUNK_SIZE = 64 * 1024
HEAD_BYTES = 4096  # the first bytes kept for format detection
MAX_RETRY_AFTER = 30.0  # seconds: the most a server's Retry-After is allowed to make us wait
RETRY_CODES = frozenset({408, 429})  # plus every 5xx


@dataclass(frozen=True)
class Net:
    """How patient to be with a server: seconds to connect or receive more bytes, retries of a transient
    failure, the first back-off in seconds, and the largest document accepted."""

    timeout: float
    retries: int
    backoff: float
    max_bytes: int


@dataclass
class Body:
    """A complete body in a temporary file, with what the server said about it."""

    tmp: Path
    sha256: str
    size: int
    head: bytes
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""
    final_url: str = ""


class _Sink:
    """Bytes on their way into a file: counted, hashed, and their first `HEAD_BYTES` kept."""

    def __init__(self, out):
        self.out = out
        self.digest = hashlib.sha256()
        self.size = 0
        self.head = b""

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        self.digest.update(chunk)
        self.out.write(chunk)

    def body(self, tmp: Path, **server) -> Body:
        return Body(tmp=tmp, sha256=self.digest.hexdigest(), size=self.size, head=self.head, **server)


class _Transient(Exception):
    """A failure worth retrying (5xx, time-out, dropped connection, truncated body)."""

    def __init__(self, problem: str, retry_after: float | None = None):
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after


def copy(source: Source, path: Path, tmp: Path, net: Net) -> Body:
    """The mirror file `path` copied into `tmp`; a SourceError when it is unreadable or over the size limit."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise SourceError(source.id, f"cannot read {path}: {e.strerror or e}") from None
    if size > net.max_bytes:
        raise SourceError(source.id, f"{path} is {size:,} bytes, over the limit of {net.max_bytes:,} bytes")
    try:
        with tmp.open("wb") as out, path.open("rb") as src:
            sink = _Sink(out)
            while chunk := src.read(CHUNK_SIZE):
                sink.write(chunk)
    except OSError as e:
        raise SourceError(source.id, f"cannot copy {path} into the cache: {e.strerror or e}") from None
    return sink.body(tmp)


def download(source: Source, url: str, headers: dict, tmp: Path, net: Net, note: str) -> Body | None:
    """The body of `url` in `tmp`, or None for a 304; retries transient failures, then gives up with a
    SourceError that starts with `note`."""
    attempts = net.retries + 1
    attempt = 0
    while True:
        try:
            return _attempt(source, url, headers, tmp, net, note)
        except _Transient as e:
            attempt += 1
            if attempt >= attempts:
                tries = f"{attempts} attempts" if attempts > 1 else "1 attempt, retries=0"
                raise SourceError(source.id, f"{note}{e.problem} ({tries}; {url})") from None
            delay = net.backoff * (2 ** (attempt - 1))
            if e.retry_after is not None:
                delay = max(delay, min(e.retry_after, MAX_RETRY_AFTER))
            time.sleep(delay)


def _attempt(source: Source, url: str, headers: dict, tmp: Path, net: Net, note: str) -> Body | None:
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
        return _receive(source, response, tmp, net, note)


def _receive(source: Source, response, tmp: Path, net: Net, note: str) -> Body:
    """Stream a 200 response into `tmp`, hashing it; a short or stalled body is _Transient."""
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

    received = 0
    with tmp.open("wb") as out:  # a retry starts the file again
        sink = _Sink(out)
        while True:
            try:
                chunk = response.read1(CHUNK_SIZE)  # returns what has arrived; read() would wait for a full chunk
            except TimeoutError:
                raise _Transient(f"server stalled: no data for {net.timeout:g} s after {received:,} bytes") from None
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
            if sink.size + len(chunk) > net.max_bytes:
                raise SourceError(source.id, f"{note}the document is over the limit of {net.max_bytes:,} bytes")
            sink.write(chunk)
        if expected is not None and received != expected:
            raise _Transient(_short_body(received, expected))
        if inflater is not None and not inflater.eof:
            raise _Transient(f"truncated gzip body after {received:,} bytes")
    if sink.size == 0:
        raise SourceError(source.id, f"{note}the server sent an empty document (0 bytes)")
    return sink.body(
        tmp,
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
