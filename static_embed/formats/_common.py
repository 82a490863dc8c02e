"""Pieces shared by the format loaders: layouts, JSON objects, the table, the tokenizer."""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from .._json import load_json_file
from ..errors import ModelFormatError
from ..safetensors import open_safetensors
from ..tables import DenseTable, MappedTable, Table, check_finite
from ..tokenizer.backends import AnyTokenizer, load_tokenizer

__all__ = ["Layout", "read_json_object", "read_table", "read_tokenizer", "check_vocab_fits"]


class Layout(NamedTuple):
    """Where one model's files are: weights, tokenizer, and its config (if any)."""

    weights: str
    tokenizer: str
    config: str | None
    weight_keys: tuple[str, ...]


def read_json_object(path: str) -> dict[str, Any]:
    """A JSON file whose top level must be an object."""
    value = load_json_file(path, max_bytes=16 * 1024 * 1024)
    if not isinstance(value, dict):
        raise ModelFormatError(f"{path}: top level must be a JSON object, got {type(value).__name__}")
    return value


def read_table(layout: Layout, *, validate: bool) -> Table:
    """The embedding table, with model2vec's optional ``mapping`` and ``weights`` folded in lazily."""
    tensors = open_safetensors(layout.weights)
    key = next((k for k in layout.weight_keys if k in tensors), None)
    if key is None:
        raise ModelFormatError(f"{layout.weights}: missing tensor {layout.weight_keys[0]!r} "
                               f"(also tried {list(layout.weight_keys[1:])}; found: {tensors.keys()})")
    embeddings = tensors.tensor(key)
    source = f"{layout.weights}: tensor {key!r}"
    # the table's rows are checked for NaN/infinity as batches first use them (load stays O(1) in its size)
    if "mapping" in tensors:
        mapping = tensors.tensor("mapping")
        weights = tensors.tensor("weights") if "weights" in tensors else None
        if validate and weights is not None:
            check_finite(weights, f"{layout.weights}: tensor 'weights'")
        return MappedTable(embeddings, mapping, weights, source=source, check_rows=validate)
    return DenseTable(embeddings, source=source, check_rows=validate)


def read_tokenizer(layout: Layout, backend: str) -> AnyTokenizer:
    if not os.path.isfile(layout.tokenizer):
        raise ModelFormatError(f"{layout.tokenizer}: file is missing")
    return load_tokenizer(layout.tokenizer, backend)


def check_vocab_fits(tokenizer: AnyTokenizer, table: Table, layout: Layout) -> None:
    """Every id the tokenizer can produce must have a row: checked at load, not at the first unlucky text."""
    if tokenizer.vocab_size > table.num_ids:
        raise ModelFormatError(
            f"{layout.tokenizer}: vocabulary has ids up to {tokenizer.vocab_size - 1}, but the table in "
            f"{layout.weights} has only {table.num_ids} rows")
