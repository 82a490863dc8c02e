"""The frozen Unicode tables against the live HF ``tokenizers`` library, over every code point.

Why: ``static_embed.tokenizer.unicode`` must classify characters exactly as the reference does,
whatever Unicode version this Python ships. Tests marked ``reference`` need ``tokenizers``;
the table-shape and regex tests run without it.
"""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from static_embed.tokenizer import _unicode_data as data
from static_embed.tokenizer import unicode as uni

CODE_POINTS = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]
CHARS = [chr(cp) for cp in CODE_POINTS]
RANGE_TABLES = (
    "BERT_CONTROL_RANGES",
    "BERT_WHITESPACE_RANGES",
    "BERT_PUNCTUATION_RANGES",
    "RUST_WHITESPACE_RANGES",
    "MN_RANGES",
)


def _fmt(cps: list[int]) -> str:
    return f"{len(cps)} code points, first: " + ", ".join(f"U+{cp:04X}" for cp in cps[:10])


def _members(ranges: tuple[tuple[int, int], ...]) -> set[int]:
    return {cp for start, end in ranges for cp in range(start, end + 1)}


@pytest.fixture(scope="module")
def tk() -> ModuleType:
    return pytest.importorskip("tokenizers")


def _hf_per_char(normalize: Callable[[str], str]) -> list[str]:
    """``normalize(ch)`` for every code point, in one call to the library.

    Why batching is sound: the normalizers measured here act char by char, and NFD's reordering
    cannot cross "0" (combining class 0). No output contains "0" either, so splitting on it must
    give back exactly one piece per input; that is checked, and "0" itself is done on its own.
    """
    sentinel = "0"
    others = [ch for ch in CHARS if ch != sentinel]
    pieces = normalize(sentinel.join(others)).split(sentinel)
    assert len(pieces) == len(others), "the sentinel trick does not hold for this normalizer"
    by_char = dict(zip(others, pieces))
    by_char[sentinel] = normalize(sentinel)
    return [by_char[ch] for ch in CHARS]


@pytest.fixture(scope="module")
def our_nfd() -> list[str]:
    """``uni.nfd`` of every code point on its own."""
    return list(map(uni.nfd, CHARS))


@pytest.fixture(scope="module")
def hf_nfd(tk: ModuleType) -> list[str]:
    """HF NFD of every code point on its own."""
    return _hf_per_char(tk.normalizers.NFD().normalize_str)


# ---------------------------------------------------------------------------------------------
# Reference parity (live tokenizers)


@pytest.mark.reference
def test_clean_text_classes_match_hf(tk: ModuleType) -> None:
    norm = tk.normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False
    )
    outputs = _hf_per_char(norm.normalize_str)
    odd = [cp for cp, ch, out in zip(CODE_POINTS, CHARS, outputs) if out not in ("", " ", ch)]
    assert not odd, _fmt(odd)
    controls = map(uni.is_bert_control, CHARS)
    spaces = map(uni.is_bert_whitespace, CHARS)
    bad_control = [cp for cp, out, got in zip(CODE_POINTS, outputs, controls) if got != (out == "")]
    bad_space = [cp for cp, out, got in zip(CODE_POINTS, outputs, spaces) if got != (out == " ")]
    assert not bad_control, _fmt(bad_control)
    assert not bad_space, _fmt(bad_space)


@pytest.mark.reference
def test_pre_tokenizer_classes_match_hf(tk: ModuleType) -> None:
    # Every code point sits between two "a"s (neither punctuation nor whitespace) in one long text:
    # char i is at offset 2i+1. A punctuation char comes back as its own piece, a delimiter is
    # covered by no piece, anything else is glued to its neighbours.
    text = "a" + "a".join(CHARS) + "a"
    pieces = tk.pre_tokenizers.BertPreTokenizer().pre_tokenize_str(text)
    covered = bytearray(len(text))
    punct: set[int] = set()
    for piece, (start, end) in pieces:
        assert text[start:end] == piece
        covered[start:end] = b"\x01" * (end - start)
        if end - start == 1 and start % 2 == 1:
            punct.add(ord(piece))
    assert all(covered[0::2]), "a separator was dropped: the batching trick is invalid"
    delimiters = {ord(text[i]) for i in range(1, len(text), 2) if not covered[i]}
    bad_punct = [cp for cp, ch in zip(CODE_POINTS, CHARS) if uni.is_bert_punctuation(ch) != (cp in punct)]
    bad_space = [cp for cp, ch in zip(CODE_POINTS, CHARS) if uni.is_rust_whitespace(ch) != (cp in delimiters)]
    assert not bad_punct, _fmt(bad_punct)
    assert not bad_space, _fmt(bad_space)


