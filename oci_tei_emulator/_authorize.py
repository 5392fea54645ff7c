"""Strict mode authorizes every operation before its handler runs, with one decision function.

:data:`ROUTES` maps each served route (method and path pattern) to the API operation it
is; :data:`oci_tei.contract._permissions.OPERATION_PERMISSIONS` says what that operation
needs (verb, resource type, permission; each row cites its policy reference). The
middleware finds the compartment the operation acts in (a create body's or a list's
``compartmentId``, the resource's own compartment, the bucket's, each scope a log search
names, or the tenancy), answers 404 NotAuthorizedOrNotFound when
that compartment does not exist or no policy grants the need, and lets the handler run
otherwise. A move (``MOVE_OPERATIONS``) needs its permission in the target compartment
(the body's ``compartmentId``, which must exist) too. A decision that depends on a
statement the emulator's evaluator cannot read is answered 501 ``CannotEvaluatePolicy``
naming the statement, never as a denial. Every decision is
:meth:`~oci_tei_emulator._tenancy.TenancyState.authorize` (policy evaluation:
``TenancyState.decide``).

Authorized by their handlers, with the same decision: the predict gateway
(``/{ocid}/predict`` and ``/predictWithResponseStream``, after it verified the signature
over the body: ``Predict`` in the deployment's compartment) and SearchResources
(:data:`FILTERED`: no permission of its own; each result is shown only to a caller who may
inspect it, "Details for Search").

Not authorized, by design: GetNamespace (its SDK docstring: it "returns the name of the
Object Storage namespace for the user making the request", no permission named); the
Identity writes (CreateCompartment, CreatePolicy, CreateGroup, AddUserToGroup,
CreateDynamicGroup) — the emulator's callers administer its tenancy, as OCI's
Administrators group does; the instance-metadata and federation endpoints (they issue the
credentials that signing needs); OCIR's token service, which grants each scope by the
caller's ``repos`` policies itself. Not authorized because OCI states no permission for
them (:data:`UNSTATED`: Logging's GetWorkRequest): a valid signature is all they ask. An
open (non-strict) tenancy skips all of this.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from oci_tei.contract._permissions import MOVE_OPERATIONS, OPERATION_PERMISSIONS
from oci_tei_emulator._datascience import STATE
from oci_tei_emulator._errors import OCIError, not_authenticated
from oci_tei_emulator._gateway import CONTEXT
from oci_tei_emulator._log_search import parse_query
from oci_tei_emulator._logging_api import log_group_compartment
from oci_tei_emulator._objectstorage import STORE
from oci_tei_emulator._ocir import OCIR
from oci_tei_emulator._private_endpoints import PRIVATE_ENDPOINTS
from oci_tei_emulator._signature import SignatureError, SignedRequest
from oci_tei_emulator._tenancy import TENANCY, TenancyState

__all__ = [
    "ADMINISTRATION",
    "FILTERED",
    "ROUTES",
    "UNAUTHORIZED_PREFIXES",
    "UNSTATED",
    "authorize_middleware",
]

_DS = "/20190101"
_ID = "/20160918"
_ART = "/20160918/container"
_OBJ = "/n/{ns}/b/{bucket}"

#: (method, route pattern as registered) -> API operation.
ROUTES: dict[tuple[str, str], str] = {
    ("POST", f"{_DS}/projects"): "CreateProject",
    ("GET", f"{_DS}/projects"): "ListProjects",
    ("GET", f"{_DS}/projects/{{id}}"): "GetProject",
    ("POST", f"{_DS}/models"): "CreateModel",
    ("GET", f"{_DS}/models"): "ListModels",
    ("GET", f"{_DS}/models/{{id}}"): "GetModel",
    ("PUT", f"{_DS}/models/{{id}}"): "UpdateModel",
    ("DELETE", f"{_DS}/models/{{id}}"): "DeleteModel",
    ("POST", f"{_DS}/models/{{id}}/actions/{{action}}"): "ActivateModel",
    ("POST", f"{_DS}/models/{{id}}/artifact"): "CreateModelArtifact",
    ("PUT", f"{_DS}/models/{{id}}/artifact"): "CreateModelArtifact",
    ("GET", f"{_DS}/models/{{id}}/artifact/content"): "GetModelArtifactContent",
    ("HEAD", f"{_DS}/models/{{id}}/artifact/content"): "HeadModelArtifact",
    ("GET", f"{_DS}/models/{{id}}/provenance"): "GetModelProvenance",
    ("POST", f"{_DS}/models/{{id}}/provenance"): "CreateModelProvenance",
    ("PUT", f"{_DS}/models/{{id}}/provenance"): "UpdateModelProvenance",
    ("POST", f"{_DS}/modelDeployments"): "CreateModelDeployment",
    ("GET", f"{_DS}/modelDeployments"): "ListModelDeployments",
    ("GET", f"{_DS}/modelDeployments/{{id}}"): "GetModelDeployment",
    ("PUT", f"{_DS}/modelDeployments/{{id}}"): "UpdateModelDeployment",
    ("DELETE", f"{_DS}/modelDeployments/{{id}}"): "DeleteModelDeployment",
    ("POST", f"{_DS}/modelDeployments/{{id}}/actions/activate"): "ActivateModelDeployment",
    ("POST", f"{_DS}/modelDeployments/{{id}}/actions/deactivate"): "DeactivateModelDeployment",
    ("GET", f"{_DS}/modelDeploymentShapes"): "ListModelDeploymentShapes",
    ("GET", f"{_DS}/workRequests"): "ListWorkRequests",
    ("GET", f"{_DS}/workRequests/{{id}}"): "GetWorkRequest",
    ("GET", f"{_DS}/workRequests/{{id}}/errors"): "ListWorkRequestErrors",
    ("GET", f"{_DS}/workRequests/{{id}}/logs"): "ListWorkRequestLogs",
    ("DELETE", f"{_DS}/workRequests/{{id}}"): "CancelWorkRequest",
    ("POST", f"{_DS}/models/{{id}}/actions/changeCompartment"): "ChangeModelCompartment",
    ("POST", f"{_DS}/modelDeployments/{{id}}/actions/changeCompartment"): (
        "ChangeModelDeploymentCompartment"
    ),
    ("POST", "/n/{ns}/b"): "CreateBucket",
    ("POST", "/n/{ns}/b/"): "CreateBucket",
    ("GET", "/n/{ns}/b"): "ListBuckets",
    ("GET", "/n/{ns}/b/"): "ListBuckets",
    ("GET", _OBJ): "GetBucket",
    ("HEAD", _OBJ): "HeadBucket",
    ("POST", _OBJ): "UpdateBucket",
    ("GET", f"{_OBJ}/o"): "ListObjects",
    ("GET", f"{_OBJ}/o/"): "ListObjects",
    ("PUT", f"{_OBJ}/o/{{object}}"): "PutObject",
    ("GET", f"{_OBJ}/o/{{object}}"): "GetObject",
    ("HEAD", f"{_OBJ}/o/{{object}}"): "HeadObject",
    ("DELETE", f"{_OBJ}/o/{{object}}"): "DeleteObject",
    ("GET", f"{_OBJ}/objectversions"): "ListObjectVersions",
    ("POST", f"{_OBJ}/u"): "CreateMultipartUpload",
    ("PUT", f"{_OBJ}/u/{{object}}"): "UploadPart",
    ("POST", f"{_OBJ}/u/{{object}}"): "CommitMultipartUpload",
    ("DELETE", f"{_OBJ}/u/{{object}}"): "AbortMultipartUpload",
    ("GET", f"{_OBJ}/u/{{object}}"): "ListMultipartUploadParts",
    ("GET", f"{_OBJ}/u"): "ListMultipartUploads",
    ("DELETE", _OBJ): "DeleteBucket",
    ("GET", f"{_ART}/repositories"): "ListContainerRepositories",
    ("GET", f"{_ART}/images"): "ListContainerImages",
    ("POST", f"{_ART}/repositories"): "CreateContainerRepository",
    ("GET", f"{_ART}/repositories/{{id}}"): "GetContainerRepository",
    ("PUT", f"{_ART}/repositories/{{id}}"): "UpdateContainerRepository",
    ("DELETE", f"{_ART}/repositories/{{id}}"): "DeleteContainerRepository",
    ("GET", "/20190729/services/{service}/limits/{limit}/resourceAvailability"): (
        "GetResourceAvailability"
    ),
    ("GET", "/20200531/logGroups/{group}"): "GetLogGroup",
    ("GET", "/20200531/logGroups/{group}/logs/{log}"): "GetLog",
    ("POST", "/20200531/logGroups"): "CreateLogGroup",
    ("GET", "/20200531/logGroups"): "ListLogGroups",
    ("DELETE", "/20200531/logGroups/{group}"): "DeleteLogGroup",
    ("POST", "/20200531/logGroups/{group}/logs"): "CreateLog",
    ("GET", "/20200531/logGroups/{group}/logs"): "ListLogs",
    ("DELETE", "/20200531/logGroups/{group}/logs/{log}"): "DeleteLog",
    ("GET", f"{_ID}/tenancies/{{id}}"): "GetTenancy",
    ("GET", f"{_ID}/tenancies/{{id}}/regionSubscriptions"): "ListRegionSubscriptions",
    ("GET", f"{_ID}/users/{{id}}"): "GetUser",
    ("GET", f"{_ID}/compartments/{{id}}"): "GetCompartment",
    ("GET", f"{_ID}/compartments"): "ListCompartments",
    ("GET", f"{_ID}/policies"): "ListPolicies",
    ("GET", f"{_ID}/groups"): "ListGroups",
    ("GET", f"{_ID}/groups/{{id}}"): "GetGroup",
    ("GET", f"{_ID}/userGroupMemberships"): "ListUserGroupMemberships",
    ("GET", f"{_ID}/dynamicGroups"): "ListDynamicGroups",
    ("POST", f"{_DS}/dataSciencePrivateEndpoints"): "CreateDataSciencePrivateEndpoint",
    ("GET", f"{_DS}/dataSciencePrivateEndpoints"): "ListDataSciencePrivateEndpoints",
    ("GET", f"{_DS}/dataSciencePrivateEndpoints/{{id}}"): "GetDataSciencePrivateEndpoint",
    ("POST", f"{_ID}/vcns"): "CreateVcn",
    ("GET", f"{_ID}/vcns/{{id}}"): "GetVcn",
    ("POST", f"{_ID}/subnets"): "CreateSubnet",
    ("GET", f"{_ID}/subnets/{{id}}"): "GetSubnet",
    ("POST", "/20180401/metrics/actions/summarizeMetricsData"): "SummarizeMetricsData",
    ("POST", "/20190909/search"): "SearchLogs",
}
#: Identity writes: the tenancy's administration, not authorized (see the module doc).
ADMINISTRATION: dict[tuple[str, str], str] = {
    ("POST", f"{_ID}/compartments"): "CreateCompartment",
    ("POST", f"{_ID}/policies"): "CreatePolicy",
    ("POST", f"{_ID}/groups"): "CreateGroup",
    ("POST", f"{_ID}/userGroupMemberships"): "AddUserToGroup",
    ("POST", f"{_ID}/dynamicGroups"): "CreateDynamicGroup",
}
#: Operations that need no permission of their own but answer only what the caller may see:
#: their handler filters (SearchResources: "Details for Search").
FILTERED: dict[tuple[str, str], str] = {
    ("POST", "/20180409/resources"): "SearchResources",
}
#: Operations OCI's policy references name no permission for
#: (:data:`oci_tei.contract._permissions.UNSTATED_PERMISSIONS`): a valid signature is all
#: that is asked, as nothing states more.
UNSTATED: dict[tuple[str, str], str] = {
    ("GET", "/20200531/workRequests/{id}"): "logging:GetWorkRequest",
}
#: Paths the middleware leaves to their handlers: credentials; the predict gateway, which
#: authorizes once it has verified the signature over the body; OCIR's token service, which
#: grants each scope by the caller's ``repos`` policies itself.
UNAUTHORIZED_PREFIXES = ("/opc/", "/v1/x509", "/{ocid}", "/{tail", "/20180419/docker/token")

#: Operations whose body names the compartment the resource is created in.
_CREATES = (
    "CreateProject",
    "CreateModel",
    "CreateModelDeployment",
    "CreateBucket",
    "CreateLogGroup",
    "CreateContainerRepository",
    "CreateDataSciencePrivateEndpoint",
    "CreateVcn",
    "CreateSubnet",
)
#: Operations on the tenancy itself (Identity, Logging's declared log groups).
_TENANCY_OPS = (
    "GetTenancy",
    "ListRegionSubscriptions",
    "GetUser",
    "ListGroups",
    "GetGroup",
    "ListUserGroupMemberships",
    "ListDynamicGroups",
)


def operation_of(request: web.Request) -> str | None:
    """The API operation a request is, or None when the table does not list it.

    Routes are matched by their canonical pattern (``{object:.+}`` reads ``{object}``).
    """
    resource = request.match_info.route.resource
    if resource is None:
        return None
    found = ROUTES.get((request.method, resource.canonical))
    if found is None and request.method == "HEAD":  # aiohttp serves HEAD with each GET
        found = ROUTES.get(("GET", resource.canonical))
    return found


def _signed_principal(request: web.Request) -> Any:
    """Who signed the request: its headers' signature, checked before the body is read.

    The handler still checks the body against ``x-content-sha256`` and ``content-length``.
    """
    headers = request.headers
    try:
        digest = base64.b64decode(headers.get("x-content-sha256", ""), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    signed = SignedRequest(
        method=request.method,
        target=request.raw_path,
        headers=headers,
        body_length=int(headers.get("content-length") or 0),
        body_sha256=digest,
    )
    try:
        return request.app[CONTEXT].verifier.verify(signed, body_headers_optional=True)
    except SignatureError as exc:
        raise not_authenticated(str(exc)) from None


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON body as a dict (empty when it is not one: the handler answers 400)."""
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def _compartment(
    request: web.Request, operation: str, state: TenancyState
) -> tuple[str | None, dict[str, str]]:
    """The compartment the operation acts in (None: the resource does not exist) and targets."""
    info = request.match_info
    if operation in _TENANCY_OPS:
        return state.config.tenancy_id, {}
    if operation in _CREATES:
        body = await _body(request)
        compartment = body.get("compartmentId")
        if not compartment:
            return None, {}  # the handler answers 400 for the missing field
        target = {"target.bucket.name": str(body.get("name", ""))} if "Bucket" in operation else {}
        return _existing(state, str(compartment), operation), target
    if "group" in info:
        # A log group made with CreateLogGroup acts in its compartment; one declared with
        # --log (or unknown: the handler answers 404) in the tenancy.
        found = log_group_compartment(request.app, info["group"])
        return found or state.config.tenancy_id, {}
    if "bucket" in info:
        try:
            bucket = request.app[STORE].bucket(info["ns"], info["bucket"])
        except OCIError:
            return None, {}
        return bucket.compartment_id, {"target.bucket.name": info["bucket"]}
    if "id" in info and info.route.resource is not None:
        return _resource_compartment(request, operation, info["id"], state), {}
    compartment = request.query.get("compartmentId")
    if compartment:
        return _existing(state, compartment, operation), {}
    return None, {}


