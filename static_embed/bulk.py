"""Streaming bulk encoding behind ``static-embed encode``: flat memory, atomic and resumable output.

The input is read twice, each time as a stream: a first pass counts and checks the texts (so the ``.npy``
header can be written up front, progress has a total, and bad input fails before anything is written) and
hashes the bytes (the input's identity); a second pass encodes chunk by chunk. Memory therefore depends on the
chunk size, not on the input size.

Output goes to ``<output>.partial`` next to the output, with a state file ``<output>.partial.json``. After
each chunk the data is fsynced first, then the state (chunks and texts done, the input's sha256 and size, the
model and options) is replaced atomically, so a chunk counted as done is on disk. A later run with the same
input, model and options continues after the last finished chunk and produces the same bytes as an
uninterrupted run; only a complete output is renamed to the final path. Standard input is first copied to a
temporary file, so it can be counted too (and resumed by piping the same bytes again).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, TextIO, Union

import numpy as np

from . import __version__
from ._progress import Progress
from .encoder import StaticModel

__all__ = ["DEFAULT_CHUNK_SIZE", "PROGRESS_THRESHOLD", "BulkError", "FileSource", "ListSource", "SourceInfo",
           "encode_to_file", "encode_to_stream", "partial_paths"]

DEFAULT_CHUNK_SIZE = 16_384
PROGRESS_THRESHOLD = 10_000
_READ_BLOCK = 1 << 20
_RENDER_ROWS = 1024  # rows turned into Python floats at a time for JSONL/CSV (a whole chunk would be large)
_STATE_FORMAT = 1


class BulkError(ValueError):
    """Bad input or an output that cannot be resumed: one line for the user."""


@dataclass(frozen=True)
class SourceInfo:
    """What the counting pass learnt: how many texts, and the input's identity (size and sha256)."""

    texts: int
    size: int
    sha256: str


# --------------------------------------------------------------------------- input

def _raw_lines(handle: IO[bytes], digest: Any) -> Iterator[bytes]:
    """Split a byte stream on ``\\n`` (without it), hashing every byte read; one block in memory at a time."""
    pending: list[bytes] = []
    while block := handle.read(_READ_BLOCK):
        digest.update(block)
        parts = block.split(b"\n")
        if len(parts) == 1:
            pending.append(block)
            continue
        pending.append(parts[0])
        yield b"".join(pending)
        yield from parts[1:-1]
        pending = [parts[-1]] if parts[-1] else []
    if pending:
        yield b"".join(pending)


def _lines(handle: IO[bytes], digest: Any, source: str) -> Iterator[tuple[int, str]]:
    """(number, line) as Python's text mode reads them: ``\\n``, ``\\r\\n`` and a lone ``\\r`` end a line."""
    number = 0
    for raw in _raw_lines(handle, digest):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad_line = number + 1 + raw[:exc.start].count(b"\r")
            raise BulkError(f"{source}:{bad_line}: not valid UTF-8 ({exc.reason})") from None
        if line.endswith("\r"):
            line = line[:-1]
        if "\r" in line:
            for piece in line.split("\r"):
                number += 1
                yield number, piece
        else:
            number += 1
            yield number, line


def _parse_jsonl(line: str, number: int, field: str, source: str) -> str | None:
    """The field's text, or None for a blank line."""
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BulkError(f"{source}:{number}: invalid JSON ({exc.msg})") from None
    if not isinstance(record, dict) or field not in record:
        raise BulkError(f"{source}:{number}: no field {field!r} in this line")
    if not isinstance(record[field], str):
        raise BulkError(f"{source}:{number}: field {field!r} is {type(record[field]).__name__}, not a string")
    return record[field]


