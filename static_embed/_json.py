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

from .errors import ModelFormatError

__all__ = ["MAX_JSON_DEPTH", "loads_strict", "load_json_file"]

MAX_JSON_DEPTH = 64


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _nesting_depth_exceeds(text: str, limit: int) -> bool:
    """Bound nesting before parsing, so deep input never reaches the recursive parser."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def loads_strict(text: str | bytes, *, source: str, error: type[ModelFormatError] = ModelFormatError) -> Any:
    """Parse JSON strictly; raise ``error`` naming ``source`` on any problem."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(f"{source}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    if _nesting_depth_exceeds(text, MAX_JSON_DEPTH):
        raise error(f"{source}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise error(f"{source}: invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:
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
        data = handle.read(max_bytes + 1)
    return loads_strict(data, source=path, error=error)
