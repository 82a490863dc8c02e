"""Matryoshka truncation: keep the first ``dim`` components (the truncate stage).

MRL-trained models put the most information first, so a prefix is a smaller
embedding; truncation happens before normalization so the result is unit-length.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_truncate_dim", "truncate"]


def check_truncate_dim(truncate_dim: object, dim: int) -> int | None:
    """Validate a requested dimension against the model's ``dim``."""
    if truncate_dim is None:
        return None
    if type(truncate_dim) is not int and not isinstance(truncate_dim, np.integer):
        raise TypeError(f"truncate_dim must be an int or None, got {type(truncate_dim).__name__}")
    value = int(truncate_dim)
    if not 0 < value <= dim:
        raise ValueError(f"truncate_dim must be between 1 and the model dimension {dim}, got {value}")
    return value


def truncate(vectors: np.ndarray, truncate_dim: int | None) -> np.ndarray:
    """The first ``truncate_dim`` columns (a view), or ``vectors`` unchanged."""
    if truncate_dim is None or truncate_dim == vectors.shape[-1]:
        return vectors
    return vectors[..., :truncate_dim]
