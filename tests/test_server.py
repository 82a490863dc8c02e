"""The OpenAI-compatible server, run for real on 127.0.0.1 and called by the official ``openai`` client,
LangChain's ``OpenAIEmbeddings`` and raw httpx requests; every vector is compared with local ``encode``."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

import corpus
import static_embed
from conftest import DEFAULT_MODEL, REPO

pytest.importorskip("starlette")
uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
openai = pytest.importorskip("openai")

from static_embed import server  # noqa: E402
from static_embed.tokenizer.tokenizer import check_text  # noqa: E402

DEFAULT = server.DEFAULT_MODEL_NAME
API_KEY = "sk-test-key-42"
LIMITS = server.ServerLimits(max_body_bytes=256 * 1024, max_inputs=300, max_input_chars=6000)


class RunningServer:
    """uvicorn serving ``app`` in a background thread on a socket bound to 127.0.0.1 by the test."""

    def __init__(self, app: object) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> RunningServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


@pytest.fixture(scope="module")
def model() -> static_embed.StaticModel:
    return static_embed.load()


@pytest.fixture(scope="module")
def nonorm(tmp_path_factory) -> static_embed.StaticModel:
    """A second, different model: the default model's folder with ``"normalize": false`` in its config."""
    folder = tmp_path_factory.mktemp("nonorm")
    for name in ("model.safetensors", "tokenizer.json", "modules.json"):
        (folder / name).symlink_to(DEFAULT_MODEL / name)
    config = json.loads((DEFAULT_MODEL / "config.json").read_text(encoding="utf-8"))
    assert config["normalize"] is True
    (folder / "config.json").write_text(json.dumps({**config, "normalize": False}), encoding="utf-8")
    loaded = static_embed.load(folder)
    assert not loaded.normalize
    return loaded


@pytest.fixture(scope="module")
def texts() -> list[str]:
    english = corpus.english_texts(limit=120)
    japanese = corpus.japanese_texts(limit=120)
    edge = [text for text in corpus.edge_cases() if len(text) <= LIMITS.max_input_chars and _encodable(text)]
    return english[:100] + japanese[:100] + edge[:60]


def _encodable(text: str) -> bool:
    try:
        check_text(text, "text")
    except TypeError:
        return False
    return True


@pytest.fixture(scope="module")
def url(model, nonorm) -> Iterator[str]:
    broken = static_embed.load()

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    broken.encode = fail  # type: ignore[method-assign]
    app = server.create_app({DEFAULT: model, "nonorm": nonorm, "broken": broken}, limits=LIMITS)
    with RunningServer(app) as running:
        yield running.url


@pytest.fixture(scope="module")
def auth_url(model) -> Iterator[str]:
    with RunningServer(server.create_app({DEFAULT: model}, api_key=API_KEY)) as running:
        yield running.url


@pytest.fixture(scope="module")
def http(url) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=60) as client:
        yield client


def client_for(url: str, api_key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=api_key, max_retries=0, timeout=60)


def assert_same(served: object, expected: np.ndarray) -> None:
    got = np.asarray(served, dtype=np.float64)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected.astype(np.float64), rtol=0, atol=1e-6)
    # float32 round-trips exactly through JSON and base64
    assert np.array_equal(got.astype(np.float32), expected)


def token_count(model: static_embed.StaticModel, texts: list[str]) -> int:
    return sum(len(ids) for ids in model.tokenize(texts))


def embed(http_client: httpx.Client, **body: object) -> httpx.Response:
    return http_client.post("/v1/embeddings", json={"model": DEFAULT, **body})


# ---------------------------------------------------------------- the official openai client

def test_openai_client_default_request_is_base64_and_matches_encode(url, model, texts):
    client = client_for(url)
    raw = client.embeddings.with_raw_response.create(model=DEFAULT, input=texts)
    # what the client asks for when no encoding_format is given
    assert json.loads(raw.http_request.content)["encoding_format"] == "base64"
    response = raw.parse()
    assert [item.index for item in response.data] == list(range(len(texts)))
    assert_same([item.embedding for item in response.data], model.encode(texts))
    assert response.model == DEFAULT and response.object == "list"
    assert response.usage.prompt_tokens == response.usage.total_tokens == token_count(model, texts)