async def _search_scopes(
    request: web.Request, state: TenancyState
) -> list[tuple[str | None, dict[str, str]]]:
    """SearchLogs: each scope's compartment (which must exist) and log group.

    A scope reads ``"<compartment>[/<log group>[/<log>]]"`` (Logging's query language); a
    body or query the handler refuses (400) gives none.
    """
    query = (await _body(request)).get("searchQuery")
    if not isinstance(query, str):
        return []
    try:
        scopes = parse_query(query).scopes
    except OCIError:
        return []
    found: list[tuple[str | None, dict[str, str]]] = []
    for scope in scopes:
        target = {"target.loggroup.id": scope[1]} if len(scope) > 1 and scope[1] else {}
        found.append((_existing(state, scope[0], "SearchLogs"), target))
    return found


async def _scopes(
    request: web.Request, operation: str, state: TenancyState
) -> list[tuple[str | None, dict[str, str]]]:
    """Every compartment the operation needs its permission in, with its targets."""
    if operation == "SearchLogs":
        return await _search_scopes(request, state)
    scopes = [await _compartment(request, operation, state)]
    if operation in MOVE_OPERATIONS and scopes[0][0] is not None:
        destination = (await _body(request)).get("compartmentId")
        if destination:  # missing: the handler answers 400
            scopes.append((_existing(state, str(destination), operation), {}))
    return scopes


