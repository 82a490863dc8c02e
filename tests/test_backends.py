"""Tokenizer backends: lite (ours), rust (``tokenizers``), and auto's choice between them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

import static_embed
from conftest import DEFAULT_MODEL, REPO
from static_embed.errors import UnsupportedFeatureError
from static_embed.tokenizer import backends

pytest.importorskip("tokenizers")


def folder_with_pre_tokenizer(tmp_path, pre_tokenizer):
    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, folder)
    spec = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    spec["pre_tokenizer"] = pre_tokenizer
    (folder / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    return folder


@pytest.mark.parametrize("name, compat", [("m2v-f32", None), ("st-root-norm", None), ("m2v-nomaxlen", None),
                                          ("m2v-f32", "sentence-transformers")])
def test_lite_and_rust_give_identical_vectors(name, compat, model_fixtures, parity_texts):
    lite = static_embed.load(model_fixtures[name], compat=compat, tokenizer_backend="lite")
    rust = static_embed.load(model_fixtures[name], compat=compat, tokenizer_backend="rust")
    assert (lite.tokenizer_backend, rust.tokenizer_backend) == ("lite", "rust")
    assert lite.tokenize(parity_texts) == rust.tokenize(parity_texts)
    assert np.array_equal(lite.encode(parity_texts), rust.encode(parity_texts))


def test_auto_prefers_lite_for_wordpiece():
    assert static_embed.load().tokenizer_backend == "lite"


@pytest.mark.parametrize("model_type", sorted(backends.RUST_FASTER))
def test_auto_prefers_rust_for_unigram_and_bpe_when_installed(tmp_path, monkeypatch, model_type):
    folder = tmp_path / "tok"
    folder.mkdir()
    tokens = ["<unk>", "a", "b", "ab"]
    if model_type == "Unigram":
        model = {"type": "Unigram", "unk_id": 0, "vocab": [[t, -1.0] for t in tokens]}
    else:
        model = {"type": "BPE", "unk_token": "<unk>", "vocab": {t: i for i, t in enumerate(tokens)},
                 "merges": ["a b"]}
    path = folder / "tokenizer.json"
    path.write_text(json.dumps({"version": "1.0", "model": model, "pre_tokenizer": {"type": "WhitespaceSplit"}}))
    auto = backends.load_tokenizer(path)
    assert auto.backend == "rust"
    assert auto.encode("ab a b") == backends.load_tokenizer(path, "lite").encode("ab a b")
    monkeypatch.setattr(backends, "rust_available", lambda: False)
    assert backends.load_tokenizer(path).backend == "lite"


def test_auto_falls_back_to_rust_for_unsupported_components(tmp_path):
    folder = folder_with_pre_tokenizer(tmp_path, {"type": "CharDelimiterSplit", "delimiter": "-"})
    with pytest.raises(UnsupportedFeatureError, match="CharDelimiterSplit"):
        static_embed.load(folder, tokenizer_backend="lite")
    model = static_embed.load(folder)
    assert model.tokenizer_backend == "rust"
    assert model.tokenizer.encode("state-of-the-art") == static_embed.load(
        folder, tokenizer_backend="rust").tokenizer.encode("state-of-the-art")


def test_auto_without_rust_names_the_component_and_the_fix(tmp_path, monkeypatch):
    folder = folder_with_pre_tokenizer(tmp_path, {"type": "CharDelimiterSplit", "delimiter": "-"})
    monkeypatch.setattr(backends, "rust_available", lambda: False)
    with pytest.raises(UnsupportedFeatureError) as info:
        static_embed.load(folder)
    assert "CharDelimiterSplit" in str(info.value) and "static-embed-numpy[rust]" in str(info.value)


def test_rust_backend_without_tokenizers_gives_install_hint():
    code = ("import sys; sys.modules['tokenizers'] = None\n"
            "import static_embed\n"
            "try:\n    static_embed.load(tokenizer_backend='rust')\n"
            "except ImportError as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert "pip install 'static-embed-numpy[rust]'" in out.stdout


def test_unknown_backend():
    with pytest.raises(ValueError, match="tokenizer_backend"):
        static_embed.load(tokenizer_backend="fast")


def test_rust_backend_rejects_bad_input_like_lite():
    rust = static_embed.load(tokenizer_backend="rust")
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        rust.encode(["ok", None])
    with pytest.raises(TypeError, match="lone surrogate"):
        rust.encode("\ud800")