@pytest.mark.parametrize("dimensions", [None, 1, 64, 256])
def test_openai_client_float_with_dimensions_matches_encode(url, model, texts, dimensions):
    extra = {} if dimensions is None else {"dimensions": dimensions}
    response = client_for(url).embeddings.create(model=DEFAULT, input=texts[:150], encoding_format="float",
                                                 **extra)
    expected = model.encode(texts[:150], truncate_dim=dimensions)
    assert_same([item.embedding for item in response.data], expected)
    norms = np.linalg.norm(expected, axis=1)
    assert np.allclose(norms[norms > 0], 1, atol=1e-5)  # the model normalizes, so truncated vectors are unit


def test_openai_client_single_string_and_second_model(url, model, nonorm, texts):
    client = client_for(url)
    single = client.embeddings.create(model=DEFAULT, input=texts[0])
    assert len(single.data) == 1
    assert_same(single.data[0].embedding, model.encode(texts[0]))

    other = client.embeddings.create(model="nonorm", input=texts[100:140], dimensions=32)
    expected = nonorm.encode(texts[100:140], truncate_dim=32)
    assert_same([item.embedding for item in other.data], expected)
    assert other.model == "nonorm"
    assert not np.allclose(np.linalg.norm(expected, axis=1), 1)  # a model that does not normalize: raw prefix


def test_openai_client_raises_typed_errors(url):
    client = client_for(url)
    with pytest.raises(openai.NotFoundError) as missing:
        client.embeddings.create(model="no-such-model", input="hello")
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad:
        client.embeddings.create(model=DEFAULT, input="hello", dimensions=10_000)
    assert bad.value.param == "dimensions"
    with pytest.raises(openai.BadRequestError) as tokens:
        client.embeddings.create(model=DEFAULT, input=[[101, 2023, 102]])
    assert tokens.value.code == "token_input_not_supported"
    assert client.embeddings.create(model=DEFAULT, input="still serving").data


def test_openai_client_lists_and_retrieves_models(url):
    client = client_for(url)
    assert [m.id for m in client.models.list()] == [DEFAULT, "nonorm", "broken"]
    card = client.models.retrieve("nonorm")
    assert card.id == "nonorm" and card.owned_by == "static-embed" and card.object == "model"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")


# ---------------------------------------------------------------- LangChain's OpenAIEmbeddings

@pytest.mark.parametrize("dimensions", [None, 128])
def test_langchain_openai_embeddings_match_encode(url, model, texts, dimensions):
    langchain_openai = pytest.importorskip("langchain_openai")
    embeddings = langchain_openai.OpenAIEmbeddings(
        model=DEFAULT, base_url=f"{url}/v1", api_key="unused", dimensions=dimensions, max_retries=0,
        check_embedding_ctx_length=False,  # send text, not tiktoken ids (tiktoken would need a download)
        chunk_size=64)                     # several requests for the 200 texts
    documents = texts[:200]
    assert_same(embeddings.embed_documents(documents), model.encode(documents, truncate_dim=dimensions))
    assert_same(embeddings.embed_query(texts[150]), model.encode(texts[150], truncate_dim=dimensions))


def test_langchain_async_path_matches_encode(url, model, texts):
    langchain_openai = pytest.importorskip("langchain_openai")
    import asyncio

    embeddings = langchain_openai.OpenAIEmbeddings(model=DEFAULT, base_url=f"{url}/v1", api_key="unused",
                                                   check_embedding_ctx_length=False, max_retries=0)
    vectors = asyncio.run(embeddings.aembed_documents(texts[100:160]))
    assert_same(vectors, model.encode(texts[100:160]))


# ---------------------------------------------------------------- raw HTTP

