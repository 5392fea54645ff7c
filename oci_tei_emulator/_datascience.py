"""Data Science control plane: models (by reference), model deployments, work requests, shapes.

Deployments follow OCI's lifecycle (CREATING → ACTIVE or FAILED, UPDATING, INACTIVE,
NEEDS_ATTENTION, DELETING → DELETED), each change tracked by a work request with
``percentComplete``, errors and logs. Activation materializes the model's referenced
objects under ``/opt/ds/model/deployed_model`` and starts the container (:mod:`.containers`).

The control plane keeps OCI's documented contract (:mod:`oci_tei.contract`): creates and
updates are validated (:mod:`.validation`, 400 InvalidParameter), updates follow the
lifecycle rules (409 IncorrectState, one live-update group at a time), the project and an
ACTIVE model must exist, every List paginates (:mod:`.paging`), etags change only with the
resource and ``if-match`` is honoured (412), and ``opc-retry-token`` makes creates
idempotent (:mod:`.idempotency`).
"""

from __future__ import annotations

__all__ = ["STATE", "DataScienceState", "StoredModel", "WorkRequestRecord", "add_routes"]

import asyncio
import copy
import datetime as dt
import io
import json
import shutil
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from oci_tei.contract._shapes import MODEL_DEPLOYMENT_SHAPES
from oci_tei.contract._updates import LIVE_UPDATE_STATES
from oci_tei_emulator._authorization import check_create, check_update, provisioning_failure
from oci_tei_emulator._containers import (
    DEPLOYED_MODEL_ROOT,
    ContainerError,
    ContainerManager,
    ContainerSpec,
)
from oci_tei_emulator._context import EmulatorContext, caller_id, logger, new_ocid
from oci_tei_emulator._errors import OCIError, conflict, invalid_parameter, not_found
from oci_tei_emulator._gateway import CONTEXT
from oci_tei_emulator._idempotency import Etags, RetryTokens
from oci_tei_emulator._limits_api import DEPLOYMENTS
from oci_tei_emulator._lists import listed
from oci_tei_emulator._objectstorage import STORE, ObjectStore, link_or_copy
from oci_tei_emulator._paging import page_of
from oci_tei_emulator._private_endpoints import check_deployment_network, private_host_of
from oci_tei_emulator._references import reference_description as _reference_description
from oci_tei_emulator._tenancy import TENANCY
from oci_tei_emulator._updates import changed as changed_fields
from oci_tei_emulator._updates import group as group_of
from oci_tei_emulator._updates import refusal as live_update_problem
from oci_tei_emulator._validation import check_model_ready, deployment_problems, raise_problems
from oci_tei_emulator._wire import from_wire, model_response, to_wire

SERVICE = "data_science"
API = "/20190101"
CONTAINERS = web.AppKey("oci_tei_containers", ContainerManager)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class StoredModel:
    """A model and its artifact."""

    model: Any
    artifact: bytes | None = None
    artifact_disposition: str = "attachment; filename=model.zip"
    provenance: Any = None


@dataclass
class WorkRequestRecord:
    """A work request with its errors and logs."""

    request: Any
    errors: list[Any] = field(default_factory=list)
    logs: list[Any] = field(default_factory=list)

    def log(self, message: str) -> None:
        """Append a log line."""
        import oci

        self.logs.append(
            oci.data_science.models.WorkRequestLogEntry(message=message, timestamp=_now())
        )

    def progress(self, status: str, percent: float) -> None:
        """Move the work request on."""
        self.request.status = status
        self.request.percent_complete = percent
        if status == "IN_PROGRESS" and self.request.time_started is None:
            self.request.time_started = _now()
        if status in ("SUCCEEDED", "FAILED", "CANCELED"):
            self.request.time_finished = _now()

    def fail(self, message: str) -> None:
        """Fail with an error and a log line saying why."""
        import oci

        self.errors.append(
            oci.data_science.models.WorkRequestError(
                code="ModelDeploymentFailed", message=message, timestamp=_now()
            )
        )
        self.log(f"Model deployment failed: {message}")
        self.progress("FAILED", self.request.percent_complete or 0.0)


@dataclass
class DataScienceState:
    """Models, deployments and work requests of one emulator."""

    models: dict[str, StoredModel] = field(default_factory=dict)
    deployments: dict[str, Any] = field(default_factory=dict)
    work_requests: dict[str, WorkRequestRecord] = field(default_factory=dict)
    projects: dict[str, Any] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    etags: Etags = field(default_factory=Etags)
    retry_tokens: RetryTokens = field(default_factory=RetryTokens)
    dropped_answers: int = 0


STATE = web.AppKey("oci_tei_data_science", DataScienceState)


async def _json(request: web.Request, type_name: str) -> Any:
    return (await _raw_and_model(request, type_name))[1]


async def _raw_and_model(request: web.Request, type_name: str) -> tuple[dict[str, Any], Any]:
    """The authenticated body as raw wire JSON (for validation) and as the SDK model."""
    ctx: EmulatorContext = request.app[CONTEXT]
    body = await request.read()
    ctx.authenticate(request, body)
    model = from_wire(SERVICE, body, type_name)  # 400 unless a JSON object
    return json.loads(body), model


def _auth(request: web.Request, body: bytes = b"") -> None:
    request.app[CONTEXT].authenticate(request, body)


def _list_query(request: web.Request) -> Mapping[str, str]:
    """Authenticate a List call and return its query, which must name a compartment."""
    _auth(request)
    if "compartmentId" not in request.query:
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    return request.query


def _etag(request: web.Request, ocid: str) -> str:
    return request.app[STATE].etags.current(ocid)


def _changed(request: web.Request, ocid: str) -> str:
    return request.app[STATE].etags.changed(ocid)


