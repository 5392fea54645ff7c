"""Vectors equal sentence-transformers', and every embedding option does what TEI does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from oci_tei_local import Backend, LocalServer, StartupError, load_backend
from oci_tei_local._model_files import default_model_dir
from oci_tei_local._settings import ServerSettings
from tests.local.model_dirs import model_dir_like_bundled, tiny_masked_lm_dir

TEXTS = [
    "The car sped down the highway at an incredible speed.",
    "A vehicle raced along the freeway, moving very fast.",
    "The child was playing in the park with a ball.",
    "hi",
    "Ünïcödé, 中文 and emoji 🙂 survive tokenization.",
    " ".join(["a longer passage about embeddings"] * 40),  # > 256 tokens: truncated
]


@pytest.fixture(scope="module")
def sentence_transformer() -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(default_model_dir()), device="cpu", local_files_only=True)


def post(server: LocalServer, path: str, body: object) -> Any:
    response = httpx.post(server.url + path, json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


def test_vectors_equal_sentence_transformers(
    tei_server: LocalServer, sentence_transformer: Any
) -> None:
    expected = sentence_transformer.encode(TEXTS)
    for path, key in (("/embed", "inputs"), ("/v1/embeddings", "input")):
        body = post(tei_server, path, {key: TEXTS})
        got = np.array(body if path == "/embed" else [d["embedding"] for d in body["data"]])
        assert cosine(got, expected).min() >= 0.99999
        np.testing.assert_allclose(got, expected, atol=2e-6)


def test_unnormalized_is_the_pooled_vector(
    tei_server: LocalServer, sentence_transformer: Any
) -> None:
    pooled = sentence_transformer.encode(TEXTS[:3], output_value="token_embeddings")
    expected = np.stack([tokens.numpy().mean(axis=0) for tokens in pooled])
    got = np.array(post(tei_server, "/embed", {"inputs": TEXTS[:3], "normalize": False}))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert np.all(np.abs(np.linalg.norm(got, axis=1) - 1) > 1e-3)


def test_dimensions_truncate_then_renormalize(tei_server: LocalServer) -> None:
    full = np.array(post(tei_server, "/embed", {"inputs": TEXTS[:3], "normalize": False}))
    cut = np.array(post(tei_server, "/embed", {"inputs": TEXTS[:3], "dimensions": 64}))
    expected = full[:, :64] / np.linalg.norm(full[:, :64], axis=1, keepdims=True)
    np.testing.assert_allclose(cut, expected, atol=1e-6)
    raw_cut = post(tei_server, "/embed", {"inputs": TEXTS[0], "dimensions": 5, "normalize": False})
    np.testing.assert_allclose(raw_cut[0], full[0, :5], atol=1e-6)


def test_truncation_directions(tei_server: LocalServer) -> None:
    # Whole-word tokens, so token ids decode and re-encode to themselves.
    cycle = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    text = " ".join(cycle[i % 10] for i in range(400))
    ids = [t["id"] for t in post(tei_server, "/tokenize", {"inputs": text})[0]]
    cls, content, sep = ids[0], ids[1:-1], ids[-1]
    right = post(tei_server, "/embed", {"inputs": text, "truncate": True})
    left = post(
        tei_server, "/embed", {"inputs": text, "truncate": True, "truncation_direction": "Left"}
    )
    # Truncation keeps the special tokens and 254 content tokens from the chosen end.
    expected_right = post(tei_server, "/embed", {"inputs": [cls, *content[:254], sep]})
    expected_left = post(tei_server, "/embed", {"inputs": [cls, *content[-254:], sep]})
    np.testing.assert_allclose(right, expected_right, atol=1e-6)
    np.testing.assert_allclose(left, expected_left, atol=1e-6)
    assert cosine(np.array(right[0]), np.array(left[0])) < 0.999


def test_usage_counts_tokens_after_truncation(tei_server: LocalServer) -> None:
    body = post(tei_server, "/v1/embeddings", {"input": [TEXTS[3], TEXTS[5]]})
    assert body["usage"]["prompt_tokens"] == 3 + 256


@pytest.mark.parametrize("pooling", ["cls", "last-token", "mean"])
def test_pooling_override(start_tei_server: Callable[..., LocalServer], pooling: str) -> None:
    server = start_tei_server(pooling=pooling)
    info = httpx.get(server.url + "/info").json()
    assert info["model_type"] == {"embedding": {"pooling": pooling.replace("-", "_")}}
    tokens = np.array(post(server, "/embed_all", {"inputs": "hello world"})[0])
    expected = {"cls": tokens[0], "last-token": tokens[-1], "mean": tokens.mean(axis=0)}[pooling]
    got = post(server, "/embed", {"inputs": "hello world", "normalize": False})[0]
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.fixture(scope="module")
def prompted_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Backend]:
    prompts = {"query": "query: ", "passage": "passage: "}
    root = model_dir_like_bundled(
        tmp_path_factory.mktemp("prompted") / "model",
        extra={"config_sentence_transformers.json": {"prompts": prompts}},
    )
    return root, load_backend(str(root))


@pytest.mark.slow  # loads another model
def test_local_model_directory_with_prompts(
    start_tei_server: Callable[..., LocalServer], prompted_model: tuple[Path, Backend]
) -> None:
    root, backend = prompted_model
    server = start_tei_server(model_id=str(root), backend=backend)
    assert httpx.get(server.url + "/info").json()["model_id"] == str(root)
    prompted = post(server, "/embed", {"inputs": "what is tei", "prompt_name": "query"})
    spelled = post(server, "/embed", {"inputs": "query: what is tei"})
    np.testing.assert_allclose(prompted, spelled, atol=1e-6)
    tokens = post(server, "/tokenize", {"inputs": "x", "prompt_name": "passage"})[0]
    assert [t["text"] for t in tokens] == ["[CLS]", "passage", ":", "x", "[SEP]"]
    unknown = httpx.post(server.url + "/embed", json={"inputs": "x", "prompt_name": "other"})
    assert unknown.json()["error"] == (
        "Input validation error: `default-prompt-name` is set to `other` but it was not found "
        'in the Sentence Transformers prompts. Available prompts: ["query", "passage"]'
    )


@pytest.mark.slow  # loads another model
def test_default_prompts(
    start_tei_server: Callable[..., LocalServer], prompted_model: tuple[Path, Backend]
) -> None:
    root, backend = prompted_model
    by_name = start_tei_server(model_id=str(root), backend=backend, default_prompt_name="query")
    by_text = start_tei_server(model_id=str(root), backend=backend, default_prompt="query: ")
    plain = start_tei_server(model_id=str(root), backend=backend)
    expected = post(plain, "/embed", {"inputs": "query: hello"})
    np.testing.assert_allclose(post(by_name, "/embed", {"inputs": "hello"}), expected, atol=1e-6)
    np.testing.assert_allclose(post(by_text, "/embed", {"inputs": "hello"}), expected, atol=1e-6)
    # An explicit prompt name replaces the default one.
    passage = post(by_name, "/embed", {"inputs": "hello", "prompt_name": "passage"})
    np.testing.assert_allclose(
        passage, post(plain, "/embed", {"inputs": "passage: hello"}), atol=1e-6
    )
    with pytest.raises(StartupError, match="Available prompts"):
        LocalServer(
            ServerSettings(model_id=str(root), port=0, default_prompt_name="x"), backend
        ).start()


@pytest.mark.slow  # loads another model
def test_float16(start_tei_server: Callable[..., LocalServer], tei_server: LocalServer) -> None:
    backend = load_backend(dtype="float16")
    server = start_tei_server(dtype="float16", backend=backend)
    assert httpx.get(server.url + "/info").json()["model_dtype"] == "float16"
    half = np.array(post(server, "/embed", {"inputs": TEXTS}))
    full = np.array(post(tei_server, "/embed", {"inputs": TEXTS}))
    assert half.dtype == np.float64
    assert cosine(half, full).min() > 0.999


@pytest.mark.slow  # loads another model
def test_splade(tmp_path: Path) -> None:
    root = tiny_masked_lm_dir(tmp_path / "splade")
    backend = load_backend(str(root), pooling="splade")
    settings = ServerSettings(model_id=str(root), pooling="splade", port=0)
    with LocalServer(settings, backend) as server:
        assert httpx.get(server.url + "/info").json()["model_type"] == {
            "embedding": {"pooling": "splade"}
        }
        sparse = post(server, "/embed_sparse", {"inputs": ["hello", "world"]})
        assert len(sparse) == 2
        assert all(item["value"] > 0 for item in sparse[0])
        dense = np.array(post(server, "/embed", {"inputs": "hello", "normalize": False})[0])
        assert dense.shape == (30522,)
        assert {i["index"] for i in sparse[0]} == set(np.flatnonzero(dense).tolist())
        root_sparse = post(server, "/", {"inputs": "hello"})  # `/` is embed_sparse
        assert [i["index"] for i in root_sparse[0]] == [i["index"] for i in sparse[0]]
        refused = httpx.post(server.url + "/embed", json={"inputs": "hello"})
        assert refused.status_code == 424
        assert (
            refused.json()["error"]
            == "Backend error: `normalize` is not available for SPLADE models"
        )
        all_tokens = httpx.post(server.url + "/embed_all", json={"inputs": "hello"})
        assert all_tokens.json()["error"] == (
            "Backend error: `embed_all` is not available for SPLADE models"
        )
