"""``StaticEmbedding``: a LlamaIndex ``BaseEmbedding`` backed by static_embed (numpy only).

Mirrors ``llama_index.embeddings.huggingface.HuggingFaceEmbedding``: the same parameter
names and defaults (``normalize=True``, ``embed_batch_size=10``, ``query_instruction`` /
``text_instruction`` registered as the prompts ``"query"`` / ``"text"``, ``cache_folder``,
``device``, ``parallel_process``, ``target_devices``, ``show_progress_bar``,
``**model_kwargs``), and drives ``static_embed.sentence_transformer.SentenceTransformer``
(the numpy drop-in for ``sentence_transformers.SentenceTransformer``) with the same
``encode`` arguments, so a static model gives the same vectors as through the reference.
"""

from __future__ import annotations

import asyncio
import math
import os
import warnings
from typing import Any

try:
    from llama_index.core.base.embeddings.base import DEFAULT_EMBED_BATCH_SIZE, BaseEmbedding, Embedding
    from llama_index.core.bridge.pydantic import Field, PrivateAttr
    from llama_index.core.callbacks import CallbackManager
    from llama_index.core.utils import get_cache_dir
except ImportError as exc:  # pragma: no cover - exercised only without the dependency
    raise ImportError(
        "llama_index.embeddings.static_embed requires llama-index-core>=0.13,<0.15; "
        "install with: pip install llama-index-embeddings-static-embed"
    ) from exc

__all__ = ["StaticEmbedding"]

_DEPRECATED = "deprecated"


def _check_texts(texts: object, name: str = "texts") -> list[str]:
    """The list of str to embed; a non-str item raises ``TypeError`` naming its position."""
    if isinstance(texts, (str, bytes, bytearray)):
        raise TypeError(
            f"{name} must be a list of str, got a single {type(texts).__name__}; "
            "wrap one text in a list"
        )
    if texts is None or isinstance(texts, dict):
        raise TypeError(f"{name} must be a list of str, got {type(texts).__name__}")
    try:
        items = list(texts)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"{name} must be a list of str, got {type(texts).__name__}") from None
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(f"{name}[{i}] must be str, got {type(text).__name__}")
    return items


