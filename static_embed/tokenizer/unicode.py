"""Character classes and NFD exactly as the reference HF ``tokenizers`` library applies them.

Why not ``unicodedata``: the Rust library's crates pin their own Unicode versions, which differ from
every CPython's (and CPython's change between releases), so token ids would drift. Every decision
here reads the tables in :mod:`._unicode_data`, generated from the real library by
``tools/gen_unicode_tables.py``. Lookup structures are built on first use, once, under a lock; after
that everything is read-only and safe to share between threads.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable
from typing import TypeVar

from . import _unicode_data as _data
from ._unicode_data import (
    BERT_CONTROL_RANGES,
    BERT_PUNCTUATION_RANGES,
    BERT_WHITESPACE_RANGES,
    MN_RANGES,
    RUST_WHITESPACE_RANGES,
    UNICODE_DATA_SOURCE,
)

__all__ = [
    "BERT_CONTROL_RANGES",
    "BERT_PUNCTUATION_RANGES",
    "BERT_WHITESPACE_RANGES",
    "MN_RANGES",
    "RUST_WHITESPACE_RANGES",
    "UNICODE_DATA_SOURCE",
    "char_class_pattern",
    "combining_class",
    "is_bert_control",
    "is_bert_punctuation",
    "is_bert_whitespace",
    "is_nonspacing_mark",
    "is_rust_whitespace",
    "lowercase",
    "lowercase_char",
    "nfd",
]

Ranges = Iterable[tuple[int, int]]
_T = TypeVar("_T")

_HANGUL_FIRST = 0xAC00
_HANGUL_LAST = 0xD7A3
# Sets with at most this many code points become a frozenset (O(1) lookups, small memory);
# bigger ones (the control class holds 137k private-use code points) use bisect over range starts.
_FROZENSET_LIMIT = 8192


_lock = threading.Lock()
_cache: dict[str, object] = {}


def _cached(key: str, build: Callable[[str], _T]) -> _T:
    """Build ``key`` once (double-checked under a lock) and return the shared, read-only result."""
    value = _cache.get(key)
    if value is None:
        with _lock:
            value = _cache.get(key)
            if value is None:
                value = build(key)
                _cache[key] = value
    return value  # type: ignore[return-value]


def _build_membership(name: str) -> Callable[[int], bool]:
    """A ``cp -> bool`` test over the inclusive ranges of table ``name``."""
    ranges: tuple[tuple[int, int], ...] = getattr(_data, name)
    if sum(end - start + 1 for start, end in ranges) <= _FROZENSET_LIMIT:
        return frozenset(cp for start, end in ranges for cp in range(start, end + 1)).__contains__
    starts = tuple(start for start, _ in ranges)
    ends = tuple(end for _, end in ranges)

    def contains(cp: int) -> bool:
        i = bisect_right(starts, cp) - 1
        return i >= 0 and cp <= ends[i]

    return contains


def _membership(name: str) -> Callable[[int], bool]:
    test = _cache.get(name)
    return test if test is not None else _cached(name, _build_membership)  # type: ignore[return-value]


def is_bert_control(ch: str) -> bool:
    """True if BertNormalizer's clean_text deletes ``ch`` (NUL, U+FFFD, Cc|Cf|Co but not \\t\\n\\r)."""
    return _membership("BERT_CONTROL_RANGES")(ord(ch))


def is_bert_whitespace(ch: str) -> bool:
    """True if clean_text maps ``ch`` to U+0020 (Rust whitespace that is not also a control)."""
    return _membership("BERT_WHITESPACE_RANGES")(ord(ch))


def is_bert_punctuation(ch: str) -> bool:
    """True if BertPreTokenizer isolates ``ch`` (ASCII punctuation or the crate's old P* table)."""
    return _membership("BERT_PUNCTUATION_RANGES")(ord(ch))


def is_rust_whitespace(ch: str) -> bool:
    """True for Rust ``char::is_whitespace``, the delimiters BertPreTokenizer splits on and drops."""
    return _membership("RUST_WHITESPACE_RANGES")(ord(ch))


