"""Unmodified third-party TEI clients work against the local server."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from oci_tei_local import LocalServer

SEED = [
    "The car sped down the highway at an incredible speed.",
    "A vehicle raced along the freeway, moving very fast.",
    "The child was playing in the park with a ball.",
]


def embed(server: LocalServer, texts: list[str]) -> np.ndarray:
    return np.array(httpx.post(server.url + "/embed", json={"inputs": texts}).json())


def test_huggingface_hub_inference_client(
    tei_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants
    from huggingface_hub import InferenceClient

    # HF_HUB_OFFLINE (set for model loading) makes the client refuse every URL, even
    # loopback; this test talks to loopback only.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    client = InferenceClient(model=tei_server.url)
    vectors = client.feature_extraction(SEED[0])
    assert vectors.shape == (1, 384)
    np.testing.assert_allclose(vectors, embed(tei_server, [SEED[0]]), atol=1e-6)
    raw = client.feature_extraction(SEED[0], normalize=False, truncate=True)
    assert abs(float(np.linalg.norm(raw)) - 1.0) > 1e-3


def test_openai_sdk_default_base64(tei_server: LocalServer) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=tei_server.url + "/v1", api_key="unused", max_retries=0)
    response = client.embeddings.create(input=SEED, model="sentence-transformers/all-MiniLM-L6-v2")
    vectors = np.array([item.embedding for item in response.data])
    np.testing.assert_allclose(vectors, embed(tei_server, SEED), atol=1e-6)
    assert response.usage.prompt_tokens == response.usage.total_tokens == 39
    assert response.model == "sentence-transformers/all-MiniLM-L6-v2"
    floats = client.embeddings.create(input="x", model="m", encoding_format="float")
    assert len(floats.data[0].embedding) == 384


def test_openai_sdk_error_shape(start_tei_server: object) -> None:
    import openai

    server = start_tei_server(max_client_batch_size=2)  # type: ignore[operator]
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        client.embeddings.create(input=["a", "b", "c"], model="m")
    assert caught.value.body == {
        "message": "batch size 3 > maximum allowed batch size 2",
        "code": 422,
        "type": "Validation",
    }


async def test_llama_index_text_embeddings_inference(tei_server: LocalServer) -> None:
    from llama_index.embeddings.text_embeddings_inference import TextEmbeddingsInference

    model = TextEmbeddingsInference(
        base_url=tei_server.url, model_name="sentence-transformers/all-MiniLM-L6-v2"
    )
    batch = model.get_text_embedding_batch(SEED)
    np.testing.assert_allclose(batch, embed(tei_server, SEED), atol=1e-6)
    query = await model.aget_query_embedding(SEED[0])
    np.testing.assert_allclose(query, batch[0], atol=1e-6)
