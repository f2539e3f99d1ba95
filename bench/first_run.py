"""First-run benchmark: Crosswalk's whole first run against a naive pipeline, measured in one run.

- **naive**: every corpus document's text (pypdf's `extract_text` for a PDF, the file's own text otherwise,
  markup tags dropped), cut into 160-word windows, each window embedded with plain fp32
  `SentenceTransformer.encode` (the packaged all-MiniLM-L6-v2, batch 32) — nothing else.
- **crosswalk**: in a fresh workspace, what `./crosswalk.sh app` runs before starting the app: `crosswalk
  ingest` (read, split, tag) with `crosswalk index --prepare` (the default backend's one-time ONNX export into
  the fresh workspace) beside it, then `crosswalk index` and `crosswalk match --from US --to UK` (with
  explanations).

Each side runs as its own processes (`python -m ...`), so model loading and imports count, as they do for a
user. The machine is shared, so the sides are interleaved — naive, crosswalk, naive — and the naive time is
the mean of its two runs, which bracket the Crosswalk run; CPU seconds (this run's child processes, from
`getrusage`) are reported beside wall seconds, as they depend less on what else the machine runs.

Example:
    python -m crosswalk.bench.first_run ../shared/corpus          # or: crosswalk bench first-run
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WINDOW_WORDS = 160
ROOT = Path(__file__).resolve().parents[1]


# --- the naive pipeline (run in its own process: `python -m crosswalk.bench.first_run --naive FOLDER`) --------------------


def naive_texts(folder: Path) -> list[str]:
    """The text of each document of `folder`'s manifest: pypdf for PDFs, the file's text otherwise (tags out)."""
    from crosswalk.ingest.pipeline import discover

    out = []
    for _, path in discover(folder):
        if path.suffix.lower() == ".pdf":
            from pypdf import PdfReader

            out.append("\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages))
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
            out.append(re.sub(r"<[^>]+>", " ", text) if path.suffix.lower() in (".html", ".htm", ".xml") else text)
    return out


def naive_windows(texts: list[str], size: int = WINDOW_WORDS) -> list[str]:
    """Consecutive windows of `size` words of each text (no overlap, nothing else).

    >>> [len(w.split()) for w in naive_windows(["a " * 330])]
    [160, 160, 10]
    """
    out = []
    for text in texts:
        words = text.split()
        out.extend(" ".join(words[i: i + size]) for i in range(0, len(words), size))
    return out


def run_naive(folder: Path) -> dict:
    t0 = time.perf_counter()
    texts = naive_texts(folder)
    t1 = time.perf_counter()
    windows = naive_windows(texts)
    from sentence_transformers import SentenceTransformer

    from crosswalk.index.embedder import resolve_model

    model = SentenceTransformer(resolve_model(backend="torch").path, device="cpu")
    t2 = time.perf_counter()
    model.encode(windows, batch_size=32, show_progress_bar=False, convert_to_numpy=True)
    t3 = time.perf_counter()
    tokens = sum(min(len(ids), model.max_seq_length) for ids in model.tokenizer(windows)["input_ids"])
    return {"windows": len(windows), "words": sum(len(w.split()) for w in windows), "tokens": tokens,
            "read_s": t1 - t0, "load_s": t2 - t1, "encode_s": t3 - t2}


# --- the driver -------------------------------------------------------------------------------------------------


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run(args: list[str], env: dict, log: Path) -> tuple[float, float, str]:
    """(wall s, CPU s of the process and its children, stdout) of one command; a failure stops the benchmark."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    with open(log, "a", encoding="utf-8") as err:
        done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed (exit {done.returncode}); see {log}")
    return wall, cpu, done.stdout


def naive_side(folder: Path, env: dict, log: Path) -> dict:
    wall, cpu, out = _run(["-m", "crosswalk.bench.first_run", "--naive", str(folder)], env, log)
    return {**json.loads(out.strip().splitlines()[-1]), "wall": wall, "cpu": cpu}


