"""Byte-pair encoding, merge for merge as the ``tokenizers`` package does it.

Each pre-tokenized word is cut into characters (with the continuing-subword
prefix on all but the first and the end-of-word suffix on the last), unknown
characters become byte pieces or the unknown token, and then the merges are
applied lowest rank first with a priority queue, exactly like the reference's
``Word::merge_all``:

- the queue is ordered by (rank, position): among equal ranks the leftmost pair wins;
- a queued entry is acted on only if its position is still a live symbol, has a
  right neighbour, and that pair still merges into the *same new id* the entry
  was queued with (the reference compares ids, not ranks; the two only differ
  for unusual vocabularies, and copying the rule keeps those exact too);
- after a merge, the pairs the new symbol forms with its neighbours are queued.

This is O(n log n) in the word length, so a megabyte of one letter is fine.

Loading mirrors the reference's checks: every merge's two parts and its result
(left + right with the prefix's byte length cut off the right part) must be in
the vocabulary, a repeated merge keeps its *last* rank, legacy ``"a b"`` lines
must split into exactly two parts and ``#version`` lines are skipped. Where the
reference only fails when a word needs it (an unknown token missing from the
vocabulary), loading fails here instead. Merge dropout is random, so only its two
deterministic values are accepted: ``null``/0 (none) and 1 (every merge dropped:
the reference then also skips the ``ignore_merges`` shortcut and its cache).
"""

from __future__ import annotations

import struct
from heapq import heapify, heappop, heappush
from itertools import pairwise
from typing import Any

from ..errors import TokenizerConfigError, UnsupportedFeatureError
from .models import Model

__all__ = ["BPE", "build_model", "parse_merges", "parse_vocab"]

#: words memoized per model; the memo is cleared when it reaches this size
CACHE_LIMIT = 1 << 17
_U32_MAX = (1 << 32) - 1


