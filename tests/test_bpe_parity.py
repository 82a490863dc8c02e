"""BPE, WordLevel, ByteLevel and the splitting pre-tokenizers give the ``tokenizers`` package's ids.

Every comparison runs the reference live: ``tokenizers.Tokenizer.from_file(p)`` (padding off,
``add_special_tokens=False``) against ``static_embed.Tokenizer.from_file(p)``. Fixtures are built
by ``tools/build_bpe_fixtures.py`` into ``.fixtures/tokenizers`` (GPT-2 from the openai-whisper
sdist found in ``$STATIC_EMBED_DOWNLOADS``, default ``.fixtures/downloads``; small models trained
on the project's real text). ``tiktoken`` is a second, independent reference for GPT-2.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import tarfile
import time
from functools import cache, lru_cache
from pathlib import Path

import corpus
import pytest
from conftest import REPO

from static_embed import Tokenizer
from static_embed.errors import TokenizerConfigError, UnsupportedFeatureError

tokenizers = pytest.importorskip("tokenizers")

pytestmark = pytest.mark.reference

HYPOTHESIS_EXAMPLES = int(os.environ.get("STATIC_EMBED_HYPOTHESIS_EXAMPLES", 500))  # noqa: PLW1508
FIXTURE_DIR = REPO / ".fixtures" / "tokenizers"
DOWNLOADS = Path(os.environ.get("STATIC_EMBED_DOWNLOADS") or REPO / ".fixtures" / "downloads")
GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"


# ---------------------------------------------------------------------------
# fixtures and helpers
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def bpe_fixtures() -> dict[str, Path]:
    pytest.importorskip("transformers")
    pytest.importorskip("tiktoken")
    from build_bpe_fixtures import WHISPER_SDIST, build_bpe_fixtures

    if not (DOWNLOADS / WHISPER_SDIST).is_file():
        pytest.skip(f"{DOWNLOADS / WHISPER_SDIST} missing (set STATIC_EMBED_DOWNLOADS)")
    return build_bpe_fixtures(FIXTURE_DIR, DOWNLOADS)


@pytest.fixture(scope="session")
def gpt2_texts() -> list[str]:
    english = corpus.english_texts(limit=10_000)
    japanese = corpus.japanese_texts(limit=10_000)
    assert len(english) >= 10_000 and len(japanese) >= 10_000, (len(english), len(japanese))
    return english + japanese + corpus.edge_cases()


@pytest.fixture(scope="session")
def sample_texts() -> list[str]:
    return corpus.english_texts(limit=1500) + corpus.japanese_texts(limit=1500) + corpus.edge_cases()


@pytest.fixture(scope="session")
def small_texts() -> list[str]:
    return corpus.english_texts(limit=150) + corpus.japanese_texts(limit=150) + corpus.edge_cases()[:-1] + CRAFTED


@pytest.fixture(scope="session")
def tiny_texts() -> list[str]:
    return corpus.english_texts(limit=25) + corpus.japanese_texts(limit=25) + CRAFTED


CRAFTED = [
    "", " ", "  ", "\n", "\n\n", " \n ", "\t\tx", "a  b", "a\u3000b", "x  ", "  x", "'s 're 'll 'd 'm 've 't",
    "I'm here, you're there; it'll 'S 'RE", "1234567 12.5% 1,000,000", "٣٤٥ ½ Ⅻ ①②", "..!!??", "a.b.c", "a..b",
    "(a)[b]{c}", "x$y^z|w", "\\back\\slash", "emoji 😀😀 👨‍👩‍👧 🇯🇵", "東京都に住んでいます。", "カタカナーひらがな漢字",
    "한국어 텍스트", "Ελληνικά κείμενο", "русский текст", "עברית", "مرحبا", "ab\u0301c", "\u0301start",
    "mixed東京abc123", "tab\there", "cr\rlf\r\n", "\x00\x01\x7f", "\u2028\u2029\x85", "a" * 300,
    "ab" * 200, " " * 50 + "x", "x" + "\n" * 30, "<|endoftext|>", "a<|endoftext|>b", "<|endoftext|><|endoftext|>",
    "accb", "cc", "c", "##a a## </w>", "<0x41> <unk> [UNK]",
]


def reference_ids(source: Path | str, texts: list[str], *, from_str: bool = False) -> list[list[int]]:
    ref = tokenizers.Tokenizer.from_str(source) if from_str else tokenizers.Tokenizer.from_file(str(source))
    ref.no_padding()
    return [encoding.ids for encoding in ref.encode_batch(texts, add_special_tokens=False)]


@cache
def _loaded(path: str):
    ref = tokenizers.Tokenizer.from_file(path)
    ref.no_padding()
    return Tokenizer.from_file(path), ref


def loaded(path: Path | str):
    """(ours, reference) for a fixture file, loaded once per session."""
    return _loaded(str(path))


def assert_same(name: str, texts: list[str], ours: list[list[int]], expected: list[list[int]]) -> None:
    assert len(ours) == len(expected)
    bad = [i for i, (a, b) in enumerate(zip(ours, expected)) if a != b]
    assert not bad, (f"{name}: {len(bad)} of {len(texts)} texts differ; first {texts[bad[0]][:80]!r}: "
                     f"ours {ours[bad[0]][:16]} reference {expected[bad[0]][:16]}")


def spec_of(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def with_changes(spec: dict, **changes) -> str:
    spec = copy.deepcopy(spec)
    for key, value in changes.items():
        if key == "model":
            spec["model"].update(value)
        else:
            spec[key] = value
    return json.dumps(spec)


def tokenizer_json(model: dict, pre_tokenizer: dict | None = None, added_tokens: list | None = None) -> str:
    return json.dumps({
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added_tokens or [],
        "normalizer": None, "pre_tokenizer": pre_tokenizer, "post_processor": None, "decoder": None,
        "model": model,
    })


def bpe_model(vocab: dict, merges: list, **options) -> dict:
    model = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
             "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
             "vocab": vocab, "merges": merges}
    model.update(options)
    return model


def both(text_json: str, texts: list[str]) -> tuple[list[list[int]], list[list[int]]]:
    return Tokenizer.from_str(text_json).encode_batch(texts), reference_ids(text_json, texts, from_str=True)


# ---------------------------------------------------------------------------
# GPT-2: tokenizers and tiktoken, 10,000+ English and 10,000+ Japanese texts
# ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _tiktoken_gpt2():
    import tiktoken
    from build_bpe_fixtures import WHISPER_MEMBER, WHISPER_SDIST

    with tarfile.open(DOWNLOADS / WHISPER_SDIST, "r:gz") as archive:
        data = archive.extractfile(WHISPER_MEMBER).read()  # type: ignore[union-attr]
    ranks = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines() if line)}
    return tiktoken.Encoding("gpt2-local", pat_str=GPT2_PATTERN, mergeable_ranks=ranks,
                             special_tokens={"<|endoftext|>": len(ranks)})


def test_gpt2_matches_tokenizers_and_tiktoken(bpe_fixtures, gpt2_texts):
    ours_tok, ref = loaded(bpe_fixtures["gpt2"])
    ours = ours_tok.encode_batch(gpt2_texts)
    expected = [e.ids for e in ref.encode_batch(gpt2_texts, add_special_tokens=False)]
    assert_same("gpt2", gpt2_texts, ours, expected)
    enc = _tiktoken_gpt2()
    # the added special token is matched in raw text by tokenizers; tiktoken does that when allowed
    tiktoken_ids = [enc.encode(text, allowed_special="all") if "<|endoftext|>" in text else enc.encode_ordinary(text)
                    for text in gpt2_texts]
    assert_same("gpt2 vs tiktoken", gpt2_texts, ours, tiktoken_ids)


def test_gpt2_special_token_and_unk(bpe_fixtures):
    tok, _ = loaded(bpe_fixtures["gpt2"])
    assert tok.encode("a<|endoftext|>b") == [64, 50256, 65]
    assert tok.unk_id is None
    assert tok.token_to_id("<|endoftext|>") == 50256


def test_gpt2_bytelevel_regex_matches(bpe_fixtures, sample_texts):
    ours, ref = loaded(bpe_fixtures["gpt2-bytelevel-regex"])
    texts = sample_texts + CRAFTED
    assert_same("gpt2-bytelevel-regex", texts, ours.encode_batch(texts),
                [e.ids for e in ref.encode_batch(texts, add_special_tokens=False)])


# ---------------------------------------------------------------------------
# every other fixture on real text
# ---------------------------------------------------------------------------

OTHER = ["bpe-affixes", "bpe-unk-fused", "bpe-unk-unfused", "bpe-byte-fallback", "bpe-byte-fallback-full",
         "bpe-ignore-merges", "wordlevel-whitespace", "unicode-scripts", "split-removed", "split-removed-invert",
         "split-isolated-invert", "split-merged-previous", "split-merged-next", "split-merged-next-invert",
         "split-contiguous", "split-contiguous-invert", "split-empty-matches"]


@pytest.mark.parametrize("name", OTHER)
def test_fixture_matches_on_real_text(bpe_fixtures, sample_texts, name):
    ours, ref = loaded(bpe_fixtures[name])
    texts = sample_texts + CRAFTED
    assert_same(name, texts, ours.encode_batch(texts), [e.ids for e in ref.encode_batch(texts, add_special_tokens=False)])


def test_every_fixture_is_tested(bpe_fixtures):
    assert set(bpe_fixtures) == set(OTHER) | {"gpt2", "gpt2-bytelevel-regex"}


@pytest.mark.parametrize("name", ["bpe-affixes", "bpe-unk-fused", "bpe-byte-fallback-full", "wordlevel-whitespace"])
def test_unk_id_is_model2vec_s(bpe_fixtures, name):
    """model2vec takes ``token_to_id(model.unk_token)``; our ``unk_id`` must be that id."""
    ours, ref = loaded(bpe_fixtures[name])
    unk_token = json.loads(ref.model.__getstate__()).get("unk_token")
    expected = ref.token_to_id(unk_token) if unk_token is not None else None
    assert ours.unk_id == expected


def test_fixture_build_is_idempotent(bpe_fixtures):
    from build_bpe_fixtures import build_bpe_fixtures

    before = {name: path.stat().st_mtime_ns for name, path in bpe_fixtures.items()}
    started = time.perf_counter()
    again = build_bpe_fixtures(FIXTURE_DIR, DOWNLOADS)
    assert again == bpe_fixtures
    assert {name: path.stat().st_mtime_ns for name, path in again.items()} == before
    assert time.perf_counter() - started < 10


# ---------------------------------------------------------------------------
# golden cases (tokenizers.md "BPE" line; values from the reference's own tests)
# ---------------------------------------------------------------------------

UNK_VOCAB = {"<unk>": 0, "a": 1, "b": 2}


@pytest.mark.parametrize("fuse, expected", [
    (False, {"c": [0], "cc": [0, 0], "accb": [1, 0, 0, 2]}),
    (True, {"c": [0], "cc": [0], "accb": [1, 0, 2]}),
], ids=["unfused", "fused"])
def test_unk_fusing_golden(fuse, expected):
    text_json = tokenizer_json(bpe_model(UNK_VOCAB, [], unk_token="<unk>", fuse_unk=fuse))
    texts = list(expected)
    ours, ref = both(text_json, texts)
    assert ours == ref == [expected[t] for t in texts]


def test_byte_fallback_golden():
    text_json = tokenizer_json(bpe_model({"<unk>": 0, "<0x0A>": 1, "<0x61>": 2}, [], unk_token="<unk>",
                                         byte_fallback=True))
    ours, ref = both(text_json, ["\n", "a", "c", "a\nc"])
    assert ours == ref == [[1], [2], [0], [2, 1, 0]]


def test_ignore_merges_golden():
    vocab = {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5}
    merges = [["a", "b"], ["b", "c"]]
    for ignore, expected in ((False, [3, 2]), (True, [5])):
        ours, ref = both(tokenizer_json(bpe_model(vocab, merges, ignore_merges=ignore)), ["abc"])
        assert ours == ref == [expected]


def test_continuing_subword_prefix_golden():
    vocab = {"a": 0, "##b": 1, "##c": 2, "ab": 3, "abc": 4, "[UNK]": 5}
    merges = [["a", "##b"], ["ab", "##c"]]
    text_json = tokenizer_json(bpe_model(vocab, merges, unk_token="[UNK]", continuing_subword_prefix="##"))
    ours, ref = both(text_json, ["ab", "abc", "ba"])
    assert ours == ref
    assert ours[:2] == [[3], [4]]


def test_unrelated_golden():
    """The reference's dropout test model, with dropout 0/null and the deterministic dropout 1."""
    vocab = {"u": 0, "n": 1, "r": 2, "e": 3, "l": 4, "a": 5, "t": 6, "d": 7, "re": 8, "at": 9, "ed": 10,
             "un": 11, "ated": 12, "rel": 13, "related": 14, "unrelated": 15}
    merges = ["r e", "a t", "e d", "u n", "at ed", "re l", "rel ated", "un related"]
    for dropout, expected in ((None, [15]), (0.0, [15]), (1.0, [0, 1, 2, 3, 4, 5, 6, 3, 7])):
        ours, ref = both(tokenizer_json(bpe_model(vocab, merges, dropout=dropout)), ["unrelated"])
        assert ours == ref == [expected]
    # dropout 1 also skips the ignore_merges shortcut in the reference
    ours, ref = both(tokenizer_json(bpe_model(vocab, merges, dropout=1.0, ignore_merges=True)), ["unrelated"])
    assert ours == ref == [[0, 1, 2, 3, 4, 5, 6, 3, 7]]


