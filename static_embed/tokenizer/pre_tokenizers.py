"""Pre-tokenizers: split normalized text into the words the model sees.

``splits_on_whitespace`` marks pre-tokenizers whose first step drops whitespace
and never joins across it; together with a per-character normalizer it lets the
tokenizer memoize whole raw words exactly.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..errors import TokenizerConfigError
from . import _unicode_data, unicode
from ._registry import build_external

#: pre-tokenizer types built by their own modules: type -> module defining ``build_pre_tokenizer(spec, path)``
EXTERNAL_PRE_TOKENIZERS = {
    "Metaspace": "metaspace",
    "ByteLevel": "byte_level", "Split": "split",
    "Whitespace": "simple_splits", "Punctuation": "simple_splits", "Digits": "simple_splits",
    "UnicodeScripts": "simple_splits",
}

__all__ = ["PreTokenizer", "BertPreTokenizer", "WhitespaceSplit", "Sequence", "build_pre_tokenizer",
           "whitespace_splitter"]


@lru_cache(maxsize=1)
def whitespace_splitter() -> re.Pattern[str]:
    """Runs of Rust ``char::is_whitespace`` characters (Python's ``str.split`` differs: it splits on \\x1c)."""
    return re.compile(f"[{unicode.char_class_pattern(_unicode_data.RUST_WHITESPACE_RANGES)}]+")


@lru_cache(maxsize=1)
def _punctuation_splitter() -> re.Pattern[str]:
    punct = unicode.char_class_pattern(_unicode_data.BERT_PUNCTUATION_RANGES)
    return re.compile(f"[{punct}]|[^{punct}]+")


class PreTokenizer:
    """Base class: ``split(text) -> list of words``.

    ``first_sensitive`` pre-tokenizers (Metaspace with ``prepend_scheme="first"``) treat a piece
    differently when it starts the original text; they take ``split(text, first_piece=...)``.
    """

    splits_on_whitespace: bool = False
    first_sensitive: bool = False
    #: an ASCII letters-and-digits text is always one piece, itself (lets callers skip ``split``)
    keeps_ascii_alnum_whole: bool = False

    def split(self, text: str) -> list[str]:
        raise NotImplementedError

    def first_part_at_start(self, text: str, parts: list[str]) -> bool:
        """Whether ``parts[0]`` (from ``split(text)``) starts at offset 0 of ``text``.

        Right for pre-tokenizers whose parts are substrings of ``text`` in order; transforming
        ones (Metaspace) override it.
        """
        return bool(parts) and text.startswith(parts[0])


class WhitespaceSplit(PreTokenizer):
    """Split on whitespace and drop it."""

    splits_on_whitespace = True
    keeps_ascii_alnum_whole = True

    def split(self, text: str) -> list[str]:
        return [word for word in whitespace_splitter().split(text) if word]


@lru_cache(maxsize=1)
def _ascii_bert_pieces() -> re.Pattern[str]:
    """BertPreTokenizer on ASCII text in one pass: runs of non-space non-punctuation, or one punctuation mark."""
    space, punct = re.escape(_ascii_in(_unicode_data.RUST_WHITESPACE_RANGES)), \
        re.escape(_ascii_in(_unicode_data.BERT_PUNCTUATION_RANGES))
    return re.compile(f"[^{space}{punct}]+|[{punct}]")


def _ascii_in(ranges: tuple[tuple[int, int], ...]) -> str:
    """The ASCII characters inside code point ``ranges``, in order (each range visited once)."""
    codes = {c for start, end in ranges if start < 128 for c in range(start, min(end, 127) + 1)}
    return "".join(map(chr, sorted(codes)))


class BertPreTokenizer(PreTokenizer):
    """Split on whitespace, then isolate every punctuation character."""

    splits_on_whitespace = True
    keeps_ascii_alnum_whole = True

    def split(self, text: str) -> list[str]:
        if text.isascii():  # the common case, in one regex pass
            return _ascii_bert_pieces().findall(text)
        pieces: list[str] = []
        punctuation = _punctuation_splitter()
        for word in whitespace_splitter().split(text):
            if word:
                pieces.extend(punctuation.findall(word))
        return pieces


class Sequence(PreTokenizer):
    """Apply pre-tokenizers in order, each on the pieces of the previous one."""

    def __init__(self, pre_tokenizers: list[PreTokenizer]) -> None:
        self.pre_tokenizers = pre_tokenizers
        self.splits_on_whitespace = bool(pre_tokenizers) and pre_tokenizers[0].splits_on_whitespace
        self.first_sensitive = any(p.first_sensitive for p in pre_tokenizers)
        self.keeps_ascii_alnum_whole = all(p.keeps_ascii_alnum_whole for p in pre_tokenizers)

    def split(self, text: str, *, first_piece: bool = True) -> list[str]:  # type: ignore[override]
        if not self.first_sensitive:
            pieces = [text]
            for pre_tokenizer in self.pre_tokenizers:
                pieces = [out for piece in pieces for out in pre_tokenizer.split(piece)]
            return pieces
        # Track which piece (at most one) still starts the original text.
        flagged = [(text, first_piece)]
        for pre_tokenizer in self.pre_tokenizers:
            out: list[tuple[str, bool]] = []
            for piece, first in flagged:
                parts = (pre_tokenizer.split(piece, first_piece=first)  # type: ignore[call-arg]
                         if pre_tokenizer.first_sensitive else pre_tokenizer.split(piece))
                lead = first and pre_tokenizer.first_part_at_start(piece, parts)
                out.extend((part, lead and k == 0) for k, part in enumerate(parts))
            flagged = out
        return [piece for piece, _ in flagged]


def build_pre_tokenizer(spec: Any, path: str = "pre_tokenizer") -> PreTokenizer | None:
    """Build a pre-tokenizer from its ``tokenizer.json`` entry; ``path`` names it in errors."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise TokenizerConfigError(f"{path} must be an object or null, got {type(spec).__name__}")
    kind = spec.get("type")
    if kind == "BertPreTokenizer":
        return BertPreTokenizer()
    if kind == "WhitespaceSplit":
        return WhitespaceSplit()
    if kind == "Sequence":
        items = spec.get("pretokenizers")
        if not isinstance(items, list):
            raise TokenizerConfigError(f"{path}.pretokenizers must be a list")
        built = []
        for i, item in enumerate(items):
            pre_tokenizer = build_pre_tokenizer(item, f"{path}.pretokenizers[{i}]")
            if pre_tokenizer is None:
                raise TokenizerConfigError(f"{path}.pretokenizers[{i}] must be an object, got null")
            built.append(pre_tokenizer)
        return Sequence(built)
    if not isinstance(kind, str):
        raise TokenizerConfigError(f"{path}.type is missing or not a string")
    return build_external(EXTERNAL_PRE_TOKENIZERS, "build_pre_tokenizer", kind, spec, path)
