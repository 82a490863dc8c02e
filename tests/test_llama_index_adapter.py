"""LlamaIndex adapter (``integrations/llama_index``, distribution ``llama-index-embeddings-static-embed``).

- Parity with ``llama_index.embeddings.huggingface.HuggingFaceEmbedding`` run live on the torch
  pipeline (queries and texts, with and without instructions, normalize on and off), within 1e-6.
- End to end: ``VectorStoreIndex`` + ``MockLLM`` over one real corpus gives the same top-5 with
  either embedder; ``Settings.embed_model = StaticEmbedding(...)`` works.
- Bad input, async, serialization, and no torch / sentence_transformers behind the import.

The reference cannot load a static model as published: it copies the model's
``max_seq_length`` (``math.inf`` for ``StaticEmbedding``) into an integer field and fails
("Input should be a finite number"), and setting ``max_length`` instead assigns to a property
without a setter. The parity tests therefore build it while ``StaticEmbedding.max_seq_length``
reads 512 (a value static models never use); everything else runs unchanged.
"""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

INSTALL_HINT = "pip install -e ./integrations/llama_index"
pytest.importorskip("llama_index.core", reason=f"llama-index-core is not installed ({INSTALL_HINT})")
se = pytest.importorskip(
    "llama_index.embeddings.static_embed",
    reason=f"llama-index-embeddings-static-embed is not installed ({INSTALL_HINT})",
)
StaticEmbedding = se.StaticEmbedding

from llama_index.core import Document, Settings, VectorStoreIndex  # noqa: E402
from llama_index.core.base.embeddings.base import BaseEmbedding  # noqa: E402
from llama_index.core.llms import MockLLM  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO / "static_embed" / "default_model"
TOL = 1e-6


@pytest.fixture
def settings() -> Iterator[Any]:
    """``Settings`` with its embed model and LLM restored afterwards (they are process-global)."""
    saved = (Settings._embed_model, Settings._llm)
    try:
        yield Settings
    finally:
        Settings._embed_model, Settings._llm = saved


@pytest.fixture(scope="module")
def default_embedding() -> StaticEmbedding:
    return StaticEmbedding()


# ---------------------------------------------------------------------------------------
# Class contract
# ---------------------------------------------------------------------------------------


def test_contract_and_defaults(default_embedding: StaticEmbedding) -> None:
    e = default_embedding
    assert isinstance(e, BaseEmbedding)
    assert StaticEmbedding.class_name() == "StaticEmbedding"
    assert e.normalize is True
    assert e.embed_batch_size == 10
    assert e.query_instruction is None and e.text_instruction is None
    assert e.show_progress_bar is False
    assert e.cache_folder is None  # as given; the model lookup still uses LlamaIndex's cache dir
    assert e.max_length is None  # static models pool every token: no sequence limit
    assert e.model_name == str(DEFAULT_MODEL)
    d = e.to_dict()
    assert d["class_name"] == "StaticEmbedding" and d["model_name"] == str(DEFAULT_MODEL)
    assert d["normalize"] is True and d["embed_batch_size"] == 10


def test_to_dict_from_dict_round_trip() -> None:
    e = StaticEmbedding(model_name=str(DEFAULT_MODEL), query_instruction="q: ", normalize=False,
                        embed_batch_size=7)
    again = StaticEmbedding.from_dict(e.to_dict())
    assert again.to_dict() == e.to_dict()
    assert again.get_query_embedding("cats") == e.get_query_embedding("cats")


def test_parameter_names_mirror_huggingface_embedding() -> None:
    import inspect

    hf = pytest.importorskip("llama_index.embeddings.huggingface", reason="the reference is not installed")
    ours = inspect.signature(StaticEmbedding.__init__).parameters
    ref = inspect.signature(hf.HuggingFaceEmbedding.__init__).parameters
    assert set(ref) <= set(ours)
    for name in ("normalize", "embed_batch_size", "query_instruction", "text_instruction", "parallel_process",
                 "target_devices", "show_progress_bar", "cache_folder", "max_length", "trust_remote_code"):
        assert ours[name].default == ref[name].default, name


