"""The ready-to-paste code ``deploy`` prints once the endpoint works, by the model's kind."""

from __future__ import annotations

import json

from oci_tei.auth import AuthSpec

__all__ = ["usage_snippets"]


def usage_snippets(endpoint: str, auth: AuthSpec | None = None, kind: str = "embedding") -> str:
    """Code for LangChain and LlamaIndex, with the identity deploy used."""
    arguments = [f"endpoint={json.dumps(endpoint)}"]
    if auth is not None:
        for name, value in (
            ("auth", auth.auth_type),
            ("profile", auth.profile),
            ("config_file", auth.config_file),
        ):
            if value:
                arguments.append(f"{name}={json.dumps(value)}")
    call = ", ".join(arguments)
    if kind == "rerank":
        return (
            "# LangChain: rerank what a retriever found\n"
            "from langchain_classic.retrievers import ContextualCompressionRetriever\n"
            "from langchain_oci_tei import OCITEIRerank\n"
            f"reranker = OCITEIRerank({call}, top_n=3)\n"
            "retriever = ContextualCompressionRetriever(base_compressor=reranker, "
            "base_retriever=base_retriever)\n\n"
            "# LlamaIndex: as a node postprocessor\n"
            "from llama_index_oci_tei import OCITEIRerank\n"
            f"reranker = OCITEIRerank({call}, top_n=3)\n"
            "query_engine = index.as_query_engine(similarity_top_k=8, "
            "node_postprocessors=[reranker])\n"
        )
    return (
        "# LangChain\n"
        "from langchain_oci_tei import OCITEIEmbeddings\n"
        f"embeddings = OCITEIEmbeddings({call})\n\n"
        "# LlamaIndex\n"
        "from llama_index_oci_tei import OCITEIEmbedding\n"
        f"embed_model = OCITEIEmbedding({call})\n"
    )
