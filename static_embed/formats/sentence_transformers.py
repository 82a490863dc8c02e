"""sentence-transformers folders with a ``StaticEmbedding`` module.

Reproduces ``SentenceTransformer(folder, device="cpu").encode(...)``: the unknown
token is kept, the ``truncation`` block of ``tokenizer.json`` is honoured, there is
no other cut, and vectors are normalized only if ``modules.json`` lists a
``Normalize`` module (even when its folder is absent, as model2vec writes it).
Module types are matched by class-name suffix and never imported.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from .._json import load_json_file
from ..errors import ModelFormatError, UnsupportedFeatureError
from ..model_spec import ModelSpec
from ._common import Layout, check_vocab_fits, read_table, read_tokenizer

__all__ = ["SentenceTransformersLayout", "find_layout", "layout_from_model2vec", "load"]

_WEIGHT_KEYS = ("embedding.weight", "embeddings")


class SentenceTransformersLayout(NamedTuple):
    """The StaticEmbedding module's files plus what the other listed modules ask for."""

    root: str
    module: Layout
    normalize: bool
    other_modules: tuple[str, ...]

    def as_model2vec_layout(self) -> Layout:
        """How model2vec reads this folder: its config is the root's ``config_sentence_transformers.json``."""
        config = os.path.join(self.root, "config_sentence_transformers.json")
        return Layout(weights=self.module.weights, tokenizer=self.module.tokenizer,
                      config=config if os.path.isfile(config) else None, weight_keys=_WEIGHT_KEYS)


def layout_from_model2vec(layout: Layout) -> SentenceTransformersLayout:
    """A model2vec folder without ``modules.json`` read as a bare StaticEmbedding (no Normalize)."""
    return SentenceTransformersLayout(
        root=os.path.dirname(layout.weights),
        module=Layout(weights=layout.weights, tokenizer=layout.tokenizer, config=None, weight_keys=_WEIGHT_KEYS),
        normalize=False, other_modules=())


def find_layout(folder: str) -> SentenceTransformersLayout | None:
    """Read ``modules.json``; None if absent or listing no StaticEmbedding."""
    modules_path = os.path.join(folder, "modules.json")
    if not os.path.isfile(modules_path):
        return None
    modules = load_json_file(modules_path, max_bytes=1024 * 1024)
    if not isinstance(modules, list):
        raise ModelFormatError(f"{modules_path}: top level must be a list of modules")
    static_path = None
    normalize = False
    others = []
    for i, entry in enumerate(modules):
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str) \
                or not isinstance(entry.get("path", ""), str):
            raise ModelFormatError(f"{modules_path}: entry {i} must be an object with string 'type' and 'path'")
        kind = entry["type"].rsplit(".", 1)[-1]
        if kind == "StaticEmbedding" and static_path is None:
            static_path = entry.get("path", "")
        elif kind == "Normalize":
            normalize = True
        else:
            others.append(entry["type"])
    if static_path is None:
        return None
    module_dir = os.path.normpath(os.path.join(folder, static_path))
    if os.path.commonpath([os.path.abspath(module_dir), os.path.abspath(folder)]) != os.path.abspath(folder):
        raise ModelFormatError(f"{modules_path}: module path {static_path!r} points outside the model folder")
    layout = Layout(weights=os.path.join(module_dir, "model.safetensors"),
                    tokenizer=os.path.join(module_dir, "tokenizer.json"), config=None, weight_keys=_WEIGHT_KEYS)
    if not os.path.isfile(layout.weights):
        raise ModelFormatError(f"{modules_path} lists a StaticEmbedding module at {static_path!r}, "
                               f"but {layout.weights} is missing")
    return SentenceTransformersLayout(root=folder, module=layout, normalize=normalize, other_modules=tuple(others))


def load(folder: str, layout: SentenceTransformersLayout, *, validate: bool = True,
         tokenizer_backend: str = "auto", layout_format: str = "sentence-transformers") -> ModelSpec:
    """Describe ``folder`` with sentence-transformers' semantics."""
    if layout.other_modules:
        raise UnsupportedFeatureError(
            f"{os.path.join(folder, 'modules.json')}: modules {list(layout.other_modules)} are not supported; "
            "only StaticEmbedding followed by an optional Normalize is a static model")
    tokenizer = read_tokenizer(layout.module, tokenizer_backend)
    table = read_table(layout.module, validate=validate)
    check_vocab_fits(tokenizer, table, layout.module)
    return ModelSpec(tokenizer=tokenizer, table=table, format=layout_format, compat="sentence-transformers",
                     path=folder, normalize=layout.normalize)
