"""The ``Precompiled`` normalizer: a SentencePiece ``precompiled_charsmap``, applied as the reference does.

The charsmap (base64 in ``tokenizer.json``) is ``[u32 LE trie size in bytes][trie: u32 LE
units][pool: NUL-terminated UTF-8 replacement strings]``. The trie is a Darts-clone double
array over UTF-8 bytes whose leaves hold offsets into the pool. Unit bit fields (as in the
``spm_precompiled`` crate): ``has_leaf = (u >> 8) & 1``, ``value = u & 0x7FFFFFFF``,
``label = u & 0x800000FF``, ``offset = (u >> 10) << ((u & 0x200) >> 6)``.

``transform(chunk)`` walks the bytes of ``chunk`` (stopping at a NUL byte) and takes the
*first*, i.e. shortest, prefix with a leaf; the whole chunk is replaced by that leaf's
string, even if the prefix covered only part of it.

The text is walked by extended grapheme clusters (from :mod:`.graphemes`, which follows the
reference's ``unicode-segmentation``): a cluster shorter than 6 UTF-8 bytes with a match is
replaced whole; otherwise each character is transformed on its own or kept.

Loading is strict where the reference is lenient or crashes later: an empty or truncated map,
a trie size that is not a multiple of 4 (the reference silently rounds it down), a pool that
is not UTF-8, or a trie whose reachable units point outside the array or the pool (the
reference would panic while normalizing) raise :class:`TokenizerConfigError`. ``null`` or
``""`` is refused too: the reference cannot load those either.
"""

from __future__ import annotations

import binascii
import re
import struct
import sys
from array import array
from collections.abc import Callable
from typing import Any

from ..errors import TokenizerConfigError
from .normalizers import Normalizer

__all__ = ["Precompiled", "build_normalizer", "decode_charsmap_base64"]

_MEMO_LIMIT = 1 << 16
# Characters whose Grapheme_Cluster_Break is Other or Control in every Unicode version (ASCII and
# Latin-1 except CR/LF, CJK symbols and kana except the combining marks U+302A-U+302F and
# U+3099/U+309A, CJK ideographs, full/half-width forms before the Extend marks U+FF9E/U+FF9F);
# four are also Extended_Pictographic (U+00A9, U+00AE, U+3030, U+303D). None of them can join a
# neighbour into a cluster (GB9c/GB11 joins need an Extend or ZWJ, which are outside the set), so
# a text made only of them has one cluster per character (checked against graphemes' table in
# the tests).
_NOT_SINGLE = re.compile("[^\t\x20-\x7e\xa0-\xff\u3000-\u3029\u3030-\u3098\u309b-\u30ff"
                         "\u4e00-\u9fff\uff01-\uff9d]")
_BASE64_ALPHABET = re.compile(r"[A-Za-z0-9+/]*")
_B64_INDEX = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def decode_charsmap_base64(text: str) -> bytes:
    """Decode standard base64 the way the reference accepts it.

    Padding may be omitted but, if present, must complete the last quantum; the unused
    low bits of the last symbol must be zero; no whitespace or URL-safe symbols.

    Raises:
        ValueError: for text the reference refuses.
    """
    core = text.rstrip("=")
    padding = len(text) - len(core)
    if not _BASE64_ALPHABET.fullmatch(core):
        raise ValueError("invalid base64 symbol")
    remainder = len(core) % 4
    if remainder == 1:
        raise ValueError("encoded text cannot have a 6-bit remainder")
    if padding and (padding > 2 or (len(core) + padding) % 4 != 0):
        raise ValueError("invalid base64 padding")
    if remainder:
        unused_bits = 4 if remainder == 2 else 2
        if _B64_INDEX[core[-1]] & ((1 << unused_bits) - 1):
            raise ValueError("invalid last base64 symbol (non-zero trailing bits)")
    try:
        return binascii.a2b_base64(core + "=" * (-len(core) % 4))
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def _has_leaf(unit: int) -> bool:
    return bool((unit >> 8) & 1)


def _label(unit: int) -> int:
    return unit & 0x800000FF


def _offset(unit: int) -> int:
    return (unit >> 10) << ((unit & 0x200) >> 6)


