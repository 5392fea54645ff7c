"""oci-tei: Hugging Face Text Embeddings Inference served as an OCI Data Science Model Deployment.

The core package imports no framework. The LangChain and LlamaIndex classes live in
``langchain_oci_tei`` and ``llama_index_oci_tei`` and are thin adapters over this core.

Where each concern lives:

* ``endpoint`` — the three endpoint forms; ``auth`` — OCI identities, signing, refresh;
* ``settings`` — every client option, once; ``client`` — ``EmbeddingClient``;
* ``engine`` — batching, retry, re-split and error decisions (no I/O);
* ``transport`` — sync and async HTTP execution; ``protocol`` — TEI's wire formats;
* ``batching`` — input checks and batch cutting; ``retry`` — backoff; ``errors`` — typed errors;
* ``local`` — the TEI-compatible server; ``emulator`` — OCI on loopback; ``deploy`` — deployments;
* ``cli`` — the ``oci-tei`` command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["EmbeddingClient", "EmbeddingSettings", "RerankClient", "RerankSettings", "__version__"]

if TYPE_CHECKING:
    from oci_tei.client import EmbeddingClient
    from oci_tei.rerank import RerankClient, RerankSettings
    from oci_tei.settings import EmbeddingSettings

_LAZY = {
    "EmbeddingClient": "oci_tei.client",
    "EmbeddingSettings": "oci_tei.settings",
    "RerankClient": "oci_tei.rerank",
    "RerankSettings": "oci_tei.rerank",
}


def __getattr__(name: str) -> Any:
    # Lazy, so that `oci-tei --help` and the server's CLI do not pay for the HTTP client.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'oci_tei' has no attribute {name!r}")
