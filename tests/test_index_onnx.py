"""The `onnx-int8` (and `onnx`) embedding backends against the torch one, with the real packaged model.

The export is built once per module into a temporary model cache (about 5–10 s); the index tests reuse it.
Thresholds come from measurement: on the sentences below, int8 vectors are at cosine 0.990–0.995 of the torch
ones (0.979 at worst on 500 corpus passages), fp32 ONNX at 0.9999999.
"""

from __future__ import annotations

import importlib.util
import json
import logging

import numpy as np
import pytest
from click.testing import CliRunner

from crosswalk.cli import main
from crosswalk.errors import ConfigError, IndexStateError
from crosswalk.index import build as build_mod
from crosswalk.index import onnx_backend
from crosswalk.index.build import build_index, load_searcher, read_params
from crosswalk.index.embedder import get_embedder, resolve_backend, resolve_model
from crosswalk.index.onnx_backend import MANIFEST, MODEL_FILE, OnnxEmbedder, cache_slug
from crosswalk.ingest.store import Store

from index_corpus import built_workspace, copy_workspace

INT8_MIN_COSINE = 0.98
INT8_MEAN_COSINE = 0.99

SENTENCES = [
    "A firm must hold qualifying cryptoassets for its clients on trust, segregated from its own assets.",
    "Customer assets held by a custodian shall be treated as the property of the customer and kept apart from the "
    "custodian's own property.",
    "A firm should reconcile its records of client cryptoassets with those of any third party holding them each "
    "business day.",
    "Each permitted issuer shall maintain reserves backing its outstanding payment stablecoins on at least a one to "
    "one basis.",
    "An issuer of a qualifying stablecoin must hold backing assets equal to the value of all stablecoins in issue.",
    "The issuer shall publish the monthly composition of its reserves on its website.",
    "Each money services business shall develop and maintain an effective anti-money laundering program.",
    "A relevant person must establish policies, controls and procedures to mitigate the risks of money laundering "
    "and terrorist financing.",
    "A money services business shall file a report of any suspicious transaction involving at least 2,000 dollars.",
    "Each money services business must register with FinCEN within 180 days after the business is established.",
    "A cryptoasset exchange provider must be registered with the FCA before carrying on business in the United "
    "Kingdom.",
    "No person other than a permitted issuer may issue a payment stablecoin in the United States.",
    "A firm must not communicate a financial promotion relating to cryptoassets unless it is fair, clear and not "
    "misleading.",
    "Consumers must be given clear risk warnings before investing in cryptoassets.",
    "The covered entity shall maintain a cybersecurity program designed to protect the confidentiality and "
    "integrity of its information systems.",
    "A firm must be able to remain within its impact tolerance for each important business service in a severe but "
    "plausible disruption.",
    "A firm must establish and maintain procedures for the reasonable and prompt handling of complaints.",
    "Eligible complainants may refer a complaint to the Financial Ombudsman Service after eight weeks.",
    "The board of directors is responsible for the governance and risk management framework of the issuer.",
    "An issuer shall hold own funds of at least two per cent of the average amount of the reserve of assets.",
]
QUERIES = [  # each with the sentence torch ranks first
    ("segregation of client crypto assets held in custody", 0),
    ("one to one reserve backing for stablecoins", 3),
    ("anti money laundering compliance program", 6),
    ("registration of crypto exchanges with the regulator", 10),
    ("suspicious activity reporting threshold", 8),
    ("handling customer complaints", 16),
    ("cyber security requirements for licensed firms", 14),
    ("capital requirements for stablecoin issuers", 4),
    ("operational resilience and disruption", 15),
]
LONG = " ".join(f"Record {i} of each transfer of client cryptoassets shall be kept for five years." for i in range(60))


@pytest.fixture(autouse=True)
def no_backend_env(monkeypatch):
    monkeypatch.delenv("CROSSWALK_BACKEND", raising=False)
    monkeypatch.delenv("CROSSWALK_MODEL", raising=False)


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def int8(model_cache):
    emb = get_embedder(backend="onnx-int8", cache_dir=model_cache)
    emb.encode(["warm up"])  # exports on first use
    return emb


@pytest.fixture(scope="module")
def torch_emb():
    return get_embedder(backend="torch")


@pytest.fixture(scope="module")
def vectors(int8, torch_emb):
    return torch_emb.encode(SENTENCES), int8.encode(SENTENCES)


# --- vectors ------------------------------------------------------------------------------------------------


def test_int8_vectors_are_close_to_torch(vectors, int8, torch_emb):
    ref, got = vectors
    assert got.dtype == np.float32 and got.shape == (len(SENTENCES), 384) == ref.shape
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cos = np.sum(ref * got, axis=1)
    assert cos.min() >= INT8_MIN_COSINE, cos
    assert cos.mean() >= INT8_MEAN_COSINE
    assert cos.max() < 0.99999  # really quantised, not the torch model under another name
    assert (int8.dim, int8.max_seq_length) == (torch_emb.dim, torch_emb.max_seq_length) == (384, 256)


