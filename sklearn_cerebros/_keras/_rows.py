"""Feed a sparse matrix to a network one dense batch at a time.

A network's input layer is dense, so a sparse ``X`` (a one-hot encoded table,
say) must become dense somewhere. Densifying it whole costs
``n_rows * n_columns * 4`` bytes, which for a wide one-hot table is many times
the sparse matrix. :func:`as_batches` does that only while the dense copy stays
under :data:`DENSE_MAX_BYTES`; above it, it wraps the matrix in
:class:`SparseRows`, which the training loop and :func:`~._forward.predict_array`
index like an array and which hands out dense rows only for the batch asked
for. Both give the same rows, so the choice changes memory and speed, never a
result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["DENSE_MAX_BYTES", "SparseRows", "as_batches", "max_chunk_rows"]

#: A sparse ``X`` whose dense float32 copy would be at most this many bytes is
#: densified once (as fast as dense input); a larger one is densified per batch.
DENSE_MAX_BYTES = 256 * 2**20

#: At most this many bytes of dense rows per chunk when predicting on a
#: :class:`SparseRows` (the default chunk of 8192 rows of 20,000 one-hot
#: columns would otherwise be 655 MB).
CHUNK_BYTES = 32 * 2**20


class SparseRows:
    """A CSR matrix that gives dense float32 rows when indexed.

    ``rows[idx]`` (an integer array or a slice) is a dense ``ndarray``;
    ``len(rows)`` and ``rows.shape`` are the matrix's, and ``np.asarray(rows)``
    densifies it whole.

    Parameters
    ----------
    matrix : scipy sparse matrix or array
        The rows; converted to float32 CSR (fast row selection).
    """

    def __init__(self, matrix: Any) -> None:
        self.matrix = sp.csr_matrix(matrix, dtype=np.float32)

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    @property
    def dtype(self) -> np.dtype:
        return self.matrix.dtype

    @property
    def ndim(self) -> int:
        return 2

    def __len__(self) -> int:
        return self.matrix.shape[0]

    def __getitem__(self, index: Any) -> np.ndarray:
        return self.matrix[index].toarray()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        dense = self.matrix.toarray()
        return dense if dtype is None else dense.astype(dtype, copy=False)


def as_batches(X: Any) -> Any:
    """``X`` as the training loop and the forward pass take it.

    Dense input is returned as it is; sparse input densified when its dense
    copy is at most :data:`DENSE_MAX_BYTES`, else wrapped in
    :class:`SparseRows`.
    """
    if not sp.issparse(X):
        return X
    n_rows, n_columns = X.shape
    if n_rows * n_columns * np.dtype(np.float32).itemsize <= DENSE_MAX_BYTES:
        return X.toarray().astype(np.float32, copy=False)
    return SparseRows(X)


def max_chunk_rows(X: Any, chunk_size: int) -> int:
    """Rows per prediction chunk: ``chunk_size``, fewer for wide sparse rows."""
    if not isinstance(X, SparseRows):
        return chunk_size
    row_bytes = max(1, X.shape[1]) * np.dtype(np.float32).itemsize
    return max(1, min(chunk_size, CHUNK_BYTES // row_bytes))
