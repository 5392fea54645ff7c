"""LangChain integration of oci-tei: ``OCITEIEmbeddings`` and ``OCITEIRerank``."""

from oci_tei._extras import needs_extra

with needs_extra("langchain_oci_tei", "langchain_core", "langchain-core", "langchain"):
    import langchain_core.embeddings  # noqa: F401

from langchain_oci_tei.embeddings import OCITEIEmbeddings
from langchain_oci_tei.rerank import OCITEIRerank

__all__ = ["OCITEIEmbeddings", "OCITEIRerank"]
