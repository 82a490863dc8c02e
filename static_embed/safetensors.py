"""A strict ``.safetensors`` reader in numpy and the standard library.

Model files come from strangers, and this runner must not need torch or the Rust
``safetensors`` wheel to read them. The whole header is validated before a single
byte of tensor data is mapped: lengths are checked against the file size first, the
JSON is parsed strictly (no duplicate keys, no NaN, bounded nesting), every dim and
offset must be a plain non-negative ``int`` below 2**48, the tensors must tile the
data area exactly, and every problem raises :class:`SafetensorsFormatError` naming
the file. This is stricter than the reference reader where the reference is lax
(duplicate keys, ``__metadata__`` types). Tensors are returned as read-only,
little-endian numpy views on a read-only memory map; ``BF16`` is upcast exactly to
``float32``. A :class:`SafetensorsFile` is immutable after opening, so threads may
share it.
"""

from __future__ import annotations

import mmap
import os
from typing import Any, NamedTuple, Union

import numpy as np

from ._json import loads_strict
from .errors import ModelFormatError, SafetensorsFormatError, UnsupportedDtypeError

__all__ = ["SafetensorsFile", "open_safetensors"]

MAX_HEADER_SIZE = 100_000_000  # the reference's cap on the JSON header, in bytes
MAX_SIZE = 2**48 - 1  # largest dim or offset allowed by the format's JSON Schema

# Bits per element for every dtype of the reference enum (safetensors 0.8.0).
_DTYPE_BITS = {
    "BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8,
    "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
    "C64": 64, "F64": 64, "I64": 64, "U64": 64,
}
# Dtypes read as zero-copy views; always explicit little-endian.
_NUMPY_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "<i1", "U8": "<u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "|b1",
}
_SUPPORTED = sorted([*_NUMPY_DTYPES, "BF16"])


class _Entry(NamedTuple):
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


def _q(name: str) -> str:
    """Quote a name for a message, bounded so a hostile 100 MB name stays short."""
    return repr(name if len(name) <= 100 else name[:100] + "...")


def _fmt_shape(shape: tuple[int, ...] | list[Any]) -> str:
    dims = ", ".join(str(d) for d in shape[:8])
    return f"[{dims}{', ...' if len(shape) > 8 else ''}]"


def _nbits(shape: tuple[int, ...], bits: int) -> int | None:
    """Size in bits, or None when it exceeds anything a valid file can declare."""
    if 0 in shape:
        return 0
    total = bits
    for dim in shape:
        total *= dim
        if total > 8 * MAX_SIZE:  # stop early: a long shape must not build a huge int
            return None
    return total


