"""Ray Data throughput: BatchEmbedder in 1 and 2 Ray workers vs one process's ``model.encode``, one run.

Every case embeds the same real texts (English CPython docstring sentences and
Japanese gettext messages, cycled to ``--texts`` lines with the line number
appended so each line is distinct) with the embedded default model, starting
from a cold model: the single process loads a fresh model per round (its word
cache starts empty), and each Ray run starts fresh workers. The Ray time runs
from ``map_batches`` to every vector back in the driver, so it includes starting
the workers; a 2-row run through the same pipeline shows that fixed cost alone.
Cases are interleaved over ``--repeats`` rounds and medians reported; the
vectors are checked equal to the single process's in every round.

Run it in the test environment::

    PYTHONPATH=$PWD /work/main/.venv-test/bin/python bench/bench_ray.py

Writes ``bench/results/ray.json`` and ``bench/results/ray.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

import corpus  # noqa: E402
import static_embed  # noqa: E402
from static_embed.distributed import BatchEmbedder  # noqa: E402

RESULTS = REPO / "bench" / "results"
BLOCK_ROWS = 5000
RAY_BATCH = 2048


def distinct_texts(count: int) -> list[str]:
    base = corpus.english_texts() + corpus.japanese_texts()
    return [f"{base[i % len(base)]} ({i})" for i in range(count)]


def run_ray(ray_data, frames: list, workers: int) -> tuple[float, np.ndarray]:
    """Seconds from map_batches to every vector in the driver, and the vectors in input order."""
    ds = ray_data.from_pandas(frames)  # blocks already in the object store: no read tasks compete for CPUs
    start = time.perf_counter()
    out = ds.map_batches(BatchEmbedder, compute=ray_data.ActorPoolStrategy(size=workers),
                         batch_size=RAY_BATCH, batch_format="numpy")
    vectors = np.concatenate([batch["embedding"] for batch in out.iter_batches(batch_size=None)])
    return time.perf_counter() - start, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd
    import ray
    import ray.data as ray_data

    texts = distinct_texts(args.texts)
    frames = [pd.DataFrame({"text": texts[i:i + BLOCK_ROWS]}) for i in range(0, len(texts), BLOCK_ROWS)]
    tiny = [pd.DataFrame({"text": texts[:1]}), pd.DataFrame({"text": texts[1:2]})]
    load_before = os.getloadavg()

    temp_dir = tempfile.mkdtemp(prefix="ray-")
    start = time.perf_counter()
    ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False,
             object_store_memory=500 * 1024 ** 2, _temp_dir=temp_dir)
    cluster_start = time.perf_counter() - start
    context = ray_data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False

    cases = ["one process", "Ray, 1 worker", f"Ray, {args.workers} workers",
             f"Ray, {args.workers} workers, 2 rows"]
    times: dict[str, list[float]] = {name: [] for name in cases}
    try:
        for _ in range(args.repeats):
            start = time.perf_counter()
            expected = static_embed.load().encode(texts)
            times["one process"].append(time.perf_counter() - start)
            for name, workers in ((cases[1], 1), (cases[2], args.workers)):
                seconds, vectors = run_ray(ray_data, frames, workers)
                np.testing.assert_array_equal(vectors, expected)
                times[name].append(seconds)
            times[cases[3]].append(run_ray(ray_data, tiny, args.workers)[0])
    finally:
        ray.shutdown()
        shutil.rmtree(temp_dir, ignore_errors=True)

    medians = {name: statistics.median(values) for name, values in times.items()}
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)]},
        "versions": {"static_embed": static_embed.__version__, "numpy": np.__version__,
                     "ray": ray.__version__},
        "model": "embedded default (model2vec, 29,525 x 256 float16)",
        "texts": len(texts), "repeats": args.repeats, "ray_batch_rows": RAY_BATCH, "block_rows": BLOCK_ROWS,
        "cluster_start_s": cluster_start,
        "seconds_median": medians,
        "seconds_all": times,
        "throughput_texts_per_s": {name: len(texts) / medians[name] for name in cases[:3]},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ray.json").write_text(json.dumps(result, indent=2) + "\n")
    table = render(result, cases)
    (RESULTS / "ray.md").write_text(table)
    print(table)


def render(result: dict, cases: list[str]) -> str:
    base = result["throughput_texts_per_s"]["one process"]
    machine = result["machine"]
    load_before, load_after = machine["load_average_before_after"]
    lines = [
        f"Measured by `bench/bench_ray.py` on {machine['cpus']} CPU cores (shared; 1-minute load average "
        f"{load_before} before, {load_after} after), "
        f"Python {machine['python']}, Ray {result['versions']['ray']}, {result['texts']:,} real English and "
        f"Japanese lines, the embedded default model; medians of {result['repeats']} interleaved rounds, "
        "each from a cold model. Ray times include starting the workers; vectors checked equal in every "
        "round.",
        "",
        "| Case | seconds | texts/s | vs one process |",
        "|---|---:|---:|---:|",
    ]
    for name in cases[:3]:
        rate = result["throughput_texts_per_s"][name]
        lines.append(f"| {name} | {result['seconds_median'][name]:.1f} | {rate:,.0f} | {rate / base:.2f}x |")
    lines += ["", f"Fixed cost of a Ray run (the same pipeline on 2 rows): "
              f"{result['seconds_median'][cases[3]]:.1f} s; starting the local cluster: "
              f"{result['cluster_start_s']:.1f} s (not counted above).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
