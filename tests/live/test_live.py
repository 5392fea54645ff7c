"""Live tests against a real deployment: run only when ``OCI_TEI_ENDPOINT`` is set.

    OCI_TEI_ENDPOINT=https://modeldeployment.<region>.oci.customer-oci.com/<ocid>/predict \\
    OCI_IAM_TYPE=security_token pytest tests/live

Auth is chosen as the classes choose it (``OCI_IAM_TYPE``, oracle-ads' ``set_auth``, resource
principal inside OCI, else ``~/.oci/config``).
"""

import os

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests

from langchain_oci_tei import OCITEIEmbeddings
from llama_index_oci_tei import OCITEIEmbedding
from oci_tei import _errors as errors
from oci_tei._client import EmbeddingClient

ENDPOINT = os.environ.get("OCI_TEI_ENDPOINT")
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not ENDPOINT, reason="set OCI_TEI_ENDPOINT to run against a real deployment"
    ),
]


class TestLiveLangChain(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[OCITEIEmbeddings]:
        return OCITEIEmbeddings

    @property
    def embedding_model_params(self) -> dict:
        return {}  # endpoint from OCI_TEI_ENDPOINT


def test_many_chunks_keep_order_and_count():
    texts = [f"chunk {i}: the quick brown fox jumps over the lazy dog" for i in range(300)]
    with EmbeddingClient() as client:
        vectors = client.embed(texts)
        again = client.embed(texts[::-1])
    assert len(vectors) == 300
    assert all(
        max(abs(a - b) for a, b in zip(v, w, strict=True)) < 1e-3
        for v, w in zip(vectors, again[::-1], strict=True)
    )


def test_llamaindex_query_embedding():
    assert len(OCITEIEmbedding().get_query_embedding("hello")) > 0


def test_bad_input_is_refused_before_sending():
    with EmbeddingClient() as client, pytest.raises(errors.InvalidInputError):
        client.embed(["fine", " "])
