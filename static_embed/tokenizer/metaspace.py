"""The ``Metaspace`` pre-tokenizer: spaces become a visible marker (``▁``), then split before it.

As in the reference (``pre_tokenizers/metaspace.rs``):

- only U+0020 is replaced; tabs, newlines and other spaces survive;
- ``prepend_scheme`` ``"always"`` prepends the marker to every non-empty piece that does
  not already start with it, ``"never"`` never does, and ``"first"`` only to a piece
  that begins at offset 0 of the *original* text (see :meth:`Metaspace.split`);
- ``split: true`` cuts before every marker, the marker staying with what follows
  (``MergedWithNext``); ``false`` keeps the piece whole;
- legacy JSON: ``add_prefix_space: false`` requires ``prepend_scheme: "never"`` (the
  default scheme is ``"always"``, so ``{"add_prefix_space": false}`` alone is refused,
  like the reference's "add_prefix_space does not match declared prepend_scheme");
  ``add_prefix_space: true`` keeps the declared scheme; ``str_rep`` is ignored;
  ``split: null`` means true.
"""

from __future__ import annotations

from typing import Any

from ..errors import TokenizerConfigError
from .pre_tokenizers import PreTokenizer

__all__ = ["PREPEND_SCHEMES", "Metaspace", "build_pre_tokenizer"]

PREPEND_SCHEMES = ("always", "first", "never")


class Metaspace(PreTokenizer):
    """Replace U+0020 with ``replacement``, maybe prepend it, maybe split before it.

    ``first_sensitive`` is True for ``prepend_scheme="first"``: the result for a piece then
    depends on whether it starts the original text, which the caller must say through
    ``split(text, first_piece=...)``.
    """

    splits_on_whitespace = False

    def __init__(self, replacement: str = "\u2581", prepend_scheme: str = "always", split: bool = True) -> None:
        if not isinstance(replacement, str) or len(replacement) != 1:
            raise TokenizerConfigError(f"replacement must be exactly one character, got {replacement!r}")
        if prepend_scheme not in PREPEND_SCHEMES:
            raise TokenizerConfigError(f"prepend_scheme must be one of {PREPEND_SCHEMES}, got {prepend_scheme!r}")
        self.replacement = replacement
        self.prepend_scheme = prepend_scheme
        self.split_pieces = bool(split)
        self.first_sensitive = prepend_scheme == "first"

    def split(self, text: str, *, first_piece: bool = True) -> list[str]:  # type: ignore[override]
        """Pieces of ``text``, one normalized piece of the input.

        ``first_piece`` only matters for ``prepend_scheme="first"``: pass True when the piece
        starts at offset 0 of the original text, i.e. when no added token and no other piece
        precedes it and the normalizer did not remove its first character. (The reference
        tests ``offsets_original().0 == 0``.) The default, True, is exact for a text without
        added tokens handed whole to this pre-tokenizer.
        """
        if not text:
            return []
        rep = self.replacement
        if rep != " ":
            text = text.replace(" ", rep)
        scheme = self.prepend_scheme
        if (scheme == "always" or (scheme == "first" and first_piece)) and not text.startswith(rep):
            text = rep + text
        if not self.split_pieces:
            return [text]
        parts = text.split(rep)
        pieces = [parts[0]] if parts[0] else []
        pieces.extend(rep + part for part in parts[1:])
        return pieces

    def first_part_at_start(self, text: str, parts: list[str]) -> bool:
        """The first part always starts the piece: a prepended or replacing marker is aligned to
        the piece's first character (for a ``Sequence`` tracking which piece starts the text)."""
        return bool(parts)


def _optional_bool(spec: dict[str, Any], key: str, path: str) -> bool | None:
    value = spec.get(key)
    if value is not None and type(value) is not bool:
        raise TokenizerConfigError(f"{path}.{key} must be a boolean or null, got {value!r}")
    return value


def build_pre_tokenizer(spec: dict[str, Any], path: str = "pre_tokenizer") -> Metaspace:
    """Build a :class:`Metaspace` from its ``tokenizer.json`` entry (``path`` names it in errors)."""
    if "replacement" not in spec:
        raise TokenizerConfigError(f"{path}.replacement is missing")
    replacement = spec["replacement"]
    if not isinstance(replacement, str) or len(replacement) != 1:
        raise TokenizerConfigError(f"{path}.replacement must be exactly one character, got {replacement!r}")
    if "\ud800" <= replacement <= "\udfff":
        raise TokenizerConfigError(f"{path}.replacement is a lone surrogate, which the reference cannot read")
    scheme = spec.get("prepend_scheme", "always")
    if scheme not in PREPEND_SCHEMES:
        raise TokenizerConfigError(f"{path}.prepend_scheme must be one of {', '.join(PREPEND_SCHEMES)}, "
                                   f"got {scheme!r}")
    split = _optional_bool(spec, "split", path)
    add_prefix_space = _optional_bool(spec, "add_prefix_space", path)
    str_rep = spec.get("str_rep")
    if str_rep is not None and not isinstance(str_rep, str):
        raise TokenizerConfigError(f"{path}.str_rep must be a string or null, got {str_rep!r}")
    if add_prefix_space is False and scheme != "never":
        raise TokenizerConfigError(f"{path}: add_prefix_space does not match declared prepend_scheme "
                                   f"(add_prefix_space false needs prepend_scheme 'never', got {scheme!r})")
    return Metaspace(replacement, scheme, True if split is None else split)