def test_model_name_forms(default_embedding: StaticEmbedding) -> None:
    by_str = StaticEmbedding(model_name=str(DEFAULT_MODEL))
    by_path = StaticEmbedding(model_name=DEFAULT_MODEL)
    text = "a cat sat on the mat"
    want = default_embedding.get_text_embedding(text)
    assert by_str.get_text_embedding(text) == by_path.get_text_embedding(text) == want
    assert all(type(v) is float for v in want)
    assert math.isclose(float(np.linalg.norm(want)), 1.0, rel_tol=1e-6)


def test_batch_equals_single_and_query_vs_text(default_embedding: StaticEmbedding) -> None:
    texts = [f"sentence number {i} about static embeddings" for i in range(23)] + ["", "x\ny"]
    batch = default_embedding.get_text_embedding_batch(texts)
    assert len(batch) == len(texts)
    assert batch == [default_embedding.get_text_embedding(t) for t in texts]
    # Without instructions, a query and a text embed identically.
    assert default_embedding.get_query_embedding(texts[3]) == batch[3]
    instructed = StaticEmbedding(query_instruction="query: ", text_instruction="passage: ")
    assert instructed.get_query_embedding("cats") == default_embedding.get_text_embedding("query: cats")
    assert instructed.get_text_embedding("cats") == default_embedding.get_text_embedding("passage: cats")


def test_normalize_off_and_model_kwargs(default_embedding: StaticEmbedding) -> None:
    raw = StaticEmbedding(normalize=False).get_text_embedding("static embeddings")
    unit = default_embedding.get_text_embedding("static embeddings")
    np.testing.assert_allclose(np.asarray(raw) / np.linalg.norm(raw), unit, rtol=0, atol=TOL)
    short = StaticEmbedding(truncate_dim=32).get_text_embedding("static embeddings")
    assert len(short) == 32 and math.isclose(float(np.linalg.norm(short)), 1.0, rel_tol=1e-6)


def test_max_length_is_ignored_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="max_length"):
        e = StaticEmbedding(max_length=128)
    assert e.max_length == 128
    assert len(e.get_text_embedding("word " * 1000)) > 0


def test_deprecated_arguments_raise_like_the_reference() -> None:
    with pytest.raises(ValueError, match="pooling is deprecated"):
        StaticEmbedding(pooling="mean")


def test_parallel_process_matches_single_process(default_embedding: StaticEmbedding) -> None:
    # One pool per encode call, as in the reference: a single batch (embed_batch_size >= len(texts))
    # keeps it short.
    texts = ["alpha beta", "gamma delta", "", "epsilon " * 40] * 6
    parallel = StaticEmbedding(parallel_process=True, target_devices=["cpu", "cpu"], embed_batch_size=32)
    assert parallel.get_text_embedding_batch(texts) == default_embedding.get_text_embedding_batch(texts)


def test_async_equals_sync(default_embedding: StaticEmbedding) -> None:
    e = default_embedding
    texts = ["one", "two three", "", "four"] * 4

    async def run() -> tuple[Any, ...]:
        return (
            await e.aget_query_embedding("five"),
            await e.aget_text_embedding("six"),
            await e.aget_text_embedding_batch(texts),
            await e.aget_text_embedding_batch([]),
        )

    q, t, batch, empty = asyncio.run(run())
    assert q == e.get_query_embedding("five")
    assert t == e.get_text_embedding("six")
    assert batch == e.get_text_embedding_batch(texts)
    assert empty == []


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------


def test_empty_list(default_embedding: StaticEmbedding) -> None:
    assert default_embedding.get_text_embedding_batch([]) == []
    assert default_embedding._get_text_embeddings([]) == []


