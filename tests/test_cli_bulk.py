"""Streaming bulk encoding (``static-embed encode --input FILE --output OUT``): flat memory, resumable.

Expected vectors always come from ``model.encode`` on the texts read independently (Python's own text-mode
line reading); resumed outputs are compared byte for byte with an uninterrupted run's output.
"""

from __future__ import annotations

import functools
import io
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import corpus
import static_embed
from conftest import REPO
from static_embed import bulk, cli
from static_embed.encoder import StaticModel

# Runs the CLI in this process and prints the peak resident set size (VmHWM, kB) as the last stderr line.
_PEAK_RSS_WRAPPER = """
import sys
from static_embed.cli import main
status = main(sys.argv[1:])
peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
sys.stderr.write(f"\\nVmHWM {peak}\\n")
sys.exit(status)
"""


@functools.lru_cache(maxsize=1)
def _real_texts() -> tuple[str, ...]:
    texts = (" ".join(text.split()) for text in corpus.english_texts() + corpus.japanese_texts())
    return tuple(text for text in texts if text)


def numbered_texts(count: int) -> list[str]:
    """``count`` real English and Japanese texts, cycled, each prefixed with its number (not all repeats)."""
    return [f"{number} {text}" for number, text in zip(range(count), itertools.cycle(_real_texts()))]


def write_lines(path: Path, texts: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for text in texts:
            handle.write(text + "\n")


def read_lines(path: Path) -> list[str]:
    """The texts as the command reads them, by Python's own text mode (the pre-streaming behaviour)."""
    with open(path, encoding="utf-8") as handle:
        return [line.rstrip("\r\n") for line in handle]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "static_embed", *args], input=stdin, capture_output=True,
                          text=True, cwd=REPO, timeout=300)


