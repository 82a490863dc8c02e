"""``static_embed.sentence_transformer.SentenceTransformer`` against sentence-transformers 6.2, run live.

Every case calls both classes with the same arguments on the real-model fixtures and
real text. float32 results must agree within 1e-6; integer precisions must agree code
for code, except where a float32 value sits on a quantization boundary: at most one
step (one bit for binary), on at most 0.01% of the elements, and only at values that
really are on a boundary. Each reference model is loaded once per module.
"""

from __future__ import annotations

import enum
import inspect
import json
import math
import os
import pickle
import subprocess
import sys
import warnings

import corpus
import numpy as np
import pytest

from static_embed.sentence_transformer import SentenceTransformer

pytestmark = pytest.mark.reference

st = pytest.importorskip("sentence_transformers")
torch = pytest.importorskip("torch")

MODELS = ("st-root-norm", "st-root-nonorm", "st-legacy-norm", "m2v-f32")
PRECISIONS = ("float32", "int8", "uint8", "binary", "ubinary")
BOUNDARY_FRACTION = 1e-4  # 0.01% of the elements


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample(parity_texts) -> list[str]:
    """About 2,000 real texts, English and Japanese, plus every edge case."""
    edges = len(corpus.edge_cases())
    return parity_texts[:-edges:6] + parity_texts[-edges:]


@pytest.fixture(scope="module")
def small(sample) -> list[str]:
    return sample[::4]


@pytest.fixture(scope="module")
def reference(model_fixtures):
    """name -> sentence-transformers model, loaded once per module."""
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = st.SentenceTransformer(str(model_fixtures[name]), device="cpu")
        return cache[name]

    return get


@pytest.fixture(scope="module")
def ours(model_fixtures):
    cache: dict[str, SentenceTransformer] = {}

    def get(name: str) -> SentenceTransformer:
        if name not in cache:
            cache[name] = SentenceTransformer(str(model_fixtures[name]))
        return cache[name]

    return get


@pytest.fixture(scope="module")
def pool(ours):
    model = ours("st-root-norm")
    started = model.start_multi_process_pool(["cpu", "cpu"])
    yield started
    SentenceTransformer.stop_multi_process_pool(started)


# ----------------------------------------------------------------- helpers


def _boundary_distance(floats: np.ndarray) -> np.ndarray:
    """Distance (in buckets) of each value to the nearest int8/uint8 bucket edge of this call."""
    starts = floats.min(axis=0)
    steps = (floats.max(axis=0) - starts) / 255
    steps = np.where(steps == 0, 1, steps)
    position = (floats.astype(np.float64) - starts) / steps
    return np.abs(position - np.round(position))


def assert_same(got, want, precision: str = "float32", floats: np.ndarray | None = None) -> None:
    """``got`` (ours) equals ``want`` (sentence-transformers) under the module's rules.

    ``floats``: our float32 embeddings of the same call, to check that every differing code sits on a
    quantization boundary.
    """
    if isinstance(want, torch.Tensor):
        assert isinstance(got, torch.Tensor), type(got)
        got, want = got.numpy(), want.numpy()
    assert isinstance(got, np.ndarray), type(got)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape, want.dtype, want.shape)
    if precision == "float32":
        worst = float(np.max(np.abs(got - want), initial=0.0))
        assert worst <= 1e-6, worst
        return
    if precision in ("binary", "ubinary"):
        got_bits = np.unpackbits(got.view(np.uint8), axis=-1)
        want_bits = np.unpackbits(want.view(np.uint8), axis=-1)
        differ = got_bits != want_bits
        if differ.any():
            assert floats is not None
            rows, bits = np.nonzero(differ)
            assert np.all(bits < floats.shape[-1]), "a padding bit differs"
            assert np.all(np.abs(floats[rows, bits]) <= 1e-6), "a sign bit differs away from zero"
    else:
        diff = got.astype(np.int16) - want.astype(np.int16)
        differ = diff != 0
        assert int(np.abs(diff).max(initial=0)) <= 1
        if differ.any():
            assert floats is not None
            assert np.all(_boundary_distance(floats)[differ] <= 0.01), "a code differs away from a boundary"
    assert int(differ.sum()) <= BOUNDARY_FRACTION * differ.size, int(differ.sum())