class FileSource:
    """Texts from a file (one per line, or one JSONL field per line) that can be read more than once.

    ``name`` is used in messages; standard input is copied to a temporary file by :meth:`from_stream`.
    """

    def __init__(self, path: str | None, *, name: str, jsonl_field: str | None = None,
                 spool: BinaryIO | None = None) -> None:
        self.path = path
        self.name = name
        self.jsonl_field = jsonl_field
        self._spool = spool

    @classmethod
    def from_stream(cls, stream: TextIO, *, name: str = "<stdin>",
                    jsonl_field: str | None = None) -> FileSource:
        """Copy a stream (its bytes when it has a binary buffer) to an anonymous temporary file."""
        spool = tempfile.TemporaryFile(prefix="static-embed-stdin-")
        binary = getattr(stream, "buffer", None)
        while block := (binary.read(_READ_BLOCK) if binary is not None
                        else stream.read(_READ_BLOCK).encode("utf-8")):
            spool.write(block)
        spool.flush()
        return cls(None, name=name, jsonl_field=jsonl_field, spool=spool)  # type: ignore[arg-type]

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()

    @contextlib.contextmanager
    def _open(self) -> Iterator[IO[bytes]]:
        if self._spool is not None:
            self._spool.seek(0)
            yield self._spool
            return
        assert self.path is not None
        try:
            handle = open(self.path, "rb")
        except FileNotFoundError:
            raise BulkError(f"input file not found: {self.path}") from None
        with handle:
            yield handle

    def _texts(self, handle: IO[bytes], digest: Any, skip_lines: int = 0) -> Iterator[tuple[int, str]]:
        field = self.jsonl_field
        for number, line in _lines(handle, digest, self.name):
            if number <= skip_lines:
                continue
            if field is None:
                yield number, line
                continue
            text = _parse_jsonl(line, number, field, self.name)
            if text is not None:
                yield number, text

    def scan(self) -> SourceInfo:
        """The counting pass: every line is decoded (and parsed, for JSONL), nothing is kept."""
        digest = hashlib.sha256()
        texts = 0
        with self._open() as handle:
            for _ in self._texts(handle, digest):
                texts += 1
            size = handle.tell()
        return SourceInfo(texts=texts, size=size, sha256=digest.hexdigest())

    @contextlib.contextmanager
    def texts(self, skip_lines: int = 0) -> Iterator[tuple[Iterator[tuple[int, str]], Any]]:
        """(number, text) after the first ``skip_lines`` lines, and the sha256 of every byte read."""
        digest = hashlib.sha256()
        with self._open() as handle:
            yield self._texts(handle, digest, skip_lines), digest

    def head(self, limit: int) -> list[str]:
        """The first ``limit`` texts (for ``--bench``)."""
        with self.texts() as (numbered, _):
            return [text for _, text in zip(range(limit), (text for _, text in numbered))]


class ListSource:
    """Texts given in memory (command-line arguments); the same interface as :class:`FileSource`."""

    name = "<arguments>"

    def __init__(self, texts: list[str]) -> None:
        self._texts = list(texts)

    def close(self) -> None:
        pass

    def _digest(self) -> Any:
        return hashlib.sha256(json.dumps(self._texts, ensure_ascii=False).encode("utf-8"))

    def scan(self) -> SourceInfo:
        data_size = sum(len(text.encode("utf-8")) for text in self._texts)
        return SourceInfo(texts=len(self._texts), size=data_size, sha256=self._digest().hexdigest())

    @contextlib.contextmanager
    def texts(self, skip_lines: int = 0) -> Iterator[tuple[Iterator[tuple[int, str]], Any]]:
        numbered = enumerate(self._texts, start=1)
        yield ((number, text) for number, text in numbered if number > skip_lines), self._digest()

    def head(self, limit: int) -> list[str]:
        return self._texts[:limit]


Source = Union[FileSource, ListSource]


def _chunks(numbered: Iterator[tuple[int, str]], size: int) -> Iterator[tuple[list[str], int]]:
    """Lists of up to ``size`` texts, each with the number of the last line it used."""
    chunk: list[str] = []
    last = 0
    for last, text in numbered:  # noqa: B007
        chunk.append(text)
        if len(chunk) == size:
            yield chunk, last
            chunk = []
    if chunk:
        yield chunk, last


# --------------------------------------------------------------------------- output

def _render(fmt: str, texts: list[str], vectors: np.ndarray) -> Iterator[str]:
    """JSONL or CSV text for a chunk, a few rows at a time (as ``json.dumps`` / ``csv.writer`` write them)."""
    for start in range(0, len(texts), _RENDER_ROWS):
        rows = vectors[start:start + _RENDER_ROWS].tolist()
        block = io.StringIO(newline="")
        if fmt == "jsonl":
            for text, row in zip(texts[start:start + _RENDER_ROWS], rows):
                block.write(json.dumps({"text": text, "embedding": row}, ensure_ascii=False) + "\n")
        else:
            csv.writer(block).writerows(rows)
        yield block.getvalue()


