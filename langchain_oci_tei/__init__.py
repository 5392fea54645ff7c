"""LangChain integration of oci-tei: ``OCITEIEmbeddings`` and ``OCITEIRerank``."""

from typing import TYPE_CHECKING, Any

from oci_tei._extras import needs_extra

with needs_extra("langchain_oci_tei", "langchain_core", "langchain-core", "langchain"):
    import langchain_core.embeddings  # noqa: F401

from langchain_oci_tei.embeddings import OCITEIEmbeddings

if TYPE_CHECKING:
    from langchain_oci_tei.rerank import OCITEIRerank

__all__ = ["OCITEIEmbeddings", "OCITEIRerank"]


def __getattr__(name: str) -> Any:
    # The reranker (and LangChain's document compressors) load when first asked for:
    # an embeddings-only notebook does not pay for them.
    if name == "OCITEIRerank":
        from langchain_oci_tei.rerank import OCITEIRerank

        return OCITEIRerank
    raise AttributeError(f"module 'langchain_oci_tei' has no attribute {name!r}")