def read_state(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def partial_and_state(out: Path) -> tuple[Path, Path]:
    return Path(str(out) + ".partial"), Path(str(out) + ".partial.json")


def expected_bytes(vectors: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, vectors)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def model():
    return static_embed.load()


@pytest.fixture
def interrupt_after(monkeypatch):
    """Make ``StaticModel.encode`` raise KeyboardInterrupt (as Ctrl-C would) after ``calls`` more chunks."""
    real = StaticModel.encode

    def arm(calls: int | None) -> None:
        if calls is None:
            monkeypatch.setattr(StaticModel, "encode", real)
            return
        seen = itertools.count()

        def encode(self, *args, **kwargs):
            if next(seen) >= calls:
                raise KeyboardInterrupt
            return real(self, *args, **kwargs)

        monkeypatch.setattr(StaticModel, "encode", encode)
    return arm


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_peak_memory_does_not_grow_with_input_size(tmp_path):
    peaks = {}
    # both sizes hold more distinct words (each text starts with its number) than the tokenizer's
    # bounded word cache keeps, so the cache is full in both runs and only held output could differ
    for count in (150_000, 300_000):
        source = tmp_path / f"texts-{count}.txt"
        write_lines(source, numbered_texts(count))
        out = tmp_path / f"vectors-{count}.npy"
        result = subprocess.run([sys.executable, "-c", _PEAK_RSS_WRAPPER, "encode", "--input", str(source),
                                 "--output", str(out), "--no-progress"],
                                capture_output=True, text=True, cwd=REPO, timeout=600)
        assert result.returncode == 0, result.stderr
        peaks[count] = int(result.stderr.split("VmHWM")[-1]) / 1024
        assert np.load(out, mmap_mode="r").shape == (count, 256)
    # Holding every vector would add 150 MB (150,000 more rows of 256 float32) plus the texts.
    assert peaks[300_000] < peaks[150_000] + 25, peaks


@pytest.mark.parametrize("fmt, stop",
                         [("npy", signal.SIGKILL), ("jsonl", signal.SIGKILL), ("csv", signal.SIGINT)],
                         ids=["npy-SIGKILL", "jsonl-SIGKILL", "csv-SIGINT"])
def test_interrupted_run_resumes_to_identical_output(tmp_path, model, monkeypatch, capsys, fmt, stop):
    texts = numbered_texts(20_000)
    source = tmp_path / "texts.txt"
    write_lines(source, texts)
    out = tmp_path / f"vectors.{fmt}"
    partial, state = partial_and_state(out)
    # small chunks (each one fsynced) keep the run long enough to be stopped after its first chunk
    args = ("encode", "--input", str(source), "--truncate-dim", "32", "--chunk-size", "100", "--no-progress")
    # the CLI run as `python -m static_embed`, with Ctrl-C's handler installed even when this test runs
    # in a background job (which starts with SIGINT ignored, and a child inherits that)
    launcher = ("import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
                "runpy.run_module('static_embed', run_name='__main__', alter_sys=True)")
    process = subprocess.Popen([sys.executable, "-c", launcher, *args, "--output", str(out)],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while (read_state(state) or {}).get("progress", {}).get("chunks", 0) < 1:
            assert not out.exists(), "an unfinished output appeared at the final path"
            assert process.poll() is None, f"it ended before it could be interrupted: {process.stderr.read()}"
            time.sleep(0.005)
        for _ in range(20):  # a SIGINT that lands while the interpreter runs a finalizer is lost: resend
            process.send_signal(stop)
            try:
                process.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                continue
        process.wait(timeout=120)
        diagnosis = f"exit status {process.returncode}, stderr: {process.stderr.read()[-2000:]!r}"
    finally:
        process.kill()
        process.stderr.close()
    assert not out.exists() and partial.exists(), diagnosis
    kept = read_state(state)["progress"]["texts"]
    assert 0 < kept < len(texts) and kept % 100 == 0

    encoded = []  # what the resumed run (in this process) gives the model: only the chunks not yet done
    real_encode = StaticModel.encode

    def counting_encode(self, batch, **options):
        encoded.extend(batch)
        return real_encode(self, batch, **options)

    monkeypatch.setattr(StaticModel, "encode", counting_encode)
    assert cli.main([*args, "--output", str(out)]) == 0
    monkeypatch.undo()
    message = capsys.readouterr().err
    assert encoded == texts[kept:]
    assert f"resuming {partial}: {kept:,} of {len(texts):,} texts already encoded" in message
    assert f"encoded {len(texts) - kept:,} texts; {kept:,} came from the interrupted run" in message

    reference = tmp_path / f"reference.{fmt}"
    uninterrupted = run(*args, "--output", str(reference))
    assert uninterrupted.returncode == 0 and "resuming" not in uninterrupted.stderr
    assert out.read_bytes() == reference.read_bytes()
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([source.name, out.name, reference.name])
    if fmt == "npy":
        assert out.read_bytes() == expected_bytes(model.encode(texts, truncate_dim=32))


def test_resume_refuses_changed_input_and_default_starts_over(tmp_path, model, interrupt_after, capsys):
    source = tmp_path / "texts.txt"
    write_lines(source, numbered_texts(3000))
    out = tmp_path / "vectors.npy"
    partial, state = partial_and_state(out)
    args = ["encode", "--input", str(source), "--output", str(out), "--chunk-size", "1000"]
    interrupt_after(2)
    assert cli.main(args) == 130
    assert "texts are kept in" in capsys.readouterr().err
    assert not out.exists() and read_state(state)["progress"]["texts"] == 2000
    before = partial.read_bytes(), state.read_bytes()

    changed = numbered_texts(3000)
    changed[10] = "a line that was edited after the interruption"
    write_lines(source, changed)
    assert cli.main([*args, "--resume"]) == 1
    message = capsys.readouterr().err
    assert "cannot resume" in message and "different input" in message and "input_sha256" in message
    assert (partial.read_bytes(), state.read_bytes()) == before and not out.exists()

    interrupt_after(None)
    assert cli.main(args) == 0
    message = capsys.readouterr().err
    assert "starting over" in message and "resuming" not in message
    assert np.load(out).tobytes() == model.encode(changed).tobytes()
    assert not partial.exists() and not state.exists()


def test_changed_options_start_over_and_no_resume_forces_it(tmp_path, model, interrupt_after, capsys):
    source = tmp_path / "texts.txt"
    texts = numbered_texts(3000)
    write_lines(source, texts)
    out = tmp_path / "vectors.jsonl"
    args = ["encode", "--input", str(source), "--output", str(out), "--chunk-size", "1000"]
    interrupt_after(1)
    assert cli.main(args) == 130
    interrupt_after(1)
    assert cli.main([*args, "--truncate-dim", "64"]) == 130  # another setup: starts over, interrupted again
    message = capsys.readouterr().err
    assert "starting over" in message and "(dim differ)" in message
    interrupt_after(None)
    assert cli.main([*args, "--no-resume"]) == 0
    message = capsys.readouterr().err
    assert "resuming" not in message
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["text"] for row in rows] == texts
    assert np.array_equal(np.array([row["embedding"] for row in rows], dtype=np.float32), model.encode(texts))


def test_stdin_is_spooled_and_resumes_when_the_same_bytes_are_piped(tmp_path, model, interrupt_after,
                                                                    monkeypatch, capsys):
    texts = numbered_texts(2500)
    data = "".join(text + "\n" for text in texts).encode("utf-8")
    out = tmp_path / "vectors.npy"
    args = ["encode", "--output", str(out), "--chunk-size", "1000"]
    interrupt_after(1)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    assert cli.main(args) == 130
    interrupt_after(None)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    assert cli.main(args) == 0
    assert "resuming" in capsys.readouterr().err
    assert out.read_bytes() == expected_bytes(model.encode(texts))


def test_bad_line_late_in_the_input_fails_before_anything_is_written(tmp_path):
    lines = [json.dumps({"body": text}) for text in numbered_texts(5000)] + ["{broken"]
    source = tmp_path / "docs.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("encode", "--input", str(source), "--jsonl-field", "body",
                 "--output", str(tmp_path / "v.npy"), "--chunk-size", "100")
    assert result.returncode == 1 and f"{source}:5001: invalid JSON" in result.stderr
    assert [path.name for path in tmp_path.iterdir()] == ["docs.jsonl"]

    source.write_bytes(b"fine\nalso fine\nbad \xff byte\n")
    result = run("encode", "--input", str(source), "--output", str(tmp_path / "v.npy"))
    assert result.returncode == 1 and f"{source}:3: not valid UTF-8" in result.stderr
    assert [path.name for path in tmp_path.iterdir()] == ["docs.jsonl"]


