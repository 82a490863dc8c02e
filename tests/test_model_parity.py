"""Vectors equal the reference libraries', run live on real text (model2vec and sentence-transformers)."""

from __future__ import annotations

import numpy as np
import pytest

import static_embed

pytestmark = pytest.mark.reference

model2vec = pytest.importorskip("model2vec")
sentence_transformers = pytest.importorskip("sentence_transformers")


def model2vec_reference(folder, texts, **kwargs):
    return np.asarray(model2vec.StaticModel.from_pretrained(str(folder), **kwargs).encode(texts))


def st_reference(folder, texts):
    model = sentence_transformers.SentenceTransformer(str(folder), device="cpu")
    return np.asarray(model.encode(texts, batch_size=256, convert_to_numpy=True))


def assert_close(ours: np.ndarray, reference: np.ndarray) -> None:
    assert ours.dtype == np.float32 and ours.shape == reference.shape
    worst = float(np.max(np.abs(ours - reference.astype(np.float32)), initial=0.0))
    assert worst <= 1e-6, worst


def assert_close_float16(folder, texts: list[str], reference: np.ndarray) -> None:
    """model2vec returns float16 for a float16 table, rounding twice (the mean, then the normalized vector).

    Two checks: our float32 vectors agree with its float16 ones to float16 precision (relative to each
    row's largest component), and applying those two roundings to our float32 means reproduces its
    output to within one float16 step.
    """
    assert reference.dtype == np.float16
    ours = static_embed.load(folder).encode(texts)
    scale = np.maximum(np.abs(reference.astype(np.float32)).max(axis=1, keepdims=True), 1e-6)
    assert float(np.max(np.abs(ours - reference) / scale)) <= 2.0 ** -10
    means = static_embed.load(folder, normalize=False).encode(texts).astype(np.float16).astype(np.float32)
    norms = np.linalg.norm(means, axis=1, keepdims=True) + 1e-32
    emulated = (means / norms).astype(np.float16).astype(np.float32)
    steps = np.abs(emulated - reference) / np.spacing(np.abs(reference)).astype(np.float32)
    assert float(steps.max()) <= 1.0


M2V_CASES = ["m2v-f32", "m2v-f16", "m2v-int8", "m2v-vq", "m2v-nonorm", "m2v-nomaxlen"]


@pytest.mark.parametrize("name", M2V_CASES)
def test_model2vec_folders(name, model_fixtures, parity_texts):
    folder = model_fixtures[name]
    model = static_embed.load(folder)
    assert model.spec.compat == "model2vec"
    reference = model2vec_reference(folder, parity_texts)
    if name == "m2v-f16":
        assert_close_float16(folder, parity_texts, reference)
    else:
        assert_close(model.encode(parity_texts), reference)


def test_model2vec_default_model(parity_texts):
    from conftest import DEFAULT_MODEL

    assert_close_float16(DEFAULT_MODEL, parity_texts, model2vec_reference(DEFAULT_MODEL, parity_texts))


@pytest.mark.parametrize("normalize", [True, False])
def test_model2vec_normalize_override(normalize, model_fixtures, parity_texts):
    folder = model_fixtures["m2v-f32"]
    texts = parity_texts[::5]
    ours = static_embed.load(folder).encode(texts, normalize=normalize)
    reference = model2vec_reference(folder, texts, normalize=normalize)
    assert_close(ours, reference)


ST_CASES = ["st-root-norm", "st-root-nonorm", "st-legacy-norm", "st-legacy-nonorm"]


@pytest.mark.parametrize("name", ST_CASES)
def test_sentence_transformers_folders(name, model_fixtures, parity_texts):
    folder = model_fixtures[name]
    model = static_embed.load(folder)
    assert model.spec.compat == "sentence-transformers"
    assert model.normalize == name.endswith("-norm")
    assert_close(model.encode(parity_texts), st_reference(folder, parity_texts))


@pytest.mark.parametrize("name", ["m2v-f32", "m2v-vq"])
def test_model2vec_folder_read_as_sentence_transformers(name, model_fixtures, parity_texts):
    """A folder both libraries read: compat picks whose vectors we reproduce."""
    folder = model_fixtures[name]
    ours = static_embed.load(folder, compat="sentence-transformers").encode(parity_texts)
    assert_close(ours, st_reference(folder, parity_texts))


@pytest.mark.parametrize("name", ["st-root-norm", "st-legacy-nonorm"])
def test_sentence_transformers_folder_read_as_model2vec(name, model_fixtures, parity_texts):
    folder = model_fixtures[name]
    ours = static_embed.load(folder, compat="model2vec").encode(parity_texts)
    assert_close(ours, model2vec_reference(folder, parity_texts))


def test_unknown_token_semantics_differ_as_documented(model_fixtures):
    """model2vec drops [UNK]; sentence-transformers keeps its row: the same folder, two answers."""
    folder = model_fixtures["m2v-f32"]
    text = "hello \u2603\u2604 world"  # snowman and comet are not in the vocabulary
    m2v = static_embed.load(folder)
    st = static_embed.load(folder, compat="sentence-transformers")
    unk = m2v.tokenizer.unk_id
    assert unk in m2v.tokenizer.encode(text)
    assert unk not in m2v.tokenize([text])[0]
    assert unk in st.tokenize([text])[0]
    assert not np.allclose(m2v.encode(text), st.encode(text))
