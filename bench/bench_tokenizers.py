"""Tokenizer throughput: static_embed's pure-Python ("lite") tokenizer vs the ``tokenizers`` package.

Same files, same real texts (CPython docstrings in English, Debian gettext
catalogues in Japanese), interleaved rounds, medians. "cold" builds a fresh
tokenizer each round (no memoized words: the first pass over a corpus);
"warm" encodes the same texts again with the caches filled (a long-running
process seeing repeated vocabulary). ``tokenizers`` uses all cores in
``encode_batch``; lite is single-threaded.

Run in the test environment::

    HF_HUB_OFFLINE=1 .venv-test/bin/python bench/bench_tokenizers.py

Writes ``bench/results/tokenizers.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tools"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")

import corpus  # noqa: E402
from static_embed import Tokenizer  # noqa: E402

RESULTS = REPO / "bench" / "results"


def tokenizer_files() -> dict[str, Path]:
    """Every tokenizer fixture the project can build here, by name."""
    files = {"wordpiece (default model)": REPO / "static_embed" / "default_model" / "tokenizer.json"}
    out = REPO / ".fixtures" / "tokenizers"
    downloads = Path(os.environ.get("STATIC_EMBED_DOWNLOADS", REPO / ".fixtures" / "downloads"))
    for module, function, names in (
        ("build_unigram_fixtures", "build_unigram_fixtures", ("tokenlearn", "mon", "spm-xlmr")),
        ("build_bpe_fixtures", "build_bpe_fixtures", ("gpt2",)),
    ):
        try:
            built = getattr(__import__(module), function)(out, downloads)
        except (ImportError, FileNotFoundError) as exc:
            print(f"skipping {module}: {exc}", file=sys.stderr)
            continue
        for name in names:
            if name in built:
                files[name] = Path(built[name])
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=10000, help="texts per language")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import tokenizers

    corpora = {"English": corpus.english_texts(limit=args.texts), "Japanese": corpus.japanese_texts(limit=args.texts)}
    rows = []
    for name, path in tokenizer_files().items():
        reference = tokenizers.Tokenizer.from_file(str(path))
        reference.no_padding()
        reference.no_truncation()
        for language, texts in corpora.items():
            timings: dict[str, list[float]] = {"rust": [], "lite cold": [], "lite warm": []}
            for _ in range(args.repeats):
                start = time.perf_counter()
                expected = [e.ids for e in reference.encode_batch(texts, add_special_tokens=False)]
                timings["rust"].append(time.perf_counter() - start)
                lite = Tokenizer.from_file(path).with_truncation(None)
                start = time.perf_counter()
                ours = lite.encode_batch(texts)
                timings["lite cold"].append(time.perf_counter() - start)
                start = time.perf_counter()
                lite.encode_batch(texts)
                timings["lite warm"].append(time.perf_counter() - start)
                assert ours == expected, f"{name}/{language}: ids differ"
            rate = {k: len(texts) / statistics.median(v) for k, v in timings.items()}
            rows.append({"tokenizer": name, "language": language, "texts": len(texts), **rate})
            print(rows[-1], flush=True)

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tokenizers.json").write_text(json.dumps({"cpus": os.cpu_count(), "rows": rows}, indent=2) + "\n")
    lines = [f"Tokenizer throughput, texts/s (median of {args.repeats} interleaved rounds, {os.cpu_count()} cores; "
             "`bench/bench_tokenizers.py`). Ids were checked equal in every round.", "",
             "| tokenizer | language | tokenizers (Rust) | lite, cold | lite, warm | lite cold / Rust |",
             "|---|---|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['tokenizer']} | {row['language']} | {row['rust']:,.0f} | {row['lite cold']:,.0f} | "
                     f"{row['lite warm']:,.0f} | {row['lite cold'] / row['rust']:.2f}x |")
    table = "\n".join(lines) + "\n"
    (RESULTS / "tokenizers.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
