"""A drop-in for ``sentence_transformers.SentenceTransformer`` on static models, with numpy alone.

>>> from static_embed.sentence_transformer import SentenceTransformer
>>> model = SentenceTransformer()            # the embedded default model
>>> embeddings = model.encode(["The weather is lovely today.", "It's so sunny outside!"])
>>> embeddings.shape
(2, 256)
>>> model.similarity(embeddings, embeddings).shape
(2, 2)

The class reproduces sentence-transformers 6.2.0 (see :class:`SentenceTransformer`
for the exact contract and the few deliberate differences); the numerics live in
:mod:`static_embed.st_quantization`.
"""

from __future__ import annotations

import enum
import functools
import logging
import math
import multiprocessing
import os
import pickle
import queue
import re
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import chain
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np

from ._json import load_json_file
from ._progress import Progress
from .encoder import DEFAULT_BATCH_SIZE, DEFAULT_MODEL_DIR, load
from .errors import ModelFormatError, UnsupportedFeatureError
from .st_quantization import (
    ALLOWED_PRECISIONS,
    SUPPORTED_SIMILARITY_FN_NAMES,
    pairwise_similarity_fn,
    quantize_embeddings,
    similarity_fn,
    torch_l2_normalize,
)

__all__ = ["SentenceTransformer"]

logger = logging.getLogger(__name__)

_F = TypeVar("_F", bound=Callable[..., Any])
_BACKENDS = ("torch", "onnx", "openvino")
_ALLOWED_ENCODE_KWARGS = {"task", "processing_kwargs"}
_DEVICE_TYPES = frozenset({
    "cpu", "cuda", "mps", "npu", "hpu", "xpu", "xla", "meta", "ipu", "mtia", "maia", "privateuseone",
    "vulkan", "ve", "lazy", "fpga", "ort", "mkldnn", "opengl", "opencl", "ideep", "hip", "msnpu",
})
_TORCH_HINT = "pip install torch"