# ---------------------------------------------------------------------------
# merge-order corner cases, each checked live
# ---------------------------------------------------------------------------


def test_equal_ranks_leftmost_first_and_repeated_merges():
    vocab = {"a": 0, "aa": 1, "aaa": 2, "aaaa": 3, "b": 4}
    merges = [["a", "a"], ["aa", "a"], ["aa", "aa"]]
    texts = ["a" * n for n in range(1, 12)] + ["aab" * 3, "baaab", "abababaaaa"]
    ours, ref = both(tokenizer_json(bpe_model(vocab, merges)), texts)
    assert ours == ref


def test_duplicate_merge_keeps_last_rank():
    vocab = {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5}
    for merges, expected in (([["a", "b"], ["b", "c"], ["a", "b"]], [0, 4]),
                             ([["b", "c"], ["a", "b"], ["b", "c"]], [3, 2])):
        ours, ref = both(tokenizer_json(bpe_model(vocab, merges)), ["abc"])
        assert ours == ref == [expected]


def test_stale_queue_entry_rule_with_shared_ids():
    """Entries are re-checked by new id, not rank: visible when two tokens share an id."""
    vocab = {"a": 0, "b": 1, "c": 2, "x": 6, "ab": 3, "bc": 4, "abc": 3, "xa": 7, "xabc": 8, "xab": 9}
    merges = [["b", "c"], ["a", "b"], ["x", "a"], ["a", "bc"], ["x", "ab"], ["xa", "bc"]]
    texts = ["abc", "xabc", "xab", "abcabc", "xxabcab"]
    ours, ref = both(tokenizer_json(bpe_model(vocab, merges)), texts)
    assert ours == ref


