"""LangChain's standard integration suite, against the local server and the signed gateway."""

from typing import ClassVar

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests

from langchain_oci_tei import OCITEIEmbeddings


class TestAgainstLocalServer(EmbeddingsIntegrationTests):
    url = ""

    @pytest.fixture(autouse=True)
    def _server(self, tei_server):
        type(self).url = tei_server.url

    @property
    def embeddings_class(self) -> type[OCITEIEmbeddings]:
        return OCITEIEmbeddings

    @property
    def embedding_model_params(self) -> dict:
        return {"endpoint": self.url, "batch_size": 4}


class TestAgainstSignedGateway(EmbeddingsIntegrationTests):
    params: ClassVar[dict] = {}

    @pytest.fixture(autouse=True)
    def _gateway(self, emulator, tei_server, oci_config):
        emu = emulator()
        url = emu.predict_url(emu.register_deployment(tei_server.url))
        type(self).params = {"endpoint": url, "auth": "api_key", "config_file": str(oci_config)}

    @property
    def embeddings_class(self) -> type[OCITEIEmbeddings]:
        return OCITEIEmbeddings

    @property
    def embedding_model_params(self) -> dict:
        return dict(self.params)
