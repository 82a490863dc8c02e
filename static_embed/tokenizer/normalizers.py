"""Normalizers: the first stage of ``tokenizer.json``, text in, text out.

Each class mirrors one ``normalizer`` type of the Hugging Face ``tokenizers``
package. Character classes come from :mod:`.unicode`, which freezes the
reference library's own tables, so results do not drift with the Python version.

``per_char`` marks normalizers whose output for a string is the concatenation of
their outputs for its whitespace-separated parts; the tokenizer uses it to
memoize whole words exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import TokenizerConfigError
from . import unicode
from ._registry import build_external

__all__ = ["Normalizer", "BertNormalizer", "Lowercase", "NFD", "Sequence", "build_normalizer"]

_MEMO_LIMIT = 1 << 16

#: normalizer types built by their own modules: type -> module defining ``build_normalizer(spec, path)``
EXTERNAL_NORMALIZERS = {
    "NFC": "unicode_forms", "NFKC": "unicode_forms", "NFKD": "unicode_forms", "StripAccents": "unicode_forms",
    "Precompiled": "precompiled",
    "Replace": "text_edits", "Strip": "text_edits", "Prepend": "text_edits",
    "ByteLevel": "byte_level",
}


class _LazyCharMap(dict):  # type: ignore[type-arg]
    """A ``str.translate`` table filled on first use of each character.

    Translating through a dict keeps the per-character work in C; the table is
    bounded so a text cycling through every code point cannot grow it forever.
    """

    def __init__(self, transform: Callable[[str], str]) -> None:
        super().__init__()
        self._transform = transform

    def __missing__(self, code_point: int) -> str:
        value = self._transform(chr(code_point))
        if len(self) < _MEMO_LIMIT:
            self[code_point] = value
        return value


def _is_cjk_ideograph(char: str) -> bool:
    """The eight ranges the reference pads with spaces (its own list, not Google BERT's)."""
    cp = ord(char)
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B920 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


class Normalizer:
    """Base class: ``normalize(text) -> text``.

    ``keeps_origin(text)`` says whether the first character of ``normalize(text)`` is still
    aligned to offset 0 of ``text`` in the reference's offset tracking (Metaspace "first" only
    prepends to such a piece). Classes that do not define it cannot be combined with
    ``prepend_scheme="first"``.
    """

    per_char: bool = False

    def normalize(self, text: str) -> str:
        raise NotImplementedError

    def keeps_origin(self, text: str) -> bool:
        raise NotImplementedError


def knows_origin(normalizer: Normalizer | None) -> bool:
    """Whether ``keeps_origin`` is defined for ``normalizer`` (and all its parts)."""
    if normalizer is None:
        return True
    if isinstance(normalizer, Sequence):
        return all(knows_origin(n) for n in normalizer.normalizers)
    return type(normalizer).keeps_origin is not Normalizer.keeps_origin


class Lowercase(Normalizer):
    """Rust ``char::to_lowercase`` one character at a time (no Greek final-sigma rule)."""

    per_char = True

    def __init__(self) -> None:
        self._table = _LazyCharMap(unicode.lowercase_char)

    def normalize(self, text: str) -> str:
        if text.isascii():
            return text.lower()
        return text.translate(self._table)

    def keeps_origin(self, text: str) -> bool:
        return True


class NFD(Normalizer):
    """Canonical decomposition with the reference's frozen tables."""

    per_char = True  # canonical reordering never crosses a whitespace character

    def normalize(self, text: str) -> str:
        return text if text.isascii() else unicode.nfd(text)

    def keeps_origin(self, text: str) -> bool:
        return True


class _DropNonspacingMarks(Normalizer):
    """BertNormalizer's accent stripping: drop Mn marks from decomposed text.

    (The standalone ``StripAccents`` normalizer of the reference drops every
    combining mark, Mc and Me included, so it is a different table.)
    """

    per_char = True

    def __init__(self) -> None:
        self._table = _LazyCharMap(lambda ch: "" if unicode.is_nonspacing_mark(ch) else ch)

    def normalize(self, text: str) -> str:
        return text if text.isascii() else text.translate(self._table)


class BertNormalizer(Normalizer):
    """clean_text, then handle_chinese_chars, then strip_accents, then lowercase.

    ``strip_accents=None`` follows ``lowercase``, as in the reference.
    """

    per_char = True

    def __init__(self, *, clean_text: bool = True, handle_chinese_chars: bool = True,
                 strip_accents: bool | None = None, lowercase: bool = True) -> None:
        self.clean_text = clean_text
        self.handle_chinese_chars = handle_chinese_chars
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.lowercase = lowercase
        self._char_table = _LazyCharMap(self._clean_and_pad)
        self._lower = Lowercase()
        self._strip = _DropNonspacingMarks()

    def _clean_and_pad(self, char: str) -> str:
        if self.clean_text:
            # control is tested before whitespace: "\x1c" and "\x85" are removed
            if char == "\x00" or char == "\ufffd" or unicode.is_bert_control(char):
                return ""
            if unicode.is_bert_whitespace(char):
                return " "
        if self.handle_chinese_chars and _is_cjk_ideograph(char):
            return f" {char} "
        return char

    def keeps_origin(self, text: str) -> bool:
        if not text:
            return True
        first = text[0]
        if self.clean_text and (first in "\x00\ufffd" or unicode.is_bert_control(first)):
            return False
        if self.strip_accents and unicode.is_nonspacing_mark(unicode.nfd(first)[0]):
            return False
        return True

    def normalize(self, text: str) -> str:
        if text.isascii():
            if self.clean_text:
                text = text.translate(self._char_table)
            return text.lower() if self.lowercase else text
        if self.clean_text or self.handle_chinese_chars:
            text = text.translate(self._char_table)
        if self.strip_accents:
            text = self._strip.normalize(unicode.nfd(text))
        if self.lowercase:
            text = self._lower.normalize(text)
        return text


class Sequence(Normalizer):
    """Apply normalizers in order."""

    def __init__(self, normalizers: list[Normalizer]) -> None:
        self.normalizers = normalizers
        self.per_char = all(n.per_char for n in normalizers)

    def normalize(self, text: str) -> str:
        for normalizer in self.normalizers:
            text = normalizer.normalize(text)
        return text

    def keeps_origin(self, text: str) -> bool:
        for normalizer in self.normalizers:
            if not normalizer.keeps_origin(text):
                return False
            text = normalizer.normalize(text)
        return True


def _flag(spec: dict[str, Any], key: str, default: bool | None, path: str) -> bool | None:
    value = spec.get(key, default)
    if value is not None and not isinstance(value, bool):
        raise TokenizerConfigError(f"{path}.{key} must be a boolean or null, got {value!r}")
    return value


def build_normalizer(spec: Any, path: str = "normalizer") -> Normalizer | None:
    """Build a normalizer from its ``tokenizer.json`` entry; ``path`` names it in errors."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise TokenizerConfigError(f"{path} must be an object or null, got {type(spec).__name__}")
    kind = spec.get("type")
    if kind == "BertNormalizer":
        return BertNormalizer(
            clean_text=bool(_flag(spec, "clean_text", True, path)),
            handle_chinese_chars=bool(_flag(spec, "handle_chinese_chars", True, path)),
            strip_accents=_flag(spec, "strip_accents", None, path),
            lowercase=bool(_flag(spec, "lowercase", True, path)),
        )
    if kind == "Lowercase":
        return Lowercase()
    if kind == "NFD":
        return NFD()
    if kind == "Sequence":
        items = spec.get("normalizers")
        if not isinstance(items, list):
            raise TokenizerConfigError(f"{path}.normalizers must be a list")
        return Sequence([_required(build_normalizer(item, f"{path}.normalizers[{i}]"), path, i)
                         for i, item in enumerate(items)])
    if not isinstance(kind, str):
        raise TokenizerConfigError(f"{path}.type is missing or not a string")
    return build_external(EXTERNAL_NORMALIZERS, "build_normalizer", kind, spec, path)


def _required(normalizer: Normalizer | None, path: str, index: int) -> Normalizer:
    if normalizer is None:
        raise TokenizerConfigError(f"{path}.normalizers[{index}] must be an object, got null")
    return normalizer
