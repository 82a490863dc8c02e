"""Mutated model configuration files raise ModelFormatError (or load), never another exception.

Each example takes a real small ``tokenizer.json`` (or ``config.json`` / ``modules.json``),
replaces one value somewhere in its structure by a hostile JSON value, and loads
the folder with the pure-Python tokenizer. Budget: ``STATIC_EMBED_HYPOTHESIS_EXAMPLES``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import static_embed
from conftest import DEFAULT_MODEL
from static_embed import ModelFormatError

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

# every example loads a whole model, so this file takes a fifth of the shared budget (100 by default)
EXAMPLES = max(1, int(os.environ.get("STATIC_EMBED_HYPOTHESIS_EXAMPLES", 500)) // 5)

HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=False),
    st.text(max_size=8), st.just(""), st.just([]), st.just({}), st.just([None]), st.just({"type": None}),
    st.just({"type": "Sequence"}), st.just({"type": "Sequence", "normalizers": [None]}),
    st.just({"type": "Sequence", "pretokenizers": [{}]}), st.just(["a", 1]), st.just({"a": "b"}),
)


def _paths(value, prefix=()):
    """Every path (tuple of keys/indices) inside a JSON value, containers included; long lists sampled."""
    yield prefix
    if isinstance(value, dict):
        items = list(value.items())
        if len(items) > 40:
            items = items[:20] + items[-5:]
        for key, child in items:
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        indexes = range(len(value)) if len(value) <= 40 else [*range(10), len(value) - 1]
        for index in indexes:
            yield from _paths(value[index], prefix + (index,))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(value[head], rest, new)
    return copy


@pytest.fixture(scope="module")
def base_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz-model")
    for item in DEFAULT_MODEL.iterdir():
        if item.name == "model.safetensors":
            (folder / item.name).symlink_to(item)
        else:
            shutil.copy(item, folder / item.name)
    return folder


@pytest.mark.parametrize("filename", ["tokenizer.json", "config.json", "modules.json"])
def test_mutated_configuration_fails_typed(filename, base_folder, tmp_path_factory):
    original = json.loads((DEFAULT_MODEL / filename).read_text(encoding="utf-8"))
    paths = list(_paths(original))
    work = tmp_path_factory.mktemp(f"fuzz-{filename}")
    for item in base_folder.iterdir():
        target = work / item.name
        if item.is_symlink():
            target.symlink_to(os.readlink(item))
        else:
            shutil.copy(item, target)
    compat = "sentence-transformers" if filename == "modules.json" else None

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None,
                         suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
    @hypothesis.given(st.sampled_from(paths), HOSTILE)
    def check(path, new_value):
        mutated = _replace(original, path, new_value)
        (work / filename).write_text(json.dumps(mutated), encoding="utf-8")
        try:
            model = static_embed.load(work, tokenizer_backend="lite", compat=compat)
        except ModelFormatError:
            return
        model.encode(["hello world", "東京", ""])  # a file that loads must also encode

    check()
