"""Extended grapheme clusters (UAX #29) exactly as the reference's ``unicode-segmentation`` splits them.

Why: the Precompiled normalizer walks its input by extended grapheme clusters and treats a short
cluster differently from its characters, and Python's standard library has no segmentation. The
break properties come from :mod:`._grapheme_data`, generated from the data tables of the very crate
version that ``tokenizers`` links (see ``tools/gen_unicode_tables.py``), never from this Python's
Unicode. The rules are the crate's, in its order: GB3-GB5 (CR LF, controls), GB6-GB8 (Hangul),
GB9/GB9a/GB9b (extend, spacing marks, prepend), GB9c (Indic conjuncts), GB11 (emoji ZWJ
sequences), GB12/GB13 (regional indicator pairs), otherwise a break. One pass, linear time.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from ._grapheme_data import GRAPHEME_BREAK_CODES, GRAPHEME_BREAK_STARTS, GRAPHEME_DATA_SOURCE

__all__ = ["GRAPHEME_DATA_SOURCE", "grapheme_code", "split_graphemes"]

_HANGUL_FIRST = 0xAC00
_CACHE_LIMIT = 1 << 16
_EXTEND = frozenset("xekz")  # Extend (plain, InCB=Extend, InCB=Linker) and ZWJ
_INCB_CARRY = frozenset("ez")  # InCB=Extend: kept inside a conjunct without being a linker
_GB_CONTROLS = frozenset("rnc")
# Codes that can only break on both sides (other, LF, Control): text made of them alone needs no rules.
_NEEDS_RULES = re.compile(r"[^.nc]")


def grapheme_code(ch: str) -> str:
    """The one-letter break code of ``ch`` (see ``_grapheme_data.GRAPHEME_BREAK_CODES``)."""
    return GRAPHEME_BREAK_CODES[bisect_right(GRAPHEME_BREAK_STARTS, ord(ch)) - 1]


class _CodeTable(dict):  # type: ignore[type-arg]
    """``str.translate`` table code point -> break code, filled on first use (bounded)."""

    def __missing__(self, cp: int) -> str:
        code = GRAPHEME_BREAK_CODES[bisect_right(GRAPHEME_BREAK_STARTS, cp) - 1]
        if len(self) < _CACHE_LIMIT:  # a single dict store: atomic, so safe to share between threads
            self[cp] = code
        return code


_codes = _CodeTable()


def _is_lv(ch: str) -> bool:
    return (ord(ch) - _HANGUL_FIRST) % 28 == 0


def split_graphemes(text: str) -> list[str]:
    """Split ``text`` into extended grapheme clusters; ``"".join`` of the result is ``text``.

    >>> split_graphemes("e\\u0301x\\r\\n") == ["e\\u0301", "x", "\\r\\n"]
    True
    >>> len(split_graphemes("\\U0001F1EF\\U0001F1F5\\U0001F1FA"))  # a flag and a lone indicator
    2
    """
    if not text:
        return []
    if text.isascii() and "\r" not in text:
        return list(text)
    codes = text.translate(_codes)
    if _NEEDS_RULES.search(codes) is None:
        return list(text)
    return _split(text, codes)


def _split(text: str, codes: str) -> list[str]:
    out: list[str] = []
    start = 0
    prev = codes[0]
    ri_run = 1 if prev == "R" else 0  # regional indicators ending at prev
    pict = prev == "E"  # prev ends Extended_Pictographic Extend*
    zwj_after_pict = False  # prev is a ZWJ that follows Extended_Pictographic Extend*
    conjunct = prev == "K"  # prev ends InCB=Consonant [InCB Extend|Linker]*
    linkers = 0  # InCB=Linker count in that run
    for i in range(1, len(codes)):
        cur = codes[i]
        if prev == "r" and cur == "n":  # GB3
            joined = True
        elif prev in _GB_CONTROLS or cur in _GB_CONTROLS:  # GB4, GB5
            joined = False
        elif prev == "L" and cur in "LVH":  # GB6
            joined = True
        elif cur in "VT" and (prev == "V" or (prev == "H" and _is_lv(text[i - 1]))):  # GB7
            joined = True
        elif cur == "T" and (prev == "T" or prev == "H"):  # GB8 (H here is an LVT syllable)
            joined = True
        elif cur in _EXTEND or cur == "m" or prev == "p":  # GB9, GB9a, GB9b
            joined = True
        elif cur == "K":  # GB9c
            joined = conjunct and linkers > 0
        elif cur == "E" and prev == "z":  # GB11
            joined = zwj_after_pict
        elif cur == "R" and prev == "R":  # GB12, GB13
            joined = ri_run % 2 == 1
        else:  # GB999
            joined = False
        if not joined:
            out.append(text[start:i])
            start = i
        # state after cur
        ri_run = ri_run + 1 if cur == "R" else 0
        zwj_after_pict = cur == "z" and pict
        if cur == "E":
            pict = True
        elif cur not in "xek":
            pict = False
        if cur == "K":
            conjunct, linkers = True, 0
        elif cur == "k":
            linkers += 1
        elif cur not in _INCB_CARRY:
            conjunct, linkers = False, 0
        prev = cur
    out.append(text[start:])
    return out
