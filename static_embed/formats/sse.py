"""RikkaBotan's Stable Static Embedding (SSE) folders, float and 4-bit quantized.

Float SSE: ``model.safetensors`` holding ``embedding.weight`` [V, D] and the
separable dynamic-tanh head ``dyt.alpha``, ``dyt.beta``, ``dyt.bias`` [D].
Quantized SSE: ``model_rest.safetensors`` (the head) plus ``embedding.q4_k_m.bin``,
a header-less blob of V rows of D/2 packed bytes followed by V float32 scales.
Tokenization is sentence-transformers' (unknown token kept, the file's
truncation); after mean pooling comes ``beta * tanh(alpha * x + bias)`` and, as
the model cards use it, L2 normalization. An empty text therefore gets
``beta * tanh(bias)``, normalized, not zeros.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

from .._json import load_json_file
from ..errors import ModelFormatError
from ..heads import DynamicTanh
from ..model_spec import ModelSpec
from ..safetensors import SafetensorsFile, open_safetensors
from ..tables import DenseTable, Q4Table, Table, check_finite
from ._common import Layout, check_vocab_fits, read_tokenizer

__all__ = ["SSELayout", "find_layout", "load"]

_HEAD_KEYS = ("dyt.alpha", "dyt.beta", "dyt.bias")
Q4_BLOB = "embedding.q4_k_m.bin"


class SSELayout(NamedTuple):
    """Where an SSE module's files are; ``blob`` is set for the 4-bit variant."""

    tokenizer: str
    head: str
    weights: str | None = None
    blob: str | None = None


def _module_folders(folder: str) -> list[str]:
    """The folder itself, then every module folder ``modules.json`` lists (SSE's module type is its own)."""
    folders = [folder]
    modules_path = os.path.join(folder, "modules.json")
    if os.path.isfile(modules_path):
        modules = load_json_file(modules_path, max_bytes=1024 * 1024)
        if isinstance(modules, list):
            for entry in modules:
                if isinstance(entry, dict) and isinstance(entry.get("path"), str) and entry["path"] not in ("", "."):
                    sub = os.path.normpath(os.path.join(folder, entry["path"]))
                    if os.path.dirname(sub) == os.path.normpath(folder):
                        folders.append(sub)
    return folders


def find_layout(folder: str) -> SSELayout | None:
    """The SSE layout of ``folder`` (or of one of its modules), or None."""
    for module in _module_folders(folder):
        tokenizer = next((p for p in (os.path.join(module, "tokenizer.json"), os.path.join(folder, "tokenizer.json"))
                          if os.path.isfile(p)), os.path.join(module, "tokenizer.json"))
        rest, blob = os.path.join(module, "model_rest.safetensors"), os.path.join(module, Q4_BLOB)
        if os.path.isfile(rest) and os.path.isfile(blob):
            return SSELayout(tokenizer=tokenizer, head=rest, blob=blob)
        weights = os.path.join(module, "model.safetensors")
        if os.path.isfile(weights) and "dyt.alpha" in open_safetensors(weights):
            return SSELayout(tokenizer=tokenizer, head=weights, weights=weights)
    return None


def _read_head(tensors: SafetensorsFile, validate: bool) -> DynamicTanh:
    missing = [key for key in _HEAD_KEYS if key not in tensors]
    if missing:
        raise ModelFormatError(f"{tensors.path}: missing SSE head tensors {missing} (found: {tensors.keys()})")
    arrays = []
    for key in _HEAD_KEYS:
        array = tensors.tensor(key)
        if array.ndim != 1 or array.dtype.kind != "f" or array.shape != tensors.shape("dyt.alpha"):
            raise ModelFormatError(f"{tensors.path}: tensor {key!r} must be a 1-D float vector like 'dyt.alpha', "
                                   f"got {array.dtype} {list(array.shape)}")
        if validate:
            check_finite(array, f"{tensors.path}: tensor {key!r}")
        arrays.append(array.astype(np.float32))
    return DynamicTanh(*arrays)


def _read_q4_blob(path: str, dim: int, validate: bool) -> Q4Table:
    if dim <= 0 or dim % 2:
        raise ModelFormatError(f"{path}: the head dimension {dim} must be even and positive for 4-bit rows")
    size = os.path.getsize(path)
    row_bytes = dim // 2 + 4
    if size == 0 or size % row_bytes:
        raise ModelFormatError(f"{path}: {size} bytes is not a whole number of rows of {row_bytes} bytes "
                               f"({dim // 2} packed + 4 for the scale)")
    rows = size // row_bytes
    blob = np.memmap(path, dtype=np.uint8, mode="r")
    packed = blob[: rows * (dim // 2)].reshape(rows, dim // 2)
    scales = np.frombuffer(blob, dtype="<f4", count=rows, offset=rows * (dim // 2)).copy()
    if validate and (not np.isfinite(scales).all() or (scales < 0).any()):
        raise ModelFormatError(f"{path}: row scales must be finite and non-negative")
    return Q4Table(packed, scales, source=path)


def load(folder: str, layout: SSELayout, *, validate: bool = True, tokenizer_backend: str = "auto") -> ModelSpec:
    """Describe an SSE folder (4-bit rows stay packed; ``load(table="f32")`` decodes them)."""
    head = _read_head(open_safetensors(layout.head), validate)
    dim = int(head.alpha.shape[0])
    embeddings: Table
    if layout.blob is not None:
        embeddings = _read_q4_blob(layout.blob, dim, validate)
    else:
        tensors = open_safetensors(layout.weights)  # type: ignore[arg-type]
        if "embedding.weight" not in tensors:
            raise ModelFormatError(f"{layout.weights}: missing tensor 'embedding.weight' (found: {tensors.keys()})")
        embeddings = DenseTable(tensors.tensor("embedding.weight"), check_rows=validate,
                                source=f"{layout.weights}: tensor 'embedding.weight'")
    if embeddings.dim != dim:
        raise ModelFormatError(f"{layout.head}: head dimension {dim} does not match the table's {embeddings.dim}")
    tokenizer = read_tokenizer(Layout(weights=layout.weights or layout.blob or "", tokenizer=layout.tokenizer,
                                      config=None, weight_keys=()), tokenizer_backend)
    check_vocab_fits(tokenizer, embeddings, Layout(weights=layout.blob or layout.weights or "",
                                                   tokenizer=layout.tokenizer, config=None, weight_keys=()))
    return ModelSpec(tokenizer=tokenizer, table=embeddings, format="sse-q4" if layout.blob else "sse",
                     compat="sentence-transformers", path=folder, head=head, normalize=True)
