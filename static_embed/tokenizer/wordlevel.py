"""WordLevel: each pre-tokenized word is one vocabulary entry, or the unknown token.

The reference requires ``unk_token`` in the file but only notices that it is
missing from the vocabulary when an unknown word arrives; here that fails at load.
"""

from __future__ import annotations

from typing import Any

from ..errors import TokenizerConfigError
from .bpe import parse_vocab
from .models import Model

__all__ = ["WordLevel", "build_model"]


class WordLevel(Model):
    """Whole-word lookup; unknown words become ``unk_id``."""

    def __init__(self, vocab: dict[str, int], *, unk_token: str, path: str = "model") -> None:
        if unk_token not in vocab:
            raise TokenizerConfigError(
                f"{path}.unk_token {unk_token!r} is not in the vocabulary (the reference fails on the first "
                "unknown word)")
        self.vocab = vocab
        self.unk_token = unk_token
        self.unk_id: int | None = vocab[unk_token]

    def tokenize(self, word: str) -> list[int]:
        if not word:
            return []
        return [self.vocab.get(word, self.unk_id)]  # type: ignore[list-item]


def build_model(spec: dict[str, Any], path: str = "model") -> WordLevel:
    """Build a WordLevel model from its ``tokenizer.json`` entry."""
    if spec.get("type", "WordLevel") != "WordLevel":
        raise TokenizerConfigError(f"{path}.type must be 'WordLevel'")
    if "vocab" not in spec:
        raise TokenizerConfigError(f"{path}.vocab is missing")
    unk_token = spec.get("unk_token")
    if not isinstance(unk_token, str):
        raise TokenizerConfigError(f"{path}.unk_token must be a string, got {unk_token!r}")
    return WordLevel(parse_vocab(spec["vocab"], f"{path}.vocab"), unk_token=unk_token, path=path)
