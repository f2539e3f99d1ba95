"""`crosswalk.ingest.fetch` against a local HTTP server on 127.0.0.1 (never the internet), plus the real mirror folder:
its download, verify and cache steps through `fetch_sources`."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import os
import threading
import time
from pathlib import Path

import pytest

from crosswalk.errors import ConfigError, SourceError
from crosswalk.ingest.cache import cache_manifest, current_path
from crosswalk.ingest.fetch import FetchStatus, fetch_sources
from crosswalk.ingest.models import Source
from crosswalk.ingest.pipeline import documents_to_ingest
from crosswalk.ingest.verify import detect_format


PDF_V1 = b"%PDF-1.7\n% version one of a test document\n" + b"x" * 2000
PDF_V2 = b"%PDF-1.7\n% version two of a test document\n" + b"y" * 2500
FAST = dict(timeout=2, retries=3, backoff=0.01)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- a scriptable local server --------------------------------------------------------------------------


class Reply:
    """What the server sends for one request."""

    def __init__(self, status=200, body=b"", headers=None, content_length=None, stall=0.0, silent=0.0):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.content_length = len(body) if content_length is None else content_length
        self.stall = stall  # seconds to hang after the headers and the first bytes
        self.silent = silent  # seconds to hang before answering at all


class Server:
    """`route(path, *replies)`: the n-th request to `path` gets replies[n] (the last one repeats).

    A reply may also be a function `(request_headers) -> Reply`. Every request's path and headers are kept.
    """

    def __init__(self):
        self.routes: dict[str, list] = {}
        self.requests: list[tuple[str, dict]] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server.lock:
                    seen = sum(1 for p, _ in server.requests if p == self.path)
                    server.requests.append((self.path, headers))
                replies = server.routes.get(self.path) or [Reply(404, b"not here")]
                reply = replies[min(seen, len(replies) - 1)]
                if callable(reply):
                    reply = reply(headers)
                if reply.silent:
                    server.stop.wait(reply.silent)
                    return
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                if reply.status != 304:
                    self.send_header("Content-Length", str(reply.content_length))
                self.end_headers()
                if reply.stall:
                    self.wfile.write(reply.body[:10])
                    self.wfile.flush()
                    server.stop.wait(reply.stall)
                    return
                if reply.status != 304:
                    self.wfile.write(reply.body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def route(self, path: str, *replies) -> str:
        self.routes[path] = list(replies)
        return self.url(path)

    def hits(self, path: str) -> list[dict]:
        return [h for p, h in self.requests if p == path]

    def close(self):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


def src(sid: str, url: str, *, sha256: str = "", file: str = "", fmt: str = "pdf") -> Source:
    return Source(id=sid, jurisdiction="UK", doc_type="report", title=sid, official_url=url,
                  file=file or f"uk/{sid}.{fmt}", sha256=sha256, format=fmt)


def version_files(cache: Path, sid: str) -> list[Path]:
    folder = cache / sid
    return sorted(p for p in folder.iterdir() if p.name != "meta.json") if folder.is_dir() else []


def leftovers(cache: Path) -> list[Path]:
    return list(cache.rglob(".partial-*"))


# --- 200, 304, unchanged ----------------------------------------------------------------------------------


def test_200_downloads_into_a_version_file_with_meta(server, tmp_path):
    url = server.route("/doc.pdf", Reply(200, PDF_V1, {"Content-Type": "application/pdf", "ETag": '"v1"'}))
    report = fetch_sources([src("A", url, sha256=sha(PDF_V1))], tmp_path, **FAST)

    result = report.results[0]
    assert result.status is FetchStatus.DOWNLOADED and report.ok
    assert result.path == tmp_path / "A" / f"{sha(PDF_V1)[:16]}.pdf"
    assert result.path.read_bytes() == PDF_V1
    meta = json.loads((tmp_path / "A" / "meta.json").read_text())
    assert meta["current"] == sha(PDF_V1)
    (version,) = meta["versions"]
    assert version["url"] == url and version["etag"] == '"v1"' and version["origin"] == "url"
    assert version["fetched_at"].endswith("Z")
    assert "Crosswalk/" in server.hits("/doc.pdf")[0]["user-agent"]
    assert current_path(tmp_path, "A") == result.path
    assert report.summary() == "1 source: 1 downloaded"
    assert f"{result.status}" == "downloaded" and report.items == report.results


def test_304_when_the_etag_still_matches(server, tmp_path):
    def conditional(headers):
        if headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(200, PDF_V1, {"ETag": '"v1"', "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT"})

    url = server.route("/doc.pdf", conditional)
    source = src("A", url)
    first = fetch_sources([source], tmp_path, **FAST).results[0]
    assert first.status is FetchStatus.DOWNLOADED
    stamp = first.path.stat().st_mtime_ns

    second = fetch_sources([source], tmp_path, **FAST).results[0]
    assert second.status is FetchStatus.NOT_MODIFIED
    sent = server.hits("/doc.pdf")[1]
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Wed, 01 Jan 2025 00:00:00 GMT"
    assert second.path == first.path and first.path.stat().st_mtime_ns == stamp
    assert first.path.read_bytes() == PDF_V1
    assert len(version_files(tmp_path, "A")) == 1


def test_304_on_last_modified_alone(server, tmp_path):
    def conditional(headers):
        if "if-modified-since" in headers:
            return Reply(304)
        return Reply(200, PDF_V1, {"Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT"})

    source = src("A", server.route("/doc.pdf", conditional))
    fetch_sources([source], tmp_path, **FAST)
    second = fetch_sources([source], tmp_path, **FAST).results[0]
    assert second.status is FetchStatus.NOT_MODIFIED
    assert "if-none-match" not in server.hits("/doc.pdf")[1]


def test_first_request_is_not_conditional_and_a_stray_304_fails(server, tmp_path):
    source = src("A", server.route("/doc.pdf", Reply(304)))
    result = fetch_sources([source], tmp_path, **FAST).results[0]
    assert result.status is FetchStatus.FAILED and "not conditional" in result.reason
    assert "if-none-match" not in server.hits("/doc.pdf")[0]


def test_same_bytes_without_validators_is_unchanged(server, tmp_path):
    source = src("A", server.route("/doc.pdf", Reply(200, PDF_V1)))
    fetch_sources([source], tmp_path, **FAST)
    again = fetch_sources([source], tmp_path, **FAST).results[0]
    assert again.status is FetchStatus.UNCHANGED
    assert len(version_files(tmp_path, "A")) == 1


# --- failures: 404, 5xx, truncation, stalls, checksums ----------------------------------------------------


def test_404_fails_at_once_without_retries(server, tmp_path):
    source = src("A", server.route("/gone.pdf", Reply(404, b"no")))
    result = fetch_sources([source], tmp_path, timeout=2, retries=3, backoff=0.01).results[0]
    assert result.status is FetchStatus.FAILED
    assert "HTTP 404" in result.reason and "official_url" in result.reason
    assert isinstance(result.error, SourceError) and result.error.source_id == "A"
    assert len(server.hits("/gone.pdf")) == 1
    assert version_files(tmp_path, "A") == [] and current_path(tmp_path, "A") is None


def test_500_then_200_is_retried_and_succeeds(server, tmp_path):
    source = src("A", server.route("/flaky.pdf", Reply(500, b"oops"), Reply(200, PDF_V1)))
    result = fetch_sources([source], tmp_path, **FAST).results[0]
    assert result.status is FetchStatus.DOWNLOADED
    assert len(server.hits("/flaky.pdf")) == 2
    assert result.path.read_bytes() == PDF_V1


def test_persistent_503_gives_up_after_the_bounded_retries(server, tmp_path):
    source = src("A", server.route("/down.pdf", Reply(503, b"busy")))
    result = fetch_sources([source], tmp_path, timeout=2, retries=2, backoff=0.01).results[0]
    assert result.status is FetchStatus.FAILED
    assert "HTTP 503" in result.reason and "3 attempts" in result.reason
    assert len(server.hits("/down.pdf")) == 3


def test_truncated_body_fails_and_installs_nothing(server, tmp_path):
    source = src("A", server.route("/short.pdf", Reply(200, PDF_V1[:100], content_length=len(PDF_V1))))
    result = fetch_sources([source], tmp_path, timeout=2, retries=1, backoff=0.01).results[0]
    assert result.status is FetchStatus.FAILED
    assert "truncated" in result.reason and f"{len(PDF_V1):,}" in result.reason
    assert len(server.hits("/short.pdf")) == 2  # a truncated body is worth one more try
    assert version_files(tmp_path, "A") == [] and not (tmp_path / "A" / "meta.json").exists()
    assert leftovers(tmp_path) == []


def test_server_stalling_mid_body_fails_within_bounded_time(server, tmp_path):
    source = src("A", server.route("/stall.pdf", Reply(200, PDF_V1, stall=5)))
    started = time.monotonic()
    result = fetch_sources([source], tmp_path, timeout=0.5, retries=1, backoff=0.01).results[0]
    elapsed = time.monotonic() - started
    assert result.status is FetchStatus.FAILED and "stalled" in result.reason
    assert elapsed < 3, f"took {elapsed:.1f} s"
    assert len(server.hits("/stall.pdf")) == 2
    assert version_files(tmp_path, "A") == [] and leftovers(tmp_path) == []


def test_server_that_never_answers_fails_within_bounded_time(server, tmp_path):
    source = src("A", server.route("/silent.pdf", Reply(200, PDF_V1, silent=5)))
    started = time.monotonic()
    result = fetch_sources([source], tmp_path, timeout=0.5, retries=0).results[0]
    assert result.status is FetchStatus.FAILED and "no response within 0.5 s" in result.reason
    assert time.monotonic() - started < 2


def test_sha256_mismatch_fails_and_installs_nothing(server, tmp_path):
    source = src("A", server.route("/doc.pdf", Reply(200, PDF_V2)), sha256=sha(PDF_V1))
    result = fetch_sources([source], tmp_path, **FAST).results[0]
    assert result.status is FetchStatus.FAILED
    assert "sha256 mismatch" in result.reason
    assert sha(PDF_V1) in result.reason and sha(PDF_V2) in result.reason
    assert version_files(tmp_path, "A") == [] and leftovers(tmp_path) == []


def test_html_page_where_a_pdf_was_expected_fails(server, tmp_path):
    page = b"<!DOCTYPE html><html><body>Page not found</body></html>"
    source = src("A", server.route("/ps.pdf", Reply(200, page, {"Content-Type": "text/html"})))
    result = fetch_sources([source], tmp_path, **FAST).results[0]
    assert result.status is FetchStatus.FAILED and "expected a pdf" in result.reason
    assert version_files(tmp_path, "A") == []


def test_official_html_page_for_a_markdown_conversion_is_kept_without_checksum(server, tmp_path):
    page = b"<!DOCTYPE html><html><body><h1>Executive Order</h1></body></html>"
    url = server.route("/eo/", Reply(200, page, {"Content-Type": "text/html; charset=utf-8"}))
    source = src("EO", url, sha256=sha(b"the mirror's markdown"), file="us/EO.md", fmt="md")
    result = fetch_sources([source], tmp_path, **FAST).results[0]
    assert result.status is FetchStatus.DOWNLOADED and "not compared" in result.reason
    assert result.path.suffix == ".html"
    ((listed, path),) = cache_manifest(tmp_path, [source])
    assert listed.format == "html" and listed.sha256 == sha(page) and path == result.path


def test_gzip_body_is_stored_decoded(server, tmp_path):
    packed = gzip.compress(PDF_V1)
    url = server.route("/z.pdf", Reply(200, packed, {"Content-Encoding": "gzip"}))
    result = fetch_sources([src("A", url, sha256=sha(PDF_V1))], tmp_path, **FAST).results[0]
    assert result.status is FetchStatus.DOWNLOADED and result.path.read_bytes() == PDF_V1


# --- versions ---------------------------------------------------------------------------------------------


def test_changed_document_is_kept_as_a_new_version(server, tmp_path):
    source = src("A", server.route("/doc.pdf", Reply(200, PDF_V1), Reply(200, PDF_V2), Reply(200, PDF_V1)))
    first = fetch_sources([source], tmp_path, **FAST).results[0]
    second = fetch_sources([source], tmp_path, **FAST).results[0]

    assert second.status is FetchStatus.DOWNLOADED and "new version" in second.reason
    assert second.path != first.path
    assert first.path.read_bytes() == PDF_V1 and second.path.read_bytes() == PDF_V2
    assert current_path(tmp_path, "A") == second.path
    meta = json.loads((tmp_path / "A" / "meta.json").read_text())
    assert [v["sha256"] for v in meta["versions"]] == [sha(PDF_V1), sha(PDF_V2)]

    third = fetch_sources([source], tmp_path, **FAST).results[0]  # the publisher reverts
    assert third.status is FetchStatus.DOWNLOADED and "made current again" in third.reason
    assert current_path(tmp_path, "A") == first.path and len(version_files(tmp_path, "A")) == 2


def test_failed_install_leaves_the_current_version_intact(server, tmp_path, monkeypatch):
    source = src("A", server.route("/doc.pdf", Reply(200, PDF_V1), Reply(200, PDF_V2)))
    first = fetch_sources([source], tmp_path, **FAST).results[0]

    real_replace = os.replace

    def failing_replace(a, b):
        if str(b).endswith(".pdf"):
            raise OSError(28, "No space left on device")
        return real_replace(a, b)

    monkeypatch.setattr(os, "replace", failing_replace)
    second = fetch_sources([source], tmp_path, **FAST).results[0]
    assert second.status is FetchStatus.FAILED and "No space left" in second.reason
    assert "stays current" in second.reason and second.path == first.path
    assert current_path(tmp_path, "A") == first.path and first.path.read_bytes() == PDF_V1
    assert leftovers(tmp_path) == []


def test_missing_cached_file_is_an_error_then_restored_by_fetch(server, tmp_path):
    source = src("A", server.route("/doc.pdf", Reply(200, PDF_V1)))
    first = fetch_sources([source], tmp_path, **FAST).results[0]
    first.path.unlink()
    with pytest.raises(SourceError, match="missing"):
        current_path(tmp_path, "A")
    again = fetch_sources([source], tmp_path, **FAST).results[0]
    assert again.status is FetchStatus.DOWNLOADED and "restored" in again.reason
    assert current_path(tmp_path, "A").read_bytes() == PDF_V1


def test_corrupt_meta_json_fails_that_source_by_name(server, tmp_path):
    (tmp_path / "A").mkdir()
    (tmp_path / "A" / "meta.json").write_text("{not json")
    source = src("A", server.route("/doc.pdf", Reply(200, PDF_V1)))
    result = fetch_sources([source], tmp_path, **FAST).results[0]
    assert result.status is FetchStatus.FAILED and "meta.json" in result.reason and "delete" in result.reason
    assert server.hits("/doc.pdf") == []


# --- mirror ----------------------------------------------------------------------------------------------


def test_mirror_file_is_copied_without_touching_the_network(server, tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "uk").mkdir(parents=True)
    (mirror / "uk" / "A.pdf").write_bytes(PDF_V1)
    source = src("A", server.route("/doc.pdf", Reply(500)), sha256=sha(PDF_V1))
    cache = tmp_path / "cache"

    result = fetch_sources([source], cache, mirror=mirror, **FAST).results[0]
    assert result.status is FetchStatus.COPIED and result.path.read_bytes() == PDF_V1
    assert server.hits("/doc.pdf") == []
    meta = json.loads((cache / "A" / "meta.json").read_text())
    assert meta["versions"][0]["mirror_path"] == str((mirror / "uk" / "A.pdf").resolve())

    again = fetch_sources([source], cache, mirror=mirror, **FAST).results[0]
    assert again.status is FetchStatus.UNCHANGED


def test_source_missing_from_the_mirror_is_downloaded(server, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    source = src("A", server.route("/doc.pdf", Reply(200, PDF_V1)))
    result = fetch_sources([source], tmp_path / "cache", mirror=mirror, **FAST).results[0]
    assert result.status is FetchStatus.DOWNLOADED and "not in the mirror" in result.reason


def test_mirror_file_with_wrong_checksum_fails(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "uk").mkdir(parents=True)
    (mirror / "uk" / "A.pdf").write_bytes(PDF_V2)
    source = src("A", "https://example.invalid/a.pdf", sha256=sha(PDF_V1))
    result = fetch_sources([source], tmp_path / "cache", mirror=mirror, **FAST).results[0]
    assert result.status is FetchStatus.FAILED and "sha256 mismatch" in result.reason
    assert version_files(tmp_path / "cache", "A") == []


def test_real_mirror_copies_every_manifest_document_with_its_checksum(tmp_path, corpus_dir):
    from crosswalk.ingest.sources import load_manifest, load_sources

    sources = load_manifest(corpus_dir)
    report = fetch_sources(sources, tmp_path, mirror=corpus_dir, **FAST)
    assert report.ok, report.summary()
    assert report.counts() == {"copied": len(sources)}
    view = cache_manifest(tmp_path, sources)
    assert [s.id for s, _ in view] == [s.id for s in sources]
    for (listed, path), original in zip(view, sources):
        assert sha(path.read_bytes()) == original.sha256 == listed.sha256
        assert path.suffix == "." + original.format
    assert fetch_sources(sources, tmp_path, mirror=corpus_dir, **FAST).counts() == {"unchanged": len(sources)}
    # what `crosswalk ingest --from-cache` reads: the catalogue's sources that were fetched, at their cached files
    cached = documents_to_ingest(None, tmp_path)
    assert cached and cached == cache_manifest(tmp_path, load_sources())
    assert {s.id for s, _ in cached} <= {s.id for s in sources}


def test_ingest_from_an_empty_cache_says_to_fetch_first(tmp_path):
    with pytest.raises(ConfigError, match="nothing fetched in .*: run `crosswalk fetch` first"):
        documents_to_ingest(None, tmp_path / "cache")


# --- many sources -----------------------------------------------------------------------------------------


def test_one_failing_source_does_not_stop_the_others(server, tmp_path):
    sources = [
        src("A", server.route("/a.pdf", Reply(404))),
        src("B", server.route("/b.pdf", Reply(200, PDF_V1))),
        src("C", server.route("/c.pdf", Reply(500))),
        src("D", server.route("/d.pdf", Reply(200, PDF_V2))),
    ]
    seen = []
    report = fetch_sources(sources, tmp_path, timeout=2, retries=1, backoff=0.01,
                           progress=lambda done, total, r: seen.append((done, total, r.source_id)))
    assert [r.status for r in report.results] == [
        FetchStatus.FAILED, FetchStatus.DOWNLOADED, FetchStatus.FAILED, FetchStatus.DOWNLOADED]
    assert [e.source_id for e in report.errors] == ["A", "C"]
    assert report.summary() == "4 sources: 2 downloaded, 2 failed (A, C)"
    assert seen == [(1, 4, "A"), (2, 4, "B"), (3, 4, "C"), (4, 4, "D")]
    assert [s.id for s, _ in cache_manifest(tmp_path, sources)] == ["B", "D"]


def test_bad_arguments_raise_before_any_request(server, tmp_path):
    url = server.route("/a.pdf", Reply(200, PDF_V1))
    with pytest.raises(ConfigError, match="listed twice"):
        fetch_sources([src("A", url), src("A", url)], tmp_path)
    with pytest.raises(ConfigError, match="not a folder"):
        fetch_sources([src("A", url)], tmp_path, mirror=tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="timeout"):
        fetch_sources([src("A", url)], tmp_path, timeout=0)
    assert server.requests == []


def test_non_http_url_fails_by_name(tmp_path):
    result = fetch_sources([src("A", "file:///etc/passwd")], tmp_path, **FAST).results[0]
    assert result.status is FetchStatus.FAILED and "not an http(s) URL" in result.reason


@pytest.mark.parametrize(
    ("head", "ctype", "name", "expected"),
    [
        (b"%PDF-1.7", "", "x.html", "pdf"),
        (b"<!DOCTYPE html><html>", "", "ps23-6.pdf", "html"),
        (b"<?xml version='1.0'?><Legislation/>", "application/xml", "data.xml", "xml"),
        (b"<Legislation/>", "", "data.xml", "xml"),
        (b"# Title", "", "a.md", "md"),
        (b"plain words", "text/plain", "", "txt"),
    ],
)
def test_detect_format(head, ctype, name, expected):
    assert detect_format(head, ctype, name) == expected
