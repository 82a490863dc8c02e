"""Both cores for large inputs: worker processes that each load the model once.

The pure-Python tokenizer holds the GIL, so threads cannot share its work;
processes can. With ``load(..., workers=N)`` an ``encode`` call on at least
``PARALLEL_MIN_TEXTS`` texts hands batches to ``N - 1`` worker processes while
the calling process encodes batches itself (small inputs never pay for the
processes). Workers are started with ``spawn`` (safe when the parent has
threads), receive the model by reference (it pickles as its path plus options)
and memory-map the same table, so its pages are shared; they live as long as the
model and keep their tokenizer caches between calls. Each batch is encoded by
the same code as in-process, so results do not depend on ``workers``.

As with every ``spawn`` pool, a script that uses it must guard its entry point
with ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = ["PARALLEL_MIN_TEXTS", "WorkerPool"]

#: inputs shorter than this are always encoded in the calling process
PARALLEL_MIN_TEXTS = 8192
#: batches queued per worker: enough to keep it busy, few enough that the caller takes the tail itself
_QUEUED_PER_WORKER = 2

_worker_model: Any = None


def _start_worker(model_payload: bytes) -> None:
    global _worker_model
    _worker_model = pickle.loads(model_payload)


def _encode_in_worker(texts: list[str], normalize: bool, out_dim: int) -> np.ndarray:
    return _worker_model._encode_batch(texts, out_dim, normalize)


class WorkerPool:
    """``processes`` spawned workers holding one model each; thread-safe."""

    def __init__(self, model: Any, processes: int) -> None:
        # imported here: ``import static_embed`` stays cheap for the many programs that never use a pool
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        payload = pickle.dumps(model)  # by reference: a path or hub id and the load options
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(payload,))

    def encode_into(self, out: np.ndarray, texts: list[str], batch_size: int, normalize: bool,
                    encode_here: Callable[[list[str]], np.ndarray], progress: Callable[[int], None]) -> None:
        """Fill ``out[i]`` with the vector of ``texts[i]``; the workers and this process share the batches."""
        from concurrent.futures.process import BrokenProcessPool

        executor = self._executor
        if executor is None:
            raise RuntimeError("this worker pool was shut down")
        starts = iter(range(0, len(texts), batch_size))
        pending: dict[Future[np.ndarray], int] = {}
        out_dim = out.shape[1]

        def queue_next() -> None:
            start = next(starts, None)
            if start is not None:
                batch = texts[start:start + batch_size]
                future = executor.submit(_encode_in_worker, batch, normalize, out_dim)
                pending[future] = start

        def collect(future: Future[np.ndarray]) -> None:
            start = pending.pop(future)
            rows = future.result()
            out[start:start + len(rows)] = rows
            progress(len(rows))

        try:
            for _ in range(self.processes * _QUEUED_PER_WORKER):
                queue_next()
            while True:
                for future in [f for f in pending if f.done()]:
                    collect(future)
                    queue_next()
                start = next(starts, None)
                if start is None:
                    break
                batch = texts[start:start + batch_size]
                out[start:start + len(batch)] = encode_here(batch)
                progress(len(batch))
            for future in list(pending):
                if future.cancel():  # not started yet: cheaper here than waiting for a busy worker
                    start = pending.pop(future)
                    batch = texts[start:start + batch_size]
                    out[start:start + len(batch)] = encode_here(batch)
                    progress(len(batch))
            for future in list(pending):
                collect(future)
        except BrokenProcessPool as exc:
            self.shutdown()
            raise RuntimeError("a static_embed worker process died (out of memory, or killed); "
                               "the pool was shut down and the next call starts a new one") from exc
        finally:
            for future in pending:
                future.cancel()

    @property
    def closed(self) -> bool:
        """Shut down (by ``shutdown`` or after a worker died): the model starts a new pool when needed."""
        return self._executor is None

    def shutdown(self, wait: bool = False) -> None:
        """Stop the workers (idempotent); ``wait`` until they have exited (``model.close()`` does)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)
