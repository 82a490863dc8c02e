"""Format detection and bad model folders: typed errors that name the file and the problem."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

import static_embed
from conftest import DEFAULT_MODEL
from static_embed import ModelFormatError
from static_embed.errors import SafetensorsFormatError, TokenizerConfigError, UnsupportedFeatureError


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """A minimal safetensors writer for test files (little-endian, offsets in order)."""
    codes = {np.dtype("<f4"): "F32", np.dtype("<f2"): "F16", np.dtype("i1"): "I8", np.dtype("<i4"): "I32",
             np.dtype("<i8"): "I64"}
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": codes[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def copy_default(tmp_path: Path, *, link_weights: bool = True) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    for item in DEFAULT_MODEL.iterdir():
        if item.name == "model.safetensors" and link_weights:
            (folder / item.name).symlink_to(item)
        else:
            shutil.copy(item, folder / item.name)
    return folder


def default_table() -> np.ndarray:
    from static_embed.safetensors import open_safetensors

    return np.array(open_safetensors(DEFAULT_MODEL / "model.safetensors").tensor("embeddings"))


def test_missing_folder():
    with pytest.raises(FileNotFoundError, match="model folder not found"):
        static_embed.load("/definitely/not/here")


def test_folder_of_no_known_format(tmp_path):
    (tmp_path / "README.md").write_text("hello")
    with pytest.raises(ModelFormatError, match="no known static-model layout") as info:
        static_embed.load(tmp_path)
    assert "model2vec" in str(info.value) and "0_StaticEmbedding" in str(info.value)


def test_a_file_instead_of_a_folder(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"x")
    with pytest.raises(ModelFormatError, match="expected a model folder"):
        static_embed.load(path)


def test_corrupt_safetensors(tmp_path):
    folder = copy_default(tmp_path, link_weights=False)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(SafetensorsFormatError) as info:
        static_embed.load(folder)
    assert str(weights) in str(info.value)


def test_missing_tensor(tmp_path):
    folder = copy_default(tmp_path, link_weights=False)
    write_safetensors(folder / "model.safetensors", {"other": np.zeros((2, 2), np.float32)})
    with pytest.raises(ModelFormatError, match="missing tensor 'embeddings'"):
        static_embed.load(folder)


def test_table_smaller_than_vocabulary(tmp_path):
    folder = copy_default(tmp_path, link_weights=False)
    write_safetensors(folder / "model.safetensors", {"embeddings": default_table()[:1000]})
    with pytest.raises(ModelFormatError, match="has only 1000 rows"):
        static_embed.load(folder)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_table_row_is_refused_when_a_text_uses_it(tmp_path, bad):
    folder = copy_default(tmp_path, link_weights=False)
    table = default_table().copy()
    table[123, 4] = bad
    write_safetensors(folder / "model.safetensors", {"embeddings": table})
    model = static_embed.load(folder)  # rows are checked as texts use them: load does not scan the table
    token = next(token for token, index in model.tokenizer.get_vocab().items() if index == 123)
    assert token.isalnum(), token
    clean = ["a text that does not use the bad row", "東京"]
    assert np.isfinite(model.encode(clean)).all() and np.isfinite(model.encode(clean[0])).all()
    for texts in (f"one {token} two", [clean[0], f"one {token} two"], [f"{token}"] * 3000):
        with pytest.raises(ModelFormatError, match="non-finite value .* row 123"):
            model.encode(texts)
    with np.errstate(invalid="ignore", over="ignore"):  # unchecked: the non-finite row flows through
        unchecked = static_embed.load(folder, validate=False).encode(f"one {token} two")
    assert not np.isfinite(unchecked).all()


def test_table_not_2d(tmp_path):
    folder = copy_default(tmp_path, link_weights=False)
    write_safetensors(folder / "model.safetensors", {"embeddings": default_table()[:, 0].copy()})
    with pytest.raises(ModelFormatError, match="must be 2-D"):
        static_embed.load(folder)


def test_mapping_out_of_range(tmp_path):
    folder = copy_default(tmp_path, link_weights=False)
    table = default_table()
    mapping = np.arange(table.shape[0], dtype=np.int32)
    mapping[7] = 10_000_000
    write_safetensors(folder / "model.safetensors", {"embeddings": table, "mapping": mapping,
                                                     "weights": np.ones(table.shape[0], np.float32)})
    with pytest.raises(ModelFormatError, match="'mapping' values must lie in"):
        static_embed.load(folder)


@pytest.mark.parametrize("edit, error, fragment", [
    (lambda spec: spec.update(pre_tokenizer={"type": "CharDelimiterSplit", "delimiter": "x"}),
     UnsupportedFeatureError, "pre_tokenizer.type 'CharDelimiterSplit' is not supported"),
    (lambda spec: spec.update(normalizer={"type": "Sequence", "normalizers": [{"type": "Nmt"}]}),
     UnsupportedFeatureError, "normalizer.normalizers[0].type 'Nmt'"),
    (lambda spec: spec["model"].update(type="Mystery"), UnsupportedFeatureError, "model.type 'Mystery'"),
    (lambda spec: spec["model"].pop("unk_token"), TokenizerConfigError, "model.unk_token is missing"),
    (lambda spec: spec["model"].update(unk_token="<nope>"), TokenizerConfigError, "is not in the vocabulary"),
    (lambda spec: spec["model"]["vocab"].update({"hello": "x"}), TokenizerConfigError, "non-negative integer id"),
    (lambda spec: spec.update(truncation={"max_length": -3}), TokenizerConfigError, "truncation.max_length"),
    (lambda spec: spec.pop("model"), TokenizerConfigError, "model is missing"),
    (lambda spec: spec.update(added_tokens=[{"id": "0", "content": "[PAD]"}]), TokenizerConfigError,
     "added_tokens[0].id"),
], ids=["unknown-pre-tokenizer", "unknown-normalizer", "unknown-model", "no-unk", "unk-absent", "bad-id", "bad-truncation", "no-model",
        "bad-added-token"])
def test_bad_tokenizer_json(tmp_path, edit, error, fragment):
    folder = copy_default(tmp_path)
    path = folder / "tokenizer.json"
    spec = json.loads(path.read_text(encoding="utf-8"))
    edit(spec)
    path.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(error) as info:
        static_embed.load(folder, tokenizer_backend="lite")
    assert fragment in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "invalid JSON"),
    ('{"model": {}, "model": {}}', "duplicate key 'model'"),
    ("[" * 10000 + "]" * 10000, "nested deeper"),
    ('{"truncation": NaN}', "NaN"),
    ("[]", "top level must be a JSON object"),
])
def test_tokenizer_json_that_is_not_sane_json(tmp_path, content, fragment):
    folder = copy_default(tmp_path)
    (folder / "tokenizer.json").write_text(content)
    with pytest.raises(ModelFormatError, match=None) as info:
        static_embed.load(folder)
    assert fragment in str(info.value)


@pytest.mark.parametrize("config, fragment", [
    ('{"normalize": "yes"}', "'normalize' must be bool"),
    ('{"max_length": 1.5}', "'max_length' must be int"),
    ("not json", "invalid JSON"),
    ("[1]", "top level must be a JSON object"),
])
def test_bad_config_json(tmp_path, config, fragment):
    folder = copy_default(tmp_path)
    (folder / "config.json").write_text(config)
    with pytest.raises(ModelFormatError) as info:
        static_embed.load(folder)
    assert fragment in str(info.value) and "config.json" in str(info.value)


def test_sentence_transformers_folder_with_unsupported_modules(tmp_path):
    folder = copy_default(tmp_path)
    (folder / "config.json").unlink()
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": ".", "type": "sentence_transformers.models.StaticEmbedding"},
        {"idx": 1, "name": "1", "path": "1_Dense", "type": "sentence_transformers.models.Dense"}]))
    with pytest.raises(UnsupportedFeatureError, match="Dense"):
        static_embed.load(folder)


def test_modules_json_is_never_imported_and_must_be_sane(tmp_path):
    folder = copy_default(tmp_path)
    (folder / "config.json").unlink()
    (folder / "modules.json").write_text('{"path": "."}')
    with pytest.raises(ModelFormatError, match="must be a list of modules"):
        static_embed.load(folder)
    (folder / "modules.json").write_text(json.dumps([
        {"path": "../elsewhere", "type": "sentence_transformers.models.StaticEmbedding"}]))
    with pytest.raises(ModelFormatError, match="outside the model folder"):
        static_embed.load(folder)


def test_detection_prefers_model2vec_and_compat_overrides(tmp_path):
    folder = copy_default(tmp_path)
    assert static_embed.load(folder).spec.compat == "model2vec"
    forced = static_embed.load(folder, compat="sentence-transformers")
    assert forced.spec.compat == "sentence-transformers"
    # modules.json lists Normalize, so the sentence-transformers reading normalizes too
    assert forced.normalize is True
    (folder / "config.json").unlink()
    assert static_embed.load(folder).spec.compat == "sentence-transformers"
