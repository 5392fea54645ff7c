"""Data Science private endpoints, and the VCNs and subnets they live in (tiny subsets).

Data Science (``/20190101``, the SDK's ``DataScienceClient``):
``create_data_science_private_endpoint`` (CREATING, ACTIVE after the emulator's activation
delay), ``get_data_science_private_endpoint`` and ``list_data_science_private_endpoints``
(paginated; ``compartmentId`` required, ``lifecycleState``, ``dataScienceResourceType`` and
``displayName`` filter). The subnet a private endpoint names must exist (404).

Core networking (``/20160918``, the SDK's ``VirtualNetworkClient``): ``create_vcn``,
``get_vcn``, ``create_subnet`` (its VCN must exist) and ``get_subnet`` — what a deployment's
``subnetId`` and a private endpoint's ``subnetId`` need to point at; nothing routes.

The private FQDN. OCI documents the private endpoint's ``fqdn`` ("Accessing the Data
Science resource using FQDN") and its ``subDomain`` ("Subdomain for a private endpoint
FQDN"), and that a private deployment's HTTP endpoint "contains a private FQDN that was set
while creating the private endpoint"; it does not document the rest of the name. On
loopback the emulator names it ``<subDomain>.<region>.pe.datascience.localhost``: a
``.localhost`` name is loopback by RFC 6761 (so a client may send OCI-signed calls to it
over plain http, as to 127.0.0.1), and the emulator tells a private call from a public one
by the request's ``Host`` header. Such a name resolves to 127.0.0.1 only where the resolver
says so (tests install one; see ``docs/production.md``).
"""

from __future__ import annotations

__all__ = [
    "PRIVATE_ENDPOINTS",
    "PrivateNetworkState",
    "add_routes",
    "check_deployment_network",
    "network_problems",
    "private_host_of",
]

import asyncio
import datetime as dt
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from oci_tei.contract._networking import (
    NETWORK_ACCESS_TYPES,
    PRIVATE_ENDPOINT_OCID_PREFIX,
    PRIVATE_ENDPOINT_RESOURCE_TYPE,
    SUBNET_OCID_PREFIX,
    USABLE_PRIVATE_ENDPOINT_STATE,
)
from oci_tei_emulator._context import EmulatorContext, new_ocid
from oci_tei_emulator._errors import OCIError, invalid_parameter, not_found
from oci_tei_emulator._gateway import CONTEXT
from oci_tei_emulator._paging import page_of
from oci_tei_emulator._tenancy import TENANCY, require_compartment
from oci_tei_emulator._wire import from_wire, model_response

DATA_SCIENCE = "/20190101"
CORE = "/20160918"
#: The emulator's private FQDN suffix after ``<subDomain>.<region>`` (see the module doc).
FQDN_SUFFIX = "pe.datascience.localhost"
_SUB_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass
class PrivateNetworkState:
    """Private endpoints, VCNs and subnets by OCID."""

    endpoints: dict[str, Any] = field(default_factory=dict)
    vcns: dict[str, Any] = field(default_factory=dict)
    subnets: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def endpoint(self, ocid: str) -> Any | None:
        """A private endpoint record, or None."""
        with self.lock:
            return self.endpoints.get(ocid)

    def subnet(self, ocid: str) -> Any | None:
        """A subnet record, or None."""
        with self.lock:
            return self.subnets.get(ocid)


PRIVATE_ENDPOINTS = web.AppKey("oci_tei_private_endpoints", PrivateNetworkState)


def private_host_of(app: web.Application, private_endpoint_id: str | None) -> str | None:
    """The FQDN a deployment fronted by ``private_endpoint_id`` answers on (None: public)."""
    if not private_endpoint_id:
        return None
    state = app.get(PRIVATE_ENDPOINTS)
    endpoint = state.endpoint(private_endpoint_id) if state else None
    return str(endpoint.fqdn) if endpoint is not None and endpoint.fqdn else None


