"""Logging Management (``/20200531``): log groups, logs and their work requests.

What ``oci.logging.LoggingManagementClient`` (and the ``oci logging`` CLI) call:
CreateLogGroup, ListLogGroups, GetLogGroup, DeleteLogGroup, CreateLog, ListLogs, GetLog,
DeleteLog, GetWorkRequest. Creates and deletes answer with no body and an
``opc-work-request-id`` (the SDK docstrings: "data of type None"); the emulator finishes
each at once, so the work request is SUCCEEDED when first read and names the resource it
made (``resources[0].identifier``, where oracle-ads' ``OCILogGroup.create`` reads it).

The logs a deployment may name are the tenancy's (:meth:`TenancyState.log_exists`): a log
created here is registered there, and logs declared with ``--log GROUP/LOG`` are listed
here too. In an open tenancy every ``ocid1.loggroup.``/``ocid1.log.`` OCID exists (Get
answers for it), as before.
"""

from __future__ import annotations

__all__ = ["LOGGING", "LoggingState", "add_routes", "log_group_compartment"]

import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from oci_tei_emulator._context import EmulatorContext, new_ocid
from oci_tei_emulator._errors import OCIError, invalid_parameter, not_found
from oci_tei_emulator._gateway import CONTEXT
from oci_tei_emulator._paging import page_of
from oci_tei_emulator._tenancy import TENANCY, TenancyState, now
from oci_tei_emulator._wire import from_wire, model_response

SERVICE = "logging"
API = "/20200531"


@dataclass
class LoggingState:
    """Log groups, logs and work requests made through the Logging API."""

    groups: dict[str, Any] = field(default_factory=dict)
    logs: dict[str, Any] = field(default_factory=dict)
    work_requests: dict[str, Any] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)


LOGGING = web.AppKey("oci_tei_logging", LoggingState)


def log_group_compartment(app: web.Application, group_id: str) -> str | None:
    """The compartment of a log group made with CreateLogGroup (None: not made here)."""
    if LOGGING not in app:
        return None
    with app[LOGGING].lock:
        group = app[LOGGING].groups.get(group_id)
    return None if group is None else str(group.compartment_id)


def _models() -> Any:
    import oci

    return oci.logging.models


def _declared_group(tenancy: TenancyState, group_id: str) -> Any:
    """A log group the tenancy knows (declared, or any in an open tenancy) as a LogGroup."""
    return _models().LogGroup(
        id=group_id,
        compartment_id=tenancy.config.tenancy_id,
        display_name=group_id.rsplit(".", 1)[-1],
        lifecycle_state="ACTIVE",
        time_created=now(),
        time_last_modified=now(),
    )


def _declared_log(tenancy: TenancyState, group_id: str, log_id: str) -> Any:
    return _models().Log(
        id=log_id,
        tenancy_id=tenancy.config.tenancy_id,
        log_group_id=group_id,
        compartment_id=tenancy.config.tenancy_id,
        display_name=log_id.rsplit(".", 1)[-1],
        log_type="CUSTOM",
        is_enabled=True,
        lifecycle_state="ACTIVE",
        time_created=now(),
        time_last_modified=now(),
    )


def _all_groups(request: web.Request) -> list[Any]:
    """Created log groups, then declared ones (``--log``) not created here."""
    state, tenancy = request.app[LOGGING], request.app[TENANCY]
    with state.lock:
        groups = list(state.groups.values())
    with tenancy.lock:
        declared = list(tenancy.logs)
    known = {group.id for group in groups}
    return groups + [_declared_group(tenancy, g) for g in declared if g not in known]


def _group(request: web.Request) -> Any:
    """The log group in the path.

    Raises:
        OCIError: 404 NotAuthorizedOrNotFound.
    """
    group_id = request.match_info["group"]
    with request.app[LOGGING].lock:
        found = request.app[LOGGING].groups.get(group_id)
    if found is not None:
        return found
    tenancy = request.app[TENANCY]
    if tenancy.log_exists(group_id):
        return _declared_group(tenancy, group_id)
    raise not_found(f"log group {group_id}")


def _logs_of(request: web.Request, group_id: str) -> list[Any]:
    state, tenancy = request.app[LOGGING], request.app[TENANCY]
    with state.lock:
        made = [log for log in state.logs.values() if log.log_group_id == group_id]
    with tenancy.lock:
        declared = sorted(tenancy.logs.get(group_id, set()))
    known = {log.id for log in made}
    return made + [_declared_log(tenancy, group_id, d) for d in declared if d not in known]


