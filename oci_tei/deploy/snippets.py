"""The ready-to-paste code ``deploy`` prints once the endpoint works."""

from __future__ import annotations

import json

from oci_tei.auth import AuthSpec

__all__ = ["usage_snippets"]


def usage_snippets(endpoint: str, auth: AuthSpec | None = None) -> str:
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
    return (
        "# LangChain\n"
        "from langchain_oci_tei import OCITEIEmbeddings\n"
        f"embeddings = OCITEIEmbeddings({call})\n\n"
        "# LlamaIndex\n"
        "from llama_index_oci_tei import OCITEIEmbedding\n"
        f"embed_model = OCITEIEmbedding({call})\n"
    )
