"""Real text for tests, generated at test time from files already on the machine.

Nothing here is committed text: every string is read from the running
interpreter's standard library or from the system's gettext catalogues, so the
corpus can be regenerated anywhere and never ships with the repository.

- :func:`english_texts` -- English sentences from CPython stdlib docstrings (PSF licence).
- :func:`japanese_pairs` / :func:`japanese_texts` -- English msgid / Japanese msgstr pairs
  from the system's ``ja`` gettext catalogues (licences vary per Debian package, hence
  generated, never committed); falls back to Django's ``ja`` ``.po`` files when the
  system has too few catalogues.
- :func:`edge_cases` -- hand-written tokenizer edge cases (normalisation, special
  tokens, long words, scripts, emoji, CJK ranges, ...).

All results are deterministic for a given machine (sorted file walks, seeded
shuffles) and cached in memory; each call returns a fresh list.
"""

from __future__ import annotations

import ast
import functools
import gettext
import os
import random
import re
import sysconfig
import warnings
from pathlib import Path

__all__ = ["english_texts", "japanese_pairs", "japanese_texts", "edge_cases"]

_SEED = 20240611
_MIN_CHARS = 20
_MAX_CHARS = 400
_MIN_MSGID_CHARS = 10
_MIN_JA_PAIRS = 1000

# ---------------------------------------------------------------------------
# English: CPython stdlib docstrings
# ---------------------------------------------------------------------------

# Folder names skipped anywhere below the stdlib root.
_EXCLUDED_DIRS = frozenset(
    {
        "test",
        "tests",
        "idle_test",
        "site-packages",
        "dist-packages",
        "__pycache__",
        "turtledemo",
        "lib2to3",  # mostly fixers + test data, deprecated
        "ensurepip",  # bundled wheels only
        "pydoc_data",  # one huge dict of help topics, no docstrings
    }
)
_EXCLUDED_DIR_PREFIXES = ("config-", "test_")

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z])")
_WS = re.compile(r"\s+")
_TABLE_LINE = re.compile(r"^\s*(?:[|+]|[=\-~^*]{3,}\s*$|.*[=\-]{4,}.*[=\-]{4,})")
_COLUMNS = re.compile(r"\S {3,}\S")
_BULLET_OR_FIELD = re.compile(r"^\s*(?:[-*+]\s|:\w[\w ]*:|\d+[.)]\s)")
_CODEISH = re.compile(r"[{}\[\]]{2,}|\b(?:def|class)\s+\w+\s*[(:]|^\s*[$%#]|=\s*[\w(\[]+\(")
_ALPHA = re.compile(r"[A-Za-z]")
_LETTERS = re.compile(r"[^\W\d_]")


def _stdlib_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in _EXCLUDED_DIRS and not d.startswith(_EXCLUDED_DIR_PREFIXES)
        )
        for name in sorted(filenames):
            if name.endswith(".py") and not name.startswith("test_"):
                files.append(Path(dirpath) / name)
    return files


_DEF_NODES = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
_STMT_NODES = (ast.stmt, ast.excepthandler, ast.match_case)


