"""Where a strict emulator fails a model deployment, at the phase OCI fails it.

Hooks for :mod:`.datascience`: :func:`check_create` when CreateModelDeployment arrives
(the service limit; the caller's permission is checked for every operation by
:mod:`.authorize`), :func:`check_update` when an update asks for more instances (the
limit), :func:`provisioning_failure` while the work request provisions (artifact
download, image pull, logs; see :mod:`.tenancy`). An open (non-strict) tenancy grants
everything, so neither ever refuses there.

What the deployment's resource principal needs is the data of
:mod:`oci_tei.contract._permissions` (``DEPLOYMENT_NEEDS``); the emulator's own
:mod:`._policy` decides. A statement it cannot evaluate is said so, in the failure and
in the log, never reported as a denial.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiohttp import web

from oci_tei.contract._permissions import (
    DEPLOYMENT_NEEDS,
    DEPLOYMENT_PRINCIPAL_TYPE,
    NeededPermission,
)
from oci_tei_emulator._context import logger
from oci_tei_emulator._errors import OCIError
from oci_tei_emulator._limits_api import deployments_of, instances_of, units, used
from oci_tei_emulator._logging_api import log_group_compartment
from oci_tei_emulator._objectstorage import STORE
from oci_tei_emulator._ocir import OCIR
from oci_tei_emulator._policy import Decision, Principal, Requirement
from oci_tei_emulator._references import referenced_buckets
from oci_tei_emulator._tenancy import TENANCY, TenancyState, parse_image

__all__ = ["check_create", "check_update", "provisioning_failure"]

_NEEDS = {need.key: need for need in DEPLOYMENT_NEEDS}


async def check_create(request: web.Request, details: Any) -> None:
    """Refuse a CreateModelDeployment over the shape's service limit, before anything is made.

    Raises:
        OCIError: 400 LimitExceeded (the shape's service limit has no room for the
            deployment's instances).
    """
    state: TenancyState = request.app[TENANCY]
    if not state.strict:
        return
    _check_limit(state, request.app, *instances_of(details))


async def check_update(request: web.Request, deployment: Any, details: Any) -> None:
    """Refuse an UpdateModelDeployment whose new instance count or shape exceeds the limit.

    Raises:
        OCIError: 400 LimitExceeded.
    """
    state: TenancyState = request.app[TENANCY]
    config = details.model_deployment_configuration_details
    update = getattr(config, "model_configuration_details", None) if config else None
    if not state.strict or update is None or deployment.lifecycle_state != "ACTIVE":
        return
    current = deployment.model_deployment_configuration_details.model_configuration_details
    name, amount = units(
        update.instance_configuration or current.instance_configuration,
        update.scaling_policy or current.scaling_policy,
    )
    held_name, held = instances_of(deployment)
    _check_limit(state, request.app, name, amount, held if held_name == name else 0.0)


def _check_limit(
    state: TenancyState, app: web.Application, name: str | None, amount: float, held: float = 0.0
) -> None:
    value = state.limit(name) if name else None
    if not name or value is None:
        return
    in_use = used(deployments_of(app), name) - held
    if in_use + amount > value:
        raise OCIError(
            400,
            "LimitExceeded",
            f"The service limit {name} of data-science is {value} in this region; "
            f"{in_use:g} in use, this deployment needs {amount:g}. Request a service "
            "limit increase.",
        )


def provisioning_failure(app: web.Application, deployment: Any, artifact: bytes) -> str | None:
    """Why provisioning fails (artifact download, image pull, logs), or None.

    Args:
        app: the emulator's application.
        deployment: the ``ModelDeployment`` being provisioned.
        artifact: the model's artifact (a by-reference description names its buckets).
    """
    state: TenancyState = app[TENANCY]
    env = deployment.model_deployment_configuration_details.environment_configuration_details
    # With a registry attached, the pull reads it, by digest when the deployment pins one.
    missing = app[OCIR].pull_failure(
        getattr(env, "image", None) or "", getattr(env, "image_digest", None)
    )
    if missing:
        return missing
    if not state.strict:
        return None
    principal = Principal(
        "resource", deployment.id, frozenset(), DEPLOYMENT_PRINCIPAL_TYPE, deployment.compartment_id
    )
    image = getattr(env, "image", None) or ""
    tenancy = state.config.tenancy_id
    download = _NEEDS["download"]
    for bucket, namespace in referenced_buckets(artifact):
        try:
            compartment = app[STORE].bucket(namespace, bucket).compartment_id
        except OCIError:
            return f"Failed to download the model artifact: bucket {bucket} does not exist."
        refused = _refusal(
            state,
            principal,
            download,
            compartment,
            download.operations[:1],
            {"target.bucket.name": bucket},
        )
        if refused:
            return f"Failed to download the model artifact from bucket {bucket}: {refused}"
    if app[OCIR].server is None and state.image(image) is None:
        return (
            f"Failed to pull the container image {image}: manifest unknown (the image is not "
            f"in the Container Registry of {state.config.region}; push it first, see "
            "`oci-tei image SPEC`)."
        )
    # Declared repositories and log groups live in the tenancy (root compartment).
    repository = parse_image(image)[3]
    pull = _NEEDS["pull"]
    refused = _refusal(
        state, principal, pull, tenancy, pull.operations, {"target.repo.name": repository}
    )
    if refused:
        return f"Failed to pull the container image {image}: {refused}"
    for group_id in dict.fromkeys(_log_groups(deployment)):
        # A log group made with CreateLogGroup lives in its compartment; declared ones
        # (--log) in the tenancy.
        compartment = log_group_compartment(app, group_id) or tenancy
        refused = _refusal(state, principal, _NEEDS["logs"], compartment, (), {})
        if refused:
            return f"Failed to configure the access and predict logs: {refused}"
    return None


def _refusal(
    state: TenancyState,
    principal: Principal,
    need: NeededPermission,
    compartment: str,
    operations: Iterable[str],
    target: dict[str, str],
) -> str | None:
    """Why the principal may not do ``need`` (every operation of it), or None."""
    for operation in tuple(operations) or ("",):
        requirement = Requirement(
            need.verb, need.resource, compartment, operation=operation, target=target
        )
        decision = state.decide(principal, requirement)
        if not decision.allowed:
            return _explain(state, need, compartment, operation, decision)
    return None


def _explain(
    state: TenancyState,
    need: NeededPermission,
    compartment: str,
    operation: str,
    decision: Decision,
) -> str:
    scope = state.tree().path(compartment)
    statement = (
        f"allow any-user to {need.verb} {need.resource} in {scope} where "
        f"ALL {{request.principal.type='{DEPLOYMENT_PRINCIPAL_TYPE}'}}"
    )
    what = f"{need.verb} {need.resource}"
    if decision.undecided:
        message = (
            f"the emulator cannot tell whether the model deployment's resource principal may "
            f"{what}: {decision.explain()}. This is the emulator's limit, not an IAM denial; "
            f"a statement it evaluates is, e.g.: {statement}"
        )
        logger.warning("%s", message)
        return message
    return (
        "the model deployment's resource principal is not authorized to "
        f"{what} (NotAuthorizedOrNotFound)"
        + (f" for request.operation {operation}" if operation else "")
        + f"; add the policy statement: {statement}"
    )


def _log_groups(deployment: Any) -> list[str]:
    logs = deployment.category_log_details
    found = []
    for kind in ("access", "predict"):
        detail = getattr(logs, kind, None) if logs is not None else None
        if detail is not None and detail.log_group_id:
            found.append(str(detail.log_group_id))
    return found