def _page(request: web.Request, items: list[Any]) -> web.Response:
    """One page of a List call's items, with ``opc-next-page`` when more follow."""
    chunk, headers = page_of(request, items, request.app[CONTEXT].config.page_size)
    return model_response(SERVICE, chunk, headers=headers)


def _replayed(request: web.Request, found: Mapping[str, Any]) -> Any | None:
    """The resource an earlier create with this ``opc-retry-token`` made, if any."""
    ocid = request.app[STATE].retry_tokens.made_by(request)
    return None if ocid is None else found.get(ocid)


def _project(request: web.Request, project_id: str | None) -> Any:
    """The project a create names; it must exist.

    Raises:
        OCIError: 404 NotAuthorizedOrNotFound.
    """
    project = request.app[STATE].projects.get(project_id or "")
    if project is None:
        raise OCIError(
            404,
            "NotAuthorizedOrNotFound",
            f"Authorization failed or requested project {project_id} not found.",
        )
    return project


def _matches(query: Mapping[str, str], **fields: Any) -> bool:
    """Whether a resource passes a List call's filters (query parameters named as fields)."""
    return all(query[name] == value for name, value in fields.items() if name in query)


def _copy_fields(target: Any, source: Any) -> None:
    for attr in source.swagger_types:
        value = getattr(source, attr)
        if value is not None and attr in target.swagger_types:
            setattr(target, attr, value)


# -- projects -------------------------------------------------------------------------------


async def create_project(request: web.Request) -> web.Response:
    """CreateProject."""
    import oci

    details = await _json(request, "CreateProjectDetails")
    if replayed := _replayed(request, request.app[STATE].projects):
        return model_response(SERVICE, replayed, headers={"etag": _etag(request, replayed.id)})
    ctx: EmulatorContext = request.app[CONTEXT]
    project = oci.data_science.models.Project(
        id=new_ocid("datascienceproject", ctx.config.region),
        time_created=_now(),
        lifecycle_state="ACTIVE",
        created_by=caller_id(request),
    )
    _copy_fields(project, details)
    request.app[STATE].projects[project.id] = project
    request.app[STATE].retry_tokens.remember(request, project.id)
    return model_response(SERVICE, project, headers={"etag": _etag(request, project.id)})


async def get_project(request: web.Request) -> web.Response:
    """GetProject: the emulator's seeded projects (``EmulatorConfig.projects``) and created ones."""
    _auth(request)
    project = _project(request, request.match_info["id"])
    return model_response(SERVICE, project, headers={"etag": _etag(request, project.id)})


async def list_projects(request: web.Request) -> web.Response:
    """ListProjects (compartmentId required; id, displayName, lifecycleState, createdBy)."""
    import oci

    q = _list_query(request)
    items = []
    for project in request.app[STATE].projects.values():
        if not _matches(
            q,
            compartmentId=project.compartment_id,
            id=project.id,
            displayName=project.display_name,
            lifecycleState=project.lifecycle_state,
            createdBy=project.created_by,
        ):
            continue
        summary = oci.data_science.models.ProjectSummary()
        _copy_fields(summary, project)
        items.append(summary)
    return _page(request, items)


async def _target_compartment(request: web.Request, type_name: str) -> str:
    """The ``compartmentId`` a Change*Compartment body names (required).

    In ``--strict`` it must exist in the tenancy.

    Raises:
        OCIError: 400 MissingParameter, 404 NotAuthorizedOrNotFound.
    """
    details = await _json(request, type_name)
    if not details.compartment_id:
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    tenancy = request.app[TENANCY]
    if tenancy.strict and tenancy.compartment(details.compartment_id) is None:
        raise not_found(f"compartment {details.compartment_id}")
    return str(details.compartment_id)


async def change_model_compartment(request: web.Request) -> web.Response:
    """ChangeModelCompartment: the SDK's answer has data of type None (``if-match`` honoured)."""
    compartment_id = await _target_compartment(request, "ChangeModelCompartmentDetails")
    stored = _model(request)
    request.app[STATE].etags.check_if_match(request, stored.model.id)
    stored.model.compartment_id = compartment_id
    _changed(request, stored.model.id)
    return web.Response(status=200)


async def change_model_deployment_compartment(request: web.Request) -> web.Response:
    """ChangeModelDeploymentCompartment: data of type None; the move is immediate.

    ``WorkRequest.operation_type`` has no move of a model deployment, so none is made
    (inferred from the SDK's enum).
    """
    compartment_id = await _target_compartment(request, "ChangeModelDeploymentCompartmentDetails")
    deployment = _deployment(request)
    request.app[STATE].etags.check_if_match(request, deployment.id)
    deployment.compartment_id = compartment_id
    ctx: EmulatorContext = request.app[CONTEXT]
    with ctx.lock:
        target = ctx.targets.get(deployment.id)
        if target is not None:  # predict is authorized, and its metrics posted, there now
            target.compartment_id = compartment_id
    _changed(request, deployment.id)
    return web.Response(status=200)


def seed_project(state: DataScienceState, project_id: str, compartment_id: str) -> None:
    """Make a project exist from the start (the demo's, or a test's)."""
    import oci

    state.projects[project_id] = oci.data_science.models.Project(
        id=project_id,
        display_name="project",
        compartment_id=compartment_id,
        lifecycle_state="ACTIVE",
        time_created=_now(),
        created_by="ocid1.user.oc1..emulator",
    )


# -- models ---------------------------------------------------------------------------------


def _model(request: web.Request) -> StoredModel:
    found = request.app[STATE].models.get(request.match_info["id"])
    if found is None:
        raise not_found("model")
    return found


