"""The encoder's contract: shapes, dtypes, argument checks, truncation, invariance."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import static_embed
from static_embed import similarity


@pytest.fixture(scope="module")
def model():
    return static_embed.load()


TEXTS = ["A cat sat on the mat.", "東京都に住んでいます。", "", "   ", "naïve café", "x" * 3000,
         "hello [PAD] world", "\x00\x07control", "👨‍👩‍👧‍👦 family"]


def test_shapes_and_dtype(model):
    single = model.encode("hello world")
    assert single.shape == (model.dim,) and single.dtype == np.float32
    batch = model.encode(["a", "b", "c"])
    assert batch.shape == (3, model.dim) and batch.dtype == np.float32 and batch.flags.c_contiguous
    empty = model.encode([])
    assert empty.shape == (0, model.dim) and empty.dtype == np.float32


@pytest.mark.parametrize("container", [list, tuple, np.array, iter], ids=["list", "tuple", "ndarray", "iterator"])
def test_accepts_sequences(model, container):
    expected = model.encode(TEXTS)
    assert np.array_equal(model.encode(container(TEXTS)), expected)


def test_single_str_equals_row_of_batch(model):
    batch = model.encode(TEXTS)
    for i, text in enumerate(TEXTS):
        assert np.array_equal(model.encode(text), batch[i])


@pytest.mark.parametrize("bad, fragment", [
    (None, "texts must be a str or a sequence of str, got NoneType"),
    (5, "got int"),
    (b"bytes", "got bytes"),
    ({"a": 1}, "got dict"),
    (["ok", None], "texts[1] must be str, got NoneType"),
    (["ok", "fine", 3], "texts[2] must be str, got int"),
    (["ok", b"x"], "texts[1] must be str, got bytes"),
])
def test_non_strings_raise_type_error_naming_position(model, bad, fragment):
    with pytest.raises(TypeError) as info:
        model.encode(bad)
    assert fragment in str(info.value)


def test_lone_surrogate_is_a_clear_error(model):
    with pytest.raises(TypeError, match=r"texts\[1\] contains a lone surrogate"):
        model.encode(["fine", "bad \ud800 text"])


def test_empty_and_whitespace_texts_are_zero_not_nan(model):
    vectors = model.encode(["", " ", "\t\n", "\x00"], normalize=True)
    assert np.all(vectors == 0)


def test_normalized_rows_are_unit_length(model):
    vectors = model.encode(TEXTS)
    norms = np.linalg.norm(vectors, axis=1)
    for text, norm in zip(TEXTS, norms):
        if model.tokenize([text])[0]:
            assert abs(norm - 1) < 1e-5
        else:
            assert norm == 0


@pytest.mark.parametrize("dim", [1, 32, 64, 255, 256])
def test_truncation_then_normalization(model, dim):
    raw = model.encode(TEXTS, normalize=False)
    truncated = model.encode(TEXTS, truncate_dim=dim)
    assert truncated.shape == (len(TEXTS), dim)
    prefix = raw[:, :dim]
    norms = np.linalg.norm(prefix, axis=1, keepdims=True)
    expected = np.divide(prefix, norms, out=np.zeros_like(prefix), where=norms > 0)
    assert np.allclose(truncated, expected, atol=1e-6)
    at_load = static_embed.load(truncate_dim=dim)
    assert at_load.dim == dim
    assert np.array_equal(at_load.encode(TEXTS), truncated)


@pytest.mark.parametrize("bad", [0, -1, 257])
def test_bad_truncate_dim(model, bad):
    with pytest.raises(ValueError, match="truncate_dim"):
        model.encode("x", truncate_dim=bad)
    with pytest.raises(ValueError, match="truncate_dim"):
        static_embed.load(truncate_dim=bad)


def test_bad_arguments(model):
    with pytest.raises(TypeError, match="truncate_dim"):
        model.encode("x", truncate_dim="64")
    with pytest.raises(ValueError, match="batch_size"):
        model.encode(["x"], batch_size=0)
    with pytest.raises(TypeError, match="batch_size"):
        model.encode(["x"], batch_size=2.5)
    with pytest.raises(TypeError, match="normalize"):
        model.encode("x", normalize="yes")
    with pytest.raises(TypeError, match="unexpected keyword"):
        static_embed.load(device="cuda")
    with pytest.raises(TypeError, match="model must be a folder path"):
        static_embed.load(42)
    with pytest.raises(ValueError, match="compat"):
        static_embed.load(compat="torch")


def test_results_do_not_depend_on_batch_size(model):
    texts = TEXTS * 40
    reference = model.encode(texts, batch_size=1024)
    for batch_size in (1, 7, 100):
        assert np.array_equal(model.encode(texts, batch_size=batch_size), reference)


def test_threads_give_identical_results(model):
    texts = TEXTS * 30
    expected = model.encode(texts)
    results: list[np.ndarray] = []
    errors: list[BaseException] = []

    def work():
        try:
            for _ in range(5):
                results.append(model.encode(texts, batch_size=13))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 40 and all(np.array_equal(r, expected) for r in results)


def test_outputs_are_fresh_arrays(model):
    first = model.encode(["same text"])
    first[:] = 0
    assert np.any(model.encode(["same text"]) != 0)


def test_similarity():
    a = np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]], dtype=np.float32)
    b = np.array([[3.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    scores = similarity(a, b)
    assert scores.shape == (3, 2)
    assert np.allclose(scores, [[1, 2 ** -0.5], [0, 2 ** -0.5], [0, 0]])
    assert similarity(a[0], b[0]).shape == ()
    with pytest.raises(ValueError, match="dimension mismatch"):
        similarity(a, np.ones((2, 3)))
    with pytest.raises(TypeError):
        similarity(["a"], b)


def test_similarity_ranks_related_text_first(model):
    query = model.encode("How do I read a file?")
    docs = model.encode(["Open the file and call read() on it.", "The weather is sunny in Tokyo today."])
    scores = similarity(query, docs)
    assert scores[0] > scores[1]


def test_model_pickles_by_reference_and_reloads_equal(tmp_path):
    import pickle

    from static_embed.encoder import DEFAULT_MODEL_DIR, StaticModel

    model = static_embed.load(truncate_dim=64, normalize=False)
    payload = pickle.dumps(model)
    assert len(payload) < 2000, "the table must not travel in the pickle"
    assert b"default_model" in payload
    again = pickle.loads(payload)
    texts = ["pickled models load again", "", "東京"]
    np.testing.assert_array_equal(again.encode(texts), model.encode(texts))
    assert again.dim == 64 and again.normalize is False

    bare = StaticModel(model.spec)
    with pytest.raises(TypeError, match="pickle"):
        pickle.dumps(bare)
    assert str(DEFAULT_MODEL_DIR) in repr(again)


def test_python_space_list_is_what_str_split_cuts_at():
    """The tokenizer's ``str.split()`` shortcut relies on this list being complete."""
    from static_embed.tokenizer.tokenizer import PYTHON_SPACE

    assert PYTHON_SPACE == "".join(chr(cp) for cp in range(0x110000) if chr(cp).isspace())
