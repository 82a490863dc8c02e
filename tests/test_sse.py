"""SSE and 4-bit SSE: vectors equal an independent torch computation of the published formulas."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

import static_embed
from conftest import REPO
from static_embed import ModelFormatError

torch = pytest.importorskip("torch")
tokenizers = pytest.importorskip("tokenizers")
safetensors_torch = pytest.importorskip("safetensors.torch")

pytestmark = pytest.mark.reference


def torch_reference(folder, texts: list[str]) -> np.ndarray:
    """EmbeddingBag(mean) + beta * tanh(alpha * x + bias) + L2 normalization, in torch, from the files."""
    tok = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_padding()
    ids = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    if (folder / "model.safetensors").exists():
        state = safetensors_torch.load_file(str(folder / "model.safetensors"))
        weight = state["embedding.weight"]
    else:
        state = safetensors_torch.load_file(str(folder / "model_rest.safetensors"))
        raw = (folder / "embedding.q4_k_m.bin").read_bytes()
        dim = state["dyt.alpha"].shape[0]
        rows = len(raw) // (dim // 2 + 4)
        packed = torch.frombuffer(bytearray(raw[: rows * dim // 2]), dtype=torch.uint8).reshape(rows, dim // 2)
        scale = torch.frombuffer(bytearray(raw[rows * dim // 2:]), dtype=torch.float32).reshape(rows, 1)
        codes = torch.empty(rows, dim, dtype=torch.uint8)
        codes[:, 0::2] = (packed >> 4) & 0xF
        codes[:, 1::2] = packed & 0xF
        weight = (codes.to(torch.float32) / 7.5 - 1.0) * scale
    bag = torch.nn.EmbeddingBag.from_pretrained(weight, mode="mean")
    flat = torch.tensor([i for row in ids for i in row], dtype=torch.long)
    offsets = torch.tensor(np.concatenate(([0], np.cumsum([len(r) for r in ids])[:-1])), dtype=torch.long)
    pooled = bag(flat, offsets)
    out = state["dyt.beta"] * torch.tanh(state["dyt.alpha"] * pooled + state["dyt.bias"])
    return torch.nn.functional.normalize(out, dim=-1).numpy()


@pytest.mark.parametrize("name", ["sse-float", "sse-q4"])
def test_matches_published_formulas(name, sse_fixtures, parity_texts):
    folder = sse_fixtures[name]
    model = static_embed.load(folder)
    assert model.spec.format == ("sse-q4" if name == "sse-q4" else "sse")
    ours = model.encode(parity_texts)
    assert float(np.abs(ours - torch_reference(folder, parity_texts)).max()) <= 1e-6


def test_q4_packed_and_decoded_tables_agree(sse_fixtures, parity_texts):
    packed = static_embed.load(sse_fixtures["sse-q4"], table="q4")
    decoded = static_embed.load(sse_fixtures["sse-q4"], table="f32")
    assert type(packed.spec.table).__name__ == "Q4Table"
    assert type(decoded.spec.table).__name__ == "DenseTable"
    assert float(np.abs(packed.encode(parity_texts) - decoded.encode(parity_texts)).max()) <= 1e-6


def test_empty_text_is_the_head_of_zero(sse_fixtures):
    model = static_embed.load(sse_fixtures["sse-float"], normalize=False)
    head = model.spec.head
    assert np.allclose(model.encode(""), head.beta * np.tanh(head.bias), atol=1e-7)
    assert np.linalg.norm(static_embed.load(sse_fixtures["sse-float"]).encode("")) == pytest.approx(1, abs=1e-6)


@pytest.mark.parametrize("name", ["sse-float", "sse-q4"])
def test_matryoshka_truncation(name, sse_fixtures):
    folder = sse_fixtures[name]
    texts = ["static embeddings", "東京の天気"]
    full = static_embed.load(folder, normalize=False).encode(texts)
    for model, kwargs in ((static_embed.load(folder, truncate_dim=32), {}),
                          (static_embed.load(folder), {"truncate_dim": 32})):
        vectors = model.encode(texts, **kwargs)
        expected = full[:, :32] / np.linalg.norm(full[:, :32], axis=1, keepdims=True)
        assert vectors.shape == (2, 32) and np.allclose(vectors, expected, atol=1e-6)


def test_q4_option_needs_a_4bit_model(sse_fixtures):
    with pytest.raises(ValueError, match="table='q4'"):
        static_embed.load(sse_fixtures["sse-float"], table="q4")
    with pytest.raises(ValueError, match="table must be one of"):
        static_embed.load(sse_fixtures["sse-q4"], table="int4")


def test_q4_resident_memory_stays_near_packed_size(sse_fixtures):
    folder = sse_fixtures["sse-q4"]
    code = f"""
