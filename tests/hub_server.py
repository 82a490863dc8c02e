"""A small Hugging Face Hub look-alike on 127.0.0.1 for the download tests.

It serves ``GET``/``HEAD /{org}/{name}/resolve/{revision}/{path}`` with the headers
clients rely on: ``X-Repo-Commit``, ``ETag`` (the git blob sha1 for small files, the
sha256 for LFS files: ``*.safetensors``, ``*.bin`` and anything over 1 MB),
``X-Linked-Etag`` / ``X-Linked-Size`` for LFS files, ``Content-Length``, ``Range``
requests, and ``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``,
``EntryNotFound``) on errors; plus ``/api/models/{repo}[/revision/{rev}]`` and
``/api/models/{repo}/tree/{rev}``, which ``snapshot_download`` (hence model2vec and
sentence-transformers) calls. Every request is logged; faults can be injected per
path (status codes, bodies cut short, stalls, connection resets, corrupt bytes).

With ``lfs_redirect_to(other_server)`` LFS files are answered with a 302 to the other
server (another port, hence another origin), as the real hub redirects to its CDN;
the metadata headers sit on the redirect.

    with HubServer() as hub:
        commit = hub.add_repo("org/model", Path("some/model/folder"))
        os.environ["HF_ENDPOINT"] = hub.url
"""

from __future__ import annotations

import fnmatch
import hashlib
import http.server
import json
import socket
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Fault", "HubServer", "LoggedRequest", "git_blob_sha1"]

