"""This machine's ceiling for the embedding model: FLOPs per passage against measured GFLOP/s, fp32 and int8.

- **FLOPs** of one pass of a BERT-style encoder over `n` word pieces (multiply-adds count 2): per layer,
  the Q, K, V and output projections `8·n·d²`, the feed-forward `4·n·d·f`, the attention scores and
  weighted sum `4·n²·d` (d = hidden size, f = feed-forward size, read from the model's config.json); the
  embeddings, layer norms, softmax and pooling are left out (under 2% here).
- **GFLOP/s**: onnxruntime running one matrix product of the model's feed-forward shape (`n × d` by `d × f`,
  n = 128 word pieces, the corpus's typical passage) on every core, fp32, then the same graph quantised to
  int8 as `onnx-int8` quantises the model (`quantize_dynamic`, per channel). Best of several rounds, as a
  shared machine only ever slows a run down. This is the speed of the model's largest kernel, so
  `FLOPs ÷ GFLOP/s` is the least time the model could take for a set of passages on this machine.

`ceiling(tokens_per_text)` turns a list of token counts into seconds at each precision; `crosswalk.bench.first_run`
reports each stage against it.

Example:
    python -m crosswalk.bench.ceiling
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np


def model_shape(folder: str | Path | None = None) -> dict:
    """`layers`, `hidden` and `ffn` of the packaged model (or the sentence-transformers model in `folder`)."""
    if folder is None:
        from crosswalk.index.embedder import resolve_model

        folder = resolve_model(backend="torch").path
    config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    return {"layers": int(config["num_hidden_layers"]), "hidden": int(config["hidden_size"]),
            "ffn": int(config["intermediate_size"])}


def flops(n_tokens: int, shape: dict) -> float:
    """FLOPs of one encoder pass over `n_tokens` word pieces (see the module docstring).

    >>> round(flops(128, {"layers": 6, "hidden": 384, "ffn": 1536}) / 1e9, 3)
    2.869
    """
    n, d, f = n_tokens, shape["hidden"], shape["ffn"]
    return shape["layers"] * (8 * n * d * d + 4 * n * d * f + 4 * n * n * d)


def _matmul_model(path: Path, n: int, d: int, f: int) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w = numpy_helper.from_array((rng.standard_normal((d, f)) * 0.05).astype(np.float32), "W")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["Y"])], "ffn",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["n", d])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["n", f])], initializer=[w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def measure(n: int = 128, threads: int | None = None, rounds: int = 7, seconds: float = 0.5,
            shape: dict | None = None) -> dict[str, float]:
    """GFLOP/s of the feed-forward product, `fp32` and `int8`, best of `rounds` timed runs of ~`seconds`."""
    import os

    import onnxruntime as ort

    from crosswalk.index.onnx_backend import quantize_int8

    shape = shape or model_shape()
    d, f = shape["hidden"], shape["ffn"]
    threads = threads or os.cpu_count() or 1
    x = np.random.default_rng(1).standard_normal((n, d)).astype(np.float32)
    work = 2.0 * n * d * f
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        _matmul_model(fp32, n, d, f)
        quantize_int8(fp32, int8, per_channel=True)
        sessions = {}
        for name, path in (("fp32", fp32), ("int8", int8)):
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            sessions[name] = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            for _ in range(20):
                sessions[name].run(None, {"X": x})
        best = {name: 0.0 for name in sessions}
        for _ in range(rounds):  # interleaved, so both precisions see the same machine
            for name, sess in sessions.items():
                reps, t0 = 0, time.perf_counter()
                while time.perf_counter() - t0 < seconds:
                    sess.run(None, {"X": x})
                    reps += 1
                best[name] = max(best[name], work * reps / (time.perf_counter() - t0) / 1e9)
        out.update(best)
    return out


def ceiling(token_counts, gflops: dict[str, float], shape: dict | None = None) -> dict[str, float]:
    """Total FLOPs of embedding texts of `token_counts` word pieces each, and the least seconds at each precision."""
    shape = shape or model_shape()
    total = float(sum(flops(int(n), shape) for n in token_counts))
    return {"gflop": total / 1e9, **{f"{name}_s": total / 1e9 / rate for name, rate in gflops.items()}}


def main() -> str:
    shape = model_shape()
    rates = measure(shape=shape)
    per = {n: flops(n, shape) / 1e9 for n in (64, 128, 256)}
    lines = [
        f"all-MiniLM-L6-v2: {shape['layers']} layers, hidden {shape['hidden']}, feed-forward {shape['ffn']}; "
        f"GFLOP per passage: {per[64]:.2f} (64 word pieces), {per[128]:.2f} (128), {per[256]:.2f} (256)",
        "",
        "| precision | GFLOP/s (feed-forward product, all cores, best of 7) | passages of 128 word pieces per second, at most |",
        "|---|---|---|",
    ]
    for name, rate in rates.items():
        lines.append(f"| {name} | {rate:.1f} | {rate / per[128]:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
