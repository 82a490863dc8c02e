"""An OpenAI-compatible embeddings server (``static-embed serve``).

``POST /v1/embeddings`` answers as OpenAI's endpoint does, so the official ``openai``
client, LangChain's ``OpenAIEmbeddings`` and other OpenAI-compatible tools can use a
local static model unchanged. The vectors are exactly ``model.encode(texts,
truncate_dim=dimensions)``: ``encode`` truncates before it normalizes, so a model that
normalizes returns unit-length truncated vectors (as OpenAI's ``dimensions`` does),
and a model that does not normalize returns the plain prefix.

``usage.prompt_tokens`` (= ``total_tokens``) counts the token ids the model averaged,
summed over the inputs: ``sum(len(ids) for ids in model.tokenize(texts))``, i.e. our
tokenizer's ids after the format's character cut, without the ids the format leaves
out of the mean (model2vec drops the unknown token). These are not tiktoken counts.

starlette and uvicorn are imported only when an app is built or served
(``pip install 'static-embed-numpy[serve]'``).
"""

from __future__ import annotations

import argparse
import base64
import hmac
import importlib
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .encoder import StaticModel, load
from .tokenizer.tokenizer import check_text

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["API_KEY_ENV", "DEFAULT_HOST", "DEFAULT_MODEL_NAME", "DEFAULT_PORT", "INSTALL_HINT", "ApiError",
           "ServerLimits", "add_serve_arguments", "create_app", "load_models", "parse_model_specs", "serve",
           "serve_from_args"]

INSTALL_HINT = "pip install 'static-embed-numpy[serve]'"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MODEL_NAME = "static-embed-default"
API_KEY_ENV = "STATIC_EMBED_API_KEY"
ENCODING_FORMATS = ("float", "base64")
_FLOAT32_DIGITS = "%.9g".__mod__


@dataclass(frozen=True)
class ServerLimits:
    """Per-request bounds; the body limit is enforced while the body is read, never after buffering it."""

    max_body_bytes: int = 16 * 1024 * 1024
    max_inputs: int = 2048            # OpenAI's own limit on inputs per request
    max_input_chars: int = 100_000

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_inputs", "max_input_chars"):
            value = getattr(self, name)
            if type(value) is not int:
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")


class ApiError(Exception):
    """A request the server refuses; rendered in OpenAI's error shape with ``status``."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def _require(module: str) -> None:
    """Import ``module`` (starlette or uvicorn) or raise ImportError with the install hint."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"the server needs starlette and uvicorn ({module} is missing): "
                          f"{INSTALL_HINT}") from exc


# ---------------------------------------------------------------- request handling (no starlette here)

@dataclass(frozen=True)
class _EmbeddingRequest:
    model_name: str
    model: StaticModel
    texts: list[str]
    dimensions: int | None
    encoding_format: str


def _is_int(value: object) -> bool:
    return type(value) is int  # JSON true/false arrive as bool, a subclass of int: not a dimension or a token


def _token_input_error() -> ApiError:
    return ApiError(400, "token-id input is not supported: this server's tokenizers differ from tiktoken's, "
                         "so token ids would mean other words; send the text itself", param="input",
                    code="token_input_not_supported")


def _parse_input(value: object, limits: ServerLimits) -> list[str]:
    if value is None:
        raise ApiError(400, "'input' is required: a string or a list of strings", param="input")
    if isinstance(value, str):
        items: list[object] = [value]
    elif isinstance(value, list):
        if not value:
            raise ApiError(400, "'input' is an empty list: give at least one string", param="input")
        if len(value) > limits.max_inputs:
            raise ApiError(400, f"'input' has {len(value)} items; at most {limits.max_inputs} are allowed "
                                "per request", param="input", code="too_many_inputs")
        items = value
    elif _is_int(value):
        raise _token_input_error()
    else:
        raise ApiError(400, f"'input' must be a string or a list of strings, got {_json_type(value)}",
                       param="input")
    texts = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            if _is_int(item) or (isinstance(item, list) and all(_is_int(x) for x in item)):
                raise _token_input_error()
            raise ApiError(400, f"input[{index}] must be a string, got {_json_type(item)}", param="input")
        if len(item) > limits.max_input_chars:
            raise ApiError(400, f"input[{index}] has {len(item):,} characters; at most "
                                f"{limits.max_input_chars:,} are allowed", param="input",
                           code="input_too_long")
        try:
            texts.append(check_text(item, f"input[{index}]"))
        except TypeError as exc:  # a lone surrogate, sent as a JSON escape like \ud800
            raise ApiError(400, str(exc), param="input") from None
    return texts


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _parse_embedding_request(body: bytes, models: Mapping[str, StaticModel],
                             limits: ServerLimits) -> _EmbeddingRequest:
    """Validate a ``/v1/embeddings`` body; every problem is an :class:`ApiError` naming the field."""
    if not body.strip():
        raise ApiError(400, "the request body is empty; expected a JSON object")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise ApiError(400, f"the request body is not valid JSON ({reason})") from None
    if not isinstance(payload, dict):
        raise ApiError(400, f"the request body must be a JSON object, got {_json_type(payload)}")

    name = payload.get("model")
    if name is None:
        raise ApiError(400, "'model' is required: the name of a served model (see GET /v1/models)",
                       param="model")
    if not isinstance(name, str):
        raise ApiError(400, f"'model' must be a string, got {_json_type(name)}", param="model")
    if name not in models:
        raise ApiError(404, f"the model {name!r} is not served here; available: {', '.join(models)}",
                       param="model", code="model_not_found")
    model = models[name]

    texts = _parse_input(payload.get("input"), limits)

    dimensions = payload.get("dimensions")
    if dimensions is not None and (not _is_int(dimensions) or not 0 < dimensions <= model.dim):
        raise ApiError(400, f"'dimensions' must be an integer from 1 to {model.dim} (the dimension of "
                            f"{name!r}), got {json.dumps(dimensions)}", param="dimensions")

    encoding_format = payload.get("encoding_format")
    if encoding_format is None:
        encoding_format = "float"
    if encoding_format not in ENCODING_FORMATS:
        raise ApiError(400, "'encoding_format' must be 'float' or 'base64', got "
                            f"{json.dumps(encoding_format)}", param="encoding_format")
    return _EmbeddingRequest(name, model, texts, dimensions, encoding_format)