import resource, sys, numpy, static_embed, static_embed.formats.sse
def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024
before = rss_kb()
model = static_embed.load({str(folder)!r})
model.encode(["hello world", "東京の天気", "a b c d e f g"] * 100)
print(rss_kb() - before)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    grown_kb = int(out.stdout.strip())
    packed_kb = (folder / "embedding.q4_k_m.bin").stat().st_size // 1024
    assert grown_kb <= packed_kb + 30 * 1024, (grown_kb, packed_kb)


def _broken_copy(tmp_path, source, edit):
    folder = tmp_path / "model"
    shutil.copytree(source, folder)
    edit(folder)
    return folder


@pytest.mark.parametrize("edit, fragment", [
    (lambda f: (f / "embedding.q4_k_m.bin").write_bytes((f / "embedding.q4_k_m.bin").read_bytes()[:-3]),
     "not a whole number of rows"),
    (lambda f: (f / "embedding.q4_k_m.bin").write_bytes(b""), "not a whole number of rows"),
    (lambda f: __import__("safetensors.numpy").numpy.save_file(
        {"dyt.alpha": np.ones(128, np.float32), "dyt.beta": np.ones(128, np.float32)},
        str(f / "model_rest.safetensors")), "missing SSE head tensors"),
    (lambda f: __import__("safetensors.numpy").numpy.save_file(
        {k: np.ones(127, np.float32) for k in ("dyt.alpha", "dyt.beta", "dyt.bias")},
        str(f / "model_rest.safetensors")), "must be even"),
], ids=["truncated-blob", "empty-blob", "missing-head", "odd-dim"])
def test_malformed_q4_folders(tmp_path, sse_fixtures, edit, fragment):
    folder = _broken_copy(tmp_path, sse_fixtures["sse-q4"], edit)
    with pytest.raises(ModelFormatError, match=fragment):
        static_embed.load(folder)


def test_nan_scale_rejected(tmp_path, sse_fixtures):
    def poison(folder):
        raw = bytearray((folder / "embedding.q4_k_m.bin").read_bytes())
        raw[-4:] = np.array([np.nan], dtype="<f4").tobytes()
        (folder / "embedding.q4_k_m.bin").write_bytes(bytes(raw))

    with pytest.raises(ModelFormatError, match="scales must be finite"):
        static_embed.load(_broken_copy(tmp_path, sse_fixtures["sse-q4"], poison))


def test_model2vec_compat_does_not_apply(sse_fixtures):
    with pytest.raises(ValueError, match="SSE model"):
        static_embed.load(sse_fixtures["sse-float"], compat="model2vec")


def test_fixture_layout_is_the_published_one(sse_fixtures):
    assert sorted(p.name for p in sse_fixtures["sse-q4"].iterdir()) == [
        "config_sentence_transformers.json", "embedding.q4_k_m.bin", "model_rest.safetensors", "modules.json",
        "tokenizer.json"]
    assert json.loads((sse_fixtures["sse-q4"] / "modules.json").read_text())[0]["path"] == ""
