"""The ``Tokenizer``: one ``tokenizer.json``, the same ids as the ``tokenizers`` package.

Pipeline, as in the reference: raw added tokens are split out, the rest is
normalized, normalized added tokens are split out, the rest is pre-tokenized into
words, and the model turns each word into ids. Special tokens are never added
(the runner always encodes with ``add_special_tokens=False``); the file's
``truncation`` block is honoured and its ``padding`` ignored.

When the normalizer works character by character and the pre-tokenizer starts by
splitting on whitespace, the ids of a text are the concatenation of the ids of
its whitespace-separated raw words, so whole raw words are memoized: an exact
shortcut, not an approximation.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable
from itertools import chain
from typing import Any, NamedTuple

import numpy as np

from .._json import load_json_file, loads_strict
from ..errors import ModelFormatError, TokenizerConfigError, UnsupportedFeatureError
from . import _unicode_data, unicode
from .added_tokens import AddedToken, Piece, build_matchers, parse_added_tokens
from .models import Model, build_model
from .normalizers import Normalizer, build_normalizer, knows_origin
from .pre_tokenizers import PreTokenizer, build_pre_tokenizer

__all__ = ["Tokenizer", "Truncation", "VocabularyView", "check_text", "check_texts", "flat_ids"]

_WORD_CACHE_LIMIT = 1 << 17
MAX_TOKENIZER_JSON_BYTES = 512 * 1024 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")
#: every character ``str.split()`` cuts at (``str.isspace()``; tests/test_encoder.py checks it against the interpreter)
PYTHON_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200b))) + \
    "\u2028\u2029\u202f\u205f\u3000"


class Truncation(NamedTuple):
    """Keep ``max_length`` ids from the start (``direction="right"``) or the end (``"left"``)."""

    max_length: int
    direction: str = "right"

    def apply(self, ids: list[int]) -> list[int]:
        if len(ids) <= self.max_length:
            return ids
        if self.direction == "left":
            return ids[len(ids) - self.max_length:]
        return ids[: self.max_length]


def _parse_truncation(raw: Any) -> Truncation | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise TokenizerConfigError("truncation must be an object or null")
    max_length = raw.get("max_length")
    if type(max_length) is not int or max_length < 0:
        raise TokenizerConfigError(f"truncation.max_length must be a non-negative integer, got {max_length!r}")
    direction = raw.get("direction", "Right")
    if direction not in ("Right", "Left"):
        raise TokenizerConfigError(f"truncation.direction must be 'Right' or 'Left', got {direction!r}")
    return Truncation(max_length, direction.lower())


def flat_ids(id_lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Id lists as one concatenated array plus each list's length (the encoder's batch form)."""
    lengths = np.fromiter(map(len, id_lists), dtype=np.intp, count=len(id_lists))
    return np.fromiter(chain.from_iterable(id_lists), dtype=np.intp, count=int(lengths.sum())), lengths


class _Memo(dict):  # type: ignore[type-arg]
    """Word (or piece) -> its ids; a missing one is tokenized by the look-up itself (``__missing__``), so
    ``map(cache.__getitem__, words)`` runs without a Python-level loop when every word is known.

    Bounded: cleared when it reaches ``limit`` entries (clearing changes no id).
    """

    __slots__ = ("_tokenize", "_limit")

    def __init__(self, tokenize: Callable[[str], tuple[int, ...]], limit: int) -> None:
        super().__init__()
        self._tokenize = tokenize
        self._limit = limit

    def __missing__(self, word: str) -> tuple[int, ...]:
        ids = self._tokenize(word)
        if len(self) >= self._limit:
            self.clear()
        self[word] = ids
        return ids


def _assign_added_ids(tokens: list[AddedToken], vocab: dict[str, int]) -> list[AddedToken]:
    """Ids as the reference assigns them: the ids written in the file are ignored.

    A token already in the model's vocabulary takes that id; a new one takes the
    next id after the vocabulary; a repeated content reuses its id and its last options win.
    """
    by_id: dict[int, AddedToken] = {}
    content_ids: dict[str, int] = {}
    next_id = len(vocab)
    for token in tokens:
        token_id = content_ids.get(token.content, vocab.get(token.content))
        if token_id is None:
            token_id, next_id = next_id, next_id + 1
        content_ids[token.content] = token_id
        by_id[token_id] = token._replace(id=token_id)
    return list(by_id.values())


