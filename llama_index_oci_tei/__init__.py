"""LlamaIndex integration of oci-tei: ``OCITEIEmbedding`` and ``OCITEIRerank``."""

from oci_tei._extras import needs_extra

with needs_extra("llama_index_oci_tei", "llama_index.core", "llama-index-core", "llamaindex"):
    import llama_index.core.base.embeddings.base  # noqa: F401

from llama_index_oci_tei.base import OCITEIEmbedding
from llama_index_oci_tei.rerank import OCITEIRerank

__all__ = ["OCITEIEmbedding", "OCITEIRerank"]