class SafetensorsFile:
    """An opened, fully validated ``.safetensors`` file (read-only)."""

    path: str
    metadata: dict[str, str]

    def __init__(self, path: str, metadata: dict[str, str], entries: dict[str, _Entry],
                 buffer: Union[mmap.mmap, bytes], data_start: int) -> None:
        self.path = path
        self.metadata = metadata
        self._entries = entries  # in file order (sorted by offsets)
        self._buffer = buffer
        self._data_start = data_start

    def __repr__(self) -> str:
        return f"SafetensorsFile({self.path!r}, {len(self._entries)} tensors)"

    def keys(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._entries

    def _entry(self, name: str) -> _Entry:
        entry = self._entries.get(name) if isinstance(name, str) else None
        if entry is None:
            names = list(self._entries)
            found = ", ".join(_q(n) for n in names[:20]) + (f", ... ({len(names) - 20} more)"
                                                             if len(names) > 20 else "")
            raise ModelFormatError(f"{self.path}: missing tensor {_q(str(name))} (found: [{found}])")
        return entry

    def dtype(self, name: str) -> str:
        return self._entry(name).dtype

    def shape(self, name: str) -> tuple[int, ...]:
        return self._entry(name).shape

    def tensor(self, name: str) -> np.ndarray:
        """Return tensor ``name`` as a read-only array (a view on the file when possible)."""
        entry = self._entry(name)
        if entry.dtype == "BF16":
            storage = np.dtype("<u2")
        elif entry.dtype in _NUMPY_DTYPES:
            storage = np.dtype(_NUMPY_DTYPES[entry.dtype])
        else:
            raise UnsupportedDtypeError(
                f"{self.path}: tensor {_q(name)} has dtype {entry.dtype}, which static_embed "
                f"cannot read (supported: {', '.join(_SUPPORTED)})")
        count = (entry.end - entry.begin) // storage.itemsize
        start = self._data_start + entry.begin
        if count == 0:
            flat = np.empty(0, dtype=storage)
        else:
            flat = np.frombuffer(self._buffer, dtype=storage, count=count, offset=start)
            if start % storage.itemsize:  # misaligned start (header length not a multiple of 8)
                flat = flat.copy()
        if entry.dtype == "BF16":
            flat = (flat.astype("<u4") << 16).view("<f4")  # exact: bf16 is the top half of an f32
        elif entry.dtype == "BOOL" and count and flat.view(np.uint8).max() > 1:
            flat = flat.view(np.uint8) != 0  # bytes other than 0/1 would confuse numpy's bool
        try:
            array = flat.reshape(entry.shape)
        except ValueError as exc:  # too many dims for numpy, or zero-size dims too big for it
            raise SafetensorsFormatError(
                f"{self.path}: tensor {_q(name)}: shape {_fmt_shape(entry.shape)} cannot be "
                f"represented by numpy ({exc})") from None
        array.flags.writeable = False
        return array


def _parse_entry(path: str, name: str, info: Any) -> _Entry:
    where = f"{path}: tensor {_q(name)}"
    if not isinstance(info, dict):
        raise SafetensorsFormatError(f"{where}: entry must be a JSON object, got {type(info).__name__}")
    for field in ("dtype", "shape", "data_offsets"):
        if field not in info:
            raise SafetensorsFormatError(f"{where}: missing field {field!r}")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if type(dtype) is not str:
        raise SafetensorsFormatError(f"{where}: dtype must be a string, got {type(dtype).__name__}")
    if dtype not in _DTYPE_BITS:  # case-sensitive, like the reference
        raise SafetensorsFormatError(f"{where}: unknown dtype {dtype[:40]!r}")
    if type(shape) is not list:
        raise SafetensorsFormatError(f"{where}: shape must be a list of integers")
    if type(offsets) is not list or len(offsets) != 2:
        raise SafetensorsFormatError(f"{where}: data_offsets must be a list of two integers")
    for what, values in (("shape", shape), ("data_offsets", offsets)):
        for i, value in enumerate(values):
            if type(value) is not int or not 0 <= value <= MAX_SIZE:  # rejects bool, float, str
                shown = repr(value) if type(value) is int else type(value).__name__
                raise SafetensorsFormatError(
                    f"{where}: {what}[{i}] must be an integer in 0..2**48-1, got {shown[:40]}")
    return _Entry(dtype, tuple(shape), offsets[0], offsets[1])


def _check_text(path: str, text: str, what: str) -> None:
    try:  # JSON escapes can produce lone surrogates; the reference (serde) rejects them
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise SafetensorsFormatError(f"{path}: {what} {_q(text)} is not valid Unicode") from None


def _parse_header(path: str, raw: bytes, data_len: int) -> tuple[dict[str, str], dict[str, _Entry]]:
    header = loads_strict(raw, source=f"{path}: header", error=SafetensorsFormatError)
    if not isinstance(header, dict):
        raise SafetensorsFormatError(f"{path}: header must be a JSON object, got {type(header).__name__}")
    metadata = header.pop("__metadata__", None)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict) or not all(type(v) is str for v in metadata.values()):
        raise SafetensorsFormatError(f"{path}: __metadata__ must be an object of strings")
    for key, value in metadata.items():
        _check_text(path, key, "metadata key")
        _check_text(path, value, "metadata value")

    parsed = []
    for name, info in header.items():
        _check_text(path, name, "tensor name")
        parsed.append((name, _parse_entry(path, name, info)))
    parsed.sort(key=lambda item: (item[1].begin, item[1].end))  # stable: ties keep file order

    position = 0
    for name, entry in parsed:
        if entry.begin != position or entry.end < entry.begin:
            raise SafetensorsFormatError(f"{path}: invalid offset for tensor {_q(name)}")
        position = entry.end
        bits = _nbits(entry.shape, _DTYPE_BITS[entry.dtype])
        declared = entry.end - entry.begin
        prefix = f"{path}: tensor {_q(name)}: shape {_fmt_shape(entry.shape)} x {entry.dtype}"
        if bits is None:
            raise SafetensorsFormatError(
                f"{prefix} needs more than {MAX_SIZE} bytes, file declares {declared}")
        if bits % 8:
            raise SafetensorsFormatError(f"{prefix} is {bits} bits, not a whole number of bytes")
        if bits // 8 != declared:
            raise SafetensorsFormatError(f"{prefix} needs {bits // 8} bytes, file declares {declared}")
    if position < data_len:
        raise SafetensorsFormatError(f"{path}: file not fully covered: {data_len - position} trailing bytes")
    if position > data_len:
        raise SafetensorsFormatError(
            f"{path}: truncated: tensors need {position} data bytes, file has {data_len}")
    return metadata, dict(parsed)


def open_safetensors(path: str | os.PathLike[str]) -> SafetensorsFile:
    """Open and validate a ``.safetensors`` file; raise ``SafetensorsFormatError`` if malformed."""
    path = os.fsdecode(os.fspath(path))
    with open(path, "rb") as handle:  # a missing file raises FileNotFoundError naming the path
        size = os.fstat(handle.fileno()).st_size
        if size < 8:
            raise SafetensorsFormatError(f"{path}: header too small ({size}-byte file)")
        n = int.from_bytes(handle.read(8), "little")
        if n > MAX_HEADER_SIZE:
            raise SafetensorsFormatError(f"{path}: header too large ({n} bytes, limit {MAX_HEADER_SIZE})")
        if 8 + n > size:
            raise SafetensorsFormatError(
                f"{path}: invalid header length ({n} bytes declared, {size - 8} in the file)")
        raw = handle.read(n)
        if len(raw) != n:
            raise SafetensorsFormatError(f"{path}: truncated while reading the header")
        data_start = 8 + n
        metadata, entries = _parse_header(path, raw, size - data_start)
        buffer: Union[mmap.mmap, bytes] = b""
        if size > data_start:  # never mmap an empty data area
            try:
                buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            except (OverflowError, ValueError, MemoryError) as exc:
                raise SafetensorsFormatError(f"{path}: cannot map the file ({exc})") from None
            if len(buffer) != size:
                buffer.close()
                raise SafetensorsFormatError(f"{path}: file changed size while opening")
    return SafetensorsFile(path, metadata, entries, buffer, data_start)