def _docstrings(source: str) -> list[str]:
    """Docstrings of the module and of every class/function, in source order.

    Only statement bodies are visited (not expressions): much cheaper than ``ast.walk``.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences etc. in old files
            tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found: list[str] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Module, *_DEF_NODES)):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                found.append(doc)
        children: list[ast.AST] = []
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children.extend(getattr(node, field, ()) or ())
        stack.extend(child for child in reversed(children) if isinstance(child, _STMT_NODES))
    return found


def _paragraph_is_prose(lines: list[str]) -> bool:
    text = "\n".join(lines)
    if ">>>" in text or "..." in text.lstrip()[:3]:
        return False
    for line in lines:
        if _TABLE_LINE.match(line) or _COLUMNS.search(line.strip()) or "\t" in line:
            return False
    # indented blocks (literal/code blocks, argument tables) and lists
    if any(line.startswith((" ", "\t")) for line in lines):
        return False
    if _BULLET_OR_FIELD.match(lines[0]):
        return False
    return True


def _sentences(paragraph: str) -> list[str]:
    flat = _WS.sub(" ", paragraph).strip()
    return [s.strip() for s in _SENTENCE_SPLIT.split(flat)]


def _looks_like_sentence(s: str) -> bool:
    if not (_MIN_CHARS <= len(s) <= _MAX_CHARS):
        return False
    if not (s[0].isupper() or s[0] in "\"'(`*"):
        return False
    if len(s.split()) < 3 or _CODEISH.search(s) or not _ALPHA.search(s):
        return False
    letters = len(_LETTERS.findall(s))
    return letters >= 0.6 * len(s.replace(" ", ""))


@functools.lru_cache(maxsize=1)
def _english_all() -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for path in _stdlib_files():
        try:
            source = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if '"""' not in source and "'''" not in source:
            continue
        for doc in _docstrings(source):
            for paragraph in re.split(r"\n\s*\n", doc):
                lines = [line for line in paragraph.split("\n") if line.strip()]
                if not lines or not _paragraph_is_prose(lines):
                    continue
                for sentence in _sentences(paragraph):
                    if _looks_like_sentence(sentence):
                        seen.setdefault(sentence, None)
    texts = list(seen)
    random.Random(_SEED).shuffle(texts)
    return tuple(texts)


def english_texts(limit: int | None = None) -> list[str]:
    """Unique English sentences (20-400 chars) from CPython stdlib docstrings, shuffled deterministically."""
    return list(_english_all()[:limit])


# ---------------------------------------------------------------------------
# Japanese: gettext catalogues
# ---------------------------------------------------------------------------

# Hiragana, katakana (+ phonetic extensions, half-width), CJK unified ideographs (+ ext. A, compat).
_JA_CHARS = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _ja_catalogue_files() -> list[Path]:
    files = sorted(Path("/usr/share/locale/ja/LC_MESSAGES").glob("*.mo"))
    vim_root = Path("/usr/share/vim")
    if vim_root.is_dir():
        files += sorted(vim_root.glob("**/ja/LC_MESSAGES/*.mo"))
    return files


def _mo_entries(path: Path) -> list[tuple[str, str]]:
    try:
        with open(path, "rb") as handle:
            catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    except Exception:  # a broken or unusual catalogue: skip it, never fail the tests here
        return []
    entries = []
    for key, value in catalog.items():
        if isinstance(key, tuple):  # plural form: (msgid, n); keep the first form only
            msgid, index = key
            if index != 0:
                continue
        else:
            msgid = key
        if not isinstance(msgid, str) or not isinstance(value, str):
            continue
        entries.append((msgid.rpartition("\x04")[2], value))  # drop a msgctxt prefix
    return entries


def _po_unquote(chunk: str) -> str:
    if not chunk.startswith('"'):
        return ""
    try:
        value = ast.literal_eval(chunk)
    except (ValueError, SyntaxError):
        return ""
    return value if isinstance(value, str) else ""


def _po_entries(path: Path) -> list[tuple[str, str]]:
    """Minimal .po reader: msgctxt/msgid/msgid_plural/msgstr[n], continued lines, skips fuzzy and obsolete."""
    entries: list[tuple[str, str]] = []
    fields: dict[str, str] = {}
    current: str | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal fields, current, fuzzy
        if "msgid" in fields and not fuzzy:
            msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
            entries.append((fields["msgid"], msgstr))
        fields, current, fuzzy = {}, None, False

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    for raw in lines:
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#,"):
            if "msgid" in fields:
                flush()
            fuzzy = fuzzy or "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and current is not None:
            fields[current] += _po_unquote(line)
        else:
            keyword, _, rest = line.partition(" ")
            if keyword in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in fields):
                flush()  # next entry without a blank line in between
            current = keyword
            fields[keyword] = _po_unquote(rest.strip())
    flush()
    return entries


def _django_po_files() -> list[Path]:
    try:
        import django  # noqa: PLC0415  (optional, only when the system has too few catalogues)
    except ImportError:
        return []
    root = Path(django.__file__).resolve().parent
    return sorted(root.glob("**/locale/ja/LC_MESSAGES/*.po"))


def _keep_pair(msgid: str, msgstr: str) -> bool:
    return len(msgid) >= _MIN_MSGID_CHARS and bool(_JA_CHARS.search(msgstr))