def is_nonspacing_mark(ch: str) -> bool:
    """True if strip_accents drops ``ch`` after NFD (HF's Mn table; defined for NFD-stable chars)."""
    return _membership("MN_RANGES")(ord(ch))


def combining_class(ch: str) -> int:
    """Canonical combining class as HF's NFD reordering observes it (0 for starters)."""
    return _data.CANONICAL_COMBINING_CLASS.get(ord(ch), 0)


def lowercase_char(ch: str) -> str:
    """Rust ``char::to_lowercase`` of one char; may return 2+ chars (U+0130 gives ``"i\\u0307"``)."""
    return _data.LOWERCASE_MAP.get(ord(ch), ch)


def lowercase(text: str) -> str:
    """Lowercase char by char, as HF does; unlike ``str.lower`` there is no final-sigma rule."""
    return text.translate(_data.LOWERCASE_MAP)


def char_class_pattern(ranges: Ranges) -> str:
    """Body of a ``re`` character class (without the brackets) matching exactly ``ranges``.

    Why: ``re`` has no ``\\p{..}`` classes, so regexes are built from the frozen tables. Everything
    but ASCII letters and digits is written as a ``\\x``/``\\u``/``\\U`` escape, so no character can
    be misread as class syntax (``]``, ``\\``, ``^``, ``-``).

    Raises:
        ValueError: if ``ranges`` is empty (``[]`` is not a valid class) or holds an invalid pair.
    """
    parts: list[str] = []
    for start, end in ranges:
        if not 0 <= start <= end <= 0x10FFFF:
            raise ValueError(f"invalid code point range ({start:#x}, {end:#x})")
        if start == end:
            parts.append(_escape(start))
        elif end == start + 1:
            parts.append(_escape(start) + _escape(end))
        else:
            parts.append(f"{_escape(start)}-{_escape(end)}")
    if not parts:
        raise ValueError("cannot build a character class from no ranges")
    return "".join(parts)


def _escape(cp: int) -> str:
    ch = chr(cp)
    if ch.isascii() and ch.isalnum():
        return ch
    if cp <= 0xFF:
        return f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _to_ranges(cps: Iterable[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for cp in sorted(set(cps)):
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def _nfd_regexes(_key: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(chars that decompose, runs of 2+ non-starters): NFD only touches text these match."""
    decomposing = _to_ranges(_data.NFD_MAP)
    decomposing.append((_HANGUL_FIRST, _HANGUL_LAST))
    decomposing.sort()
    marks = _to_ranges(_data.CANONICAL_COMBINING_CLASS)
    return (
        re.compile(f"[{char_class_pattern(decomposing)}]"),
        re.compile(f"[{char_class_pattern(marks)}]{{2,}}"),
    )


def _decompose(match: re.Match[str]) -> str:
    ch = match.group()
    cp = ord(ch)
    if _HANGUL_FIRST <= cp <= _HANGUL_LAST:
        s = cp - _HANGUL_FIRST
        trail = s % 28
        return chr(0x1100 + s // 588) + chr(0x1161 + (s % 588) // 28) + (chr(0x11A7 + trail) if trail else "")
    return _data.NFD_MAP[cp]


def _reorder(match: re.Match[str]) -> str:
    # sorted() is stable, which is exactly Unicode's canonical ordering of a run of non-starters.
    return "".join(sorted(match.group(), key=combining_class))


def nfd(text: str) -> str:
    """Canonical decomposition (NFD) matching ``tokenizers.normalizers.NFD``.

    Full decomposition from the frozen map (Hangul syllables algorithmically), then the canonical
    ordering algorithm: every maximal run of characters with non-zero combining class is stably
    sorted by class. The frozen map is already fully decomposed and ordered per character, so a
    single pass of each step suffices. ASCII and other unaffected text is returned as is.
    """
    if text.isascii():
        return text
    decomposing, runs = _cached("nfd", _nfd_regexes)
    text = decomposing.sub(_decompose, text)
    return runs.sub(_reorder, text)