class BPE(Model):
    """A BPE model: ``tokenize(word) -> ids``.

    ``merges`` is the ordered list of (left, right) pairs; its index is the rank.
    Thread-safe: the per-word memo is a plain dict whose entries are immutable.
    """

    def __init__(self, vocab: dict[str, int], merges: list[tuple[str, str]], *, unk_token: str | None = None,
                 continuing_subword_prefix: str | None = None, end_of_word_suffix: str | None = None,
                 fuse_unk: bool = False, byte_fallback: bool = False, ignore_merges: bool = False,
                 no_merges: bool = False, path: str = "model") -> None:
        self.vocab = vocab
        self.unk_token = unk_token
        self.continuing_subword_prefix = continuing_subword_prefix
        self.end_of_word_suffix = end_of_word_suffix
        self.fuse_unk = fuse_unk
        self.byte_fallback = byte_fallback
        self.ignore_merges = ignore_merges
        self.no_merges = no_merges
        if unk_token is not None and unk_token not in vocab:
            raise TokenizerConfigError(
                f"{path}.unk_token {unk_token!r} is not in the vocabulary (the reference fails on the first "
                "unknown character)")
        self.unk_id: int | None = vocab[unk_token] if unk_token is not None else None
        table = _merge_map(vocab, merges, continuing_subword_prefix, f"{path}.merges")
        #: (left id << 32 | right id) -> rank; rank -> new id (ranks of overridden duplicates stay unused)
        self._pair_ranks: dict[int, int] = {left << 32 | right: rank for (left, right), (rank, _) in table.items()}
        self._new_ids: list[int] = [0] * len(merges)
        for rank, new_id in table.values():
            self._new_ids[rank] = new_id
        self._byte_ids: list[int | None] | None = (
            [vocab.get(f"<0x{b:02X}>") for b in range(256)] if byte_fallback else None)
        self._cache: dict[str, tuple[int, ...]] = {}

    # -- encoding ---------------------------------------------------------------------------------

    def tokenize(self, word: str) -> list[int]:
        if not word:
            return []
        if self.no_merges:
            return self._symbols(word)
        if self.ignore_merges:
            whole = self.vocab.get(word)
            if whole is not None:
                return [whole]
        cached = self._cache.get(word)
        if cached is None:
            cached = tuple(self._merge_all(self._symbols(word)))
            cache = self._cache
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            cache[word] = cached
        return list(cached)

    def _symbols(self, word: str) -> list[int]:
        """Initial symbol ids: one per character, byte pieces or (fused) unknowns where not in the vocab."""
        vocab = self.vocab
        prefix = self.continuing_subword_prefix
        suffix = self.end_of_word_suffix
        if prefix is None and suffix is None and self.unk_id is None and not self.byte_fallback:
            return [i for i in map(vocab.get, word) if i is not None]  # unknown characters vanish
        ids: list[int] = []
        pending_unk = False  # one unknown waiting to be emitted (fused runs stay one)
        last = len(word) - 1
        for index, char in enumerate(word):
            piece = char
            if index and prefix is not None:
                piece = prefix + piece
            if index == last and suffix is not None:
                piece = piece + suffix
            found = vocab.get(piece)
            if found is not None:
                if pending_unk:
                    ids.append(self.unk_id)  # type: ignore[arg-type]
                    pending_unk = False
                ids.append(found)
                continue
            if self._byte_ids is not None:
                byte_ids = [self._byte_ids[b] for b in piece.encode("utf-8")]
                if None not in byte_ids:
                    # As in the reference, a pending unknown is *not* flushed here: it is
                    # emitted after these byte pieces, when the next known piece or the end comes.
                    ids.extend(byte_ids)  # type: ignore[arg-type]
                    continue
            if self.unk_id is not None:
                if pending_unk and not self.fuse_unk:
                    ids.append(self.unk_id)
                pending_unk = True
        if pending_unk:
            ids.append(self.unk_id)  # type: ignore[arg-type]
        return ids

    def _merge_all(self, ids: list[int]) -> list[int]:
        # Pairs are looked up by the int ``left << 32 | right``, queue entries are the int
        # ``rank << 32 | position`` (so the heap orders by rank, then position, like the
        # reference's), and a rank's new id is ``self._new_ids[rank]``.
        count = len(ids)
        if count < 2:
            return ids
        get = self._pair_ranks.get
        heap = [rank << 32 | pos for pos, rank in enumerate(map(get, [a << 32 | b for a, b in pairwise(ids)]))
                if rank is not None]
        if not heap:
            return ids
        heapify(heap)
        new_ids = self._new_ids
        symbols = ids  # owned: built by _symbols for this call
        nxt = list(range(1, count + 1))  # ``count`` means "no next symbol"
        prv = list(range(-1, count - 1))
        alive = [True] * count
        mask = 0xFFFFFFFF
        while heap:
            entry = heappop(heap)
            pos = entry & mask
            if not alive[pos]:
                continue
            right = nxt[pos]
            if right == count:
                continue
            new_id = new_ids[entry >> 32]
            current = get(symbols[pos] << 32 | symbols[right])
            if current is None or new_ids[current] != new_id:
                continue  # stale entry: the pair there no longer makes this token
            symbols[pos] = new_id
            alive[right] = False
            after = nxt[right]
            nxt[pos] = after
            before = prv[pos]
            if before >= 0:
                rank = get(symbols[before] << 32 | new_id)
                if rank is not None:
                    heappush(heap, rank << 32 | before)
            if after != count:
                prv[after] = pos
                rank = get(new_id << 32 | symbols[after])
                if rank is not None:
                    heappush(heap, rank << 32 | pos)
        return [symbol for symbol, keep in zip(symbols, alive) if keep]


# -- loading ------------------------------------------------------------------------------------


def _merge_map(vocab: dict[str, int], merges: list[tuple[str, str]], prefix: str | None,
               path: str) -> dict[tuple[int, int], tuple[int, int]]:
    """(left id, right id) -> (rank, new id); a repeated pair keeps its last rank, like the reference."""
    prefix_bytes = len(prefix.encode("utf-8")) if prefix else 0
    table: dict[tuple[int, int], tuple[int, int]] = {}
    for rank, (left, right) in enumerate(merges):
        left_id = vocab.get(left)
        if left_id is None:
            raise TokenizerConfigError(f"{path}[{rank}]: token {left!r} is not in the vocabulary")
        right_id = vocab.get(right)
        if right_id is None:
            raise TokenizerConfigError(f"{path}[{rank}]: token {right!r} is not in the vocabulary")
        if prefix_bytes:
            # The reference cuts the prefix's *byte length* off the right part whether or not it
            # starts with the prefix.
            right_bytes = right.encode("utf-8")
            if len(right_bytes) < prefix_bytes:
                raise TokenizerConfigError(
                    f"{path}[{rank}]: right part {right!r} is shorter than continuing_subword_prefix {prefix!r}")
            try:
                merged = left + right_bytes[prefix_bytes:].decode("utf-8")
            except UnicodeDecodeError:
                raise UnsupportedFeatureError(
                    f"{path}[{rank}]: cutting the prefix off {right!r} splits a character") from None
        else:
            merged = left + right
        new_id = vocab.get(merged)
        if new_id is None:
            raise TokenizerConfigError(f"{path}[{rank}]: merged token {merged!r} is not in the vocabulary")
        table[(left_id, right_id)] = (rank, new_id)
    return table


