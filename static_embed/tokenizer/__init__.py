"""Pure-Python tokenizer driven by ``tokenizer.json``: normalizers, pre-tokenizers, models, added tokens."""

from .tokenizer import Tokenizer

__all__ = ["Tokenizer"]
