"""State shared by the handlers of one emulator, and request authentication."""

from __future__ import annotations

__all__ = [
    "EmulatorContext",
    "GatewayTarget",
    "caller_id",
    "logger",
    "new_ocid",
    "oci_middleware",
    "region_key",
    "request_id",
]

import logging
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from oci_tei_emulator._config import EmulatorConfig
from oci_tei_emulator._errors import OCIError, not_authenticated, not_found
from oci_tei_emulator._faults import FaultInjector
from oci_tei_emulator._network import BandwidthShaper, RateLimiter
from oci_tei_emulator._principals import CertificateAuthority
from oci_tei_emulator._signature import (
    KeyResolver,
    Principal,
    SignatureError,
    SignatureVerifier,
    SignedRequest,
)
from oci_tei_emulator._tokens import TokenIssuer

if TYPE_CHECKING:
    import aiohttp

logger = logging.getLogger("oci_tei_emulator")

REQUEST_ID = web.RequestKey("opc_request_id", str)
#: The principal whose signature the request carried, once verified.
PRINCIPAL = web.RequestKey("oci_principal", Principal)


def new_ocid(kind: str, region: str) -> str:
    """A fresh OCID of the given resource type, e.g. ``datasciencemodeldeployment``.

    A regional OCID names its region by KEY (``ocid1.datasciencemodeldeployment.oc1.iad.``),
    not by name (OCI "Resource Identifiers": ``ocid1.<TYPE>.<REALM>.[REGION]...``, whose
    examples carry ``phx``); the key comes from the oci SDK's region table.
    """
    return f"ocid1.{kind}.oc1.{region_key(region)}.amaaaaaa{uuid.uuid4().hex}"


def region_key(region: str) -> str:
    """The region key of a region name (``us-ashburn-1`` -> ``iad``), or the input lowered.

    Read from the oci SDK's own table (``oci.regions.REGIONS_SHORT_NAMES``: key -> name).
    """
    import oci

    lowered = region.strip().lower()
    keys = {name: key for key, name in oci.regions.REGIONS_SHORT_NAMES.items()}
    return str(keys.get(lowered, lowered))


def caller_id(request: web.Request) -> str:
    """The OCID of the principal that signed ``request`` (its ``createdBy``).

    The user of an API key, the ``sub`` of a session or resource-principal token, the
    instance of an instance certificate; the emulator's user when nothing was verified.
    """
    principal = request.get(PRINCIPAL)
    subject = getattr(principal, "subject", None)
    return str(subject) if subject else "ocid1.user.oc1..aaaaaaaaemulatoruser"


def request_id(request: web.Request) -> str:
    """The request's ``opc-request-id`` (the client's, or one the emulator made)."""
    return str(request.get(REQUEST_ID, ""))


@dataclass
class GatewayTarget:
    """Where the predict gateway sends one deployment's calls.

    Attributes:
        ocid: the model deployment OCID in the predict URL.
        container_url: base URL of the running container; None while it is not running.
        predict_endpoint: ``MODEL_DEPLOY_PREDICT_ENDPOINT``; None means ``/predict``.
        active: whether the deployment is ACTIVE (only then are calls forwarded).
        routes: the container paths a ``route`` header may name (the predict endpoint and
            the deployment's ``customHttpEndpoints``); None accepts any (targets registered
            with ``Emulator.register_deployment``).
        shaper: the deployment's own load-balancer bandwidth (its ``bandwidthMbps``).
        private_host: the private FQDN of a deployment behind a private endpoint: it
            answers only on that ``Host`` (None: public, on the emulator's own address).
        compartment_id: the deployment's compartment (its metrics are posted there).
    """

    ocid: str
    container_url: str | None
    predict_endpoint: str | None = None
    active: bool = True
    routes: tuple[str, ...] | None = None
    shaper: BandwidthShaper = field(default_factory=lambda: BandwidthShaper(None))
    private_host: str | None = None
    compartment_id: str = ""


