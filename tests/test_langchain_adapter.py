"""LangChain adapter (``integrations/langchain``, distribution ``langchain-static-embed``).

- LangChain's standard suites (``EmbeddingsUnitTests``, ``EmbeddingsIntegrationTests``), offline.
- Parity with ``langchain_huggingface.HuggingFaceEmbeddings`` run live on the torch pipeline:
  within 1e-6 for documents and queries, default and non-default ``encode_kwargs`` /
  ``query_encode_kwargs`` / ``model_kwargs``.
- End to end: one real corpus indexed in ``InMemoryVectorStore`` with each embedder gives the
  same top-5 documents for every real query.
- Bad input, and no torch / sentence_transformers behind ``import langchain_static_embed``.
"""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

INSTALL_HINT = "pip install -e ./integrations/langchain"
pytest.importorskip("langchain_core", reason=f"langchain-core is not installed ({INSTALL_HINT})")
lc = pytest.importorskip(
    "langchain_static_embed", reason=f"langchain-static-embed is not installed ({INSTALL_HINT})"
)
StaticEmbeddings = lc.StaticEmbeddings

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO / "static_embed" / "default_model"
TOL = 1e-6

# The standard suites need langchain-tests (and its pytest-asyncio); the rest of the file does not.
try:
    from langchain_tests.integration_tests import EmbeddingsIntegrationTests
    from langchain_tests.unit_tests import EmbeddingsUnitTests
except ImportError:  # pragma: no cover - depends on the environment
    EmbeddingsIntegrationTests = EmbeddingsUnitTests = None  # type: ignore[assignment,misc]


# ---------------------------------------------------------------------------------------
# LangChain's standard suites (offline: the unit suite builds the embedded default model,
# the integration suite names its folder explicitly through the ``model`` alias)
# ---------------------------------------------------------------------------------------

if EmbeddingsUnitTests is not None:

    class TestStaticEmbeddingsStandardUnit(EmbeddingsUnitTests):
        @property
        def embeddings_class(self) -> type[StaticEmbeddings]:
            return StaticEmbeddings

        @property
        def embedding_model_params(self) -> dict[str, Any]:
            return {}

    class TestStaticEmbeddingsStandardIntegration(EmbeddingsIntegrationTests):
        # The repository runs pytest-asyncio in strict mode; its two async standard tests
        # need the mark (the sync ones only get a warning about it, silenced here).
        pytestmark: ClassVar[list[pytest.MarkDecorator]] = [
            pytest.mark.asyncio,
            pytest.mark.filterwarnings("ignore:The test <Function .*> is marked with '@pytest.mark.asyncio'"),
        ]

        @property
        def embeddings_class(self) -> type[StaticEmbeddings]:
            return StaticEmbeddings

        @property
        def embedding_model_params(self) -> dict[str, Any]:
            return {"model": str(DEFAULT_MODEL), "encode_kwargs": {"normalize_embeddings": True}}

else:

    def test_langchain_standard_suites() -> None:
        pytest.skip("langchain-tests is not installed (pip install langchain-tests)")


# ---------------------------------------------------------------------------------------
# Construction and fields
# ---------------------------------------------------------------------------------------


def test_construction_aliases_and_default() -> None:
    a = StaticEmbeddings(model=str(DEFAULT_MODEL))
    b = StaticEmbeddings(model_name=str(DEFAULT_MODEL))
    c = StaticEmbeddings(model=DEFAULT_MODEL)  # os.PathLike is accepted too
    d = StaticEmbeddings()  # the embedded default
    assert a.model_name == b.model_name == c.model_name == str(DEFAULT_MODEL)
    assert d.model_name is None
    texts = ["a cat sat on the mat", "static embeddings are fast"]
    ref = a.embed_documents(texts)
    assert b.embed_documents(texts) == ref
    assert c.embed_documents(texts) == ref
    assert len(d.embed_query(texts[0])) == len(ref[0])


def test_fields_mirror_huggingface_embeddings() -> None:
    e = StaticEmbeddings()
    assert e.cache_folder is None
    assert e.model_kwargs == {} and e.encode_kwargs == {} and e.query_encode_kwargs == {}
    assert e.multi_process is False and e.show_progress is False
    assert StaticEmbeddings.model_config["extra"] == "forbid"
    assert StaticEmbeddings.model_fields["model_name"].alias == "model"
    hf = pytest.importorskip("langchain_huggingface", reason="langchain-huggingface is not installed")
    assert set(hf.HuggingFaceEmbeddings.model_fields) == set(StaticEmbeddings.model_fields)


