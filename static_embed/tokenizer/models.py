"""Tokenizer models: turn one pre-tokenized word into ids.

Each model validates its ``tokenizer.json`` entry at load, so a broken file fails
when it is opened rather than at the first unusual word (the reference only
notices a missing unknown token when it first needs it).
"""

from __future__ import annotations

from typing import Any

from ..errors import TokenizerConfigError
from ._registry import build_external

#: model types built by their own modules: type -> module defining ``build_model(spec, path)``
EXTERNAL_MODELS = {"Unigram": "unigram", "BPE": "bpe", "WordLevel": "wordlevel"}

__all__ = ["Model", "WordPiece", "build_model"]

#: pieces a WordPiece model tokenizes with its vocabulary-wide length bound before building per-character ones
_PIECES_BEFORE_BOUNDS = 512


class Model:
    """Base class: ``tokenize(word) -> ids``; ``vocab`` maps token strings to ids."""

    vocab: dict[str, int]
    unk_id: int | None

    def tokenize(self, word: str) -> list[int]:
        raise NotImplementedError


def _longest_by_first_char(pieces: Any) -> dict[str, int]:
    """First character -> length of the longest piece starting with it (later, longer pieces overwrite)."""
    return {piece[0]: len(piece) for piece in sorted(filter(None, pieces), key=len)}


class WordPiece(Model):
    """Greedy longest-match-first; a word with any unmatched position becomes one unknown token."""

    def __init__(self, vocab: dict[str, int], *, unk_token: str, continuing_subword_prefix: str = "##",
                 max_input_chars_per_word: int = 100) -> None:
        self.vocab = vocab
        self.unk_token = unk_token
        self.unk_id = vocab[unk_token]
        self.prefix = continuing_subword_prefix
        self.max_input_chars_per_word = max_input_chars_per_word
        # Candidates longer than the longest piece starting with their first character cannot match,
        # so they are never looked up. Those per-character bounds take ~10 ms to build for a 30k
        # vocabulary, so the first pieces use one vocabulary-wide bound (the same ids, more look-ups)
        # and the per-character ones are built once enough pieces have been tokenized to repay them.
        # _bounds: (first character -> bound at a word's start, at a continuation; bound for a character
        # in neither map): no maps and the vocabulary-wide bound until then, one tuple swapped in after.
        self._bounds: tuple[dict[str, int], dict[str, int], int] = ({}, {}, max(map(len, vocab), default=0))
        self._pieces_before_bounds = _PIECES_BEFORE_BOUNDS  # 0 once they are built

    def _build_bounds(self) -> tuple[dict[str, int], dict[str, int], int]:
        prefix, prefix_len = self.prefix, len(self.prefix)
        if prefix_len:
            bodies = [token[prefix_len:] for token in self.vocab
                      if len(token) > prefix_len and token.startswith(prefix)]
        else:
            bodies = list(self.vocab)
        return _longest_by_first_char(self.vocab), _longest_by_first_char(bodies), 0

    def tokenize(self, word: str) -> list[int]:
        length = len(word)
        if length > self.max_input_chars_per_word:
            return [self.unk_id]
        if self._pieces_before_bounds:
            self._pieces_before_bounds -= 1
            if not self._pieces_before_bounds:
                self._bounds = self._build_bounds()
        initial, continuation, otherwise = self._bounds
        vocab = self.vocab
        ids: list[int] = []
        start = 0
        while start < length:
            longest = (initial if start == 0 else continuation).get(word[start], otherwise)
            end = min(length, start + longest)
            found = None
            while end > start:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                found = vocab.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return [self.unk_id]
            ids.append(found)
            start = end
        return ids


def _vocab_dict(raw: Any, path: str) -> dict[str, int]:
    if not isinstance(raw, dict) or not raw:
        raise TokenizerConfigError(f"{path} must be a non-empty object mapping tokens to ids")
    ids = raw.values()
    if set(map(type, ids)) != {int} or min(ids) < 0:  # one C-level pass each; find the culprit only on failure
        for token, index in raw.items():
            if type(index) is not int or index < 0:
                raise TokenizerConfigError(f"{path}[{token!r}] must be a non-negative integer id, got {index!r}")
    return raw


def _string(spec: dict[str, Any], key: str, path: str, default: Any = ...) -> str:
    value = spec.get(key, default)
    if value is ...:
        raise TokenizerConfigError(f"{path}.{key} is missing")
    if not isinstance(value, str):
        raise TokenizerConfigError(f"{path}.{key} must be a string, got {value!r}")
    return value


def build_model(spec: Any, path: str = "model") -> Model:
    """Build the model from its ``tokenizer.json`` entry; ``path`` names it in errors."""
    if not isinstance(spec, dict):
        raise TokenizerConfigError(f"{path} must be an object, got {type(spec).__name__}")
    kind = spec.get("type")
    if kind is None:  # old files omit the tag; serde tries each variant in turn
        if isinstance(spec.get("vocab"), list):
            kind = "Unigram"
        elif "merges" in spec:
            kind = "BPE"
        elif "continuing_subword_prefix" in spec:
            kind = "WordPiece"
        elif isinstance(spec.get("vocab"), dict):
            kind = "WordLevel"
    if kind == "WordPiece":
        vocab = _vocab_dict(spec.get("vocab"), f"{path}.vocab")
        unk_token = _string(spec, "unk_token", path)
        if unk_token not in vocab:
            raise TokenizerConfigError(f"{path}.unk_token {unk_token!r} is not in the vocabulary")
        limit = spec.get("max_input_chars_per_word", 100)
        if type(limit) is not int or limit < 0:
            raise TokenizerConfigError(f"{path}.max_input_chars_per_word must be a non-negative integer")
        return WordPiece(vocab, unk_token=unk_token,
                         continuing_subword_prefix=_string(spec, "continuing_subword_prefix", path, "##"),
                         max_input_chars_per_word=limit)
    if not isinstance(kind, str):
        raise TokenizerConfigError(f"{path}.type is missing or not a string")
    return build_external(EXTERNAL_MODELS, "build_model", kind, spec, path)
