"""Added and special tokens: found in the text before the model runs.

The reference matches them even with ``add_special_tokens=False`` (that flag only
controls the post-processor), leftmost-longest, honouring ``single_word``,
``lstrip`` and ``rstrip``. Tokens with ``normalized: false`` are matched in the raw
text; those with ``normalized: true`` in the normalized text, using their own
normalized form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

from ..errors import TokenizerConfigError
from . import _split_data, unicode

__all__ = ["AddedToken", "AddedTokenMatcher", "parse_added_tokens"]

@lru_cache(maxsize=1)
def _boundary_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Word and space tests with the Rust ``regex`` crate's Unicode ``\\w`` and ``\\s``, frozen from the reference.

    (Python's ``\\w`` differs on about 13,000 code points: combining marks are word
    characters there, superscript digits are not.)
    """
    word = unicode.char_class_pattern(_split_data.WORD_RANGES)
    space = unicode.char_class_pattern(_split_data.SPACE_RANGES)
    return (re.compile(f"[{word}]\\Z"), re.compile(f"[{word}]"), re.compile(f"[{space}]*\\Z"),
            re.compile(f"[{space}]*"))

#: one piece of a split text: a string still to tokenize, or the id of a matched token
Piece = str | int


class AddedToken(NamedTuple):
    id: int
    content: str
    single_word: bool = False
    lstrip: bool = False
    rstrip: bool = False
    normalized: bool = False
    special: bool = False


class AddedTokenMatcher:
    """Splits text around one set of added tokens (all raw, or all normalized)."""

    def __init__(self, patterns: dict[str, AddedToken]) -> None:
        self._tokens = patterns
        # alternatives longest first make ``re`` pick the leftmost-longest match
        ordered = sorted(patterns, key=lambda s: (-len(s), s))
        self._regex = re.compile("|".join(re.escape(p) for p in ordered)) if ordered else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def occurs_in(self, text: str) -> bool:
        """True if some token's text occurs in ``text`` (a cheap test before ``split``)."""
        return self._regex is not None and self._regex.search(text) is not None

    def split(self, text: str) -> list[Piece]:
        """Split ``text`` into strings and token ids, in order; empty strings are dropped."""
        if self._regex is None or not text or self._regex.search(text) is None:
            return [text] if text else []
        pieces: list[Piece] = []
        consumed = 0
        for match in self._regex.finditer(text):
            start, stop = match.span()
            token = self._tokens[match.group()]
            word_at_end, word_at_start, spaces_at_end, spaces_at_start = _boundary_patterns()
            if token.single_word:
                if (start > 0 and word_at_end.search(text, 0, start)) or \
                        (stop < len(text) and word_at_start.match(text, stop)):
                    continue
            if token.lstrip:
                spaces = spaces_at_end.search(text, 0, start)
                start = max(spaces.start() if spaces else start, consumed)
            if token.rstrip:
                spaces = spaces_at_start.match(text, stop)
                stop = spaces.end() if spaces else stop
            if consumed < start:
                pieces.append(text[consumed:start])
            pieces.append(token.id)
            consumed = stop
        if consumed < len(text):
            pieces.append(text[consumed:])
        return pieces


def _bool_field(entry: dict[str, Any], key: str, where: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise TokenizerConfigError(f"{where}.{key} must be a boolean, got {value!r}")
    return value


def parse_added_tokens(raw: Any, path: str = "added_tokens") -> list[AddedToken]:
    """Validate the ``added_tokens`` list of ``tokenizer.json``."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise TokenizerConfigError(f"{path} must be a list")
    tokens = []
    for i, entry in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(entry, dict):
            raise TokenizerConfigError(f"{where} must be an object")
        token_id, content = entry.get("id"), entry.get("content")
        if type(token_id) is not int or token_id < 0:
            raise TokenizerConfigError(f"{where}.id must be a non-negative integer, got {token_id!r}")
        if not isinstance(content, str):
            raise TokenizerConfigError(f"{where}.content must be a string")
        if not content:
            continue  # the reference ignores empty tokens
        tokens.append(AddedToken(
            id=token_id, content=content,
            single_word=_bool_field(entry, "single_word", where), lstrip=_bool_field(entry, "lstrip", where),
            rstrip=_bool_field(entry, "rstrip", where), normalized=_bool_field(entry, "normalized", where),
            special=_bool_field(entry, "special", where),
        ))
    return tokens


def build_matchers(tokens: list[AddedToken],
                   normalize: Callable[[str], str] | None) -> tuple[AddedTokenMatcher, AddedTokenMatcher]:
    """Return (raw-text matcher, normalized-text matcher).

    Two tokens that normalize to the same pattern are ambiguous in the reference
    (its order there is a hash map's); here the smaller id wins.
    """
    raw: dict[str, AddedToken] = {}
    normalized: dict[str, AddedToken] = {}
    for token in sorted(tokens, key=lambda t: t.id):
        if token.normalized:
            pattern = normalize(token.content) if normalize else token.content
            if pattern:
                normalized.setdefault(pattern, token)
        else:
            raw.setdefault(token.content, token)
    return AddedTokenMatcher(raw), AddedTokenMatcher(normalized)