def network_problems(instance: Any, where: str) -> list[tuple[str, str]]:
    """The networking fields of a raw ``instanceConfiguration``, by the contract's tables.

    OCIDs of the right kind (the SDK's descriptions), ``networkAccessType`` one of its
    values, and ``CUSTOM_NETWORKING`` with a ``subnetId`` (*inferred* from the names).
    """
    if not isinstance(instance, dict):
        return []
    problems: list[tuple[str, str]] = []
    endpoint = instance.get("privateEndpointId")
    subnet = instance.get("subnetId")
    access = instance.get("networkAccessType")
    if endpoint is not None and not str(endpoint).startswith(PRIVATE_ENDPOINT_OCID_PREFIX):
        problems.append((f"{where}.privateEndpointId", "not a Data Science private endpoint OCID"))
    if subnet is not None and not str(subnet).startswith(SUBNET_OCID_PREFIX):
        problems.append((f"{where}.subnetId", "not a subnet OCID"))
    if access is not None and access not in NETWORK_ACCESS_TYPES:
        problems.append((f"{where}.networkAccessType", f"one of {', '.join(NETWORK_ACCESS_TYPES)}"))
    elif access == "CUSTOM_NETWORKING" and subnet is None:
        problems.append((f"{where}.subnetId", "required with CUSTOM_NETWORKING (inferred)"))
    return problems