def compare_encode(model: SentenceTransformer, ref, texts, method: str = "encode", **kwargs) -> np.ndarray:
    """Run ``method`` on both with ``kwargs``, compare, and return our result."""
    got = getattr(model, method)(texts, **kwargs)
    want = getattr(ref, method)(texts, **kwargs)
    precision = kwargs.get("precision", "float32")
    floats = None
    if precision != "float32":
        floats = getattr(model, method)(texts, **{**kwargs, "precision": "float32"})
        floats = np.atleast_2d(floats)
    assert_same(got, want, precision, floats)
    return got


def parameters(func) -> list[tuple[str, object, object]]:
    signature = inspect.signature(func)
    return [(p.name, p.kind, p.default) for p in signature.parameters.values() if p.name != "self"]


# ---------------------------------------------------------------- the API


@pytest.mark.parametrize("method", ["__init__", "encode", "encode_query", "encode_document",
                                    "encode_multi_process", "start_multi_process_pool", "similarity",
                                    "similarity_pairwise", "get_embedding_dimension", "truncate_embeddings"])
def test_signatures_match(method):
    ours_, theirs = getattr(SentenceTransformer, method), getattr(st.SentenceTransformer, method)
    assert parameters(ours_) == parameters(theirs)


def test_static_and_class_attributes():
    assert isinstance(inspect.getattr_static(SentenceTransformer, "stop_multi_process_pool"), staticmethod)
    names = st.SentenceTransformer.SUPPORTED_SIMILARITY_FN_NAMES
    assert SentenceTransformer.SUPPORTED_SIMILARITY_FN_NAMES == names


# ----------------------------------------------------------- encode parity


@pytest.mark.parametrize(("name", "precision"), [("st-root-norm", "float32"), ("m2v-f32", "int8")])
def test_full_corpus(name, precision, ours, reference, parity_texts):
    compare_encode(ours(name), reference(name), parity_texts, precision=precision, batch_size=256)


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("name", MODELS)
def test_precisions(name, precision, ours, reference, sample):
    got = compare_encode(ours(name), reference(name), sample, precision=precision)
    width = ours(name).get_embedding_dimension()
    packed = precision in ("binary", "ubinary")
    assert got.shape == (len(sample), math.ceil(width / 8) if packed else width)


TRUNCATE_CASES = [  # (truncate_dim, normalize_embeddings, precision)
    (64, False, "float32"),
    (64, True, "float32"),
    (100, True, "int8"),
    (64, False, "uint8"),
    (None, True, "ubinary"),
    (33, True, "binary"),
    (0, False, "float32"),
]


@pytest.mark.parametrize(("truncate_dim", "normalize", "precision"), TRUNCATE_CASES)
@pytest.mark.parametrize("name", ["st-root-norm", "st-root-nonorm"])
def test_truncate_and_normalize(name, truncate_dim, normalize, precision, ours, reference, sample):
    compare_encode(ours(name), reference(name), sample, truncate_dim=truncate_dim,
                   normalize_embeddings=normalize, precision=precision)


def test_truncate_dim_in_constructor_and_context(model_fixtures, sample, small):
    folder = str(model_fixtures["st-root-nonorm"])
    model = SentenceTransformer(folder, truncate_dim=48)
    ref = st.SentenceTransformer(folder, device="cpu", truncate_dim=48)
    assert model.truncate_dim == ref.truncate_dim == 48
    assert model.get_embedding_dimension() == ref.get_embedding_dimension() == 48
    assert compare_encode(model, ref, sample).shape[-1] == 48
    compare_encode(model, ref, sample, precision="int8", normalize_embeddings=True)
    assert compare_encode(model, ref, small, truncate_dim=16).shape[-1] == 16  # the call wins
    with model.truncate_embeddings(24), ref.truncate_embeddings(24):
        assert model.get_embedding_dimension() == ref.get_embedding_dimension() == 24
        assert compare_encode(model, ref, small, precision="uint8").shape[-1] == 24
    assert model.truncate_dim == 48
    with pytest.warns(FutureWarning), model.truncate_sentence_embeddings(8):
        assert model.encode(sample[:3]).shape == (3, 8)
    assert model.truncate_dim == 48
    big = SentenceTransformer(folder, truncate_dim=10_000)  # not bounds-checked, as in sentence-transformers
    assert big.get_embedding_dimension() == 256 and big.encode(sample[:2]).shape == (2, 256)


