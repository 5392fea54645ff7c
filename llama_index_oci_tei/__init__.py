"""LlamaIndex integration of oci-tei: ``OCITEIEmbedding`` and ``OCITEIRerank``."""

from llama_index_oci_tei.base import OCITEIEmbedding
from llama_index_oci_tei.rerank import OCITEIRerank

__all__ = ["OCITEIEmbedding", "OCITEIRerank"]