async def create_model(request: web.Request) -> web.Response:
    """CreateModel."""
    import oci

    details = await _json(request, "CreateModelDetails")
    if not details.compartment_id or not details.project_id:
        raise invalid_parameter("compartmentId and projectId are required.")
    stored_models = request.app[STATE].models
    if replayed := _replayed(request, {k: v.model for k, v in stored_models.items()}):
        return model_response(SERVICE, replayed, headers={"etag": _etag(request, replayed.id)})
    _project(request, details.project_id)
    ctx: EmulatorContext = request.app[CONTEXT]
    models = oci.data_science.models
    # The fields the SDK's Model docstring marks **[Required]** that a model outside a
    # version set has: category USER (a customer's, not SERVICE), lifecycleDetails, the
    # retention and backup settings (none asked: empty) and their operation details.
    model = models.Model(
        id=new_ocid("datasciencemodel", ctx.config.region),
        time_created=_now(),
        lifecycle_state="ACTIVE",
        lifecycle_details="Model is active.",
        category="USER",
        created_by=caller_id(request),
        is_model_by_reference=False,
        display_name=f"model-{_now():%Y%m%d%H%M%S}",
        retention_setting=models.RetentionSetting(),
        backup_setting=models.BackupSetting(is_backup_enabled=False),
        retention_operation_details=models.RetentionOperationDetails(),
        backup_operation_details=models.BackupOperationDetails(),
    )
    _copy_fields(model, details)
    request.app[STATE].models[model.id] = StoredModel(model)
    request.app[STATE].retry_tokens.remember(request, model.id)
    return model_response(SERVICE, model, headers={"etag": _etag(request, model.id)})


async def get_model(request: web.Request) -> web.Response:
    """GetModel."""
    _auth(request)
    model = _model(request).model
    return model_response(SERVICE, model, headers={"etag": _etag(request, model.id)})


async def update_model(request: web.Request) -> web.Response:
    """UpdateModel (``if-match`` honoured)."""
    details = await _json(request, "UpdateModelDetails")
    stored = _model(request)
    request.app[STATE].etags.check_if_match(request, stored.model.id)
    _copy_fields(stored.model, details)
    return model_response(
        SERVICE, stored.model, headers={"etag": _changed(request, stored.model.id)}
    )


async def delete_model(request: web.Request) -> web.Response:
    """DeleteModel (``if-match`` honoured)."""
    _auth(request)
    stored = _model(request)
    request.app[STATE].etags.check_if_match(request, stored.model.id)
    stored.model.lifecycle_state = "DELETED"
    request.app[STATE].models.pop(stored.model.id, None)
    return web.Response(status=204)


async def model_action(request: web.Request) -> web.Response:
    """ActivateModel / DeactivateModel: ACTIVE <-> INACTIVE (an INACTIVE model cannot be deployed)."""
    body = await request.read()
    _auth(request, body)
    stored = _model(request)
    request.app[STATE].etags.check_if_match(request, stored.model.id)
    stored.model.lifecycle_state = (
        "ACTIVE" if request.match_info["action"] == "activate" else "INACTIVE"
    )
    return model_response(
        SERVICE, stored.model, headers={"etag": _changed(request, stored.model.id)}
    )


async def list_models(request: web.Request) -> web.Response:
    """ListModels (compartmentId required; projectId, displayName, lifecycleState filters)."""
    import oci

    q = _list_query(request)
    summaries = []
    for stored in request.app[STATE].models.values():
        m = stored.model
        if not _matches(
            q,
            compartmentId=m.compartment_id,
            projectId=m.project_id,
            displayName=m.display_name,
            lifecycleState=m.lifecycle_state,
        ):
            continue
        summary = oci.data_science.models.ModelSummary()
        _copy_fields(summary, m)
        summaries.append(summary)
    return _page(request, listed(request, "ListModels", summaries))


async def create_model_artifact(request: web.Request) -> web.Response:
    """CreateModelArtifact (signed without body headers by the SDK)."""
    ctx: EmulatorContext = request.app[CONTEXT]
    body = await request.read()
    ctx.authenticate(request, body, body_optional=True)
    stored = _model(request)
    stored.artifact = body
    stored.artifact_disposition = request.headers.get(
        "content-disposition", stored.artifact_disposition
    )
    if _reference_description(body) is not None:
        stored.model.is_model_by_reference = True
    return web.Response(headers={"etag": _changed(request, stored.model.id)})


async def get_model_artifact(request: web.Request) -> web.Response:
    """HeadModelArtifact and GetModelArtifactContent."""
    _auth(request)
    stored = _model(request)
    if stored.artifact is None:
        raise OCIError(404, "NotAuthorizedOrNotFound", "The model has no artifact.")
    headers = {
        "content-disposition": stored.artifact_disposition,
        "content-length": str(len(stored.artifact)),
        "etag": _etag(request, stored.model.id),
        "last-modified": "Thu, 01 Jan 2026 00:00:00 GMT",
    }
    if request.method == "HEAD":
        return web.Response(headers=headers)
    headers.pop("content-length")
    return web.Response(
        body=stored.artifact, headers=headers, content_type="application/octet-stream"
    )


async def provenance(request: web.Request) -> web.Response:
    """Create/Get/UpdateModelProvenance."""
    import oci

    if request.method == "GET":
        _auth(request)
        stored = _model(request)
        return model_response(
            SERVICE, stored.provenance or oci.data_science.models.ModelProvenance()
        )
    details = await _json(request, "CreateModelProvenanceDetails")
    stored = _model(request)
    stored.provenance = oci.data_science.models.ModelProvenance()
    _copy_fields(stored.provenance, details)
    headers = {"etag": _changed(request, stored.model.id)}
    return model_response(SERVICE, stored.provenance, headers=headers)


# -- work requests --------------------------------------------------------------------------