@pytest.mark.parametrize("name", ["st-root-norm", "m2v-f32"])
def test_single_string(name, ours, reference, sample):
    model, ref = ours(name), reference(name)
    text = sample[3]
    for kwargs in ({}, {"precision": "binary"}, {"normalize_embeddings": True, "truncate_dim": 32}):
        got = compare_encode(model, ref, text, **kwargs)
        assert got.ndim == 1
    compare_encode(model, ref, text, method="encode_query")
    compare_encode(model, ref, text, method="encode_document")
    for precision in ("int8", "uint8"):  # one row cannot be calibrated (6.2 raises)
        with pytest.raises(ValueError) as want:
            ref.encode(text, precision=precision)
        with pytest.raises(ValueError) as got:
            model.encode(text, precision=precision)
        assert str(got.value) == str(want.value)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_empty_input(precision, ours, reference):
    model, ref = ours("st-root-norm"), reference("st-root-norm")
    got, want = model.encode([], precision=precision), ref.encode([], precision=precision)
    assert got.dtype == want.dtype == np.float64 and got.shape == want.shape == (0,)
    got = model.encode([], precision=precision, convert_to_tensor=True)
    want = ref.encode([], precision=precision, convert_to_tensor=True)
    assert isinstance(got, torch.Tensor) and got.shape == want.shape and got.dtype == want.dtype
    assert model.encode([], convert_to_numpy=False) == ref.encode([], convert_to_numpy=False) == []
    assert model.encode([], output_value=None) == ref.encode([], output_value=None) == []


def test_input_kinds(ours, reference, small):
    model, ref = ours("st-root-norm"), reference("st-root-norm")
    compare_encode(model, ref, tuple(small))
    compare_encode(model, ref, np.array(small))
    compare_encode(model, ref, np.array(small, dtype=object))
    assert model.is_singular_input("x") and not model.is_singular_input(["x"])
    assert model.is_singular_input(np.array("x")) == ref.is_singular_input(np.array("x"))
    with pytest.raises(TypeError):
        model.encode(["ok", 3])


# ----------------------------------------------------------------- prompts


def test_prompts(model_fixtures, small):
    folder = str(model_fixtures["st-root-nonorm"])
    prompts = {"query": "query: ", "passage": "passage: ", "classification": "Classify the topic: "}
    model = SentenceTransformer(folder, prompts=prompts, default_prompt_name="classification")
    ref = st.SentenceTransformer(folder, device="cpu", prompts=prompts, default_prompt_name="classification")
    assert model.prompts == ref.prompts  # the saved "document": "" fills the unset key
    assert model.default_prompt_name == ref.default_prompt_name == "classification"
    plain = model.encode(small, prompt="")
    defaulted = compare_encode(model, ref, small)  # the default prompt applies
    assert not np.array_equal(defaulted, plain)
    compare_encode(model, ref, small, prompt_name="query")
    compare_encode(model, ref, small, prompt="Represent this sentence: ", precision="int8")
    compare_encode(model, ref, small, prompt="explicit: ", prompt_name="query")  # prompt wins
    compare_encode(model, ref, small, method="encode_query")
    got = compare_encode(model, ref, small, method="encode_document")  # "document" ("") before "passage"
    np.testing.assert_array_equal(got, plain)
    compare_encode(model, ref, small, method="encode_document", prompt_name="passage", precision="uint8")

    no_default = SentenceTransformer(folder, prompts={"passage": "passage: "})
    ref_no_default = st.SentenceTransformer(folder, device="cpu", prompts={"passage": "passage: "})
    np.testing.assert_array_equal(compare_encode(no_default, ref_no_default, small), plain)
    compare_encode(no_default, ref_no_default, small, method="encode_document", precision="binary")


