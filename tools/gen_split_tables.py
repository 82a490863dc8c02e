"""Generate ``static_embed/tokenizer/_split_data.py`` from the real HF ``tokenizers`` library.

The simple splitting pre-tokenizers classify characters with tables the reference takes from
different places, none of them CPython's ``unicodedata``:

- ``Whitespace`` runs the Rust ``regex`` crate's ``\\w+|[^\\w\\s]+`` (that crate's Unicode tables);
- ``Digits`` uses Rust ``char::is_numeric`` (the Unicode version of the compiler that built the wheel);
- ``Punctuation`` uses the ``unicode_categories`` crate, the same predicate as ``BertPreTokenizer``
  (checked here against the already frozen ``BERT_PUNCTUATION_RANGES``; no new table is written
  unless they differ);
- ``UnicodeScripts`` uses the library's own script table (``Hiragana``/``Katakana``/U+30FC count
  as Han, U+0020 and everything unlisted as "Any").

Each table is measured one code point at a time through the public Python API of ``tokenizers``:

========================  =====================================================================
``WORD_RANGES``           ``Whitespace().pre_tokenize_str("a" + c)`` is the one piece ``"a" + c``
``SPACE_RANGES``          ``Whitespace().pre_tokenize_str(c)`` returns nothing
``NUMERIC_RANGES``        ``Digits(individual_digits=True).pre_tokenize_str("x" + c)`` isolates ``c``
``PUNCTUATION_RANGES``    ``Punctuation().pre_tokenize_str("x" + c)`` isolates ``c``
``SCRIPT_RANGES``         ``UnicodeScripts``: ``c`` is "Any" if it joins both ``"a"`` and ``"α"``; two
                          other characters share a script iff ``c1 + c2`` stays one piece
========================  =====================================================================

Run (needs the pinned ``tokenizers``)::

    /work/venvs/ref/bin/python tools/gen_split_tables.py [--output PATH]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import tokenizers
from tokenizers import pre_tokenizers

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "static_embed" / "tokenizer" / "_split_data.py"
sys.path.insert(0, str(REPO_ROOT))

Ranges = list[tuple[int, int]]


def all_code_points() -> list[int]:
    return [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]


def to_ranges(cps: Iterable[int]) -> Ranges:
    out: Ranges = []
    for cp in sorted(set(cps)):
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def measure(name: str, test: Callable[[str], bool], cps: list[int]) -> Ranges:
    started = time.perf_counter()
    ranges = to_ranges(cp for cp in cps if test(chr(cp)))
    count = sum(end - start + 1 for start, end in ranges)
    print(f"{name}: {count} code points in {len(ranges)} ranges ({time.perf_counter() - started:.1f} s)",
          file=sys.stderr)
    return ranges


def script_table(cps: list[int]) -> list[tuple[int, int, int]]:
    """(start, end, class) for every non-"Any" code point; classes numbered from 1 in order of appearance."""
    started = time.perf_counter()
    split = pre_tokenizers.UnicodeScripts().pre_tokenize_str

    def same(a: str, b: str) -> bool:
        return len(split(a + b)) == 1

    classes: list[str] = []  # representative character of each class
    assigned: list[tuple[int, int]] = []
    previous: tuple[str, int] | None = None
    for cp in cps:
        ch = chr(cp)
        if same("a", ch) and same("\u03b1", ch):
            continue  # "Any": never starts a new piece
        if previous is not None and same(previous[0], ch):
            cls = previous[1]
        else:
            for index in range(len(classes) - 1, -1, -1):
                if same(classes[index], ch):
                    cls = index + 1
                    break
            else:
                classes.append(ch)
                cls = len(classes)
        assigned.append((cp, cls))
        previous = (ch, cls)
    table: list[tuple[int, int, int]] = []
    for cp, cls in assigned:
        if table and table[-1][1] == cp - 1 and table[-1][2] == cls:
            table[-1] = (table[-1][0], cp, cls)
        else:
            table.append((cp, cp, cls))
    print(f"scripts: {len(classes)} classes, {len(assigned)} code points in {len(table)} ranges "
          f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return table


def format_ranges(name: str, comment: str, ranges: Ranges) -> str:
    lines = [f"# {comment}", f"{name}: tuple[tuple[int, int], ...] = ("]
    row: list[str] = []
    for start, end in ranges:
        row.append(f"(0x{start:04X}, 0x{end:04X}),")
        if len(row) == 5:
            lines.append("    " + " ".join(row))
            row = []
    if row:
        lines.append("    " + " ".join(row))
    lines.append(")")
    return "\n".join(lines) + "\n"


def format_scripts(table: list[tuple[int, int, int]]) -> str:
    lines = ["# UnicodeScripts: (start, end, script class) for every code point that is not \"Any\";",
             "# class numbers only tell scripts apart (Hiragana, Katakana and U+30FC share Han's).",
             "SCRIPT_RANGES: tuple[tuple[int, int, int], ...] = ("]
    row: list[str] = []
    for start, end, cls in table:
        row.append(f"(0x{start:04X}, 0x{end:04X}, {cls}),")
        if len(row) == 4:
            lines.append("    " + " ".join(row))
            row = []
    if row:
        lines.append("    " + " ".join(row))
    lines.append(")")
    return "\n".join(lines) + "\n"


def generate() -> str:
    from static_embed.tokenizer import _unicode_data

    cps = all_code_points()
    whitespace = pre_tokenizers.Whitespace().pre_tokenize_str
    digits = pre_tokenizers.Digits(individual_digits=True).pre_tokenize_str
    punctuation = pre_tokenizers.Punctuation().pre_tokenize_str

    word = measure("regex \\w", lambda ch: [p for p, _ in whitespace("a" + ch)] == ["a" + ch], cps)
    space = measure("regex \\s", lambda ch: not whitespace(ch), cps)
    numeric = measure("is_numeric", lambda ch: len(digits("x" + ch)) == 2, cps)
    punct = measure("punctuation", lambda ch: len(punctuation("x" + ch)) == 2, cps)
    scripts = script_table(cps)

    bert_punct = [tuple(r) for r in _unicode_data.BERT_PUNCTUATION_RANGES]
    same_punct = punct == bert_punct
    same_space = space == [tuple(r) for r in _unicode_data.RUST_WHITESPACE_RANGES]
    print(f"Punctuation == BERT_PUNCTUATION_RANGES: {same_punct}; "
          f"regex \\s == RUST_WHITESPACE_RANGES: {same_space}", file=sys.stderr)

    today = _dt.date.today().isoformat()
    header = (
        "# GENERATED FILE - DO NOT EDIT BY HAND.\n"
        "# Generated by tools/gen_split_tables.py from the Hugging Face `tokenizers` library\n"
        f"# version {tokenizers.__version__} on {today}, by evaluating its pre-tokenizers on every code point.\n"
        "# Regenerate with: python tools/gen_split_tables.py  (in an environment with the pinned tokenizers)\n"
        '"""Character tables of the simple splitting pre-tokenizers, frozen from the reference library.\n\n'
        "Ranges are sorted, disjoint, inclusive; surrogates never appear. Read through\n"
        "``static_embed.tokenizer.simple_splits``.\n"
        '"""\n\n'
    )
    source = (
        "SPLIT_DATA_SOURCE: dict[str, str] = {\n"
        f'    "tokenizers": "{tokenizers.__version__}",\n'
        f'    "generated": "{today}",\n'
        "}\n\n"
    )
    flags = (
        "#: Punctuation uses exactly BertPreTokenizer's table (``_unicode_data.BERT_PUNCTUATION_RANGES``)\n"
        f"PUNCTUATION_IS_BERT_PUNCTUATION = {same_punct}\n"
        "#: Whitespace's ``\\s`` is exactly Rust ``char::is_whitespace`` (``_unicode_data.RUST_WHITESPACE_RANGES``)\n"
        f"SPACE_IS_RUST_WHITESPACE = {same_space}\n\n"
    )
    parts = [
        header,
        source,
        flags,
        format_ranges("WORD_RANGES", "Whitespace pre-tokenizer: the regex crate's \\w.", word),
        "\n",
        format_ranges("SPACE_RANGES", "Whitespace pre-tokenizer: the regex crate's \\s.", space),
        "\n",
        format_ranges("NUMERIC_RANGES", "Digits pre-tokenizer: Rust char::is_numeric.", numeric),
        "\n",
    ]
    if not same_punct:
        parts += [format_ranges("PUNCTUATION_RANGES", "Punctuation pre-tokenizer.", punct), "\n"]
    parts.append(format_scripts(scripts))
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    text = generate()
    tmp = args.output.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.output)
    print(f"wrote {args.output} ({len(text.encode('utf-8'))} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
