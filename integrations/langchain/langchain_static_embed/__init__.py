"""LangChain integration for static_embed: static sentence-embedding models on numpy alone.

>>> from langchain_static_embed import StaticEmbeddings
>>> embeddings = StaticEmbeddings()          # the model embedded in static_embed
>>> len(embeddings.embed_query("a cat sat")) > 0
True
"""

from langchain_static_embed.embeddings import StaticEmbeddings

__version__ = "0.1.0"

__all__ = ["StaticEmbeddings", "__version__"]