def test_bad_prompt_name(ours, reference):
    for model in (ours("st-root-norm"), reference("st-root-norm")):
        with pytest.raises(ValueError, match=r"Prompt name 'nope' not found in the configured prompts "
                                             r"dictionary with keys \['query', 'document'\]\."):
            model.encode(["a"], prompt_name="nope")


def test_unknown_default_prompt_name(model_fixtures):
    folder = str(model_fixtures["st-root-norm"])
    with pytest.raises(ValueError) as want:
        st.SentenceTransformer(folder, device="cpu", default_prompt_name="missing")
    with pytest.raises(ValueError) as got:
        SentenceTransformer(folder, default_prompt_name="missing")
    assert str(got.value) == str(want.value)


@pytest.fixture(scope="module")
def configured_folder(model_fixtures, tmp_path_factory):
    """st-root-norm with a config_sentence_transformers.json that sets every key the class reads."""
    source = model_fixtures["st-root-norm"]
    folder = tmp_path_factory.mktemp("configured")
    for name in ("modules.json", "model.safetensors", "tokenizer.json", "1_Normalize"):
        os.symlink(source / name, folder / name)
    config = json.loads((source / "config_sentence_transformers.json").read_text())
    config.update(prompts={"query": "query: ", "document": "document: ", "empty": ""},
                  default_prompt_name="query", similarity_fn_name="dot", truncate_dim=40)
    (folder / "config_sentence_transformers.json").write_text(json.dumps(config))
    return str(folder)


