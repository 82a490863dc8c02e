"""The model description: what a format loader produces and the encoder consumes.

Behaviour differences between the reference libraries (which unknown ids are
dropped, where texts are cut, whether vectors are normalized) are data here,
never ``if format == ...`` branches in the encoder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .heads import Head
from .tables import Table
from .tokenizer.backends import AnyTokenizer

__all__ = ["ModelSpec"]


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """A loaded static model, described.

    Attributes:
        tokenizer: produces ids, with the token truncation the semantics call for.
        table: float32 rows for ids.
        head: applied after pooling, or None.
        drop_ids: ids removed before pooling (model2vec drops the unknown token).
        char_limit: texts are cut to this many characters before tokenizing (model2vec), or None.
        normalize: whether vectors are L2-normalized by default.
        format: the folder's layout: ``"model2vec"`` or ``"sentence-transformers"``.
        compat: whose semantics are reproduced: ``"model2vec"`` or ``"sentence-transformers"``.
        path: the folder it was loaded from.
    """

    tokenizer: AnyTokenizer
    table: Table
    format: str
    compat: str
    path: str
    head: Head | None = None
    drop_ids: frozenset[int] = field(default_factory=frozenset)
    char_limit: int | None = None
    normalize: bool = False