@functools.lru_cache(maxsize=1)
def _japanese_all() -> tuple[tuple[str, str], ...]:
    seen: dict[tuple[str, str], None] = {}
    for path in _ja_catalogue_files():
        for msgid, msgstr in _mo_entries(path):
            if _keep_pair(msgid, msgstr):
                seen.setdefault((msgid, msgstr), None)
    if len(seen) < _MIN_JA_PAIRS:
        for path in _django_po_files():
            for msgid, msgstr in _po_entries(path):
                if _keep_pair(msgid, msgstr):
                    seen.setdefault((msgid, msgstr), None)
    pairs = list(seen)
    random.Random(_SEED + 1).shuffle(pairs)
    return tuple(pairs)


def japanese_pairs(limit: int | None = None) -> list[tuple[str, str]]:
    """Unique (English msgid, Japanese msgstr) pairs from the ja gettext catalogues, shuffled (seeded).

    The count depends on the installed packages (about 32,700 on a Debian image with vim and
    postgres); tests must not assume a fixed number.
    """
    return list(_japanese_all()[:limit])


@functools.lru_cache(maxsize=1)
def _japanese_texts_all() -> tuple[str, ...]:
    return tuple(dict.fromkeys(ja for _, ja in _japanese_all()))


def japanese_texts(limit: int | None = None) -> list[str]:
    """Unique Japanese msgstr texts, in the order of :func:`japanese_pairs`."""
    return list(_japanese_texts_all()[:limit])


# ---------------------------------------------------------------------------
# Edge cases
# ---------------------------------------------------------------------------


def _mixed_long_text(length: int) -> str:
    pieces = [
        "The quick brown fox jumps over the lazy dog. ",
        "Съешь же ещё этих мягких французских булок. ",
        "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. ",
        "نص عربي قصير للاختبار. ",
        "טקסט עברי קצר. ",
        "यह एक छोटा हिंदी वाक्य है। ",
        "ภาษาไทยไม่มีช่องว่างระหว่างคำ ",
        "東京都に住んでいます。日本語の文章です。",
        "中文句子没有空格。",
        "한국어 문장입니다. ",
        "Ｆｕｌｌ－ｗｉｄｔｈ ｶﾀｶﾅ ",
        "naïve café Straße ﬁ İstanbul ΟΔΟΣ ",
        "emoji 👨‍👩‍👧‍👦 🇯🇵 👍🏽 ",
        "tabs\tand\nnewlines\r\n",
        "[PAD] [UNK] [CLS] x[SEP]y ",
        "a" * 120 + " ",
        "3.14 $5 ½ ¿qué? «x» —y ",
    ]
    out: list[str] = []
    total = 0
    i = 0
    while total < length:
        piece = pieces[i % len(pieces)]
        out.append(piece)
        total += len(piece)
        i += 1
    return "".join(out)[:length]


