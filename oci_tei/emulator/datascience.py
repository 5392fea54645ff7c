"""Data Science control plane: models (by reference), model deployments, work requests, shapes.

Deployments follow OCI's lifecycle (CREATING → ACTIVE or FAILED, UPDATING, INACTIVE,
DELETING → DELETED), each change tracked by a work request with ``percentComplete``,
errors and logs. Activation materializes the model's referenced objects under
``/opt/ds/model/deployed_model`` and starts the container (:mod:`.containers`).
"""

from __future__ import annotations

__all__ = ["STATE", "DataScienceState", "StoredModel", "WorkRequestRecord", "add_routes"]

import asyncio
import datetime as dt
import io
import json
import shutil
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from oci_tei.emulator.authorization import check_create, check_update, provisioning_failure
from oci_tei.emulator.containers import (
    DEPLOYED_MODEL_ROOT,
    ContainerError,
    ContainerManager,
    ContainerSpec,
)
from oci_tei.emulator.context import EmulatorContext, GatewayTarget, logger, new_ocid
from oci_tei.emulator.errors import OCIError, conflict, invalid_parameter, not_found
from oci_tei.emulator.gateway import CONTEXT
from oci_tei.emulator.objectstorage import STORE, ObjectStore, link_or_copy
from oci_tei.emulator.tenancy import TENANCY
from oci_tei.emulator.wire import from_wire, model_response

SERVICE = "data_science"
API = "/20190101"
CONTAINERS = web.AppKey("oci_tei_containers", ContainerManager)

#: Shapes offered by ListModelDeploymentShapes: name, ocpus, memory GB, family, GPUs.
SHAPES = (
    ("VM.Standard.E4.Flex", 64, 1024, "STANDARD", 0),
    ("VM.Standard3.Flex", 32, 512, "STANDARD", 0),
    ("VM.Optimized3.Flex", 18, 256, "OPTIMIZED", 0),
    ("VM.GPU.A10.1", 15, 240, "GPU", 1),
    ("VM.GPU.A10.2", 30, 480, "GPU", 2),
    ("BM.GPU.A10.4", 64, 1024, "GPU", 4),
    ("BM.GPU.A100-v2.8", 128, 2048, "GPU", 8),
    ("BM.GPU.H100.8", 112, 2048, "GPU", 8),
    ("BM.GPU.L40S.4", 112, 1024, "GPU", 4),
    ("VM.GPU2.1", 12, 72, "GPU", 1),
    ("VM.GPU3.1", 6, 90, "GPU", 1),
)


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


STATE = web.AppKey("oci_tei_data_science", DataScienceState)


async def _json(request: web.Request, type_name: str) -> Any:
    ctx: EmulatorContext = request.app[CONTEXT]
    body = await request.read()
    ctx.authenticate(request, body)
    return from_wire(SERVICE, body, type_name)


def _auth(request: web.Request, body: bytes = b"") -> None:
    request.app[CONTEXT].authenticate(request, body)


def _list_query(request: web.Request) -> Mapping[str, str]:
    """Authenticate a List call and return its query, which must name a compartment."""
    _auth(request)
    if "compartmentId" not in request.query:
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    return request.query


def _etag() -> str:
    return uuid.uuid4().hex


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
    ctx: EmulatorContext = request.app[CONTEXT]
    project = oci.data_science.models.Project(
        id=new_ocid("datascienceproject", ctx.config.region),
        time_created=_now(),
        lifecycle_state="ACTIVE",
        created_by="ocid1.user.oc1..emulator",
    )
    _copy_fields(project, details)
    request.app[STATE].projects[project.id] = project
    return model_response(SERVICE, project, headers={"etag": _etag()})


