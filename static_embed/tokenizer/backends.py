"""Choosing a tokenizer backend: ``"lite"`` (ours), ``"rust"`` (``tokenizers``) or ``"auto"``.

``auto`` picks the faster exact backend: for Unigram and BPE models the Rust one
when ``tokenizers`` is installed (its first pass over new text is faster than the
pure-Python Viterbi lattice and merge loop; bench/bench_tokenizers.py), and the
pure-Python one otherwise, whenever it supports every component of the file
(WordPiece and WordLevel are faster in pure Python, with no import cost). A file
the pure-Python tokenizer cannot run falls back to Rust if installed, else fails
naming the component. Both backends give the same ids (tests/test_backends.py).
"""

from __future__ import annotations

import os
from typing import Union

from .._json import load_json_file
from ..errors import TokenizerConfigError, UnsupportedFeatureError
from .rust_backend import INSTALL_HINT, RustTokenizer, rust_available
from .tokenizer import MAX_TOKENIZER_JSON_BYTES, Tokenizer

__all__ = ["BACKENDS", "RUST_FASTER", "AnyTokenizer", "load_tokenizer"]

BACKENDS = ("auto", "lite", "rust")
#: model types whose first pass is faster in ``tokenizers`` (auto uses it for them when installed)
RUST_FASTER = frozenset({"Unigram", "BPE"})
AnyTokenizer = Union[Tokenizer, RustTokenizer]


def load_tokenizer(path: str | os.PathLike[str], backend: str = "auto") -> AnyTokenizer:
    """Load ``path`` with the requested backend (see module docstring)."""
    if backend not in BACKENDS:
        raise ValueError(f"tokenizer_backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "rust":
        return RustTokenizer.from_file(path)
    spec = load_json_file(path, max_bytes=MAX_TOKENIZER_JSON_BYTES, error=TokenizerConfigError)
    model = spec.get("model") if isinstance(spec, dict) else None
    if backend == "auto" and isinstance(model, dict) and model.get("type") in RUST_FASTER and rust_available():
        return RustTokenizer.from_file(path, spec)
    try:
        return Tokenizer.from_spec(spec, source=os.fspath(path))
    except UnsupportedFeatureError as exc:
        if backend == "lite":
            raise
        if rust_available():
            return RustTokenizer.from_file(path, spec)
        raise UnsupportedFeatureError(f"{exc}; to use this file, {INSTALL_HINT}") from None
