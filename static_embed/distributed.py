"""Embed a text column in parallel workers: a callable class for Ray Data's ``map_batches``.

Ray Data's actor pattern builds a callable class once per worker and calls it on
each batch, so :class:`BatchEmbedder` loads the model once per worker (tables are
memory-mapped, so workers on one machine share the pages) and adds an embedding
column to every batch. Only the model reference and options travel to the
workers, never the table. This module does not import Ray; :func:`embed_dataset`
imports it when called (``pip install 'static-embed-numpy[ray]'``).

The same class works on a pandas DataFrame, e.g. in Dask's ``map_partitions``; for
Dask or Spark UDFs a :class:`~static_embed.StaticModel` can also be captured
directly, since it pickles by reference and each worker loads it again.

>>> import ray.data                                                 # doctest: +SKIP
>>> from static_embed.distributed import embed_dataset              # doctest: +SKIP
>>> ds = embed_dataset(ray.data.read_text("texts.txt"), model="potion-8m", concurrency=2)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from .encoder import DEFAULT_BATCH_SIZE, StaticModel, load

__all__ = ["BatchEmbedder", "embed_dataset"]

INSTALL_HINT = "pip install 'static-embed-numpy[ray]'"


def _import_ray_data() -> Any:
    try:
        import ray.data
    except ImportError as exc:
        raise ImportError(f"embed_dataset() needs Ray Data; install it with: {INSTALL_HINT}") from exc
    return ray.data


def _check_column_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not name:
        raise TypeError(f"{what} must be a non-empty str, got {name!r}")
    return name


class BatchEmbedder:
    """Add an embedding column to a batch of texts; built once per worker, called once per batch.

    Use it with ``ds.map_batches(BatchEmbedder, fn_constructor_kwargs={...},
    compute=ActorPoolStrategy(size=2))`` (``concurrency=2`` in older Ray) and ``batch_format="numpy"``
    (the default) or ``"pandas"``. A fixed pool
    that holds every CPU starves the tasks reading the data; :func:`embed_dataset` uses a growing pool.

    Args:
        model: a folder, hub id or alias for :func:`static_embed.load` (``None``: the embedded default model),
            or a loaded :class:`~static_embed.StaticModel` (sent by reference, loaded again in each worker).
        text_column: the column holding the texts (str; a non-str value raises ``TypeError`` naming its row).
        embedding_column: the column added to each batch (an existing column of that name is replaced):
            a float32 ``(rows, dim)`` array in a numpy batch, which Ray stores as a tensor column;
            one float32 ``(dim,)`` array per row in a pandas batch.
        batch_size: texts per ``encode`` step inside one batch; results do not depend on it.
        truncate_dim: Matryoshka dimension to keep.
        normalize: L2-normalize (default: the model's setting).
        **load_options: passed to :func:`static_embed.load` (``tokenizer_backend``, ``compat``, ``table``,
            ``revision``, ``cache_dir``, ``local_files_only``, ...); not allowed with a loaded model.
    """

    def __init__(self, model: str | os.PathLike[str] | StaticModel | None = None, *,
                 text_column: str = "text", embedding_column: str = "embedding",
                 batch_size: int = DEFAULT_BATCH_SIZE, truncate_dim: int | None = None,
                 normalize: bool | None = None, **load_options: Any) -> None:
        self.text_column = _check_column_name(text_column, "text_column")
        self.embedding_column = _check_column_name(embedding_column, "embedding_column")
        if self.embedding_column == self.text_column:
            raise ValueError(f"embedding_column must differ from text_column (both {text_column!r})")
        if isinstance(model, StaticModel):
            if load_options:
                raise TypeError("load options cannot be applied to an already loaded StaticModel: "
                                f"{', '.join(sorted(load_options))}")
            self.model = model
        else:
            self.model = load(model, **load_options)
        self.batch_size = batch_size
        self.truncate_dim = truncate_dim
        self.normalize = normalize
        self._encode([])  # checks batch_size, truncate_dim and normalize now rather than on the first batch

    def __repr__(self) -> str:
        return (f"BatchEmbedder({self.model!r}, text_column={self.text_column!r}, "
                f"embedding_column={self.embedding_column!r})")

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, batch_size=self.batch_size, truncate_dim=self.truncate_dim,
                                 normalize=self.normalize)

    def _texts(self, column: Any) -> list[str]:
        texts = column.tolist() if hasattr(column, "tolist") else list(column)
        for row, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"column {self.text_column!r} row {row} of the batch must be str, "
                                f"got {type(text).__name__}")
        return texts

    def _missing_column(self, columns: list[str]) -> KeyError:
        return KeyError(f"the batch has no text column {self.text_column!r} (columns: {columns}); "
                        "pass text_column=")

    def __call__(self, batch: Any) -> Any:
        """Return the batch with the embedding column added: a dict of arrays or a pandas DataFrame."""
        if isinstance(batch, Mapping):
            if self.text_column not in batch:
                raise self._missing_column(list(batch))
            out = dict(batch)
            out[self.embedding_column] = self._encode(self._texts(batch[self.text_column]))
            return out
        if hasattr(batch, "columns") and hasattr(batch, "iloc"):  # a pandas DataFrame (pandas not imported)
            if self.text_column not in batch.columns:
                raise self._missing_column([str(name) for name in batch.columns])
            vectors = self._encode(self._texts(batch[self.text_column]))
            out = batch.copy(deep=False)
            out[self.embedding_column] = list(vectors)
            return out
        raise TypeError("batch must be a dict of numpy arrays (batch_format='numpy') or a pandas DataFrame "
                        f"(batch_format='pandas'), got {type(batch).__name__}")


def embed_dataset(ds: Any, model: str | os.PathLike[str] | StaticModel | None = None, *,
                  text_column: str = "text", embedding_column: str = "embedding", concurrency: int = 2,
                  batch_size: int = DEFAULT_BATCH_SIZE, num_cpus: float = 1.0, **options: Any) -> Any:
    """A lazy Ray ``Dataset``: ``ds`` with an embedding column, computed by up to ``concurrency`` workers.

    Each worker (a Ray actor reserving ``num_cpus``) loads the model once and gets ``batch_size`` rows per
    call. The pool starts with one worker and grows to ``concurrency``: a fixed pool holding every CPU of
    a small cluster would starve the tasks that read ``ds``, and Ray Data would wait for ever. Rows keep
    their order only when ``DataContext.get_current().execution_options.preserve_order`` is True (or
    carry an id column). Other keyword arguments go to :class:`BatchEmbedder` (``truncate_dim``,
    ``normalize``, load options such as ``tokenizer_backend``).
    """
    ray_data = _import_ray_data()
    if not isinstance(ds, ray_data.Dataset):
        raise TypeError(f"ds must be a ray.data.Dataset, got {type(ds).__name__}")
    for name, value in (("concurrency", concurrency), ("batch_size", batch_size)):
        if type(value) is not int:
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}")
    # The model is loaded in the workers only: on a cluster its path may exist there and not in the driver.
    kwargs = {"model": model, "text_column": text_column, "embedding_column": embedding_column,
              "batch_size": batch_size, **options}
    pool = ray_data.ActorPoolStrategy(min_size=1, max_size=concurrency)
    return ds.map_batches(BatchEmbedder, fn_constructor_kwargs=kwargs, compute=pool, batch_size=batch_size,
                          batch_format="numpy", num_cpus=num_cpus)
