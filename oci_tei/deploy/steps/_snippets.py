"""The ready-to-paste code ``deploy`` prints once the endpoint works, by the model's kind."""

from __future__ import annotations

import json
from collections.abc import Mapping

from oci_tei._auth import AuthSpec
from oci_tei.deploy.spec import (
    TEI_DEFAULT_BATCH,
    TEI_DEFAULT_PAYLOAD,
    TEI_DEFAULT_PERMITS,
    client_options,
)
from oci_tei.deploy.steps._step import DeployRun, Step

__all__ = [
    "Snippets",
    "usage_snippets",
]


_CLIENT_DEFAULTS = {
    "batch_size": TEI_DEFAULT_BATCH,
    "max_request_bytes": TEI_DEFAULT_PAYLOAD,
    "server_permits": TEI_DEFAULT_PERMITS,
}


def usage_snippets(
    endpoint: str,
    auth: AuthSpec | None = None,
    kind: str = "embedding",
    client: Mapping[str, int] | None = None,
) -> str:
    """Code for LangChain and LlamaIndex, with the identity deploy used.

    ``client`` (:func:`~oci_tei.deploy.spec._client_options.client_options`) adds the options
    that differ from the client's defaults, so the code sends batches as large as the
    spec's TEI accepts.
    """
    arguments = [f"endpoint={json.dumps(endpoint)}"]
    if auth is not None:
        for name, value in (
            ("auth", auth.auth_type),
            ("profile", auth.profile),
            ("config_file", auth.config_file),
        ):
            if value:
                arguments.append(f"{name}={json.dumps(value)}")
    tuned = {
        name: value for name, value in (client or {}).items() if value != _CLIENT_DEFAULTS.get(name)
    }
    call = ", ".join(arguments + [f"{name}={value}" for name, value in tuned.items()])
    # LlamaIndex calls the batch size embed_batch_size.
    llama_names = {"batch_size": "embed_batch_size"}
    llama_call = ", ".join(
        arguments + [f"{llama_names.get(name, name)}={value}" for name, value in tuned.items()]
    )
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
        f"embed_model = OCITEIEmbedding({llama_call})\n"
    )


class Snippets(Step):
    """The endpoint and the code to call it (unnumbered: the last thing shown)."""

    key = "snippets"
    label = "snippets"
    numbered = False

    def wanted(self, run: DeployRun) -> bool:
        """Once ACTIVE."""
        return run.options.wait

    def headline(self, run: DeployRun) -> None:
        """No progress line: the snippets are the output."""
        return None

    def run(self, run: DeployRun) -> None:
        """Print the endpoint and the LangChain / LlamaIndex code."""
        spec = run.spec
        run.echo(f"\nPredict endpoint: {run.endpoint}\n")
        run.echo(
            usage_snippets(
                run.endpoint, run.session.connection.auth, spec.model.kind, client_options(spec)
            )
        )
