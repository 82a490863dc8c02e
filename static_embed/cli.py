"""The ``static-embed`` command line.

``static-embed encode`` turns texts (arguments, a file of lines, a JSONL field, or
stdin) into vectors written as ``.npy``, JSONL or CSV; ``static-embed rank`` shows
documents ranked by similarity to a query; ``static-embed serve`` runs the
OpenAI-compatible server of :mod:`static_embed.server`. Encoding streams through
:mod:`static_embed.bulk`: memory stays flat, output is written to
``OUTPUT.partial`` and renamed when complete, and an interrupted run resumes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import TextIO

import numpy as np

from . import __version__
from .bulk import DEFAULT_CHUNK_SIZE, PROGRESS_THRESHOLD, FileSource, ListSource, Source, encode_to_file, \
    encode_to_stream
from .encoder import StaticModel, load
from .errors import ModelFormatError
from .similarity import similarity

__all__ = ["main"]

_PROGRESS_THRESHOLD = PROGRESS_THRESHOLD
_OUTPUT_FORMATS = ("npy", "jsonl", "csv")


class CLIError(Exception):
    """A user-facing problem: printed as one line, exit status 1."""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="static-embed",
                                     description="Encode texts with a static embedding model (numpy only).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def model_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--model", "-m", default=None,
                         help="model folder (model2vec or sentence-transformers); default: the embedded model")
        sub.add_argument("--compat", choices=("model2vec", "sentence-transformers"), default=None,
                         help="force whose semantics apply (default: the library that wrote the folder)")
        sub.add_argument("--truncate-dim", type=int, default=None, help="Matryoshka dimension to keep")
        sub.add_argument("--normalize", action=argparse.BooleanOptionalAction, default=None,
                         help="L2-normalize the vectors (default: the model's setting)")
        sub.add_argument("--batch-size", type=int, default=1024, help="texts per batch (default 1024)")
        sub.add_argument("--workers", type=int, default=1,
                         help="processes to encode large inputs with (default 1; e.g. the number of cores)")

    encode = commands.add_parser("encode", help="embed texts and write the vectors",
                                 description="Embed texts given as arguments, from --input, or from stdin.")
    encode.add_argument("texts", nargs="*", help="texts to embed")
    encode.add_argument("--input", "-i", help="file with one text per line ('-' for stdin)")
    encode.add_argument("--jsonl-field", help="read --input as JSONL and embed this field of each object")
    encode.add_argument("--output", "-o", help="output file; format from its extension unless --format is given "
                                               "(default: JSONL on stdout)")
    encode.add_argument("--format", choices=_OUTPUT_FORMATS, help="output format")
    encode.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help=f"progress bar on stderr (default: on above {_PROGRESS_THRESHOLD:,} texts)")
    encode.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                        help=f"texts read, encoded and written at a time (default {DEFAULT_CHUNK_SIZE:,})")
    encode.add_argument("--resume", action=argparse.BooleanOptionalAction, default=None,
                        help="continue an interrupted run from OUTPUT.partial (default: when it matches the "
                             "input, model and options, else start over); --resume refuses a mismatch, "
                             "--no-resume always starts over")
    encode.add_argument("--bench", action="store_true",
                        help="print load time, single-text latency and batch throughput to stderr")
    model_options(encode)

    rank = commands.add_parser("rank", help="rank documents by cosine similarity to a query")
    rank.add_argument("query", help="the query text")
    rank.add_argument("documents", nargs="+", help="documents to rank")
    model_options(rank)

    # `serve`: the OpenAI-compatible server; its options and code live in server.py
    from .server import add_serve_arguments

    serve = commands.add_parser("serve", help="serve models over an OpenAI-compatible /v1/embeddings API",
                                description="Serve models over HTTP as OpenAI's embeddings API "
                                            "(needs: pip install 'static-embed-numpy[serve]').")
    add_serve_arguments(serve)
    return parser


def _text_source(args: argparse.Namespace, stdin: TextIO) -> Source:
    if args.texts and args.input:
        raise CLIError("give texts as arguments or with --input, not both")
    if args.texts:
        if args.jsonl_field:
            raise CLIError("--jsonl-field applies to --input or stdin, not to texts given as arguments")
        return ListSource(args.texts)
    if args.input and args.input != "-":
        return FileSource(args.input, name=args.input, jsonl_field=args.jsonl_field)
    if args.input != "-" and stdin.isatty():
        raise CLIError("no texts: give them as arguments, with --input FILE, or on stdin")
    return FileSource.from_stream(stdin, name="<stdin>", jsonl_field=args.jsonl_field)


def _output_format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    if args.output:
        extension = os.path.splitext(args.output)[1].lstrip(".").lower()
        if extension in _OUTPUT_FORMATS:
            return extension
        raise CLIError(f"cannot tell the output format from {args.output!r}: use --format {{npy,jsonl,csv}}")
    return "jsonl"


def _load(args: argparse.Namespace) -> StaticModel:
    if args.batch_size <= 0:
        raise CLIError(f"--batch-size must be positive, got {args.batch_size}")
    if args.workers < 1:
        raise CLIError(f"--workers must be at least 1, got {args.workers}")
    return load(args.model, compat=args.compat, truncate_dim=args.truncate_dim, normalize=args.normalize,
                workers=args.workers)


def _bench(model: StaticModel, texts: list[str], load_seconds: float, batch_size: int, err: TextIO) -> None:
    sample = texts[0] if texts else "static embeddings"
    for _ in range(20):
        model.encode(sample)
    timings = []
    for _ in range(200):
        start = time.perf_counter()
        model.encode(sample)
        timings.append(time.perf_counter() - start)
    batch = texts if len(texts) >= 1000 else (texts or [sample]) * (1000 // max(len(texts), 1) + 1)
    start = time.perf_counter()
    model.encode(batch, batch_size=batch_size)
    seconds = time.perf_counter() - start
    err.write(f"load: {load_seconds * 1000:.1f} ms\n"
              f"single text: p50 {np.percentile(timings, 50) * 1e6:.0f} us, "
              f"p95 {np.percentile(timings, 95) * 1e6:.0f} us\n"
              f"batch: {len(batch) / seconds:,.0f} texts/s ({len(batch)} texts, batch size {batch_size})\n")


def _run(argv: Sequence[str] | None, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    args = _build_parser().parse_args(argv)
    if args.command == "serve":
        from .server import serve_from_args

        try:
            return serve_from_args(args)
        except ImportError as exc:  # starlette or uvicorn missing: one line with the install hint
            raise CLIError(str(exc)) from None
    if args.command == "rank":
        model = _load(args)
        vectors = model.encode([args.query, *args.documents], batch_size=args.batch_size)
        scores = similarity(vectors[:1], vectors[1:])[0]
        for rank, index in enumerate(np.argsort(-scores, kind="stable"), start=1):
            stdout.write(f"{rank:>3}. {scores[index]:+.4f}  {args.documents[index]}\n")
        return 0

    fmt = _output_format(args)
    if args.output is None and fmt == "npy":
        raise CLIError("refusing to write binary .npy to the terminal: use --output FILE")
    if args.output is None and args.resume:
        raise CLIError("--resume needs --output FILE")
    if args.chunk_size <= 0:
        raise CLIError(f"--chunk-size must be positive, got {args.chunk_size}")
    source = _text_source(args, stdin)
    try:
        start = time.perf_counter()
        model = _load(args)
        load_seconds = time.perf_counter() - start
        if args.bench:
            _bench(model, source.head(args.chunk_size), load_seconds, args.batch_size, stderr)
        options = {"chunk_size": args.chunk_size, "batch_size": args.batch_size, "progress": args.progress,
                   "stderr": stderr}
        if args.output is None:
            encode_to_stream(model, source, fmt, stdout, **options)
        else:
            encode_to_file(model, source, fmt, args.output, resume=args.resume, **options)
    finally:
        source.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 error, 2 usage error)."""
    try:
        return _run(argv, sys.stdin, sys.stdout, sys.stderr)
    except CLIError as exc:
        sys.stderr.write(f"static-embed: error: {exc}\n")
    except (ModelFormatError, FileNotFoundError, TypeError, ValueError, OSError) as exc:
        sys.stderr.write(f"static-embed: error: {exc}\n")
    except KeyboardInterrupt:
        sys.stderr.write("static-embed: interrupted\n")
        return 130
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