def check_deployment_network(app: web.Application, instance: Any) -> None:
    """A create's ``privateEndpointId`` and ``subnetId`` name what exists and can serve.

    Raises:
        OCIError: 404 NotAuthorizedOrNotFound (no such endpoint or subnet), 400
            InvalidParameter (an endpoint for notebooks, or not ACTIVE: *inferred*, OCI
            documents the states and the resource type, not the refusal).
    """
    state: PrivateNetworkState = app[PRIVATE_ENDPOINTS]
    where = "modelDeploymentConfigurationDetails.modelConfigurationDetails.instanceConfiguration"
    subnet_id = getattr(instance, "subnet_id", None)
    if subnet_id and state.subnet(subnet_id) is None:
        raise not_found(f"subnet {subnet_id}")
    endpoint_id = getattr(instance, "private_endpoint_id", None)
    if not endpoint_id:
        return
    endpoint = state.endpoint(endpoint_id)
    if endpoint is None:
        raise not_found(f"private endpoint {endpoint_id}")
    if endpoint.data_science_resource_type != PRIVATE_ENDPOINT_RESOURCE_TYPE:
        raise invalid_parameter(
            f"{where}.privateEndpointId: private endpoint {endpoint_id} is for "
            f"{endpoint.data_science_resource_type}, not {PRIVATE_ENDPOINT_RESOURCE_TYPE}."
        )
    if endpoint.lifecycle_state != USABLE_PRIVATE_ENDPOINT_STATE:
        raise invalid_parameter(
            f"{where}.privateEndpointId: private endpoint {endpoint_id} is "
            f"{endpoint.lifecycle_state}, not {USABLE_PRIVATE_ENDPOINT_STATE}."
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def _authenticated_body(request: web.Request) -> bytes:
    body = await request.read()
    request.app[CONTEXT].authenticate(request, body)
    return body


def _compartment(request: web.Request, compartment_id: str | None) -> str:
    if not compartment_id:
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    require_compartment(request.app[TENANCY], compartment_id)
    return compartment_id


# -- Data Science private endpoints -----------------------------------------------------------


async def create_private_endpoint(request: web.Request) -> web.Response:
    """CreateDataSciencePrivateEndpoint: CREATING now, ACTIVE after the activation delay."""
    import oci

    body = await _authenticated_body(request)
    details = from_wire("data_science", body, "CreateDataSciencePrivateEndpointDetails")
    compartment_id = _compartment(request, details.compartment_id)
    raw = json.loads(body)
    if raw.get("dataScienceResourceType") not in ("NOTEBOOK_SESSION", "MODEL_DEPLOYMENT"):
        raise invalid_parameter(
            "dataScienceResourceType: required, NOTEBOOK_SESSION or MODEL_DEPLOYMENT."
        )
    state: PrivateNetworkState = request.app[PRIVATE_ENDPOINTS]
    if not details.subnet_id:
        raise invalid_parameter("subnetId is required.")
    if state.subnet(details.subnet_id) is None:
        raise not_found(f"subnet {details.subnet_id}")
    ctx: EmulatorContext = request.app[CONTEXT]
    sub_domain = details.sub_domain or f"md{uuid.uuid4().hex[:12]}"
    if not _SUB_DOMAIN.match(sub_domain):
        # DNS label rules (RFC 1123); OCI states none of its own.
        raise invalid_parameter(f"subDomain {sub_domain!r} is not a DNS label.")
    ocid = new_ocid("datascienceprivateendpoint", ctx.config.region)
    endpoint = oci.data_science.models.DataSciencePrivateEndpoint(
        id=ocid,
        compartment_id=compartment_id,
        display_name=details.display_name or f"dataScienceprivateendpoint{_now():%Y%m%d%H%M%S}",
        description=details.description,
        freeform_tags=details.freeform_tags or {},
        defined_tags=details.defined_tags or {},
        nsg_ids=details.nsg_ids or [],
        subnet_id=details.subnet_id,
        data_science_resource_type=details.data_science_resource_type,
        fqdn=f"{sub_domain}.{ctx.config.region}.{FQDN_SUFFIX}",
        lifecycle_state="CREATING",
        created_by="ocid1.user.oc1..emulator",
        time_created=_now(),
        time_updated=_now(),
    )
    with state.lock:
        state.endpoints[ocid] = endpoint
    task = asyncio.get_running_loop().create_task(_activate(ctx, endpoint))
    request.app[_TASKS].add(task)
    task.add_done_callback(request.app[_TASKS].discard)
    return model_response(
        "data_science",
        endpoint,
        headers={"opc-work-request-id": new_ocid("datascienceworkrequest", ctx.config.region)},
    )


async def _activate(ctx: EmulatorContext, endpoint: Any) -> None:
    await asyncio.sleep(ctx.config.activation_delay_s)
    endpoint.lifecycle_state = USABLE_PRIVATE_ENDPOINT_STATE
    endpoint.time_updated = _now()


async def get_private_endpoint(request: web.Request) -> web.Response:
    """GetDataSciencePrivateEndpoint."""
    await _authenticated_body(request)
    endpoint = request.app[PRIVATE_ENDPOINTS].endpoint(request.match_info["id"])
    if endpoint is None:
        raise not_found("private endpoint")
    return model_response("data_science", endpoint)


async def list_private_endpoints(request: web.Request) -> web.Response:
    """ListDataSciencePrivateEndpoints (paginated)."""
    import oci

    await _authenticated_body(request)
    query = request.query
    compartment_id = _compartment(request, query.get("compartmentId"))
    state: PrivateNetworkState = request.app[PRIVATE_ENDPOINTS]
    with state.lock:
        endpoints = list(state.endpoints.values())
    filters = {
        "lifecycle_state": query.get("lifecycleState"),
        "data_science_resource_type": query.get("dataScienceResourceType"),
        "display_name": query.get("displayName"),
    }
    items = []
    for endpoint in endpoints:
        if endpoint.compartment_id != compartment_id:
            continue
        if any(want and getattr(endpoint, name) != want for name, want in filters.items()):
            continue
        summary = oci.data_science.models.DataSciencePrivateEndpointSummary()
        for attr in summary.swagger_types:
            if attr in endpoint.swagger_types:
                setattr(summary, attr, getattr(endpoint, attr))
        items.append(summary)
    chunk, headers = page_of(request, items, request.app[CONTEXT].config.page_size)
    return model_response("data_science", chunk, headers=headers)


# -- Core: VCNs and subnets -------------------------------------------------------------------


async def create_vcn(request: web.Request) -> web.Response:
    """CreateVcn (a record only)."""
    import oci

    raw = json.loads(await _authenticated_body(request) or b"{}")
    compartment_id = _compartment(request, raw.get("compartmentId"))
    blocks = raw.get("cidrBlocks") or ([raw["cidrBlock"]] if raw.get("cidrBlock") else [])
    if not blocks:
        raise invalid_parameter("cidrBlocks is required.")
    ctx: EmulatorContext = request.app[CONTEXT]
    vcn = oci.core.models.Vcn(
        id=new_ocid("vcn", ctx.config.region),
        compartment_id=compartment_id,
        cidr_blocks=blocks,
        cidr_block=blocks[0],
        display_name=raw.get("displayName") or "vcn",
        dns_label=raw.get("dnsLabel"),
        lifecycle_state="AVAILABLE",
        time_created=_now(),
    )
    state: PrivateNetworkState = request.app[PRIVATE_ENDPOINTS]
    with state.lock:
        state.vcns[vcn.id] = vcn
    return model_response("data_science", vcn)


async def get_vcn(request: web.Request) -> web.Response:
    """GetVcn."""
    await _authenticated_body(request)
    state: PrivateNetworkState = request.app[PRIVATE_ENDPOINTS]
    with state.lock:
        vcn = state.vcns.get(request.match_info["id"])
    if vcn is None:
        raise not_found("vcn")
    return model_response("data_science", vcn)


async def create_subnet(request: web.Request) -> web.Response:
    """CreateSubnet (a record only; its VCN must exist)."""
    import oci

    raw = json.loads(await _authenticated_body(request) or b"{}")
    compartment_id = _compartment(request, raw.get("compartmentId"))
    state: PrivateNetworkState = request.app[PRIVATE_ENDPOINTS]
    with state.lock:
        vcn = state.vcns.get(str(raw.get("vcnId")))
    if vcn is None:
        raise not_found("vcn")
    if not raw.get("cidrBlock"):
        raise invalid_parameter("cidrBlock is required.")
    ctx: EmulatorContext = request.app[CONTEXT]
    subnet = oci.core.models.Subnet(
        id=new_ocid("subnet", ctx.config.region),
        compartment_id=compartment_id,
        vcn_id=vcn.id,
        cidr_block=raw["cidrBlock"],
        display_name=raw.get("displayName") or "subnet",
        dns_label=raw.get("dnsLabel"),
        prohibit_public_ip_on_vnic=bool(raw.get("prohibitPublicIpOnVnic", False)),
        lifecycle_state="AVAILABLE",
        route_table_id=raw.get("routeTableId") or "",
        time_created=_now(),
    )
    with state.lock:
        state.subnets[subnet.id] = subnet
    return model_response("data_science", subnet)


async def get_subnet(request: web.Request) -> web.Response:
    """GetSubnet."""
    await _authenticated_body(request)
    subnet = request.app[PRIVATE_ENDPOINTS].subnet(request.match_info["id"])
    if subnet is None:
        raise not_found("subnet")
    return model_response("data_science", subnet)


_TASKS = web.AppKey("oci_tei_private_endpoint_tasks", set)


def add_routes(app: web.Application) -> None:
    """Register the private endpoint and networking routes."""
    app[PRIVATE_ENDPOINTS] = PrivateNetworkState()
    app[_TASKS] = set()
    r = app.router
    r.add_post(f"{DATA_SCIENCE}/dataSciencePrivateEndpoints", create_private_endpoint)
    r.add_get(f"{DATA_SCIENCE}/dataSciencePrivateEndpoints", list_private_endpoints)
    r.add_get(f"{DATA_SCIENCE}/dataSciencePrivateEndpoints/{{id}}", get_private_endpoint)
    r.add_post(f"{CORE}/vcns", create_vcn)
    r.add_get(f"{CORE}/vcns/{{id}}", get_vcn)
    r.add_post(f"{CORE}/subnets", create_subnet)
    r.add_get(f"{CORE}/subnets/{{id}}", get_subnet)
