"""sentence-transformers 6.2 numerics in numpy: quantization, L2 normalization, similarity functions.

Helpers for :class:`static_embed.sentence_transformer.SentenceTransformer`, kept
apart so the class module stays readable. Each function reproduces one
sentence-transformers function (named in its docstring) on numpy arrays:

* :func:`quantize_embeddings` performs the same float32 numpy operations as
  ``sentence_transformers.util.quantize_embeddings`` without ``ranges``, so the
  same float32 input gives the same codes.
* :func:`torch_l2_normalize` is ``torch.nn.functional.normalize(x, dim=-1)``; the
  float32 norm is summed in the order of torch's x86-64 CPU kernel (as measured
  with torch 2.13: eight float32 lanes over blocks of eight, the lanes added in
  turn, then the remaining elements), which makes the result bit-identical there
  for any dimension. Other CPUs or builds and float64 input may differ in the last
  bit.
* :func:`similarity_fn` / :func:`pairwise_similarity_fn` return numpy versions of
  ``cos_sim``, ``dot_score``, ``euclidean_sim``, ``manhattan_sim`` and their
  pairwise forms. They accept numpy arrays, (nested) lists, and torch tensors
  (converted, never required).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "ALLOWED_PRECISIONS",
    "SUPPORTED_SIMILARITY_FN_NAMES",
    "pairwise_similarity_fn",
    "quantize_embeddings",
    "similarity_fn",
    "to_numpy_embeddings",
    "torch_l2_normalize",
]

logger = logging.getLogger("static_embed.sentence_transformer")

ALLOWED_PRECISIONS = {"float32", "int8", "uint8", "binary", "ubinary"}
SUPPORTED_SIMILARITY_FN_NAMES = ("cosine", "dot", "euclidean", "manhattan")

_EPS = 1e-12  # F.normalize's clamp
_LANES = 8  # float32 lanes of torch's vectorized CPU reduction
_CDIST_MM_THRESHOLD = 25  # torch.cdist switches to the matmul form above this many rows
_MANHATTAN_CHUNK_ELEMENTS = 1 << 24  # bounds the (rows, n2, dim) broadcast of manhattan distances


# ---------------------------------------------------------------- quantization


def _quantization_ranges(embeddings: np.ndarray, precision: str) -> np.ndarray:
    if embeddings.ndim == 1 or embeddings.shape[0] == 1:
        raise ValueError(
            f"Cannot compute {precision} quantization ranges from a single embedding. "
            "Call `quantize_embeddings` with `ranges` or `calibration_embeddings` "
            "from a representative set of embeddings instead."
        )
    if embeddings.shape[0] < 100:
        logger.warning(
            f"Computing {precision} quantization buckets based on {len(embeddings)} embeddings. "
            f"{precision} quantization is more stable with `ranges` calculated from more embeddings "
            "or a `calibration_embeddings` that can be used to calculate the buckets."
        )
    return np.vstack((np.min(embeddings, axis=0), np.max(embeddings, axis=0)))


def quantize_embeddings(embeddings: np.ndarray, precision: str) -> np.ndarray:
    """``sentence_transformers.util.quantize_embeddings(embeddings, precision)`` (6.2, no ``ranges``).

    int8/uint8 are calibrated on ``embeddings`` themselves: per dimension,
    ``floor((x - min) / ((max - min) / 255))`` clipped to [0, 255] (a constant
    dimension uses step 1), minus 128 for int8. binary/ubinary pack ``x > 0`` per
    row, most significant bit first (binary subtracts 128).

    Raises:
        ValueError: one row with int8/uint8 (nothing to calibrate on), an integer
            input, or an unknown precision.
    """
    embeddings = np.asarray(embeddings)
    if embeddings.dtype in (np.uint8, np.int8):
        raise ValueError("Embeddings to quantize must be float rather than int8 or uint8.")
    if embeddings.ndim == 2 and embeddings.shape[0] == 0:
        dim = embeddings.shape[1]
        if precision.endswith("int8"):
            return np.zeros((0, dim), dtype=np.int8 if precision == "int8" else np.uint8)
        if precision.endswith("binary"):
            return np.zeros((0, (dim + 7) // 8), dtype=np.int8 if precision == "binary" else np.uint8)
    if precision == "float32":
        return embeddings.astype(np.float32)
    if precision in ("int8", "uint8"):
        ranges = _quantization_ranges(embeddings, precision).astype(np.float32, copy=False)
        starts = ranges[0, :]
        steps = (ranges[1, :] - starts) / 255
        steps = np.where(steps == 0, 1, steps)
        codes = np.clip(np.floor((embeddings - starts) / steps), 0, 255)
        if precision == "uint8":
            return codes.astype(np.uint8)
        return (codes - 128).astype(np.int8)
    if precision == "binary":
        return (np.packbits(embeddings > 0, axis=-1) - 128).astype(np.int8)
    if precision == "ubinary":
        return np.packbits(embeddings > 0, axis=-1)
    raise ValueError(f"Precision {precision!r} is not supported")


# --------------------------------------------------------------- normalization


def _torch_order_norm(x: np.ndarray) -> np.ndarray:
    """Row norms of a 2-D float32 array, summed in the order of torch's CPU ``norm`` kernel."""
    rows, dim = x.shape
    main = dim - dim % _LANES
    total = np.zeros(rows, dtype=np.float32)
    if main:
        lanes = x[:, :_LANES] * x[:, :_LANES]
        for start in range(_LANES, main, _LANES):
            block = x[:, start:start + _LANES]
            lanes = lanes + block * block
        for lane in range(_LANES):
            total = total + lanes[:, lane]
    # the tail after the last full block: groups of four are squared, then added; the rest are fused
    # multiply-adds (emulated exactly: a float32 square is exact in float64)
    fused_from = main + (dim - main) // 4 * 4
    for column in range(main, fused_from):
        total = total + x[:, column] * x[:, column]
    for column in range(fused_from, dim):
        value = x[:, column].astype(np.float64)
        total = (total.astype(np.float64) + value * value).astype(np.float32)
    return np.sqrt(total)