def _first_sensitive_leads(pre_tokenizer: PreTokenizer | None) -> bool:
    """True unless a first-sensitive pre-tokenizer runs after another one in a Sequence."""
    parts = getattr(pre_tokenizer, "pre_tokenizers", None)
    if parts is None:
        return True
    return not any(p.first_sensitive for p in parts[1:]) and _first_sensitive_leads(parts[0] if parts else None)


def check_text(text: object, where: str) -> str:
    """Return ``text`` if it is a str the pipeline can take; raise a typed error naming ``where``."""
    if type(text) is not str:
        if isinstance(text, str):
            return str(text)
        raise TypeError(f"{where} must be str, got {type(text).__name__}")
    if not text.isascii():
        match = _SURROGATE.search(text)
        if match:
            # the reference raises TypeError here too ("TextInputSequence must be str")
            raise TypeError(f"{where} contains a lone surrogate {match.group()!r} at index {match.start()}; "
                            "it cannot be encoded as UTF-8")
    return text


def check_texts(texts: object) -> list[str]:
    """``texts`` as a list of checked str; a bare str or a non-str item raises ``TypeError`` naming it."""
    if isinstance(texts, str):
        raise TypeError("encode_batch expects a list of str, got a single str")
    checked = texts if type(texts) is list else list(texts)  # type: ignore[call-overload]
    surrogate = _SURROGATE.search
    for i, text in enumerate(checked):
        if type(text) is not str or (not text.isascii() and surrogate(text)):
            if checked is texts:
                checked = list(checked)  # never modify the caller's list
            checked[i] = check_text(text, f"texts[{i}]")
    return checked


class VocabularyView:
    """Vocabulary look-ups shared by both backends; subclasses fill ``_vocab`` (token -> id, added tokens included)."""

    _vocab: dict[str, int]

    def get_vocab(self) -> dict[str, int]:
        """Token string to id, added tokens included (like ``tokenizers``' ``get_vocab()``)."""
        return dict(self._vocab)

    @property
    def vocab_size(self) -> int:
        """One more than the largest id this tokenizer can produce."""
        return max(self._vocab.values()) + 1

    def token_to_id(self, token: str) -> int | None:
        return self._vocab.get(token)