async def _body(request: web.Request, type_name: str) -> Any:
    ctx: EmulatorContext = request.app[CONTEXT]
    body = await request.read()
    ctx.authenticate(request, body)
    return from_wire(SERVICE, body, type_name)


def _auth(request: web.Request) -> None:
    request.app[CONTEXT].authenticate(request)


def _work_request(
    request: web.Request, operation: str, compartment_id: str, resource: Any, action: str
) -> web.Response:
    """A finished work request for ``resource``; the 202 answer that carries it."""
    models = _models()
    entity = "loggroup" if operation.endswith("LOG_GROUP") else "log"
    wr = models.WorkRequest(
        id=new_ocid("logworkrequest", request.app[CONTEXT].config.region),
        operation_type=operation,
        status="SUCCEEDED",
        compartment_id=compartment_id,
        resources=[
            models.WorkRequestResource(
                entity_type=entity,
                action_type=action,
                identifier=resource.id,
                entity_uri=f"{API}/logGroups/{resource.id}"
                if entity == "loggroup"
                else f"{API}/logGroups/{resource.log_group_id}/logs/{resource.id}",
            )
        ],
        percent_complete=100.0,
        time_accepted=now(),
        time_started=now(),
        time_finished=now(),
    )
    with request.app[LOGGING].lock:
        request.app[LOGGING].work_requests[wr.id] = wr
    return web.Response(status=202, headers={"opc-work-request-id": wr.id})


def _unique_name(items: list[Any], name: str, where: str) -> None:
    """Names are "unique within the enclosing resource" (Create*Details.display_name).

    Raises:
        OCIError: 409 Conflict (the code is inferred: OCI documents the rule).
    """
    if any(item.display_name == name and item.lifecycle_state != "DELETED" for item in items):
        raise OCIError(409, "Conflict", f"A resource named {name} already exists in {where}.")


async def create_log_group(request: web.Request) -> web.Response:
    """CreateLogGroup: 202, the new group named by the work request."""
    details = await _body(request, "CreateLogGroupDetails")
    if not details.compartment_id or not details.display_name:
        raise invalid_parameter("compartmentId and displayName are required.")
    tenancy = request.app[TENANCY]
    if tenancy.compartment(details.compartment_id) is None:
        raise not_found(f"compartment {details.compartment_id}")
    same_compartment = [
        g for g in _all_groups(request) if g.compartment_id == details.compartment_id
    ]
    _unique_name(same_compartment, details.display_name, f"compartment {details.compartment_id}")
    group = _models().LogGroup(
        id=new_ocid("loggroup", request.app[CONTEXT].config.region),
        compartment_id=details.compartment_id,
        display_name=details.display_name,
        description=details.description,
        freeform_tags=details.freeform_tags or {},
        defined_tags=details.defined_tags or {},
        lifecycle_state="ACTIVE",
        time_created=now(),
        time_last_modified=now(),
    )
    with request.app[LOGGING].lock:
        request.app[LOGGING].groups[group.id] = group
    with tenancy.lock:
        tenancy.logs.setdefault(group.id, set())
    return _work_request(request, "CREATE_LOG_GROUP", group.compartment_id, group, "CREATED")


async def list_log_groups(request: web.Request) -> web.Response:
    """ListLogGroups: compartmentId required; displayName, isCompartmentIdInSubtree."""
    _auth(request)
    q = request.query
    if "compartmentId" not in q:
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    tree = request.app[TENANCY].tree()
    subtree = q.get("isCompartmentIdInSubtree", "false").lower() == "true"
    items = []
    for group in _all_groups(request):
        inside = group.compartment_id == q["compartmentId"] or (
            subtree and q["compartmentId"] in tree.ancestors(group.compartment_id)
        )
        if not inside or ("displayName" in q and group.display_name != q["displayName"]):
            continue
        summary = _models().LogGroupSummary()
        for attr in summary.swagger_types:
            setattr(summary, attr, getattr(group, attr, None))
        items.append(summary)
    chunk, headers = page_of(request, items, request.app[CONTEXT].config.page_size)
    return model_response(SERVICE, chunk, headers=headers)


async def get_log_group(request: web.Request) -> web.Response:
    """GetLogGroup."""
    _auth(request)
    return model_response(SERVICE, _group(request))


async def delete_log_group(request: web.Request) -> web.Response:
    """DeleteLogGroup: 202 with a work request; a group that still holds logs is 409."""
    _auth(request)
    group = _group(request)
    if _logs_of(request, group.id):
        raise OCIError(409, "Conflict", f"Log group {group.id} still holds logs.")
    with request.app[LOGGING].lock:
        request.app[LOGGING].groups.pop(group.id, None)
    tenancy = request.app[TENANCY]
    with tenancy.lock:
        tenancy.logs.pop(group.id, None)
    return _work_request(request, "DELETE_LOG_GROUP", group.compartment_id, group, "DELETED")


