"""Strict JSON reading for model files.

CPython's ``json`` accepts things serde (used by the reference libraries) rejects
or reads differently: ``NaN``/``Infinity``, duplicate keys (last one wins), and
nesting deep enough to raise ``RecursionError``. Model files come from strangers,
so every JSON file is read here, and every problem becomes a ``ModelFormatError``
naming the file.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from .errors import ModelFormatError

__all__ = ["MAX_JSON_DEPTH", "loads_strict", "load_json_file"]

#: serde_json's recursion limit, which the reference libraries parse with
MAX_JSON_DEPTH = 128


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)  # one C-level pass; the duplicate is looked for only when there is one
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return result


_STRUCTURAL = np.zeros(256, dtype=bool)
_STRUCTURAL[[ord(c) for c in '"\\[]{}']] = True


#: structural bytes examined per numpy pass: bounds the work arrays (about 50 bytes per structural byte)
_DEPTH_CHUNK = 1 << 18


def _chunk_depth(raw: np.ndarray, depth: int, inside: bool) -> tuple[int, int, bool]:
    """(max depth, depth at the end, inside a string at the end) for one chunk, starting from ``depth``/``inside``.

    The chunk never ends inside a run of backslashes, so escapes do not cross chunk boundaries.
    """
    where = np.flatnonzero(_STRUCTURAL[raw])
    if where.size == 0:
        return depth, depth, inside
    codes = raw[where]
    index = np.arange(where.size)
    adjacent = np.zeros(where.size, dtype=bool)  # this byte directly follows the previous structural byte
    adjacent[1:] = np.diff(where) == 1
    backslash = codes == ord("\\")
    continues_run = np.zeros(where.size, dtype=bool)
    continues_run[1:] = backslash[1:] & backslash[:-1] & adjacent[1:]
    run_start = np.maximum.accumulate(np.where(backslash & ~continues_run, index, -1))
    run_length = np.where(backslash, index - run_start + 1, 0)  # backslashes ending here
    escaped = np.zeros(where.size, dtype=bool)
    escaped[1:] = adjacent[1:] & (run_length[:-1] % 2 == 1)
    quote = (codes == ord('"')) & ~escaped
    quotes_so_far = np.cumsum(quote)
    outside = (quotes_so_far + int(inside)) % 2 == 0
    steps = outside * (((codes == ord("[")) | (codes == ord("{"))).astype(np.int64)
                       - ((codes == ord("]")) | (codes == ord("}"))).astype(np.int64))
    levels = np.cumsum(steps) + depth
    return int(levels.max(initial=depth)), int(levels[-1]), bool((int(quotes_so_far[-1]) + int(inside)) % 2)


def nesting_depth(data: bytes) -> int:
    """Deepest bracket nesting outside strings, in numpy passes over the few structural bytes.

    The bytes are scanned in chunks so that the work arrays stay bounded whatever the file's size.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    best = depth = 0
    inside = False
    start = 0
    while start < raw.size:
        end = min(start + _DEPTH_CHUNK, raw.size)
        while end < raw.size and raw[end - 1] == ord("\\"):  # never split a run of backslashes
            end += 1
        top, depth, inside = _chunk_depth(raw[start:end], depth, inside)
        best = max(best, top)
        start = end
    return best


def loads_strict(text: str | bytes, *, source: str, error: type[ModelFormatError] = ModelFormatError) -> Any:
    """Parse JSON strictly; raise ``error`` naming ``source`` on any problem."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        raw_input = text  # kept as is: no second encoded copy of a large file
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(f"{source}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
        raw = bytes(raw_input)
    else:
        raw = text.encode("utf-8", "surrogatepass")
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and nesting_depth(raw) > MAX_JSON_DEPTH:
        raise error(f"{source}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise error(f"{source}: invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        # CPython's parser recurses per level and stops at the recursion limit, cleanly
        raise error(f"{source}: JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:
        # duplicate keys, NaN/Infinity, integers too long to convert
        raise error(f"{source}: invalid JSON ({exc})") from None


def load_json_file(path: str | os.PathLike[str], *, max_bytes: int = 256 * 1024 * 1024,
                   error: type[ModelFormatError] = ModelFormatError) -> Any:
    """Read and strictly parse a JSON file, refusing files larger than ``max_bytes``."""
    path = os.fspath(path)
    size = os.path.getsize(path)
    if size > max_bytes:
        raise error(f"{path}: file is {size} bytes, larger than the {max_bytes}-byte limit for JSON")
    with open(path, "rb") as handle:
        data = handle.read(size + 1)  # read(n) allocates n bytes up front: never ask for the cap itself
    return loads_strict(data, source=path, error=error)
