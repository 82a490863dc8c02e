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

from .encoder import StaticModel, load
from .errors import ModelFormatError
from .sentence_transformer import SentenceTransformer
from .similarity import similarity
from .tokenizer import Tokenizer

__version__ = "0.1.0"

__all__ = ["ModelFormatError", "SentenceTransformer", "StaticModel", "Tokenizer", "__version__", "load",
           "similarity"]
