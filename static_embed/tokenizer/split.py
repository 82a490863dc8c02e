"""The ``Split`` pre-tokenizer, and the match-and-split machinery the other splitters share.

A pattern cuts a piece of text into a list of spans covering it, each flagged as a
match or not; a *behavior* then decides what becomes of the matches:

==================  ======================================================================
Removed             matches are dropped, the rest kept
Isolated            every span is its own piece
MergedWithPrevious  a match is glued to the end of the piece before it
MergedWithNext      a match is glued to the start of the piece after it
Contiguous          runs of matches (and runs of non-matches) are merged
==================  ======================================================================

``invert`` swaps the flags first. Empty pieces are dropped at the end, as the reference does.

Regex patterns are Oniguruma regexes, translated into :mod:`re` syntax by
:func:`static_embed.tokenizer.unicode.translate_regex`, and their matches are
iterated by :func:`static_embed.tokenizer.unicode.find_matches`, which reproduces
the Rust ``onig`` crate's ``find_iter`` (it differs from :func:`re.finditer` only
around empty matches). A ``String`` pattern is a literal, as in the reference.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import TokenizerConfigError, UnsupportedFeatureError
from . import unicode
from .pre_tokenizers import PreTokenizer

__all__ = [
    "BEHAVIORS",
    "Split",
    "build_pre_tokenizer",
    "compile_onig_regex",
    "find_matches",
    "parse_behavior",
    "split_spans",
]

BEHAVIORS = ("Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous")

Span = tuple[int, int, bool]  # (start, end, is_match)


def compile_onig_regex(pattern: str, path: str) -> unicode.OnigRegex:
    """Compile an Oniguruma pattern from a ``tokenizer.json`` through the project's translator.

    The result holds a second, BMP-only compilation that ``re`` runs much faster on text
    without astral characters (most text); both are exact.
    """
    try:
        return unicode.compile_regex(pattern)
    except UnsupportedFeatureError as exc:
        raise UnsupportedFeatureError(f"{path}: {exc}") from None
    except re.error as exc:
        raise UnsupportedFeatureError(f"{path}: regex {pattern!r} cannot be reproduced ({exc})") from None


def find_matches(regex: re.Pattern[str] | unicode.OnigRegex, text: str) -> list[Span]:
    """Cover ``text`` with (start, end, is_match) spans in order, as the reference's ``find_matches``."""
    if not text:
        return [(0, 0, False)]
    spans: list[Span] = []
    previous = 0
    matches = regex.find_matches(text) if isinstance(regex, unicode.OnigRegex) else \
        unicode.find_matches(regex, text)
    for start, end in matches:
        if previous != start:
            spans.append((previous, start, False))
        spans.append((start, end, True))
        previous = end
    if previous != len(text):
        spans.append((previous, len(text), False))
    return spans


def split_spans(text: str, spans: list[Span], behavior: str) -> list[str]:
    """Apply ``behavior`` to the flagged spans and return the non-empty pieces."""
    if behavior == "Isolated":
        kept = [(start, end) for start, end, _ in spans]
    elif behavior == "Removed":
        kept = [(start, end) for start, end, is_match in spans if not is_match]
    elif behavior == "Contiguous":
        kept = []
        previous = False
        for start, end, is_match in spans:
            if is_match == previous and kept:
                kept[-1] = (kept[-1][0], end)
            else:
                kept.append((start, end))
            previous = is_match
    elif behavior == "MergedWithPrevious":
        kept = []
        previous = False
        for start, end, is_match in spans:
            if is_match and not previous and kept:
                kept[-1] = (kept[-1][0], end)
            else:
                kept.append((start, end))
            previous = is_match
    elif behavior == "MergedWithNext":
        kept = []
        previous = False
        for start, end, is_match in reversed(spans):
            if is_match and not previous and kept:
                kept[-1] = (start, kept[-1][1])
            else:
                kept.append((start, end))
            previous = is_match
        kept.reverse()
    else:  # pragma: no cover - parse_behavior rejects anything else
        raise ValueError(behavior)
    return [text[start:end] for start, end in kept if end > start]


def parse_behavior(spec: dict[str, Any], path: str, default: str | None = None) -> str:
    behavior = spec.get("behavior", default)
    if behavior not in BEHAVIORS:
        raise TokenizerConfigError(f"{path}.behavior must be one of {', '.join(BEHAVIORS)}; got {behavior!r}")
    return behavior  # type: ignore[return-value]


class Split(PreTokenizer):
    """Split on a literal string or an Oniguruma regex with one of the five behaviors."""

    def __init__(self, regex: re.Pattern[str] | unicode.OnigRegex, behavior: str, invert: bool = False) -> None:
        self.regex = regex
        self.behavior = behavior
        self.invert = invert
        # Pieces never join across whitespace and always drop it only for "Removed" on a pattern
        # whose matches are exactly whitespace runs; not worth detecting: keep the safe default.
        self.splits_on_whitespace = False

    def split(self, text: str) -> list[str]:
        spans = find_matches(self.regex, text)
        if self.invert:
            spans = [(start, end, not is_match) for start, end, is_match in spans]
        return split_spans(text, spans, self.behavior)


def build_pre_tokenizer(spec: dict[str, Any], path: str = "pre_tokenizer") -> Split:
    """Build ``Split`` from ``{"pattern": {"String"|"Regex": ...}, "behavior": ..., "invert": ...}``."""
    pattern = spec.get("pattern")
    if not isinstance(pattern, dict) or len(pattern) != 1:
        raise TokenizerConfigError(f"{path}.pattern must be {{\"String\": ...}} or {{\"Regex\": ...}}")
    (kind, value), = pattern.items()
    if kind not in ("String", "Regex") or not isinstance(value, str):
        raise TokenizerConfigError(f"{path}.pattern must be {{\"String\": str}} or {{\"Regex\": str}}, got {pattern!r}")
    behavior = parse_behavior(spec, path)
    invert = spec.get("invert")
    if not isinstance(invert, bool):
        raise TokenizerConfigError(f"{path}.invert must be a boolean, got {invert!r}")
    if kind == "String":
        regex = re.compile(re.escape(value))
    else:
        regex = compile_onig_regex(value, f"{path}.pattern.Regex")
    return Split(regex, behavior, invert)
