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

Workers take batches from the end of the input while the calling process takes
them from the front (``WorkerPool.encode_into``), and write their rows into a
per-call file in ``/dev/shm`` (the temp directory when that lacks room) rather
than sending them back through the pool's pipe.

As with every ``spawn`` pool, a script that uses it must guard its entry point
with ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import os
import pickle
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = ["PARALLEL_MIN_TEXTS", "WorkerPool"]

#: inputs shorter than this are always encoded in the calling process
PARALLEL_MIN_TEXTS = 8192
_worker_model: Any = None
_worker_rows: tuple[str, Any] | None = None  # (results file of the current call, its RowSource)


def _start_worker(model_payload: bytes) -> None:
    global _worker_model
    _worker_model = pickle.loads(model_payload)


def _encode_in_worker(texts: list[str], normalize: bool, out_dim: int, results: str, start: int,
                      total: int) -> int:
    """Encode one batch and write its rows into the call's results file; return the row count.

    Decoded table rows are kept for the next batches of the same call (the file names the call).
    """
    global _worker_rows
    if not os.path.exists(results):
        return 0  # the call has ended: the caller did this batch itself
    if _worker_rows is None or _worker_rows[0] != results:
        from .pooling import RowSource

        _worker_rows = (results, RowSource(_worker_model.spec.table, per_call=True))
    rows = _worker_model._encode_batch(texts, out_dim, normalize, _worker_rows[1])
    if not os.path.exists(results):
        return 0  # the call ended meanwhile: the caller did this batch itself
    target = np.memmap(results, dtype=np.float32, mode="r+", shape=(total, out_dim))
    target[start:start + len(rows)] = rows
    del target  # unmapped now: the caller deletes the file when the call ends
    return len(rows)


def _results_dir(nbytes: int = 0) -> str | None:
    """Where a results file of ``nbytes`` goes: RAM-backed ``/dev/shm`` when it exists and has room for
    twice that (containers often cap it at 64 MB, and a full tmpfs kills the writer with SIGBUS), else
    the temp directory (None)."""
    try:
        stats = os.statvfs("/dev/shm")
    except OSError:
        return None
    if not os.access("/dev/shm", os.W_OK) or stats.f_bavail * stats.f_frsize < 2 * nbytes:
        return None
    return "/dev/shm"


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
        """Fill ``out[i]`` with the vector of ``texts[i]``; the workers and this process share the batches.

        Every batch but the first is queued for the workers at once, last batch first, while this
        process encodes from the front; a queued batch it reaches is cancelled and done here, and
        the first one a worker has already taken marks where the two met. Workers never wait for
        this process to hand out work (it holds the GIL while it tokenizes), and it never waits
        for them before the meeting point. Workers write their rows into a memory-backed file
        (``/dev/shm``) and send back only a count: a large result sent through the pool's pipe
        would stall the worker until this process's busy threads read it.
        """
        # imported here, like the pool itself: ``import static_embed`` stays cheap
        import tempfile
        import time
        import uuid
        from concurrent.futures.process import BrokenProcessPool

        executor = self._executor
        if executor is None:
            raise RuntimeError("this worker pool was shut down")
        starts = list(range(0, len(texts), batch_size))
        out_dim = out.shape[1]
        worker_order = deque(reversed(starts[1:]))  # left end: the next result a worker delivers
        futures: dict[int, Future[int]] = {}
        # a name never reused, so a late write from an abandoned batch can only reach this call's file
        handle, results = tempfile.mkstemp(prefix=f"static-embed-{uuid.uuid4().hex}-", suffix=".f32",
                                           dir=_results_dir(out.nbytes))
        try:
            os.ftruncate(handle, out.nbytes)
        finally:
            os.close(handle)
        written = np.memmap(results, dtype=np.float32, mode="r+", shape=out.shape) if out.size else out

        def collect(start: int) -> None:
            count = futures.pop(start).result()
            out[start:start + count] = written[start:start + count]
            progress(count)

        try:
            for start in worker_order:
                futures[start] = executor.submit(_encode_in_worker, texts[start:start + batch_size],
                                                 normalize, out_dim, results, start, len(out))
            # let the pool's threads hand out the first batches before this thread holds the GIL for
            # its own batch (else the workers wait up to a few switch intervals); ~1 ms, bounded
            first = futures[worker_order[0]] if worker_order else None
            for _ in range(20):
                if first is None or first.running() or first.done():
                    break
                time.sleep(0.0005)
            time.sleep(0.0005)
            for index, start in enumerate(starts):
                if index:
                    # this batch is the workers' last one, unless a worker already did it (collected)
                    if not worker_order or worker_order[-1] != start or not futures[start].cancel():
                        break  # a worker took it: every later batch is taken too
                    worker_order.pop()
                    del futures[start]
                batch = texts[start:start + batch_size]
                out[start:start + len(batch)] = encode_here(batch)
                progress(len(batch))
                while worker_order and futures[worker_order[0]].done():
                    collect(worker_order.popleft())
            # A worker holds the batch it runs and the next one, which no longer cancels: take that
            # next one here too (same rows, computed twice) rather than wait for it.
            while len(worker_order) >= 2 and not futures[worker_order[-1]].done():
                start = worker_order.pop()
                futures.pop(start).cancel()  # usually too late: the worker will compute it again, unread
                batch = texts[start:start + batch_size]
                out[start:start + len(batch)] = encode_here(batch)
                progress(len(batch))
            for start in worker_order:
                collect(start)
        except BrokenProcessPool as exc:
            self.shutdown()
            raise RuntimeError("a static_embed worker process died (out of memory, or killed); "
                               "the pool was shut down and the next call starts a new one") from exc
        finally:
            for future in futures.values():
                future.cancel()
            for future in futures.values():
                if not future.cancelled():
                    try:
                        future.exception()  # wait: no worker may still be writing to the file
                    except Exception:  # noqa: BLE001 - only waiting here; the error was raised above
                        pass
            del written
            try:
                os.unlink(results)
            except OSError:  # Windows refuses while a late worker still maps it: the temp dir keeps it
                pass

    @property
    def closed(self) -> bool:
        """Shut down (by ``shutdown`` or after a worker died): the model starts a new pool when needed."""
        return self._executor is None

    def shutdown(self, wait: bool = False) -> None:
        """Stop the workers (idempotent); ``wait`` until they have exited (``model.close()`` does)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)