def test_int8_keeps_the_nearest_neighbours(vectors, int8, torch_emb):
    ref, got = vectors
    q_ref = np.stack([torch_emb.encode_query(q) for q, _ in QUERIES])
    q_got = np.stack([int8.encode_query(q) for q, _ in QUERIES])
    assert list((q_ref @ ref.T).argmax(axis=1)) == [want for _, want in QUERIES]
    agree = int(np.sum((q_got @ got.T).argmax(axis=1) == (q_ref @ ref.T).argmax(axis=1)))
    assert agree >= len(QUERIES) - 1  # measured: all 9
    sim_ref, sim_got = ref @ ref.T, got @ got.T
    np.fill_diagonal(sim_ref, -1)
    np.fill_diagonal(sim_got, -1)
    assert int(np.sum(sim_ref.argmax(axis=1) == sim_got.argmax(axis=1))) >= 16  # measured: 18 of 20


def test_a_query_gets_the_vector_of_the_same_text_indexed(int8, vectors):
    """One text per run: a passage's int8 vector does not depend on what it was batched with."""
    _, got = vectors
    alone = np.stack([int8.encode([s])[0] for s in SENTENCES[:5]])
    assert np.allclose(alone, got[:5], atol=1e-5)
    int8._queries.clear()
    assert np.allclose(int8.encode_query(SENTENCES[2]), got[2], atol=1e-5)


def test_fp32_onnx_reproduces_torch_including_truncation(model_cache, torch_emb):
    """Same tokenizer, truncation at 256 word pieces, mean pooling and normalisation as sentence-transformers."""
    fp32 = OnnxEmbedder(resolve_model(backend="onnx"), model_cache)
    texts = SENTENCES[:6] + [LONG, LONG + " A sentence past the 256th word piece changes nothing."]
    got, ref = fp32.encode(texts), torch_emb.encode(texts)
    assert np.sum(got * ref, axis=1).min() > 0.9999
    assert np.allclose(got[-1], got[-2], atol=1e-6)  # truncated: the tail is never seen


# --- specs and configuration ------------------------------------------------------------------------------------


def test_backend_is_part_of_the_fingerprint():
    torch_spec, int8_spec = resolve_model(backend="torch"), resolve_model(backend="onnx-int8")
    assert torch_spec.fingerprint == f"all-MiniLM-L6-v2@{torch_spec.version}"  # unchanged: old indexes stay valid
    assert int8_spec.fingerprint == torch_spec.fingerprint + "+onnx-int8"
    assert resolve_model(backend="onnx").fingerprint == torch_spec.fingerprint + "+onnx"
    assert (torch_spec.name, torch_spec.path, torch_spec.version) == (int8_spec.name, int8_spec.path, int8_spec.version)


def test_backend_from_the_environment(monkeypatch):
    monkeypatch.setenv("CROSSWALK_BACKEND", "ONNX-int8 ")
    assert resolve_backend() == "onnx-int8"
    assert resolve_backend("torch") == "torch"  # the argument wins
    with pytest.raises(ConfigError, match=r"unknown embedding backend 'openvino': use torch, onnx, onnx-int8"):
        resolve_backend("openvino")


def _without_onnxruntime(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))


def test_missing_onnxruntime_is_a_config_error_with_the_pip_command(monkeypatch):
    _without_onnxruntime(monkeypatch)
    with pytest.raises(ConfigError, match=r"needs onnxruntime, not installed: pip install -e '\.\[onnx\]'"):
        resolve_backend("onnx-int8")
    assert resolve_backend("torch") == "torch"


def test_cli_backend_errors_are_one_line(monkeypatch, tmp_path, small_workspace):
    runner = CliRunner()
    ws = copy_workspace(small_workspace, tmp_path / "ws")
    bad = runner.invoke(main, ["index", "--workspace", str(ws), "--backend", "openvino"])
    assert bad.exit_code != 0 and "unknown embedding backend 'openvino'" in bad.output
    assert len(bad.output.strip().splitlines()) == 1
    _without_onnxruntime(monkeypatch)
    missing = runner.invoke(main, ["index", "--workspace", str(ws), "--backend", "onnx-int8"])
    assert missing.exit_code != 0 and "pip install" in missing.output
    assert len(missing.output.strip().splitlines()) == 1


# --- the cached export ---------------------------------------------------------------------------------------


def test_export_is_cached_with_a_manifest(int8, model_cache):
    folder = model_cache / cache_slug(int8.spec)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["fingerprint"] == int8.spec.fingerprint and manifest["backend"] == "onnx-int8"
    assert manifest["bytes"] == (folder / MODEL_FILE).stat().st_size
    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST, MODEL_FILE]  # no temporary files left
    assert onnx_backend.cached_problem(int8.spec, folder) is None


def test_cached_model_is_reused_not_exported_again(int8, model_cache, monkeypatch, vectors):
    path = model_cache / cache_slug(int8.spec) / MODEL_FILE
    before = path.stat().st_mtime_ns

    def no_export(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_backend, "export_model", no_export)
    again = OnnxEmbedder(int8.spec, model_cache)  # a new embedder, as in a new process
    assert np.allclose(again.encode(SENTENCES[:3]), vectors[1][:3], atol=1e-5)
    assert path.stat().st_mtime_ns == before


