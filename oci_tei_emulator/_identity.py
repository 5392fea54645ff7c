"""HTTP side of the principals: IMDS under ``/opc/v2`` and X.509 federation at ``/v1/x509``."""

from __future__ import annotations

__all__ = ["FEDERATION_PATH", "IMDS_PREFIX", "add_routes"]

import json

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from oci_tei_emulator._errors import OCIError, not_authenticated
from oci_tei_emulator._gateway import CONTEXT
from oci_tei_emulator._principals import parse_federation_request, sha1_fingerprint, tenancy_of

IMDS_PREFIX = "/opc/v2"
FEDERATION_PATH = "/v1/x509"
#: The AuthTokenRequestSigner signs no ``host``.
_FEDERATION_SIGNED = (
    "date",
    "(request-target)",
    "content-length",
    "content-type",
    "x-content-sha256",
)


def _imds_guard(request: web.Request) -> None:
    # IMDS v2 answers only requests that carry this header, as the SDK sends it.
    if request.headers.get("Authorization") != "Bearer Oracle":
        raise OCIError(401, "NotAuthenticated", "IMDS v2 requires 'Authorization: Bearer Oracle'.")


async def imds_region(request: web.Request) -> web.Response:
    """``GET /opc/v2/instance/region``: the region name."""
    _imds_guard(request)
    return web.Response(text=request.app[CONTEXT].config.region)


async def imds_instance(request: web.Request) -> web.Response:
    """``GET /opc/v2/instance/``: a minimal instance document."""
    _imds_guard(request)
    ctx = request.app[CONTEXT]
    identity = ctx.ca.identity
    return web.json_response(
        {
            "id": identity.instance_id,
            "compartmentId": identity.tenancy_id,
            "region": ctx.config.region,
            "canonicalRegionName": ctx.config.region,
        }
    )


async def imds_identity(request: web.Request) -> web.Response:
    """``GET /opc/v2/identity/{cert.pem,key.pem,intermediate.pem}``."""
    _imds_guard(request)
    identity = request.app[CONTEXT].ca.identity
    documents = {
        "cert.pem": identity.leaf_pem,
        "key.pem": identity.leaf_key_pem,
        "intermediate.pem": identity.intermediate_pem,
    }
    document = documents.get(request.match_info["name"])
    if document is None:
        raise OCIError(404, "NotFound", "No such identity document.")
    return web.Response(text=document, content_type="application/x-pem-file")


async def federation(request: web.Request) -> web.Response:
    """``POST /v1/x509``: exchange an instance certificate for a security token."""
    ctx = request.app[CONTEXT]
    body = await request.read()
    fed = parse_federation_request(body)

    def leaf_key(key_id: str) -> rsa.RSAPublicKey | None:
        tenancy, _, fp = key_id.split("/", 2)
        key = fed.leaf.public_key()
        if fp.upper() != sha1_fingerprint(fed.leaf) or tenancy != tenancy_of(fed.leaf):
            return None
        return key if isinstance(key, rsa.RSAPublicKey) else None

    principal = ctx.authenticate(request, body, required=_FEDERATION_SIGNED, resolve_other=leaf_key)
    if principal.kind != "x509":
        raise not_authenticated("The federation endpoint takes instance certificates only.")
    ctx.ca.verify_chain(fed.leaf, fed.intermediates)
    token = ctx.issuer.issue(
        fed.session_key,
        subject=ctx.ca.identity.instance_id,
        tenancy=principal.tenancy,
        principal_type="instance",
        extra_claims={"res_compartment": principal.tenancy},
    )
    return web.Response(text=json.dumps({"token": token}), content_type="application/json")


def add_routes(app: web.Application) -> None:
    """Register IMDS and federation routes."""
    app.router.add_get(f"{IMDS_PREFIX}/instance/region", imds_region)
    app.router.add_get(f"{IMDS_PREFIX}/instance/", imds_instance)
    app.router.add_get(f"{IMDS_PREFIX}/identity/{{name}}", imds_identity)
    app.router.add_post(FEDERATION_PATH, federation)
