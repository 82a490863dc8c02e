"""Hub ids (``org/name``) and aliases to local folders, through the shared Hugging Face cache.

Standard library only; the on-disk layout is the one ``huggingface_hub`` writes and
reads, so a model that sentence-transformers or model2vec already downloaded loads
with no network request, and what is downloaded here is reused by them::

    <cache>/models--org--name/
        blobs/<etag>                          file contents, named by their ETag
        snapshots/<commit>/<path>             relative symlinks to the blobs (copies where symlinks fail)
        refs/<branch or tag>                  the commit the name pointed to
        .no_exist/<commit>/<path>             files known to be absent at that commit

Only the files the model's format needs are fetched: first the small descriptors
(``modules.json``, ``config.json``, ``config_sentence_transformers.json``,
``tokenizer.json``; a 404 just means "absent"), then the table the detected layout
uses (``model.safetensors``, a module folder's ``model.safetensors`` +
``tokenizer.json``, or the quantized SSE pair ``model_rest.safetensors`` +
``embedding.q4_k_m.bin``).

Environment (read at call time): ``HF_ENDPOINT``, ``HF_TOKEN`` (then the token file
``$HF_TOKEN_PATH`` or ``$HF_HOME/token``), ``HF_HOME``, ``HF_HUB_CACHE``,
``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``), ``HF_HUB_DISABLE_IMPLICIT_TOKEN``,
``HF_HUB_DISABLE_SYMLINKS``, ``HF_HUB_DISABLE_PROGRESS_BARS``; plus
``STATIC_EMBED_HUB_TIMEOUT`` (seconds per connect or read, default 10) and
``STATIC_EMBED_HUB_RETRIES`` (retries after a connection error, timeout, 5xx or a cut
body, default 3).

Writes are atomic: a blob is streamed to ``blobs/<etag>.<random>.incomplete``, its byte
count (and sha256 when the ETag is one, as for LFS files) is checked, and only then is it
renamed into place; snapshot links and refs are also renamed into place, and ``refs/``
is written last. An interrupted download therefore never leaves a file a later load
accepts.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import platform
import random
import re
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, TextIO

from .aliases import MODEL_ALIASES, resolve_alias
from .errors import ModelFormatError

if TYPE_CHECKING:
    from .encoder import StaticModel

__all__ = [
    "HubAuthError",
    "HubDownloadError",
    "HubError",
    "HubNotFoundError",
    "HubTimeoutError",
    "ModelNotCachedError",
    "default_cache_dir",
    "is_hub_reference",
    "load_from_hub",
    "resolve_model",
]

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_RETRIES = 3
RETRY_BACKOFF_S = 0.5          # first pause; doubles per retry, with jitter
RETRY_BACKOFF_MAX_S = 8.0
CHUNK_BYTES = 1 << 20
PROGRESS_MIN_BYTES = 10 << 20  # automatic progress bars only for files at least this large
MAX_REDIRECTS = 10
MAX_DESCRIPTOR_BYTES = 1 << 20  # modules.json / config.json are read to plan the download

PROBE_FILES = ("modules.json", "config.json", "config_sentence_transformers.json", "tokenizer.json")
_STATIC_MODULE_TYPES = ("StaticEmbedding", "SSE", "SSEQ")
_TRANSFORMER_MODULE_TYPES = ("Transformer", "CLIPModel", "MLMTransformer")   # no static table: do not download
_TRUE_VALUES = {"1", "ON", "YES", "TRUE"}
_REDIRECT_CODES = {301, 302, 303, 307, 308}
_RETRY_STATUS = {408, 429, 500, 502, 503, 504}

_COMMIT_RE = re.compile(r"[0-9a-f]{40}")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_ETAG_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,199}")
_REPO_PART_RE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?")


# --------------------------------------------------------------------------- errors


class HubError(OSError):
    """A model could not be fetched from the hub or found in the cache."""


class HubAuthError(HubError, PermissionError):
    """The hub refused access (HTTP 401/403, gated or private repository)."""


class HubNotFoundError(HubError, FileNotFoundError):
    """The repository, revision or a required file does not exist on the hub."""


class ModelNotCachedError(HubError, FileNotFoundError):
    """Offline (``HF_HUB_OFFLINE`` or ``local_files_only=True``) and the model is not in the cache."""


class HubDownloadError(HubError, ConnectionError):
    """A download failed after bounded retries: connection error, 5xx, cut or corrupt body."""


class HubTimeoutError(HubDownloadError, TimeoutError):
    """The hub did not answer within ``STATIC_EMBED_HUB_TIMEOUT`` seconds, after bounded retries."""


class _Transient(Exception):
    """A failure worth retrying; ``detail`` says what happened."""

    def __init__(self, detail: str, *, timeout: bool = False, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.timeout = timeout
        self.retry_after = retry_after


class _Missing(Exception):
    """The file does not exist at this revision (a 404 for one entry, not for the repo)."""

    def __init__(self, commit: str | None) -> None:
        super().__init__(commit)
        self.commit = commit


class _NoLayout(Exception):
    """The files seen so far hold no loadable static-model layout."""


# --------------------------------------------------------------------------- environment


def _env_true(name: str) -> bool:
    value = os.environ.get(name)
    return value is not None and value.upper() in _TRUE_VALUES


def _offline() -> bool:
    # huggingface_hub: HF_HUB_OFFLINE, falling back to TRANSFORMERS_OFFLINE only when unset or empty
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE")
    return value is not None and value.upper() in _TRUE_VALUES


def _expand(path: str) -> str:
    return os.path.expanduser(os.path.expandvars(path))


def _hf_home() -> str:
    default = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "huggingface")
    return _expand(os.environ.get("HF_HOME") or default)


def default_cache_dir() -> str:
    """The hub cache folder: ``HF_HUB_CACHE``, else ``$HF_HOME/hub`` (``~/.cache/huggingface/hub``)."""
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    return _expand(explicit) if explicit else os.path.join(_hf_home(), "hub")


def _clean_token(token: str | None) -> str | None:
    if token is None:
        return None
    return token.replace("\r", "").replace("\n", "").strip() or None


def _stored_token() -> str | None:
    """``HF_TOKEN`` (or ``HUGGING_FACE_HUB_TOKEN``), else the token file ``huggingface_hub`` writes."""
    token = _clean_token(os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN"))
    if token:
        return token
    path = _expand(os.environ.get("HF_TOKEN_PATH") or os.path.join(_hf_home(), "token"))
    try:
        with open(path, encoding="utf-8") as handle:
            return _clean_token(handle.read(4096))
    except OSError:
        return None


def _pick_token(token: str | bool | None) -> str | None:
    if token is False:
        return None
    if isinstance(token, str):
        return _clean_token(token)
    if token is None and _env_true("HF_HUB_DISABLE_IMPLICIT_TOKEN"):
        return None
    if token is None or token is True:
        found = _stored_token()
        if found is None and token is True:
            raise HubAuthError("token=True but no token was found: set HF_TOKEN or run `hf auth login`")
        return found
    raise TypeError(f"token must be a str, bool or None, got {type(token).__name__}")


def _env_number(name: str, default: float, kind: type, minimum: float) -> Any:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return kind(default)
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name} must be a {kind.__name__}, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


# --------------------------------------------------------------------------- names


def _valid_repo_id(repo_id: str) -> bool:
    parts = repo_id.split("/")
    return (len(parts) == 2 and all(_REPO_PART_RE.fullmatch(part) for part in parts)
            and "--" not in repo_id and ".." not in repo_id and not repo_id.endswith(".git"))


def is_hub_reference(name: object) -> bool:
    """True for a known alias or a string shaped like a hub id, ``org/name``."""
    if not isinstance(name, str):
        return False
    return resolve_alias(name) != name or _valid_repo_id(name)


def _check_revision(revision: str) -> str:
    if not isinstance(revision, str):
        raise TypeError(f"revision must be a str or None, got {type(revision).__name__}")
    parts = revision.split("/")
    if not revision or "\\" in revision or "\x00" in revision or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"invalid revision {revision!r}: expected a branch, tag or commit hash")
    return revision


def _check_relative(path: str, where: str) -> str:
    """A repository-relative POSIX path that stays inside the repository ('' for the root)."""
    normalized = path.replace("\\", "/").strip()
    if normalized in ("", "."):
        return ""
    parts = [p for p in normalized.split("/") if p not in ("", ".")]
    if normalized.startswith("/") or ":" in normalized or ".." in parts:
        raise ModelFormatError(f"{where}: module path {path!r} points outside the repository")
    return "/".join(parts)


def _normalize_etag(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    value = value.removeprefix("W/")
    return value.strip('"') or None


def _origin(url: str) -> tuple[str, str, int]:
    parts = urllib.parse.urlsplit(url)
    default_port = {"http": 80, "https": 443}.get(parts.scheme, 0)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default_port


def _user_agent() -> str:
    try:
        from . import __version__
    except ImportError:  # pragma: no cover - partial import during packaging
        __version__ = "unknown"
    return f"static-embed-numpy/{__version__}; python/{platform.python_version()}"


# --------------------------------------------------------------------------- layout planning


def _read_json(path: str) -> Any:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_DESCRIPTOR_BYTES + 1)
    except OSError as exc:
        raise ModelFormatError(f"{path}: cannot read ({exc})") from None
    if len(raw) > MAX_DESCRIPTOR_BYTES:
        raise ModelFormatError(f"{path}: larger than {MAX_DESCRIPTOR_BYTES} bytes")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelFormatError(f"{path}: not valid JSON ({exc})") from None


def _static_module(modules_path: str) -> tuple[str | None, str | None, list[str]]:
    """(module folder, class name, all listed types) of the module holding the table in ``modules.json``.

    The first StaticEmbedding / SSE / SSEQ entry; failing that (a custom type, as remote-code
    models have), the first entry, unless the list is a transformer pipeline (folder None).
    """
    modules = _read_json(modules_path)
    if not isinstance(modules, list):
        raise ModelFormatError(f"{modules_path}: top level must be a list of modules")
    types = []
    for i, entry in enumerate(modules):
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str) \
                or not isinstance(entry.get("path", ""), str):
            raise ModelFormatError(f"{modules_path}: entry {i} must be an object with string 'type' and 'path'")
        types.append(entry["type"])
    for entry in modules:
        kind = entry["type"].rsplit(".", 1)[-1]
        if kind in _STATIC_MODULE_TYPES:
            return _check_relative(entry.get("path", ""), modules_path), kind, types
    if not modules or any(t.rsplit(".", 1)[-1] in _TRANSFORMER_MODULE_TYPES for t in types):
        return None, None, types
    return _check_relative(modules[0].get("path", ""), modules_path), None, types


def _is_model2vec_config(config_path: str) -> bool:
    config = _read_json(config_path)
    return isinstance(config, dict) and config.get("model_type", "model2vec") == "model2vec"


@dataclass(frozen=True)
class _Plan:
    files: tuple[str, ...]   # every file the layout loads from (descriptors included)
    dense_root: bool         # the table is the root model.safetensors (model2vec or ST root layout)


def _plan(lookup: Callable[[str], str | None], where: str) -> _Plan:
    """Choose the files of one loadable layout, asking ``lookup`` (path or None) in a fixed order."""
    found = {name: lookup(name) for name in PROBE_FILES}
    modules_path, config_path = found["modules.json"], found["config.json"]
    module_dir, kind = "", None
    if modules_path is not None:
        listed_dir, kind, types = _static_module(modules_path)
        if listed_dir is not None:
            module_dir = listed_dir
        elif config_path is None or not _is_model2vec_config(config_path):
            raise ModelFormatError(f"{where} is not a static embedding model: its modules.json lists {types} "
                                   "and no StaticEmbedding / SSE module")
    prefix = f"{module_dir}/" if module_dir else ""
    tokenizer_name = prefix + "tokenizer.json"
    tokenizer = found["tokenizer.json"] if not prefix else lookup(tokenizer_name)
    if tokenizer is None and prefix and kind != "StaticEmbedding" and found["tokenizer.json"] is not None:
        tokenizer_name, tokenizer = "tokenizer.json", found["tokenizer.json"]   # SSE also reads the root's
    if tokenizer is None:
        raise _NoLayout(f"{prefix}tokenizer.json")
    dense = (prefix + "model.safetensors",)
    quantized = (prefix + "model_rest.safetensors", prefix + "embedding.q4_k_m.bin")
    descriptors = [name for name in PROBE_FILES if found[name] is not None]
    for option in ((quantized, dense) if kind == "SSEQ" else (dense, quantized)):
        if option is dense and modules_path is None and config_path is None:
            continue  # a bare model.safetensors + tokenizer.json is no layout the loaders accept
        if all(lookup(name) is not None for name in option):
            files = dict.fromkeys([*descriptors, tokenizer_name, *option])
            return _Plan(files=tuple(files), dense_root=option is dense and not prefix)
    raise _NoLayout(" or ".join(" + ".join(option) for option in (dense, quantized)))


# --------------------------------------------------------------------------- cache


def _repo_folder(cache_dir: str, repo_id: str) -> str:
    return os.path.join(cache_dir, "models--" + repo_id.replace("/", "--"))


def _read_ref(storage: str, revision: str) -> str | None:
    try:
        with open(os.path.join(storage, "refs", *revision.split("/")), encoding="utf-8") as handle:
            commit = handle.read(100).strip()
    except OSError:
        return None
    return commit if _ETAG_RE.fullmatch(commit) else None


def _atomic_write_text(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _write_ref(storage: str, revision: str, commit: str) -> None:
    if revision == commit or _read_ref(storage, revision) == commit:
        return
    _atomic_write_text(os.path.join(storage, "refs", *revision.split("/")), commit)


def _tag_cache_dir(cache_dir: str) -> None:
    """The CACHEDIR.TAG huggingface_hub writes, so backup tools skip the cache (best effort)."""
    path = os.path.join(cache_dir, "CACHEDIR.TAG")
    if os.path.exists(path):
        return
    with contextlib.suppress(OSError):
        os.makedirs(cache_dir, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:
            handle.write("Signature: 8a477f597d28d172789f06886806bc55\n"
                         "# This file is a cache directory tag created by huggingface_hub.\n"
                         "# For information about cache directory tags, see:\n"
                         "#\thttps://bford.info/cachedir/\n")


def _link(blob: str, pointer: str, *, new_blob: bool) -> None:
    """Point ``pointer`` at ``blob``: a relative symlink, else a move (new blob) or a copy, renamed into place."""
    os.makedirs(os.path.dirname(pointer), exist_ok=True)
    tmp = f"{pointer}.{uuid.uuid4().hex[:8]}.tmp"
    if not _env_true("HF_HUB_DISABLE_SYMLINKS"):
        try:
            os.symlink(os.path.relpath(blob, os.path.dirname(pointer)), tmp)
        except (OSError, NotImplementedError):
            pass
        else:
            try:
                os.replace(tmp, pointer)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            return
    if new_blob:
        os.replace(blob, pointer)
        return
    try:
        shutil.copyfile(blob, tmp)
        os.replace(tmp, pointer)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@dataclass(frozen=True)
class _Cached:
    commit: str
    snapshot: str
    plan: _Plan | None
    unknown: frozenset[str]   # files neither in the snapshot nor recorded as absent


def _find_cached(storage: str, revision: str, where: str) -> _Cached | None:
    commit = revision if _COMMIT_RE.fullmatch(revision) else _read_ref(storage, revision)
    if commit is None:
        return None
    snapshot = os.path.join(storage, "snapshots", commit)
    if not os.path.isdir(snapshot):
        return None
    no_exist = os.path.join(storage, ".no_exist", commit)
    unknown: set[str] = set()

    def lookup(name: str) -> str | None:
        path = os.path.join(snapshot, *name.split("/"))
        if os.path.isfile(path):
            return path
        if not os.path.isfile(os.path.join(no_exist, *name.split("/"))):
            unknown.add(name)
        return None

    try:
        plan: _Plan | None = _plan(lookup, where)
    except _NoLayout:
        plan = None
    return _Cached(commit=commit, snapshot=snapshot, plan=plan, unknown=frozenset(unknown))


# --------------------------------------------------------------------------- HTTP


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by hand: the hub's headers sit on the redirect, and the token must not travel."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass
class _Meta:
    commit: str | None = None
    etag: str | None = None
    size: int | None = None
    from_hub: bool = False   # taken from a response carrying X-Repo-Commit


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _full_size(status: int, headers: Any) -> int | None:
    """The whole file's size from a final answer: Content-Length of a 200, the total of a 206's Content-Range."""
    if status == 206:
        match = re.fullmatch(r"bytes \d+-\d+/(\d+)", (headers.get("Content-Range") or "").strip())
        return int(match.group(1)) if match else None
    return _int_or_none(headers.get("Content-Length"))


def _take_meta(meta: _Meta, status: int, headers: Any) -> None:
    """Keep the metadata of the first hub response (the one carrying X-Repo-Commit), like huggingface_hub."""
    has_commit = headers.get("X-Repo-Commit") is not None
    if meta.from_hub or (meta.etag is not None and not has_commit):
        return
    meta.commit = headers.get("X-Repo-Commit")
    meta.etag = _normalize_etag(headers.get("X-Linked-Etag") or headers.get("ETag"))
    linked = _int_or_none(headers.get("X-Linked-Size"))
    final = status not in _REDIRECT_CODES
    meta.size = linked if linked is not None else (_full_size(status, headers) if final else None)
    meta.from_hub = has_commit


class _Partial:
    """The temporary file of one blob download, kept across retries so a Range request can resume it."""

    def __init__(self) -> None:
        self.path: str | None = None
        self.etag: str | None = None
        self.handle: IO[bytes] | None = None
        self.written = 0
        self.sha256 = hashlib.sha256()

    def open(self, blob_dir: str, etag: str) -> None:
        if self.path is not None and self.etag == etag:
            return
        self.discard()
        os.makedirs(blob_dir, exist_ok=True)
        self.path = os.path.join(blob_dir, f"{etag}.{uuid.uuid4().hex[:8]}.incomplete")
        self.etag = etag
        self.handle = open(self.path, "wb")  # noqa: SIM115 - closed in discard()/finish()
        self.written = 0
        self.sha256 = hashlib.sha256()

    def restart(self) -> None:
        assert self.handle is not None
        self.handle.seek(0)
        self.handle.truncate()
        self.written = 0
        self.sha256 = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        assert self.handle is not None
        self.handle.write(chunk)
        self.sha256.update(chunk)
        self.written += len(chunk)

    def finish(self, blob: str) -> None:
        assert self.handle is not None and self.path is not None
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        self.handle = None
        os.replace(self.path, blob)
        self.path = None

    def discard(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            self.path = None


class _ByteProgress:
    """One stderr line per file, redrawn at most ten times a second: bar, megabytes, rate."""

    def __init__(self, total: int | None, label: str, stream: TextIO | None = None) -> None:
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.done = 0
        self._start = time.perf_counter()
        self._last = 0.0

    def update(self, count: int) -> None:
        self.done += count
        now = time.perf_counter()
        if now - self._last >= 0.1:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.done / max(now - self._start, 1e-9) / 1e6
        if self.total:
            bar = "#" * int(min(self.done / self.total, 1.0) * 30)
            size = f"{self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB"
        else:
            bar, size = "", f"{self.done / 1e6:.1f} MB"
        self.stream.write(f"\r{self.label} [{bar:<30}] {size} {rate:.1f} MB/s")
        self.stream.flush()

    def close(self) -> None:
        self._draw(time.perf_counter())
        self.stream.write("\n")
        self.stream.flush()


class _Downloader:
    """Fetches files of one repository at one revision into the cache, pinning the commit on first answer."""

    def __init__(self, repo_id: str, revision: str, storage: str, *, token: str | None, endpoint: str,
                 timeout: float, retries: int, progress: bool | None) -> None:
        self.repo_id = repo_id
        self.revision = revision
        self.storage = storage
        self.token = token
        self.endpoint = endpoint
        self.timeout = timeout
        self.retries = retries
        self.progress = progress
        self.commit: str | None = revision if _COMMIT_RE.fullmatch(revision) else None
        self.answered = False   # the hub answered at least once for this repository and revision

    # -- paths

    def _pointer(self, name: str) -> str:
        assert self.commit is not None
        return os.path.join(self.storage, "snapshots", self.commit, *name.split("/"))

    def _no_exist(self, commit: str, name: str) -> str:
        return os.path.join(self.storage, ".no_exist", commit, *name.split("/"))

    def _url(self, name: str) -> str:
        revision = urllib.parse.quote(self.commit or self.revision, safe="")
        return f"{self.endpoint}/{self.repo_id}/resolve/{revision}/{urllib.parse.quote(name)}"

    def _where(self) -> str:
        pinned = f" (commit {self.commit})" if self.commit and self.commit != self.revision else ""
        return f"{self.repo_id!r} at revision {self.revision!r}{pinned}"

    # -- public

    def lookup(self, name: str) -> str | None:
        """The cached path of ``name`` (downloading it if needed), or None when the repository lacks it."""
        if self.commit is not None:
            pointer = self._pointer(name)
            if os.path.isfile(pointer):
                return pointer
            if os.path.isfile(self._no_exist(self.commit, name)):
                return None
        try:
            return self._download(name)
        except _Missing as missing:
            self.answered = True
            commit = missing.commit if missing.commit and _COMMIT_RE.fullmatch(missing.commit) else None
            if self.commit is None and commit is not None:
                self.commit = commit
            if self.commit is not None and commit == self.commit:
                with contextlib.suppress(OSError):
                    path = self._no_exist(self.commit, name)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    open(path, "ab").close()
            return None

    # -- one file, with bounded retries

    def _download(self, name: str) -> str:
        partial = _Partial()
        last: _Transient | None = None
        try:
            for attempt in range(self.retries + 1):
                if attempt:
                    pause = RETRY_BACKOFF_S * 2 ** (attempt - 1) * (0.5 + random.random() / 2)
                    if last is not None and last.retry_after is not None:
                        pause = max(pause, last.retry_after)
                    time.sleep(min(pause, RETRY_BACKOFF_MAX_S))
                try:
                    return self._attempt(name, partial)
                except _Transient as exc:
                    last = exc
        finally:
            partial.discard()
        assert last is not None
        attempts = self.retries + 1
        message = (f"could not download {name!r} from {self._where()} at {self.endpoint}: {last.detail} "
                   f"({attempts} attempt{'s' if attempts > 1 else ''}; STATIC_EMBED_HUB_RETRIES sets the retries)")
        if last.timeout:
            raise HubTimeoutError(message + f"; no answer within {self.timeout:g} s (STATIC_EMBED_HUB_TIMEOUT)")
        raise HubDownloadError(message)

    def _attempt(self, name: str, partial: _Partial) -> str:
        headers = {"Accept-Encoding": "identity", "User-Agent": _user_agent()}
        if partial.written:
            headers["Range"] = f"bytes={partial.written}-"
        response, meta = self._open(self._url(name), headers, name)
        with contextlib.closing(response):
            self.answered = True
            self._pin(meta, name)
            etag = meta.etag
            if etag is None or not _ETAG_RE.fullmatch(etag):
                raise HubError(f"{name!r} of {self._where()}: the server sent no usable ETag ({meta.etag!r}), "
                               "so the file cannot be cached reliably; check HF_ENDPOINT")
            pointer = self._pointer(name)
            if os.path.isfile(pointer):          # finished meanwhile by another process or thread
                return pointer
            blob = os.path.join(self.storage, "blobs", etag)
            if os.path.isfile(blob) and (meta.size is None or os.path.getsize(blob) == meta.size):
                _link(blob, pointer, new_blob=False)
                return pointer
            self._stream(response, meta, name, partial)
            partial.finish(blob)
            _link(blob, pointer, new_blob=True)
            return pointer

    def _pin(self, meta: _Meta, name: str) -> None:
        commit = meta.commit
        if commit is None:
            if self.commit is None:
                raise HubError(f"{name!r} of {self._where()}: the answer from {self.endpoint} has no X-Repo-Commit "
                               "header, so it does not look like a Hugging Face Hub endpoint; check HF_ENDPOINT")
            return
        if not _COMMIT_RE.fullmatch(commit):
            raise HubError(f"{self._where()}: the hub sent an invalid commit hash {commit!r}")
        if self.commit is None:
            self.commit = commit
        elif commit != self.commit:
            raise HubError(f"{name!r} of {self._where()}: the hub answered with commit {commit}, "
                           f"expected {self.commit}")

    def _stream(self, response: http.client.HTTPResponse, meta: _Meta, name: str, partial: _Partial) -> None:
        assert meta.etag is not None
        partial.open(os.path.join(self.storage, "blobs"), meta.etag)
        if partial.written and not self._resumes(response, partial.written):
            partial.restart()
        expected = meta.size if meta.size is not None else _full_size(response.status, response.headers)
        progress = self._progress_bar(name, expected)
        if progress is not None:
            progress.update(partial.written)
        try:
            while True:
                try:
                    chunk = response.read(CHUNK_BYTES)
                except (OSError, http.client.HTTPException) as exc:
                    raise _transient_from(exc) from None
                if not chunk:
                    break
                partial.write(chunk)
                if expected is not None and partial.written > expected:
                    partial.restart()
                    raise _Transient(f"the server sent more than the announced {expected} bytes")
                if progress is not None:
                    progress.update(len(chunk))
        finally:
            if progress is not None:
                progress.close()
        if expected is not None and partial.written != expected:
            raise _Transient(f"the body was cut short at {partial.written} of {expected} bytes")
        if _SHA256_RE.fullmatch(meta.etag) and partial.sha256.hexdigest() != meta.etag:
            got = partial.sha256.hexdigest()
            partial.restart()
            raise _Transient(f"sha256 mismatch: expected {meta.etag}, got {got}")

    @staticmethod
    def _resumes(response: http.client.HTTPResponse, offset: int) -> bool:
        if response.status != 206:
            return False
        match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
        return match is not None and int(match.group(1)) == offset

    def _progress_bar(self, name: str, total: int | None) -> _ByteProgress | None:
        if self.progress is False:
            return None
        if self.progress is None:
            if _env_true("HF_HUB_DISABLE_PROGRESS_BARS") or total is None or total < PROGRESS_MIN_BYTES:
                return None
            isatty = getattr(sys.stderr, "isatty", None)
            if not (isatty and isatty()):
                return None
        return _ByteProgress(total, f"{self.repo_id}/{name}")

    def _open(self, url: str, headers: dict[str, str], name: str) -> tuple[http.client.HTTPResponse, _Meta]:
        """GET ``url``, following redirects by hand; the token goes only to the configured endpoint's origin."""
        meta = _Meta()
        hub_origin = _origin(self.endpoint)
        for _ in range(MAX_REDIRECTS + 1):
            request_headers = dict(headers)
            if self.token and _origin(url) == hub_origin:
                request_headers["Authorization"] = f"Bearer {self.token}"
            request = urllib.request.Request(url, headers=request_headers, method="GET")
            try:
                response = _OPENER.open(request, timeout=self.timeout)
            except urllib.error.HTTPError as error:
                with contextlib.closing(error):
                    location = error.headers.get("Location")
                    if error.code in _REDIRECT_CODES and location:
                        _take_meta(meta, error.code, error.headers)
                        url = urllib.parse.urljoin(url, location)
                        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
                            raise HubError(f"{name!r} of {self._where()}: refusing a redirect to {url!r}")
                        continue
                    self._raise_for_status(error.code, error.headers, name)
            except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
                raise _transient_from(exc) from None
            _take_meta(meta, response.status, response.headers)
            return response, meta
        raise HubDownloadError(f"{name!r} of {self._where()}: more than {MAX_REDIRECTS} redirects")

    def _raise_for_status(self, code: int, headers: Any, name: str) -> None:
        error_code = headers.get("X-Error-Code")
        detail = headers.get("X-Error-Message")
        detail = f" ({detail})" if detail else ""
        if code in _RETRY_STATUS or code >= 500:
            retry_after = _int_or_none(headers.get("Retry-After"))
            raise _Transient(f"HTTP {code}{detail}", retry_after=retry_after)
        if error_code == "EntryNotFound" or (code == 404 and error_code is None):
            raise _Missing(headers.get("X-Repo-Commit"))
        if error_code == "RevisionNotFound":
            raise HubNotFoundError(f"revision {self.revision!r} not found in repository {self.repo_id!r} "
                                   f"at {self.endpoint} (HTTP {code}){detail}")
        if error_code == "RepoNotFound" or code == 404:
            raise HubNotFoundError(
                f"repository {self.repo_id!r} (revision {self.revision!r}) not found at {self.endpoint} "
                f"(HTTP {code}){detail}. Check the name; if it is private or gated, pass token= or set HF_TOKEN.")
        if code in (401, 403) or error_code == "GatedRepo":
            sent = ("the token sent was refused or lacks access" if self.token
                    else "no token was sent: pass token=... or set HF_TOKEN (or run `hf auth login`)")
            gated = " The repository is gated: accept its terms on the hub first." if error_code == "GatedRepo" else ""
            raise HubAuthError(f"access to repository {self.repo_id!r} (revision {self.revision!r}) at "
                               f"{self.endpoint} was denied (HTTP {code}){detail}: {sent}.{gated}")
        raise HubError(f"{name!r} of {self._where()}: HTTP {code}{detail} from {self.endpoint}")


