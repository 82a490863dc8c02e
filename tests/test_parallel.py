"""``load(workers=N)``: large inputs shared with worker processes, same vectors as one process."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

import corpus
import static_embed
from static_embed.encoder import StaticModel
from static_embed.parallel import PARALLEL_MIN_TEXTS


@pytest.fixture(scope="module")
def texts() -> list[str]:
    real = corpus.english_texts(limit=8000) + corpus.japanese_texts(limit=4000) + corpus.edge_cases()
    assert len(real) >= PARALLEL_MIN_TEXTS
    return real


@pytest.fixture(scope="module")
def pooled_model():
    model = static_embed.load(workers=2)
    yield model
    model.close()


def _worker_pids(model: StaticModel) -> list[int]:
    assert model._pool is not None and model._pool._executor is not None
    return list(model._pool._executor._processes)


@pytest.mark.parametrize("options", [{}, {"normalize": False}, {"truncate_dim": 64, "batch_size": 300}])
def test_workers_give_the_same_vectors_in_the_same_order(pooled_model, texts, options):
    expected = static_embed.load().encode(texts, **options)
    got = pooled_model.encode(texts, **options)
    assert pooled_model._pool is not None, "a large input must use the worker pool"
    assert np.array_equal(got, expected)
    assert np.array_equal(pooled_model.encode(texts[::-1], **options), expected[::-1])


def test_back_to_back_calls_with_three_workers_agree_and_leave_no_results_files(texts):
    """Batches a worker still holds when the caller finishes are computed twice and the late copy is
    dropped: repeated calls (each queueing behind the last one's leftovers) must stay exact, and every
    call's results file must be gone when it returns."""
    import tempfile

    def results_files() -> set[str]:
        folders = [folder for folder in ("/dev/shm", tempfile.gettempdir()) if os.path.isdir(folder)]
        return {os.path.join(folder, name) for folder in folders for name in os.listdir(folder)
                if name.startswith("static-embed-")}

    before = results_files()
    expected = static_embed.load().encode(texts, batch_size=256)
    model = static_embed.load(workers=3)
    try:
        for _ in range(4):
            assert np.array_equal(model.encode(texts, batch_size=256), expected)
            assert not results_files() - before
    finally:
        model.close()


def test_progress_counts_every_text_once(pooled_model, texts, capsys):
    pooled_model.encode(texts, show_progress_bar=True)
    last = capsys.readouterr().err.strip().split("\r")[-1]
    assert f"{len(texts)}/{len(texts)}" in last


def test_small_inputs_and_single_texts_stay_in_process(texts):
    model = static_embed.load(workers=2)
    model.encode(texts[:PARALLEL_MIN_TEXTS - 1])
    model.encode(texts[0])
    assert model._pool is None


def test_a_model_not_made_by_load_encodes_in_process(texts):
    model = StaticModel(static_embed.load().spec, workers=2)
    assert np.array_equal(model.encode(texts), static_embed.load().encode(texts))
    assert model._pool is None


def test_a_killed_worker_raises_and_the_next_call_recovers(texts):
    model = static_embed.load(workers=2)
    try:
        model.encode(texts)  # starts the pool
        os.kill(_worker_pids(model)[0], signal.SIGKILL)
        with pytest.raises(RuntimeError, match="worker process died"):
            model.encode(texts * 3)
        assert np.array_equal(model.encode(texts), static_embed.load().encode(texts))
    finally:
        model.close()


def test_close_stops_the_workers(texts):
    model = static_embed.load(workers=2)
    model.encode(texts)
    pids = _worker_pids(model)
    processes = list(model._pool._executor._processes.values())
    model.close()
    for process in processes:
        process.join(timeout=30)
    assert model._pool is None and not any(process.is_alive() for process in processes), pids


@pytest.mark.parametrize("workers, error", [("2", TypeError), (2.0, TypeError), (0, ValueError), (-1, ValueError)])
def test_bad_workers_are_refused(workers, error):
    with pytest.raises(error, match="workers"):
        static_embed.load(workers=workers)