def _new_work_request(
    request: web.Request, operation: str, resource_id: str, compartment: str, action: str
) -> WorkRequestRecord:
    import oci

    ctx: EmulatorContext = request.app[CONTEXT]
    wr = oci.data_science.models.WorkRequest(
        id=new_ocid("datascienceworkrequest", ctx.config.region),
        operation_type=operation,
        status="ACCEPTED",
        compartment_id=compartment,
        percent_complete=0.0,
        time_accepted=_now(),
        resources=[
            oci.data_science.models.WorkRequestResource(
                entity_type="modelDeployment",
                action_type=action,
                identifier=resource_id,
                entity_uri=f"{API}/modelDeployments/{resource_id}",
            )
        ],
    )
    record = WorkRequestRecord(wr)
    record.log(f"{operation} accepted for {resource_id}")
    request.app[STATE].work_requests[wr.id] = record
    return record


def _work_request(request: web.Request) -> WorkRequestRecord:
    found = request.app[STATE].work_requests.get(request.match_info["id"])
    if found is None:
        raise not_found("work request")
    return found


async def get_work_request(request: web.Request) -> web.Response:
    """GetWorkRequest."""
    _auth(request)
    wr = _work_request(request).request
    return model_response(SERVICE, wr, headers={"retry-after": "1"})


async def list_work_requests(request: web.Request) -> web.Response:
    """ListWorkRequests: compartmentId; resourceId, operationType and status filters."""
    import oci

    q = _list_query(request)
    items = []
    for record in request.app[STATE].work_requests.values():
        wr = record.request
        if not _matches(
            q, compartmentId=wr.compartment_id, operationType=wr.operation_type, status=wr.status
        ):
            continue
        if "resourceId" in q and all(r.identifier != q["resourceId"] for r in wr.resources):
            continue
        summary = oci.data_science.models.WorkRequestSummary()
        _copy_fields(summary, wr)
        items.append(summary)
    # Time fields sort newest first unless asked otherwise (the API's documented default).
    return _page(request, listed(request, "ListWorkRequests", items))


async def cancel_work_request(request: web.Request) -> web.Response:
    """CancelWorkRequest: "Cancels a work request that has not started" (the SDK docstring).

    ACCEPTED → CANCELED; one that started or finished is 409 IncorrectState.
    """
    _auth(request)
    record = _work_request(request)
    if record.request.status != "ACCEPTED":
        raise conflict(
            f"Work request {record.request.id} is {record.request.status}; only a work "
            "request that has not started can be canceled."
        )
    record.log("Canceled before it started")
    record.progress("CANCELED", record.request.percent_complete or 0.0)
    return web.Response(status=200)


async def list_work_request_errors(request: web.Request) -> web.Response:
    """ListWorkRequestErrors (paginated)."""
    _auth(request)
    return _page(request, listed(request, "ListWorkRequestErrors", _work_request(request).errors))


async def list_work_request_logs(request: web.Request) -> web.Response:
    """ListWorkRequestLogs (paginated)."""
    _auth(request)
    return _page(request, listed(request, "ListWorkRequestLogs", _work_request(request).logs))


# -- model deployments ----------------------------------------------------------------------


def _deployment(request: web.Request, *, deleted: bool = False) -> Any:
    """The deployment in the path; a DELETED one only where ``deleted`` is allowed.

    OCI still shows deleted resources to reads; nothing can change them.
    """
    found = request.app[STATE].deployments.get(request.match_info["id"])
    if found is None or (found.lifecycle_state == "DELETED" and not deleted):
        raise not_found("model deployment")
    return found


def _spec(request: web.Request, deployment: Any, record: WorkRequestRecord) -> ContainerSpec:
    """The container a deployment describes, its model laid out as local files."""
    ctx: EmulatorContext = request.app[CONTEXT]
    config = deployment.model_deployment_configuration_details
    model_config = config.model_configuration_details
    env = config.environment_configuration_details
    if env is None or getattr(env, "environment_configuration_type", None) != "OCIR_CONTAINER":
        raise ContainerError(
            "only OCIR_CONTAINER (bring your own container) deployments are emulated"
        )
    stored = request.app[STATE].models.get(model_config.model_id)
    if stored is None:
        raise ContainerError(f"model {model_config.model_id} not found")
    refused = provisioning_failure(request.app, deployment, stored.artifact or b"")
    if refused:  # --strict: IAM, OCIR and logs, in the order OCI provisions
        raise ContainerError(refused)
    # One directory per activation: a live update must not pull the files from under the
    # container that keeps serving until the new one is healthy.
    activation = record.request.id.rsplit(".", 1)[-1][-12:]
    root = ctx.data_dir / "deployments" / deployment.id / activation / "deployed_model"
    count, size = _materialize(request.app[STORE], stored, root)
    record.log(
        f"Downloaded the model artifact: {count} files ({size / 1e6:.1f} MB) "
        f"to {DEPLOYED_MODEL_ROOT}"
    )
    return ContainerSpec(
        image=env.image or "",
        cmd=list(env.cmd or []),
        env=dict(env.environment_variables or {}),
        server_port=env.server_port or 8080,
        shape=model_config.instance_configuration.instance_shape_name or "",
        model_root=root,
        health_check_port=env.health_check_port or env.server_port or 8080,
    )


def _materialize(store: ObjectStore, stored: StoredModel, root: Path) -> tuple[int, int]:
    """Lay out the model's referenced objects under ``root`` (``deployed_model``).

    A by-reference artifact lists each object with its version (which is why the bucket
    must be versioned): those exact versions are laid out, as OCI does; a description
    without objects takes the current objects under its prefix.

    Returns:
        The number of files and their total size in bytes.
    """
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    description = _reference_description(stored.artifact or b"")
    if description is None:
        if stored.artifact and stored.artifact[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(stored.artifact)) as archive:
                archive.extractall(root)
        files = [p for p in root.rglob("*") if p.is_file()]
        return len(files), sum(p.stat().st_size for p in files)
    laid_out: dict[str, Path] = {}
    for entry in description.get("models", []):
        try:
            laid_out.update(_referenced_files(store, entry))
        except OCIError as exc:
            raise ContainerError(
                f"the model artifact's objects cannot be read: {exc.message}"
            ) from None
    for name, path in laid_out.items():
        link_or_copy(path, root / name)
    return len(laid_out), sum(path.stat().st_size for path in laid_out.values())