def test_extra_fields_forbidden() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="normalize"):
        StaticEmbeddings(normalize=True)


def test_unknown_encode_kwarg_raises() -> None:
    e = StaticEmbeddings(encode_kwargs={"no_such_option": 1})
    with pytest.raises((TypeError, ValueError), match="no_such_option"):
        e.embed_documents(["x"])


def test_returns_python_floats_and_newlines_become_spaces() -> None:
    e = StaticEmbeddings()
    docs = e.embed_documents(["first line\nsecond line", "x"])
    assert all(type(v) is float for row in docs for v in row)
    assert docs[0] == e.embed_documents(["first line second line"])[0]
    q = e.embed_query("first line\nsecond line")
    assert all(type(v) is float for v in q)
    assert q == docs[0]


def test_query_kwargs_replace_encode_kwargs() -> None:
    """Queries use ``query_encode_kwargs`` when non-empty (replacing, not merging), else ``encode_kwargs``."""
    text = "the quick brown fox"
    plain = StaticEmbeddings(model=str(DEFAULT_MODEL), model_kwargs={"truncate_dim": 48})
    truncated = StaticEmbeddings(model=str(DEFAULT_MODEL), encode_kwargs={"truncate_dim": 32})
    assert len(truncated.embed_query(text)) == 32
    assert truncated.embed_query(text) == truncated.embed_documents([text])[0]
    prompted = StaticEmbeddings(
        model=str(DEFAULT_MODEL),
        encode_kwargs={"truncate_dim": 32},
        query_encode_kwargs={"prompt": "search query: ", "truncate_dim": 48},
    )
    assert prompted.embed_query(text) == plain.embed_documents(["search query: " + text])[0]
    assert prompted.embed_documents([text]) == truncated.embed_documents([text])
    only_prompt = StaticEmbeddings(
        model=str(DEFAULT_MODEL), encode_kwargs={"truncate_dim": 32}, query_encode_kwargs={"prompt": "q: "}
    )
    assert len(only_prompt.embed_query(text)) == len(StaticEmbeddings().embed_query(text))  # no merge


def test_multi_process_matches_single_process() -> None:
    # One pool per call, as in the reference (4 spawned CPU workers): one call keeps the test short.
    texts = ["alpha beta", "gamma\ndelta", "", "epsilon " * 50] * 5
    single = StaticEmbeddings(encode_kwargs={"normalize_embeddings": True})
    multi = StaticEmbeddings(encode_kwargs={"normalize_embeddings": True}, multi_process=True)
    assert multi.embed_documents(texts) == single.embed_documents(texts)


def test_async_equals_sync() -> None:
    e = StaticEmbeddings()
    texts = ["one", "two\nthree", ""]
    assert asyncio.run(e.aembed_documents(texts)) == e.embed_documents(texts)
    assert asyncio.run(e.aembed_query("four")) == e.embed_query("four")
    assert asyncio.run(e.aembed_documents([])) == []


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------


def test_empty_list() -> None:
    assert StaticEmbeddings().embed_documents([]) == []


