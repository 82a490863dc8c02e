"""L2 normalization (the last stage).

A zero vector (an empty text) stays exactly zero instead of becoming NaN; the
1e-12 floor is sentence-transformers' ``Normalize`` clamp.
"""

from __future__ import annotations

import numpy as np

__all__ = ["l2_normalize"]


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows divided by their Euclidean norm, float32; zero rows stay zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors, dtype=np.float32))[:, None]
    return np.divide(vectors, np.maximum(norms, np.float32(1e-12)), dtype=np.float32)