async def get_project(request: web.Request) -> web.Response:
    """GetProject (any project OCID is accepted as existing)."""
    import oci

    _auth(request)
    pid = request.match_info["id"]
    if request.app[TENANCY].strict and pid not in request.app[STATE].projects:
        raise not_found("project")
    project = request.app[STATE].projects.get(pid) or oci.data_science.models.Project(
        id=pid, display_name="project", lifecycle_state="ACTIVE", time_created=_now()
    )
    return model_response(SERVICE, project, headers={"etag": _etag()})


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
    ctx: EmulatorContext = request.app[CONTEXT]
    model = oci.data_science.models.Model(
        id=new_ocid("datasciencemodel", ctx.config.region),
        time_created=_now(),
        lifecycle_state="ACTIVE",
        created_by="ocid1.user.oc1..emulator",
        is_model_by_reference=False,
        display_name=f"model-{_now():%Y%m%d%H%M%S}",
    )
    _copy_fields(model, details)
    request.app[STATE].models[model.id] = StoredModel(model)
    return model_response(SERVICE, model, headers={"etag": _etag()})


async def get_model(request: web.Request) -> web.Response:
    """GetModel."""
    _auth(request)
    return model_response(SERVICE, _model(request).model, headers={"etag": _etag()})


async def update_model(request: web.Request) -> web.Response:
    """UpdateModel."""
    details = await _json(request, "UpdateModelDetails")
    stored = _model(request)
    _copy_fields(stored.model, details)
    return model_response(SERVICE, stored.model, headers={"etag": _etag()})


async def delete_model(request: web.Request) -> web.Response:
    """DeleteModel."""
    _auth(request)
    stored = _model(request)
    stored.model.lifecycle_state = "DELETED"
    request.app[STATE].models.pop(stored.model.id, None)
    return web.Response(status=204)


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
    return model_response(SERVICE, summaries)


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
    return web.Response(headers={"etag": _etag()})


