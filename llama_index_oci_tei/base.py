"""LlamaIndex ``BaseEmbedding`` over the shared oci-tei client: method names only."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.callbacks import CBEventType, EventPayload
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.events.embedding import (
    EmbeddingEndEvent,
    EmbeddingStartEvent,
)
from pydantic import Field, model_validator

from oci_tei._adapters import AdapterBase

__all__ = ["OCITEIEmbedding"]

_dispatcher = get_dispatcher(__name__)


class OCITEIEmbedding(AdapterBase, BaseEmbedding):
    """Text Embeddings Inference on an OCI Model Deployment (or any TEI), for LlamaIndex.

    Example:
        .. code-block:: python

            from llama_index.core import Settings
            from llama_index_oci_tei import OCITEIEmbedding

            Settings.embed_model = OCITEIEmbedding(
                endpoint="ocid1.datasciencemodeldeployment.oc1.iad.xxx",
                auth="resource_principal",
            )

    ``embed_batch_size`` is the number of inputs per request (``batch_size`` of the
    core); a batch call sends all its texts to the core client at once, which runs the
    requests concurrently. Every option is documented on
    ``oci_tei.EmbeddingSettings``.
    """

    model_name: str = Field(default="oci-tei", description="Name shown in LlamaIndex events.")
    embed_batch_size: int = Field(default=32, gt=0, le=2048, description="Inputs per request.")

    @model_validator(mode="before")
    @classmethod
    def _one_batch_size(cls, values: Any) -> Any:
        # LlamaIndex calls it embed_batch_size, the core batch_size: keep them equal, and
        # refuse two different sizes rather than silently pick one.
        if isinstance(values, dict):
            given = {
                name: values[name]
                for name in ("embed_batch_size", "batch_size")
                if values.get(name) is not None
            }
            if len(set(given.values())) > 1:
                raise ValueError(
                    f"embed_batch_size={given['embed_batch_size']} and "
                    f"batch_size={given['batch_size']} disagree: they are one setting "
                    "(inputs per request), pass one of them"
                )
            if given:
                size = next(iter(given.values()))
                values = {**values, "embed_batch_size": size, "batch_size": size}
        return values

    @classmethod
    def class_name(cls) -> str:
        """Name used in LlamaIndex serialization."""
        return "OCITEIEmbedding"

    def _get_query_embedding(self, query: str) -> Embedding:
        return self.client.embed_query(query)

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return await self.client.aembed_query(query)

    def _get_text_embedding(self, text: str) -> Embedding:
        return self.client.embed_documents([text])[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self.client.aembed_documents([text]))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self.client.embed_documents(texts)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await self.client.aembed_documents(texts)

    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: Any
    ) -> list[Embedding]:
        """Embed ``texts`` with concurrent requests (LlamaIndex's loop is sequential)."""
        if self.embeddings_cache is not None or self.rate_limiter is not None:
            return super().get_text_embedding_batch(texts, show_progress, **kwargs)
        payload = self.to_payload()
        _dispatcher.event(EmbeddingStartEvent(model_dict=payload))
        with self.callback_manager.event(
            CBEventType.EMBEDDING, payload={EventPayload.SERIALIZED: payload}
        ) as event:
            embeddings = self.client.embed_documents(texts, show_progress=show_progress or None)
            event.on_end(payload={EventPayload.CHUNKS: texts, EventPayload.EMBEDDINGS: embeddings})
        _dispatcher.event(EmbeddingEndEvent(chunks=texts, embeddings=embeddings))
        return embeddings
