"""Model formats: recognise a folder and describe it as a :class:`~static_embed.model_spec.ModelSpec`.

One module per published format. A folder written by model2vec also carries a
``modules.json`` that sentence-transformers reads, and the two libraries give
different vectors for it; such a folder follows model2vec unless
``compat="sentence-transformers"`` is asked for.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from ..errors import ModelFormatError
from ..model_spec import ModelSpec
from ..tables import DenseTable, Q4Table
from ..tokenizer.backends import BACKENDS
from . import model2vec, sentence_transformers, sse

__all__ = ["COMPAT_CHOICES", "TABLE_CHOICES", "load_spec"]

COMPAT_CHOICES = ("model2vec", "sentence-transformers")
TABLE_CHOICES = (None, "q4", "f32")


def load_spec(folder: str | os.PathLike[str], *, compat: str | None = None, validate: bool = True,
              tokenizer_backend: str = "auto", table: str | None = None) -> ModelSpec:
    """Detect the format of ``folder`` and load it with the semantics of ``compat`` (default: its own).

    ``table="f32"`` decodes every row to float32 once at load; ``"q4"`` insists on a
    4-bit table kept packed; None keeps the table as stored.
    """
    if table not in TABLE_CHOICES:
        raise ValueError(f"table must be one of {TABLE_CHOICES}, got {table!r}")
    spec = _load_as_stored(folder, compat=compat, validate=validate, tokenizer_backend=tokenizer_backend)
    if table == "q4" and not isinstance(spec.table, Q4Table):
        raise ValueError(f"table='q4' applies to 4-bit quantized models; {spec.path} stores "
                         f"{spec.table.dtype} rows")
    if table == "f32" and not (isinstance(spec.table, DenseTable) and spec.table.dtype == np.float32):
        spec = dataclasses.replace(spec, table=spec.table.to_float32())
    return spec


def _load_as_stored(folder: str | os.PathLike[str], *, compat: str | None, validate: bool,
                    tokenizer_backend: str) -> ModelSpec:
    if tokenizer_backend not in BACKENDS:
        raise ValueError(f"tokenizer_backend must be one of {BACKENDS}, got {tokenizer_backend!r}")
    if compat is not None and compat not in COMPAT_CHOICES:
        raise ValueError(f"compat must be one of {COMPAT_CHOICES} or None, got {compat!r}")
    folder = os.fspath(folder)
    if not os.path.exists(folder):
        raise FileNotFoundError(f"model folder not found: {folder}")
    if not os.path.isdir(folder):
        raise ModelFormatError(f"{folder}: expected a model folder, got a file")

    sse_layout = sse.find_layout(folder)
    if sse_layout is not None:
        if compat == "model2vec":
            raise ValueError(f"{folder} is an SSE model; model2vec cannot read it, so compat='model2vec' "
                             "does not apply")
        return sse.load(folder, sse_layout, validate=validate, tokenizer_backend=tokenizer_backend)

    m2v_layout = model2vec.find_layout(folder)
    st_layout = sentence_transformers.find_layout(folder)
    if compat is None:
        compat = "model2vec" if m2v_layout is not None or st_layout is None else "sentence-transformers"

    if compat == "model2vec":
        if m2v_layout is not None:
            return model2vec.load(folder, m2v_layout, validate=validate, tokenizer_backend=tokenizer_backend)
        if st_layout is not None:  # model2vec also reads sentence-transformers folders
            return model2vec.load(folder, st_layout.as_model2vec_layout(), validate=validate,
                                  tokenizer_backend=tokenizer_backend, layout_format="sentence-transformers")
    else:
        if st_layout is not None:
            return sentence_transformers.load(folder, st_layout, validate=validate, tokenizer_backend=tokenizer_backend)
        if m2v_layout is not None:
            return sentence_transformers.load(folder, sentence_transformers.layout_from_model2vec(m2v_layout),
                                              validate=validate, tokenizer_backend=tokenizer_backend,
                                              layout_format="model2vec")
    raise ModelFormatError(
        f"{folder}: no known static-model layout found. Tried: model2vec (config.json + model.safetensors + "
        "tokenizer.json), sentence-transformers StaticEmbedding (modules.json listing a StaticEmbedding "
        "module at the root or in a subfolder such as 0_StaticEmbedding/), SSE (model.safetensors with "
        "dyt.* head tensors, or model_rest.safetensors + embedding.q4_k_m.bin)")