def _transient_from(exc: BaseException) -> _Transient:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    timeout = isinstance(reason, TimeoutError) or isinstance(exc, TimeoutError)
    text = str(reason) or type(reason).__name__
    return _Transient(f"timed out ({text})" if timeout else f"connection error ({type(reason).__name__}: {text})",
                      timeout=timeout)


# --------------------------------------------------------------------------- entry points


def resolve_model(model: str, *, revision: str | None = None, token: str | bool | None = None,
                  cache_dir: str | os.PathLike[str] | None = None, local_files_only: bool = False,
                  progress: bool | None = None) -> str:
    """The local snapshot folder of hub model ``model`` (``org/name`` or an alias), downloading what is missing.

    A snapshot already in the cache that holds a loadable layout is returned without any
    network request (a branch name is looked up in ``refs/``, a 40-hex commit directly).

    Args:
        model: a hub id such as ``"minishlab/potion-base-8M"`` or an alias such as ``"potion-8m"``.
        revision: branch, tag or commit hash (default ``"main"``).
        token: a token string; ``None`` uses ``HF_TOKEN`` or the stored token file; ``False`` sends none.
        cache_dir: the hub cache folder (default ``HF_HUB_CACHE``, ``$HF_HOME/hub``).
        local_files_only: never use the network (as does ``HF_HUB_OFFLINE=1``).
        progress: ``True``/``False`` forces the stderr progress bar on or off; ``None`` shows it for
            files over 10 MB when stderr is a terminal.

    Raises:
        ModelNotCachedError: offline and the model (or part of it) is not in the cache.
        HubNotFoundError: the repository or revision does not exist.
        HubAuthError: the hub refused access (private or gated repository, bad token).
        HubDownloadError: connection errors, 5xx answers or cut bodies persisted through the retries
            (``HubTimeoutError`` when the hub stopped answering).
        ModelFormatError: the repository holds no static-model layout.
    """
    if not isinstance(model, str):
        raise TypeError(f"model must be a str hub id or alias, got {type(model).__name__}")
    repo_id = resolve_alias(model)
    if not _valid_repo_id(repo_id):
        raise ValueError(f"{model!r} is neither a local folder, a model alias ({', '.join(MODEL_ALIASES)}) "
                         "nor a hub id of the form 'org/name'")
    revision = _check_revision("main" if revision is None else revision)
    cache = _expand(os.fspath(cache_dir)) if cache_dir is not None else default_cache_dir()
    storage = _repo_folder(cache, repo_id)
    where = f"{repo_id!r} at revision {revision!r}"
    offline = bool(local_files_only) or _offline()

    cached = _find_cached(storage, revision, where)
    if cached is not None and cached.plan is not None:
        # config.json decides model2vec vs sentence-transformers semantics for a root table: a cache
        # written by sentence-transformers may lack it, so ask once (then its absence is recorded).
        if offline or not (cached.plan.dense_root and "config.json" in cached.unknown):
            return cached.snapshot
        downloader = _make_downloader(repo_id, cached.commit, storage, token, progress)
        downloader.retries = 0  # best effort: the cached files load either way
        with contextlib.suppress(HubError):
            downloader.lookup("config.json")
        return cached.snapshot

    if offline:
        why = "local_files_only=True" if local_files_only else "the hub is offline (HF_HUB_OFFLINE is set)"
        partly = cached is not None or os.path.isdir(os.path.join(storage, "snapshots"))
        state = "is only partly in the cache" if partly else "is not in the cache"
        hint = f" (and no local folder {model!r} exists)" if model == repo_id else ""
        raise ModelNotCachedError(f"model {where} {state} at {cache} and {why}: download it once while online"
                                  f"{hint}")

    downloader = _make_downloader(repo_id, revision, storage, token, progress)
    _tag_cache_dir(cache)
    try:
        plan = _plan(downloader.lookup, where)
    except _NoLayout as missing:
        if not downloader.answered or downloader.commit is None:
            raise HubNotFoundError(f"repository {repo_id!r} or its revision {revision!r} not found at "
                                   f"{downloader.endpoint}: none of {', '.join(PROBE_FILES)} exists") from None
        raise ModelFormatError(f"{where} (commit {downloader.commit}) holds no static-model layout: "
                               f"missing {missing}") from None
    assert downloader.commit is not None and plan.files   # a planned file pinned the commit
    _write_ref(storage, revision, downloader.commit)
    return os.path.join(storage, "snapshots", downloader.commit)


