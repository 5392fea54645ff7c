"""oci-tei: Hugging Face Text Embeddings Inference served as an OCI Data Science Model Deployment.

The core package imports no framework. The LangChain and LlamaIndex classes live in
``langchain_oci_tei`` and ``llama_index_oci_tei`` and are thin adapters over this core.

The public API is what this package exports (``__all__``), plus the ``oci_tei.deploy``,
``oci_tei.contract`` and ``oci_tei.corpus`` packages' own exports; every ``_`` module is
internal, as in httpx. A test pins this surface (``tests/unit/test_public_surface.py``).

Where each concern lives:

* ``_endpoint`` — the three endpoint forms; ``_auth`` — OCI identities, signing, refresh;
* ``_settings`` — every client option, once; ``_client`` — ``EmbeddingClient``;
* ``_engine`` — batching, retry, re-split and error decisions (no I/O);
* ``_transport`` — sync and async HTTP execution; ``_protocol`` — TEI's wire formats;
* ``_batching`` — input checks and batch cutting; ``_retry`` — backoff; ``_errors`` — typed errors;
* ``deploy`` — deployments; ``contract`` — OCI's rules, each cited; ``corpus`` — ``oci-tei embed``;
* ``_cli`` — the ``oci-tei`` command.

The local TEI-compatible server (``oci_tei_local``) and the OCI emulator
(``oci_tei_emulator``) are test stand-ins in packages of their own; this package never
imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oci_tei._errors import (
    AuthenticationError,
    CallAbandoned,
    ClientRequestError,
    ConfigurationError,
    ConflictError,
    EmbeddingConnectionError,
    EmbeddingTimeoutError,
    InputTypeError,
    InvalidInputError,
    InvalidRequestError,
    MethodNotAllowedError,
    NotFoundError,
    OCITEIError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ResponseFormatError,
    ServerError,
)

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "CallAbandoned",
    "ClientRequestError",
    "ConfigurationError",
    "ConflictError",
    "EmbeddingClient",
    "EmbeddingConnectionError",
    "EmbeddingSettings",
    "EmbeddingTimeoutError",
    "InputTypeError",
    "InvalidInputError",
    "InvalidRequestError",
    "MethodNotAllowedError",
    "NotFoundError",
    "OCITEIError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RerankClient",
    "RerankSettings",
    "ResponseFormatError",
    "ServerError",
    "__version__",
]

if TYPE_CHECKING:
    from oci_tei._client import EmbeddingClient
    from oci_tei._rerank import RerankClient, RerankSettings
    from oci_tei._settings import EmbeddingSettings

_LAZY = {
    "EmbeddingClient": "oci_tei._client",
    "EmbeddingSettings": "oci_tei._settings",
    "RerankClient": "oci_tei._rerank",
    "RerankSettings": "oci_tei._rerank",
}


def __getattr__(name: str) -> Any:
    # Lazy, so that `oci-tei --help` and the server's CLI do not pay for the HTTP client.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'oci_tei' has no attribute {name!r}")