@pytest.mark.parametrize("block", [1, 2, 3, 7, 1 << 20])
def test_line_splitting_matches_text_mode_at_any_block_boundary(tmp_path, model, monkeypatch, block):
    source = tmp_path / "texts.txt"
    source.write_bytes("a\rb\r\nc\r\r\n\ufeffbom\n\n  \n東京タワー\r\nlast\r".encode("utf-8"))
    monkeypatch.setattr(bulk, "_READ_BLOCK", block)
    out = tmp_path / "vectors.npy"
    assert cli.main(["encode", "--input", str(source), "--output", str(out), "--chunk-size", "2"]) == 0
    assert out.read_bytes() == expected_bytes(model.encode(read_lines(source)))


def test_a_second_concurrent_run_is_refused(tmp_path, model):
    fcntl = pytest.importorskip("fcntl")
    source = tmp_path / "texts.txt"
    write_lines(source, ["one", "two"])
    out = tmp_path / "vectors.npy"
    partial, _ = partial_and_state(out)
    with open(partial, "wb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        result = run("encode", "--input", str(source), "--output", str(out))
    assert result.returncode == 1 and "another static-embed run is writing" in result.stderr
    assert partial.exists() and not out.exists()


def test_resume_without_a_partial_or_without_an_output_file_is_an_error(tmp_path):
    result = run("encode", "x", "--output", str(tmp_path / "v.npy"), "--resume")
    assert result.returncode == 1 and "nothing to resume" in result.stderr
    result = run("encode", "x", "--resume")
    assert result.returncode == 1 and "--resume needs --output" in result.stderr
    result = run("encode", "x", "--chunk-size", "0")
    assert result.returncode == 1 and "--chunk-size must be positive" in result.stderr
    assert not list(tmp_path.iterdir())


def test_stdout_output_streams_every_chunk(model):
    texts = numbered_texts(50)
    result = run("encode", "--chunk-size", "7", stdin="\n".join(texts) + "\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["text"] for row in rows] == texts
    assert np.allclose([row["embedding"] for row in rows], model.encode(texts), atol=1e-7)


def test_progress_reports_rate_and_eta_on_stderr(tmp_path):
    source = tmp_path / "texts.txt"
    write_lines(source, numbered_texts(12_000))
    result = run("encode", "--input", str(source), "--output", str(tmp_path / "v.npy"))
    assert result.returncode == 0, result.stderr
    last = result.stderr.replace("\r", "\n").strip().splitlines()[-1]
    assert "12000/12000" in last and "/s" in last and "eta" in last
    assert os.path.exists(tmp_path / "v.npy")
