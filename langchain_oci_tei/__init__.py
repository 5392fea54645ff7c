"""LangChain integration of oci-tei: ``OCITEIEmbeddings``."""

from langchain_oci_tei.embeddings import OCITEIEmbeddings

__all__ = ["OCITEIEmbeddings"]
