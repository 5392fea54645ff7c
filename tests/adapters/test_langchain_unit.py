"""LangChain's standard unit suite, with sockets disabled: construction does no I/O."""

import pytest
from langchain_tests.unit_tests import EmbeddingsUnitTests

from langchain_oci_tei import OCITEIEmbeddings

OCID = "ocid1.datasciencemodeldeployment.oc1.iad.amaaaaaexample"


@pytest.mark.disable_socket
class TestOCITEIEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[OCITEIEmbeddings]:
        return OCITEIEmbeddings

    @property
    def embedding_model_params(self) -> dict:
        return {"endpoint": OCID, "auth": "resource_principal"}

    @property
    def init_from_env_params(self) -> tuple[dict, dict, dict]:
        return (
            {"OCI_TEI_ENDPOINT": "http://127.0.0.1:8080", "OCI_TEI_API_KEY": "tei-key"},
            {},
            {"endpoint": "http://127.0.0.1:8080", "api_key": "tei-key"},
        )
