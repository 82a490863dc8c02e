"""Short names for well-known static models on the Hugging Face Hub.

``resolve_alias("potion-8m")`` gives ``"minishlab/potion-base-8M"``; any other
string comes back unchanged, so callers can pass aliases and hub ids alike.
Aliases match exactly or case-insensitively (``"Potion-8M"`` works too).

Every repository named here was checked against a public source that names it
(model cards, the mteb model registry, sentence-transformers' pretrained-model
tests); none was guessed from a naming pattern.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["MODEL_ALIASES", "resolve_alias"]

MODEL_ALIASES: MappingProxyType[str, str] = MappingProxyType({
    # model2vec (minishlab)
    "potion-2m": "minishlab/potion-base-2M",
    "potion-4m": "minishlab/potion-base-4M",
    "potion-8m": "minishlab/potion-base-8M",
    "potion-32m": "minishlab/potion-base-32M",
    "potion-retrieval-32m": "minishlab/potion-retrieval-32M",
    "potion-multilingual-128m": "minishlab/potion-multilingual-128M",
    # sentence-transformers StaticEmbedding
    "mrl-en": "sentence-transformers/static-retrieval-mrl-en-v1",
    "mrl-multi": "sentence-transformers/static-similarity-mrl-multilingual-v1",
    # RikkaBotan SSE (Stable Static Embedding): float tables
    "sse-en": "RikkaBotan/stable-static-embedding-fast-retrieval-mrl-en",
    "sse-en-v2": "RikkaBotan/stable-static-embedding-fast-retrieval-mrl-en-v2",
    "sse-ja": "RikkaBotan/stable-static-embedding-fast-retrieval-mrl-ja",
    "sse-bilingual": "RikkaBotan/stable-static-embedding-fast-retrieval-mrl-bilingual-ja-en",
    # RikkaBotan SSE, 4-bit quantized tables (SSEQ: model_rest.safetensors + embedding.q4_k_m.bin)
    "sse-en-q4": "RikkaBotan/quantized-stable-static-embedding-fast-retrieval-mrl-en",
    "sse-ja-q4": "RikkaBotan/quantized-stable-static-embedding-fast-retrieval-mrl-ja",
    "sse-bilingual-q4": "RikkaBotan/quantized-stable-static-embedding-fast-retrieval-mrl-bilingual-ja-en",
})

_LOWER = {alias.lower(): repo_id for alias, repo_id in MODEL_ALIASES.items()}


def resolve_alias(name: str) -> str:
    """The hub id an alias stands for, or ``name`` itself when it is not an alias.

    >>> resolve_alias("mrl-en")
    'sentence-transformers/static-retrieval-mrl-en-v1'
    >>> resolve_alias("org/some-model")
    'org/some-model'
    """
    if not isinstance(name, str):
        raise TypeError(f"model name must be a str, got {type(name).__name__}")
    return MODEL_ALIASES.get(name) or _LOWER.get(name.lower(), name)