def _make_downloader(repo_id: str, revision: str, storage: str, token: str | bool | None,
                     progress: bool | None) -> _Downloader:
    endpoint = (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).strip().rstrip("/")
    if urllib.parse.urlsplit(endpoint).scheme not in ("http", "https"):
        raise ValueError(f"HF_ENDPOINT must be an http(s) URL, got {endpoint!r}")
    return _Downloader(
        repo_id, revision, storage,
        token=_pick_token(token),
        endpoint=endpoint,
        timeout=_env_number("STATIC_EMBED_HUB_TIMEOUT", DEFAULT_TIMEOUT_S, float, 1e-3),
        retries=_env_number("STATIC_EMBED_HUB_RETRIES", DEFAULT_RETRIES, int, 0),
        progress=progress,
    )


def load_from_hub(model: str, *, revision: str | None = None, token: str | bool | None = None,
                  cache_dir: str | os.PathLike[str] | None = None, local_files_only: bool = False,
                  progress: bool | None = None, **load_kwargs: Any) -> StaticModel:
    """:func:`resolve_model`, then :func:`static_embed.load` on the snapshot folder with ``load_kwargs``."""
    from .encoder import load

    folder = resolve_model(model, revision=revision, token=token, cache_dir=cache_dir,
                           local_files_only=local_files_only, progress=progress)
    return load(folder, **load_kwargs)