def _referenced_files(store: ObjectStore, entry: Any) -> dict[str, Path]:
    """The files one ``models[]`` entry of a by-reference description names.

    Raises:
        ContainerError: The entry lacks ``namespace`` or ``bucketName`` (OCI fails the
            deployment: the artifact cannot be read), or names objects it cannot read.
    """
    if not isinstance(entry, dict) or not entry.get("namespace") or not entry.get("bucketName"):
        raise ContainerError(
            "the model artifact cannot be read: its modelOSSReferenceDescription entry needs "
            "namespace and bucketName"
        )
    namespace, bucket = entry["namespace"], entry["bucketName"]
    objects = entry.get("objects") or []
    if not objects:
        return store.files_under(namespace, bucket, entry.get("prefix", ""))
    if not all(isinstance(item, dict) and item.get("name") for item in objects):
        raise ContainerError("the model artifact cannot be read: every object needs a name")
    return {
        item["name"]: store.version_file(namespace, bucket, item["name"], item.get("version"))
        for item in objects
    }


def _routes(env: Any) -> tuple[str, ...]:
    """The container paths a deployment declares: its predict endpoint and custom endpoints."""
    variables = getattr(env, "environment_variables", None) or {}
    routes = [variables.get("MODEL_DEPLOY_PREDICT_ENDPOINT") or "/predict"]
    for endpoint in getattr(env, "custom_http_endpoints", None) or []:
        if endpoint.endpoint_uri_suffix and "POST" in (endpoint.http_methods or []):
            routes.append(endpoint.endpoint_uri_suffix)
    return tuple(dict.fromkeys(routes))


def _publish(request: web.Request, deployment: Any, container_url: str | None) -> None:
    """Point the predict gateway at the deployment's container, routes and bandwidth."""
    ctx: EmulatorContext = request.app[CONTEXT]
    config = deployment.model_deployment_configuration_details
    env = config.environment_configuration_details
    variables = getattr(env, "environment_variables", None) or {}
    bandwidth = config.model_configuration_details.bandwidth_mbps
    instance = config.model_configuration_details.instance_configuration
    private_host = private_host_of(request.app, getattr(instance, "private_endpoint_id", None))
    with ctx.lock:
        current = ctx.targets.get(deployment.id)
        url = container_url or (current.container_url if current else None)
        ctx.targets[deployment.id] = ctx.target(
            deployment.id,
            url,
            variables.get("MODEL_DEPLOY_PREDICT_ENDPOINT"),
            routes=_routes(env),
            bandwidth_mbps=bandwidth,
            private_host=private_host,
            compartment_id=deployment.compartment_id,
        )


async def _activate(
    request: web.Request,
    deployment: Any,
    record: WorkRequestRecord,
    previous: Any | None = None,
) -> None:
    """CREATING/UPDATING → ACTIVE (container healthy), else FAILED or NEEDS_ATTENTION.

    An update starts the new container while the old one keeps serving, then swaps them.
    A live update (``previous``: the configuration being replaced) that fails leaves the
    old container serving and the deployment NEEDS_ATTENTION with its old configuration.
    """
    ctx: EmulatorContext = request.app[CONTEXT]
    containers = request.app[CONTAINERS]
    model_config = deployment.model_deployment_configuration_details.model_configuration_details
    record.progress("IN_PROGRESS", 10.0)
    record.log(f"Provisioning {model_config.instance_configuration.instance_shape_name}")
    await asyncio.sleep(ctx.config.activation_delay_s)
    try:
        record.progress("IN_PROGRESS", 30.0)
        spec = await asyncio.to_thread(_spec, request, deployment, record)
        record.log(f"Starting container {spec.image} on {spec.shape}")
        record.progress("IN_PROGRESS", 50.0)
        container = await _start_container(containers, deployment.id, spec)
    except ContainerError as exc:
        if previous is not None:
            deployment.model_deployment_configuration_details = previous
            deployment.lifecycle_state = "NEEDS_ATTENTION"
            deployment.lifecycle_details = (
                f"The update failed; the previous version still serves: {exc}"
            )
        else:
            with ctx.lock:
                ctx.targets.pop(deployment.id, None)
            await containers.stop(deployment.id)
            deployment.lifecycle_state = "FAILED"
            deployment.lifecycle_details = str(exc)
        _changed(request, deployment.id)
        record.fail(str(exc))
        logger.warning("deployment %s %s: %s", deployment.id, deployment.lifecycle_state, exc)
        return
    _publish(request, deployment, container.url)
    deployment.lifecycle_state = "ACTIVE"
    deployment.lifecycle_details = "Model Deployment is Active."
    _changed(request, deployment.id)
    record.log(f"Container is healthy on port {spec.server_port}")
    record.log("Model deployment is active")
    record.progress("SUCCEEDED", 100.0)


async def _start_container(containers: ContainerManager, key: str, spec: ContainerSpec) -> Any:
    """Start the container; a fault of the emulator's own fails the deployment, saying so.

    Without this an unexpected exception ends the activation task silently and the
    deployment stays CREATING forever.
    """
    try:
        return await containers.start(key, spec)
    except ContainerError:
        raise
    except Exception as exc:
        logger.exception("starting the container of %s", key)
        raise ContainerError(
            f"the emulator failed to start the container ({type(exc).__name__}: {exc}); "
            "this is the emulator's fault, not the deployment's"
        ) from exc


