"""The client options that fit a spec's TEI limits: what ``deploy`` prints and writes.

TEI's defaults cap a request at 32 inputs (``--max-client-batch-size``) and a 2 MB body
(``--payload-limit``), and give 512 permits, one per input in flight
(``--max-concurrent-requests``). OCI caps every predict call at a 10 MB body and a tenancy
at 150 requests per second (docs.oracle.com/en-us/iaas/data-science/using/
model-dep-invoke.htm), so at 32 inputs a request a tenancy embeds at most 4 800 inputs/s.
A spec that raises TEI's limits only pays off when the client sends batches that large:
``deploy`` carries the matching ``batch_size``, ``max_request_bytes`` and
``server_permits`` into the snippets it prints and into ``--output-json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oci_tei.deploy.spec._document import DeploySpec

__all__ = [
    "OCI_MAX_BODY_BYTES",
    "TEI_DEFAULT_BATCH",
    "TEI_DEFAULT_PAYLOAD",
    "TEI_DEFAULT_PERMITS",
    "client_options",
]

#: OCI's request body limit for predict calls ("The payload size limit is 10 MB",
#: model-dep-invoke.htm); the emulator answers 413 above 10 x 1024 x 1024 bytes.
OCI_MAX_BODY_BYTES = 10 * 1024 * 1024
#: TEI's defaults (``text-embeddings-router --help``).
TEI_DEFAULT_BATCH = 32
TEI_DEFAULT_PAYLOAD = 2_000_000
TEI_DEFAULT_PERMITS = 512


def client_options(spec: DeploySpec) -> dict[str, int]:
    """``batch_size``, ``max_request_bytes`` and ``server_permits`` for the spec's TEI."""
    tei = spec.tei
    return {
        "batch_size": tei.max_client_batch_size or TEI_DEFAULT_BATCH,
        "max_request_bytes": min(tei.payload_limit or TEI_DEFAULT_PAYLOAD, OCI_MAX_BODY_BYTES),
        "server_permits": tei.max_concurrent_requests or TEI_DEFAULT_PERMITS,
    }
