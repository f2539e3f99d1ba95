"""Dense search: passage embeddings in a FAISS inner-product index, answered as provisions.

Index types (`INDEX_TYPES`):

- `flat` (default): `IndexFlatIP`, exact. Right for the US and UK corpora: one query, one thread, takes
  0.1 ms over 3·10^3 passages, 12 ms over 10^5, 80–95 ms over 10^6.
- `hnsw`: `IndexHNSWFlat` with inner product; approximate, for 10^6 passages. Options `M` (graph degree, 32),
  `ef_construction` (100), `ef_search` (128).
- `ivf`: `IndexIVFFlat` over an inner-product coarse quantiser; approximate, cheaper to build than HNSW.
  Options `nlist` (default 4·√n, at most n/39) and `nprobe` (32).

Measured by `bench/bench_index.py` on 10^6 synthetic vectors spread around this corpus's real embeddings
(2 cores): `hnsw` builds in 5 min and answers in 0.36 ms at recall@10 0.994 against `flat` (0.28 ms at
0.986 with `ef_search` 64); `ivf` builds in 2.7 min and answers in 1.2 ms at recall 1.0. On an isotropic
Gaussian mixture (harder than real embeddings) recall drops to 0.6–0.7 (`hnsw`, M=16) and 0.4 (`ivf`):
check recall on your own vectors before trusting an approximate index.

Rows are passages; `row_prov[row]` is the provision number (the position in the index's `ids.json`). A search
returns provision numbers with each provision's best passage score (max over its passages), and fetches
deeper until `k` distinct provisions are found or the allowed rows run out.

Filters arrive as a boolean mask over provisions. When at most `EXACT_SUBSET_MAX` rows are allowed, the
allowed rows are scored exactly (`faiss.knn` over them: faster than any index for a small subset, and exact
even for `hnsw`/`ivf`); above that, FAISS searches with an `IDSelectorBitmap`, so the filter is applied
inside the index search, not after truncation.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from crosswalk.errors import ConfigError, IndexStateError
from crosswalk.files import atomic_path

INDEX_TYPES = ("flat", "hnsw", "ivf")
DEFAULT_OPTIONS: dict[str, dict] = {
    "flat": {},
    "hnsw": {"M": 32, "ef_construction": 100, "ef_search": 128},
    "ivf": {"nlist": None, "nprobe": 32},
}
EXACT_SUBSET_MAX = 65_536


def index_options(index_type: str, options: dict | None = None) -> dict:
    """The options for `index_type`: defaults overridden by `options`; unknown names are a ConfigError.

    Example:
        >>> index_options("hnsw", {"ef_search": 64})
        {'M': 32, 'ef_construction': 100, 'ef_search': 64}
    """
    if index_type not in INDEX_TYPES:
        raise ConfigError(f"unknown index type {index_type!r}: use one of {', '.join(INDEX_TYPES)}")
    out = dict(DEFAULT_OPTIONS[index_type])
    for key, value in (options or {}).items():
        if key not in out:
            allowed = ", ".join(out) or "none"
            raise ConfigError(f"unknown option {key!r} for a {index_type} index: options are {allowed}")
        out[key] = value
    return out


def _faiss():
    import faiss

    return faiss


class DenseIndex:
    """Passage vectors (`vectors`, `(rows, dim)` float32, unit length) in a FAISS index, mapped to provisions.

    Example:
        >>> v = np.eye(3, dtype=np.float32)
        >>> idx = DenseIndex.build(v, row_prov=[0, 0, 1])
        >>> idx.search(np.array([[0.0, 0.6, 0.8]], dtype=np.float32), k=2)  # doctest: +ELLIPSIS
        [[(1, 0.8...), (0, 0.6...)]]
    """

    def __init__(self, index, vectors: np.ndarray, row_prov: np.ndarray, index_type: str, options: dict):
        self.index = index
        self.vectors = vectors
        self.row_prov = np.asarray(row_prov, dtype=np.int64)
        self.index_type = index_type
        self.options = options
        self.n_provisions = int(self.row_prov.max()) + 1 if len(self.row_prov) else 0
        self._apply_search_options()

    @property
    def n_rows(self) -> int:
        return int(self.index.ntotal)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    # --- building and persistence -------------------------------------------------------------------------------

    @classmethod
    def build(
        cls, vectors: np.ndarray, row_prov: Sequence[int], index_type: str = "flat", options: dict | None = None
    ) -> "DenseIndex":
        faiss = _faiss()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(row_prov):
            raise ConfigError(f"{len(row_prov)} row ids for vectors of shape {vectors.shape}")
        n, dim = vectors.shape
        opts = index_options(index_type, options)
        if index_type == "flat":
            index = faiss.IndexFlatIP(dim)
        elif index_type == "hnsw":
            index = faiss.IndexHNSWFlat(dim, int(opts["M"]), faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = int(opts["ef_construction"])
        else:
            nlist = opts["nlist"] or int(4 * math.sqrt(max(n, 1)))
            nlist = max(1, min(nlist, n // 39 if n >= 39 else 1))
            opts["nlist"] = nlist
            quantizer = faiss.IndexFlatIP(dim)
            index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)  # keeps a ref
            index.cp.min_points_per_centroid = max(1, min(39, n // nlist))  # no warning for small corpora
            index.cp.max_points_per_centroid = 64  # k-means on ≤ 64·nlist sampled vectors: minutes, not hours
            index.cp.niter = 10
            if n:
                index.train(vectors)
        if n:
            index.add(vectors)
        return cls(index, vectors, np.asarray(row_prov, dtype=np.int64), index_type, opts)

    def _apply_search_options(self) -> None:
        if self.index_type == "hnsw":
            self.index.hnsw.efSearch = int(self.options.get("ef_search", 128))
        elif self.index_type == "ivf":
            self.index.nprobe = int(self.options.get("nprobe", 32))

    def save(self, directory: Path, index_file: str = "dense.faiss", vectors_file: str = "embeddings.npy") -> None:
        """Write the FAISS index and the vectors (`.npy`, no pickle) into `directory`, each whole or not at all
        (`crosswalk.files.atomic_path`)."""
        faiss = _faiss()
        directory = Path(directory)
        with atomic_path(directory / index_file) as tmp:
            faiss.write_index(self.index, str(tmp))
        with atomic_path(directory / vectors_file, suffix=".npy") as tmp:
            np.save(tmp, np.ascontiguousarray(self.vectors, dtype=np.float32), allow_pickle=False)

    @classmethod
    def load(
        cls,
        directory: Path,
        row_prov: Sequence[int],
        index_type: str,
        options: dict,
        dim: int,
        index_file: str = "dense.faiss",
        vectors_file: str = "embeddings.npy",
    ) -> "DenseIndex":
        """Read what `save` wrote; anything missing, unreadable or of the wrong shape is an IndexStateError."""
        faiss = _faiss()
        directory = Path(directory)
        fix = "run `crosswalk index` to rebuild it"
        try:
            index = faiss.read_index(str(directory / index_file))
        except RuntimeError as e:
            first = str(e).strip().splitlines()[-1][:160] if str(e).strip() else type(e).__name__
            raise IndexStateError(f"cannot read the dense index {directory / index_file} ({first}); {fix}") from None
        try:
            vectors = np.load(directory / vectors_file, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as e:
            raise IndexStateError(f"cannot read {directory / vectors_file} ({e}); {fix}") from None
        rows = len(row_prov)
        if index.ntotal != rows or vectors.shape != (rows, dim) or index.d != dim:
            raise IndexStateError(
                f"the dense index in {directory} does not fit together: {index.ntotal} FAISS rows of dimension "
                f"{index.d}, vectors {tuple(vectors.shape)}, {rows} passages, model dimension {dim}; {fix}"
            )
        return cls(index, vectors, np.asarray(row_prov, dtype=np.int64), index_type, dict(options))

    # --- search ------------------------------------------------------------------------------------------------

    def rows_of(self, provision: int) -> np.ndarray:
        """The passage rows of provision number `provision`."""
        return np.flatnonzero(self.row_prov == provision)

    def _search_rows(self, q: np.ndarray, depth: int, row_mask: np.ndarray | None, allowed: np.ndarray | None):
        """(scores, rows) of the `depth` best allowed rows for each query; rows of -1 pad short answers."""
        faiss = _faiss()
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1 if len(q) < 4 else (os.cpu_count() or 1))  # one query: threads only cost
        try:
            if row_mask is not None and len(allowed) <= EXACT_SUBSET_MAX:
                # exact search over the allowed rows only (faiss.knn: 0.1 ms for 2,000 rows, where NumPy's
                # BLAS matrix product took 8 ms here)
                subset = np.ascontiguousarray(self.vectors[allowed], dtype=np.float32)
                D, I = faiss.knn(q, subset, min(depth, len(allowed)), metric=faiss.METRIC_INNER_PRODUCT)
                return D, np.where(I >= 0, allowed[np.maximum(I, 0)], -1)
            params = None
            if row_mask is not None:
                bits = np.packbits(row_mask, bitorder="little")  # must outlive the search: FAISS keeps a pointer
                sel = faiss.IDSelectorBitmap(bits)
                if self.index_type == "hnsw":
                    params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(int(self.options["ef_search"]), depth))
                elif self.index_type == "ivf":
                    params = faiss.SearchParametersIVF(sel=sel, nprobe=int(self.options["nprobe"]))
                else:
                    params = faiss.SearchParameters(sel=sel)
            elif self.index_type == "hnsw" and depth > self.index.hnsw.efSearch:
                params = faiss.SearchParametersHNSW(efSearch=depth)
            return self.index.search(q, depth, params=params)
        finally:
            faiss.omp_set_num_threads(threads)

    def search(self, queries: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[list[tuple[int, float]]]:
        """For each query vector, the `k` best `(provision number, score)`, score = best passage's inner product.

        `mask` (bool, one per provision) limits the answer to the provisions it marks True.
        """
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if q.shape[1] != self.dim:
            raise ConfigError(f"query vectors of dimension {q.shape[1]}, the index holds dimension {self.dim}")
        if mask is None:
            row_mask, allowed, n_allowed = None, None, self.n_rows
        else:
            mask = np.asarray(mask, dtype=bool)
            row_mask = mask[self.row_prov] if len(mask) else np.zeros(self.n_rows, dtype=bool)
            allowed = np.flatnonzero(row_mask)
            n_allowed = len(allowed)
        answers: list[list[tuple[int, float]] | None] = [None] * len(q)
        if n_allowed == 0 or k <= 0:
            return [[] for _ in q]
        depth = min(n_allowed, max(2 * k, k + 16))
        pending = list(range(len(q)))
        while pending:
            D, I = self._search_rows(q[pending], depth, row_mask, allowed)
            for j, qi in enumerate(pending):
                best: dict[int, float] = {}
                for score, row in zip(D[j], I[j]):
                    if row < 0:
                        continue
                    prov = int(self.row_prov[row])
                    if prov not in best:  # rows come best first, so the first is the provision's max
                        best[prov] = float(score)
                if len(best) >= k or depth >= n_allowed:
                    answers[qi] = sorted(best.items(), key=lambda x: (-x[1], x[0]))[:k]
            pending = [qi for qi in pending if answers[qi] is None]
            depth = min(n_allowed, depth * 4)
        return answers  # type: ignore[return-value]