async def create_log(request: web.Request) -> web.Response:
    """CreateLog: 202, the new log named by the work request (CUSTOM or SERVICE)."""
    details = await _body(request, "CreateLogDetails")
    group = _group(request)
    if not details.display_name or details.log_type not in ("CUSTOM", "SERVICE"):
        raise invalid_parameter("displayName and logType (CUSTOM or SERVICE) are required.")
    _unique_name(_logs_of(request, group.id), details.display_name, f"log group {group.id}")
    log = _models().Log(
        id=new_ocid("log", request.app[CONTEXT].config.region),
        tenancy_id=request.app[TENANCY].config.tenancy_id,
        log_group_id=group.id,
        compartment_id=group.compartment_id,
        display_name=details.display_name,
        log_type=details.log_type,
        is_enabled=True if details.is_enabled is None else details.is_enabled,
        configuration=details.configuration,
        retention_duration=details.retention_duration or 30,
        freeform_tags=details.freeform_tags or {},
        defined_tags=details.defined_tags or {},
        lifecycle_state="ACTIVE",
        time_created=now(),
        time_last_modified=now(),
    )
    with request.app[LOGGING].lock:
        request.app[LOGGING].logs[log.id] = log
    tenancy = request.app[TENANCY]
    with tenancy.lock:
        tenancy.logs.setdefault(group.id, set()).add(log.id)
    return _work_request(request, "CREATE_LOG", group.compartment_id, log, "CREATED")


async def list_logs(request: web.Request) -> web.Response:
    """ListLogs of a group: logType, displayName and lifecycleState filters."""
    _auth(request)
    group = _group(request)
    q = request.query
    items = []
    for log in _logs_of(request, group.id):
        if any(
            name in q and q[name] != value
            for name, value in (
                ("logType", log.log_type),
                ("displayName", log.display_name),
                ("lifecycleState", log.lifecycle_state),
            )
        ):
            continue
        summary = _models().LogSummary()
        for attr in summary.swagger_types:
            setattr(summary, attr, getattr(log, attr, None))
        items.append(summary)
    chunk, headers = page_of(request, items, request.app[CONTEXT].config.page_size)
    return model_response(SERVICE, chunk, headers=headers)


def _log(request: web.Request) -> Any:
    group = _group(request)
    log_id = request.match_info["log"]
    found = next((log for log in _logs_of(request, group.id) if log.id == log_id), None)
    if found is None and request.app[TENANCY].log_exists(group.id, log_id):
        found = _declared_log(request.app[TENANCY], group.id, log_id)
    if found is None:
        raise not_found(f"log {log_id}")
    return found


async def get_log(request: web.Request) -> web.Response:
    """GetLog."""
    _auth(request)
    return model_response(SERVICE, _log(request))


async def delete_log(request: web.Request) -> web.Response:
    """DeleteLog: 202 with a work request."""
    _auth(request)
    log = _log(request)
    with request.app[LOGGING].lock:
        request.app[LOGGING].logs.pop(log.id, None)
    tenancy = request.app[TENANCY]
    with tenancy.lock:
        tenancy.logs.get(log.log_group_id, set()).discard(log.id)
    return _work_request(request, "DELETE_LOG", log.compartment_id, log, "DELETED")


async def get_work_request(request: web.Request) -> web.Response:
    """GetWorkRequest (Logging's own)."""
    _auth(request)
    with request.app[LOGGING].lock:
        found = request.app[LOGGING].work_requests.get(request.match_info["id"])
    if found is None:
        raise not_found("work request")
    return model_response(SERVICE, found)


def add_routes(app: web.Application) -> None:
    """Register the Logging Management routes under ``/20200531``."""
    app[LOGGING] = LoggingState()
    r = app.router
    r.add_post(f"{API}/logGroups", create_log_group)
    r.add_get(f"{API}/logGroups", list_log_groups)
    r.add_get(f"{API}/logGroups/{{group}}", get_log_group)
    r.add_delete(f"{API}/logGroups/{{group}}", delete_log_group)
    r.add_post(f"{API}/logGroups/{{group}}/logs", create_log)
    r.add_get(f"{API}/logGroups/{{group}}/logs", list_logs)
    r.add_get(f"{API}/logGroups/{{group}}/logs/{{log}}", get_log)
    r.add_delete(f"{API}/logGroups/{{group}}/logs/{{log}}", delete_log)
    r.add_get(f"{API}/workRequests/{{id}}", get_work_request)
