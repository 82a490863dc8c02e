"""The encoder: texts in, float32 vectors out, for every format.

``tokenize -> drop ids -> look up -> pool -> head -> truncate -> normalize``; each
stage is its own module and the format-specific behaviour arrives as data in
the :class:`~static_embed.model_spec.ModelSpec`.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._progress import Progress
from .formats import load_spec
from .matryoshka import check_truncate_dim, truncate
from .model_spec import ModelSpec
from .normalize import l2_normalize, l2_normalize_one
from .parallel import PARALLEL_MIN_TEXTS, WorkerPool
from .pooling import RowSource, mean_pool_flat, mean_pool_one, without_ids
from .tokenizer.backends import AnyTokenizer
from .tokenizer.tokenizer import check_text, check_texts

__all__ = ["DEFAULT_MODEL_DIR", "StaticModel", "load"]

DEFAULT_MODEL_DIR = Path(__file__).with_name("default_model")
DEFAULT_BATCH_SIZE = 1024


def load(model: str | os.PathLike[str] | None = None, *, compat: str | None = None,
         truncate_dim: int | None = None, normalize: bool | None = None, tokenizer_backend: str = "auto",
         table: str | None = None, revision: str | None = None, token: str | bool | None = None,
         cache_dir: str | os.PathLike[str] | None = None, local_files_only: bool = False,
         workers: int = 1, **options: Any) -> StaticModel:
    """Load a static model from a local folder, a hub id or an alias (``None``: the embedded default model).

    Args:
        model: a model2vec, sentence-transformers StaticEmbedding or SSE folder; or, when no such path
            exists, a hub id ``"org/name"`` or an alias such as ``"potion-8m"`` (:mod:`static_embed.aliases`),
            resolved through the Hugging Face cache (:func:`static_embed.hub.resolve_model`).
        compat: ``"model2vec"`` or ``"sentence-transformers"`` to force whose semantics apply;
            by default a folder follows the library that wrote it (model2vec when both could read it).
        truncate_dim: Matryoshka dimension to keep by default.
        normalize: override the format's default L2 normalization.
        tokenizer_backend: ``"lite"`` (pure Python), ``"rust"`` (the ``tokenizers`` package) or
            ``"auto"``: lite when it supports every component of the file, else rust if installed.
        table: None keeps the table as stored (4-bit rows stay packed, decoded per batch); ``"f32"``
            decodes every row once at load (faster look-ups, more memory); ``"q4"`` requires a 4-bit table.
        validate: (option) refuse NaN/infinity: small tensors at load, table rows when a text uses them
            (``ModelFormatError`` naming the row); default True.
        revision: hub branch, tag or commit (default ``"main"``); hub ids only.
        token: hub token; ``None`` uses ``HF_TOKEN`` or the stored token, ``False`` sends none.
        cache_dir: the Hugging Face hub cache (default ``HF_HUB_CACHE``, else ``$HF_HOME/hub``).
        local_files_only: use the cache only, never the network (as ``HF_HUB_OFFLINE=1`` does).
        workers: processes ``encode`` may use for inputs of at least
            :data:`~static_embed.parallel.PARALLEL_MIN_TEXTS` texts (1: never leave this process);
            see :mod:`static_embed.parallel`.

    Raises:
        FileNotFoundError: the folder does not exist; for a hub id, ``static_embed.hub.HubNotFoundError``
            (no such repository or revision) or ``ModelNotCachedError`` (offline and not cached).
        PermissionError: ``static_embed.hub.HubAuthError``, the hub refused access.
        ConnectionError: ``static_embed.hub.HubDownloadError``, the download failed after bounded retries.
        ModelFormatError: the folder holds no known format, or a file in it is malformed.

    >>> model = load()
    >>> model.encode(["static embeddings are fast"]).shape
    (1, 256)
    """
    validate = options.pop("validate", True)
    if options:
        raise TypeError(f"load() got unexpected keyword argument(s): {', '.join(sorted(options))}")
    if model is None:
        model = DEFAULT_MODEL_DIR
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError("model must be a folder path (str or os.PathLike) or None, "
                        f"got {type(model).__name__}")
    reference = model if not isinstance(model, str) or not os.path.exists(model) else os.path.abspath(model)
    if isinstance(reference, os.PathLike):
        reference = os.path.abspath(reference)
    if isinstance(model, str) and not os.path.exists(model):
        from .hub import is_hub_reference, resolve_model

        if is_hub_reference(model):
            model = resolve_model(model, revision=revision, token=token, cache_dir=cache_dir,
                                  local_files_only=local_files_only)
    if normalize is not None and not isinstance(normalize, bool):
        raise TypeError(f"normalize must be a bool or None, got {type(normalize).__name__}")
    spec = load_spec(model, compat=compat, validate=bool(validate), tokenizer_backend=tokenizer_backend,
                     table=table)
    loaded = StaticModel(spec, truncate_dim=truncate_dim, normalize=normalize, workers=workers)
    # what a pickle carries instead of the table: the reference and options to load it again (never the token)
    loaded._load_args = {"model": os.fspath(reference), "compat": compat, "truncate_dim": truncate_dim,
                         "normalize": normalize, "tokenizer_backend": tokenizer_backend, "table": table,
                         "revision": revision,
                         "cache_dir": None if cache_dir is None else os.fspath(cache_dir),
                         "local_files_only": local_files_only, "validate": bool(validate)}
    return loaded


def _load_from_args(load_args: dict[str, Any]) -> StaticModel:
    """Unpickle: load the model again from its reference (``StaticModel.__reduce__``)."""
    return load(**load_args)


def _as_text_list(texts: object) -> tuple[list[str], bool]:
    """Accept a str (single) or a sequence/iterable of str; return (checked list, was_single)."""
    if isinstance(texts, str):
        return [check_text(texts, "texts")], True
    if texts is None or isinstance(texts, (bytes, bytearray, memoryview, Mapping)) or \
            not isinstance(texts, Iterable):
        raise TypeError(f"texts must be a str or a sequence of str, got {type(texts).__name__}")
    if isinstance(texts, np.ndarray):
        texts = texts.tolist()
    return check_texts(texts if isinstance(texts, list) else list(texts)), False


class StaticModel:
    """A loaded static embedding model; thread-safe for concurrent ``encode`` calls.

    A model made by :func:`load` pickles by reference (its path or hub id and load
    options, never the table or a token), so it can be sent to ``multiprocessing``,
    Ray, Dask or Spark workers cheaply; each worker loads it again, memory-mapped.
    """

    def __init__(self, spec: ModelSpec, *, truncate_dim: int | None = None, normalize: bool | None = None,
                 workers: int = 1) -> None:
        if type(workers) is not int:
            raise TypeError(f"workers must be an int, got {type(workers).__name__}")
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.spec = spec
        self.truncate_dim = check_truncate_dim(truncate_dim, spec.table.dim)
        self.normalize = spec.normalize if normalize is None else normalize
        self.workers = workers
        self._load_args: dict[str, Any] | None = None
        self._pool: WorkerPool | None = None
        self._pool_lock = threading.Lock()

    def close(self) -> None:
        """Stop this model's worker processes and wait for them (they also stop when it is collected)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _worker_pool(self) -> WorkerPool | None:
        """The model's worker processes (started on first use), or None when this model cannot have them."""
        if self.workers < 2 or self._load_args is None:
            return None
        with self._pool_lock:
            if self._pool is None or self._pool.closed:
                self._pool = WorkerPool(self, self.workers - 1)
                weakref.finalize(self, self._pool.shutdown)
            return self._pool

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        if self._load_args is None:
            raise TypeError("only a StaticModel made by static_embed.load() can be pickled "
                            "(it pickles by reference)")
        return _load_from_args, (self._load_args,)

    def __repr__(self) -> str:
        return (f"StaticModel(path={self.spec.path!r}, format={self.spec.format!r}, "
                f"compat={self.spec.compat!r}, "
                f"dim={self.dim}, normalize={self.normalize}, tokenizer_backend={self.tokenizer_backend!r}, "
                f"workers={self.workers})")

    @property
    def dim(self) -> int:
        """Output dimension (after the load-time Matryoshka truncation, if any)."""
        return self.truncate_dim or self.spec.table.dim

    @property
    def tokenizer(self) -> AnyTokenizer:
        return self.spec.tokenizer

    @property
    def tokenizer_backend(self) -> str:
        """``"lite"`` or ``"rust"``: which tokenizer this model ended up with."""
        return self.spec.tokenizer.backend

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """The ids pooled for each text, after the format's character cut and dropped ids."""
        spec = self.spec
        id_lists = self._token_ids(check_texts(list(texts)))
        if spec.drop_ids:
            drop = spec.drop_ids
            id_lists = [[i for i in ids if i not in drop] for ids in id_lists]
        return id_lists

    def encode(self, texts: str | Sequence[str], *, normalize: bool | None = None,
               truncate_dim: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
               show_progress_bar: bool = False) -> np.ndarray:
        """Embed ``texts``: a str gives shape ``(dim,)``, a sequence ``(n, dim)``, always float32.

        Args:
            texts: one str, or a sequence of str (a non-str item raises ``TypeError`` naming its index).
            normalize: L2-normalize (default: the model's setting); zero vectors stay zero.
            truncate_dim: keep the first ``truncate_dim`` dimensions, before normalizing.
            batch_size: texts per batch; results do not depend on it.
            show_progress_bar: draw progress on stderr.
        """
        if type(texts) is str and normalize is None and truncate_dim is None and not show_progress_bar \
                and type(batch_size) is int and batch_size > 0:
            return self._encode_one(check_text(texts, "texts"))
        text_list, single = _as_text_list(texts)
        if type(batch_size) is not int:
            raise TypeError(f"batch_size must be an int, got {type(batch_size).__name__}")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if normalize is not None and not isinstance(normalize, bool):
            raise TypeError(f"normalize must be a bool or None, got {type(normalize).__name__}")
        out_dim = check_truncate_dim(truncate_dim, self.dim) or self.dim
        do_normalize = self.normalize if normalize is None else normalize

        out = np.empty((len(text_list), out_dim), dtype=np.float32)
        progress = Progress(len(text_list), enabled=show_progress_bar)
        pool = self._worker_pool() if len(text_list) >= PARALLEL_MIN_TEXTS else None
        # several batches: decode each table row once for the whole call, not once per batch
        rows = RowSource(self.spec.table, per_call=True) if len(text_list) > batch_size else None
        if pool is not None:
            pool.encode_into(out, text_list, batch_size, do_normalize,
                             lambda batch: self._encode_batch(batch, out_dim, do_normalize, rows),
                             progress.update)
        else:
            for start in range(0, len(text_list), batch_size):
                batch = text_list[start:start + batch_size]
                out[start:start + len(batch)] = self._encode_batch(batch, out_dim, do_normalize, rows)
                progress.update(len(batch))
        if show_progress_bar:
            progress.close()
        return out[0] if single else out

    def _cut(self, texts: list[str]) -> list[str]:
        """Checked texts after the format's character cut."""
        limit = self.spec.char_limit
        if limit is not None:
            texts = [text[:limit] if len(text) > limit else text for text in texts]
        return texts

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        """Ids of checked texts, after the format's character cut; dropped ids still in."""
        return self.spec.tokenizer.encode_checked_batch(self._cut(texts))

    def _encode_one(self, text: str, out_dim: int | None = None,
                    do_normalize: bool | None = None) -> np.ndarray:
        """One checked text, shape ``(dim,)``: the batch path's arithmetic, none of its set-up."""
        spec = self.spec
        if spec.char_limit is not None:
            text = text[:spec.char_limit]
        ids = spec.tokenizer.encode_checked(text)
        drop = spec.drop_ids
        if drop and not drop.isdisjoint(ids):
            ids = [i for i in ids if i not in drop]
        pooled = mean_pool_one(ids, spec.table)
        if spec.head is not None:
            pooled = spec.head.apply(pooled)
        vector = truncate(pooled, out_dim or self.truncate_dim)
        normalize = self.normalize if do_normalize is None else do_normalize
        return l2_normalize_one(vector) if normalize else vector

    def _encode_batch(self, texts: list[str], out_dim: int, do_normalize: bool,
                      rows: RowSource | None = None) -> np.ndarray:
        if len(texts) == 1:  # a list of one text (LangChain, servers) takes the single-text path
            return self._encode_one(texts[0], out_dim, do_normalize)[None]
        spec = self.spec
        flat, lengths = spec.tokenizer.encode_checked_flat(self._cut(texts))
        pooled = mean_pool_flat(*without_ids(flat, lengths, spec.drop_ids), spec.table, rows)
        if spec.head is not None:
            pooled = spec.head.apply(pooled)
        vectors = truncate(pooled, out_dim)
        return l2_normalize(vectors) if do_normalize else vectors