@pytest.mark.parametrize("text", ["", " ", "\n", "\t \n "])
def test_empty_query_is_the_zero_vector_never_nan(text: str) -> None:
    for kwargs in ({}, {"encode_kwargs": {"normalize_embeddings": True}}):
        e = StaticEmbeddings(**kwargs)
        q = e.embed_query(text)
        assert len(q) > 0 and all(v == 0.0 for v in q)
        assert not any(math.isnan(v) for v in e.embed_documents([text, "x"])[0])


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (["ok", None], r"texts\[1\] must be str, got NoneType"),
        (["ok", "fine", 3], r"texts\[2\] must be str, got int"),
        ([b"bytes"], r"texts\[0\] must be str, got bytes"),
        ("a bare string", r"list of str"),
        (None, r"list of str"),
        (42, r"list of str"),
    ],
)
def test_non_str_documents_raise_type_error(texts: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        StaticEmbeddings().embed_documents(texts)
    with pytest.raises(TypeError, match=message):
        asyncio.run(StaticEmbeddings().aembed_documents(texts))


@pytest.mark.parametrize("query", [None, 3, b"x", ["a list"]])
def test_non_str_query_raises_type_error(query: Any) -> None:
    with pytest.raises(TypeError, match="text must be str"):
        StaticEmbeddings().embed_query(query)


# ---------------------------------------------------------------------------------------
# Parity with langchain_huggingface.HuggingFaceEmbeddings (torch pipeline, live)
# ---------------------------------------------------------------------------------------

PARITY_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "norm-default": ("st-root-norm", {}),
    "nonorm-default": ("st-root-nonorm", {}),
    "nonorm-normalize": (
        "st-root-nonorm",
        {"encode_kwargs": {"normalize_embeddings": True, "batch_size": 7}},
    ),
    "nonorm-query-kwargs": (
        "st-root-nonorm",
        {
            "encode_kwargs": {"normalize_embeddings": False},
            "query_encode_kwargs": {"normalize_embeddings": True, "prompt": "query: "},
        },
    ),
    "norm-prompts": (
        "st-root-norm",
        {
            "model_kwargs": {
                "device": "cpu",
                "prompts": {"query": "search query: ", "document": "search document: "},
            },
            "encode_kwargs": {"prompt_name": "document"},
            "query_encode_kwargs": {"prompt_name": "query"},
        },
    ),
    "nonorm-truncate": (
        "st-root-nonorm",
        {
            "model_kwargs": {"truncate_dim": 64},
            "encode_kwargs": {"normalize_embeddings": True},
            "query_encode_kwargs": {"truncate_dim": 32},
        },
    ),
    "legacy-nonorm-binary": (
        "st-legacy-nonorm",
        {"encode_kwargs": {"precision": "binary"}, "query_encode_kwargs": {"normalize_embeddings": True}},
    ),
}


@pytest.fixture(scope="module")
def hf_embeddings_cls() -> Any:
    hf = pytest.importorskip("langchain_huggingface", reason="langchain-huggingface is not installed")
    pytest.importorskip("sentence_transformers", reason="sentence-transformers is not installed")
    return hf.HuggingFaceEmbeddings


@pytest.fixture(scope="module")
def query_texts(parity_texts: list[str]) -> list[str]:
    """Every 60th parity text plus the whitespace cases: one ``embed_query`` call each."""
    return parity_texts[::60] + ["", " ", "\n", "a\nb", "Hello, World!"]


@pytest.mark.reference
@pytest.mark.parametrize("case", sorted(PARITY_CASES))
def test_parity_with_huggingface_embeddings(
    case: str, hf_embeddings_cls: Any, model_fixtures: dict[str, Path], parity_texts: list[str],
    query_texts: list[str],
) -> None:
    fixture, kwargs = PARITY_CASES[case]
    folder = str(model_fixtures[fixture])
    ours = StaticEmbeddings(model=folder, **kwargs)
    ref = hf_embeddings_cls(model_name=folder, **kwargs)

    # All 12,000+ texts for the first case; every 8th for the others (the torch side dominates the time).
    texts = parity_texts if case == "norm-default" else parity_texts[::8] + parity_texts[-130:]
    got = ours.embed_documents(texts)
    want = ref.embed_documents(texts)
    assert len(got) == len(want) == len(texts)
    float_type = float if kwargs.get("encode_kwargs", {}).get("precision", "float32") == "float32" else int
    assert all(type(v) is float_type for v in got[0])
    got_a, want_a = np.asarray(got), np.asarray(want)
    assert got_a.shape == want_a.shape
    assert not np.isnan(got_a).any()
    np.testing.assert_allclose(got_a, want_a, rtol=0, atol=TOL)

    got_q = np.asarray([ours.embed_query(q) for q in query_texts])
    want_q = np.asarray([ref.embed_query(q) for q in query_texts])
    assert got_q.shape == want_q.shape
    assert not np.isnan(got_q).any()
    np.testing.assert_allclose(got_q, want_q, rtol=0, atol=TOL)

    assert ours.embed_documents([]) == ref.embed_documents([]) == []


# ---------------------------------------------------------------------------------------
# End to end: InMemoryVectorStore, same top-5 with either embedder
# ---------------------------------------------------------------------------------------


