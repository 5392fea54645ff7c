"""The local server serving a sequence-classification (cross-encoder) model as TEI does.

``/rerank`` and ``/predict`` answer with TEI's shapes (validated against TEI's OpenAPI
documents) and scores equal to sentence-transformers' ``CrossEncoder`` on the same
checkpoint; the embedding routes refuse a classifier with TEI's 424.
"""

import math

import httpx
import pytest

from oci_tei_local import LocalServer, ServerSettings
from oci_tei_local._cli import parse_serve_args

QUERY = "what guides ships at night?"
TEXTS = ["A lighthouse guides ships.", "Bread rises in the oven.", "Bees make honey.", "Stars."]


@pytest.fixture(scope="module")
def cross_encoder(reranker_dir):
    from sentence_transformers import CrossEncoder

    return CrossEncoder(str(reranker_dir), device="cpu")


@pytest.mark.parametrize("compat", ["1.5", "1.9"])
def test_rerank_matches_cross_encoder_and_tei_schema(
    compat, start_tei_server, reranker_backend, cross_encoder, tei_openapi
):
    server = start_tei_server(backend=reranker_backend, compat=compat)
    answer = httpx.post(
        server.url + "/rerank", json={"query": QUERY, "texts": TEXTS, "return_text": True}
    )
    assert answer.status_code == 200
    ranks = answer.json()
    tei_openapi(compat).validate("/rerank", 200, ranks)
    expected = cross_encoder.predict([(QUERY, t) for t in TEXTS])
    assert sorted(r["index"] for r in ranks) == [0, 1, 2, 3]
    for rank in ranks:
        assert abs(rank["score"] - float(expected[rank["index"]])) < 1e-6
        assert rank["text"] == TEXTS[rank["index"]]
    assert [r["score"] for r in ranks] == sorted((r["score"] for r in ranks), reverse=True)
    raw = httpx.post(
        server.url + "/rerank", json={"query": QUERY, "texts": TEXTS, "raw_scores": True}
    )
    for rank in raw.json():
        assert "text" not in rank
        assert abs(1 / (1 + math.exp(-rank["score"])) - float(expected[rank["index"]])) < 1e-6


def test_predict_scores_texts_and_pairs(reranker_server, cross_encoder, tei_openapi):
    single = httpx.post(reranker_server.url + "/predict", json={"inputs": [QUERY, TEXTS[0]]})
    assert single.status_code == 200
    tei_openapi("1.9").validate("/predict", 200, single.json())
    (prediction,) = single.json()
    assert prediction["label"] == "LABEL_0"
    assert abs(prediction["score"] - float(cross_encoder.predict([(QUERY, TEXTS[0])])[0])) < 1e-6
    batch = httpx.post(
        reranker_server.url + "/predict", json={"inputs": [[QUERY, TEXTS[1]], [TEXTS[2]]]}
    )
    tei_openapi("1.9").validate("/predict", 200, batch.json())
    assert [len(item) for item in batch.json()] == [1, 1]


def test_info_reports_a_reranker(reranker_server, tei_openapi):
    info = httpx.get(reranker_server.url + "/info").json()
    tei_openapi("1.9").validate("/info", 200, info, method="get")
    assert info["model_type"] == {
        "reranker": {"id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}}
    }


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/embed", {"inputs": "x"}, 424, "Backend error: Model is not an embedding model"),
        ("/embed_all", {"inputs": "x"}, 424, "Backend error: Model is not an embedding model"),
        ("/rerank", {"query": "q", "texts": []}, 400, "`texts` cannot be empty"),
        (
            "/rerank",
            {"query": "q", "texts": ["t"] * 33},
            422,
            "batch size 33 > maximum allowed batch size 32",
        ),
        (
            "/rerank",
            {"query": "q", "texts": ["word " * 600], "truncate": False},
            422,
            "must have less than 512 tokens",
        ),
    ],
)
def test_tei_errors(reranker_server, path, body, status, message):
    answer = httpx.post(reranker_server.url + path, json=body)
    assert answer.status_code == status
    assert message in answer.json()["error"]


def test_openai_route_refuses_a_classifier(reranker_server):
    answer = httpx.post(reranker_server.url + "/v1/embeddings", json={"input": "x"})
    assert answer.status_code == 424
    assert answer.json()["message"] == "Backend error: Model is not an embedding model"


def test_root_route_follows_the_model(reranker_server):
    answer = httpx.post(reranker_server.url + "/", json={"query": QUERY, "texts": TEXTS[:2]})
    assert answer.status_code == 200
    assert {r["index"] for r in answer.json()} == {0, 1}


def test_serve_model_id_directory_loads_the_cross_encoder(reranker_dir):
    # What `oci-tei serve --model-id DIR` builds, started without a shared backend.
    settings = parse_serve_args(["--model-id", str(reranker_dir), "--port", "0"], env={})
    server = LocalServer(settings).start()
    try:
        answer = httpx.post(server.url + "/rerank", json={"query": QUERY, "texts": TEXTS})
        assert answer.status_code == 200
        assert len(answer.json()) == 4
    finally:
        server.stop()


def test_reranker_rejects_embedding_only_settings(reranker_backend):
    with pytest.raises(Exception, match="splade"):
        LocalServer(ServerSettings(port=0, pooling="splade"), backend=reranker_backend).start()
