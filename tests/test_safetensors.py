"""Tests for static_embed.safetensors: parity with the reference, strictness, robustness."""

from __future__ import annotations

import json
import os
import struct
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from static_embed.errors import ModelFormatError, SafetensorsFormatError, UnsupportedDtypeError
from static_embed.safetensors import SafetensorsFile, open_safetensors

st_numpy = pytest.importorskip("safetensors.numpy")

SUPPORTED = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16,
    "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8,
    "U64": np.uint64, "U32": np.uint32, "U16": np.uint16, "U8": np.uint8,
    "BOOL": np.bool_,
}
SHAPES = [(), (0,), (5,), (2, 3), (2, 0, 3), (1, 1, 1, 4)]


def _values(np_dtype: type, shape: tuple[int, ...], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dtype = np.dtype(np_dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.kind == "f":
        values = np.asarray(rng.standard_normal(size=shape) * 100, dtype=dtype)
        flat = values.reshape(-1)
        specials = np.array([np.inf, -np.inf, np.nan, -0.0, np.finfo(dtype).max], dtype=dtype)
        flat[: min(flat.size, specials.size)] = specials[: flat.size]
        return values
    info = np.iinfo(dtype)
    values = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    flat = values.reshape(-1)
    extremes = np.array([info.min, info.max], dtype=dtype)
    flat[: min(flat.size, 2)] = extremes[: flat.size]
    return values


def _write(tmp_path: Path, header: bytes | dict | str, data: bytes = b"", *, n: int | None = None,
           name: str = "model.safetensors") -> str:
    """Build a safetensors file by hand: u64 header length, header bytes, data."""
    if isinstance(header, dict):
        header = json.dumps(header)
    if isinstance(header, str):
        header = header.encode("utf-8")
    path = tmp_path / name
    path.write_bytes(struct.pack("<Q", len(header) if n is None else n) + header + data)
    return str(path)


def _entry(dtype: str, shape: list, begin: int, end: int) -> dict:
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


# ---------------------------------------------------------------------------------------------
# Round trips against the reference writer


@pytest.mark.parametrize("dtype_name", sorted(SUPPORTED))
def test_round_trip_every_dtype_and_shape(tmp_path: Path, dtype_name: str) -> None:
    tensors = {f"t{i}": _values(SUPPORTED[dtype_name], shape, i) for i, shape in enumerate(SHAPES)}
    tensors["filler_u8"] = np.arange(3, dtype=np.uint8)  # odd-sized neighbour moves offsets around
    path = tmp_path / "rt.safetensors"
    st_numpy.save_file(tensors, str(path))
    reference = st_numpy.load_file(str(path))

    f = open_safetensors(path)
    assert isinstance(f, SafetensorsFile)
    assert f.path == str(path)
    assert sorted(f.keys()) == sorted(tensors)
    assert f.metadata == {}
    for name, expected in tensors.items():
        assert name in f
        got = f.tensor(name)
        assert f.shape(name) == expected.shape == got.shape
        assert got.dtype == expected.dtype
        assert got.dtype.byteorder in ("<", "=", "|")
        assert got.dtype.byteorder != ">"
        assert not got.flags.writeable
        assert got.tobytes() == expected.tobytes() == reference[name].tobytes()
        np.testing.assert_array_equal(got, expected)
        assert f.dtype(name) == (dtype_name if name != "filler_u8" else "U8")
        if got.size and dtype_name != "BOOL":  # the reference writer aligns data: zero-copy views
            assert got.base is not None and not got.flags.owndata
        with pytest.raises(ValueError):
            got[...] = got  # read-only


def test_keys_follow_file_offsets_and_metadata_round_trips(tmp_path: Path) -> None:
    tensors = {"zeta": np.ones((4, 4), np.float64), "alpha": np.ones(3, np.int8),
               "mid": np.ones(2, np.float32)}
    metadata = {"format": "np", "note": "ünïcødé \u2603", "": ""}
    path = str(tmp_path / "m.safetensors")
    st_numpy.save_file(tensors, path, metadata=metadata)
    f = open_safetensors(path)
    assert f.metadata == metadata
    with open(path, "rb") as handle:
        n = struct.unpack("<Q", handle.read(8))[0]
        header = json.loads(handle.read(n))
    header.pop("__metadata__")
    by_offset = sorted(header, key=lambda k: header[k]["data_offsets"])
    assert f.keys() == by_offset


def test_save_bytes_and_pathlike(tmp_path: Path) -> None:
    blob = st_numpy.save({"w": np.arange(12, dtype=np.float32).reshape(3, 4)})
    path = tmp_path / "b.safetensors"
    path.write_bytes(blob)
    f = open_safetensors(path)  # os.PathLike accepted
    np.testing.assert_array_equal(f.tensor("w"), np.arange(12, dtype=np.float32).reshape(3, 4))


def test_arrays_outlive_the_file_object(tmp_path: Path) -> None:
    import gc

    path = str(tmp_path / "live.safetensors")
    st_numpy.save_file({"w": np.arange(1000, dtype=np.int32)}, path)
    f = open_safetensors(path)
    array = f.tensor("w")
    del f
    gc.collect()
    assert int(array.sum()) == sum(range(1000))


def test_bf16_via_torch_is_exact_upcast(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    gen = torch.Generator().manual_seed(0)
    values = (torch.randn(7, 5, generator=gen) * 1000).to(torch.bfloat16)
    values[0, :4] = torch.tensor([float("inf"), float("-inf"), float("nan"), -0.0])
    path = str(tmp_path / "bf16.safetensors")
    st_torch.save_file({"e": values, "s": torch.tensor(1.5, dtype=torch.bfloat16)}, path)
    f = open_safetensors(path)
    assert f.dtype("e") == "BF16"
    got = f.tensor("e")
    assert got.dtype == np.float32 and got.shape == (7, 5) and not got.flags.writeable
    expected = values.to(torch.float32).numpy()
    assert got.tobytes() == expected.tobytes()
    assert f.tensor("s").shape == () and float(f.tensor("s")) == 1.5


def test_bf16_hand_built_bits(tmp_path: Path) -> None:
    bits = [0x0000, 0x8000, 0x3F80, 0xBF80, 0x7F80, 0xFF80, 0x7FC0, 0x0001, 0x7F7F, 0x4049]
    data = struct.pack(f"<{len(bits)}H", *bits)
    path = _write(tmp_path, {"b": _entry("BF16", [2, 5], 0, len(data))}, data)
    got = open_safetensors(path).tensor("b")
    expected = [struct.unpack("<f", struct.pack("<I", b << 16))[0] for b in bits]
    assert got.reshape(-1).tobytes() == struct.pack(f"<{len(bits)}f", *expected)
    assert got[0, 2] == 1.0 and got[0, 3] == -1.0 and np.isposinf(got[0, 4]) and np.isnan(got[1, 1])


def test_misaligned_data_start_is_accepted_and_copied(tmp_path: Path) -> None:
    # Header length 57 (not a multiple of 8): the data area starts at an odd file offset.
    values = np.array([1.5, -2.25, 3.0], dtype="<f4")
    header = json.dumps({"x": _entry("F32", [3], 0, 12)})
    header += " " * (57 - len(header))
    path = _write(tmp_path, header, values.tobytes())
    got = open_safetensors(path).tensor("x")
    np.testing.assert_array_equal(got, values)
    assert got.flags.aligned and not got.flags.writeable
    assert st_numpy.load_file(path)["x"].tobytes() == got.tobytes()  # the reference agrees


@pytest.mark.parametrize("header", ["\t\n {}\r ", "{}", "   {}", "{}\n\n\n\n\n"], ids=repr)
def test_whitespace_padding_accepted(tmp_path: Path, header: str) -> None:
    f = open_safetensors(_write(tmp_path, header))
    assert f.keys() == [] and f.metadata == {}


def test_lenient_but_valid_files(tmp_path: Path) -> None:
    header = {
        "__metadata__": None,  # null means absent
        "": _entry("U8", [1], 0, 1),  # empty name
        "z1": _entry("F32", [0, 7], 1, 1),  # two zero-size tensors at the same offset
        "z2": {**_entry("F64", [3, 0], 1, 1), "extra": {"nested": [1, 2]}},  # unknown field ignored
        "scalar": _entry("I16", [], 1, 3),  # 0-rank
    }
    f = open_safetensors(_write(tmp_path, header, b"\x07" + struct.pack("<h", -5)))
    assert f.metadata == {}
    assert f.keys() == ["", "z1", "z2", "scalar"]
    assert f.tensor("").tolist() == [7]
    assert f.tensor("z1").shape == (0, 7) and f.tensor("z2").shape == (3, 0)
    assert f.tensor("scalar").shape == () and int(f.tensor("scalar")) == -5


def test_bool_bytes_other_than_one_read_as_true(tmp_path: Path) -> None:
    f = open_safetensors(_write(tmp_path, {"b": _entry("BOOL", [4], 0, 4)}, b"\x00\x01\x05\xff"))
    got = f.tensor("b")
    assert got.dtype == np.bool_ and got.tolist() == [False, True, True, True]
    assert (got == np.array([False, True, True, True])).all() and not got.flags.writeable


@pytest.mark.parametrize(
    "dtype, shape, nbytes",
    [("F8_E4M3", [4], 4), ("F8_E5M2", [2, 2], 4), ("F8_E8M0", [3], 3), ("F8_E4M3FNUZ", [1], 1),
     ("F8_E5M2FNUZ", [1], 1), ("C64", [2], 16), ("F4", [4], 2), ("F6_E2M3", [4], 3), ("F6_E3M2", [8], 6)],
)
def test_known_unsupported_dtypes_open_then_raise_on_read(tmp_path: Path, dtype: str, shape: list,
                                                          nbytes: int) -> None:
    f = open_safetensors(_write(tmp_path, {"q": _entry(dtype, shape, 0, nbytes)}, b"\x01" * nbytes))
    assert f.dtype("q") == dtype and f.shape("q") == tuple(shape)
    with pytest.raises(UnsupportedDtypeError, match=f"tensor 'q' has dtype {dtype}"):
        f.tensor("q")


def test_missing_tensor_is_model_format_error(tmp_path: Path) -> None:
    path = _write(tmp_path, {"a": _entry("U8", [1], 0, 1), "b": _entry("U8", [1], 1, 2)}, b"xy")
    f = open_safetensors(path)
    assert "embeddings" not in f and 5 not in f
    for method in (f.tensor, f.dtype, f.shape):
        with pytest.raises(ModelFormatError) as info:
            method("embeddings")
        assert not isinstance(info.value, KeyError)
        assert str(info.value) == f"{path}: missing tensor 'embeddings' (found: ['a', 'b'])"


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "nope.safetensors"
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        open_safetensors(path)


def test_shared_between_threads(tmp_path: Path) -> None:
    tensors = {f"t{i}": _values(np.float32, (64, 16), i) for i in range(8)}
    path = str(tmp_path / "threads.safetensors")
    st_numpy.save_file(tensors, path)
    f = open_safetensors(path)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                for name, expected in tensors.items():
                    assert f.tensor(name).tobytes() == expected.tobytes()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# ---------------------------------------------------------------------------------------------
# Malformed files: reliability.md section 6, items 1-16

F32_6 = _entry("F32", [2, 3], 0, 24)
DATA_24 = bytes(range(24))
DEEP = "[" * 200 + "]" * 200
SFE = SafetensorsFormatError

# (id, raw file bytes builder args, expected exception, message fragment)
MALFORMED = [
    # 1: fewer than 8 bytes
    ("1-empty-file", dict(raw=b""), SFE, "header too small"),
    ("1-seven-bytes", dict(raw=b"\x02\x00\x00\x00\x00\x00\x00"), SFE, "header too small"),
    # 2: N over the cap
    ("2-n-100000001", dict(header="{}", n=100_000_001), SFE, "header too large"),
    ("2-n-2**64-1", dict(header="{}", n=2**64 - 1), SFE, "header too large"),
    # 3: N past the end of the file; N = 0
    ("3-n-past-eof", dict(header="{}", n=3), SFE, "invalid header length"),
    ("3-n-100000000-small-file", dict(header="{}", n=100_000_000), SFE,
     "invalid header length"),
    ("3-n-zero", dict(header="", n=0), SFE, "invalid JSON"),
    # 4: not UTF-8, not JSON, not an object, NUL padding, BOM
    ("4-not-utf8", dict(header=b'{"\xff\xfe": 1}'), SFE, "not valid UTF-8"),
    ("4-not-json", dict(header="hello"), SFE, "invalid JSON"),
    ("4-truncated-json", dict(header='{"a": {"dtype": "F32"'), SFE, "invalid JSON"),
    ("4-lone-brace", dict(header="{"), SFE, "invalid JSON"),
    ("4-top-null", dict(header="null"), SFE, "header must be a JSON object"),
    ("4-top-list", dict(header="[]"), SFE, "header must be a JSON object"),
    ("4-top-int", dict(header="1"), SFE, "header must be a JSON object"),
    ("4-top-string", dict(header='"{}"'), SFE, "header must be a JSON object"),
    ("4-nul-padding", dict(header=b"{}\x00\x00"), SFE, "invalid JSON"),
    ("4-bom", dict(header=b"\xef\xbb\xbf{}"), SFE, "invalid JSON"),
    ("4-vertical-tab-padding", dict(header=b"{}\x0b"), SFE, "invalid JSON"),
    # 5: deep nesting, NaN, Infinity, huge integers
    ("5-deep-nesting", dict(header='{"a": {"dtype": "U8", "shape": [], "data_offsets": [0, 1], "x": '
                            + DEEP + "}}", data=b"\x00"), SFE, "nested deeper"),
    ("5-nan", dict(header='{"a": {"dtype": "F32", "shape": [NaN], "data_offsets": [0, 0]}}'),
     SFE, "NaN"),
    ("5-infinity", dict(header='{"a": {"dtype": "F32", "shape": [Infinity], "data_offsets": [0, 0]}}'),
     SFE, "Infinity"),
    ("5-5000-digit-int", dict(header='{"a": {"dtype": "F32", "shape": [' + "9" * 5000
                              + '], "data_offsets": [0, 0]}}'), SFE, "invalid JSON"),
    ("5-1e400", dict(header='{"a": {"dtype": "F32", "shape": [1e400], "data_offsets": [0, 0]}}'),
     SFE, "shape[0] must be an integer"),
    # 6: duplicate keys, in tensors or metadata (stricter than the reference)
    ("6-duplicate-identical-tensor", dict(header='{"a": ' + json.dumps(F32_6) + ', "a": '
                                          + json.dumps(F32_6) + "}", data=DATA_24),
     SFE, "duplicate key 'a'"),
    ("6-duplicate-metadata-key", dict(header='{"__metadata__": {"k": "1", "k": "2"}}'),
     SFE, "duplicate key 'k'"),
    ("6-duplicate-metadata", dict(header='{"__metadata__": {}, "__metadata__": {}}'),
     SFE, "duplicate key '__metadata__'"),
    # 7: __metadata__ not a str->str object
    ("7-metadata-list", dict(header={"__metadata__": ["a"]}), SFE,
     "__metadata__ must be an object of strings"),
    ("7-metadata-int-value", dict(header={"__metadata__": {"a": 1}}), SFE,
     "__metadata__ must be an object of strings"),
    ("7-metadata-null-value", dict(header={"__metadata__": {"a": None}}), SFE,
     "__metadata__ must be an object of strings"),
    ("7-metadata-string", dict(header={"__metadata__": "x"}), SFE,
     "__metadata__ must be an object of strings"),
    ("7-metadata-lone-surrogate", dict(header='{"__metadata__": {"a": "\\ud800"}}'),
     SFE, "metadata value '\\ud800' is not valid Unicode"),
    # 8: entry shape problems
    ("8-entry-list", dict(header={"a": [1, 2]}), SFE, "tensor 'a': entry must be a JSON object"),
    ("8-entry-string", dict(header={"a": "F32"}), SFE, "entry must be a JSON object"),
    ("8-missing-dtype", dict(header={"a": {"shape": [0], "data_offsets": [0, 0]}}), SFE,
     "tensor 'a': missing field 'dtype'"),
    ("8-missing-shape", dict(header={"a": {"dtype": "U8", "data_offsets": [0, 0]}}), SFE,
     "missing field 'shape'"),
    ("8-missing-offsets", dict(header={"a": {"dtype": "U8", "shape": [0]}}), SFE,
     "missing field 'data_offsets'"),
    ("8-offsets-len-3",
     dict(header={"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1, 1]}}, data=b"x"),
     SFE, "data_offsets must be a list of two integers"),
    ("8-offsets-len-1", dict(header={"a": {"dtype": "U8", "shape": [0], "data_offsets": [0]}}),
     SFE, "data_offsets must be a list of two integers"),
    ("8-offsets-object", dict(header={"a": {"dtype": "U8", "shape": [0], "data_offsets": {"0": 0, "1": 0}}}),
     SFE, "data_offsets must be a list of two integers"),
    ("8-shape-object",
     dict(header={"a": {"dtype": "U8", "shape": {"0": 1}, "data_offsets": [0, 1]}}, data=b"x"),
     SFE, "shape must be a list of integers"),
    ("8-shape-int", dict(header={"a": {"dtype": "U8", "shape": 1, "data_offsets": [0, 1]}}, data=b"x"),
     SFE, "shape must be a list of integers"),
    ("8-name-lone-surrogate",
     dict(header='{"\\udc80": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]}}'),
     SFE, "tensor name '\\udc80' is not valid Unicode"),
    # 9: unknown dtype (case-sensitive)
    ("9-dtype-F99", dict(header={"a": _entry("F99", [0], 0, 0)}), SFE, "unknown dtype 'F99'"),
    ("9-dtype-lowercase", dict(header={"a": _entry("f32", [0], 0, 0)}), SFE,
     "tensor 'a': unknown dtype 'f32'"),
    ("9-dtype-empty", dict(header={"a": _entry("", [0], 0, 0)}), SFE, "unknown dtype ''"),
    ("9-dtype-int", dict(header={"a": _entry(32, [0], 0, 0)}), SFE, "dtype must be a string"),
    ("9-dtype-null", dict(header={"a": _entry(None, [0], 0, 0)}), SFE, "dtype must be a string"),
    # 10: dims and offsets must be non-negative plain ints <= 2**48-1
    ("10-dim-negative", dict(header={"a": _entry("U8", [-1], 0, 0)}), SFE,
     "tensor 'a': shape[0] must be an integer in 0..2**48-1, got -1"),
    ("10-dim-bool", dict(header={"a": _entry("U8", [True], 0, 1)}, data=b"x"), SFE,
     "shape[0] must be an integer in 0..2**48-1, got bool"),
    ("10-dim-float", dict(header={"a": _entry("U8", [1.0], 0, 1)}, data=b"x"), SFE,
     "shape[0] must be an integer in 0..2**48-1, got float"),
    ("10-dim-string", dict(header={"a": _entry("U8", ["1"], 0, 1)}, data=b"x"), SFE,
     "got str"),
    ("10-dim-null", dict(header={"a": _entry("U8", [None], 0, 1)}, data=b"x"), SFE,
     "got NoneType"),
    ("10-dim-2**48", dict(header={"a": _entry("U8", [0, 2**48], 0, 0)}), SFE,
     "shape[1] must be an integer in 0..2**48-1, got 281474976710656"),
    ("10-dim-2**63", dict(header={"a": _entry("U8", [2, 2**63], 0, 0)}), SFE,
     "shape[1] must be an integer"),
    ("10-offset-negative", dict(header={"a": _entry("U8", [1], -1, 0)}), SFE,
     "data_offsets[0] must be an integer in 0..2**48-1, got -1"),
    ("10-offset-bool", dict(header={"a": _entry("U8", [1], False, True)}, data=b"x"), SFE,
     "data_offsets[0] must be an integer in 0..2**48-1, got bool"),
    ("10-offset-float", dict(header={"a": _entry("U8", [1], 0, 1.0)}, data=b"x"), SFE,
     "data_offsets[1] must be an integer in 0..2**48-1, got float"),
    ("10-offset-2**64", dict(header={"a": _entry("U8", [1], 0, 2**64)}), SFE,
     "data_offsets[1] must be an integer in 0..2**48-1"),
    # 11: offsets must tile the data area from 0, in order, without gaps or overlaps
    ("11-first-not-zero", dict(header={"a": _entry("U8", [4], 4, 8)}, data=b"x" * 8), SFE,
     "invalid offset for tensor 'a'"),
    ("11-gap", dict(header={"a": _entry("U8", [2], 0, 2), "b": _entry("U8", [2], 3, 5)}, data=b"x" * 5),
     SFE, "invalid offset for tensor 'b'"),
    ("11-overlap", dict(header={"a": _entry("U8", [4], 0, 4), "b": _entry("U8", [4], 2, 6)}, data=b"x" * 6),
     SFE, "invalid offset for tensor 'b'"),
    ("11-same-offsets",
     dict(header={"a": _entry("U8", [4], 0, 4), "b": _entry("U8", [4], 0, 4)}, data=b"x" * 4),
     SFE, "invalid offset for tensor 'b'"),
    ("11-end-before-begin", dict(header={"a": _entry("U8", [4], 0, 4), "b": _entry("U8", [0], 4, 2)},
                                 data=b"x" * 4), SFE, "invalid offset for tensor 'b'"),
    # 12: byte count must match shape x dtype
    ("12-size-mismatch", dict(header={"x": _entry("F32", [2, 3], 0, 20)}, data=b"x" * 20), SFE,
     "tensor 'x': shape [2, 3] x F32 needs 24 bytes, file declares 20"),
    ("12-size-too-small-declared", dict(header={"x": _entry("U8", [0], 0, 1)}, data=b"x"), SFE,
     "tensor 'x': shape [0] x U8 needs 0 bytes, file declares 1"),
    ("12-product-overflows", dict(header={"x": _entry("F64", [2**40, 2**40, 2**40], 0, 8)}, data=b"x" * 8),
     SFE, "needs more than 281474976710655 bytes, file declares 8"),
    ("12-f4-odd-count", dict(header={"x": _entry("F4", [3], 0, 2)}, data=b"xx"), SFE,
     "x F4 is 12 bits, not a whole number of bytes"),
    ("12-f6-misaligned", dict(header={"x": _entry("F6_E2M3", [3], 0, 3)}, data=b"xxx"), SFE,
     "not a whole number of bytes"),
    # 13: the data area must be covered exactly
    ("13-trailing-bytes", dict(header={"x": F32_6}, data=DATA_24 + b"abc"), SFE,
     "file not fully covered: 3 trailing bytes"),
    ("13-empty-header-trailing", dict(header="{}", data=b"\x00"), SFE,
     "file not fully covered: 1 trailing bytes"),
    ("13-polyglot-zip", dict(header={"x": F32_6}, data=DATA_24 + b"PK\x05\x06" + b"\x00" * 18),
     SFE, "file not fully covered: 22 trailing bytes"),
    ("13-truncated", dict(header={"x": F32_6}, data=DATA_24[:-1]), SFE,
     "truncated: tensors need 24 data bytes, file has 23"),
    ("13-truncated-all-data", dict(header={"x": F32_6}, data=b""), SFE, "truncated"),
]


def _build(tmp_path: Path, spec: dict) -> str:
    if "raw" in spec:
        path = tmp_path / "raw.safetensors"
        path.write_bytes(spec["raw"])
        return str(path)
    return _write(tmp_path, spec["header"], spec.get("data", b""), n=spec.get("n"))


@pytest.mark.parametrize("spec, error, fragment", [case[1:] for case in MALFORMED],
                         ids=[case[0] for case in MALFORMED])
def test_malformed_file_rejected(tmp_path: Path, spec: dict, error: type, fragment: str) -> None:
    path = _build(tmp_path, spec)
    with pytest.raises(error) as info:
        open_safetensors(path)
    message = str(info.value)
    assert message.startswith(path + ": "), message
    assert fragment in message, message
    assert len(message) < 1000


def test_huge_names_and_shapes_keep_messages_short(tmp_path: Path) -> None:
    name = "n" * 1_000_000
    path = _write(tmp_path, {name: _entry("U8", [1] * 100_000 + [2], 0, 1)}, b"x")
    with pytest.raises(SafetensorsFormatError, match=r"needs 2 bytes, file declares 1") as info:
        open_safetensors(path)
    assert len(str(info.value)) < 500


def test_too_many_dims_for_numpy_fails_cleanly_on_read(tmp_path: Path) -> None:
    f = open_safetensors(_write(tmp_path, {"a": _entry("U8", [1] * 70, 0, 1)}, b"x"))
    with pytest.raises(SafetensorsFormatError, match="shape \\[1, 1, 1, 1, 1, 1, 1, 1, ...\\] cannot be"):
        f.tensor("a")
    g = open_safetensors(_write(tmp_path, {"z": _entry("F64", [0, 2**48 - 1, 2**48 - 1], 0, 0)}, name="z.st"))
    with pytest.raises(SafetensorsFormatError, match="cannot be represented by numpy"):
        g.tensor("z")


# ---------------------------------------------------------------------------------------------
# Memory: hostile lengths must fail fast, without allocating from them


@pytest.mark.parametrize(
    "spec",
    [dict(header="{}", n=2**64 - 1), dict(header="{}", n=100_000_000),
     dict(header={"a": _entry("F32", [2, 2**63], 0, 16)}, data=b"x" * 16),
     dict(header={"a": _entry("F32", [2**24, 2**24], 0, 2**48 - 1)}, data=b"x" * 16),
     dict(header={"a": _entry("F32", [2**20, 2**20], 0, 2**42)}, data=b"x" * 16)],
    ids=["n-2**64-1", "n-100MB-small-file", "shape-2-2**63", "offsets-2**48", "truncated-4TiB"],
)
def test_hostile_sizes_do_not_allocate(tmp_path: Path, spec: dict) -> None:
    path = _build(tmp_path, spec)
    tracemalloc.start()
    try:
        with pytest.raises(SafetensorsFormatError):
            open_safetensors(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024


# ---------------------------------------------------------------------------------------------
# Fuzz smoke test: mutated files open and read cleanly, or raise ModelFormatError


def _fuzz_base() -> bytes:
    return st_numpy.save(
        {"emb": np.arange(12, dtype=np.float32).reshape(3, 4), "ids": np.arange(5, dtype=np.int64),
         "mask": np.array([True, False, True]), "s": np.array(7, dtype=np.uint16),
         "e": np.zeros((0, 3), dtype=np.float16), "b": np.arange(-3, 3, dtype=np.int8)},
        metadata={"format": "np"},
    )


def test_fuzz_mutations_fail_closed(tmp_path: Path) -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    base = _fuzz_base()
    n_header = struct.unpack("<Q", base[:8])[0]
    examples = int(os.environ.get("STATIC_EMBED_HYPOTHESIS_EXAMPLES", "50"))
    path = tmp_path / "fuzz.safetensors"

    flip = st.tuples(st.just("flip"), st.integers(0, len(base) - 1), st.integers(0, 255))
    header_byte = st.tuples(st.just("flip"), st.integers(8, 8 + n_header - 1),
                            st.sampled_from(b'{}[]",:0123456789-eE. \x00\xff'))
    truncate = st.tuples(st.just("truncate"), st.integers(0, len(base)), st.just(0))
    length = st.tuples(st.just("length"), st.integers(-16, 16), st.just(0))
    append = st.tuples(st.just("append"), st.integers(1, 16), st.integers(0, 255))
    mutations = st.lists(st.one_of(flip, header_byte, truncate, length, append), min_size=1, max_size=4)

    @hypothesis.settings(max_examples=examples, deadline=None, database=None, derandomize=True)
    @hypothesis.given(mutations)
    def check(ops: list[tuple[str, int, int]]) -> None:
        data = bytearray(base)
        for op, a, b in ops:
            if op == "flip" and a < len(data):
                data[a] = b
            elif op == "truncate":
                del data[a:]
            elif op == "length" and len(data) >= 8:
                n = max(0, struct.unpack("<Q", bytes(data[:8]))[0] + a)
                data[:8] = struct.pack("<Q", min(n, 2**64 - 1))
            elif op == "append":
                data += bytes([b]) * a
        path.write_bytes(bytes(data))
        try:
            f = open_safetensors(path)
            arrays = {name: f.tensor(name) for name in f.keys()}
        except ModelFormatError:
            return
        for array in arrays.values():
            assert isinstance(array, np.ndarray) and not array.flags.writeable
        # Whatever we accept, the reference accepts with the same values (JSON "-0" aside).
        if b"-0" not in data:
            reference = st_numpy.load(bytes(data))
            assert sorted(reference) == sorted(arrays)
            for name, array in arrays.items():
                ref = reference[name]
                if array.dtype == np.bool_:
                    ref = ref.view(np.uint8) != 0
                assert array.shape == ref.shape and array.tobytes() == ref.tobytes()

    check()
