"""Limits API (``/20190729``) resource availability.

``oci.limits.LimitsClient.get_resource_availability(service, limit, compartment)`` reports
a limit declared with ``--limit NAME=N``: ``used`` counts the instances (GPUs or OCPUs, see
the table :mod:`oci_tei.contract._limits`) of the model deployments that hold capacity
(every state but FAILED, INACTIVE, DELETED), ``available`` the rest. An undeclared limit
is 404 NotAuthorizedOrNotFound, as OCI answers for a limit name it does not know.
Logging's log groups and logs are :mod:`._logging_api`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiohttp import web

from oci_tei.contract._limits import DATA_SCIENCE_SERVICE, SHAPE_LIMITS
from oci_tei.contract._shapes import MODEL_DEPLOYMENT_SHAPES
from oci_tei_emulator._errors import OCIError, not_found
from oci_tei_emulator._gateway import CONTEXT
from oci_tei_emulator._tenancy import TENANCY
from oci_tei_emulator._wire import model_response

__all__ = [
    "DEPLOYMENTS",
    "RELEASED_STATES",
    "add_routes",
    "deployments_of",
    "instances_of",
    "units",
    "used",
]

#: States in which a deployment holds no instances.
RELEASED_STATES = ("FAILED", "INACTIVE", "DELETED", "DELETING")
#: The Data Science control plane's deployments by OCID (it registers its own dict here,
#: so this module never imports the control plane).
DEPLOYMENTS = web.AppKey("oci_tei_deployments", dict)


def instances_of(deployment: Any) -> tuple[str | None, float]:
    """The limit a deployment draws on and how much of it (most instances it may run)."""
    model = deployment.model_deployment_configuration_details.model_configuration_details
    return units(model.instance_configuration, model.scaling_policy)


def units(instance: Any, policy: Any) -> tuple[str | None, float]:
    """The limit an instance configuration and scaling policy draw on, and how much."""
    details = getattr(instance, "model_deployment_instance_shape_config_details", None)
    name = instance.instance_shape_name or ""
    limit, shape = SHAPE_LIMITS.get(name), MODEL_DEPLOYMENT_SHAPES.get(name)
    if limit is None or shape is None:
        return None, 0.0
    if limit.unit == "GPUs":
        per_instance = float(shape.gpus)
    else:
        ocpus = getattr(details, "ocpus", None)
        per_instance = float(ocpus) if shape.flex and ocpus else float(shape.ocpus[0])
    count = getattr(policy, "instance_count", None)
    if count is None:  # autoscaling: its maximum may run
        policies = getattr(policy, "auto_scaling_policies", None) or []
        count = max((getattr(p, "maximum_instance_count", 1) or 1 for p in policies), default=1)
    return limit.name, per_instance * int(count or 1)


def used(deployments: Iterable[Any], limit_name: str) -> float:
    """Units of ``limit_name`` the deployments hold."""
    total = 0.0
    for deployment in deployments:
        if deployment.lifecycle_state in RELEASED_STATES:
            continue
        name, amount = instances_of(deployment)
        if name == limit_name:
            total += amount
    return total


def deployments_of(app: web.Application) -> list[Any]:
    """Every model deployment of the emulator's Data Science control plane."""
    return list(app[DEPLOYMENTS].values()) if DEPLOYMENTS in app else []


async def get_resource_availability(request: web.Request) -> web.Response:
    """GetResourceAvailability for a declared Data Science limit."""
    import oci

    request.app[CONTEXT].authenticate(request)
    if not request.query.get("compartmentId"):
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    name = request.match_info["limit"]
    value = request.app[TENANCY].limit(name)
    if request.match_info["service"] != DATA_SCIENCE_SERVICE or value is None:
        raise not_found("limit")
    in_use = used(deployments_of(request.app), name)
    availability = oci.limits.models.ResourceAvailability(
        used=int(in_use),
        available=max(0, int(value - in_use)),
        fractional_usage=in_use,
        fractional_availability=max(0.0, value - in_use),
        effective_quota_value=float(value),
    )
    return model_response("limits", availability)


def add_routes(app: web.Application) -> None:
    """Register the Limits routes."""
    r = app.router
    r.add_get(
        "/20190729/services/{service}/limits/{limit}/resourceAvailability",
        get_resource_availability,
    )
