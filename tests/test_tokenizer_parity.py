"""Token ids equal the ``tokenizers`` package's, run live, on real text and edge cases."""

from __future__ import annotations

import hashlib
import os
import json
from pathlib import Path

import pytest

from conftest import DEFAULT_MODEL, assert_flat_path_matches
from static_embed import Tokenizer

tokenizers = pytest.importorskip("tokenizers")

pytestmark = pytest.mark.reference


def reference_ids(path: Path | str, texts: list[str], *, from_str: bool = False) -> list[list[int]]:
    ref = tokenizers.Tokenizer.from_str(path) if from_str else tokenizers.Tokenizer.from_file(str(path))
    ref.no_padding()
    return [encoding.ids for encoding in ref.encode_batch(texts, add_special_tokens=False)]


def wordpiece_files(model_fixtures: dict[str, Path]) -> dict[str, Path]:
    """Every distinct WordPiece tokenizer.json among the fixtures, by content."""
    candidates = {"default": DEFAULT_MODEL / "tokenizer.json"}
    for name, folder in model_fixtures.items():
        for path in sorted(folder.rglob("tokenizer.json")):
            candidates[f"{name}/{path.relative_to(folder)}"] = path
    seen: dict[str, str] = {}
    chosen = {}
    for name, path in candidates.items():
        data = path.read_bytes()
        if json.loads(data)["model"].get("type") != "WordPiece":
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest not in seen:
            seen[digest] = name
            chosen[name] = path
    return chosen


def test_every_wordpiece_fixture_matches(model_fixtures):
    import corpus

    texts = corpus.english_texts() + corpus.japanese_texts(limit=12000) + corpus.edge_cases()
    assert len(texts) >= 20000
    files = wordpiece_files(model_fixtures)
    assert len(files) >= 3, files  # distilled, pretty-printed by ST, upstream MiniLM (truncation 128)
    for name, path in files.items():
        expected = reference_ids(path, texts)
        ours = Tokenizer.from_file(path).encode_batch(texts)
        mismatches = [i for i, (a, b) in enumerate(zip(expected, ours)) if a != b]
        assert not mismatches, (
            f"{name}: {len(mismatches)} of {len(texts)} texts differ; first: "
            f"{texts[mismatches[0]][:80]!r} expected {expected[mismatches[0]][:12]} "
            f"got {ours[mismatches[0]][:12]}")
        assert_flat_path_matches(Tokenizer.from_file(path), texts, expected)


def test_single_encode_matches_batch(parity_texts):
    tokenizer = Tokenizer.from_file(DEFAULT_MODEL / "tokenizer.json")
    sample = parity_texts[::97]
    assert [tokenizer.encode(text) for text in sample] == tokenizer.encode_batch(sample)
    assert tokenizer.encode_batch(sample) == reference_ids(DEFAULT_MODEL / "tokenizer.json", sample)


def test_upstream_truncation_block_is_honoured(model_fixtures):
    path = model_fixtures["minilm-tokenizer"] / "tokenizer.json"
    long_text = " ".join(["tokenization"] * 300)
    ours = Tokenizer.from_file(path).encode(long_text)
    assert len(ours) == 128
    assert ours == reference_ids(path, [long_text])[0]


def _variant(**changes) -> str:
    spec = json.loads((DEFAULT_MODEL / "tokenizer.json").read_text(encoding="utf-8"))
    for key, value in changes.items():
        spec[key] = value
    return json.dumps(spec)


ADDED_TOKEN_TEXTS = [
    "hello [PAD] world", "hello[PAD]world", "HELLO [pad]", "[PAD][PAD]", " [PAD] ", "x <tag> y", "x<tag>y",
    "x  <tag>  y", "xx<tag>", "<tag>", "<tag><tag>", "a <TAG> b", "a <OTHER> b <Other>", "word:<tag>:word", "ab cd abcd", "abc",
    "Héllo wörld <Other>", "unbelievable", "un believable", "a\u3000<tag>\u3000b", "", "   ",
]


