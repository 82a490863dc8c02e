"""The ``Unigram`` model: best-scoring segmentation of a word, as ``tokenizers`` computes it.

This follows the reference's ``encode_optimized`` (a one-pass Viterbi):

- positions are scanned left to right; at each one every vocabulary piece that
  starts there is a candidate, and it replaces the best path ending where it ends
  only if its total score is *strictly* greater (so on equal scores the first
  candidate to reach a position, the one starting earliest, wins);
- a position where no one-character piece starts gets an unknown node covering one
  character, scored ``min_score - 10``;
- on the best path, consecutive nodes whose id is ``unk_id`` are fused into one
  string (the reference hard-wires ``fuse_unk``); note that this also fuses real
  pieces that happen to have the unknown id;
- each fused string is looked up again: a vocabulary piece gives its id; otherwise,
  with ``byte_fallback``, its UTF-8 bytes become ``<0xXX>`` pieces if *every* byte
  has one, else the whole run is one ``unk_id``.

Scores are Python floats (IEEE doubles, as the reference's f64), summed in the
reference's order. The reference reads them with serde_json's fast float parser,
which is not always correctly rounded (about a quarter of the 17-digit scores in a
real file land one ulp away from Python's ``float``); :func:`serde_json_f64` redoes
that parse so equal-score ties fall the same way.

A piece listed twice keeps its *last* id and score, like the reference's
``token_to_ids`` map (checked with tokenizers 0.23.3).
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import TokenizerConfigError
from .models import Model

__all__ = ["Unigram", "UnigramMissingUnkError", "build_model", "serde_json_f64"]

#: score handicap of an unknown node below the lowest piece score (``K_UNK_PENALTY``)
UNK_PENALTY = 10.0
_MEMO_LIMIT = 1 << 17
_MEMO_MAX_WORD = 256
_U64_MAX = (1 << 64) - 1
_EXACT_SIGNIFICAND = 1 << 53
_POW10 = tuple(float(f"1e{k}") for k in range(309))


class UnigramMissingUnkError(TokenizerConfigError):
    """The model has ``unk_id: null`` and met a character no piece covers.

    The reference raises "Encountered an unknown token but `unk_id` is missing" in
    exactly the same situations; this is raised at encode time for the same reason.
    """


def serde_json_f64(text: str) -> float:
    """Parse a JSON number the way serde_json (without ``float_roundtrip``) does.

    The significand is accumulated in a u64 (digits beyond its capacity are dropped,
    shifting the exponent), converted to f64, then multiplied or divided once by a
    power of ten (repeatedly by 1e308 for tiny exponents). This can be one ulp off
    the correctly rounded value that Python's ``float`` returns.

    Raises:
        ValueError: on malformed text, or a finite number serde_json rejects as out of range.
    """
    s = text.strip()
    i = 0
    n = len(s)
    positive = True
    if i < n and s[i] == "-":
        positive = False
        i += 1
    if i >= n or not s[i].isdigit() or not s[i].isascii():
        raise ValueError(f"invalid JSON number {text!r}")
    significand = 0
    exponent = 0
    overflowed = False
    # integer part
    if s[i] == "0":
        i += 1
        if i < n and s[i] in "0123456789":
            raise ValueError(f"invalid JSON number {text!r}")
    else:
        while i < n and s[i] in "0123456789":
            digit = ord(s[i]) - 48
            if overflowed:
                exponent += 1
            elif significand * 10 + digit > _U64_MAX:
                overflowed = True
                exponent += 1
            else:
                significand = significand * 10 + digit
            i += 1
    is_float = overflowed
    # fraction: parse_decimal keeps accumulating until the next digit would overflow,
    # then ignores every further digit (parse_decimal_overflow)
    if i < n and s[i] == ".":
        is_float = True
        i += 1
        start = i
        dropping = False
        while i < n and s[i] in "0123456789":
            digit = ord(s[i]) - 48
            if not dropping:
                if significand * 10 + digit > _U64_MAX:
                    dropping = True
                else:
                    significand = significand * 10 + digit
                    exponent -= 1
            i += 1
        if i == start:
            raise ValueError(f"invalid JSON number {text!r}")
    if i < n and s[i] in "eE":
        is_float = True
        i += 1
        exp_positive = True
        if i < n and s[i] in "+-":
            exp_positive = s[i] == "+"
            i += 1
        start = i
        exp = 0
        exp_overflow = False
        while i < n and s[i] in "0123456789":
            exp = exp * 10 + ord(s[i]) - 48
            if exp > 2**31 - 1:
                exp_overflow = True
            i += 1
        if i == start:
            raise ValueError(f"invalid JSON number {text!r}")
        if exp_overflow:
            if significand != 0 and exp_positive:
                raise ValueError(f"JSON number out of range {text!r}")
            return 0.0 if positive else -0.0
        exponent = exponent + exp if exp_positive else exponent - exp
        exponent = max(-(2**31), min(2**31 - 1, exponent))  # i32 saturating arithmetic
    if i != n:
        raise ValueError(f"invalid JSON number {text!r}")
    if not is_float:
        # a plain integer: u64 / i64, converted with one correctly rounded cast
        return float(significand) if positive else -float(significand)
    value = float(significand)
    while True:
        k = abs(exponent)
        if k < len(_POW10):
            if exponent >= 0:
                value *= _POW10[k]
                if math.isinf(value):
                    raise ValueError(f"JSON number out of range {text!r}")
            else:
                value /= _POW10[k]
            break
        if value == 0.0:
            break
        if exponent >= 0:
            raise ValueError(f"JSON number out of range {text!r}")
        value /= 1e308
        exponent += 308
    return value if positive else -value


def _reference_score(value: Any, where: str) -> float:
    """The f64 the reference reads for a score already decoded by Python's ``json``.

    Python's ``repr`` is the shortest round-trip text, the form tokenizer.json writers
    (serde_json's ryu, Python's json) emit, so re-parsing it with :func:`serde_json_f64`
    reproduces the reference's reading of the file.
    """
    if type(value) is int:
        return serde_json_f64(str(value))
    if type(value) is float:
        if not math.isfinite(value):
            raise TokenizerConfigError(f"{where} is out of the f64 range")
        text = repr(value)
        if "e" not in text:  # fast path for plain decimals; same result as serde_json_f64(text)
            integer, _, fraction = text.lstrip("-").partition(".")
            significand = int(integer + fraction)
            if significand <= _EXACT_SIGNIFICAND and len(fraction) <= 22:
                return value  # exact significand, exact power of ten: correctly rounded anyway
            if significand <= _U64_MAX:
                result = float(significand) / _POW10[len(fraction)]
                return -result if text[0] == "-" else result
        try:
            return serde_json_f64(text)
        except ValueError:
            raise TokenizerConfigError(f"{where} is out of the f64 range") from None
    raise TokenizerConfigError(f"{where} must be a number, got {value!r}")


class Unigram(Model):
    """SentencePiece-style unigram model with the reference's tie-breaking and unknown handling.

    Args:
        pieces: ``(piece, score)`` pairs; a piece's id is its index (a repeated piece keeps
            its last index).
        unk_id: id of the unknown piece, or None (then an unknown character raises
            :class:`UnigramMissingUnkError` at encode time, as in the reference).
        byte_fallback: spell fused unknown runs with ``<0xXX>`` pieces when all exist.
    """

    def __init__(self, pieces: list[tuple[str, float]], unk_id: int | None = None,
                 byte_fallback: bool = False) -> None:
        if unk_id is not None:
            if not pieces:
                raise TokenizerConfigError("The vocabulary is empty but at least <unk> is needed")
            if not 0 <= unk_id < len(pieces):
                raise TokenizerConfigError(f"unk_id {unk_id} is not an index of the vocabulary "
                                           f"({len(pieces)} pieces)")
        vocab = {piece: index for index, (piece, _score) in enumerate(pieces)}  # last id wins, like
        self.vocab = vocab                                                       # token_to_ids
        self.unk_id = unk_id
        self.byte_fallback = byte_fallback
        self.scores = scores = [float(score) for _piece, score in pieces]
        self.min_score = min(scores) if scores else math.inf
        self._unk_score = self.min_score - UNK_PENALTY

        # The search structure: every piece and every proper prefix of a piece maps to
        # (id or -1 if only a prefix, score, whether a longer piece continues it). The empty
        # piece is left out: the reference's trie never yields it. At each position the walk
        # extends one character at a time while the text is a prefix of some piece, so its
        # cost is the depth of the longest match, never the vocabulary size.
        nodes: dict[str, tuple[int, float, bool]] = {}
        for piece, index in vocab.items():
            if not piece:
                continue
            node = nodes.get(piece)
            nodes[piece] = (index, scores[index], node is not None and node[2])
            for cut in range(len(piece) - 1, 0, -1):
                prefix = piece[:cut]
                node = nodes.get(prefix)
                if node is None:
                    nodes[prefix] = (-1, 0.0, True)
                elif node[2]:
                    break  # this prefix, and hence all shorter ones, are already marked
                else:
                    nodes[prefix] = (node[0], node[1], True)
        self._nodes = nodes
        self._byte_ids: tuple[int | None, ...] = tuple(vocab.get(f"<0x{b:02X}>") for b in range(256))
        self._memo: dict[str, tuple[int, ...]] = {}

    def tokenize(self, word: str) -> list[int]:
        """Ids of ``word`` (one pre-tokenized piece); ``""`` gives ``[]``."""
        cached = self._memo.get(word)
        if cached is not None:
            return list(cached)
        if not word:
            return []
        ids = self._encode(word)
        if len(word) <= _MEMO_MAX_WORD:
            memo = self._memo
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[word] = tuple(ids)
        return ids

    def _encode(self, word: str) -> list[int]:
        size = len(word)
        nodes = self._nodes
        unk_id = self.unk_id
        unk_score = self._unk_score
        best_score = [0.0] * (size + 1)
        best_start = [-1] * (size + 1)
        best_id = [0] * (size + 1)
        for start in range(size):
            base = best_score[start]
            end = start + 1
            node = nodes.get(word[start])
            if node is not None and node[0] >= 0:
                candidate = node[1] + base
                if best_start[end] < 0 or candidate > best_score[end]:
                    best_score[end] = candidate
                    best_start[end] = start
                    best_id[end] = node[0]
            else:  # no one-character piece: an unknown node (its end differs from the others')
                candidate = unk_score + base
                if best_start[end] < 0 or candidate > best_score[end]:
                    if unk_id is None:
                        raise UnigramMissingUnkError(
                            f"Encountered an unknown token but `unk_id` is missing "
                            f"(character {word[start]!r} at index {start})")
                    best_score[end] = candidate
                    best_start[end] = start
                    best_id[end] = unk_id
            while node is not None and node[2] and end < size:
                end += 1
                node = nodes.get(word[start:end])
                if node is not None and node[0] >= 0:
                    candidate = node[1] + base
                    if best_start[end] < 0 or candidate > best_score[end]:
                        best_score[end] = candidate
                        best_start[end] = start
                        best_id[end] = node[0]

        # Backtrack; nodes carrying unk_id are fused into one string, looked up again.
        out: list[int] = []
        end = size
        run_end = -1
        while end > 0:
            start = best_start[end]
            token_id = best_id[end]
            if token_id == unk_id:
                if run_end < 0:
                    run_end = end
            else:
                if run_end >= 0:
                    self._emit_fused(word[end:run_end], out)
                    run_end = -1
                out.append(token_id)
            end = start
        if run_end >= 0:
            self._emit_fused(word[:run_end], out)
        out.reverse()
        return out

    def _emit_fused(self, text: str, out: list[int]) -> None:
        """Append (in reverse order, like ``out``) the ids of one fused unknown run."""
        token_id = self.vocab.get(text)
        if token_id is not None:
            out.append(token_id)
            return
        if self.byte_fallback:
            byte_ids = self._byte_ids
            ids = [byte_ids[b] for b in text.encode("utf-8")]
            if None not in ids:
                out.extend(reversed(ids))  # type: ignore[arg-type]
                return
        out.append(self.unk_id)  # type: ignore[arg-type]  # fused runs only exist with an unk_id


def _parse_vocab(raw: Any, path: str) -> list[tuple[str, float]]:
    if raw is None:
        raise TokenizerConfigError(f"{path} is missing")
    if not isinstance(raw, list):
        raise TokenizerConfigError(f"{path} must be a list of [piece, score] pairs")
    pieces: list[tuple[str, float]] = []
    append = pieces.append
    exact = _EXACT_SIGNIFICAND
    pow10 = _POW10
    for i, item in enumerate(raw):
        if type(item) is not list or len(item) != 2:
            raise TokenizerConfigError(f"{path}[{i}] must be a [piece, score] pair, got {item!r}")
        piece, score = item
        if type(piece) is not str:
            raise TokenizerConfigError(f"{path}[{i}][0] must be a string, got {piece!r}")
        if type(score) is float:
            text = repr(score)
            # Up to 15 digits without exponent: serde_json's reading is correctly rounded, i.e. ``score``.
            if len(text) > 16:
                integer, dot, fraction = text.partition(".")
                if dot and "e" not in fraction:
                    significand = int(integer + fraction)
                    if significand < 0:
                        significand = -significand
                    if significand > exact and len(fraction) <= 308:
                        # one rounding of the u64 significand, one IEEE division (see serde_json_f64)
                        value = float(significand) / pow10[len(fraction)]
                        score = -value if text[0] == "-" else value
                else:
                    score = _reference_score(score, f"{path}[{i}][1]")
            elif "e" in text or "n" in text:
                score = _reference_score(score, f"{path}[{i}][1]")
        else:
            score = _reference_score(score, f"{path}[{i}][1]")
        append((piece, score))
    try:
        "".join(piece for piece, _ in pieces).encode("utf-8")
    except UnicodeEncodeError as exc:
        text = exc.object[exc.start:exc.end]
        raise TokenizerConfigError(f"{path} contains a lone surrogate {text!r}, which the reference "
                                   "cannot read") from None
    return pieces


def build_model(spec: dict[str, Any], path: str = "model") -> Unigram:
    """Build a :class:`Unigram` from its ``tokenizer.json`` entry (``path`` names it in errors)."""
    kind = spec.get("type", "Unigram")
    if kind != "Unigram":
        raise TokenizerConfigError(f"{path}.type must be 'Unigram', got {kind!r}")
    if "vocab" not in spec:
        raise TokenizerConfigError(f"{path}.vocab is missing")
    pieces = _parse_vocab(spec["vocab"], f"{path}.vocab")
    unk_id = spec.get("unk_id")
    if unk_id is not None and (type(unk_id) is not int or unk_id < 0):
        raise TokenizerConfigError(f"{path}.unk_id must be a non-negative integer or null, got {unk_id!r}")
    byte_fallback = spec.get("byte_fallback", False)
    if type(byte_fallback) is not bool:
        raise TokenizerConfigError(f"{path}.byte_fallback must be a boolean, got {byte_fallback!r}")
    if unk_id is not None and not pieces:
        raise TokenizerConfigError(f"{path}.vocab is empty but at least <unk> is needed")
    if unk_id is not None and unk_id >= len(pieces):
        raise TokenizerConfigError(f"{path}.unk_id {unk_id} is larger than the vocabulary "
                                   f"({len(pieces)} pieces)")
    return Unigram(pieces, unk_id, byte_fallback)
