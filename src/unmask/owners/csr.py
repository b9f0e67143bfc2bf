"""Small helpers over CSR arrays (compressed rows: ``ptr[k] … ptr[k + 1]`` are row k's entries)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def ranges(starts: npt.ArrayLike, counts: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    """Flattened ``[starts[k], starts[k] + counts[k])`` ranges and the k each element comes from."""
    starts = np.asarray(starts, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    offsets = np.cumsum(counts) - counts
    idx = np.arange(total, dtype=np.int64) - np.repeat(offsets, counts) + np.repeat(starts, counts)
    return idx, owner


def row_ptr(keys: npt.ArrayLike, n: int) -> IntArray:
    """The ``ptr`` array of entries sorted by ``keys`` (row numbers 0 … n-1)."""
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(np.asarray(keys, dtype=np.int64), minlength=n), out=ptr[1:])
    return ptr


def rows_of(ptr: IntArray, rows: npt.ArrayLike) -> IntArray:
    """The entry positions of some rows."""
    rows = np.asarray(rows, dtype=np.int64)
    return ranges(ptr[rows], ptr[rows + 1] - ptr[rows])[0]
