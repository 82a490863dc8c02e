"""static_embed: run static sentence-embedding models with numpy alone.

A static model turns a text into a vector with a tokenizer, a table lookup and a
mean. This package reads the published formats (model2vec folders,
sentence-transformers StaticEmbedding folders) and reproduces the reference
libraries' token ids and vectors without torch or the ``tokenizers`` package.

Thread safety: a loaded model and its tokenizer are read-only after loading and
may be shared by threads; the tokenizer's word cache is bounded.

>>> import static_embed
>>> model = static_embed.load()                 # the embedded default model
>>> vectors = model.encode(["a cat sat", "a dog sat"])
>>> vectors.shape
(2, 256)
"""

from typing import TYPE_CHECKING, Any

from .encoder import StaticModel, load
from .errors import ModelFormatError
from .similarity import similarity
from .tokenizer import Tokenizer

if TYPE_CHECKING:
    from .sentence_transformer import SentenceTransformer

__version__ = "0.1.0"

__all__ = ["ModelFormatError", "SentenceTransformer", "StaticModel", "Tokenizer", "__version__", "load",
           "similarity"]


def __getattr__(name: str) -> Any:
    # the sentence-transformers drop-in (and its multiprocessing, logging, pickle imports) loads on first use,
    # keeping ``import static_embed`` cheap for the many programs that never touch it
    if name == "SentenceTransformer":
        from .sentence_transformer import SentenceTransformer

        return SentenceTransformer
    raise AttributeError(f"module 'static_embed' has no attribute {name!r}")