def crosswalk_side(folder: Path, env: dict, log: Path, ws: Path) -> dict:
    """What `./crosswalk.sh app` runs before the app starts: the model's export beside the ingest, then index
    and match. The ingest stage's wall time includes waiting for the export; its CPU time includes the export's."""
    stages = {}
    cli = [sys.executable, "-m", "crosswalk.cli"]
    cpu0, t0 = _children_cpu(), time.perf_counter()
    with open(log, "a", encoding="utf-8") as err:
        prepare = subprocess.Popen([*cli, "index", "--prepare", "--workspace", str(ws)], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=err, text=True)
        ingest = subprocess.run([*cli, "ingest", str(folder), "--workspace", str(ws)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=err, text=True)
        ingest_wall = time.perf_counter() - t0
        prepared = prepare.communicate()[0]
    if ingest.returncode != 0 or prepare.returncode != 0:
        raise RuntimeError(f"ingest or the model export failed; see {log}")
    stages["ingest"] = {"wall": time.perf_counter() - t0, "cpu": _children_cpu() - cpu0,
                        "summary": f"{ingest.stdout.strip().splitlines()[-1]} (ingest alone {ingest_wall:.1f} s); "
                                   f"{prepared.strip()}"}
    for name, args in (
        ("index", ["index"]),
        ("match", ["match", "--from", "US", "--to", "UK"]),
    ):
        wall, cpu, out = _run(["-m", "crosswalk.cli", *args, "--workspace", str(ws)], env, log)
        stages[name] = {"wall": wall, "cpu": cpu, "summary": out.strip().splitlines()[-1] if out.strip() else ""}
    params = json.loads((ws / "index" / "params.json").read_text(encoding="utf-8"))
    manifests = list((ws / "cache" / "models").glob("*/manifest.json"))
    export_s = json.loads(manifests[0].read_text())["seconds"] if manifests else 0.0
    return {"stages": stages, "wall": sum(s["wall"] for s in stages.values()),
            "cpu": sum(s["cpu"] for s in stages.values()), "backend": params["model"]["backend"],
            "passages": params["passages"]["count"], "provisions": params["store"]["provisions"],
            "export_s": export_s, "embedded": params["build"]["embedded"]}


def _note(side: str, result: dict) -> None:
    """Each side's figures on stderr as soon as they are measured (a long run on a busy machine)."""
    print(f"{side}: {json.dumps(result)}", file=sys.stderr, flush=True)


def passage_tokens(ws: Path) -> int:
    """Word pieces the model reads (truncated at its limit) over every passage of the workspace's index."""
    from transformers import AutoTokenizer

    from crosswalk.index.embedder import resolve_model
    from crosswalk.index.passages import make_passages
    from crosswalk.ingest.store import Store

    with Store(ws / "crosswalk.db", readonly=True) as store:
        passages = make_passages(store.iter_provisions())
    tok = AutoTokenizer.from_pretrained(resolve_model(backend="torch").path)
    return sum(min(len(ids), 256) for ids in tok([p.text for p in passages])["input_ids"])


def main(folder: Path, keep: Path | None = None) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    env.pop("CROSSWALK_MODEL_CACHE", None)  # a first run exports the model into its own fresh workspace
    env.pop("CROSSWALK_BACKEND", None)
    with tempfile.TemporaryDirectory(prefix="first-run-") as tmp:
        ws = keep or Path(tmp) / "ws"
        log = Path(tmp) / "stderr.log"
        naive1 = naive_side(folder, env, log)
        _note("naive (1)", naive1)
        cw = crosswalk_side(folder, env, log, ws)
        _note("crosswalk", cw)
        tokens = passage_tokens(ws)
        naive2 = naive_side(folder, env, log)
        _note("naive (2)", naive2)
    return report(naive1, cw, naive2, tokens)


def report(naive1: dict, cw: dict, naive2: dict, cw_tokens: int) -> str:
    naive_wall = (naive1["wall"] + naive2["wall"]) / 2
    naive_cpu = (naive1["cpu"] + naive2["cpu"]) / 2
    load = os.getloadavg()[0]
    lines = [
        f"Crosswalk first run {cw['wall']:.1f} s against naive {naive_wall:.1f} s (runs {naive1['wall']:.1f} s, "
        f"{naive2['wall']:.1f} s): ratio {cw['wall'] / naive_wall:.2f} wall, {cw['cpu'] / naive_cpu:.2f} CPU "
        f"({cw['cpu']:.0f} s against {naive_cpu:.0f} s); load average {load:.1f} at the end",
        "",
        "| side | step | wall s | CPU s | what |",
        "|---|---|---|---|---|",
    ]
    for n, run in (("1", naive1), ("2", naive2)):
        lines.append(f"| naive ({n}) | whole | {run['wall']:.1f} | {run['cpu']:.1f} | read {run['read_s']:.1f} s, "
                     f"load model {run['load_s']:.1f} s, encode {run['encode_s']:.1f} s: {run['windows']:,} windows, "
                     f"{run['tokens']:,} word pieces |")
    for name, st in cw["stages"].items():
        what = st["summary"].replace("|", "/")
        if name == "index":
            what = f"{cw['backend']}, ONNX export {cw['export_s']:.1f} s, {cw_tokens:,} word pieces; " + what
        lines.append(f"| crosswalk | {name} | {st['wall']:.1f} | {st['cpu']:.1f} | {what} |")
    lines.append(f"| crosswalk | whole | {cw['wall']:.1f} | {cw['cpu']:.1f} | {cw['provisions']:,} provisions, "
                 f"{cw['passages']:,} passages |")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--naive":
        print(json.dumps(run_naive(Path(sys.argv[2]))))
    else:
        import argparse

        ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
        ap.add_argument("folder", nargs="?", default=str(ROOT.parent / "shared" / "corpus"))
        ap.add_argument("--keep", default=None, help="Keep Crosswalk's workspace here (default: a temporary one).")
        a = ap.parse_args()
        print(main(Path(a.folder), Path(a.keep) if a.keep else None))