class Tokenizer(VocabularyView):
    """A tokenizer built from a ``tokenizer.json``; safe to share between threads.

    ``backend`` is ``"lite"`` (this pure-Python implementation); see
    :mod:`static_embed.tokenizer.rust_backend` for the optional ``tokenizers`` one.

    >>> tok = Tokenizer.from_file("tokenizer.json")  # doctest: +SKIP
    >>> tok.encode("Hello world")  # doctest: +SKIP
    [6595, 1091]
    """

    backend = "lite"

    def __init__(self, *, model: Model, normalizer: Normalizer | None, pre_tokenizer: PreTokenizer | None,
                 added_tokens: list[AddedToken] | None = None, truncation: Truncation | None = None,
                 source: str = "<tokenizer.json>") -> None:
        self.model = model
        self.normalizer = normalizer
        self.pre_tokenizer = pre_tokenizer
        self.added_tokens = _assign_added_ids(list(added_tokens or []), model.vocab)
        self.truncation = truncation
        self.source = source
        # Metaspace(prepend_scheme="first") must know which piece starts the original text
        self._first_sensitive = bool(pre_tokenizer is not None and pre_tokenizer.first_sensitive)
        if self._first_sensitive and not knows_origin(normalizer):
            raise UnsupportedFeatureError(
                f"prepend_scheme 'first' after normalizer {type(normalizer).__name__} is not supported")
        if self._first_sensitive and normalizer is not None and not _first_sensitive_leads(pre_tokenizer):
            # which word starts the text then depends on the reference's offset alignments
            raise UnsupportedFeatureError("Metaspace(prepend_scheme='first') after another pre-tokenizer "
                                          "and a normalizer is not supported")
        self._raw_matcher, self._normalized_matcher = build_matchers(
            self.added_tokens, normalizer.normalize if normalizer else None)
        self._word_split = self._safe_word_splitter()
        self._split_blockers = self._str_split_blockers()
        self._split_blocker_chars = "".join(c for c in PYTHON_SPACE if self._split_blockers and
                                            self._split_blockers.match(c))
        self._space_normalizes_to_space = normalizer is None or normalizer.normalize(" ") == " "
        self._word_cache = _Memo(self._word_ids, _WORD_CACHE_LIMIT)  # raw whitespace-separated word
        self._piece_cache = _Memo(self._piece_ids, _WORD_CACHE_LIMIT)  # pre-tokenized piece -> ids
        # shared (read-only) unless an added token lies outside it (one inside keeps its id there)
        self._vocab = model.vocab
        if any(token.content not in model.vocab for token in self.added_tokens):
            self._vocab = {**model.vocab, **{token.content: token.id for token in self.added_tokens}}

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Tokenizer:
        """Load a ``tokenizer.json``; malformed or unsupported content raises ``ModelFormatError``."""
        path = os.fspath(path)
        spec = load_json_file(path, max_bytes=MAX_TOKENIZER_JSON_BYTES, error=TokenizerConfigError)
        return cls._from_spec(spec, source=path)

    @classmethod
    def from_str(cls, json_text: str) -> Tokenizer:
        """Build from the text of a ``tokenizer.json``."""
        if not isinstance(json_text, (str, bytes)):
            raise TypeError(f"json_text must be str, got {type(json_text).__name__}")
        return cls._from_spec(loads_strict(json_text, source="<tokenizer.json>", error=TokenizerConfigError),
                              source="<tokenizer.json>")

    @classmethod
    def from_spec(cls, spec: Any, *, source: str) -> Tokenizer:
        """Build from an already parsed ``tokenizer.json`` (``source`` names it in errors)."""
        return cls._from_spec(spec, source=source)

    @classmethod
    def _from_spec(cls, spec: Any, *, source: str) -> Tokenizer:
        if not isinstance(spec, dict):
            raise TokenizerConfigError(f"{source}: top level must be a JSON object")
        try:
            if "model" not in spec:
                raise TokenizerConfigError("model is missing")
            model = build_model(spec["model"])
            normalizer = build_normalizer(spec.get("normalizer"))
            return cls(
                model=model,
                normalizer=normalizer,
                pre_tokenizer=build_pre_tokenizer(spec.get("pre_tokenizer")),
                added_tokens=parse_added_tokens(spec.get("added_tokens")),
                truncation=_parse_truncation(spec.get("truncation")),
                source=source,
            )
        except ModelFormatError as exc:
            if str(exc).startswith(source):
                raise
            raise type(exc)(f"{source}: {exc}") from None

    def with_truncation(self, max_length: int | None) -> Tokenizer:
        """A tokenizer sharing this one's tables, keeping the first ``max_length`` ids (None: keep all)."""
        clone = copy.copy(self)
        clone.truncation = None if max_length is None else Truncation(max_length)
        return clone

    def _safe_word_splitter(self) -> re.Pattern[str] | None:
        """Whitespace characters the raw text may be cut at before normalizing, or None if no exact cut exists."""
        if self.pre_tokenizer is None or not self.pre_tokenizer.splits_on_whitespace:
            return None
        if self._first_sensitive:
            return None
        if self._normalized_matcher:
            return None
        if self.normalizer is not None and not self.normalizer.per_char:
            return None
        safe = []
        for start, end in _unicode_data.RUST_WHITESPACE_RANGES:
            for cp in range(start, end + 1):
                char = chr(cp)
                out = self.normalizer.normalize(char) if self.normalizer else char
                if out and all(unicode.is_rust_whitespace(c) for c in out):
                    safe.append((cp, cp))
        if not safe:
            return None
        return re.compile(f"[{unicode.char_class_pattern(tuple(safe))}]+")

    def _str_split_blockers(self) -> re.Pattern[str] | None:
        """Characters that ``str.split()`` cuts at but the safe splitter does not.

        A text holding none of them splits exactly the same with the (much faster)
        ``str.split()``; None when there is no safe splitter.
        """
        if self._word_split is None:
            return None
        blockers = [(ord(c), ord(c)) for c in PYTHON_SPACE if not self._word_split.fullmatch(c)]
        if not blockers:
            return re.compile("(?!)")  # matches nothing
        return re.compile(f"[{unicode.char_class_pattern(tuple(blockers))}]")

    # -- vocabulary ---------------------------------------------------------------------------

    @property
    def unk_id(self) -> int | None:
        """The model's unknown-token id (what model2vec drops), or None."""
        return self.model.unk_id

    # -- encoding -----------------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        """Ids of ``text`` without special tokens, truncated as the file says."""
        return self._encode_checked(check_text(text, "text"))

    def encode_checked(self, text: str) -> list[int]:
        """``encode`` for a text that already passed :func:`check_text` (the encoder's single-text path)."""
        return self._encode_checked(text)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        """``encode`` for each text; a non-str item raises ``TypeError`` naming its index."""
        return self.encode_checked_batch(check_texts(texts))

    def encode_checked_batch(self, texts: list[str]) -> list[list[int]]:
        """``encode_batch`` for texts that already passed :func:`check_texts` (the encoder's hot path)."""
        encode = self._encode_checked
        return [encode(text) for text in texts]

    def encode_checked_flat(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``flat_ids(encode_checked_batch(texts))`` without the per-text lists (the encoder's hot path).

        When every text takes the common path (whitespace-separated words, no added token, nothing
        to truncate) the ids of all words of the batch are concatenated in one pass.
        """
        if self._word_split is None or "\n" in self._split_blocker_chars:
            return flat_ids(self.encode_checked_batch(texts))
        # one scan of the joined batch rules out added tokens and characters str.split() cuts differently;
        # a match (even one made by the joining newline) only sends the batch down the general path
        joined = "\n".join(texts)
        if any(char in joined for char in self._split_blocker_chars) or self._raw_matcher.occurs_in(joined):
            return flat_ids(self.encode_checked_batch(texts))
        words_per_text = [text.split() for text in texts]
        words = list(chain.from_iterable(words_per_text))
        word_ids = list(map(self._word_cache.get, words))
        if None in word_ids:
            self._learn_words(list(dict.fromkeys(w for w, ids in zip(words, word_ids) if ids is None)))
            word_ids = list(map(self._word_cache.__getitem__, words))
        ids_per_word = np.fromiter(map(len, word_ids), dtype=np.intp, count=len(word_ids))
        flat = np.fromiter(chain.from_iterable(word_ids), dtype=np.intp, count=int(ids_per_word.sum()))
        word_ends = np.cumsum(np.fromiter(map(len, words_per_text), dtype=np.intp, count=len(texts)))
        id_ends = np.concatenate(([0], np.cumsum(ids_per_word)))[word_ends]
        lengths = np.diff(id_ends, prepend=0)
        if self.truncation is not None and len(lengths) and lengths.max() > self.truncation.max_length:
            return flat_ids(self.encode_checked_batch(texts))  # rare: cut each text as the reference does
        return flat, lengths

    def _encode_checked(self, text: str) -> list[int]:
        if self._word_split is not None and self._split_blockers.search(text) is None \
                and not self._raw_matcher.occurs_in(text):  # type: ignore[union-attr]
            # the common case: whitespace-separated words, each looked up (or tokenized) once
            ids = list(chain.from_iterable(map(self._word_cache.__getitem__, text.split())))
        else:
            ids = []
            for index, piece in enumerate(self._raw_matcher.split(text)):
                if type(piece) is int:
                    ids.append(piece)
                elif self._word_split is not None:
                    self._encode_words(piece, ids)
                else:
                    self._encode_segment(piece, ids, index == 0)
        return self.truncation.apply(ids) if self.truncation is not None else ids

    def _encode_words(self, segment: str, ids: list[int]) -> None:
        if self._split_blockers.search(segment) is None:  # type: ignore[union-attr]
            words = segment.split()
        else:
            words = self._word_split.split(segment)  # type: ignore[union-attr]
        ids.extend(chain.from_iterable(map(self._word_cache.__getitem__, words)))

    def _learn_words(self, words: list[str]) -> None:
        """Put the ids of new raw words in the word cache, normalizing the ASCII ones in one call.

        A per-character normalizer maps ``" ".join(words)`` to the join of each word's normal form
        whenever it keeps a space a space; the split is trusted only if it gives back one part per
        word (no normal form contains a space), else each word is normalized alone.
        """
        cache = self._word_cache
        if len(cache) + len(words) > _WORD_CACHE_LIMIT:
            cache.clear()
            words = words[:_WORD_CACHE_LIMIT]
        normalizer = self.normalizer
        normalized: list[str] | None = None if normalizer is not None else words
        if normalizer is not None and self._space_normalizes_to_space:
            # the ASCII words in one call (normalizers have a fast path for all-ASCII text), others alone
            ascii_words = [word for word in words if word.isascii()]
            ascii_forms = normalizer.normalize(" ".join(ascii_words)).split(" ") if ascii_words else []
            if ascii_words and len(ascii_forms) == len(ascii_words):
                next_form = iter(ascii_forms).__next__
                normalized = [next_form() if word.isascii() else normalizer.normalize(word) for word in words]
        if normalized is None:
            normalized = list(map(normalizer.normalize, words))  # type: ignore[union-attr]
        pre_tokenizer = self.pre_tokenizer
        split, whole = pre_tokenizer.split, pre_tokenizer.keeps_ascii_alnum_whole  # type: ignore[union-attr]
        piece_ids = self._piece_cache.__getitem__
        for word, form in zip(words, normalized):
            if whole and form.isascii() and form.isalnum():
                cache[word] = piece_ids(form)
            else:
                cache[word] = tuple(chain.from_iterable(map(piece_ids, split(form)))) if form else ()

    def _word_ids(self, word: str) -> tuple[int, ...]:
        """Ids of one raw word (the word cache's ``__missing__``).

        Words are only cached when ``_word_split`` is set: then no added token is matched after
        normalizing and no pre-tokenizer depends on where the text starts, so a word is simply
        normalized, pre-tokenized and each piece looked up.
        """
        normalized = self.normalizer.normalize(word) if self.normalizer is not None else word
        if not normalized:
            return ()
        pieces = self.pre_tokenizer.split(normalized)  # type: ignore[union-attr]
        return tuple(chain.from_iterable(map(self._piece_cache.__getitem__, pieces)))

    def _piece_ids(self, piece: str) -> tuple[int, ...]:
        """Ids of one pre-tokenized piece (the piece cache's ``__missing__``)."""
        return tuple(self.model.tokenize(piece))

    def _encode_segment(self, segment: str, ids: list[int], at_origin: bool = False) -> None:
        """``at_origin``: ``segment`` starts at offset 0 of the original text."""
        normalized = self.normalizer.normalize(segment) if self.normalizer else segment
        pieces: list[Piece] = self._normalized_matcher.split(normalized) if self._normalized_matcher \
            else ([normalized] if normalized else [])
        first = at_origin and self._first_sensitive and (
            self.normalizer is None or self.normalizer.keeps_origin(segment))
        for index, piece in enumerate(pieces):
            if type(piece) is int:
                ids.append(piece)
                continue
            if self._first_sensitive:
                words = self.pre_tokenizer.split(piece, first_piece=first and index == 0)  # type: ignore
            else:
                words = self.pre_tokenizer.split(piece) if self.pre_tokenizer else [piece]
            ids.extend(chain.from_iterable(map(self._piece_cache.__getitem__, words)))
