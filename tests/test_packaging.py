"""The core imports nothing heavy and declares numpy as its only runtime dependency."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import metadata

from conftest import REPO

HEAVY = ["torch", "tokenizers", "transformers", "model2vec", "sentence_transformers", "safetensors",
         "huggingface_hub", "scipy", "sklearn", "tqdm"]


def test_import_pulls_in_no_heavy_library():
    code = ("import sys, json, static_embed; m = static_embed.load(); m.encode(['x']); "
            f"print(json.dumps([n for n in {HEAVY!r} if n in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert json.loads(out.stdout) == []


def test_numpy_is_the_only_runtime_dependency():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert [dep.split(">")[0].split("=")[0].strip() for dep in project["dependencies"]] == ["numpy"]
    installed = metadata.requires(project["name"]) or []
    unconditional = [req for req in installed if "extra ==" not in req]
    assert [req.split(">")[0].split("=")[0].strip() for req in unconditional] == ["numpy"]


def test_default_model_is_small_and_documented():
    folder = REPO / "static_embed" / "default_model"
    total = sum(path.stat().st_size for path in folder.iterdir())
    assert total <= 16_000_000
    notice = (folder / "NOTICE").read_text()
    assert "Apache" in notice and "all-MiniLM-L6-v2" in notice
