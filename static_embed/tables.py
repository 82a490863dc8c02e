"""Embedding tables: float32 rows for a set of token ids (the look-up stage).

A table knows how its rows are stored (float32, float16, int8, or
vocabulary-quantized: a shared row per token times a per-token weight) and
decodes only the rows asked for, so a memory-mapped file is never copied whole.
"""

from __future__ import annotations

import numpy as np

from .errors import ModelFormatError

__all__ = ["Table", "DenseTable", "MappedTable", "Q4Table", "check_finite", "first_non_finite"]

_FLOAT_KINDS = (np.float16, np.float32, np.float64)


#: per float width: the unsigned view and the exponent mask (all ones: infinity or NaN)
_EXPONENT_MASKS = {2: (np.uint16, 0x7C00), 4: (np.uint32, 0x7F800000), 8: (np.uint64, 0x7FF0000000000000)}


def first_non_finite(array: np.ndarray) -> int | None:
    """Index (along axis 0) of the first row holding NaN or infinity, or None.

    Tested on the bit pattern (an all-ones exponent), which integer SIMD does much
    faster than ``np.isfinite`` on float16.
    """
    if array.dtype.kind != "f" or not array.size:
        return None
    unsigned, mask = _EXPONENT_MASKS[array.dtype.itemsize]
    bits = array.view(np.dtype(unsigned).newbyteorder(array.dtype.byteorder))
    exponent = np.array(mask, dtype=bits.dtype)
    bad = (bits & exponent) == exponent
    if not bad.any():
        return None
    return int(np.argwhere(bad.reshape(len(array), -1).any(axis=1))[0][0])


def check_finite(array: np.ndarray, what: str, *, chunk_rows: int = 2048) -> None:
    """Raise ``ModelFormatError`` if ``array`` holds NaN or infinity (in chunks: bounded temporaries)."""
    for start in range(0, max(len(array), 1), chunk_rows):
        bad = first_non_finite(array[start:start + chunk_rows])
        if bad is not None:
            raise ModelFormatError(f"{what}: non-finite value (NaN or infinity) in row {start + bad}")