def _check_text(text: object, name: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be str, got {type(text).__name__}")
    return text


class StaticEmbedding(BaseEmbedding):
    """Static sentence-embedding models (model2vec, sentence-transformers StaticEmbedding) in LlamaIndex.

    No torch: the model runs on numpy through ``static_embed``.

    Args:
        model_name: a model folder, or a name the ``static_embed`` SentenceTransformer class
            resolves. ``None`` (the default): the model embedded in ``static_embed``.
        max_length: static models pool every token and have no sequence limit (the
            SentenceTransformer class reports ``math.inf``); a value is applied when the
            model accepts one and otherwise ignored with a warning. Stored as ``None``
            when the model has no finite limit.
        query_instruction: prompt prepended to queries (registered as the prompt ``"query"``).
        text_instruction: prompt prepended to texts (registered as the prompt ``"text"``).
        normalize: L2-normalize the vectors (default True; zero vectors stay zero).
        embed_batch_size: texts per ``encode`` call and per batch (default 10).
        cache_folder: where cached models are looked up (default: LlamaIndex's cache dir; the
            field keeps the value given, so ``to_dict()`` carries no machine-specific default).
        trust_remote_code: passed on and unused: static_embed reads weights and tokenizer files
            only and never runs code shipped with a model.
        device: passed on; computation is on the CPU with numpy (another device warns).
        callback_manager: LlamaIndex callback manager.
        parallel_process: encode through a worker pool (``start_multi_process_pool``).
        target_devices: the pool's devices, e.g. ``["cpu", "cpu"]`` (used only with
            ``parallel_process=True``).
        num_workers: workers for LlamaIndex's async batch calls.
        show_progress_bar: whether to show a progress bar.
        **model_kwargs: further keyword arguments for the SentenceTransformer constructor
            (``truncate_dim``, ``prompts``, ``default_prompt_name``, ...).

    Example:
        ```python
        from llama_index.core import Settings
        from llama_index.embeddings.static_embed import StaticEmbedding

        Settings.embed_model = StaticEmbedding(model_name="path/to/static-model")
        ```

    An empty or whitespace-only text embeds to the zero vector, as in the torch pipeline;
    LlamaIndex's cosine similarity of a zero query vector is NaN.
    """

    max_length: int | None = Field(
        default=None, description="Maximum length of input (None: no limit, as for static models).", gt=0
    )
    normalize: bool = Field(default=True, description="Normalize embeddings or not.")
    query_instruction: str | None = Field(description="Instruction to prepend to query text.", default=None)
    text_instruction: str | None = Field(description="Instruction to prepend to text.", default=None)
    cache_folder: str | None = Field(description="Cache folder for model files.", default=None)
    show_progress_bar: bool = Field(description="Whether to show a progress bar.", default=False)

    _model: Any = PrivateAttr()
    _device: str = PrivateAttr()
    _parallel_process: bool = PrivateAttr()
    _target_devices: list[str] | None = PrivateAttr()

    def __init__(
        self,
        model_name: str | None = None,
        tokenizer_name: str | None = _DEPRECATED,
        pooling: str = _DEPRECATED,
        max_length: int | None = None,
        query_instruction: str | None = None,
        text_instruction: str | None = None,
        normalize: bool = True,
        model: Any | None = _DEPRECATED,
        tokenizer: Any | None = _DEPRECATED,
        embed_batch_size: int = DEFAULT_EMBED_BATCH_SIZE,
        cache_folder: str | None = None,
        trust_remote_code: bool = False,
        device: str | None = None,
        callback_manager: CallbackManager | None = None,
        parallel_process: bool = False,
        target_devices: list[str] | None = None,
        num_workers: int | None = None,
        show_progress_bar: bool = False,
        **model_kwargs: Any,
    ) -> None:
        for variable, value in (
            ("model", model),
            ("tokenizer", tokenizer),
            ("pooling", pooling),
            ("tokenizer_name", tokenizer_name),
        ):
            if value != _DEPRECATED:
                raise ValueError(f"{variable} is deprecated. Please remove it from the arguments.")
        # BaseEmbedding's own fields (from ``to_dict()``/``from_dict()``) go to BaseEmbedding, not the model.
        base_fields = {
            key: model_kwargs.pop(key) for key in ("embeddings_cache", "rate_limiter") if key in model_kwargs
        }
        if isinstance(model_name, os.PathLike):
            model_name = os.fspath(model_name)
        given_cache_folder = cache_folder
        cache_folder = cache_folder or get_cache_dir()

        try:
            from static_embed.sentence_transformer import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - exercised only without the dependency
            raise ImportError(
                "Could not import static_embed.sentence_transformer. "
                "Please install it with `pip install static-embed-numpy`."
            ) from exc

        st_model = SentenceTransformer(
            model_name,
            device=device,
            cache_folder=cache_folder,
            trust_remote_code=trust_remote_code,
            prompts={"query": query_instruction or "", "text": text_instruction or ""},
            **model_kwargs,
        )
        if max_length:
            try:
                st_model.max_seq_length = max_length
            except (AttributeError, TypeError, ValueError):
                warnings.warn(
                    f"max_length={max_length} is ignored: static models pool every token and have no "
                    "sequence limit to set.",
                    UserWarning,
                    stacklevel=2,
                )
        else:
            limit = getattr(st_model, "max_seq_length", None)
            max_length = int(limit) if isinstance(limit, (int, float)) and math.isfinite(limit) else None

        if model_name is None:
            from static_embed.encoder import DEFAULT_MODEL_DIR

            model_name = str(DEFAULT_MODEL_DIR)

        super().__init__(
            embed_batch_size=embed_batch_size,
            callback_manager=callback_manager,
            model_name=model_name,
            max_length=max_length,
            normalize=normalize,
            query_instruction=query_instruction,
            text_instruction=text_instruction,
            cache_folder=given_cache_folder,
            num_workers=num_workers,
            show_progress_bar=show_progress_bar,
            **base_fields,
        )
        self._device = str(device) if device is not None else "cpu"
        self._model = st_model
        self._parallel_process = parallel_process
        self._target_devices = target_devices

    @classmethod
    def class_name(cls) -> str:
        return "StaticEmbedding"

    def _embed(self, inputs: list[str], prompt_name: str | None = None) -> list[list[float]]:
        if not inputs:
            return []
        model = self._model
        kwargs: dict[str, Any] = {
            "batch_size": self.embed_batch_size,
            "prompt_name": prompt_name,
            "normalize_embeddings": self.normalize,
            "show_progress_bar": self.show_progress_bar,
        }
        if self._parallel_process:
            pool = model.start_multi_process_pool(target_devices=self._target_devices)
            try:
                emb = model.encode(inputs, pool=pool, **kwargs)
            finally:
                type(model).stop_multi_process_pool(pool)
        else:
            emb = model.encode(inputs, **kwargs)
        return emb.tolist()

    # -- LlamaIndex hooks ------------------------------------------------------------------

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([_check_text(query, "query")], prompt_name="query")[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return await asyncio.to_thread(self._get_query_embedding, query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([_check_text(text, "text")], prompt_name="text")[0]

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return await asyncio.to_thread(self._get_text_embedding, text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(_check_texts(texts), prompt_name="text")

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)

    # Check the whole input before LlamaIndex cuts it into embed_batch_size chunks, so that a
    # TypeError names the position in the caller's list rather than in a chunk.
    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: Any
    ) -> list[Embedding]:
        return super().get_text_embedding_batch(_check_texts(texts), show_progress=show_progress, **kwargs)

    async def aget_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: Any
    ) -> list[Embedding]:
        return await super().aget_text_embedding_batch(
            _check_texts(texts), show_progress=show_progress, **kwargs
        )
