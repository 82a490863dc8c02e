"""``StaticEmbeddings``: a LangChain ``Embeddings`` backed by static_embed (numpy only).

The class mirrors ``langchain_huggingface.HuggingFaceEmbeddings`` field for field
(``model_name``/``model``, ``cache_folder``, ``model_kwargs``, ``encode_kwargs``,
``query_encode_kwargs``, ``multi_process``, ``show_progress``) and drives
``static_embed.sentence_transformer.SentenceTransformer``, the numpy drop-in for
``sentence_transformers.SentenceTransformer``, the same way the reference drives
the torch class. Swapping one class for the other keeps the keyword arguments and,
for a static model, the vectors.
"""

from __future__ import annotations

import os
from typing import Any

try:
    from langchain_core.embeddings import Embeddings
    from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator
except ImportError as exc:  # pragma: no cover - exercised only without the dependency
    raise ImportError(
        "langchain_static_embed requires langchain-core>=0.3 (and pydantic 2); "
        "install with: pip install langchain-static-embed"
    ) from exc

__all__ = ["StaticEmbeddings"]


def _check_texts(texts: object) -> list[str]:
    """The list of str to embed; a non-str item raises ``TypeError`` naming its position."""
    if isinstance(texts, (str, bytes, bytearray)):
        raise TypeError(
            f"texts must be a list of str, got a single {type(texts).__name__}; "
            "use embed_query() for one text or wrap it in a list"
        )
    if texts is None or isinstance(texts, dict):
        raise TypeError(f"texts must be a list of str, got {type(texts).__name__}")
    try:
        items = list(texts)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"texts must be a list of str, got {type(texts).__name__}") from None
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] must be str, got {type(text).__name__}")
    return items


class StaticEmbeddings(BaseModel, Embeddings):
    """Static sentence-embedding models (model2vec, sentence-transformers StaticEmbedding) in LangChain.

    No torch: the model runs on numpy through ``static_embed``. With no model given, the
    small model embedded in ``static_embed`` is used, so construction works offline.

    Example:
        ```python
        from langchain_static_embed import StaticEmbeddings

        embeddings = StaticEmbeddings(model="path/to/static-model")   # or model_name=...
        vectors = embeddings.embed_documents(["a cat sat", "a dog sat"])
        query = embeddings.embed_query("who sat?")
        ```

    Behaviour shared with ``HuggingFaceEmbeddings``: every ``"\\n"`` in a text is replaced by a
    space before encoding; documents use ``encode_kwargs``; queries use ``query_encode_kwargs``
    when it is non-empty, else ``encode_kwargs``; ``embed_query`` calls ``encode`` (not
    ``encode_query``), so a query prompt applies only through ``query_encode_kwargs``
    (e.g. ``{"prompt_name": "query"}``) or the model's ``default_prompt_name``; vectors are
    lists of Python floats.

    An empty or whitespace-only text embeds to the zero vector, as in the torch pipeline
    (never NaN). LangChain's ``InMemoryVectorStore`` rejects a zero *query* vector with
    ``ValueError("NaN values found ...")``; that check is LangChain's.
    """

    model_name: str | None = Field(default=None, alias="model")
    """Model folder (or a name the ``static_embed`` SentenceTransformer class resolves).
    ``None``: the model embedded in ``static_embed``. Also accepted as ``model=``."""
    cache_folder: str | None = None
    """Where cached models are looked up (passed to the SentenceTransformer class)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Keyword arguments for the SentenceTransformer constructor, such as ``prompts``,
    ``default_prompt_name``, ``truncate_dim`` or ``device``."""
    encode_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Keyword arguments for ``encode`` on documents, such as ``prompt_name``, ``prompt``,
    ``batch_size``, ``precision``, ``normalize_embeddings``, ``truncate_dim``."""
    query_encode_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Keyword arguments for ``encode`` on queries; when empty, ``encode_kwargs`` is used."""
    multi_process: bool = False
    """Encode through a worker pool (``start_multi_process_pool`` / ``encode(pool=...)``)."""
    show_progress: bool = False
    """Whether to show a progress bar."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=(), populate_by_name=True)

    _client: Any = PrivateAttr(default=None)

    @field_validator("model_name", "cache_folder", mode="before")
    @classmethod
    def _path_to_str(cls, value: Any) -> Any:
        return os.fspath(value) if isinstance(value, os.PathLike) else value

    def model_post_init(self, context: Any, /) -> None:
        try:
            from static_embed.sentence_transformer import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - exercised only without the dependency
            raise ImportError(
                "Could not import static_embed.sentence_transformer. "
                "Please install it with `pip install static-embed-numpy`."
            ) from exc
        self._client = SentenceTransformer(
            self.model_name, cache_folder=self.cache_folder, **self.model_kwargs
        )

    @property
    def client(self) -> Any:
        """The underlying ``static_embed.sentence_transformer.SentenceTransformer``."""
        return self._client

    def _embed(self, texts: list[str], encode_kwargs: dict[str, Any]) -> list[list[float]]:
        texts = [text.replace("\n", " ") for text in texts]
        if not texts:
            return []
        client = self._client
        if self.multi_process:
            pool = client.start_multi_process_pool()
            try:
                embeddings = client.encode(
                    texts, pool=pool, show_progress_bar=self.show_progress, **encode_kwargs
                )
            finally:
                type(client).stop_multi_process_pool(pool)
        else:
            embeddings = client.encode(texts, show_progress_bar=self.show_progress, **encode_kwargs)
        if isinstance(embeddings, list):
            raise TypeError("Expected embeddings to be a numpy array, got a list instead.")
        return embeddings.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents: one list of Python floats per text, in input order (``[]`` gives ``[]``)."""
        return self._embed(_check_texts(texts), self.encode_kwargs)

    def embed_query(self, text: str) -> list[float]:
        """Embed one query (``query_encode_kwargs`` when non-empty, else ``encode_kwargs``)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        kwargs = self.query_encode_kwargs if len(self.query_encode_kwargs) > 0 else self.encode_kwargs
        return self._embed([text], kwargs)[0]