def _retrieval_task(n_docs: int = 1000, n_queries: int = 200) -> tuple[list[str], list[str], list[int]]:
    """English gettext msgids as queries, their Japanese msgstr translations as documents."""
    import corpus

    docs: list[str] = []
    queries: list[str] = []
    answers: list[int] = []
    seen_docs: dict[str, int] = {}
    seen_queries: set[str] = set()
    for english, japanese in corpus.japanese_pairs():
        if len(english) < 20 or len(japanese) < 8 or japanese in seen_docs or english in seen_queries:
            continue
        seen_docs[japanese] = len(docs)
        seen_queries.add(english)
        docs.append(japanese)
        if len(queries) < n_queries:
            queries.append(english)
            answers.append(len(docs) - 1)
        if len(docs) >= n_docs:
            break
    return docs, queries, answers


def _same_ranking(ours: list[tuple[str, float]], ref: list[tuple[str, float]], tol: float = 1e-5) -> bool:
    """Identical ids, or differences only between documents whose scores tie within ``tol``."""
    if [i for i, _ in ours] == [i for i, _ in ref]:
        return True
    ref_scores = dict(ref)
    for (got_id, got_score), (want_id, want_score) in zip(ours, ref, strict=True):
        if got_id != want_id and abs(got_score - want_score) > tol:
            return False
        if got_id in ref_scores and abs(ref_scores[got_id] - got_score) > tol:
            return False
    return True


@pytest.mark.reference
def test_in_memory_vector_store_same_top5(hf_embeddings_cls: Any, model_fixtures: dict[str, Path]) -> None:
    from langchain_core.vectorstores import InMemoryVectorStore

    docs, queries, answers = _retrieval_task()
    assert len(docs) >= 1000 and len(queries) >= 200
    folder = str(model_fixtures["st-root-norm"])
    ids = [f"doc{i}" for i in range(len(docs))]

    results: dict[str, list[list[tuple[str, float]]]] = {}
    for name, embedder in (
        ("ours", StaticEmbeddings(model=folder)),
        ("ref", hf_embeddings_cls(model_name=folder)),
    ):
        store = InMemoryVectorStore(embedding=embedder)
        assert store.add_texts(docs, ids=ids) == ids
        results[name] = [
            [(doc.id, score) for doc, score in store.similarity_search_with_score(q, k=5)] for q in queries
        ]

    ours, ref = results["ours"], results["ref"]
    mismatched = [q for q, a, b in zip(queries, ours, ref, strict=True) if not _same_ranking(a, b)]
    assert not mismatched, f"{len(mismatched)}/{len(queries)} queries rank differently, e.g. {mismatched[:3]}"
    exact = sum([i for i, _ in a] == [i for i, _ in b] for a, b in zip(ours, ref, strict=True))
    assert exact >= len(queries) - 2

    # The task is meaningful: the translation is in the top 5 far more often than chance (5/1000).
    hits = sum(f"doc{answer}" in [i for i, _ in top] for answer, top in zip(answers, ours, strict=True))
    assert hits / len(queries) > 20 * 5 / len(docs), hits

    # Retriever path (sync and async) on the same store.
    store = InMemoryVectorStore(embedding=StaticEmbeddings(model=folder))
    store.add_texts(docs[:50], ids=ids[:50])
    retriever = store.as_retriever(search_kwargs={"k": 3})
    top = retriever.invoke(queries[0])
    assert len(top) == 3 and [d.id for d in asyncio.run(retriever.ainvoke(queries[0]))] == [d.id for d in top]


# ---------------------------------------------------------------------------------------
# No torch / sentence_transformers behind the import
# ---------------------------------------------------------------------------------------


def test_import_pulls_in_no_torch() -> None:
    code = textwrap.dedent(
        """
        import sys
        import langchain_static_embed
        heavy = ("torch", "sentence_transformers", "transformers", "tokenizers", "static_embed")
        print("import:", sorted({m.split(".")[0] for m in sys.modules} & set(heavy)))
        langchain_static_embed.StaticEmbeddings().embed_documents(["a cat sat", "a dog sat"])
        print("use:", sorted({m.split(".")[0] for m in sys.modules} & set(heavy[:3])))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         check=True)
    lines = out.stdout.strip().splitlines()
    assert lines == ["import: []", "use: []"], out.stdout + out.stderr
