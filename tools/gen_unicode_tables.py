"""Generate ``static_embed/tokenizer/_unicode_data.py`` from the real HF ``tokenizers`` library.

Why: the Rust ``tokenizers`` package classifies characters with crates pinned to old Unicode
versions, while Python's ``unicodedata`` follows the interpreter's (newer, version-dependent)
Unicode. The pure-Python tokenizer must reproduce the reference id for id on every CPython, so the
reference's observable behaviour is frozen here as data, once, and committed.

Run (needs ``tokenizers``; the project pins the reference in a venv)::

    /work/venvs/ref/bin/python tools/gen_unicode_tables.py [--output PATH]

Every table is measured one code point at a time through the public Python API of ``tokenizers``
(about a million calls per table, a few seconds each), so no batching trick has to be trusted.
``unicodedata`` is used only (a) to seed the canonical combining classes, which the library does not
expose and which are then re-derived from HF's NFD reordering, and (b) to print how far HF differs
from this interpreter's Unicode tables.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

import tokenizers
from tokenizers import normalizers, pre_tokenizers

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "static_embed" / "tokenizer" / "_unicode_data.py"

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


def render_module(tables: dict[str, object], source: dict[str, str]) -> str:
    header = f'''# GENERATED FILE - DO NOT EDIT BY HAND.
# Generated by tools/gen_unicode_tables.py from the Hugging Face `tokenizers` library
# version {source["tokenizers"]} on {source["generated"]}, by evaluating it on every code point.
# Python unicodedata {source["python_unidata_version"]} only seeded the combining classes, which were
# then re-derived from HF's own NFD reordering.
# Regenerate with: python tools/gen_unicode_tables.py  (in an environment with the pinned tokenizers)
"""Unicode character data frozen from the reference HF ``tokenizers`` implementation.

Why frozen: HF's Rust crates each pin their own Unicode version (some older, some newer than
CPython's ``unicodedata``), and CPython's tables change between versions; token ids must not.
Ranges are sorted, disjoint, inclusive ``(start, end)`` pairs; surrogates (U+D800..U+DFFF) are
never listed. Read through ``static_embed.tokenizer.unicode``, not directly.
"""

UNICODE_DATA_SOURCE: dict[str, str] = {{
    "tokenizers": {_str_literal(source["tokenizers"])},
    "generated": {_str_literal(source["generated"])},
    "python_unidata_version": {_str_literal(source["python_unidata_version"])},
}}

'''
    parts = [header]
    docs = {
        "BERT_CONTROL_RANGES": "Removed by BertNormalizer clean_text: NUL, U+FFFD and Cc|Cf|Co except \\t\\n\\r.",
        "BERT_WHITESPACE_RANGES": "Mapped to U+0020 by BertNormalizer clean_text (U+0020 included).",
        "BERT_PUNCTUATION_RANGES": "Isolated as their own piece by BertPreTokenizer.",
        "RUST_WHITESPACE_RANGES": "Delimiters of BertPreTokenizer (split and removed): Rust char::is_whitespace.",
        "MN_RANGES": "Nonspacing marks dropped by strip_accents (NFD-stable code points only).",
        "NFD_MAP": "HF NFD of each code point alone where it changes; Hangul syllables are algorithmic.",
        "CANONICAL_COMBINING_CLASS": "Non-zero canonical combining classes, as HF's NFD reordering behaves.",
        "LOWERCASE_MAP": "Per-character lowercase (Rust char::to_lowercase) where it changes the char.",
    }
    for name, doc in docs.items():
        value = tables[name]
        if name.endswith("_RANGES"):
            parts.append(render_ranges(name, doc, value))  # type: ignore[arg-type]
        elif name == "CANONICAL_COMBINING_CLASS":
            parts.append(render_dict(name, doc, value, "int"))  # type: ignore[arg-type]
        else:
            parts.append(render_dict(name, doc, value, "str"))  # type: ignore[arg-type]
        parts.append("\n")
    return "".join(parts).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    cps = all_code_points()

    def step(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:6.1f}s] {msg}", flush=True)

    step(
        f"tokenizers {tokenizers.__version__}, Python {sys.version.split()[0]}, "
        f"unicodedata {unicodedata.unidata_version}, {len(cps)} code points"
    )
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

    tables: dict[str, object] = {
        "BERT_CONTROL_RANGES": to_ranges(control),
        "BERT_WHITESPACE_RANGES": to_ranges(bert_ws),
        "BERT_PUNCTUATION_RANGES": to_ranges(punct),
        "RUST_WHITESPACE_RANGES": to_ranges(rust_ws),
        "MN_RANGES": to_ranges(mn),
        "NFD_MAP": nfd_map,
        "CANONICAL_COMBINING_CLASS": ccc,
        "LOWERCASE_MAP": lower,
    }
    source = {
        "tokenizers": tokenizers.__version__,
        "generated": _dt.datetime.now(_dt.timezone.utc).date().isoformat(),
        "python_unidata_version": unicodedata.unidata_version,
    }
    text = render_module(tables, source)

    # Round trip: the written module must hold exactly what was measured.
    namespace: dict[str, object] = {}
    exec(compile(text, str(args.output), "exec"), namespace)  # noqa: S102 - our own generated text
    for name, value in tables.items():
        got = namespace[name]
        want = tuple(value) if isinstance(value, list) else value  # type: ignore[arg-type]
        assert got == want, f"{name} does not round-trip"
    assert namespace["UNICODE_DATA_SOURCE"] == source
    text.encode("ascii")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="ascii", newline="\n")
    step(f"wrote {args.output} ({len(text.encode()):,} bytes)")

    print("\nCounts (code points / ranges):")
    for name in ("BERT_CONTROL", "BERT_WHITESPACE", "BERT_PUNCTUATION", "RUST_WHITESPACE", "MN"):
        sets = {
            "BERT_CONTROL": control,
            "BERT_WHITESPACE": bert_ws,
            "BERT_PUNCTUATION": punct,
            "RUST_WHITESPACE": rust_ws,
            "MN": mn,
        }
        print(f"  {name + '_RANGES':26s} {len(sets[name]):8d} cps {len(tables[name + '_RANGES']):6d} ranges")  # type: ignore[arg-type]
    print(f"  {'NFD_MAP':26s} {len(nfd_map):8d} entries (+ 11172 algorithmic Hangul syllables)")
    print(f"  {'CANONICAL_COMBINING_CLASS':26s} {len(ccc):8d} entries")
    print(f"  {'LOWERCASE_MAP':26s} {len(lower):8d} entries")

    print(
        f"\nHF tokenizers {tokenizers.__version__} vs Python {sys.version.split()[0]} "
        f"unicodedata {unicodedata.unidata_version} (code points; HF-only / Python-only):"
    )
    for what, hf_only, py_only in python_differences(
        cps, control, bert_ws, punct, rust_ws, mn, nfd_map, lower, ccc
    ):
        print(f"  {what:70s} {hf_only:6d} / {py_only:6d}")
    if ccc_notes:
        print(f"\nCombining-class disagreements with unicodedata ({len(ccc_notes)}; HF behaviour kept):")
        for note in ccc_notes[:40]:
            print("  " + note)
        if len(ccc_notes) > 40:
            print(f"  ... {len(ccc_notes) - 40} more")
    step("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
