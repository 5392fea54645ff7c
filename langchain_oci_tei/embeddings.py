"""LangChain ``Embeddings`` over the shared oci-tei client: method names only."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings
from pydantic import ConfigDict

from oci_tei._adapters import AdapterBase

__all__ = ["OCITEIEmbeddings"]


class OCITEIEmbeddings(AdapterBase, Embeddings):
    """Text Embeddings Inference on an OCI Model Deployment (or any TEI), for LangChain.

    Setup:
        ``pip install "oci-tei[langchain]"``; configure OCI auth as for the OCI CLI
        (``~/.oci/config``), or run inside OCI with resource or instance principals.

    Example:
        .. code-block:: python

            from langchain_oci_tei import OCITEIEmbeddings

            embeddings = OCITEIEmbeddings(
                endpoint="https://modeldeployment.us-ashburn-1.oci.customer-oci.com/"
                "ocid1.datasciencemodeldeployment.oc1.iad.xxx/predict",
                query_instruction="Represent this sentence for searching relevant passages: ",
            )
            vectors = embeddings.embed_documents(["first chunk", "second chunk"])

    Every option is documented on ``oci_tei.EmbeddingSettings``.
    """

    model_config = ConfigDict(extra="forbid")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents: one vector per text, in order."""
        return self.client.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        """Embed a query (``query_instruction`` prepended when set)."""
        return self.client.embed_query(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents concurrently on the running event loop."""
        return await self.client.aembed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        """Embed a query on the running event loop."""
        return await self.client.aembed_query(text)
