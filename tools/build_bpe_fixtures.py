"""Build BPE / WordLevel / splitting ``tokenizer.json`` fixtures with the reference libraries.

Run inside the *reference* environment (``tokenizers``, ``transformers``, ``tiktoken``), offline::

    /work/venvs/ref/bin/python tools/build_bpe_fixtures.py --out .fixtures/tokenizers \\
        --downloads /work/venvs/downloads

or from Python (what ``tests/test_bpe_parity.py`` calls)::

    paths = build_bpe_fixtures(Path(".fixtures/tokenizers"), Path("/work/venvs/downloads"))

Fixtures (each ``<out>/<name>/tokenizer.json`` plus ``FIXTURE.json`` with recipe, sha256, versions):

=========================  ===========================================================================
``gpt2``                   GPT-2 ranks from ``whisper/assets/gpt2.tiktoken`` in the openai-whisper sdist
                           (MIT), read from the tar member, converted by transformers'
                           ``TikTokenConverter.extract_vocab_merges_from_model``; ``BPE(vocab, merges,
                           fuse_unk=False)``, ``Sequence[Split(GPT-2 regex, Isolated), ByteLevel(
                           add_prefix_space=False, use_regex=False)]``, ByteLevel decoder and
                           post-processor, ``<|endoftext|>`` special (``normalized=False``)
``gpt2-bytelevel-regex``   the same vocab/merges with ``ByteLevel(add_prefix_space=True, use_regex=True)``
``bpe-affixes``            trained BPE, ``continuing_subword_prefix "##"`` + ``end_of_word_suffix "</w>"``,
                           ``[UNK]`` unfused, limited alphabet; ``Whitespace``
``bpe-unk-fused``          trained BPE, ``<unk>`` with ``fuse_unk`` true, limited alphabet;
                           ``Sequence[WhitespaceSplit, Punctuation(Isolated), Digits(individual)]``
``bpe-unk-unfused``        the same model with ``fuse_unk`` false;
                           ``Sequence[Punctuation(Contiguous), Digits(runs)]``
``bpe-byte-fallback``      trained BPE + ``<0xXX>`` pieces for every byte but F0..F4 (so 4-byte
                           characters fall back to ``<unk>``, fused); ``byte_fallback``; ``Whitespace``
``bpe-byte-fallback-full`` all 256 byte pieces, no unknown token; ``Whitespace``
``bpe-ignore-merges``      small byte-level BPE with ``ignore_merges``; ``ByteLevel(True, use_regex)``
``wordlevel-whitespace``   ``WordLevelTrainer`` vocabulary, ``[UNK]``; ``Whitespace``
``split-*``                the small byte-level BPE behind ``Sequence[Split(...), ByteLevel(False,
                           use_regex=False)]``: one per behavior, with and without ``invert``, a
                           ``String`` pattern and an empty-matching regex
``unicode-scripts``        the small byte-level BPE behind ``Sequence[UnicodeScripts, ByteLevel(...)]``
=========================  ===========================================================================

The trained models learn from the project's real text (``tests/corpus.py``: CPython docstrings and
the system's Japanese gettext catalogues), so they are generated, never committed. Training is
deterministic; the stamp key covers the builder version, the library versions, the whisper sdist's
sha256 and the training text's sha256, so a second call is a cheap no-op. Everything is built in a
temporary folder and renamed into place under a lock.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import logging
import os
import shutil
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fixture_hashing  # sibling module in tools/

REPO = Path(__file__).resolve().parent.parent
FORMAT_VERSION = 3
STAMP_NAME = "BPE_FIXTURES_STAMP.json"
FIXTURE_META = "FIXTURE.json"
LOCK_NAME = ".bpe-build.lock"
WHISPER_SDIST = "openai_whisper-20250625.tar.gz"
WHISPER_MEMBER = "openai_whisper-20250625/whisper/assets/gpt2.tiktoken"
GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
ENDOFTEXT = "<|endoftext|>"
TRAIN_EN = 6000
TRAIN_JA = 6000
ALPHABET = 400  # characters kept by the non-byte-level models (the rest are unknown)
VERSIONED = ("tokenizers", "transformers", "tiktoken")

#: Split fixtures: name -> (pattern kind, pattern, behavior, invert)
SPLIT_FIXTURES: dict[str, tuple[str, str, str, bool]] = {
    "split-removed": ("Regex", r"\s+", "removed", False),
    "split-removed-invert": ("Regex", r"\p{L}+", "removed", True),
    "split-isolated-invert": ("Regex", r"\p{L}+|\p{N}+", "isolated", True),
    "split-merged-previous": ("Regex", r"[.,;:!?、。「」()]", "merged_with_previous", False),
    "split-merged-next": ("String", " ", "merged_with_next", False),
    "split-merged-next-invert": ("Regex", r"\p{N}+", "merged_with_next", True),
    "split-contiguous": ("Regex", r"\p{N}", "contiguous", False),
    "split-contiguous-invert": ("Regex", r"\s", "contiguous", True),
    "split-empty-matches": ("Regex", r"\s*", "merged_with_previous", False),
}
OTHER_FIXTURES = ("gpt2", "gpt2-bytelevel-regex", "bpe-affixes", "bpe-unk-fused", "bpe-unk-unfused",
                  "bpe-byte-fallback", "bpe-byte-fallback-full", "bpe-ignore-merges", "wordlevel-whitespace",
                  "unicode-scripts")
FIXTURE_NAMES = OTHER_FIXTURES + tuple(SPLIT_FIXTURES)

log = logging.getLogger("build_bpe_fixtures")


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def library_versions() -> dict[str, str]:
    return fixture_hashing.library_versions(VERSIONED)


def _read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    os.replace(tmp, path)


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        yield
        return
    with open(out_dir / LOCK_NAME, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def training_texts() -> list[str]:
    """The real text the synthetic models learn from (deterministic on a given machine)."""
    sys.path.insert(0, str(REPO / "tests"))
    import corpus

    return corpus.english_texts(limit=TRAIN_EN) + corpus.japanese_texts(limit=TRAIN_JA)


def read_gpt2_ranks(downloads: Path) -> tuple[dict[bytes, int], str]:
    """GPT-2 mergeable ranks from the whisper sdist's tar member (the package is never imported)."""
    sdist = downloads / WHISPER_SDIST
    with tarfile.open(sdist, "r:gz") as archive:
        member = archive.extractfile(WHISPER_MEMBER)
        if member is None:
            raise FileNotFoundError(f"{WHISPER_MEMBER} in {sdist}")
        data = member.read()
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks, fixture_hashing.sha256_bytes(data)


