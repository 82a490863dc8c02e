"""Mean pooling: one vector per text from its token rows (the pool stage).

Float32 tables are read in place; other rows are decoded once per ``encode`` call
(:class:`RowSource`), or once per batch for its distinct ids (found with a vocabulary-
sized presence map for large batches, cheaper than sorting). Each text's rows are then summed one
after another in token order, in float32, then divided by the count: the order
``torch.nn.EmbeddingBag`` and model2vec's ``mean`` use, so results agree bit for
bit rather than to a tolerance (a pairwise or BLAS sum would differ in the last
bits on long texts). Texts of equal length are summed together as one
``(texts, length, dim)`` block; a text with no ids gets zeros. A non-finite mean
is traced to its table row and raised (``Table.check_rows``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np

from .tables import DenseTable, Table

__all__ = ["RowSource", "flatten", "mean_pool", "mean_pool_flat", "mean_pool_one", "without_ids"]


def flatten(id_lists: Sequence[Sequence[int]],
            drop_ids: frozenset[int] = frozenset()) -> tuple[np.ndarray, np.ndarray]:
    """All ids in one array plus each text's count, without ``drop_ids``."""
    lengths = np.fromiter(map(len, id_lists), dtype=np.intp, count=len(id_lists))
    flat = np.fromiter(chain.from_iterable(id_lists), dtype=np.intp, count=int(lengths.sum()))
    return without_ids(flat, lengths, drop_ids)


def without_ids(flat: np.ndarray, lengths: np.ndarray,
                drop_ids: frozenset[int]) -> tuple[np.ndarray, np.ndarray]:
    """``(flat, lengths)`` with every id in ``drop_ids`` removed, in one vectorized pass."""
    if drop_ids and flat.size:
        keep = ~np.isin(flat, np.fromiter(drop_ids, dtype=np.intp, count=len(drop_ids)))
        if not keep.all():
            text_of_id = np.repeat(np.arange(len(lengths)), lengths)
            lengths = np.bincount(text_of_id[keep], minlength=len(lengths)).astype(np.intp)
            flat = flat[keep]
    return flat, lengths


def mean_pool(id_lists: Sequence[Sequence[int]], table: Table) -> np.ndarray:
    """Mean of each text's rows, float32 ``(len(id_lists), table.dim)``; zeros for texts without ids."""
    return mean_pool_flat(*flatten(id_lists), table)


def mean_pool_flat(flat: np.ndarray, lengths: np.ndarray, table: Table,
                   rows: RowSource | None = None) -> np.ndarray:
    """``mean_pool`` of texts given as concatenated ids and per-text counts; ``rows`` may carry decoded
    rows over from earlier batches of the same call."""
    out = np.zeros((len(lengths), table.dim), dtype=np.float32)
    if not flat.size:
        return out
    source, index = (rows or RowSource(table)).lookup(flat)
    starts = np.cumsum(lengths) - lengths
    for length in np.unique(lengths[lengths > 0]):
        texts = np.flatnonzero(lengths == length)
        positions = starts[texts][:, None] + np.arange(length)
        block = source.take(index[positions], axis=0)     # (texts, length, dim)
        sums = block.sum(axis=1)                          # sequential over the token axis
        out[texts] = sums / np.float32(length)
    if table.check_rows and not np.isfinite(out).all():
        raise table.non_finite_error(np.unique(flat))
    return out


class RowSource:
    """Float32 rows for the batches of one ``encode`` call.

    A native float32 table is read in place. Other storage (float16, int8, quantized) is decoded
    for the distinct ids of each batch, and with ``per_call=True`` kept for the later batches of
    the call (up to ``MAX_DECODED_BYTES``, then started afresh), so a row is decoded once per
    call rather than once per batch.
    """

    MAX_DECODED_BYTES = 32 * 1024 * 1024

    def __init__(self, table: Table, *, per_call: bool = False) -> None:
        self.table = table
        embeddings = getattr(table, "embeddings", None)
        self._in_place = embeddings if isinstance(table, DenseTable) and \
            embeddings.dtype == np.dtype(np.float32) else None
        self._per_call = per_call and self._in_place is None
        self._slot_of_id: np.ndarray | None = None  # -1: not decoded yet
        self._decoded = np.empty((0, table.dim), dtype=np.float32)
        self._count = 0

    def lookup(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(source, index)`` with ``source.take(index, axis=0)`` the float32 rows of ``flat``."""
        if self._in_place is not None:
            return self._in_place, flat
        if not self._per_call:
            unique_ids, slots = _distinct(flat, self.table.num_ids)
            return self.table.rows(unique_ids), slots
        if self._slot_of_id is None:
            self._slot_of_id = np.full(self.table.num_ids, -1, dtype=np.intp)
        slots = self._slot_of_id[flat]
        missing = slots < 0
        if missing.any():
            new = np.unique(flat[missing])
            self._decode(new)
            slots = self._slot_of_id[flat]
        return self._decoded, slots

    def _decode(self, ids: np.ndarray) -> None:
        row_bytes = self.table.dim * 4
        if (self._count + len(ids)) * row_bytes > self.MAX_DECODED_BYTES:
            self._slot_of_id.fill(-1)  # type: ignore[union-attr]
            self._count = 0
        end = self._count + len(ids)
        if end > len(self._decoded):  # grow by a quarter at least: amortized copies, little slack
            grown = np.empty((max(end, len(self._decoded) * 5 // 4), self.table.dim), dtype=np.float32)
            grown[:self._count] = self._decoded[:self._count]
            self._decoded = grown
        self._decoded[self._count:end] = self.table.rows(ids)
        self._slot_of_id[ids] = np.arange(self._count, end)  # type: ignore[index]
        self._count = end


def _distinct(flat: np.ndarray, num_ids: int) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct ids and each id's index among them: a presence map over the vocabulary for
    large batches (linear), a sort for small ones (which would pay more to clear the map)."""
    if flat.size * 32 < num_ids:
        return np.unique(flat, return_inverse=True)
    present = np.zeros(num_ids, dtype=bool)
    present[flat] = True
    unique_ids = np.flatnonzero(present)
    slot_of_id = np.empty(num_ids, dtype=np.intp)
    slot_of_id[unique_ids] = np.arange(len(unique_ids))
    return unique_ids, slot_of_id[flat]


def mean_pool_one(ids: Sequence[int], table: Table) -> np.ndarray:
    """``mean_pool`` for one text, float32 ``(dim,)``: the same sums in the same order, no batch set-up."""
    if not ids:
        return np.zeros(table.dim, dtype=np.float32)
    id_array = np.array(ids, dtype=np.intp)
    mean = table.sum_rows(id_array) / np.float32(len(ids))
    # one reduction tells whether anything is NaN or infinite; the full test only runs if it says so
    if table.check_rows and not np.isfinite(np.add.reduce(mean)) and not np.isfinite(mean).all():
        raise table.non_finite_error(id_array)
    return mean