def _npy_header(rows: int, dim: int) -> bytes:
    """The header ``np.save`` writes for a C-ordered little-endian float32 array of this shape."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": np.lib.format.dtype_to_descr(np.dtype("<f4")),
                                                  "fortran_order": False, "shape": (rows, dim)})
    return buffer.getvalue()


class _PartialFile:
    """The partial output: an ``.npy`` with rows written in place, or JSONL/CSV appended chunk by chunk."""

    def __init__(self, fd: int, fmt: str, total: int, dim: int) -> None:
        self.fd = fd
        self.fmt = fmt
        self.total = total
        self.header = _npy_header(total, dim) if fmt == "npy" else b""
        self.row_bytes = dim * 4

    def create(self) -> None:
        os.ftruncate(self.fd, 0)
        if self.fmt == "npy":
            _write_at(self.fd, self.header, 0)
            os.ftruncate(self.fd, len(self.header) + self.total * self.row_bytes)
        os.fsync(self.fd)

    def can_resume(self, output_bytes: int) -> bool:
        """Whether the file holds what the state says was written (and, for ``.npy``, the right header)."""
        size = os.fstat(self.fd).st_size
        if self.fmt == "npy":
            return (_read_at(self.fd, len(self.header), 0) == self.header
                    and size == len(self.header) + self.total * self.row_bytes and output_bytes == 0)
        return size >= output_bytes

    def rewind_to(self, output_bytes: int) -> None:
        """Drop whatever an interrupted run wrote after its last finished chunk (JSONL/CSV)."""
        if self.fmt != "npy":
            os.ftruncate(self.fd, output_bytes)

    def write(self, start_row: int, texts: list[str], vectors: np.ndarray, output_bytes: int) -> int:
        """Write a chunk and make it durable; returns the new text-output length (0 for ``.npy``)."""
        if self.fmt == "npy":
            data = np.ascontiguousarray(vectors, dtype="<f4").tobytes()
            _write_at(self.fd, data, len(self.header) + start_row * self.row_bytes)
        else:
            for piece in _render(self.fmt, texts, vectors):
                data = piece.encode("utf-8")
                _write_at(self.fd, data, output_bytes)
                output_bytes += len(data)
        os.fsync(self.fd)
        return output_bytes


def _write_at(fd: int, data: bytes, offset: int) -> None:
    """Write all of ``data`` at ``offset`` (seek + write: ``os.pwrite`` does not exist on Windows)."""
    os.lseek(fd, offset, os.SEEK_SET)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_at(fd: int, size: int, offset: int) -> bytes:
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, size)


def partial_paths(output: str) -> tuple[str, str]:
    """Where a run writing ``output`` keeps its unfinished output and its state."""
    return output + ".partial", output + ".partial.json"


def _fsync_folder(folder: str) -> None:
    if os.name == "nt":  # a folder cannot be opened for fsync there; NTFS orders the rename itself
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_state(path: str, state: dict[str, Any]) -> None:
    """Replace the state file atomically and durably (write, fsync, rename, fsync the folder)."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_folder(os.path.dirname(os.path.abspath(path)))


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _lock(fd: int, path: str) -> None:
    """One run per output: a second concurrent run would interleave chunks in the same partial file."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise BulkError(f"another static-embed run is writing {path}") from None


def _identity(model: StaticModel, source: Source, fmt: str, info: SourceInfo) -> dict[str, Any]:
    """Everything the output bytes depend on; a resumed run must match it exactly."""
    return {"state_format": _STATE_FORMAT, "static_embed": __version__,
            "input_sha256": info.sha256, "input_size": info.size, "input_texts": info.texts,
            "jsonl_field": getattr(source, "jsonl_field", None), "format": fmt,
            "model": os.fspath(model.spec.path), "model_format": model.spec.format,
            "compat": model.spec.compat,
            "dim": model.dim, "normalize": model.normalize, "tokenizer_backend": model.tokenizer_backend}


def _read_state(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _mismatch(state: dict[str, Any] | None, identity: dict[str, Any]) -> str | None:
    """Why ``state`` cannot be continued with ``identity`` (None when it can)."""
    if state is None:
        return "its state file is missing or unreadable"
    differing = [key for key, value in identity.items() if state.get("identity", {}).get(key) != value]
    if differing:
        what = "input" if differing[0].startswith("input") else "setup"
        return f"it was made from a different {what} ({', '.join(differing)} differ)"
    progress = state.get("progress", {})
    if not all(isinstance(progress.get(key), int) and progress[key] >= 0
               for key in ("chunks", "texts", "lines", "output_bytes")):
        return "its state file is malformed"
    return None


# --------------------------------------------------------------------------- runs

def _progress_bar(total: int, progress: bool | None, initial: int, stderr: TextIO) -> Progress:
    enabled = progress if progress is not None else total > PROGRESS_THRESHOLD
    return Progress(total, enabled=enabled, stream=stderr, initial=initial)


def encode_to_stream(model: StaticModel, source: Source, fmt: str, stream: TextIO, *,
                     chunk_size: int = DEFAULT_CHUNK_SIZE, batch_size: int = 1024,
                     progress: bool | None = None, stderr: TextIO) -> None:
    """Write JSONL or CSV to ``stream`` chunk by chunk, after a counting pass that checks every text."""
    info = source.scan()
    bar = _progress_bar(info.texts, progress, 0, stderr)
    with source.texts() as (numbered, _):
        for texts, _ in _chunks(numbered, chunk_size):
            vectors = model.encode(texts, batch_size=batch_size)
            for piece in _render(fmt, texts, vectors):
                stream.write(piece)
            bar.update(len(texts))
    bar.close()


def encode_to_file(model: StaticModel, source: Source, fmt: str, output: str, *,
                   chunk_size: int = DEFAULT_CHUNK_SIZE, batch_size: int = 1024, resume: bool | None = None,
                   progress: bool | None = None, stderr: TextIO) -> None:
    """Encode every text into ``output`` (npy, jsonl or csv), resumably; see the module docstring.

    Args:
        resume: None continues a matching partial output and starts over (saying why) when it does not match;
            True continues or refuses with :class:`BulkError`; False always starts over.
    """
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise BulkError(f"output folder does not exist: {folder}")
    partial, state_path = partial_paths(output)
    if resume and not os.path.exists(partial):
        raise BulkError(f"nothing to resume: {partial} does not exist")
    info = source.scan()
    identity = _identity(model, source, fmt, info)
    fd = os.open(partial, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o666)
    done = {"chunks": 0, "texts": 0, "lines": 0, "output_bytes": 0}
    owned = False  # whether this run has taken the partial file over (and may clean it up)
    try:
        _lock(fd, partial)
        target = _PartialFile(fd, fmt, info.texts, model.dim)
        state = _read_state(state_path) if resume is not False else None
        reason = _mismatch(state, identity) if resume is not False else "--no-resume was given"
        if reason is None and state is not None and not target.can_resume(state["progress"]["output_bytes"]):
            reason = "it is shorter than its state file says"
        if reason is not None and resume:
            raise BulkError(f"cannot resume {partial}: {reason}; run without --resume to start over")
        owned = True
        if reason is None and state is not None:
            done = dict(state["progress"])
            target.rewind_to(done["output_bytes"])
            stderr.write(f"static-embed: resuming {partial}: {done['texts']:,} of {info.texts:,} texts "
                         f"already encoded ({done['chunks']} chunks)\n")
        else:
            if os.path.exists(state_path) and resume is None:
                stderr.write(f"static-embed: starting over: {partial} cannot be continued, {reason}\n")
            _remove(state_path)  # before the partial changes, so no state ever describes other bytes
            _fsync_folder(folder)
            target.create()
            _write_state(state_path, {"identity": identity, "chunk_size": chunk_size, "progress": done})
        resumed_texts = done["texts"]
        _encode_chunks(model, source, target, info, identity, done, state_path, chunk_size=chunk_size,
                       batch_size=batch_size, progress=progress, stderr=stderr)
    except BaseException as exc:
        os.close(fd)
        if owned and (done["texts"] == 0 or isinstance(exc, _InputChanged)):
            _remove(state_path)
            _remove(partial)
        elif owned:
            stderr.write(f"static-embed: stopped; {done['texts']:,} of {info.texts:,} texts are kept in "
                         f"{partial}: run the same command again to resume\n")
        raise
    if os.name == "nt":  # an open file cannot be renamed there
        os.close(fd)
    os.replace(partial, output)
    _fsync_folder(folder)
    _remove(state_path)
    _remove(state_path + ".tmp")  # left by a run killed while replacing the state
    if os.name != "nt":
        os.close(fd)
    if resumed_texts:
        stderr.write(f"static-embed: encoded {info.texts - resumed_texts:,} texts; {resumed_texts:,} came "
                     "from the interrupted run\n")


class _InputChanged(BulkError):
    """The input's bytes changed between the counting pass and the encoding pass."""


