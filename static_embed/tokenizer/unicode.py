"""Character classes, normalization forms and regex classes exactly as HF ``tokenizers`` has them.

Why not ``unicodedata``: the Rust library's crates pin their own Unicode versions, which differ from
every CPython's (and CPython's change between releases), so token ids would drift. Every decision
here reads the tables in :mod:`._unicode_data`, generated from the real library by
``tools/gen_unicode_tables.py``. Lookup structures are built on first use, once, under a lock; after
that everything is read-only and safe to share between threads.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable
from typing import NoReturn, TypeVar

from ..errors import UnsupportedFeatureError
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
    "OnigRegex",
    "combining_class",
    "compile_regex",
    "find_matches",
    "is_combining_mark",
    "is_bert_control",
    "is_bert_punctuation",
    "is_bert_whitespace",
    "is_nonspacing_mark",
    "is_rust_whitespace",
    "lowercase",
    "lowercase_char",
    "nfc",
    "nfd",
    "nfkc",
    "nfkd",
    "translate_regex",
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


# ---------------------------------------------------------------------------------------------
# NFKD, NFC, NFKC and the standalone StripAccents predicate


def is_combining_mark(ch: str) -> bool:
    """True if the standalone ``StripAccents`` normalizer deletes ``ch`` (its Mn|Mc|Me table)."""
    return _membership("COMBINING_MARK_RANGES")(ord(ch))


def _hangul_decomposition(cp: int) -> str:
    s = cp - _HANGUL_FIRST
    trail = s % 28
    return chr(0x1100 + s // 588) + chr(0x1161 + (s % 588) // 28) + (chr(0x11A7 + trail) if trail else "")


def _nfkd_table(_key: str) -> dict[int, str]:
    """``str.translate`` table: every code point whose NFKD differs from itself (Hangul included)."""
    table = {cp: _hangul_decomposition(cp) for cp in range(_HANGUL_FIRST, _HANGUL_LAST + 1)}
    table.update(_data.NFD_MAP)
    table.update(_data.NFKD_MAP)
    return table


def _reorder_regex(_key: str) -> re.Pattern[str]:
    """Runs of two or more characters with a non-zero combining class (the only ones to sort)."""
    return re.compile(f"[{char_class_pattern(_to_ranges(_data.CANONICAL_COMBINING_CLASS))}]{{2,}}")


def nfkd(text: str) -> str:
    """Compatibility decomposition (NFKD) matching ``tokenizers.normalizers.NFKD``.

    Each character is replaced by its frozen full decomposition, then every run of non-starters
    is stably sorted by combining class (canonical ordering).
    """
    if text.isascii():
        return text
    text = text.translate(_cached("nfkd_table", _nfkd_table))
    return _cached("reorder", _reorder_regex).sub(_reorder, text)


# Hangul jamo of the composition algorithm (UAX #15 3.12): leading, vowel and trailing consonants.
_L_FIRST, _V_FIRST, _T_FIRST = 0x1100, 0x1161, 0x11A7
_L_COUNT, _V_COUNT, _T_COUNT = 19, 21, 28


def _composition(_key: str) -> tuple[dict[tuple[str, str], str], re.Pattern[str]]:
    """(pair -> composite, regex of the stretches composition can touch).

    A stretch is one character followed by a run of characters that are non-starters or can be
    the second half of a pair: anything outside such runs can neither compose nor block.
    """
    pairs = {(value[0], value[1]): chr(cp) for cp, value in _data.COMPOSITION_PAIRS.items()}
    seconds = {ord(value[1]) for value in _data.COMPOSITION_PAIRS.values()}
    seconds.update(_data.CANONICAL_COMBINING_CLASS)
    seconds.update(range(_V_FIRST, _V_FIRST + _V_COUNT))
    seconds.update(range(_T_FIRST + 1, _T_FIRST + _T_COUNT))
    return pairs, re.compile(f"(?s:.)[{char_class_pattern(_to_ranges(seconds))}]+")


def _compose_pair(first: str, second: str, pairs: dict[tuple[str, str], str]) -> str | None:
    composite = pairs.get((first, second))
    if composite is not None:
        return composite
    f, s = ord(first), ord(second)
    if _L_FIRST <= f < _L_FIRST + _L_COUNT and _V_FIRST <= s < _V_FIRST + _V_COUNT:
        return chr(_HANGUL_FIRST + ((f - _L_FIRST) * _V_COUNT + (s - _V_FIRST)) * _T_COUNT)
    if (
        _HANGUL_FIRST <= f <= _HANGUL_LAST
        and (f - _HANGUL_FIRST) % _T_COUNT == 0
        and _T_FIRST < s < _T_FIRST + _T_COUNT
    ):
        return chr(f + s - _T_FIRST)
    return None


def _compose_stretch(match: re.Match[str]) -> str:
    """Canonical composition (UAX #15) of one decomposed, canonically ordered stretch."""
    pairs = _cached("composition", _composition)[0]
    ccc = _data.CANONICAL_COMBINING_CLASS
    chars = list(match.group())
    starter = 0
    last_class = ccc.get(ord(chars[0]), 0)
    if last_class:
        last_class = 256  # a leading non-starter: nothing may compose with it
    kept = 1
    for ch in chars[1:]:
        ch_class = ccc.get(ord(ch), 0)
        composite = _compose_pair(chars[starter], ch, pairs)
        if composite is not None and (last_class < ch_class or last_class == 0):
            chars[starter] = composite
            continue
        if ch_class == 0:
            starter = kept
        last_class = ch_class
        chars[kept] = ch
        kept += 1
    return "".join(chars[:kept])


def _compose(text: str) -> str:
    return _cached("composition", _composition)[1].sub(_compose_stretch, text)


def _quick_checks(_key: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Characters that may change under NFC, and under NFKC (a superset of the Unicode QC No|Maybe).

    Text without any of them is returned unchanged, exactly: every other character is a starter
    that is its own NFC (NFKC), and the decomposition of a composite never starts with a character
    that could compose backwards (checked by the tests), so nothing composes across characters.
    """
    composites = set(_data.COMPOSITION_PAIRS)
    maybe = {ord(value[1]) for value in _data.COMPOSITION_PAIRS.values()}
    maybe.update(_data.CANONICAL_COMBINING_CLASS)
    maybe.update(range(_V_FIRST, _V_FIRST + _V_COUNT))
    maybe.update(range(_T_FIRST + 1, _T_FIRST + _T_COUNT))
    not_nfc = (set(_data.NFD_MAP) - composites) | maybe
    not_nfkc = not_nfc | set(_data.NFKD_MAP)
    return (
        re.compile(f"[{char_class_pattern(_to_ranges(not_nfc))}]"),
        re.compile(f"[{char_class_pattern(_to_ranges(not_nfkc))}]"),
    )


def nfc(text: str) -> str:
    """Canonical composition (NFC) matching ``tokenizers.normalizers.NFC``: NFD, then compose."""
    if text.isascii() or _cached("quick_checks", _quick_checks)[0].search(text) is None:
        return text
    return _compose(nfd(text))


def nfkc(text: str) -> str:
    """Compatibility composition (NFKC) matching ``tokenizers.normalizers.NFKC``: NFKD, then compose."""
    if text.isascii() or _cached("quick_checks", _quick_checks)[1].search(text) is None:
        return text
    return _compose(nfkd(text))


# ---------------------------------------------------------------------------------------------
# Oniguruma patterns (tokenizer.json Replace/Split "Regex" values) -> Python ``re``

_MAX_CODE_POINT = 0x10FFFF
_ONIG_MAX_REPEAT = 100_000  # Oniguruma rejects larger counts ("too big number for repeat range")
_HAS_POSSESSIVE = sys.version_info >= (3, 11)  # re gained *+ ++ ?+ and (?>...) in 3.11
_SIMPLE_ESCAPES = {"t": 0x09, "n": 0x0A, "r": 0x0D, "f": 0x0C, "v": 0x0B, "a": 0x07, "e": 0x1B}
_INTERVAL = re.compile(r"\{(\d*)(,?)(\d*)\}")
_GROUP_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPTIONS = re.compile(r"\(\?([imx]*)(?:-([imx]*))?([:)])")
_CATEGORY_UNIONS = {
    "L": ("Lu", "Ll", "Lt", "Lm", "Lo"), "LC": ("Lu", "Ll", "Lt"), "M": ("Mn", "Mc", "Me"),
    "N": ("Nd", "Nl", "No"), "P": ("Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"),
    "S": ("Sm", "Sc", "Sk", "So"), "Z": ("Zs", "Zl", "Zp"), "C": ("Cc", "Cf", "Co", "Cn", "Cs"),
}

RangeList = list[tuple[int, int]]


def _merge(ranges: Iterable[tuple[int, int]]) -> RangeList:
    """Sorted, disjoint, non-adjacent inclusive ranges covering exactly ``ranges``."""
    out: RangeList = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1] + 1:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _complement(ranges: RangeList) -> RangeList:
    out: RangeList = []
    next_start = 0
    for start, end in ranges:
        if start > next_start:
            out.append((next_start, start - 1))
        next_start = end + 1
    if next_start <= _MAX_CODE_POINT:
        out.append((next_start, _MAX_CODE_POINT))
    return out


def _intersect(a: RangeList, b: RangeList) -> RangeList:
    out: RangeList = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start <= end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _general_categories(_key: str) -> dict[str, RangeList]:
    """Category code -> ranges, from the frozen run table (every code point has one category)."""
    starts = _data.ONIG_GENERAL_CATEGORY_STARTS
    codes = _data.ONIG_GENERAL_CATEGORY_CODES
    table: dict[str, RangeList] = {}
    for i, start in enumerate(starts):
        end = starts[i + 1] - 1 if i + 1 < len(starts) else _MAX_CODE_POINT
        table.setdefault(codes[2 * i : 2 * i + 2], []).append((start, end))
    return table


def _property_ranges(canonical: str) -> RangeList:
    """Ranges of a frozen property: a category, a union of categories, Any, \\w or \\s."""
    if canonical == "Any":
        return [(0, _MAX_CODE_POINT)]
    if canonical == "\\w":
        return list(_data.ONIG_WORD_RANGES)
    if canonical == "\\s":
        return list(_data.ONIG_SPACE_RANGES)
    categories = _cached("general_categories", _general_categories)
    parts = _CATEGORY_UNIONS.get(canonical, (canonical,))
    return _merge(r for part in parts for r in categories.get(part, ()))


_SHORTHANDS = {"s": "ONIG_SPACE_RANGES", "w": "ONIG_WORD_RANGES", "d": "ONIG_DIGIT_RANGES"}


def _literal(cp: int) -> str:
    """``re`` text for one code point, escaped unless it is an ASCII letter, digit or '_'."""
    ch = chr(cp)
    if ch.isascii() and (ch.isalnum() or ch == "_"):
        return ch
    return _escape(cp)


def _set_pattern(ranges: RangeList) -> str:
    """``re`` text matching exactly one character of ``ranges``."""
    if not ranges:
        return f"[^\\x00-\\U{_MAX_CODE_POINT:08x}]"  # Oniguruma's empty class: matches nothing
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _literal(ranges[0][0])
    return f"[{char_class_pattern(ranges)}]"


class _Flags:
    """Oniguruma options in effect: ``i`` (case folding) and ``m`` (Ruby syntax: '.' matches \\n)."""

    __slots__ = ("ignorecase", "dotall")

    def __init__(self, ignorecase: bool = False, dotall: bool = False) -> None:
        self.ignorecase = ignorecase
        self.dotall = dotall

    def changed(self, on: str, off: str) -> _Flags:
        return _Flags(
            ("i" in on or self.ignorecase) and "i" not in off,
            ("m" in on or self.dotall) and "m" not in off,
        )


class _Translator:
    """Recursive-descent scanner over an Oniguruma (Ruby syntax) pattern, emitting ``re`` text.

    Every construct is either translated to an exactly equivalent ``re`` form (classes become
    explicit code point sets from the frozen tables) or refused with ``UnsupportedFeatureError``.
    Groups are emitted non-capturing: Replace and Split only use the whole match.
    """

    def __init__(self, pattern: str, bmp_only: bool = False) -> None:
        self.src = pattern
        self.pos = 0
        self.bmp_only = bmp_only
        # ASCII letters just emitted under (?i), for refusing multi-character folds ("ss" ~ U+00DF)
        self.fold_tail = ""

    # -- helpers --------------------------------------------------------------------------

    def fail(self, what: str) -> NoReturn:
        raise UnsupportedFeatureError(
            f"regex {self.src!r}: {what} (at offset {self.pos}) cannot be reproduced exactly with "
            "Python's re; this tokenizer.json is not supported by the pure-Python tokenizer"
        )

    def set_pattern(self, ranges: RangeList) -> str:
        if self.bmp_only:  # for text known to hold no code point above U+FFFF
            ranges = _intersect(ranges, [(0, 0xFFFF)])
        return _set_pattern(ranges)

    def peek(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.src[i] if i < len(self.src) else ""

    def interval_at(self, pos: int) -> re.Match[str] | None:
        """A valid Oniguruma interval at ``pos`` (``{n}``, ``{n,}``, ``{,m}``, ``{n,m}``), else None."""
        match = _INTERVAL.match(self.src, pos)
        if match is None or not (match.group(1) or (match.group(2) and match.group(3))):
            return None  # "{", "{,}", "{ 1}" ... are literal text in Oniguruma
        return match

    def quantifier_at(self, pos: int) -> bool:
        return pos < len(self.src) and (self.src[pos] in "*+?" or self.interval_at(pos) is not None)

    # -- structure ------------------------------------------------------------------------

    def translate(self) -> str:
        body = self.alternation(_Flags())
        if self.pos < len(self.src):
            self.fail("unmatched ')'")
        return body

    def alternation(self, flags: _Flags) -> str:
        """Branches up to an unconsumed ')' or the end."""
        branches: list[str] = []
        items: list[str] = []
        while self.pos < len(self.src):
            ch = self.src[self.pos]
            if ch == ")":
                break
            if ch == "|":
                branches.append("".join(items))
                items = []
                self.pos += 1
                self.fold_tail = ""
                continue
            options = _OPTIONS.match(self.src, self.pos)
            if options is not None and options.group(3) == ")":
                # An isolated option applies to the rest of the enclosing group, alternatives
                # included: Oniguruma parses "a(?i)b|c" as "a(?i:b|c)".
                self.pos = options.end()
                new_flags = self.options(options, flags)
                items.append(f"(?:{self.alternation(new_flags)})")
                break
            atom, quantifiable = self.atom(flags)
            if self.quantifier_at(self.pos):
                if not quantifiable:
                    self.fail("a quantifier without a repeatable target")
                atom = self.quantified(atom)
                self.fold_tail = ""
            items.append(atom)
        branches.append("".join(items))
        return "|".join(branches)

    def options(self, match: re.Match[str], flags: _Flags) -> _Flags:
        on, off = match.group(1), match.group(2) or ""
        if "x" in on or "x" in off:
            self.fail("the extended-syntax option (?x)")
        return flags.changed(on, off)

    def quantified(self, atom: str) -> str:
        interval = self.interval_at(self.pos)
        if interval is None:
            op = self.src[self.pos]
            self.pos += 1
            suffix = self.peek()
            if suffix == "?":
                op += "?"
                self.pos += 1
            elif suffix == "+":
                if not _HAS_POSSESSIVE:
                    self.fail("a possessive quantifier (needs Python 3.11+)")
                op += "+"
                self.pos += 1
            result = atom + op
        else:
            low, comma, high = interval.groups()
            lo = int(low) if low else 0
            hi = int(high) if high else None
            if lo > _ONIG_MAX_REPEAT or (hi is not None and hi > _ONIG_MAX_REPEAT):
                self.fail("a repeat count above 100000")
            if hi is not None and hi < lo:
                self.fail("an interval whose maximum is below its minimum")
            op = f"{{{lo}}}" if not comma else f"{{{lo},{'' if hi is None else hi}}}"
            self.pos = interval.end()
            suffix = self.peek()
            if suffix == "?" and not comma:
                # Ruby syntax: "a{n}?" is "(?:a{n})?", not a lazy a{n}
                result = f"(?:{atom}{op})?"
                self.pos += 1
            elif suffix == "?":
                result = atom + op + "?"
                self.pos += 1
            elif suffix == "+":
                # Ruby syntax: an interval followed by '+' is repeated again, not possessive
                result = f"(?:{atom}{op})+"
                self.pos += 1
            else:
                result = atom + op
        if self.quantifier_at(self.pos):
            self.fail("a nested quantifier")
        return result

    # -- atoms ----------------------------------------------------------------------------

    def atom(self, flags: _Flags) -> tuple[str, bool]:
        """One atom as ``re`` text, and whether a quantifier may follow it."""
        ch = self.src[self.pos]
        if ch == "(":
            return self.group(flags)
        if ch == "[":
            self.pos += 1
            self.fold_tail = ""
            return self.set_pattern(self.char_class(flags)), True
        if ch == "\\":
            return self.escape_atom(flags)
        if ch == ".":
            self.pos += 1
            self.fold_tail = ""
            return ("(?s:.)" if flags.dotall else "[^\\n]"), True
        if ch == "^":
            self.pos += 1
            self.fold_tail = ""
            # Ruby syntax: a line anchor (after "\n"), but not at the very end after a final "\n"
            return "(?:\\A|(?<=\\n)(?!\\Z))", False
        if ch == "$":
            self.pos += 1
            self.fold_tail = ""
            return "(?![^\\n])", False  # Ruby syntax: before any \n, or at the end
        if ch in "*+?":
            self.fail("a quantifier without a target")
        if ch == "{" and self.interval_at(self.pos) is not None:
            self.fail("an interval without a target")
        self.pos += 1
        return self.literal(ord(ch), flags), True

    def literal(self, cp: int, flags: _Flags) -> str:
        if not flags.ignorecase:
            self.fold_tail = ""
            return _literal(cp)
        if cp >= 0x80:
            self.fail("a non-ASCII literal under (?i) (Unicode case folding)")
        ch = chr(cp).lower()
        self.fold_tail = (self.fold_tail + ch)[-3:] if ch.isalpha() else ""
        for target in _data.ONIG_MULTI_FOLD_TARGETS:
            if self.fold_tail.endswith(target):
                self.fail(f"the sequence {target!r} under (?i) (it also matches one character)")
        return self.set_pattern(self.fold_ranges([(cp, cp)]))

    @staticmethod
    def fold_ranges(ranges: RangeList) -> RangeList:
        members = [(start, end) for start, end in ranges]
        for start, end in ranges:
            for cp in range(start, end + 1):
                members.extend((ord(c), ord(c)) for c in _data.ONIG_IGNORECASE_ASCII.get(cp, ""))
        return _merge(members)

    def group(self, flags: _Flags) -> tuple[str, bool]:
        src, start = self.src, self.pos
        if src.startswith("(?#", start):
            end = src.find(")", start)
            if end < 0:
                self.fail("an unterminated comment group")
            self.pos = end + 1
            return "", False
        prefix = None
        quantifiable = True
        inner_flags = flags
        for opener, emitted, repeatable in (
            ("(?:", "(?:", True), ("(?=", "(?=", False), ("(?!", "(?!", False),
            ("(?<=", "(?<=", False), ("(?<!", "(?<!", False), ("(?>", "(?>", True),
        ):
            if src.startswith(opener, start):
                if opener == "(?>" and not _HAS_POSSESSIVE:
                    self.fail("an atomic group (needs Python 3.11+)")
                prefix, quantifiable = emitted, repeatable
                self.pos = start + len(opener)
                break
        if prefix is None:
            named = re.compile(r"\(\?(?:<([^>=!]*)>|'([^']*)')").match(src, start)
            options = _OPTIONS.match(src, start)
            if named is not None:
                name = named.group(1) if named.group(1) is not None else named.group(2)
                if not _GROUP_NAME.fullmatch(name):
                    self.fail("a malformed group name")
                prefix, self.pos = "(?:", named.end()
            elif options is not None and options.group(3) == ":":
                inner_flags = self.options(options, flags)
                prefix, self.pos = "(?:", options.end()
            elif src.startswith("(?", start):
                self.fail(f"the group construct {src[start:start + 3]!r}")
            else:
                prefix, self.pos = "(?:", start + 1  # a capture group; captures are not used
        body = self.alternation(inner_flags)
        if self.peek() != ")":
            self.fail("an unterminated group")
        self.pos += 1
        return f"{prefix}{body})", quantifiable

    def escape_atom(self, flags: _Flags) -> tuple[str, bool]:
        """An escape outside a class: an assertion, a class, or a literal."""
        letter = self.peek(1)
        assertions = {"A": "\\A", "z": "\\Z", "Z": "(?=\\n?\\Z)"}
        if letter in assertions:
            self.pos += 2
            self.fold_tail = ""
            return assertions[letter], False
        if letter in ("b", "B"):
            self.pos += 2
            self.fold_tail = ""
            word = self.set_pattern(list(_data.ONIG_WORD_RANGES))
            if letter == "b":
                return f"(?:(?<={word})(?!{word})|(?<!{word})(?={word}))", False
            return f"(?:(?<={word})(?={word})|(?<!{word})(?!{word}))", False
        value = self.escape(in_class=False)
        if isinstance(value, int):
            return self.literal(value, flags), True
        if flags.ignorecase:
            self.fail("a class escape under (?i)")
        self.fold_tail = ""
        return self.set_pattern(value), True

    def escape(self, in_class: bool) -> int | RangeList:
        """The escape at ``pos`` (a backslash): a code point or a set of code points."""
        start = self.pos
        letter = self.peek(1)
        if not letter:
            self.fail("a trailing backslash")
        self.pos += 2
        if letter in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[letter]
        if letter in ("p", "P"):
            return self.property(negated=letter == "P")
        if letter.lower() in _SHORTHANDS:
            ranges = list(getattr(_data, _SHORTHANDS[letter.lower()]))
            return _complement(ranges) if letter.isupper() else ranges
        if letter == "x":
            if self.peek() == "{":
                return self.braced_number(16, "\\x{...}")
            digits = re.compile(r"[0-9A-Fa-f]{1,2}").match(self.src, self.pos)
            if digits is None:
                self.fail("\\x without hex digits")
            self.pos = digits.end()
            return int(digits.group(), 16)
        if letter == "u":
            digits = re.compile(r"[0-9A-Fa-f]{4}").match(self.src, self.pos)
            if digits is None:
                self.fail("\\u without four hex digits")
            self.pos = digits.end()
            return self.code_point(int(digits.group(), 16))
        if letter == "o" and self.peek() == "{":
            return self.braced_number(8, "\\o{...}")
        if letter == "0":
            digits = re.compile(r"[0-7]{0,2}").match(self.src, self.pos)
            assert digits is not None
            self.pos = digits.end()
            return int("0" + digits.group(), 8)
        if in_class and letter == "b":
            return 0x08  # backspace inside a class
        if letter.isascii() and letter.isalnum():
            self.pos = start
            self.fail(f"the escape \\{letter}")
        return ord(letter)  # an escaped punctuation, space or non-ASCII character is literal

    def code_point(self, cp: int) -> int:
        if cp > _MAX_CODE_POINT or 0xD800 <= cp <= 0xDFFF:
            self.fail(f"the code point {cp:#x}")
        return cp

    def braced_number(self, base: int, what: str) -> int:
        shape = r"\{([0-9A-Fa-f]{1,8})\}" if base == 16 else r"\{([0-7]{1,11})\}"
        digits = re.compile(shape).match(self.src, self.pos)
        if digits is None:
            self.fail(f"a malformed {what}")
        self.pos = digits.end()
        return self.code_point(int(digits.group(1), base))

    def property(self, negated: bool) -> RangeList:
        if self.peek() != "{":
            self.fail("\\p or \\P without braces")
        end = self.src.find("}", self.pos)
        if end < 0:
            self.fail("an unterminated \\p{...}")
        name = self.src[self.pos + 1 : end]
        self.pos = end + 1
        if name.startswith("^"):
            negated, name = not negated, name[1:]
        canonical = _data.ONIG_PROPERTY_ALIASES.get("".join(c for c in name.lower() if c not in " -_"))
        if canonical is None:
            self.fail(f"the property \\p{{{name}}} (not among the frozen classes)")
        ranges = _property_ranges(canonical)
        return _complement(ranges) if negated else ranges

    # -- character classes ----------------------------------------------------------------

    def char_class(self, flags: _Flags) -> RangeList:
        """The class after its '[': [^...], ranges, escapes, nested classes and '&&'."""
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        ranges = self.class_body(flags)
        return _complement(ranges) if negated else ranges

    def class_body(self, flags: _Flags) -> RangeList:
        members: RangeList = []
        first = True
        while True:
            ch = self.peek()
            if not ch:
                self.fail("an unterminated character class")
            if ch == "]" and not first:
                self.pos += 1
                return _merge(members)
            first = False
            if self.src.startswith("&&", self.pos):
                self.pos += 2
                return _intersect(_merge(members), self.class_body_after_and(flags))
            if ch == "[":
                if self.peek(1) == ":":
                    self.fail("a POSIX bracket expression")
                self.pos += 1
                members.extend(self.char_class(flags))
                continue
            item = self.class_item(flags)
            if not isinstance(item, int):
                if self.peek() == "-" and self.peek(1) != "]":
                    self.fail("a range bounded by a class")
                members.extend(item)
                continue
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                if self.peek() == "[":
                    self.fail("a range ending in a nested class")
                high = self.class_item(flags)
                if not isinstance(high, int):
                    self.fail("a range bounded by a class")
                if high < item:
                    self.fail("an empty range in a class")
                members.extend(self.class_fold([(item, high)], flags))
            else:
                members.extend(self.class_fold([(item, item)], flags))

    def class_body_after_and(self, flags: _Flags) -> RangeList:
        """The right operand of '&&': the rest of the class, where ']' at once closes it."""
        if self.peek() == "]":
            self.pos += 1
            return []
        return self.class_body(flags)

    def class_item(self, flags: _Flags) -> int | RangeList:
        if self.peek() == "\\":
            value = self.escape(in_class=True)
            if not isinstance(value, int) and flags.ignorecase:
                self.fail("a class escape under (?i)")
            return value
        ch = self.src[self.pos]
        self.pos += 1
        return ord(ch)

    def class_fold(self, ranges: RangeList, flags: _Flags) -> RangeList:
        if not flags.ignorecase:
            return ranges
        if any(end >= 0x80 for _, end in ranges):
            self.fail("a non-ASCII class member under (?i) (Unicode case folding)")
        return self.fold_ranges(ranges)


@functools.lru_cache(maxsize=512)
def _translate_cached(pattern: str, bmp_only: bool) -> str:
    translated = _Translator(pattern, bmp_only).translate()
    try:
        re.compile(translated)
    except re.error as exc:  # e.g. a variable-width look-behind, which Oniguruma allows
        raise UnsupportedFeatureError(
            f"regex {pattern!r}: Python's re cannot compile its translation ({exc}); "
            "this tokenizer.json is not supported by the pure-Python tokenizer"
        ) from None
    return translated


def translate_regex(pattern: str, *, bmp_only: bool = False) -> str:
    """Translate an Oniguruma pattern from a ``tokenizer.json`` into an equivalent ``re`` pattern.

    ``\\p{..}``/``\\P{..}`` (also inside and negated classes), ``\\s \\w \\d \\S \\W \\D``, ``.``,
    ``\\b``, ``^`` and ``$`` become explicit forms built from tables frozen from the reference's
    own Oniguruma, so matching does not depend on this Python's Unicode. Ruby-syntax quirks are
    kept (``a{n}?`` is optional, ``a{n,m}+`` repeats, ``(?i)`` mid-group swallows the following
    alternatives, ``(?m)`` makes ``.`` match newlines, ``^`` does not match after a final newline).
    ``(?i)`` is supported over ASCII literals only. Anything else whose meaning could differ raises
    ``UnsupportedFeatureError`` naming the construct. Results are cached (bounded, thread-safe).

    ``bmp_only=True`` drops code points above U+FFFF from every class: exact only for text without
    such characters, and several times faster, because ``re`` tests a class's astral ranges one by
    one. :func:`compile_regex` picks the right variant per text; iterate with :func:`find_matches`
    to also reproduce the onig crate's handling of empty matches.

    >>> translate_regex(r"\\p{Zs}") == translate_regex(r"[\\p{Zs}]")
    True
    """
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be str, got {type(pattern).__name__}")
    return _translate_cached(pattern, bool(bmp_only))


class OnigRegex:
    """An Oniguruma pattern translated and compiled twice: for BMP-only text and for any text.

    ``find_matches(text)`` gives the onig crate's match spans (in characters) for ``text``.
    Instances are immutable and safe to share between threads.
    """

    __slots__ = ("pattern", "full", "bmp")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.full = re.compile(translate_regex(pattern))
        self.bmp = re.compile(translate_regex(pattern, bmp_only=True))

    def regex_for(self, text: str) -> re.Pattern[str]:
        """The compiled variant that is exact for ``text`` (the fast one unless it has astral chars)."""
        return self.bmp if not text or max(text) <= "\uffff" else self.full

    def find_matches(self, text: str) -> list[tuple[int, int]]:
        return find_matches(self.regex_for(text), text)


@functools.lru_cache(maxsize=256)
def compile_regex(pattern: str) -> OnigRegex:
    """Translate and compile ``pattern`` (cached, bounded): see :func:`translate_regex`."""
    return OnigRegex(pattern)


def find_matches(regex: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of successive matches exactly as the onig crate's ``find_iter`` yields them.

    It differs from ``re.finditer`` only around empty matches: onig never accepts an empty match
    that ends where the previous match ended (``x*`` over ``"abxd"`` gives (0,0), (1,1), (2,3),
    (4,4); ``re`` also gives (3,3)). Offsets are in characters.
    """
    spans = [m.span() for m in regex.finditer(text)]
    if all(start != end for start, end in spans):
        return spans  # without empty matches both iterations search from the same positions
    spans = []
    last_end, last_match_end, length = 0, -1, len(text)
    while last_end <= length:
        match = regex.search(text, last_end)
        if match is None:
            break
        start, end = match.span()
        if start == end == last_match_end:
            last_end += 1
            continue
        spans.append((start, end))
        last_end = last_match_end = end
    return spans
