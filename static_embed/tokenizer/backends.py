"""Choosing a tokenizer backend: ``"lite"`` (ours), ``"rust"`` (``tokenizers``) or ``"auto"``.

``auto`` uses the pure-Python tokenizer whenever it supports every component
of the file (it is exact, and needs nothing beyond the standard library);
otherwise the Rust one if installed; otherwise it fails naming the component.
"""

from __future__ import annotations

import os
from typing import Union

from ..errors import UnsupportedFeatureError
from .rust_backend import INSTALL_HINT, RustTokenizer, rust_available
from .tokenizer import Tokenizer

__all__ = ["BACKENDS", "AnyTokenizer", "load_tokenizer"]

BACKENDS = ("auto", "lite", "rust")
AnyTokenizer = Union[Tokenizer, RustTokenizer]


def load_tokenizer(path: str | os.PathLike[str], backend: str = "auto") -> AnyTokenizer:
    """Load ``path`` with the requested backend (see module docstring)."""
    if backend not in BACKENDS:
        raise ValueError(f"tokenizer_backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "rust":
        return RustTokenizer.from_file(path)
    try:
        return Tokenizer.from_file(path)
    except UnsupportedFeatureError as exc:
        if backend == "lite":
            raise
        if rust_available():
            return RustTokenizer.from_file(path)
        raise UnsupportedFeatureError(f"{exc}; to use this file, {INSTALL_HINT}") from None
