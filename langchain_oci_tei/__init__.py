"""LangChain integration of oci-tei: ``OCITEIEmbeddings`` and ``OCITEIRerank``."""

from langchain_oci_tei.embeddings import OCITEIEmbeddings
from langchain_oci_tei.rerank import OCITEIRerank

__all__ = ["OCITEIEmbeddings", "OCITEIRerank"]