def test_float_and_base64_responses_have_openai_shape(http, model, texts):
    batch = texts[90:110]  # English and Japanese
    as_float = embed(http, input=batch, encoding_format="float", user="someone")
    as_base64 = embed(http, input=batch, encoding_format="base64", dimensions=100)
    assert as_float.status_code == as_base64.status_code == 200
    assert as_float.headers["content-type"] == "application/json"
    body = as_float.json()
    assert set(body) == {"object", "data", "model", "usage"} and body["object"] == "list"
    tokens = token_count(model, batch)
    assert body["usage"] == {"prompt_tokens": tokens, "total_tokens": tokens}
    assert all(set(item) == {"object", "index", "embedding"} and item["object"] == "embedding"
               for item in body["data"])
    assert_same([item["embedding"] for item in body["data"]], model.encode(batch))
    decoded = [np.frombuffer(base64.b64decode(item["embedding"]), dtype="<f4")
               for item in as_base64.json()["data"]]
    assert_same(decoded, model.encode(batch, truncate_dim=100))


def test_health(http, auth_url):
    assert http.get("/health").json() == {"status": "ok"}
    assert httpx.get(f"{auth_url}/health").status_code == 200  # no key needed for the health check


def test_models_endpoints(http):
    listing = http.get("/v1/models").json()
    assert listing["object"] == "list"
    assert [(m["id"], m["object"], m["owned_by"]) for m in listing["data"]] == [
        (name, "model", "static-embed") for name in (DEFAULT, "nonorm", "broken")]
    assert all(type(m["created"]) is int for m in listing["data"])
    assert http.get(f"/v1/models/{DEFAULT}").json()["id"] == DEFAULT


def _deep_json() -> bytes:
    return b'{"model": "static-embed-default", "input": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def post(body: object) -> tuple[str, str, object, None]:
    return "POST", "/v1/embeddings", body, None


def post_bytes(content: bytes) -> tuple[str, str, None, bytes]:
    return "POST", "/v1/embeddings", None, content


def fields(**changes: object) -> dict:
    """A valid body with ``changes`` applied."""
    return {"model": DEFAULT, "input": "a", **changes}


TOKENS = "token_input_not_supported"
SURROGATE = b'{"model": "static-embed-default", "input": ["ok", "a\\ud800b"]}'

ERRORS = {  # name: ((method, path, JSON body, raw body), status, param, code)
    "malformed JSON": (post_bytes(b'{"model": "x", "input": '), 400, None, None),
    "invalid UTF-8": (post_bytes(b'{"model": "\xff\xfe", "input": "a"}'), 400, None, None),
    "empty body": (post_bytes(b""), 400, None, None),
    "nesting too deep": (post_bytes(_deep_json()), 400, None, None),
    "body not an object": (post(["hello"]), 400, None, None),
    "model missing": (post({"input": "hello"}), 400, "model", None),
    "model not a string": (post(fields(model=3)), 400, "model", None),
    "unknown model": (post(fields(model="gpt-x")), 404, "model", "model_not_found"),
    "input missing": (post({"model": DEFAULT}), 400, "input", None),
    "input empty list": (post(fields(input=[])), 400, "input", None),
    "input an object": (post(fields(input={"a": 1})), 400, "input", None),
    "input item null": (post(fields(input=["a", None])), 400, "input", None),
    "input item bool": (post(fields(input=[True])), 400, "input", None),
    "token ids": (post(fields(input=[101, 2023])), 400, "input", TOKENS),
    "token id arrays": (post(fields(input=[[1, 2], [3]])), 400, "input", TOKENS),
    "single token id": (post(fields(input=7)), 400, "input", TOKENS),
    "lone surrogate": (post_bytes(SURROGATE), 400, "input", None),
    "too many inputs": (post(fields(input=["a"] * 301)), 400, "input", "too_many_inputs"),
    "input too long": (post(fields(input=["a", "x" * 6001])), 400, "input", "input_too_long"),
    "dimensions zero": (post(fields(dimensions=0)), 400, "dimensions", None),
    "dimensions negative": (post(fields(dimensions=-5)), 400, "dimensions", None),
    "dimensions over the model's": (post(fields(dimensions=257)), 400, "dimensions", None),
    "dimensions a string": (post(fields(dimensions="64")), 400, "dimensions", None),
    "dimensions a float": (post(fields(dimensions=64.0)), 400, "dimensions", None),
    "dimensions a bool": (post(fields(dimensions=True)), 400, "dimensions", None),
    "unknown encoding_format": (post(fields(encoding_format="int8")), 400, "encoding_format", None),
    "encoding_format not a string": (post(fields(encoding_format=1)), 400, "encoding_format", None),
    "body over the limit": (post(fields(input=["word " * 1000] * 60)), 413, None, "request_too_large"),
    "unknown route": (("GET", "/v1/nothing-here", None, None), 404, None, "not_found"),
    "unknown model card": (("GET", "/v1/models/no-such-model", None, None), 404, "model", "model_not_found"),
    "GET on embeddings": (("GET", "/v1/embeddings", None, None), 405, None, "method_not_allowed"),
    "POST on models": (("POST", "/v1/models", {}, None), 405, None, "method_not_allowed"),
    "encoder fails": (post(fields(model="broken")), 500, None, None),
}