async def _deactivate(
    request: web.Request, deployment: Any, record: WorkRequestRecord, final: str
) -> None:
    ctx: EmulatorContext = request.app[CONTEXT]
    record.progress("IN_PROGRESS", 50.0)
    with ctx.lock:
        ctx.targets.pop(deployment.id, None)
    await request.app[CONTAINERS].stop(deployment.id)
    deployment.lifecycle_state = final
    deployment.lifecycle_details = None
    _changed(request, deployment.id)
    record.log(f"Model deployment is {final.lower()}")
    record.progress("SUCCEEDED", 100.0)


def _spawn(request: web.Request, coro: Any) -> None:
    tasks = request.app[STATE].tasks
    task = asyncio.get_running_loop().create_task(coro)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def _with_work_request(
    request: web.Request, model: Any, record: WorkRequestRecord, status: int = 200
) -> web.Response:
    return model_response(
        SERVICE,
        model,
        status=status,
        headers={"opc-work-request-id": record.request.id, "etag": _etag(request, model.id)},
    )


def _check_offered(request: web.Request, shape: str) -> None:
    """A shape this region offers model deployments (``EmulatorConfig.shapes``).

    Raises:
        OCIError: 400 InvalidParameter.
    """
    offered = request.app[CONTEXT].config.shapes
    if offered is not None and shape not in offered:
        raise invalid_parameter(
            f"modelDeploymentConfigurationDetails.modelConfigurationDetails.instanceConfiguration."
            f"instanceShapeName: {shape} is not offered for model deployments in this region."
        )


def _check_logs(request: web.Request, logs: Any) -> None:
    """The access and predict logs a deployment names exist (the tenancy's OCI Logging).

    Raises:
        OCIError: 404 NotAuthorizedOrNotFound naming the log.
    """
    tenancy = request.app[TENANCY]
    for kind in ("access", "predict"):
        detail = getattr(logs, kind, None) if logs is not None else None
        if detail is not None and not tenancy.log_exists(detail.log_group_id, detail.log_id):
            raise OCIError(
                404,
                "NotAuthorizedOrNotFound",
                f"Authorization failed or requested {kind} log {detail.log_id} (log group "
                f"{detail.log_group_id}) not found.",
            )


def _drop_answer(request: web.Request) -> bool:
    """Cut the connection instead of answering (``EmulatorConfig.drop_create_answers``)."""
    state: DataScienceState = request.app[STATE]
    if state.dropped_answers >= request.app[CONTEXT].config.drop_create_answers:
        return False
    state.dropped_answers += 1
    logger.info("dropping the answer of %s %s", request.method, request.path)
    if request.transport is not None:
        request.transport.abort()
    return True


async def create_model_deployment(request: web.Request) -> web.Response:
    """CreateModelDeployment: CREATING now, ACTIVE or FAILED later.

    Validated against OCI's rules first; the project must exist and the model be ACTIVE.
    """
    import oci

    raw, details = await _raw_and_model(request, "CreateModelDeploymentDetails")
    state: DataScienceState = request.app[STATE]
    if replayed := _replayed(request, state.deployments):
        record = next(
            r
            for r in state.work_requests.values()
            if r.request.operation_type == "MODEL_DEPLOYMENT_CREATE"
            and r.request.resources[0].identifier == replayed.id
        )
        return _with_work_request(request, replayed, record)
    if not details.compartment_id or not details.project_id:
        raise invalid_parameter("compartmentId and projectId are required.")
    raise_problems(deployment_problems(raw, update=False))
    model_config = details.model_deployment_configuration_details.model_configuration_details
    _check_offered(request, model_config.instance_configuration.instance_shape_name)
    _check_logs(request, details.category_log_details)
    check_deployment_network(request.app, model_config.instance_configuration)
    _project(request, details.project_id)
    stored = state.models.get(model_config.model_id)
    check_model_ready(stored.model if stored else None, model_config.model_id)
    await check_create(request, details)  # --strict: the caller's permission, service limits
    ctx: EmulatorContext = request.app[CONTEXT]
    ocid = new_ocid("datasciencemodeldeployment", ctx.config.region)
    deployment = oci.data_science.models.ModelDeployment(
        id=ocid,
        time_created=_now(),
        lifecycle_state="CREATING",
        created_by=caller_id(request),
        model_deployment_url=_deployment_url(request, ocid, model_config.instance_configuration),
    )
    _copy_fields(deployment, details)
    if not deployment.display_name:
        deployment.display_name = f"modeldeployment{_now():%Y%m%d%H%M%S}"
    state.deployments[ocid] = deployment
    state.retry_tokens.remember(request, ocid)
    record = _new_work_request(
        request, "MODEL_DEPLOYMENT_CREATE", ocid, details.compartment_id, "CREATED"
    )
    _spawn(request, _activate(request, deployment, record))
    if _drop_answer(request):
        return web.Response(status=500)  # never reaches the client: the transport is gone
    return _with_work_request(request, deployment, record)


def _deployment_url(request: web.Request, ocid: str, instance: Any) -> str:
    """The public URL on the emulator's address, or the private FQDN's (same port)."""
    ctx: EmulatorContext = request.app[CONTEXT]
    host = private_host_of(request.app, getattr(instance, "private_endpoint_id", None))
    if host is None:
        return f"{ctx.base_url}/{ocid}"
    scheme, _, address = ctx.base_url.partition("://")
    return f"{scheme}://{host}:{address.rsplit(':', 1)[1]}/{ocid}"


async def get_model_deployment(request: web.Request) -> web.Response:
    """GetModelDeployment."""
    _auth(request)
    deployment = _deployment(request, deleted=True)
    return model_response(SERVICE, deployment, headers={"etag": _etag(request, deployment.id)})


async def list_model_deployments(request: web.Request) -> web.Response:
    """ListModelDeployments (paginated)."""
    import oci

    q = _list_query(request)
    items = []
    for d in request.app[STATE].deployments.values():
        if not _matches(
            q,
            compartmentId=d.compartment_id,
            projectId=d.project_id,
            displayName=d.display_name,
            lifecycleState=d.lifecycle_state,
            id=d.id,
        ):
            continue
        summary = oci.data_science.models.ModelDeploymentSummary()
        _copy_fields(summary, d)
        items.append(summary)
    return _page(request, listed(request, "ListModelDeployments", items))


