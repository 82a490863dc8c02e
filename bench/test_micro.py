"""Micro-benchmarks of the runner's hot paths (pytest-benchmark), to see where a change helps or hurts.

Not part of the test suite (pyproject's testpaths is tests/) and never asserted on time.
Run from the repository root in the test environment::

    STATIC_EMBED_TEST_VENV=.venv-test PYTHONPATH=$PWD .venv-test/bin/python -m pytest \\
        bench/test_micro.py --benchmark-only

Compare two versions of the code on the same machine: save a baseline with
``--benchmark-autosave`` (stored under ``.benchmarks/``), change the code, then run with
``--benchmark-compare`` (against the latest saved run; ``--benchmark-compare=0001`` picks one)
and, to fail on a slowdown, ``--benchmark-compare-fail=median:10%``. ``pytest-benchmark compare``
prints saved runs side by side. Shared machines are noisy: compare medians, and re-run before
believing a difference under ~10%.

Batches are 1,000 real texts (``tests/corpus.py``). "cold" runs on a freshly loaded tokenizer or
model each round (empty word caches, the setup is not timed); "warm" repeats texts already seen.
Tables other than the default model's float16 one are synthetic, of the same shape, since only
their decoding cost is measured.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import corpus
import static_embed
from static_embed.normalize import l2_normalize
from static_embed.pooling import mean_pool
from static_embed.tables import DenseTable, MappedTable, Q4Table, Table

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = REPO / "static_embed" / "default_model"
UNIGRAM_TOKENIZER = REPO / ".fixtures" / "tokenizers" / "tokenlearn" / "tokenizer.json"
BATCH = 1000

@pytest.fixture(scope="module")
def english() -> list[str]:
    return corpus.english_texts(limit=BATCH)


@pytest.fixture(scope="module")
def japanese() -> list[str]:
    return corpus.japanese_texts(limit=BATCH)


@pytest.fixture(scope="module")
def model() -> static_embed.StaticModel:
    return static_embed.load(DEFAULT_MODEL_DIR, tokenizer_backend="lite")


def _tokenizer_path(name: str) -> Path:
    if name == "unigram":
        if not UNIGRAM_TOKENIZER.exists():
            pytest.skip(f"{UNIGRAM_TOKENIZER} not built (run tests/test_unigram*.py once, or ./tests/run)")
        return UNIGRAM_TOKENIZER
    return DEFAULT_MODEL_DIR / "tokenizer.json"


CASES = [("wordpiece", "english"), ("wordpiece", "japanese"), ("unigram", "japanese")]


#: the per-text lists (``encode_batch``) and the encoder's batch path (one array, new words learned together)
PATHS = ["encode_batch", "encode_checked_flat"]


def _count(result: Any) -> int:
    return len(result[1]) if isinstance(result, tuple) else len(result)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("tokenizer", "language"), CASES, ids=[f"{t}-{lang}" for t, lang in CASES])
def test_tokenize_lite_cold(benchmark: Any, request: pytest.FixtureRequest, tokenizer: str,
                            language: str, path: str) -> None:
    file, texts = _tokenizer_path(tokenizer), request.getfixturevalue(language)

    def fresh() -> tuple[tuple[static_embed.Tokenizer, list[str]], dict[str, Any]]:
        return (static_embed.Tokenizer.from_file(file), texts), {}

    out = benchmark.pedantic(lambda tok, batch: getattr(tok, path)(batch), setup=fresh, rounds=5,
                             iterations=1)
    assert _count(out) == len(texts)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("tokenizer", "language"), CASES, ids=[f"{t}-{lang}" for t, lang in CASES])
def test_tokenize_lite_warm(benchmark: Any, request: pytest.FixtureRequest, tokenizer: str,
                            language: str, path: str) -> None:
    texts = request.getfixturevalue(language)
    encode = getattr(static_embed.Tokenizer.from_file(_tokenizer_path(tokenizer)), path)
    encode(texts)  # fill the word caches
    assert _count(benchmark(encode, texts)) == len(texts)


def test_mean_pool(benchmark: Any, model: static_embed.StaticModel, english: list[str]) -> None:
    id_lists = model.tokenize(english)
    table = model.spec.table
    out = benchmark(mean_pool, id_lists, table)
    assert out.shape == (len(english), table.dim)


def _tables(model: static_embed.StaticModel) -> dict[str, Callable[[], Table]]:
    rng = np.random.default_rng(0)
    vocab, dim = model.spec.table.num_ids, model.spec.table.dim
    return {
        "f16": lambda: model.spec.table,  # the default model's memory-mapped float16 table
        "f32": lambda: DenseTable(rng.standard_normal((vocab, dim), dtype=np.float32), source="f32"),
        "int8": lambda: DenseTable(rng.integers(-128, 128, (vocab, dim), dtype=np.int8), source="int8"),
        "q4": lambda: Q4Table(rng.integers(0, 256, (vocab, dim // 2), dtype=np.uint8),
                              rng.random(vocab, dtype=np.float32), source="q4"),
        "vocab-quantized": lambda: MappedTable(rng.integers(-128, 128, (4096, dim), dtype=np.int8),
                                               rng.integers(0, 4096, vocab, dtype=np.int64),
                                               rng.random(vocab, dtype=np.float32), source="vq"),
    }


@pytest.mark.parametrize("kind", ["f16", "f32", "int8", "q4", "vocab-quantized"])
def test_table_rows(benchmark: Any, model: static_embed.StaticModel, english: list[str], kind: str) -> None:
    """Decode the distinct ids of a 1,000-text batch (what one encode batch looks up)."""
    table = _tables(model)[kind]()
    ids = np.unique(np.fromiter(itertools.chain.from_iterable(model.tokenize(english)), dtype=np.int64))
    rows = benchmark(table.rows, ids)
    assert rows.shape == (len(ids), table.dim) and rows.dtype == np.float32


def test_l2_normalize(benchmark: Any) -> None:
    vectors = np.random.default_rng(0).standard_normal((1024, 256), dtype=np.float32)
    assert benchmark(l2_normalize, vectors).shape == vectors.shape


def test_encode_single_text(benchmark: Any, model: static_embed.StaticModel, english: list[str]) -> None:
    texts = itertools.cycle(english)
    assert benchmark(lambda: model.encode(next(texts))).shape == (model.dim,)


def test_encode_single_text_as_list(benchmark: Any, model: static_embed.StaticModel,
                                    english: list[str]) -> None:
    texts = itertools.cycle(english)
    assert benchmark(lambda: model.encode([next(texts)])).shape == (1, model.dim)


def test_encode_batch_warm(benchmark: Any, model: static_embed.StaticModel, english: list[str]) -> None:
    model.encode(english)
    assert benchmark(model.encode, english).shape == (len(english), model.dim)


def test_encode_batch_cold(benchmark: Any, english: list[str]) -> None:
    def fresh() -> tuple[tuple[static_embed.StaticModel], dict[str, Any]]:
        return (static_embed.load(DEFAULT_MODEL_DIR, tokenizer_backend="lite"),), {}

    out = benchmark.pedantic(lambda fresh_model: fresh_model.encode(english), setup=fresh, rounds=5,
                             iterations=1)
    assert out.shape == (len(english), 256)
