"""The optional ``tokenizers`` (Rust) backend, behind the same interface as :class:`Tokenizer`.

Used when asked for (``tokenizer_backend="rust"``) or, under ``"auto"``, for
Unigram and BPE models and when a ``tokenizer.json`` uses a component the
pure-Python tokenizer does not support.
It encodes exactly as the runner needs: no special tokens, no padding, and the
truncation the model's semantics call for.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import numpy as np

from ..errors import TokenizerConfigError
from .tokenizer import Truncation, VocabularyView, check_text, check_texts, flat_ids

__all__ = ["RustTokenizer", "rust_available"]

INSTALL_HINT = "install the optional Rust backend with: pip install 'static-embed-numpy[rust]'"


def _import_tokenizers() -> Any:
    try:
        import tokenizers
    except ImportError as exc:
        raise ImportError(f"tokenizer_backend='rust' needs the `tokenizers` package; {INSTALL_HINT}") from exc
    return tokenizers


def rust_available() -> bool:
    """Whether the ``tokenizers`` package can be imported."""
    try:
        _import_tokenizers()
    except ImportError:
        return False
    return True


class RustTokenizer(VocabularyView):
    """``tokenizers.Tokenizer`` wrapped to the runner's tokenizer interface."""

    backend = "rust"

    def __init__(self, inner: Any, spec: dict[str, Any], source: str) -> None:
        inner.no_padding()
        self._inner = inner
        self.source = source
        model = spec.get("model") or {}
        self._vocab: dict[str, int] = inner.get_vocab(with_added_tokens=True)
        if isinstance(model.get("unk_token"), str):
            self._unk_id = inner.token_to_id(model["unk_token"])
        else:
            unk = model.get("unk_id")
            self._unk_id = unk if type(unk) is int else None
        truncation = inner.truncation
        self.truncation = None if truncation is None else Truncation(
            truncation["max_length"], str(truncation.get("direction", "right")).lower())

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], spec: Any = None) -> RustTokenizer:
        """Load ``path``; ``spec`` is its already parsed JSON, when the caller has it (saves a second parse)."""
        tokenizers = _import_tokenizers()
        path = os.fspath(path)
        try:
            if spec is None:
                with open(path, "rb") as handle:
                    spec = json.loads(handle.read())
            inner = tokenizers.Tokenizer.from_file(path)
        except Exception as exc:  # the Rust side raises plain Exception; json raises ValueError
            raise TokenizerConfigError(f"{path}: the tokenizers package cannot load this file ({exc})") from None
        return cls(inner, spec if isinstance(spec, dict) else {}, path)

    def with_truncation(self, max_length: int | None) -> RustTokenizer:
        """A copy that keeps the first ``max_length`` ids (None: keep all)."""
        clone = copy.copy(self)
        clone._inner = copy.deepcopy(self._inner)
        if max_length is None:
            clone._inner.no_truncation()
            clone.truncation = None
        else:
            clone._inner.enable_truncation(max_length)
            clone.truncation = Truncation(max_length)
        return clone

    @property
    def unk_id(self) -> int | None:
        return self._unk_id

    def encode(self, text: str) -> list[int]:
        return self.encode_checked(check_text(text, "text"))

    def encode_checked(self, text: str) -> list[int]:
        """``encode`` for a text that already passed ``check_text`` (the encoder's single-text path)."""
        return self._inner.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return self.encode_checked_batch(check_texts(texts))

    def encode_checked_batch(self, texts: list[str]) -> list[list[int]]:
        """``encode_batch`` for texts that already passed ``check_texts`` (the encoder's hot path)."""
        # encode_batch_fast (tokenizers >= 0.21) skips the offsets, which the runner never uses
        encode = getattr(self._inner, "encode_batch_fast", self._inner.encode_batch)
        encodings = encode(texts, add_special_tokens=False)
        return [encoding.ids for encoding in encodings]

    def encode_checked_flat(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """All ids of checked texts in one array plus each text's count (the encoder's batch form)."""
        return flat_ids(self.encode_checked_batch(texts))