def test_prefix_is_cut_by_byte_length_even_when_absent():
    vocab = {"a": 0, "##b": 1, "xyz": 2, "az": 3, "##y": 4, "##z": 5, "##x": 6, "ab": 7}
    merges = [["a", "##b"], ["a", "xyz"]]
    text_json = tokenizer_json(bpe_model(vocab, merges, continuing_subword_prefix="##"))
    ours, ref = both(text_json, ["ab", "axyz", "abab", "xyz"])
    assert ours == ref


def test_pending_unknown_is_emitted_after_byte_pieces():
    """An unknown waiting to be fused is not flushed by byte-fallback pieces (reference order)."""
    vocab = {"<unk>": 0, "a": 1, "<0xC3>": 2, "<0xA9>": 3, "<0x61>": 4}
    for fuse in (False, True):
        text_json = tokenizer_json(bpe_model(vocab, [], unk_token="<unk>", fuse_unk=fuse, byte_fallback=True))
        texts = ["😀é", "😀😀éa", "a😀é😀", "é😀", "😀"]
        ours, ref = both(text_json, texts)
        assert ours == ref
    assert ours[0] == [2, 3, 0]


def test_byte_fallback_includes_prefix_and_suffix_bytes():
    vocab = {"<unk>": 0, "a": 1, "<0x23>": 2, "<0xC3>": 3, "<0xA9>": 4, "<0x3C>": 5, "<0x2F>": 6, "<0x77>": 7,
             "<0x3E>": 8}
    text_json = tokenizer_json(bpe_model(vocab, [], unk_token="<unk>", byte_fallback=True,
                                         continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    ours, ref = both(text_json, ["aé", "éa", "é", "aéa"])
    assert ours == ref


def test_suffix_and_unknown_characters():
    vocab = {"[UNK]": 0, "a": 1, "b</w>": 2, "ab</w>": 3, "a</w>": 4, "##b</w>": 5, "##a": 6, "a##b</w>": 7}
    merges = [["a", "b</w>"]]
    for options in ({"end_of_word_suffix": "</w>"},
                    {"end_of_word_suffix": "</w>", "unk_token": "[UNK]"},
                    {"end_of_word_suffix": "</w>", "unk_token": "[UNK]", "fuse_unk": True}):
        ours, ref = both(tokenizer_json(bpe_model(vocab, merges, **options)), ["ab", "a", "b", "xab", "abx", "xx"])
        assert ours == ref


def test_legacy_merge_strings_and_version_line():
    vocab = {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5}
    ours, ref = both(tokenizer_json(bpe_model(vocab, ["#version: 0.2", "b c", "a b"])), ["abc", "ab", "cab"])
    assert ours == ref


# ---------------------------------------------------------------------------
# load-time validation: both libraries refuse the same files (or we refuse louder)
# ---------------------------------------------------------------------------

V6 = {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5}


@pytest.mark.parametrize("model", [
    bpe_model(V6, [["a", "x"]]),
    bpe_model(V6, [["c", "a"]]),
    bpe_model(V6, ["a b c"]),
    bpe_model(V6, ["a b", ["b", "c"]]),
    bpe_model(V6, [["a", "b", "c"]]),
    bpe_model(V6, [], dropout=1.5),
    bpe_model(V6, [], dropout=-0.1),
    bpe_model(V6, [], fuse_unk="yes"),
    {"type": "WordLevel", "vocab": V6},
    {"type": "WordLevel", "vocab": V6, "unk_token": None},
], ids=["merge-part-missing", "merge-result-missing", "legacy-three-parts", "mixed-forms", "triple",
        "dropout-above-1", "dropout-negative", "flag-not-bool", "wordlevel-no-unk", "wordlevel-null-unk"])
def test_invalid_models_fail_in_both(model):
    text_json = tokenizer_json(model)
    with pytest.raises(Exception):  # noqa: B017 - the reference raises a bare Exception
        tokenizers.Tokenizer.from_str(text_json)
    with pytest.raises(TokenizerConfigError):
        Tokenizer.from_str(text_json)


@pytest.mark.parametrize("pre_tokenizer", [
    {"type": "ByteLevel", "add_prefix_space": True},
    {"type": "ByteLevel", "trim_offsets": True},
    {"type": "Split", "pattern": {"String": "b"}, "behavior": "Isolated"},
    {"type": "Split", "pattern": {"String": "b"}, "behavior": "isolated", "invert": False},
    {"type": "Split", "pattern": {"Other": "b"}, "behavior": "Isolated", "invert": False},
    {"type": "Digits"},
    {"type": "Punctuation", "behavior": "Split"},
], ids=["bytelevel-no-trim", "bytelevel-no-prefix", "split-no-invert", "split-lowercase-behavior",
        "split-bad-pattern", "digits-no-flag", "punctuation-bad-behavior"])
def test_invalid_pre_tokenizers_fail_in_both(pre_tokenizer):
    text_json = tokenizer_json(bpe_model(V6, []), pre_tokenizer)
    with pytest.raises(Exception):  # noqa: B017 - the reference raises a bare Exception
        tokenizers.Tokenizer.from_str(text_json)
    with pytest.raises(TokenizerConfigError):
        Tokenizer.from_str(text_json)


def test_random_dropout_is_unsupported():
    text_json = tokenizer_json(bpe_model(V6, [["a", "b"]], dropout=0.5))
    tokenizers.Tokenizer.from_str(text_json)  # the reference loads it, but samples merges at random
    with pytest.raises(UnsupportedFeatureError, match="dropout"):
        Tokenizer.from_str(text_json)


@pytest.mark.parametrize("model", [
    bpe_model(V6, [], unk_token="<unk>"),
    {"type": "WordLevel", "vocab": V6, "unk_token": "<unk>"},
], ids=["bpe", "wordlevel"])
def test_unknown_token_missing_from_vocab_fails_at_load(model):
    """The reference loads such a file and fails on the first unknown input; we fail at load."""
    text_json = tokenizer_json(model)
    ref = tokenizers.Tokenizer.from_str(text_json)
    assert ref.encode("abc", add_special_tokens=False).ids  # known input works there ...
    with pytest.raises(Exception):  # noqa: B017 - the reference raises a bare Exception
        ref.encode("zzz", add_special_tokens=False)  # ... unknown input raises
    with pytest.raises(TokenizerConfigError, match="unk_token"):
        Tokenizer.from_str(text_json)


def test_accepted_edge_configs_match():
    for model in (bpe_model(V6, [], dropout=0), bpe_model(V6, [], dropout=1e-46),
                  {"vocab": V6, "merges": [["a", "b"]]},
                  {"type": "BPE", "vocab": V6, "merges": ["a b"], "unk_token": None}):
        ours, ref = both(tokenizer_json(model), ["abc", "cab", "x"])
        assert ours == ref


# ---------------------------------------------------------------------------
# long inputs: near-linear, never quadratic
# ---------------------------------------------------------------------------


def test_long_repetitive_input_scales_linearly(bpe_fixtures):
    """``"x" * 10**6`` is one pre-token of a million symbols; merging must stay ~O(n log n)."""
    path = bpe_fixtures["gpt2"]
    tok = Tokenizer.from_file(path)  # a fresh per-word memo

    def timed(text: str) -> float:
        started = time.perf_counter()
        tok.encode(text)
        return time.perf_counter() - started

    # distinct words, so the per-word memo never answers
    t_small = min(timed("x" * (10**5 - k)) for k in range(2))
    large = "x" * 10**6
    t_large = timed(large)
    # O(n log n) gives ~12x for 10x the length; a quadratic merge loop would give ~100x.
    assert t_large < 35 * t_small, (t_small, t_large)
    assert tok.encode(large) == loaded(path)[1].encode(large, add_special_tokens=False).ids


@pytest.mark.parametrize("name, text", [
    ("bpe-affixes", "a" * 100_000),
    ("bpe-byte-fallback", "é" * 50_000),
    ("gpt2", "ab" * 50_000),
    ("gpt2-bytelevel-regex", " " * 100_000 + "x"),
    ("split-empty-matches", "a b " * 25_000),
])
def test_long_words_match(bpe_fixtures, name, text):
    ours, ref = loaded(bpe_fixtures[name])
    assert ours.encode(text) == ref.encode(text, add_special_tokens=False).ids


# ---------------------------------------------------------------------------
# pre-tokenizer variants, compared piece by piece and id by id
# ---------------------------------------------------------------------------

SPLIT_PATTERNS = [
    {"Regex": r"\s+"}, {"Regex": r"\p{L}+|\p{N}+"}, {"Regex": r"\s*"}, {"Regex": r"a*"}, {"Regex": r"(?=b)"},
    {"Regex": r"x|(?=c)"}, {"Regex": r"|a"}, {"Regex": r"[^\s\p{L}]"}, {"String": " "}, {"String": ""},
    {"String": "a.b"}, {"String": "(|)"}, {"String": "##"}, {"String": "\\"}, {"String": "東京"},
    {"String": "a~b&c-d#"}, {"String": "$^.*"}, {"String": "\t"},
]
SPLIT_TEXTS = ["ab", "a", "baa", "xbc", "abab", "b", "  a  b  ", "a.b a.ba.b", "(|)(|)", "## a##b", "\\\\x\\",
               "東京東京 大阪", "a b c", "aaa bbb ccc", "", " ", "xcxc", "cab", "a1b2 c3", "a~b&c-d#a~b&c-d#",
               "$^.*x$^.*", "\tx\t\t"]
BEHAVIORS = ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]


def _our_pre_tokenizer(spec: dict):
    from static_embed.tokenizer.pre_tokenizers import build_pre_tokenizer

    return build_pre_tokenizer(spec)


def _ref_pre_tokenizer(spec: dict):
    return tokenizers.Tokenizer.from_str(tokenizer_json(bpe_model({"a": 0}, []), spec)).pre_tokenizer


def _ref_pieces(pre, text: str) -> list[str]:
    return [piece for piece, _ in pre.pre_tokenize_str(text)]


@pytest.fixture(scope="session")
def byte_level_model(bpe_fixtures) -> dict:
    return spec_of(bpe_fixtures["split-removed"])


@pytest.mark.parametrize("invert", [False, True], ids=["plain", "invert"])
@pytest.mark.parametrize("behavior", BEHAVIORS)
def test_split_matrix(behavior, invert, byte_level_model, small_texts, tiny_texts):
    for pattern in SPLIT_PATTERNS:
        spec = {"type": "Split", "pattern": pattern, "behavior": behavior, "invert": invert}
        ours, ref = _our_pre_tokenizer(spec), _ref_pre_tokenizer(spec)
        for text in SPLIT_TEXTS + small_texts[:40]:
            assert ours.split(text) == _ref_pieces(ref, text), (pattern, behavior, invert, text)
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
        text_json = with_changes(byte_level_model, pre_tokenizer={"type": "Sequence",
                                                                  "pretokenizers": [spec, byte_level]})
        got, want = both(text_json, tiny_texts)
        assert_same(f"Split {pattern} {behavior} invert={invert}", tiny_texts, got, want)


SIMPLE_SPECS = [
    {"type": "Whitespace"},
    {"type": "Digits", "individual_digits": True},
    {"type": "Digits", "individual_digits": False},
    {"type": "UnicodeScripts"},
    {"type": "Punctuation"},
    *({"type": "Punctuation", "behavior": behavior} for behavior in BEHAVIORS),
    {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True},
    {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": False},
    {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False},
]


def _spec_id(spec: dict) -> str:
    return "-".join(str(v) for v in spec.values())


@pytest.mark.parametrize("spec", SIMPLE_SPECS, ids=_spec_id)
def test_simple_pre_tokenizers_match(spec, byte_level_model, small_texts):
    ours, ref = _our_pre_tokenizer(spec), _ref_pre_tokenizer(spec)
    for text in small_texts:
        assert ours.split(text) == _ref_pieces(ref, text), (spec, text)
    if spec["type"] == "ByteLevel":
        text_json = with_changes(byte_level_model, pre_tokenizer=spec)
    else:
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
        text_json = with_changes(byte_level_model, pre_tokenizer={"type": "Sequence",
                                                                  "pretokenizers": [spec, byte_level]})
    got, want = both(text_json, small_texts)
    assert_same(f"{spec}", small_texts, got, want)


@pytest.mark.parametrize("spec", [
    {"type": "Whitespace"}, {"type": "Digits", "individual_digits": True}, {"type": "Punctuation"},
    {"type": "UnicodeScripts"},
], ids=_spec_id)
def test_simple_pre_tokenizer_tables_over_every_code_point(spec):
    """Every assigned-plane code point (no surrogates), in shuffled runs, splits identically.

    Planes 0-3 and the tag/variation-selector block are taken whole; the unassigned planes 4-13 and
    the private-use planes 15-16 are sampled (every 61st code point), which keeps this test quick.
    """
    import random

    ours, ref = _our_pre_tokenizer(spec), _ref_pre_tokenizer(spec)
    order = [cp for cp in range(0x110000)
             if not 0xD800 <= cp <= 0xDFFF and (cp < 0x40000 or 0xE0000 <= cp < 0xE1000 or cp % 61 == 0)]
    random.Random(7).shuffle(order)  # every code point once, next to arbitrary neighbours
    for i in range(0, len(order), 512):
        text = "".join(map(chr, order[i:i + 512]))
        assert ours.split(text) == [p for p, _ in ref.pre_tokenize_str(text)], (spec, hex(order[i]))


def test_punctuation_table_is_bert_punctuation():
    from static_embed.tokenizer import _split_data

    assert _split_data.PUNCTUATION_IS_BERT_PUNCTUATION
    assert _split_data.SPACE_IS_RUST_WHITESPACE


def test_byte_level_normalizer_in_a_tokenizer(byte_level_model, small_texts):
    from static_embed.tokenizer.normalizers import EXTERNAL_NORMALIZERS

    if "ByteLevel" not in EXTERNAL_NORMALIZERS:
        pytest.skip("the ByteLevel normalizer is not registered in normalizers.EXTERNAL_NORMALIZERS yet")
    text_json = with_changes(byte_level_model, normalizer={"type": "ByteLevel"}, pre_tokenizer=None)
    got, want = both(text_json, small_texts)
    assert_same("ByteLevel normalizer", small_texts, got, want)


def test_byte_level_normalizer_bytes():
    from static_embed.tokenizer.byte_level import ByteLevelNormalizer, bytes_to_unicode

    table = bytes_to_unicode()
    assert len(set(table.values())) == 256 and table[32] == "\u0120" and table[ord("a")] == "a"
    ref = tokenizers.normalizers.ByteLevel()
    for text in ["a b é", "東京\n\t", "😀", "", "\x00\xff"]:
        assert ByteLevelNormalizer().normalize(text) == ref.normalize_str(text)


# ---------------------------------------------------------------------------
# Hypothesis: arbitrary Unicode (no surrogates), one test per fixture
# ---------------------------------------------------------------------------

_INTERESTING = list("aabbcx xyz  \n\t'sdmtlrve.,!?-_#<>|/\\0123456789") + [
    "東", "京", "都", "に", "は", "ー", "カ", "한", "é", "e\u0301", "😀", "\u3000", "\xa0", "\u2028", "##", "</w>",
    "<|endoftext|>", "<unk>", "[UNK]", "ab", "the", " the", "'s", "ing", "\u0661", "½", "Ⅻ", "\x85", "\u200b",
]


@pytest.mark.parametrize("name", ["gpt2", "gpt2-bytelevel-regex", *OTHER])
def test_hypothesis_arbitrary_unicode(bpe_fixtures, name):
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    any_char = st.characters(blacklist_categories=("Cs",))
    text = st.one_of(
        st.text(any_char, max_size=40),
        st.lists(st.sampled_from(_INTERESTING), max_size=30).map("".join),
        st.lists(st.one_of(st.sampled_from(_INTERESTING), any_char), max_size=30).map("".join),
    )
    ours, ref = loaded(bpe_fixtures[name])

    @hypothesis.settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None,
                         suppress_health_check=[hypothesis.HealthCheck.too_slow])
    @hypothesis.given(st.lists(text, min_size=1, max_size=4))
    def check(texts):
        # per-text encode: the reference's encode_batch pays a thread-pool round trip per call
        assert ours.encode_batch(texts) == [ref.encode(t, add_special_tokens=False).ids for t in texts]

    check()