def _require_state(deployment: Any, allowed: tuple[str, ...], action: str) -> None:
    if deployment.lifecycle_state not in allowed:
        raise conflict(f"Cannot {action} a model deployment in state {deployment.lifecycle_state}.")


async def update_model_deployment(request: web.Request) -> web.Response:
    """UpdateModelDeployment, as the SDK's ``update_model_deployment`` docstring says OCI runs it.

    ACTIVE/NEEDS_ATTENTION: one live group at a time (instance shape, count and model with
    a container swap; bandwidth; logs), anything else 409; INACTIVE: anything, applied at
    the next activation; other states: 409 IncorrectState.
    """
    raw, details = await _raw_and_model(request, "UpdateModelDeploymentDetails")
    deployment = _deployment(request)
    request.app[STATE].etags.check_if_match(request, deployment.id)
    raise_problems(deployment_problems(raw, update=True))
    changed = changed_fields(raw, to_wire(SERVICE, deployment))
    refusal = live_update_problem(str(deployment.lifecycle_state), changed)
    if refusal is not None:
        raise OCIError(*refusal)
    update_config = details.model_deployment_configuration_details
    new_model = getattr(
        getattr(update_config, "model_configuration_details", None), "model_id", None
    )
    if "modelId" in changed:
        stored = request.app[STATE].models.get(new_model or "")
        check_model_ready(stored.model if stored else None, str(new_model))
    _check_logs(request, details.category_log_details)
    await check_update(request, deployment, details)  # --strict: service limits
    live = deployment.lifecycle_state in LIVE_UPDATE_STATES
    previous = copy.deepcopy(deployment.model_deployment_configuration_details)
    for attr in ("display_name", "description", "freeform_tags", "defined_tags"):
        if getattr(details, attr, None) is not None:
            setattr(deployment, attr, getattr(details, attr))
    _merge_logs(deployment, details.category_log_details)
    _merge_configuration(deployment, update_config)
    _changed(request, deployment.id)
    record = _new_work_request(
        request, "MODEL_DEPLOYMENT_UPDATE", deployment.id, deployment.compartment_id, "UPDATED"
    )
    groups = {group_of(field) for field in changed}
    if live and "instances" in groups:
        deployment.lifecycle_state = "UPDATING"
        _spawn(request, _activate(request, deployment, record, previous))
    elif live:
        deployment.lifecycle_state = "UPDATING"
        _spawn(request, _reconfigure(request, deployment, record, sorted(changed)))
    else:
        record.log("Updated; the changes take effect at the next activation")
        record.progress("SUCCEEDED", 100.0)
    # "Returns: A Response object with data of type None" (the SDK's update_model_deployment
    # docstring): the answer carries the work request, not the deployment.
    return web.Response(
        status=202,
        headers={"opc-work-request-id": record.request.id, "etag": _etag(request, deployment.id)},
    )


def _merge_logs(deployment: Any, update: Any) -> None:
    """Apply an ``UpdateCategoryLogDetails`` onto the deployment's ``CategoryLogDetails``.

    The update names the category it changes (``access``, ``predict``); the other keeps
    its log (inferred: OCI's update documents name the categories, not a replacement).
    The stored value stays a ``CategoryLogDetails``, the type a ModelDeployment holds.
    """
    import oci

    if update is None:
        return
    current = deployment.category_log_details or oci.data_science.models.CategoryLogDetails()
    merged = oci.data_science.models.CategoryLogDetails(
        access=current.access, predict=current.predict
    )
    for kind in ("access", "predict"):
        detail = getattr(update, kind, None)
        if detail is not None:
            setattr(
                merged,
                kind,
                oci.data_science.models.LogDetails(
                    log_group_id=detail.log_group_id, log_id=detail.log_id
                ),
            )
    deployment.category_log_details = merged


async def _reconfigure(
    request: web.Request, deployment: Any, record: WorkRequestRecord, changed: list[str]
) -> None:
    """A live update of the load balancer (bandwidth) or the logs: the container stays."""
    record.progress("IN_PROGRESS", 50.0)
    await asyncio.sleep(request.app[CONTEXT].config.activation_delay_s)
    _publish(request, deployment, None)
    deployment.lifecycle_state = "ACTIVE"
    _changed(request, deployment.id)
    record.log(f"Updated {', '.join(changed) or 'nothing'} without downtime")
    record.progress("SUCCEEDED", 100.0)


def _merge_configuration(deployment: Any, update: Any) -> None:
    """Apply an Update*ConfigurationDetails onto the stored configuration, field by field."""
    if update is None:
        return
    current = deployment.model_deployment_configuration_details
    for part in ("model_configuration_details", "environment_configuration_details"):
        new, old = getattr(update, part, None), getattr(current, part, None)
        if new is None:
            continue
        if old is None:
            old = _stored_part(part, new)
            setattr(current, part, old)
        for attr in new.swagger_types:
            value = getattr(new, attr)
            if value is not None and attr in old.swagger_types:
                setattr(old, attr, value)


def _stored_part(part: str, update: Any) -> Any:
    """An empty part of the stored type (a ModelDeployment holds no ``Update*`` models)."""
    import oci

    models = oci.data_science.models
    if part == "model_configuration_details":
        return models.ModelConfigurationDetails()
    kind = getattr(update, "environment_configuration_type", None)
    if kind == "OCIR_CONTAINER":
        return models.OcirModelDeploymentEnvironmentConfigurationDetails()
    return models.DefaultModelDeploymentEnvironmentConfigurationDetails()