@pytest.mark.parametrize("damage", ["garbage", "truncated", "no manifest"])
def test_a_corrupt_cached_model_is_rebuilt(int8, model_cache, tmp_path, vectors, damage, caplog):
    import shutil

    cache = tmp_path / "models"
    shutil.copytree(model_cache, cache)
    folder = cache / cache_slug(int8.spec)
    path = folder / MODEL_FILE
    if damage == "garbage":
        path.write_bytes(b"not an onnx model" * 1000)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        (folder / MANIFEST).unlink()
    assert onnx_backend.cached_problem(int8.spec, folder) is not None
    with caplog.at_level(logging.INFO, logger="crosswalk.index.onnx_backend"):
        rebuilt = OnnxEmbedder(int8.spec, cache)
        got = rebuilt.encode(SENTENCES[:3])
    assert onnx_backend.cached_problem(int8.spec, folder) is None
    assert np.allclose(got, vectors[1][:3], atol=1e-4)
    assert any("rebuilding" in r.getMessage() for r in caplog.records)


# --- indexes built with each backend ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_workspace(tmp_path_factory):
    """The small test store with its torch index (tests/index_corpus.py), shared; copy it before changing it."""
    return built_workspace(tmp_path_factory)


def test_switching_backend_reembeds_everything_and_is_sticky(small_workspace, tmp_path, model_cache, monkeypatch):
    ws = copy_workspace(small_workspace, tmp_path / "ws")
    index = ws / "index"
    torch_vectors = np.load(index / "embeddings.npy")
    with Store(ws / "crosswalk.db", readonly=True) as store:
        report = build_index(store, index, backend="onnx-int8", progress=False, model_cache=model_cache)
        assert report.embedded == report.passages and report.reused == 0
        assert report.summary().startswith("indexed 37 provisions as 40 passages (flat, all-MiniLM-L6-v2, onnx-int8)")
        params = read_params(index)
        assert params["model"]["backend"] == "onnx-int8"
        assert params["model"]["fingerprint"].endswith("+onnx-int8") and "onnxruntime" in params["model"]
        cos = np.sum(np.load(index / "embeddings.npy") * torch_vectors, axis=1)
        assert cos.min() >= INT8_MIN_COSINE

        again = build_index(store, index, progress=False, model_cache=model_cache)  # no backend: the index's
        assert again.unchanged and again.embedded == 0 and again.backend == "onnx-int8"

        build_mod._LOADED.clear()
        searcher = load_searcher(store, index, model_cache=model_cache)
        assert isinstance(searcher.dense.embedder, OnnxEmbedder)
        assert searcher.search("client cryptoassets held on trust", 3, retriever="dense").ids()[0] == \
            "UK-T-CASS:CASS_16.2.13R"

        monkeypatch.setenv("CROSSWALK_BACKEND", "torch")
        with pytest.raises(IndexStateError, match=r"built with model .*\+onnx-int8 but .* is configured; run "
                                                  r"`crosswalk index` .*\(or unset CROSSWALK_BACKEND\)"):
            load_searcher(store, index, model_cache=model_cache)
        monkeypatch.delenv("CROSSWALK_BACKEND")
        with pytest.raises(IndexStateError, match=r"\+onnx-int8 but all-MiniLM-L6-v2@\S+ is configured"):
            load_searcher(store, index, backend="torch", model_cache=model_cache)

        back = build_index(store, index, backend="torch", progress=False)
        assert back.embedded == back.passages and back.reused == 0
        assert read_params(index)["model"]["backend"] == "torch"
        assert np.allclose(np.load(index / "embeddings.npy"), torch_vectors, atol=1e-5)


def test_a_torch_index_rejects_an_onnx_backend_configured(small_workspace, monkeypatch):
    monkeypatch.setenv("CROSSWALK_BACKEND", "onnx-int8")
    with Store(small_workspace / "crosswalk.db", readonly=True) as store:
        with pytest.raises(IndexStateError, match=r"built with model all-MiniLM-L6-v2@\S+ but \S+\+onnx-int8 is "
                                                  r"configured"):
            load_searcher(store, small_workspace / "index")


def test_onnx_export_defaults_to_the_workspace_cache(small_workspace, tmp_path, model_cache):
    """Without `model_cache`, the export goes to `<workspace>/cache/models/`, beside the index."""
    import shutil

    ws = copy_workspace(small_workspace, tmp_path / "ws")
    shutil.copytree(model_cache, ws / "cache" / "models")  # a copy, so nothing is exported again
    with Store(ws / "crosswalk.db", readonly=True) as store:
        build_index(store, ws / "index", backend="onnx-int8", progress=False)
        emb = load_searcher(store, ws / "index").dense.embedder
    assert emb.folder.parent == (ws / "cache" / "models").resolve()