LFS_MIN_BYTES = 1 << 20
LFS_SUFFIXES = (".safetensors", ".bin", ".onnx")


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a file: what the hub sends as the ETag of a non-LFS file."""
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class _File:
    data: bytes
    lfs: bool
    etag: str          # git sha1 (small files) or sha256 (LFS files)
    sha256: str


@dataclass(frozen=True)
class LoggedRequest:
    server: str
    method: str
    path: str                  # URL path, percent-decoded
    headers: dict[str, str]    # lower-case names

    @property
    def filename(self) -> str:
        """The file part of a ``/resolve/`` path ('' for other paths)."""
        parts = self.path.split("/resolve/", 1)
        return parts[1].split("/", 1)[1] if len(parts) == 2 and "/" in parts[1] else ""


@dataclass
class Fault:
    """What to do instead of a normal answer for paths matching ``pattern`` (fnmatch on the URL path)."""

    pattern: str
    kind: str                         # "status", "truncate", "stall", "reset", "corrupt"
    times: int | None = None          # None: every time
    method: str | None = None         # None: any method
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    keep_bytes: int = 0               # truncate/stall: body bytes sent first
    seconds: float = 0.0              # stall: how long to wait (interrupted when the server stops)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _ThreadingServer
    protocol_version = "HTTP/1.0"     # one request per connection: a cut body ends with the connection

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self.server.hub._handle(self, head=True)

    def do_GET(self) -> None:
        self.server.hub._handle(self, head=False)


class _ThreadingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    hub: HubServer


class HubServer:
    """A threaded hub look-alike bound to an ephemeral port on 127.0.0.1."""

    def __init__(self, name: str = "hub") -> None:
        self.name = name
        self._repos: dict[str, dict[str, str]] = {}                 # repo -> ref -> commit
        self._commits: dict[str, dict[str, dict[str, _File]]] = {}  # repo -> commit -> path -> file
        self._blobs: dict[str, bytes] = {}                          # sha256 -> data (CDN role)
        self._faults: list[Fault] = []
        self._cdn: HubServer | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _ThreadingServer | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[LoggedRequest] = []

    # -- lifecycle

    def start(self) -> HubServer:
        self._server = _ThreadingServer(("127.0.0.1", 0), _Handler)
        self._server.hub = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{self.name}-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> HubServer:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- content

    def add_repo(self, repo_id: str, files: Path | Mapping[str, bytes | Path], *, ref: str = "main",
                 commit: str | None = None) -> str:
        """Publish ``files`` (a folder, or repo path -> bytes/Path) as a commit of ``repo_id``; ``ref`` points at it."""
        if isinstance(files, Path):
            folder = files
            files = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}
        entries = {}
        for path, content in files.items():
            data = content.read_bytes() if isinstance(content, Path) else bytes(content)
            sha256 = hashlib.sha256(data).hexdigest()
            lfs = path.endswith(LFS_SUFFIXES) or len(data) >= LFS_MIN_BYTES
            entries[path] = _File(data=data, lfs=lfs, etag=sha256 if lfs else git_blob_sha1(data), sha256=sha256)
        if commit is None:
            digest = hashlib.sha1(repo_id.encode())
            for path in sorted(entries):
                digest.update(f"{path}\x00{entries[path].etag}\x00".encode())
            commit = digest.hexdigest()
        with self._lock:
            self._commits.setdefault(repo_id, {})[commit] = entries
            self._repos.setdefault(repo_id, {})[ref] = commit
            for entry in entries.values():
                if entry.lfs:
                    self._blobs[entry.sha256] = entry.data
                    if self._cdn is not None:
                        self._cdn._blobs[entry.sha256] = entry.data
        return commit

    def set_ref(self, repo_id: str, ref: str, commit: str) -> None:
        with self._lock:
            self._repos[repo_id][ref] = commit

    def file_bytes(self, repo_id: str, path: str, ref: str = "main") -> bytes:
        commit = self._repos[repo_id].get(ref, ref)
        return self._commits[repo_id][commit][path].data

    def etag(self, repo_id: str, path: str, ref: str = "main") -> str:
        commit = self._repos[repo_id].get(ref, ref)
        return self._commits[repo_id][commit][path].etag

    def lfs_redirect_to(self, cdn: HubServer) -> None:
        """Answer LFS files with a 302 to ``cdn`` (which then serves ``/cdn/<sha256>``)."""
        self._cdn = cdn
        with self._lock:
            cdn._blobs.update(self._blobs)

    # -- faults and log

    def add_fault(self, pattern: str, kind: str, **options: object) -> Fault:
        fault = Fault(pattern=pattern, kind=kind, **options)  # type: ignore[arg-type]
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail(self, pattern: str, status: int, *, times: int | None = None, headers: dict[str, str] | None = None,
             method: str | None = None) -> Fault:
        return self.add_fault(pattern, "status", status=status, times=times, headers=headers or {}, method=method)

    def truncate(self, pattern: str, *, keep_bytes: int, times: int | None = 1) -> Fault:
        return self.add_fault(pattern, "truncate", keep_bytes=keep_bytes, times=times, method="GET")

    def stall(self, pattern: str, *, seconds: float, keep_bytes: int = -1, times: int | None = None) -> Fault:
        """Wait ``seconds`` before the answer (``keep_bytes=-1``) or after that many body bytes."""
        return self.add_fault(pattern, "stall", seconds=seconds, keep_bytes=keep_bytes, times=times)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def requested_files(self, method: str | None = None) -> list[str]:
        return [r.filename for r in list(self.requests) if r.filename and (method is None or r.method == method)]

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method not in (None, method) or not fnmatch.fnmatchcase(path, fault.pattern):
                    continue
                if fault.times is not None:
                    if fault.times <= 0:
                        continue
                    fault.times -= 1
                return fault
        return None

    # -- request handling

    def _handle(self, handler: _Handler, *, head: bool) -> None:
        method = "HEAD" if head else "GET"
        raw_path = urllib.parse.urlsplit(handler.path).path
        path = urllib.parse.unquote(raw_path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(LoggedRequest(self.name, method, path, headers))
        try:
            self._answer(handler, method, raw_path, path, headers)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            pass

    def _answer(self, handler: _Handler, method: str, raw_path: str, path: str, headers: dict[str, str]) -> None:
        fault = self._take_fault(method, path)
        if fault is not None and fault.kind == "status":
            self._send(handler, fault.status, {"X-Error-Message": "injected fault", **fault.headers}, b"")
            return
        if fault is not None and fault.kind == "reset":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "stall" and fault.keep_bytes < 0:
            if self._stopping.wait(fault.seconds):
                return
            fault = None
        if path.startswith("/cdn/"):
            data = self._blobs.get(path[len("/cdn/"):])
            if data is None:
                self._send(handler, 404, {}, b"")
                return
            self._send_file(handler, method, headers, data, {"ETag": f'"cdn-{len(data)}"'}, fault)
            return
        if path.startswith("/api/models/"):
            self._answer_api(handler, raw_path)
            return
        parts = [urllib.parse.unquote(p) for p in raw_path.lstrip("/").split("/", 4)]
        if len(parts) < 5 or parts[2] != "resolve":
            self._send(handler, 404, {"X-Error-Message": "unknown route"}, b"")
            return
        repo_id, revision, filename = f"{parts[0]}/{parts[1]}", parts[3], parts[4]
        with self._lock:
            refs = self._repos.get(repo_id)
            commits = self._commits.get(repo_id, {})
        if refs is None:
            self._send(handler, 404, {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"},
                       b"")
            return
        commit = refs.get(revision, revision)
        if commit not in commits:
            self._send(handler, 404, {"X-Error-Code": "RevisionNotFound", "X-Error-Message": "Invalid rev id"},
                       b"")
            return
        entry = commits[commit].get(filename)
        if entry is None:
            self._send(handler, 404, {"X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found",
                                      "X-Repo-Commit": commit}, b"")
            return
        meta = {"X-Repo-Commit": commit}
        if entry.lfs:
            meta.update({"X-Linked-Etag": f'"{entry.sha256}"', "X-Linked-Size": str(len(entry.data))})
            if self._cdn is not None:
                # the pointer file's id as ETag, as the hub does: clients must prefer X-Linked-Etag
                meta["ETag"] = f'"{git_blob_sha1(entry.sha256.encode())}"'
                meta["Location"] = f"{self._cdn.url}/cdn/{entry.sha256}?signed=1"
                self._send(handler, 302, meta, b"")
                return
        meta["ETag"] = f'"{entry.etag}"'
        self._send_file(handler, method, headers, entry.data, meta, fault)

    def _answer_api(self, handler: _Handler, raw_path: str) -> None:
        """``/api/models/{repo}[/revision/{rev}]`` and ``/api/models/{repo}/tree/{rev}`` (snapshot_download, ST)."""
        parts = [urllib.parse.unquote(p) for p in raw_path.split("/")[3:]]   # org, name[, kind, revision]
        if len(parts) == 2:
            parts += ["revision", "main"]
        if len(parts) != 4 or parts[2] not in ("revision", "tree"):
            self._send(handler, 404, {"X-Error-Message": "unknown route"}, b"")
            return
        repo_id, kind, revision = f"{parts[0]}/{parts[1]}", parts[2], parts[3]
        with self._lock:
            refs = self._repos.get(repo_id)
            commits = self._commits.get(repo_id, {})
        if refs is None:
            self._send(handler, 404, {"X-Error-Code": "RepoNotFound"}, b"")
            return
        commit = refs.get(revision, revision)
        if commit not in commits:
            self._send(handler, 404, {"X-Error-Code": "RevisionNotFound"}, b"")
            return
        files = commits[commit]
        if kind == "revision":
            body = {"id": repo_id, "modelId": repo_id, "sha": commit, "private": False,
                    "siblings": [{"rfilename": path} for path in sorted(files)]}
        else:
            body = []
            for path in sorted(files):
                entry = files[path]
                item = {"type": "file", "path": path, "size": len(entry.data),
                        "oid": git_blob_sha1(entry.sha256.encode()) if entry.lfs else entry.etag}
                if entry.lfs:
                    item["lfs"] = {"oid": entry.sha256, "size": len(entry.data), "pointerSize": 134}
                body.append(item)
        data = json.dumps(body).encode()
        self._send(handler, 200, {"Content-Type": "application/json", "X-Repo-Commit": commit}, data)

    def _send_file(self, handler: _Handler, method: str, headers: dict[str, str], data: bytes,
                   meta: dict[str, str], fault: Fault | None) -> None:
        start, status = 0, 200
        extra = dict(meta)
        range_header = headers.get("range", "")
        if range_header.startswith("bytes=") and range_header.endswith("-"):
            try:
                start = int(range_header[len("bytes="):-1])
            except ValueError:
                start = 0
            if 0 < start < len(data):
                status = 206
                extra["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            else:
                start = 0
        body = data[start:]
        if fault is not None and fault.kind == "corrupt" and body:
            body = bytes([body[0] ^ 0xFF]) + body[1:]
        extra.update({"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"})
        handler.send_response(status)
        for key, value in extra.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if method == "HEAD":
            return
        if fault is not None and fault.kind in ("truncate", "stall"):
            keep = max(0, min(fault.keep_bytes, len(body)))
            handler.wfile.write(body[:keep])
            handler.wfile.flush()
            if fault.kind == "stall" and not self._stopping.wait(fault.seconds):
                handler.wfile.write(body[keep:])
            handler.close_connection = True
            return
        handler.wfile.write(body)

    @staticmethod
    def _send(handler: _Handler, status: int, headers: dict[str, str], body: bytes) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if body:
            handler.wfile.write(body)