@pytest.mark.reference
def test_nfd_per_code_point_matches_hf(hf_nfd: list[str], our_nfd: list[str]) -> None:
    bad = [cp for cp, got, want in zip(CODE_POINTS, our_nfd, hf_nfd) if got != want]
    assert not bad, _fmt(bad)


@pytest.mark.reference
def test_nfd_of_all_code_points_in_one_text_matches_hf(tk: ModuleType) -> None:
    # Adjacent code points include long runs of combining marks, so this exercises reordering of
    # runs across character boundaries as well as the plain decomposition.
    text = "".join(CHARS)
    assert uni.nfd(text) == tk.normalizers.NFD().normalize_str(text)


@pytest.mark.reference
@pytest.mark.parametrize(
    "text",
    [
        "a\u0316\u0301",
        "a\u0301\u0316",
        "\u00e9\u0316",
        "\u1e0b\u0323",
        "\u01d8\u0334\u0345",
        "q\u0307\u0323\u031b\u0345\u0334",
        "\u0344\u0316",
        "\u0f73\u0f71\u0f72",
        "\ud55c\uad6d\uc5b4",
        "\uac01\u0301",
        "\u1100\u1161\u11a8",
        "\U00011938",
        "\U00011935\U00011930",
        "a\u07fd\u0301\u0316",
        "a\u0898\u0316",
        "a\u1dfa\u0301\u0316",
        "Cafe\u0301 H\u00e9ll\u00f2 \u039f\u0394\u039f\u03a3",
        "\u0301\u0316 leading marks",
        "",
        "plain ascii",
    ],
)
def test_nfd_strings_match_hf(tk: ModuleType, text: str) -> None:
    assert uni.nfd(text) == tk.normalizers.NFD().normalize_str(text)


@pytest.mark.reference
def test_nfd_reorders_every_mark_like_hf(tk: ModuleType) -> None:
    normalize = tk.normalizers.NFD().normalize_str
    # Every mark the tables know, plus marks whose class differs between HF and newer Unicode.
    marks = set(data.CANONICAL_COMBINING_CLASS) | _members(data.MN_RANGES)
    marks |= {0x07FD, 0x0C3C, 0x1ABF, 0x1DFA, 0x2D7F, *range(0x0898, 0x08A0), *range(0x08CA, 0x08D4)}
    references = ["\u0334", "\u093c", "\u05b0", "\u0316", "\u0301", "\u0345"]  # ccc 1, 7, 10, 220, 230, 240
    bad = []
    for cp in sorted(marks):
        m = chr(cp)
        for r in references:
            for text in ("a" + m + r, "a" + r + m, "\u00e0" + r + m + r):
                if uni.nfd(text) != normalize(text):
                    bad.append(cp)
    assert not bad, _fmt(sorted(set(bad)))


@pytest.mark.reference
def test_nfd_random_mark_sequences_match_hf(tk: ModuleType) -> None:
    normalize = tk.normalizers.NFD().normalize_str
    rng = random.Random(20240607)
    pool = [chr(cp) for cp in data.CANONICAL_COMBINING_CLASS]
    pool += [chr(cp) for cp in rng.sample(sorted(data.NFD_MAP), 300)]
    pool += [chr(rng.randrange(0xAC00, 0xD7A4)) for _ in range(50)]
    pool += list("aeiouAEIOU\u1100\u1161\u11a8 ")
    for _ in range(3000):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(1, 9)))
        assert uni.nfd(text) == normalize(text), ascii(text)


@pytest.mark.reference
def test_nonspacing_marks_match_hf_strip_accents(
    tk: ModuleType, hf_nfd: list[str], our_nfd: list[str]
) -> None:
    strip = tk.normalizers.BertNormalizer(
        clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False
    ).normalize_str
    outputs = _hf_per_char(strip)
    marks = list(map(uni.is_nonspacing_mark, CHARS))
    # The Mn predicate itself, where HF lets us observe it (code points that NFD leaves alone) ...
    bad_mark = [
        cp
        for cp, ch, decomposed, out, mark in zip(CODE_POINTS, CHARS, hf_nfd, outputs, marks)
        if decomposed == ch and mark != (out == "")
    ]
    # ... and strip_accents as the normalizers rebuild it: our NFD, then drop our marks.
    bad_strip = [
        cp
        for cp, ch, ours, out, mark in zip(CODE_POINTS, CHARS, our_nfd, outputs, marks)
        if out
        != (("" if mark else ch) if ours == ch else "".join(c for c in ours if not uni.is_nonspacing_mark(c)))
    ]
    assert not bad_mark, _fmt(bad_mark)
    assert not bad_strip, _fmt(bad_strip)


