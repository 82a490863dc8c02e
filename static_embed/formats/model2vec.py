"""model2vec folders: ``config.json`` + ``model.safetensors`` + ``tokenizer.json``.

Reproduces ``model2vec.StaticModel.from_pretrained(folder).encode(...)`` (0.10):
the unknown token is dropped before pooling, texts are cut to
``max_length * median token length`` characters and then to ``max_length``
tokens (config key, default 512, ``null`` for no cut), and ``normalize`` comes
from the config (default False).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import ModelFormatError
from ..model_spec import ModelSpec
from ._common import Layout, check_vocab_fits, read_json_object, read_table, read_tokenizer

__all__ = ["DEFAULT_MAX_LENGTH", "find_layout", "load"]

DEFAULT_MAX_LENGTH = 512


def find_layout(folder: str) -> Layout | None:
    """The model2vec layout of ``folder``, or None if its files are not all there."""
    paths = {name: os.path.join(folder, name) for name in ("config.json", "model.safetensors", "tokenizer.json")}
    if not all(os.path.isfile(path) for path in paths.values()):
        return None
    return Layout(weights=paths["model.safetensors"], tokenizer=paths["tokenizer.json"],
                  config=paths["config.json"], weight_keys=("embeddings", "embedding.weight"))


def _setting(config: dict[str, Any], key: str, default: Any, kinds: tuple[type, ...], where: str) -> Any:
    value = config.get(key, default)
    if value is not None and (type(value) not in kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise ModelFormatError(f"{where}: {key!r} must be {names} or null, got {value!r}")
    return value


def load(folder: str, layout: Layout, *, validate: bool = True, tokenizer_backend: str = "auto", layout_format: str = "model2vec") -> ModelSpec:
    """Describe ``folder`` with model2vec's semantics."""
    config = read_json_object(layout.config) if layout.config and os.path.isfile(layout.config) else {}
    where = layout.config or folder
    normalize = _setting(config, "normalize", False, (bool,), where)
    max_length = _setting(config, "max_length", DEFAULT_MAX_LENGTH, (int,), where)
    if max_length is not None and max_length < 0:
        raise ModelFormatError(f"{where}: 'max_length' must be non-negative, got {max_length}")

    tokenizer = read_tokenizer(layout, tokenizer_backend).with_truncation(max_length)
    table = read_table(layout, validate=validate)
    check_vocab_fits(tokenizer, table, layout)

    char_limit = None
    if max_length is not None:
        vocab = tokenizer.get_vocab()
        median_token_length = int(np.median(np.fromiter(map(len, vocab), dtype=np.int64, count=len(vocab)))) \
            if vocab else 0
        char_limit = max_length * median_token_length
    unk_id = tokenizer.unk_id
    return ModelSpec(
        tokenizer=tokenizer,
        table=table,
        format=layout_format,
        compat="model2vec",
        path=folder,
        drop_ids=frozenset() if unk_id is None else frozenset({unk_id}),
        char_limit=char_limit,
        normalize=bool(normalize),
    )