def torch_l2_normalize(x: np.ndarray) -> np.ndarray:
    """``torch.nn.functional.normalize(x, p=2, dim=-1)``: ``x / max(‖x‖, 1e-12)`` row-wise.

    float32 in, float32 out (float64 stays float64); zero rows stay zero.
    """
    x = np.asarray(x)
    if x.dtype != np.float64:
        x = x.astype(np.float32, copy=False)
    if x.ndim == 0:
        raise ValueError("cannot normalize a 0-d array")
    if x.size == 0:
        return x.copy()
    flat = x.reshape(-1, x.shape[-1])
    if flat.dtype == np.float32:
        norms = _torch_order_norm(flat)
    else:
        norms = np.sqrt(np.einsum("ij,ij->i", flat, flat))
    norms = np.maximum(norms, flat.dtype.type(_EPS))
    return (flat / norms[:, None]).reshape(x.shape)


# ------------------------------------------------------------------ similarity


def _is_torch_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _tensor_to_numpy(tensor: Any) -> np.ndarray:
    tensor = tensor.detach()
    if getattr(tensor, "is_sparse", False):
        tensor = tensor.to_dense()
    if str(tensor.dtype) == "torch.bfloat16":
        tensor = tensor.float()
    return tensor.cpu().numpy()


def to_numpy_embeddings(value: Any) -> np.ndarray:
    """Embeddings as a float array: numpy, a list of rows (arrays, tensors, lists) or a torch tensor.

    Sub-float32 floats and integers become float32 (sentence-transformers upcasts
    float16 and bfloat16 the same way); float64 stays float64.
    """
    if _is_torch_tensor(value):
        array = _tensor_to_numpy(value)
    elif isinstance(value, (list, tuple)):
        if value and all(_is_torch_tensor(item) for item in value):
            array = np.stack([_tensor_to_numpy(item) for item in value])
        elif value and all(isinstance(item, np.ndarray) for item in value):
            array = np.stack(value)
        else:
            array = np.asarray(value)
    else:
        array = np.asarray(value)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"embeddings must be numeric, got an array of dtype {array.dtype}")
    if array.dtype != np.float64:
        array = array.astype(np.float32, copy=False)
    return array