@pytest.mark.parametrize("text", ["", " ", "\n\t "])
def test_empty_query_is_the_zero_vector_never_nan(default_embedding: StaticEmbedding, text: str) -> None:
    for e in (default_embedding, StaticEmbedding(normalize=False)):
        for vec in (e.get_query_embedding(text), e.get_text_embedding(text)):
            assert len(vec) > 0 and all(v == 0.0 for v in vec)


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (["ok", None], r"texts\[1\] must be str, got NoneType"),
        # position in the caller's list, not in an embed_batch_size chunk
        (["ok"] * 13 + [7], r"texts\[13\] must be str, got int"),
        ([b"bytes"], r"texts\[0\] must be str, got bytes"),
        ("a bare string", r"list of str"),
        (None, r"list of str"),
    ],
)
def test_non_str_texts_raise_type_error(default_embedding: StaticEmbedding, texts: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        default_embedding.get_text_embedding_batch(texts)
    with pytest.raises(TypeError, match=message):
        asyncio.run(default_embedding.aget_text_embedding_batch(texts))


@pytest.mark.parametrize("value", [None, 3, b"x", ["a list"]])
def test_non_str_query_and_text_raise_type_error(default_embedding: StaticEmbedding, value: Any) -> None:
    with pytest.raises(TypeError, match="query must be str"):
        default_embedding.get_query_embedding(value)
    with pytest.raises(TypeError, match="text must be str"):
        default_embedding.get_text_embedding(value)
    with pytest.raises(TypeError, match="query must be str"):
        asyncio.run(default_embedding.aget_query_embedding(value))


# ---------------------------------------------------------------------------------------
# Parity with HuggingFaceEmbedding (torch pipeline, live)
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hf_embedding() -> Any:
    """A factory for the reference, built while StaticEmbedding.max_seq_length reads 512 (see module doc)."""
    hf = pytest.importorskip("llama_index.embeddings.huggingface", reason="the reference is not installed")
    from sentence_transformers.sentence_transformer.modules.static_embedding import (
        StaticEmbedding as STStatic,
    )

    def build(**kwargs: Any) -> Any:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(STStatic, "max_seq_length", property(lambda self: 512))
            return hf.HuggingFaceEmbedding(device="cpu", **kwargs)

    return build


PARITY_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "norm-default": ("st-root-norm", {}),
    "nonorm-default": ("st-root-nonorm", {}),
    "nonorm-no-normalize": ("st-root-nonorm", {"normalize": False, "embed_batch_size": 64}),
    "norm-instructions": (
        "st-root-norm",
        {"query_instruction": "Represent this question for retrieval: ", "text_instruction": "passage: "},
    ),
    "legacy-nonorm-truncate": ("st-legacy-nonorm", {"truncate_dim": 48, "query_instruction": "q: "}),
}


@pytest.mark.reference
@pytest.mark.parametrize("case", sorted(PARITY_CASES))
def test_parity_with_huggingface_embedding(
    case: str, hf_embedding: Any, model_fixtures: dict[str, Path], parity_texts: list[str]
) -> None:
    fixture, kwargs = PARITY_CASES[case]
    folder = str(model_fixtures[fixture])
    ours = StaticEmbedding(model_name=folder, **kwargs)
    ref = hf_embedding(model_name=folder, **kwargs)

    texts = parity_texts[::8] + parity_texts[-130:]  # every 8th real text, and all the edge cases
    got = np.asarray(ours.get_text_embedding_batch(texts))
    want = np.asarray(ref.get_text_embedding_batch(texts))
    assert got.shape == want.shape == (len(texts), want.shape[1])
    assert not np.isnan(got).any()
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL)

    queries = parity_texts[::60] + ["", " ", "\n", "Hello, World!"]
    got_q = np.asarray([ours.get_query_embedding(q) for q in queries])
    want_q = np.asarray([ref.get_query_embedding(q) for q in queries])
    assert not np.isnan(got_q).any()
    np.testing.assert_allclose(got_q, want_q, rtol=0, atol=TOL)

    one = parity_texts[5]
    np.testing.assert_allclose(ours.get_text_embedding(one), ref.get_text_embedding(one), rtol=0, atol=TOL)


# ---------------------------------------------------------------------------------------
# End to end: VectorStoreIndex with a mock LLM
# ---------------------------------------------------------------------------------------


def _retrieval_task(n_docs: int = 1000, n_queries: int = 200) -> tuple[list[str], list[str]]:
    """Real English docstring sentences cut in two: the first half is the query, the second the document."""
    import corpus

    docs: list[str] = []
    queries: list[str] = []
    seen: set[str] = set()
    for text in corpus.english_texts(limit=4000):
        words = text.split()
        if len(words) < 12:
            continue
        half = len(words) // 2
        doc = " ".join(words[half:])
        if doc in seen:
            continue
        seen.add(doc)
        docs.append(doc)
        queries.append(" ".join(words[:half]))
        if len(docs) >= n_docs:
            break
    return docs, queries[:n_queries]


def _top5(index: VectorStoreIndex, queries: list[str]) -> list[list[tuple[str, float]]]:
    retriever = index.as_retriever(similarity_top_k=5)
    return [[(n.node.ref_doc_id, float(n.score)) for n in retriever.retrieve(q)] for q in queries]


