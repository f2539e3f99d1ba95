"""The fetch cache: what `crosswalk fetch` keeps of each source, and what ingest reads from it.

Layout, one folder per source:

    cache/{source_id}/{sha256[:16]}.{ext}   one file per version of the document, never overwritten
    cache/{source_id}/meta.json             the versions and which one is current

`meta.json` lists each version with its `sha256`, `file`, `bytes`, `format`, `fetched_at` (UTC), `origin`
(`url` or `mirror`), `url` or `mirror_path`, and the `etag` / `last_modified` validators the server sent;
`current` is the sha256 of the version ingest reads, `checked_at` the last time the source was checked. A
document that changes upstream is kept as a new version beside the old one, which stays on disk. Every file
lands whole or not at all (`crosswalk.files`).

Example: for source, path in cache_manifest(ws.cache_dir, load_sources()): read(path)
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from crosswalk.errors import SourceError
from crosswalk.files import atomic_write, move_into_place
from crosswalk.ingest.download import Body
from crosswalk.ingest.models import Source

META_NAME = "meta.json"


def current_path(cache_dir: str | os.PathLike, source_id: str) -> Path | None:
    """The current cached file of a source, or None if it was never fetched.

    A cache whose meta.json names a file that is not there is a SourceError (fetch again to repair it).

    Example: current_path("workspace/cache", "UK-MLR-2017") -> Path("workspace/cache/UK-MLR-2017/1f0c….xml")
    """
    version = current_version(Path(cache_dir), source_id)
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
        version = current_version(cache_dir, source.id)
        if version is None:
            continue
        path = cache_dir / source.id / version["file"]
        out.append((replace(source, sha256=version["sha256"], format=version.get("format", source.format)), path))
    return out


def now() -> str:
    """The time in UTC as meta.json writes it: `2026-01-31T12:00:00Z`."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def version_of(meta: dict, sha256: str | None) -> dict | None:
    """The version entry of `meta` with this sha256, or None."""
    if not sha256:
        return None
    return next((v for v in meta["versions"] if v["sha256"] == sha256), None)


def store_version(cache_dir: Path, source_id: str, meta: dict, body: Body, fmt: str, *, origin: str,
                  at: str) -> tuple[dict, str]:
    """Put `body` (format `fmt`, from `origin`: url or mirror) into the source's folder as the version named after
    its sha256, unless that version's file is already there. Returns the version entry of `meta` (added, fetched
    `at`, when new) and what was done: `added`, `restored` (the version was listed but its file had gone) or ``
    (nothing: the file is there)."""
    folder = cache_dir / source_id
    version = version_of(meta, body.sha256)
    if version is None:
        name = f"{body.sha256[:16]}.{fmt}"
        if (folder / name).exists():  # a 16-digit prefix shared with another version: use the whole hash
            name = f"{body.sha256}.{fmt}"
        folder.mkdir(parents=True, exist_ok=True)
        move_into_place(body.tmp, folder / name)
        version = {"sha256": body.sha256, "file": name, "bytes": body.size, "format": fmt, "fetched_at": at,
                   "origin": origin}
        meta["versions"].append(version)
        return version, "added"
    if not (folder / version["file"]).is_file():
        folder.mkdir(parents=True, exist_ok=True)
        move_into_place(body.tmp, folder / version["file"])
        return version, "restored"
    return version, ""


def read_meta(cache_dir: Path, source_id: str) -> dict:
    """The source's meta.json (an empty one when it was never fetched); a SourceError saying how to repair a
    file that is not what fetch writes."""
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
    if meta.get("current") is not None and version_of(meta, meta["current"]) is None:
        problem = f"{path} says the current version is {meta['current']}, which it does not list; {repair}"
        raise SourceError(source_id, problem)
    return meta


def write_meta(cache_dir: Path, source_id: str, meta: dict) -> None:
    """Replace the source's meta.json with `meta`, whole."""
    meta["source_id"] = source_id
    atomic_write(cache_dir / source_id / META_NAME, json.dumps(meta, indent=2, sort_keys=True) + "\n")


def current_version(cache_dir: Path, source_id: str) -> dict | None:
    """The current version entry of a source, or None if it was never fetched; a SourceError when meta.json
    names a file that is not there."""
    meta = read_meta(cache_dir, source_id)
    version = version_of(meta, meta.get("current"))
    if version is None:
        return None
    path = cache_dir / source_id / version["file"]
    if not path.is_file():
        raise SourceError(source_id, f"the cache lists {path} as current but the file is missing; run fetch again")
    return version
