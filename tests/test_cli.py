"""The ``static-embed`` command line, run as a user would (a subprocess)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import static_embed
from conftest import REPO


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "static_embed", *args], input=stdin, capture_output=True,
                          text=True, cwd=REPO, timeout=120)


@pytest.fixture(scope="module")
def model():
    return static_embed.load()


def test_encode_arguments_to_jsonl(model):
    result = run("encode", "hello world", "東京")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["text"] for row in rows] == ["hello world", "東京"]
    assert np.allclose([row["embedding"] for row in rows], model.encode(["hello world", "東京"]), atol=1e-7)


def test_encode_file_to_npy_with_options(tmp_path, model):
    source = tmp_path / "texts.txt"
    source.write_text("first line\nsecond line\n\nfourth\n", encoding="utf-8")
    out = tmp_path / "vectors.npy"
    result = run("encode", "--input", str(source), "--output", str(out), "--truncate-dim", "64",
                 "--no-normalize", "--batch-size", "2")
    assert result.returncode == 0, result.stderr
    expected = model.encode(["first line", "second line", "", "fourth"], truncate_dim=64, normalize=False)
    assert np.array_equal(np.load(out), expected)


def test_encode_stdin_jsonl_field_to_csv(tmp_path, model):
    out = tmp_path / "vectors.csv"
    lines = "\n".join(json.dumps({"id": i, "body": text}) for i, text in enumerate(["alpha", "beta"]))
    result = run("encode", "--jsonl-field", "body", "--output", str(out), stdin=lines)
    assert result.returncode == 0, result.stderr
    with open(out, newline="") as handle:
        values = np.array([[float(x) for x in row] for row in csv.reader(handle)], dtype=np.float32)
    assert np.allclose(values, model.encode(["alpha", "beta"]), atol=1e-7)


def test_rank_orders_by_similarity():
    result = run("rank", "How do I read a file?", "The weather is sunny.", "Open the file and call read().")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert "Open the file" in first and first.strip().startswith("1.")


def test_bench_reports_figures():
    result = run("encode", "hello", "world", "--bench", "--output", "/dev/null", "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    for fragment in ("load:", "single text: p50", "batch:"):
        assert fragment in result.stderr


@pytest.mark.parametrize("args, stdin, fragment", [
    (("encode", "--model", "/no/such/model", "x"), None, "model folder not found"),
    (("encode", "--input", "/no/such/file.txt"), None, "input file not found"),
    (("encode", "--jsonl-field", "text"), "{not json}\n", "<stdin>:1: invalid JSON"),
    (("encode", "--jsonl-field", "text"), '{"other": 1}\n', "no field 'text'"),
    (("encode", "x", "--truncate-dim", "9999"), None, "truncate_dim"),
    (("encode", "x", "--batch-size", "0"), None, "--batch-size must be positive"),
    (("encode", "x", "--output", "out.bin"), None, "cannot tell the output format"),
], ids=["no-model", "no-input", "bad-jsonl", "missing-field", "bad-dim", "bad-batch", "bad-format"])
def test_errors_exit_non_zero_with_a_message(args, stdin, fragment):
    result = run(*args, stdin=stdin)
    assert result.returncode == 1
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_usage_error_exit_code():
    assert run("frobnicate").returncode == 2


def test_failed_run_leaves_no_output_file(tmp_path):
    out = tmp_path / "vectors.npy"
    result = run("encode", "x", "--model", str(tmp_path / "missing"), "--output", str(out))
    assert result.returncode == 1 and not out.exists()
    assert not list(tmp_path.iterdir())


def test_progress_bar_on_request(tmp_path):
    source = tmp_path / "texts.txt"
    source.write_text("\n".join(f"text number {i}" for i in range(50)), encoding="utf-8")
    result = run("encode", "--input", str(source), "--output", str(tmp_path / "v.npy"), "--progress")
    assert result.returncode == 0 and "50/50" in result.stderr


def test_encode_with_two_workers_writes_the_same_vectors(tmp_path, model):
    import corpus

    texts = [f"{i} {text}" for i, text in enumerate(corpus.english_texts(limit=6000) * 2)]
    source = tmp_path / "texts.txt"
    source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    out = tmp_path / "vectors.npy"
    result = run("encode", "--input", str(source), "--output", str(out), "--workers", "2", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert np.array_equal(np.load(out), model.encode(texts))
    refused = run("encode", "x", "--workers", "0")
    assert refused.returncode == 1 and "--workers" in refused.stderr
