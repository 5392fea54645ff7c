"""``oci-tei scale``: instance count and bandwidth of a deployment this tool created.

OCI changes a live deployment one group at a time (the SDK's ``update_model_deployment``
docstring: instance shape, count and model; separately the load balancer, i.e. the
bandwidth; separately the logs), so a change of both is two updates, the second sent
once the first's work request is done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oci_tei.deploy._errors import DeployError
from oci_tei.deploy._session import DeploySession
from oci_tei.deploy.manage._lookup import check_owned, get_deployment

__all__ = ["scale", "scale_updates"]


def scale_updates(
    deployment: Any, *, replicas: int | None, bandwidth_mbps: int | None
) -> list[tuple[str, Any]]:
    """The updates that bring ``deployment`` to the asked values: ``(what, details)`` each.

    Values the deployment already has need no update and are left out.

    Raises:
        DeployError: The deployment autoscales and ``replicas`` was given.
    """
    import oci

    models = oci.data_science.models
    current = deployment.model_deployment_configuration_details.model_configuration_details
    updates: list[tuple[str, Any]] = []
    if replicas is not None:
        if current.scaling_policy.policy_type != "FIXED_SIZE":
            raise DeployError(
                "the deployment autoscales: change autoscaling in the spec instead of replicas",
                step="scale",
            )
        if current.scaling_policy.instance_count != replicas:
            policy = models.FixedSizeScalingPolicy(
                policy_type="FIXED_SIZE", instance_count=replicas
            )
            updates.append(
                (f"replicas {replicas}", _details(models, current.model_id, scaling_policy=policy))
            )
    if bandwidth_mbps is not None and current.bandwidth_mbps != bandwidth_mbps:
        updates.append(
            (
                f"bandwidth {bandwidth_mbps} Mbps",
                _details(models, current.model_id, bandwidth_mbps=bandwidth_mbps),
            )
        )
    return updates


def _details(models: Any, model_id: str, **fields: Any) -> Any:
    # modelId is required in every UpdateModelConfigurationDetails; the same id is no change.
    return models.UpdateModelDeploymentDetails(
        model_deployment_configuration_details=models.UpdateSingleModelDeploymentConfigurationDetails(
            deployment_type="SINGLE_MODEL",
            model_configuration_details=models.UpdateModelConfigurationDetails(
                model_id=model_id, **fields
            ),
        )
    )


def scale(
    session: DeploySession,
    deployment: Any,
    *,
    replicas: int | None = None,
    bandwidth_mbps: int | None = None,
    expected_owner: str | None = None,
    wait: Callable[[str | None], Any] | None = None,
) -> Any:
    """Send one update per group, each after the previous one's work request finished.

    Args:
        session: Clients and output.
        deployment: The deployment's full record.
        replicas: The new instance count.
        bandwidth_mbps: The new load-balancer bandwidth.
        expected_owner: The spec name that must own it.
        wait: Called with each update's work request OCID to wait for it (required when
            there is more than one update); None returns once the update is requested.

    Returns:
        The deployment's record after the last update (as ``wait`` returned it, or as read).

    Raises:
        OwnershipError: Not created by oci-tei (or by another spec).
        DeployError: The deployment autoscales and ``replicas`` was given, or two updates
            were asked without waiting.
    """
    check_owned(deployment, expected_owner)
    updates = scale_updates(deployment, replicas=replicas, bandwidth_mbps=bandwidth_mbps)
    if len(updates) > 1 and wait is None:
        raise DeployError(
            "OCI applies replicas and bandwidth as two updates, the second once the first is "
            "done: run without --no-wait, or change one at a time",
            step="scale",
        )
    if not updates:
        session.echo(f"{deployment.id}: already at the asked replicas and bandwidth")
    record = deployment
    client = session.data_science()
    for index, (what, details) in enumerate(updates, start=1):
        session.echo(f"[{index}/{len(updates)} update] {what}")
        response = client.update_model_deployment(deployment.id, details)
        work_request: str | None = response.headers.get("opc-work-request-id")
        record = wait(work_request) if wait is not None else get_deployment(session, deployment.id)
    return record
