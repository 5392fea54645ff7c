"""The three ways to name where embeddings come from, resolved to one URL.

* a full OCI Model Deployment predict URL
  (``https://modeldeployment.<region>.oci.customer-oci.com/<md_ocid>/predict``), or a
  private deployment's (``https://<private-endpoint-fqdn>/<md_ocid>/predict``: OCI puts
  the private endpoint's FQDN in the deployment's URL) — signed, recognised by the
  deployment OCID in the path;
* a Model Deployment OCID (``ocid1.datasciencemodeldeployment.oc1.<region>.…``), with an
  optional region (otherwise read from the OCID itself) — signed;
* a plain TEI base URL (``http://host:port``) — unsigned, optional Bearer key; the
  request path is the route (``/v1/embeddings`` unless told otherwise).

Parsing does no I/O: the adapters' constructors call it, and they must work with sockets
disabled. Resolving an OCID to a URL needs the region table of the ``oci`` SDK, so that
happens on first use.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from oci_tei._errors import ConfigurationError

__all__ = [
    "ENDPOINT_ENV_VAR",
    "OPENAI_ROUTE",
    "Endpoint",
    "is_loopback_host",
    "parse_endpoint",
]

ENDPOINT_ENV_VAR = "OCI_TEI_ENDPOINT"
OPENAI_ROUTE = "/v1/embeddings"
MD_OCID_PREFIX = "ocid1.datasciencemodeldeployment."
# Paths a plain TEI URL may end with; anything else is treated as a base URL.
_TEI_ROUTES = (
    "/v1/embeddings",
    "/embeddings",
    "/embed",
    "/embed_all",
    "/embed_sparse",
    "/rerank",
)


@dataclass(frozen=True)
class Endpoint:
    """Where requests go, and whether they are OCI-signed.

    Attributes:
        kind: ``"oci"`` for a Model Deployment (signed), ``"tei"`` for a plain TEI server.
        url: The URL requests are posted to once resolved; for an OCID given without a
            URL this is empty until :meth:`resolve` fills it in.
        deployment_id: The Model Deployment OCID, for ``kind == "oci"``.
        region: The OCI region, when known.
        route: The container route: sent as OCI's ``route`` header for a deployment, used
            as the URL path for a plain TEI server. ``None`` keeps the deployment's
            ``MODEL_DEPLOY_PREDICT_ENDPOINT``.
    """

    kind: Literal["oci", "tei"]
    url: str
    deployment_id: str | None = None
    region: str | None = None
    route: str | None = None

    @property
    def signed(self) -> bool:
        """Whether requests to this endpoint carry an OCI signature."""
        return self.kind == "oci"

    @property
    def base_url(self) -> str:
        """Scheme and authority plus any path prefix, without the route (plain TEI)."""
        if self.kind == "tei":
            return _strip_route(self.url)[0]
        return self.url

    def resolve(self) -> Endpoint:
        """Fill in the predict URL of an OCID-only endpoint from its region."""
        if self.url:
            return self
        assert self.deployment_id is not None
        region = self.region or _region_from_ocid(self.deployment_id)
        url = f"{_md_service_endpoint(region)}/{self.deployment_id}/predict"
        return Endpoint("oci", url, self.deployment_id, region, self.route)

    def __str__(self) -> str:
        return self.url or f"{self.deployment_id} ({self.region or 'region from OCID'})"


def parse_endpoint(
    endpoint: str | None,
    *,
    region: str | None = None,
    route: str | None = None,
    default_route: str = OPENAI_ROUTE,
) -> Endpoint:
    """Classify an endpoint string without any I/O.

    Args:
        endpoint: A predict URL, a Model Deployment OCID, or a plain TEI URL. ``None``
            reads ``OCI_TEI_ENDPOINT``.
        region: The region of an OCID endpoint (default: taken from the OCID).
        route: The container route (see :class:`Endpoint`).
        default_route: The path of a plain TEI URL given without route or path
            (``/rerank`` for a reranking client).

    Raises:
        ConfigurationError: Nothing given, an unparseable value, or a signed endpoint
            over plain http to a host that is not loopback.
    """
    value = (endpoint if endpoint is not None else os.environ.get(ENDPOINT_ENV_VAR, "")).strip()
    if not value:
        raise ConfigurationError(
            f"no endpoint: pass endpoint=... or set {ENDPOINT_ENV_VAR} to a Model Deployment "
            "predict URL, a Model Deployment OCID, or a TEI URL such as http://127.0.0.1:8080"
        )
    if route is not None and not route.startswith("/"):
        raise ConfigurationError(f"route must start with '/': {route!r}")
    if value.startswith(MD_OCID_PREFIX):
        return Endpoint("oci", "", deployment_id=value, region=region, route=route)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"endpoint {value!r} is neither an http(s) URL nor a Model Deployment OCID"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"endpoint {value!r} must not carry a query or fragment")
    deployment_id = _deployment_id_in_path(parts.path)
    if deployment_id is not None or parts.hostname.startswith("modeldeployment."):
        return _oci_endpoint(value, deployment_id, region, route)
    base, path_route = _strip_route(value)
    chosen_route = route or path_route or default_route
    return Endpoint("tei", base + chosen_route, region=region, route=chosen_route)


def _oci_endpoint(
    value: str, deployment_id: str | None, region: str | None, route: str | None
) -> Endpoint:
    parts = urlsplit(value)
    path = parts.path.rstrip("/")
    if path.endswith("/predictWithResponseStream"):
        raise ConfigurationError(
            "embeddings are not streamed: use the deployment's /predict URL, not "
            "/predictWithResponseStream"
        )
    if not path.endswith("/predict"):
        path += "/predict"  # the deployment URL as the console shows it, without /predict
    if parts.scheme == "http" and not is_loopback_host(parts.hostname or ""):
        raise ConfigurationError(
            f"refusing to send OCI-signed requests over plain http to {parts.hostname}: "
            "use https (plain http is allowed to loopback only, e.g. the local emulator)"
        )
    url = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    if region is None and parts.hostname and parts.hostname.startswith("modeldeployment."):
        region = parts.hostname.split(".")[1]
    return Endpoint("oci", url, deployment_id=deployment_id, region=region, route=route)


def _deployment_id_in_path(path: str) -> str | None:
    for segment in path.split("/"):
        if segment.startswith(MD_OCID_PREFIX):
            return segment
    return None


def _strip_route(url: str) -> tuple[str, str | None]:
    """Split a plain TEI URL into its base and a trailing known route, if any."""
    trimmed = url.rstrip("/")
    for known in _TEI_ROUTES:
        if trimmed.endswith(known):
            return trimmed[: -len(known)], known
    return trimmed, None


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, ``*.localhost`` and loopback IP literals; never resolves names.

    Names under ``.localhost`` are loopback by RFC 6761 (section 6.3): the local emulator
    names its private endpoints so (``<sub>.<region>.pe.datascience.localhost``).
    """
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _region_from_ocid(ocid: str) -> str:
    """Read the region from an OCID: ``ocid1.<type>.<realm>.<region>.<unique>``."""
    parts = ocid.split(".")
    if len(parts) < 5 or not parts[3]:
        raise ConfigurationError(
            f"cannot tell the region of {ocid!r}: pass region=... (e.g. 'us-ashburn-1')"
        )
    import oci.regions  # deferred: the region table costs half a second to import

    key = parts[3].lower()
    return str(oci.regions.REGIONS_SHORT_NAMES.get(key, key))


def _md_service_endpoint(region: str) -> str:
    """The Model Deployment data-plane host for a region, per the oci SDK's templates."""
    import oci.regions

    full = str(oci.regions.REGIONS_SHORT_NAMES.get(region, region))
    realm = oci.regions.REGION_REALMS.get(full, "oc1")
    if realm == "oc1":
        return f"https://modeldeployment.{full}.oci.customer-oci.com"
    domain = oci.regions.REALMS.get(realm, "oraclecloud.com")
    return f"https://md.datascience.{full}.oci.{domain}"
