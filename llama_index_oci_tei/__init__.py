"""LlamaIndex integration of oci-tei: ``OCITEIEmbedding`` and ``OCITEIRerank``."""

from typing import TYPE_CHECKING, Any

from oci_tei._extras import needs_extra

with needs_extra("llama_index_oci_tei", "llama_index.core", "llama-index-core", "llamaindex"):
    import llama_index.core.base.embeddings.base  # noqa: F401

from llama_index_oci_tei.base import OCITEIEmbedding

if TYPE_CHECKING:
    from llama_index_oci_tei.rerank import OCITEIRerank

__all__ = ["OCITEIEmbedding", "OCITEIRerank"]


def __getattr__(name: str) -> Any:
    # The reranker (and LlamaIndex's postprocessors) load when first asked for.
    if name == "OCITEIRerank":
        from llama_index_oci_tei.rerank import OCITEIRerank

        return OCITEIRerank
    raise AttributeError(f"module 'llama_index_oci_tei' has no attribute {name!r}")