@functools.lru_cache(maxsize=1)
def _edge_cases_all() -> tuple[str, ...]:
    cases: list[str] = [
        # --- basic and whitespace
        "",
        " ",
        "   \n\t ",
        "\t",
        "\n",
        "\r\n",
        "\t\tindented\n\nnew paragraph\r\nwindows line",
        "a  b",
        "\tb c",
        "Hey friend!     How are you?!?",
        "a$b 3.14 ½ ¿qué? «x» —y",
        "hello world",
        "Hello, World!",
        # --- word length (max_input_chars_per_word = 100, strict >)
        "a" * 100,
        "a" * 101,
        "a" * 100 + " " + "b" * 101,
        "x" * 5000,
        "snow☃man",  # one unmatched character makes the whole word [UNK]
        "ab c☃",
        # --- control characters
        "a\x00b",
        "\x00",
        "bell\x07ring",
        "file\x1csep",
        "next\x85line",
        "del\x7fete",
        "\x07\x1c\x85\x7f",
        # --- special characters from the golden list
        "bom\ufeffstart",
        "\ufeffhello",
        "replacement\ufffdchar",
        "nbsp\xa0space",
        "ideographic\u3000space",
        "line\u2028separator",
        "zero\u200bwidth",
        "soft\u00adhyphen",
        "private\ue000use",
        "ogham\u1680space narrow\u202fnbsp mongolian\u180evowel",
        "unassigned\u0378char",
        # --- Unicode-version differences (HF tables predate Unicode 9)
        "a\u08e2b",
        "x\U00013430y",
        "m\u08d4n",
        "p\u0898q",
        "r\u2e43s",
        "t\U00011938u",
        "\u061d\u2e4f",
        # --- case and accents, combining marks
        "Héllò",
        "Cafe\u0301",
        "Café",
        "Héllò ΟΔΟΣ İ",
        "ΟΔΟΣ",
        "İ",
        "İstanbul",
        "Straße ﬁ",
        "STRASSE",
        "a\u0316\u0301",
        "a\u0301\u0316",
        "e\u0301\u0316",
        "e\u0316\u0301",
        "e\u0301",
        "Ａ\u0301",
        "①\u0301",
        "ǅemal ǈubljana",
        "ﬃ ﬄ ﬆ",
        # --- full-width and half-width forms
        "ＡＢＣ１２３！",
        "ＡＢＣ①",
        "ｶﾞ",
        "ｶﾞｷﾞｸﾞ ﾊﾟﾝ ｱｲｳｴｵ",
        "ﬁ",
        # --- emoji
        "👨‍👩‍👧‍👦",
        "family 👨‍👩‍👧‍👦 emoji",
        "🇯🇵🇺🇸🇫🇷",
        "👍🏽 👋🏻 🤷🏿‍♀️",
        "😀",
        "a😀x",
        "❤️ ☺️ ✌️",
        # --- scripts
        "日本語abc",
        "한국어",
        "野口里佳 Noguchi Rika",
        "你好",
        "東京都に住んでいます。",
        "xyz東京",
        "é",
        "?é",
        "Latin Кириллица Ελληνικά العربية עברית देवनागरी ภาษาไทย 漢字 かな カナ 한글",
        "Привет, мир!",
        "Γειά σου Κόσμε",
        "مرحبا بالعالم",
        "שלום עולם",
        "नमस्ते दुनिया",
        "สวัสดีชาวโลก",
        "안녕하세요 세계",
        "ｈｅｌｌｏ　ｗｏｒｌｄ",
        # --- CJK ranges (handle_chinese_chars), incl. the U+2B820..U+2B91F gap in HF
        "\u3400\u4dbf\u4e00\u9fff",
        "\uf900\ufaff",
        "\U00020000\U0002a6df",
        "\U0002a700\U0002b73f",
        "\U0002b740\U0002b81f",
        "a\U0002b81fb",
        "a\U0002b820b",
        "a\U0002b8a0b",
        "a\U0002b91fb",
        "a\U0002b920b",
        "\U0002ceaf\U0002ceb0",
        "\U0002f800\U0002fa1f",
        "\U00030000",
        # --- added / special tokens
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        "[CLS] hello",
        "hello [PAD] world",
        "hello[PAD]world",
        "HELLO [pad]",
        "[UNK][UNK] [PAD][PAD]",
        "<s> </s> <pad> <unk>",
        "<|endoftext|>",
        # --- BPE-ish
        "c",
        "cc",
        "accb",
        "   leading and trailing spaces   ",
        "multiple\n\n\nnewlines",
        "%%%",
        "XXXX",
        # --- long mixed text
        _mixed_long_text(20_000),
    ]
    unique = list(dict.fromkeys(cases))
    for text in unique:
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):  # pragma: no cover - guard
            raise AssertionError(f"lone surrogate in edge case {text!r}")
        text.encode("utf-8")  # must be encodable
    assert len(unique) == len(cases), "duplicate edge case"
    return tuple(unique)


def edge_cases() -> list[str]:
    """Hand-written tokenizer edge cases (no lone surrogates), in a fixed order."""
    return list(_edge_cases_all())


if __name__ == "__main__":  # quick report: python tests/corpus.py
    import time

    for name, fn in (("english", english_texts), ("ja pairs", japanese_pairs), ("edge", edge_cases)):
        start = time.perf_counter()
        items = fn()
        print(f"{name}: {len(items)} in {time.perf_counter() - start:.2f}s")
