"""Heads: an optional per-dimension transform after pooling (the head stage).

Plain model2vec and sentence-transformers static models have none; RikkaBotan's
SSE models apply a separable dynamic tanh, ``beta * tanh(alpha * x + bias)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Head", "DynamicTanh"]


class Head:
    """Base class: ``apply(pooled float32 (n, dim)) -> float32 (n, dim)``."""

    def apply(self, pooled: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class DynamicTanh(Head):
    """SSE's separable DyT; note it maps an empty text's zero vector to ``beta * tanh(bias)``."""

    alpha: np.ndarray
    beta: np.ndarray
    bias: np.ndarray

    def apply(self, pooled: np.ndarray) -> np.ndarray:
        return (self.beta * np.tanh(self.alpha * pooled + self.bias)).astype(np.float32, copy=False)
