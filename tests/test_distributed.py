"""Encoding in other processes without Ray: the batch callable, and models sent to spawned workers.

A model made by ``static_embed.load()`` pickles by reference, so the same pattern
serves ``multiprocessing``, ``concurrent.futures`` and Dask or Spark UDFs: the
worker loads the model again from its path and options.
"""

from __future__ import annotations

import json
import multiprocessing
import pickle
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import corpus
import static_embed
from conftest import REPO
from static_embed.distributed import BatchEmbedder


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return corpus.english_texts(limit=1500) + corpus.japanese_texts(limit=1500) + corpus.edge_cases()


@pytest.fixture(scope="module")
def model():
    return static_embed.load()


def test_importing_the_module_does_not_import_ray():
    code = "import sys, json, static_embed.distributed; print(json.dumps('ray' in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert json.loads(out.stdout) is False


def test_numpy_batch_gets_an_embedding_column(texts, model):
    ids = np.arange(len(texts))
    batch = {"id": ids, "text": np.array(texts, dtype=object)}
    out = BatchEmbedder(batch_size=100)(batch)
    assert set(out) == {"id", "text", "embedding"} and set(batch) == {"id", "text"}
    assert out["id"] is ids and out["text"] is batch["text"]
    assert out["embedding"].dtype == np.float32 and out["embedding"].shape == (len(texts), model.dim)
    np.testing.assert_array_equal(out["embedding"], model.encode(texts))


def test_pandas_batch_with_options_matches_a_model_loaded_with_them(texts):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"body": texts}, index=np.arange(len(texts))[::-1] * 7)  # an index other than 0..n-1
    embedder = BatchEmbedder(text_column="body", embedding_column="vec", truncate_dim=64, normalize=False,
                             tokenizer_backend="lite")
    out = embedder(frame)
    assert list(frame.columns) == ["body"] and list(out.columns) == ["body", "vec"]
    assert (out.index == frame.index).all()
    expected = static_embed.load(truncate_dim=64, normalize=False, tokenizer_backend="lite").encode(texts)
    np.testing.assert_array_equal(np.stack(out["vec"].to_list()), expected)
    assert out["vec"].iloc[0].dtype == np.float32


def test_a_loaded_model_is_accepted_and_empty_batches_work(model):
    embedder = BatchEmbedder(model, truncate_dim=32)
    assert embedder.model is model
    out = embedder({"text": np.array([], dtype=object)})
    assert out["embedding"].shape == (0, 32) and out["embedding"].dtype == np.float32


def test_bad_batches_and_options_raise_typed_errors(model):
    embedder = BatchEmbedder(model)
    with pytest.raises(KeyError, match="'text'.*'body'"):
        embedder({"body": np.array(["a"], dtype=object)})
    with pytest.raises(TypeError, match="column 'text' row 1 .* NoneType"):
        embedder({"text": np.array(["a", None], dtype=object)})
    with pytest.raises(TypeError, match="dict of numpy arrays"):
        embedder(["a", "b"])
    with pytest.raises(ValueError, match="differ"):
        BatchEmbedder(model, text_column="x", embedding_column="x")
    with pytest.raises(TypeError, match="text_column"):
        BatchEmbedder(model, text_column=3)
    with pytest.raises(TypeError, match="tokenizer_backend"):
        BatchEmbedder(model, tokenizer_backend="lite")
    with pytest.raises(ValueError):
        BatchEmbedder(model, truncate_dim=model.dim + 1)
    with pytest.raises(ValueError, match="batch_size"):
        BatchEmbedder(model, batch_size=0)
    with pytest.raises(TypeError, match="normalize"):
        BatchEmbedder(model, normalize="yes")


def test_model_sent_to_a_spawned_multiprocessing_pool(texts, model):
    payload = pickle.dumps(model)
    assert len(payload) < 2000, "the table must not travel to the workers"
    chunks = [texts[i:i + 500] for i in range(0, len(texts), 500)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        parts = pool.map(model.encode, chunks)  # a bound method pickles the model by reference
    np.testing.assert_array_equal(np.concatenate(parts), model.encode(texts))


def test_model_sent_to_a_spawned_process_pool_executor(texts):
    model = static_embed.load(truncate_dim=128, normalize=False)
    chunks = [texts[i:i + 700] for i in range(0, len(texts), 700)]
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as executor:
        parts = list(executor.map(model.encode, chunks))
    np.testing.assert_array_equal(np.concatenate(parts), model.encode(texts))
    assert parts[0].shape[1] == 128
