"""Hub downloads into the Hugging Face cache, against a real HTTP server on 127.0.0.1.

Every test points ``HF_ENDPOINT`` at a loopback :class:`hub_server.HubServer` (or at a
closed loopback port), removes proxy variables and uses its own cache folder, so
nothing here can reach beyond 127.0.0.1. Retries and timeouts are shortened through
``STATIC_EMBED_HUB_RETRIES`` / ``STATIC_EMBED_HUB_TIMEOUT`` and a watchdog bounds
each test.
"""

from __future__ import annotations

import faulthandler
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import DEFAULT_MODEL, REPO
from hub_server import HubServer

import static_embed
from static_embed import hub
from static_embed.aliases import MODEL_ALIASES, resolve_alias
from static_embed.errors import ModelFormatError

REPO_ID = "test-org/default"
PROBES = ["modules.json", "config.json", "config_sentence_transformers.json", "tokenizer.json"]
DECOYS = {"README.md": b"# a model card\n", "onnx/model.onnx": b"\x00" * 4096, "pytorch_model.bin": b"\x01" * 2048}
TEXTS = ["static embeddings are fast", "東京は日本の首都です", "", "a" * 3000, "unknown ⟁ symbols"]
CLOSED_PORT_ENDPOINT = "http://127.0.0.1:9"   # the discard port: nothing listens, connections are refused
ENV_VARS = ("HF_ENDPOINT", "HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN",
            "HF_TOKEN_PATH", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_IMPLICIT_TOKEN",
            "HF_HUB_DISABLE_SYMLINKS", "HF_HUB_DISABLE_PROGRESS_BARS", "XDG_CACHE_HOME",
            "STATIC_EMBED_HUB_TIMEOUT", "STATIC_EMBED_HUB_RETRIES",
            "http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture(autouse=True)
def _watchdog():
    """Abort the run with tracebacks if one test hangs (no plugin needed)."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An isolated environment: own HF_HOME and cache, no token, no proxy, online, short retries."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("HF_ENDPOINT", CLOSED_PORT_ENDPOINT)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub_cache"))
    monkeypatch.setenv("STATIC_EMBED_HUB_TIMEOUT", "5")
    monkeypatch.setenv("STATIC_EMBED_HUB_RETRIES", "2")
    monkeypatch.setattr(hub, "RETRY_BACKOFF_S", 0.01)
    return tmp_path / "hub_cache"


@pytest.fixture
def server(cache, monkeypatch):
    """The hub look-alike serving the embedded default model (plus files no loader needs) as REPO_ID."""
    with HubServer() as srv:
        srv.commit = srv.add_repo(REPO_ID, {**_folder_files(DEFAULT_MODEL), **DECOYS})
        monkeypatch.setenv("HF_ENDPOINT", srv.url)
        yield srv


@pytest.fixture
def cdn(server):
    """A second server on another port: LFS files are answered with a 302 to it, as the hub does to its CDN."""
    with HubServer("cdn") as other:
        server.lfs_redirect_to(other)
        yield other


@pytest.fixture(scope="module")
def local_vectors() -> np.ndarray:
    return static_embed.load(DEFAULT_MODEL).encode(TEXTS)


@pytest.fixture
def hf(monkeypatch):
    """huggingface_hub, online, whatever HF_HUB_OFFLINE said when it was imported."""
    huggingface_hub = pytest.importorskip("huggingface_hub")
    constants = importlib.import_module("huggingface_hub.constants")
    file_download = importlib.import_module("huggingface_hub.file_download")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return SimpleNamespace(constants=constants, CACHED_NO_EXIST=file_download._CACHED_NO_EXIST,
                           hf_hub_download=huggingface_hub.hf_hub_download,
                           snapshot_download=huggingface_hub.snapshot_download,
                           try_to_load_from_cache=huggingface_hub.try_to_load_from_cache,
                           scan_cache_dir=huggingface_hub.scan_cache_dir)


def _folder_files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def _storage(cache: Path, repo_id: str = REPO_ID) -> Path:
    return cache / ("models--" + repo_id.replace("/", "--"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.rglob("*") if p.name.endswith((".incomplete", ".tmp")))


# --------------------------------------------------------------------------- first and second load


def test_first_download_gives_the_local_folders_vectors(server, cache, local_vectors):
    model = hub.load_from_hub(REPO_ID)
    assert np.array_equal(model.encode(TEXTS), local_vectors)
    assert server.requested_files() == [*PROBES, "model.safetensors"]       # only what the format needs
    storage = _storage(cache)
    snapshot = storage / "snapshots" / server.commit
    assert Path(model.spec.path) == snapshot
    assert (storage / "refs" / "main").read_text() == server.commit
    assert (storage / ".no_exist" / server.commit / "config_sentence_transformers.json").is_file()
    for name in ("modules.json", "config.json", "tokenizer.json", "model.safetensors"):
        pointer = snapshot / name
        assert pointer.is_symlink() and not os.path.isabs(os.readlink(pointer))
        assert pointer.resolve().parent == (storage / "blobs").resolve()
        assert pointer.read_bytes() == (DEFAULT_MODEL / name).read_bytes()
    assert (storage / "blobs" / _sha256(DEFAULT_MODEL / "model.safetensors")).is_file()   # LFS: named by sha256
    assert (cache / "CACHEDIR.TAG").is_file()
    assert _leftovers(cache) == []


def test_second_load_makes_no_request(server, local_vectors):
    first = hub.resolve_model(REPO_ID)
    server.clear_requests()
    assert hub.resolve_model(REPO_ID) == first
    assert np.array_equal(hub.load_from_hub(REPO_ID).encode(TEXTS), local_vectors)
    assert server.requests == []


def test_concurrent_first_loads_agree(server):
    results, errors = [], []

    def run():
        try:
            results.append(hub.resolve_model(REPO_ID))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(set(results)) == 1 and len(results) == 4
    snapshot = Path(results[0])
    assert (snapshot / "model.safetensors").read_bytes() == (DEFAULT_MODEL / "model.safetensors").read_bytes()


# --------------------------------------------------------------------------- offline


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_offline_loads_a_cached_copy(server, monkeypatch, local_vectors, value):
    hub.resolve_model(REPO_ID)
    server.stop()                                   # any request would now fail
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    assert np.array_equal(hub.load_from_hub(REPO_ID).encode(TEXTS), local_vectors)


def test_offline_without_cache_fails_naming_the_model(server, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(hub.ModelNotCachedError) as info:
        hub.load_from_hub(REPO_ID)
    message = str(info.value)
    assert REPO_ID in message and "not in the cache" in message and "offline" in message
    assert isinstance(info.value, FileNotFoundError)
    assert server.requests == []


def test_local_files_only_without_cache_fails(server):
    with pytest.raises(hub.ModelNotCachedError, match="local_files_only"):
        hub.resolve_model(REPO_ID, local_files_only=True)
    assert server.requests == []


@pytest.mark.parametrize(("hf_hub_offline", "transformers_offline", "offline"), [
    (None, None, False), ("1", None, True), ("0", None, False), ("false", "1", False),
    (None, "1", True), ("", "yes", True), ("maybe", None, False),
])
def test_offline_switch_is_parsed_like_huggingface_hub(monkeypatch, cache, hf_hub_offline, transformers_offline,
                                                       offline):
    for name, value in (("HF_HUB_OFFLINE", hf_hub_offline), ("TRANSFORMERS_OFFLINE", transformers_offline)):
        if value is not None:
            monkeypatch.setenv(name, value)
    assert hub._offline() is offline


# --------------------------------------------------------------------------- revisions


@pytest.fixture
def two_commits(server, tmp_path):
    """Tag ``v1`` and an older commit (normalize off), then ``main`` moves to the served default model."""
    old = tmp_path / "old_model"
    shutil.copytree(DEFAULT_MODEL, old)
    config = json.loads((old / "config.json").read_text())
    config["normalize"] = False
    (old / "config.json").write_text(json.dumps(config, indent=2))
    old_commit = server.add_repo(REPO_ID, old, ref="v1")
    server.set_ref(REPO_ID, "main", server.commit)
    return old, old_commit


def test_revision_pinned_by_commit(server, cache, two_commits):
    old_folder, old_commit = two_commits
    model = hub.load_from_hub(REPO_ID, revision=old_commit)
    assert np.array_equal(model.encode(TEXTS), static_embed.load(old_folder).encode(TEXTS))
    assert not np.array_equal(model.encode(TEXTS), static_embed.load(DEFAULT_MODEL).encode(TEXTS))
    assert Path(model.spec.path).name == old_commit
    assert all(f"/resolve/{old_commit}/" in r.path for r in server.requests)
    assert not (_storage(cache) / "refs").exists()   # a commit needs no ref
    server.clear_requests()
    assert hub.resolve_model(REPO_ID, revision=old_commit) == model.spec.path   # cached: no refs lookup,
    assert server.requests == []                                               # no request


def test_revision_by_tag_records_a_ref(server, cache, two_commits):
    _, old_commit = two_commits
    path = hub.resolve_model(REPO_ID, revision="v1")
    assert Path(path).name == old_commit
    assert (_storage(cache) / "refs" / "v1").read_text() == old_commit
    assert hub.resolve_model(REPO_ID) != path       # main is another commit
    server.clear_requests()
    assert hub.resolve_model(REPO_ID, revision="v1") == path
    assert server.requests == []


def test_unknown_revision_is_not_found(server):
    with pytest.raises(hub.HubNotFoundError) as info:
        hub.resolve_model(REPO_ID, revision="no-such-branch")
    assert "no-such-branch" in str(info.value) and REPO_ID in str(info.value)
    assert len(server.requests) == 1               # a 404 is not retried


# --------------------------------------------------------------------------- tokens


def _auth_headers(srv: HubServer) -> set[str | None]:
    return {r.headers.get("authorization") for r in srv.requests}


def test_token_goes_to_the_endpoint_but_not_across_a_redirect(server, cdn, cache, monkeypatch, local_vectors):
    monkeypatch.setenv("HF_TOKEN", "hf_secret_from_env")
    model = hub.load_from_hub(REPO_ID)
    assert np.array_equal(model.encode(TEXTS), local_vectors)
    assert _auth_headers(server) == {"Bearer hf_secret_from_env"}
    assert cdn.requested_files() == [] and [r.path for r in cdn.requests] == \
        [f"/cdn/{_sha256(DEFAULT_MODEL / 'model.safetensors')}"]
    assert _auth_headers(cdn) == {None}
    # the blob is named by X-Linked-Etag (the sha256), not by the redirect's own ETag
    assert (_storage(cache) / "blobs" / _sha256(DEFAULT_MODEL / "model.safetensors")).is_file()


@pytest.mark.parametrize(("setup", "argument", "expected"), [
    ({"HF_TOKEN": "hf_env"}, None, "Bearer hf_env"),
    ({"HUGGING_FACE_HUB_TOKEN": "hf_legacy"}, None, "Bearer hf_legacy"),
    ({"HF_TOKEN": "hf_env"}, "hf_explicit", "Bearer hf_explicit"),
    ({"HF_TOKEN": "hf_env"}, False, None),
    ({"token_file": "hf_from_file\n"}, None, "Bearer hf_from_file"),
    ({"token_file": "hf_from_file", "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"}, None, None),
    ({}, None, None),
], ids=["env", "legacy-env", "argument-wins", "false-disables", "token-file", "implicit-disabled", "none"])
def test_token_sources(server, monkeypatch, setup, argument, expected):
    for name, value in setup.items():
        if name == "token_file":
            home = Path(os.environ["HF_HOME"])
            home.mkdir(parents=True, exist_ok=True)
            (home / "token").write_text(value)
        else:
            monkeypatch.setenv(name, value)
    hub.resolve_model(REPO_ID, token=argument)
    assert _auth_headers(server) == {expected}


# --------------------------------------------------------------------------- HTTP errors


def test_401_is_a_permission_error_naming_the_repo(server):
    server.fail("*", 401)
    with pytest.raises(hub.HubAuthError) as info:
        hub.resolve_model(REPO_ID)
    assert isinstance(info.value, PermissionError)
    assert REPO_ID in str(info.value) and "HF_TOKEN" in str(info.value)
    assert len(server.requests) == 1


def test_403_gated_says_so(server, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_no_access")
    server.fail("*", 403, headers={"X-Error-Code": "GatedRepo"})
    with pytest.raises(hub.HubAuthError, match="gated") as info:
        hub.resolve_model(REPO_ID)
    assert "token sent was refused" in str(info.value)


def test_404_repo_is_a_file_not_found_error_naming_repo_and_revision(server):
    with pytest.raises(hub.HubNotFoundError) as info:
        hub.resolve_model("test-org/missing", revision="main")
    assert isinstance(info.value, FileNotFoundError)
    assert "test-org/missing" in str(info.value) and "'main'" in str(info.value)
    assert len(server.requests) == 1


def test_500_is_retried_a_bounded_number_of_times_then_reported(server):
    server.fail("*/modules.json", 500)
    started = time.monotonic()
    with pytest.raises(hub.HubDownloadError) as info:
        hub.resolve_model(REPO_ID)
    assert isinstance(info.value, ConnectionError)
    assert "HTTP 500" in str(info.value) and REPO_ID in str(info.value) and "3 attempts" in str(info.value)
    assert server.requested_files() == ["modules.json"] * 3          # 1 + STATIC_EMBED_HUB_RETRIES
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("fault", ["503", "reset"])
def test_transient_failures_are_retried_until_success(server, local_vectors, fault):
    if fault == "reset":
        server.add_fault("*/model.safetensors", "reset", times=2)
    else:
        server.fail("*/model.safetensors", 503, times=2)
    assert np.array_equal(hub.load_from_hub(REPO_ID).encode(TEXTS), local_vectors)
    assert server.requested_files().count("model.safetensors") == 3


def test_retries_zero_means_one_attempt(server, monkeypatch):
    monkeypatch.setenv("STATIC_EMBED_HUB_RETRIES", "0")
    server.fail("*/modules.json", 502)
    with pytest.raises(hub.HubDownloadError, match="1 attempt;"):
        hub.resolve_model(REPO_ID)
    assert len(server.requests) == 1


# --------------------------------------------------------------------------- cut, corrupt and slow bodies


def test_a_body_cut_short_is_resumed_and_verified(server, cache, local_vectors):
    server.truncate("*/model.safetensors", keep_bytes=3_000_000, times=1)
    model = hub.load_from_hub(REPO_ID)
    assert np.array_equal(model.encode(TEXTS), local_vectors)
    gets = [r for r in server.requests if r.filename == "model.safetensors"]
    assert len(gets) == 2 and gets[1].headers.get("range") == "bytes=3000000-"
    assert _sha256(Path(model.spec.path) / "model.safetensors") == _sha256(DEFAULT_MODEL / "model.safetensors")
    assert _leftovers(cache) == []


def test_a_body_always_cut_short_leaves_nothing_a_later_load_accepts(server, cache, local_vectors):
    server.truncate("*/model.safetensors", keep_bytes=1_000_000, times=None)
    with pytest.raises(hub.HubDownloadError, match="cut short"):
        hub.resolve_model(REPO_ID)
    storage = _storage(cache)
    blob = storage / "blobs" / _sha256(DEFAULT_MODEL / "model.safetensors")
    assert not blob.exists() and _leftovers(cache) == []
    assert not (storage / "snapshots" / server.commit / "model.safetensors").exists()
    assert not (storage / "refs" / "main").exists()
    with pytest.raises(hub.ModelNotCachedError):
        hub.resolve_model(REPO_ID, local_files_only=True)
    server.clear_faults()
    assert np.array_equal(hub.load_from_hub(REPO_ID).encode(TEXTS), local_vectors)


def test_a_corrupt_body_fails_the_sha256_check(server, cache):
    server.add_fault("*/model.safetensors", "corrupt", method="GET")
    with pytest.raises(hub.HubDownloadError, match="sha256 mismatch"):
        hub.resolve_model(REPO_ID)
    assert not (_storage(cache) / "blobs" / _sha256(DEFAULT_MODEL / "model.safetensors")).exists()
    assert _leftovers(cache) == []


@pytest.mark.parametrize("keep_bytes", [-1, 1_000_000], ids=["before-headers", "mid-body"])
def test_a_slow_server_hits_the_timeout(server, cache, monkeypatch, keep_bytes):
    monkeypatch.setenv("STATIC_EMBED_HUB_TIMEOUT", "0.3")
    monkeypatch.setenv("STATIC_EMBED_HUB_RETRIES", "1")
    server.stall("*/model.safetensors", seconds=30, keep_bytes=keep_bytes)
    started = time.monotonic()
    with pytest.raises(hub.HubTimeoutError) as info:
        hub.resolve_model(REPO_ID)
    assert time.monotonic() - started < 5
    assert isinstance(info.value, TimeoutError)
    assert "STATIC_EMBED_HUB_TIMEOUT" in str(info.value) and "model.safetensors" in str(info.value)
    assert server.requested_files().count("model.safetensors") == 2
    assert _leftovers(cache) == []


def test_a_killed_download_leaves_nothing_a_later_load_accepts(server, cache, local_vectors):
    server.stall("*/model.safetensors", seconds=60, keep_bytes=3_000_000, times=1)
    env = {**os.environ, "STATIC_EMBED_HUB_TIMEOUT": "60", "PYTHONPATH": str(REPO)}
    code = f"from static_embed.hub import resolve_model; resolve_model({REPO_ID!r})"
    process = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    blobs = _storage(cache) / "blobs"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            partial = [p for p in blobs.glob("*.incomplete")] if blobs.is_dir() else []
            if partial and partial[0].stat().st_size >= 2_000_000:
                break
            assert process.poll() is None, "the download ended before it could be killed"
            time.sleep(0.02)
        else:
            pytest.fail("the download never got under way")
    finally:
        process.kill()
        process.wait(timeout=10)
    storage = _storage(cache)
    assert not (blobs / _sha256(DEFAULT_MODEL / "model.safetensors")).exists()
    assert not (storage / "snapshots" / server.commit / "model.safetensors").exists()
    assert not (storage / "refs" / "main").exists()
    with pytest.raises(hub.ModelNotCachedError, match="only partly in the cache"):
        hub.resolve_model(REPO_ID, local_files_only=True)
    assert np.array_equal(hub.load_from_hub(REPO_ID).encode(TEXTS), local_vectors)   # starts over, verified


# --------------------------------------------------------------------------- huggingface_hub interoperability


def test_a_cache_written_by_huggingface_hub_is_read_with_no_request(server, cdn, cache, hf, local_vectors):
    for name in ("modules.json", "config.json", "tokenizer.json", "model.safetensors"):
        hf.hf_hub_download(REPO_ID, name, cache_dir=cache, endpoint=server.url)
    server.clear_requests()
    cdn.clear_requests()
    model = hub.load_from_hub(REPO_ID)
    assert np.array_equal(model.encode(TEXTS), local_vectors)
    assert server.requests == [] and cdn.requests == []
    assert Path(model.spec.path) == _storage(cache) / "snapshots" / server.commit


def test_a_sentence_transformers_style_cache_asks_only_for_config_json(server, cache, hf, local_vectors):
    # sentence-transformers fetches modules.json and the module files, not config.json; config.json decides
    # whether model2vec semantics apply, so it is asked for once and its answer (here: present) is cached.
    for name in ("modules.json", "tokenizer.json", "model.safetensors"):
        hf.hf_hub_download(REPO_ID, name, cache_dir=cache, endpoint=server.url)
    server.clear_requests()
    assert np.array_equal(hub.load_from_hub(REPO_ID).encode(TEXTS), local_vectors)
    assert server.requested_files() == ["config.json"]
    server.clear_requests()
    hub.resolve_model(REPO_ID)
    assert server.requests == []


@pytest.fixture
def reference_libraries_online(server, cache, hf, monkeypatch):
    """model2vec and sentence-transformers downloading from the loopback server into ``cache``."""
    # both libraries leave the endpoint and cache to huggingface_hub, which read them at import time
    monkeypatch.setattr(hf.constants, "ENDPOINT", server.url)
    monkeypatch.setattr(hf.constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                        server.url + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(hf.constants, "HF_HUB_CACHE", str(cache))
    return server


def test_a_cache_written_by_model2vec_is_read_with_no_request(reference_libraries_online, local_vectors):
    server = reference_libraries_online
    model2vec = pytest.importorskip("model2vec")
    model2vec.StaticModel.from_pretrained(REPO_ID)
    server.clear_requests()
    assert np.array_equal(hub.load_from_hub(REPO_ID).encode(TEXTS), local_vectors)
    assert server.requests == []


def test_caches_written_by_sentence_transformers_are_reused(reference_libraries_online, model_fixtures,
                                                            local_vectors):
    server = reference_libraries_online
    sentence_transformers = pytest.importorskip("sentence_transformers")
    legacy = model_fixtures["st-legacy-norm"]
    server.add_repo("test-org/legacy", legacy)
    for repo_id in (REPO_ID, "test-org/legacy"):
        sentence_transformers.SentenceTransformer(repo_id, device="cpu")
    # legacy 0_StaticEmbedding layout: everything needed is there
    server.clear_requests()
    assert np.array_equal(hub.load_from_hub("test-org/legacy").encode(TEXTS),
                          static_embed.load(legacy).encode(TEXTS))
    assert server.requests == []
    # a model2vec folder: sentence-transformers skips config.json, which decides the semantics: asked once
    server.clear_requests()
    assert np.array_equal(hub.load_from_hub(REPO_ID).encode(TEXTS), local_vectors)
    assert server.requested_files() == ["config.json"]
    server.clear_requests()
    hub.resolve_model(REPO_ID)
    assert server.requests == []


def test_our_cache_is_read_by_huggingface_hub(server, cache, hf, monkeypatch):
    snapshot = Path(hub.resolve_model(REPO_ID))
    server.stop()
    monkeypatch.setattr(hf.constants, "HF_HUB_OFFLINE", True)
    for name in ("modules.json", "config.json", "tokenizer.json", "model.safetensors"):
        assert hf.try_to_load_from_cache(REPO_ID, name, cache_dir=cache) == str(snapshot / name)
        assert hf.hf_hub_download(REPO_ID, name, cache_dir=cache, local_files_only=True) == str(snapshot / name)
    no_exist = hf.try_to_load_from_cache(REPO_ID, "config_sentence_transformers.json", cache_dir=cache)
    assert no_exist is hf.CACHED_NO_EXIST
    assert hf.snapshot_download(REPO_ID, cache_dir=cache, local_files_only=True) == str(snapshot)
    report = hf.scan_cache_dir(cache)
    assert list(report.warnings) == []
    (repo,) = report.repos
    (revision,) = repo.revisions
    assert repo.repo_id == REPO_ID and revision.commit_hash == server.commit and revision.refs == {"main"}
    assert revision.nb_files == 4


def test_without_symlinks_files_are_copied_and_still_shared(server, cache, hf, monkeypatch, local_vectors):
    monkeypatch.setenv("HF_HUB_DISABLE_SYMLINKS", "1")
    snapshot = Path(hub.resolve_model(REPO_ID))
    assert not any(p.is_symlink() for p in snapshot.iterdir())
    assert np.array_equal(hub.load_from_hub(REPO_ID).encode(TEXTS), local_vectors)
    monkeypatch.setattr(hf.constants, "HF_HUB_OFFLINE", True)
    assert hf.snapshot_download(REPO_ID, cache_dir=cache, local_files_only=True) == str(snapshot)


# --------------------------------------------------------------------------- layouts: fetch only what is needed


def test_fixture_layouts_download_only_their_files(server, model_fixtures):
    for name in ("st-legacy-norm", "st-root-nonorm", "m2v-int8"):
        folder = model_fixtures[name]
        repo_id = f"test-org/{name}"
        server.add_repo(repo_id, folder)
        server.clear_requests()
        model = hub.load_from_hub(repo_id)
        expected = static_embed.load(folder)
        assert model.spec.format == expected.spec.format and model.spec.compat == expected.spec.compat
        assert np.array_equal(model.encode(TEXTS), expected.encode(TEXTS)), name
        requested = server.requested_files()
        if name == "st-legacy-norm":
            assert requested == [*PROBES, "0_StaticEmbedding/tokenizer.json", "0_StaticEmbedding/model.safetensors"]
        else:
            assert requested == [*PROBES, "model.safetensors"]
        assert "FIXTURE.json" not in requested and "README.md" not in requested


def test_sse_fixtures_download_only_their_files(server, sse_fixtures):
    for name, table_files in (("sse-float", ["model.safetensors"]),
                              ("sse-q4", ["model_rest.safetensors", "embedding.q4_k_m.bin"])):
        folder = sse_fixtures[name]
        repo_id = f"RikkaBotan/{name}-test"
        server.add_repo(repo_id, {**_folder_files(folder), "SSE.py": b"# remote code: never fetched\n"})
        server.clear_requests()
        model = hub.load_from_hub(repo_id)
        expected = static_embed.load(folder)
        assert np.array_equal(model.encode(TEXTS), expected.encode(TEXTS)), name
        assert server.requested_files() == [*PROBES, *table_files]


def test_quantized_sse_repo_fetches_only_its_pair(server, cache):
    files = {
        "modules.json": json.dumps([{"idx": 0, "name": "0", "path": "", "type": "SSE_quantize.SSEQ"}]).encode(),
        "tokenizer.json": (DEFAULT_MODEL / "tokenizer.json").read_bytes(),
        "model_rest.safetensors": b"rest" * 100,
        "embedding.q4_k_m.bin": bytes(range(256)) * 40,
        "model.safetensors": b"unused float table" * 100,   # present, but the quantized pair comes first
        "SSE_quantize.py": b"# remote code, never fetched\n",
    }
    server.add_repo("RikkaBotan/quantized-sse-test", files)
    snapshot = Path(hub.resolve_model("RikkaBotan/quantized-sse-test"))
    assert server.requested_files() == [*PROBES, "model_rest.safetensors", "embedding.q4_k_m.bin"]
    for name in ("model_rest.safetensors", "embedding.q4_k_m.bin", "tokenizer.json", "modules.json"):
        assert (snapshot / name).read_bytes() == files[name]
    assert not (snapshot / "model.safetensors").exists()


@pytest.mark.parametrize("module_type", ["SSE.SSE", "modeling.SomeCustomStaticModule"])
def test_float_sse_repo_fetches_model_safetensors(server, module_type):
    files = {
        "modules.json": json.dumps([{"idx": 0, "name": "0", "path": "", "type": module_type}]).encode(),
        "tokenizer.json": b"{}",
        "model.safetensors": b"float table" * 100,
    }
    server.add_repo("RikkaBotan/sse-test", files)
    hub.resolve_model("RikkaBotan/sse-test")
    assert server.requested_files() == [*PROBES, "model.safetensors"]


def test_an_sse_module_folder_may_use_the_root_tokenizer(server):
    files = {
        "modules.json": json.dumps([{"idx": 0, "name": "0", "path": "0_SSEQ", "type": "SSE_quantize.SSEQ"}]).encode(),
        "tokenizer.json": b"{}",
        "0_SSEQ/model_rest.safetensors": b"rest" * 10,
        "0_SSEQ/embedding.q4_k_m.bin": b"q4" * 10,
    }
    server.add_repo("RikkaBotan/sseq-subfolder-test", files)
    snapshot = Path(hub.resolve_model("RikkaBotan/sseq-subfolder-test"))
    assert server.requested_files() == [*PROBES, "0_SSEQ/tokenizer.json", "0_SSEQ/model_rest.safetensors",
                                        "0_SSEQ/embedding.q4_k_m.bin"]
    assert (snapshot / "0_SSEQ" / "embedding.q4_k_m.bin").is_file()
    server.clear_requests()
    hub.resolve_model("RikkaBotan/sseq-subfolder-test")
    assert server.requests == []


def test_a_transformer_repo_is_refused_before_any_weights(server):
    files = {
        "modules.json": json.dumps([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                                    {"idx": 1, "name": "1", "path": "1_Pooling",
                                     "type": "sentence_transformers.models.Pooling"}]).encode(),
        "config.json": json.dumps({"model_type": "bert", "architectures": ["BertModel"]}).encode(),
        "tokenizer.json": b"{}",
        "model.safetensors": b"\x00" * 100_000,
    }
    server.add_repo("test-org/a-transformer", files)
    with pytest.raises(ModelFormatError, match="not a static embedding model"):
        hub.resolve_model("test-org/a-transformer")
    assert "model.safetensors" not in server.requested_files()


def test_a_repo_without_a_layout_says_what_is_missing(server):
    server.add_repo("test-org/only-config", {"config.json": b'{"model_type": "model2vec"}'})
    with pytest.raises(ModelFormatError, match="tokenizer.json"):
        hub.resolve_model("test-org/only-config")


# --------------------------------------------------------------------------- aliases, names, environment


def test_aliases_resolve():
    assert resolve_alias("potion-8m") == "minishlab/potion-base-8M"
    assert resolve_alias("Potion-32M") == "minishlab/potion-base-32M"
    assert resolve_alias("mrl-en") == "sentence-transformers/static-retrieval-mrl-en-v1"
    assert resolve_alias("mrl-multi") == "sentence-transformers/static-similarity-mrl-multilingual-v1"
    assert resolve_alias("sse-bilingual-q4") == \
        "RikkaBotan/quantized-stable-static-embedding-fast-retrieval-mrl-bilingual-ja-en"
    assert resolve_alias("org/not-an-alias") == "org/not-an-alias"
    assert all(hub._valid_repo_id(repo_id) for repo_id in MODEL_ALIASES.values())
    assert all(alias == alias.lower() for alias in MODEL_ALIASES)
    assert hub.is_hub_reference("potion-8m") and hub.is_hub_reference("org/name")
    assert not hub.is_hub_reference("/abs/path") and not hub.is_hub_reference("a/b/c")
    assert not hub.is_hub_reference("no-slash") and not hub.is_hub_reference(Path("org/name"))


def test_an_alias_downloads_its_repository(server, local_vectors):
    server.add_repo("minishlab/potion-base-8M", DEFAULT_MODEL)
    model = hub.load_from_hub("potion-8m")
    assert np.array_equal(model.encode(TEXTS), local_vectors)
    assert {r.path.split("/resolve/")[0] for r in server.requests} == {"/minishlab/potion-base-8M"}


@pytest.mark.parametrize("name", ["not a repo", "a/b/c", "../x", "org/..", "org--x/name", "org/name.git", ""])
def test_invalid_names_are_refused_before_any_request(server, name):
    with pytest.raises(ValueError, match="hub id"):
        hub.resolve_model(name)
    assert server.requests == []


@pytest.mark.parametrize("revision", ["", "../../etc", "a//b", "x\\y"])
def test_invalid_revisions_are_refused(server, revision):
    with pytest.raises(ValueError, match="invalid revision"):
        hub.resolve_model(REPO_ID, revision=revision)


def test_cache_location_follows_the_environment(monkeypatch, tmp_path, cache):
    assert hub.default_cache_dir() == str(cache)
    monkeypatch.delenv("HF_HUB_CACHE")
    assert hub.default_cache_dir() == str(tmp_path / "hf_home" / "hub")
    monkeypatch.delenv("HF_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.default_cache_dir() == str(tmp_path / "xdg" / "huggingface" / "hub")


def test_explicit_cache_dir_and_endpoint_with_trailing_slash(server, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", server.url + "/")
    path = hub.resolve_model(REPO_ID, cache_dir=tmp_path / "elsewhere")
    assert path.startswith(str(tmp_path / "elsewhere"))
    assert all(r.path.startswith(f"/{REPO_ID}/resolve/") for r in server.requests)


@pytest.mark.parametrize(("name", "value"), [("STATIC_EMBED_HUB_TIMEOUT", "soon"), ("STATIC_EMBED_HUB_RETRIES", "-1")])
def test_bad_settings_are_reported(server, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        hub.resolve_model(REPO_ID)


def test_unreachable_endpoint_is_a_bounded_connection_error(cache):
    started = time.monotonic()
    with pytest.raises(hub.HubDownloadError, match="connection error"):
        hub.resolve_model(REPO_ID)                 # HF_ENDPOINT is the closed loopback port
    assert time.monotonic() - started < 5


def test_progress_bar_on_stderr(server, capfd):
    hub.resolve_model(REPO_ID, progress=True)
    err = capfd.readouterr().err
    assert f"{REPO_ID}/model.safetensors" in err and "15.1/15.1 MB" in err


def test_no_progress_bar_when_disabled_or_not_a_terminal(server, capfd, tmp_path):
    hub.resolve_model(REPO_ID, progress=False)
    hub.resolve_model(REPO_ID, cache_dir=tmp_path / "other")    # auto: stderr is not a terminal here
    assert capfd.readouterr().err == ""


def test_static_embed_load_accepts_hub_ids(server, local_vectors):
    """Runs once ``static_embed.load`` takes the hub keywords (the integration point in encoder.py)."""
    import inspect

    if "local_files_only" not in inspect.signature(static_embed.load).parameters:
        pytest.skip("static_embed.load() does not take hub ids yet")
    assert np.array_equal(static_embed.load(REPO_ID).encode(TEXTS), local_vectors)
    server.clear_requests()
    model = static_embed.load(REPO_ID, revision=server.commit, local_files_only=True, normalize=False)
    assert model.normalize is False and server.requests == []
    with pytest.raises(hub.ModelNotCachedError):
        static_embed.load("test-org/never-downloaded", local_files_only=True)
