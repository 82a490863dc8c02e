"""Mean pooling: one vector per text from its token rows (the pool stage).

Rows are decoded once per batch for its distinct ids (found with a vocabulary-
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

from .tables import Table

__all__ = ["flatten", "mean_pool", "mean_pool_flat", "mean_pool_one", "without_ids"]


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


def mean_pool_flat(flat: np.ndarray, lengths: np.ndarray, table: Table) -> np.ndarray:
    """``mean_pool`` of texts given as concatenated ids and per-text counts."""
    out = np.zeros((len(lengths), table.dim), dtype=np.float32)
    if not flat.size:
        return out
    unique_ids, slots = _distinct(flat, table.num_ids)
    unique_rows = table.rows(unique_ids)
    starts = np.cumsum(lengths) - lengths

    for length in np.unique(lengths[lengths > 0]):
        texts = np.flatnonzero(lengths == length)
        positions = starts[texts][:, None] + np.arange(length)
        block = unique_rows[slots[positions]]             # (texts, length, dim)
        sums = block.sum(axis=1)                          # sequential over the token axis
        out[texts] = sums / np.float32(length)
    if table.check_rows and not np.isfinite(out).all():
        raise table.non_finite_error(unique_ids)
    return out


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
