"""Side-by-side benchmark: static_embed vs model2vec vs sentence-transformers, one run, same files.

All three load the same folder (the embedded default model, which both
references can read) and encode the same real English sentences (CPython
docstrings, generated locally). Cases are interleaved over several repetitions
and medians are reported, with ratios against static_embed, because the
machines this runs on are shared and noisy: compare numbers only within one run.

Run it in the test environment (it needs the reference libraries)::

    ./tests/run --co -q >/dev/null   # creates .venv-test once
    HF_HUB_OFFLINE=1 .venv-test/bin/python bench/bench_quick.py --update-readme

Writes ``bench/results/quick.json`` and ``bench/results/quick.md``; with
``--update-readme`` the README's benchmark section is replaced by the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

import corpus  # noqa: E402
import static_embed  # noqa: E402

MODEL_DIR = REPO / "static_embed" / "default_model"
RESULTS = REPO / "bench" / "results"
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def latency(fn: Callable[[str], object], texts: list[str], calls: int) -> tuple[float, float]:
    for text in texts[:50]:
        fn(text)
    samples = []
    for i in range(calls):
        text = texts[i % len(texts)]
        start = time.perf_counter()
        fn(text)
        samples.append(time.perf_counter() - start)
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 95))


COLD_START = {
    "static_embed": "import static_embed; m = static_embed.load(DIR); m.encode(['hello world'])",
    "model2vec": "from model2vec import StaticModel; m = StaticModel.from_pretrained(DIR); m.encode(['hello world'])",
    "sentence-transformers": ("from sentence_transformers import SentenceTransformer; "
                              "m = SentenceTransformer(DIR, device='cpu'); m.encode(['hello world'])"),
}


def cold_start(name: str) -> float:
    code = COLD_START[name].replace("DIR", repr(str(MODEL_DIR)))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=15000, help="English sentences for throughput")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency-calls", type=int, default=1000)
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()

    import torch
    from model2vec import StaticModel
    from sentence_transformers import SentenceTransformer

    texts = corpus.english_texts(limit=args.texts)
    loads: dict[str, list[float]] = {"static_embed": [], "model2vec": [], "sentence-transformers": []}
    models: dict[str, object] = {}
    for _ in range(args.repeats):
        for name, loader in (
            ("static_embed", lambda: static_embed.load(MODEL_DIR)),
            ("model2vec", lambda: StaticModel.from_pretrained(str(MODEL_DIR))),
            ("sentence-transformers", lambda: SentenceTransformer(str(MODEL_DIR), device="cpu")),
        ):
            start = time.perf_counter()
            models[name] = loader()
            loads[name].append(time.perf_counter() - start)

    ours, m2v, st = models["static_embed"], models["model2vec"], models["sentence-transformers"]
    batch_cases: dict[str, Callable[[], object]] = {
        "static_embed": lambda: ours.encode(texts),
        "model2vec (single process)": lambda: m2v.encode(texts, use_multiprocessing=False),
        "model2vec (default, threads above 10k texts)": lambda: m2v.encode(texts),
        "sentence-transformers, batch 32": lambda: st.encode(texts, batch_size=32),
        "sentence-transformers, batch 1024": lambda: st.encode(texts, batch_size=1024),
    }
    batch_times: dict[str, list[float]] = {name: [] for name in batch_cases}
    for _ in range(args.repeats):
        for name, fn in batch_cases.items():  # interleaved: every case once per round
            batch_times[name].append(timed(fn))

    latencies = {
        "static_embed": latency(lambda t: ours.encode(t), texts, args.latency_calls),
        "model2vec": latency(lambda t: m2v.encode([t]), texts, args.latency_calls),
        "sentence-transformers": latency(lambda t: st.encode([t]), texts, args.latency_calls),
    }
    colds: dict[str, list[float]] = {name: [] for name in COLD_START}
    for _ in range(args.repeats):
        for name in COLD_START:
            colds[name].append(cold_start(name))

    throughput = {name: len(texts) / statistics.median(t) for name, t in batch_times.items()}
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "torch_threads": torch.get_num_threads()},
        "versions": {"static_embed": static_embed.__version__, "numpy": np.__version__,
                     "model2vec": _version("model2vec"), "sentence-transformers": _version("sentence-transformers"),
                     "torch": torch.__version__, "tokenizers": _version("tokenizers")},
        "model": "embedded default (model2vec, 29,525 x 256 float16)",
        "texts": len(texts), "repeats": args.repeats,
        "throughput_texts_per_s": throughput,
        "latency_p50_p95_s": latencies,
        "load_s": {name: statistics.median(v) for name, v in loads.items()},
        "cold_start_s": {name: statistics.median(v) for name, v in colds.items()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "quick.json").write_text(json.dumps(result, indent=2) + "\n")
    table = render(result)
    (RESULTS / "quick.md").write_text(table)
    print(table)
    if args.update_readme:
        update_readme(table)


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def render(result: dict) -> str:
    ours = result["throughput_texts_per_s"]["static_embed"]
    lines = [
        f"Measured by `bench/bench_quick.py` on {result['machine']['cpus']} CPU cores, Python "
        f"{result['machine']['python']}, {result['texts']:,} English sentences, the embedded default model loaded "
        f"by each library from the same folder; medians of {result['repeats']} interleaved rounds. "
        "Ratios are static_embed's advantage (higher is better for us). static_embed's tokenizer memoizes "
        "exact per-word results, so rounds after the first run with a warm word cache, as a long-running "
        "process would.",
        "",
        "| Batch throughput | texts/s | static_embed is |",
        "|---|---:|---:|",
    ]
    for name, value in result["throughput_texts_per_s"].items():
        lines.append(f"| {name} | {value:,.0f} | {ours / value:.2f}x |" if name != "static_embed"
                     else f"| **{name}** | **{value:,.0f}** | |")
    lines += ["", "| Per library | single text p50 | p95 | load | cold start (new process) |", "|---|---:|---:|---:|---:|"]
    base_p50 = result["latency_p50_p95_s"]["static_embed"][0]
    base_cold = result["cold_start_s"]["static_embed"]
    for name, (p50, p95) in result["latency_p50_p95_s"].items():
        load_ms = result["load_s"][name] * 1000
        cold = result["cold_start_s"][name]
        ratio = "" if name == "static_embed" else f" ({p50 / base_p50:.1f}x slower)"
        cold_ratio = "" if name == "static_embed" else f" ({cold / base_cold:.1f}x slower)"
        lines.append(f"| {name} | {p50 * 1e6:.0f} µs{ratio} | {p95 * 1e6:.0f} µs | {load_ms:.0f} ms | "
                     f"{cold:.2f} s{cold_ratio} |")
    versions = ", ".join(f"{k} {v}" for k, v in result["versions"].items())
    lines += ["", f"Versions: {versions}.", ""]
    return "\n".join(lines)


def update_readme(table: str) -> None:
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(README_START), text.index(README_END)
    readme.write_text(text[: start + len(README_START)] + "\n" + table + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
