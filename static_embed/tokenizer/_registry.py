"""Lazy component lookup: ``tokenizer.json`` type name -> the module that builds it.

Keeping each model, normalizer or pre-tokenizer family in its own module keeps
files small, and importing a module only when a file uses it keeps start-up
fast (a WordPiece model never imports the BPE code).
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import UnsupportedFeatureError

__all__ = ["build_external"]


def _shown(kind: Any) -> str:
    """``repr(kind)`` cut to about 100 characters: a hostile file's 50 MB type name stays out of messages."""
    if isinstance(kind, str) and len(kind) > 100:
        return repr(kind[:100]) + "..."
    text = repr(kind)
    return text if len(text) <= 103 else text[:100] + "..."


def build_external(modules: dict[str, str], function: str, kind: str, spec: dict[str, Any], path: str) -> Any:
    """Call ``<module>.<function>(spec, path)`` for the module registered for ``kind``."""
    module_name = modules.get(kind)
    if module_name is None:
        raise UnsupportedFeatureError(f"{path}.type {_shown(kind)} is not supported by the pure-Python tokenizer")
    try:
        module = importlib.import_module(f"{__package__}.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.{module_name}":
            raise
        raise UnsupportedFeatureError(
            f"{path}.type {kind!r} is not supported by the pure-Python tokenizer yet") from None
    return getattr(module, function)(spec, path)
