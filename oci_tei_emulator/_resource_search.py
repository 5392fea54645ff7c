"""Resource Search (``POST /20180409/resources``) over what the emulator holds.

oracle-ads' ``DataScienceModel.delete()`` asks it for the model's deployments
(``OCIDataScienceModel.model_deployment``): a Structured search
``query datasciencemodeldeployment resources where ModelId='<model ocid>'``, reading
``identifier`` and ``lifecycleState`` of each ``ResourceSummary``.

Indexed: Data Science projects, models and model deployments, Object Storage buckets and
Logging log groups. The structured language is the subset "Search Language Syntax"
documents for ``query <type>[, <type>] resources [where <attr> = '<value>' [&& ...]]``
(``all`` for every type; ``=`` / ``!=``; attribute and type names case-insensitive);
FreeText matches the text in a display name or OCID. Anything else is 400
InvalidParameter saying it is not emulated.

Search's own operations need no permission ("Details for Search"), but "what you can see in
search or query results depends on the permissions you have": in a strict tenancy a result
is listed only when the caller may inspect its resource type in its compartment
(``SEARCH_RESULT_PERMISSIONS``).
"""

from __future__ import annotations

__all__ = ["add_routes"]

import re
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from oci_tei.contract._permissions import SEARCH_RESULT_PERMISSIONS
from oci_tei_emulator._errors import invalid_parameter
from oci_tei_emulator._gateway import CONTEXT
from oci_tei_emulator._paging import page_of
from oci_tei_emulator._signature import Principal
from oci_tei_emulator._tenancy import TENANCY
from oci_tei_emulator._wire import from_wire, model_response

SERVICE = "resource_search"
_DEFAULT_LIMIT = 100
_QUERY = re.compile(
    r"^\s*query\s+(?P<types>[\w\s,]+?)\s+resources(?:\s+where\s+(?P<where>.+?))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(r"^\s*([A-Za-z][\w.]*)\s*(!=|=)\s*'((?:[^']|'')*)'\s*$")


def _entries(app: web.Application) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """``(resource type, searchable attributes, summary fields)`` of every resource."""
    from oci_tei_emulator._datascience import STATE
    from oci_tei_emulator._logging_api import LOGGING
    from oci_tei_emulator._objectstorage import STORE

    state = app[STATE]
    for project in list(state.projects.values()):
        yield "DataScienceProject", {}, project
    for stored in list(state.models.values()):
        yield "DataScienceModel", {"projectid": stored.model.project_id}, stored.model
    for deployment in list(state.deployments.values()):
        model = deployment.model_deployment_configuration_details.model_configuration_details
        attrs = {"modelid": model.model_id, "projectid": deployment.project_id}
        yield "DataScienceModelDeployment", attrs, deployment
    if LOGGING in app:
        for group in list(app[LOGGING].groups.values()):
            yield "LogGroup", {}, group
    store = app[STORE]
    with store.lock:
        buckets = list(store.buckets.values())
    for bucket in buckets:
        yield "Bucket", {}, bucket


def _summary(kind: str, resource: Any) -> Any:
    import oci

    name = getattr(resource, "display_name", None) or getattr(resource, "name", None)
    state = getattr(resource, "lifecycle_state", None) or "ACTIVE"
    return oci.resource_search.models.ResourceSummary(
        resource_type=kind,
        identifier=resource.id,
        compartment_id=resource.compartment_id,
        time_created=resource.time_created,
        display_name=name,
        lifecycle_state=state,
        freeform_tags=dict(getattr(resource, "freeform_tags", None) or {}),
        defined_tags=dict(getattr(resource, "defined_tags", None) or {}),
    )


def _attributes(kind: str, extra: dict[str, Any], resource: Any) -> dict[str, str]:
    summary = _summary(kind, resource)
    attrs = {
        "identifier": summary.identifier,
        "id": summary.identifier,
        "compartmentid": summary.compartment_id,
        "displayname": summary.display_name,
        "lifecyclestate": summary.lifecycle_state,
        **extra,
    }
    return {key: "" if value is None else str(value) for key, value in attrs.items()}


def _structured(query: str) -> tuple[set[str] | None, list[tuple[str, str, str]]]:
    match = _QUERY.match(query)
    if match is None:
        raise invalid_parameter(
            f"The query '{query}' is not emulated: the emulator's Resource Search takes "
            "query <type>[, <type>] resources [where <attr> = '<value>' [&& ...]]."
        )
    types = {t.strip().lower() for t in match.group("types").split(",") if t.strip()}
    conditions = []
    for part in re.split(r"&&|\band\b", match.group("where") or "", flags=re.IGNORECASE):
        if not part.strip():
            continue
        condition = _CONDITION.match(part)
        if condition is None:
            raise invalid_parameter(f"The condition '{part.strip()}' is not emulated.")
        name, op, value = condition.groups()
        conditions.append((name.lower(), op, value.replace("''", "'")))
    return (None if "all" in types else types), conditions


def _visible(request: web.Request, principal: Principal, found: list[Any]) -> list[Any]:
    """The results the caller may see: inspect on each one's type, in its compartment."""
    tenancy = request.app[TENANCY]
    if not tenancy.strict:
        return found
    caller = tenancy.caller(principal)
    targets = {"Bucket": "target.bucket.name", "LogGroup": "target.loggroup.id"}
    visible = []
    for summary in found:
        variable = targets.get(summary.resource_type)
        value = summary.display_name if summary.resource_type == "Bucket" else summary.identifier
        if tenancy.authorize(
            caller,
            SEARCH_RESULT_PERMISSIONS[summary.resource_type],
            summary.compartment_id,
            "SearchResources",
            {variable: str(value)} if variable else None,
            refuse=False,
        ):
            visible.append(summary)
    return visible


async def search_resources(request: web.Request) -> web.Response:
    """SearchResources: Structured or FreeText, paginated."""
    import oci

    ctx = request.app[CONTEXT]
    body = await request.read()
    principal = ctx.authenticate(request, body)
    details = from_wire(SERVICE, body, "SearchDetails")
    found = []
    if details.type == "Structured":
        types, conditions = _structured(details.query or "")
        for kind, extra, resource in _entries(request.app):
            if types is not None and kind.lower() not in types:
                continue
            attrs = _attributes(kind, extra, resource)
            if all((attrs.get(name) == value) == (op == "=") for name, op, value in conditions):
                found.append(_summary(kind, resource))
    elif details.type == "FreeText":
        text = (details.text or "").lower()
        for kind, _extra, resource in _entries(request.app):
            summary = _summary(kind, resource)
            if text in (summary.display_name or "").lower() or text in summary.identifier.lower():
                found.append(summary)
    else:
        raise invalid_parameter("type must be Structured or FreeText.")
    found = _visible(request, principal, found)
    # ADS reads one page (no limit sent): OCI's default page is not documented, so a
    # generous one (inferred), not the emulator's List page size.
    chunk, headers = page_of(request, found, _DEFAULT_LIMIT)
    collection = oci.resource_search.models.ResourceSummaryCollection(items=chunk)
    return model_response(SERVICE, collection, headers=headers)


def add_routes(app: web.Application) -> None:
    """Register Resource Search under ``/20180409``."""
    app.router.add_post("/20180409/resources", search_resources)