def _as_batch(value: Any) -> np.ndarray:
    array = to_numpy_embeddings(value)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"expected 1-D or 2-D embeddings, got shape {array.shape}")
    return array


def _cos_sim(a: Any, b: Any) -> np.ndarray:
    return torch_l2_normalize(_as_batch(a)) @ torch_l2_normalize(_as_batch(b)).T


def _dot_score(a: Any, b: Any) -> np.ndarray:
    return _as_batch(a) @ _as_batch(b).T


def _euclidean_sim(a: Any, b: Any) -> np.ndarray:
    a, b = _as_batch(a), _as_batch(b)
    if a.shape[0] > _CDIST_MM_THRESHOLD or b.shape[0] > _CDIST_MM_THRESHOLD:
        # torch.cdist's matrix-product form: |a|² + |b|² - 2ab, clamped at 1e-30 before the root
        a_sq, b_sq = np.einsum("ij,ij->i", a, a), np.einsum("ij,ij->i", b, b)
        squared = (a_sq[:, None] + b_sq[None, :]) - 2 * (a @ b.T)
        return -np.sqrt(np.maximum(squared, squared.dtype.type(1e-30)))
    diff = a[:, None, :] - b[None, :, :]
    return -np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))


def _manhattan_sim(a: Any, b: Any) -> np.ndarray:
    a, b = _as_batch(a), _as_batch(b)
    out = np.empty((a.shape[0], b.shape[0]), dtype=np.result_type(a, b))
    step = max(1, _MANHATTAN_CHUNK_ELEMENTS // max(1, b.shape[0] * max(1, a.shape[1])))
    for start in range(0, a.shape[0], step):
        block = a[start:start + step]
        out[start:start + step] = -np.abs(block[:, None, :] - b[None, :, :]).sum(axis=-1)
    return out


def _pairwise_inputs(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    return to_numpy_embeddings(a), to_numpy_embeddings(b)


def _pairwise_cos_sim(a: Any, b: Any) -> np.ndarray:
    a, b = _pairwise_inputs(a, b)
    return np.asarray((torch_l2_normalize(a) * torch_l2_normalize(b)).sum(axis=-1))


def _pairwise_dot_score(a: Any, b: Any) -> np.ndarray:
    a, b = _pairwise_inputs(a, b)
    return np.asarray((a * b).sum(axis=-1))


def _pairwise_euclidean_sim(a: Any, b: Any) -> np.ndarray:
    a, b = _pairwise_inputs(a, b)
    diff = a - b
    return np.asarray(-np.sqrt((diff * diff).sum(axis=-1)))


def _pairwise_manhattan_sim(a: Any, b: Any) -> np.ndarray:
    a, b = _pairwise_inputs(a, b)
    return np.asarray(-np.abs(a - b).sum(axis=-1))


_SIMILARITY: dict[str, Callable[[Any, Any], np.ndarray]] = {
    "cosine": _cos_sim,
    "dot": _dot_score,
    "euclidean": _euclidean_sim,
    "manhattan": _manhattan_sim,
}
_PAIRWISE: dict[str, Callable[[Any, Any], np.ndarray]] = {
    "cosine": _pairwise_cos_sim,
    "dot": _pairwise_dot_score,
    "euclidean": _pairwise_euclidean_sim,
    "manhattan": _pairwise_manhattan_sim,
}


def similarity_fn(name: str) -> Callable[[Any, Any], np.ndarray]:
    """The ``(n1, n2)`` similarity matrix function for ``name`` (1-D inputs count as one row)."""
    return _SIMILARITY[name]


def pairwise_similarity_fn(name: str) -> Callable[[Any, Any], np.ndarray]:
    """The pairwise ``(n,)`` similarity function for ``name`` (two 1-D inputs give a 0-d array)."""
    return _PAIRWISE[name]
