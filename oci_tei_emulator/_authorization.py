"""Where a strict emulator fails a model deployment, at the phase OCI fails it.

Hooks for :mod:`.datascience`: :func:`check_create` when CreateModelDeployment arrives
(the caller's permission, the service limit), :func:`check_update` when an update asks
for more instances (the limit), :func:`provisioning_failure` while
the work request provisions (artifact download, image pull, logs; see :mod:`.tenancy`).
An open (non-strict) tenancy grants everything, so neither ever refuses there.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from oci_tei import _iam as iam
from oci_tei.deploy.permissions import (
    NeededPermission,
    deployment_permissions,
    deployment_principal,
)
from oci_tei_emulator._context import EmulatorContext
from oci_tei_emulator._errors import OCIError, not_found
from oci_tei_emulator._gateway import CONTEXT
from oci_tei_emulator._limits_api import deployments_of, instances_of, units, used
from oci_tei_emulator._objectstorage import STORE
from oci_tei_emulator._ocir import OCIR
from oci_tei_emulator._tenancy import TENANCY, TenancyState

__all__ = ["check_create", "check_update", "provisioning_failure"]


async def check_create(request: web.Request, details: Any) -> None:
    """Refuse a CreateModelDeployment as OCI would, before anything is created.

    Raises:
        OCIError: 404 NotAuthorizedOrNotFound (the caller may not manage model deployments
            in the compartment, or it does not exist), 400 LimitExceeded (the shape's
            service limit has no room for the deployment's instances).
    """
    state: TenancyState = request.app[TENANCY]
    if not state.strict:
        return
    ctx: EmulatorContext = request.app[CONTEXT]
    signed = ctx.authenticate(request, await request.read())
    if state.compartment(details.compartment_id) is None:
        raise not_found("compartment")
    decision = state.decide(
        state.caller(signed),
        iam.Requirement("manage", "data-science-model-deployments", details.compartment_id),
    )
    if not decision.allowed:
        raise not_found("model deployment")
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
    principal = deployment_principal(deployment.compartment_id, deployment.id)
    image = getattr(env, "image", None) or ""
    tree = state.tree()
    tenancy = state.config.tenancy_id
    for bucket, namespace in _referenced_buckets(artifact):
        try:
            compartment = app[STORE].bucket(namespace, bucket).compartment_id
        except OCIError:
            return f"Failed to download the model artifact: bucket {bucket} does not exist."
        download = deployment_permissions(
            bucket=bucket, bucket_compartment_id=compartment, repository_compartment_id=tenancy
        )[0]
        if not state.decide(principal, download.requirement).allowed:
            return f"Failed to download the model artifact from bucket {bucket}: " + _unauthorized(
                download, tree
            )
    if app[OCIR].server is None and state.image(image) is None:
        return (
            f"Failed to pull the container image {image}: manifest unknown (the image is not "
            f"in the Container Registry of {state.config.region}; push it first, see "
            "`oci-tei image SPEC`)."
        )
    # Declared repositories and log groups live in the tenancy (root compartment).
    pull, *logs = deployment_permissions(
        bucket="",
        bucket_compartment_id=tenancy,
        repository_compartment_id=tenancy,
        log_group_compartment_ids=(tenancy,) if _log_groups(deployment) else (),
    )[1:]
    if not state.decide(principal, pull.requirement).allowed:
        return f"Failed to pull the container image {image}: " + _unauthorized(pull, tree)
    for log in logs:
        if not state.decide(principal, log.requirement).allowed:
            return "Failed to configure the access and predict logs: " + _unauthorized(log, tree)
    return None


def _unauthorized(permission: NeededPermission, tree: iam.CompartmentTree) -> str:
    requirement = permission.requirement
    return (
        "the model deployment's resource principal is not authorized to "
        f"{requirement.verb} {requirement.resource} (NotAuthorizedOrNotFound); add the policy "
        f"statement: {permission.statement(tree)}"
    )


def _referenced_buckets(artifact: bytes) -> list[tuple[str, str]]:
    from oci_tei_emulator._datascience import _reference_description

    description = _reference_description(artifact)
    if description is None:
        return []
    return [
        (str(entry.get("bucketName")), str(entry.get("namespace")))
        for entry in description.get("models", [])
    ]


def _log_groups(deployment: Any) -> list[str]:
    logs = deployment.category_log_details
    found = []
    for kind in ("access", "predict"):
        detail = getattr(logs, kind, None) if logs is not None else None
        if detail is not None and detail.log_group_id:
            found.append(str(detail.log_group_id))
    return found