def stamp_info(downloads: Path, texts: list[str]) -> dict[str, Any]:
    versions = library_versions()
    return {
        "format_version": FORMAT_VERSION,
        "fixtures": list(FIXTURE_NAMES),
        "whisper_sdist_sha256": fixture_hashing.sha256_file(downloads / WHISPER_SDIST),
        "training_text_sha256": fixture_hashing.sha256_bytes("\x00".join(texts).encode("utf-8")),
        "builder_sha256": fixture_hashing.sha256_file(Path(__file__)),
        "versions": {name: versions[name] for name in VERSIONED},
    }


def stamp_key(info: dict[str, Any]) -> str:
    return fixture_hashing.sha256_bytes(json.dumps(info, sort_keys=True).encode())


# ---------------------------------------------------------------------------
# recipes: each returns (tokenizers.Tokenizer, description)
# ---------------------------------------------------------------------------


class _Recipes:
    def __init__(self, downloads: Path, texts: list[str]) -> None:
        self.downloads = downloads
        self.texts = texts
        self._gpt2: tuple[dict[str, int], list[tuple[str, str]]] | None = None
        self._small_byte_level: str | None = None
        self._char: str | None = None
        self.gpt2_tiktoken_sha256 = ""

    # -- GPT-2 ----------------------------------------------------------------

    def gpt2_vocab_merges(self) -> tuple[dict[str, int], list[tuple[str, str]]]:
        if self._gpt2 is None:
            from transformers.convert_slow_tokenizer import TikTokenConverter

            ranks, self.gpt2_tiktoken_sha256 = read_gpt2_ranks(self.downloads)

            class _LocalRanks(TikTokenConverter):
                @staticmethod
                def load_tiktoken_bpe(tiktoken_url: str) -> dict[bytes, int]:
                    return ranks

            vocab, merges = _LocalRanks(vocab_file="<whisper sdist>").extract_vocab_merges_from_model("<local>")
            self._gpt2 = (vocab, merges)
        return self._gpt2

    def _gpt2_tokenizer(self, pre_tokenizer: Any) -> Any:
        from tokenizers import AddedToken, Tokenizer, decoders, models, processors

        vocab, merges = self.gpt2_vocab_merges()
        tok = Tokenizer(models.BPE(vocab, merges, fuse_unk=False))
        tok.pre_tokenizer = pre_tokenizer
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
        tok.add_special_tokens([AddedToken(ENDOFTEXT, normalized=False, special=True)])
        return tok

    def gpt2(self) -> tuple[Any, str]:
        from tokenizers import Regex, pre_tokenizers

        pre = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(GPT2_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
        return self._gpt2_tokenizer(pre), ("GPT-2 BPE from whisper's gpt2.tiktoken via TikTokenConverter; "
                                 "Split(GPT-2 regex, Isolated) + ByteLevel(no prefix space, no regex)")

    def gpt2_bytelevel_regex(self) -> tuple[Any, str]:
        from tokenizers import pre_tokenizers

        pre = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
        return self._gpt2_tokenizer(pre), "GPT-2 BPE (same vocab) with ByteLevel(add_prefix_space=True, use_regex=True)"

    # -- trained models ---------------------------------------------------------

    def _train_bpe(self, pre_tokenizer: Any, **trainer_kwargs: Any) -> dict[str, Any]:
        """Train a BPE on the real text; return the tokenizer.json as a dict."""
        from tokenizers import Tokenizer, models, trainers

        model_kwargs = {k: trainer_kwargs[k] for k in ("continuing_subword_prefix", "end_of_word_suffix")
                        if k in trainer_kwargs}
        tok = Tokenizer(models.BPE(**model_kwargs))
        tok.pre_tokenizer = pre_tokenizer
        trainer = trainers.BpeTrainer(show_progress=False, **trainer_kwargs)
        tok.train_from_iterator(self.texts, trainer=trainer)
        return json.loads(tok.to_str())

    def _from_spec(self, spec: dict[str, Any]) -> Any:
        from tokenizers import Tokenizer

        return Tokenizer.from_str(json.dumps(spec))

    def alphabet(self) -> list[str]:
        """The ALPHABET most frequent non-space characters (ties by code point), so training is deterministic.

        (``limit_alphabet`` alone breaks count ties in hash-map order.)
        """
        counts: dict[str, int] = {}
        for text in self.texts:
            for char in text:
                counts[char] = counts.get(char, 0) + 1
        ranked = sorted((char for char in counts if not char.isspace()), key=lambda c: (-counts[c], ord(c)))
        return ranked[:ALPHABET]

    def _char_model(self) -> dict[str, Any]:
        if self._char is None:
            from tokenizers import pre_tokenizers

            spec = self._train_bpe(pre_tokenizers.Whitespace(), vocab_size=3000, min_frequency=2,
                                   limit_alphabet=ALPHABET, initial_alphabet=self.alphabet(),
                                   special_tokens=["<unk>"])
            self._char = json.dumps(spec)
        return json.loads(self._char)

    def bpe_affixes(self) -> tuple[Any, str]:
        from tokenizers import pre_tokenizers

        alphabet = self.alphabet()
        # The trainer numbers "##c" / "c</w>" symbols in hash-map order, which makes merge ties (and the
        # file) vary between runs; registering every variant up front as a "special token" fixes their
        # ids. They are then dropped from added_tokens, so they stay plain vocabulary entries.
        variants = [f"##{c}" for c in alphabet] + [f"{c}</w>" for c in alphabet] + [f"##{c}</w>" for c in alphabet]
        spec = self._train_bpe(pre_tokenizers.Whitespace(), vocab_size=4000, min_frequency=2,
                               limit_alphabet=ALPHABET, initial_alphabet=alphabet,
                               special_tokens=["[UNK]", *variants], continuing_subword_prefix="##",
                               end_of_word_suffix="</w>")
        spec["added_tokens"] = [t for t in spec["added_tokens"] if t["content"] == "[UNK]"]
        spec["model"].update(unk_token="[UNK]", fuse_unk=False)
        return self._from_spec(spec), ("BpeTrainer(vocab 4000, alphabet 400, prefix '##', suffix '</w>'), "
                                       "unk [UNK] unfused; Whitespace")

    def bpe_unk(self, fused: bool) -> tuple[Any, str]:
        from tokenizers import pre_tokenizers

        spec = self._char_model()
        spec["model"].update(unk_token="<unk>", fuse_unk=fused)
        if fused:
            pre = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation("isolated"),
                                           pre_tokenizers.Digits(individual_digits=True)])
            what = "Sequence[WhitespaceSplit, Punctuation(Isolated), Digits(individual)]"
        else:
            pre = pre_tokenizers.Sequence([pre_tokenizers.Punctuation("contiguous"),
                                           pre_tokenizers.Digits(individual_digits=False)])
            what = "Sequence[Punctuation(Contiguous), Digits(runs)]"
        spec["pre_tokenizer"] = json.loads(pre.__getstate__())
        return self._from_spec(spec), (f"BpeTrainer(vocab 3000, alphabet 400), unk <unk> fuse_unk={fused}; {what}")

    def bpe_byte_fallback(self, full: bool) -> tuple[Any, str]:
        spec = self._char_model()
        vocab = spec["model"]["vocab"]
        next_id = max(vocab.values()) + 1
        skipped = () if full else tuple(range(0xF0, 0xF5))
        for byte in range(256):
            if byte not in skipped:
                vocab[f"<0x{byte:02X}>"] = next_id
                next_id += 1
        if full:
            del vocab["<unk>"]
            spec["added_tokens"] = []
            # ids must stay dense for the reference's vocab size; renumber
            ordered = sorted(vocab, key=vocab.__getitem__)
            spec["model"]["vocab"] = {token: index for index, token in enumerate(ordered)}
            spec["model"].update(unk_token=None, byte_fallback=True)
            what = "all 256 byte pieces, no unknown token"
        else:
            spec["model"].update(unk_token="<unk>", fuse_unk=True, byte_fallback=True)
            what = "byte pieces for all bytes but F0..F4, unk <unk> fused"
        return self._from_spec(spec), f"BpeTrainer(vocab 3000, alphabet 400) + byte_fallback, {what}; Whitespace"

    def small_byte_level(self) -> dict[str, Any]:
        """A small byte-level BPE trained on the real text (model part only, JSON)."""
        if self._small_byte_level is None:
            from tokenizers import pre_tokenizers

            spec = self._train_bpe(pre_tokenizers.ByteLevel(add_prefix_space=False), vocab_size=2000,
                                   min_frequency=2, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                   special_tokens=[ENDOFTEXT])
            self._small_byte_level = json.dumps(spec)
        return json.loads(self._small_byte_level)

    def bpe_ignore_merges(self) -> tuple[Any, str]:
        from tokenizers import pre_tokenizers

        spec = self.small_byte_level()
        spec["model"]["ignore_merges"] = True
        spec["pre_tokenizer"] = json.loads(
            pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True).__getstate__())
        return self._from_spec(spec), ("byte-level BpeTrainer(vocab 2000) with ignore_merges; "
                                       "ByteLevel(add_prefix_space=True, use_regex=True)")

    def byte_level_with(self, pre_tokenizer: Any, what: str) -> tuple[Any, str]:
        from tokenizers import pre_tokenizers

        spec = self.small_byte_level()
        seq = pre_tokenizers.Sequence([pre_tokenizer,
                                       pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        spec["pre_tokenizer"] = json.loads(seq.__getstate__())
        return self._from_spec(spec), f"byte-level BpeTrainer(vocab 2000); Sequence[{what}, ByteLevel(no regex)]"

    def split(self, name: str) -> tuple[Any, str]:
        from tokenizers import Regex, pre_tokenizers

        kind, pattern, behavior, invert = SPLIT_FIXTURES[name]
        compiled = Regex(pattern) if kind == "Regex" else pattern
        pre = pre_tokenizers.Split(compiled, behavior=behavior, invert=invert)
        return self.byte_level_with(pre, f"Split({kind} {pattern!r}, {behavior}, invert={invert})")

    def unicode_scripts(self) -> tuple[Any, str]:
        from tokenizers import pre_tokenizers

        return self.byte_level_with(pre_tokenizers.UnicodeScripts(), "UnicodeScripts")

    def wordlevel(self) -> tuple[Any, str]:
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers

        tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
        trainer = trainers.WordLevelTrainer(vocab_size=5000, min_frequency=2, special_tokens=["[UNK]"],
                                            show_progress=False)
        tok.train_from_iterator(self.texts, trainer=trainer)
        return tok, "WordLevelTrainer(vocab 5000, min_frequency 2), unk [UNK]; Whitespace"

    def make(self, name: str) -> tuple[Any, str]:
        if name in SPLIT_FIXTURES:
            return self.split(name)
        table: dict[str, Callable[[], tuple[Any, str]]] = {
            "gpt2": self.gpt2,
            "gpt2-bytelevel-regex": self.gpt2_bytelevel_regex,
            "bpe-affixes": self.bpe_affixes,
            "bpe-unk-fused": lambda: self.bpe_unk(True),
            "bpe-unk-unfused": lambda: self.bpe_unk(False),
            "bpe-byte-fallback": lambda: self.bpe_byte_fallback(False),
            "bpe-byte-fallback-full": lambda: self.bpe_byte_fallback(True),
            "bpe-ignore-merges": self.bpe_ignore_merges,
            "wordlevel-whitespace": self.wordlevel,
            "unicode-scripts": self.unicode_scripts,
        }
        return table[name]()


def _licence(name: str) -> str:
    if name.startswith("gpt2"):
        return "MIT (openai-whisper sdist: whisper/assets/gpt2.tiktoken); generated, not committed"
    return ("trained on generated text: CPython docstrings (PSF) and Debian gettext ja catalogues "
            "(per-package licences, GPL and others); generated at test time, never committed")


def _check_gpt2(tok: Any, recipes: _Recipes) -> None:
    """The converted GPT-2 must give tiktoken's ids (a second, independent reference)."""
    import tiktoken

    ranks, _ = read_gpt2_ranks(recipes.downloads)
    enc = tiktoken.Encoding("gpt2-local", pat_str=GPT2_PATTERN, mergeable_ranks=ranks,
                            special_tokens={ENDOFTEXT: len(ranks)})
    sample = recipes.texts[:200] + ["", " ", "\n", "  hello   world  ", "東京都に住んでいます。"]
    ours = [e.ids for e in tok.encode_batch(sample, add_special_tokens=False)]
    want = [enc.encode_ordinary(text) for text in sample]
    if ours != want:
        bad = next(i for i, (a, b) in enumerate(zip(ours, want)) if a != b)
        raise RuntimeError(f"gpt2 fixture disagrees with tiktoken on {sample[bad]!r}")


def build_bpe_fixtures(out_dir: Path, downloads: Path, *, force: bool = False) -> dict[str, Path]:
    """Build (or reuse) every fixture under ``out_dir``; return {name: path of its tokenizer.json}."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    out_dir = Path(out_dir).resolve()
    downloads = Path(downloads).resolve()
    if not (downloads / WHISPER_SDIST).is_file():
        raise FileNotFoundError(f"{downloads / WHISPER_SDIST} is missing (pip download --no-deps "
                                "openai-whisper==20250625)")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / name / "tokenizer.json" for name in FIXTURE_NAMES}
    texts = training_texts()
    info = stamp_info(downloads, texts)
    key = stamp_key(info)

    def up_to_date() -> bool:
        try:
            if _read_json(out_dir / STAMP_NAME).get("key") != key:
                return False
            return all(_read_json(out_dir / name / FIXTURE_META).get("stamp") == key for name in FIXTURE_NAMES)
        except (OSError, ValueError, AttributeError):
            return False

    if not force and up_to_date():
        return paths
    with _locked(out_dir):
        if not force and up_to_date():
            return paths
        recipes = _Recipes(downloads, texts)
        versions = library_versions()
        staging = Path(tempfile.mkdtemp(prefix=".bpe-staging-", dir=out_dir))
        try:
            metas = {}
            for name in FIXTURE_NAMES:
                started = time.perf_counter()
                tok, description = recipes.make(name)
                if name == "gpt2":
                    _check_gpt2(tok, recipes)
                folder = staging / name
                folder.mkdir()
                tok.save(str(folder / "tokenizer.json"))
                data = (folder / "tokenizer.json").read_bytes()
                metas[name] = {
                    "fixture": name,
                    "stamp": key,
                    "description": description,
                    "licence": _licence(name),
                    "bytes": len(data),
                    "sha256": fixture_hashing.sha256_bytes(data),
                    "versions": versions,
                    **({"gpt2_tiktoken_sha256": recipes.gpt2_tiktoken_sha256} if name.startswith("gpt2") else {}),
                    "build_seconds": round(time.perf_counter() - started, 3),
                }
                _write_json(folder / FIXTURE_META, metas[name])
                log.info("%-26s %9d bytes  %.2fs", name, len(data), metas[name]["build_seconds"])
            for name in FIXTURE_NAMES:
                final = out_dir / name
                old = None
                if final.exists():
                    old = Path(tempfile.mkdtemp(prefix=f".{name}.old-", dir=out_dir))
                    os.rename(final, old / name)
                os.rename(staging / name, final)
                if old is not None:
                    shutil.rmtree(old, ignore_errors=True)
            _write_json(out_dir / STAMP_NAME, {"key": key, "info": info,
                                               "fixtures": {n: {k: metas[n][k] for k in ("bytes", "sha256")}
                                                            for n in FIXTURE_NAMES}})
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / ".fixtures" / "tokenizers")
    parser.add_argument("--downloads", type=Path,
                        default=Path(os.environ.get("STATIC_EMBED_DOWNLOADS", REPO / ".fixtures" / "downloads")))
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    paths = build_bpe_fixtures(args.out, args.downloads, force=args.force)
    for name, path in paths.items():
        print(f"{name:26s} {path}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
