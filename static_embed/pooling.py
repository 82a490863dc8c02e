"""Mean pooling: one vector per text from its token rows (the pool stage).

Rows are gathered once per batch for its distinct ids, then summed per text in
token order; a text with no ids gets a zero vector (numpy's ``add.reduceat``
would return the next row for an empty segment, so empty texts are skipped).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["mean_pool"]


def mean_pool(id_lists: Sequence[Sequence[int]], rows_for: Callable[[np.ndarray], np.ndarray],
              dim: int) -> np.ndarray:
    """Mean of each text's rows, float32 ``(len(id_lists), dim)``; zeros for texts without ids."""
    out = np.zeros((len(id_lists), dim), dtype=np.float32)
    lengths = np.fromiter((len(ids) for ids in id_lists), dtype=np.int64, count=len(id_lists))
    non_empty = np.flatnonzero(lengths)
    if non_empty.size == 0:
        return out
    flat = np.fromiter((i for ids in id_lists for i in ids), dtype=np.int64, count=int(lengths.sum()))
    unique_ids, inverse = np.unique(flat, return_inverse=True)
    token_rows = rows_for(unique_ids)[inverse]
    kept_lengths = lengths[non_empty]
    starts = np.concatenate(([0], np.cumsum(kept_lengths)[:-1]))
    sums = np.add.reduceat(token_rows, starts, axis=0)
    out[non_empty] = sums / kept_lengths[:, None].astype(np.float32)
    return out
