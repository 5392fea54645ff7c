"""LangChain ``BaseDocumentCompressor`` over the core rerank client: method names only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import ConfigDict, Field

from oci_tei._rerank import RerankResult
from oci_tei._rerank_adapter import RerankAdapterBase

__all__ = ["OCITEIRerank"]


class OCITEIRerank(RerankAdapterBase, BaseDocumentCompressor):
    """A TEI cross-encoder on an OCI Model Deployment (or any TEI), as a LangChain reranker.

    Setup:
        ``pip install "oci-tei[langchain]"``; deploy a reranker (for example
        ``oci-tei deploy deploy/bge-reranker-base-a10.yaml``) and configure OCI auth.

    Example:
        .. code-block:: python

            from langchain_classic.retrievers import ContextualCompressionRetriever
            from langchain_oci_tei import OCITEIRerank

            reranker = OCITEIRerank(
                endpoint="https://modeldeployment.us-ashburn-1.oci.customer-oci.com/"
                "ocid1.datasciencemodeldeployment.oc1.iad.xxx/predict",
                top_n=3,
            )
            retriever = ContextualCompressionRetriever(
                base_compressor=reranker, base_retriever=store.as_retriever(search_kwargs={"k": 8})
            )

    Each returned document is a copy of the input with ``metadata["relevance_score"]``
    added; nothing else changes. Every option is documented on
    ``oci_tei.RerankSettings``.
    """

    model_config = ConfigDict(extra="forbid")

    top_n: int | None = Field(default=3, ge=1)
    """How many documents to keep, best first; ``None`` keeps them all (re-ordered)."""

    def rerank(
        self, query: str, documents: Sequence[str | Document], *, top_n: int | None = None
    ) -> list[dict[str, Any]]:
        """Score documents against ``query``, as LangChain's other rerankers do.

        Returns:
            ``[{"index": i, "relevance_score": s}, ...]``, best first, ``top_n`` of them
            (default: the instance's ``top_n``).
        """
        texts = [_text(document) for document in documents]
        if not texts:
            return []
        results = self.client.rerank(query, texts, top_n=top_n or self.top_n)
        return [{"index": r.index, "relevance_score": r.score} for r in results]

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """The ``top_n`` documents most relevant to ``query``, best first."""
        if not documents:
            return []
        results = self.client.rerank(query, [d.page_content for d in documents], top_n=self.top_n)
        return _scored(documents, results)

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Async ``compress_documents``, on the running event loop."""
        if not documents:
            return []
        texts = [d.page_content for d in documents]
        return _scored(documents, await self.client.arerank(query, texts, top_n=self.top_n))


def _text(document: str | Document) -> str:
    return document.page_content if isinstance(document, Document) else document


def _scored(documents: Sequence[Document], results: list[RerankResult]) -> list[Document]:
    # Copies: the caller's documents (often a vector store's cache) stay as they were.
    return [
        documents[r.index].model_copy(
            update={"metadata": {**documents[r.index].metadata, "relevance_score": r.score}}
        )
        for r in results
    ]
