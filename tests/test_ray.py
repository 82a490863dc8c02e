"""Ray Data: a local two-CPU cluster started by the test embeds 100,000 real texts in two workers.

The vectors must equal single-process ``model.encode`` exactly and come back in
order. The cluster is small on purpose (the machines running this are shared):
2 CPUs, a 500 MB object store, no dashboard, and every Ray call runs under an
alarm so that a stalled pipeline fails the test instead of hanging it.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

import corpus
import static_embed
from static_embed.distributed import BatchEmbedder, embed_dataset

SKIP_REASON = "Ray Data is an optional extra: pip install 'static-embed-numpy[ray]'"
ray = pytest.importorskip("ray", reason=SKIP_REASON)
ray_data = pytest.importorskip("ray.data", reason=SKIP_REASON)
pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray")  # Ray's own settings, not ours

N_TEXTS = 100_000
DEADLINE_S = 300  # per Ray pipeline; a normal run needs well under a minute


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Raise TimeoutError in the main thread if the block runs longer than ``seconds``."""
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"the Ray pipeline did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    temp_dir = tempfile.mkdtemp(prefix="ray-")  # short: Ray's socket paths must stay under 107 bytes
    with deadline(DEADLINE_S):
        ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False,
                 object_store_memory=500 * 1024 ** 2, _temp_dir=temp_dir)
    context = ray_data.DataContext.get_current()
    previous = context.execution_options.preserve_order, context.enable_progress_bars
    context.execution_options.preserve_order = True  # blocks come back in input order
    context.enable_progress_bars = False
    try:
        yield
    finally:
        context.execution_options.preserve_order, context.enable_progress_bars = previous
        ray.shutdown()
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """100,000 real English and Japanese lines, cycled; the line number appended keeps every line distinct,
    so a reordered or duplicated row cannot pass for the right one."""
    base = corpus.english_texts() + corpus.japanese_texts()
    assert len(base) >= 20_000, len(base)
    return [f"{base[i % len(base)]} ({i})" for i in range(N_TEXTS)]


def collect(ds, *columns: str) -> dict[str, np.ndarray]:
    """Run ``ds`` and concatenate the columns of its numpy batches, in the order they arrive."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in columns}
    with deadline(DEADLINE_S):
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            for name in columns:
                parts[name].append(batch[name])
    return {name: np.concatenate(arrays) for name, arrays in parts.items()}


def test_two_workers_give_the_single_process_vectors_in_order(cluster, texts):
    model = static_embed.load()
    expected = model.encode(texts)
    frame = pd.DataFrame({"id": np.arange(N_TEXTS), "text": texts})
    ds = ray_data.from_pandas([frame.iloc[start:start + 5000] for start in range(0, N_TEXTS, 5000)])
    # The input blocks already sit in the object store, so a fixed pool of two 1-CPU workers starves nothing.
    out = ds.map_batches(BatchEmbedder, fn_constructor_kwargs={"text_column": "text"},
                         compute=ray_data.ActorPoolStrategy(size=2), batch_size=2048, batch_format="numpy")
    got = collect(out, "id", "text", "embedding")
    np.testing.assert_array_equal(got["id"], np.arange(N_TEXTS))
    assert got["text"].tolist() == texts
    assert got["embedding"].dtype == np.float32 and got["embedding"].shape == (N_TEXTS, model.dim)
    np.testing.assert_array_equal(got["embedding"], expected)


def test_embed_dataset_reads_a_file_with_load_options(cluster, texts, tmp_path):
    lines = [text for text in texts[:6000] if "\n" not in text and "\r" not in text and text.strip() == text]
    source = tmp_path / "texts.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # A growing pool: a fixed pool of two 1-CPU workers on this 2-CPU cluster would starve the read tasks.
    ds = embed_dataset(ray_data.read_text(str(source)), concurrency=2, batch_size=500, truncate_dim=64,
                       normalize=False, tokenizer_backend="lite")
    got = collect(ds, "text", "embedding")
    assert got["text"].tolist() == lines
    expected = static_embed.load(truncate_dim=64, normalize=False, tokenizer_backend="lite").encode(lines)
    np.testing.assert_array_equal(got["embedding"], expected)


def test_pandas_batches_and_a_loaded_model_sent_by_reference(cluster, texts):
    model = static_embed.load(truncate_dim=32)
    sample = texts[-3000:]
    ds = ray_data.from_pandas([pd.DataFrame({"body": sample[:1500]}), pd.DataFrame({"body": sample[1500:]})])
    out = ds.map_batches(BatchEmbedder, fn_constructor_kwargs={"model": model, "text_column": "body",
                                                                "embedding_column": "vector"},
                         compute=ray_data.ActorPoolStrategy(size=2), batch_size=256, batch_format="pandas")
    with deadline(DEADLINE_S):
        out = out.materialize()
        assert "Tensor" in str(out.schema().types[out.schema().names.index("vector")])  # not a list column
    got = collect(out, "body", "vector")
    assert got["body"].tolist() == sample
    np.testing.assert_array_equal(got["vector"], model.encode(sample))


def test_embed_dataset_checks_its_arguments():
    with pytest.raises(TypeError, match="ray.data.Dataset"):
        embed_dataset(["a", "b"])
    ds = ray_data.range(1)  # lazy: nothing runs, no cluster needed
    with pytest.raises(ValueError, match="concurrency"):
        embed_dataset(ds, concurrency=0)
    with pytest.raises(TypeError, match="batch_size"):
        embed_dataset(ds, batch_size=2.5)
