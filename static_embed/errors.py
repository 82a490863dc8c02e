"""Exception types raised by static_embed.

Every problem with a model's files raises a subclass of :class:`ModelFormatError`
(itself a ``ValueError``), so callers can catch one exported type and never see a
raw ``KeyError``, ``IndexError`` or ``struct.error`` leak out of loading.
"""

from __future__ import annotations

__all__ = [
    "ModelFormatError",
    "SafetensorsFormatError",
    "TokenizerConfigError",
    "UnsupportedFeatureError",
    "UnsupportedDtypeError",
]


class ModelFormatError(ValueError):
    """A model file is malformed, inconsistent, or of no supported format."""


class SafetensorsFormatError(ModelFormatError):
    """A ``.safetensors`` file violates the format (header, offsets, sizes)."""


class TokenizerConfigError(ModelFormatError):
    """A ``tokenizer.json`` is malformed: a missing field, a wrong type, a bad id."""


class UnsupportedFeatureError(ModelFormatError):
    """A well-formed file uses a component this runner cannot reproduce exactly."""


class UnsupportedDtypeError(SafetensorsFormatError):
    """A tensor has a dtype that is valid safetensors but unusable here (e.g. F8_E4M3)."""
