"""L2 normalization (the last stage).

A zero vector (an empty text) stays exactly zero instead of becoming NaN; the
1e-12 floor is sentence-transformers' ``Normalize`` clamp.
"""

from __future__ import annotations

import numpy as np

__all__ = ["l2_normalize", "l2_normalize_one"]


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows divided by their Euclidean norm, float32; zero rows stay zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    # the same reduction as np.linalg.norm (model2vec's), so results match it bit for bit
    norms = np.sqrt(np.add.reduce(vectors * vectors, axis=1, keepdims=True))
    return np.divide(vectors, np.maximum(norms, np.float32(1e-12)), dtype=np.float32)


_FLOOR = np.float32(1e-12)


def l2_normalize_one(vector: np.ndarray) -> np.ndarray:
    """One float32 vector divided by its norm: the single-text path, bit-identical to a row of ``l2_normalize``."""
    norm = np.sqrt(np.add.reduce(vector * vector))
    return vector / (norm if norm > _FLOOR else _FLOOR)
