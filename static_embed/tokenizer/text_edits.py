"""Plain text edits used as normalizers: ``Replace``, ``Strip`` and ``Prepend``.

Each reproduces its ``tokenizers`` counterpart (``normalizers/replace.rs``,
``strip.rs``, ``prepend.rs``):

- ``Replace`` with ``{"String": s}`` replaces every non-overlapping occurrence of the
  literal ``s``; with ``{"Regex": r}`` every match of the Oniguruma pattern ``r``, which
  is translated to a stdlib ``re`` pattern by :func:`.unicode.translate_regex`. The
  reference walks matches with the ``onig`` crate's iterator, which differs from
  ``re.sub`` on empty matches: an empty match ending where the previous match ended is
  skipped (``x*`` on ``"abxd"`` gives ``-a-b-d-``, ``re.sub`` gives ``-a-b--d-``), and
  an empty input is never matched. Both rules are reproduced. ``content`` is literal
  (no group references).
- ``Strip`` removes leading and/or trailing Rust ``char::is_whitespace`` characters
  (``\\x1c``-``\\x1f`` are not whitespace there, ``\\x85`` is).
- ``Prepend`` adds its string in front of a non-empty text.

None of them is ``per_char``: their effect on a text is not the concatenation of
their effects on its whitespace-separated parts.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import TokenizerConfigError, UnsupportedFeatureError
from . import _unicode_data
from .normalizers import Normalizer

__all__ = ["Prepend", "Replace", "Strip", "build_normalizer", "onig_find_iter"]

_RUST_WHITESPACE = "".join(
    chr(cp) for start, end in _unicode_data.RUST_WHITESPACE_RANGES for cp in range(start, end + 1))


def onig_find_iter(regex: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """Match spans as the ``onig`` crate's ``find_iter`` yields them (as the reference walks them).

    After each accepted match the search resumes at its end; an empty match ending exactly
    where the previous accepted match ended is rejected and the search start moves on by
    one character. An empty ``text`` yields nothing (the reference's ``find_matches``
    short-cut).
    """
    if not text:
        return []
    spans: list[tuple[int, int]] = []
    size = len(text)
    last_end = 0
    last_match_end = -1
    search = regex.search
    while last_end <= size:
        match = search(text, last_end)
        if match is None:
            break
        start, end = match.span()
        if start == end and end == last_match_end:
            last_end += 1
            continue
        last_end = last_match_end = end
        spans.append((start, end))
    return spans


def _check_text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise TokenizerConfigError(f"{where} must be a string, got {value!r}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise TokenizerConfigError(f"{where} contains a lone surrogate, which the reference cannot read") from None
    return value


def _check_bool(spec: dict[str, Any], key: str, path: str) -> bool:
    if key not in spec:
        raise TokenizerConfigError(f"{path}.{key} is missing")
    value = spec[key]
    if type(value) is not bool:
        raise TokenizerConfigError(f"{path}.{key} must be a boolean, got {value!r}")
    return value


class Replace(Normalizer):
    """Replace every match of a literal string or of a regex with ``content``."""

    def __init__(self, *, content: str, string: str | None = None, regex: re.Pattern[str] | None = None,
                 source: str | None = None) -> None:
        if (string is None) == (regex is None):
            raise ValueError("give exactly one of string= and regex=")
        self.content = content
        self.string = string
        self.regex = regex
        self.source = source if source is not None else (string if string is not None else regex.pattern)  # type: ignore[union-attr]

    def normalize(self, text: str) -> str:
        if not text:
            return text
        if self.string is not None:
            # A literal has no empty matches, except the empty literal, which matches at every
            # character boundary: str.replace agrees with the reference on non-empty text.
            return text.replace(self.string, self.content)
        regex = self.regex
        assert regex is not None
        # Fast path: while no match is empty, re's iteration is the reference's.
        spans = []
        for match in regex.finditer(text):
            start, end = match.span()
            if start == end:
                spans = onig_find_iter(regex, text)
                break
            spans.append((start, end))
        if not spans:
            return text
        content = self.content
        out = []
        previous = 0
        for start, end in spans:
            out.append(text[previous:start])
            out.append(content)
            previous = end
        out.append(text[previous:])
        return "".join(out)

    def keeps_origin(self, text: str) -> bool:
        """Whether the first output character stays aligned to offset 0 of ``text`` (see Metaspace "first").

        The reference aligns inserted content to the *last* character of the match it replaces
        (or to offset 0 for an empty match at 0), and a deleted prefix shifts the first
        remaining character: a match at offset 0 moves the origin iff it is non-empty and
        either ``content`` is empty or the match spans more than one character.
        """
        if not text:
            return True
        if self.string is not None:
            if not self.string or not text.startswith(self.string):
                return True
            length = len(self.string)
        else:
            match = self.regex.search(text)  # type: ignore[union-attr]
            if match is None or match.start() != 0:
                return True
            length = match.end()
        return length == 0 or (length == 1 and bool(self.content))


class Strip(Normalizer):
    """Remove leading (``left``) and/or trailing (``right``) Rust whitespace."""

    def __init__(self, left: bool, right: bool) -> None:
        self.left = left
        self.right = right

    def normalize(self, text: str) -> str:
        if self.left:
            text = text.lstrip(_RUST_WHITESPACE)
        if self.right:
            text = text.rstrip(_RUST_WHITESPACE)
        return text

    def keeps_origin(self, text: str) -> bool:
        """False when leading whitespace is stripped (the first kept character is not at offset 0)."""
        return not (self.left and text[:1] in _RUST_WHITESPACE and text[:1] != "")


class Prepend(Normalizer):
    """Put ``prepend`` in front of a non-empty text."""

    def __init__(self, prepend: str) -> None:
        self.prepend = prepend

    def normalize(self, text: str) -> str:
        return self.prepend + text if text else text

    def keeps_origin(self, text: str) -> bool:
        """Always: the prepended characters are aligned to the first character."""
        return True


def _translate(pattern: str, where: str) -> re.Pattern[str]:
    try:
        from .unicode import translate_regex  # type: ignore[attr-defined]
    except ImportError:
        raise UnsupportedFeatureError(
            f"{where}: Oniguruma regex patterns cannot be translated yet (no unicode.translate_regex)") from None
    translated = translate_regex(pattern)
    if isinstance(translated, str):
        translated = re.compile(translated)
    if not isinstance(translated, re.Pattern):
        raise TypeError(f"translate_regex returned {type(translated).__name__}, expected str or re.Pattern")
    return translated


def _build_replace(spec: dict[str, Any], path: str) -> Replace:
    if "pattern" not in spec:
        raise TokenizerConfigError(f"{path}.pattern is missing")
    if "content" not in spec:
        raise TokenizerConfigError(f"{path}.content is missing")
    content = _check_text(spec["content"], f"{path}.content")
    pattern = spec["pattern"]
    if not isinstance(pattern, dict) or len(pattern) != 1:
        raise TokenizerConfigError(f'{path}.pattern must be {{"String": ...}} or {{"Regex": ...}}, got {pattern!r}')
    (kind, value), = pattern.items()
    where = f"{path}.pattern.{kind}"
    if kind == "String":
        return Replace(content=content, string=_check_text(value, where))
    if kind == "Regex":
        source = _check_text(value, where)
        return Replace(content=content, regex=_translate(source, where), source=source)
    raise TokenizerConfigError(f"{path}.pattern has unknown variant {kind!r}; expected 'String' or 'Regex'")


def build_normalizer(spec: dict[str, Any], path: str = "normalizer") -> Normalizer:
    """Build ``Replace``, ``Strip`` or ``Prepend`` from its ``tokenizer.json`` entry."""
    kind = spec.get("type")
    if kind == "Replace":
        return _build_replace(spec, path)
    if kind == "Strip":
        return Strip(_check_bool(spec, "strip_left", path), _check_bool(spec, "strip_right", path))
    if kind == "Prepend":
        if "prepend" not in spec:
            raise TokenizerConfigError(f"{path}.prepend is missing")
        return Prepend(_check_text(spec["prepend"], f"{path}.prepend"))
    raise TokenizerConfigError(f"{path}.type {kind!r} is not built by text_edits")