def _existing(state: TenancyState, compartment: str, operation: str) -> str:
    if state.compartment(compartment) is None:
        raise OCIError(
            404,
            "NotAuthorizedOrNotFound",
            f"Authorization failed or requested compartment {compartment} not found ({operation}).",
        )
    return compartment


def _resource_compartment(
    request: web.Request, operation: str, ocid: str, state: TenancyState
) -> str | None:
    if operation == "GetCompartment":
        found = state.compartment(ocid)
        return None if found is None else str(found.id)
    ds = request.app[STATE]
    if "WorkRequest" in operation:
        record = ds.work_requests.get(ocid)
        return None if record is None else record.request.compartment_id
    for store in (ds.deployments, ds.projects):
        if ocid in store:
            return str(store[ocid].compartment_id)
    repository = request.app[OCIR].repositories.get(ocid)
    if repository is not None:
        return repository.compartment_id
    if ocid in ds.models:
        return str(ds.models[ocid].model.compartment_id)
    network = request.app.get(PRIVATE_ENDPOINTS)
    if network is not None:
        with network.lock:
            for records in (network.endpoints, network.vcns, network.subnets):
                if ocid in records:
                    return str(records[ocid].compartment_id)
    return None


@web.middleware
async def authorize_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """In a strict tenancy, authorize the request's operation before its handler runs."""
    state: TenancyState = request.app[TENANCY]
    if not state.strict:
        return await handler(request)
    operation = operation_of(request)
    if operation is None:
        return await handler(request)
    need = OPERATION_PERMISSIONS[operation]
    principal = state.caller(_signed_principal(request))
    if operation == "ActivateModel" and request.match_info.get("action") == "deactivate":
        operation = "DeactivateModel"
    for compartment, target in await _scopes(request, operation, state):
        if compartment is None:
            break  # nothing to act on: the handler answers (404, 400)
        state.authorize(principal, need, compartment, operation, target)
    return await handler(request)
