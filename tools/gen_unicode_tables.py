"""Generate the frozen Unicode tables of ``static_embed.tokenizer`` from the real reference libraries.

Why: the Rust ``tokenizers`` package classifies characters with crates pinned to their own Unicode
versions, while Python's ``unicodedata`` follows the interpreter's (version-dependent) Unicode. The
pure-Python tokenizer must reproduce the reference id for id on every CPython, so the reference's
observable behaviour is frozen here as data, once, and committed.

Run (needs ``tokenizers``, and ``regex`` for the grapheme cross-check; the project pins both in a
venv)::

    python tools/gen_unicode_tables.py --only unicode      # _unicode_data.py, _unicode_maps.py (~10 min)
    python tools/gen_unicode_tables.py --only graphemes --segmentation-tables tables.rs

``_unicode_data.py`` (with ``_unicode_maps.py``, see ``LAZY_TABLES``) holds what HF does, measured
through its public Python API over every code point: BERT classes, NFD/NFKD per code point,
composition pairs (a decomposable code point that NFC leaves alone is a primary composite),
StripAccents' combining marks, and the Oniguruma classes its Replace/Split regexes see (general
categories, ``\\s \\w \\d``, property names, ASCII case folding). Per-character tables are measured
one call per code point; regex classes in one call over all code points (each pattern matches one
character without context) with every range boundary re-measured alone. Afterwards the runtime built
on the new tables is compared with HF again: NFC, NFKC, NFKD and NFD on every code point and on
200,000 pair/triple samples, every frozen property translated to ``re`` over every code point.

``_grapheme_data.py`` cannot be measured through ``tokenizers`` (it exposes no segmentation), so it
is read from the data tables of the Rust crate ``unicode-segmentation`` that the tokenizers wheel
links (its version is read from the extension binary): pass that crate's ``src/tables.rs`` (for
1.13.x: ``git show v1.13.2:src/tables.rs`` in github.com/unicode-rs/unicode-segmentation; 1.13.3
changed no table). The result is checked against the ``regex`` package's ``\\X`` on 300,000
random strings, away from the code points whose properties differ in regex's Unicode version.

``unicodedata`` is used only (a) to seed the canonical combining classes, which the library does not
expose and which are then re-derived from HF's NFD reordering, and (b) to print how far HF differs
from this interpreter's Unicode tables.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import importlib
import itertools
import random
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

import tokenizers
from tokenizers import normalizers, pre_tokenizers

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "static_embed" / "tokenizer" / "_unicode_data.py"
#: the large maps, written beside ``_unicode_data.py`` and imported by it on first use
DEFAULT_MAPS_OUTPUT = REPO_ROOT / "static_embed" / "tokenizer" / "_unicode_maps.py"
DEFAULT_GRAPHEME_OUTPUT = REPO_ROOT / "static_embed" / "tokenizer" / "_grapheme_data.py"

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
SURROGATE_FIRST, SURROGATE_LAST = 0xD800, 0xDFFF
# References for the combining-class probes: U+0334 (ccc 1, the lowest non-zero class) and
# U+0345 (ccc 240, the highest). A mark m has ccc > 0 iff NFD reorders it against one of them.
REF_LOW = "\u0334"
REF_HIGH = "\u0345"
BASE = "a"

CodePoints = list[int]
Ranges = list[tuple[int, int]]


def all_code_points() -> CodePoints:
    """Every code point a Python str passed to Rust can hold (no surrogates)."""
    return [cp for cp in range(0x110000) if not SURROGATE_FIRST <= cp <= SURROGATE_LAST]


def to_ranges(cps: Iterable[int]) -> Ranges:
    """Collapse code points into sorted inclusive (start, end) ranges."""
    out: Ranges = []
    for cp in sorted(set(cps)):
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def hangul_nfd(cp: int) -> str:
    """Unicode's algorithmic decomposition of a precomposed Hangul syllable (UAX #15, 3.12)."""
    s = cp - HANGUL_FIRST
    lead = chr(0x1100 + s // 588)
    vowel = chr(0x1161 + (s % 588) // 28)
    trail = s % 28
    return lead + vowel + (chr(0x11A7 + trail) if trail else "")


def per_char(fn: Callable[[str], str], cps: CodePoints) -> dict[int, str]:
    """Apply ``fn`` to each code point alone; return only the ones it changes."""
    changed: dict[int, str] = {}
    for cp in cps:
        ch = chr(cp)
        out = fn(ch)
        if out != ch:
            changed[cp] = out
    return changed


# --------------------------------------------------------------------------------------------------
# Measurements


def measure_clean_text(cps: CodePoints) -> tuple[set[int], set[int]]:
    """BertNormalizer clean_text alone: which code points are removed, which become ' '."""
    norm = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False
    )
    changed = per_char(norm.normalize_str, cps)
    control = {cp for cp, out in changed.items() if out == ""}
    whitespace = {cp for cp, out in changed.items() if out == " "}
    other = {cp: out for cp, out in changed.items() if out not in ("", " ")}
    assert not other, f"clean_text changed code points in an unexpected way: {sorted(other.items())[:10]}"
    # U+0020 maps to itself, so it is not "changed"; it is whitespace all the same.
    assert norm.normalize_str(" ") == " "
    whitespace.add(0x20)
    return control, whitespace


def measure_pre_tokenizer(cps: CodePoints) -> tuple[set[int], set[int]]:
    """BertPreTokenizer on ``a<ch>a``: which chars are isolated, which are removed as delimiters."""
    pre = pre_tokenizers.BertPreTokenizer()
    punct: set[int] = set()
    space: set[int] = set()
    for cp in cps:
        ch = chr(cp)
        pieces = [p for p, _ in pre.pre_tokenize_str(BASE + ch + BASE)]
        if pieces == [BASE + ch + BASE]:
            continue
        if pieces == [BASE, ch, BASE]:
            punct.add(cp)
        elif pieces == [BASE, BASE]:
            space.add(cp)
        else:  # pragma: no cover - would mean the model of the pre-tokenizer is wrong
            raise AssertionError(f"U+{cp:04X}: unexpected pre-tokenization {pieces!r}")
    # Cross-check the delimiter set a second way: alone, a delimiter yields no piece at all,
    # and between two punctuation chars it still disappears.
    for cp in space:
        assert pre.pre_tokenize_str(chr(cp)) == [], f"U+{cp:04X}"
        assert [p for p, _ in pre.pre_tokenize_str("." + chr(cp) + ".")] == [".", "."], f"U+{cp:04X}"
    assert not punct & space
    return punct, space


def measure_nfd(cps: CodePoints) -> dict[int, str]:
    """HF NFD of every code point alone; Hangul syllables are checked against the algorithm."""
    nfd = normalizers.NFD()
    changed = per_char(nfd.normalize_str, cps)
    hangul = {cp: changed.pop(cp, chr(cp)) for cp in range(HANGUL_FIRST, HANGUL_LAST + 1)}
    bad = [cp for cp, out in hangul.items() if out != hangul_nfd(cp)]
    assert not bad, f"Hangul NFD differs from the algorithm at {[f'U+{cp:04X}' for cp in bad[:10]]}"
    assert len(hangul) == 11172
    # A full decomposition is stable: NFD of the output, char by char, is the output itself.
    for cp, out in changed.items():
        for c in out:
            assert nfd.normalize_str(c) == c, f"U+{cp:04X} decomposes to non-NFD {c!r}"
    return changed


def measure_mn(cps: CodePoints, nfd_map: dict[int, str]) -> set[int]:
    """Nonspacing marks as HF's strip_accents sees them (only NFD-stable code points)."""
    strip = normalizers.BertNormalizer(
        clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False
    )
    removed = {cp for cp in cps if strip.normalize_str(chr(cp)) == ""}
    mn = {cp for cp in removed if cp not in nfd_map and not HANGUL_FIRST <= cp <= HANGUL_LAST}
    # strip_accents(ch) == NFD(ch) with the marks dropped, for every code point.
    nfd = normalizers.NFD()
    for cp in cps:
        ch = chr(cp)
        expected = "".join(c for c in nfd.normalize_str(ch) if ord(c) not in mn)
        got = strip.normalize_str(ch)
        assert got == expected, f"U+{cp:04X}: strip_accents {got!r} != NFD-minus-Mn {expected!r}"
    return mn


def measure_lowercase(cps: CodePoints) -> dict[int, str]:
    """Per-character lowercase as BertNormalizer(lowercase=True) applies it."""
    bert = normalizers.BertNormalizer(
        clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=True
    )
    lower = per_char(bert.normalize_str, cps)
    plain = per_char(normalizers.Lowercase().normalize_str, cps)
    if plain != lower:
        diff = sorted(set(plain.items()) ^ set(lower.items()))
        print(
            f"NOTE: normalizers.Lowercase() differs from BertNormalizer lowercase at {len(diff)} entries: "
            f"{diff[:10]}"
        )
    else:
        print("normalizers.Lowercase() == BertNormalizer(lowercase=True) at every code point")
    return lower


def measure_ccc(cps: CodePoints, nfd_map: dict[int, str]) -> tuple[dict[int, int], list[str]]:
    """Canonical combining classes: seeded from unicodedata, then re-derived from HF's NFD order.

    Only NFD-stable code points matter for reordering (everything else is decomposed first), and
    for them the class is observable: stable canonical ordering swaps ``x y`` iff
    ``ccc(x) > ccc(y) > 0``. Returns the HF-observed table plus human-readable disagreements.
    """
    nfd = normalizers.NFD().normalize_str
    notes: list[str] = []
    py_ccc = {cp: unicodedata.combining(chr(cp)) for cp in cps if unicodedata.combining(chr(cp))}

    def stable(cp: int) -> bool:
        return cp not in nfd_map and not HANGUL_FIRST <= cp <= HANGUL_LAST

    def swapped(x: str, y: str) -> bool:
        out = nfd(BASE + x + y)
        if out == BASE + x + y:
            return False
        assert out == BASE + y + x, f"unexpected NFD of {x!r}+{y!r}: {out!r}"
        return True

    # 1. Which NFD-stable code points have ccc > 0 according to HF.
    positive = set()
    for cp in cps:
        if not stable(cp):
            continue
        ch = chr(cp)
        if ch in (REF_LOW, REF_HIGH) or swapped(ch, REF_LOW) or swapped(REF_HIGH, ch):
            positive.add(cp)

    # 2. One reference mark per class value that Python knows, agreed on by HF, checked pairwise.
    refs: dict[int, str] = {}
    for cp, value in sorted(py_ccc.items()):
        if value not in refs and stable(cp) and cp in positive:
            refs[value] = chr(cp)
    values = sorted(refs)
    for i in values:
        for j in values:
            assert swapped(refs[i], refs[j]) == (i > j), f"reference marks disagree: ccc {i} vs {j}"

    # 3. The exact class of every positive mark: the reference it never swaps with.
    hf_ccc: dict[int, int] = {}
    for cp in sorted(positive):
        ch = chr(cp)
        equal = [v for v in values if not swapped(ch, refs[v]) and not swapped(refs[v], ch)]
        if len(equal) == 1:
            hf_ccc[cp] = equal[0]
            continue
        # A class value unknown to this Python: bracket it and pick a fresh value in between.
        below = [v for v in values if swapped(ch, refs[v])]
        above = [v for v in values if swapped(refs[v], ch)]
        lo, hi = max(below, default=0), min(above, default=255)
        assert not equal and lo < hi, f"U+{cp:04X}: inconsistent class probes"
        guess = py_ccc.get(cp, 0)
        hf_ccc[cp] = guess if lo < guess < hi else (lo + hi) // 2
        notes.append(f"U+{cp:04X}: class not among Python's values; HF puts it in ({lo}, {hi})")

    # 4. Decomposable code points never reach the reordering step; keep Python's value for them.
    for cp, value in py_ccc.items():
        if not stable(cp):
            hf_ccc[cp] = value

    for cp in sorted(set(py_ccc) | set(hf_ccc)):
        if py_ccc.get(cp, 0) != hf_ccc.get(cp, 0):
            notes.append(
                f"U+{cp:04X} {unicodedata.name(chr(cp), '?')}: Python ccc {py_ccc.get(cp, 0)}, "
                f"HF behaves as {hf_ccc.get(cp, 0)}"
            )
    return hf_ccc, notes


# --------------------------------------------------------------------------------------------------
# Oniguruma character classes, as HF's Replace/Split regexes see them


# Leaf general categories that a Rust str can hold (Cs, the surrogates, never occurs). Together they
# must partition every code point; the unions below are then checked against HF's own answer.
ONIG_CATEGORIES = (
    "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No",
    "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So",
    "Zs", "Zl", "Zp", "Cc", "Cf", "Co", "Cn",
)
ONIG_UNIONS = {
    "L": ("Lu", "Ll", "Lt", "Lm", "Lo"),
    "LC": ("Lu", "Ll", "Lt"),
    "M": ("Mn", "Mc", "Me"),
    "N": ("Nd", "Nl", "No"),
    "P": ("Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"),
    "S": ("Sm", "Sc", "Sk", "So"),
    "Z": ("Zs", "Zl", "Zp"),
    "C": ("Cc", "Cf", "Co", "Cn"),
}
# Candidate property names. Each is measured; it is frozen as an alias only if HF's answer equals the
# table of its target exactly (Oniguruma's POSIX-flavoured names such as Punct differ, and are dropped).
ONIG_ALIAS_CANDIDATES = {
    "Letter": "L", "Cased_Letter": "LC", "Uppercase_Letter": "Lu", "Lowercase_Letter": "Ll",
    "Titlecase_Letter": "Lt", "Modifier_Letter": "Lm", "Other_Letter": "Lo",
    "Mark": "M", "Combining_Mark": "M", "Nonspacing_Mark": "Mn", "Spacing_Mark": "Mc",
    "Enclosing_Mark": "Me", "Number": "N", "Decimal_Number": "Nd", "Letter_Number": "Nl",
    "Other_Number": "No", "Punctuation": "P", "Connector_Punctuation": "Pc", "Dash_Punctuation": "Pd",
    "Open_Punctuation": "Ps", "Close_Punctuation": "Pe", "Initial_Punctuation": "Pi",
    "Final_Punctuation": "Pf", "Other_Punctuation": "Po", "Symbol": "S", "Math_Symbol": "Sm",
    "Currency_Symbol": "Sc", "Modifier_Symbol": "Sk", "Other_Symbol": "So", "Separator": "Z",
    "Space_Separator": "Zs", "Line_Separator": "Zl", "Paragraph_Separator": "Zp", "Other": "C",
    "Control": "Cc", "Format": "Cf", "Private_Use": "Co", "Unassigned": "Cn",
    "Punct": "P", "Cntrl": "Cc", "Digit": "Nd", "Any": "Any", "Word": "\\w", "Space": "\\s",
}
# Shorthand escapes and '.', measured as classes of single characters.
ONIG_SHORTHANDS = {"\\s": "ONIG_SPACE_RANGES", "\\w": "ONIG_WORD_RANGES", "\\d": "ONIG_DIGIT_RANGES"}


def normalize_property_name(name: str) -> str:
    """Oniguruma compares property names ignoring case, spaces, '-' and '_' (checked below)."""
    return "".join(ch for ch in name.lower() if ch not in " -_")


class OnigClassProbe:
    """Which code points a one-character Oniguruma regex matches, measured through HF.

    Why batching is sound: every probed pattern matches exactly one character and looks at no
    context, so in one long text of all code points each position is decided on its own. This is
    re-checked: every range boundary (and its neighbours) is re-measured one character at a time,
    and the runtime's translations are compared with HF over all code points afterwards.
    """

    def __init__(self, cps: CodePoints) -> None:
        self.cps = cps
        self.text = "".join(map(chr, cps))

    @staticmethod
    def _uncovered(pattern: str, text: str) -> list[int]:
        pieces = pre_tokenizers.Split(tokenizers.Regex(pattern), "removed").pre_tokenize_str(text)
        covered = bytearray(len(text))
        for _, (start, end) in pieces:
            covered[start:end] = b"\x01" * (end - start)
        return [i for i, flag in enumerate(covered) if not flag]

    @staticmethod
    def matches_one(pattern: str, ch: str) -> bool:
        return normalizers.Replace(tokenizers.Regex(pattern), "").normalize_str(ch) == ""

    def measure(self, pattern: str, thorough: bool = True) -> set[int]:
        """Members of ``pattern``; ``thorough`` re-checks order independence and every boundary."""
        members = {ord(self.text[i]) for i in self._uncovered(pattern, self.text)}
        if not thorough:
            return members
        boundary: set[int] = set()
        for start, end in to_ranges(members):
            boundary.update((start - 1, start, end, end + 1))
        for cp in sorted(boundary):
            if 0 <= cp <= 0x10FFFF and not SURROGATE_FIRST <= cp <= SURROGATE_LAST:
                assert self.matches_one(pattern, chr(cp)) == (cp in members), f"{pattern}: U+{cp:04X}"
        return members


def measure_onig_classes(cps: CodePoints) -> tuple[dict[str, object], list[str]]:
    """General categories, shorthand classes and verified property aliases of HF's Oniguruma."""
    probe = OnigClassProbe(cps)
    notes: list[str] = []
    leaves = {name: probe.measure(f"\\p{{{name}}}") for name in ONIG_CATEGORIES}
    assert not probe.measure("\\p{Cs}"), "Cs should be empty over non-surrogates"
    seen: dict[int, str] = {}
    for name, members in leaves.items():
        for cp in members:
            assert cp not in seen, f"U+{cp:04X} is both {seen[cp]} and {name}"
            seen[cp] = name
    missing = [cp for cp in cps if cp not in seen]
    assert not missing, f"no category for {[f'U+{cp:04X}' for cp in missing[:10]]}"
    sets: dict[str, set[int]] = dict(leaves)
    sets["Cs"] = set()
    for name, parts in ONIG_UNIONS.items():
        union = set().union(*(leaves[p] for p in parts))
        assert probe.measure(f"\\p{{{name}}}") == union, f"\\p{{{name}}} is not the union of {parts}"
        sets[name] = union
    sets["Any"] = set(cps)

    shorthand: dict[str, set[int]] = {}
    for escape, table in ONIG_SHORTHANDS.items():
        shorthand[escape] = probe.measure(escape)
        upper = escape.upper()
        complement = probe.measure(upper)
        assert complement == set(cps) - shorthand[escape], f"{upper} is not the complement of {escape}"
    sets["\\w"], sets["\\s"] = shorthand["\\w"], shorthand["\\s"]
    dot = probe.measure(".")
    assert set(cps) - dot == {0x0A}, f"'.' excludes {sorted(set(cps) - dot)}"
    if shorthand["\\d"] == leaves["Nd"]:
        notes.append("\\d == \\p{Nd}")

    # Aliases: a name is frozen only if HF's set equals its target's, and only as HF accepts it.
    aliases: dict[str, str] = {}
    for name in (*ONIG_CATEGORIES, "Cs", *ONIG_UNIONS, "Any"):
        aliases[normalize_property_name(name)] = name
    for name, target in ONIG_ALIAS_CANDIDATES.items():
        try:
            got = probe.measure(f"\\p{{{name}}}", thorough=False)  # compared with a checked set
        except Exception as exc:  # noqa: BLE001 - an unknown name is reported, not fatal
            notes.append(f"\\p{{{name}}} rejected by HF: {exc}")
            continue
        if got == sets[target]:
            aliases[normalize_property_name(name)] = target
        else:
            notes.append(
                f"\\p{{{name}}} is not {target}: {len(got - sets[target])} extra, "
                f"{len(sets[target] - got)} missing; not supported"
            )
    # The name normalization itself: spelling variants of every frozen alias mean the same set.
    for key, target in sorted(aliases.items()):
        sample = sorted(sets[target])[:: max(1, len(sets[target]) // 50)][:60] + [0x20, 0x41, 0x61, 0x30]
        text = "".join(chr(cp) for cp in sample)
        want = [i for i, ch in enumerate(text) if ord(ch) in sets[target]]  # matched positions
        for variant in {key, key.upper(), key.capitalize(), " " + key + " ", "_".join(key)}:
            pattern = f"\\p{{{variant}}}"
            assert probe._uncovered(pattern, text) == want, f"{pattern} differs from {target}"
        negated = [i for i, ch in enumerate(text) if ord(ch) not in sets[target]]
        assert probe._uncovered(f"\\p{{^{key}}}", text) == negated, f"\\p{{^{key}}}"

    gc_starts: list[int] = []
    gc_codes: list[str] = []
    for cp in range(0x110000):
        name = "Cs" if SURROGATE_FIRST <= cp <= SURROGATE_LAST else seen[cp]
        if not gc_codes or gc_codes[-1] != name:
            gc_starts.append(cp)
            gc_codes.append(name)
    tables: dict[str, object] = {
        "ONIG_GENERAL_CATEGORY_STARTS": gc_starts,
        "ONIG_GENERAL_CATEGORY_CODES": "".join(gc_codes),
        "ONIG_SPACE_RANGES": to_ranges(shorthand["\\s"]),
        "ONIG_WORD_RANGES": to_ranges(shorthand["\\w"]),
        "ONIG_DIGIT_RANGES": to_ranges(shorthand["\\d"]),
        "ONIG_PROPERTY_ALIASES": dict(sorted(aliases.items())),
    }
    return tables, notes


def onig_categories(tables: dict[str, object]) -> dict[int, str]:
    """Code point -> two-letter category, expanded from the run tables."""
    starts, codes = tables["ONIG_GENERAL_CATEGORY_STARTS"], tables["ONIG_GENERAL_CATEGORY_CODES"]
    out: dict[int, str] = {}
    for i, start in enumerate(starts):  # type: ignore[arg-type]
        end = starts[i + 1] if i + 1 < len(starts) else 0x110000  # type: ignore[index,arg-type]
        out.update(dict.fromkeys(range(start, end), codes[2 * i : 2 * i + 2]))  # type: ignore[index]
    return out


def measure_onig_ignorecase(cps: CodePoints, category: dict[int, str]) -> dict[str, object]:
    """What ``(?i)`` makes each ASCII character match, and which ASCII strings fold to one char.

    The translator supports ``(?i)`` only over ASCII literals: each becomes an explicit class of
    exactly the characters HF's Oniguruma matches, and a scope that contains a multi-character
    fold target (``ss`` matches U+00DF) is refused.
    """
    probe = OnigClassProbe(cps)
    ascii_chars = [chr(c) for c in range(0x80)]

    def escaped(ch: str) -> str:
        return f"\\x{{{ord(ch):X}}}"

    candidates = probe.measure("(?i:" + "|".join(escaped(ch) for ch in ascii_chars) + ")")
    assert candidates == probe.measure("(?i:[\\x{0}-\\x{7F}])"), "(?i) literal and class folding differ"
    folds: dict[int, str] = {}
    for ch in ascii_chars:
        pattern = f"(?i:{escaped(ch)})"
        members = {cp for cp in candidates if OnigClassProbe.matches_one(pattern, chr(cp))}
        assert ord(ch) in members
        if members != {ord(ch)}:
            folds[ord(ch)] = "".join(chr(cp) for cp in sorted(members))
    # Multi-character folds onto ASCII letter strings: one char matched by 2 or 3 letters. Only
    # cased letters, marks (U+0345), numbers and symbols have case foldings at all, so only those
    # are searched (a huge alternation over every code point would take an hour).
    caseless = ("Lo", "Cn", "Co", "Cc", "Cf", "Zs", "Zl", "Zp")
    searched = [cp for cp in cps if cp >= 0x80 and category[cp] not in caseless and category[cp][0] != "P"]
    letters = "abcdefghijklmnopqrstuvwxyz"
    separated = "\x00".join(chr(cp) for cp in searched)
    targets: list[str] = []
    for size in (2, 3):
        words = ["".join(w) for w in itertools.product(letters, repeat=size)]
        pattern = "(?i:" + "|".join(words) + ")"
        pieces = pre_tokenizers.Split(tokenizers.Regex(pattern), "isolated").pre_tokenize_str(separated)
        hits = sorted({piece for piece, _ in pieces if len(piece) == 1 and piece != "\x00"})
        for hit in hits:
            targets.extend(word for word in words if OnigClassProbe.matches_one(f"(?i:{word})", hit))
    return {"ONIG_IGNORECASE_ASCII": folds, "ONIG_MULTI_FOLD_TARGETS": tuple(sorted(set(targets)))}


# --------------------------------------------------------------------------------------------------
# NFKD, NFC/NFKC composition and StripAccents


def measure_combining_marks(cps: CodePoints) -> set[int]:
    """What the standalone StripAccents normalizer deletes (a pure per-character filter)."""
    strip = normalizers.StripAccents().normalize_str
    text = "".join(map(chr, cps))
    kept = strip(text)
    removed = set(cps) - {ord(ch) for ch in kept}
    assert kept == "".join(ch for ch in text if ord(ch) not in removed), "StripAccents is not a filter"
    for start, end in to_ranges(removed):
        for cp in (start - 1, start, end, end + 1):
            if 0 <= cp <= 0x10FFFF and not SURROGATE_FIRST <= cp <= SURROGATE_LAST:
                assert (strip(chr(cp)) == "") == (cp in removed), f"U+{cp:04X}"
    return removed


def measure_nfkd(cps: CodePoints, nfd_map: dict[int, str]) -> dict[int, str]:
    """HF NFKD of each code point alone, kept only where it differs from its NFD."""
    nfkd = normalizers.NFKD().normalize_str
    changed = per_char(nfkd, cps)
    for cp in range(HANGUL_FIRST, HANGUL_LAST + 1):
        assert changed.pop(cp) == hangul_nfd(cp), f"U+{cp:04X}: Hangul NFKD is not algorithmic"
    for cp, out in changed.items():
        for ch in out:
            assert nfkd(ch) == ch, f"U+{cp:04X} decomposes to non-NFKD {ch!r}"
    return {cp: out for cp, out in changed.items() if out != nfd_map.get(cp, chr(cp))}


def measure_composition(cps: CodePoints, nfd_map: dict[int, str]) -> dict[int, int]:
    """Primary composites as HF's NFC builds them: {composite: first} ... as a pair table.

    A code point with a canonical decomposition that NFC leaves alone is a primary composite; one
    that NFC changes is excluded (singletons, non-starter decompositions, composition exclusions).
    Its pair is (NFC of all but the last char of its full decomposition, that last char). Returns
    ``{(first << 21) | second: composite}``.
    """
    nfc = normalizers.NFC().normalize_str
    pairs: dict[int, int] = {}
    for cp, full in nfd_map.items():
        if nfc(chr(cp)) != chr(cp):
            continue
        assert len(full) >= 2, f"U+{cp:04X}: a one-char decomposition survived NFC"
        first = nfc(full[:-1])
        assert len(first) == 1, f"U+{cp:04X}: the head {full[:-1]!r} does not compose to one char"
        assert nfc(full) == chr(cp), f"U+{cp:04X}: NFC of its decomposition is not itself"
        key = (ord(first) << 21) | ord(full[-1])
        assert key not in pairs, f"two composites for one pair at U+{cp:04X}"
        pairs[key] = cp
    return pairs


# --------------------------------------------------------------------------------------------------
# Extended grapheme clusters (the Precompiled normalizer walks text by them)

# One code per run in GRAPHEME_BREAK_CODES: the crate's grapheme category merged with its InCB value.
GRAPHEME_CODES = {
    ("Any", ""): ".", ("CR", ""): "r", ("LF", ""): "n", ("Control", ""): "c",
    ("Extend", ""): "x", ("Extend", "Extend"): "e", ("Extend", "Linker"): "k", ("ZWJ", "Extend"): "z",
    ("Regional_Indicator", ""): "R", ("Prepend", ""): "p", ("SpacingMark", ""): "m",
    ("L", ""): "L", ("V", ""): "V", ("T", ""): "T", ("LV", ""): "H", ("LVT", ""): "H",
    ("Extended_Pictographic", ""): "E", ("InCB_Consonant", ""): "K",
}
_RS_CHAR = r"'\\u\{([0-9a-fA-F]+)\}'"


def load_segmentation_tables(source: str) -> tuple[dict[int, str], str]:
    """Grapheme codes per code point from unicode-segmentation's ``src/tables.rs``.

    ``source`` is that file's text. Only the data is read: the range table of grapheme categories,
    the InCB=Extend range table and the InCB=Linker list. Returns ({cp: code}, unicode version).
    """
    version = re.search(r"UNICODE_VERSION: \(u64, u64, u64\) = \((\d+), (\d+), (\d+)\)", source)
    assert version, "no UNICODE_VERSION in tables.rs"

    def block(start: str) -> str:
        i = source.index(start)
        return source[i : source.index("];", i)]

    category: dict[int, str] = {}
    entry = _RS_CHAR + r",\s*" + _RS_CHAR + r",\s*GC_(\w+)\)"
    for lo, hi, cat in re.findall(entry, block("const grapheme_cat_table")):
        for cp in range(int(lo, 16), int(hi, 16) + 1):
            assert cp not in category, f"U+{cp:04X} listed twice"
            category[cp] = cat
    incb: dict[int, str] = {}
    for lo, hi in re.findall(_RS_CHAR + r",\s*" + _RS_CHAR + r"\)", block("const InCB_Extend_table")):
        incb.update(dict.fromkeys(range(int(lo, 16), int(hi, 16) + 1), "Extend"))
    i = source.index("pub fn is_incb_linker")
    linkers = [int(h, 16) for h in re.findall(r"\\u\{([0-9a-fA-F]+)\}", source[i : source.index("}\n", i)])]
    assert linkers and not set(linkers) & set(incb)
    incb.update(dict.fromkeys(linkers, "Linker"))
    codes: dict[int, str] = {}
    for cp in range(0x110000):
        key = (category.get(cp, "Any"), incb.get(cp, ""))
        assert key in GRAPHEME_CODES, f"U+{cp:04X}: no code for {key}"
        codes[cp] = GRAPHEME_CODES[key]
    # The crate answers ASCII below U+007F without its table; make sure both agree.
    for cp in range(0x7F):
        want = "n" if cp == 0x0A else "r" if cp == 0x0D else "." if cp >= 0x20 else "c"
        assert codes[cp] == want, f"U+{cp:04X}: table {codes[cp]!r} vs the crate's ASCII shortcut {want!r}"
    for cp in range(HANGUL_FIRST, HANGUL_LAST + 1):
        want = "LV" if (cp - HANGUL_FIRST) % 28 == 0 else "LVT"
        assert category[cp] == want, f"U+{cp:04X} is not {want}"
    syllables = [cp for cp, cat in category.items() if cat in ("LV", "LVT")]
    assert syllables == list(range(HANGUL_FIRST, HANGUL_LAST + 1)), "LV/LVT outside the Hangul syllables"
    return codes, ".".join(version.groups())


def grapheme_runs(codes: dict[int, str]) -> tuple[list[int], str]:
    starts: list[int] = []
    values: list[str] = []
    for cp in range(0x110000):
        if not values or values[-1] != codes[cp]:
            starts.append(cp)
            values.append(codes[cp])
    return starts, "".join(values)


def compare_with_regex_package(codes: dict[int, str]) -> list[int]:
    """Code points whose grapheme properties differ in the ``regex`` package's Unicode version."""
    import regex  # the reference for verification only

    gcb = ["CR", "LF", "Control", "Extend", "ZWJ", "Regional_Indicator", "Prepend", "SpacingMark"]
    gcb += ["L", "V", "T"]
    tests = [(name, regex.compile(rf"\p{{Grapheme_Cluster_Break={name}}}")) for name in gcb]
    pict = regex.compile(r"\p{Extended_Pictographic}")
    incb = [(v, regex.compile(rf"\p{{InCB={v}}}")) for v in ("Consonant", "Extend", "Linker")]
    differ = []
    for cp in range(0x110000):
        if SURROGATE_FIRST <= cp <= SURROGATE_LAST:
            continue
        ch = chr(cp)
        cat = next((name for name, p in tests if p.match(ch)), "Any")
        if HANGUL_FIRST <= cp <= HANGUL_LAST:
            cat = "LV" if (cp - HANGUL_FIRST) % 28 == 0 else "LVT"
        value = next((v for v, p in incb if p.match(ch)), "")
        if cat == "Any" and pict.match(ch):
            cat = "Extended_Pictographic"
        if cat == "Any" and value == "Consonant":
            cat, value = "InCB_Consonant", ""
        if GRAPHEME_CODES.get((cat, value)) != codes[cp]:
            differ.append(cp)
    return differ


# --------------------------------------------------------------------------------------------------
# Comparison with this interpreter's unicodedata (for the README)


def python_differences(
    cps: CodePoints,
    control: set[int],
    bert_ws: set[int],
    punct: set[int],
    rust_ws: set[int],
    mn: set[int],
    nfd_map: dict[int, str],
    lower: dict[int, str],
    ccc: dict[int, int],
) -> list[tuple[str, int, int]]:
    """Counts of code points where each HF predicate and Python disagree: (what, HF-only, Py-only)."""
    cat = {cp: unicodedata.category(chr(cp)) for cp in cps}
    ascii_punct = {cp for cp in range(0x80) if chr(cp) in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"}
    py_control = {cp for cp in cps if cat[cp] in ("Cc", "Cf", "Co") and chr(cp) not in "\t\n\r"}
    py_control |= {0x0000, 0xFFFD}
    py_space = {cp for cp in cps if chr(cp).isspace()}
    py_punct = {cp for cp in cps if cat[cp].startswith("P")}
    py_mn = {cp for cp in cps if cat[cp] == "Mn"}
    py_mn_stable = {cp for cp in py_mn if unicodedata.normalize("NFD", chr(cp)) == chr(cp)}
    rows: list[tuple[str, int, int]] = []

    def row(what: str, hf: set[int], py: set[int]) -> None:
        rows.append((what, len(hf - py), len(py - hf)))

    row("removed by clean_text vs {0, FFFD} + (Cc|Cf|Co minus \\t\\n\\r)", control, py_control)
    row("clean_text -> ' ' vs str.isspace()", bert_ws, py_space)
    row("Rust is_whitespace (BertPreTokenizer delimiter) vs str.isspace()", rust_ws, py_space)
    row("BertPreTokenizer punctuation vs category P*", punct, py_punct)
    row("BertPreTokenizer punctuation vs P* + ASCII punctuation", punct, py_punct | ascii_punct)
    row("nonspacing mark (NFD-stable) vs category Mn (NFD-stable in Python)", mn, py_mn_stable)
    row("nonspacing mark (NFD-stable) vs category Mn (all)", mn, py_mn)
    nfd_diff = sum(
        1
        for cp in cps
        if unicodedata.normalize("NFD", chr(cp))
        != (hangul_nfd(cp) if HANGUL_FIRST <= cp <= HANGUL_LAST else nfd_map.get(cp, chr(cp)))
    )
    rows.append(("NFD of a single code point differs", nfd_diff, nfd_diff))
    lower_diff = sum(1 for cp in cps if chr(cp).lower() != lower.get(cp, chr(cp)))
    rows.append(("per-char lowercase differs from str.lower()", lower_diff, lower_diff))
    ccc_diff = sum(1 for cp in cps if unicodedata.combining(chr(cp)) != ccc.get(cp, 0))
    rows.append(("canonical combining class differs (unicodedata.combining)", ccc_diff, ccc_diff))
    return rows


# --------------------------------------------------------------------------------------------------
# Output


def _str_literal(s: str) -> str:
    """A double-quoted, ASCII-only Python literal (keeps the generated file encoding-proof)."""
    parts = []
    for ch in s:
        cp = ord(ch)
        if 0x20 <= cp < 0x7F and ch not in '"\\':
            parts.append(ch)
        elif cp <= 0xFF:
            parts.append(f"\\x{cp:02x}")
        elif cp <= 0xFFFF:
            parts.append(f"\\u{cp:04x}")
        else:
            parts.append(f"\\U{cp:08x}")
    return '"' + "".join(parts) + '"'


def _hex(cp: int) -> str:
    return f"0x{cp:04X}"


def _wrap(items: list[str], indent: str = "    ", width: int = 108) -> str:
    lines: list[str] = []
    line = indent
    for item in items:
        piece = item + ","
        if line.strip() and len(line) + 1 + len(piece) > width:
            lines.append(line.rstrip())
            line = indent
        line += ("" if not line.strip() else " ") + piece
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def render_ranges(name: str, doc: str, ranges: Ranges) -> str:
    body = _wrap([f"({_hex(a)}, {_hex(b)})" for a, b in ranges])
    return f"# {doc}\n{name}: tuple[tuple[int, int], ...] = (\n{body}\n)\n"


def render_dict(name: str, doc: str, mapping: dict[int, str] | dict[int, int], value_type: str) -> str:
    items = []
    for cp in sorted(mapping):
        value = mapping[cp]
        rendered = _str_literal(value) if isinstance(value, str) else str(value)
        items.append(f"{_hex(cp)}: {rendered}")
    return f"# {doc}\n{name}: dict[int, {value_type}] = {{\n{_wrap(items)}\n}}\n"


def render_ints(name: str, doc: str, values: list[int]) -> str:
    return f"# {doc}\n{name}: tuple[int, ...] = (\n{_wrap([_hex(v) for v in values])}\n)\n"


def render_codes(name: str, doc: str, codes: str, width: int = 100) -> str:
    lines = [f"    {_str_literal(codes[i:i + width])}" for i in range(0, len(codes), width)]
    return f"# {doc}\n{name}: str = (\n" + "\n".join(lines) + "\n)\n"


def render_names(name: str, doc: str, mapping: dict[str, str]) -> str:
    items = [f"{_str_literal(k)}: {_str_literal(v)}" for k, v in mapping.items()]
    return f"# {doc}\n{name}: dict[str, str] = {{\n{_wrap(items)}\n}}\n"


def render_strings(name: str, doc: str, values: tuple[str, ...]) -> str:
    return f"# {doc}\n{name}: tuple[str, ...] = (\n{_wrap([_str_literal(v) for v in values])}\n)\n"


def render_table(name: str, doc: str, value: object) -> str:
    """Pick the literal form from the table's name and type."""
    if name.endswith("_RANGES"):
        return render_ranges(name, doc, value)  # type: ignore[arg-type]
    if name.endswith("_STARTS"):
        return render_ints(name, doc, value)  # type: ignore[arg-type]
    if isinstance(value, str):
        return render_codes(name, doc, value)
    if isinstance(value, tuple):
        return render_strings(name, doc, value)
    assert isinstance(value, dict)
    if all(isinstance(k, str) for k in value):
        return render_names(name, doc, value)  # type: ignore[arg-type]
    if all(isinstance(v, int) for v in value.values()):
        return render_dict(name, doc, value, "int")  # type: ignore[arg-type]
    return render_dict(name, doc, value, "str")  # type: ignore[arg-type]


UNICODE_DOCS = {
    "BERT_CONTROL_RANGES": "Removed by BertNormalizer clean_text: NUL, U+FFFD and Cc|Cf|Co except \\t\\n\\r.",
    "BERT_WHITESPACE_RANGES": "Mapped to U+0020 by BertNormalizer clean_text (U+0020 included).",
    "BERT_PUNCTUATION_RANGES": "Isolated as their own piece by BertPreTokenizer.",
    "RUST_WHITESPACE_RANGES": "Delimiters of BertPreTokenizer (split and removed): Rust char::is_whitespace.",
    "MN_RANGES": "Nonspacing marks dropped by strip_accents (NFD-stable code points only).",
    "NFD_MAP": "HF NFD of each code point alone where it changes; Hangul syllables are algorithmic.",
    "CANONICAL_COMBINING_CLASS": "Non-zero canonical combining classes, as HF's NFD reordering behaves.",
    "LOWERCASE_MAP": "Per-character lowercase (Rust char::to_lowercase) where it changes the char.",
    "COMBINING_MARK_RANGES": "Deleted by the standalone StripAccents normalizer (Mn|Mc|Me in its crate).",
    "NFKD_MAP": "HF NFKD of each code point alone, only where it differs from its NFD (Hangul algorithmic).",
    "COMPOSITION_PAIRS": "Primary composites of HF's NFC/NFKC: composite -> (first, second) as a 2-char "
    "string; excluded and singleton decompositions are absent; Hangul is algorithmic.",
    "ONIG_GENERAL_CATEGORY_STARTS": "HF Oniguruma \\p{..} general categories: run starts (every code point).",
    "ONIG_GENERAL_CATEGORY_CODES": "Two-letter category of each run above, concatenated (Cs = surrogates).",
    "ONIG_SPACE_RANGES": "Oniguruma \\s as HF compiles it (\\S is the exact complement).",
    "ONIG_WORD_RANGES": "Oniguruma \\w as HF compiles it (\\W is the exact complement).",
    "ONIG_DIGIT_RANGES": "Oniguruma \\d as HF compiles it (\\D is the exact complement).",
    "ONIG_PROPERTY_ALIASES": "Property names (lowercased, ' -_' removed) HF accepts in \\p{..} -> category, "
    "union, 'Any', '\\w' or '\\s'; each checked equal to its target.",
    "ONIG_IGNORECASE_ASCII": "Under (?i), what each ASCII char matches where that is more than itself.",
    "ONIG_MULTI_FOLD_TARGETS": "ASCII letter strings that (?i) lets match one character (U+00DF for 'ss').",
}

#: Tables ASCII text never needs: written to ``_unicode_maps.py``, which ``_unicode_data`` imports on
#: first access (their dicts cost ~4 ms of every ``import static_embed`` otherwise).
LAZY_TABLES = (
    "NFD_MAP", "CANONICAL_COMBINING_CLASS", "LOWERCASE_MAP", "NFKD_MAP", "COMPOSITION_PAIRS",
    "ONIG_GENERAL_CATEGORY_STARTS", "ONIG_GENERAL_CATEGORY_CODES", "ONIG_WORD_RANGES",
)

GRAPHEME_DOCS = {
    "GRAPHEME_BREAK_STARTS": "Run starts of the grapheme code table (every code point).",
    "GRAPHEME_BREAK_CODES": "One code per run: . other, r CR, n LF, c Control, x Extend, "
    "e Extend+InCB=Extend, "
    "k Extend+InCB=Linker, z ZWJ (InCB=Extend), R Regional_Indicator, p Prepend, m SpacingMark, L V T "
    "Hangul jamo, H Hangul syllable (LV iff (cp-0xAC00) % 28 == 0, else LVT), E Extended_Pictographic, "
    "K InCB=Consonant.",
}


def _generated_header(source: dict[str, str], summary: str) -> str:
    """The generated-file comment and the first line of the module docstring, ``summary``."""
    return f'''# GENERATED FILE - DO NOT EDIT BY HAND.
# Generated by tools/gen_unicode_tables.py from the Hugging Face `tokenizers` library
# version {source["tokenizers"]} on {source["generated"]}, by evaluating it on every code point.
# Python unicodedata {source["python_unidata_version"]} only seeded the combining classes, which were
# then re-derived from HF's own NFD reordering.
# Regenerate with: python tools/gen_unicode_tables.py  (in an environment with the pinned tokenizers)
"""{summary}'''


def render_module(tables: dict[str, object], source: dict[str, str]) -> tuple[str, str]:
    """The texts of ``_unicode_data.py`` and of ``_unicode_maps.py`` (the ``LAZY_TABLES``)."""
    summary = "Unicode character data frozen from the reference HF ``tokenizers`` implementation."
    header = _generated_header(source, summary) + f'''

Why frozen: HF's Rust crates each pin their own Unicode version (some older, some newer than
CPython's ``unicodedata``), and CPython's tables change between versions; token ids must not.
Ranges are sorted, disjoint, inclusive ``(start, end)`` pairs; surrogates (U+D800..U+DFFF) are
never listed. Read through ``static_embed.tokenizer.unicode``, not directly. The large maps
(``LAZY_TABLES``) live in ``_unicode_maps`` and are imported on first access.
"""

UNICODE_DATA_SOURCE: dict[str, str] = {{
    "tokenizers": {_str_literal(source["tokenizers"])},
    "generated": {_str_literal(source["generated"])},
    "python_unidata_version": {_str_literal(source["python_unidata_version"])},
}}

LAZY_TABLES = frozenset({{
{_wrap([_str_literal(name) for name in LAZY_TABLES])}
}})


def __getattr__(name: str) -> object:
    """A large map, imported from ``_unicode_maps`` when first asked for (ASCII text never needs one)."""
    if name not in LAZY_TABLES:
        raise AttributeError(f"module {{__name__!r}} has no attribute {{name!r}}")
    from . import _unicode_maps

    value = getattr(_unicode_maps, name)
    globals()[name] = value  # later look-ups find it directly
    return value


'''
    maps_summary = "The large maps of ``_unicode_data`` (its ``LAZY_TABLES``): read through it, not directly."
    maps_header = _generated_header(source, maps_summary) + '''"""

'''
    parts, maps = [header], [maps_header]
    for name, doc in UNICODE_DOCS.items():
        target = maps if name in LAZY_TABLES else parts
        target.append(render_table(name, doc, tables[name]))
        target.append("\n")
    return "".join(parts).rstrip("\n") + "\n", "".join(maps).rstrip("\n") + "\n"


def render_grapheme_module(tables: dict[str, object], source: dict[str, str]) -> str:
    header = f'''# GENERATED FILE - DO NOT EDIT BY HAND.
# Generated by tools/gen_unicode_tables.py --only graphemes on {source["generated"]} from the data
# tables (src/tables.rs, Unicode {source["unicode_version"]}) of the Rust crate unicode-segmentation;
# tokenizers {source["tokenizers"]} links version {source["crate"]} of that crate.
"""Grapheme cluster break properties as the reference's ``unicode-segmentation`` crate has them.

Why: the Precompiled normalizer walks text by extended grapheme clusters, and Python has no
segmentation of its own. Read through ``static_embed.tokenizer.graphemes``, not directly.
"""

GRAPHEME_DATA_SOURCE: dict[str, str] = {{
''' + "".join(f"    {_str_literal(k)}: {_str_literal(v)},\n" for k, v in source.items()) + "}\n\n"
    parts = [header]
    for name, doc in GRAPHEME_DOCS.items():
        parts.append(render_table(name, doc, tables[name]))
        parts.append("\n")
    return "".join(parts).rstrip("\n") + "\n"


def write_module(path: Path, text: str, tables: dict[str, object]) -> None:
    """Round-trip check (the module must hold exactly what was measured), then write."""
    namespace: dict[str, object] = {}
    exec(compile(text, str(path), "exec"), namespace)  # noqa: S102 - our own generated text
    for name, value in tables.items():
        want = tuple(value) if isinstance(value, list) else value
        assert namespace[name] == want, f"{name} does not round-trip"
    text.encode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="ascii", newline="\n")


# --------------------------------------------------------------------------------------------------
# Verification of the runtime against the live library, on the freshly written tables


def _load_runtime(name: str):  # noqa: ANN202 - a module
    sys.path.insert(0, str(REPO_ROOT))
    for mod in [m for m in sys.modules if m.startswith("static_embed")]:
        del sys.modules[mod]
    return importlib.import_module(name)


def verify_forms(cps: CodePoints) -> None:
    """nfc/nfkc/nfkd/is_combining_mark of the runtime against HF: every code point, then samples."""
    uni = _load_runtime("static_embed.tokenizer.unicode")
    forms = {"NFC": uni.nfc, "NFKC": uni.nfkc, "NFKD": uni.nfkd, "NFD": uni.nfd}
    for name, ours in forms.items():
        hf = getattr(normalizers, name)().normalize_str
        bad = [cp for cp in cps if ours(chr(cp)) != hf(chr(cp))]
        assert not bad, f"{name} differs at {[f'U+{cp:04X}' for cp in bad[:10]]}"
    strip = normalizers.StripAccents().normalize_str
    bad = [cp for cp in cps if uni.is_combining_mark(chr(cp)) != (strip(chr(cp)) == "")]
    assert not bad, f"is_combining_mark differs at {bad[:10]}"
    # Pairs and triples drawn from everything that takes part in composition or reordering.
    from static_embed.tokenizer import _unicode_data as data

    pool = sorted(
        {ord(c) for v in data.COMPOSITION_PAIRS.values() for c in v}
        | set(data.COMPOSITION_PAIRS)
        | set(data.CANONICAL_COMBINING_CLASS)
        | set(data.NFKD_MAP)
        | set(data.NFD_MAP)
    )
    pool += [0x1100, 0x1161, 0x11A8, 0x11A7, 0x11C2, 0x1175, 0xAC00, 0xAC01, 0xD7A3, 0x20, 0x61]
    rng = random.Random(20240611)
    sizes = (2, 2, 3, 4, 6)
    texts = ["".join(chr(rng.choice(pool)) for _ in range(rng.choice(sizes))) for _ in range(200_000)]
    for name, ours in forms.items():
        hf = getattr(normalizers, name)().normalize_str
        bad = [t for t in texts if ours(t) != hf(t)]
        assert not bad, f"{name} differs on {len(bad)} samples, e.g. {ascii(bad[0])}"
        whole = "".join(texts[:20000])
        assert ours(whole) == hf(whole), f"{name} differs on the concatenated samples"
    assert uni.nfc("".join(map(chr, cps))) == normalizers.NFC().normalize_str("".join(map(chr, cps)))


def verify_classes() -> None:
    """translate_regex of every frozen property against HF on all code points (sampled batches)."""
    uni = _load_runtime("static_embed.tokenizer.unicode")
    from static_embed.tokenizer import _unicode_data as data

    text = "".join(chr(cp) for cp in range(0x110000) if not SURROGATE_FIRST <= cp <= SURROGATE_LAST)
    names = sorted(set(data.ONIG_PROPERTY_ALIASES.values()) - {"\\w", "\\s"})
    patterns = [f"\\p{{{n}}}" for n in names] + [f"\\P{{{n}}}" for n in ("L", "N")]
    patterns += ["\\s", "\\S", "\\w", "\\W", "\\d", "\\D", ".", "[^\\s\\p{L}\\p{N}]", "[\\p{Zs}\\t]"]
    for pattern in patterns:
        ours = re.compile(uni.translate_regex(pattern))
        want = OnigClassProbe._uncovered(pattern, text)
        got_cover = bytearray(len(text))
        for m in ours.finditer(text):
            got_cover[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
        got = [i for i, flag in enumerate(got_cover) if flag]
        assert got == want, f"{pattern}: the translation differs from HF"


def verify_graphemes(differ: list[int]) -> None:
    """split_graphemes against regex's \\X on random strings that avoid the version differences."""
    import regex

    graphemes = _load_runtime("static_embed.tokenizer.graphemes")
    from static_embed.tokenizer import _grapheme_data as gd

    skip = set(differ)
    by_code: dict[str, list[int]] = {}
    starts = gd.GRAPHEME_BREAK_STARTS
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else 0x110000
        by_code.setdefault(gd.GRAPHEME_BREAK_CODES[i], []).extend(
            cp
            for cp in range(start, min(end, start + 400))
            if cp not in skip and not SURROGATE_FIRST <= cp <= SURROGATE_LAST
        )
    pools = {code: cps for code, cps in by_code.items() if cps}
    codes = sorted(pools)
    rng = random.Random(7)
    cluster = regex.compile(r"\X")
    skipped = 0
    for _ in range(300_000):
        text = "".join(chr(rng.choice(pools[rng.choice(codes)])) for _ in range(rng.randint(1, 8)))
        if regex_gb9c_quirk("".join(map(graphemes.grapheme_code, text))):
            skipped += 1
            continue
        assert graphemes.split_graphemes(text) == cluster.findall(text), ascii(text)
    print(f"  {skipped} strings skipped: regex joins a consonant to a linker run with no consonant before it")


def regex_gb9c_quirk(codes: str) -> bool:
    """True if ``regex``'s \\X applies GB9c without the leading InCB=Consonant that the rule and the
    crate require (e.g. U+A98E U+AAF6 U+0C59: regex joins all three, the crate breaks before U+0C59)."""
    for i, code in enumerate(codes):
        if code != "K" or i == 0:
            continue
        j, linker = i - 1, False
        while j >= 0 and codes[j] in "kez":
            linker = linker or codes[j] == "k"
            j -= 1
        if linker and (j < 0 or codes[j] != "K"):
            return True
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--maps-output", type=Path, default=DEFAULT_MAPS_OUTPUT)
    parser.add_argument("--grapheme-output", type=Path, default=DEFAULT_GRAPHEME_OUTPUT)
    parser.add_argument(
        "--only", choices=("all", "unicode", "graphemes"), default="all",
        help="regenerate only _unicode_data.py (with _unicode_maps.py) or only _grapheme_data.py",
    )
    parser.add_argument(
        "--segmentation-tables", type=Path,
        help="src/tables.rs of the unicode-segmentation crate that tokenizers links (needed for graphemes)",
    )
    parser.add_argument("--skip-verify", action="store_true", help="do not re-check the runtime afterwards")
    args = parser.parse_args(argv)
    if args.only != "unicode" and args.segmentation_tables is None:
        parser.error("--segmentation-tables is required unless --only unicode (see the module docstring)")

    t0 = time.perf_counter()
    cps = all_code_points()

    def step(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:6.1f}s] {msg}", flush=True)

    step(
        f"tokenizers {tokenizers.__version__}, Python {sys.version.split()[0]}, "
        f"unicodedata {unicodedata.unidata_version}, {len(cps)} code points"
    )
    if args.only in ("all", "unicode"):
        generate_unicode(args, cps, step)
    if args.only in ("all", "graphemes"):
        generate_graphemes(args, step)
    step("done")
    return 0


def generate_unicode(args: argparse.Namespace, cps: CodePoints, step: Callable[[str], None]) -> None:
    control, bert_ws = measure_clean_text(cps)
    step("clean_text measured")
    punct, rust_ws = measure_pre_tokenizer(cps)
    step("BertPreTokenizer measured")
    assert bert_ws == rust_ws - control, "clean_text whitespace should be Rust whitespace minus controls"
    nfd_map = measure_nfd(cps)
    step("NFD measured")
    mn = measure_mn(cps, nfd_map)
    step("strip_accents measured and checked against NFD minus Mn")
    lower = measure_lowercase(cps)
    step("lowercase measured")
    ccc, ccc_notes = measure_ccc(cps, nfd_map)
    step("combining classes measured")
    marks = measure_combining_marks(cps)
    step("StripAccents measured")
    nfkd_map = measure_nfkd(cps, nfd_map)
    step("NFKD measured")
    pairs = measure_composition(cps, nfd_map)
    step("composition pairs measured")
    # per_char of NFC/NFKC: no whitespace char reorders or composes with anything.
    for ws in (cp for a, b in to_ranges(rust_ws) for cp in range(a, b + 1)):
        assert ws not in ccc and all(ws not in (key >> 21, key & 0x1FFFFF) for key in pairs), f"U+{ws:04X}"
    onig, onig_notes = measure_onig_classes(cps)
    step("Oniguruma classes measured")
    onig.update(measure_onig_ignorecase(cps, onig_categories(onig)))
    step("Oniguruma (?i) folding measured")

    tables: dict[str, object] = {
        "BERT_CONTROL_RANGES": to_ranges(control),
        "BERT_WHITESPACE_RANGES": to_ranges(bert_ws),
        "BERT_PUNCTUATION_RANGES": to_ranges(punct),
        "RUST_WHITESPACE_RANGES": to_ranges(rust_ws),
        "MN_RANGES": to_ranges(mn),
        "NFD_MAP": nfd_map,
        "CANONICAL_COMBINING_CLASS": ccc,
        "LOWERCASE_MAP": lower,
        "COMBINING_MARK_RANGES": to_ranges(marks),
        "NFKD_MAP": nfkd_map,
        "COMPOSITION_PAIRS": {cp: chr(key >> 21) + chr(key & 0x1FFFFF) for key, cp in sorted(pairs.items())},
        **onig,
    }
    source = {
        "tokenizers": tokenizers.__version__,
        "generated": _dt.datetime.now(_dt.timezone.utc).date().isoformat(),
        "python_unidata_version": unicodedata.unidata_version,
    }
    text, maps_text = render_module(tables, source)
    write_module(args.output, text, {k: v for k, v in tables.items() if k not in LAZY_TABLES})
    write_module(args.maps_output, maps_text, {k: v for k, v in tables.items() if k in LAZY_TABLES})
    step(f"wrote {args.output} ({len(text.encode()):,} bytes) and {args.maps_output} "
         f"({len(maps_text.encode()):,} bytes)")

    print("\nCounts (code points / ranges):")
    sets = {
        "BERT_CONTROL": control, "BERT_WHITESPACE": bert_ws, "BERT_PUNCTUATION": punct,
        "RUST_WHITESPACE": rust_ws, "MN": mn, "COMBINING_MARK": marks,
    }
    for name, members in sets.items():
        count = len(tables[name + "_RANGES"])  # type: ignore[arg-type]
        print(f"  {name + '_RANGES':30s} {len(members):8d} cps {count:6d} ranges")
    for name in ("ONIG_SPACE_RANGES", "ONIG_WORD_RANGES", "ONIG_DIGIT_RANGES"):
        ranges: Ranges = tables[name]  # type: ignore[assignment]
        print(f"  {name:30s} {sum(b - a + 1 for a, b in ranges):8d} cps {len(ranges):6d} ranges")
    runs = len(onig["ONIG_GENERAL_CATEGORY_STARTS"])  # type: ignore[arg-type]
    names = len(onig["ONIG_PROPERTY_ALIASES"])  # type: ignore[arg-type]
    print(f"  {'ONIG_GENERAL_CATEGORY_*':30s} {runs:8d} runs")
    print(f"  {'ONIG_PROPERTY_ALIASES':30s} {names:8d} names")
    print(f"  {'ONIG_IGNORECASE_ASCII':30s} {onig['ONIG_IGNORECASE_ASCII']!r}")
    print(f"  {'ONIG_MULTI_FOLD_TARGETS':30s} {onig['ONIG_MULTI_FOLD_TARGETS']!r}")
    print(f"  {'NFD_MAP':30s} {len(nfd_map):8d} entries (+ 11172 algorithmic Hangul syllables)")
    print(f"  {'NFKD_MAP':30s} {len(nfkd_map):8d} entries")
    print(f"  {'COMPOSITION_PAIRS':30s} {len(pairs):8d} entries")
    print(f"  {'CANONICAL_COMBINING_CLASS':30s} {len(ccc):8d} entries")
    print(f"  {'LOWERCASE_MAP':30s} {len(lower):8d} entries")
    for note in onig_notes:
        print("  note: " + note)

    print(
        f"\nHF tokenizers {tokenizers.__version__} vs Python {sys.version.split()[0]} "
        f"unicodedata {unicodedata.unidata_version} (code points; HF-only / Python-only):"
    )
    for what, hf_only, py_only in python_differences(
        cps, control, bert_ws, punct, rust_ws, mn, nfd_map, lower, ccc
    ):
        print(f"  {what:70s} {hf_only:6d} / {py_only:6d}")
    py_gc = {cp: unicodedata.category(chr(cp)) for cp in cps}
    onig_gc = onig_categories(onig)
    gc_diff = sum(1 for cp in cps if onig_gc[cp] != py_gc[cp])
    what = "Oniguruma general category differs from unicodedata.category"
    print(f"  {what:70s} {gc_diff:6d} / {gc_diff:6d}")
    if ccc_notes:
        print(f"\nCombining-class disagreements with unicodedata ({len(ccc_notes)}; HF behaviour kept):")
        for note in ccc_notes[:40]:
            print("  " + note)
        if len(ccc_notes) > 40:
            print(f"  ... {len(ccc_notes) - 40} more")
    if not args.skip_verify:
        verify_forms(cps)
        step("runtime nfc/nfkc/nfkd/nfd/is_combining_mark verified against HF")
        verify_classes()
        step("runtime translate_regex classes verified against HF")


def generate_graphemes(args: argparse.Namespace, step: Callable[[str], None]) -> None:
    source_text = args.segmentation_tables.read_text(encoding="utf-8")
    codes, version = load_segmentation_tables(source_text)
    linked = linked_crate_version("unicode-segmentation")
    step(f"segmentation tables read (Unicode {version}); tokenizers links unicode-segmentation {linked}")
    starts, values = grapheme_runs(codes)
    tables: dict[str, object] = {"GRAPHEME_BREAK_STARTS": starts, "GRAPHEME_BREAK_CODES": values}
    source = {
        "tokenizers": tokenizers.__version__,
        "crate": linked,
        "unicode_version": version,
        "tables_sha256": hashlib.sha256(source_text.encode("utf-8")).hexdigest(),
        "generated": _dt.datetime.now(_dt.timezone.utc).date().isoformat(),
    }
    text = render_grapheme_module(tables, source)
    write_module(args.grapheme_output, text, tables)
    step(f"wrote {args.grapheme_output} ({len(text.encode()):,} bytes, {len(starts)} runs)")
    differ = compare_with_regex_package(codes)
    print(f"  {len(differ)} code points differ from the regex package's Unicode version:")
    print("  " + " ".join(f"U+{cp:04X}" for cp in differ))
    if not args.skip_verify:
        verify_graphemes(differ)
        step("split_graphemes verified against regex \\X on 300,000 random strings")


def linked_crate_version(crate: str) -> str:
    """The version of ``crate`` compiled into the tokenizers extension (from its embedded paths)."""
    binary = next(Path(tokenizers.__file__).parent.glob("tokenizers*.so"), None)
    if binary is None:
        return "unknown"
    found = set(re.findall(rb"/" + crate.encode() + rb"-(\d+\.\d+\.\d+)/", binary.read_bytes()))
    return ", ".join(sorted(v.decode() for v in found)) or "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
