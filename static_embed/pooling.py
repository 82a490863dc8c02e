"""Mean pooling: one vector per text from its token rows (the pool stage).

Rows are decoded once per batch for its distinct ids. Each text's rows are then
summed one after another in token order, in float32, then divided by the count:
the order ``torch.nn.EmbeddingBag`` and model2vec's ``mean`` use, so results
agree bit for bit rather than to a tolerance (a pairwise or BLAS sum would
differ in the last bits on long texts). Texts of equal length are summed
together as one ``(texts, length, dim)`` block; a text with no ids gets zeros.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain

import numpy as np

__all__ = ["mean_pool", "mean_pool_one"]


def mean_pool(id_lists: Sequence[Sequence[int]], rows_for: Callable[[np.ndarray], np.ndarray],
              dim: int) -> np.ndarray:
    """Mean of each text's rows, float32 ``(len(id_lists), dim)``; zeros for texts without ids."""
    out = np.zeros((len(id_lists), dim), dtype=np.float32)
    lengths = np.fromiter(map(len, id_lists), dtype=np.int64, count=len(id_lists))
    if not lengths.any():
        return out
    flat = np.fromiter(chain.from_iterable(id_lists), dtype=np.int64, count=int(lengths.sum()))
    unique_ids, inverse = np.unique(flat, return_inverse=True)
    unique_rows = rows_for(unique_ids)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))

    for length in np.unique(lengths[lengths > 0]):
        texts = np.flatnonzero(lengths == length)
        positions = starts[texts][:, None] + np.arange(length)
        block = unique_rows[inverse[positions]]           # (texts, length, dim)
        sums = block.sum(axis=1)                          # sequential over the token axis
        out[texts] = sums / np.float32(length)
    return out


def mean_pool_one(ids: Sequence[int], rows_for: Callable[[np.ndarray], np.ndarray], dim: int) -> np.ndarray:
    """``mean_pool`` for one text, float32 ``(dim,)``: the same sums in the same order, without the batch set-up."""
    if not ids:
        return np.zeros(dim, dtype=np.float32)
    rows = rows_for(np.array(ids, dtype=np.intp))
    return rows.sum(axis=0) / np.float32(len(ids))