class Table:
    """Base class: ``rows(ids) -> float32 (len(ids), dim)``; ``num_ids`` ids are valid.

    ``check_rows``: pooled vectors are checked for NaN and infinity, and a bad one is
    traced to its row (``non_finite_error``), instead of scanning the whole table at
    load: load time and resident memory stay independent of the vocabulary size, and
    no NaN ever reaches an output.
    """

    num_ids: int
    dim: int
    dtype: np.dtype
    check_rows: bool = False

    def non_finite_error(self, ids: np.ndarray) -> ModelFormatError:
        """The error to raise when pooling ``ids`` gave a non-finite value."""
        return ModelFormatError("a pooled vector is not finite")

    def rows(self, ids: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @property
    def nbytes(self) -> int:
        raise NotImplementedError

    def sum_rows(self, ids: np.ndarray) -> np.ndarray:
        """``rows(ids).sum(axis=0)``: float32 ``(dim,)``, summed in id order (the single-text path)."""
        return self.rows(ids).sum(axis=0)

    def to_float32(self, *, chunk_rows: int = 8192) -> DenseTable:
        """Every row decoded once into one float32 array: faster look-ups, more memory (``table="f32"``)."""
        out = np.empty((self.num_ids, self.dim), dtype=np.float32)
        for start in range(0, self.num_ids, chunk_rows):
            ids = np.arange(start, min(start + chunk_rows, self.num_ids))
            out[start:start + len(ids)] = self.rows(ids)
        out.flags.writeable = False
        return DenseTable(out, source="decoded table")


class DenseTable(Table):
    """One stored row per id, in float32, float16, float64 or int8 (int8 is read as-is: its scale is not stored)."""

    def __init__(self, embeddings: np.ndarray, *, source: str, check_rows: bool = False) -> None:
        if embeddings.ndim != 2:
            raise ModelFormatError(f"{source}: embedding table must be 2-D, got shape {list(embeddings.shape)}")
        if embeddings.dtype.type not in _FLOAT_KINDS and embeddings.dtype != np.int8:
            raise ModelFormatError(f"{source}: embedding table dtype {embeddings.dtype} is not supported "
                                   "(expected float32, float16, float64 or int8)")
        self.embeddings = embeddings
        self.num_ids, self.dim = embeddings.shape
        self.dtype = embeddings.dtype
        self.source = source
        self.check_rows = check_rows and embeddings.dtype.kind == "f"

    def rows(self, ids: np.ndarray) -> np.ndarray:
        return self.embeddings.take(ids, axis=0).astype(np.float32, copy=False)

    def sum_rows(self, ids: np.ndarray) -> np.ndarray:
        # casting inside the reduction: the same exact float32 values added in the same order, no temporary
        return np.add.reduce(self.embeddings.take(ids, axis=0), axis=0, dtype=np.float32)

    def non_finite_error(self, ids: np.ndarray) -> ModelFormatError:
        bad = first_non_finite(self.embeddings.take(ids, axis=0))
        if bad is None:
            return ModelFormatError(f"{self.source}: the rows of one text overflow float32 when summed")
        return ModelFormatError(f"{self.source}: non-finite value (NaN or infinity) in row {int(ids[bad])}")

    @property
    def nbytes(self) -> int:
        return int(self.embeddings.nbytes)


class MappedTable(Table):
    """Vocabulary-quantized: row(t) = embeddings[mapping[t]] * weights[t]."""

    def __init__(self, embeddings: np.ndarray, mapping: np.ndarray, weights: np.ndarray | None, *,
                 source: str, check_rows: bool = False) -> None:
        self._shared = DenseTable(embeddings, source=source, check_rows=check_rows)
        self.check_rows = self._shared.check_rows
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
        rows = self._shared.rows(self.mapping.take(ids))
        if self.weights is not None:
            rows = rows * self.weights.take(ids).astype(np.float32)[:, None]
        return rows

    def non_finite_error(self, ids: np.ndarray) -> ModelFormatError:
        return self._shared.non_finite_error(self.mapping.take(ids))

    @property
    def nbytes(self) -> int:
        extra = self.weights.nbytes if self.weights is not None else 0
        return int(self._shared.nbytes + self.mapping.nbytes + extra)


def _nibble_lut() -> np.ndarray:
    """Byte -> its two decoded 4-bit values (high nibble = even column), in float32 as the reference computes."""
    codes = np.arange(256, dtype=np.uint8)
    nibbles = np.stack([codes >> 4, codes & 0x0F], axis=1).astype(np.float32)
    return nibbles / np.float32(7.5) - np.float32(1.0)


class Q4Table(Table):
    """RikkaBotan's 4-bit table: per row, ``(q / 7.5 - 1) * scale`` with q in 0..15, two codes per byte.

    The packed bytes stay as they are on disk (memory-mapped); a 256-entry lookup
    table decodes only the rows a batch uses, with no per-row bit loops.
    """

    _LUT = _nibble_lut()

    def __init__(self, packed: np.ndarray, scales: np.ndarray, *, source: str) -> None:
        if packed.ndim != 2 or packed.dtype != np.uint8 or scales.shape != (packed.shape[0],):
            raise ModelFormatError(f"{source}: packed table must be uint8 (V, D/2) with V scales")
        self.packed = packed
        self.scales = scales.astype(np.float32, copy=False)
        self.num_ids = int(packed.shape[0])
        self.dim = int(packed.shape[1]) * 2
        self.dtype = np.dtype(np.uint8)

    def rows(self, ids: np.ndarray) -> np.ndarray:
        decoded = self._LUT[self.packed[ids]].reshape(len(ids), self.dim)
        return decoded * self.scales[ids][:, None]

    @property
    def nbytes(self) -> int:
        return int(self.packed.nbytes + self.scales.nbytes)
