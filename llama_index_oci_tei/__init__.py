"""LlamaIndex integration of oci-tei: ``OCITEIEmbedding``."""

from llama_index_oci_tei.base import OCITEIEmbedding

__all__ = ["OCITEIEmbedding"]
