"""Byte-level pre-tokenizer (GPT-2 style), and the ``ByteLevel`` normalizer.

Each piece is written as its UTF-8 bytes, every byte shown as one printable
character (the GPT-2 ``bytes_to_unicode`` table: printable Latin-1 bytes map to
themselves, the 68 others to U+0100 onwards, so a space becomes ``Ġ``).

As in the reference, ``add_prefix_space`` prepends one space to each piece that
does not already start with a space (U+0020 only), and ``use_regex`` then splits
the piece with the GPT-2 regex, isolating every match. ``trim_offsets`` only
changes offsets, never ids, so it is accepted and ignored.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..errors import TokenizerConfigError, UnsupportedFeatureError
from .normalizers import Normalizer
from . import unicode
from .pre_tokenizers import PreTokenizer
from .split import compile_onig_regex, find_matches

__all__ = [
    "BYTE_TO_CHAR",
    "GPT2_PATTERN",
    "ByteLevel",
    "ByteLevelNormalizer",
    "build_normalizer",
    "build_pre_tokenizer",
    "bytes_to_unicode",
    "to_byte_chars",
]

#: the regex the reference's ByteLevel uses when ``use_regex`` is true (Oniguruma syntax)
GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"


def bytes_to_unicode() -> dict[int, str]:
    """Byte value -> the printable character GPT-2 shows it as."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_TO_CHAR: dict[int, str] = bytes_to_unicode()
# str.translate table applied to text decoded as Latin-1 (one char per byte)
_LATIN1_TO_BYTE_CHARS: dict[int, str] = {b: c for b, c in BYTE_TO_CHAR.items() if chr(b) != c}


def to_byte_chars(text: str) -> str:
    """``text``'s UTF-8 bytes, each as its byte-level character."""
    return text.encode("utf-8").decode("latin-1").translate(_LATIN1_TO_BYTE_CHARS)


@lru_cache(maxsize=1)
def _gpt2_regex() -> unicode.OnigRegex:
    return compile_onig_regex(GPT2_PATTERN, "GPT-2 regex")


class ByteLevel(PreTokenizer):
    """``add_prefix_space``, then the GPT-2 regex split (``use_regex``), then the byte mapping."""

    splits_on_whitespace = False

    def __init__(self, *, add_prefix_space: bool, use_regex: bool = True, path: str = "pre_tokenizer") -> None:
        self.add_prefix_space = add_prefix_space
        self.use_regex = use_regex
        self._regex = None
        if use_regex:  # fails at load if the regex cannot be reproduced
            try:
                self._regex = _gpt2_regex()
            except UnsupportedFeatureError as exc:
                raise UnsupportedFeatureError(f"{path}.use_regex: {exc}") from None

    def split(self, text: str) -> list[str]:
        if not text:
            return []  # the reference adds no prefix space to an empty piece
        if self.add_prefix_space and not text.startswith(" "):
            text = " " + text
        if self._regex is None:
            return [to_byte_chars(text)]
        pieces = []
        for start, end, _ in find_matches(self._regex, text):
            if end > start:
                pieces.append(to_byte_chars(text[start:end]))
        return pieces


class ByteLevelNormalizer(Normalizer):
    """The ``ByteLevel`` normalizer: the byte mapping over the whole text, no splitting."""

    per_char = True

    def normalize(self, text: str) -> str:
        return to_byte_chars(text)


def _flag(spec: dict[str, Any], key: str, path: str, default: bool | None = None) -> bool:
    value = spec.get(key, default)
    if not isinstance(value, bool):
        raise TokenizerConfigError(f"{path}.{key} must be a boolean, got {value!r}")
    return value


def build_pre_tokenizer(spec: dict[str, Any], path: str = "pre_tokenizer") -> ByteLevel:
    """``{"add_prefix_space": bool, "trim_offsets": bool, "use_regex": bool = true}``, as the reference reads it."""
    add_prefix_space = _flag(spec, "add_prefix_space", path)
    _flag(spec, "trim_offsets", path)  # required by the reference; offsets only
    return ByteLevel(add_prefix_space=add_prefix_space, use_regex=_flag(spec, "use_regex", path, True), path=path)


def build_normalizer(spec: dict[str, Any], path: str = "normalizer") -> ByteLevelNormalizer:
    return ByteLevelNormalizer()