def _embeddings_response(body: bytes, models: Mapping[str, StaticModel], limits: ServerLimits) -> bytes:
    """Parse, encode and serialize (run in a worker thread: all three are CPU work on big requests)."""
    request = _parse_embedding_request(body, models, limits)
    vectors = request.model.encode(request.texts, truncate_dim=request.dimensions)
    tokens = sum(len(ids) for ids in request.model.tokenize(request.texts))
    if request.encoding_format == "base64":
        # the openai client decodes with np.frombuffer(..., dtype="float32"): little-endian float32 bytes
        rows = ['"' + base64.b64encode(row.tobytes()).decode("ascii") + '"'
                for row in vectors.astype("<f4", copy=False)]
    else:
        # 9 significant digits give back the exact float32 and cost half the time and size of float64's repr
        rows = ["[" + ",".join(map(_FLOAT32_DIGITS, row)) + "]" for row in vectors.tolist()]
    data = ",".join(f'{{"object":"embedding","index":{i},"embedding":{row}}}' for i, row in enumerate(rows))
    return (f'{{"object":"list","data":[{data}],"model":{json.dumps(request.model_name)},'
            f'"usage":{{"prompt_tokens":{tokens},"total_tokens":{tokens}}}}}').encode("utf-8")


# ---------------------------------------------------------------- the ASGI app

