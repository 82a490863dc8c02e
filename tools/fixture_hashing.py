"""Hashes and library versions recorded next to every generated fixture (shared by the build scripts)."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["library_versions", "sha256_bytes", "sha256_file"]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions(names: Iterable[str], *, include_python: bool = True) -> dict[str, str]:
    """Installed version of each distribution (``"absent"`` if missing), plus Python's if asked."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0]} if include_python else {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found
