"""LlamaIndex ``BaseNodePostprocessor`` over the core rerank client: method names only."""

from __future__ import annotations

from typing import Any

from llama_index.core.callbacks import CBEventType, EventPayload
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle
from pydantic import Field

from oci_tei._rerank import RerankResult
from oci_tei._rerank_adapter import RerankAdapterBase

__all__ = ["OCITEIRerank"]

_dispatcher = get_dispatcher(__name__)


class OCITEIRerank(RerankAdapterBase, BaseNodePostprocessor):
    """A TEI cross-encoder on an OCI Model Deployment (or any TEI), as a LlamaIndex reranker.

    Example:
        .. code-block:: python

            from llama_index_oci_tei import OCITEIRerank

            reranker = OCITEIRerank(
                endpoint="ocid1.datasciencemodeldeployment.oc1.iad.xxx",
                auth="resource_principal",
                top_n=3,
            )
            engine = index.as_query_engine(similarity_top_k=8, node_postprocessors=[reranker])

    Each node's score becomes its rerank score (the retrieval score is kept in
    ``metadata["retrieval_score"]`` with ``keep_retrieval_score``); LlamaIndex's
    ``ReRankStartEvent``/``ReRankEndEvent`` and the ``RERANKING`` callback event are
    emitted. Every option is documented on ``oci_tei.RerankSettings``.
    """

    top_n: int = Field(default=3, ge=1, description="Nodes to keep, best first.")
    keep_retrieval_score: bool = Field(
        default=False, description="Keep each node's retrieval score in its metadata."
    )
    model_name: str = Field(default="oci-tei", description="Name shown in LlamaIndex events.")
    metadata_mode: MetadataMode = Field(
        default=MetadataMode.NONE,
        description="Which node metadata is scored with its text (default: the text only).",
    )

    @classmethod
    def class_name(cls) -> str:
        """Name used in LlamaIndex serialization."""
        return "OCITEIRerank"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        query, texts = self._start(nodes, query_bundle)
        if not texts:
            return []
        with self.callback_manager.event(
            CBEventType.RERANKING, payload=self._payload(nodes, query)
        ) as event:
            results = self.client.rerank(query, texts, top_n=self.top_n)
            return self._finish(nodes, results, event)

    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        query, texts = self._start(nodes, query_bundle)
        if not texts:
            return []
        with self.callback_manager.event(
            CBEventType.RERANKING, payload=self._payload(nodes, query)
        ) as event:
            results = await self.client.arerank(query, texts, top_n=self.top_n)
            return self._finish(nodes, results, event)

    def _start(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None
    ) -> tuple[str, list[str]]:
        if query_bundle is None:
            raise ValueError("OCITEIRerank needs the query: pass query_bundle or query_str")
        _dispatcher.event(
            ReRankStartEvent(
                query=query_bundle, nodes=nodes, top_n=self.top_n, model_name=self.model_name
            )
        )
        texts = [n.node.get_content(metadata_mode=self.metadata_mode) for n in nodes]
        return query_bundle.query_str, texts

    def _payload(self, nodes: list[NodeWithScore], query: str) -> dict[str, Any]:
        return {
            EventPayload.NODES: nodes,
            EventPayload.MODEL_NAME: self.model_name,
            EventPayload.QUERY_STR: query,
            EventPayload.TOP_K: self.top_n,
        }

    def _finish(
        self, nodes: list[NodeWithScore], results: list[RerankResult], event: Any
    ) -> list[NodeWithScore]:
        ranked = []
        for result in results:
            original = nodes[result.index]
            if self.keep_retrieval_score:
                original.node.metadata["retrieval_score"] = original.score
            ranked.append(NodeWithScore(node=original.node, score=result.score))
        event.on_end(payload={EventPayload.NODES: ranked})
        _dispatcher.event(ReRankEndEvent(nodes=ranked))
        return ranked