def create_app(models: Mapping[str, StaticModel], *, api_key: str | None = None,
               limits: ServerLimits | None = None) -> Starlette:
    """A Starlette app serving ``models`` by name; ``api_key`` turns on bearer-token auth for ``/v1``."""
    _require("starlette")
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    if not isinstance(models, Mapping) or not models:
        raise ValueError("models must be a non-empty mapping of name -> StaticModel")
    for name, model in models.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"model names must be non-empty strings, got {name!r}")
        if not isinstance(model, StaticModel):
            raise TypeError(f"models[{name!r}] must be a StaticModel, got {type(model).__name__}")
    if api_key is not None and (not isinstance(api_key, str) or not api_key):
        raise ValueError("api_key must be a non-empty string or None")
    models = dict(models)
    limits = limits or ServerLimits()
    expected_key = None if api_key is None else api_key.encode("utf-8")
    created = int(time.time())

    def error_response(error: ApiError, headers: Mapping[str, str] | None = None) -> Response:
        return JSONResponse(error.body(), status_code=error.status, headers=dict(headers or {}))

    def check_auth(request: Request) -> None:
        if expected_key is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "missing API key: send the header 'Authorization: Bearer <key>'",
                           code="invalid_api_key")
        # headers arrive decoded as latin-1; encoding back gives the bytes the client sent
        if not hmac.compare_digest(token.strip().encode("latin-1"), expected_key):
            raise ApiError(401, "incorrect API key", code="invalid_api_key")

    async def read_body(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        too_large = ApiError(413, f"the request body is over the limit of {limits.max_body_bytes:,} bytes",
                             code="request_too_large")
        if declared and declared.isascii() and declared.isdigit() and int(declared) > limits.max_body_bytes:
            raise too_large  # refused before any of the body is read
        chunks, size = [], 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limits.max_body_bytes:
                    raise too_large
                chunks.append(chunk)
        except ClientDisconnect:
            raise ApiError(400, "the client disconnected before sending the whole body") from None
        return b"".join(chunks)

    def model_card(name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": created, "owned_by": "static-embed"}

    async def embeddings(request: Request) -> Response:
        check_auth(request)
        body = await read_body(request)
        content = await run_in_threadpool(_embeddings_response, body, models, limits)
        return Response(content, media_type="application/json")

    async def list_models(request: Request) -> Response:
        check_auth(request)
        return JSONResponse({"object": "list", "data": [model_card(name) for name in models]})

    async def get_model(request: Request) -> Response:
        check_auth(request)
        name = request.path_params["name"]
        if name not in models:
            raise ApiError(404, f"the model {name!r} is not served here; available: {', '.join(models)}",
                           param="model", code="model_not_found")
        return JSONResponse(model_card(name))

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc, headers)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        where = f"{request.method} {request.url.path}"
        if exc.status_code == 404:
            error = ApiError(404, f"no such route: {where}", code="not_found")
        elif exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "")
            error = ApiError(405, f"method not allowed: {where} (allowed: {allowed})",
                             code="method_not_allowed")
        else:
            error = ApiError(exc.status_code, str(exc.detail), code=None)
        return error_response(error, exc.headers)

    async def on_server_error(request: Request, exc: Exception) -> Response:
        # the traceback goes to the server's log (uvicorn prints it), never to the client
        return error_response(ApiError(500, "internal server error", type="server_error"))

    routes = [
        Route("/v1/embeddings", embeddings, methods=["POST"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{name:path}", get_model, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={ApiError: on_api_error, HTTPException: on_http_error,
                                                        Exception: on_server_error})


# ---------------------------------------------------------------- running it

def parse_model_specs(values: Sequence[str] | None) -> dict[str, str | None]:
    """``["name=path_or_hub_id", ...]`` -> {name: reference}; none given: the embedded default model.

    A value without ``=`` is served under its own text (``--model potion-8m``).
    """
    if not values:
        return {DEFAULT_MODEL_NAME: None}
    specs: dict[str, str | None] = {}
    for value in values:
        name, sep, reference = value.partition("=")
        if not sep:
            name, reference = value, value
        name, reference = name.strip(), reference.strip()
        if not name or not reference:
            raise ValueError(f"--model {value!r}: expected NAME=PATH_OR_HUB_ID")
        if name in specs:
            raise ValueError(f"--model: the name {name!r} is given twice")
        specs[name] = reference
    return specs


def load_models(specs: Mapping[str, str | None], **load_options: Any) -> dict[str, StaticModel]:
    """Load every model of ``specs`` (``None``: the embedded default model) with the same options."""
    return {name: load(reference, **load_options) for name, reference in specs.items()}


def serve(models: Mapping[str, StaticModel] | None = None, *, host: str = DEFAULT_HOST,
          port: int = DEFAULT_PORT, api_key: str | None = None, limits: ServerLimits | None = None,
          log_level: str = "info") -> None:
    """Serve ``models`` (default: the embedded model as ``static-embed-default``) until interrupted."""
    _require("uvicorn")
    import uvicorn

    if models is None:
        models = load_models(parse_model_specs(None))
    app = create_app(models, api_key=api_key, limits=limits)
    sys.stderr.write(f"static-embed: serving {', '.join(models)} at http://{host}:{port}/v1 "
                     f"(auth {'on' if api_key else 'off'})\n")
    uvicorn.run(app, host=host, port=port, log_level=log_level)


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``static-embed serve`` options."""
    defaults = ServerLimits()
    parser.add_argument("--model", "-m", action="append", metavar="NAME=PATH_OR_HUB_ID",
                        help=f"a model to serve under NAME (repeatable); default: the embedded model as "
                             f"{DEFAULT_MODEL_NAME!r}")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST}: "
                                                              "this machine only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--api-key", default=None,
                        help=f"require 'Authorization: Bearer KEY' on /v1 "
                             f"(default: ${API_KEY_ENV}, else no auth)")
    parser.add_argument("--compat", choices=("model2vec", "sentence-transformers"), default=None,
                        help="force whose semantics apply to every model")
    parser.add_argument("--max-body-bytes", type=int, default=defaults.max_body_bytes,
                        help=f"largest request body (default {defaults.max_body_bytes:,}; over it: 413)")
    parser.add_argument("--max-inputs", type=int, default=defaults.max_inputs,
                        help=f"most texts per request (default {defaults.max_inputs:,})")
    parser.add_argument("--max-input-chars", type=int, default=defaults.max_input_chars,
                        help=f"most characters per text (default {defaults.max_input_chars:,})")
    parser.add_argument("--log-level", default="info",
                        choices=("critical", "error", "warning", "info", "debug"),
                        help="uvicorn's log level ('warning' hides the access log)")


def serve_from_args(args: argparse.Namespace) -> int:
    """Run ``static-embed serve`` from parsed arguments."""
    _require("starlette")
    _require("uvicorn")
    api_key = args.api_key if args.api_key is not None else (os.environ.get(API_KEY_ENV) or None)
    if args.api_key == "":
        raise ValueError("--api-key must not be empty")
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be between 0 and 65535, got {args.port}")
    limits = ServerLimits(max_body_bytes=args.max_body_bytes, max_inputs=args.max_inputs,
                          max_input_chars=args.max_input_chars)
    models = load_models(parse_model_specs(args.model), compat=args.compat)
    serve(models, host=args.host, port=args.port, api_key=api_key, limits=limits, log_level=args.log_level)
    return 0