@pytest.mark.parametrize("overrides", [
    {},
    {"prompts": {"query": ""}, "similarity_fn_name": "manhattan", "truncate_dim": 20},
    {"default_prompt_name": "document", "prompts": {"extra": "extra: "}},
])
def test_saved_config_is_merged(configured_folder, overrides, small):
    model = SentenceTransformer(configured_folder, **overrides)
    ref = st.SentenceTransformer(configured_folder, device="cpu", **overrides)
    for attribute in ("prompts", "default_prompt_name", "similarity_fn_name", "truncate_dim"):
        assert getattr(model, attribute) == getattr(ref, attribute), attribute
    assert model.get_embedding_dimension() == ref.get_embedding_dimension()
    compare_encode(model, ref, small)
    compare_encode(model, ref, small, method="encode_document", precision="int8")
    embeddings = model.encode(small[:30])
    np.testing.assert_allclose(model.similarity(embeddings, embeddings),
                               ref.similarity(embeddings, embeddings).numpy(), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------ output forms


def test_output_value_none(ours, reference, small):
    model, ref = ours("st-root-nonorm"), reference("st-root-nonorm")
    kwargs = {"output_value": None, "truncate_dim": 50, "normalize_embeddings": True}  # ST skips normalizing
    got, want = model.encode(small, **kwargs), ref.encode(small, **kwargs)
    assert isinstance(got, list) and len(got) == len(want)
    assert all(isinstance(item, dict) and set(item) == {"sentence_embedding"} for item in got)
    assert_same(np.stack([item["sentence_embedding"] for item in got]),
                torch.stack([item["sentence_embedding"] for item in want]).numpy())
    for target in (model, ref):  # 6.2 fails to quantize the dicts; we say why
        with pytest.raises(ValueError):
            target.encode(small[:3], output_value=None, precision="int8")
    single = model.encode(small[0], output_value=None)
    assert isinstance(single, dict)
    want_single = ref.encode(small[0], output_value=None)["sentence_embedding"].numpy()
    assert_same(single["sentence_embedding"], want_single)


def test_token_embeddings_error(ours, reference):
    with pytest.raises(KeyError):
        reference("st-root-norm").encode(["a"], output_value="token_embeddings")
    with pytest.raises(KeyError, match="static model outputs only 'sentence_embedding'") as caught:
        ours("st-root-norm").encode(["a"], output_value="token_embeddings")
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("precision", ["float32", "int8", "ubinary"])
def test_convert_to_tensor(precision, ours, reference, small):
    model, ref = ours("st-legacy-norm"), reference("st-legacy-norm")
    compare_encode(model, ref, small, convert_to_tensor=True, precision=precision)
    compare_encode(model, ref, small[0], convert_to_tensor=True, precision="binary" if precision != "float32"
                   else "float32")
    got = model.encode(small[:5], convert_to_numpy=False, precision=precision)
    want = ref.encode(small[:5], convert_to_numpy=False, precision=precision)
    assert isinstance(got, list) and all(isinstance(row, torch.Tensor) for row in got)
    assert_same(torch.stack(got), torch.stack(want), precision, floats=model.encode(small[:5]))


def test_progress_bar_and_batch_size(ours, reference, small, capsys):
    model, ref = ours("st-root-norm"), reference("st-root-norm")
    compare_encode(model, ref, small, show_progress_bar=True, batch_size=7)
    assert capsys.readouterr().err  # a bar was drawn
    compare_encode(model, ref, small, show_progress_bar=False, batch_size=10_000)
    assert not capsys.readouterr().err


# ------------------------------------------------------------------ errors


def test_unknown_keyword_arguments(ours, reference):
    for method in ("encode", "encode_query", "encode_document"):
        with pytest.raises(ValueError) as want:
            getattr(reference("st-root-norm"), method)(["a"], foo=1)
        with pytest.raises(ValueError) as got:
            getattr(ours("st-root-norm"), method)(["a"], foo=1)
        assert str(got.value) == str(want.value)
    model = ours("st-root-norm")
    np.testing.assert_array_equal(model.encode(["a b"], task="query", processing_kwargs={"text": {}}),
                                  model.encode(["a b"]))


@pytest.mark.parametrize("batch_size", [0, -3])
def test_batch_size_must_be_positive(batch_size, ours, reference):
    with pytest.raises(ValueError) as want:
        reference("st-root-norm").encode(["a"], batch_size=batch_size)
    with pytest.raises(ValueError) as got:
        ours("st-root-norm").encode(["a"], batch_size=batch_size)
    assert str(got.value) == str(want.value) == f"batch_size must be a positive integer, got {batch_size}."


def test_bad_precision(ours, reference):
    for model in (ours("st-root-norm"), reference("st-root-norm")):
        with pytest.raises(ValueError, match="Precision 'float16' is not supported, must be one of"):
            model.encode(["a"], precision="float16")


def test_sentences_alias(ours, reference, small):
    model = ours("st-root-norm")
    with pytest.warns(DeprecationWarning, match="`sentences` argument was renamed"):
        got = model.encode(sentences=small[:20], precision="uint8")
    want = reference("st-root-norm").encode(sentences=small[:20], precision="uint8")
    np.testing.assert_array_equal(got, want)
    with pytest.warns(DeprecationWarning):
        model.encode_query(sentences=small[:2])


# --------------------------------------------------------------- similarity


def assert_euclidean_matches(got: np.ndarray, want: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """Negated distances: as accurate as float32 allows, and the same function as the reference.

    Above 25 rows both compute sqrt(|a|² + |b|² - 2ab) (torch.cdist's matrix-product form), a float32
    sum of D + 2 products that cancels down to d². Its rounding is bounded by (D + 2)·eps·S, with S the
    sum of the products' magnitudes; the root divides that by about 2d (and turns it into a square root
    near d = 0). Ours must be within that bound of the float64 distance. The reference is held to the
    same function, not to the same rounding: in full CI runs (never alone) torch's cdist came back up to
    6e-5 from the float64 distance on some rows while ours was within 1e-6 of it, for reasons not found.
    """
    a2, b2 = np.atleast_2d(a).astype(np.float64), np.atleast_2d(b).astype(np.float64)
    exact = -np.sqrt(((a2[:, None, :] - b2[None, :, :]) ** 2).sum(-1)).reshape(want.shape)
    sizes = (a2 * a2).sum(1)[:, None] + (b2 * b2).sum(1)[None, :] + 2 * np.abs(a2) @ np.abs(b2).T
    rounding = ((a2.shape[1] + 2) * np.finfo(np.float32).eps * sizes).reshape(want.shape)
    allowed = rounding / np.maximum(np.abs(exact), np.sqrt(rounding)) + 1e-6 * np.abs(exact)
    off = np.abs(got - exact) > allowed
    assert not off.any(), (f"{off.sum()} distances off the float64 ones by more than float32 rounding; "
                           f"worst {np.abs(got - exact).max():.3g}")
    reference_error = np.abs(want - exact).max()
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3,
                               err_msg=f"reference off the float64 distances by {reference_error:.3g}")


@pytest.mark.parametrize("function", ["cosine", "dot", "euclidean", "manhattan"])
def test_similarity(function, ours, reference, sample):
    model, ref = ours("st-root-nonorm"), reference("st-root-nonorm")
    model.similarity_fn_name = ref.similarity_fn_name = function
    big, few = model.encode(sample[:300]), model.encode(sample[300:340])
    tolerance = {"rtol": 1e-5, "atol": 1e-5}
    for a, b in ((big, few), (few[:10], few[10:17]), (big[0], few), (big[:40], big[1])):  # cdist: both forms
        got = model.similarity(a, b)
        assert isinstance(got, np.ndarray) and got.dtype == np.float32
        want = ref.similarity(a, b).numpy()
        if function == "euclidean":
            assert_euclidean_matches(got, want, a, b)
        else:
            np.testing.assert_allclose(got, want, **tolerance)
    np.testing.assert_allclose(model.similarity(list(few), list(big[:5])),
                               ref.similarity(list(few), list(big[:5])), **tolerance)
    # distinct rows only: the distance of a row to itself is rounding noise in torch's matmul form
    np.testing.assert_allclose(model.similarity(torch.from_numpy(few), big[:30].tolist()),
                               ref.similarity(torch.from_numpy(few), big[:30].tolist()), **tolerance)
    assert model.similarity(few.astype(np.float64), few.astype(np.float64)).dtype == np.float64
    assert model.similarity(few.astype(np.float16), few.astype(np.float16)).dtype == np.float32

    got = model.similarity_pairwise(big[:40], few)
    assert isinstance(got, np.ndarray) and got.shape == (40,) and got.dtype == np.float32
    np.testing.assert_allclose(got, ref.similarity_pairwise(big[:40], few).numpy(), **tolerance)
    np.testing.assert_allclose(model.similarity_pairwise(big[0], few[0]),
                               ref.similarity_pairwise(big[0], few[0]).numpy(), **tolerance)


def test_similarity_fn_name(model_fixtures, ours, reference):
    folder = str(model_fixtures["st-legacy-nonorm"])
    model = SentenceTransformer(folder)
    assert model._similarity_fn_name == "cosine"  # from the saved config
    assert SentenceTransformer(folder, similarity_fn_name="dot").similarity_fn_name == "dot"
    lazy = SentenceTransformer(str(model_fixtures["m2v-f32"]))  # no saved config: set on first read
    assert lazy._similarity_fn_name is None and lazy.similarity_fn_name == "cosine"
    model.similarity_fn_name = st.SimilarityFunction.MANHATTAN
    assert model.similarity_fn_name == "manhattan"

    class Other(enum.Enum):
        DOT = "dot"

    model.similarity_fn_name = Other.DOT
    assert model.similarity_fn_name == "dot"
    for bad in ("maxsim", "dot_product", "l2"):
        with pytest.raises(ValueError) as want:
            reference("st-root-norm").similarity_fn_name = bad
        with pytest.raises(ValueError) as got:
            model.similarity_fn_name = bad
        assert str(got.value) == str(want.value)
    with pytest.raises(ValueError, match="only supports similarity_fn_name"):
        SentenceTransformer(folder, similarity_fn_name="jaccard")


# ---------------------------------------------------- dimensions and attributes


@pytest.mark.parametrize("name", MODELS)
def test_dimension_getters(name, ours, reference):
    model, ref = ours(name), reference(name)
    assert model.get_embedding_dimension() == ref.get_embedding_dimension() == 256
    with pytest.warns(FutureWarning, match="renamed to `get_embedding_dimension`"):
        assert model.get_sentence_embedding_dimension() == 256


def test_attributes(ours, reference):
    model, ref = ours("st-root-norm"), reference("st-root-norm")
    assert model.max_seq_length == ref.max_seq_length == math.inf
    for target in (model, ref):
        with pytest.raises(AttributeError):
            target.max_seq_length = 128
    assert model.device == "cpu" and model.device.type == ref.device.type == "cpu"
    assert model.device.index is None
    assert model.prompts == ref.prompts and model.default_prompt_name == ref.default_prompt_name
    want_ids = ref.tokenizer.encode("hello world", add_special_tokens=False).ids
    assert model.tokenizer.encode_batch(["hello world"]) == [want_ids]
    features = model.preprocess(["hello world", "", "a b c"], prompt="x ")
    want = ref.preprocess(["hello world", "", "a b c"], prompt="x ")
    for key in ("input_ids", "offsets"):
        np.testing.assert_array_equal(features[key], want[key].numpy())
    assert model.get_model_kwargs() == ref.get_model_kwargs() == []
    assert model.get_backend() == "torch"


def test_devices_and_backends(model_fixtures, small):
    folder = str(model_fixtures["st-root-norm"])
    expected = SentenceTransformer(folder).encode(small[:10])
    with pytest.warns(UserWarning, match="computes with numpy on the CPU"):
        model = SentenceTransformer(folder, device="cuda")
    np.testing.assert_array_equal(model.encode(small[:10], device="cpu"), expected)
    np.testing.assert_array_equal(model.encode(small[:10], device=torch.device("cpu")), expected)
    with pytest.warns(UserWarning, match="'cuda:1' is ignored"):
        np.testing.assert_array_equal(model.encode(small[:10], device="cuda:1"), expected)
    with pytest.raises(ValueError, match="Expected a device"):
        model.encode(small[:1], device="gpu-please")
    for backend in ("onnx", "openvino"):
        assert SentenceTransformer(folder, backend=backend).get_backend() == backend
    with pytest.raises(ValueError, match="backend must be one of"):
        SentenceTransformer(folder, backend="tensorrt")
    with pytest.raises(ValueError, match="from torch `modules` is not supported"):
        SentenceTransformer(modules=[object()])
    with pytest.warns(FutureWarning, match="use_auth_token"):
        SentenceTransformer(folder, use_auth_token="x")
    with pytest.warns(DeprecationWarning, match="`tokenizer_kwargs` argument was renamed"):
        SentenceTransformer(folder, tokenizer_kwargs={})


def test_default_model_is_float32(reference, small):
    """The embedded default model has float16 weights: sentence-transformers computes (and returns) float16,
    we compute float32; the two agree to float16 precision, and empty texts give zeros instead of NaN."""
    from static_embed.encoder import DEFAULT_MODEL_DIR

    model = SentenceTransformer()
    got = model.encode(small)
    want = st.SentenceTransformer(str(DEFAULT_MODEL_DIR), device="cpu").encode(small)
    assert got.dtype == np.float32 and want.dtype == np.float16
    finite = np.isfinite(want).all(axis=1)
    assert finite.sum() >= len(small) - 20
    np.testing.assert_allclose(got[finite], want[finite].astype(np.float32), rtol=0, atol=2e-3)
    assert np.all(got[~finite] == 0)


def test_pickles_by_path(ours, small):
    model = ours("st-legacy-norm")
    model.prompts["custom"] = "custom: "
    payload = pickle.dumps(model)
    assert len(payload) < 4096  # the table is not pickled
    clone = pickle.loads(payload)
    assert clone.prompts == model.prompts and clone.similarity_fn_name == model.similarity_fn_name
    np.testing.assert_array_equal(clone.encode(small, prompt_name="custom"),
                                  model.encode(small, prompt_name="custom"))
    del model.prompts["custom"]


def test_hub_ids_resolve_from_local_cache(model_fixtures, tmp_path, small):
    source = model_fixtures["st-root-norm"]
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "models--sentence-transformers--tiny-static"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    (repo / "snapshots").mkdir()
    os.symlink(source, repo / "snapshots" / commit)
    expected = SentenceTransformer(str(source)).encode(small[:5])
    for name, revision in (("sentence-transformers/tiny-static", None), ("tiny-static", None),
                           ("tiny-static", commit)):
        found = SentenceTransformer(name, cache_folder=str(tmp_path), revision=revision)
        np.testing.assert_array_equal(found.encode(small[:5]), expected)
    with pytest.raises(FileNotFoundError, match="not in the cache"):
        SentenceTransformer("sentence-transformers/absent", cache_folder=str(tmp_path), local_files_only=True)
    with pytest.raises(FileNotFoundError, match="not found"):
        SentenceTransformer("a/b/c", cache_folder=str(tmp_path))
    with pytest.raises(NotADirectoryError):
        SentenceTransformer(str(source / "modules.json"))


# ------------------------------------------------------------- multi-process


def test_pool_matches_single_process(pool, ours, reference, sample):
    assert set(pool) == {"input", "output", "processes"} and len(pool["processes"]) == 2
    model, ref = ours("st-root-norm"), reference("st-root-norm")
    cases = ({}, {"precision": "int8"},
             {"chunk_size": 97, "truncate_dim": 100, "normalize_embeddings": True, "precision": "uint8"},
             {"prompt": "query: ", "precision": "binary"})
    for kwargs in cases:
        got = model.encode(sample, pool=pool, **kwargs)  # calibrated once over the call, in the parent
        floats = model.encode(sample, **{**kwargs, "precision": "float32"})
        assert_same(got, ref.encode(sample, **kwargs), kwargs.get("precision", "float32"), floats)
    dicts = model.encode(sample[:50], pool=pool, output_value=None, chunk_size=7)
    assert_same(np.stack([d["sentence_embedding"] for d in dicts]), ref.encode(sample[:50]))
    assert_same(model.encode(sample[0], pool=pool), ref.encode(sample[0]))
    empty = model.encode([], pool=pool)
    assert empty.shape == (0,) and empty.dtype == np.float64
    with pytest.raises(ValueError, match="chunk_size must be a positive integer, got 0."):
        model.encode(sample[:3], pool=pool, chunk_size=0)
    with pytest.raises(KeyError):  # a worker's error reaches the caller
        model.encode(sample[:3], pool=pool, output_value="token_embeddings")
    with pytest.warns(DeprecationWarning, match="`encode_multi_process` method has been deprecated"):
        got = model.encode_multi_process(sample, pool, precision="int8", chunk_size=500)
    assert_same(got, ref.encode(sample, precision="int8"), "int8", model.encode(sample))


def test_device_list_starts_a_temporary_pool(ours, reference, sample):
    model, ref = ours("m2v-f32"), reference("m2v-f32")
    got = model.encode(sample, device=["cpu", "cpu"], precision="int8", chunk_size=300)
    assert_same(got, ref.encode(sample, precision="int8"), "int8", model.encode(sample))


def test_stop_pool():
    model = SentenceTransformer()
    started = model.start_multi_process_pool(["cpu"])
    assert started["processes"][0].is_alive()
    np.testing.assert_array_equal(model.encode(["one", "two"], pool=started), model.encode(["one", "two"]))
    SentenceTransformer.stop_multi_process_pool(started)
    with pytest.raises(ValueError):
        started["processes"][0].is_alive()  # closed
    with pytest.raises(ValueError, match="at least one device"):
        model.start_multi_process_pool([])


def test_no_warnings_on_plain_use(ours, small):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours("st-root-norm").encode(small[:10])


NUMPY_ONLY = """
import sys
sys.modules["torch"] = None  # any import of torch now raises ImportError
import numpy as np
from static_embed.sentence_transformer import SentenceTransformer
model = SentenceTransformer()
vectors = model.encode(["a cat", "a dog", "stocks fell"], precision="int8")
assert vectors.dtype == np.int8 and vectors.shape == (3, 256)
rows = model.encode(["a cat", "a dog"], convert_to_numpy=False)
assert isinstance(rows, list) and all(isinstance(row, np.ndarray) for row in rows)
scores = model.similarity(model.encode(["a cat"]), model.encode(["a dog", "a cat"]))
assert isinstance(scores, np.ndarray) and scores.shape == (1, 2)
try:
    model.encode(["x"], convert_to_tensor=True)
except ImportError as error:
    assert "pip install torch" in str(error)
else:
    raise AssertionError("convert_to_tensor=True worked without torch")
print("ok")
"""


def test_works_without_torch():
    import static_embed.sentence_transformer as module

    assert "torch" not in module.__dict__
    done = subprocess.run([sys.executable, "-c", NUMPY_ONLY], check=False, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