@dataclass
class EmulatorContext:
    """Everything the handlers of one emulator share; no global state.

    Attributes:
        config: the emulator's settings.
        verifier: checks request signatures.
        issuer: issues and verifies session tokens.
        ca: signs instance certificates and checks chains.
        data_dir: root of stored objects and deployed model directories.
        targets: predict targets by deployment OCID.
        shaper: counts the bytes of every predict call (each target throttles its own).
        limiter: the tenancy request-rate limit.
        faults: the fault injector.
        base_url: the emulator's own URL, once serving.
        http: the session that forwards to containers (created on the loop).
    """

    config: EmulatorConfig
    verifier: SignatureVerifier
    issuer: TokenIssuer
    ca: CertificateAuthority
    data_dir: Path
    targets: dict[str, GatewayTarget] = field(default_factory=dict)
    shaper: BandwidthShaper = field(init=False)
    limiter: RateLimiter = field(init=False)
    faults: FaultInjector = field(init=False)
    base_url: str = ""
    http: aiohttp.ClientSession | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        # Counts every predict byte (benchmarks read it); each target throttles its own.
        self.shaper = BandwidthShaper(None)
        self.limiter = RateLimiter(self.config.requests_per_second)
        self.faults = FaultInjector(self.config.faults, self.config.seed)

    def target(
        self,
        ocid: str,
        container_url: str | None,
        predict_endpoint: str | None,
        *,
        routes: tuple[str, ...] | None = None,
        bandwidth_mbps: float | None = None,
        private_host: str | None = None,
        compartment_id: str = "",
    ) -> GatewayTarget:
        """A predict target throttled at ``bandwidth_mbps`` (the emulator's default if None).

        ``EmulatorConfig.bandwidth_mbps`` None or 0 turns throttling off for every target.
        """
        enabled = bool(self.config.bandwidth_mbps)
        rate = (bandwidth_mbps or self.config.bandwidth_mbps) if enabled else None
        return GatewayTarget(
            ocid,
            container_url,
            predict_endpoint,
            routes=routes,
            shaper=BandwidthShaper(rate, bytes_counter=self.shaper),
            private_host=private_host,
            compartment_id=compartment_id,
        )

    def authenticate(
        self,
        request: web.Request,
        body: bytes = b"",
        *,
        body_optional: bool = False,
        body_length: int | None = None,
        body_sha256: bytes | None = None,
        required: tuple[str, ...] | None = None,
        resolve_other: KeyResolver | None = None,
        expired_as_not_found: bool = False,
    ) -> Principal:
        """Verify the request's signature; raise the OCI error the service would send.

        Args:
            request: the request.
            body: its body, when read into memory.
            body_optional: the SDK signs this operation without body headers.
            body_length: body length when it was streamed to disk instead.
            body_sha256: body digest when it was streamed to disk instead.
            required: headers that must be signed, overriding the method's default.
            resolve_other: resolver for federation keyIds.
            expired_as_not_found: answer an expired token with 404 NotAuthorizedOrNotFound
                (Model Deployment predict) instead of 401.

        Raises:
            OCIError: 401 NotAuthenticated, or 404 for an expired token where asked.
        """
        signed = SignedRequest(
            method=request.method,
            target=request.raw_path,
            headers=request.headers,
            body=body,
            body_length=body_length,
            body_sha256=body_sha256,
        )
        try:
            principal = self.verifier.verify(
                signed,
                body_headers_optional=body_optional,
                required=required,
                resolve_other=resolve_other,
            )
        except SignatureError as exc:
            logger.info("%s %s refused: %s", request.method, request.path, exc)
            if exc.expired_token and expired_as_not_found:
                raise not_found("model deployment") from None
            raise not_authenticated(str(exc)) from None
        request[PRINCIPAL] = principal
        return principal


def oci_error_for_http(exc: web.HTTPException) -> OCIError:
    """The OCI-shaped error for an aiohttp routing or protocol error."""
    if exc.status == 404:
        return not_found()
    if exc.status == 405:
        return OCIError(405, "MethodNotAllowed", "Method not allowed.")
    if exc.status == 413:
        return OCIError(413, "PayloadTooLarge", "The request body is too large.")
    return OCIError(exc.status, exc.reason.replace(" ", ""), exc.text or exc.reason)


@web.middleware
async def oci_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """OCI error shapes for everything, and ``opc-request-id`` on every response."""
    rid = request.headers.get("opc-request-id") or uuid.uuid4().hex.upper()
    request[REQUEST_ID] = rid
    try:
        response = await handler(request)
    except OCIError as exc:
        response = exc.response()
    except web.HTTPException as exc:
        response = oci_error_for_http(exc).response()
    except ConnectionResetError:
        raise
    except Exception:
        logger.exception("unexpected error on %s %s", request.method, request.path)
        response = OCIError(500, "InternalServerError", "Internal Server Error.").response()
    if not response.prepared:
        response.headers["opc-request-id"] = rid
    return response