class Precompiled(Normalizer):
    """SentencePiece charsmap normalization, per grapheme cluster like the reference."""

    per_char = False

    def __init__(self, charsmap: bytes) -> None:
        if len(charsmap) < 4:
            raise TokenizerConfigError("precompiled_charsmap is shorter than its 4-byte header")
        (trie_size,) = struct.unpack_from("<I", charsmap, 0)
        if trie_size % 4:
            raise TokenizerConfigError(f"precompiled_charsmap trie size {trie_size} is not a multiple of 4")
        if trie_size == 0:
            raise TokenizerConfigError("precompiled_charsmap has an empty trie")
        if len(charsmap) < 4 + trie_size:
            raise TokenizerConfigError(f"precompiled_charsmap is truncated: trie of {trie_size} bytes, "
                                       f"{len(charsmap) - 4} available")
        units = array("I")
        if units.itemsize != 4:  # pragma: no cover - every CPython platform has a 4-byte "I"
            units = array("L")
        units.frombytes(charsmap[4:4 + trie_size])
        if sys.byteorder == "big":  # pragma: no cover
            units.byteswap()
        pool_bytes = charsmap[4 + trie_size:]
        try:
            pool_bytes.decode("utf-8")
        except UnicodeDecodeError:
            raise TokenizerConfigError("precompiled_charsmap replacement pool is not valid UTF-8") from None
        self._units = units
        self._pool = pool_bytes
        self._validate()
        self._memo: dict[str, str] = {}
        self._char_memo: dict[str, str | None] = {}
        self._char_table = _CharTable(self._transform_char)

    # -- loading --------------------------------------------------------------------------

    def _validate(self) -> None:
        """Walk every reachable trie node; refuse maps the reference would crash on.

        Children of node position ``p`` are the units ``q = p ^ c`` whose label is ``c``;
        they are found by indexing every unit by ``q ^ label``. A reachable position must
        leave the whole 256-unit block of its children inside the array, and a leaf value
        must start a string inside the pool on a character boundary.
        """
        units = self._units
        size = len(units)
        pool = self._pool
        children: dict[int, list[int]] = {}
        for q, unit in enumerate(units):
            label = _label(unit)
            if 0 < label < 256:
                children.setdefault(q ^ label, []).append(q)
        root = _offset(units[0])
        stack = [root]
        seen = {root}
        while stack:
            pos = stack.pop()
            if (pos | 0xFF) >= size:
                raise TokenizerConfigError(f"precompiled_charsmap trie reaches unit {pos}, outside its "
                                           f"{size} units")
            for q in children.get(pos, ()):
                unit = units[q]
                nxt = q ^ _offset(unit)
                if _has_leaf(unit):
                    if nxt >= size:
                        raise TokenizerConfigError(f"precompiled_charsmap leaf at unit {nxt} is outside the trie")
                    value = units[nxt] & 0x7FFFFFFF
                    if value > len(pool) or (value < len(pool) and (pool[value] & 0xC0) == 0x80):
                        raise TokenizerConfigError(
                            f"precompiled_charsmap leaf points at pool offset {value}, not the start of a string")
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)

    # -- lookup ---------------------------------------------------------------------------

    def transform(self, chunk: str) -> str | None:
        """The replacement for ``chunk`` (its shortest matching prefix's string), or None."""
        units = self._units
        pos = _offset(units[0])
        for byte in chunk.encode("utf-8"):
            if byte == 0:
                break
            pos ^= byte
            unit = units[pos]
            if (unit & 0x800000FF) != byte:
                return None
            pos ^= (unit >> 10) << ((unit & 0x200) >> 6)
            if (unit >> 8) & 1:
                start = units[pos] & 0x7FFFFFFF
                pool = self._pool
                end = pool.find(b"\x00", start)
                if end < 0:
                    end = len(pool)
                return pool[start:end].decode("utf-8")
        return None

    def _transform_char(self, char: str) -> str | None:
        memo = self._char_memo
        if char in memo:
            return memo[char]
        result = self.transform(char)
        if len(memo) < _MEMO_LIMIT:
            memo[char] = result
        return result

    def _cluster(self, cluster: str) -> str:
        if len(cluster) == 1:
            result = self._transform_char(cluster)
            return cluster if result is None else result
        if len(cluster.encode("utf-8")) < 6:
            result = self.transform(cluster)
            if result is not None:
                return result
        out = []
        for char in cluster:
            result = self._transform_char(char)
            out.append(char if result is None else result)
        return "".join(out)

    def keeps_origin(self, text: str) -> bool:
        """Always, even when the first cluster maps to "": the reference's transformation list
        does not account for a removed prefix, so the first output character inherits the
        alignment of the first input character (verified with tokenizers 0.23.3)."""
        return True

    def normalize(self, text: str) -> str:
        # One cluster per character (CR LF is the only ASCII cluster of two): translate directly.
        if text.isascii():
            if "\r\n" not in text:
                return text.translate(self._char_table)
        elif not _NOT_SINGLE.search(text):
            return text.translate(self._char_table)
        split = _split_graphemes()
        memo = self._memo
        out = []
        for cluster in split(text):
            result = memo.get(cluster)
            if result is None:
                result = self._cluster(cluster)
                if len(memo) >= _MEMO_LIMIT:
                    memo.clear()
                memo[cluster] = result
            out.append(result)
        return "".join(out)


class _CharTable(dict):  # type: ignore[type-arg]
    """``str.translate`` table filled on first use: code point -> replacement (itself if none)."""

    def __init__(self, transform: Callable[[str], str | None]) -> None:
        super().__init__()
        self._transform = transform

    def __missing__(self, code_point: int) -> str:
        char = chr(code_point)
        result = self._transform(char)
        value = char if result is None else result
        if len(self) < _MEMO_LIMIT:
            self[code_point] = value
        return value


_SPLITTER: list[Callable[[str], list[str]]] = []


def _split_graphemes() -> Callable[[str], list[str]]:
    if not _SPLITTER:
        from .graphemes import split_graphemes  # imported on first use: a large table

        _SPLITTER.append(split_graphemes)
    return _SPLITTER[0]


def build_normalizer(spec: dict[str, Any], path: str = "normalizer") -> Precompiled:
    """Build :class:`Precompiled` from its ``tokenizer.json`` entry (``path`` names it in errors)."""
    if "precompiled_charsmap" not in spec:
        raise TokenizerConfigError(f"{path}.precompiled_charsmap is missing")
    raw = spec["precompiled_charsmap"]
    if not isinstance(raw, str):
        raise TokenizerConfigError(f"{path}.precompiled_charsmap must be a base64 string, got "
                                   f"{type(raw).__name__} (the reference cannot load it either)")
    try:
        charsmap = decode_charsmap_base64(raw)
    except ValueError as exc:
        raise TokenizerConfigError(f"{path}.precompiled_charsmap is not valid base64: {exc}") from None
    try:
        return Precompiled(charsmap)
    except TokenizerConfigError as exc:
        raise TokenizerConfigError(f"{path}.{exc}") from None