def assert_openai_error(response: httpx.Response, status: int, param: str | None = None,
                        code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert body["error"]["type"] == ("server_error" if status == 500 else "invalid_request_error")
    assert body["error"]["param"] == param and body["error"]["code"] == code
    return body["error"]


def assert_still_serving(http_client: httpx.Client, model: static_embed.StaticModel) -> None:
    response = embed(http_client, input=["still serving", "まだ動いている"])
    assert response.status_code == 200
    assert_same([item["embedding"] for item in response.json()["data"]],
                model.encode(["still serving", "まだ動いている"]))


@pytest.mark.parametrize("case", list(ERRORS))
def test_bad_request_gets_openai_error_and_server_keeps_serving(http, model, case):
    (method, path, body, content), status, param, code = ERRORS[case]
    response = http.request(method, path, json=body, content=content)
    error = assert_openai_error(response, status, param, code)
    if status == 405:
        assert response.headers["allow"]
    if status == 500:
        assert "secret" not in response.text and "Traceback" not in response.text
        assert error["message"] == "internal server error"
    assert_still_serving(http, model)


def test_body_limit_holds_without_content_length(http, model):
    sent = []

    def chunks() -> Iterator[bytes]:  # chunked transfer: the size is known only while reading
        yield b'{"model": "static-embed-default", "input": ["'
        for _ in range(LIMITS.max_body_bytes // 4096 + 8):
            sent.append(4096)
            yield b"a" * 4096
        yield b'"]}'

    response = http.post("/v1/embeddings", content=chunks())
    assert "content-length" not in response.request.headers
    assert_openai_error(response, 413, None, "request_too_large")
    assert_still_serving(http, model)


def test_a_body_just_under_the_limit_is_read(http, model):
    text = "a " * 2900
    count = (LIMITS.max_body_bytes - 200) // (len(text) + 3)
    body = json.dumps({"model": DEFAULT, "input": [text] * count}).encode()
    assert LIMITS.max_body_bytes - 1000 < len(body) <= LIMITS.max_body_bytes
    response = http.post("/v1/embeddings", content=body)
    assert response.status_code == 200
    assert len(response.json()["data"]) == count


# ---------------------------------------------------------------- auth

def test_auth_on_refuses_missing_and_wrong_keys(auth_url, model, texts):
    with httpx.Client(base_url=auth_url, timeout=60) as http_client:
        good = {"Authorization": f"Bearer {API_KEY}".encode()}
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {API_KEY}".encode()},
                        {"Authorization": "Bearer"}, {"Authorization": f"Bearer {API_KEY}x".encode()}):
            for method, path in (("POST", "/v1/embeddings"), ("GET", "/v1/models"),
                                 ("GET", f"/v1/models/{DEFAULT}")):
                response = http_client.request(method, path, headers=headers, json=fields())
                assert_openai_error(response, 401, None, "invalid_api_key")
                assert response.headers["www-authenticate"] == "Bearer"
            ok = http_client.post("/v1/embeddings", headers=good, json={"model": DEFAULT, "input": texts[:3]})
            assert ok.status_code == 200
        # the key is checked before the body is read or parsed
        assert http_client.post("/v1/embeddings", content=b"not json").status_code == 401
        assert http_client.get("/v1/models", headers=good).status_code == 200

    with pytest.raises(openai.AuthenticationError):
        client_for(auth_url, api_key="wrong").embeddings.create(model=DEFAULT, input="a")
    response = client_for(auth_url, api_key=API_KEY).embeddings.create(model=DEFAULT, input=texts[:20])
    assert_same([item.embedding for item in response.data], model.encode(texts[:20]))


def test_auth_off_accepts_any_or_no_key(http, model):
    for headers in ({}, {"Authorization": "Bearer anything"}):
        response = http.post("/v1/embeddings", headers=headers, json={"model": DEFAULT, "input": "a"})
        assert response.status_code == 200
    assert_still_serving(http, model)


# ---------------------------------------------------------------- configuration, CLI

def test_binds_loopback_by_default():
    from static_embed.cli import _build_parser

    args = _build_parser().parse_args(["serve"])
    assert args.host == "127.0.0.1" == server.DEFAULT_HOST
    assert args.model is None and args.api_key is None
    assert server.parse_model_specs(args.model) == {DEFAULT: None}
    import inspect

    assert inspect.signature(server.serve).parameters["host"].default == "127.0.0.1"


def test_model_specs_and_limits_are_checked():
    assert server.parse_model_specs(["a=org/model", "potion-8m", "b = ./folder"]) == {
        "a": "org/model", "potion-8m": "potion-8m", "b": "./folder"}
    for bad in (["a=x", "a=y"], ["=x"], ["a="]):
        with pytest.raises(ValueError):
            server.parse_model_specs(bad)
    with pytest.raises(ValueError):
        server.ServerLimits(max_inputs=0)
    with pytest.raises(TypeError):
        server.ServerLimits(max_body_bytes=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        server.create_app({})
    with pytest.raises(TypeError):
        server.create_app({"m": object()})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        server.create_app({"m": static_embed.load()}, api_key="")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_cli_serves_two_models_by_name_with_env_key(model, nonorm, texts):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), server.API_KEY_ENV: API_KEY}
    process = subprocess.Popen(
        [sys.executable, "-m", "static_embed", "serve", "--port", str(port), "--log-level", "warning",
         "--model", f"main={DEFAULT_MODEL}", "--model", f"raw={nonorm.spec.path}"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        client = client_for(url, api_key=API_KEY)
        assert [m.id for m in client.models.list()] == ["main", "raw"]
        for name, local in (("main", model), ("raw", nonorm)):
            response = client.embeddings.create(model=name, input=texts[:50], dimensions=48)
            assert_same([item.embedding for item in response.data], local.encode(texts[:50], truncate_dim=48))
        with pytest.raises(openai.AuthenticationError):
            client_for(url, api_key="nope").models.list()
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert "serving main, raw at http://127.0.0.1:" in err


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


def test_missing_extra_gives_the_install_hint():
    code = ("import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None\n"
            "from static_embed import server, load\n"
            "try:\n    server.create_app({'m': load()})\nexcept ImportError as exc:\n    print(exc)\n"
            "from static_embed.cli import main\nraise SystemExit(main(['serve']))")
    result = python(code)
    assert result.returncode == 1
    assert "pip install 'static-embed-numpy[serve]'" in result.stdout
    assert result.stderr.strip().startswith("static-embed: error:") and "[serve]" in result.stderr
    assert "Traceback" not in result.stderr


def test_importing_the_server_module_loads_no_web_framework():
    code = ("import sys, static_embed.server, static_embed.cli; "
            "print([m for m in ('starlette', 'uvicorn', 'anyio', 'httpx') if m in sys.modules])")
    result = python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
