"""Embedding tables: float32 rows for a set of token ids (the look-up stage).

A table knows how its rows are stored (float32, float16, int8, or
vocabulary-quantized: a shared row per token times a per-token weight) and
decodes only the rows asked for, so a memory-mapped file is never copied whole.
"""

from __future__ import annotations

import numpy as np

from .errors import ModelFormatError

__all__ = ["Table", "DenseTable", "MappedTable", "check_finite"]

_FLOAT_KINDS = (np.float16, np.float32, np.float64)


def check_finite(array: np.ndarray, what: str, *, chunk_rows: int = 8192) -> None:
    """Raise ``ModelFormatError`` if ``array`` holds NaN or infinity (checked in chunks: bounded memory)."""
    if array.dtype.kind != "f":
        return
    flat = array.reshape(array.shape[0], -1) if array.ndim > 1 else array.reshape(-1, 1)
    for start in range(0, flat.shape[0], chunk_rows):
        block = flat[start:start + chunk_rows]
        if not np.isfinite(block).all():
            bad = start + int(np.argwhere(~np.isfinite(block))[0][0])
            raise ModelFormatError(f"{what}: non-finite value (NaN or infinity) in row {bad}")


class Table:
    """Base class: ``rows(ids) -> float32 (len(ids), dim)``; ``num_ids`` ids are valid."""

    num_ids: int
    dim: int
    dtype: np.dtype

    def rows(self, ids: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @property
    def nbytes(self) -> int:
        raise NotImplementedError


class DenseTable(Table):
    """One stored row per id, in float32, float16, float64 or int8 (int8 is read as-is: its scale is not stored)."""

    def __init__(self, embeddings: np.ndarray, *, source: str) -> None:
        if embeddings.ndim != 2:
            raise ModelFormatError(f"{source}: embedding table must be 2-D, got shape {list(embeddings.shape)}")
        if embeddings.dtype.type not in _FLOAT_KINDS and embeddings.dtype != np.int8:
            raise ModelFormatError(f"{source}: embedding table dtype {embeddings.dtype} is not supported "
                                   "(expected float32, float16, float64 or int8)")
        self.embeddings = embeddings
        self.num_ids, self.dim = embeddings.shape
        self.dtype = embeddings.dtype

    def rows(self, ids: np.ndarray) -> np.ndarray:
        return self.embeddings[ids].astype(np.float32, copy=False)

    @property
    def nbytes(self) -> int:
        return int(self.embeddings.nbytes)


class MappedTable(Table):
    """Vocabulary-quantized: row(t) = embeddings[mapping[t]] * weights[t]."""

    def __init__(self, embeddings: np.ndarray, mapping: np.ndarray, weights: np.ndarray | None, *,
                 source: str) -> None:
        self._shared = DenseTable(embeddings, source=source)
        if mapping.ndim != 1 or mapping.dtype.kind not in "iu":
            raise ModelFormatError(f"{source}: 'mapping' must be a 1-D integer tensor, got "
                                   f"{mapping.dtype} {list(mapping.shape)}")
        if mapping.size and (int(mapping.min()) < 0 or int(mapping.max()) >= self._shared.num_ids):
            raise ModelFormatError(f"{source}: 'mapping' values must lie in [0, {self._shared.num_ids}), "
                                   f"found [{int(mapping.min())}, {int(mapping.max())}]")
        if weights is not None:
            if weights.shape != mapping.shape or weights.dtype.kind != "f":
                raise ModelFormatError(f"{source}: 'weights' must be a float tensor of shape {list(mapping.shape)}, "
                                       f"got {weights.dtype} {list(weights.shape)}")
        self.mapping = mapping
        self.weights = weights
        self.num_ids = int(mapping.shape[0])
        self.dim = self._shared.dim
        self.dtype = self._shared.dtype

    def rows(self, ids: np.ndarray) -> np.ndarray:
        rows = self._shared.rows(self.mapping[ids])
        if self.weights is not None:
            rows = rows * self.weights[ids].astype(np.float32)[:, None]
        return rows

    @property
    def nbytes(self) -> int:
        extra = self.weights.nbytes if self.weights is not None else 0
        return int(self._shared.nbytes + self.mapping.nbytes + extra)