async def get_model_artifact(request: web.Request) -> web.Response:
    """HeadModelArtifact and GetModelArtifactContent."""
    _auth(request)
    stored = _model(request)
    if stored.artifact is None:
        raise OCIError(404, "NotAuthorizedOrNotFound", "The model has no artifact.")
    headers = {
        "content-disposition": stored.artifact_disposition,
        "content-length": str(len(stored.artifact)),
        "etag": _etag(),
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
    return model_response(SERVICE, stored.provenance, headers={"etag": _etag()})


def _reference_description(artifact: bytes) -> dict[str, Any] | None:
    """The ``modelOSSReferenceDescription`` JSON of a by-reference artifact (zip or JSON)."""
    texts: list[bytes] = []
    if artifact[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(artifact)) as archive:
                texts = [archive.read(n) for n in archive.namelist() if n.endswith(".json")]
        except zipfile.BadZipFile:
            return None
    else:
        texts = [artifact]
    for text in texts:
        try:
            data = json.loads(text)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("type") == "modelOSSReferenceDescription":
            return data
    return None


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
    items.sort(key=lambda item: item.time_accepted, reverse=q.get("sortOrder") != "ASC")
    return model_response(SERVICE, items)


async def list_work_request_errors(request: web.Request) -> web.Response:
    """ListWorkRequestErrors."""
    _auth(request)
    return model_response(SERVICE, _work_request(request).errors)


async def list_work_request_logs(request: web.Request) -> web.Response:
    """ListWorkRequestLogs."""
    _auth(request)
    return model_response(SERVICE, _work_request(request).logs)


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
    root = ctx.data_dir / "deployments" / deployment.id / "deployed_model"
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


def _referenced_files(store: ObjectStore, entry: dict[str, Any]) -> dict[str, Path]:
    namespace, bucket = entry["namespace"], entry["bucketName"]
    objects = entry.get("objects") or []
    if not objects:
        return store.files_under(namespace, bucket, entry.get("prefix", ""))
    return {
        item["name"]: store.version_file(namespace, bucket, item["name"], item.get("version"))
        for item in objects
    }


async def _activate(request: web.Request, deployment: Any, record: WorkRequestRecord) -> None:
    """CREATING/UPDATING → ACTIVE (container healthy) or FAILED.

    An update starts the new container while the old one keeps serving, then swaps them.
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
        container = await containers.start(deployment.id, spec)
    except ContainerError as exc:
        with ctx.lock:
            ctx.targets.pop(deployment.id, None)
        await containers.stop(deployment.id)
        deployment.lifecycle_state = "FAILED"
        deployment.lifecycle_details = str(exc)
        record.fail(str(exc))
        logger.warning("deployment %s FAILED: %s", deployment.id, exc)
        return
    env = deployment.model_deployment_configuration_details.environment_configuration_details
    predict_endpoint = (env.environment_variables or {}).get("MODEL_DEPLOY_PREDICT_ENDPOINT")
    with ctx.lock:
        ctx.targets[deployment.id] = GatewayTarget(deployment.id, container.url, predict_endpoint)
    deployment.lifecycle_state = "ACTIVE"
    deployment.lifecycle_details = "Model Deployment is Active."
    record.log(f"Container is healthy on port {spec.server_port}")
    record.log("Model deployment is active")
    record.progress("SUCCEEDED", 100.0)


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
    record.log(f"Model deployment is {final.lower()}")
    record.progress("SUCCEEDED", 100.0)


def _spawn(request: web.Request, coro: Any) -> None:
    tasks = request.app[STATE].tasks
    task = asyncio.get_running_loop().create_task(coro)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def _with_work_request(model: Any, record: WorkRequestRecord, status: int = 200) -> web.Response:
    return model_response(
        SERVICE,
        model,
        status=status,
        headers={"opc-work-request-id": record.request.id, "etag": _etag()},
    )


async def create_model_deployment(request: web.Request) -> web.Response:
    """CreateModelDeployment: CREATING now, ACTIVE or FAILED later."""
    import oci

    details = await _json(request, "CreateModelDeploymentDetails")
    config = details.model_deployment_configuration_details
    if not details.compartment_id or not details.project_id or config is None:
        raise invalid_parameter(
            "compartmentId, projectId and modelDeploymentConfigurationDetails are required."
        )
    model_config = getattr(config, "model_configuration_details", None)
    if (
        model_config is None
        or not model_config.model_id
        or model_config.instance_configuration is None
    ):
        raise invalid_parameter(
            "modelConfigurationDetails with modelId and instanceConfiguration is required."
        )
    if model_config.model_id not in request.app[STATE].models:
        raise invalid_parameter(f"Model {model_config.model_id} does not exist.")
    await check_create(request, details)  # --strict: the caller's permission, service limits
    ctx: EmulatorContext = request.app[CONTEXT]
    ocid = new_ocid("datasciencemodeldeployment", ctx.config.region)
    deployment = oci.data_science.models.ModelDeployment(
        id=ocid,
        time_created=_now(),
        lifecycle_state="CREATING",
        created_by="ocid1.user.oc1..emulator",
        model_deployment_url=f"{ctx.base_url}/{ocid}",
    )
    _copy_fields(deployment, details)
    if not deployment.display_name:
        deployment.display_name = f"modeldeployment{_now():%Y%m%d%H%M%S}"
    request.app[STATE].deployments[ocid] = deployment
    record = _new_work_request(
        request, "MODEL_DEPLOYMENT_CREATE", ocid, details.compartment_id, "CREATED"
    )
    _spawn(request, _activate(request, deployment, record))
    return _with_work_request(deployment, record)


async def get_model_deployment(request: web.Request) -> web.Response:
    """GetModelDeployment."""
    _auth(request)
    return model_response(SERVICE, _deployment(request, deleted=True), headers={"etag": _etag()})


async def list_model_deployments(request: web.Request) -> web.Response:
    """ListModelDeployments."""
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
    return model_response(SERVICE, items)


def _require_state(deployment: Any, allowed: tuple[str, ...], action: str) -> None:
    if deployment.lifecycle_state not in allowed:
        raise conflict(f"Cannot {action} a model deployment in state {deployment.lifecycle_state}.")


async def update_model_deployment(request: web.Request) -> web.Response:
    """UpdateModelDeployment: UPDATING, then the container restarts with the new settings."""
    details = await _json(request, "UpdateModelDeploymentDetails")
    deployment = _deployment(request)
    _require_state(deployment, ("ACTIVE", "INACTIVE", "FAILED"), "update")
    await check_update(request, deployment, details)  # --strict: service limits
    for attr in (
        "display_name",
        "description",
        "freeform_tags",
        "defined_tags",
        "category_log_details",
    ):
        if getattr(details, attr, None) is not None:
            setattr(deployment, attr, getattr(details, attr))
    _merge_configuration(deployment, details.model_deployment_configuration_details)
    was_active = deployment.lifecycle_state == "ACTIVE"
    record = _new_work_request(
        request, "MODEL_DEPLOYMENT_UPDATE", deployment.id, deployment.compartment_id, "UPDATED"
    )
    if was_active:
        deployment.lifecycle_state = "UPDATING"
        _spawn(request, _activate(request, deployment, record))
    else:
        record.progress("SUCCEEDED", 100.0)
    return _with_work_request(deployment, record)


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
            setattr(current, part, new)
            continue
        for attr in new.swagger_types:
            value = getattr(new, attr)
            if value is not None and attr in old.swagger_types:
                setattr(old, attr, value)


async def activate_model_deployment(request: web.Request) -> web.Response:
    """ActivateModelDeployment: INACTIVE → CREATING → ACTIVE/FAILED."""
    body = await request.read()
    _auth(request, body)
    deployment = _deployment(request)
    _require_state(deployment, ("INACTIVE",), "activate")
    deployment.lifecycle_state = "CREATING"
    record = _new_work_request(
        request, "MODEL_DEPLOYMENT_ACTIVATE", deployment.id, deployment.compartment_id, "UPDATED"
    )
    _spawn(request, _activate(request, deployment, record))
    return web.Response(status=202, headers={"opc-work-request-id": record.request.id})


async def deactivate_model_deployment(request: web.Request) -> web.Response:
    """DeactivateModelDeployment: ACTIVE → UPDATING → INACTIVE."""
    body = await request.read()
    _auth(request, body)
    deployment = _deployment(request)
    _require_state(deployment, ("ACTIVE", "FAILED"), "deactivate")
    deployment.lifecycle_state = "UPDATING"
    record = _new_work_request(
        request, "MODEL_DEPLOYMENT_DEACTIVATE", deployment.id, deployment.compartment_id, "UPDATED"
    )
    _spawn(request, _deactivate(request, deployment, record, "INACTIVE"))
    return web.Response(status=202, headers={"opc-work-request-id": record.request.id})


async def delete_model_deployment(request: web.Request) -> web.Response:
    """DeleteModelDeployment: DELETING → DELETED."""
    _auth(request)
    deployment = _deployment(request)
    _require_state(deployment, ("ACTIVE", "INACTIVE", "FAILED"), "delete")
    deployment.lifecycle_state = "DELETING"
    record = _new_work_request(
        request, "MODEL_DEPLOYMENT_DELETE", deployment.id, deployment.compartment_id, "DELETED"
    )
    _spawn(request, _deactivate(request, deployment, record, "DELETED"))
    return web.Response(status=202, headers={"opc-work-request-id": record.request.id})


async def list_model_deployment_shapes(request: web.Request) -> web.Response:
    """ListModelDeploymentShapes."""
    import oci

    _list_query(request)
    shapes = [
        oci.data_science.models.ModelDeploymentShapeSummary(
            name=name, core_count=cores, memory_in_gbs=memory, shape_series=series
        )
        for name, cores, memory, series, _gpus in SHAPES
    ]
    return model_response(SERVICE, shapes)


def add_routes(app: web.Application, containers: ContainerManager) -> None:
    """Register the Data Science routes under ``/20190101``."""
    app[STATE] = DataScienceState()
    app[CONTAINERS] = containers
    r = app.router
    r.add_post(f"{API}/projects", create_project)
    r.add_get(f"{API}/projects/{{id}}", get_project)
    r.add_post(f"{API}/models", create_model)
    r.add_get(f"{API}/models", list_models)
    r.add_get(f"{API}/models/{{id}}", get_model)
    r.add_put(f"{API}/models/{{id}}", update_model)
    r.add_delete(f"{API}/models/{{id}}", delete_model)
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
    r.add_get(f"{API}/workRequests/{{id}}/errors", list_work_request_errors)
    r.add_get(f"{API}/workRequests/{{id}}/logs", list_work_request_logs)