def parse_vocab(raw: Any, path: str) -> dict[str, int]:
    """A non-empty ``{token: id}`` object with ids in the reference's u32 range.

    (The reference also loads an empty vocabulary, which can only ever produce no ids.)
    """
    if not isinstance(raw, dict) or not raw:
        raise TokenizerConfigError(f"{path} must be a non-empty object mapping tokens to ids")
    for token, index in raw.items():
        if type(index) is not int or not 0 <= index <= _U32_MAX:
            raise TokenizerConfigError(f"{path}[{token!r}] must be an integer id in [0, 2**32), got {index!r}")
    return raw


def parse_merges(raw: Any, path: str) -> list[tuple[str, str]]:
    """Both JSON forms: ``[["a", "b"], ...]`` or legacy ``["a b", ...]`` (``#version`` lines skipped)."""
    if not isinstance(raw, list):
        raise TokenizerConfigError(f"{path} must be a list")
    if all(isinstance(item, list) and len(item) == 2 and all(isinstance(p, str) for p in item) for item in raw):
        return [(item[0], item[1]) for item in raw]
    if not all(isinstance(item, str) for item in raw):
        bad = next(i for i, item in enumerate(raw) if not isinstance(item, str))
        raise TokenizerConfigError(
            f"{path}[{bad}] must be a [left, right] pair of strings or an \"left right\" string, "
            "and all entries must use the same form")
    merges = []
    for line in raw:
        if line.startswith("#version"):
            continue
        parts = line.split(" ")
        if len(parts) != 2:
            raise TokenizerConfigError(
                f"{path}: merge {len(merges) + 1} {line!r} must be two tokens separated by one space")
        merges.append((parts[0], parts[1]))
    return merges


def _optional(spec: dict[str, Any], key: str, kind: type, path: str) -> Any:
    value = spec.get(key)
    if value is not None and not isinstance(value, kind):
        raise TokenizerConfigError(f"{path}.{key} must be a {kind.__name__} or null, got {value!r}")
    return value


def _as_f32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


def build_model(spec: dict[str, Any], path: str = "model") -> BPE:
    """Build a BPE model from its ``tokenizer.json`` entry (``path`` names it in errors)."""
    if spec.get("type", "BPE") != "BPE":
        raise TokenizerConfigError(f"{path}.type must be 'BPE'")
    if "vocab" not in spec or "merges" not in spec:
        raise TokenizerConfigError(f"{path}: BPE needs both 'vocab' and 'merges'")
    dropout = spec.get("dropout")
    if dropout is not None:
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise TokenizerConfigError(f"{path}.dropout must be a number or null, got {dropout!r}")
        try:
            dropout = _as_f32(float(dropout))  # the reference reads an f32
        except OverflowError:
            dropout = float("inf")
        if not 0.0 <= dropout <= 1.0:
            raise TokenizerConfigError(f"{path}.dropout must be between 0 and 1, got {spec['dropout']!r}")
        if dropout not in (0.0, 1.0):
            raise UnsupportedFeatureError(
                f"{path}.dropout is {dropout!r}: BPE dropout is random, so ids cannot be reproduced")
    flags = {}
    for key in ("fuse_unk", "byte_fallback", "ignore_merges"):
        flags[key] = bool(_optional(spec, key, bool, path))
    return BPE(
        parse_vocab(spec["vocab"], f"{path}.vocab"),
        parse_merges(spec["merges"], f"{path}.merges"),
        unk_token=_optional(spec, "unk_token", str, path),
        continuing_subword_prefix=_optional(spec, "continuing_subword_prefix", str, path),
        end_of_word_suffix=_optional(spec, "end_of_word_suffix", str, path),
        no_merges=dropout == 1.0,
        path=path,
        **flags,
    )