@pytest.mark.parametrize("flags", [
    {}, {"single_word": True}, {"lstrip": True}, {"rstrip": True}, {"lstrip": True, "rstrip": True},
    {"normalized": True}, {"normalized": True, "single_word": True}, {"single_word": True, "lstrip": True},
], ids=lambda flags: "-".join(flags) or "plain")
def test_added_token_options_match(flags):
    spec = json.loads((DEFAULT_MODEL / "tokenizer.json").read_text(encoding="utf-8"))
    base = {"single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": False}
    next_id = max(spec["model"]["vocab"].values()) + 1
    spec["added_tokens"] += [
        {**base, **flags, "id": next_id, "content": "<tag>"},
        {**base, **flags, "id": next_id + 1, "content": "<Other>"},
        {**base, **flags, "id": next_id + 2, "content": "abc"},
        {**base, **flags, "id": next_id + 3, "content": "ab"},
    ]
    text = json.dumps(spec)
    expected = reference_ids(text, ADDED_TOKEN_TEXTS, from_str=True)
    assert Tokenizer.from_str(text).encode_batch(ADDED_TOKEN_TEXTS) == expected
    assert_flat_path_matches(Tokenizer.from_str(text), ADDED_TOKEN_TEXTS, expected, batch=5)


@pytest.mark.parametrize("normalizer", [
    {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None,
     "lowercase": True},
    {"type": "BertNormalizer", "clean_text": False, "handle_chinese_chars": False, "strip_accents": False,
     "lowercase": False},
    {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": False, "strip_accents": True,
     "lowercase": False},
    {"type": "BertNormalizer", "clean_text": False, "handle_chinese_chars": True, "strip_accents": None,
     "lowercase": False},
    {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "Lowercase"}]},
    None,
], ids=["bert-default", "bert-off", "bert-strip-only", "bert-cjk-only", "nfd-lower", "none"])
def test_normalizer_variants_match(normalizer, parity_texts):
    text = _variant(normalizer=normalizer)
    sample = parity_texts[::7]
    expected = reference_ids(text, sample, from_str=True)
    assert Tokenizer.from_str(text).encode_batch(sample) == expected
    assert_flat_path_matches(Tokenizer.from_str(text), sample, expected)


@pytest.mark.parametrize("pre_tokenizer", [
    {"type": "WhitespaceSplit"},
    {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "BertPreTokenizer"}]},
], ids=["whitespace-split", "sequence"])
def test_pre_tokenizer_variants_match(pre_tokenizer, parity_texts):
    text = _variant(pre_tokenizer=pre_tokenizer)
    sample = parity_texts[::7]
    expected = reference_ids(text, sample, from_str=True)
    assert Tokenizer.from_str(text).encode_batch(sample) == expected
    assert_flat_path_matches(Tokenizer.from_str(text), sample, expected)


@pytest.mark.parametrize("truncation", [
    {"max_length": 5, "strategy": "LongestFirst", "stride": 0, "direction": "Right"},
    {"max_length": 5, "strategy": "LongestFirst", "stride": 0, "direction": "Left"},
    {"max_length": 0, "strategy": "LongestFirst", "stride": 0, "direction": "Right"},
], ids=["right", "left", "zero"])
def test_truncation_variants_match(truncation, parity_texts):
    text = _variant(truncation=truncation)
    sample = parity_texts[::51]
    expected = reference_ids(text, sample, from_str=True)
    assert Tokenizer.from_str(text).encode_batch(sample) == expected
    assert_flat_path_matches(Tokenizer.from_str(text), sample, expected, batch=64)


@pytest.mark.parametrize("word", ["a" * 100, "a" * 101, "ab" * 50, "x" * 100 + "!", "aé" * 60])
def test_wordpiece_word_length_limit(word):
    path = DEFAULT_MODEL / "tokenizer.json"
    assert Tokenizer.from_file(path).encode(word) == reference_ids(path, [word])[0]


HYPOTHESIS_EXAMPLES = int(os.environ.get("STATIC_EMBED_HYPOTHESIS_EXAMPLES", 500))


def _arbitrary_text():
    from hypothesis import strategies as st

    # no surrogates: those raise TypeError in both implementations (tested in test_encoder)
    alphabet = st.characters(blacklist_categories=("Cs",))
    return st.text(alphabet=alphabet, max_size=60) | st.text(
        alphabet=st.sampled_from("aé e\u0301\u0316 [PAD][UNK]東京한\t\n\x00\x85\u3000!?ＡｶﾞΣς👨\u200d👩"), max_size=40)


@pytest.mark.parametrize("which", ["default", "minilm"])
def test_arbitrary_unicode_matches(which, model_fixtures):
    hypothesis = pytest.importorskip("hypothesis")
    path = DEFAULT_MODEL / "tokenizer.json" if which == "default" else \
        model_fixtures["minilm-tokenizer"] / "tokenizer.json"
    ours = Tokenizer.from_file(path)
    ref = tokenizers.Tokenizer.from_file(str(path))
    ref.no_padding()

    @hypothesis.settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None)
    @hypothesis.given(_arbitrary_text())
    def check(text):
        assert ours.encode(text) == ref.encode(text, add_special_tokens=False).ids

    check()
