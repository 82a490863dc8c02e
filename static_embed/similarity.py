"""Cosine similarity between two sets of embeddings."""

from __future__ import annotations

import numpy as np

from .normalize import l2_normalize

__all__ = ["similarity"]


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity: ``(n, m)`` for 2-D inputs, a scalar array for two vectors.

    Inputs need not be normalized; zero vectors give similarity 0.
    """
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    for name, arr in (("a", a_arr), ("b", b_arr)):
        if arr.ndim not in (1, 2) or arr.dtype.kind not in "fiu":
            raise TypeError(f"{name} must be a 1-D or 2-D numeric array, got {arr.dtype} with shape {arr.shape}")
    if a_arr.shape[-1] != b_arr.shape[-1]:
        raise ValueError(f"dimension mismatch: a has {a_arr.shape[-1]} columns, b has {b_arr.shape[-1]}")
    scores = l2_normalize(np.atleast_2d(a_arr)) @ l2_normalize(np.atleast_2d(b_arr)).T
    if a_arr.ndim == 1 and b_arr.ndim == 1:
        return scores[0, 0]
    if a_arr.ndim == 1:
        return scores[0]
    if b_arr.ndim == 1:
        return scores[:, 0]
    return scores
