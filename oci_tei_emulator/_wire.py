"""Wire format through the ``oci`` SDK's own model classes and (de)serializer.

Responses are built as ``oci.<service>.models`` objects and serialized by the SDK's
``BaseClient.sanitize_for_serialization``, request bodies parsed by its
``deserialize_response_data``, so attribute names and enum values are exactly the SDK's.
"""

from __future__ import annotations

__all__ = ["from_wire", "model_response"]

import json
from functools import cache
from typing import Any

from aiohttp import web

from oci_tei_emulator._errors import invalid_parameter


@cache
def _base_client(service: str) -> Any:
    import oci

    # The codec's client only (de)serializes: it never signs, so an uninitialised signer does.
    no_signer = oci.auth.signers.SecurityTokenSigner.__new__(oci.auth.signers.SecurityTokenSigner)
    clients = {
        "data_science": oci.data_science.DataScienceClient,
        "object_storage": oci.object_storage.ObjectStorageClient,
        "identity": oci.identity.IdentityClient,
        "artifacts": oci.artifacts.ArtifactsClient,
        "limits": oci.limits.LimitsClient,
        "logging": oci.logging.LoggingManagementClient,
        "loggingsearch": oci.loggingsearch.LogSearchClient,
        "resource_search": oci.resource_search.ResourceSearchClient,
    }
    client = clients[service](
        {"region": "us-ashburn-1"}, signer=no_signer, service_endpoint="http://127.0.0.1:9"
    )
    return client.base_client


def to_wire(service: str, model: Any) -> Any:
    """JSON-ready form of an SDK model (or list of them), camelCase as on the wire."""
    return _base_client(service).sanitize_for_serialization(model)


def from_wire(service: str, body: bytes, type_name: str) -> Any:
    """Parse a JSON request body into the SDK model named ``type_name``.

    Raises:
        OCIError: 400 InvalidParameter when the body is not a JSON object.
    """
    try:
        data = json.loads(body or b"null")
    except (UnicodeDecodeError, ValueError):
        raise invalid_parameter("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise invalid_parameter(f"The request body must be a JSON object ({type_name}).")
    try:
        return _base_client(service).deserialize_response_data(json.dumps(data).encode(), type_name)
    except Exception as exc:
        raise invalid_parameter(f"The request body is not a valid {type_name}: {exc}") from None


def model_response(
    service: str,
    model: Any,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A JSON response holding an SDK model serialized for the wire."""
    return web.Response(
        status=status,
        text=json.dumps(to_wire(service, model)),
        content_type="application/json",
        headers=headers,
    )
