"""A searcher's dense vectors as matching reads them: `vector_table(searcher)` gives a `VectorTable` (each
passage row's provision id and its unit vector), or None for a searcher that does not expose them. The `vectors`
matching method (`crosswalk.index.match`) multiplies two sides of it; the other methods read pair cosines from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class VectorTable:
    """Dense vectors by provision: row `i` of `matrix` (unit length) is a passage of provision `row_ids[i]`."""

    row_ids: tuple[str, ...]
    matrix: "np.ndarray"

    def groups(self, provision_ids: Sequence[str]) -> tuple["np.ndarray", "np.ndarray", list[str]]:
        """(rows, group starts, ids kept): the passage rows of `provision_ids`, grouped by provision in the
        order given; ids without any vector are left out of `ids kept`."""
        import numpy as np

        by_id = self.rows_by_id()
        rows: list[int] = []
        starts: list[int] = []
        kept: list[str] = []
        for pid in provision_ids:
            r = by_id.get(pid)
            if not r:
                continue
            starts.append(len(rows))
            rows.extend(r)
            kept.append(pid)
        return np.asarray(rows, dtype=np.int64), np.asarray(starts, dtype=np.int64), kept

    def rows_by_id(self) -> dict[str, list[int]]:
        """Provision id -> its passage rows (computed once)."""
        cached = self.__dict__.get("_rows_by_id")
        if cached is None:
            cached = {}
            for row, pid in enumerate(self.row_ids):
                cached.setdefault(pid, []).append(row)
            object.__setattr__(self, "_rows_by_id", cached)
        return cached

    def cosine(self, a: str, b: str) -> float | None:
        """The best passage-pair cosine of provisions `a` and `b`, or None if either has no vector."""
        import numpy as np

        by_id = self.rows_by_id()
        ra, rb = by_id.get(a), by_id.get(b)
        if not ra or not rb:
            return None
        sims = np.asarray(self.matrix[ra], dtype=np.float32) @ np.asarray(self.matrix[rb], dtype=np.float32).T
        return round(float(sims.max()), 6)


def vector_table(searcher) -> VectorTable | None:
    """The searcher's dense vectors as a `VectorTable`, or None when it does not expose them."""
    import numpy as np

    fn = getattr(searcher, "vector_table", None)
    if callable(fn):
        found = fn()
        if found is None:
            return None
        if isinstance(found, VectorTable):
            return found
        ids, matrix = found
        return VectorTable(tuple(ids), np.asarray(matrix, dtype=np.float32))
    # index.retrievers.Searcher: `dense` is a DenseRetriever wrapping a DenseIndex (`vectors`, `row_prov`
    # = provision numbers into the searcher's `ids`).
    dense = getattr(searcher, "dense", None)
    index = getattr(dense, "dense", None) or dense
    ids = getattr(searcher, "ids", None) or getattr(dense, "ids", None)
    vectors = getattr(index, "vectors", None)
    row_prov = getattr(index, "row_prov", None)
    if vectors is None or row_prov is None or ids is None:
        return None
    ids = list(ids)
    return VectorTable(tuple(ids[int(i)] for i in row_prov), np.asarray(vectors, dtype=np.float32))
