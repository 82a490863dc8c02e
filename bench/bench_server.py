"""Bounded load test of ``static-embed serve``: a fixed number of requests at a fixed concurrency.

Starts the server on 127.0.0.1 (a subprocess, access log off), then for each case
fires ``--requests`` POST /v1/embeddings requests of real English and Japanese texts
over ``--concurrency`` keep-alive connections, and stops by itself. The load generator
is a minimal asyncio HTTP/1.1 client (httpx's own CPU cost per request would cap the
figures on a small machine); it parses every response as JSON. Every
response is checked (status 200, one vector per text); every 50th is compared with
local ``encode`` and must be identical. Errors must be 0 (the exit status is 1
otherwise). The cases take turns in rounds, and in-process ``encode`` of the same
batches is timed beside them, so the server's cost reads as a ratio measured in one
run; the server's CPU time per request (psutil) is reported beside the wall-clock
figures because it is far less disturbed by other load on a shared machine. Client
and server share the machine's cores.

    HF_HUB_OFFLINE=1 .venv-test/bin/python bench/bench_server.py

Writes ``bench/results/server.json`` and ``bench/results/server.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import psutil  # noqa: E402

import corpus  # noqa: E402
import static_embed  # noqa: E402

RESULTS = REPO / "bench" / "results"
MODEL = "static-embed-default"
CHECK_EVERY = 50


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("STATIC_EMBED_API_KEY", None)
    process = subprocess.Popen([sys.executable, "-m", "static_embed", "serve", "--port", str(port),
                                "--log-level", "warning"], cwd=REPO, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                if response.status == 200:
                    return process
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start within 60 s")


def decode(item: dict, encoding_format: str) -> np.ndarray:
    if encoding_format == "base64":
        return np.frombuffer(base64.b64decode(item["embedding"]), dtype="<f4")
    return np.asarray(item["embedding"], dtype=np.float32)


async def post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: bytes) -> tuple[int, bytes]:
    """One HTTP/1.1 keep-alive POST: the load generator is kept this small so its CPU cost stays low."""
    writer.write(b"POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = None
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise ValueError("response without Content-Length")
    return status, await reader.readexactly(length)


async def run_requests(port: int, batches: list[list[str]], encoding_format: str, concurrency: int,
                       model: static_embed.StaticModel, latencies: list[float], errors: list[str]) -> float:
    """Send ``batches`` over ``concurrency`` connections; return the wall time; add latencies and errors."""
    bodies = [json.dumps({"model": MODEL, "input": batch if len(batch) > 1 else batch[0],
                          "encoding_format": encoding_format}).encode() for batch in batches]
    next_index = iter(range(len(batches)))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for index in next_index:
                batch = batches[index]
                start = time.perf_counter()
                try:
                    status, content = await asyncio.wait_for(post(reader, writer, bodies[index]), timeout=30)
                except (OSError, EOFError, ValueError, IndexError, asyncio.TimeoutError) as exc:
                    errors.append(f"request {index}: {type(exc).__name__}: {exc}")
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                latencies.append(time.perf_counter() - start)
                if status != 200:
                    errors.append(f"request {index}: status {status}")
                    continue
                data = json.loads(content)["data"]
                if len(data) != len(batch):
                    errors.append(f"request {index}: {len(data)} vectors for {len(batch)} texts")
                elif index % CHECK_EVERY == 0:
                    served = np.stack([decode(item, encoding_format) for item in data])
                    if not np.array_equal(served, model.encode(batch)):
                        errors.append(f"request {index}: vectors differ from local encode")
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return time.perf_counter() - start


def versions() -> dict[str, str]:
    found = {"static_embed": static_embed.__version__, "python": platform.python_version()}
    for name in ("numpy", "starlette", "uvicorn", "h11"):
        found[name] = metadata.version(name)
    try:  # uvicorn parses HTTP with httptools when installed (uvicorn[standard]), else with h11
        found["httptools"] = metadata.version("httptools")
    except metadata.PackageNotFoundError:
        found["httptools"] = "not installed (uvicorn used h11)"
    return found


def write_markdown(result: dict) -> str:
    v = result["versions"]
    lines = [
        f"Measured by `bench/bench_server.py` on {result['cpu_count']} CPU cores shared by the load "
        "generator and the server (one uvicorn worker, access log off), the embedded default model, real "
        f"English and Japanese texts, {result['cases'][0]['concurrency']} concurrent keep-alive connections "
        "from a minimal asyncio HTTP/1.1 client that parses every response. "
        f"The cases took turns in {result['rounds']} rounds; load average (1 min) "
        f"{result['load_average_before'][0]} before, {result['load_average_after'][0]} after. "
        "Every response was checked; every 50th compared with local `encode` (identical).",
        "",
        "| Case | requests | errors | requests/s | texts/s | p50 | p95 | p99 "
        "| server CPU per request | in-process `encode` CPU per request (texts/s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in result["cases"]:
        lat = case["latency_ms"]
        lines.append(f"| {case['name']} | {case['requests']:,} | {case['errors']} "
                     f"| {case['requests_per_s']:,.0f} | {case['texts_per_s']:,.0f} | {lat['p50']:.1f} ms "
                     f"| {lat['p95']:.1f} ms | {lat['p99']:.1f} ms "
                     f"| {case['server_cpu_ms_per_request']:.2f} ms "
                     f"| {case['in_process_encode_cpu_ms_per_request']:.2f} ms "
                     f"({case['in_process_texts_per_s']:,.0f}) |")
    lines += ["", f"Versions: static_embed {v['static_embed']}, Python {v['python']}, numpy {v['numpy']}, "
                  f"starlette {v['starlette']}, uvicorn {v['uvicorn']} (HTTP parser: h11 {v['h11']}; "
                  f"httptools {v['httptools']})."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per case (default 2000)")
    parser.add_argument("--batch", type=int, default=8, help="texts per request, batch cases (default 8)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--rounds", type=int, default=4, help="cases take turns this many times (default 4)")
    args = parser.parse_args()

    texts = corpus.english_texts(limit=3000) + corpus.japanese_texts(limit=3000)
    rng = np.random.default_rng(0)
    order = [texts[i] for i in rng.permutation(len(texts))]

    def batches_of(size: int) -> list[list[str]]:
        return [[order[(i * size + j) % len(order)] for j in range(size)] for i in range(args.requests)]

    model = static_embed.load()
    cases = [(f"batch of {args.batch}, float", batches_of(args.batch), "float"),
             (f"batch of {args.batch}, base64", batches_of(args.batch), "base64"),
             ("single text, float", batches_of(1), "float")]
    stats = {name: {"seconds": 0.0, "server_cpu": 0.0, "in_process_seconds": 0.0, "in_process_cpu": 0.0,
                    "latencies": [], "errors": []} for name, _, _ in cases}
    load_before = os.getloadavg()
    port = free_port()
    server = start_server(port)
    server_process = psutil.Process(server.pid)

    def server_cpu() -> float:  # CPU seconds the server used: less disturbed by other load than wall time
        times = server_process.cpu_times()
        return times.user + times.system

    try:
        warm_up = batches_of(args.batch)[:100]
        asyncio.run(run_requests(port, warm_up, "float", args.concurrency, model, [], []))
        # the cases take turns in rounds, so a burst of load from elsewhere falls on all of them alike
        for round_number in range(args.rounds):
            for name, batches, encoding_format in cases:
                part = batches[round_number::args.rounds]
                case = stats[name]
                cpu_before = server_cpu()
                case["seconds"] += asyncio.run(run_requests(port, part, encoding_format, args.concurrency,
                                                            model, case["latencies"], case["errors"]))
                case["server_cpu"] += server_cpu() - cpu_before
                start, cpu_start = time.perf_counter(), time.process_time()
                for batch in part:
                    model.encode(batch)
                case["in_process_seconds"] += time.perf_counter() - start
                case["in_process_cpu"] += time.process_time() - cpu_start
    finally:
        server.terminate()
        server.wait(timeout=30)

    results = []
    for name, batches, encoding_format in cases:
        case = stats[name]
        texts_sent = sum(len(batch) for batch in batches)
        results.append({
            "name": name, "requests": len(batches), "texts": texts_sent, "batch_size": len(batches[0]),
            "encoding_format": encoding_format, "concurrency": args.concurrency,
            "seconds": round(case["seconds"], 3), "errors": len(case["errors"]),
            "error_samples": case["errors"][:5],
            "requests_per_s": round(len(batches) / case["seconds"], 1),
            "texts_per_s": round(texts_sent / case["seconds"], 1),
            "latency_ms": {f"p{q}": round(float(np.percentile(case["latencies"], q)) * 1000, 2)
                           for q in (50, 95, 99)},
            "in_process_texts_per_s": round(texts_sent / case["in_process_seconds"], 1),
            "server_cpu_ms_per_request": round(case["server_cpu"] / len(batches) * 1000, 3),
            "in_process_encode_cpu_ms_per_request": round(case["in_process_cpu"] / len(batches) * 1000, 3),
        })
        done = results[-1]
        print(f"{name}: {done['requests_per_s']:,.0f} req/s, {done['texts_per_s']:,.0f} texts/s, "
              f"p50 {done['latency_ms']['p50']} ms, errors {done['errors']}", flush=True)

    result = {"cpu_count": os.cpu_count(), "platform": platform.platform(), "versions": versions(),
              "rounds": args.rounds, "load_average_before": [round(x, 2) for x in load_before],
              "load_average_after": [round(x, 2) for x in os.getloadavg()], "cases": results}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "server.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "server.md").write_text(write_markdown(result), encoding="utf-8")
    print(write_markdown(result))
    errors = sum(case["errors"] for case in results)
    if errors:
        print(f"FAILED: {errors} errors", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