@pytest.mark.reference
def test_lowercase_matches_hf(tk: ModuleType) -> None:
    lower = tk.normalizers.BertNormalizer(
        clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=True
    ).normalize_str
    expected = _hf_per_char(lower)
    bad = [cp for cp, ch, want in zip(CODE_POINTS, CHARS, expected) if uni.lowercase_char(ch) != want]
    assert not bad, _fmt(bad)
    text = "".join(CHARS)
    assert uni.lowercase(text) == lower(text)
    assert uni.lowercase("\u039f\u0394\u039f\u03a3 \u0130") == lower("\u039f\u0394\u039f\u03a3 \u0130")


# ---------------------------------------------------------------------------------------------
# Shape of the generated data and of the accessor (no tokenizers needed)


@pytest.mark.parametrize("name", RANGE_TABLES)
def test_ranges_are_sorted_disjoint_and_surrogate_free(name: str) -> None:
    ranges = getattr(data, name)
    assert ranges, name
    previous_end = -2
    for start, end in ranges:
        assert previous_end + 1 < start <= end <= 0x10FFFF, (name, hex(start), hex(end))
        assert end < 0xD800 or start > 0xDFFF, (name, hex(start), hex(end))
        previous_end = end


def test_tables_are_consistent() -> None:
    assert set(data.UNICODE_DATA_SOURCE) == {"tokenizers", "generated", "python_unidata_version"}
    assert not any(0xAC00 <= cp <= 0xD7A3 for cp in data.NFD_MAP)
    assert all(0 < value < 256 for value in data.CANONICAL_COMBINING_CLASS.values())
    control, space = _members(data.BERT_CONTROL_RANGES), _members(data.BERT_WHITESPACE_RANGES)
    assert space == _members(data.RUST_WHITESPACE_RANGES) - control
    assert {0x00, 0x85, 0x1C, 0xAD, 0x200B, 0xFEFF, 0xFFFD, 0xE000} <= control
    assert 0x0378 not in control  # unassigned code points are kept


@pytest.mark.parametrize("name", RANGE_TABLES)
def test_char_class_pattern_matches_exactly_the_table(name: str) -> None:
    ranges = getattr(data, name)
    found = re.findall(f"[{uni.char_class_pattern(ranges)}]", "".join(CHARS))
    assert [ord(ch) for ch in found] == sorted(_members(ranges))


def test_char_class_pattern_escapes_class_syntax() -> None:
    specials = "]\\^-[" + "a"
    pattern = re.compile(f"[{uni.char_class_pattern([(ord(c), ord(c)) for c in specials])}]")
    assert [c for c in map(chr, range(0x80)) if pattern.fullmatch(c)] == sorted(specials)
    assert re.fullmatch(f"[{uni.char_class_pattern([(0x10000, 0x10FFFF)])}]+", "\U0001f600\U0010ffff")
    with pytest.raises(ValueError):
        uni.char_class_pattern([])
    with pytest.raises(ValueError):
        uni.char_class_pattern([(5, 4)])


def test_known_differences_from_newer_unicode() -> None:
    assert not uni.is_bert_control("\u0890")  # Cf since Unicode 14; HF keeps it
    assert not uni.is_nonspacing_mark("\u0898")  # Mn since Unicode 14; HF does not strip it
    assert not uni.is_bert_punctuation("\u2e43")  # Po since Unicode 10
    assert uni.nfd("\U00011938") == "\U00011938"  # decomposes since Unicode 13, not in HF
    assert uni.is_bert_punctuation("$") and not uni.is_bert_punctuation("\u00bd")
    assert (
        uni.is_bert_control("\x85") and not uni.is_bert_whitespace("\x85") and uni.is_rust_whitespace("\x85")
    )
    assert uni.combining_class("\u0301") == 230 and uni.combining_class("a") == 0
    assert uni.lowercase_char("\u0130") == "i\u0307"


def test_accessor_never_consults_unicodedata() -> None:
    source = Path(uni.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert "unicodedata" not in imported