async def activate_model_deployment(request: web.Request) -> web.Response:
    """ActivateModelDeployment: INACTIVE → CREATING → ACTIVE/FAILED."""
    body = await request.read()
    _auth(request, body)
    deployment = _deployment(request)
    request.app[STATE].etags.check_if_match(request, deployment.id)
    _require_state(deployment, ("INACTIVE",), "activate")
    deployment.lifecycle_state = "CREATING"
    _changed(request, deployment.id)
    record = _new_work_request(
        request, "MODEL_DEPLOYMENT_ACTIVATE", deployment.id, deployment.compartment_id, "UPDATED"
    )
    _spawn(request, _activate(request, deployment, record))
    return web.Response(status=202, headers={"opc-work-request-id": record.request.id})


async def deactivate_model_deployment(request: web.Request) -> web.Response:
    """DeactivateModelDeployment: ACTIVE/NEEDS_ATTENTION → UPDATING → INACTIVE."""
    body = await request.read()
    _auth(request, body)
    deployment = _deployment(request)
    request.app[STATE].etags.check_if_match(request, deployment.id)
    _require_state(deployment, ("ACTIVE", "NEEDS_ATTENTION", "FAILED"), "deactivate")
    deployment.lifecycle_state = "UPDATING"
    _changed(request, deployment.id)
    record = _new_work_request(
        request, "MODEL_DEPLOYMENT_DEACTIVATE", deployment.id, deployment.compartment_id, "UPDATED"
    )
    _spawn(request, _deactivate(request, deployment, record, "INACTIVE"))
    return web.Response(status=202, headers={"opc-work-request-id": record.request.id})


async def delete_model_deployment(request: web.Request) -> web.Response:
    """DeleteModelDeployment: DELETING → DELETED (``if-match`` honoured)."""
    _auth(request)
    deployment = _deployment(request)
    request.app[STATE].etags.check_if_match(request, deployment.id)
    _require_state(deployment, ("ACTIVE", "INACTIVE", "FAILED", "NEEDS_ATTENTION"), "delete")
    deployment.lifecycle_state = "DELETING"
    _changed(request, deployment.id)
    record = _new_work_request(
        request, "MODEL_DEPLOYMENT_DELETE", deployment.id, deployment.compartment_id, "DELETED"
    )
    _spawn(request, _deactivate(request, deployment, record, "DELETED"))
    return web.Response(status=202, headers={"opc-work-request-id": record.request.id})


async def list_model_deployment_shapes(request: web.Request) -> web.Response:
    """ListModelDeploymentShapes: the shapes of :mod:`oci_tei.contract._shapes` (paginated)."""
    import oci

    _list_query(request)
    offered = request.app[CONTEXT].config.shapes
    shapes = [
        oci.data_science.models.ModelDeploymentShapeSummary(
            name=shape.name,
            core_count=int(shape.ocpus[1]),
            memory_in_gbs=int(shape.memory_gb),
            shape_series=shape.series,
        )
        for shape in MODEL_DEPLOYMENT_SHAPES.values()
        if offered is None or shape.name in offered
    ]
    return _page(request, listed(request, "ListModelDeploymentShapes", shapes))


def add_routes(app: web.Application, containers: ContainerManager) -> None:
    """Register the Data Science routes under ``/20190101``."""
    state = DataScienceState()
    for project_id, compartment_id in app[CONTEXT].config.projects:
        seed_project(state, project_id, compartment_id)
    app[STATE] = state
    app[DEPLOYMENTS] = state.deployments
    app[CONTAINERS] = containers
    r = app.router
    r.add_post(f"{API}/projects", create_project)
    r.add_get(f"{API}/projects", list_projects)
    r.add_get(f"{API}/projects/{{id}}", get_project)
    r.add_post(f"{API}/models/{{id}}/actions/changeCompartment", change_model_compartment)
    r.add_post(
        f"{API}/modelDeployments/{{id}}/actions/changeCompartment",
        change_model_deployment_compartment,
    )
    r.add_post(f"{API}/models", create_model)
    r.add_get(f"{API}/models", list_models)
    r.add_get(f"{API}/models/{{id}}", get_model)
    r.add_put(f"{API}/models/{{id}}", update_model)
    r.add_delete(f"{API}/models/{{id}}", delete_model)
    r.add_post(f"{API}/models/{{id}}/actions/{{action:activate|deactivate}}", model_action)
    r.add_post(f"{API}/models/{{id}}/artifact", create_model_artifact)
    r.add_put(f"{API}/models/{{id}}/artifact", create_model_artifact)
    r.add_get(f"{API}/models/{{id}}/artifact/content", get_model_artifact, allow_head=False)
    r.add_route("HEAD", f"{API}/models/{{id}}/artifact/content", get_model_artifact)
    r.add_route("*", f"{API}/models/{{id}}/provenance", provenance)
    r.add_post(f"{API}/modelDeployments", create_model_deployment)
    r.add_get(f"{API}/modelDeployments", list_model_deployments)
    r.add_get(f"{API}/modelDeployments/{{id}}", get_model_deployment)
    r.add_put(f"{API}/modelDeployments/{{id}}", update_model_deployment)
    r.add_delete(f"{API}/modelDeployments/{{id}}", delete_model_deployment)
    r.add_post(f"{API}/modelDeployments/{{id}}/actions/activate", activate_model_deployment)
    r.add_post(f"{API}/modelDeployments/{{id}}/actions/deactivate", deactivate_model_deployment)
    r.add_get(f"{API}/modelDeploymentShapes", list_model_deployment_shapes)
    r.add_get(f"{API}/workRequests", list_work_requests)
    r.add_get(f"{API}/workRequests/{{id}}", get_work_request)
    r.add_delete(f"{API}/workRequests/{{id}}", cancel_work_request)
    r.add_get(f"{API}/workRequests/{{id}}/errors", list_work_request_errors)
    r.add_get(f"{API}/workRequests/{{id}}/logs", list_work_request_logs)