def _encode_chunks(model: StaticModel, source: Source, target: _PartialFile, info: SourceInfo,
                   identity: dict[str, Any], done: dict[str, int], state_path: str, *, chunk_size: int,
                   batch_size: int, progress: bool | None, stderr: TextIO) -> None:
    """Encode the chunks not yet done; after each, fsync the data, then record it in the state file."""
    bar = _progress_bar(info.texts, progress, done["texts"], stderr)
    try:
        with source.texts(skip_lines=done["lines"]) as (numbered, digest):
            for texts, last_line in _chunks(numbered, chunk_size):
                if done["texts"] + len(texts) > info.texts:
                    raise _InputChanged(f"{source.name} changed while it was being encoded (more texts than "
                                        "counted); the partial output was removed")
                vectors = model.encode(texts, batch_size=batch_size)
                done["output_bytes"] = target.write(done["texts"], texts, vectors, done["output_bytes"])
                done["chunks"] += 1
                done["texts"] += len(texts)
                done["lines"] = last_line
                _write_state(state_path, {"identity": identity, "chunk_size": chunk_size, "progress": done})
                bar.update(len(texts))
            if done["texts"] != info.texts or digest.hexdigest() != info.sha256:
                raise _InputChanged(f"{source.name} changed while it was being encoded; the partial output "
                                    "was removed")
    finally:
        bar.close()