def _renamed_kwargs(**renames: str) -> Callable[[_F], _F]:
    """Accept old keyword names with a DeprecationWarning (the new name wins when both are given)."""
    def decorator(func: _F) -> _F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in renames.items():
                if old in kwargs:
                    warnings.warn(f"The `{old}` argument was renamed and is now deprecated. "
                                  f"Please use `{new}` instead.", DeprecationWarning, stacklevel=2)
                    value = kwargs.pop(old)
                    kwargs.setdefault(new, value)
            return func(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorator


class _CPUDevice(str):
    """The string ``"cpu"``, also answering ``.type`` and ``.index`` like ``torch.device("cpu")``."""

    __slots__ = ()

    @property
    def type(self) -> str:
        return "cpu"

    @property
    def index(self) -> None:
        return None


class _OutputValueError(KeyError, ValueError):
    """``output_value`` names an output a static model does not have (sentence-transformers: KeyError)."""

    def __str__(self) -> str:
        return str(self.args[0])


def _device_type(device: object) -> str:
    if isinstance(device, bool):
        raise TypeError(f"device must be a str such as 'cpu', got {device!r}")
    if isinstance(device, (int, np.integer)):
        return "cuda"
    if isinstance(device, str):
        match = re.fullmatch(r"([a-z_]+)(?::\d+)?", device.strip())
        if match is None or match.group(1) not in _DEVICE_TYPES:
            raise ValueError(f"Expected a device such as 'cpu', 'cuda' or 'cuda:0', got {device!r}")
        return match.group(1)
    kind = getattr(device, "type", None)  # torch.device
    if isinstance(kind, str):
        return kind
    raise TypeError(f"device must be a str or torch.device, got {type(device).__name__}")


def _check_device(device: object, what: str = "device") -> None:
    """A CPU device passes silently; any other device warns that numpy computes on the CPU."""
    if _device_type(device) != "cpu":
        warnings.warn(f"static_embed computes with numpy on the CPU; {what}={str(device)!r} is ignored.",
                      UserWarning, stacklevel=3)


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise ImportError("convert_to_tensor=True returns a torch.Tensor and needs PyTorch, which is not "
                          f"installed: `{_TORCH_HINT}` (static_embed itself needs only numpy; leave "
                          "convert_to_tensor=False to get numpy arrays).") from exc
    return torch


def _resolve_folder(name: str | os.PathLike[str] | None, modules: object, cache_folder: str | None,
                    revision: str | None, token: str | bool | None, local_files_only: bool) -> str:
    if modules is not None:
        if not name:
            raise ValueError("static_embed's SentenceTransformer loads static models from folders; "
                             "building one from torch `modules` is not supported. "
                             "Pass a model folder instead.")
        logger.warning("Both `model_name_or_path` and `modules` were provided. The modules are loaded from "
                       "`model_name_or_path`, so the `modules` argument is ignored.")
    if not name:
        return str(DEFAULT_MODEL_DIR)
    if not isinstance(name, (str, os.PathLike)):
        raise TypeError("model_name_or_path must be a folder path or a Hub model id, "
                        f"got {type(name).__name__}")
    path = os.fspath(name)
    if os.path.isdir(path):
        return path
    if os.path.isfile(path):
        raise NotADirectoryError(f"Path {path} is a file, not a directory. `model_name_or_path` must be a "
                                 "local directory containing a model, or a Hugging Face Hub model ID.")
    if (os.sep == "\\" and "\\" in path) or path.count("/") > 1:
        raise FileNotFoundError(f"Path {path} not found")
    from .aliases import MODEL_ALIASES
    from .hub import resolve_model

    repo_id = path if "/" in path or path.lower() in MODEL_ALIASES else f"sentence-transformers/{path}"
    cache_folder = cache_folder or os.getenv("SENTENCE_TRANSFORMERS_HOME")
    return resolve_model(repo_id, revision=revision, token=token, cache_dir=cache_folder,
                         local_files_only=local_files_only)


def _read_st_config(folder: str) -> dict[str, Any]:
    """``config_sentence_transformers.json`` of ``folder`` (``{}`` if absent), checked for the keys used."""
    path = os.path.join(folder, "config_sentence_transformers.json")
    if not os.path.isfile(path):
        return {}
    config = load_json_file(path, max_bytes=1024 * 1024)
    if not isinstance(config, dict):
        raise ModelFormatError(f"{path}: top level must be a JSON object")
    model_type = config.get("model_type", "SentenceTransformer")
    if model_type != "SentenceTransformer":
        raise UnsupportedFeatureError(f"{path}: model_type {model_type!r} is not a SentenceTransformer model")
    prompts = config.get("prompts")
    if prompts is not None and (not isinstance(prompts, dict) or
                                not all(isinstance(v, str) or v is None for v in prompts.values())):
        raise ModelFormatError(f"{path}: 'prompts' must be an object of strings")
    for key, kinds in (("default_prompt_name", (str,)), ("similarity_fn_name", (str,)),
                       ("truncate_dim", (int,))):
        value = config.get(key)
        if value is not None and type(value) not in kinds:
            raise ModelFormatError(f"{path}: {key!r} must be a {kinds[0].__name__} or null, got {value!r}")
    return config


def _pool_worker(target_device: str, model: SentenceTransformer, input_queue: Any,
                 results_queue: Any) -> None:
    """Encode queued chunks in a worker process until terminated by ``stop_multi_process_pool``."""
    while True:
        chunk_id, inputs, kwargs = input_queue.get()
        try:
            outputs = model._inference(inputs, **kwargs)
        except Exception as exc:  # reported to the parent, which raises it
            logger.exception(f"Error in SentenceTransformer worker process on {target_device} "
                             f"for chunk {chunk_id}")
            try:
                pickle.loads(pickle.dumps(exc))
            except Exception:  # noqa: BLE001 - anything that cannot cross the queue travels as text
                exc = RuntimeError("".join(traceback.format_exception(exc)))
            results_queue.put([chunk_id, exc])
        else:
            results_queue.put([chunk_id, outputs])


def _get_worker_result(pool: dict[str, Any], poll_interval: float = 1.0) -> Any:
    """The next result, failing if a worker died while the queue is empty."""
    while True:
        try:
            return pool["output"].get(timeout=poll_interval)
        except queue.Empty:
            pass
        dead = [p for p in pool["processes"] if not p.is_alive()]
        if dead:
            details = ", ".join(f"pid {p.pid} (exit code {p.exitcode})" for p in dead)
            raise RuntimeError(f"{len(dead)} multi-process pool worker(s) died unexpectedly: {details}. "
                               "Stop the pool and start a new one before retrying.")


class SentenceTransformer:
    """``sentence_transformers.SentenceTransformer`` (6.2.0) for static models, computed with numpy.

    Loads a sentence-transformers ``StaticEmbedding`` folder (also a model2vec
    folder, read the way sentence-transformers reads it: unknown token kept, the
    ``tokenizer.json`` truncation honoured, the ``Normalize`` module applied when
    ``modules.json`` lists it) and answers the same calls with the same numbers:
    the constructor, ``encode`` / ``encode_query`` / ``encode_document`` (same
    parameters, defaults, order, errors, return shapes and dtypes; ``[]`` gives
    ``np.array([])``), ``precision`` int8/uint8/binary/ubinary calibrated over the
    whole call, prompts merged with ``config_sentence_transformers.json``,
    ``truncate_dim``, ``similarity`` / ``similarity_pairwise`` with
    ``similarity_fn_name``, both dimension getters and truncation context
    managers, and the multi-process pool API (spawned processes; the parent
    quantizes once). Pipeline: prompt → pool → Normalize module → truncate →
    ``normalize_embeddings`` → quantize → convert. float32 results match
    sentence-transformers within 1e-6 (bit for bit against torch 2.13 on x86-64,
    whose norm summation order is reproduced), so quantized codes match; on other
    CPUs or torch builds a code can differ by one step where a value sits on a
    bucket boundary.

    Differences from sentence-transformers, all deliberate:

    * numpy, not torch: ``encode`` returns numpy arrays; ``similarity`` and
      ``similarity_pairwise`` return numpy arrays (float32; float64 if an input is
      float64; integer inputs are computed as float32) and accept numpy arrays,
      lists and torch tensors. ``convert_to_tensor=True`` imports torch lazily
      (ImportError with an install hint without it); ``convert_to_numpy=False``
      gives a list of torch tensors when torch is importable, else of numpy rows.
    * float32 output always. sentence-transformers keeps float16 weights in
      float16 (and returns NaN rows for empty texts when the model normalizes);
      here the mean is computed in float32, so float16 models differ from it by
      up to about 1e-3 and empty texts give zero vectors.
    * CPU only: ``device`` (constructor, ``encode``, pool devices) other than CPU
      warns and is ignored; ``model.device`` is the string ``"cpu"`` with
      ``.type``/``.index``.
    * Loading: a local folder, or a Hub id (or a static_embed alias) resolved
      through the Hugging Face cache by :func:`static_embed.hub.resolve_model`
      (``cache_folder``, ``SENTENCE_TRANSFORMERS_HOME``, ``HF_HUB_CACHE``,
      ``HF_HOME``, ``revision``, ``token``, ``local_files_only`` and
      ``HF_HUB_OFFLINE`` honoured; only the files the format needs are
      downloaded). ``None`` loads the
      embedded default model (sentence-transformers builds an empty model).
      ``modules`` (torch modules) cannot be used. ``model_kwargs``,
      ``processor_kwargs``, ``config_kwargs``, ``model_card_data`` and
      ``trust_remote_code`` are accepted and unused, as sentence-transformers'
      ``StaticEmbedding`` ignores them too; ``backend`` may be ``"torch"``,
      ``"onnx"`` or ``"openvino"`` (all computed with numpy), anything else
      raises ValueError (sentence-transformers does not check it).
    * ``output_value="token_embeddings"`` (a static model has none) raises an
      error that is both KeyError (as in sentence-transformers) and ValueError;
      ``output_value=None`` gives one ``{"sentence_embedding": row}`` dict per
      input, without sentence-transformers' batch-dependent ``input_ids`` and
      ``offsets``, and a non-float32 ``precision`` with it raises ValueError.
    * ``batch_size`` is validated as in sentence-transformers but texts are
      embedded in numpy batches of 1024; results never depend on batching.
    * The deprecated ``sentences=`` and ``tokenizer_kwargs=`` keywords warn with
      DeprecationWarning (sentence-transformers logs a warning instead).
    * Progress bars are static_embed's own; ``show_progress_bar=None`` shows one
      when the ``static_embed.sentence_transformer`` logger is at INFO or DEBUG.
    * ``tokenizer`` is static_embed's tokenizer (``encode_batch`` gives id lists),
      not a ``tokenizers.Tokenizer``; ``preprocess``/``tokenize`` return numpy
      ``input_ids``/``offsets``.
    * Pickling (used by the pool) stores the folder path and settings, not the
      table: unpickling reloads the folder. Empty ``target_devices`` raises.
    * Not provided: training (``fit``), saving and Hub upload, model cards,
      ``Router`` tasks (``task=`` is accepted and ignored, as for any static model).
    """

    SUPPORTED_SIMILARITY_FN_NAMES: ClassVar[tuple[str, ...]] = SUPPORTED_SIMILARITY_FN_NAMES
    model_type: ClassVar[str] = "SentenceTransformer"
    _default_prompts: ClassVar[dict[str, str | None]] = {"query": None, "document": None}

    @_renamed_kwargs(tokenizer_kwargs="processor_kwargs")
    def __init__(
        self,
        model_name_or_path: str | os.PathLike[str] | None = None,
        *,
        modules: list[Any] | None = None,
        device: str | None = None,
        prompts: dict[str, str] | None = None,
        default_prompt_name: str | None = None,
        cache_folder: str | None = None,
        trust_remote_code: bool = False,
        revision: str | None = None,
        local_files_only: bool = False,
        token: bool | str | None = None,
        use_auth_token: bool | str | None = None,
        model_kwargs: dict[str, Any] | None = None,
        processor_kwargs: dict[str, Any] | None = None,
        config_kwargs: dict[str, Any] | None = None,
        model_card_data: Any | None = None,
        backend: Literal["torch", "onnx", "openvino"] = "torch",
        similarity_fn_name: Literal["cosine", "dot", "euclidean", "manhattan"] | None = None,
        truncate_dim: int | None = None,
    ) -> None:
        """Load a model folder (``None``: the embedded default model), as sentence-transformers 6.2 would.

        Args:
            model_name_or_path: a folder, or a Hub id already in the local Hugging Face cache.
            modules: unsupported (torch modules); ignored with a warning when a folder is also given.
            device: a CPU device; any other device warns and is ignored.
            prompts: prompt name -> text; merged with the saved prompts (a saved prompt fills only
                names absent here or set to None).
            default_prompt_name: the prompt applied when ``encode`` is given none; must be in ``prompts``.
            cache_folder: the Hugging Face cache for Hub ids.
            trust_remote_code: accepted; a static model has no remote code.
            revision: branch, tag or commit of a Hub id.
            local_files_only: use the cache only, never the network.
            token: Hub token (None: ``HF_TOKEN`` or the stored token; False: none).
            use_auth_token: deprecated alias of ``token`` (FutureWarning).
            model_kwargs: accepted and unused (sentence-transformers' StaticEmbedding ignores them too).
            processor_kwargs: as ``model_kwargs`` (``tokenizer_kwargs`` is its deprecated name).
            config_kwargs: as ``model_kwargs``.
            model_card_data: stored as ``model_card_data``.
            backend: ``"torch"``, ``"onnx"`` or ``"openvino"``; all compute with numpy.
            similarity_fn_name: ``"cosine"``, ``"dot"``, ``"euclidean"`` or ``"manhattan"``
                (default: the saved one, else cosine).
            truncate_dim: default output dimension (default: the saved one, else none).

        Raises:
            FileNotFoundError: no such folder, and not in the Hugging Face cache.
            NotADirectoryError: the path is a file.
            ModelFormatError: the folder holds no static model, or a file in it is malformed.
            ValueError: an unknown similarity function, backend or default prompt name.
        """
        self._similarity_fn_name: str | None = None
        self.similarity_fn_name = similarity_fn_name
        self.truncate_dim = truncate_dim
        if use_auth_token is not None:
            warnings.warn("The `use_auth_token` argument is deprecated and will be removed in a future "
                          "release of SentenceTransformers.", FutureWarning, stacklevel=3)
            if token is not None:
                raise ValueError("Both `token` and `use_auth_token` are specified. "
                                 "Please only specify the `token` argument.")
        if backend not in _BACKENDS:
            raise ValueError(f"backend must be one of {_BACKENDS}, got {backend!r}")
        if device is not None:
            _check_device(device)
        merged = dict(self._default_prompts)
        if prompts:
            merged.update(prompts)
        self.prompts: dict[str, Any] = merged
        self.default_prompt_name = default_prompt_name
        self.trust_remote_code = trust_remote_code
        self.model_card_data = model_card_data
        self.backend = backend

        folder = _resolve_folder(model_name_or_path, modules, cache_folder, revision, token, local_files_only)
        config = _read_st_config(folder)
        self._set_model(load(folder, compat="sentence-transformers", normalize=False))
        self._parse_model_config(config)
        self._validate_prompts()

    def _set_model(self, model: Any) -> None:
        self._model = model
        self._path = os.path.abspath(model.spec.path)
        self._normalize_module = bool(model.spec.normalize)  # the Normalize module listed in modules.json

    def _parse_model_config(self, config: dict[str, Any]) -> None:
        """Saved settings fill only what the caller left unset (a saved prompt fills absent/None keys)."""
        for name, text in (config.get("prompts") or {}).items():
            if name not in self.prompts or self.prompts[name] is None:
                self.prompts[name] = text
        if self.default_prompt_name is None:
            self.default_prompt_name = config.get("default_prompt_name")
        saved_similarity = config.get("similarity_fn_name")
        if self._similarity_fn_name is None and saved_similarity in self.SUPPORTED_SIMILARITY_FN_NAMES:
            self.similarity_fn_name = saved_similarity
        if self.truncate_dim is None:
            self.truncate_dim = config.get("truncate_dim")

    def _validate_prompts(self) -> None:
        for key, value in self.prompts.items():
            if value is None:
                self.prompts[key] = ""
        if self.default_prompt_name is not None and self.default_prompt_name not in self.prompts:
            raise ValueError(f"Default prompt name '{self.default_prompt_name}' not found in the configured "
                             f"prompts dictionary with keys {list(self.prompts.keys())!r}.")
        if self.default_prompt_name:
            logger.warning(f"Default prompt name is set to '{self.default_prompt_name}'. This prompt applies "
                           "unless overridden by `prompt`, `prompt_name`, or a method-specific prompt, "
                           "including an empty prompt.")

    # ----------------------------------------------------------------- pickling

    def __getstate__(self) -> dict[str, Any]:
        """Folder path and settings only: unpickling reloads the folder (the table is never pickled)."""
        return {
            "path": self._path,
            "tokenizer_backend": self._model.tokenizer_backend,
            "prompts": dict(self.prompts),
            "default_prompt_name": self.default_prompt_name,
            "similarity_fn_name": self._similarity_fn_name,
            "truncate_dim": self.truncate_dim,
            "backend": self.backend,
            "trust_remote_code": self.trust_remote_code,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._set_model(load(state["path"], compat="sentence-transformers", normalize=False,
                             tokenizer_backend=state["tokenizer_backend"], validate=False))
        self._similarity_fn_name = state["similarity_fn_name"]
        self.prompts = dict(state["prompts"])
        self.default_prompt_name = state["default_prompt_name"]
        self.truncate_dim = state["truncate_dim"]
        self.backend = state["backend"]
        self.trust_remote_code = state["trust_remote_code"]
        self.model_card_data = None

    def __repr__(self) -> str:
        return (f"SentenceTransformer(path={self._path!r}, dim={self._model.spec.table.dim}, "
                f"normalize={self._normalize_module}, truncate_dim={self.truncate_dim}, "
                f"similarity_fn_name={self._similarity_fn_name!r})")

    # --------------------------------------------------------------- attributes

    @property
    def static_model(self) -> Any:
        """The underlying :class:`static_embed.StaticModel` (sentence-transformers semantics, no L2)."""
        return self._model

    @property
    def device(self) -> _CPUDevice:
        """Always ``"cpu"`` (a str that also has ``.type == "cpu"`` and ``.index is None``)."""
        return _CPUDevice("cpu")

    @property
    def tokenizer(self) -> Any:
        """static_embed's tokenizer for this model (``encode_batch(texts)`` gives lists of ids)."""
        return self._model.tokenizer

    @property
    def max_seq_length(self) -> float:
        """``math.inf``, as for sentence-transformers' StaticEmbedding (only ``tokenizer.json`` truncates)."""
        return math.inf

    def get_max_seq_length(self) -> float:
        return math.inf

    def get_backend(self) -> str:
        return self.backend

    def get_model_kwargs(self) -> list[str]:
        """Extra ``encode`` keywords the model uses: none for a static model."""
        return []

    @property
    def similarity_fn_name(self) -> str:
        """``"cosine"``, ``"dot"``, ``"euclidean"`` or ``"manhattan"``; reading it unset sets ``"cosine"``."""
        if self._similarity_fn_name is None:
            self.similarity_fn_name = "cosine"
        return self._similarity_fn_name  # type: ignore[return-value]

    @similarity_fn_name.setter
    def similarity_fn_name(self, value: str | enum.Enum | None) -> None:
        if isinstance(value, enum.Enum):  # sentence_transformers.SimilarityFunction
            value = value.value
        if value is not None and value not in self.SUPPORTED_SIMILARITY_FN_NAMES:
            hint = " Use MultiVectorEncoder for MaxSim late-interaction scoring." if value == "maxsim" else ""
            raise ValueError(f"{type(self).__name__} only supports similarity_fn_name in "
                             f"{self.SUPPORTED_SIMILARITY_FN_NAMES}, got {value!r}.{hint}")
        self._similarity_fn_name = value

    def similarity(self, embeddings1: Any, embeddings2: Any) -> np.ndarray:
        """``(n1, n2)`` scores with ``similarity_fn_name`` (a 1-D input is one embedding); a numpy array."""
        return similarity_fn(self.similarity_fn_name)(embeddings1, embeddings2)

    def similarity_pairwise(self, embeddings1: Any, embeddings2: Any) -> np.ndarray:
        """``(n,)`` scores between ``embeddings1[i]`` and ``embeddings2[i]``; a numpy array."""
        return pairwise_similarity_fn(self.similarity_fn_name)(embeddings1, embeddings2)

    def get_embedding_dimension(self) -> int:
        """Output dimension of ``encode``: the model's, capped by the instance ``truncate_dim``."""
        dim = int(self._model.spec.table.dim)
        if self.truncate_dim is not None:
            return min(dim, self.truncate_dim)
        return dim

    def get_sentence_embedding_dimension(self) -> int:
        """Deprecated name of :meth:`get_embedding_dimension` (FutureWarning, as in 6.2)."""
        warnings.warn("The `get_sentence_embedding_dimension` method has been renamed to "
                      "`get_embedding_dimension`.", FutureWarning, stacklevel=2)
        return self.get_embedding_dimension()

    @contextmanager
    def truncate_embeddings(self, truncate_dim: int | None) -> Iterator[None]:
        """Within the block, ``encode`` truncates to ``truncate_dim`` (``None``: no truncation)."""
        original = self.truncate_dim
        try:
            self.truncate_dim = truncate_dim
            yield
        finally:
            self.truncate_dim = original

    def truncate_sentence_embeddings(self, truncate_dim: int | None) -> Any:
        """Deprecated name of :meth:`truncate_embeddings` (FutureWarning, as in 6.2)."""
        warnings.warn("The `truncate_sentence_embeddings` method has been renamed to `truncate_embeddings`.",
                      FutureWarning, stacklevel=2)
        return self.truncate_embeddings(truncate_dim)

    def preprocess(self, inputs: list[str], prompt: str | None = None,
                   **kwargs: Any) -> dict[str, np.ndarray]:
        """Token ids of ``inputs`` concatenated, and each text's start offset (StaticEmbedding's features)."""
        if not inputs:
            return {}
        texts = [prompt + text for text in inputs] if prompt else list(inputs)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"inputs[{i}] must be a str, got {type(text).__name__}")
        id_lists = self._model.tokenize(texts)
        lengths = [len(ids) for ids in id_lists]
        offsets = np.cumsum([0] + lengths[:-1]).astype(np.int64)
        input_ids = np.fromiter(chain.from_iterable(id_lists), dtype=np.int64, count=sum(lengths))
        return {"input_ids": input_ids, "offsets": offsets}

    def tokenize(self, texts: list[str], **kwargs: Any) -> dict[str, np.ndarray]:
        """Deprecated in sentence-transformers in favour of :meth:`preprocess`, which it calls."""
        return self.preprocess(texts, **kwargs)

    def is_singular_input(self, inputs: Any) -> bool:
        """True unless ``inputs`` is a list, tuple, ``datasets.Column`` or 1-D+ str/object numpy array."""
        if isinstance(inputs, (list, tuple)):
            return False
        if type(inputs).__name__ == "Column" and type(inputs).__module__.startswith("datasets"):
            return False
        return not (isinstance(inputs, np.ndarray) and inputs.ndim >= 1 and inputs.dtype.kind in ("U", "O"))

    def _resolve_prompt(self, prompt: str | None, prompt_name: str | None) -> str | None:
        if prompt is None:
            if prompt_name is not None:
                try:
                    prompt = self.prompts[prompt_name]
                except KeyError:
                    raise ValueError(f"Prompt name '{prompt_name}' not found in the configured prompts "
                                     f"dictionary with keys {list(self.prompts.keys())!r}.") from None
            elif self.default_prompt_name is not None:
                prompt = self.prompts.get(self.default_prompt_name, None)
        elif prompt_name is not None:
            logger.warning("Provide either a `prompt`, a `prompt_name`, or neither, but not both. "
                           "Ignoring the `prompt_name` in favor of `prompt`.")
        return prompt

    # ----------------------------------------------------------------- encoding

    @_renamed_kwargs(sentences="inputs")
    def encode_query(
        self,
        inputs: Any,
        prompt_name: str | None = None,
        prompt: str | None = None,
        batch_size: int = 32,
        show_progress_bar: bool | None = None,
        output_value: Literal["sentence_embedding", "token_embeddings"] | None = "sentence_embedding",
        precision: Literal["float32", "int8", "uint8", "binary", "ubinary"] = "float32",
        convert_to_numpy: bool = True,
        convert_to_tensor: bool = False,
        device: str | list[Any] | None = None,
        normalize_embeddings: bool = False,
        truncate_dim: int | None = None,
        pool: dict[Literal["input", "output", "processes"], Any] | None = None,
        chunk_size: int | None = None,
        **kwargs: Any,
    ) -> Any:
        """:meth:`encode` with the ``"query"`` prompt when neither ``prompt`` nor ``prompt_name`` is given."""
        if prompt_name is None and prompt is None and "query" in self.prompts:
            prompt_name = "query"
        return self.encode(
            inputs=inputs, prompt_name=prompt_name, prompt=prompt, batch_size=batch_size,
            show_progress_bar=show_progress_bar, output_value=output_value, precision=precision,
            convert_to_numpy=convert_to_numpy, convert_to_tensor=convert_to_tensor, device=device,
            normalize_embeddings=normalize_embeddings, truncate_dim=truncate_dim, pool=pool,
            chunk_size=chunk_size, task="query", **kwargs)

    @_renamed_kwargs(sentences="inputs")
    def encode_document(
        self,
        inputs: Any,
        prompt_name: str | None = None,
        prompt: str | None = None,
        batch_size: int = 32,
        show_progress_bar: bool | None = None,
        output_value: Literal["sentence_embedding", "token_embeddings"] | None = "sentence_embedding",
        precision: Literal["float32", "int8", "uint8", "binary", "ubinary"] = "float32",
        convert_to_numpy: bool = True,
        convert_to_tensor: bool = False,
        device: str | list[Any] | None = None,
        normalize_embeddings: bool = False,
        truncate_dim: int | None = None,
        pool: dict[Literal["input", "output", "processes"], Any] | None = None,
        chunk_size: int | None = None,
        **kwargs: Any,
    ) -> Any:
        """:meth:`encode` with the first ``"document"``/``"passage"``/``"corpus"`` prompt by default."""
        if prompt_name is None and prompt is None:
            for candidate in ("document", "passage", "corpus"):
                if candidate in self.prompts:
                    prompt_name = candidate
                    break
        return self.encode(
            inputs=inputs, prompt_name=prompt_name, prompt=prompt, batch_size=batch_size,
            show_progress_bar=show_progress_bar, output_value=output_value, precision=precision,
            convert_to_numpy=convert_to_numpy, convert_to_tensor=convert_to_tensor, device=device,
            normalize_embeddings=normalize_embeddings, truncate_dim=truncate_dim, pool=pool,
            chunk_size=chunk_size, task="document", **kwargs)

    @_renamed_kwargs(sentences="inputs")
    def encode(
        self,
        inputs: Any,
        prompt_name: str | None = None,
        prompt: str | None = None,
        batch_size: int = 32,
        show_progress_bar: bool | None = None,
        output_value: Literal["sentence_embedding", "token_embeddings"] | None = "sentence_embedding",
        precision: Literal["float32", "int8", "uint8", "binary", "ubinary"] = "float32",
        convert_to_numpy: bool = True,
        convert_to_tensor: bool = False,
        device: str | list[Any] | None = None,
        normalize_embeddings: bool = False,
        truncate_dim: int | None = None,
        pool: dict[Literal["input", "output", "processes"], Any] | None = None,
        chunk_size: int | None = None,
        **kwargs: Any,
    ) -> Any:
        """Embed ``inputs`` (one str, or a list/tuple/array of str) exactly as sentence-transformers 6.2 does.

        Args:
            inputs: a str (returns one row) or a sequence of str (returns ``(n, dim)``; ``[]`` gives
                ``np.array([])``).
            prompt_name: key of :attr:`prompts` whose text is prepended; ignored if ``prompt`` is given.
            prompt: text prepended to every input.
            batch_size: must be positive; results do not depend on it.
            show_progress_bar: None shows one if this module's logger is at INFO or DEBUG.
            output_value: ``"sentence_embedding"``, or None for one ``{"sentence_embedding": row}`` per input.
            precision: ``"float32"``, ``"int8"``, ``"uint8"``, ``"binary"`` or ``"ubinary"``; integer
                precisions are calibrated over this call's embeddings (one row cannot be calibrated).
            convert_to_numpy: a 2-D numpy array (default); False gives a list of rows.
            convert_to_tensor: one torch tensor (needs torch); wins over ``convert_to_numpy``.
            device: a CPU device, or a list of devices to encode in that many worker processes.
            normalize_embeddings: L2-normalize after truncation.
            truncate_dim: keep the first ``truncate_dim`` dimensions (default: :attr:`truncate_dim`).
            pool: a pool from :meth:`start_multi_process_pool`.
            chunk_size: inputs per chunk sent to a pool worker.
            **kwargs: only ``task`` and ``processing_kwargs``, accepted and unused (as in
                sentence-transformers for a static model).

        Raises:
            ValueError: ``batch_size <= 0``, unknown keyword, unknown precision or prompt name, one row
                with int8/uint8.
        """
        if show_progress_bar is None:
            show_progress_bar = logger.getEffectiveLevel() in (logging.INFO, logging.DEBUG)
        if convert_to_tensor:
            convert_to_numpy = False
        if output_value != "sentence_embedding":
            convert_to_tensor = False
            convert_to_numpy = False
        if batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}.")

        singular = self.is_singular_input(inputs)
        if singular:
            inputs = [inputs]
        elif not isinstance(inputs, list):
            inputs = inputs.tolist() if isinstance(inputs, np.ndarray) else list(inputs)

        if unused := set(kwargs) - _ALLOWED_ENCODE_KWARGS:
            name = type(self).__name__
            raise ValueError(f"{name}.encode() has been called with additional keyword arguments that this "
                             f"model does not use: {list(unused)}. As per {name}.get_model_kwargs(), this "
                             "model does not accept any additional keyword arguments.")
        if precision is not None and precision not in ALLOWED_PRECISIONS:
            raise ValueError(f"Precision {precision!r} is not supported, must be one of {ALLOWED_PRECISIONS}")

        prompt = self._resolve_prompt(prompt, prompt_name)
        truncate_dim = truncate_dim if truncate_dim is not None else self.truncate_dim
        inference_kwargs = {"prompt": prompt, "batch_size": batch_size,
                            "show_progress_bar": show_progress_bar, "output_value": output_value,
                            "normalize_embeddings": normalize_embeddings, "truncate_dim": truncate_dim}
        if pool is not None or (isinstance(device, list) and len(device) > 0):
            embeddings = self._multi_process(inputs, pool=pool, device=device, chunk_size=chunk_size,
                                             **inference_kwargs)
        else:
            if device is not None:
                _check_device(device)
            embeddings = self._inference(inputs, **inference_kwargs)

        if len(embeddings) and precision and precision != "float32":
            if output_value is None:
                raise ValueError(f"precision={precision!r} needs output_value='sentence_embedding'")
            embeddings = quantize_embeddings(embeddings, precision)

        if convert_to_tensor:
            torch = _import_torch()
            embeddings = torch.as_tensor(embeddings) if len(embeddings) else torch.tensor([])
        elif convert_to_numpy:
            if not len(embeddings):
                embeddings = np.array([])
        elif isinstance(embeddings, np.ndarray):
            embeddings = self._rows(embeddings)

        if singular:
            embeddings = embeddings[0]
        return embeddings

    @staticmethod
    def _rows(embeddings: np.ndarray) -> list[Any]:
        """``convert_to_numpy=False``: torch rows if torch is importable (as in ST), else numpy rows."""
        if not len(embeddings):
            return []
        try:
            import torch
        except ImportError:
            return list(embeddings)
        return list(torch.from_numpy(embeddings))

    def _inference(self, inputs: list[Any], *, prompt: str | None, batch_size: int, show_progress_bar: bool,
                   output_value: str | None, normalize_embeddings: bool, truncate_dim: int | None) -> Any:
        """float32 ``(n, dim)`` embeddings (or dicts for ``output_value=None``), not quantized."""
        if not inputs:
            return np.array([], dtype=np.float32)
        if output_value not in ("sentence_embedding", None):
            raise _OutputValueError(
                f"output_value={output_value!r} is not available: a static model outputs only "
                "'sentence_embedding' (use output_value='sentence_embedding', or None for one dict per "
                "input)")
        texts = [prompt + text for text in inputs] if prompt else inputs
        embeddings = self._model.encode(texts, normalize=False, batch_size=DEFAULT_BATCH_SIZE,
                                        show_progress_bar=bool(show_progress_bar))
        if self._normalize_module:
            embeddings = torch_l2_normalize(embeddings)
        if truncate_dim is not None:
            embeddings = embeddings[..., :truncate_dim]
        if output_value is None:  # sentence-transformers skips normalize_embeddings here
            return [{"sentence_embedding": np.array(row)} for row in embeddings]
        if normalize_embeddings:
            embeddings = torch_l2_normalize(embeddings)
        return np.ascontiguousarray(embeddings)

    # -------------------------------------------------------------- multi-process

    def start_multi_process_pool(
        self, target_devices: list[str] | None = None
    ) -> dict[Literal["input", "output", "processes"], Any]:
        """Start one spawned worker process per entry of ``target_devices`` (default: 4 CPU workers).

        Returns ``{"input": Queue, "output": Queue, "processes": [Process, ...]}`` for ``encode(pool=...)``;
        stop it with :meth:`stop_multi_process_pool`. Each worker reloads the model from its folder.
        """
        if target_devices is None:
            logger.info("CUDA/NPU is not available. Starting 4 CPU workers")
            target_devices = ["cpu"] * 4
        if not target_devices:
            raise ValueError("target_devices must name at least one device, e.g. ['cpu', 'cpu']")
        for target in target_devices:
            _check_device(target, "target_devices entry")
        logger.info(f"Starting multi-process pool on devices: {', '.join(map(str, target_devices))}")
        ctx = multiprocessing.get_context("spawn")
        input_queue = ctx.Queue()
        output_queue = ctx.Queue()
        processes = []
        for target in target_devices:
            process = ctx.Process(target=_pool_worker, args=(str(target), self, input_queue, output_queue),
                                  daemon=True)
            process.start()
            processes.append(process)
        return {"input": input_queue, "output": output_queue, "processes": processes}

    @staticmethod
    def stop_multi_process_pool(pool: dict[Literal["input", "output", "processes"], Any]) -> None:
        """Terminate, join and close the pool's processes, then close its queues."""
        for process in pool["processes"]:
            process.terminate()
        for process in pool["processes"]:
            process.join()
            process.close()
        pool["input"].cancel_join_thread()
        pool["input"].close()
        pool["output"].close()

    def _multi_process(self, inputs: list[Any], *, pool: dict[str, Any] | None, device: Any,
                       chunk_size: int | None, show_progress_bar: bool, **kwargs: Any) -> Any:
        """Encode in pool workers, chunk by chunk, in input order (float32: the caller quantizes once)."""
        if chunk_size is not None and chunk_size <= 0:
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size}.")
        if not inputs:
            return []
        kwargs["show_progress_bar"] = False
        created_pool = pool is None
        if pool is None:
            pool = self.start_multi_process_pool(device)
        try:
            if chunk_size is None:
                chunk_size = max(1, min(math.ceil(len(inputs) / len(pool["processes"]) / 10), 5000))
            starts = range(0, len(inputs), chunk_size)
            for chunk_id, start in enumerate(starts):
                pool["input"].put([chunk_id, inputs[start:start + chunk_size], kwargs])
            outputs: list[Any] = [None] * len(starts)
            progress = Progress(len(starts), enabled=show_progress_bar, label="Chunks")
            for _ in starts:
                chunk_id, output = _get_worker_result(pool)
                outputs[chunk_id] = output
                progress.update(1)
            if show_progress_bar:
                progress.close()
            for output in outputs:
                if isinstance(output, BaseException):
                    raise output
            if isinstance(outputs[0], np.ndarray):
                return np.concatenate(outputs)
            return [item for chunk in outputs for item in chunk]
        finally:
            if created_pool:
                self.stop_multi_process_pool(pool)

    def encode_multi_process(
        self,
        sentences: list[str],
        pool: dict[Literal["input", "output", "processes"], Any],
        prompt_name: str | None = None,
        prompt: str | None = None,
        batch_size: int = 32,
        chunk_size: int | None = None,
        show_progress_bar: bool | None = None,
        precision: Literal["float32", "int8", "uint8", "binary", "ubinary"] = "float32",
        normalize_embeddings: bool = False,
        truncate_dim: int | None = None,
    ) -> np.ndarray:
        """Deprecated (DeprecationWarning): ``encode(sentences, pool=pool, ...)``."""
        warnings.warn("The `encode_multi_process` method has been deprecated, and its functionality has "
                      "been integrated into `encode`. You can now call `encode` with the same parameters to "
                      "achieve multi-process encoding.", DeprecationWarning, stacklevel=2)
        return self.encode(sentences, prompt_name=prompt_name, prompt=prompt, batch_size=batch_size,
                           show_progress_bar=show_progress_bar, output_value="sentence_embedding",
                           precision=precision, convert_to_numpy=True, convert_to_tensor=False,
                           normalize_embeddings=normalize_embeddings, truncate_dim=truncate_dim, pool=pool,
                           chunk_size=chunk_size)