def _same_ranking(ours: list[tuple[str, float]], ref: list[tuple[str, float]], tol: float = 1e-5) -> bool:
    """Identical ids, or differences only between documents whose scores tie within ``tol``."""
    if [i for i, _ in ours] == [i for i, _ in ref]:
        return True
    return all(a == b or abs(sa - sb) <= tol for (a, sa), (b, sb) in zip(ours, ref, strict=True))


@pytest.mark.reference
def test_vector_store_index_same_top5(
    settings: Any, hf_embedding: Any, model_fixtures: dict[str, Path]
) -> None:
    docs, queries = _retrieval_task()
    assert len(docs) >= 1000 and len(queries) >= 200
    folder = str(model_fixtures["st-root-norm"])
    settings.llm = MockLLM()

    results = {}
    embedders = (("ours", StaticEmbedding(model_name=folder)), ("ref", hf_embedding(model_name=folder)))
    for name, embed_model in embedders:
        settings.embed_model = embed_model
        index = VectorStoreIndex.from_documents([Document(text=t, id_=f"doc{i}") for i, t in enumerate(docs)])
        results[name] = _top5(index, queries)

    assert all(len(top) == 5 for top in results["ours"])
    ours, ref = results["ours"], results["ref"]
    mismatched = [q for q, a, b in zip(queries, ours, ref, strict=True) if not _same_ranking(a, b)]
    assert not mismatched, f"{len(mismatched)}/{len(queries)} queries rank differently, e.g. {mismatched[:3]}"
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], rtol=0, atol=1e-5)

    # The task is meaningful: the other half of the sentence is in the top 5 far more often than chance.
    hits = sum(f"doc{i}" in [d for d, _ in top] for i, top in enumerate(results["ours"]))
    assert hits / len(queries) > 20 * 5 / len(docs), hits


def test_settings_embed_model_and_query_engine(settings: Any) -> None:
    embed_model = StaticEmbedding()
    settings.embed_model = embed_model
    settings.llm = MockLLM()
    assert settings.embed_model is embed_model
    docs = [
        Document(text="Static embeddings look up one vector per token and average them.", id_="static"),
        Document(text="The cat sat on the warm mat in the afternoon sun.", id_="cat"),
        Document(text="Interest rates were raised by the central bank this quarter.", id_="bank"),
    ]
    index = VectorStoreIndex.from_documents(docs)
    top = index.as_retriever(similarity_top_k=1).retrieve("Where did the cat sit?")
    assert top[0].node.ref_doc_id == "cat"
    nodes = asyncio.run(index.as_retriever(similarity_top_k=1).aretrieve("token vectors averaged"))
    assert nodes[0].node.ref_doc_id == "static"
    response = index.as_query_engine(similarity_top_k=1).query("central bank interest rates")
    assert response.source_nodes[0].node.ref_doc_id == "bank"


# ---------------------------------------------------------------------------------------
# Packaging: implicit namespace, no torch / sentence_transformers behind the import
# ---------------------------------------------------------------------------------------


def test_namespace_packaging() -> None:
    import llama_index
    import llama_index.embeddings

    # llama_index and llama_index.embeddings are implicit namespace packages (no __init__.py).
    assert getattr(llama_index, "__file__", None) is None
    assert getattr(llama_index.embeddings, "__file__", None) is None
    root = Path(se.__file__).resolve().parent
    assert root.name == "static_embed" and not (root.parent / "__init__.py").exists()
    assert not (root.parent.parent / "__init__.py").exists()
    assert (root / "py.typed").exists()


def test_import_pulls_in_no_torch() -> None:
    code = textwrap.dedent(
        """
        import sys
        import llama_index.embeddings.static_embed as se
        heavy = ("torch", "sentence_transformers", "transformers")
        print("import:", sorted({m.split(".")[0] for m in sys.modules} & set(heavy)))
        se.StaticEmbedding().get_text_embedding_batch(["a cat sat", "a dog sat"])
        print("use:", sorted({m.split(".")[0] for m in sys.modules} & set(heavy)))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         check=True)
    lines = out.stdout.strip().splitlines()[-2:]
    assert lines == ["import: []", "use: []"], out.stdout + out.stderr
