"""LlamaIndex integration for static_embed: static sentence-embedding models on numpy alone."""

from llama_index.embeddings.static_embed.base import StaticEmbedding

__all__ = ["StaticEmbedding"]
