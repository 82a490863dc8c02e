"""Normalizers NFC, NFKC, NFKD and StripAccents of ``tokenizer.json``, as the reference applies them.

Why a module of their own: they need the composition and compatibility tables, which BERT-style
tokenizers never touch, so those load only when a file uses one of these types. The algorithms
and tables live in :mod:`.unicode` (frozen from the reference library, not ``unicodedata``).

All four are per character in the sense of :class:`.normalizers.Normalizer`: every whitespace
character is a starter (combining class 0) that is neither half of any composition pair, so
canonical reordering and composition never cross it (checked when the tables are generated).
"""

from __future__ import annotations

from typing import Any

from ..errors import TokenizerConfigError
from . import unicode
from .normalizers import Normalizer, _LazyCharMap

__all__ = ["NFC", "NFKC", "NFKD", "StripAccents", "build_normalizer"]


class NFC(Normalizer):
    """Canonical decomposition followed by canonical composition (``normalizers.NFC``)."""

    per_char = True

    def normalize(self, text: str) -> str:
        return text if text.isascii() else unicode.nfc(text)


class NFKC(Normalizer):
    """Compatibility decomposition followed by canonical composition (``normalizers.NFKC``)."""

    per_char = True

    def normalize(self, text: str) -> str:
        return text if text.isascii() else unicode.nfkc(text)


class NFKD(Normalizer):
    """Compatibility decomposition with canonical ordering (``normalizers.NFKD``)."""

    per_char = True

    def normalize(self, text: str) -> str:
        return text if text.isascii() else unicode.nfkd(text)


class StripAccents(Normalizer):
    """Delete every combining mark (Mn, Mc and Me in the reference's table), without decomposing.

    Unlike BertNormalizer's accent stripping this applies no NFD first: ``"é"`` stays ``"é"``
    (tokenizer.json files put an NFD or NFKD before it), and spacing marks go too.
    """

    per_char = True

    def __init__(self) -> None:
        self._table = _LazyCharMap(lambda ch: "" if unicode.is_combining_mark(ch) else ch)

    def normalize(self, text: str) -> str:
        return text if text.isascii() else text.translate(self._table)


_TYPES: dict[str, type[Normalizer]] = {"NFC": NFC, "NFKC": NFKC, "NFKD": NFKD, "StripAccents": StripAccents}


def build_normalizer(spec: dict[str, Any], path: str) -> Normalizer:
    """Build ``{"type": "NFC" | "NFKC" | "NFKD" | "StripAccents"}``; ``path`` names it in errors."""
    kind = spec.get("type")
    cls = _TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise TokenizerConfigError(f"{path}.type {kind!r} is not a Unicode normalization form")
    return cls()
